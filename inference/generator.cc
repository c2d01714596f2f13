#include "inference/generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>

namespace pareto::inference {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// `fraction` of a pass's counters, for the sequences that shared it.
ForwardCounters Share(const ForwardCounters& c, double fraction) {
  ForwardCounters out;
  out.tokens = static_cast<int64_t>(static_cast<double>(c.tokens) * fraction + 0.5);
  out.flops = c.flops * fraction;
  out.weight_bytes = static_cast<uint64_t>(static_cast<double>(c.weight_bytes) * fraction);
  out.kv_bytes_read = static_cast<uint64_t>(static_cast<double>(c.kv_bytes_read) * fraction);
  out.kv_bytes_written = static_cast<uint64_t>(static_cast<double>(c.kv_bytes_written) * fraction);
  return out;
}

// The most tokens one prefill pass takes: bounds the scratch memory of long prompts.
constexpr size_t kMaxPrefillBatch = 512;

struct Active {
  size_t index;  // into the caller's prompts
  int seq;
  Sampler sampler;
  StopStrings stops;
  GenerationResult result;
  bool done = false;
};

Status RunGroup(Context& ctx, const Tokenizer& tokenizer,
                std::span<const std::vector<TokenId>> prompts, size_t first, size_t count,
                int seq_offset, const GenerateOptions& options, const TextCallback& on_text,
                std::vector<GenerationResult>& out) {
  const Clock::time_point start = Clock::now();
  const int n_vocab = ctx.model().config().n_vocab;
  std::vector<Active> active;
  for (size_t k = 0; k < count; ++k) {
    const std::vector<TokenId>& prompt = prompts[first + k];
    if (prompt.empty()) return Status::Error(fmt::format("prompt {} is empty", first + k));
    if (static_cast<int>(prompt.size()) >= ctx.n_ctx()) {
      return Status::Error(fmt::format("a prompt of {} tokens does not fit the context of {}",
                                       prompt.size(), ctx.n_ctx()));
    }
    SamplerConfig sc = options.sampler;
    sc.seed = options.sampler.seed + first + k;
    auto sampler = Sampler::Create(sc);
    if (!sampler.ok()) return sampler.status();
    Active a{first + k,
             seq_offset + static_cast<int>(k),
             std::move(*sampler),
             StopStrings(options.stop),
             {},
             false};
    a.result.prompt_tokens = static_cast<int>(prompt.size());
    ctx.ClearSequence(a.seq);
    active.push_back(std::move(a));
  }

  // Prefill: all prompts' tokens, in passes of at most kMaxPrefillBatch, logits at each
  // prompt's last token.
  std::vector<std::vector<float>> logits(count);
  {
    std::vector<BatchEntry> all;
    std::vector<size_t> owner;
    for (size_t k = 0; k < count; ++k) {
      const std::vector<TokenId>& prompt = prompts[first + k];
      for (size_t i = 0; i < prompt.size(); ++i) {
        all.push_back({prompt[i], active[k].seq, i + 1 == prompt.size()});
        owner.push_back(k);
      }
    }
    std::vector<float> pass_logits;
    for (size_t begin = 0; begin < all.size(); begin += kMaxPrefillBatch) {
      size_t end = std::min(all.size(), begin + kMaxPrefillBatch);
      std::span<const BatchEntry> pass(all.data() + begin, end - begin);
      Status s = ctx.Decode(pass, &pass_logits);
      if (!s.ok()) return s;
      size_t row = 0;
      for (size_t i = begin; i < end; ++i) {
        size_t k = owner[i];
        active[k].result.counters +=
            Share(ctx.last_counters(), 1.0 / static_cast<double>(end - begin));
        if (!all[i].logits) continue;
        logits[k].assign(pass_logits.begin() + row * n_vocab,
                         pass_logits.begin() + (row + 1) * n_vocab);
        ++row;
      }
    }
  }

  std::vector<BatchEntry> step;
  std::vector<size_t> step_owner;
  std::vector<float> step_logits;
  for (;;) {
    step.clear();
    step_owner.clear();
    for (size_t k = 0; k < count; ++k) {
      Active& a = active[k];
      if (a.done) continue;
      auto sampled = a.sampler.Sample(logits[k]);
      if (!sampled.ok()) return sampled.status();
      const TokenId id = sampled->id;
      a.result.token_seconds.push_back(Seconds(start, Clock::now()));
      if (a.result.tokens.empty()) a.result.ttft_seconds = a.result.token_seconds.back();
      bool end_token = options.stop_at_end_token && tokenizer.IsEndOfGeneration(id);
      a.result.tokens.push_back(std::move(*sampled));
      if (end_token) {
        a.result.finish_reason = "stop";
        a.done = true;
        continue;
      }
      StopStrings::Step piece = a.stops.Push(tokenizer.TokenPiece(id));
      a.result.text += piece.text;
      bool keep_going = true;
      if (on_text && !piece.text.empty()) keep_going = on_text(piece.text);
      if (piece.stopped || !keep_going) {
        a.result.finish_reason = "stop";
        a.done = true;
        continue;
      }
      const int position = ctx.SequenceLength(a.seq);
      if (static_cast<int>(a.result.tokens.size()) >= options.max_tokens ||
          position >= ctx.n_ctx()) {
        a.result.finish_reason = "length";
        a.done = true;
        continue;
      }
      step.push_back({id, a.seq, true});
      step_owner.push_back(k);
    }
    if (step.empty()) break;
    Status s = ctx.Decode(step, &step_logits);
    if (!s.ok()) return s;
    for (size_t j = 0; j < step.size(); ++j) {
      size_t k = step_owner[j];
      logits[k].assign(step_logits.begin() + j * n_vocab, step_logits.begin() + (j + 1) * n_vocab);
      active[k].result.counters +=
          Share(ctx.last_counters(), 1.0 / static_cast<double>(step.size()));
    }
  }

  const double total = Seconds(start, Clock::now());
  for (Active& a : active) {
    if (!a.stops.stopped()) {
      std::string rest = a.stops.Flush();
      if (on_text && !rest.empty()) on_text(rest);
      a.result.text += rest;
    }
    a.result.total_seconds = total;
    out[a.index] = std::move(a.result);
  }
  return Status::Ok();
}

}  // namespace

