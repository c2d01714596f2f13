// AVX2 kernels (with FMA and F16C), compiled with those flags for this file only; chosen at
// run time when the CPU has them. Everything here has internal linkage (see kernels_impl.h).
//
// Integer dot products use vpmaddubsw (unsigned x signed bytes to 16-bit pairs) and vpmaddwd
// (to 32-bit lanes, each the sum over 4 consecutive elements). Weight formats with an
// offset (Q4_0's -8, Q6_K's -32) subtract offset * (lane sums of the activations), which the
// prepared activations carry, so the weights' raw unsigned values go straight in.
#if defined(__x86_64__)
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "inference/kernels_impl.h"

namespace pareto::inference::kernels_internal {
namespace {

#include "inference/kernels_tile.inc"

inline float Hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float Half(uint16_t h) { return _cvtsh_ss(h); }

// Software prefetch of the next row group's bytes at the same offset: rows are short
// streams read in lockstep, which the hardware prefetchers follow poorly.
inline void Prefetch(const uint8_t* p) {
  _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0);
}

inline uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// Sum over 4-element lanes of unsigned u times signed s (no saturation for |u*s| pairs
// below 2^15, which every caller guarantees).
inline __m256i DotLanes(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

struct ActView {
  const int8_t* qs;
  const int32_t* lane4;
  const float* dvec;
  const float* dsum;
};

template <int R, int T>
inline void Store(const TileArgs& a, int r0, int t0, __m256 (&acc)[R][T]) {
  for (int t = 0; t < T; ++t) {
    for (int r = 0; r < R; ++r) a.y[(t0 + t) * a.ldy + r0 + r] = Hsum(acc[r][t]);
  }
}

template <int R, int T>
inline void Zero(__m256 (&acc)[R][T]) {
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
  }
}

// What every quantized micro-kernel starts from: zeroed sums, its R weight rows and its T
// prepared activation rows.
template <int R, int T>
struct QTile {
  __m256 acc[R][T];
  const uint8_t* rows[R];
  ActView act[T];

  QTile(const TileArgs& a, int r0, int t0) {
    const size_t cols = static_cast<size_t>(a.cols);
    Zero(acc);
    for (int r = 0; r < R; ++r) rows[r] = a.w + (r0 + r) * a.w_row_bytes;
    for (int t = 0; t < T; ++t) {
      const uint8_t* row = a.act + static_cast<size_t>(t0 + t) * a.act_row_bytes;
      act[t] = {reinterpret_cast<const int8_t*>(row),
                reinterpret_cast<const int32_t*>(row + ActQ8Lane4Offset(cols)),
                reinterpret_cast<const float*>(row + ActQ8DvecOffset(cols)),
                reinterpret_cast<const float*>(row + ActQ8DsumOffset(cols))};
    }
  }
};

// How a block's 32 integer weights enter the dot product: signed bytes (Q8_0), unsigned
// values without offset (Q4_K, whose minimums are applied separately), or unsigned values
// with offset 8 (Q4_0) or 32 (Q6_K), removed as offset x (lane sums of the activations).
enum class Weights { kSigned, kUnsigned, kOffset8, kOffset32 };

// acc[r][t] += (block b of row r . block b of token t) x scale[r] x the token's block scale,
// for weights wq[r] laid out as the block's 32 values in order.
template <Weights kW, int R, int T>
inline void AddBlock(QTile<R, T>& tile, int b, const __m256i (&wq)[R], const __m256 (&scale)[R]) {
  for (int t = 0; t < T; ++t) {
    const ActView& act = tile.act[t];
    const __m256i x = _mm256_load_si256(reinterpret_cast<const __m256i*>(act.qs + 32 * b));
    const __m256 dx = _mm256_load_ps(act.dvec + 8 * b);
    __m256i bias = _mm256_setzero_si256();
    if constexpr (kW == Weights::kOffset8 || kW == Weights::kOffset32) {
      bias =
          _mm256_slli_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(act.lane4 + 8 * b)),
                            kW == Weights::kOffset8 ? 3 : 5);
    }
    for (int r = 0; r < R; ++r) {
      __m256i s;
      if constexpr (kW == Weights::kSigned) {
        // |w| against the activation with w's sign moved onto it.
        s = DotLanes(_mm256_sign_epi8(wq[r], wq[r]), _mm256_sign_epi8(x, wq[r]));
      } else if constexpr (kW == Weights::kUnsigned) {
        s = DotLanes(wq[r], x);
      } else {
        s = _mm256_sub_epi32(DotLanes(wq[r], x), bias);
      }
      tile.acc[r][t] =
          _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(scale[r], dx), tile.acc[r][t]);
    }
  }
}

// The formats of 32-element blocks, each a Load of block b of a row: its values (in
// order, as kW says) and its scale in every lane. `ahead` is the distance to prefetch.
struct Q8_0Format {
  static constexpr Weights kW = Weights::kSigned;
  explicit Q8_0Format(const TileArgs&) {}
  void Load(const uint8_t* row, int b, size_t ahead, __m256i* wq, __m256* dw) const {
    const uint8_t* blk = row + 34 * b;
    Prefetch(blk + ahead);
    *wq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
    *dw = _mm256_set1_ps(Half(Load16(blk)));
  }
};

struct Q4_0Format {
  static constexpr Weights kW = Weights::kOffset8;
  explicit Q4_0Format(const TileArgs&) {}
  void Load(const uint8_t* row, int b, size_t ahead, __m256i* wq, __m256* dw) const {
    const uint8_t* blk = row + 18 * b;
    Prefetch(blk + ahead);
    __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
    *wq = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0F));
    *dw = _mm256_set1_ps(Half(Load16(blk)));
  }
};

