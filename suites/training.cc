#include "suites/training.h"

#include <algorithm>
#include <unordered_set>

#include "spec/template.h"

namespace pareto::suites {
namespace {

TrainingExample example_of(const spec::Task& task, const spec::Sample& sample) {
  return {spec::render_template(task.system, sample.fields),
          spec::render_template(task.prompt, sample.fields),
          spec::field_text(sample.fields.value("answer", nlohmann::json()))};
}

std::string key_of(const TrainingExample& e) { return e.system + '\0' + e.prompt; }

}  // namespace

bool can_train_on(const spec::Task& task, const spec::GeneratorRegistry& generators) {
  return task.source.kind == spec::SampleSource::Kind::kGenerate &&
         generators.find(task.source.generator) != nullptr &&
         task.source.seed < kFirstTrainingSeed &&
         std::find(task.sample_fields.begin(), task.sample_fields.end(), "answer") !=
             task.sample_fields.end();
}

std::vector<TrainingExample> training_examples(const spec::Task& task,
                                               const spec::GeneratorRegistry& generators,
                                               std::uint64_t round, std::size_t count) {
  std::vector<TrainingExample> out;
  if (!can_train_on(task, generators) || count == 0) return out;
  const spec::Generator& generator = *generators.find(task.source.generator);
  std::unordered_set<std::string> held_out;
  for (const spec::Sample& s : task.samples) held_out.insert(key_of(example_of(task, s)));

  // Draw in growing batches; sample i does not depend on the count, so each batch extends
  // the last and only its new samples need looking at.
  const std::size_t limit = 16 * count + 1024;
  std::size_t drawn = 0;
  for (std::size_t want = count + count / 8 + 16; out.size() < count && drawn < limit;
       want = std::min(limit, want * 2)) {
    const std::vector<spec::Sample> samples =
        generator.generate(task.source.params, kFirstTrainingSeed + round, want);
    for (std::size_t i = drawn; i < samples.size() && out.size() < count; ++i) {
      TrainingExample e = example_of(task, samples[i]);
      if (held_out.count(key_of(e))) continue;
      e.seed = kFirstTrainingSeed + round;
      e.index = i;
      e.fields = samples[i].fields;
      out.push_back(std::move(e));
    }
    drawn = samples.size();
  }
  return out;
}

}  // namespace pareto::suites
