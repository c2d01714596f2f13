// A remote tier (openai(url = ...)) served by the OpenAI-compatible server on the same GGUF
// file as an embedded tier answers greedy requests exactly as the embedded tier does.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/backend.h"
#include "inference/chat_template.h"
#include "inference/gguf.h"
#include "inference/model.h"
#include "inference/model_builder.h"
#include "inference/openai_server.h"
#include "inference/tokenizer.h"
#include "tests/harness/test_model.h"
#include "tests/inference/http_test_util.h"

namespace pareto::harness {
namespace {

namespace fs = std::filesystem;

// A random model whose vocabulary is printable ASCII (byte tokens 0x20..0x7E, "▁" and a few
// words), so every answer is valid UTF-8 and travels through JSON unchanged.
bool WritePrintableModel(const fs::path& path) {
  using namespace pareto::inference;
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>", "\xE2\x96\x81"};
  std::vector<int32_t> types = {2, 3, 3, 1};
  for (int b = 0x20; b < 0x7F; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    tokens.push_back(name);
    types.push_back(6);
  }
  for (const char* w : {"the", "cat", "sat", "on", "mat", "Hello", "world"}) {
    tokens.push_back(std::string("\xE2\x96\x81") + w);
    types.push_back(1);
  }
  std::vector<float> scores;
  for (const auto& t : tokens) scores.push_back(static_cast<float>(t.size()));
  NewModelSpec spec;
  spec.n_vocab = static_cast<int>(tokens.size());
  spec.n_ctx = 512;
  spec.seed = 11;
  spec.type = TensorType::kQ8_0;
  auto writer = BuildRandomModel(spec, nullptr);
  if (!writer.ok()) return false;
  writer->Set("tokenizer.ggml.model", GgufValue::String("llama"));
  writer->Set("tokenizer.ggml.tokens", GgufValue::StringArray(tokens));
  writer->Set("tokenizer.ggml.scores", GgufValue::Float32Array(scores));
  writer->Set("tokenizer.ggml.token_type", GgufValue::Int32Array(types));
  writer->Set("tokenizer.ggml.unknown_token_id", GgufValue::Uint32(0));
  writer->Set("tokenizer.ggml.bos_token_id", GgufValue::Uint32(1));
  writer->Set("tokenizer.ggml.eos_token_id", GgufValue::Uint32(2));
  writer->Set("tokenizer.ggml.add_bos_token", GgufValue::Bool(true));
  return writer->WriteFile(path.string()).ok();
}

class RemoteBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pareto-remote-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = dir_ / "tiny.gguf";
    ASSERT_TRUE(WritePrintableModel(path_));
    auto model = inference::Model::Load(path_.string());
    ASSERT_TRUE(model.ok()) << model.message();
    model_ = std::move(*model);
    auto tok = inference::Tokenizer::FromGguf(model_->file());
    ASSERT_TRUE(tok.ok()) << tok.message();
    inference::OpenAiServerOptions o;
    o.port = 0;
    o.model_id = "tiny";
    o.n_ctx = 256;
    o.n_threads = 1;
    o.parallel = 4;
    auto server = inference::OpenAiServer::Start(*model_, *tok, inference::ChatTemplate{}, o);
    ASSERT_TRUE(server.ok()) << server.message();
    server_ = std::move(*server);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  std::unique_ptr<Backend> Embedded() {
    const spec::Tier tier = testing::embedded_tier("flash", path_);
    BackendOptions options;
    options.batch = 4;
    options.context = 256;
    auto b = open_backend(tier, options);
    EXPECT_TRUE(b.ok()) << b.message();
    return b.ok() ? std::move(*b) : nullptr;
  }
  std::unique_ptr<Backend> Remote(const std::string& url) {
    spec::Tier tier;
    tier.name = "pro";
    tier.concurrency = 3;
    spec::OpenAiModel m;
    m.url = url;
    m.name = "tiny";
    m.max_retries = 0;
    tier.model = m;
    auto b = open_backend(tier);
    EXPECT_TRUE(b.ok()) << b.message();
    return b.ok() ? std::move(*b) : nullptr;
  }

