#include "inference/generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "inference/model_builder.h"

namespace pareto::inference {
namespace {

// A random 64-token model with a tiny hand-made SentencePiece vocabulary: <unk>, <s>, </s>
// and 61 pieces "t3", "t4", ... so decoded text shows which tokens were chosen.
struct Fixture {
  std::vector<uint8_t> bytes;
  std::unique_ptr<Model> model;
  std::optional<Tokenizer> tokenizer;

  Fixture() {
    NewModelSpec spec;
    spec.n_vocab = 64;
    spec.seed = 9;
    spec.type = TensorType::kQ8_0;
    bytes = *BuildRandomModel(spec, nullptr)->Serialize();
    model = std::move(*Model::FromGguf(*GgufFile::Parse(bytes)));
    Vocabulary v;
    v.tokens = {"<unk>", "<s>", "</s>"};
    v.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl};
    for (int i = 3; i < 64; ++i) {
      v.tokens.push_back("t" + std::to_string(i) + " ");
      v.types.push_back(TokenType::kNormal);
    }
    v.unk = 0;
    v.bos = 1;
    v.eos = 2;
    auto t = Tokenizer::Create(v);
    EXPECT_TRUE(t.ok()) << t.message();
    tokenizer = std::move(*t);
  }

  std::unique_ptr<Context> NewContext(int n_seq = 1) {
    ContextOptions o;
    o.n_ctx = 64;
    o.n_seq = n_seq;
    o.n_threads = 2;
    return std::move(*Context::Create(*model, o));
  }
};

int Argmax(const std::vector<float>& v) {
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

TEST(GeneratorTest, GreedyGenerationFollowsTheArgmaxOfTheLogits) {
  Fixture f;
  auto ctx = f.NewContext();
  GenerateOptions o;
  o.max_tokens = 6;
  o.stop_at_end_token = false;
  const std::vector<TokenId> prompt = {1, 10, 11};
  auto r = Generate(*ctx, *f.tokenizer, prompt, o);
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->tokens.size(), 6u);
  EXPECT_EQ(r->finish_reason, "length");
  EXPECT_EQ(r->prompt_tokens, 3);
  EXPECT_EQ(r->token_seconds.size(), 6u);

  // The same by hand: argmax, feed it back.
  auto check = f.NewContext();
  std::vector<float> logits = *check->Eval(prompt);
  std::string text;
  for (const SampledToken& t : r->tokens) {
    ASSERT_EQ(t.id, Argmax(logits));
    text += f.tokenizer->TokenPiece(t.id);
    logits = *check->Eval(std::vector<TokenId>{t.id});
  }
  EXPECT_EQ(r->text, text);
  // Forward passes: the prompt, then every sampled token but the last.
  EXPECT_EQ(r->counters.tokens, 3 + 5);
  EXPECT_GT(r->counters.flops, 0);
}

TEST(GeneratorTest, StopStringsCutTheTextAndEndTheGeneration) {
  Fixture f;
  auto ctx = f.NewContext();
  GenerateOptions o;
  o.max_tokens = 8;
  o.stop_at_end_token = false;
  const std::vector<TokenId> prompt = {1, 20};
  auto full = *Generate(*ctx, *f.tokenizer, prompt, o);
  // Stop at the third token's text: the first two tokens' text remains.
  std::string third = f.tokenizer->TokenPiece(full.tokens[2].id);
  std::string before =
      f.tokenizer->TokenPiece(full.tokens[0].id) + f.tokenizer->TokenPiece(full.tokens[1].id);
  if (before.find(third) != std::string::npos) GTEST_SKIP() << "stop string occurs earlier";
  o.stop = {third};
  std::string streamed;
  auto r = Generate(*ctx, *f.tokenizer, prompt, o, 0, [&](std::string_view s) {
    streamed += s;
    return true;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish_reason, "stop");
  EXPECT_EQ(r->tokens.size(), 3u);
  EXPECT_EQ(r->text, before);
  EXPECT_EQ(streamed, before);
}

TEST(GeneratorTest, BatchedGenerationEqualsOneAtATime) {
  Fixture f;
  const std::vector<std::vector<TokenId>> prompts = {
      {1, 5, 6}, {1, 30}, {1, 40, 41, 42}, {1, 7}, {1, 8, 9}};
  GenerateOptions o;
  o.max_tokens = 5;
  o.sampler.temperature = 0.9f;
  o.sampler.seed = 100;
  o.sampler.top_logprobs = 3;
  o.stop_at_end_token = false;
  auto batched_ctx = f.NewContext(/*n_seq=*/3);  // two groups: 3 + 2 prompts
  auto batched = GenerateBatch(*batched_ctx, *f.tokenizer, prompts, o);
  ASSERT_TRUE(batched.ok()) << batched.message();
  ASSERT_EQ(batched->size(), prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto ctx = f.NewContext();
    GenerateOptions one = o;
    one.sampler.seed = o.sampler.seed + i;  // what GenerateBatch gives prompt i
    auto r = *Generate(*ctx, *f.tokenizer, prompts[i], one);
    const GenerationResult& b = (*batched)[i];
    ASSERT_EQ(r.tokens.size(), b.tokens.size()) << i;
    for (size_t k = 0; k < r.tokens.size(); ++k) {
      EXPECT_EQ(r.tokens[k].id, b.tokens[k].id) << "prompt " << i << " token " << k;
      EXPECT_NEAR(r.tokens[k].logprob, b.tokens[k].logprob, 1e-4);
      ASSERT_EQ(b.tokens[k].top.size(), 3u);
    }
    EXPECT_EQ(r.text, b.text);
    EXPECT_EQ(b.prompt_tokens, static_cast<int>(prompts[i].size()));
  }
}

TEST(GeneratorTest, RejectsPromptsThatDoNotFit) {
  Fixture f;
  auto ctx = f.NewContext();
  std::vector<TokenId> prompt(64, 5);
  auto r = Generate(*ctx, *f.tokenizer, prompt, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("does not fit"), std::string::npos);
  EXPECT_FALSE(Generate(*ctx, *f.tokenizer, std::vector<TokenId>{}, {}).ok());
  EXPECT_FALSE(Generate(*ctx, *f.tokenizer, std::vector<TokenId>{1}, {}, /*seq=*/1).ok());
}

}  // namespace
}  // namespace pareto::inference
