// The specs that ship with the repository: every suite checks under --strict and is already in
// canonical form, and every example in docs/spec.md checks clean and covers what it claims
// (every grader, every built-in generator with its parameters and fields).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "spec/checker.h"
#include "spec/format.h"
#include "spec/model.h"
#include "spec/parser.h"
#include "suites/generators.h"
#include "tests/spec/test_files.h"

namespace pareto::spec {
namespace {

using testing::read_bytes;

namespace fs = std::filesystem;

const fs::path kRoot = testing::kSourceDir;

std::vector<fs::path> suite_files() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(kRoot / "suites")) {
    if (e.is_regular_file() && e.path().extension() == ".pareto") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The ```pareto blocks of docs/spec.md, with the line each starts on.
std::vector<std::pair<int, std::string>> doc_blocks() {
  std::vector<std::pair<int, std::string>> blocks;
  std::istringstream in(read_bytes(kRoot / "docs/spec.md"));
  std::string line;
  int number = 0;
  bool inside = false;
  for (; std::getline(in, line); ++number) {
    if (!inside && line == "```pareto") {
      inside = true;
      blocks.emplace_back(number + 2, "");
    } else if (inside && line == "```") {
      inside = false;
    } else if (inside) {
      blocks.back().second += line + "\n";
    }
  }
  return blocks;
}

TEST(RepositorySpecs, EverySuiteChecksStrictly) {
  const auto files = suite_files();
  ASSERT_FALSE(files.empty());
  const GeneratorRegistry generators = suites::builtin_generators();
  CheckOptions options;
  options.strict = true;
  const CheckResult r = check_files(files, generators, options);
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  // The examples cover every kind of task; the core suite and its CI subset are among them.
  std::set<TaskKind> kinds;
  std::set<std::string> names;
  for (const Suite& s : r.project.suites) {
    names.insert(s.name);
    for (const Task& t : s.tasks) kinds.insert(t.kind);
  }
  EXPECT_EQ(kinds.size(), 3u);
  EXPECT_TRUE(names.count("core") && names.count("core.ci"));
}

TEST(RepositorySpecs, EverySuiteIsInCanonicalForm) {
  for (const fs::path& path : suite_files()) {
    const SourceFile source(path.string(), read_bytes(path));
    Diagnostics diagnostics;
    const auto formatted = format_source(source, diagnostics);
    ASSERT_TRUE(formatted.has_value()) << diagnostics.render();
    EXPECT_EQ(*formatted, source.text()) << path << " is not formatted: run pareto fmt";
  }
}

TEST(RepositorySpecs, EveryDocExampleChecks) {
  const auto blocks = doc_blocks();
  ASSERT_GE(blocks.size(), 15u);
  const GeneratorRegistry generators = suites::builtin_generators();
  // Each block is checked as if it sat in suites/examples, whose data files and workspace the
  // examples name.
  const fs::path path = kRoot / "suites/examples/doc-example.pareto";
  for (const auto& [line, text] : blocks) {
    CheckOptions options;
    options.read_file = [&, t = text](const fs::path& p,
                                      std::string* error) -> std::optional<std::string> {
      if (p == path) return t;
      if (auto source = read_source_file(p, error)) return std::string(source->text());
      return std::nullopt;
    };
    const std::vector<fs::path> roots = {path};
    const CheckResult r = check_files(roots, generators, options);
    EXPECT_TRUE(r.ok()) << "docs/spec.md:" << line << ":\n" << r.diagnostics.render();
  }
}

TEST(RepositorySpecs, DocsDescribeEveryGraderAndTool) {
  const std::string docs = read_bytes(kRoot / "docs/spec.md");
  for (const char* grader : {"exact(", "contains(", "regex(", "number(", "json(", "tests(",
                             "command(", "judge(", "unchanged("}) {
    EXPECT_NE(docs.find(std::string("`") + grader), std::string::npos) << grader;
  }
  for (const char* tool : kAgentTools) {
    EXPECT_NE(docs.find(std::string("`") + tool + "`"), std::string::npos) << tool;
  }
}

TEST(RepositorySpecs, DocsDescribeEveryGeneratorWithItsParametersAndFields) {
  const std::string docs = read_bytes(kRoot / "docs/spec.md");
  const GeneratorRegistry generators = suites::builtin_generators();
  ASSERT_GT(generators.size(), 0u);
  for (const std::string& name : generators.names()) {
    // The generator's row of the table: | `name` | ... |
    const std::size_t row = docs.find("| `" + name + "` |");
    ASSERT_NE(row, std::string::npos) << "docs/spec.md has no row for generator " << name;
    const std::string text = docs.substr(row, docs.find('\n', row) - row);
    const GeneratorInfo& info = generators.find(name)->info();
    for (const GeneratorParam& p : info.params) {
      EXPECT_NE(text.find("`" + p.name + "`"), std::string::npos) << name << ": " << p.name;
    }
    for (const std::string& f : info.fields) {
      EXPECT_NE(text.find("`" + f + "`"), std::string::npos) << name << ": field " << f;
    }
  }
}

}  // namespace
}  // namespace pareto::spec
