// Generating text: prompt tokens in, sampled tokens and text out, with what it cost.
//
// Generate() runs one prompt on one sequence of a Context: a prefill of the prompt, then one
// decode step per new token, until max_tokens, an end-of-generation token, or a stop string
// (which is cut from the text). GenerateBatch() runs many prompts at once on the Context's
// sequences: their prefills go in one batch and every decode step carries one token of each
// unfinished sequence, so the weights are read once per step for all of them — the way the
// harness amortises a model over many items. Each prompt has its own sampler (seed + index),
// so results do not depend on how prompts are grouped into batches.
//
// Every result carries the token counts, the times (time to first token, each token's
// arrival), per-token log-probabilities (top-k on request) and the forward-pass counters
// its steps accumulated (a batched step's counters are shared out evenly among the
// sequences in it).
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/context.h"
#include "inference/sampler.h"
#include "inference/status.h"
#include "inference/tokenizer.h"

namespace pareto::inference {

struct GenerateOptions {
  int max_tokens = 128;
  SamplerConfig sampler;
  std::vector<std::string> stop;
  bool stop_at_end_token = true;  // stop at EOS / end-of-turn tokens (not part of the text)
};

struct GenerationResult {
  std::string text;
  std::vector<SampledToken> tokens;
  int prompt_tokens = 0;
  std::string finish_reason;  // "stop" (end token or stop string) or "length"
  double ttft_seconds = 0;    // start to first sampled token
  double total_seconds = 0;
  std::vector<double> token_seconds;  // arrival of each sampled token, from the start
  ForwardCounters counters;
};

// Called with each piece of text as it becomes final; return false to stop early.
using TextCallback = std::function<bool(std::string_view)>;

// The sequence `seq` is cleared first. `prompt` must not be empty.
Result<GenerationResult> Generate(Context& ctx, const Tokenizer& tokenizer,
                                  std::span<const TokenId> prompt, const GenerateOptions& options,
                                  int seq = 0, const TextCallback& on_text = nullptr);

// Runs the prompts in groups of at most ctx.n_seq() sequences; results in prompt order.
Result<std::vector<GenerationResult>> GenerateBatch(Context& ctx, const Tokenizer& tokenizer,
                                                    std::span<const std::vector<TokenId>> prompts,
                                                    const GenerateOptions& options);

}  // namespace pareto::inference