Result<GenerationResult> Generate(Context& ctx, const Tokenizer& tokenizer,
                                  std::span<const TokenId> prompt, const GenerateOptions& options,
                                  int seq, const TextCallback& on_text) {
  if (seq < 0 || seq >= ctx.n_seq()) {
    return Status::Error(fmt::format("sequence {} does not exist", seq));
  }
  if (options.max_tokens <= 0) return Status::Error("max_tokens must be positive");
  std::vector<std::vector<TokenId>> prompts = {std::vector<TokenId>(prompt.begin(), prompt.end())};
  std::vector<GenerationResult> out(1);
  Status s = RunGroup(ctx, tokenizer, prompts, 0, 1, seq, options, on_text, out);
  if (!s.ok()) return s;
  return std::move(out[0]);
}

Result<std::vector<GenerationResult>> GenerateBatch(Context& ctx, const Tokenizer& tokenizer,
                                                    std::span<const std::vector<TokenId>> prompts,
                                                    const GenerateOptions& options) {
  if (options.max_tokens <= 0) return Status::Error("max_tokens must be positive");
  std::vector<GenerationResult> out(prompts.size());
  const size_t group = static_cast<size_t>(ctx.n_seq());
  for (size_t first = 0; first < prompts.size(); first += group) {
    size_t count = std::min(group, prompts.size() - first);
    Status s = RunGroup(ctx, tokenizer, prompts, first, count, 0, options, nullptr, out);
    if (!s.ok()) return s;
  }
  return out;
}

}  // namespace pareto::inference