template <class Format>
struct BlockKernel {
  template <int R, int T>
  struct K {
    static void Run(const TileArgs& a, int r0, int t0) {
      QTile<R, T> tile(a, r0, t0);
      const Format format(a);
      const size_t ahead = R * a.w_row_bytes;
      const int nb = a.cols / 32;
      for (int b = 0; b < nb; ++b) {
        __m256i wq[R];
        __m256 dw[R];
        for (int r = 0; r < R; ++r) format.Load(tile.rows[r], b, ahead, &wq[r], &dw[r]);
        AddBlock<Format::kW>(tile, b, wq, dw);
      }
      Store(a, r0, t0, tile.acc);
    }
  };
};

template <int R, int T>
using Q8_0Kernel = BlockKernel<Q8_0Format>::K<R, T>;
template <int R, int T>
using Q4_0Kernel = BlockKernel<Q4_0Format>::K<R, T>;

// ---- The row-interleaved layouts (kernels_impl.h), eight rows to a vector ----
// A group's 16 rows are two halves of 8: bytes [32h, 32h + 32) of each 64-byte vector of a
// Q4_0, Q8_0, Q4_K or Q6_K tile (and bytes [16h, 16h + 16) of each F16 column) hold half h,
// so a 32-bit lane of a 256-bit vector is a row, as in the AVX-512 kernels' 512-bit ones.
// Each weight vector, loaded and unpacked once, serves T tokens.
inline __m256 Halves8(const uint8_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

inline __m256i Broadcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// Stores the first n (<= 8) lanes of v.
inline void StoreRows(float* y, __m256 v, int n) {
  if (n >= 8) {
    _mm256_storeu_ps(y, v);
  } else {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_maskstore_ps(y, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes), v);
  }
}

// Stores the sums of halves h0 .. h0 + H - 1 of a group (rows r0 + 8h0 on, n_valid rows
// in the group) for tokens t0 .. t0 + T - 1.
template <int H, int T>
inline void StoreHalves(const TileArgs& a, __m256 (&acc)[H][T], int h0, int n_valid, int r0,
                        int t0) {
  for (int h = 0; h < H; ++h) {
    const int half = h0 + h;
    for (int t = 0; t < T; ++t) {
      StoreRows(a.y + (t0 + t) * a.ldy + r0 + 8 * half, acc[h][t], n_valid - 8 * half);
    }
  }
}

// The pointers a micro-kernel reads of T prepared activation rows.
template <int T>
struct ActRows {
  const int8_t* q[T];
  const int32_t* lane4[T];
  const float* d[T];
  const float* dsum[T];
  ActRows(const TileArgs& a, int t0) {
    const size_t cols = static_cast<size_t>(a.cols);
    for (int t = 0; t < T; ++t) {
      const uint8_t* row = a.act + static_cast<size_t>(t0 + t) * a.act_row_bytes;
      q[t] = reinterpret_cast<const int8_t*>(row);
      lane4[t] = reinterpret_cast<const int32_t*>(row + ActQ8Lane4Offset(cols));
      d[t] = reinterpret_cast<const float*>(row + ActQ8DOffset(cols));
      dsum[t] = reinterpret_cast<const float*>(row + ActQ8DsumOffset(cols));
    }
  }
};

// The interleaved integer formats, as X8Micro reads them: a group is a run of tiles, each
// of kBlocks 32-value blocks; Values gives block j's vectors in its tile (four of 64 bytes,
// two values to a byte, for the nibble formats; eight of whole bytes for Q8_0) and Scales
// the block's per-row scale and minimum for 8 rows (value = scale x q - minimum).
struct Q4_0x16Format {
  static constexpr bool kNibbles = true;
  static constexpr size_t kTile = kQ4_0x16TileBytes;
  static constexpr int kBlocks = 1;
  static const uint8_t* Values(const uint8_t* tile, int) { return tile + 32; }
  static void Scales(const uint8_t* tile, int, int half, __m256* scale, __m256* min) {
    *scale = Halves8(tile + 16 * half);
    *min = _mm256_mul_ps(*scale, _mm256_set1_ps(8.0f));
  }
};

struct Q8_0x16Format {
  static constexpr bool kNibbles = false;
  static constexpr size_t kTile = kQ8_0x16TileBytes;
  static constexpr int kBlocks = 1;
  static const uint8_t* Values(const uint8_t* tile, int) { return tile + 32; }
  static void Scales(const uint8_t* tile, int, int half, __m256* scale, __m256* min) {
    *scale = Halves8(tile + 16 * half);
    *min = _mm256_setzero_ps();
  }
};

struct Q4_Kx16Format {
  static constexpr bool kNibbles = true;
  static constexpr size_t kTile = kQ4_Kx16TileBytes;
  static constexpr int kBlocks = 8;
  static const uint8_t* Values(const uint8_t* tile, int j) {
    return tile + kQ4_Kx16ValuesOffset + 256 * j;
  }
  static void Scales(const uint8_t* tile, int j, int half, __m256* scale, __m256* min) {
    auto bytes = [&](size_t offset) {
      return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
          _mm_loadl_epi64(reinterpret_cast<const __m128i*>(tile + offset + 16 * j + 8 * half))));
    };
    *scale = _mm256_mul_ps(Halves8(tile + 16 * half), bytes(kQ4_Kx16ScalesOffset));
    *min = _mm256_mul_ps(Halves8(tile + 32 + 16 * half), bytes(kQ4_Kx16MinsOffset));
  }
};

