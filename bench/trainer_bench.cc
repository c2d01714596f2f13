// One training step (forward, backward, AdamW) of the three tier shapes of
// inference/models/recipes/ on a batch of 16 byte-level examples of 40 tokens (a compact
// prompt and a short answer, as the core suite's are), single- and two-threaded.
// Items are tokens, so items_per_second is training tokens/s.
//
//   build/trainer_bench
#include <benchmark/benchmark.h>

#include <vector>

#include "inference/trainer.h"

namespace pareto::inference {
namespace {

TrainShape Shape(int embd, int layers, int heads, int kv_heads, int ffn) {
  TrainShape s;
  s.n_embd = embd;
  s.n_layer = layers;
  s.n_head = heads;
  s.n_head_kv = kv_heads;
  s.n_ff = ffn;
  s.n_ctx = 64;
  s.tied_output = true;
  return s;
}

void Step(benchmark::State& state, TrainShape shape) {
  TrainOptions options;
  options.threads = static_cast<int>(state.range(0));
  auto trainer = Trainer::Create(shape, options);
  if (!trainer.ok()) {
    state.SkipWithError(trainer.message().c_str());
    return;
  }
  std::vector<TrainExample> batch;
  for (int i = 0; i < 16; ++i) {
    TrainExample ex;
    ex.tokens.push_back(kByteBos);
    for (int t = 1; t < 40; ++t) ex.tokens.push_back('0' + (i * 7 + t * 3) % 10);
    ex.n_prompt = 32;
    batch.push_back(ex);
  }
  for (auto _ : state) {
    auto stats = (*trainer)->Step(batch);
    benchmark::DoNotOptimize(stats);
  }
  state.SetItemsProcessed(state.iterations() * 16 * 40);
  state.counters["params"] = static_cast<double>(ParameterCount(shape));
}

BENCHMARK_CAPTURE(Step, flash, Shape(64, 2, 4, 2, 192))->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(Step, pro, Shape(128, 4, 4, 2, 384))->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(Step, ultra, Shape(256, 4, 8, 4, 768))->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
}  // namespace pareto::inference
BENCHMARK_MAIN();
