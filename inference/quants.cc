#include "inference/quants.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace pareto::inference {

float HalfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1F;
  uint32_t mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000 | (mant << 13);  // inf or NaN
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal half: value is mant * 2^-24; normalise it.
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while ((mant & 0x400) == 0);
    bits = sign | (static_cast<uint32_t>(112 - e) << 23) | ((mant & 0x3FF) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t absx = x & 0x7FFFFFFF;
  if (absx >= 0x7F800000) {  // inf or NaN (keep NaN a NaN)
    return static_cast<uint16_t>(sign | 0x7C00 | (absx > 0x7F800000 ? 0x200 : 0));
  }
  if (absx >= 0x477FF000) return static_cast<uint16_t>(sign | 0x7C00);  // rounds to inf
  if (absx < 0x38800000) {
    // Result is subnormal (or zero): the value in units of 2^-24, rounded to nearest even.
    if (absx < 0x33000000) return static_cast<uint16_t>(sign);  // below half of 2^-24
    uint32_t e = absx >> 23;
    uint32_t mant = (absx & 0x7FFFFF) | 0x800000;
    uint32_t shift = 126 - e;  // 113 - e + 13
    uint32_t q = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1))) ++q;
    return static_cast<uint16_t>(sign | q);
  }
  // Normal: rebias the exponent, round the mantissa to 10 bits (carry may bump exponent).
  uint32_t h = ((absx - 0x38000000) >> 13);
  uint32_t rem = absx & 0x1FFF;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) ++h;
  return static_cast<uint16_t>(sign | h);
}

uint16_t FloatToBf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7FFFFFFF) > 0x7F800000) return static_cast<uint16_t>((x >> 16) | 0x40);  // NaN
  uint32_t rounding = 0x7FFF + ((x >> 16) & 1);
  return static_cast<uint16_t>((x + rounding) >> 16);
}

