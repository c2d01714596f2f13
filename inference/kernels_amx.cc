// AMX kernels (AMX-TILE and AMX-INT8, on top of AVX-512 VNNI), compiled with those flags for
// this file only: the interleaved Q8_0 and Q4_0 layouts (kernels_impl.h) against several
// tokens, where the vector kernels run out of multiply-add throughput. Fewer tokens (decoding
// one sequence: the weights' bytes are the limit, not arithmetic) go to the VNNI kernels.
//
// An interleaved block tile is already what the tile multiply wants of its second operand:
// 8 rows of 64 bytes, row m holding values 4m .. 4m + 3 of each of the 16 weight rows. So per
// 32-value block and group of 16 rows, one tile multiply takes up to 16 tokens' activation
// bytes (a tile of 32-byte rows, straight from the prepared activations) to 16 x 16 32-bit
// sums. Then each token's row of sums is converted, has the weights' offset (the 128 added to
// Q8_0's stored bytes, Q4_0's 8) taken out with the activations' block sum, and is scaled by
// (weight scales x its block scale) into a float accumulator: three vector instructions per
// token and block, where VNNI spends twelve. Q4_0's nibbles are unpacked to bytes by a group's
// first pass of tokens, and read so by the rest.
#if defined(__x86_64__)
#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "inference/kernels_impl.h"

namespace pareto::inference::kernels_internal {
namespace {

// The tile registers' shapes, set per thread with ldtilecfg (the layout the instruction reads).
struct TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

// Tiles 0 and 1 hold activations, 2 and 3 weights (alternate blocks), 4 to 7 sums (four
// blocks in flight: a block's multiply, its store and the loads that scale it are a long
// chain, and one block ahead left the kernel waiting on it).
constexpr int kFullTokens = 16;

// Sets this thread's tile shapes for passes of `tokens` tokens. The configuration stays with
// the thread, so it is loaded again only when the pass length changes.
void Configure(int tokens) {
  thread_local int configured = 0;
  if (configured == tokens) return;
  TileConfig c;
  for (int t = 0; t < 8; ++t) {
    c.rows[t] = static_cast<uint8_t>(t == 2 || t == 3 ? 8 : tokens);
    c.colsb[t] = t < 2 ? 32 : 64;
  }
  // (The compiler's _tile_loadconfig names only 8 bytes of the configuration as read, so the
  // rest of its stores may be dropped; this names all 64.)
  asm volatile("ldtilecfg %0" ::"m"(c));
  configured = tokens;
}

// Tokens below this many go to the VNNI kernels: at batch 8 from memory the tile kernels
// were slower (0.34B Q4_0 batch-8 decode 550 vs 790 tokens/s, Q8_0 level), at 128 tokens
// 3-8% faster (docs/inference.md, "AMX").
constexpr int kMinTokens = 16;

// The tile instructions, tile numbers as template arguments. (The compiler's own macros paste
// their arguments into the instruction text, so they take only literal numbers, and their
// loads do not tell the compiler they read memory: an unpacked buffer's stores could be
// dropped or moved past the load. These say so.)
template <int kTile>
inline void TileLoad(const void* base, size_t stride) {
  asm volatile("tileloadd (%0,%1,1), %%tmm%c2" ::"r"(base), "r"(stride), "i"(kTile) : "memory");
}
template <int kTile>
inline void TileStore(void* base, size_t stride) {
  asm volatile("tilestored %%tmm%c2, (%0,%1,1)" ::"r"(base), "r"(stride), "i"(kTile) : "memory");
}
template <int kTile>
inline void TileZero() {
  asm volatile("tilezero %%tmm%c0" ::"i"(kTile));
}
// C += A (signed bytes) x B (unsigned bytes), 4 products per 32-bit sum.
template <int kC, int kA, int kB>
inline void TileDpSU() {
  asm volatile("tdpbsud %%tmm%c0, %%tmm%c1, %%tmm%c2" ::"i"(kB), "i"(kA), "i"(kC));
}

// What a call's passes share: the activations (and their offset terms) and the output.
struct Call {
  const uint8_t* act;
  size_t act_row_bytes;
  int cols;
  int nb;            // 32-value blocks per row
  const float* off;  // off[t * nb + b] = -offset * (token t's block scale x block sum)
  float* y;
  size_t ldy;
};

// Interleaved Q8_0: the tile's weight bytes are the multiply's operand as they are.
struct Q8Source {
  static constexpr int kOffset = 128;
  const uint8_t* group;
  const uint8_t* Tile(int b) const { return group + static_cast<size_t>(b) * kQ8_0x16TileBytes; }
  // Block b's 8 x 64 weight bytes; `first` (the group's first pass, which reads it from
  // memory): fetch 8 blocks ahead.
  const void* Weights(int b, bool first) const {
    if (first) {
      for (size_t line = 0; line < (kQ8_0x16TileBytes + 63) / 64; ++line) {
        _mm_prefetch(reinterpret_cast<const char*>(Tile(b + 8) + 64 * line), _MM_HINT_T0);
      }
    }
    return Tile(b) + 32;
  }
};

// Interleaved Q4_0: the group's first pass unpacks each block's nibbles to bytes (low nibbles
// rows 0-3, high nibbles rows 4-7) into `unpacked`, which later passes read.
struct Q4Source {
  static constexpr int kOffset = 8;
  const uint8_t* group;
  uint8_t* unpacked;
  const uint8_t* Tile(int b) const { return group + static_cast<size_t>(b) * kQ4_0x16TileBytes; }
  const void* Weights(int b, bool first) const {
    uint8_t* out = unpacked + 512 * static_cast<size_t>(b);
    if (first) {
      const uint8_t* tile = Tile(b);
      for (size_t line = 0; line < (kQ4_0x16TileBytes + 63) / 64; ++line) {
        _mm_prefetch(reinterpret_cast<const char*>(Tile(b + 8) + 64 * line), _MM_HINT_T0);
      }
      const __m512i low4 = _mm512_set1_epi8(0x0F);
      for (int m = 0; m < 4; ++m) {
        const __m512i p = _mm512_loadu_si512(tile + 32 + 64 * m);
        _mm512_store_si512(out + 64 * m, _mm512_and_si512(p, low4));
        _mm512_store_si512(out + 64 * (m + 4), _mm512_and_si512(_mm512_srli_epi16(p, 4), low4));
      }
    }
    return out;
  }
};

// One pass: T tokens (from t0) against one group of 16 rows (r0; n_valid of them real).
template <int T, class Source>
class Pass {
 public:
  Pass(const Call& call, int t0, const Source& src, bool first)
      : c_(call), src_(src), first_(first), x_(call.act + static_cast<size_t>(t0) * call.act_row_bytes) {
    for (int t = 0; t < T; ++t) {
      xd_[t] = reinterpret_cast<const float*>(x_ + t * call.act_row_bytes + ActQ8DOffset(call.cols));
      off_[t] = call.off + static_cast<size_t>(t0 + t) * call.nb;
    }
  }

