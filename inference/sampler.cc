// Sampling: the PRNG, log-softmax, truncation (top-k, top-p) and the draw; stop strings.
#include "inference/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace pareto::inference {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// NaN is treated as a masked token, +inf as the largest finite logit (so the arithmetic
// below stays finite and such a token takes practically all the mass).
float Clean(float logit) {
  if (std::isnan(logit)) return -std::numeric_limits<float>::infinity();
  return std::min(logit, std::numeric_limits<float>::max());
}

// More likely first; the lower id first among equals, so results never depend on the
// order a sort happens to leave ties in.
bool MoreLikely(const std::pair<float, TokenId>& a, const std::pair<float, TokenId>& b) {
  return a.first > b.first || (a.first == b.first && a.second < b.second);
}

// log of the sum of exp(logits): the softmax's normaliser. -inf when nothing is finite.
double LogSumExp(std::span<const float> logits) {
  float max = -std::numeric_limits<float>::infinity();
  for (float x : logits) max = std::max(max, Clean(x));
  if (max == -std::numeric_limits<float>::infinity()) return max;
  double sum = 0.0;
  for (float x : logits) {
    const float c = Clean(x);
    // exp in float (it vectorises) of a value <= 0, summed in double.
    if (c != -std::numeric_limits<float>::infinity()) sum += double(std::exp(c - max));
  }
  return double(max) + std::log(sum);
}

// The length of the longest suffix of `text` that is a proper prefix of some stop string.
size_t HeldBackForStops(std::string_view text, const std::vector<std::string>& stops) {
  size_t best = 0;
  for (const std::string& stop : stops) {
    const size_t longest = std::min(text.size(), stop.size() - 1);
    for (size_t n = longest; n > best; --n) {
      if (text.substr(text.size() - n) == std::string_view(stop).substr(0, n)) {
        best = n;
        break;
      }
    }
  }
  return best;
}

