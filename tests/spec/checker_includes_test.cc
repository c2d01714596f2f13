// The checker across files: includes, cycles, missing files, suites and roots.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "spec/checker.h"
#include "tests/spec/checker_test_util.h"

namespace pareto::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::MemoryFiles;
using testing::messages;

std::string task(const std::string& id) {
  return "task " + id +
         " {\n  kind = analysis, tags = [x], prompt = \"x only\", expect contains(\"x\")\n}\n";
}

CheckResult check(const MemoryFiles& fs, std::vector<std::filesystem::path> roots) {
  static const GeneratorRegistry registry = testing::test_generators();
  return check_files(roots, registry, fs.options());
}

TEST(Includes, IncludedTasksJoinTheIncludingSuiteAtTheIncludeLine) {
  MemoryFiles fs;
  fs.files["/t/main.pareto"] =
      "suite s\ntask a0 {\n  kind = analysis, tags = [x], prompt = \"x only\", expect "
      "contains(\"x\")\n}\ninclude \"lib/common.pareto\"\n" +
      task("a2");
  fs.files["/t/lib/common.pareto"] = task("c1");
  auto r = check(fs, {"/t/main.pareto"});
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  ASSERT_EQ(r.project.suites.size(), 1u);
  const Suite& s = r.project.suites[0];
  ASSERT_EQ(s.tasks.size(), 3u);
  EXPECT_EQ(s.tasks[0].id, "a0");
  EXPECT_EQ(s.tasks[1].id, "c1");
  EXPECT_EQ(s.tasks[1].suite, "s");
  EXPECT_EQ(s.tasks[1].origin.file, std::filesystem::path("/t/lib/common.pareto"));
  EXPECT_EQ(s.tasks[2].id, "a2");
  EXPECT_THAT(s.includes, ElementsAre(std::filesystem::path("/t/lib/common.pareto")));
  EXPECT_EQ(r.files, 2u);
}

TEST(Includes, PathsAreRelativeToTheIncludingFile) {
  MemoryFiles fs;
  fs.files["/t/main.pareto"] = "include \"a/one.pareto\"\n";
  fs.files["/t/a/one.pareto"] = "include \"../b/two.pareto\"\n";
  fs.files["/t/b/two.pareto"] = task("deep");
  auto r = check(fs, {"/t/main.pareto"});
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  EXPECT_EQ(r.project.suites.at(0).tasks.at(0).id, "deep");
}

TEST(Includes, MissingFileIsAnErrorAtTheInclude) {
  MemoryFiles fs;
  fs.files["/t/main.pareto"] = task("a") + "include \"gone.pareto\"\n";
  auto r = check(fs, {"/t/main.pareto"});
  EXPECT_THAT(messages(r), ElementsAre("4:9: cannot include `gone.pareto`"));
  EXPECT_EQ(r.diagnostics.all()[0].file, "/t/main.pareto");
  EXPECT_EQ(r.diagnostics.all()[0].hint, "cannot open /t/gone.pareto: No such file or directory");
}

TEST(Includes, CycleIsAnErrorAtTheIncludeThatClosesIt) {
  MemoryFiles fs;
  fs.files["/t/a.pareto"] = "include \"b.pareto\"\n" + task("a");
  fs.files["/t/b.pareto"] = "include \"a.pareto\"\n" + task("b");
  auto r = check(fs, {"/t/a.pareto"});
  ASSERT_THAT(messages(r),
              ElementsAre("1:9: include cycle: /t/a.pareto -> /t/b.pareto -> /t/a.pareto"));
  EXPECT_EQ(r.diagnostics.all()[0].file, "/t/b.pareto");
}

TEST(Includes, SelfIncludeIsAnError) {
  MemoryFiles fs;
  fs.files["/t/a.pareto"] = "include \"./a.pareto\"\n";
  auto r = check(fs, {"/t/a.pareto"});
  EXPECT_THAT(messages(r), ElementsAre("1:9: a file cannot include itself"));
}

TEST(Includes, DuplicateTaskIdAcrossIncludes) {
  MemoryFiles fs;
  fs.files["/t/main.pareto"] = task("same") + "include \"other.pareto\"\n";
  fs.files["/t/other.pareto"] = task("same");
  auto r = check(fs, {"/t/main.pareto"});
  ASSERT_THAT(messages(r), ElementsAre("1:6: task `same` is defined twice in suite `main`"));
  EXPECT_EQ(r.diagnostics.all()[0].file, "/t/other.pareto");
  EXPECT_EQ(r.diagnostics.all()[0].notes.at(0).file, "/t/main.pareto");
}

