// Tier backends: how the harness asks a tier's model for text, whatever runs it.
//
// A Backend takes GenerationRequests (system and user prompt, chat or raw completion, the
// sampling settings, a token budget, stop strings, a timeout) and answers each with a
// GenerationResponse: the text, why it ended, the tokens it used and whether pareto counted
// them itself, when each token arrived, the embedded core's forward-pass counters, top-k
// log-probabilities, or an error. Generate() takes a batch and answers it whole; Serve()
// takes a stream of requests and answers each as it finishes. An embedded tier decodes on
// one loaded model with continuous batching (inference/continuous_batcher.h): requests join
// the running batch when a sequence is free and leave it when they finish, so the weights
// are read once per step for every request in it; a remote tier sends requests concurrently.
//
// Promises:
//  - Generate() answers every request, in order; Serve() calls `done` exactly once for every
//    request it took. A failure of one request is that response's `error` (and finish reason
//    "error"), never an exception or a crash, and does not fail the others. A Status error
//    from Generate() itself does not exist: a backend that cannot run at all fails at
//    open_backend().
//  - Generate() and Serve() may be called from many threads at once; at most
//    info().concurrency calls decode at a time, each with up to info().max_batch requests in
//    flight. An embedded tier's Generate() joins a Serve() that has room, so a judge's
//    request does not wait for the tier's whole queue.
//  - Responses do not depend on how requests are grouped into batches: each request's
//    sampler is seeded with its own `seed`.
//  - A request's timeout stops that request alone, promptly (embedded tiers: at the next
//    decode step after the deadline), with finish "timeout" and the text so far.
//  - Times are seconds from the moment the backend started working on the request.
//  - In completion mode the text sent is completion_prompt(request): the system text and the
//    prompt joined as inference::CompletionText does, for embedded and remote tiers alike.
//
// open_backend() makes the backend of a spec::Tier: EmbeddedBackend for a GGUF model,
// open_remote_backend() (harness/remote_backend.cc) for an OpenAI-compatible endpoint.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/energy.h"
#include "inference/chat_template.h"
#include "inference/context.h"
#include "inference/status.h"
#include "spec/model.h"

namespace pareto::harness {

using inference::Result;
using inference::Status;

struct GenerationRequest {
  std::string system;  // empty: none; completion mode: joined before the prompt
  std::string prompt;  // chat: the user message; completion: the prompt after the system text
  spec::PromptMode mode = spec::PromptMode::kChat;
  int max_tokens = 256;  // >= 1
  double temperature = 0;
  std::uint64_t seed = 0;
  std::vector<std::string> stop;  // cut from the text where the model writes one
  int top_logprobs = 0;           // top-k log-probabilities to return per token; 0: none
  std::optional<std::chrono::nanoseconds> timeout;  // wall time for this request
};

// The request's messages: {system} when not empty, then {user: prompt}.
std::vector<inference::ChatMessage> request_messages(const GenerationRequest& request);
// The raw text a completion-mode request sends: inference::CompletionText of its messages,
// the same text agents::Prompt::text() gives for the prompt the request was made from.
std::string completion_prompt(const GenerationRequest& request);

// One alternative at a token position.
struct TokenAlternative {
  std::string text;      // the token's bytes as it decodes
  std::int32_t id = -1;  // the token id where known (embedded tiers); -1 otherwise
  double logprob = 0;    // natural log, under the model's own distribution
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
  bool tokens_counted = false;        // true: pareto counted them (the endpoint reported no usage)
  // false: nobody could count the prompt (a remote endpoint that reports no usage, and no
  // tokenizer for its model); prompt_tokens is then 0 and means nothing. Completion tokens
  // are then the streamed pieces (or logprob entries), which may each hold several tokens.
  bool prompt_tokens_known = true;
  double ttft_seconds = 0;            // to the first token
  std::vector<double> token_seconds;  // arrival of each token (or streamed piece)
  double e2e_seconds = 0;             // to the last token, or to the error
  // Embedded tiers: what this request's forward passes cost (a batched pass shared out among
  // the requests in it). Absent for remote tiers.
  std::optional<inference::ForwardCounters> counters;
  // Embedded tiers with an energy meter (BackendOptions::energy): the energy of the decode
  // steps this request was in, each step's share in proportion to its tokens in the step.
  std::optional<EnergyFigure> measured_energy;
  std::vector<TokenLogprobs> logprobs;  // one per token when request.top_logprobs > 0
  std::string error;                    // not empty: the request failed; the rest is partial

  bool ok() const { return error.empty(); }
};

// What a tier runs, for manifests, `pareto models` and records.
struct BackendInfo {
  std::string tier;
  std::string kind;             // "gguf" or "openai"
  std::string model_id;         // GGUF: the file name; remote: the endpoint's model name
  std::string model_hash;       // GGUF: sha256 of the file; remote: empty
  std::string location;         // GGUF: the absolute path; remote: the base URL
  std::string arch;             // GGUF: general.architecture; remote: empty
  std::int64_t parameters = 0;  // 0 when unknown
  std::uint64_t bytes = 0;      // file bytes; 0 when unknown
  std::string quantization;     // "Q4_0", "F32", ...; empty when unknown
  std::int64_t context = 0;     // positions per sequence; 0 when unknown
  std::string chat_format;      // how chat requests are rendered ("chatml", "completion", ...)
  int concurrency = 1;          // calls of Generate() that may run at once
  int max_batch = 1;            // requests one call decodes together
  std::optional<double> joules_per_token;  // declared in the tier file
};

// A request of a stream, and where its response goes (called once, from a backend thread).
struct StreamedRequest {
  GenerationRequest request;
  std::function<void(GenerationResponse)> done;
};
// Hands out the next request of a stream, or nullopt when the stream has no more.
using RequestSource = std::function<std::optional<StreamedRequest>()>;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const BackendInfo& info() const = 0;
  // One response per request, in order (see the promises above).
  virtual std::vector<GenerationResponse> Generate(std::span<const GenerationRequest> requests) = 0;
  // Takes requests from `next` whenever it has room for one, answers each through its
  // `done` as it finishes, and returns once `next` has no more and every answer is given.
  // This default takes up to info().max_batch requests at a time and runs them through
  // Generate(); the embedded backend keeps a continuous batch instead.
  virtual void Serve(const RequestSource& next);
};

struct BackendOptions {
  // Embedded tiers: sequences per context (the batch one decode step carries), and the
  // positions each holds when the tier file sets no context (capped by the model's own).
  int batch = 8;
  int context = 2048;
  // Embedded tiers: CPU threads per context when the tier file sets none; 0: the machine's
  // hardware threads shared among the tier's contexts.
  int threads = 0;
  // Embedded tiers: a meter (RAPL) read after every decode step; the step's energy is shared
  // among the requests in it by their tokens in it. Null: nothing is measured.
  std::shared_ptr<EnergyTap> energy;
};

// An embedded GGUF tier: the model is loaded once and shared by `tier.concurrency` contexts
// of `options.batch` sequences each. Chat requests are rendered with the chat template the
// file carries; a model without a recognised one renders chat as plain completion text
// (info().chat_format says "completion"). Completion requests encode completion_prompt().
// Every request, greedy or sampled, whatever its budget and stop strings, shares the decode
// steps of a context's continuous batch; each keeps its own sampler and seed. A request's
// timeout is checked after every decode step: one past it leaves the batch at once, answered
// with finish "timeout".
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
