// The trainer: gradients against finite differences, learning, the written file against the
// core, determinism, and resuming.
#include "inference/trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "inference/context.h"
#include "inference/model.h"
#include "inference/tokenizer.h"
#include "tests/inference/trainer_test_util.h"

namespace pareto::inference {
namespace {

using testing::GradientErrors;
using testing::TempModelPath;
using testing::TinyShape;

std::vector<TrainExample> TinyBatch() {
  return {{{1, 4, 2, 7, 3, 9}, 3}, {{5, 5, 0, 10, 2}, 2}, {{8, 1}, 1}};
}

// A learnable task for byte models: "a+b=" -> the sum's digit, for one-digit sums.
std::vector<TrainExample> SumBatch(int64_t step, int size) {
  std::vector<TrainExample> batch;
  for (int i = 0; i < size; ++i) {
    const int k = static_cast<int>((step * size + i) * 7 % 25);
    const int a = k / 5, b = k % 5;
    TrainExample ex;
    ex.tokens = {kByteBos, '0' + a, '+', '0' + b, '='};
    ex.n_prompt = static_cast<int>(ex.tokens.size());
    ex.tokens.push_back('0' + a + b);
    ex.tokens.push_back(kByteEos);
    batch.push_back(ex);
  }
  return batch;
}

TrainShape ByteShape() {
  TrainShape s;
  s.n_embd = 32;
  s.n_layer = 2;
  s.n_head = 4;
  s.n_head_kv = 2;
  s.n_ff = 64;
  s.n_ctx = 32;
  return s;
}

TEST(Trainer, GradientOfEveryTensorMatchesFiniteDifferences) {
  for (bool tied : {false, true}) {
    TrainShape shape = TinyShape();
    shape.tied_output = tied;
    TrainOptions options;
    options.seed = 5;
    auto trainer = Trainer::Create(shape, options);
    ASSERT_TRUE(trainer.ok()) << trainer.message();
    // Start from perturbed weights so norms are not all exactly 1.
    std::vector<double> params((*trainer)->parameters().begin(), (*trainer)->parameters().end());
    for (size_t i = 0; i < params.size(); ++i) params[i] += 0.05 * std::sin(1.0 + 3.7 * i);
    const auto batch = TinyBatch();
    std::vector<double> grad;
    auto loss = LossAndGradient(shape, params, batch, &grad);
    ASSERT_TRUE(loss.ok()) << loss.message();
    EXPECT_GT(*loss, 0.0);

    // Every element for small tensors, an even spread for the others.
    for (const auto& [name, worst] : GradientErrors(shape, params, batch, grad, {}, 40)) {
      EXPECT_LT(worst, 1e-5) << name << (tied ? " (tied)" : "");
    }
  }
}

TEST(Trainer, FloatGradientMatchesTheDoublePrecisionReference) {
  // The float path (the core's SIMD kernels) against the plain double loops the finite
  // differences checked, on a shape wide enough for every block of the kernels.
  for (bool tied : {false, true}) {
    TrainShape shape = ByteShape();
    shape.tied_output = tied;
    TrainOptions options;
    options.seed = 3;
    auto trainer = Trainer::Create(shape, options);
    ASSERT_TRUE(trainer.ok()) << trainer.message();
    const auto batch = SumBatch(0, 5);
    std::vector<float> got;
    auto loss = (*trainer)->LossAndGradient(batch, &got);
    ASSERT_TRUE(loss.ok()) << loss.message();
    const std::vector<double> params((*trainer)->parameters().begin(),
                                     (*trainer)->parameters().end());
    std::vector<double> want;
    auto want_loss = LossAndGradient(shape, params, batch, &want);
    ASSERT_TRUE(want_loss.ok()) << want_loss.message();
    EXPECT_NEAR(*loss, *want_loss, 1e-5 * *want_loss);
    ASSERT_EQ(got.size(), want.size());
    for (const ParameterTensor& t : ParameterLayout(shape)) {
      double worst = 0, largest = 0;
      for (size_t i = t.offset; i < t.offset + t.size; ++i) {
        worst = std::max(worst, std::abs(got[i] - want[i]));
        largest = std::max(largest, std::abs(want[i]));
      }
      EXPECT_LT(worst, 1e-4 * largest) << t.name << (tied ? " (tied)" : "");
    }
  }
}

TEST(Trainer, LossGoesDownOnALearnableTask) {
  TrainOptions options;
  options.steps = 150;
  options.warmup = 10;
  options.lr = 1e-2;
  options.min_lr = 1e-3;
  auto trainer = Trainer::Create(ByteShape(), options);
  ASSERT_TRUE(trainer.ok()) << trainer.message();
  double first = 0, last = 0;
  for (int64_t step = 0; step < options.steps; ++step) {
    auto stats = (*trainer)->Step(SumBatch(step, 16));
    ASSERT_TRUE(stats.ok()) << stats.message();
    if (step == 0) first = stats->loss;
    last = stats->loss;
  }
  // From about ln(259) / 2 (two answer tokens, one of them random) to almost nothing.
  EXPECT_GT(first, 2.0);
  EXPECT_LT(last, 0.1);
}

TEST(Trainer, WrittenModelLoadsAndItsLogitsEqualTheTrainers) {
  for (bool tied : {false, true}) {
    TrainShape shape = ByteShape();
    shape.tied_output = tied;
    TrainOptions options;
    options.steps = 5;
    auto trainer = Trainer::Create(shape, options);
    ASSERT_TRUE(trainer.ok());
    for (int64_t step = 0; step < 5; ++step) ASSERT_TRUE((*trainer)->Step(SumBatch(step, 4)).ok());

    auto writer = (*trainer)->ToGguf("test", {{"pareto.recipe", GgufValue::String("sum")}});
    ASSERT_TRUE(writer.ok()) << writer.message();
    std::vector<uint8_t> bytes = *writer->Serialize();
    auto file = GgufFile::Parse(bytes);
    ASSERT_TRUE(file.ok()) << file.message();
    EXPECT_EQ(*file->GetString("pareto.recipe"), "sum");
    auto model = Model::FromGguf(*file);
    ASSERT_TRUE(model.ok()) << model.message();
    EXPECT_EQ((*model)->config().tied_output, tied);
    EXPECT_EQ((*model)->parameter_count(), static_cast<int64_t>(ParameterCount(shape)));

    // The vocabulary is bytes plus BOS: text encodes as BOS and its bytes, and back.
    auto tokenizer = Tokenizer::FromGguf(*file);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.message();
    const std::string text = "3+4= \n\xC3\xA9!";
    std::vector<TokenId> ids = tokenizer->Encode(text, {.add_special = true});
    ASSERT_EQ(ids.size(), text.size() + 1);
    EXPECT_EQ(ids[0], kByteBos);
    for (size_t i = 0; i < text.size(); ++i) EXPECT_EQ(ids[i + 1], static_cast<uint8_t>(text[i]));
    EXPECT_EQ(tokenizer->Decode(ids), text);
    EXPECT_TRUE(tokenizer->IsEndOfGeneration(kByteEos));

    ContextOptions copt;
    copt.n_ctx = 32;
    copt.n_threads = 1;
    auto ctx = Context::Create(**model, copt);
    ASSERT_TRUE(ctx.ok()) << ctx.message();
    auto core = (*ctx)->Eval(ids, 0, true);
    ASSERT_TRUE(core.ok()) << core.message();
    auto own = (*trainer)->Logits(ids);
    ASSERT_TRUE(own.ok()) << own.message();
    ASSERT_EQ(core->size(), own->size());
    double worst = 0;
    for (size_t i = 0; i < own->size(); ++i)
      worst = std::max<double>(worst, std::abs((*core)[i] - (*own)[i]));
    EXPECT_LT(worst, 1e-4) << (tied ? "tied" : "separate");
  }
}

std::vector<float> TrainFor(int64_t steps, int threads, uint64_t seed) {
  TrainOptions options;
  options.steps = steps;
  options.warmup = 2;
  options.threads = threads;
  options.seed = seed;
  auto trainer = Trainer::Create(ByteShape(), options);
  EXPECT_TRUE(trainer.ok());
  auto source = [](int64_t step) -> Result<std::vector<TrainExample>> {
    return SumBatch(step, 12);
  };
  EXPECT_TRUE((*trainer)->Run(source, {}, nullptr).ok());
  return (*trainer)->parameters();
}

TEST(Trainer, SameSeedSameWeightsWhateverTheThreadCount) {
  const std::vector<float> one = TrainFor(6, 1, 3);
  EXPECT_EQ(one, TrainFor(6, 1, 3));
  EXPECT_EQ(one, TrainFor(6, 3, 3));
  EXPECT_NE(one, TrainFor(6, 1, 4));
}

TEST(Trainer, ResumedRunEndsWithTheSameWeights) {
  const std::string path = TempModelPath("pareto-trainer-resume");
  TrainOptions options;
  options.steps = 10;
  options.warmup = 3;
  auto source = [](int64_t step) -> Result<std::vector<TrainExample>> { return SumBatch(step, 8); };

  auto whole = Trainer::Create(ByteShape(), options);
  ASSERT_TRUE(whole.ok());
  std::vector<int64_t> reported;
  RunOptions run;
  run.report_every = 5;
  ASSERT_TRUE(
      (*whole)->Run(source, run, [&](const TrainProgress& p) { reported.push_back(p.step); }).ok());
  EXPECT_EQ(reported, (std::vector<int64_t>{5, 10}));

  // Interrupted after 4 steps (the checkpoint of step 4), then resumed.
  TrainOptions first = options;
  auto part = Trainer::Create(ByteShape(), first);
  ASSERT_TRUE(part.ok());
  for (int64_t step = 0; step < 4; ++step) ASSERT_TRUE((*part)->Step(*source(step)).ok());
  ASSERT_TRUE((*part)->SaveCheckpoint(path).ok());
  auto resumed = Trainer::Resume(path, ByteShape(), options);
  ASSERT_TRUE(resumed.ok()) << resumed.message();
  EXPECT_EQ((*resumed)->step(), 4);
  ASSERT_TRUE((*resumed)->Run(source, {}, nullptr).ok());
  EXPECT_EQ((*resumed)->parameters(), (*whole)->parameters());

  // The checkpoint is a loadable model, and a shape that disagrees is an error.
  EXPECT_TRUE(Model::Load(path).ok());
  TrainShape other = ByteShape();
  other.n_ff = 48;
  EXPECT_FALSE(Trainer::Resume(path, other, options).ok());
  std::filesystem::remove(path);
}

TEST(Trainer, BadExamplesAreErrors) {
  auto trainer = Trainer::Create(ByteShape(), {});
  ASSERT_TRUE(trainer.ok());
  EXPECT_FALSE((*trainer)->Step({}).ok());
  std::vector<TrainExample> no_answer = {{{kByteBos, 'a'}, 2}};
  EXPECT_FALSE((*trainer)->Step(no_answer).ok());
  std::vector<TrainExample> outside = {{{kByteBos, 300}, 1}};
  EXPECT_FALSE((*trainer)->Step(outside).ok());
  std::vector<TrainExample> too_long = {{std::vector<TokenId>(40, 'a'), 1}};
  EXPECT_FALSE((*trainer)->Step(too_long).ok());
  TrainShape bad = ByteShape();
  bad.n_head = 5;
  EXPECT_FALSE(Trainer::Create(bad, {}).ok());
}

TEST(Trainer, LearningRateWarmsUpThenDecaysToTheFloor) {
  TrainOptions o;
  o.steps = 100;
  o.warmup = 10;
  o.lr = 1.0;
  o.min_lr = 0.1;
  EXPECT_DOUBLE_EQ(LearningRate(o, 0), 0.1);
  EXPECT_DOUBLE_EQ(LearningRate(o, 9), 1.0);
  EXPECT_DOUBLE_EQ(LearningRate(o, 10), 1.0);
  EXPECT_NEAR(LearningRate(o, 99), 0.1, 1e-12);
  EXPECT_GT(LearningRate(o, 40), LearningRate(o, 60));
}

}  // namespace
}  // namespace pareto::inference
