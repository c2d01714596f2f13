// Tensor element types as numbered in GGUF files (the ggml type ids), with their block
// layouts: how many elements one block holds and how many bytes it takes.
//
// The numbering and sizes are public facts of the GGUF format. The reader uses them to check
// every tensor's extent against the file; the model loader accepts only the types the
// kernels implement (IsComputeSupported) and names any other in an "unsupported" error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pareto::inference {

enum class TensorType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kBF16 = 30,
};

struct TensorTypeInfo {
  const char* name;        // as llama.cpp and GGUF tools print it: "F16", "Q4_K", ...
  int64_t block_elements;  // elements per block (1 for plain types)
  int64_t block_bytes;     // bytes per block
};

// Layout of a type id found in a file; nullopt for ids this build does not know (their
// sizes cannot be checked, so the reader rejects tensors of such types by name).
std::optional<TensorTypeInfo> LookupTensorType(uint32_t id);

// "Q4_K" for known ids, "type 23" otherwise.
std::string TensorTypeName(uint32_t id);
inline std::string TensorTypeName(TensorType t) { return TensorTypeName(static_cast<uint32_t>(t)); }

// Parses a name such as "q8_0" or "F16" (case-insensitive); nullopt when unknown.
std::optional<TensorType> ParseTensorTypeName(std::string_view name);

// Whether the kernels compute with this type (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K).
bool IsComputeSupported(TensorType t);

// Bytes taken by `elements` elements of a known type, which must be a whole number of
// blocks; nullopt otherwise (or on overflow).
std::optional<uint64_t> TensorBytes(TensorType t, int64_t elements);

// Elements per block and bytes per block of a known type.
int64_t BlockElements(TensorType t);
int64_t BlockBytes(TensorType t);

}  // namespace pareto::inference
