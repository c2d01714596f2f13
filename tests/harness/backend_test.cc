#include "harness/backend.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "harness/sha256.h"
#include "tests/harness/test_model.h"

namespace pareto::harness {
namespace {

namespace fs = std::filesystem;

TEST(Sha256Test, MatchesTheFipsExamples) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // A million 'a', fed in uneven pieces: the incremental path.
  Sha256 h;
  const std::string piece(997, 'a');
  std::size_t left = 1'000'000;
  while (left > 0) {
    const std::size_t n = std::min(left, piece.size());
    h.Update(std::string_view(piece).substr(0, n));
    left -= n;
  }
  EXPECT_EQ(h.HexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

class EmbeddedBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pareto-backend-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    model_ = dir_ / "tiny.gguf";
    ASSERT_TRUE(testing::write_test_model(model_));
    tier_.name = "flash";
    spec::GgufModel gguf;
    gguf.path = model_;
    gguf.threads = 1;
    tier_.model = gguf;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Backend> Open(int batch = 4) {
    BackendOptions options;
    options.batch = batch;
    options.context = 256;
    auto b = open_backend(tier_, options);
    EXPECT_TRUE(b.ok()) << b.message();
    return b.ok() ? std::move(*b) : nullptr;
  }

  static GenerationRequest Request(std::string prompt, int max_tokens = 6) {
    GenerationRequest r;
    r.prompt = std::move(prompt);
    r.max_tokens = max_tokens;
    return r;
  }

  fs::path dir_, model_;
  spec::Tier tier_;
};

TEST_F(EmbeddedBackendTest, DescribesTheModelItRuns) {
  auto backend = Open();
  ASSERT_TRUE(backend);
  const BackendInfo& info = backend->info();
  EXPECT_EQ(info.tier, "flash");
  EXPECT_EQ(info.kind, "gguf");
  EXPECT_EQ(info.model_id, "tiny.gguf");
  EXPECT_EQ(info.model_hash, *sha256_file(model_));
  EXPECT_EQ(info.arch, "llama");
  EXPECT_GT(info.parameters, 0);
  EXPECT_EQ(info.bytes, fs::file_size(model_));
  EXPECT_EQ(info.quantization, "F32");
  EXPECT_EQ(info.context, 256);
  EXPECT_EQ(info.chat_format, "completion");  // the file carries no chat template
  EXPECT_EQ(info.max_batch, 4);
}

TEST_F(EmbeddedBackendTest, AnswersEveryRequestInOrderWithItsCosts) {
  auto backend = Open();
  ASSERT_TRUE(backend);
  std::vector<GenerationRequest> requests;
  for (int i = 0; i < 6; ++i) requests.push_back(Request("Compute " + std::to_string(i) + " + 1."));
  const auto responses = backend->Generate(requests);
  ASSERT_EQ(responses.size(), requests.size());
  for (const auto& r : responses) {
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_TRUE(r.finish_reason == "length" || r.finish_reason == "stop") << r.finish_reason;
    EXPECT_GE(r.completion_tokens, 1);
    EXPECT_LE(r.completion_tokens, 6);
    EXPECT_EQ(static_cast<std::int64_t>(r.token_seconds.size()), r.completion_tokens);
    EXPECT_GT(r.prompt_tokens, 10);  // byte tokens plus BOS
    EXPECT_LE(r.ttft_seconds, r.e2e_seconds);
    ASSERT_TRUE(r.counters.has_value());
    EXPECT_GT(r.counters->flops, 0);
    EXPECT_TRUE(r.tokens_counted);
  }
}

TEST_F(EmbeddedBackendTest, ResponsesDoNotDependOnBatching) {
  auto batched = Open(4);
  auto single = Open(1);
  ASSERT_TRUE(batched && single);
  std::vector<GenerationRequest> requests;
  for (int i = 0; i < 5; ++i) {
    GenerationRequest r = Request("item " + std::to_string(i), 5);
    if (i % 2 == 1) {  // sampled requests, each on its own seed
      r.temperature = 0.8;
      r.seed = 100 + static_cast<std::uint64_t>(i);
    }
    requests.push_back(r);
  }
  const auto together = batched->Generate(requests);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto alone = single->Generate(std::span(&requests[i], 1));
    ASSERT_TRUE(alone[0].ok() && together[i].ok());
    EXPECT_EQ(alone[0].text, together[i].text) << "request " << i;
    EXPECT_EQ(alone[0].completion_tokens, together[i].completion_tokens);
  }
}

TEST_F(EmbeddedBackendTest, OneBadRequestFailsAloneAndLogprobsComeOnRequest) {
  auto backend = Open();
  ASSERT_TRUE(backend);
  std::vector<GenerationRequest> requests = {Request("fine"), Request(std::string(400, 'x')),
                                             Request("also fine")};
  requests[2].top_logprobs = 3;
  const auto responses = backend->Generate(requests);
  EXPECT_TRUE(responses[0].ok());
  EXPECT_FALSE(responses[1].ok());
  EXPECT_EQ(responses[1].finish_reason, "error");
  EXPECT_NE(responses[1].error.find("context"), std::string::npos) << responses[1].error;
  ASSERT_TRUE(responses[2].ok());
  ASSERT_EQ(static_cast<std::int64_t>(responses[2].logprobs.size()),
            responses[2].completion_tokens);
  for (const auto& t : responses[2].logprobs) {
    ASSERT_EQ(t.top.size(), 3u);
    EXPECT_GE(t.top[0].logprob, t.top[1].logprob);
    EXPECT_LE(t.logprob, 0);
  }
  EXPECT_TRUE(responses[0].logprobs.empty());
}

TEST_F(EmbeddedBackendTest, AMissingModelFileIsAnErrorNamingTheTier) {
  spec::GgufModel gguf;
  gguf.path = dir_ / "missing.gguf";
  tier_.model = gguf;
  auto b = open_backend(tier_);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.message().find("tier flash"), std::string::npos) << b.message();
}

}  // namespace
}  // namespace pareto::harness