// Halves h0 .. h0 + H - 1 of a group against T tokens, in format F.
// Nibbles: a block's eight vectors unpacked into registers, then per token unsigned nibbles
// times signed activation bytes (vpmaddubsw), the eight products summed in 16 bits (at most
// 8 x 2 x 15 x 127 = 30480), the minimum (Q4_0's offset 8) taken back out with the block's
// activation sum in float. Q8_0 (stored plus 128): a vector at a time back to signed, then
// per token |w| against the activation with w's sign moved onto it, summed in 32 bits (two
// products of 127 x 127 already fill 16).
template <class F, int H, int T>
inline void X8Micro(const TileArgs& a, const uint8_t* group, int h0, bool prefetch, int n_valid,
                    int r0, int t0) {
  // About 2 KB ahead (8 Q4_0 tiles, 4 Q8_0 tiles), a block's share of the tiles at a time.
  constexpr size_t kBlockBytes = F::kTile / F::kBlocks;
  constexpr size_t kAhead = F::kNibbles ? 8 * kQ4_0x16TileBytes : 4 * kQ8_0x16TileBytes;
  __m256 acc[H][T];
  for (int h = 0; h < H; ++h) {
    for (int t = 0; t < T; ++t) acc[h][t] = _mm256_setzero_ps();
  }
  const ActRows<T> x(a, t0);
  const __m256i ones = _mm256_set1_epi16(1);
  const int nb = a.cols / 32;
  for (int b = 0; b < nb; ++b) {
    const uint8_t* tile = group + static_cast<size_t>(b / F::kBlocks) * F::kTile;
    const int j = b % F::kBlocks;
    if (prefetch) {
      const uint8_t* next = group + static_cast<size_t>(b) * kBlockBytes + kAhead;
      for (size_t line = 0; line < (kBlockBytes + 63) / 64; ++line) Prefetch(next + 64 * line);
    }
    for (int h = 0; h < H; ++h) {
      const int half = h0 + h;
      const uint8_t* values = F::Values(tile, j) + 32 * half;
      __m256i sum[T];
      if constexpr (F::kNibbles) {
        const __m256i low4 = _mm256_set1_epi8(0x0F);
        __m256i v[8];
        for (int m = 0; m < 4; ++m) {
          const __m256i p = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(values + 64 * m));
          v[m] = _mm256_and_si256(p, low4);
          v[m + 4] = _mm256_and_si256(_mm256_srli_epi16(p, 4), low4);
        }
        for (int t = 0; t < T; ++t) {
          const int8_t* xb = x.q[t] + 32 * b;
          __m256i s0 = _mm256_add_epi16(_mm256_maddubs_epi16(v[0], Broadcast4(xb)),
                                        _mm256_maddubs_epi16(v[4], Broadcast4(xb + 16)));
          __m256i s1 = _mm256_add_epi16(_mm256_maddubs_epi16(v[1], Broadcast4(xb + 4)),
                                        _mm256_maddubs_epi16(v[5], Broadcast4(xb + 20)));
          s0 = _mm256_add_epi16(s0, _mm256_maddubs_epi16(v[2], Broadcast4(xb + 8)));
          s1 = _mm256_add_epi16(s1, _mm256_maddubs_epi16(v[6], Broadcast4(xb + 24)));
          s0 = _mm256_add_epi16(s0, _mm256_maddubs_epi16(v[3], Broadcast4(xb + 12)));
          s1 = _mm256_add_epi16(s1, _mm256_maddubs_epi16(v[7], Broadcast4(xb + 28)));
          sum[t] = _mm256_add_epi16(s0, s1);
#if defined(__GNUC__)
          // Finish this token's sum before the next token's products: GCC otherwise computes
          // every token's 8 products first and spills them (kernels_bench MatMul64/Q4_0r 1.1x).
          asm volatile("" : "+x"(sum[t]));
#endif
        }
        for (int t = 0; t < T; ++t) sum[t] = _mm256_madd_epi16(sum[t], ones);
      } else {
        for (int m = 0; m < 8; ++m) {
          const __m256i w = _mm256_xor_si256(
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(values + 64 * m)),
              _mm256_set1_epi8(static_cast<char>(0x80)));
          const __m256i aw = _mm256_abs_epi8(w);
          for (int t = 0; t < T; ++t) {
            const __m256i xs = _mm256_sign_epi8(Broadcast4(x.q[t] + 32 * b + 4 * m), w);
            const __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(aw, xs), ones);
            sum[t] = m == 0 ? s : _mm256_add_epi32(sum[t], s);
          }
        }
      }
      __m256 scale, min;
      F::Scales(tile, j, half, &scale, &min);
      for (int t = 0; t < T; ++t) {
        acc[h][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[t]),
                                    _mm256_mul_ps(scale, _mm256_set1_ps(x.d[t][b])), acc[h][t]);
        if constexpr (F::kNibbles) {
          acc[h][t] = _mm256_fnmadd_ps(min, _mm256_set1_ps(x.dsum[t][b]), acc[h][t]);
        }
      }
    }
  }
  StoreHalves(a, acc, h0, n_valid, r0, t0);
}

