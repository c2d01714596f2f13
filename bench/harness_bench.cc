// The harness's own cost per item, without model or sandbox time: planning, the runner's
// queues and threads, extraction and grading, and writing the record (goal: < 1 ms per item).
// Grading alone is measured by graders_bench.
//
//   build/harness_bench --benchmark_filter=. --benchmark_min_time=1
//
// The whole-run benchmark runs `run_plan` with a backend that answers instantly, so what it
// measures is everything `pareto run` does around the model. Figures: docs/harness.md.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "harness/backend.h"
#include "harness/plan.h"
#include "harness/record.h"
#include "harness/runner.h"
#include "spec/checker.h"
#include "suites/generators.h"
#include "tests/harness/test_model.h"

namespace {

namespace fs = std::filesystem;
using namespace pareto;

// A backend that answers every request at once with the same text.
class InstantBackend final : public harness::Backend {
 public:
  explicit InstantBackend(std::string tier) {
    info_.tier = std::move(tier);
    info_.kind = "gguf";
    info_.model_id = "instant";
    info_.model_hash = std::string(64, '0');
    info_.max_batch = 16;
  }
  const harness::BackendInfo& info() const override { return info_; }
  std::vector<harness::GenerationResponse> Generate(
      std::span<const harness::GenerationRequest> requests) override {
    std::vector<harness::GenerationResponse> out(requests.size());
    for (auto& r : out) {
      r.text = "The answer is 579.";
      r.finish_reason = "stop";
      r.prompt_tokens = 20;
      r.completion_tokens = 6;
      r.token_seconds = {0.001, 0.002, 0.003, 0.004, 0.005, 0.006};
      r.ttft_seconds = 0.001;
      r.e2e_seconds = 0.006;
      r.counters = inference::ForwardCounters{26, 1e6, 1 << 20, 1 << 10, 1 << 10};
    }
    return out;
  }

