// Training data for tasks whose samples come from a built-in generator: fresh prompt/answer
// pairs from the task's own generator and parameters, drawn under training seeds, never one
// of the task's evaluation items.
//
// The seed convention (suites/core/README.md): the `seed` a spec passes to generate(...) is
// the task's evaluation seed and is below kFirstTrainingSeed. Training draws round r from
// seed kFirstTrainingSeed + r, a stream of its own (suites/random.h derives every sample's
// stream from generator, seed and index). Where a family's instances are few, two streams
// can still draw the same instance, so training_examples() also drops every sample whose
// rendered prompt is the prompt of one of the task's evaluation samples: a model trained on
// these examples has never seen an evaluation prompt.
//
// Deterministic: the same task, round and count give the same examples everywhere, and a
// larger count extends a smaller one.
//
// This is the one place training examples are drawn: `pareto train` (harness/train_recipe.h)
// takes each batch's examples from it too, with rounds mixed from the recipe's data seed, the
// step and the task.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "spec/generator.h"
#include "spec/model.h"

namespace pareto::suites {

inline constexpr std::uint64_t kFirstTrainingSeed = 1'000'000;

struct TrainingExample {
  std::string system;  // the task's system prompt, rendered (empty in completion mode)
  std::string prompt;  // the task's prompt, rendered: exactly what the model is sent
  std::string answer;  // the sample's `answer` as text (spec::field_text): the target
  // Where it came from: generate(..., seed) sample `index`, with its fields (what graders
  // read). seed is kFirstTrainingSeed + round, never the task's evaluation seed.
  std::uint64_t seed = 0;
  std::size_t index = 0;
  nlohmann::json fields = {};
};

// True when training_examples() can draw for `task`: its samples come from a generator in
// `generators`, its evaluation seed is below kFirstTrainingSeed and its samples have an
// `answer`.
bool can_train_on(const spec::Task& task, const spec::GeneratorRegistry& generators);

// The first `count` samples of training round `round` that are not evaluation items, as
// examples. Fewer when the family runs out of instances the evaluation does not hold (at most
// 16 * count + 1024 samples are drawn); none when !can_train_on(task, generators).
std::vector<TrainingExample> training_examples(const spec::Task& task,
                                               const spec::GeneratorRegistry& generators,
                                               std::uint64_t round, std::size_t count);

}  // namespace pareto::suites
