// Internal to the kernels: the prepared-activation layout and the per-instruction-set tables.
//
// This header is included by the instruction-set-specific files, which are compiled with
// extra -m flags. It must stay free of inline functions and templates: an inline function
// compiled there with AVX-512 could be the copy the linker keeps for the whole program and
// crash a CPU without it. Only plain declarations and constants live here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pareto::inference::kernels_internal {

// Prepared activations for quantized weights, one row per token, `cols` a multiple of 32:
//   int8  qs[cols]        the activations quantized per 32-element block: x ~ d * q
//   int32 lane4[cols/4]   sums of each run of 4 consecutive q (one SIMD dot-product lane)
//   float dvec[cols/4]    the block scale d repeated for each of the block's 8 lanes
//   float d[cols/32]      the block scales
//   float dsum[cols/32]   d * (sum of the block's q), for weight formats with minimums
//   int32 sum[cols/32]    sum of the block's q, for weight formats with an offset
// Offsets in bytes from the row start; rows are ActQ8RowBytes(cols) apart (64-aligned).
constexpr size_t ActQ8Lane4Offset(size_t cols) { return cols; }
constexpr size_t ActQ8DvecOffset(size_t cols) { return 2 * cols; }
constexpr size_t ActQ8DOffset(size_t cols) { return 3 * cols; }
constexpr size_t ActQ8DsumOffset(size_t cols) { return 3 * cols + cols / 8; }
constexpr size_t ActQ8SumOffset(size_t cols) { return 3 * cols + cols / 4; }
constexpr size_t ActQ8RowBytes(size_t cols) {
  return (3 * cols + cols / 4 + cols / 8 + 63) / 64 * 64;
}

// Row-interleaved Q4_0 (cols a multiple of 32): rows in groups of 16 (the last group padded
// with zero rows), each group a run of 288-byte tiles, one per 32-element block:
//   16 half-precision scales, row i's at bytes 2i;
//   4 vectors of 64 bytes: byte 4i + j of vector m holds, in its low nibble, value
//   4m + j of row i's block and, in its high nibble, value 4(m + 4) + j (offset by 8).
// Unpacking a vector gives, in each 32-bit lane i, four consecutive values of row i, so one
// dot-product instruction against four broadcast activation bytes advances 16 rows at once
// and the block scales apply to whole vectors of rows. A group takes 16 * 18 bytes per
// block, like 16 rows of Q4_0, so a row offset r (a multiple of 16) is r * row_bytes.
constexpr int kQ4_0x16Rows = 16;
constexpr size_t kQ4_0x16TileBytes = 288;

// Row-interleaved Q8_0, the same scheme with whole bytes: 16 rows per group, a 544-byte
// tile per block: the 16 half-precision scales, then 8 vectors of 64 bytes, byte 4i + j of
// vector m holding value 4m + j of row i's block plus 128 (an unsigned byte, as the
// dot-product instruction wants; the 128 is taken back out with the activations' block
// sums). 16 * 34 bytes per block, like 16 rows of Q8_0.
constexpr size_t kQ8_0x16TileBytes = 544;

// Row-interleaved Q4_K (cols a multiple of 256): 16 rows per group, a 2368-byte tile per
// 256-element super-block:
//   bytes 0-31 the 16 rows' half-precision d, 32-63 their dmin;
//   bytes 64 + 16j + i and 192 + 16j + i: row i's 6-bit scale and minimum of sub-block j;
//   from byte 320, 256 bytes per sub-block j as a Q4_0x16 tile's 4 vectors (value e of the
//   sub-block in a nibble of byte 4i + e % 4 of vector e / 4 % 4, high nibble for e >= 16).
// Row i's value e of sub-block j is d_i * scale_ij * q - dmin_i * min_ij. A group takes
// 16 * 148 bytes per super-block: the repacked matrix's row_bytes is 148 per 256 columns.
constexpr size_t kQ4_Kx16TileBytes = 2368;
constexpr size_t kQ4_Kx16ScalesOffset = 64;
constexpr size_t kQ4_Kx16MinsOffset = 192;
constexpr size_t kQ4_Kx16ValuesOffset = 320;

// Row-interleaved Q6_K (cols a multiple of 256): 16 rows per group, a 3360-byte tile per
// 256-element super-block (16 x 210 bytes, as in the file):
//   bytes 0-31 the 16 rows' half-precision d;
//   bytes 32 + 16g + i: row i's signed 8-bit scale of 16-value group g;
//   from byte 288, 384 bytes per 32-value sub-block j: the low 4 bits of its values as a
//   Q4_0x16 tile's 4 vectors, then two vectors of the high 2 bits: byte 4i + e % 4 of the
//   first holds, at bits 2m and 2m + 1, those of value 4m + e % 4 (m < 4) of row i, the
//   second those of value 16 + 4m + e % 4.
// Row i's value e of sub-block j is d_i * scale_ig * (q - 32), g = 2j + e / 16.
constexpr size_t kQ6_Kx16TileBytes = 3360;
constexpr size_t kQ6_Kx16ScalesOffset = 32;
constexpr size_t kQ6_Kx16ValuesOffset = 288;
constexpr size_t kQ6_Kx16SubBlockBytes = 384;