void UnpackQ4KScale(const uint8_t* q, int j, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

namespace {

void PackQ4KScales(const uint8_t* sc, const uint8_t* mn, uint8_t* q) {
  std::memset(q, 0, 12);
  for (int j = 0; j < 4; ++j) {
    q[j] = sc[j];
    q[j + 4] = mn[j];
  }
  for (int j = 4; j < 8; ++j) {
    q[j + 4] = static_cast<uint8_t>((sc[j] & 0xF) | ((mn[j] & 0xF) << 4));
    q[j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
    q[j] |= static_cast<uint8_t>((mn[j] >> 4) << 6);
  }
}

int RoundToInt(float x) { return static_cast<int>(std::lrintf(x)); }

// ---- Dequantization ----

void DequantQ8_0(const BlockQ8_0* b, int64_t nb, float* y) {
  for (int64_t i = 0; i < nb; ++i) {
    float d = HalfToFloat(b[i].d);
    for (int j = 0; j < 32; ++j) y[i * 32 + j] = d * b[i].qs[j];
  }
}

void DequantQ4_0(const BlockQ4_0* b, int64_t nb, float* y) {
  for (int64_t i = 0; i < nb; ++i) {
    float d = HalfToFloat(b[i].d);
    for (int j = 0; j < 16; ++j) {
      y[i * 32 + j] = d * ((b[i].qs[j] & 0xF) - 8);
      y[i * 32 + j + 16] = d * ((b[i].qs[j] >> 4) - 8);
    }
  }
}

void DequantQ4_K(const BlockQ4_K* b, int64_t nb, float* y) {
  for (int64_t i = 0; i < nb; ++i) {
    float d = HalfToFloat(b[i].d);
    float dmin = HalfToFloat(b[i].dmin);
    const uint8_t* q = b[i].qs;
    for (int c = 0; c < 4; ++c) {
      uint8_t s0, m0, s1, m1;
      UnpackQ4KScale(b[i].scales, 2 * c, &s0, &m0);
      UnpackQ4KScale(b[i].scales, 2 * c + 1, &s1, &m1);
      for (int l = 0; l < 32; ++l) {
        y[l] = d * s0 * (q[l] & 0xF) - dmin * m0;
        y[l + 32] = d * s1 * (q[l] >> 4) - dmin * m1;
      }
      y += 64;
      q += 32;
    }
  }
}

void DequantQ6_K(const BlockQ6_K* b, int64_t nb, float* y) {
  for (int64_t i = 0; i < nb; ++i) {
    float d = HalfToFloat(b[i].d);
    const uint8_t* ql = b[i].ql;
    const uint8_t* qh = b[i].qh;
    const int8_t* sc = b[i].scales;
    for (int half = 0; half < 2; ++half) {
      for (int l = 0; l < 32; ++l) {
        int is = l / 16;
        int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[is] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}

// ---- Quantization ----

void QuantQ8_0(const float* x, int64_t nb, BlockQ8_0* b) {
  for (int64_t i = 0; i < nb; ++i) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
    float d = amax / 127.0f;
    // Quantize against the scale as stored (half precision), so rounding matches decoding.
    b[i].d = FloatToHalf(d);
    float ds = HalfToFloat(b[i].d);
    float id = ds != 0 ? 1.0f / ds : 0.0f;
    for (int j = 0; j < 32; ++j)
      b[i].qs[j] = static_cast<int8_t>(std::clamp(RoundToInt(x[j] * id), -127, 127));
    x += 32;
  }
}

void QuantQ4_0(const float* x, int64_t nb, BlockQ4_0* b) {
  for (int64_t i = 0; i < nb; ++i) {
    // The element of largest magnitude maps to -8, using the one extra negative level.
    float max = 0, amax = 0;
    for (int j = 0; j < 32; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    b[i].d = FloatToHalf(max / -8.0f);
    float ds = HalfToFloat(b[i].d);
    float id = ds != 0 ? 1.0f / ds : 0.0f;
    for (int j = 0; j < 16; ++j) {
      int lo = std::clamp(RoundToInt(x[j] * id) + 8, 0, 15);
      int hi = std::clamp(RoundToInt(x[j + 16] * id) + 8, 0, 15);
      b[i].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
    x += 32;
  }
}

// Fits x ~ scale * q - min over one sub-block with q in [0, nmax], min >= 0: starts from the
// range and refines scale and min by least squares on the chosen q a few times.
void FitScaleMin(const float* x, int n, int nmax, float* scale, float* min) {
  float lo = 0, hi = x[0];
  for (int i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  float s = (hi - lo) / nmax;
  float m = -lo;
  if (s <= 0) {
    *scale = 0;
    *min = m;
    return;
  }
  float best_err = INFINITY;
  float best_s = s, best_m = m;
  for (int iter = 0; iter < 4; ++iter) {
    // Least squares for (s, m) given q: minimise sum (s*q - m - x)^2.
    double sq = 0, sqq = 0, sx = 0, sqx = 0, err = 0;
    for (int i = 0; i < n; ++i) {
      int q = std::clamp(RoundToInt((x[i] + m) / s), 0, nmax);
      double e = s * q - m - x[i];
      err += e * e;
      sq += q;
      sqq += static_cast<double>(q) * q;
      sx += x[i];
      sqx += q * x[i];
    }
    if (err < best_err) {
      best_err = static_cast<float>(err);
      best_s = s;
      best_m = m;
    }
    double det = n * sqq - sq * sq;
    if (det <= 0) break;
    double ns = (n * sqx - sq * sx) / det;
    double nm = (sq * sqx - sqq * sx) / det;  // the fitted min (minus the intercept)
    if (ns <= 0 || nm < 0) break;             // min must stay >= 0 (the layout subtracts it)
    s = static_cast<float>(ns);
    m = static_cast<float>(nm);
  }
  *scale = best_s;
  *min = best_m;
}

void QuantQ4_K(const float* x, int64_t nb, BlockQ4_K* b) {
  for (int64_t i = 0; i < nb; ++i) {
    float scales[8], mins[8];
    for (int j = 0; j < 8; ++j) FitScaleMin(x + 32 * j, 32, 15, &scales[j], &mins[j]);
    float max_scale = *std::max_element(scales, scales + 8);
    float max_min = *std::max_element(mins, mins + 8);
    b[i].d = FloatToHalf(max_scale / 63.0f);
    b[i].dmin = FloatToHalf(max_min / 63.0f);
    float d = HalfToFloat(b[i].d), dmin = HalfToFloat(b[i].dmin);
    uint8_t sc[8], mn[8];
    for (int j = 0; j < 8; ++j) {
      sc[j] = static_cast<uint8_t>(d > 0 ? std::clamp(RoundToInt(scales[j] / d), 0, 63) : 0);
      mn[j] = static_cast<uint8_t>(dmin > 0 ? std::clamp(RoundToInt(mins[j] / dmin), 0, 63) : 0);
    }
    PackQ4KScales(sc, mn, b[i].scales);
    uint8_t q[256];
    for (int j = 0; j < 8; ++j) {
      float s = d * sc[j];
      float m = dmin * mn[j];
      for (int l = 0; l < 32; ++l) {
        int v = s > 0 ? RoundToInt((x[32 * j + l] + m) / s) : 0;
        q[32 * j + l] = static_cast<uint8_t>(std::clamp(v, 0, 15));
      }
    }
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        b[i].qs[32 * c + l] = static_cast<uint8_t>(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
      }
    }
    x += 256;
  }
}

void QuantQ6_K(const float* x, int64_t nb, BlockQ6_K* b) {
  for (int64_t i = 0; i < nb; ++i) {
    // Per 16 elements: the element of largest magnitude maps to -32.
    float scales[16];
    float max_abs_scale = 0, max_scale = 0;
    for (int k = 0; k < 16; ++k) {
      float max = 0, amax = 0;
      for (int l = 0; l < 16; ++l) {
        float v = x[16 * k + l];
        if (std::fabs(v) > amax) {
          amax = std::fabs(v);
          max = v;
        }
      }
      scales[k] = max / -32.0f;
      if (std::fabs(scales[k]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[k]);
        max_scale = scales[k];
      }
    }
    b[i].d = FloatToHalf(max_scale / -128.0f);
    float d = HalfToFloat(b[i].d);
    float id = d != 0 ? 1.0f / d : 0.0f;
    uint8_t q[256];
    for (int k = 0; k < 16; ++k) {
      int sc = std::clamp(RoundToInt(scales[k] * id), -128, 127);
      b[i].scales[k] = static_cast<int8_t>(sc);
      float s = d * sc;
      for (int l = 0; l < 16; ++l) {
        int v = s != 0 ? RoundToInt(x[16 * k + l] / s) : 0;
        q[16 * k + l] = static_cast<uint8_t>(std::clamp(v, -32, 31) + 32);
      }
    }
    for (int half = 0; half < 2; ++half) {
      uint8_t* ql = b[i].ql + 64 * half;
      uint8_t* qh = b[i].qh + 32 * half;
      const uint8_t* qq = q + 128 * half;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((qq[l] & 0xF) | ((qq[l + 64] & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((qq[l + 32] & 0xF) | ((qq[l + 96] & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((qq[l] >> 4) | ((qq[l + 32] >> 4) << 2) |
                                     ((qq[l + 64] >> 4) << 4) | ((qq[l + 96] >> 4) << 6));
      }
    }
    x += 256;
  }
}

}  // namespace

void DequantizeRow(TensorType type, const uint8_t* data, int64_t n, float* out) {
  switch (type) {
    case TensorType::kF32:
      std::memcpy(out, data, static_cast<size_t>(n) * 4);
      break;
    case TensorType::kF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, data + 2 * i, 2);
        out[i] = HalfToFloat(h);
      }
      break;
    case TensorType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, data + 2 * i, 2);
        out[i] = Bf16ToFloat(h);
      }
      break;
    case TensorType::kQ8_0:
      DequantQ8_0(reinterpret_cast<const BlockQ8_0*>(data), n / 32, out);
      break;
    case TensorType::kQ4_0:
      DequantQ4_0(reinterpret_cast<const BlockQ4_0*>(data), n / 32, out);
      break;
    case TensorType::kQ4_K:
      DequantQ4_K(reinterpret_cast<const BlockQ4_K*>(data), n / 256, out);
      break;
    case TensorType::kQ6_K:
      DequantQ6_K(reinterpret_cast<const BlockQ6_K*>(data), n / 256, out);
      break;
    default:
      break;
  }
}

void QuantizeRow(TensorType type, const float* x, int64_t n, uint8_t* out) {
  switch (type) {
    case TensorType::kF32:
      std::memcpy(out, x, static_cast<size_t>(n) * 4);
      break;
    case TensorType::kF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h = FloatToHalf(x[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      break;
    case TensorType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h = FloatToBf16(x[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      break;
    case TensorType::kQ8_0:
      QuantQ8_0(x, n / 32, reinterpret_cast<BlockQ8_0*>(out));
      break;
    case TensorType::kQ4_0:
      QuantQ4_0(x, n / 32, reinterpret_cast<BlockQ4_0*>(out));
      break;
    case TensorType::kQ4_K:
      QuantQ4_K(x, n / 256, reinterpret_cast<BlockQ4_K*>(out));
      break;
    case TensorType::kQ6_K:
      QuantQ6_K(x, n / 256, reinterpret_cast<BlockQ6_K*>(out));
      break;
    default:
      break;
  }
}

Result<std::vector<float>> Dequantize(TensorType type, std::span<const uint8_t> data,
                                      int64_t elements) {
  if (!IsComputeSupported(type)) {
    return Status::Error("unsupported: tensor type " + TensorTypeName(type));
  }
  auto bytes = TensorBytes(type, elements);
  if (!bytes) {
    return Status::Error(fmt::format("{} elements is not a whole number of {} blocks", elements,
                                     TensorTypeName(type)));
  }
  if (*bytes != data.size()) {
    return Status::Error(fmt::format("{} {} elements need {} bytes, got {}", elements,
                                     TensorTypeName(type), *bytes, data.size()));
  }
  std::vector<float> out(static_cast<size_t>(elements));
  DequantizeRow(type, data.data(), elements, out.data());
  return out;
}

Result<std::vector<uint8_t>> Quantize(TensorType type, std::span<const float> values) {
  if (!IsComputeSupported(type)) {
    return Status::Error("unsupported: tensor type " + TensorTypeName(type));
  }
  auto bytes = TensorBytes(type, static_cast<int64_t>(values.size()));
  if (!bytes) {
    return Status::Error(fmt::format("{} elements is not a whole number of {} blocks",
                                     values.size(), TensorTypeName(type)));
  }
  std::vector<uint8_t> out(*bytes);
  QuantizeRow(type, values.data(), static_cast<int64_t>(values.size()), out.data());
  return out;
}

}  // namespace pareto::inference
