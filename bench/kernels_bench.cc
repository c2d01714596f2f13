// Kernel benchmarks: dot product, matrix-vector (decode) and matrix-matrix (prefill) for
// every weight type and instruction set, reported as GB/s of weights read and GFLOP/s.
//
//   build/kernels_bench --benchmark_filter='MatVec/Q4_0'
//
// Arguments: the instruction set (0 portable, 1 AVX2, 2 AVX-512, 3 AVX-512 VNNI; skipped
// when the CPU lacks it) and, for MatVec/MatMul, the threads.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

#include "inference/kernels.h"
#include "inference/quants.h"

namespace pareto::inference {
namespace {

constexpr int64_t kRows = 2048;
constexpr int64_t kCols = 4096;
constexpr int64_t kRowsFromMemory = 32768;  // 4096 columns: 75 MB in Q4_0

struct Weights {
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> repacked;
  WeightMatrix view;
};

// `repack`: in the layout the model loader gives Q4_0 for `isa` (see Repack in kernels.h).
Weights MakeWeights(TensorType type, int64_t rows, int64_t cols, bool repack, Isa isa) {
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0.0f, 0.02f);
  std::vector<float> v(static_cast<size_t>(rows * cols));
  for (float& x : v) x = d(rng);
  Weights w;
  w.bytes = *Quantize(type, v);
  w.view = {type, w.bytes.data(), rows, cols, w.bytes.size() / static_cast<size_t>(rows)};
  if (repack) {
    if (auto packed = Repack(w.view, w.repacked, isa)) w.view = *packed;
  }
  return w;
}

bool IsaFromArg(int64_t arg, Isa* isa) {
  const Isa all[] = {Isa::kPortable, Isa::kAvx2, Isa::kAvx512, Isa::kAvx512Vnni, Isa::kAmx};
  *isa = all[arg];
  auto available = AvailableIsas();
  return std::find(available.begin(), available.end(), *isa) != available.end();
}

void Run(benchmark::State& state, TensorType type, bool repack, int64_t rows, int n_tokens,
         int threads) {
  Isa isa;
  if (!IsaFromArg(state.range(0), &isa)) {
    state.SkipWithError("instruction set not available");
    return;
  }
  Weights w = MakeWeights(type, rows, kCols, repack, isa);
  std::vector<float> x(static_cast<size_t>(n_tokens * kCols), 0.5f);
  std::vector<float> y(static_cast<size_t>(n_tokens * rows));
  MatMulScratch scratch;
  std::unique_ptr<ThreadPool> pool;
  if (threads > 1) pool = std::make_unique<ThreadPool>(threads);
  for (auto _ : state) {
    MatMul(isa, w.view, x.data(), n_tokens, y.data(), scratch, pool.get());
    benchmark::DoNotOptimize(y.data());
  }
  const size_t bytes = w.view.row_bytes * static_cast<size_t>(rows);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * static_cast<double>(rows) * kCols * n_tokens *
                             static_cast<double>(state.iterations()) / 1e9,
                         benchmark::Counter::kIsRate);
  state.SetLabel(IsaName(isa));
}

template <TensorType kType, bool kRepack = false>
void BM_Dot(benchmark::State& state) {
  Run(state, kType, kRepack, 1, 1, 1);
}

template <TensorType kType, bool kRepack = false>
void BM_MatVec(benchmark::State& state) {
  Run(state, kType, kRepack, kRows, 1, static_cast<int>(state.range(1)));
}

template <TensorType kType, bool kRepack = false>
void BM_MatMul(benchmark::State& state) {
  Run(state, kType, kRepack, kRows, 64, static_cast<int>(state.range(1)));
}

// Batched decode's shape: 8 tokens against a matrix larger than the last-level cache, so
// the weights stream from memory as a model's do.
template <TensorType kType, bool kRepack = false>
void BM_MatMul8FromMemory(benchmark::State& state) {
  Run(state, kType, kRepack, kRowsFromMemory, 8, static_cast<int>(state.range(1)));
}

constexpr int kIsas = 5;  // IsaFromArg's
void IsaArgs(benchmark::internal::Benchmark* b) {
  for (int isa = 0; isa < kIsas; ++isa) b->Arg(isa);
}
void IsaThreadArgs(benchmark::internal::Benchmark* b) {
  for (int isa = 0; isa < kIsas; ++isa) {
    for (int t : {1, 2}) b->Args({isa, t});
  }
}

#define PARETO_KERNEL_BENCH(type, name)                                                  \
  BENCHMARK(BM_Dot<type>)->Name("Dot/" name)->Apply(IsaArgs);                            \
  BENCHMARK(BM_MatVec<type>)->Name("MatVec/" name)->Apply(IsaThreadArgs)->UseRealTime(); \
  BENCHMARK(BM_MatMul<type>)->Name("MatMul64/" name)->Apply(IsaThreadArgs)->UseRealTime();

PARETO_KERNEL_BENCH(TensorType::kF32, "F32")
PARETO_KERNEL_BENCH(TensorType::kF16, "F16")
PARETO_KERNEL_BENCH(TensorType::kBF16, "BF16")
PARETO_KERNEL_BENCH(TensorType::kQ8_0, "Q8_0")
PARETO_KERNEL_BENCH(TensorType::kQ4_0, "Q4_0")
PARETO_KERNEL_BENCH(TensorType::kQ4_K, "Q4_K")
PARETO_KERNEL_BENCH(TensorType::kQ6_K, "Q6_K")

// As the model loader repacks them (16 interleaved rows; Q8_0 on AVX-512 only with VNNI, Q4_K
// and Q6_K on AVX2 only; elsewhere these measure the file layout again).
#define PARETO_REPACKED_BENCH(type, name)                                                        \
  BENCHMARK(BM_MatVec<type, true>)->Name("MatVec/" name)->Apply(IsaThreadArgs)->UseRealTime();   \
  BENCHMARK(BM_MatMul<type, true>)->Name("MatMul64/" name)->Apply(IsaThreadArgs)->UseRealTime(); \
  BENCHMARK(BM_MatMul8FromMemory<type, true>)                                                    \
      ->Name("MatMul8FromMemory/" name)                                                          \
      ->Apply(IsaThreadArgs)                                                                     \
      ->UseRealTime();

BENCHMARK(BM_Dot<TensorType::kQ4_0, true>)->Name("Dot/Q4_0r")->Apply(IsaArgs);
PARETO_REPACKED_BENCH(TensorType::kQ4_0, "Q4_0r")
PARETO_REPACKED_BENCH(TensorType::kQ8_0, "Q8_0r")
PARETO_REPACKED_BENCH(TensorType::kF16, "F16r")
PARETO_REPACKED_BENCH(TensorType::kQ4_K, "Q4_Kr")
PARETO_REPACKED_BENCH(TensorType::kQ6_K, "Q6_Kr")

}  // namespace
}  // namespace pareto::inference

BENCHMARK_MAIN();
