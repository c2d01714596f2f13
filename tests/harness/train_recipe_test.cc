// Training recipes and the batches drawn from a suite's generators.
#include "harness/train_recipe.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "spec/checker.h"
#include "spec/template.h"
#include "suites/generators.h"

namespace pareto::harness {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "pareto-recipe-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

constexpr const char* kSpec = R"(suite tiny

task add {
  kind    = analysis
  mode    = completion
  prompt  = "{{a}}+{{b}}="
  samples = generate(addition, count = 30, seed = 5, digits = 1)
  expect number(answer)
}

task inline.only {
  kind   = analysis
  mode   = completion
  prompt = "say {{word}}:"
  sample { word = "hi", answer = "hi" }
  expect exact(answer)
}
)";

constexpr const char* kRecipe = R"({
  "name": "tiny", "output": "tiny.gguf", "suites": ["tiny.pareto"],
  "model": {"n_embd": 16, "n_layer": 1, "n_head": 2, "n_ff": 32, "n_ctx": 32},
  "train": {"steps": 3, "batch": 8, "seed": 2, "data_seed": 77}
})";

struct Loaded {
  TempDir dir;
  Recipe recipe;
  spec::GeneratorRegistry generators = suites::builtin_generators();
  spec::CheckResult checked;
};

std::unique_ptr<Loaded> Load(const std::string& recipe_text) {
  auto l = std::make_unique<Loaded>();
  l->dir.Write("tiny.pareto", kSpec);
  auto recipe = ReadRecipe(l->dir.Write("r.json", recipe_text));
  EXPECT_TRUE(recipe.ok()) << recipe.message();
  if (!recipe.ok()) return nullptr;
  l->recipe = *recipe;
  std::vector<fs::path> files = {l->dir.path() / "tiny.pareto"};
  l->checked = spec::check_files(files, l->generators);
  EXPECT_TRUE(l->checked.ok()) << l->checked.diagnostics.render();
  return l;
}

TEST(TrainRecipe, ReadsShapeOptionsAndPathsRelativeToTheRecipe) {
  auto l = Load(kRecipe);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->recipe.name, "tiny");
  EXPECT_EQ(l->recipe.output, l->dir.path() / "tiny.gguf");
  ASSERT_EQ(l->recipe.suites.size(), 1u);
  EXPECT_EQ(l->recipe.suites[0], l->dir.path() / "tiny.pareto");
  EXPECT_EQ(l->recipe.shape.n_embd, 16);
  EXPECT_EQ(l->recipe.shape.n_head_kv, 2);  // defaults to the head count
  EXPECT_EQ(l->recipe.options.steps, 3);
  EXPECT_EQ(l->recipe.options.seed, 2u);
  EXPECT_EQ(l->recipe.batch, 8);
  EXPECT_EQ(l->recipe.data_seed, 77u);
}

