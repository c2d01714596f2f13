// Sampler tests on hand-made logits: the PRNG, greedy and seeded sampling, top-k, top-p,
// temperature, log-probabilities, and stop strings across token boundaries.
#include "inference/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace pareto::inference {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Frequencies of each id over `draws` samples.
std::vector<double> Frequencies(const SamplerConfig& config, const std::vector<float>& logits,
                                int draws) {
  Result<Sampler> s = Sampler::Create(config);
  EXPECT_TRUE(s.ok()) << s.message();
  std::vector<double> freq(logits.size(), 0.0);
  for (int i = 0; i < draws; ++i) {
    Result<SampledToken> t = s->Sample(logits);
    EXPECT_TRUE(t.ok());
    freq[t->id] += 1.0 / draws;
  }
  return freq;
}

// Logits whose softmax is exactly {0.5, 0.3, 0.2}.
const std::vector<float> kThree = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};

TEST(Rng, IsXoshiro256StarStarSeededBySplitMix64) {
  // Values from an independent transcription of the published algorithms (SplitMix64 with
  // seed 42 filling the state, then xoshiro256**): seeds must mean the same on every build.
  Rng rng(42);
  EXPECT_EQ(rng.Next(), 0x15780b2e0c2ec716ull);
  EXPECT_EQ(rng.Next(), 0x6104d9866d113a7eull);
  EXPECT_EQ(rng.Next(), 0xae17533239e499a1ull);
}