// The length of a trailing UTF-8 sequence that has started but not finished.
size_t IncompleteUtf8Tail(std::string_view text) {
  // Look back at most 3 bytes for a lead byte whose sequence runs past the end.
  for (size_t back = 1; back <= std::min<size_t>(3, text.size()); ++back) {
    const auto b = static_cast<uint8_t>(text[text.size() - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    size_t need = 0;
    if (b >= 0xC2 && b <= 0xDF) need = 2;
    if (b >= 0xE0 && b <= 0xEF) need = 3;
    if (b >= 0xF0 && b <= 0xF4) need = 4;
    return need > back ? back : 0;
  }
  return 0;
}

}  // namespace

Rng::Rng(uint64_t seed) {
  uint64_t state = seed;
  for (uint64_t& s : s_) s = SplitMix64(state);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Rng::Uniform() { return double(Next() >> 11) * 0x1.0p-53; }

std::vector<float> LogSoftmax(std::span<const float> logits) {
  const double log_z = LogSumExp(logits);
  std::vector<float> out(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    out[i] = static_cast<float>(double(Clean(logits[i])) - log_z);
  }
  return out;
}

namespace {

// The k best (logit, id) pairs, best first, in one pass with a small sorted buffer: k is a
// handful while the vocabulary is 10^5, so this beats sorting.
std::vector<std::pair<float, TokenId>> BestK(std::span<const float> logits, size_t k) {
  std::vector<std::pair<float, TokenId>> best;
  best.reserve(k + 1);
  for (size_t i = 0; i < logits.size(); ++i) {
    const std::pair<float, TokenId> c{Clean(logits[i]), TokenId(i)};
    if (c.first == -std::numeric_limits<float>::infinity()) continue;
    if (best.size() == k && !MoreLikely(c, best.back())) continue;
    best.insert(std::upper_bound(best.begin(), best.end(), c, MoreLikely), c);
    if (best.size() > k) best.pop_back();
  }
  return best;
}

std::vector<TokenLogprob> TopLogprobsWith(std::span<const float> logits, int32_t k, double log_z) {
  std::vector<TokenLogprob> out;
  if (k <= 0) return out;
  for (const auto& [logit, id] : BestK(logits, static_cast<size_t>(k))) {
    out.push_back({id, static_cast<float>(double(logit) - log_z)});
  }
  return out;
}

}  // namespace

std::vector<TokenLogprob> TopLogprobs(std::span<const float> logits, int32_t k) {
  if (k <= 0) return {};
  return TopLogprobsWith(logits, k, LogSumExp(logits));
}

Result<Sampler> Sampler::Create(const SamplerConfig& config) {
  if (!std::isfinite(config.temperature) || config.temperature < 0.0f) {
    return Status::Error("temperature must be a finite number >= 0");
  }
  if (!(config.top_p > 0.0f && config.top_p <= 1.0f)) {
    return Status::Error("top_p must be in (0, 1]");
  }
  if (config.top_k < 0) return Status::Error("top_k must be >= 0 (0 means no limit)");
  if (config.top_logprobs < 0) return Status::Error("top_logprobs must be >= 0");
  return Sampler(config);
}

Result<SampledToken> Sampler::Sample(std::span<const float> logits) {
  const double log_z = LogSumExp(logits);
  if (log_z == -std::numeric_limits<double>::infinity()) {
    return Status::Error("no token has a finite logit");
  }
  TokenId chosen = kNoToken;
  if (config_.temperature == 0.0f) {
    chosen = BestK(logits, 1).front().second;
  } else {
    chosen = Draw(logits);
  }
  SampledToken out;
  out.id = chosen;
  out.logprob = static_cast<float>(double(Clean(logits[chosen])) - log_z);
  out.top = TopLogprobsWith(logits, config_.top_logprobs, log_z);
  return out;
}

// Draws from softmax(logit / temperature) truncated to the top k and then to the top-p
// nucleus. Only what truncation needs is ordered: nothing without it, the k best with
// top-k, and with top-p alone a most-likely-first prefix grown until it holds the mass.
TokenId Sampler::Draw(std::span<const float> logits) {
  auto& cand = candidates_;
  cand.clear();
  float max = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < logits.size(); ++i) {
    const float c = Clean(logits[i]);
    if (c == -std::numeric_limits<float>::infinity()) continue;
    cand.emplace_back(c, TokenId(i));
    max = std::max(max, c);
  }
  const float inv_t = 1.0f / config_.temperature;
  const auto weight = [&](float logit) { return double(std::exp((logit - max) * inv_t)); };

  size_t keep = cand.size();
  bool sorted = false;
  if (config_.top_k > 0 && static_cast<size_t>(config_.top_k) < keep) {
    keep = static_cast<size_t>(config_.top_k);
    std::partial_sort(cand.begin(), cand.begin() + keep, cand.end(), MoreLikely);
    cand.resize(keep);
    sorted = true;
  }
  double total = 0.0;
  for (size_t i = 0; i < keep; ++i) total += weight(cand[i].first);

  if (config_.top_p < 1.0f) {
    // The shortest most-likely-first prefix whose mass reaches top_p (at least one token).
    const double target = double(config_.top_p) * total;
    size_t ordered = sorted ? keep : 0;
    size_t n = 0;
    double mass = 0.0;
    for (size_t want = std::min<size_t>(keep, 64);; want = std::min(keep, want * 4)) {
      if (ordered < want) {
        // Order [n, want) without disturbing the prefix already summed.
        std::nth_element(cand.begin() + n, cand.begin() + want - 1, cand.end(), MoreLikely);
        std::sort(cand.begin() + n, cand.begin() + want, MoreLikely);
        ordered = want;
      }
      while (n < want && mass < target) mass += weight(cand[n++].first);
      if (mass >= target || n == keep) break;
    }
    keep = n;
    total = mass;
  }

  // The first token whose cumulative weight passes u * total.
  const double u = rng_.Uniform() * total;
  double acc = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    acc += weight(cand[i].first);
    if (u < acc) return cand[i].second;
  }
  return cand[keep - 1].second;  // rounding can leave u just past the last sum
}

StopStrings::StopStrings(std::vector<std::string> stops) {
  for (std::string& s : stops) {
    if (!s.empty()) stops_.push_back(std::move(s));
  }
}

StopStrings::Step StopStrings::Push(std::string_view piece) {
  Step step;
  if (stopped_) {
    step.stopped = true;
    return step;
  }
  pending_ += piece;
  // Text already released cannot start a stop, so only the pending text is searched; the
  // earliest stop wins.
  size_t cut = std::string::npos;
  for (const std::string& stop : stops_) cut = std::min(cut, pending_.find(stop));
  if (cut != std::string::npos) {
    step.text = pending_.substr(0, cut);
    step.stopped = stopped_ = true;
    pending_.clear();
    return step;
  }
  const std::string_view view(pending_);
  size_t hold = HeldBackForStops(view, stops_);
  hold = std::max(hold, IncompleteUtf8Tail(view));
  step.text = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return step;
}

std::string StopStrings::Flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace pareto::inference
