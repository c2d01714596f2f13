// The graders (harness/graders.h) on tasks checked from real spec text: text graders on real
// answers, tests and command graders running real Python and C++ programs in the real
// sandbox, the judge through a callback, unchanged on real folders.
#include "harness/graders.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "tests/spec/checker_test_util.h"

namespace pareto::harness {
namespace {

namespace fs = std::filesystem;

// A checked task from spec text, with its graders.
struct Checked {
  spec::CheckResult result;
  const spec::Task& task() const { return result.project.suites.at(0).tasks.at(0); }
  const spec::Sample& sample(std::size_t i = 0) const { return task().samples.at(i); }
};

Checked check(const std::string& text) {
  Checked c{spec::testing::check_text(text)};
  EXPECT_TRUE(c.result.ok()) << c.result.diagnostics.render();
  return c;
}

Grading grade(const Checked& c, const std::string& answer, std::size_t sample = 0,
              GradeOptions options = {}) {
  auto graders = TaskGraders::Make(c.task());
  EXPECT_TRUE(graders.ok()) << graders.message();
  GradeInput in;
  in.sample = &c.sample(sample);
  in.answer = answer;
  return graders->grade(in, options);
}

std::string analysis(const std::string& body) {
  return "task t {\n  kind = analysis\n  tags = [t]\n  prompt = \"Question.\"\n" + body + "\n}\n";
}

TEST(ExactGrader, NormalisesBothSides) {
  auto c = check(analysis(R"(
  sample { answer = "New  York" }
  expect exact(answer, normalize = [case, whitespace, punctuation])
)"));
  EXPECT_TRUE(grade(c, "  new york. ").passed);
  EXPECT_TRUE(grade(c, "NEW\n\tYORK!").passed);
  EXPECT_FALSE(grade(c, "Newark").passed);
  auto strict = check(analysis("  sample { answer = \"Paris\" }\n  expect exact(answer)"));
  EXPECT_TRUE(grade(strict, "Paris").passed);
  Grading g = grade(strict, "paris");
  EXPECT_FALSE(g.passed);
  EXPECT_FALSE(g.error);
  EXPECT_EQ(g.verdicts.at(0).reason, "expected `Paris`, got `paris`");
}

TEST(ExactGrader, RendersTemplatesInLiterals) {
  auto c = check(analysis(R"(
  sample { x = 1, y = 2.5 }
  expect exact("{\"x\": {{x}}, \"y\": {{y}}}", normalize = [whitespace])
)"));
  EXPECT_TRUE(grade(c, "{\"x\": 1, \"y\": 2.5}").passed);
  EXPECT_FALSE(grade(c, "{\"x\": 1, \"y\": 2.6}").passed);
}

TEST(ContainsGrader, HonoursCase) {
  auto c = check(analysis("  expect contains(\"Hi\")\n  expect contains(\"there\", case_sensitive = false)"));
  Grading g = grade(c, "Hi THERE");
  EXPECT_TRUE(g.passed);
  g = grade(c, "hi there");
  EXPECT_FALSE(g.passed);
  EXPECT_FALSE(g.verdicts[0].passed);
  EXPECT_TRUE(g.verdicts[1].passed);
  EXPECT_DOUBLE_EQ(g.score, 0.5);
}

TEST(RegexGrader, MatchesAndComparesACapture) {
  auto c = check(analysis(R"(
  sample { answer = "42" }
  expect regex("^Answer: (\\d+)$", group = 1, equals = answer)
)"));
  EXPECT_TRUE(grade(c, "Answer: 42").passed);
  Grading wrong = grade(c, "Answer: 41");
  EXPECT_FALSE(wrong.passed);
  EXPECT_EQ(wrong.verdicts[0].reason, "group 1: expected `42`, got `41`");
  EXPECT_EQ(grade(c, "The answer is 42").verdicts[0].reason, "no match for /^Answer: (\\d+)$/");
}

TEST(NumberGrader, ComparesTheLastNumber) {
  auto c = check(analysis("  sample { answer = 357 }\n  expect number(answer)"));
  EXPECT_TRUE(grade(c, "12 + 345 = 357").passed);
  EXPECT_TRUE(grade(c, "357.0").passed);
  Grading g = grade(c, "I think 356");
  EXPECT_FALSE(g.passed);
  EXPECT_EQ(g.verdicts[0].reason, "expected 357, got 356");
  g = grade(c, "no idea");
  EXPECT_FALSE(g.passed);
  EXPECT_FALSE(g.error);
}

TEST(NumberGrader, KeepsLargeIntegersExact) {
  auto c = check(analysis(
      "  sample { answer = 999999999999999999 }\n  expect number(answer, tolerance = 0)"));
  EXPECT_TRUE(grade(c, "999,999,999,999,999,999").passed);
  EXPECT_FALSE(grade(c, "999999999999999998").passed);  // equal as doubles
}

TEST(NumberGrader, AppliesAbsoluteAndRelativeTolerance) {
  auto abs = check(analysis("  sample { answer = 2.5 }\n  expect number(answer, tolerance = 0.01)"));
  EXPECT_TRUE(grade(abs, "2.51").passed);
  EXPECT_TRUE(grade(abs, "2.49").passed);
  EXPECT_FALSE(grade(abs, "2.52").passed);
  auto rel = check(analysis("  sample { answer = 1000 }\n  expect number(answer, relative = 0.01)"));
  EXPECT_TRUE(grade(rel, "1010").passed);
  EXPECT_FALSE(grade(rel, "1011").passed);
  EXPECT_EQ(grade(rel, "1011").verdicts[0].reason, "expected 1000 ± 0.01x, got 1011");
}

TEST(NumberGrader, AnExpectedValueThatIsNoNumberIsAnError) {
  auto c = check(analysis("  sample { answer = \"twelve\" }\n  expect number(answer)"));
  Grading g = grade(c, "12");
  EXPECT_FALSE(g.passed);
  EXPECT_TRUE(g.error);
  EXPECT_TRUE(g.verdicts[0].error);
  EXPECT_EQ(g.error_message, "number: the expected value `twelve` is not a number");
}

TEST(JsonGrader, FollowsThePathAndComparesValues) {
  auto c = check(analysis(R"(
  sample { y = 2.5, items = [1, 2] }
  expect json(path = "$.y", equals = y)
  expect json(path = "$.items", equals = "[1, 2]")
  expect json(path = "$.name")
)"));
  EXPECT_TRUE(grade(c, R"({"y": 2.5, "items": [1,2], "name": "n"})").passed);
  Grading g = grade(c, R"({"y": 3, "items": [2, 1]})");
  EXPECT_FALSE(g.verdicts[0].passed);
  EXPECT_EQ(g.verdicts[0].reason, "$.y: expected `2.5`, got `3`");
  EXPECT_FALSE(g.verdicts[1].passed);
  EXPECT_EQ(g.verdicts[2].reason, "no value at $.name");
  EXPECT_EQ(grade(c, "y = 2.5").verdicts[0].reason, "the answer is not one JSON value");
}

TEST(Combine, WeightsGivePartialCredit) {
  auto c = check(analysis(R"(
  sample { answer = 4 }
  expect number(answer, weight = 3)
  expect contains("because", weight = 1)
)"));
  Grading g = grade(c, "4");
  EXPECT_FALSE(g.passed);
  EXPECT_DOUBLE_EQ(g.score, 0.75);
  EXPECT_DOUBLE_EQ(g.verdicts[0].weight, 3.0);
  EXPECT_TRUE(grade(c, "4, because two and two make four").passed);
  EXPECT_DOUBLE_EQ(grade(c, "4, because two and two make four").score, 1.0);
}

// ---- judge ----

TEST(JudgeGrader, ParsesTheVerdictStrictly) {
  EXPECT_DOUBLE_EQ(*parse_judge_score("Good answer.\nSCORE: 0.8\n"), 0.8);
  EXPECT_DOUBLE_EQ(*parse_judge_score("SCORE: 1"), 1.0);
  EXPECT_DOUBLE_EQ(*parse_judge_score("SCORE:0"), 0.0);
  EXPECT_DOUBLE_EQ(*parse_judge_score("SCORE: 1.00\r\n\n"), 1.0);
  for (const char* bad : {"", "score: 0.8", "SCORE: 0.8 because", "SCORE: 1.5", "SCORE: .8",
                          "SCORE: -0", "SCORE: 0.8\nThat is all.", "SCORE: 0.2\nSCORE: 0.9",
                          "The score is 0.8", "SCORE: 80%"}) {
    EXPECT_FALSE(parse_judge_score(bad).ok()) << bad;
  }
}

TEST(JudgeGrader, AsksTheTierAndScoresByThreshold) {
  auto c = check(analysis(R"(
  sample { topic = "sky" }
  expect judge("Does it explain the {{topic}}?", tier = pro, threshold = 0.7)
)"));
  std::string asked_tier, asked_prompt;
  GradeOptions options;
  std::string reply = "Mostly right.\nSCORE: 0.75";
  options.judge = [&](const std::string& tier, const std::string& prompt) -> Result<std::string> {
    asked_tier = tier;
    asked_prompt = prompt;
    return reply;
  };
  Grading g = grade(c, "Rayleigh scattering", 0, options);
  EXPECT_EQ(asked_tier, "pro");
  EXPECT_NE(asked_prompt.find("Question."), std::string::npos);
  EXPECT_NE(asked_prompt.find("Rayleigh scattering"), std::string::npos);
  EXPECT_NE(asked_prompt.find("Does it explain the sky?"), std::string::npos);
  EXPECT_TRUE(g.passed);
  EXPECT_DOUBLE_EQ(g.score, 0.75);
  reply = "SCORE: 0.5";
  g = grade(c, "it is blue", 0, options);
  EXPECT_FALSE(g.passed);
  EXPECT_FALSE(g.error);
  EXPECT_DOUBLE_EQ(g.score, 0.5);
}

TEST(JudgeGrader, AnUnreadableReplyOrFailedCallIsAnError) {
  auto c = check(analysis("  expect judge(\"Is it polite?\")"));
  GradeOptions options;
  options.judge = [](const std::string&, const std::string&) -> Result<std::string> {
    return std::string("I would give it 0.9 out of 1.");
  };
  Grading g = grade(c, "thanks", 0, options);
  EXPECT_TRUE(g.error);
  EXPECT_FALSE(g.passed);
  EXPECT_NE(g.error_message.find("does not end with a line `SCORE: <0..1>`"), std::string::npos);
  options.judge = [](const std::string&, const std::string&) -> Result<std::string> {
    return Status::Error("endpoint down");
  };
  g = grade(c, "thanks", 0, options);
  EXPECT_TRUE(g.error);
  EXPECT_EQ(g.error_message, "judge: the judge tier `ultra` failed: endpoint down");
  g = grade(c, "thanks");
  EXPECT_TRUE(g.error);
  EXPECT_EQ(g.error_message, "judge: no judge available to grade with");
}

// ---- sandboxed graders ----

class SandboxedGraders : public ::testing::Test {
 protected:
  void SetUp() override {
    Status available = sandbox_available();
    ASSERT_TRUE(available.ok()) << available.message();
  }
};

std::string python_task(const std::string& tests, const std::string& extra = "") {
  return R"spec(
task py {
  kind = coding
  language = python
  tags = [t]
  prompt = "Write add(a, b)."
  sample { a = 2, b = 3 }
  expect tests(""")spec" + tests + R"spec(""")
  sandbox { memory = 256MiB, cpu = 2s, wall = 3s }
)spec" + extra + "}\n";
}

TEST_F(SandboxedGraders, PythonTestsPassAndFail) {
  auto c = check(python_task("from solution import add\nassert add({{a}}, {{b}}) == 5\n"));
  Grading ok = grade(c, "def add(a, b):\n    return a + b\n");
  EXPECT_TRUE(ok.passed) << ok.verdicts[0].reason;
  EXPECT_EQ(ok.verdicts[0].reason, "the tests pass");
  Grading wrong = grade(c, "def add(a, b):\n    return a - b\n");
  EXPECT_FALSE(wrong.passed);
  EXPECT_FALSE(wrong.error);
  EXPECT_NE(wrong.verdicts[0].reason.find("exited with status 1"), std::string::npos);
  EXPECT_NE(wrong.verdicts[0].reason.find("AssertionError"), std::string::npos);
  Grading broken = grade(c, "def add(a, b) return a + b");
  EXPECT_FALSE(broken.passed);
  EXPECT_NE(broken.verdicts[0].reason.find("SyntaxError"), std::string::npos);
  EXPECT_FALSE(grade(c, "").passed);
}

TEST_F(SandboxedGraders, PythonSolutionsThatHangOrHogMemoryFail) {
  auto c = check(python_task("from solution import add\nassert add(1, 2) == 3\n"));
  Grading hang = grade(c, "def add(a, b):\n    while True:\n        pass\n");
  EXPECT_FALSE(hang.passed);
  EXPECT_FALSE(hang.error);
  EXPECT_NE(hang.verdicts[0].reason.find("timed out"), std::string::npos) << hang.verdicts[0].reason;
  Grading hog = grade(c, "def add(a, b):\n    x = bytearray(1 << 30)\n    return a + b\n");
  EXPECT_FALSE(hog.passed);
  EXPECT_FALSE(hog.error);
  EXPECT_NE(hog.verdicts[0].reason.find("ran out of memory"), std::string::npos)
      << hog.verdicts[0].reason;
  // The harness goes on: the next item grades normally.
  EXPECT_TRUE(grade(c, "def add(a, b):\n    return a + b\n").passed);
}

TEST_F(SandboxedGraders, TaskFilesSitBesideTheSolution) {
  auto c = check(python_task("from solution import count\nassert count('data.txt') == 3\n",
                             "  files = { \"data.txt\" = \"a b {{a}}\" }\n"));
  EXPECT_TRUE(grade(c, "def count(p):\n    return len(open(p).read().split())\n").passed);
}

std::string cpp_task(const std::string& extra = "") {
  return R"spec(
task cc {
  kind = coding
  language = cpp
  tags = [t]
  prompt = "Write gcd."
  expect tests("""
    #include "solution.h"
    #include <cassert>
    int main() {
      assert(gcd(12, 18) == 6);
      assert(gcd(0, 5) == 5);
    }
    """)
  sandbox { cpu = 2s, wall = 3s }
)spec" + extra + "}\n";
}

TEST_F(SandboxedGraders, CppTestsCompileAndRunInTheSandbox) {
  auto c = check(cpp_task());
  Grading ok = grade(c, "long long gcd(long long a, long long b) { return b ? gcd(b, a % b) : a; }\n");
  EXPECT_TRUE(ok.passed) << ok.verdicts[0].reason;
  Grading wrong = grade(c, "long long gcd(long long a, long long b) { return a * 0 + b; }\n");
  EXPECT_FALSE(wrong.passed);
  EXPECT_FALSE(wrong.error);
  EXPECT_NE(wrong.verdicts[0].reason.find("(signal 6)"), std::string::npos)
      << wrong.verdicts[0].reason;
  Grading broken = grade(c, "long long gcd(long long a, long long b) { return a +; }\n");
  EXPECT_FALSE(broken.passed);
  EXPECT_FALSE(broken.error);
  EXPECT_NE(broken.verdicts[0].reason.find("do not compile"), std::string::npos);
  EXPECT_NE(broken.verdicts[0].reason.find("error:"), std::string::npos);
}

TEST_F(SandboxedGraders, CppSolutionsThatHangOrHogMemoryFail) {
  auto c = check(cpp_task());
  Grading hang = grade(c, "long long gcd(long long a, long long b) { while (true) {} }\n");
  EXPECT_FALSE(hang.passed);
  EXPECT_NE(hang.verdicts[0].reason.find("timed out"), std::string::npos) << hang.verdicts[0].reason;
  Grading hog = grade(c,
                      "#include <vector>\nlong long gcd(long long a, long long b) {\n"
                      "  std::vector<char> v(std::size_t(4) << 30, 1); return v[0] + a + b; }\n");
  EXPECT_FALSE(hog.passed);
  EXPECT_FALSE(hog.error);
  EXPECT_NE(hog.verdicts[0].reason.find("ran out of memory"), std::string::npos)
      << hog.verdicts[0].reason;
}

TEST_F(SandboxedGraders, CommandsRunBesideTheSolution) {
  auto c = check(R"spec(
task cmd {
  kind = coding
  language = python
  tags = [t]
  prompt = "Write add."
  sample { want = 4 }
  files = { "cases.json" = "[[1, 2, 3]]" }
  expect command("python3 -c 'import solution; print(solution.add(2, 2))'", stdout = want)
  expect command("ls", stdout_contains = "cases.json")
  expect command("exit 3", exit = 3)
}
)spec");
  Grading g = grade(c, "def add(a, b):\n    return a + b\n");
  EXPECT_TRUE(g.passed) << g.verdicts[0].reason << " / " << g.verdicts[1].reason << " / "
                        << g.verdicts[2].reason;
  g = grade(c, "def add(a, b):\n    return a * b + 1\n");
  EXPECT_FALSE(g.verdicts[0].passed);
  EXPECT_EQ(g.verdicts[0].reason, "expected stdout `4`, got `5`");
  EXPECT_TRUE(g.verdicts[1].passed);
}

// ---- agent workspaces ----

class WorkspaceGraders : public SandboxedGraders {
 protected:
  void SetUp() override {
    SandboxedGraders::SetUp();
    std::string pattern = (fs::temp_directory_path() / "pareto-graders-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    write("before/tests/test_x.py", "assert True\n");
    write("before/src/x.py", "X = 1\n");
    fs::create_symlink("x.py", dir_ / "before/src/link.py");
    fs::copy(dir_ / "before", dir_ / "after", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }
  Grading grade_agent(const Checked& c) {
    auto graders = TaskGraders::Make(c.task());
    EXPECT_TRUE(graders.ok());
    GradeInput in;
    in.sample = &c.sample();
    in.workspace = dir_ / "after";
    in.workspace_before = dir_ / "before";
    return graders->grade(in, {});
  }
  fs::path dir_;
};

const char* kAgentTask = R"spec(
task fix {
  kind = agent
  tags = [t]
  prompt = "Fix it."
  agent { tools = [shell, submit] }
  expect command("python3 tests/test_x.py && echo extra > made.txt")
  expect unchanged("tests/")
  expect unchanged("src/link.py")
}
)spec";

TEST_F(WorkspaceGraders, UnchangedSeesEveryKindOfChange) {
  auto c = check(kAgentTask);
  Grading g = grade_agent(c);
  EXPECT_TRUE(g.passed) << g.verdicts[0].reason << " / " << g.verdicts[1].reason;
  // The command ran in a scratch copy: the agent's workspace did not change.
  EXPECT_FALSE(fs::exists(dir_ / "after/made.txt"));

  write("after/tests/test_x.py", "assert True \n");
  g = grade_agent(c);
  EXPECT_FALSE(g.passed);
  EXPECT_EQ(g.verdicts[1].reason, "tests/test_x.py was modified");
  write("after/tests/test_x.py", "assert True\n");
  write("after/tests/new.py", "");
  EXPECT_EQ(grade_agent(c).verdicts[1].reason, "tests/new.py was created");
  fs::remove(dir_ / "after/tests/new.py");
  fs::remove(dir_ / "after/tests/test_x.py");
  EXPECT_EQ(grade_agent(c).verdicts[1].reason, "tests/test_x.py was removed");
  write("after/tests/test_x.py", "assert True\n");
  EXPECT_TRUE(grade_agent(c).verdicts[1].passed);
  fs::remove(dir_ / "after/src/link.py");
  fs::create_symlink("../tests/test_x.py", dir_ / "after/src/link.py");
  EXPECT_EQ(grade_agent(c).verdicts[2].reason, "src/link.py was retargeted");
}

TEST_F(WorkspaceGraders, WithoutWorkspacesTheGradersCannotRun) {
  auto c = check(kAgentTask);
  Grading g = grade(c, "");
  EXPECT_TRUE(g.error);
  EXPECT_TRUE(g.verdicts[0].error);
  EXPECT_TRUE(g.verdicts[1].error);
}

}  // namespace
}  // namespace pareto::harness