 private:
  harness::BackendInfo info_;
};

struct Fixture {
  fs::path dir;
  spec::CheckResult checked;
  Fixture() {
    dir = fs::temp_directory_path() / ("pareto-harness-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "suite.pareto") << R"(suite bench "bench"
task add {
  kind    = analysis
  prompt  = "Compute {{a}} + {{b}}. Answer with the number only."
  samples = generate(addition, count = 2000, seed = 1, digits = 3)
  extract = last_number
  expect number(answer)
  budget { max_tokens = 16 }
}
task echo {
  kind    = analysis
  prompt  = "Repeat {{a}}."
  samples = generate(addition, count = 2000, seed = 2, digits = 3)
  expect exact(a, normalize = [whitespace, case])
  expect contains("{{a}}")
}
)";
    std::ofstream(dir / "tiers.pareto") << "tier flash { model = gguf(\"none.gguf\") }\n";
    const std::vector<fs::path> files = {dir / "suite.pareto", dir / "tiers.pareto"};
    checked = spec::check_files(files, suites::builtin_generators(), {});
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_Plan(benchmark::State& state) {
  const auto& project = fixture().checked.project;
  std::size_t items = 0;
  for (auto _ : state) {
    auto plan = harness::make_plan(project, {});
    items += plan->items.size();
    benchmark::DoNotOptimize(plan->items.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(items));
}
BENCHMARK(BM_Plan)->Unit(benchmark::kMillisecond);

void BM_Record(benchmark::State& state) {
  const fs::path path = fixture().dir / "record.jsonl";
  auto writer = harness::ResultsWriter::Open(path);
  harness::ItemRecord r;
  r.run_id = "bench";
  r.suite = "bench";
  r.task = "add";
  r.tier = "flash";
  r.sample_id = "17";
  r.item_id = harness::item_id(r.suite, r.task, r.sample_id, r.tier, 0);
  r.prompt = "Compute 123 + 456. Answer with the number only.";
  r.completion = "The answer is 579.";
  r.answer = "579";
  r.graders = {{"number", 1.0, true, 1.0, "579 equals 579"}};
  r.energy = harness::EnergyRecord{0.01, 1e9, "modelled", "cpu-ddr5"};
  for (auto _ : state) {
    auto s = writer->Append(r);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Record);

// Runs the plan once per iteration into a fresh folder (removed outside the timing), with
// the options `set` chooses.
void TimeRuns(benchmark::State& state, const spec::Project& project, const harness::Plan& plan,
              const fs::path& dir, const std::function<void(harness::RunOptions&)>& set) {
  int round = 0;
  for (auto _ : state) {
    harness::RunOptions options;
    options.out = dir / ("run-" + std::to_string(round++));
    set(options);
    auto report = harness::run_plan(project, plan, options);
    if (!report.ok()) state.SkipWithError(report.message().c_str());
    state.PauseTiming();
    std::error_code ec;
    fs::remove_all(options.out, ec);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(plan.items.size()));
}

// Everything around the model: plan, queue, batch, grade, record, manifest; 4000 items.
void BM_RunPlanInstantModel(benchmark::State& state) {
  const auto& project = fixture().checked.project;
  auto plan = harness::make_plan(project, {});
  TimeRuns(state, project, *plan, fixture().dir, [&state](harness::RunOptions& options) {
    options.jobs = static_cast<int>(state.range(0));
    options.open =
        [](const spec::Tier& tier,
           const harness::BackendOptions&) -> inference::Result<std::unique_ptr<harness::Backend>> {
      return std::unique_ptr<harness::Backend>(new InstantBackend(tier.name));
    };
  });
}
BENCHMARK(BM_RunPlanInstantModel)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// A real model through the embedded backend: a random llama of 8 layers of 512 (25 M
// parameters, 27 MB of Q8_0, made by inference/model_builder.h: more than the caches hold,
// so decoding reads its weights from memory) with the byte vocabulary, on 32 items of two
// core-like tasks, greedy, up to 8 tokens each, one thread, with `--batch` 1 (one item at a
// time) and 8. Wall time per item, model included: what batching buys a run. (The committed
// tiers are too small to show it: their runs are mostly overhead.)
struct EmbeddedFixture {
  fs::path dir;
  spec::CheckResult checked;
  EmbeddedFixture() {
    dir = fs::temp_directory_path() / ("pareto-harness-bench-gguf-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    inference::NewModelSpec shape;
    shape.n_embd = 512;
    shape.n_layer = 8;
    shape.n_head = 8;
    shape.n_head_kv = 4;
    shape.n_ff = 1536;
    shape.n_ctx = 512;
    shape.type = inference::TensorType::kQ8_0;
    if (!testing::write_test_model(dir / "model.gguf", shape)) return;
    std::ofstream(dir / "suite.pareto") << R"(suite bench "bench"
defaults {
  kind    = analysis
  mode    = completion
  extract = regex("^[^\\n]*")
  budget { max_tokens = 8 }
}
task add3 {
  prompt  = "{{a}}+{{b}}="
  samples = generate(addition, count = 16, seed = 101, digits = 3)
  expect number(answer)
}
task cmp2 {
  prompt  = "cmp {{a}} {{b}}:"
  samples = generate(comparison, count = 16, seed = 104, digits = 2)
  expect exact(answer, normalize = [whitespace])
}
)";
    std::ofstream(dir / "tiers.pareto")
        << "tier flash { model = gguf(\"model.gguf\", threads = 1) }\n";
    const std::vector<fs::path> files = {dir / "suite.pareto", dir / "tiers.pareto"};
    checked = spec::check_files(files, suites::builtin_generators(), {});
  }
  ~EmbeddedFixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

void BM_RunPlanEmbedded(benchmark::State& state) {
  static EmbeddedFixture f;
  auto plan = harness::make_plan(f.checked.project, {});
  if (!plan.ok()) {
    state.SkipWithError(plan.message().c_str());
    return;
  }
  TimeRuns(state, f.checked.project, *plan, f.dir, [&state](harness::RunOptions& options) {
    options.jobs = 1;
    options.backend.batch = static_cast<int>(state.range(0));
  });
}
BENCHMARK(BM_RunPlanEmbedded)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