// Interleaved Q6_K (kernels_impl.h): halves h0 .. h0 + H - 1 of a group against T tokens.
// A sub-block's 6-bit values come from its nibble vectors and its two vectors of high bits;
// unsigned times signed activation bytes, two products at a time summed in 16 bits (at most
// 2 x 2 x 63 x 127 = 32004), then in 32 bits per 16-value scale group, the offset 32 taken
// out as 32 x (the group's activation sum, from the prepared 4-value sums).
template <int H, int T>
inline void Q6_KX8Micro(const TileArgs& a, const uint8_t* group, int h0, bool prefetch, int n_valid,
                        int r0, int t0) {
  constexpr size_t kBlockBytes = kQ6_Kx16TileBytes / 8;
  __m256 acc[H][T];
  for (int h = 0; h < H; ++h) {
    for (int t = 0; t < T; ++t) acc[h][t] = _mm256_setzero_ps();
  }
  const ActRows<T> x(a, t0);
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i high2 = _mm256_set1_epi8(0x30);
  const int nb = a.cols / 32;
  for (int b = 0; b < nb; ++b) {
    const uint8_t* tile = group + static_cast<size_t>(b / 8) * kQ6_Kx16TileBytes;
    const int j = b % 8;
    if (prefetch) {
      const uint8_t* next = group + static_cast<size_t>(b) * kBlockBytes + 6 * kBlockBytes;
      for (size_t line = 0; line < (kBlockBytes + 63) / 64; ++line) Prefetch(next + 64 * line);
    }
    for (int h = 0; h < H; ++h) {
      const int half = h0 + h;
      const uint8_t* values = tile + kQ6_Kx16ValuesOffset + kQ6_Kx16SubBlockBytes * j + 32 * half;
      const __m256i ha = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(values + 256));
      const __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(values + 320));
      __m256i v[8];
      for (int m = 0; m < 4; ++m) {
        const __m256i p = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(values + 64 * m));
        // Bits 2m, 2m + 1 of the high-bit bytes to bits 4, 5.
        auto high = [&](__m256i hv) {
          return _mm256_and_si256(m < 2    ? _mm256_slli_epi16(hv, 4 - 2 * m)
                                  : m == 2 ? hv
                                           : _mm256_srli_epi16(hv, 2),
                                  high2);
        };
        v[m] = _mm256_or_si256(_mm256_and_si256(p, low4), high(ha));
        v[m + 4] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(p, 4), low4), high(hb));
      }
      __m256i sum_a[T], sum_b[T];
      for (int t = 0; t < T; ++t) {
        const int8_t* xb = x.q[t] + 32 * b;
        auto pair = [&](int m) {
          return _mm256_madd_epi16(
              _mm256_add_epi16(
                  _mm256_maddubs_epi16(v[m], Broadcast4(xb + 4 * (m % 4) + 16 * (m / 4))),
                  _mm256_maddubs_epi16(v[m + 1], Broadcast4(xb + 4 * (m % 4) + 4 + 16 * (m / 4)))),
              ones);
        };
        const int32_t* l4 = x.lane4[t] + 8 * b;
        const int32_t xa = l4[0] + l4[1] + l4[2] + l4[3], xb_sum = l4[4] + l4[5] + l4[6] + l4[7];
        sum_a[t] = _mm256_sub_epi32(_mm256_add_epi32(pair(0), pair(2)), _mm256_set1_epi32(32 * xa));
        sum_b[t] =
            _mm256_sub_epi32(_mm256_add_epi32(pair(4), pair(6)), _mm256_set1_epi32(32 * xb_sum));
#if defined(__GNUC__)
        asm volatile("" : "+x"(sum_a[t]), "+x"(sum_b[t]));  // as in X8Micro
#endif
      }
      const __m256 d = Halves8(tile + 16 * half);
      auto scale = [&](int g) {
        return _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(
                                    _mm_loadl_epi64(reinterpret_cast<const __m128i*>(
                                        tile + kQ6_Kx16ScalesOffset + 16 * g + 8 * half)))));
      };
      const __m256 scale_a = scale(2 * j), scale_b = scale(2 * j + 1);
      for (int t = 0; t < T; ++t) {
        const __m256 dx = _mm256_set1_ps(x.d[t][b]);
        acc[h][t] =
            _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum_a[t]), _mm256_mul_ps(scale_a, dx), acc[h][t]);
        acc[h][t] =
            _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum_b[t]), _mm256_mul_ps(scale_b, dx), acc[h][t]);
      }
    }
  }
  StoreHalves(a, acc, h0, n_valid, r0, t0);
}

