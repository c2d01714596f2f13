// Tier backends: how the harness asks a tier's model for text, whatever runs it.
//
// A Backend takes GenerationRequests (system and user prompt or a raw completion prompt, the
// sampling settings, a token budget, stop strings, a timeout) and answers each with a
// GenerationResponse: the text, why it ended, the tokens it used and whether pareto counted
// them itself, when each token arrived, the embedded core's forward-pass counters, top-k
// log-probabilities, or an error. Generate() takes a batch: an embedded tier decodes the
// whole batch at once on one loaded model (the weights are read once per step for every
// item in it), a remote tier sends the requests concurrently.
//
// Promises:
//  - Generate() answers every request, in order; a failure of one request is that
//    response's `error` (and finish reason "error"), never an exception or a crash, and does
//    not fail the others. A Status error from Generate() itself does not exist: a backend
//    that cannot run at all fails at open_backend().
//  - Generate() may be called from up to info().concurrency threads at once, each with up to
//    info().max_batch requests; more requests per call are run in turn.
//  - Responses do not depend on how requests are grouped into batches: each request's
//    sampler is seeded with its own `seed`.
//  - Times are seconds from the moment the backend started working on the request (for a
//    batch, the moment the batch started).
//
// open_backend() makes the backend of a spec::Tier: EmbeddedBackend for a GGUF model,
// open_remote_backend() (harness/remote_backend.cc) for an OpenAI-compatible endpoint.
#pragma once

#include <chrono>
#include <filesystem>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "inference/context.h"
#include "inference/status.h"
#include "spec/model.h"

namespace pareto::harness {

using inference::Result;
using inference::Status;

struct GenerationRequest {
  std::string system;  // chat only; empty: no system message
  std::string prompt;  // chat: the user message; completion: the whole prompt, sent raw
  spec::PromptMode mode = spec::PromptMode::kChat;
  int max_tokens = 256;  // >= 1
  double temperature = 0;
  std::uint64_t seed = 0;
  std::vector<std::string> stop;  // cut from the text where the model writes one
  int top_logprobs = 0;           // top-k log-probabilities to return per token; 0: none
  std::optional<std::chrono::nanoseconds> timeout;  // wall time for this request
};

// One alternative at a token position.
struct TokenAlternative {
  std::string text;              // the token's bytes as it decodes
  std::int32_t id = -1;          // the token id where known (embedded tiers); -1 otherwise
  double logprob = 0;            // natural log, under the model's own distribution
};

// One generated token with its log-probability and the top alternatives.
struct TokenLogprobs {
  std::string text;
  std::int32_t id = -1;
  double logprob = 0;
  std::vector<TokenAlternative> top;  // most likely first; request.top_logprobs of them
};

struct GenerationResponse {
  std::string text;
  // "stop" (end token or stop string), "length" (max_tokens or the context ran out),
  // "timeout" (the request's timeout passed; `text` is what came before), "error".
  std::string finish_reason;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  bool tokens_counted = false;  // true: pareto counted them (the endpoint reported no usage)
  double ttft_seconds = 0;      // to the first token
  std::vector<double> token_seconds;  // arrival of each token (or streamed piece)
  double e2e_seconds = 0;             // to the last token, or to the error
  // Embedded tiers: what this request's forward passes cost (a batched pass shared out among
  // the requests in it). Absent for remote tiers.
  std::optional<inference::ForwardCounters> counters;
  std::vector<TokenLogprobs> logprobs;  // one per token when request.top_logprobs > 0
  std::string error;                    // not empty: the request failed; the rest is partial

  bool ok() const { return error.empty(); }
};

// What a tier runs, for manifests, `pareto models` and records.
struct BackendInfo {
  std::string tier;
  std::string kind;        // "gguf" or "openai"
  std::string model_id;    // GGUF: the file name; remote: the endpoint's model name
  std::string model_hash;  // GGUF: sha256 of the file; remote: empty
  std::string location;    // GGUF: the absolute path; remote: the base URL
  std::string arch;        // GGUF: general.architecture; remote: empty
  std::int64_t parameters = 0;    // 0 when unknown
  std::uint64_t bytes = 0;        // file bytes; 0 when unknown
  std::string quantization;       // "Q4_0", "F32", ...; empty when unknown
  std::int64_t context = 0;       // positions per sequence; 0 when unknown
  std::string chat_format;        // how chat requests are rendered ("chatml", "completion", ...)
  int concurrency = 1;            // calls of Generate() that may run at once
  int max_batch = 1;              // requests one call decodes together
  std::optional<double> joules_per_token;  // declared in the tier file
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const BackendInfo& info() const = 0;
  // One response per request, in order (see the promises above).
  virtual std::vector<GenerationResponse> Generate(std::span<const GenerationRequest> requests) = 0;
};

struct BackendOptions {
  // Embedded tiers: sequences per context (the batch one decode step carries), and the
  // positions each holds when the tier file sets no context (capped by the model's own).
  int batch = 8;
  int context = 2048;
  // Embedded tiers: CPU threads per context when the tier file sets none; 0: the machine's
  // hardware threads shared among the tier's contexts.
  int threads = 0;
};

// An embedded GGUF tier: the model is loaded once and shared by `tier.concurrency` contexts
// of `options.batch` sequences each. Chat requests are rendered with the chat template the
// file carries; a model without a recognised one renders chat as plain completion text
// (info().chat_format says "completion"). Completion requests are encoded raw.
// Greedy requests (temperature 0) with the same budget and stop strings decode together;
// sampled ones are decoded one at a time, each on its own seed. A request's timeout is
// checked when its batch finishes: one that ran past it is answered with finish "timeout".
Result<std::unique_ptr<Backend>> open_embedded_backend(const spec::Tier& tier,
                                                       const spec::GgufModel& model,
                                                       const BackendOptions& options);

// An OpenAI-compatible tier (harness/remote_backend.cc).
Result<std::unique_ptr<Backend>> open_remote_backend(const spec::Tier& tier,
                                                     const spec::OpenAiModel& model,
                                                     const BackendOptions& options);

// The backend of a tier, by its model's kind. Errors name the tier and say why (a model file
// that does not load, an endpoint setting that is wrong).
Result<std::unique_ptr<Backend>> open_backend(const spec::Tier& tier,
                                              const BackendOptions& options = {});

}  // namespace pareto::harness
