// The portable kernels: plain C++ over the same layouts as the SIMD ones. They are the
// fallback on CPUs without AVX2 and the readable statement of what every kernel computes.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "inference/kernels_impl.h"
#include "inference/quants.h"

namespace pareto::inference::kernels_internal {
namespace {

struct ActQ8 {
  const int8_t* qs;
  const float* d;
  const float* dsum;
};

ActQ8 ActRow(const uint8_t* act, size_t cols) {
  return {reinterpret_cast<const int8_t*>(act),
          reinterpret_cast<const float*>(act + ActQ8DOffset(cols)),
          reinterpret_cast<const float*>(act + ActQ8DsumOffset(cols))};
}

void PrepQ8(const float* x, int cols, uint8_t* out) {
  auto* qs = reinterpret_cast<int8_t*>(out);
  auto* lane4 = reinterpret_cast<int32_t*>(out + ActQ8Lane4Offset(cols));
  auto* dvec = reinterpret_cast<float*>(out + ActQ8DvecOffset(cols));
  auto* d = reinterpret_cast<float*>(out + ActQ8DOffset(cols));
  auto* dsum = reinterpret_cast<float*>(out + ActQ8DsumOffset(cols));
  auto* sums = reinterpret_cast<int32_t*>(out + ActQ8SumOffset(cols));
  for (int b = 0; b < cols / 32; ++b) {
    const float* xb = x + 32 * b;
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::fmax(amax, std::fabs(xb[i]));
    float scale = amax / 127.0f;
    float inv = amax > 0 ? 127.0f / amax : 0.0f;
    int sum = 0;
    for (int i = 0; i < 32; ++i) {
      int q = static_cast<int>(std::lrintf(xb[i] * inv));
      q = q > 127 ? 127 : (q < -127 ? -127 : q);
      qs[32 * b + i] = static_cast<int8_t>(q);
      sum += q;
    }
    for (int l = 0; l < 8; ++l) {
      const int8_t* g = qs + 32 * b + 4 * l;
      lane4[8 * b + l] = g[0] + g[1] + g[2] + g[3];
      dvec[8 * b + l] = scale;
    }
    d[b] = scale;
    dsum[b] = scale * static_cast<float>(sum);
    sums[b] = sum;
  }
}

float DotQ8_0(const uint8_t* w, const uint8_t* act, int cols) {
  ActQ8 a = ActRow(act, cols);
  const auto* blocks = reinterpret_cast<const BlockQ8_0*>(w);
  float total = 0;
  for (int b = 0; b < cols / 32; ++b) {
    int sum = 0;
    for (int i = 0; i < 32; ++i) sum += blocks[b].qs[i] * a.qs[32 * b + i];
    total += HalfToFloat(blocks[b].d) * a.d[b] * static_cast<float>(sum);
  }
  return total;
}

float DotQ4_0(const uint8_t* w, const uint8_t* act, int cols) {
  ActQ8 a = ActRow(act, cols);
  const auto* blocks = reinterpret_cast<const BlockQ4_0*>(w);
  float total = 0;
  for (int b = 0; b < cols / 32; ++b) {
    const int8_t* q = a.qs + 32 * b;
    int sum = 0;
    for (int i = 0; i < 16; ++i) {
      sum += ((blocks[b].qs[i] & 0xF) - 8) * q[i];
      sum += ((blocks[b].qs[i] >> 4) - 8) * q[i + 16];
    }
    total += HalfToFloat(blocks[b].d) * a.d[b] * static_cast<float>(sum);
  }
  return total;
}

float DotQ4_K(const uint8_t* w, const uint8_t* act, int cols) {
  ActQ8 a = ActRow(act, cols);
  const auto* blocks = reinterpret_cast<const BlockQ4_K*>(w);
  float total = 0;
  for (int s = 0; s < cols / 256; ++s) {
    const BlockQ4_K& blk = blocks[s];
    float d = HalfToFloat(blk.d), dmin = HalfToFloat(blk.dmin);
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, mn;
      UnpackQ4KScale(blk.scales, j, &sc, &mn);
      const uint8_t* q = blk.qs + 32 * (j / 2);
      int shift = (j % 2) * 4;
      int b = 8 * s + j;  // activation block
      int sum = 0;
      for (int i = 0; i < 32; ++i) sum += ((q[i] >> shift) & 0xF) * a.qs[32 * b + i];
      total += d * sc * a.d[b] * static_cast<float>(sum) - dmin * mn * a.dsum[b];
    }
  }
  return total;
}

float DotQ6_K(const uint8_t* w, const uint8_t* act, int cols) {
  ActQ8 a = ActRow(act, cols);
  const auto* blocks = reinterpret_cast<const BlockQ6_K*>(w);
  float total = 0;
  for (int s = 0; s < cols / 256; ++s) {
    const BlockQ6_K& blk = blocks[s];
    float d = HalfToFloat(blk.d);
    int sums[16] = {};
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = blk.ql + 64 * h;
      const uint8_t* qh = blk.qh + 32 * h;
      const int8_t* x = a.qs + 256 * s + 128 * h;
      for (int l = 0; l < 32; ++l) {
        int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        int g = 8 * h + l / 16;
        sums[g] += q1 * x[l];
        sums[g + 2] += q2 * x[l + 32];
        sums[g + 4] += q3 * x[l + 64];
        sums[g + 6] += q4 * x[l + 96];
      }
    }
    for (int g = 0; g < 16; ++g) {
      total += d * blk.scales[g] * a.d[8 * s + g / 2] * static_cast<float>(sums[g]);
    }
  }
  return total;
}