// Interleaved F16: halves h0 .. h0 + H - 1 of a group against T tokens, a column at a time
// (one conversion of 8 half-precision values serves T multiply-adds against broadcast
// activations). Few tokens get several partial sums each (independent chains).
template <int H, int T>
inline void F16x8Micro(const TileArgs& a, const uint8_t* group, int h0, bool prefetch, int n_valid,
                       int r0, int t0) {
  constexpr int kSplit = H * T == 1 ? 4 : (H * T <= 3 ? 2 : 1);
  __m256 acc[H][T][kSplit];
  for (int h = 0; h < H; ++h) {
    for (int t = 0; t < T; ++t) {
      for (int s = 0; s < kSplit; ++s) acc[h][t][s] = _mm256_setzero_ps();
    }
  }
  const float* x[T];
  for (int t = 0; t < T; ++t) {
    x[t] = reinterpret_cast<const float*>(a.act + static_cast<size_t>(t0 + t) * a.act_row_bytes);
  }
  auto column = [&](int c, int s) {
    for (int h = 0; h < H; ++h) {
      const uint8_t* p = group + 32 * static_cast<size_t>(c) + 16 * (h0 + h);
      const __m256 w = Halves8(p);
      for (int t = 0; t < T; ++t) {
        acc[h][t][s] = _mm256_fmadd_ps(w, _mm256_set1_ps(x[t][c]), acc[h][t][s]);
      }
    }
  };
  int c = 0;
  for (; c + 4 <= a.cols; c += 4) {
    if (prefetch) {
      Prefetch(group + 32 * static_cast<size_t>(c) + 4096);
      Prefetch(group + 32 * static_cast<size_t>(c) + 4096 + 64);
    }
    for (int u = 0; u < 4; ++u) column(c + u, u % kSplit);
  }
  for (; c < a.cols; ++c) column(c, 0);
  for (int h = 0; h < H; ++h) {
    const int half = h0 + h;
    for (int t = 0; t < T; ++t) {
      __m256 sum = acc[h][t][0];
      for (int s = 1; s < kSplit; ++s) sum = _mm256_add_ps(sum, acc[h][t][s]);
      StoreRows(a.y + (t0 + t) * a.ldy + r0 + 8 * half, sum, n_valid - 8 * half);
    }
  }
}

// F: one of the integer formats above, Q6_Kx16Format, or void for F16.
struct Q6_Kx16Format {};

template <class F, int H, int T>
inline void X8(const TileArgs& a, const uint8_t* group, int h0, bool prefetch, int n_valid, int r0,
               int t0) {
  if constexpr (std::is_void_v<F>) {
    F16x8Micro<H, T>(a, group, h0, prefetch, n_valid, r0, t0);
  } else if constexpr (std::is_same_v<F, Q6_Kx16Format>) {
    Q6_KX8Micro<H, T>(a, group, h0, prefetch, n_valid, r0, t0);
  } else {
    X8Micro<F, H, T>(a, group, h0, prefetch, n_valid, r0, t0);
  }
}

template <class F, int H, int T>
void X8Tokens(const TileArgs& a, const uint8_t* group, int h0, bool prefetch, int n_valid, int r0,
              int t0, int nt) {
  if constexpr (T > 1) {
    if (nt < T) {
      X8Tokens<F, H, T - 1>(a, group, h0, prefetch, n_valid, r0, t0, nt);
      return;
    }
  }
  X8<F, H, T>(a, group, h0, prefetch, n_valid, r0, t0);
}

// One token: both halves in one pass (each line of the group read once, from memory).
// Several tokens: F16 takes both halves against up to 6 tokens at a time (two conversions
// and six broadcasts serve 12 multiply-adds); the quantized types, whose unpacked weights
// fill half the registers, a half at a time against up to 4 tokens. The tokens are split
// into passes of nearly equal size (8 as 4 + 4, not 6 + 2); a group's later passes find it
// in the cache.
template <class F>
void TileX8(const uint8_t* w, size_t w_row_bytes, int n_rows, const uint8_t* act,
            size_t act_row_bytes, int n_tok, int cols, float* y, size_t ldy) {
  TileArgs a{w, w_row_bytes, act, act_row_bytes, cols, y, ldy};
  constexpr int kHalves = std::is_void_v<F> ? 2 : 1;
  constexpr int kTokens = std::is_void_v<F> ? 5 : 6;
  const int passes = (n_tok + kTokens - 1) / kTokens;
  for (int r0 = 0; r0 < n_rows; r0 += 16) {
    const uint8_t* group = w + static_cast<size_t>(r0) * w_row_bytes;
    const int n_valid = MinInt(16, n_rows - r0);
    if (n_tok == 1) {
      X8<F, 2, 1>(a, group, 0, true, n_valid, r0, 0);
      continue;
    }
    for (int h = 0; h < 2 && 8 * h < n_valid; h += kHalves) {
      for (int p = 0, t = 0; p < passes; ++p) {
        const int nt = (n_tok - t) / (passes - p);
        X8Tokens<F, kHalves, kTokens>(a, group, h, h == 0 && t == 0, n_valid, r0, t, nt);
        t += nt;
      }
    }
  }
}

// The eight 6-bit scales and minimums of a Q4_K block, unpacked to bytes.
inline void UnpackQ4K(const uint8_t* q, uint8_t* sc, uint8_t* mn) {
  uint32_t w0, w1, w2;
  std::memcpy(&w0, q, 4);
  std::memcpy(&w1, q + 4, 4);
  std::memcpy(&w2, q + 8, 4);
  uint32_t s_lo = w0 & 0x3F3F3F3F;
  uint32_t m_lo = w1 & 0x3F3F3F3F;
  uint32_t s_hi = (w2 & 0x0F0F0F0F) | (((w0 >> 6) & 0x03030303) << 4);
  uint32_t m_hi = ((w2 >> 4) & 0x0F0F0F0F) | (((w1 >> 6) & 0x03030303) << 4);
  std::memcpy(sc, &s_lo, 4);
  std::memcpy(sc + 4, &s_hi, 4);
  std::memcpy(mn, &m_lo, 4);
  std::memcpy(mn + 4, &m_hi, 4);
}

