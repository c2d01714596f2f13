// Training recipes: what `pareto train` trains an embedded model on, and the batches it draws.
//
// A recipe is a small JSON file (docs/training.md):
//
//   { "name": "pareto-flash", "output": "../flash.gguf",
//     "suites": ["../../../suites/core"],          spec files or folders, relative to the recipe
//     "weights": {"add.2": 2, "mul.3": 0},          per task id; others get default_weight
//     "default_weight": 1,
//     "completion": "{{answer}}",                   what the model learns to answer (a template)
//     "model": {"n_embd": 64, "n_layer": 2, "n_head": 4, "n_head_kv": 2, "n_ff": 192,
//               "n_ctx": 192, "tied_output": true},
//     "train": {"steps": 2000, "batch": 16, "lr": 3e-3, "min_lr": 3e-4, "warmup": 100,
//               "weight_decay": 0.1, "clip": 1.0, "seed": 1, "data_seed": 1000},
//     "type": "f32" }
//
// Training examples come from the suites' own tasks: every task whose samples are
// generate(...)d is drawn from by suites::training_examples() (suites/training.h), the one
// drawer of training data: training seeds only, and never a sample whose prompt is one of the
// task's evaluation prompts, so the model never trains on what it is scored on. The prompt is
// exactly the text the single-shot driver sends in completion mode
// (agents::render_prompt(...).text(): the system text, a blank line, the prompt), encoded as the
// core encodes a prompt (BOS, then its bytes); the answer is `completion` rendered with the
// sample's fields, then EOS. Only completion-mode tasks can be trained on: byte-level models have
// no chat template.
//
// Batch(step) is a pure function of the recipe, the checked suites and the step, which is
// what makes a resumed run identical to an uninterrupted one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "inference/status.h"
#include "inference/tokenizer.h"
#include "inference/trainer.h"
#include "spec/generator.h"
#include "spec/model.h"

namespace pareto::harness {

using inference::Result;
using inference::Status;

struct Recipe {
  std::filesystem::path file;  // the recipe itself
  std::string text;            // its bytes, recorded in the model file
  std::string name;
  std::filesystem::path output;               // resolved against the recipe's folder
  std::vector<std::filesystem::path> suites;  // resolved likewise
  std::map<std::string, double> weights;
  double default_weight = 1.0;
  std::string completion = "{{answer}}";
  inference::TrainShape shape;
  inference::TrainOptions options;
  int batch = 16;
  uint64_t data_seed = 1000;
  std::string type = "f32";  // f32, f16 or q8_0: the tensor type of the written matrices
};

// Reads and validates a recipe; errors name the file and the key.
Result<Recipe> ReadRecipe(const std::filesystem::path& path);

struct TrainTask {
  std::string suite, id;
  double weight = 0;
  const spec::Task* task = nullptr;
  const spec::Generator* generator = nullptr;
};

class TrainingData {
 public:
  // The tasks of `project` the recipe trains on (`project` and `generators` must outlive the
  // data). Errors: a weight
  // naming no task, a weighted task that is not generated or not in completion mode, no task at
  // all.
  static Result<TrainingData> Create(const Recipe& recipe, const spec::Project& project,
                                     const spec::GeneratorRegistry& generators);

  // The batch of step `step`: recipe.batch examples (fewer only when drawn samples had to
  // be dropped), tasks chosen by weight.
  Result<std::vector<inference::TrainExample>> Batch(int64_t step) const;

  const std::vector<TrainTask>& tasks() const { return tasks_; }

  // One example from a sample of `task`: exactly the tokens training sees.
  inference::TrainExample Example(const TrainTask& task, const nlohmann::json& fields) const;

 private:
  TrainingData() = default;
  std::shared_ptr<const inference::Tokenizer> tokenizer_;  // the byte-level vocabulary
  std::vector<TrainTask> tasks_;
  std::vector<double> cumulative_;  // of weights
  const spec::GeneratorRegistry* generators_ = nullptr;
  std::string completion_;
  int batch_ = 0;
  int n_ctx_ = 0;
  uint64_t data_seed_ = 0;
};

}  // namespace pareto::harness
