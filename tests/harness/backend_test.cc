#include "harness/backend.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "agents/driver.h"
#include "harness/sha256.h"
#include "tests/harness/fake_powercap.h"
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
    tier_ = testing::embedded_tier("flash", model_);
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

TEST_F(EmbeddedBackendTest, ATimeoutStopsThatRequestAloneAtTheNextStep) {
  auto backend = Open(3);
  ASSERT_TRUE(backend);
  std::vector<GenerationRequest> requests = {Request("first item", 40), Request("timed", 200),
                                             Request("third item", 40)};
  const auto untimed = backend->Generate(requests);
  ASSERT_TRUE(untimed[1].ok()) << untimed[1].error;
  ASSERT_GT(untimed[1].completion_tokens, 2);  // it would go on for a while
  // A deadline that has passed by the first decode step: the request leaves the batch then,
  // with no more tokens, while the others run to their end as before.
  requests[1].timeout = std::chrono::nanoseconds(1);
  const auto timed = backend->Generate(requests);
  EXPECT_EQ(timed[1].finish_reason, "timeout");
  EXPECT_TRUE(timed[1].ok());
  EXPECT_LT(timed[1].completion_tokens, untimed[1].completion_tokens);
  EXPECT_LE(timed[1].completion_tokens, 1);
  for (std::size_t i : {0u, 2u}) {
    EXPECT_EQ(timed[i].text, untimed[i].text) << i;
    EXPECT_EQ(timed[i].finish_reason, untimed[i].finish_reason) << i;
  }
}

TEST_F(EmbeddedBackendTest, StreamedRequestsJoinTheBatchAsOthersFinish) {
  auto backend = Open(2);
  ASSERT_TRUE(backend);
  // Two sequences: "long" and "short" start together; "late" takes the short one's sequence
  // when it finishes, and so finishes before "long" does.
  std::vector<GenerationRequest> requests = {Request("long", 40), Request("short", 2),
                                             Request("late", 2)};
  const auto alone = Open(1)->Generate(requests);
  ASSERT_GE(alone[0].completion_tokens, 8) << "the long request must outlast two short ones";
  ASSERT_EQ(alone[1].completion_tokens, 2);
  ASSERT_EQ(alone[2].completion_tokens, 2);
  std::size_t next = 0;
  std::vector<std::size_t> order;
  std::vector<GenerationResponse> got(requests.size());
  backend->Serve([&]() -> std::optional<StreamedRequest> {
    if (next == requests.size()) return std::nullopt;
    const std::size_t i = next++;
    return StreamedRequest{requests[i], [&, i](GenerationResponse r) {
                             order.push_back(i);
                             got[i] = std::move(r);
                           }};
  });
  EXPECT_EQ(order, (std::vector<std::size_t>{1, 2, 0}));
  for (std::size_t i = 0; i < requests.size(); ++i) {
    ASSERT_TRUE(got[i].ok()) << got[i].error;
    EXPECT_EQ(got[i].text, alone[i].text) << i;  // joining a batch changes no answer
  }
}

TEST_F(EmbeddedBackendTest, CompletionModeSendsTheDriversPromptText) {
  auto backend = Open();
  ASSERT_TRUE(backend);
  spec::Task task;
  task.mode = spec::PromptMode::kCompletion;
  task.system = "You add numbers.";
  task.prompt = "{{a}}+{{b}}=";
  spec::Sample sample;
  sample.fields = {{"a", 12}, {"b", 30}};
  const agents::Prompt prompt = agents::render_prompt(task, sample);
  ASSERT_EQ(prompt.text(), "You add numbers.\n\n12+30=");

  GenerationRequest split = Request(prompt.user, 8);  // what the runner sends
  split.mode = spec::PromptMode::kCompletion;
  split.system = prompt.system;
  EXPECT_EQ(completion_prompt(split), prompt.text());
  GenerationRequest whole = Request(prompt.text(), 8);  // the text, raw, with no system
  whole.mode = spec::PromptMode::kCompletion;
  GenerationRequest user_only = Request(prompt.user, 8);
  user_only.mode = spec::PromptMode::kCompletion;
  const auto r = backend->Generate(std::vector<GenerationRequest>{split, whole, user_only});
  ASSERT_TRUE(r[0].ok() && r[1].ok() && r[2].ok());
  EXPECT_EQ(r[0].prompt_tokens, r[1].prompt_tokens);
  EXPECT_EQ(r[0].text, r[1].text);
  // The system text is part of what the model read: more prompt tokens than the user text.
  EXPECT_GT(r[0].prompt_tokens, r[2].prompt_tokens);
}

TEST_F(EmbeddedBackendTest, MeasuredEnergyIsSharedAmongTheItemsOfAStepByTokens) {
  // A real RAPL meter over a fake powercap tree: the package counter moves by 10 J between
  // opening the tier and the batch, and not afterwards, so the whole 10 J falls on the first
  // decode step, which holds the three prompts' prefills: each item's share is its prompt
  // tokens over all three.
  FakePowercap powercap;
  powercap.zone("intel-rapl:0", "package-0", 5'000'000, 262143328850);
  auto meter = RaplMeter::Open({.root = powercap.root()});
  ASSERT_TRUE(meter.ok()) << meter.message();
  auto tap = EnergyTap::Open(std::shared_ptr<EnergyMeter>(std::move(*meter)));
  ASSERT_TRUE(tap.ok()) << tap.message();
  BackendOptions options;
  options.batch = 3;
  options.context = 256;
  options.energy = *tap;
  auto backend = open_backend(tier_, options);
  ASSERT_TRUE(backend.ok()) << backend.message();
  powercap.set("intel-rapl:0", 15'000'000);
  const std::vector<GenerationRequest> requests = {Request("a", 4), Request("a longer prompt", 4),
                                                   Request("the longest prompt of the three", 4)};
  const auto r = (*backend)->Generate(requests);
  double prompt_tokens = 0;
  for (const auto& response : r) {
    ASSERT_TRUE(response.ok()) << response.error;
    prompt_tokens += static_cast<double>(response.prompt_tokens);
  }
  double total = 0;
  for (const auto& response : r) {
    ASSERT_TRUE(response.measured_energy.has_value());
    EXPECT_EQ(response.measured_energy->source, EnergySource::kRapl);
    EXPECT_NEAR(response.measured_energy->joules,
                10.0 * static_cast<double>(response.prompt_tokens) / prompt_tokens, 1e-9);
    total += response.measured_energy->joules;
  }
  EXPECT_NEAR(total, 10.0, 1e-9);
  EXPECT_LT(r[0].measured_energy->joules, r[2].measured_energy->joules);
  // Without a meter nothing is measured (the runner then models the energy).
  EXPECT_FALSE(Open()->Generate(requests)[0].measured_energy.has_value());
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