inline __m256 BytesToFloats(const uint8_t* p) {
  return _mm256_cvtepi32_ps(
      _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

// ---- Q4_K: 256-element blocks of eight 32-element sub-blocks, scale and minimum each ----
template <int R, int T>
struct Q4_KKernel {
  static void Run(const TileArgs& a, int r0, int t0) {
    QTile<R, T> tile(a, r0, t0);
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const int ns = a.cols / 256;
    for (int s = 0; s < ns; ++s) {
      __m256 ws[R], wm[R];
      for (int r = 0; r < R; ++r) {
        const uint8_t* blk = tile.rows[r] + 144 * s;
        uint8_t sc[8], mn[8];
        UnpackQ4K(blk + 4, sc, mn);
        ws[r] = _mm256_mul_ps(_mm256_set1_ps(Half(Load16(blk))), BytesToFloats(sc));
        wm[r] = _mm256_mul_ps(_mm256_set1_ps(Half(Load16(blk + 2))), BytesToFloats(mn));
      }
      // Minimums: - sum_j dmin*m_j * d_j*sum(q_j), one vector op per pair and block.
      for (int t = 0; t < T; ++t) {
        __m256 ds = _mm256_loadu_ps(tile.act[t].dsum + 8 * s);
        for (int r = 0; r < R; ++r) tile.acc[r][t] = _mm256_fnmadd_ps(wm[r], ds, tile.acc[r][t]);
      }
      for (int j = 0; j < 8; ++j) {
        __m256i wq[R];
        __m256 wsj[R];
        const __m256i idx = _mm256_set1_epi32(j);
        for (int r = 0; r < R; ++r) {
          const uint8_t* qs = tile.rows[r] + 144 * s + 16 + 32 * (j / 2);
          if (j % 2 == 0) Prefetch(qs + R * a.w_row_bytes);
          __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs));
          wq[r] = _mm256_and_si256(j % 2 ? _mm256_srli_epi16(q, 4) : q, low4);
          wsj[r] = _mm256_permutevar8x32_ps(ws[r], idx);
        }
        AddBlock<Weights::kUnsigned>(tile, 8 * s + j, wq, wsj);
      }
    }
    Store(a, r0, t0, tile.acc);
  }
};

// ---- Q6_K: 256-element blocks, 6-bit values offset 32, a signed 8-bit scale per 16 ----
template <int R, int T>
struct Q6_KKernel {
  static void Run(const TileArgs& a, int r0, int t0) {
    QTile<R, T> tile(a, r0, t0);
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const __m256i two = _mm256_set1_epi8(0x03);
    const int ns = a.cols / 256;
    for (int s = 0; s < ns; ++s) {
      float scales[R][16];
      for (int r = 0; r < R; ++r) {
        const uint8_t* blk = tile.rows[r] + 210 * s;
        float d = Half(Load16(blk + 208));
        const auto* sc = reinterpret_cast<const int8_t*>(blk + 192);
        for (int g = 0; g < 16; ++g) scales[r][g] = d * sc[g];
      }
      for (int h = 0; h < 2; ++h) {
        for (int k = 0; k < 4; ++k) {
          __m256i wq[R];
          __m256 ws[R];
          for (int r = 0; r < R; ++r) {
            const uint8_t* blk = tile.rows[r] + 210 * s;
            Prefetch(blk + 64 * h + 32 * k + R * a.w_row_bytes);
            __m256i ql =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 64 * h + 32 * (k & 1)));
            __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 128 + 32 * h));
            __m256i lo = _mm256_and_si256(k >> 1 ? _mm256_srli_epi16(ql, 4) : ql, low4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), two);
            wq[r] = _mm256_or_si256(lo, _mm256_slli_epi16(hi, 4));
            int g = 8 * h + 2 * k;  // this 32-element run covers groups g and g+1
            ws[r] = _mm256_set_m128(_mm_set1_ps(scales[r][g + 1]), _mm_set1_ps(scales[r][g]));
          }
          AddBlock<Weights::kOffset32>(tile, 8 * s + 4 * h + k, wq, ws);
        }
      }
    }
    Store(a, r0, t0, tile.acc);
  }
};

// ---- Float weights: F32, F16, BF16 against float activations ----
enum class FloatKind { kF32, kF16, kBf16 };

template <FloatKind kKind>
inline __m256 LoadW8(const uint8_t* row, int c) {
  if constexpr (kKind == FloatKind::kF32) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + c);
  } else if constexpr (kKind == FloatKind::kF16) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * c)));
  } else {
    __m256i v =
        _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * c)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
  }
}

template <FloatKind kKind>
inline float LoadW1(const uint8_t* row, int c) {
  if constexpr (kKind == FloatKind::kF32) {
    float v;
    std::memcpy(&v, row + 4 * c, 4);
    return v;
  } else if constexpr (kKind == FloatKind::kF16) {
    return Half(Load16(row + 2 * c));
  } else {
    uint32_t bits = static_cast<uint32_t>(Load16(row + 2 * c)) << 16;
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
  }
}

template <FloatKind kKind>
struct FloatKernel {
  static constexpr int kBytes = kKind == FloatKind::kF32 ? 4 : 2;
  template <int R, int T>
  struct K {
    static void Run(const TileArgs& a, int r0, int t0) {
      __m256 acc[R][T];
      Zero(acc);
      const uint8_t* rows[R];
      for (int r = 0; r < R; ++r) rows[r] = a.w + (r0 + r) * a.w_row_bytes;
      const float* x[T];
      for (int t = 0; t < T; ++t) {
        x[t] = reinterpret_cast<const float*>(a.act + (t0 + t) * a.act_row_bytes);
      }
      int c = 0;
      for (; c + 8 <= a.cols; c += 8) {
        __m256 wv[R];
        for (int r = 0; r < R; ++r) {
          if (c % 32 == 0) Prefetch(rows[r] + c * kBytes + R * a.w_row_bytes);
          wv[r] = LoadW8<kKind>(rows[r], c);
        }
        for (int t = 0; t < T; ++t) {
          __m256 xv = _mm256_loadu_ps(x[t] + c);
          for (int r = 0; r < R; ++r) acc[r][t] = _mm256_fmadd_ps(wv[r], xv, acc[r][t]);
        }
      }
      for (int t = 0; t < T; ++t) {
        for (int r = 0; r < R; ++r) {
          float sum = Hsum(acc[r][t]);
          for (int cc = c; cc < a.cols; ++cc) sum += LoadW1<kKind>(rows[r], cc) * x[t][cc];
          a.y[(t0 + t) * a.ldy + r0 + r] = sum;
        }
      }
    }
  };
};