TEST(Includes, DiamondIncludesCountAFileOnce) {
  MemoryFiles fs;
  fs.files["/t/main.pareto"] = "include \"l.pareto\"\ninclude \"r.pareto\"\n";
  fs.files["/t/l.pareto"] = "include \"base.pareto\"\n";
  fs.files["/t/r.pareto"] = "include \"base.pareto\"\n";
  fs.files["/t/base.pareto"] = task("b");
  auto r = check(fs, {"/t/main.pareto"});
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  EXPECT_EQ(r.project.suites.at(0).tasks.size(), 1u);
}

TEST(Includes, DefaultsApplyOnlyToTheirOwnFile) {
  MemoryFiles fs;
  fs.files["/t/main.pareto"] =
      "defaults { budget { max_tokens = 5 } }\ninclude \"lib.pareto\"\n" + task("mine");
  fs.files["/t/lib.pareto"] = task("theirs");
  auto r = check(fs, {"/t/main.pareto"});
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  const auto& tasks = r.project.suites.at(0).tasks;
  EXPECT_FALSE(tasks.at(0).budget.max_tokens.has_value());  // theirs
  EXPECT_EQ(tasks.at(1).budget.max_tokens, 5);              // mine
}

TEST(Includes, AnIncludedFileIsNotASuiteOfItsOwn) {
  MemoryFiles fs;
  fs.files["/t/main.pareto"] = "include \"common.pareto\"\n" + task("m");
  fs.files["/t/common.pareto"] = task("c");
  auto r = check(fs, {"/t/common.pareto", "/t/main.pareto"});
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  ASSERT_EQ(r.project.suites.size(), 1u);
  EXPECT_EQ(r.project.suites[0].name, "main");
  EXPECT_THAT(messages(r), IsEmpty());
}

TEST(Includes, ErrorsOfASharedFileAreReportedOnce) {
  MemoryFiles fs;
  fs.files["/t/a.pareto"] = "include \"common.pareto\"\n";
  fs.files["/t/b.pareto"] = "include \"common.pareto\"\n";
  fs.files["/t/common.pareto"] =
      "task c {\n  kind = analysis, tags = [x], prompt = \"x\", expect contains(\"x\")\n  oops = "
      "1\n}\n";
  auto r = check(fs, {"/t/a.pareto", "/t/b.pareto"});
  EXPECT_THAT(messages(r), ElementsAre("3:3: unknown field `oops` in task `c`"));
}

TEST(Suites, SuiteNamesMustBeUnique) {
  MemoryFiles fs;
  fs.files["/t/a.pareto"] = "suite same\n" + task("a");
  fs.files["/t/b.pareto"] = "suite same\n" + task("b");
  auto r = check(fs, {"/t/a.pareto", "/t/b.pareto"});
  ASSERT_THAT(messages(r), ElementsAre("1:7: suite `same` is also defined by /t/a.pareto"));
  EXPECT_EQ(r.diagnostics.all()[0].file, "/t/b.pareto");
}

TEST(Suites, SuitesAreSortedByName) {
  MemoryFiles fs;
  fs.files["/t/zeta.pareto"] = task("z");
  fs.files["/t/alpha.pareto"] = task("a");
  auto r = check(fs, {"/t/zeta.pareto", "/t/alpha.pareto"});
  ASSERT_EQ(r.project.suites.size(), 2u);
  EXPECT_EQ(r.project.suites[0].name, "alpha");
  EXPECT_EQ(r.project.suites[1].name, "zeta");
}

TEST(Suites, ASecondSuiteLineIsAnError) {
  MemoryFiles fs;
  fs.files["/t/a.pareto"] = "suite one\nsuite two\n" + task("a");
  auto r = check(fs, {"/t/a.pareto"});
  EXPECT_THAT(messages(r), ElementsAre("2:1: a file declares its suite once"));
}

TEST(Files, UnreadableRootIsAnError) {
  MemoryFiles fs;
  auto r = check(fs, {"/t/none.pareto"});
  ASSERT_THAT(messages(r),
              ElementsAre("0:0: cannot open /t/none.pareto: No such file or directory"));
  EXPECT_EQ(r.diagnostics.all()[0].file, "/t/none.pareto");
}

TEST(Files, SyntaxErrorsAreReportedWithTheSemanticOnes) {
  MemoryFiles fs;
  fs.files["/t/a.pareto"] =
      "task a {\n  kind = analysis, tags = [x], prompt = \"x\", expect contains(\"x\")\n  oops = "
      "1\n}\ntask b {\n  prompt = \"unterminated\n}\n";
  auto r = check(fs, {"/t/a.pareto"});
  auto m = messages(r);
  ASSERT_GE(m.size(), 2u);
  EXPECT_EQ(m[0], "3:3: unknown field `oops` in task `a`");
  EXPECT_THAT(m[1], ::testing::StartsWith("6:"));
}

}  // namespace
}  // namespace pareto::spec
