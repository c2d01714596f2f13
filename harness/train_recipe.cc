#include "harness/train_recipe.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "agents/driver.h"
#include "inference/gguf.h"
#include "spec/template.h"
#include "suites/training.h"

namespace pareto::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Reads key `key` of `obj` into `out` when present; a value of the wrong type is an error.
template <typename T>
Status Read(const json& obj, const char* section, const char* key, T& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::Ok();
  const std::string where = section[0] != 0 ? fmt::format("{}.{}", section, key) : key;
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return Status::Error(where + ": expected true or false");
    out = it->get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (!it->is_number_integer()) return Status::Error(where + ": expected an integer");
    const auto v = it->get<int64_t>();
    if (v < 0) return Status::Error(where + ": must not be negative");
    out = static_cast<T>(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!it->is_number()) return Status::Error(where + ": expected a number");
    out = it->get<T>();
  } else {
    if (!it->is_string()) return Status::Error(where + ": expected a string");
    out = it->get<std::string>();
  }
  return Status::Ok();
}

Status CheckKeys(const json& obj, const char* section, std::initializer_list<const char*> keys) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const char* k : keys) known = known || it.key() == k;
    if (!known) {
      return Status::Error(section[0] != 0 ? fmt::format("{}: unknown key '{}'", section, it.key())
                                           : fmt::format("unknown key '{}'", it.key()));
    }
  }
  return Status::Ok();
}

uint64_t Mix(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

Status ParseRecipe(const json& j, const fs::path& dir, Recipe& r) {
  if (!j.is_object()) return Status::Error("a recipe is a JSON object");
  if (Status s = CheckKeys(j, "",
                           {"name", "output", "suites", "weights", "default_weight", "completion",
                            "model", "train", "type", "comment"});
      !s.ok()) {
    return s;
  }
  std::string output;
  for (Status s : {Read(j, "", "name", r.name), Read(j, "", "output", output),
                   Read(j, "", "default_weight", r.default_weight),
                   Read(j, "", "completion", r.completion), Read(j, "", "type", r.type)}) {
    if (!s.ok()) return s;
  }
  if (r.name.empty()) return Status::Error("name: required");
  if (output.empty()) return Status::Error("output: required (the model file to write)");
  r.output = (dir / output).lexically_normal();
  if (r.type != "f32" && r.type != "f16" && r.type != "q8_0") {
    return Status::Error("type: one of f32, f16, q8_0");
  }
  auto suites = j.find("suites");
  if (suites == j.end() || !suites->is_array() || suites->empty()) {
    return Status::Error("suites: required, a list of spec files or folders");
  }
  for (const json& s : *suites) {
    if (!s.is_string()) return Status::Error("suites: expected strings");
    r.suites.push_back((dir / s.get<std::string>()).lexically_normal());
  }
  if (auto w = j.find("weights"); w != j.end()) {
    if (!w->is_object()) return Status::Error("weights: expected an object of task -> weight");
    for (auto it = w->begin(); it != w->end(); ++it) {
      if (!it->is_number() || it->get<double>() < 0) {
        return Status::Error(fmt::format("weights.{}: expected a number >= 0", it.key()));
      }
      r.weights[it.key()] = it->get<double>();
    }
  }
  if (r.default_weight < 0) return Status::Error("default_weight: must not be negative");

  const json model = j.value("model", json::object());
  if (!model.is_object()) return Status::Error("model: expected an object");
  if (Status s = CheckKeys(model, "model",
                           {"n_embd", "n_layer", "n_head", "n_head_kv", "n_ff", "n_ctx",
                            "tied_output", "rope_base"});
      !s.ok()) {
    return s;
  }
  inference::TrainShape& sh = r.shape;
  sh.n_head_kv = -1;
  for (Status s :
       {Read(model, "model", "n_embd", sh.n_embd), Read(model, "model", "n_layer", sh.n_layer),
        Read(model, "model", "n_head", sh.n_head), Read(model, "model", "n_ff", sh.n_ff),
        Read(model, "model", "n_ctx", sh.n_ctx),
        Read(model, "model", "tied_output", sh.tied_output),
        Read(model, "model", "rope_base", sh.rope_base)}) {
    if (!s.ok()) return s;
  }
  if (model.contains("n_head_kv")) {
    if (Status s = Read(model, "model", "n_head_kv", sh.n_head_kv); !s.ok()) return s;
  } else {
    sh.n_head_kv = sh.n_head;
  }
  if (Status s = inference::CheckShape(sh); !s.ok()) return s.WithContext("model");

  const json train = j.value("train", json::object());
  if (!train.is_object()) return Status::Error("train: expected an object");
  if (Status s = CheckKeys(train, "train",
                           {"steps", "batch", "lr", "min_lr", "warmup", "weight_decay", "clip",
                            "seed", "data_seed", "beta1", "beta2"});
      !s.ok()) {
    return s;
  }
  inference::TrainOptions& o = r.options;
  for (Status s :
       {Read(train, "train", "steps", o.steps), Read(train, "train", "batch", r.batch),
        Read(train, "train", "lr", o.lr), Read(train, "train", "min_lr", o.min_lr),
        Read(train, "train", "warmup", o.warmup),
        Read(train, "train", "weight_decay", o.weight_decay), Read(train, "train", "clip", o.clip),
        Read(train, "train", "seed", o.seed), Read(train, "train", "data_seed", r.data_seed),
        Read(train, "train", "beta1", o.beta1), Read(train, "train", "beta2", o.beta2)}) {
    if (!s.ok()) return s;
  }
  if (o.steps < 1) return Status::Error("train.steps: at least 1");
  if (r.batch < 1) return Status::Error("train.batch: at least 1");
  if (!(o.lr > 0)) return Status::Error("train.lr: must be positive");
  return Status::Ok();
}

}  // namespace

