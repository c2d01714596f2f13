// Choosing the next token from a model's logits, and stopping generation at stop strings.
//
// A Sampler is greedy (temperature 0) or draws from the softmax of logits / temperature,
// restricted to the top_k most likely tokens and then to the smallest set of them whose
// probability reaches top_p. Draws come from our own PRNG (xoshiro256** seeded through
// SplitMix64), so a seed gives the same tokens on every machine and every run. Each
// sampled token also carries its log-probability and, on request, the top-k
// log-probabilities under the model's own distribution (log-softmax of the raw logits,
// independent of temperature and truncation), as distillation needs.
//
// Logits may hold -inf (masked tokens); NaN counts as -inf and +inf as the largest float. Sampling
// with no finite logit is an error value, never a crash.
//
// StopStrings watches the decoded text of a generation token by token and finds stop
// strings even when they straddle tokens; the text after a stop is cut, and text that
// might still turn into a stop is held back until it cannot (as is a UTF-8 character whose
// bytes have not all arrived, so what it releases is always whole characters).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/status.h"
#include "inference/tokenizer.h"

namespace pareto::inference {

// xoshiro256**: fast, small state, good statistical quality; deterministic everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();
  // Uniform in [0, 1), with 53 random bits.
  double Uniform();

 private:
  uint64_t s_[4];
};

struct SamplerConfig {
  float temperature = 0.0f;  // 0: greedy (the most likely token, lowest id on ties)
  int32_t top_k = 0;         // 0: no limit
  float top_p = 1.0f;        // 1: no limit
  uint64_t seed = 0;
  int32_t top_logprobs = 0;  // how many top log-probabilities to report per token
};

struct TokenLogprob {
  TokenId id = kNoToken;
  float logprob = 0.0f;
  bool operator==(const TokenLogprob&) const = default;
};

struct SampledToken {
  TokenId id = kNoToken;
  float logprob = 0.0f;           // of `id`, under log-softmax of the raw logits
  std::vector<TokenLogprob> top;  // the top_logprobs most likely, most likely first
};

// log-softmax of `logits`, computed stably (max subtracted, sums in double).
std::vector<float> LogSoftmax(std::span<const float> logits);

// The k most likely tokens with their log-probabilities, most likely first (lowest id first
// among equals); fewer when fewer tokens have finite logits.
std::vector<TokenLogprob> TopLogprobs(std::span<const float> logits, int32_t k);

class Sampler {
 public:
  // Errors for a negative or non-finite temperature, top_p outside (0, 1], negative top_k
  // or top_logprobs.
  static Result<Sampler> Create(const SamplerConfig& config);

  // Picks the next token and advances the generator. Error when no logit is finite.
  Result<SampledToken> Sample(std::span<const float> logits);

  const SamplerConfig& config() const { return config_; }

 private:
  explicit Sampler(const SamplerConfig& config) : config_(config), rng_(config.seed) {}
  TokenId Draw(std::span<const float> logits);
  SamplerConfig config_;
  Rng rng_;
  std::vector<std::pair<float, TokenId>> candidates_;  // reused between calls
};

class StopStrings {
 public:
  // Empty stop strings are ignored.
  explicit StopStrings(std::vector<std::string> stops);

  struct Step {
    std::string text;      // what may be shown now
    bool stopped = false;  // a stop string was found; `text` ends where it began
  };

  // Adds the next token's text. After a stop, further pushes return nothing.
  Step Push(std::string_view piece);
  // At the end of generation: the text held back (a possible stop that never completed).
  std::string Flush();

  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string pending_;
  bool stopped_ = false;
};

}  // namespace pareto::inference
