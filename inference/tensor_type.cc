#include "inference/tensor_type.h"

#include <array>
#include <cctype>

namespace pareto::inference {
namespace {

struct Entry {
  TensorType type;
  TensorTypeInfo info;
};

// Block layouts of the GGUF format. The K-quants pack 256 elements per super-block.
constexpr std::array<Entry, 20> kTypes = {{
    {TensorType::kF32, {"F32", 1, 4}},
    {TensorType::kF16, {"F16", 1, 2}},
    {TensorType::kQ4_0, {"Q4_0", 32, 18}},   // f16 scale + 16 bytes of nibbles
    {TensorType::kQ4_1, {"Q4_1", 32, 20}},   // f16 scale, f16 min + 16 bytes
    {TensorType::kQ5_0, {"Q5_0", 32, 22}},   // f16 scale + 4 bytes high bits + 16 bytes
    {TensorType::kQ5_1, {"Q5_1", 32, 24}},   // f16 scale, f16 min + 4 + 16 bytes
    {TensorType::kQ8_0, {"Q8_0", 32, 34}},   // f16 scale + 32 int8
    {TensorType::kQ8_1, {"Q8_1", 32, 36}},   // f16 scale, f16 sum + 32 int8
    {TensorType::kQ2_K, {"Q2_K", 256, 84}},  // 16 scales + 64 bytes of 2-bit + 2 f16
    {TensorType::kQ3_K, {"Q3_K", 256, 110}},
    {TensorType::kQ4_K, {"Q4_K", 256, 144}},  // 2 f16 + 12 bytes scales + 128 bytes nibbles
    {TensorType::kQ5_K, {"Q5_K", 256, 176}},
    {TensorType::kQ6_K, {"Q6_K", 256, 210}},  // 128 low + 64 high + 16 scales + f16
    {TensorType::kQ8_K, {"Q8_K", 256, 292}},  // f32 scale + 256 int8 + 16 int16 sums
    {TensorType::kI8, {"I8", 1, 1}},
    {TensorType::kI16, {"I16", 1, 2}},
    {TensorType::kI32, {"I32", 1, 4}},
    {TensorType::kI64, {"I64", 1, 8}},
    {TensorType::kF64, {"F64", 1, 8}},
    {TensorType::kBF16, {"BF16", 1, 2}},
}};

}  // namespace

std::optional<TensorTypeInfo> LookupTensorType(uint32_t id) {
  for (const Entry& e : kTypes) {
    if (static_cast<uint32_t>(e.type) == id) return e.info;
  }
  return std::nullopt;
}

std::string TensorTypeName(uint32_t id) {
  if (auto info = LookupTensorType(id)) return info->name;
  return "type " + std::to_string(id);
}

std::optional<TensorType> ParseTensorTypeName(std::string_view name) {
  for (const Entry& e : kTypes) {
    std::string_view candidate = e.info.name;
    if (candidate.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size(); ++i) {
      if (std::toupper(static_cast<unsigned char>(name[i])) != candidate[i]) {
        same = false;
        break;
      }
    }
    if (same) return e.type;
  }
  return std::nullopt;
}

bool IsComputeSupported(TensorType t) {
  switch (t) {
    case TensorType::kF32:
    case TensorType::kF16:
    case TensorType::kBF16:
    case TensorType::kQ8_0:
    case TensorType::kQ4_0:
    case TensorType::kQ4_K:
    case TensorType::kQ6_K:
      return true;
    default:
      return false;
  }
}

int64_t BlockElements(TensorType t) {
  auto info = LookupTensorType(static_cast<uint32_t>(t));
  return info ? info->block_elements : 0;
}

int64_t BlockBytes(TensorType t) {
  auto info = LookupTensorType(static_cast<uint32_t>(t));
  return info ? info->block_bytes : 0;
}

std::optional<uint64_t> TensorBytes(TensorType t, int64_t elements) {
  auto info = LookupTensorType(static_cast<uint32_t>(t));
  if (!info || elements < 0 || elements % info->block_elements != 0) return std::nullopt;
  uint64_t blocks = static_cast<uint64_t>(elements / info->block_elements);
  uint64_t per = static_cast<uint64_t>(info->block_bytes);
  if (blocks != 0 && per > UINT64_MAX / blocks) return std::nullopt;
  return blocks * per;
}

}  // namespace pareto::inference
