// The core suite (suites/core/core.pareto) and its CI subset (suites/ci/core.pareto): their
// shape (families, halves, completion mode, short prompts and answers within budget), the seed
// convention (evaluation seeds below suites::kFirstTrainingSeed, training examples that never
// repeat an evaluation prompt), and a CI subset that is the core suite cut short.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "spec/checker.h"
#include "spec/template.h"
#include "suites/generators.h"
#include "suites/training.h"

namespace pareto::suites {
namespace {

namespace fs = std::filesystem;
using spec::Sample;
using spec::Task;

const fs::path kRoot = PARETO_SOURCE_DIR;

// The longest prompt plus answer, in bytes, that suites/core/README.md promises the trainer.
constexpr std::size_t kLongest = 192;

const spec::GeneratorRegistry& registry() {
  static const spec::GeneratorRegistry r = builtin_generators();
  return r;
}

// The one suite of `file`, checked strictly.
const spec::Suite& suite(const fs::path& file) {
  static std::map<fs::path, spec::CheckResult> checked;
  auto it = checked.find(file);
  if (it == checked.end()) {
    spec::CheckOptions options;
    options.strict = true;
    const std::vector<fs::path> files = {file};
    it = checked.emplace(file, spec::check_files(files, registry(), options)).first;
  }
  const spec::CheckResult& r = it->second;
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  EXPECT_EQ(r.project.suites.size(), 1u);
  static const spec::Suite empty;
  return r.project.suites.empty() ? empty : r.project.suites.front();
}

const spec::Suite& core() { return suite(kRoot / "suites/core/core.pareto"); }
const spec::Suite& ci() { return suite(kRoot / "suites/ci/core.pareto"); }

bool is_code(const Task& t) {
  return std::find(t.tags.begin(), t.tags.end(), "code") != t.tags.end();
}

TEST(CoreSuite, TwelveOrMoreFamiliesHalfOfThemAboutCode) {
  const spec::Suite& s = core();
  EXPECT_EQ(s.name, "core");
  ASSERT_GE(s.tasks.size(), 12u);
  std::size_t code = 0;
  std::set<std::string> generators;
  for (const Task& t : s.tasks) {
    code += is_code(t);
    generators.insert(t.source.generator);
    EXPECT_EQ(t.kind, spec::TaskKind::kAnalysis) << t.id;
    EXPECT_EQ(t.mode, spec::PromptMode::kCompletion) << t.id;
    EXPECT_EQ(t.source.kind, spec::SampleSource::Kind::kGenerate) << t.id;
    EXPECT_TRUE(t.system.empty()) << t.id;
    EXPECT_GE(t.samples.size(), 50u) << t.id;
    EXPECT_LE(t.samples.size(), 100u) << t.id;
  }
  EXPECT_EQ(2 * code, s.tasks.size());
  EXPECT_GE(generators.size(), 12u);
}

// Tiny byte-level models: every prompt and answer is short, and the answer (plus an
// end-of-sequence token) fits in the task's token budget at one token per byte.
TEST(CoreSuite, PromptsAndAnswersAreShortAndFitTheBudget) {
  for (const Task& t : core().tasks) {
    ASSERT_TRUE(t.budget.max_tokens.has_value()) << t.id;
    for (const Sample& s : t.samples) {
      const std::string prompt = spec::render_template(t.prompt, s.fields);
      const std::string answer = spec::field_text(s.fields["answer"]);
      EXPECT_LE(prompt.size() + answer.size(), kLongest) << t.id << ": " << prompt;
      EXPECT_FALSE(answer.empty()) << t.id;
      EXPECT_EQ(answer.find('\n'), std::string::npos) << t.id;
      EXPECT_LT(static_cast<std::int64_t>(answer.size()), *t.budget.max_tokens)
          << t.id << ": " << answer;
    }
  }
}

TEST(CoreSuite, EvaluationSeedsAreDistinctAndBelowTheTrainingSeeds) {
  std::set<std::uint64_t> seeds;
  for (const Task& t : core().tasks) {
    EXPECT_TRUE(can_train_on(t, registry())) << t.id;
    EXPECT_LT(t.source.seed, kFirstTrainingSeed) << t.id;
    EXPECT_TRUE(seeds.insert(t.source.seed).second) << t.id << " reuses seed " << t.source.seed;
  }
}

// The held-out promise, checked from the outside: the first 2000 training examples of two
// rounds contain no evaluation prompt, are the task's own renderings of the training seed's
// samples (the evaluation items skipped), and the family is large enough that skipping them
// costs under a tenth of the stream.
TEST(CoreSuite, TrainingExamplesNeverRepeatAnEvaluationPrompt) {
  const std::size_t n = 2000;
  for (const Task& t : core().tasks) {
    std::set<std::string> eval;
    for (const Sample& s : t.samples) eval.insert(spec::render_template(t.prompt, s.fields));
    for (std::uint64_t round : {0, 7}) {
      const std::vector<TrainingExample> examples = training_examples(t, registry(), round, n);
      ASSERT_EQ(examples.size(), n) << t.id;
      const std::vector<Sample> stream =
          registry()
              .find(t.source.generator)
              ->generate(t.source.params, kFirstTrainingSeed + round, n + n / 10);
      std::size_t next = 0, skipped = 0;
      for (const TrainingExample& e : examples) {
        EXPECT_EQ(eval.count(e.prompt), 0u) << t.id << ": " << e.prompt;
        EXPECT_TRUE(e.system.empty());
        EXPECT_LE(e.prompt.size() + e.answer.size(), kLongest) << t.id << ": " << e.prompt;
        // The next stream sample whose prompt is not an evaluation prompt.
        while (next < stream.size() &&
               eval.count(spec::render_template(t.prompt, stream[next].fields))) {
          ++next;
          ++skipped;
        }
        ASSERT_LT(next, stream.size()) << t.id << ": over a tenth of the stream is held out";
        EXPECT_EQ(e.prompt, spec::render_template(t.prompt, stream[next].fields)) << t.id;
        EXPECT_EQ(e.answer, spec::field_text(stream[next].fields["answer"])) << t.id;
        EXPECT_EQ(e.fields, stream[next].fields) << t.id;
        ++next;
      }
      EXPECT_LT(skipped, n / 10) << t.id;
    }
  }
}

TEST(CoreSuite, TrainingExamplesAreDeterministicAndExtend) {
  const Task& t = core().tasks.front();
  const auto few = training_examples(t, registry(), 3, 10);
  const auto many = training_examples(t, registry(), 3, 100);
  const auto other = training_examples(t, registry(), 4, 10);
  ASSERT_EQ(few.size(), 10u);
  ASSERT_EQ(many.size(), 100u);
  int same = 0;
  for (std::size_t i = 0; i < few.size(); ++i) {
    EXPECT_EQ(few[i].prompt, many[i].prompt);
    EXPECT_EQ(few[i].answer, many[i].answer);
    same += few[i].prompt == other[i].prompt;
  }
  EXPECT_LT(same, 3);
}

// A family barely larger than its evaluation set gives only the instances the evaluation
// does not hold (repeated, as fresh draws repeat); one the evaluation covers gives none; and
// a task that does not draw from a generator (or draws with a training seed) gives nothing.
TEST(TrainingExamples, SmallFamiliesGiveWhatIsLeftAndOtherTasksGiveNone) {
  Task t;
  t.prompt = "{{a}}+{{b}}=";
  t.source.kind = spec::SampleSource::Kind::kGenerate;
  t.source.generator = "addition";
  t.source.params = {{"digits", 1}};
  t.source.seed = 5;
  t.sample_fields = {"a", "answer", "b", "question"};
  const spec::Generator& addition = *registry().find("addition");
  t.samples = addition.generate(t.source.params, 5, 200);
  std::set<std::string> eval;
  for (const Sample& s : t.samples) eval.insert(spec::render_template(t.prompt, s.fields));
  ASSERT_LT(eval.size(), 100u);  // 200 draws miss some of the 100 sums
  const auto examples = training_examples(t, registry(), 0, 1000);
  EXPECT_EQ(examples.size(), 1000u);
  std::set<std::string> left;
  for (const TrainingExample& e : examples) {
    EXPECT_EQ(eval.count(e.prompt), 0u) << e.prompt;
    left.insert(e.prompt);
  }
  EXPECT_EQ(left.size(), 100 - eval.size());

  Task covered = t;
  covered.samples = addition.generate(t.source.params, 5, 5000);
  EXPECT_TRUE(training_examples(covered, registry(), 0, 10).empty());

  Task inline_task = t;
  inline_task.source.kind = spec::SampleSource::Kind::kInline;
  EXPECT_FALSE(can_train_on(inline_task, registry()));
  EXPECT_TRUE(training_examples(inline_task, registry(), 0, 10).empty());
  Task trained_seed = t;
  trained_seed.source.seed = kFirstTrainingSeed;
  EXPECT_FALSE(can_train_on(trained_seed, registry()));
}

// The CI subset is the core suite with fewer samples: the same tasks, prompts, graders,
// generators, parameters and seeds, so its samples are the first ones of the core suite's.
TEST(CiSubset, IsTheCoreSuiteCutShort) {
  const spec::Suite& full = core();
  const spec::Suite& small = ci();
  EXPECT_EQ(small.name, "core.ci");
  ASSERT_EQ(small.tasks.size(), full.tasks.size());
  std::size_t items = 0;
  for (std::size_t i = 0; i < full.tasks.size(); ++i) {
    const Task &a = full.tasks[i], &b = small.tasks[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.tags, b.tags) << a.id;
    EXPECT_EQ(a.prompt, b.prompt) << a.id;
    EXPECT_EQ(a.mode, b.mode) << a.id;
    EXPECT_EQ(a.extract.pattern, b.extract.pattern) << a.id;
    EXPECT_EQ(a.budget.max_tokens, b.budget.max_tokens) << a.id;
    ASSERT_EQ(a.graders.size(), b.graders.size()) << a.id;
    for (std::size_t g = 0; g < a.graders.size(); ++g) {
      EXPECT_EQ(spec::grader_name(a.graders[g].spec), spec::grader_name(b.graders[g].spec));
    }
    EXPECT_EQ(a.source.generator, b.source.generator) << a.id;
    EXPECT_EQ(a.source.params, b.source.params) << a.id;
    EXPECT_EQ(a.source.seed, b.source.seed) << a.id;
    ASSERT_LT(b.samples.size(), a.samples.size()) << a.id;
    for (std::size_t k = 0; k < b.samples.size(); ++k) {
      EXPECT_EQ(a.samples[k].fields, b.samples[k].fields) << a.id;
    }
    items += b.samples.size();
  }
  EXPECT_LE(items, 200u);
}

}  // namespace
}  // namespace pareto::suites