TEST(TrainRecipe, BadRecipesAreErrorsNamingTheKey) {
  TempDir dir;
  auto error = [&](const std::string& text) {
    auto r = ReadRecipe(dir.Write("bad.json", text));
    return r.ok() ? std::string("ok") : r.message();
  };
  EXPECT_NE(error("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error(R"({"output": "x", "suites": ["s"]})").find("name"), std::string::npos);
  EXPECT_NE(error(R"({"name": "n", "output": "x", "suites": ["s"], "modle": {}})").find("modle"),
            std::string::npos);
  EXPECT_NE(error(R"({"name": "n", "output": "x", "suites": ["s"], "model": {"n_head": 3}})")
                .find("model"),
            std::string::npos);
  EXPECT_NE(error(R"({"name": "n", "output": "x", "suites": ["s"], "train": {"steps": "9"}})")
                .find("train.steps"),
            std::string::npos);
  EXPECT_NE(error(R"({"name": "n", "output": "x", "suites": ["s"], "type": "q2"})").find("type"),
            std::string::npos);
  EXPECT_TRUE(ReadRecipe(dir.path() / "missing.json").status().message().find("cannot read") !=
              std::string::npos);
}

TEST(TrainRecipe, ExamplesAreTheRenderedPromptWithBosThenTheAnswerAndEos) {
  auto l = Load(kRecipe);
  ASSERT_NE(l, nullptr);
  auto data = TrainingData::Create(l->recipe, l->checked.project, l->generators);
  ASSERT_TRUE(data.ok()) << data.message();
  ASSERT_EQ(data->tasks().size(), 1u);  // the inline task has nothing fresh to draw
  EXPECT_EQ(data->tasks()[0].id, "add");
  auto batch = data->Batch(0);
  ASSERT_TRUE(batch.ok()) << batch.message();
  EXPECT_EQ(batch->size(), 8u);
  for (const inference::TrainExample& ex : *batch) {
    ASSERT_GE(ex.tokens.size(), 6u);
    EXPECT_EQ(ex.tokens.front(), inference::kByteBos);
    EXPECT_EQ(ex.tokens.back(), inference::kByteEos);
    std::string prompt, answer;
    for (int i = 1; i < ex.n_prompt; ++i) prompt += static_cast<char>(ex.tokens[i]);
    for (size_t i = ex.n_prompt; i + 1 < ex.tokens.size(); ++i) {
      answer += static_cast<char>(ex.tokens[i]);
    }
    // "a+b=" and the sum: the task's own prompt, the generator's own answer.
    ASSERT_EQ(prompt.size(), 4u) << prompt;
    EXPECT_EQ(prompt[1], '+');
    EXPECT_EQ(prompt[3], '=');
    EXPECT_EQ(std::stoi(answer), (prompt[0] - '0') + (prompt[2] - '0')) << prompt << answer;
  }
}

TEST(TrainRecipe, BatchesAreAFunctionOfTheStepAndNeverHoldEvaluationPrompts) {
  auto l = Load(kRecipe);
  ASSERT_NE(l, nullptr);
  auto data = TrainingData::Create(l->recipe, l->checked.project, l->generators);
  ASSERT_TRUE(data.ok()) << data.message();
  std::set<std::string> eval;
  const spec::Task& task = l->checked.project.suites[0].tasks[0];
  for (const spec::Sample& s : task.samples) {
    eval.insert(spec::render_template(task.prompt, s.fields));
  }
  ASSERT_GT(eval.size(), 20u);
  std::set<std::string> seen;
  for (int64_t step = 0; step < 60; ++step) {
    auto batch = data->Batch(step);
    ASSERT_TRUE(batch.ok());
    for (const inference::TrainExample& ex : *batch) {
      std::string prompt;
      for (int i = 1; i < ex.n_prompt; ++i) prompt += static_cast<char>(ex.tokens[i]);
      EXPECT_FALSE(eval.contains(prompt)) << prompt;
      seen.insert(prompt);
    }
  }
  EXPECT_GT(seen.size(), 40u);  // fresh samples: most of the 100 - 30 prompts left
  auto again = data->Batch(7);
  auto other = data->Batch(8);
  ASSERT_TRUE(again.ok() && other.ok());
  auto tokens = [](const std::vector<inference::TrainExample>& b) {
    std::vector<std::vector<inference::TokenId>> t;
    for (const auto& ex : b) t.push_back(ex.tokens);
    return t;
  };
  EXPECT_EQ(tokens(*again), tokens(*data->Batch(7)));
  EXPECT_NE(tokens(*again), tokens(*other));
}

TEST(TrainRecipe, WeightsMustNameTasksThatCanBeTrainedOn) {
  std::string recipe = kRecipe;
  auto with = [&](const std::string& weights) {
    std::string r = recipe;
    r.insert(r.rfind('}'), ", \"weights\": " + weights);
    return r;
  };
  auto l = Load(with(R"({"nope": 1})"));
  ASSERT_NE(l, nullptr);
  auto data = TrainingData::Create(l->recipe, l->checked.project, l->generators);
  ASSERT_FALSE(data.ok());
  EXPECT_NE(data.message().find("nope"), std::string::npos);

  l = Load(with(R"({"inline.only": 1})"));
  ASSERT_NE(l, nullptr);
  data = TrainingData::Create(l->recipe, l->checked.project, l->generators);
  ASSERT_FALSE(data.ok());
  EXPECT_NE(data.message().find("not generated"), std::string::npos);

  l = Load(with(R"({"add": 0})"));
  ASSERT_NE(l, nullptr);
  data = TrainingData::Create(l->recipe, l->checked.project, l->generators);
  EXPECT_FALSE(data.ok());
}

}  // namespace
}  // namespace pareto::harness