  void Run(int t0, int r0, int n_valid) {
    __m512 acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    const int nb = c_.nb;
    Dot<0>(0);
    Dot<1>(1);
    Dot<2>(2);
    for (int b = 0; b < nb; b += 4) {
      Dot<3>(b + 3);
      Scale(b, 0, acc);
      if (b + 1 >= nb) break;
      Dot<0>(b + 4);
      Scale(b + 1, 1, acc);
      if (b + 2 >= nb) break;
      Dot<1>(b + 5);
      Scale(b + 2, 2, acc);
      if (b + 3 >= nb) break;
      Dot<2>(b + 6);
      Scale(b + 3, 3, acc);
    }
    const __mmask16 keep = n_valid >= 16 ? static_cast<__mmask16>(0xFFFF)
                                         : static_cast<__mmask16>((1u << n_valid) - 1);
    for (int t = 0; t < T; ++t) _mm512_mask_storeu_ps(c_.y + (t0 + t) * c_.ldy + r0, keep, acc[t]);
  }

 private:
  // Block b's 32-bit sums (b % 4 == kSlot) into sums_[kSlot].
  template <int kSlot>
  void Dot(int b) {
    if (b >= c_.nb) return;
    constexpr int kA = kSlot % 2, kB = 2 + kSlot % 2, kC = 4 + kSlot;
    TileLoad<kB>(src_.Weights(b, first_), 64);
    TileLoad<kA>(x_ + 32 * static_cast<size_t>(b), c_.act_row_bytes);
    TileZero<kC>();
    TileDpSU<kC, kA, kB>();
    TileStore<kC>(sums_[kSlot], 64);
  }