  fs::path dir_, path_;
  std::unique_ptr<inference::Model> model_;
  std::unique_ptr<inference::OpenAiServer> server_;
};

TEST_F(RemoteBackendTest, GreedyAnswersEqualTheEmbeddedTiers) {
  std::vector<GenerationRequest> requests;
  for (const char* p : {"the cat sat", "Hello world", "on the mat", "Compute 2 + 3.", "cat"}) {
    GenerationRequest r;
    r.prompt = p;
    r.max_tokens = 12;
    requests.push_back(r);
  }
  requests[1].system = "Answer briefly.";
  requests[2].mode = spec::PromptMode::kCompletion;
  requests[3].top_logprobs = 3;
  requests[4].mode = spec::PromptMode::kCompletion;
  requests[4].top_logprobs = 2;
  auto embedded = Embedded();
  auto remote = Remote(server_->base_url());
  ASSERT_TRUE(embedded && remote);
  EXPECT_EQ(remote->info().kind, "openai");
  EXPECT_EQ(remote->info().model_id, "tiny");
  auto want = embedded->Generate(requests);
  auto got = remote->Generate(requests);
  ASSERT_EQ(got.size(), requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    ASSERT_TRUE(want[i].ok()) << want[i].error;
    ASSERT_TRUE(got[i].ok()) << got[i].error;
    EXPECT_EQ(got[i].text, want[i].text) << i;
    EXPECT_EQ(got[i].finish_reason, want[i].finish_reason) << i;
    EXPECT_EQ(got[i].prompt_tokens, want[i].prompt_tokens) << i;
    EXPECT_EQ(got[i].completion_tokens, want[i].completion_tokens) << i;
    EXPECT_FALSE(got[i].tokens_counted);  // the server reported usage
    EXPECT_FALSE(got[i].counters.has_value());
    EXPECT_FALSE(got[i].token_seconds.empty());
    ASSERT_EQ(got[i].logprobs.size(), want[i].logprobs.size()) << i;
    for (size_t k = 0; k < got[i].logprobs.size(); ++k) {
      EXPECT_EQ(got[i].logprobs[k].text, want[i].logprobs[k].text);
      EXPECT_NEAR(got[i].logprobs[k].logprob, want[i].logprobs[k].logprob, 1e-5);
      ASSERT_EQ(got[i].logprobs[k].top.size(), want[i].logprobs[k].top.size());
      EXPECT_EQ(got[i].logprobs[k].top[0].text, want[i].logprobs[k].top[0].text);
    }
  }
}

TEST_F(RemoteBackendTest, AnEndpointThatIsDownIsAnErrorPerResponse) {
  const std::string url = server_->base_url();
  server_.reset();  // nothing listens there now
  auto remote = Remote(url);
  ASSERT_TRUE(remote);
  GenerationRequest r;
  r.prompt = "the cat";
  r.max_tokens = 4;
  std::vector<GenerationRequest> requests = {r, r};
  requests[1].max_tokens = 0;
  auto got = remote->Generate(requests);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].finish_reason, "error");
  EXPECT_NE(got[0].error.find("POST " + url), std::string::npos) << got[0].error;
  EXPECT_EQ(got[1].finish_reason, "error");
}

TEST_F(RemoteBackendTest, AnUnsetKeyVariableFailsAtOpenNamingIt) {
  spec::Tier tier;
  tier.name = "ultra";
  spec::OpenAiModel m;
  m.url = server_->base_url();
  m.name = "tiny";
  m.api_key_env = "PARETO_REMOTE_TEST_UNSET";
  ::unsetenv("PARETO_REMOTE_TEST_UNSET");
  tier.model = m;
  auto b = open_backend(tier);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.message().find("tier ultra"), std::string::npos) << b.message();
  EXPECT_NE(b.message().find("PARETO_REMOTE_TEST_UNSET"), std::string::npos) << b.message();
}

// A tier on a scripted endpoint (tests/inference/http_test_util.h) that streams "a", "b"
// and a finish reason, with the usage chunk only when `usage` is set.
class ScriptedEndpointTest : public ::testing::Test {
 protected:
  using FaultServer = inference::testing::FaultServer;

  static FaultServer::Act Stream(bool usage) {
    return [usage](auto& s, int, const std::string&) {
      auto event = [](const std::string& json) { return "data: " + json + "\n\n"; };
      std::string out = FaultServer::StreamHead();
      out += event(R"({"choices":[{"index":0,"delta":{"content":"a"}}]})");
      out += event(R"({"choices":[{"index":0,"delta":{"content":"b"},"finish_reason":"stop"}]})");
      if (usage) {
        out += event(
            R"({"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}})");
      }
      out += event("[DONE]");
      FaultServer::Write(s, out);
    };
  }
  static spec::Tier Tier(const FaultServer& server, std::optional<double> rpm) {
    spec::Tier tier;
    tier.name = "pro";
    tier.concurrency = 3;
    spec::OpenAiModel m;
    m.url = server.url();
    m.name = "m";
    m.max_retries = 0;
    m.requests_per_minute = rpm;
    tier.model = m;
    return tier;
  }
  static std::vector<GenerationRequest> Requests(int n) {
    GenerationRequest r;
    r.prompt = "the cat";
    r.max_tokens = 4;
    return std::vector<GenerationRequest>(n, r);
  }
};

TEST_F(ScriptedEndpointTest, RequestsPerMinuteFromTheTierSpacesRequestStarts) {
  FaultServer server(Stream(true));
  auto backend = open_backend(Tier(server, 600));  // one start per 100 ms
  ASSERT_TRUE(backend.ok()) << backend.message();
  // Three requests in one call, and concurrency 3: only the rate keeps them apart.
  auto got = (*backend)->Generate(Requests(3));
  ASSERT_EQ(got.size(), 3u);
  for (const auto& r : got) {
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.text, "ab");
    EXPECT_EQ(r.prompt_tokens, 9);
    EXPECT_TRUE(r.prompt_tokens_known);
    EXPECT_FALSE(r.tokens_counted);
  }
  auto at = server.arrivals();
  ASSERT_EQ(at.size(), 3u);
  std::sort(at.begin(), at.end());
  // A lower bound on spacing (what the limit promises), not a measure of speed.
  for (size_t i = 1; i < at.size(); ++i) {
    EXPECT_GE(at[i] - at[i - 1], std::chrono::milliseconds(90)) << i;
  }
}

TEST_F(ScriptedEndpointTest, WithoutUsageThePromptCountIsUnknownNotZero) {
  FaultServer server(Stream(false));
  auto backend = open_backend(Tier(server, std::nullopt));
  ASSERT_TRUE(backend.ok()) << backend.message();
  auto got = (*backend)->Generate(Requests(1));
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(got[0].ok()) << got[0].error;
  EXPECT_EQ(got[0].text, "ab");
  EXPECT_TRUE(got[0].tokens_counted);
  EXPECT_FALSE(got[0].prompt_tokens_known);  // no usage, and no tokenizer to count with
  EXPECT_EQ(got[0].completion_tokens, 2);    // the streamed pieces
}

}  // namespace
}  // namespace pareto::harness
