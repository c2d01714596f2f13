// libFuzzer target for model loading and one forward pass: any bytes must either fail with
// an error value (not a GGUF file, missing or misshapen tensors, bad hyperparameters) or
// load a model that runs, whatever its weights (NaN and infinity included), without a crash.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "inference/context.h"
#include "inference/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pareto::inference;
  auto file = GgufFile::Parse(std::span<const uint8_t>(data, size));
  if (!file.ok()) return 0;
  LoadOptions options;
  options.repack = size % 2 == 0;  // both layouts
  auto model = Model::FromGguf(*file, options);
  if (!model.ok()) return 0;
  ContextOptions co;
  co.n_ctx = 4;
  co.n_threads = 1;
  auto ctx = Context::Create(**model, co);
  if (!ctx.ok()) return 0;
  std::vector<int32_t> tokens = {0, (*model)->config().n_vocab - 1};
  auto logits = (*ctx)->Eval(tokens);
  return logits.ok() ? 0 : 0;
}
