// Continuous batching: generation for requests that arrive and finish at any time, sharing
// the forward passes of one Context.
//
// Each request takes a free sequence of the Context. Step() runs one forward pass holding
// one next token of every request that is decoding plus the next slice of prompt tokens of
// requests still in prefill (at most max_prefill_tokens per pass, so a long prompt does not
// stall the others), then samples for every request whose logits are ready. A request that
// finishes frees its sequence at once for the next one, which is what a server needs
// (GenerateBatch, by contrast, runs fixed groups to completion). Sampling, stop strings,
// end tokens and log-probabilities behave as in Generate(), and each request keeps its own
// sampler, so its tokens do not depend on what else shares the passes.
//
// Not thread-safe: one thread calls Add() and Step(); callbacks run on that thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "inference/context.h"
#include "inference/generator.h"
#include "inference/sampler.h"
#include "inference/status.h"
#include "inference/tokenizer.h"

namespace pareto::inference {

struct BatchRequest {
  std::vector<TokenId> prompt;
  GenerateOptions options;  // options.sampler.seed is used as given
  // Called with each sampled token and the text it releases (empty while a possible stop
  // string or a partial UTF-8 character is held back), and once more at the end with a null
  // token when held-back text is released then. Return false to cancel the request.
  std::function<bool(const SampledToken*, std::string_view)> on_token;
  // When the request arrived (queueing counts towards its time to first token).
  std::chrono::steady_clock::time_point arrival = std::chrono::steady_clock::now();
};

struct BatchOutcome {
  int64_t id = 0;
  Status status;            // an error ends only this request
  bool cancelled = false;   // on_token returned false
  GenerationResult result;  // times measured from the request's arrival
};

class ContinuousBatcher {
 public:
  // `ctx` and `tokenizer` must outlive the batcher.
  ContinuousBatcher(Context& ctx, const Tokenizer& tokenizer, int max_prefill_tokens = 512);
  ~ContinuousBatcher();
  ContinuousBatcher(const ContinuousBatcher&) = delete;
  ContinuousBatcher& operator=(const ContinuousBatcher&) = delete;

  int capacity() const { return ctx_.n_seq(); }
  int active() const;
  bool HasFreeSequence() const { return active() < capacity(); }

  // Starts a request; its id. Errors: no free sequence, an empty prompt, a prompt that does
  // not fit the context, max_tokens < 1, bad sampler settings.
  Result<int64_t> Add(BatchRequest request);

  // Ends request `id` now (a deadline passed, the client went away): its outcome, with what
  // it generated so far and cancelled = true, is appended to `finished`. Does nothing when
  // no active request has that id.
  void Cancel(int64_t id, std::vector<BatchOutcome>* finished);

  // One forward pass and the sampling after it; appends what finished to `finished`.
  // Does nothing when no request is active.
  void Step(std::vector<BatchOutcome>* finished);

  // The requests the last Step()'s forward pass held, with how many of its tokens each had
  // (a slice of its prompt, or the one token it decodes); empty when it ran no pass.
  const std::vector<std::pair<int64_t, int>>& last_pass() const { return last_pass_; }

  // Counters of every pass so far, and how many passes and tokens they held.
  const ForwardCounters& total_counters() const { return total_; }
  int64_t passes() const { return passes_; }

 private:
  struct Slot;
  void Finish(Slot& slot, std::vector<BatchOutcome>* finished, Status status, bool cancelled);

  Context& ctx_;
  const Tokenizer& tokenizer_;
  int max_prefill_tokens_;
  std::vector<Slot> slots_;
  int64_t next_id_ = 1;
  ForwardCounters total_;
  int64_t passes_ = 0;
  std::vector<BatchEntry> batch_;
  std::vector<int> batch_slot_;
  std::vector<std::pair<int64_t, int>> last_pass_;
  std::vector<float> logits_;
};

}  // namespace pareto::inference