// Row-interleaved F16: 16 rows per group, column by column: bytes 32c .. 32c + 31 of a group
// hold column c of its 16 rows (row i's value at 32c + 2i), so one 32-byte load converts to
// a vector of 16 rows, multiplied by one broadcast activation per token. A group takes
// 16 * row_bytes.

// y[t * ldy + r] = dot(row r of the weights, activation row t) for r < n_rows, t < n_tok.
// `act` rows are `act_row_bytes` apart: prepared Q8 rows for quantized weights, plain
// floats for F32/F16/BF16 weights.
using TileFn = void (*)(const uint8_t* w, size_t w_row_bytes, int n_rows, const uint8_t* act,
                        size_t act_row_bytes, int n_tok, int cols, float* y, size_t ldy);
// Prepares one activation row of `cols` floats in the Q8 layout above.
using PrepFn = void (*)(const float* x, int cols, uint8_t* out);

struct KernelTable {
  TileFn f32;
  TileFn f16;
  TileFn bf16;
  TileFn q8_0;
  TileFn q4_0;
  TileFn q4_k;
  TileFn q6_k;
  TileFn q4_0x16;  // repacked Q4_0, 16 rows interleaved (`w` starts a row group)
  TileFn q8_0x16;  // repacked Q8_0, likewise
  TileFn f16x16;   // repacked F16, likewise
  TileFn q4_kx16;  // repacked Q4_K, likewise
  TileFn q6_kx16;  // repacked Q6_K, likewise
  PrepFn prep_q8;
  float (*dot_f32)(const float* a, const float* b, int n);
  void (*axpy_f32)(float alpha, const float* x, float* y, int n);
  // GemmAccumulateF32 (kernels.h).
  void (*gemm_acc_f32)(int M, int N, int K, const float* a, size_t a_k, size_t a_m, const float* b,
                       size_t ldb, float* c, size_t ldc);
  // AttentionScores, AttentionValues and Softmax (kernels.h).
  void (*attn_scores)(const float* q, int n_q, const float* k, size_t stride, int n, int hd,
                      float scale, float* out, size_t ld);
  void (*attn_values)(const float* p, size_t ld, int n_q, const float* v, size_t stride, int n,
                      int hd, float* out);
  void (*attn_scores_f16)(const float* q, int n_q, const uint16_t* k, size_t stride, int n,
                          int hd, float scale, float* out, size_t ld);
  void (*attn_values_f16)(const float* p, size_t ld, int n_q, const uint16_t* v, size_t stride,
                          int n, int hd, float* out);
  // FloatsToHalves (kernels.h).
  void (*to_f16)(const float* x, uint16_t* out, int n);
  void (*softmax)(float* x, int n);
  // out = x / sqrt(mean(x^2) + eps) * w, over n values.
  void (*rms_norm)(const float* x, const float* w, int n, float eps, float* out);
  // gate = silu(gate) * up, over n values.
  void (*silu_mul)(float* gate, const float* up, int n);
};

// The grouped attention kernels from one-head ones, a query head at a time; E is the cache's
// element (float, or uint16_t for half precision).
template <typename E, void (*One)(const float* q, const E* k, size_t stride, int n, int hd,
                                  float scale, float* out)>
void ScoresHeadByHead(const float* q, int n_q, const E* k, size_t stride, int n, int hd,
                      float scale, float* out, size_t ld) {
  for (int i = 0; i < n_q; ++i)
    One(q + static_cast<size_t>(i) * hd, k, stride, n, hd, scale, out + i * ld);
}
template <typename E,
          void (*One)(const float* p, const E* v, size_t stride, int n, int hd, float* out)>
void ValuesHeadByHead(const float* p, size_t ld, int n_q, const E* v, size_t stride, int n,
                      int hd, float* out) {
  for (int i = 0; i < n_q; ++i)
    One(p + i * ld, v, stride, n, hd, out + static_cast<size_t>(i) * hd);
}

// A 64-byte-aligned buffer of at least `bytes`, this thread's own, one per slot (0 to 3);
// what was written stays until the next call with that slot. For the kernel files, which
// must not instantiate library templates themselves (see above).
uint8_t* ThreadScratch(int slot, size_t bytes);

const KernelTable& PortableKernels();
// The portable tile for interleaved Q8_0, which AVX-512 without VNNI computes with too (it
// never chooses that layout; with VNNI it has its own).
void PortableTileQ8_0x16(const uint8_t* w, size_t w_row_bytes, int n_rows, const uint8_t* act,
                         size_t act_row_bytes, int n_tok, int cols, float* y, size_t ldy);
const KernelTable& Avx2Kernels();
const KernelTable& Avx512Kernels();
const KernelTable& Avx512VnniKernels();
// The VNNI table with the interleaved Q8_0 and Q4_0 kernels on AMX tiles (kernels_amx.cc).
const KernelTable& AmxKernels();

}  // namespace pareto::inference::kernels_internal
