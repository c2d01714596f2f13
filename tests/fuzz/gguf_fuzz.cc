// libFuzzer target for the GGUF reader: any bytes must parse or fail with an error value,
// never crash, read out of bounds or allocate beyond the input's size.
#include <cstddef>
#include <cstdint>
#include <span>

#include "inference/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pareto::inference;
  auto file = GgufFile::Parse(std::span<const uint8_t>(data, size));
  if (!file.ok()) return 0;
  // Touch everything the reader hands out, so the sanitizers see any bad span.
  uint64_t sum = 0;
  for (const GgufKeyValue& kv : file->metadata()) {
    sum += kv.key.size() + kv.value.size();
    (void)kv.value.AsInt();
    (void)kv.value.AsFloat();
    (void)kv.value.AsString();
    (void)kv.value.AsStringArray();
    (void)kv.value.AsIntArray();
    (void)kv.value.AsFloatArray();
  }
  for (const GgufTensorInfo& t : file->tensors()) {
    for (uint8_t b : file->TensorData(t)) sum += b;
  }
  return sum == 0xFFFFFFFFFFFFFFFFull ? 1 : 0;
}