template <int R, int T>
using F32Kernel = FloatKernel<FloatKind::kF32>::K<R, T>;
template <int R, int T>
using F16Kernel = FloatKernel<FloatKind::kF16>::K<R, T>;
template <int R, int T>
using Bf16Kernel = FloatKernel<FloatKind::kBf16>::K<R, T>;

// ---- Activation preparation ----
void PrepQ8(const float* x, int cols, uint8_t* out) {
  auto* qs = reinterpret_cast<int8_t*>(out);
  auto* lane4 = reinterpret_cast<int32_t*>(out + ActQ8Lane4Offset(cols));
  auto* dvec = reinterpret_cast<float*>(out + ActQ8DvecOffset(cols));
  auto* dd = reinterpret_cast<float*>(out + ActQ8DOffset(cols));
  auto* dsum = reinterpret_cast<float*>(out + ActQ8DsumOffset(cols));
  auto* sums = reinterpret_cast<int32_t*>(out + ActQ8SumOffset(cols));
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  for (int b = 0; b < cols / 32; ++b) {
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int i = 0; i < 4; ++i) {
      v[i] = _mm256_loadu_ps(x + 32 * b + 8 * i);
      amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign_mask, v[i]));
    }
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    float max = _mm_cvtss_f32(m);
    float d = max / 127.0f;
    __m256 inv = _mm256_set1_ps(max > 0 ? 127.0f / max : 0.0f);
    __m256i q[4];
    for (int i = 0; i < 4; ++i) {
      // Round to nearest even, as lrintf does in the portable kernels.
      q[i] = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], inv));
    }
    // Pack 32-bit to 8-bit; packs interleave 128-bit halves, a permute restores order.
    __m256i p01 = _mm256_packs_epi32(q[0], q[1]);
    __m256i p23 = _mm256_packs_epi32(q[2], q[3]);
    __m256i p = _mm256_packs_epi16(p01, p23);
    p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs + 32 * b), p);
    __m256i l4 = DotLanes(_mm256_set1_epi8(1), p);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(lane4 + 8 * b), l4);
    _mm256_storeu_ps(dvec + 8 * b, _mm256_set1_ps(d));
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(l4), _mm256_extracti128_si256(l4, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    dd[b] = d;
    sums[b] = _mm_cvtsi128_si32(s);
    dsum[b] = d * static_cast<float>(sums[b]);
  }
}

// Loads of 8 floats from a float or half-precision array, and one element widened.
__m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
__m256 Load8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
float Widen(float x) { return x; }
float Widen(uint16_t h) { return _cvtsh_ss(h); }

template <typename E>
float Dot(const float* a, const E* b, int n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), Load8(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), Load8(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), Load8(b + i), acc0);
  float s = Hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += a[i] * Widen(b[i]);
  return s;
}

void ToF16(const float* x, uint16_t* out, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i) out[i] = _cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT);
}

void Axpy(float alpha, const float* x, float* y, int n) {
  __m256 av = _mm256_set1_ps(alpha);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += alpha * x[i];
}

// GemmAccumulateF32 for R rows of C from m0: 16 columns (two vectors) at a time, then the
// rest one by one; each k broadcasts A(k, m) against B's row k.
template <int R>
void GemmAccRows(int m0, int N, int K, const float* a, size_t a_k, size_t a_m, const float* b,
                 size_t ldb, float* c, size_t ldc) {
  int j = 0;
  for (; j + 16 <= N; j += 16) {
    __m256 acc[R][2];
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int k = 0; k < K; ++k) {
      const float* bk = b + k * ldb + j;
      const __m256 b0 = _mm256_loadu_ps(bk), b1 = _mm256_loadu_ps(bk + 8);
      const float* ak = a + k * a_k + m0 * a_m;
      for (int r = 0; r < R; ++r) {
        const __m256 av = _mm256_set1_ps(ak[r * a_m]);
        acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
      }
    }
    for (int r = 0; r < R; ++r) {
      float* cr = c + (m0 + r) * ldc + j;
      _mm256_storeu_ps(cr, _mm256_add_ps(_mm256_loadu_ps(cr), acc[r][0]));
      _mm256_storeu_ps(cr + 8, _mm256_add_ps(_mm256_loadu_ps(cr + 8), acc[r][1]));
    }
  }
  for (; j < N; ++j) {
    for (int r = 0; r < R; ++r) {
      float sum = 0;
      for (int k = 0; k < K; ++k) sum += a[k * a_k + (m0 + r) * a_m] * b[k * ldb + j];
      c[(m0 + r) * ldc + j] += sum;
    }
  }
}

