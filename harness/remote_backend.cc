// The backend of an OpenAI-compatible tier: each request goes through the inference
// library's client (inference/openai_client.h), streamed so that time to first token and
// the arrival of each piece are measured, with usage asked for at the end of the stream.
// The client retries what is worth retrying and bounds requests in flight to the tier's
// concurrency; what still fails is that response's error. A request's timeout is the budget
// of its whole call (attempts and back-off together); running out of it is finish "timeout".
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "harness/backend.h"
#include "inference/openai_client.h"

namespace pareto::harness {
namespace {

using inference::OpenAiClient;
using inference::OpenAiClientOptions;
using inference::OpenAiCompletion;
namespace openai = inference::openai;

class RemoteBackend final : public Backend {
 public:
  RemoteBackend(BackendInfo info, std::unique_ptr<OpenAiClient> client)
      : info_(std::move(info)), client_(std::move(client)) {}

  const BackendInfo& info() const override { return info_; }

  std::vector<GenerationResponse> Generate(std::span<const GenerationRequest> requests) override {
    std::vector<GenerationResponse> out(requests.size());
    // The requests of a call go out together; the client holds them to the tier's limit.
    std::vector<std::thread> threads;
    threads.reserve(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      threads.emplace_back([this, &requests, &out, i] { out[i] = One(requests[i]); });
    }
    for (std::thread& t : threads) t.join();
    return out;
  }

 private:
  GenerationResponse One(const GenerationRequest& r) const {
    GenerationResponse out;
    if (r.max_tokens < 1) {
      out.finish_reason = "error";
      out.error = "max_tokens must be at least 1";
      return out;
    }
    openai::TextRequest req;
    req.chat = r.mode == spec::PromptMode::kChat;
    if (req.chat) {
      req.messages = request_messages(r);
    } else {
      req.prompt = completion_prompt(r);
    }
    req.max_tokens = r.max_tokens;
    req.temperature = r.temperature;
    req.seed = r.seed;
    req.stop = r.stop;
    req.stream = true;
    req.include_usage = true;
    req.logprobs = r.top_logprobs > 0;
    req.top_logprobs = r.top_logprobs;
    std::optional<std::chrono::milliseconds> budget;
    if (r.timeout) budget = std::chrono::duration_cast<std::chrono::milliseconds>(*r.timeout);

    auto c = client_->Complete(req, budget);
    if (!c.ok()) {
      const bool timed_out = budget && c.message().rfind("timed out", 0) == 0;
      out.finish_reason = timed_out ? "timeout" : "error";
      out.error = timed_out ? "" : c.message();
      if (timed_out) out.e2e_seconds = std::chrono::duration<double>(*budget).count();
      return out;
    }
    OpenAiCompletion& got = *c;
    out.text = std::move(got.response.text);
    out.finish_reason = got.response.finish_reason.empty() ? "stop" : got.response.finish_reason;
    out.prompt_tokens = got.prompt_tokens;
    out.completion_tokens = got.completion_tokens;
    out.tokens_counted = got.usage_source != "reported";
    // Without the endpoint's usage there is no tokenizer here to count the prompt with.
    out.prompt_tokens_known = got.prompt_tokens_known;
    out.ttft_seconds = got.ttft_seconds;
    out.token_seconds = std::move(got.piece_seconds);
    out.e2e_seconds = got.total_seconds;
    if (r.top_logprobs > 0) {
      for (auto& t : got.response.logprobs) {
        TokenLogprobs lp;
        lp.text = std::move(t.token);
        lp.logprob = t.logprob;
        for (auto& alt : t.top) lp.top.push_back({std::move(alt.token), -1, alt.logprob});
        out.logprobs.push_back(std::move(lp));
      }
    }
    return out;
  }

  BackendInfo info_;
  std::unique_ptr<OpenAiClient> client_;
};

}  // namespace

Result<std::unique_ptr<Backend>> open_remote_backend(const spec::Tier& tier,
                                                     const spec::OpenAiModel& model,
                                                     const BackendOptions&) {
  OpenAiClientOptions o;
  o.base_url = model.url;
  o.model = model.name;
  o.api_key_env = model.api_key_env;
  o.headers = model.headers;
  o.max_retries = model.max_retries;
  o.concurrency = std::max(1, tier.concurrency);
  o.requests_per_minute = model.requests_per_minute.value_or(0);
  if (model.timeout) {
    o.total_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*model.timeout);
    o.first_byte_timeout = std::min(o.first_byte_timeout, o.total_timeout);
    o.idle_timeout = std::min(o.idle_timeout, o.total_timeout);
  }
  auto client = OpenAiClient::Create(o);
  if (!client.ok()) return client.status().WithContext("tier " + tier.name);

  BackendInfo info;
  info.tier = tier.name;
  info.kind = "openai";
  info.model_id = model.name;
  info.location = model.url;
  info.context = model.context.value_or(0);
  info.chat_format = "endpoint";  // the endpoint renders chats with its own template
  info.concurrency = o.concurrency;
  info.max_batch = o.concurrency;
  info.joules_per_token = tier.joules_per_token;
  return std::unique_ptr<Backend>(new RemoteBackend(std::move(info), std::move(*client)));
}

}  // namespace pareto::harness