  // acc[t] += weight scales x (x scale x sum - offset x x scale x activation sum): the sums
  // count the weights' stored offset, which the activations' block sums take back out.
  void Scale(int b, int slot, __m512 (&acc)[T]) {
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src_.Tile(b))));
    for (int t = 0; t < T; ++t) {
      const __m512 s = _mm512_cvtepi32_ps(_mm512_load_si512(sums_[slot] + 16 * t));
      const __m512 u = _mm512_fmadd_ps(s, _mm512_set1_ps(xd_[t][b]), _mm512_set1_ps(off_[t][b]));
      acc[t] = _mm512_fmadd_ps(u, dw, acc[t]);
    }
  }

  const Call& c_;
  const Source& src_;
  const bool first_;
  const uint8_t* x_;
  const float* xd_[T];
  const float* off_[T];
  alignas(64) int32_t sums_[4][16 * T];
};

// A pass of 1 to 16 tokens.
template <class Source>
void RunPass(int tokens, const Call& call, int t0, const Source& src, bool first, int r0,
             int n_valid) {
  Configure(tokens);
  switch (tokens) {
#define PARETO_AMX_PASS(T)                                  \
  case T:                                                   \
    Pass<T, Source>(call, t0, src, first).Run(t0, r0, n_valid); \
    break;
    PARETO_AMX_PASS(1)
    PARETO_AMX_PASS(2)
    PARETO_AMX_PASS(3)
    PARETO_AMX_PASS(4)
    PARETO_AMX_PASS(5)
    PARETO_AMX_PASS(6)
    PARETO_AMX_PASS(7)
    PARETO_AMX_PASS(8)
    PARETO_AMX_PASS(9)
    PARETO_AMX_PASS(10)
    PARETO_AMX_PASS(11)
    PARETO_AMX_PASS(12)
    PARETO_AMX_PASS(13)
    PARETO_AMX_PASS(14)
    PARETO_AMX_PASS(15)
    PARETO_AMX_PASS(16)
#undef PARETO_AMX_PASS
    default:
      break;
  }
}

// kBits 8 (Q8_0x16) or 4 (Q4_0x16).
template <int kBits>
void AmxTile(const uint8_t* w, size_t w_row_bytes, int n_rows, const uint8_t* act,
             size_t act_row_bytes, int n_tok, int cols, float* y, size_t ldy) {
  if (n_tok < kMinTokens) {
    const KernelTable& vnni = Avx512VnniKernels();
    (kBits == 8 ? vnni.q8_0x16 : vnni.q4_0x16)(w, w_row_bytes, n_rows, act, act_row_bytes, n_tok,
                                               cols, y, ldy);
    return;
  }
  using Source = std::conditional_t<kBits == 8, Q8Source, Q4Source>;
  const int nb = cols / 32;
  // The offset terms, once per call for every group.
  float* off = reinterpret_cast<float*>(ThreadScratch(0, sizeof(float) * n_tok * nb));
  for (int t = 0; t < n_tok; ++t) {
    const auto* dsum = reinterpret_cast<const float*>(act + t * act_row_bytes + ActQ8DsumOffset(cols));
    for (int b = 0; b < nb; ++b) off[static_cast<size_t>(t) * nb + b] = -Source::kOffset * dsum[b];
  }
  const Call call{act, act_row_bytes, cols, nb, off, y, ldy};
  uint8_t* unpacked = kBits == 4 ? ThreadScratch(1, static_cast<size_t>(nb) * 512) : nullptr;
  for (int r0 = 0; r0 < n_rows; r0 += 16) {
    const uint8_t* group = w + static_cast<size_t>(r0) * w_row_bytes;
    Source src;
    if constexpr (kBits == 8) {
      src = Source{group};
    } else {
      src = Source{group, unpacked};
    }
    const int n_valid = n_rows - r0 < 16 ? n_rows - r0 : 16;
    // Passes of 16 tokens and one of the rest.
    for (int t0 = 0; t0 < n_tok; t0 += kFullTokens) {
      const int tokens = n_tok - t0 < kFullTokens ? n_tok - t0 : kFullTokens;
      RunPass(tokens, call, t0, src, t0 == 0, r0, n_valid);
    }
  }
}

}  // namespace

const KernelTable& AmxKernels() {
  static const KernelTable table = [] {
    KernelTable t = Avx512VnniKernels();
    t.q8_0x16 = AmxTile<8>;
    t.q4_0x16 = AmxTile<4>;
    return t;
  }();
  return table;
}

}  // namespace pareto::inference::kernels_internal
#endif  // defined(__x86_64__)
