// The trainer's distillation (KD) loss: its value against the definition, its gradient
// against finite differences (at the logits and through every tensor of the model), and a
// student trained on soft targets moving towards the teacher's distribution.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "inference/model_builder.h"
#include "inference/trainer.h"
#include "tests/inference/trainer_test_util.h"

namespace pareto::inference {
namespace {

using testing::GradientErrors;
using testing::TempModelPath;
using testing::TinyShape;

SoftTarget Top3() { return {{4, 1, 9}, {-0.4f, -1.5f, -2.5f}}; }

TEST(DistillLoss, IsTemperatureSquaredTimesTheKlOnTheTeachersTopK) {
  const std::vector<double> z = {0.3, -1.0, 0.5, 2.0, 1.1, -0.2, 0.0, 0.7, -0.6, 0.9, 0.1};
  const double T = 2.0;
  const SoftTarget t = Top3();
  // The definition, computed the long way.
  double pz = 0, qz = 0;
  for (float l : t.logprobs) pz += std::exp(l / T);
  for (double v : z) qz += std::exp(v / T);
  double kl = 0;
  for (size_t i = 0; i < t.ids.size(); ++i) {
    const double p = std::exp(t.logprobs[i] / T) / pz;
    const double q = std::exp(z[t.ids[i]] / T) / qz;
    kl += p * std::log(p / q);
  }
  EXPECT_NEAR(DistillLoss(z, t, T, 1.0, nullptr), T * T * kl, 1e-12);
  EXPECT_GT(kl, 0.0);
}

TEST(DistillLoss, GradientAtTheLogitsMatchesFiniteDifferences) {
  std::vector<double> z = {0.3, -1.0, 0.5, 2.0, 1.1, -0.2, 0.0, 0.7, -0.6, 0.9, 0.1};
  for (double T : {0.5, 1.0, 3.0}) {
    std::vector<double> grad(z.size(), 0.0);
    DistillLoss(z, Top3(), T, 1.0, grad.data());
    for (size_t v = 0; v < z.size(); ++v) {
      const double keep = z[v], h = 1e-6;
      z[v] = keep + h;
      const double up = DistillLoss(z, Top3(), T, 1.0, nullptr);
      z[v] = keep - h;
      const double down = DistillLoss(z, Top3(), T, 1.0, nullptr);
      z[v] = keep;
      EXPECT_NEAR(grad[v], (up - down) / (2 * h), 1e-7) << "T " << T << " logit " << v;
    }
  }
}

TEST(DistillLoss, IsZeroWhereTheStudentIsTheTeacher) {
  // A teacher whose top-k is its whole vocabulary, and a student with the same logits.
  const std::vector<double> z = {1.0, -0.5, 0.25};
  const double lse = std::log(std::exp(1.0) + std::exp(-0.5) + std::exp(0.25));
  SoftTarget t{{0, 1, 2},
               {static_cast<float>(1.0 - lse), static_cast<float>(-0.5 - lse),
                static_cast<float>(0.25 - lse)}};
  std::vector<double> grad(3, 0.0);
  EXPECT_NEAR(DistillLoss(z, t, 2.0, 1.0, grad.data()), 0.0, 1e-6);
  for (double g : grad) EXPECT_NEAR(g, 0.0, 1e-6);
}

TEST(DistillLoss, GradientOfEveryTensorMatchesFiniteDifferencesWithSoftTargets) {
  const TrainShape shape = TinyShape();
  TrainOptions options;
  options.seed = 9;
  auto trainer = Trainer::Create(shape, options);
  ASSERT_TRUE(trainer.ok()) << trainer.message();
  std::vector<double> params((*trainer)->parameters().begin(), (*trainer)->parameters().end());
  for (size_t i = 0; i < params.size(); ++i) params[i] += 0.05 * std::sin(2.0 + 1.3 * i);
  // Soft targets on some answer positions, none on others (hard label only).
  std::vector<TrainExample> batch = {
      {{1, 4, 2, 7, 3, 9}, 3, {Top3(), {}, {{9, 2}, {-0.1f, -2.4f}}}},
      {{5, 5, 0, 10, 2}, 2, {{{10}, {-0.01f}}}},
      {{8, 1}, 1, {}},
  };
  const DistillOptions distill{.temperature = 1.7, .alpha = 0.6};
  std::vector<double> grad;
  auto loss = LossAndGradient(shape, params, batch, &grad, distill);
  ASSERT_TRUE(loss.ok()) << loss.message();
  for (const auto& [name, worst] : GradientErrors(shape, params, batch, grad, distill, 30)) {
    EXPECT_LT(worst, 1e-5) << name;
  }
  // alpha = 0 is the hard-label loss exactly.
  std::vector<TrainExample> hard = batch;
  for (TrainExample& ex : hard) ex.soft.clear();
  EXPECT_NEAR(*LossAndGradient(shape, params, batch, nullptr, {.temperature = 2, .alpha = 0}),
              *LossAndGradient(shape, params, hard, nullptr), 1e-12);
}

TEST(DistillLoss, BadSoftTargetsAndOptionsAreErrors) {
  const TrainShape shape = TinyShape();
  std::vector<double> params(ParameterCount(shape), 0.01);
  auto error = [&](std::vector<TrainExample> batch, DistillOptions d = {}) {
    auto r = LossAndGradient(shape, params, batch, nullptr, d);
    return r.ok() ? std::string() : r.message();
  };
  EXPECT_NE(error({{{1, 2, 3}, 1, {{{1}, {-0.1f, -0.2f}}}}}).find("log-probabilities"),
            std::string::npos);
  EXPECT_NE(error({{{1, 2, 3}, 1, {{{11}, {-0.1f}}}}}).find("outside the vocabulary"),
            std::string::npos);
  EXPECT_NE(error({{{1, 2, 3}, 1, {{{1}, {NAN}}}}}).find("not finite"), std::string::npos);
  EXPECT_NE(error({{{1, 2, 3}, 2, {Top3(), Top3()}}}).find("2 soft targets for 1"),
            std::string::npos);
  EXPECT_NE(error({{{1, 2, 3}, 1}}, {.temperature = 0}).find("temperature"), std::string::npos);
  EXPECT_NE(error({{{1, 2, 3}, 1}}, {.alpha = 1.5}).find("alpha"), std::string::npos);
}

TEST(DistillLoss, TrainingOnSoftTargetsLowersTheKdLossAndAModelFileTrainsOn) {
  // A byte-level student written to a file, read back with Trainer::FromModel, trained on a
  // teacher's soft targets with alpha = 1 (KD only): the KD loss on the data goes down.
  TrainShape shape;
  shape.n_embd = 16;
  shape.n_layer = 1;
  shape.n_head = 2;
  shape.n_head_kv = 2;
  shape.n_ff = 32;
  shape.n_ctx = 16;
  shape.tied_output = true;
  TrainOptions options;
  options.steps = 60;
  options.warmup = 5;
  options.lr = 1e-2;
  options.distill = {.temperature = 2.0, .alpha = 1.0};
  auto fresh = Trainer::Create(shape, options);
  ASSERT_TRUE(fresh.ok()) << fresh.message();
  const std::string path = TempModelPath("distill-student");
  ASSERT_TRUE((*fresh)->SaveModel(path, "student", {}).ok());
  auto student = Trainer::FromModel(path, options);
  ASSERT_TRUE(student.ok()) << student.message();
  EXPECT_EQ((*student)->parameters(), (*fresh)->parameters());
  EXPECT_TRUE((*student)->shape().tied_output);
  EXPECT_EQ((*student)->shape().n_vocab, kByteVocabularySize);

  // The teacher: after "x=" it puts 70% on 'a', 20% on 'b', 10% on 'c'.
  const SoftTarget teacher{{'a', 'b', 'c'}, {std::log(0.7f), std::log(0.2f), std::log(0.1f)}};
  const std::vector<TrainExample> data = {{{kByteBos, 'x', '=', 'a', kByteEos}, 3, {teacher}}};
  auto kd = [&](const Trainer& t) {
    std::vector<double> p(t.parameters().begin(), t.parameters().end());
    return *LossAndGradient(t.shape(), p, data, nullptr, {.temperature = 2.0, .alpha = 1.0});
  };
  const double before = kd(**student);
  for (int i = 0; i < options.steps; ++i) ASSERT_TRUE((*student)->Step(data).ok());
  const double after = kd(**student);
  EXPECT_LT(after, before * 0.2) << before << " -> " << after;
  std::filesystem::remove(path);
}

TEST(DistillLoss, FromModelRefusesWhatIsNotAnF32LlamaFile) {
  const std::string path = TempModelPath("distill-bad");
  NewModelSpec spec;
  spec.n_vocab = 300;
  spec.n_ctx = 64;
  spec.type = TensorType::kQ8_0;
  auto model = BuildRandomModel(spec, nullptr);
  ASSERT_TRUE(model.ok()) << model.message();
  ASSERT_TRUE(model->WriteFile(path).ok());
  auto t = Trainer::FromModel(path, {});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.message().find("F32"), std::string::npos) << t.message();
  EXPECT_FALSE(Trainer::FromModel(path + ".missing", {}).ok());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace pareto::inference
