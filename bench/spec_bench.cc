// Throughput of the spec language front end on a generated ~10 MB spec file (30k tasks):
// lexing, parsing, formatting, and parsing plus checking. BM_ParseAndCheck is the whole of
// `pareto check` (which leaves generated samples pending: CheckOptions::generate_samples);
// BM_ParseCheckAndGenerate also draws the 150k generated samples, as the harness's check does.
// Reported in tasks per second and bytes per second; docs/spec.md ("Speed") has the figures.
//
// Run: build/spec_bench (Google Benchmark flags apply, e.g. --benchmark_repetitions=5).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "spec/checker.h"
#include "spec/diagnostics.h"
#include "spec/format.h"
#include "spec/lexer.h"
#include "spec/parser.h"
#include "spec/source.h"
#include "suites/generators.h"

namespace {

using namespace pareto::spec;

// One task of each kind in turn, with distinct ids, until the text reaches `bytes`.
std::string generated_spec(std::size_t bytes, int* tasks) {
  std::string text = "# generated for spec_bench\nsuite bench.generated \"Generated\"\n\n";
  text += "defaults {\n  tags   = [generated]\n  budget { max_tokens = 64, timeout = 10s }\n}\n";
  char buffer[2048];
  int n = 0;
  while (text.size() < bytes) {
    int written = 0;
    switch (n % 4) {
      case 0:
        written =
            std::snprintf(buffer, sizeof buffer,
                          "\ntask add.n%d {\n"
                          "  kind    = analysis\n"
                          "  tags    = [arithmetic, addition]  # what it measures\n"
                          "  prompt  = \"Compute {{a}} + {{b}}. Answer with the number.\"\n"
                          "  samples = generate(addition, count = 20, seed = %d, digits = 3)\n"
                          "  extract = last_number\n"
                          "  expect number(answer, tolerance = 0)\n"
                          "  budget { max_tokens = 8, timeout = 5s, max_energy = 40mJ }\n"
                          "}\n",
                          n, n);
        break;
      case 1:
        written = std::snprintf(buffer, sizeof buffer,
                                "\ntask inline.n%d {\n"
                                "  kind   = analysis\n"
                                "  prompt = \"{{q}}\"\n"
                                "  sample { q = \"2+%d?\", answer = %d }\n"
                                "  sample { q = \"3+%d?\", answer = %d }\n"
                                "  expect exact(answer, normalize = [case, whitespace])\n"
                                "}\n",
                                n, n, n + 2, n, n + 3);
        break;
      case 2:
        written =
            std::snprintf(buffer, sizeof buffer,
                          "\ntask py.fizz%d {\n"
                          "  kind      = coding\n"
                          "  language  = python\n"
                          "  prompt    = \"\"\"\n"
                          "    Write a Python function fizzbuzz(n).\n"
                          "    Reply with one ```python block.\n"
                          "    \"\"\"\n"
                          "  extract   = code_block(python)\n"
                          "  expect tests(\"\"\"\n"
                          "    from solution import fizzbuzz\n"
                          "    assert fizzbuzz(%d) == \"FizzBuzz\"\n"
                          "    \"\"\")\n"
                          "  reference = \"\"\"\n"
                          "    def fizzbuzz(n):\n"
                          "        return \"FizzBuzz\"\n"
                          "    \"\"\"\n"
                          "  sandbox { network = off, memory = 512MiB, cpu = 10s, wall = 30s }\n"
                          "}\n",
                          n, 15 * n);
        break;
      default:
        written = std::snprintf(buffer, sizeof buffer,
                                "\ntask fix.range%d {\n"
                                "  kind      = agent\n"
                                "  workspace = dir(\"workspaces/range\")\n"
                                "  prompt    = \"tests fail. Fix src/range.py.\"\n"
                                "  agent { tools = [shell, read_file, write_file, submit], "
                                "max_steps = 20 }\n"
                                "  expect command(\"python3 -m pytest -q tests\", exit = 0)\n"
                                "  expect unchanged(\"tests/\")\n"
                                "  budget { timeout = 5m, max_tokens = 20000 }\n"
                                "}\n",
                                n);
        break;
    }
    text.append(buffer, static_cast<std::size_t>(written));
    ++n;
  }
  *tasks = n;
  return text;
}

constexpr std::size_t kTenMegabytes = 10 * 1000 * 1000;

struct Input {
  int tasks = 0;
  std::string text = generated_spec(kTenMegabytes, &tasks);
};

const Input& input() {
  static const Input in;
  return in;
}

void report(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(input().text.size()));
  state.counters["tasks/s"] = benchmark::Counter(
      static_cast<double>(input().tasks) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  state.counters["MB"] = static_cast<double>(input().text.size()) / 1e6;
}

void BM_Lex(benchmark::State& state) {
  const SourceFile source("bench.pareto", input().text);
  for (auto _ : state) {
    Diagnostics diagnostics;
    ErrorSink errors(source, diagnostics);
    Lexer lexer(source, errors);
    std::size_t tokens = 0;
    while (lexer.next().kind != TokenKind::kEnd) ++tokens;
    benchmark::DoNotOptimize(tokens);
    if (!diagnostics.empty()) state.SkipWithError("the generated spec has lexical errors");
  }
  report(state);
}
BENCHMARK(BM_Lex)->Unit(benchmark::kMillisecond);

void BM_Parse(benchmark::State& state) {
  const SourceFile source("bench.pareto", input().text);
  for (auto _ : state) {
    Diagnostics diagnostics;
    File file = parse_file(source, diagnostics);
    benchmark::DoNotOptimize(file.items.data());
    if (diagnostics.has_errors()) state.SkipWithError("the generated spec has syntax errors");
  }
  report(state);
}
BENCHMARK(BM_Parse)->Unit(benchmark::kMillisecond);

void BM_Format(benchmark::State& state) {
  const SourceFile source("bench.pareto", input().text);
  Diagnostics diagnostics;
  const File file = parse_file(source, diagnostics);
  for (auto _ : state) {
    std::string text = format_file(file);
    benchmark::DoNotOptimize(text.data());
  }
  report(state);
}
BENCHMARK(BM_Format)->Unit(benchmark::kMillisecond);

void parse_and_check(benchmark::State& state, bool generate_samples) {
  // The agent tasks name a workspace folder relative to the spec: give them one.
  const std::filesystem::path folder = std::filesystem::temp_directory_path() / "pareto_spec_bench";
  std::filesystem::create_directories(folder / "workspaces/range");
  const std::filesystem::path root = folder / "bench.pareto";
  const GeneratorRegistry generators = pareto::suites::builtin_generators();
  CheckOptions options;
  options.generate_samples = generate_samples;
  options.read_file = [&](const std::filesystem::path& path,
                          std::string* error) -> std::optional<std::string> {
    if (path == root) return input().text;
    *error = "not part of the benchmark";
    return std::nullopt;
  };
  for (auto _ : state) {
    CheckResult result = check_files(std::span(&root, 1), generators, options);
    benchmark::DoNotOptimize(result.project);
    if (!result.ok()) {
      state.SkipWithError(("the generated spec does not check:\n" +
                           result.diagnostics.render(RenderOptions{.show_source = false}))
                              .substr(0, 2000)
                              .c_str());
      break;
    }
  }
  report(state);
  std::error_code ec;
  std::filesystem::remove_all(folder, ec);
}

void BM_ParseAndCheck(benchmark::State& state) { parse_and_check(state, false); }
BENCHMARK(BM_ParseAndCheck)->Unit(benchmark::kMillisecond);

void BM_ParseCheckAndGenerate(benchmark::State& state) { parse_and_check(state, true); }
BENCHMARK(BM_ParseCheckAndGenerate)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