float DotF32(const uint8_t* w, const uint8_t* act, int cols) {
  const auto* x = reinterpret_cast<const float*>(act);
  float total = 0;
  for (int i = 0; i < cols; ++i) {
    float v;
    std::memcpy(&v, w + 4 * i, 4);
    total += v * x[i];
  }
  return total;
}

float DotF16(const uint8_t* w, const uint8_t* act, int cols) {
  const auto* x = reinterpret_cast<const float*>(act);
  float total = 0;
  for (int i = 0; i < cols; ++i) {
    uint16_t h;
    std::memcpy(&h, w + 2 * i, 2);
    total += HalfToFloat(h) * x[i];
  }
  return total;
}

float DotBf16(const uint8_t* w, const uint8_t* act, int cols) {
  const auto* x = reinterpret_cast<const float*>(act);
  float total = 0;
  for (int i = 0; i < cols; ++i) {
    uint16_t h;
    std::memcpy(&h, w + 2 * i, 2);
    total += Bf16ToFloat(h) * x[i];
  }
  return total;
}

// Row i of a 16-row group of interleaved Q4_0 (kBits 4) or Q8_0 (8) (see kernels_impl.h)
// against one activation row.
template <int kBits>
float DotX16(const uint8_t* group, int i, const uint8_t* act, int cols) {
  constexpr size_t kTile = kBits == 4 ? kQ4_0x16TileBytes : kQ8_0x16TileBytes;
  ActQ8 a = ActRow(act, cols);
  float total = 0;
  for (int b = 0; b < cols / 32; ++b) {
    const uint8_t* tile = group + static_cast<size_t>(b) * kTile;
    int sum = 0;
    for (int e = 0; e < 32; ++e) {
      const int k = e / 4, j = e % 4;
      int q;
      if constexpr (kBits == 4) {
        const uint8_t byte = tile[32 + 64 * (k % 4) + 4 * i + j];
        q = (k < 4 ? (byte & 0xF) : (byte >> 4)) - 8;
      } else {
        q = tile[32 + 64 * k + 4 * i + j] - 128;
      }
      sum += q * a.qs[32 * b + e];
    }
    uint16_t d;
    std::memcpy(&d, tile + 2 * i, 2);
    total += HalfToFloat(d) * a.d[b] * static_cast<float>(sum);
  }
  return total;
}

