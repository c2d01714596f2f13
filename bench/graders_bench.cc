// Grading overhead per item: extraction plus the graders that need no sandbox (goal: well
// under 1 ms), and the sandbox's floor, a sandboxed `python3 -c pass` (goal: under 50 ms wall),
// with a whole tests grader on top. Figures: docs/harness.md.
//
//   build/graders_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <string>

#include "agents/extract.h"
#include "harness/graders.h"
#include "harness/sandbox.h"
#include "tests/spec/checker_test_util.h"

namespace {

using namespace pareto;

// One checked task and its compiled extraction and graders, made once per benchmark.
struct Fixture {
  spec::CheckResult result;
  std::optional<agents::Extractor> extractor;
  std::optional<harness::TaskGraders> graders;

  explicit Fixture(const std::string& text) : result(spec::testing::check_text(text)) {
    if (!result.ok()) return;
    const spec::Task& task = result.project.suites.at(0).tasks.at(0);
    extractor.emplace(*agents::Extractor::Make(task.extract));
    graders.emplace(*harness::TaskGraders::Make(task));
  }
  const spec::Sample& sample() const { return result.project.suites[0].tasks[0].samples[0]; }
};

void grade_loop(benchmark::State& state, const std::string& spec, const std::string& completion) {
  Fixture f(spec);
  if (!f.result.ok()) {
    state.SkipWithError(f.result.diagnostics.render().c_str());
    return;
  }
  harness::GradeInput in;
  in.sample = &f.sample();
  bool passed = false;
  for (auto _ : state) {
    in.answer = f.extractor->extract(completion).answer;
    harness::Grading g = f.graders->grade(in, {});
    passed = g.passed;
    benchmark::DoNotOptimize(g);
  }
  if (!passed) state.SkipWithError("the answer should pass");
}

void BM_GradeNumber(benchmark::State& state) {
  grade_loop(state, R"spec(
task t {
  kind = analysis, tags = [t], prompt = "Q", extract = last_number
  sample { answer = 357 }
  expect number(answer, tolerance = 0)
})spec",
             "Let me add them: 12 + 345 = 357.\nThe answer is 357.");
}
BENCHMARK(BM_GradeNumber);

void BM_GradeExactNormalised(benchmark::State& state) {
  grade_loop(state, R"spec(
task t {
  kind = analysis, tags = [t], prompt = "Q"
  sample { answer = "New York City" }
  expect exact(answer, normalize = [case, whitespace, punctuation])
})spec",
             "  new   york city. ");
}
BENCHMARK(BM_GradeExactNormalised);

void BM_GradeRegexAndContains(benchmark::State& state) {
  grade_loop(state, R"spec(
task t {
  kind = analysis, tags = [t], prompt = "Q"
  sample { answer = "42" }
  expect regex("Answer: (\\d+)", group = 1, equals = answer)
  expect contains("answer", case_sensitive = false, weight = 0.5)
})spec",
             "I reasoned step by step about the question and the data.\nAnswer: 42");
}
BENCHMARK(BM_GradeRegexAndContains);

void BM_GradeJsonPath(benchmark::State& state) {
  grade_loop(state, R"spec(
task t {
  kind = analysis, tags = [t], prompt = "Q", extract = json
  sample { answer = "positive" }
  expect json(path = "$.result.sentiment", equals = answer)
})spec",
             "Here you go:\n```json\n{\"result\": {\"sentiment\": \"positive\", \"score\": 0.93}}\n```");
}
BENCHMARK(BM_GradeJsonPath);

void BM_ExtractCodeBlock(benchmark::State& state) {
  spec::Extraction e;
  e.kind = spec::Extraction::Kind::kCodeBlock;
  e.language = spec::Language::kPython;
  auto x = agents::Extractor::Make(e);
  std::string reply = "Sure, here is the function.\n\n```python\n";
  for (int i = 0; i < 40; ++i) reply += "    value = compute(value, " + std::to_string(i) + ")\n";
  reply += "```\nIt runs in linear time.\n";
  for (auto _ : state) benchmark::DoNotOptimize(x->extract(reply));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * reply.size()));
}
BENCHMARK(BM_ExtractCodeBlock);

void BM_SandboxPythonPass(benchmark::State& state) {
  if (!harness::sandbox_available().ok()) {
    state.SkipWithError("no sandbox here");
    return;
  }
  harness::SandboxCommand cmd;
  cmd.argv = {"python3", "-c", "pass"};
  for (auto _ : state) {
    auto outcome = harness::run_sandboxed(cmd);
    if (!outcome.ok() || outcome->reason != harness::SandboxReason::kOk) {
      state.SkipWithError("python3 -c pass failed in the sandbox");
      return;
    }
  }
}
BENCHMARK(BM_SandboxPythonPass)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GradePythonTests(benchmark::State& state) {
  if (!harness::sandbox_available().ok()) {
    state.SkipWithError("no sandbox here");
    return;
  }
  Fixture f(R"spec(
task t {
  kind = coding, language = python, tags = [t], prompt = "Q"
  expect tests("from solution import add\nassert add(2, 3) == 5")
})spec");
  harness::GradeInput in;
  in.sample = &f.sample();
  in.answer = "def add(a, b):\n    return a + b\n";
  for (auto _ : state) {
    if (!f.graders->grade(in, {}).passed) {
      state.SkipWithError("the solution should pass");
      return;
    }
  }
}
BENCHMARK(BM_GradePythonTests)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
