// The core suite (suites/core/core.pareto) through the real driver and graders: for every
// item, the sample's answer followed by EOS-less run-on text passes (the prompt a trained
// model sees is the one the driver sends, and its first line is what is graded), and another
// item's different answer fails.
#include <gtest/gtest.h>

#include <filesystem>

#include "agents/driver.h"
#include "harness/graders.h"
#include "spec/checker.h"
#include "spec/template.h"
#include "suites/generators.h"

namespace pareto::harness {
namespace {

namespace fs = std::filesystem;

TEST(CoreSuiteGrading, RightAnswersPassAndOthersFail) {
  const spec::GeneratorRegistry generators = suites::builtin_generators();
  spec::CheckOptions options;
  options.strict = true;
  const std::vector<fs::path> files = {fs::path(PARETO_SOURCE_DIR) / "suites/core/core.pareto"};
  const spec::CheckResult checked = spec::check_files(files, generators, options);
  ASSERT_TRUE(checked.ok()) << checked.diagnostics.render();
  ASSERT_EQ(checked.project.suites.size(), 1u);
  std::size_t items = 0;
  for (const spec::Task& task : checked.project.suites[0].tasks) {
    auto driver = agents::SingleShot::ForTask(task);
    ASSERT_TRUE(driver.ok()) << task.id;
    auto graders = TaskGraders::Make(task);
    ASSERT_TRUE(graders.ok()) << task.id;
    for (std::size_t i = 0; i < task.samples.size(); ++i) {
      const spec::Sample& sample = task.samples[i];
      const std::string answer = spec::field_text(sample.fields["answer"]);
      // The text a model is sent is the rendered prompt, as suites::training_examples has it.
      const agents::Prompt prompt = driver->prompt(sample);
      EXPECT_EQ(prompt.mode, spec::PromptMode::kCompletion);
      EXPECT_EQ(prompt.text(), spec::render_template(task.prompt, sample.fields)) << task.id;

      const agents::ExtractedAnswer right = driver->extract(answer + "\n7 12+3= x");
      ASSERT_TRUE(right.found) << task.id;
      const Grading pass = graders->grade({&sample, right.answer, {}, {}}, {});
      EXPECT_TRUE(pass.passed && !pass.error)
          << task.id << ": " << answer << " graded as " << pass.verdicts.at(0).reason;
      // The next item with a different answer.
      for (std::size_t k = 1; k < task.samples.size(); ++k) {
        const spec::Sample& other = task.samples[(i + k) % task.samples.size()];
        const std::string wrong = spec::field_text(other.fields["answer"]);
        if (wrong == answer) continue;
        const Grading fail = graders->grade({&sample, driver->extract(wrong).answer, {}, {}}, {});
        EXPECT_FALSE(fail.passed || fail.error) << task.id << ": " << wrong << " for " << answer;
        break;
      }
      ++items;
    }
  }
  EXPECT_GE(items, 12u * 50u);
}

}  // namespace
}  // namespace pareto::harness
