#include "harness/backend.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <variant>

#include "harness/sha256.h"
#include "inference/chat_template.h"
#include "inference/continuous_batcher.h"
#include "inference/model.h"
#include "inference/tokenizer.h"

namespace pareto::harness {

std::vector<inference::ChatMessage> request_messages(const GenerationRequest& request) {
  std::vector<inference::ChatMessage> messages;
  if (!request.system.empty()) messages.push_back({"system", request.system});
  messages.push_back({"user", request.prompt});
  return messages;
}

std::string completion_prompt(const GenerationRequest& request) {
  return inference::CompletionText(request_messages(request));
}

void Backend::Serve(const RequestSource& next) {
  for (;;) {
    std::vector<StreamedRequest> batch;
    while (static_cast<int>(batch.size()) < std::max(1, info().max_batch)) {
      std::optional<StreamedRequest> r = next();
      if (!r) break;
      batch.push_back(std::move(*r));
    }
    if (batch.empty()) return;
    std::vector<GenerationRequest> requests;
    requests.reserve(batch.size());
    for (StreamedRequest& r : batch) requests.push_back(std::move(r.request));
    std::vector<GenerationResponse> responses = Generate(requests);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (i < responses.size()) {
        batch[i].done(std::move(responses[i]));
      } else {
        GenerationResponse missing;
        missing.finish_reason = "error";
        missing.error = "the backend gave no answer";
        batch[i].done(std::move(missing));
      }
    }
  }
}

namespace {

using Clock = std::chrono::steady_clock;
using inference::BatchOutcome;
using inference::BatchRequest;
using inference::ChatTemplate;
using inference::Context;
using inference::ContinuousBatcher;
using inference::GenerationResult;
using inference::Model;
using inference::TokenId;
using inference::Tokenizer;

GenerationResponse ErrorResponse(std::string message) {
  GenerationResponse r;
  r.finish_reason = "error";
  r.error = std::move(message);
  return r;
}

// Prompt tokens one decode step takes at most (as the core's own generator does): bounds the
// scratch memory of long prompts and keeps decoding requests moving while others prefill.
constexpr int kMaxPrefillTokens = 512;

class EmbeddedBackend final : public Backend {
 public:
  EmbeddedBackend(BackendInfo info, std::unique_ptr<Model> model, Tokenizer tokenizer,
                  ChatTemplate chat, bool has_template,
                  std::vector<std::unique_ptr<Context>> contexts, std::shared_ptr<EnergyTap> energy)
      : info_(std::move(info)),
        model_(std::move(model)),
        tokenizer_(std::move(tokenizer)),
        chat_(std::move(chat)),
        has_template_(has_template),
        contexts_(std::move(contexts)),
        energy_(std::move(energy)) {
    for (auto& c : contexts_) free_.push_back(c.get());
  }

  const BackendInfo& info() const override { return info_; }

