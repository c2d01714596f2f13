// Checking without drawing generated samples (CheckOptions::generate_samples = false, what
// `pareto check` does): the same diagnostics and the same model as a full check, except that
// generate(...) tasks hold their samples pending until materialize_samples draws them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "spec/checker.h"
#include "spec/export.h"
#include "tests/spec/checker_test_util.h"

namespace pareto::spec {
namespace {

using ::testing::HasSubstr;
using testing::messages;

// A generator that throws while drawing, to see where each kind of check notices.
class ThrowingGenerator : public Generator {
 public:
  ThrowingGenerator() {
    info_.name = "broken";
    info_.description = "always fails";
    info_.fields = {"answer"};
  }
  const GeneratorInfo& info() const override { return info_; }
  std::vector<Sample> generate(const nlohmann::json&, std::uint64_t, std::size_t) const override {
    throw std::runtime_error("out of ideas");
  }

 private:
  GeneratorInfo info_;
};

GeneratorRegistry generators() {
  GeneratorRegistry registry = testing::test_generators();
  registry.add(std::make_unique<ThrowingGenerator>());
  return registry;
}

CheckResult check(const std::string& text, bool generate_samples, bool strict = true) {
  static const GeneratorRegistry registry = generators();
  testing::MemoryFiles files;
  files.files["/t/main.pareto"] = text;
  CheckOptions options = files.options(strict);
  options.generate_samples = generate_samples;
  const std::vector<std::filesystem::path> roots = {"/t/main.pareto"};
  return check_files(roots, registry, options);
}

const Task& only_task(const CheckResult& r) { return r.project.suites.at(0).tasks.at(0); }

constexpr const char* kGenerated = R"x(task add {
  kind = analysis, tags = [x]
  prompt = "Compute {{a}} + {{b}}. Answer with the number only."
  samples = generate(pairs, count = 40, seed = 3)
  expect number(answer, tolerance = 0)
}
task inline {
  kind = analysis, tags = [x], prompt = "{{q}} Answer with the number only."
  sample { q = "1+1", answer = 2 }
  expect exact(answer)
}
)x";

TEST(PendingSamples, AGeneratedTaskHoldsNoSamplesButKnowsTheirCountAndFields) {
  const CheckResult pending = check(kGenerated, false);
  const CheckResult full = check(kGenerated, true);
  ASSERT_TRUE(pending.ok()) << pending.diagnostics.render();
  ASSERT_TRUE(full.ok()) << full.diagnostics.render();
  const Task& lazy = only_task(pending);
  const Task& eager = only_task(full);
  EXPECT_TRUE(lazy.samples.empty());
  EXPECT_TRUE(lazy.samples_pending());
  EXPECT_EQ(lazy.sample_count(), 40u);
  EXPECT_FALSE(eager.samples_pending());
  EXPECT_EQ(eager.sample_count(), 40u);
  EXPECT_EQ(lazy.sample_fields, eager.sample_fields);
  // Other sources are read as usual.
  const Task& inline_task = pending.project.suites.at(0).tasks.at(1);
  EXPECT_FALSE(inline_task.samples_pending());
  EXPECT_EQ(inline_task.samples.size(), 1u);
}

TEST(PendingSamples, MaterializeDrawsWhatAFullCheckDraws) {
  CheckResult pending = check(kGenerated, false);
  const CheckResult full = check(kGenerated, true);
  ASSERT_TRUE(pending.ok()) << pending.diagnostics.render();
  std::string error;
  ASSERT_TRUE(materialize_samples(pending.project, generators(), &error)) << error;
  const Task& drawn = only_task(pending);
  const Task& eager = only_task(full);
  EXPECT_FALSE(drawn.samples_pending());
  ASSERT_EQ(drawn.samples.size(), eager.samples.size());
  for (std::size_t i = 0; i < drawn.samples.size(); ++i) {
    EXPECT_EQ(drawn.samples[i].id, eager.samples[i].id);
    EXPECT_EQ(drawn.samples[i].fields, eager.samples[i].fields);
  }
  // A second call has nothing left to do.
  EXPECT_TRUE(materialize_samples(pending.project, generators(), &error)) << error;
  EXPECT_EQ(only_task(pending).samples.size(), 40u);
}

TEST(PendingSamples, LintsThatLookAtSamplesSayTheSame) {
  // Each lint that reads samples, on generated samples (pairs: a = i + seed, answer = 3a).
  const char* specs[] = {
      // a regex that fails on the 5th answer (12), found among the first 1000 samples
      R"x(task t {
  kind = analysis, tags = [x], prompt = "{{a}}: one digit only"
  samples = generate(pairs, count = 50)
  expect regex("^[0-9]$")
})x",
      // number without a tolerance on fractional answers: scans every sample
      R"x(task t {
  kind = analysis, tags = [x], prompt = "{{a}} only"
  samples = generate(pairs, count = 7, fractional = true)
  expect number(answer)
})x",
      // exact, and the prompt (rendered with the first sample) never says the form
      R"x(task t {
  kind = analysis, tags = [x], prompt = "What is {{a}} times three?"
  samples = generate(pairs, count = 9)
  expect exact(answer)
})x",
  };
  for (const char* spec : specs) {
    const CheckResult pending = check(spec, false);
    const CheckResult full = check(spec, true);
    EXPECT_FALSE(full.ok()) << spec;
    EXPECT_EQ(messages(pending), messages(full)) << spec;
    EXPECT_EQ(pending.diagnostics.error_count(), 1u) << spec;
  }
}

TEST(PendingSamples, AThrowingGeneratorIsReportedWhenItIsDrawn) {
  const std::string spec = R"x(task t {
  kind = analysis, tags = [x], prompt = "Say {{answer}}. Answer with the number only."
  samples = generate(broken, count = 3)
  expect number(answer, tolerance = 0)
})x";
  const CheckResult full = check(spec, true);
  EXPECT_THAT(messages(full),
              ::testing::ElementsAre("3:13: generator `broken` failed: out of ideas"));
  CheckResult pending = check(spec, false);
  ASSERT_TRUE(pending.ok()) << pending.diagnostics.render();
  std::string error;
  EXPECT_FALSE(materialize_samples(pending.project, generators(), &error));
  EXPECT_THAT(error, HasSubstr("task `t`: generator `broken` failed: out of ideas"));
  EXPECT_TRUE(only_task(pending).samples_pending());
}

TEST(PendingSamples, MaterializeNeedsTheTasksGenerator) {
  CheckResult pending = check(kGenerated, false);
  ASSERT_TRUE(pending.ok()) << pending.diagnostics.render();
  const GeneratorRegistry empty;
  std::string error;
  EXPECT_FALSE(materialize_samples(pending.project, empty, &error));
  EXPECT_THAT(error, HasSubstr("no generator `pairs`"));
  EXPECT_TRUE(only_task(pending).samples_pending());
}

TEST(PendingSamples, ExportGivesTheCountAndNoItems) {
  const CheckResult pending = check(kGenerated, false);
  ASSERT_TRUE(pending.ok()) << pending.diagnostics.render();
  const nlohmann::json j = export_json(pending.project);
  const nlohmann::json& samples = j["suites"][0]["tasks"][0]["samples"];
  EXPECT_EQ(samples["count"], 40);
  EXPECT_TRUE(samples["items"].is_null());
  EXPECT_EQ(samples["fields"], nlohmann::json({"a", "answer", "b"}));
  // The inline task's samples are there to export.
  EXPECT_EQ(j["suites"][0]["tasks"][1]["samples"]["items"].size(), 1u);
}

}  // namespace
}  // namespace pareto::spec