// Row i of a 16-row group of interleaved Q4_K against one prepared activation row.
float DotQ4_Kx16(const uint8_t* group, int i, const uint8_t* act, int cols) {
  ActQ8 a = ActRow(act, cols);
  float total = 0;
  for (int s = 0; s < cols / 256; ++s) {
    const uint8_t* tile = group + static_cast<size_t>(s) * kQ4_Kx16TileBytes;
    uint16_t d, dmin;
    std::memcpy(&d, tile + 2 * i, 2);
    std::memcpy(&dmin, tile + 32 + 2 * i, 2);
    for (int j = 0; j < 8; ++j) {
      const int b = 8 * s + j;  // activation block
      const uint8_t* values = tile + kQ4_Kx16ValuesOffset + 256 * j;
      int sum = 0;
      for (int e = 0; e < 32; ++e) {
        const uint8_t byte = values[64 * (e / 4 % 4) + 4 * i + e % 4];
        sum += (e < 16 ? (byte & 0xF) : (byte >> 4)) * a.qs[32 * b + e];
      }
      const float scale = HalfToFloat(d) * tile[kQ4_Kx16ScalesOffset + 16 * j + i];
      const float min = HalfToFloat(dmin) * tile[kQ4_Kx16MinsOffset + 16 * j + i];
      total += scale * a.d[b] * static_cast<float>(sum) - min * a.dsum[b];
    }
  }
  return total;
}

// Row i of a 16-row group of interleaved Q6_K against one prepared activation row.
float DotQ6_Kx16(const uint8_t* group, int i, const uint8_t* act, int cols) {
  ActQ8 a = ActRow(act, cols);
  float total = 0;
  for (int s = 0; s < cols / 256; ++s) {
    const uint8_t* tile = group + static_cast<size_t>(s) * kQ6_Kx16TileBytes;
    uint16_t d;
    std::memcpy(&d, tile + 2 * i, 2);
    for (int j = 0; j < 8; ++j) {
      const int b = 8 * s + j;  // activation block
      const uint8_t* values = tile + kQ6_Kx16ValuesOffset + kQ6_Kx16SubBlockBytes * j;
      int sums[2] = {0, 0};
      for (int e = 0; e < 32; ++e) {
        const int m = e / 4 % 4, lane = 4 * i + e % 4;
        const uint8_t low = values[64 * m + lane];
        const uint8_t high = values[256 + (e < 16 ? 0 : 64) + lane];
        const int q = (e < 16 ? (low & 0xF) : (low >> 4)) | (((high >> (2 * m)) & 3) << 4);
        sums[e / 16] += (q - 32) * a.qs[32 * b + e];
      }
      for (int g = 0; g < 2; ++g) {
        const auto scale = static_cast<int8_t>(tile[kQ6_Kx16ScalesOffset + 16 * (2 * j + g) + i]);
        total += HalfToFloat(d) * scale * a.d[b] * static_cast<float>(sums[g]);
      }
    }
  }
  return total;
}

// Row i of a 16-row group of interleaved F16 against one row of float activations.
float DotF16x16(const uint8_t* group, int i, const uint8_t* act, int cols) {
  const float* x = reinterpret_cast<const float*>(act);
  float total = 0;
  for (int c = 0; c < cols; ++c) {
    uint16_t h;
    std::memcpy(&h, group + 32 * static_cast<size_t>(c) + 2 * i, 2);
    total += HalfToFloat(h) * x[c];
  }
  return total;
}

template <float (*Dot)(const uint8_t*, const uint8_t*, int)>
void Tile(const uint8_t* w, size_t w_row_bytes, int n_rows, const uint8_t* act,
          size_t act_row_bytes, int n_tok, int cols, float* y, size_t ldy) {
  for (int t = 0; t < n_tok; ++t) {
    for (int r = 0; r < n_rows; ++r) {
      y[t * ldy + r] = Dot(w + r * w_row_bytes, act + t * act_row_bytes, cols);
    }
  }
}

float PlainDot(const float* a, const float* b, int n) {
  float s = 0;
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void PlainAxpy(float alpha, const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] += alpha * x[i];
}