TEST(Rng, UniformStaysInTheUnitInterval) {
  Rng rng(7);
  double sum = 0.0;
  for (int i = 0; i < 10000; ++i) {
    const double u = rng.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
}

TEST(Sampler, GreedyTakesTheLargestLogitAndTheLowestIdOnTies) {
  Result<Sampler> s = Sampler::Create({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->Sample(std::vector<float>{0.1f, 2.0f, -1.0f})->id, 1);
  EXPECT_EQ(s->Sample(std::vector<float>{1.0f, 3.0f, 3.0f})->id, 1);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(s->Sample(std::vector<float>{nan, -kInf, -5.0f})->id, 2);
}

TEST(Sampler, NoFiniteLogitIsAnError) {
  Result<Sampler> s = Sampler::Create({.temperature = 1.0f});
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->Sample(std::vector<float>{-kInf, std::nanf("")}).ok());
  EXPECT_FALSE(s->Sample(std::vector<float>{}).ok());
}

TEST(Sampler, RejectsBadSettings) {
  EXPECT_FALSE(Sampler::Create({.temperature = -0.5f}).ok());
  EXPECT_FALSE(Sampler::Create({.temperature = std::nanf("")}).ok());
  EXPECT_FALSE(Sampler::Create({.top_k = -1}).ok());
  EXPECT_FALSE(Sampler::Create({.top_p = 0.0f}).ok());
  EXPECT_FALSE(Sampler::Create({.top_p = 1.5f}).ok());
  EXPECT_FALSE(Sampler::Create({.top_logprobs = -2}).ok());
}

TEST(Sampler, TheSameSeedGivesTheSameTokens) {
  const std::vector<float> logits = {0.0f, 0.5f, 1.0f, 0.2f, -0.3f, 0.9f};
  auto run = [&](uint64_t seed) {
    Result<Sampler> s = Sampler::Create({.temperature = 1.0f, .seed = seed});
    std::vector<TokenId> ids;
    for (int i = 0; i < 50; ++i) ids.push_back(s->Sample(logits)->id);
    return ids;
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

TEST(Sampler, DrawsInProportionToTheSoftmax) {
  const auto f = Frequencies({.temperature = 1.0f, .seed = 11}, kThree, 20000);
  EXPECT_NEAR(f[0], 0.5, 0.015);
  EXPECT_NEAR(f[1], 0.3, 0.015);
  EXPECT_NEAR(f[2], 0.2, 0.015);
}

TEST(Sampler, TemperatureSharpensTheDistribution) {
  // At temperature 0.5 the probabilities go as p^2: 0.25, 0.09, 0.04 over 0.38.
  const auto f = Frequencies({.temperature = 0.5f, .seed = 5}, kThree, 20000);
  EXPECT_NEAR(f[0], 0.25 / 0.38, 0.015);
  EXPECT_NEAR(f[1], 0.09 / 0.38, 0.015);
  EXPECT_NEAR(f[2], 0.04 / 0.38, 0.015);
}

TEST(Sampler, TopKKeepsOnlyTheKMostLikely) {
  const auto f = Frequencies({.temperature = 1.0f, .top_k = 2, .seed = 9}, kThree, 10000);
  EXPECT_EQ(f[2], 0.0);
  EXPECT_NEAR(f[0], 0.5 / 0.8, 0.02);
  const auto one = Frequencies({.temperature = 1.0f, .top_k = 1, .seed = 9}, kThree, 200);
  EXPECT_NEAR(one[0], 1.0, 1e-9);
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingP) {
  // 0.5 < 0.6 <= 0.5 + 0.3: tokens 0 and 1 stay, renormalised to 5/8 and 3/8.
  const auto f = Frequencies({.temperature = 1.0f, .top_p = 0.6f, .seed = 2}, kThree, 10000);
  EXPECT_EQ(f[2], 0.0);
  EXPECT_NEAR(f[0], 0.625, 0.02);
  const auto one = Frequencies({.temperature = 1.0f, .top_p = 0.45f, .seed = 2}, kThree, 200);
  EXPECT_NEAR(one[0], 1.0, 1e-9);
}

TEST(Sampler, MaskedTokensAreNeverDrawn) {
  const std::vector<float> logits = {0.0f, -kInf, 0.0f, std::nanf("")};
  const auto f = Frequencies({.temperature = 2.0f, .seed = 1}, logits, 2000);
  EXPECT_EQ(f[1], 0.0);
  EXPECT_EQ(f[3], 0.0);
  EXPECT_NEAR(f[0], 0.5, 0.05);
}

TEST(LogSoftmax, MatchesTheDefinitionAndStaysFiniteForHugeLogits) {
  const std::vector<float> small = {1.0f, 2.0f, 3.0f};
  const double z = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  const std::vector<float> ls = LogSoftmax(small);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(ls[i], small[i] - z, 1e-6);
  // exp(1000) overflows a naive softmax; shifted logits give the same answer.
  const std::vector<float> huge = LogSoftmax(std::vector<float>{1001.0f, 1002.0f, 1003.0f});
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(huge[i], ls[i], 1e-4);
  const std::vector<float> masked = LogSoftmax(std::vector<float>{-kInf, 0.0f});
  EXPECT_EQ(masked[0], -kInf);
  EXPECT_EQ(masked[1], 0.0f);
}

TEST(TopLogprobs, ReturnsTheMostLikelyFirst) {
  const std::vector<float> logits = {0.5f, 3.0f, -kInf, 3.0f, 1.0f};
  const std::vector<float> ls = LogSoftmax(logits);
  const std::vector<TokenLogprob> top = TopLogprobs(logits, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0], (TokenLogprob{1, ls[1]}));
  EXPECT_EQ(top[1], (TokenLogprob{3, ls[3]}));
  EXPECT_EQ(top[2], (TokenLogprob{4, ls[4]}));
  EXPECT_EQ(TopLogprobs(logits, 10).size(), 4u);  // the masked token is not listed
  EXPECT_TRUE(TopLogprobs(logits, 0).empty());
}

TEST(Sampler, ReportsTheModelsLogprobsWhateverTheTemperature) {
  const std::vector<float> logits = {0.0f, 1.0f, 2.0f, 3.0f};
  const std::vector<float> ls = LogSoftmax(logits);
  Result<Sampler> s =
      Sampler::Create({.temperature = 0.3f, .top_k = 2, .seed = 4, .top_logprobs = 3});
  ASSERT_TRUE(s.ok());
  for (int i = 0; i < 20; ++i) {
    Result<SampledToken> t = s->Sample(logits);
    ASSERT_TRUE(t.ok());
    EXPECT_NEAR(t->logprob, ls[t->id], 1e-6);
    ASSERT_EQ(t->top.size(), 3u);
    EXPECT_EQ(t->top[0].id, 3);
    EXPECT_NEAR(t->top[0].logprob, ls[3], 1e-6);
  }
}

TEST(StopStrings, FindsAStopSplitAcrossTokensAndCutsWhatFollows) {
  StopStrings stops({"</s>"});
  std::string shown;
  auto step = stops.Push("Hello <");
  shown += step.text;
  EXPECT_FALSE(step.stopped);
  EXPECT_EQ(shown, "Hello ");  // "<" might start the stop, so it waits
  step = stops.Push("/");
  shown += step.text;
  step = stops.Push("s> and more");
  shown += step.text;
  EXPECT_TRUE(step.stopped);
  EXPECT_EQ(shown, "Hello ");
  EXPECT_TRUE(stops.Push("later").stopped);
  EXPECT_EQ(stops.Push("later").text, "");
}

TEST(StopStrings, ReleasesHeldTextWhenItTurnsOutNotToBeAStop) {
  StopStrings stops({"</s>"});
  EXPECT_EQ(stops.Push("a<").text, "a");
  EXPECT_EQ(stops.Push("b").text, "<b");
  EXPECT_EQ(stops.Push("</").text, "");
  EXPECT_EQ(stops.Flush(), "</");  // generation ended without completing the stop
}

TEST(StopStrings, TheEarliestStopWins) {
  StopStrings stops({"N", "END"});
  const auto step = stops.Push("xxENDyy");
  EXPECT_TRUE(step.stopped);
  EXPECT_EQ(step.text, "xx");
}

TEST(StopStrings, HoldsBackAnUnfinishedUtf8Character) {
  StopStrings stops({});
  EXPECT_EQ(stops.Push("a\xE2\x82").text, "a");
  EXPECT_EQ(stops.Push("\xAC!").text, "\xE2\x82\xAC!");
  EXPECT_EQ(stops.Push("\xF0\x9F").text, "");
  EXPECT_EQ(stops.Flush(), "\xF0\x9F");
}

}  // namespace
}  // namespace pareto::inference
