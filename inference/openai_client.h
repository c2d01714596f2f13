// A client for OpenAI-compatible endpoints (vLLM, llama.cpp's server, hosted APIs, and
// `pareto serve`), over libcurl.
//
// Complete() sends one chat or completions request and returns the reply with what it cost:
// token counts (the endpoint's usage, or counted when it reports none, labelled so), time to
// first token and each streamed piece's arrival (streaming is how TTFT is measured remotely),
// and per-token log-probabilities when asked. It is safe to call from many threads; the
// client bounds how many requests are in flight (`concurrency`) and, optionally, how many
// start per minute.
//
// Failures are values. Connection errors, timeouts (connect, first byte, idle, total), a
// stream cut before its end, 5xx and 429 are retried up to max_retries times with
// exponential back-off and jitter (a 429's or 503's Retry-After is honoured, up to
// retry_after_max); other 4xx replies and malformed bodies are not. What still fails is an
// error whose message says why, after how many attempts.
//
// The API key is read from the environment variable the endpoint names, once, at Create().
// It is sent only as the Authorization header and never appears in an error message or a
// reply's text: any echo of it by a peer is replaced by "[redacted]".
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inference/openai_protocol.h"
#include "inference/status.h"

namespace pareto::inference {

struct OpenAiClientOptions {
  std::string base_url;     // the API base, e.g. http://127.0.0.1:8080/v1
  std::string model;        // the model name requests carry when they name none
  std::string api_key_env;  // environment variable holding the key; empty: no key
  std::map<std::string, std::string> headers;  // extra HTTP headers

  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds first_byte_timeout{120'000};  // request sent -> first reply byte
  std::chrono::milliseconds idle_timeout{60'000};         // longest gap between reply bytes
  std::chrono::milliseconds total_timeout{600'000};       // one attempt, end to end

  int max_retries = 3;
  std::chrono::milliseconds backoff_base{500};  // attempt k waits base * 2^k, jittered
  std::chrono::milliseconds backoff_max{30'000};
  std::chrono::milliseconds retry_after_max{120'000};

  int concurrency = 1;             // requests in flight at once, >= 1
  double requests_per_minute = 0;  // > 0: request starts are spaced 60/rpm seconds apart
  uint64_t jitter_seed = 0;        // 0: from std::random_device

  // Counts tokens of a text when the endpoint reports no usage (the model's tokenizer, when
  // the caller has one); without it completion tokens are the streamed pieces counted.
  std::function<int(std::string_view)> count_tokens;
  size_t max_body_bytes = 64 << 20;  // a longer reply is an error
};

struct OpenAiCompletion {
  openai::TextResponse response;  // text, finish reason, logprobs, the endpoint's usage
  int prompt_tokens = 0;
  int completion_tokens = 0;
  // "reported" (the endpoint's usage), "counted:tokenizer" (count_tokens), or
  // "counted:chunks" (completion tokens = streamed pieces or logprob entries; the prompt's
  // count is known only when the request sent token ids).
  std::string usage_source;
  bool prompt_tokens_known = true;  // false: prompt_tokens is 0 because nobody could count it
  double ttft_seconds = 0;  // request sent -> first piece of text (whole reply when not streamed)
  std::vector<double> piece_seconds;  // arrival of each streamed piece, from the request start
  double total_seconds = 0;           // the attempt that succeeded, end to end
  double wall_seconds = 0;            // with earlier attempts, back-off and queueing
  int attempts = 1;
  int http_status = 0;

  // Gaps between streamed pieces (inter-token latency); empty with fewer than two.
  std::vector<double> InterTokenSeconds() const;
};

class OpenAiClient {
 public:
  // Errors: an empty or non-http(s) base URL, concurrency < 1, or api_key_env naming a
  // variable that is not set (the message names the variable, never a value).
  static Result<std::unique_ptr<OpenAiClient>> Create(const OpenAiClientOptions& options);
  ~OpenAiClient();
  OpenAiClient(const OpenAiClient&) = delete;
  OpenAiClient& operator=(const OpenAiClient&) = delete;

  // Sends `request` to /chat/completions or /completions (request.chat) under the base URL.
  // An empty request.model takes the client's. `budget` bounds the whole call, attempts and
  // back-off together; when it runs out the error starts with "timed out".
  Result<OpenAiCompletion> Complete(const openai::TextRequest& request,
                                    std::optional<std::chrono::milliseconds> budget = {});

  // GET /models: the ids the endpoint serves.
  Result<std::vector<std::string>> ListModels();

  const OpenAiClientOptions& options() const { return options_; }

 private:
  struct Limiter;
  struct Attempt;
  explicit OpenAiClient(const OpenAiClientOptions& options, std::string key);
  std::string Redact(std::string text) const;
  Attempt Send(const std::string& url, const std::string* body, bool stream, bool chat,
               std::chrono::milliseconds total_timeout);
  std::chrono::milliseconds Backoff(int attempt);

  OpenAiClientOptions options_;
  std::string key_;
  std::unique_ptr<Limiter> limiter_;
};

}  // namespace pareto::inference
