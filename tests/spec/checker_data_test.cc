// The checker with data files and workspaces on disk (tests/fixtures/spec/checker/).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "spec/checker.h"
#include "tests/spec/checker_test_util.h"

namespace pareto::spec {
namespace {

using ::testing::ElementsAre;
using testing::MemoryFiles;
using testing::messages;

const std::filesystem::path kDir =
    std::filesystem::path(PARETO_SOURCE_DIR) / "tests/fixtures/spec/checker";

// Checks `text` as if it were kDir/spec.pareto, so its relative paths reach the fixtures.
CheckResult check_here(const std::string& text, bool strict = false) {
  static const GeneratorRegistry registry = testing::test_generators();
  MemoryFiles fs;
  fs.files[kDir / "spec.pareto"] = text;
  const std::vector<std::filesystem::path> roots = {kDir / "spec.pareto"};
  return check_files(roots, registry, fs.options(strict));
}

// "name:line: message" with the data file's name only.
std::vector<std::string> data_messages(const CheckResult& r) {
  std::vector<std::string> out;
  for (const Diagnostic& d : r.diagnostics.all()) {
    out.push_back(std::filesystem::path(d.file).filename().string() + ":" + std::to_string(d.line) +
                  ": " + d.message);
  }
  return out;
}

TEST(CheckerData, LoadsJsonlSamples) {
  auto r = check_here(R"x(task t {
  kind = analysis, tags = [x]
  prompt = "{{q}} Answer with the number only."
  samples = jsonl("data/questions.jsonl")
  expect number(answer, tolerance = 0.01)
})x");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  const Task& t = r.project.suites.at(0).tasks.at(0);
  EXPECT_EQ(t.source.kind, SampleSource::Kind::kJsonl);
  EXPECT_EQ(t.source.path, kDir / "data/questions.jsonl");
  EXPECT_EQ(t.source.path_as_written, "data/questions.jsonl");
  ASSERT_EQ(t.samples.size(), 3u);
  EXPECT_EQ(t.samples[2].line, 3);
  EXPECT_THAT(t.sample_fields, ElementsAre("answer", "q"));
}

TEST(CheckerData, JsonlProblemsAreReportedAtTheirLines) {
  auto r = check_here(R"x(task t {
  kind = analysis, tags = [x]
  prompt = "{{q}} Answer with the number only."
  samples = jsonl("data/bad.jsonl")
  expect number(answer)
})x");
  auto m = data_messages(r);
  ASSERT_EQ(m.size(), 2u) << r.diagnostics.render();
  EXPECT_THAT(m[0], ::testing::StartsWith("bad.jsonl:2: "));
  EXPECT_EQ(m[1], "bad.jsonl:3: no field `answer`, which task `t` uses (`number`)");
  // Data-file diagnostics render as one line: file:line: error: message.
  EXPECT_THAT(render(r.diagnostics.all()[1]),
              ::testing::EndsWith("data/bad.jsonl:3: error: no field `answer`, which task `t` "
                                  "uses (`number`)\n"));
}

TEST(CheckerData, CsvHeaderGivesTheFields) {
  auto r = check_here(R"x(task t {
  kind = analysis, tags = [x]
  prompt = "{{question}} Answer in one word only."
  samples = csv("data/table.csv")
  expect exact(answer, normalize = [case])
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:13: unknown template variable `question`"));
  EXPECT_EQ(r.diagnostics.all()[0].hint, "the samples have answer, q");

  auto ok = check_here(R"x(task t {
  kind = analysis, tags = [x]
  prompt = "{{q}} Answer in one word only."
  samples = csv("data/table.csv")
  expect exact(answer, normalize = [case])
})x");
  ASSERT_TRUE(ok.ok()) << ok.diagnostics.render();
  const Task& t = ok.project.suites.at(0).tasks.at(0);
  ASSERT_EQ(t.samples.size(), 2u);
  EXPECT_EQ(t.samples[1].fields["q"], "capital of France, in one word");
  EXPECT_EQ(t.samples[1].fields["answer"], "Paris");
}

TEST(CheckerData, CsvValuesAreStringsSoFractionsAreSeenByTheLint) {
  auto r = check_here(R"x(task t {
  kind = analysis, tags = [x]
  prompt = "{{q}} only"
  samples = jsonl("data/questions.jsonl")
  expect number(answer)
})x",
                      true);
  EXPECT_THAT(messages(r), ElementsAre("5:10: `number` has no tolerance, but the expected answers "
                                       "are not whole numbers"));
}

TEST(CheckerData, WorkspaceFolderResolvesAgainstTheSpec) {
  auto r = check_here(R"x(task fix.range {
  kind      = agent
  tags      = [debugging]
  workspace = dir("workspaces/range")
  prompt    = "tests fail. Fix src/range.py."
  agent { tools = [shell, read_file, write_file, submit], max_steps = 12 }
  expect command("python3 -m pytest -q tests", exit = 0)
  expect unchanged("tests/")
  budget { timeout = 5m, max_tokens = 20000 }
})x");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  const Task& t = r.project.suites.at(0).tasks.at(0);
  EXPECT_EQ(t.workspace, kDir / "workspaces/range");
  EXPECT_EQ(t.budget.max_steps, 12);
  EXPECT_EQ(t.budget.timeout, std::chrono::minutes(5));
}

}  // namespace
}  // namespace pareto::spec

namespace pareto::spec {
namespace {

TEST(FindSpecFiles, SearchesFoldersRecursivelyInSortedOrder) {
  const std::filesystem::path cli =
      std::filesystem::path(PARETO_SOURCE_DIR) / "tests/fixtures/spec/cli";
  Diagnostics problems;
  const std::vector<std::string> args = {(cli / "folder").string(),
                                         (cli / "untagged.pareto").string()};
  const auto files = find_spec_files(args, problems);
  EXPECT_TRUE(problems.empty()) << problems.render();
  EXPECT_THAT(files, ElementsAre(cli / "folder/nested/two.pareto", cli / "folder/one.pareto",
                                 cli / "untagged.pareto"));
}

TEST(FindSpecFiles, MissingPathsAndEmptyFoldersAreErrors) {
  Diagnostics problems;
  const std::vector<std::string> args = {
      "no/such/path.pareto",
      (std::filesystem::path(PARETO_SOURCE_DIR) / "tests/fixtures/spec/checker/data").string()};
  const auto files = find_spec_files(args, problems);
  EXPECT_TRUE(files.empty());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(render(problems.all()[0]), "no/such/path.pareto: error: no such file or folder\n");
  EXPECT_EQ(problems.all()[1].message, "no .pareto files in this folder");
}

}  // namespace
}  // namespace pareto::spec
