// Bad input never crashes the checker: every truncation of the repository's specs, binary
// noise, deep nesting and huge counts yield diagnostics (the sanitizer build turns any memory
// or undefined-behaviour error into a failure).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "spec/checker.h"
#include "tests/spec/checker_test_util.h"
#include "tests/spec/test_files.h"

namespace pareto::spec {
namespace {

using testing::read_bytes;

namespace fs = std::filesystem;

const fs::path kRoot = testing::kSourceDir;

// Checks `text` as suites/examples/x.pareto (so data paths resolve); every diagnostic must
// name a place inside the text.
void expect_sound(const std::string& text) {
  static const GeneratorRegistry registry = testing::test_generators();
  const fs::path path = kRoot / "suites/examples/robust.pareto";
  CheckOptions options;
  options.read_file = [&](const fs::path& p, std::string* error) -> std::optional<std::string> {
    if (p == path) return text;
    *error = "not here";
    return std::nullopt;
  };
  const std::vector<fs::path> roots = {path};
  const CheckResult r = check_files(roots, registry, options);
  for (const Diagnostic& d : r.diagnostics.all()) {
    if (d.file != path.string()) continue;
    EXPECT_LE(d.span.end, text.size());
    EXPECT_GE(d.line, 1);
    EXPECT_FALSE(d.message.empty());
  }
}

TEST(CheckerRobustness, EveryTruncationOfTheExampleSuites) {
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(kRoot / "suites")) {
    if (e.path().extension() != ".pareto") continue;
    ++files;
    const std::string text = read_bytes(e.path());
    // Every byte position for small files; a stride for larger ones keeps the test quick.
    const std::size_t step = std::max<std::size_t>(1, text.size() / 400);
    for (std::size_t n = 0; n <= text.size(); n += step) expect_sound(text.substr(0, n));
  }
  EXPECT_GT(files, 0u);
}

TEST(CheckerRobustness, BinaryNoise) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 200; ++i) {
    std::string text(static_cast<std::size_t>(rng() % 400), '\0');
    for (char& ch : text) ch = static_cast<char>(rng() % 256);
    expect_sound(text);
  }
}

TEST(CheckerRobustness, TokenSoup) {
  // Random sequences of the language's own tokens reach far deeper than random bytes.
  const char* tokens[] = {"task ",
                          "t ",
                          "{",
                          "}",
                          "(",
                          ")",
                          "[",
                          "]",
                          "=",
                          ",",
                          "\n",
                          "kind",
                          "analysis",
                          "coding",
                          "agent",
                          "prompt",
                          "\"{{a}}\"",
                          "expect ",
                          "exact",
                          "regex(\"(\")",
                          "number",
                          "json",
                          "samples",
                          "generate(pairs, count = 3)",
                          "jsonl(\"x\")",
                          "sample",
                          "budget",
                          "sandbox",
                          "agent",
                          "tools",
                          "5s",
                          "1MiB",
                          "3J",
                          "defaults ",
                          "include \"x.pareto\"\n",
                          "tier ",
                          "model",
                          "gguf(\"m\")",
                          "openai(url = \"http://x\")",
                          "\"\"\"\n  x\n  \"\"\"",
                          "-1",
                          "1e400",
                          "weight",
                          "group = 9",
                          "answer",
                          "files",
                          "{\"../a\" = 1}"};
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string text;
    const int n = static_cast<int>(rng() % 60);
    for (int k = 0; k < n; ++k) text += tokens[rng() % std::size(tokens)];
    expect_sound(text);
  }
}

TEST(CheckerRobustness, DeepNestingAndHugeNumbers) {
  expect_sound("task t { kind = analysis, prompt = \"x\", expect exact(" + std::string(5000, '[') +
               ") }");
  expect_sound(
      "task t { kind = analysis, prompt = \"x\", samples = generate(pairs, count = "
      "9223372036854775807, seed = -1) expect exact(answer) }");
  expect_sound(
      "task t { budget { timeout = 1e300h, max_energy = 1e308kJ } sandbox { memory = "
      "1e30TiB } }");
}

}  // namespace
}  // namespace pareto::spec
