// The single-shot driver (agents/driver.h) on tasks checked from real spec text.
#include "agents/driver.h"

#include <gtest/gtest.h>

#include "tests/spec/checker_test_util.h"

namespace pareto::agents {
namespace {

spec::CheckResult check(const std::string& text) {
  auto r = spec::testing::check_text(text);
  EXPECT_TRUE(r.ok()) << r.diagnostics.render();
  return r;
}

const spec::Task& only_task(const spec::CheckResult& r) { return r.project.suites.at(0).tasks.at(0); }

TEST(Driver, RendersSystemAndPromptPerSample) {
  auto r = check(R"spec(
task add {
  kind   = analysis
  tags   = [t]
  system = "You add {{kind}} numbers."
  prompt = "Compute {{a}} + {{b}}."
  sample { kind = "whole", a = 1, b = 2, answer = 3 }
  sample { kind = "big", a = 10, b = [1, 2], answer = 11 }
  expect number(answer)
}
)spec");
  const spec::Task& task = only_task(r);
  auto driver = SingleShot::ForTask(task);
  ASSERT_TRUE(driver.ok()) << driver.message();
  Prompt p = driver->prompt(task.samples[0]);
  EXPECT_EQ(p.mode, spec::PromptMode::kChat);
  EXPECT_EQ(p.system, "You add whole numbers.");
  EXPECT_EQ(p.user, "Compute 1 + 2.");
  auto messages = p.messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].role, "system");
  EXPECT_EQ(messages[1].role, "user");
  EXPECT_EQ(messages[1].content, "Compute 1 + 2.");
  EXPECT_EQ(p.text(), "You add whole numbers.\n\nCompute 1 + 2.");
  EXPECT_EQ(driver->prompt(task.samples[1]).user, "Compute 10 + [1,2].");
  auto answer = driver->extract("1 + 2 is 3");
  EXPECT_TRUE(answer.found);
  EXPECT_EQ(answer.answer, "1 + 2 is 3");  // extract defaults to full for analysis
}

TEST(Driver, CompletionModeWithoutSystemIsThePromptAlone) {
  auto r = check(R"spec(
task cont {
  kind   = analysis
  tags   = [t]
  mode   = completion
  prompt = "The capital of France is"
  extract = regex("([A-Z][a-z]+)", group = 1)
  expect exact("Paris")
}
)spec");
  const spec::Task& task = only_task(r);
  auto driver = SingleShot::ForTask(task);
  ASSERT_TRUE(driver.ok());
  Prompt p = driver->prompt(task.samples[0]);
  EXPECT_EQ(p.mode, spec::PromptMode::kCompletion);
  EXPECT_EQ(p.text(), "The capital of France is");
  EXPECT_EQ(p.messages().size(), 1u);
  EXPECT_EQ(driver->extract(" Paris, of course.").answer, "Paris");
}

TEST(Driver, CodingTasksExtractTheirLanguagesBlock) {
  auto r = check(R"spec(
task py.add {
  kind     = coding
  language = python
  tags     = [t]
  prompt   = "Write add(a, b). Reply with one ```python block."
  expect tests("from solution import add\nassert add(1, 2) == 3")
}
)spec");
  const spec::Task& task = only_task(r);
  auto driver = SingleShot::ForTask(task);
  ASSERT_TRUE(driver.ok());
  auto a = driver->extract("Sure:\n```python\ndef add(a, b):\n    return a + b\n```\n");
  EXPECT_TRUE(a.found);
  EXPECT_EQ(a.answer, "def add(a, b):\n    return a + b\n");
}

TEST(Driver, RefusesAgentTasksWithAClearReason) {
  auto r = check(R"spec(
task fix {
  kind   = agent
  tags   = [t]
  prompt = "Fix it."
  agent { tools = [shell, submit] }
  expect command("true")
}
)spec");
  const spec::Task& task = only_task(r);
  auto reason = unsupported_reason(task);
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("agent loop"), std::string::npos);
  auto driver = SingleShot::ForTask(task);
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.message(), *reason);
}

}  // namespace
}  // namespace pareto::agents