void GemmAcc(int M, int N, int K, const float* a, size_t a_k, size_t a_m, const float* b,
             size_t ldb, float* c, size_t ldc) {
  int m = 0;
  for (; m + 4 <= M; m += 4) GemmAccRows<4>(m, N, K, a, a_k, a_m, b, ldb, c, ldc);
  for (; m < M; ++m) GemmAccRows<1>(m, N, K, a, a_k, a_m, b, ldb, c, ldc);
}

template <typename E>
void Scores(const float* q, const E* k, size_t stride, int n, int hd, float scale, float* out) {
  for (int j = 0; j < n; ++j) out[j] = scale * Dot(q, k + j * stride, hd);
}

template <typename E>
void Values(const float* p, const E* v, size_t stride, int n, int hd, float* out) {
  int d = 0;
  // 32 floats of the output at a time in four registers (four independent sums), then 8.
  for (; d + 32 <= hd; d += 32) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                     _mm256_setzero_ps()};
    for (int j = 0; j < n; ++j) {
      const __m256 pj = _mm256_set1_ps(p[j]);
      const E* vj = v + j * stride + d;
      for (int c = 0; c < 4; ++c) acc[c] = _mm256_fmadd_ps(pj, Load8(vj + 8 * c), acc[c]);
    }
    for (int c = 0; c < 4; ++c) _mm256_storeu_ps(out + d + 8 * c, acc[c]);
  }
  for (; d + 8 <= hd; d += 8) {
    __m256 acc = _mm256_setzero_ps();
    for (int j = 0; j < n; ++j) {
      acc = _mm256_fmadd_ps(_mm256_set1_ps(p[j]), Load8(v + j * stride + d), acc);
    }
    _mm256_storeu_ps(out + d, acc);
  }
  for (; d < hd; ++d) {
    float s = 0;
    for (int j = 0; j < n; ++j) s += p[j] * Widen(v[j * stride + d]);
    out[d] = s;
  }
}

// e^x for x in [-87, 87] (clamped): 2^(x log2 e) as 2^n * 2^f, |f| <= 1/2, with 2^f from
// its Taylor polynomial to degree 6 (relative error about 1e-7).
inline __m256 Exp(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(87.0f));
  const __m256 t = _mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f));
  const __m256 n = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256 f = _mm256_sub_ps(t, n);
  __m256 p = _mm256_set1_ps(1.540353e-4f);
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.333356e-3f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(9.618129e-3f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.550411e-2f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(2.402265e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(6.931472e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_cvtps_epi32(n), 23);
  return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), bits));
}

void SoftmaxV(float* x, int n) {
  int i = 0;
  __m256 mv = _mm256_set1_ps(-INFINITY);
  for (; i + 8 <= n; i += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(x + i));
  float lanes[8];
  _mm256_storeu_ps(lanes, mv);
  float max = lanes[0];
  for (int l = 1; l < 8; ++l) max = std::max(max, lanes[l]);
  for (; i < n; ++i) max = std::max(max, x[i]);
  const __m256 m = _mm256_set1_ps(max);
  __m256 sv = _mm256_setzero_ps();
  i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = Exp(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
    _mm256_storeu_ps(x + i, e);
    sv = _mm256_add_ps(sv, e);
  }
  double sum = Hsum(sv);
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  const __m256 iv = _mm256_set1_ps(inv);
  i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), iv));
  for (; i < n; ++i) x[i] *= inv;
}

void SiluMulV(float* gate, const float* up, int n) {
  int i = 0;
  const __m256 one = _mm256_set1_ps(1.0f);
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = Exp(_mm256_sub_ps(_mm256_setzero_ps(), g));
    _mm256_storeu_ps(
        gate + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void RmsNormV(const float* x, const float* w, int n, float eps, float* out) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
    acc0 = _mm256_fmadd_ps(a, a, acc0);
    acc1 = _mm256_fmadd_ps(b, b, acc1);
  }
  double ss = Hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const __m256 scale = _mm256_set1_ps(static_cast<float>(1.0 / std::sqrt(ss / n + eps)));
  i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), scale),
                                            _mm256_loadu_ps(w + i)));
  }
  const float s = _mm256_cvtss_f32(scale);
  for (; i < n; ++i) out[i] = x[i] * s * w[i];
}

}  // namespace

const KernelTable& Avx2Kernels() {
  static const KernelTable table = {
      TileLoop<F32Kernel, 4, 4, 2>,
      TileLoop<F16Kernel, 4, 4, 2>,
      TileLoop<Bf16Kernel, 4, 4, 2>,
      TileLoop<Q8_0Kernel, 4, 2, 2>,
      TileLoop<Q4_0Kernel, 4, 2, 2>,
      TileLoop<Q4_KKernel, 4, 2, 2>,
      TileLoop<Q6_KKernel, 4, 2, 2>,
      TileX8<Q4_0x16Format>,
      TileX8<Q8_0x16Format>,
      TileX8<void>,
      TileX8<Q4_Kx16Format>,
      TileX8<Q6_Kx16Format>,
      PrepQ8,
      Dot<float>,
      Axpy,
      GemmAcc,
      ScoresHeadByHead<float, Scores<float>>,
      ValuesHeadByHead<float, Values<float>>,
      ScoresHeadByHead<uint16_t, Scores<uint16_t>>,
      ValuesHeadByHead<uint16_t, Values<uint16_t>>,
      ToF16,
      SoftmaxV,
      RmsNormV,
      SiluMulV,
  };
  return table;
}

}  // namespace pareto::inference::kernels_internal
#endif  // defined(__x86_64__)
