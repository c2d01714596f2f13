#include "inference/continuous_batcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace pareto::inference {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point from) {
  return std::chrono::duration<double>(Clock::now() - from).count();
}

}  // namespace

struct ContinuousBatcher::Slot {
  bool used = false;
  int64_t id = 0;
  BatchRequest request;
  std::optional<Sampler> sampler;
  std::optional<StopStrings> stops;
  size_t fed = 0;  // prompt tokens in the cache
  bool has_logits = false;
  std::vector<float> logits;
  GenerationResult result;
};

ContinuousBatcher::ContinuousBatcher(Context& ctx, const Tokenizer& tokenizer,
                                     int max_prefill_tokens)
    : ctx_(ctx),
      tokenizer_(tokenizer),
      max_prefill_tokens_(std::max(1, max_prefill_tokens)),
      slots_(static_cast<size_t>(ctx.n_seq())) {}

ContinuousBatcher::~ContinuousBatcher() = default;

int ContinuousBatcher::active() const {
  return static_cast<int>(
      std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.used; }));
}

Result<int64_t> ContinuousBatcher::Add(BatchRequest request) {
  auto free = std::find_if(slots_.begin(), slots_.end(), [](const Slot& s) { return !s.used; });
  if (free == slots_.end()) return Status::Error("no free sequence");
  if (request.prompt.empty()) return Status::Error("the prompt is empty");
  if (static_cast<int>(request.prompt.size()) >= ctx_.n_ctx()) {
    return Status::Error(fmt::format("a prompt of {} tokens does not fit the context of {}",
                                     request.prompt.size(), ctx_.n_ctx()));
  }
  for (TokenId id : request.prompt) {
    if (id < 0 || id >= ctx_.model().config().n_vocab) {
      return Status::Error(fmt::format("token id {} is outside the vocabulary", id));
    }
  }
  if (request.options.max_tokens < 1) return Status::Error("max_tokens must be positive");
  auto sampler = Sampler::Create(request.options.sampler);
  if (!sampler.ok()) return sampler.status();
  Slot& s = *free;
  const int seq = static_cast<int>(free - slots_.begin());
  ctx_.ClearSequence(seq);
  s = Slot{};
  s.used = true;
  s.id = next_id_++;
  s.sampler = std::move(*sampler);
  s.stops.emplace(request.options.stop);
  s.result.prompt_tokens = static_cast<int>(request.prompt.size());
  s.request = std::move(request);
  return s.id;
}

void ContinuousBatcher::Finish(Slot& s, std::vector<BatchOutcome>* finished, Status status,
                               bool cancelled) {
  if (status.ok() && !cancelled && !s.stops->stopped()) {
    std::string rest = s.stops->Flush();
    if (!rest.empty()) {
      s.result.text += rest;
      if (s.request.on_token) s.request.on_token(nullptr, rest);
    }
  }
  s.result.total_seconds = Since(s.request.arrival);
  BatchOutcome out;
  out.id = s.id;
  out.status = std::move(status);
  out.cancelled = cancelled;
  out.result = std::move(s.result);
  finished->push_back(std::move(out));
  ctx_.ClearSequence(static_cast<int>(&s - slots_.data()));
  s = Slot{};
}

void ContinuousBatcher::Cancel(int64_t id, std::vector<BatchOutcome>* finished) {
  for (Slot& s : slots_) {
    if (s.used && s.id == id) {
      Finish(s, finished, Status::Ok(), true);
      return;
    }
  }
}