Result<Recipe> ReadRecipe(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(fmt::format("{}: cannot read the recipe", path.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  Recipe r;
  r.file = path;
  r.text = buffer.str();
  json j = json::parse(r.text, nullptr, false);
  if (j.is_discarded()) return Status::Error(fmt::format("{}: not valid JSON", path.string()));
  if (Status s = ParseRecipe(j, path.parent_path(), r); !s.ok()) {
    return s.WithContext(path.string());
  }
  return r;
}

Result<TrainingData> TrainingData::Create(const Recipe& recipe, const spec::Project& project,
                                          const spec::GeneratorRegistry& generators) {
  TrainingData d;
  inference::GgufWriter vocab;
  inference::AddByteLevelVocabulary(vocab);
  Result<std::vector<uint8_t>> bytes = vocab.Serialize();
  if (!bytes.ok()) return bytes.status();
  Result<inference::GgufFile> file = inference::GgufFile::Parse(*bytes);
  if (!file.ok()) return file.status();
  Result<inference::Tokenizer> tokenizer = inference::Tokenizer::FromGguf(*file);
  if (!tokenizer.ok()) return tokenizer.status();
  d.tokenizer_ = std::make_shared<const inference::Tokenizer>(std::move(*tokenizer));
  d.completion_ = recipe.completion;
  d.batch_ = recipe.batch;
  d.n_ctx_ = recipe.shape.n_ctx;
  d.data_seed_ = recipe.data_seed;
  d.generators_ = &generators;

  std::map<std::string, bool> used;
  for (const auto& [id, w] : recipe.weights) used[id] = false;
  for (const spec::Suite& suite : project.suites) {
    for (const spec::Task& task : suite.tasks) {
      double weight = recipe.default_weight;
      for (const std::string& key : {task.id, suite.name + "/" + task.id}) {
        if (auto it = recipe.weights.find(key); it != recipe.weights.end()) {
          weight = it->second;
          used[key] = true;
        }
      }
      const bool generated = task.source.kind == spec::SampleSource::Kind::kGenerate;
      if (weight <= 0) continue;
      if (!generated) {
        // Only fresh samples can be trained on; a task weighted by name must be generated.
        if (recipe.weights.contains(task.id)) {
          return Status::Error(
              fmt::format("task {}: its samples are not generated, so there "
                          "is nothing fresh to train on",
                          task.id));
        }
        continue;
      }
      if (task.mode != spec::PromptMode::kCompletion) {
        return Status::Error(fmt::format(
            "task {}: byte-level models train on completion-mode prompts (mode = completion); "
            "give it weight 0 to leave it out",
            task.id));
      }
      const spec::Generator* g = generators.find(task.source.generator);
      if (g == nullptr) {
        return Status::Error(
            fmt::format("task {}: unknown generator {}", task.id, task.source.generator));
      }
      if (!suites::can_train_on(task, generators)) {
        return Status::Error(
            fmt::format("task {}: cannot be trained on (its samples need an `answer` field and its "
                        "evaluation seed must be below {})",
                        task.id, suites::kFirstTrainingSeed));
      }
      d.tasks_.push_back({suite.name, task.id, weight, &task, g});
    }
  }
  for (const auto& [key, was_used] : used) {
    if (!was_used) return Status::Error(fmt::format("weights: no task named {}", key));
  }
  if (d.tasks_.empty()) return Status::Error("no generated task to train on");
  double sum = 0;
  for (const TrainTask& t : d.tasks_) d.cumulative_.push_back(sum += t.weight);
  return d;
}

inference::TrainExample TrainingData::Example(const TrainTask& task,
                                              const nlohmann::json& fields) const {
  inference::TrainExample ex;
  // The text the single-shot driver sends a completion-mode model, encoded as the core
  // encodes a prompt (BOS first).
  const spec::Sample sample{"", fields, 0};
  ex.tokens = tokenizer_->Encode(agents::render_prompt(*task.task, sample).text(),
                                 {.add_special = true, .parse_special = false});
  ex.n_prompt = static_cast<int>(ex.tokens.size());
  std::vector<inference::TokenId> answer =
      tokenizer_->Encode(spec::render_template(completion_, fields), {});
  ex.tokens.insert(ex.tokens.end(), answer.begin(), answer.end());
  ex.tokens.push_back(inference::kByteEos);
  return ex;
}

Result<std::vector<inference::TrainExample>> TrainingData::Batch(int64_t step) const {
  // Which task each example comes from: a generator seeded by the data seed and the step.
  std::mt19937_64 rng(Mix(data_seed_ ^ Mix(static_cast<uint64_t>(step))));
  std::vector<int> count(tasks_.size(), 0);
  for (int i = 0; i < batch_; ++i) {
    const double u = (static_cast<double>(rng() >> 11) * 0x1.0p-53) * cumulative_.back();
    size_t t = 0;
    while (t + 1 < cumulative_.size() && u >= cumulative_[t]) ++t;
    ++count[t];
  }
  std::vector<inference::TrainExample> batch;
  for (size_t t = 0; t < tasks_.size(); ++t) {
    if (count[t] == 0) continue;
    const TrainTask& task = tasks_[t];
    // The suites' own drawer (never an evaluation prompt); its round is mixed from the data
    // seed, the task and the step, below 2^62 so that training seeds never wrap.
    const uint64_t round = Mix(Mix(data_seed_ + t) ^ static_cast<uint64_t>(step)) >> 2;
    // A few more than needed, so that examples longer than the context rarely leave the
    // batch short.
    const std::vector<suites::TrainingExample> drawn = suites::training_examples(
        *task.task, *generators_, round, static_cast<size_t>(count[t] + 2));
    int taken = 0;
    for (const suites::TrainingExample& e : drawn) {
      if (taken == count[t]) break;
      inference::TrainExample ex = Example(task, e.fields);
      if (ex.tokens.size() > static_cast<size_t>(n_ctx_)) continue;
      batch.push_back(std::move(ex));
      ++taken;
    }
  }
  if (batch.empty()) {
    return Status::Error("every drawn sample was longer than the context");
  }
  return batch;
}

}  // namespace pareto::harness