// One row of C at a time, 64 columns at a time, so B's rows are read in order.
void PlainGemmAcc(int M, int N, int K, const float* a, size_t a_k, size_t a_m, const float* b,
                  size_t ldb, float* c, size_t ldc) {
  constexpr int kCols = 64;
  float acc[kCols];
  for (int m = 0; m < M; ++m) {
    for (int j0 = 0; j0 < N; j0 += kCols) {
      const int width = std::min(kCols, N - j0);
      std::fill_n(acc, width, 0.0f);
      for (int k = 0; k < K; ++k) {
        const float av = a[k * a_k + m * a_m];
        const float* bk = b + k * ldb + j0;
        for (int j = 0; j < width; ++j) acc[j] += av * bk[j];
      }
      float* cr = c + m * ldc + j0;
      for (int j = 0; j < width; ++j) cr[j] += acc[j];
    }
  }
}

float Widen(float x) { return x; }
float Widen(uint16_t h) { return HalfToFloat(h); }

template <typename E>
void PlainScores(const float* q, const E* k, size_t stride, int n, int hd, float scale,
                 float* out) {
  for (int j = 0; j < n; ++j) {
    const E* kj = k + j * stride;
    float s = 0;
    for (int d = 0; d < hd; ++d) s += q[d] * Widen(kj[d]);
    out[j] = scale * s;
  }
}

void PlainSoftmax(float* x, int n) {
  float max = x[0];
  for (int j = 1; j < n; ++j) max = std::max(max, x[j]);
  double sum = 0;
  for (int j = 0; j < n; ++j) {
    x[j] = std::exp(x[j] - max);
    sum += x[j];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int j = 0; j < n; ++j) x[j] *= inv;
}

void PlainRmsNorm(const float* x, const float* w, int n, float eps, float* out) {
  double ss = 0;
  for (int i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / n + eps));
  for (int i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

void PlainSiluMul(float* gate, const float* up, int n) {
  for (int i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

template <typename E>
void PlainValues(const float* p, const E* v, size_t stride, int n, int hd, float* out) {
  for (int d = 0; d < hd; ++d) out[d] = 0;
  for (int j = 0; j < n; ++j) {
    const E* vj = v + j * stride;
    for (int d = 0; d < hd; ++d) out[d] += p[j] * Widen(vj[d]);
  }
}

void PlainToF16(const float* x, uint16_t* out, int n) {
  for (int i = 0; i < n; ++i) out[i] = FloatToHalf(x[i]);
}

}  // namespace

namespace {

template <float (*Dot)(const uint8_t*, int, const uint8_t*, int)>
void TileX16(const uint8_t* w, size_t w_row_bytes, int n_rows, const uint8_t* act,
             size_t act_row_bytes, int n_tok, int cols, float* y, size_t ldy) {
  for (int t = 0; t < n_tok; ++t) {
    for (int r = 0; r < n_rows; ++r) {
      const uint8_t* group = w + static_cast<size_t>(r / 16) * 16 * w_row_bytes;
      y[t * ldy + r] = Dot(group, r % 16, act + t * act_row_bytes, cols);
    }
  }
}

}  // namespace

void PortableTileQ8_0x16(const uint8_t* w, size_t w_row_bytes, int n_rows, const uint8_t* act,
                         size_t act_row_bytes, int n_tok, int cols, float* y, size_t ldy) {
  TileX16<DotX16<8>>(w, w_row_bytes, n_rows, act, act_row_bytes, n_tok, cols, y, ldy);
}

const KernelTable& PortableKernels() {
  static const KernelTable table = {
      Tile<DotF32>,
      Tile<DotF16>,
      Tile<DotBf16>,
      Tile<DotQ8_0>,
      Tile<DotQ4_0>,
      Tile<DotQ4_K>,
      Tile<DotQ6_K>,
      TileX16<DotX16<4>>,
      PortableTileQ8_0x16,
      TileX16<DotF16x16>,
      TileX16<DotQ4_Kx16>,
      TileX16<DotQ6_Kx16>,
      PrepQ8,
      PlainDot,
      PlainAxpy,
      PlainGemmAcc,
      ScoresHeadByHead<float, PlainScores<float>>,
      ValuesHeadByHead<float, PlainValues<float>>,
      ScoresHeadByHead<uint16_t, PlainScores<uint16_t>>,
      ValuesHeadByHead<uint16_t, PlainValues<uint16_t>>,
      PlainToF16,
      PlainSoftmax,
      PlainRmsNorm,
      PlainSiluMul,
  };
  return table;
}

}  // namespace pareto::inference::kernels_internal