void ContinuousBatcher::Step(std::vector<BatchOutcome>* finished) {
  batch_.clear();
  batch_slot_.clear();
  last_pass_.clear();
  const GenerateOptions* o = nullptr;
  // Sample for every request whose logits are ready; those that go on feed their token.
  for (Slot& s : slots_) {
    if (!s.used || !s.has_logits) continue;
    s.has_logits = false;
    o = &s.request.options;
    auto sampled = s.sampler->Sample(s.logits);
    if (!sampled.ok()) {
      Finish(s, finished, sampled.status(), false);
      continue;
    }
    const TokenId id = sampled->id;
    s.result.token_seconds.push_back(Since(s.request.arrival));
    if (s.result.tokens.empty()) s.result.ttft_seconds = s.result.token_seconds.back();
    s.result.tokens.push_back(std::move(*sampled));
    const SampledToken& token = s.result.tokens.back();
    if (o->stop_at_end_token && tokenizer_.IsEndOfGeneration(id)) {
      bool keep = !s.request.on_token || s.request.on_token(&token, "");
      s.result.finish_reason = "stop";
      Finish(s, finished, Status::Ok(), !keep);
      continue;
    }
    StopStrings::Step piece = s.stops->Push(tokenizer_.TokenPiece(id));
    s.result.text += piece.text;
    if (s.request.on_token && !s.request.on_token(&token, piece.text)) {
      Finish(s, finished, Status::Ok(), true);
      continue;
    }
    if (piece.stopped) {
      s.result.finish_reason = "stop";
      Finish(s, finished, Status::Ok(), false);
      continue;
    }
    const int seq = static_cast<int>(&s - slots_.data());
    if (static_cast<int>(s.result.tokens.size()) >= o->max_tokens ||
        ctx_.SequenceLength(seq) >= ctx_.n_ctx()) {
      s.result.finish_reason = "length";
      Finish(s, finished, Status::Ok(), false);
      continue;
    }
    batch_.push_back({id, seq, true});
    batch_slot_.push_back(seq);
  }
  // Then the next slices of prompts still in prefill.
  int budget = max_prefill_tokens_;
  for (Slot& s : slots_) {
    if (budget <= 0) break;
    if (!s.used || s.fed >= s.request.prompt.size()) continue;
    const int seq = static_cast<int>(&s - slots_.data());
    const size_t n = std::min(static_cast<size_t>(budget), s.request.prompt.size() - s.fed);
    for (size_t i = 0; i < n; ++i) {
      const bool last = s.fed + i + 1 == s.request.prompt.size();
      batch_.push_back({s.request.prompt[s.fed + i], seq, last});
      batch_slot_.push_back(seq);
    }
    s.fed += n;
    budget -= static_cast<int>(n);
  }
  if (batch_.empty()) return;

  Status st = ctx_.Decode(batch_, &logits_);
  if (!st.ok()) {
    for (int seq : batch_slot_) {
      if (slots_[seq].used) Finish(slots_[seq], finished, st, false);
    }
    return;
  }
  const ForwardCounters& c = ctx_.last_counters();
  total_ += c;
  ++passes_;
  for (int seq : batch_slot_) {  // a request's entries are consecutive
    const int64_t id = slots_[seq].id;
    if (last_pass_.empty() || last_pass_.back().first != id) last_pass_.push_back({id, 0});
    ++last_pass_.back().second;
  }
  const size_t n_vocab = static_cast<size_t>(ctx_.model().config().n_vocab);
  const double per_entry = 1.0 / static_cast<double>(batch_.size());
  size_t row = 0;
  for (size_t j = 0; j < batch_.size(); ++j) {
    Slot& s = slots_[batch_slot_[j]];
    // This entry's share of the pass.
    ForwardCounters share;
    share.tokens = 1;
    share.flops = c.flops * per_entry;
    share.weight_bytes = static_cast<uint64_t>(static_cast<double>(c.weight_bytes) * per_entry);
    share.kv_bytes_read = static_cast<uint64_t>(static_cast<double>(c.kv_bytes_read) * per_entry);
    share.kv_bytes_written =
        static_cast<uint64_t>(static_cast<double>(c.kv_bytes_written) * per_entry);
    s.result.counters += share;
    if (!batch_[j].logits) continue;
    s.logits.assign(logits_.begin() + static_cast<std::ptrdiff_t>(row * n_vocab),
                    logits_.begin() + static_cast<std::ptrdiff_t>((row + 1) * n_vocab));
    s.has_logits = true;
    ++row;
  }
}

}  // namespace pareto::inference