  void Serve(const RequestSource& next) override {
    Context* ctx = nullptr;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !free_.empty(); });
      ctx = Take();
    }
    Decode(*ctx, &next);
    Release(ctx);
  }

  // The requests go on the shared queue that every decoding context takes from first; this
  // thread decodes on a free context while some of them wait, else waits for their answers.
  std::vector<GenerationResponse> Generate(std::span<const GenerationRequest> requests) override {
    std::vector<GenerationResponse> out(requests.size());
    std::size_t left = requests.size();
    {
      std::lock_guard lock(mutex_);
      for (std::size_t i = 0; i < requests.size(); ++i) {
        queued_.push_back({requests[i], [this, &out, &left, i](GenerationResponse r) {
                             std::lock_guard answer_lock(mutex_);
                             out[i] = std::move(r);
                             if (--left == 0) changed_.notify_all();
                           }});
      }
    }
    changed_.notify_all();
    for (;;) {
      Context* ctx = nullptr;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return left == 0 || (!free_.empty() && !queued_.empty()); });
        if (left == 0) return out;
        ctx = Take();
      }
      Decode(*ctx, nullptr);
      Release(ctx);
    }
  }

 private:
  // A request in the batch: where its answer goes and when its time is up.
  struct Active {
    GenerationRequest request;
    std::function<void(GenerationResponse)> done;
    std::optional<Clock::time_point> deadline;
    double joules = 0;  // measured: its shares of the steps it was in
  };

  Context* Take() {  // mutex_ held, free_ not empty
    Context* c = free_.back();
    free_.pop_back();
    return c;
  }
  void Release(Context* c) {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(c);
    }
    changed_.notify_all();
  }
  std::optional<StreamedRequest> TakeQueued() {
    std::lock_guard lock(mutex_);
    if (queued_.empty()) return std::nullopt;
    StreamedRequest r = std::move(queued_.front());
    queued_.pop_front();
    return r;
  }

  // Decodes on `ctx` until no request is left: the shared queue first, then `source` (null:
  // none), a new request whenever a sequence is free.
  void Decode(Context& ctx, const RequestSource* source) {
    ContinuousBatcher batcher(ctx, tokenizer_, kMaxPrefillTokens);
    std::map<std::int64_t, Active> active;
    std::vector<BatchOutcome> finished;
    bool source_left = source != nullptr;
    for (;;) {
      while (batcher.HasFreeSequence()) {
        std::optional<StreamedRequest> next = TakeQueued();
        if (!next && source_left) {
          next = (*source)();
          source_left = next.has_value();
        }
        if (!next) break;
        Start(batcher, active, std::move(*next));
      }
      if (active.empty()) return;
      batcher.Step(&finished);
      if (energy_) Measure(batcher.last_pass(), active);
      const auto now = Clock::now();
      for (const auto& [id, a] : active) {
        if (a.deadline && now >= *a.deadline) batcher.Cancel(id, &finished);
      }
      for (BatchOutcome& o : finished) {
        auto a = active.find(o.id);
        if (a == active.end()) continue;
        Active item = std::move(a->second);
        active.erase(a);
        item.done(o.status.ok() ? ToResponse(item, std::move(o))
                                : ErrorResponse(o.status.message()));
      }
      finished.clear();
    }
  }

  // Shares the energy since the last reading among the requests of the pass just run, by
  // their tokens in it. A meter that fails to read leaves the step unmeasured.
  void Measure(const std::vector<std::pair<std::int64_t, int>>& pass,
               std::map<std::int64_t, Active>& active) {
    if (pass.empty()) return;
    Result<double> joules = energy_->take();
    if (!joules.ok()) return;
    std::vector<std::int64_t> tokens;
    tokens.reserve(pass.size());
    for (const auto& entry : pass) tokens.push_back(entry.second);
    Result<std::vector<double>> shares = share_by_tokens(*joules, tokens);
    if (!shares.ok()) return;
    for (std::size_t i = 0; i < pass.size(); ++i) {
      if (auto a = active.find(pass[i].first); a != active.end()) a->second.joules += (*shares)[i];
    }
  }

  void Start(ContinuousBatcher& batcher, std::map<std::int64_t, Active>& active,
             StreamedRequest next) {
    const GenerationRequest& r = next.request;
    if (r.max_tokens < 1) return next.done(ErrorResponse("max_tokens must be at least 1"));
    auto tokens = Encode(r);
    if (!tokens.ok()) return next.done(ErrorResponse(tokens.message()));
    BatchRequest b;
    b.prompt = std::move(*tokens);
    b.options.max_tokens = r.max_tokens;
    b.options.stop = r.stop;
    b.options.sampler.temperature = static_cast<float>(r.temperature);
    b.options.sampler.seed = r.seed;
    b.options.sampler.top_logprobs = r.top_logprobs;
    b.arrival = Clock::now();
    std::optional<Clock::time_point> deadline;
    if (r.timeout) {
      deadline = b.arrival + std::chrono::duration_cast<Clock::duration>(*r.timeout);
    }
    auto id = batcher.Add(std::move(b));
    if (!id.ok()) return next.done(ErrorResponse(id.message()));
    active.emplace(*id, Active{std::move(next.request), std::move(next.done), deadline});
  }

  // The prompt's tokens, or an error message.
  Result<std::vector<TokenId>> Encode(const GenerationRequest& r) const {
    std::string text;
    bool special = false;
    if (r.mode == spec::PromptMode::kChat && has_template_) {
      auto rendered = inference::RenderChat(chat_, request_messages(r), true);
      if (!rendered.ok()) return rendered.status().WithContext("rendering the chat");
      text = std::move(*rendered);
      special = true;
    } else {
      // Completion mode, and chat on a model without a template: the plain text.
      text = completion_prompt(r);
    }
    std::vector<TokenId> tokens =
        tokenizer_.Encode(text, {.add_special = true, .parse_special = special});
    if (tokens.empty()) return Status::Error("the prompt is empty");
    if (static_cast<std::int64_t>(tokens.size()) >= info_.context) {
      return Status::Error(fmt::format("the prompt has {} tokens; the context holds {}",
                                       tokens.size(), info_.context));
    }
    return tokens;
  }

  GenerationResponse ToResponse(const Active& item, BatchOutcome outcome) const {
    const GenerationRequest& request = item.request;
    GenerationResult& g = outcome.result;
    GenerationResponse r;
    r.text = std::move(g.text);
    r.finish_reason = outcome.cancelled ? "timeout" : g.finish_reason;
    r.prompt_tokens = g.prompt_tokens;
    r.completion_tokens = static_cast<std::int64_t>(g.tokens.size());
    r.tokens_counted = true;
    r.ttft_seconds = g.ttft_seconds;
    r.e2e_seconds = g.token_seconds.empty() ? g.total_seconds : g.token_seconds.back();
    r.token_seconds = std::move(g.token_seconds);
    r.counters = g.counters;
    if (energy_) {
      r.measured_energy = EnergyFigure{
          item.joules, energy_->source(),
          energy_->describe() + ", each decode step shared among its requests by tokens"};
    }
    if (request.top_logprobs > 0) {
      r.logprobs.reserve(g.tokens.size());
      for (const auto& t : g.tokens) {
        TokenLogprobs lp;
        lp.id = t.id;
        lp.text = tokenizer_.TokenPiece(t.id);
        lp.logprob = t.logprob;
        for (const auto& alt : t.top) {
          lp.top.push_back({tokenizer_.TokenPiece(alt.id), alt.id, alt.logprob});
        }
        r.logprobs.push_back(std::move(lp));
      }
    }
    if (request.timeout &&
        r.e2e_seconds > std::chrono::duration<double>(*request.timeout).count()) {
      r.finish_reason = "timeout";
    }
    return r;
  }

  BackendInfo info_;
  std::unique_ptr<Model> model_;
  Tokenizer tokenizer_;
  ChatTemplate chat_;
  bool has_template_ = false;
  std::vector<std::unique_ptr<Context>> contexts_;
  std::mutex mutex_;
  std::condition_variable changed_;  // a context came free, a request was queued or answered
  std::vector<Context*> free_;
  std::deque<StreamedRequest> queued_;  // Generate()'s requests, not yet in a batch
  std::shared_ptr<EnergyTap> energy_;
};

}  // namespace

