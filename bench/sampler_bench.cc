// Sampling cost per token over a Qwen2-sized vocabulary (151,936 logits drawn from a
// normal distribution, as a model's are roughly): greedy, temperature alone, with top-k,
// with top-p, and with 5 top log-probabilities, which distillation asks for on every token.
//
//   build/sampler_bench
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "inference/sampler.h"

namespace pareto::inference {
namespace {

const std::vector<float>& Logits() {
  static const std::vector<float> logits = [] {
    std::mt19937 rng(1);
    std::normal_distribution<float> d(0.0f, 3.0f);
    std::vector<float> v(151936);
    for (float& x : v) x = d(rng);
    return v;
  }();
  return logits;
}

void Sample(benchmark::State& state, SamplerConfig config) {
  Result<Sampler> sampler = Sampler::Create(config);
  if (!sampler.ok()) {
    state.SkipWithError(sampler.message().c_str());
    return;
  }
  const std::vector<float>& logits = Logits();
  for (auto _ : state) {
    Result<SampledToken> t = sampler->Sample(logits);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(Sample, greedy, SamplerConfig{})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sample, temperature, SamplerConfig{.temperature = 0.8f})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sample, top_k_40, SamplerConfig{.temperature = 0.8f, .top_k = 40})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sample, top_p_0_95, SamplerConfig{.temperature = 0.8f, .top_p = 0.95f})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sample, top_p_logprobs_5,
                  SamplerConfig{.temperature = 0.8f, .top_p = 0.95f, .top_logprobs = 5})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace pareto::inference

BENCHMARK_MAIN();
