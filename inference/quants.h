// Tensor element formats: half-precision conversions, and the block-quantized formats of
// GGUF (Q8_0, Q4_0, Q4_K, Q6_K) with their dequantization and our own quantizers.
//
// Dequantization follows the public GGUF block layouts exactly (a file written by any GGUF
// tool decodes to the same numbers). Quantization is ours: it produces valid blocks of each
// layout that minimise a simple error, not bit-identical copies of another tool's choices.
//
// Everything here is portable scalar code and the reference the SIMD kernels are tested
// against. Rows must be whole numbers of blocks (BlockElements of the type).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "inference/status.h"
#include "inference/tensor_type.h"

namespace pareto::inference {

// IEEE half precision and bfloat16, round-to-nearest-even on the way down.
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);
inline float Bf16ToFloat(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
}
uint16_t FloatToBf16(float f);

// Block layouts, as stored in GGUF files.
struct BlockQ8_0 {
  uint16_t d;  // half-precision scale
  int8_t qs[32];
};
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[16];  // element j in the low nibble of qs[j], element j+16 in the high one
};
struct BlockQ4_K {
  uint16_t d;          // scale of the sub-block scales
  uint16_t dmin;       // scale of the sub-block minimums
  uint8_t scales[12];  // eight 6-bit scales and eight 6-bit minimums, packed
  uint8_t qs[128];     // 4-bit values, two 32-element sub-blocks per 32 bytes
};
struct BlockQ6_K {
  uint8_t ql[128];    // low 4 bits
  uint8_t qh[64];     // high 2 bits
  int8_t scales[16];  // one per 16 elements
  uint16_t d;
};
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ6_K) == 210);

// The scale and minimum of sub-block j (0..7) of a Q4_K block's packed `scales`.
void UnpackQ4KScale(const uint8_t* scales, int j, uint8_t* scale, uint8_t* min);

// Decodes `n` elements of type `type` starting at `data` into `out`. The type must be one of
// F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K and `n` a multiple of its block size.
void DequantizeRow(TensorType type, const uint8_t* data, int64_t n, float* out);

// Encodes `n` floats as `type` (same types; `n` a multiple of the block size) into `out`,
// which must hold TensorBytes(type, n) bytes.
void QuantizeRow(TensorType type, const float* x, int64_t n, uint8_t* out);

// Whole tensors, with the checks (supported type, whole blocks) as error values.
Result<std::vector<float>> Dequantize(TensorType type, std::span<const uint8_t> data,
                                      int64_t elements);
Result<std::vector<uint8_t>> Quantize(TensorType type, std::span<const float> values);

}  // namespace pareto::inference
