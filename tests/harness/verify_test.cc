// Verification of specs against their own graders (harness/verify.h).
#include "harness/verify.h"

#include <gtest/gtest.h>

#include "tests/spec/checker_test_util.h"

namespace pareto::harness {
namespace {

using Outcome = TaskVerification::Outcome;

TEST(VerifySampleIndices, SpreadsEvenlyWithFirstAndLast) {
  EXPECT_EQ(verify_sample_indices(3, 20), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(verify_sample_indices(3, 0), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(verify_sample_indices(101, 5), (std::vector<std::size_t>{0, 25, 50, 75, 100}));
  EXPECT_EQ(verify_sample_indices(10, 1), (std::vector<std::size_t>{0}));
  EXPECT_TRUE(verify_sample_indices(0, 5).empty());
}

TEST(Verify, GradesWhatFollowsFromTheGraders) {
  auto r = spec::testing::check_text(R"spec(
task json.at.path {
  kind = analysis
  tags = [t]
  prompt = "Q"
  sample { answer = "Paris" }
  sample { answer = [1, 2] }
  expect json(path = "$.items[1].city", equals = answer)
}
task regex.only {
  kind = analysis
  tags = [t]
  prompt = "Q"
  sample { answer = "12" }
  expect regex("Answer: (\\d+)", group = 1, equals = answer)
}
task exact.template {
  kind = analysis
  tags = [t]
  prompt = "Q"
  sample { answer = "b" }
  expect exact("a {{answer}} c", normalize = [whitespace])
  expect number(answer, weight = 2)
}
)spec");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  auto results = verify_project(r.project, {});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].outcome, Outcome::kPassed);
  EXPECT_EQ(results[0].samples, 2u);
  EXPECT_EQ(results[1].outcome, Outcome::kSkipped);
  EXPECT_NE(results[1].skip_reason.find("no exact, contains, number or json"), std::string::npos);
  // exact passes on its own expected text; number fails: "b" is no number.
  EXPECT_EQ(results[2].outcome, Outcome::kFailed);
  ASSERT_EQ(results[2].reasons.size(), 1u);
  EXPECT_EQ(results[2].reasons[0], "number (could not run): the expected value `b` is not a number");
}

TEST(GraderUsesField, SeesOperandsAndTemplates) {
  auto r = spec::testing::check_text(R"spec(
task t {
  kind = coding
  language = python
  tags = [t]
  prompt = "Q"
  sample { answer = 1, n = 2 }
  expect tests("assert {{ answer }} == 1")
  expect command("echo {{n}}", stdout = answer)
  expect contains("x")
  reference = "x = 1"
}
)spec");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  const auto& graders = r.project.suites[0].tasks[0].graders;
  EXPECT_TRUE(grader_uses_field(graders[0], "answer"));
  EXPECT_TRUE(grader_uses_field(graders[1], "answer"));
  EXPECT_TRUE(grader_uses_field(graders[1], "n"));
  EXPECT_FALSE(grader_uses_field(graders[2], "answer"));
  EXPECT_TRUE(verify_needs_sandbox(r.project.suites[0].tasks[0]));
}

}  // namespace
}  // namespace pareto::harness