Result<std::unique_ptr<Backend>> open_embedded_backend(const spec::Tier& tier,
                                                       const spec::GgufModel& gguf,
                                                       const BackendOptions& options) {
  const std::string where = fmt::format("tier {} ({})", tier.name, gguf.path.string());
  auto hash = sha256_file(gguf.path);
  if (!hash.ok()) return hash.status().WithContext(where);
  auto model = Model::Load(gguf.path.string());
  if (!model.ok()) return model.status().WithContext(where);
  auto tokenizer = Tokenizer::FromGguf((*model)->file());
  if (!tokenizer.ok()) return tokenizer.status().WithContext(where);

  ChatTemplate chat;
  bool has_template = false;
  if (auto t = inference::ChatTemplateForModel((*model)->file(), *tokenizer, ""); t.ok()) {
    chat = std::move(*t);
    has_template = chat.format != inference::ChatFormat::kCompletion;
  }

  const auto& config = (*model)->config();
  std::int64_t n_ctx = gguf.context.value_or(options.context);
  if (!gguf.context && config.n_ctx_train > 0) {
    n_ctx = std::min<std::int64_t>(n_ctx, config.n_ctx_train);
  }
  const int concurrency = std::max(1, tier.concurrency);
  int threads = gguf.threads.value_or(options.threads);
  if (threads <= 0) {
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / concurrency);
  }
  inference::ContextOptions context_options;
  context_options.n_ctx = static_cast<int>(n_ctx);
  context_options.n_seq = std::max(1, options.batch);
  context_options.n_threads = threads;
  std::vector<std::unique_ptr<Context>> contexts;
  for (int i = 0; i < concurrency; ++i) {
    auto ctx = Context::Create(**model, context_options);
    if (!ctx.ok()) return ctx.status().WithContext(where);
    contexts.push_back(std::move(*ctx));
  }

  BackendInfo info;
  info.tier = tier.name;
  info.kind = "gguf";
  info.model_id = gguf.path.filename().string();
  info.model_hash = *hash;
  info.location = gguf.path.string();
  info.arch = config.arch;
  info.parameters = (*model)->parameter_count();
  info.bytes = (*model)->file().file_size();
  info.quantization = (*model)->dominant_type();
  info.context = n_ctx;
  info.chat_format = std::string(inference::ChatFormatName(chat.format));
  info.concurrency = concurrency;
  info.max_batch = context_options.n_seq;
  info.joules_per_token = tier.joules_per_token;
  return std::unique_ptr<Backend>(
      new EmbeddedBackend(std::move(info), std::move(*model), std::move(*tokenizer),
                          std::move(chat), has_template, std::move(contexts), options.energy));
}

Result<std::unique_ptr<Backend>> open_backend(const spec::Tier& tier,
                                              const BackendOptions& options) {
  if (const auto* gguf = std::get_if<spec::GgufModel>(&tier.model)) {
    return open_embedded_backend(tier, *gguf, options);
  }
  return open_remote_backend(tier, std::get<spec::OpenAiModel>(tier.model), options);
}

}  // namespace pareto::harness
