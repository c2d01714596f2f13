// Matrix kernels: y = W x for every supported weight type, on the instruction set the CPU has.
//
// Weights stay in their file format (a row-major matrix, each row a whole number of blocks).
// Activations are prepared once per call in the format the weight type dots against: float
// for F32/F16/BF16 weights; for the quantized types, 8-bit integers per 32-element block with
// a float scale (our own layout, with per-lane sums that let the integer dot products absorb
// the weight formats' offsets). The tile kernels then compute many rows against many tokens
// at a time, so a weight block loaded once serves every token of a prefill.
//
// Three implementations of the same kernels exist: portable C++, AVX2 (+FMA, F16C) and
// AVX-512 (F, BW, VL, DQ; with VNNI's dot-product instruction when present; with AMX's tile
// multiply for interleaved Q8_0 and Q4_0 against several tokens). DetectIsa()
// picks the best the CPU supports at run time; the binary itself assumes only x86-64 (or any
// CPU, for the portable path), so it runs everywhere and is fast where it can be.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "inference/tensor_type.h"
#include "inference/thread_pool.h"

namespace pareto::inference {

// kAmx: AVX-512 VNNI plus the AMX tile multiply (AMX-TILE, AMX-INT8), which the OS must
// grant the process (DetectIsa asks for it).
enum class Isa { kPortable, kAvx2, kAvx512, kAvx512Vnni, kAmx };

std::string IsaName(Isa isa);
// The best instruction set this CPU (and OS) supports.
Isa DetectIsa();
// Every instruction set usable here, from kPortable up (for tests and benchmarks).
std::vector<Isa> AvailableIsas();

// How a matrix's bytes are laid out: as in the file, or repacked at load (Repack).
enum class WeightLayout {
  kFile,
  kQ4_0x16,  // Q4_0, 16 rows interleaved so that SIMD lanes are rows
  kQ8_0x16,  // Q8_0, likewise
  kF16x16,   // F16, 16 rows interleaved column by column
  kQ4_Kx16,  // Q4_K, 16 rows interleaved, scales unpacked to bytes
  kQ6_Kx16,  // Q6_K, 16 rows interleaved
};

// A weight matrix: `rows` rows of `cols` elements, `row_bytes` apart (interleaved: a
// group of 16 rows takes 16 * row_bytes), in file format or repacked.
struct WeightMatrix {
  TensorType type = TensorType::kF32;
  const uint8_t* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t row_bytes = 0;
  WeightLayout layout = WeightLayout::kFile;
};

// A copy of `w` in the layout `isa` reads fastest, written into `storage` (which must
// outlive the returned matrix); nullopt where there is none. For AVX2, AVX-512 and AMX,
// Q4_0, Q8_0 (on AVX-512 only with VNNI), F16, Q4_K and Q6_K get 16 rows interleaved so
// that each SIMD lane computes a different row (no horizontal sums; block scales apply to 8
// or 16 rows at once) and a group of rows is one sequential stream; the portable kernels
// read the file layout.
// Every instruction set computes with every layout and gets the same results.
std::optional<WeightMatrix> Repack(const WeightMatrix& w, std::vector<uint8_t>& storage, Isa isa);

// Scratch for prepared activations, reused across calls to avoid allocation per matmul.
struct MatMulScratch {
  std::vector<uint8_t> activations;
};

// y[t * rows + r] = sum_c W[r][c] * x[t * cols + c] for t < n_tokens, r < rows.
// Runs on `pool` (which may be null: the calling thread only). W's type must be compute
// supported and cols a whole number of its blocks (the model loader checks both).
void MatMul(Isa isa, const WeightMatrix& w, const float* x, int n_tokens, float* y,
            MatMulScratch& scratch, ThreadPool* pool);

// Same as MatMul but for a row range [row_begin, row_end) only, writing y[t * ldy + r - row_begin].
// Used to compute a few rows (the logits of a subset of tokens, one output head slice).
void MatMulRows(Isa isa, const WeightMatrix& w, int64_t row_begin, int64_t row_end, const float* x,
                int n_tokens, float* y, size_t ldy, MatMulScratch& scratch, ThreadPool* pool);

// One product of MatMulShared: y = W x, y holding n_tokens rows of W's rows floats.
struct MatMulJob {
  const WeightMatrix* w;
  float* y;
};

// Every job's product with the same activations x (the attention's q, k and v; the
// feed-forward's gate and up): the activations are prepared once and all the rows of all
// the matrices are shared out in one parallel loop, so the threads meet once instead of
// once per matrix. The same results as one MatMul per job.
void MatMulShared(Isa isa, std::span<const MatMulJob> jobs, const float* x, int n_tokens,
                  MatMulScratch& scratch, ThreadPool* pool);

// Dot product of float vectors with the ISA's kernels (attention scores and sums).
float DotF32(Isa isa, const float* a, const float* b, int n);
// y += alpha * x.
void AxpyF32(Isa isa, float alpha, const float* x, float* y, int n);

// C[m][j] += sum over k < K of A(k, m) * B[k][j], for m < M and j < N, where
// A(k, m) = a[k * a_k + m * a_m] (any strides: the trainer reads one activation matrix
// both ways) and B, C are row-major, ldb and ldc floats per row. Each element's sum runs
// over k in order and is added to C once, on every instruction set (results differ between
// instruction sets only by rounding). Used by the trainer's backward pass (dx = dy W,
// dW += dy^T x), where the contraction is short and a dot-product kernel would spend its
// time reducing.
void GemmAccumulateF32(Isa isa, int M, int N, int K, const float* a, size_t a_k, size_t a_m,
                       const float* b, size_t ldb, float* c, size_t ldc);

// Attention of n_q query heads that share one key/value head (grouped-query attention)
// over n cached positions `stride` floats apart, vectors of hd floats; query head i at
// q + i * hd, its row of scores at scores + i * ld:
//   AttentionScores: scores[i * ld + j] = scale * q_i . k_j,
//   AttentionValues: out + i * hd = sum over j of p[i * ld + j] * v_j.
// One call per token and key/value head: each key and value is read once for the group,
// and the queries and sums stay in registers.
void AttentionScores(Isa isa, const float* q, int n_q, const float* k, size_t stride, int n, int hd,
                     float scale, float* scores, size_t ld);
void AttentionValues(Isa isa, const float* p, size_t ld, int n_q, const float* v, size_t stride,
                     int n, int hd, float* out);
// The same over a half-precision cache (IEEE binary16 keys and values, `stride` halves
// apart): each key and value is widened to float as it is loaded, the sums are floats.
void AttentionScores(Isa isa, const float* q, int n_q, const uint16_t* k, size_t stride, int n,
                     int hd, float scale, float* scores, size_t ld);
void AttentionValues(Isa isa, const float* p, size_t ld, int n_q, const uint16_t* v, size_t stride,
                     int n, int hd, float* out);
// out[i] = x[i] in half precision, rounded to nearest even (as FloatToHalf), for i < n.
void FloatsToHalves(Isa isa, const float* x, uint16_t* out, int n);
// x = softmax(x) over n values, the largest subtracted first. The SIMD versions use our own
// exponential (see SiluMul).
void Softmax(Isa isa, float* x, int n);

// out = x / sqrt(mean(x^2) + eps) * weight, over n values (one row).
void RmsNormRow(Isa isa, const float* x, const float* weight, int n, float eps, float* out);
// gate = gate * sigmoid(gate) * up (SwiGLU), over n values. The SIMD versions use our own
// exponential, within a few units in the last place of the float result.
void SiluMul(Isa isa, float* gate, const float* up, int n);

}  // namespace pareto::inference
