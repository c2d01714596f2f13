#include "harness/backend.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <variant>

#include "harness/sha256.h"
#include "inference/chat_template.h"
#include "inference/generator.h"
#include "inference/model.h"
#include "inference/tokenizer.h"

namespace pareto::harness {
namespace {

using inference::ChatMessage;
using inference::ChatTemplate;
using inference::Context;
using inference::GenerateOptions;
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

class EmbeddedBackend final : public Backend {
 public:
  EmbeddedBackend(BackendInfo info, std::unique_ptr<Model> model, Tokenizer tokenizer,
                  ChatTemplate chat, bool has_template,
                  std::vector<std::unique_ptr<Context>> contexts)
      : info_(std::move(info)),
        model_(std::move(model)),
        tokenizer_(std::move(tokenizer)),
        chat_(std::move(chat)),
        has_template_(has_template),
        contexts_(std::move(contexts)) {
    for (auto& c : contexts_) free_.push_back(c.get());
  }

  const BackendInfo& info() const override { return info_; }

  std::vector<GenerationResponse> Generate(
      std::span<const GenerationRequest> requests) override {
    std::vector<GenerationResponse> out(requests.size());
    Context* ctx = Acquire();
    for (std::size_t first = 0; first < requests.size();
         first += static_cast<std::size_t>(info_.max_batch)) {
      const std::size_t count =
          std::min<std::size_t>(static_cast<std::size_t>(info_.max_batch), requests.size() - first);
      RunBatch(*ctx, requests.subspan(first, count), std::span(out).subspan(first, count));
    }
    Release(ctx);
    return out;
  }

 private:
  Context* Acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !free_.empty(); });
    Context* c = free_.back();
    free_.pop_back();
    return c;
  }
  void Release(Context* c) {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(c);
    }
    available_.notify_one();
  }

  // The prompt's tokens, or an error message.
  Result<std::vector<TokenId>> Encode(const GenerationRequest& r) const {
    std::string text;
    bool special = false;
    if (r.mode == spec::PromptMode::kChat) {
      std::vector<ChatMessage> messages;
      if (!r.system.empty()) messages.push_back({"system", r.system});
      messages.push_back({"user", r.prompt});
      auto rendered = inference::RenderChat(chat_, messages, true);
      if (!rendered.ok()) return rendered.status().WithContext("rendering the chat");
      text = std::move(*rendered);
      special = has_template_;
    } else {
      text = r.prompt;
    }
    std::vector<TokenId> tokens = tokenizer_.Encode(text, {.add_special = true,
                                                           .parse_special = special});
    if (tokens.empty()) return Status::Error("the prompt is empty");
    if (static_cast<std::int64_t>(tokens.size()) >= info_.context) {
      return Status::Error(fmt::format("the prompt has {} tokens; the context holds {}",
                                       tokens.size(), info_.context));
    }
    return tokens;
  }

  GenerationResponse ToResponse(const GenerationRequest& request, GenerationResult g) const {
    GenerationResponse r;
    r.text = std::move(g.text);
    r.finish_reason = g.finish_reason;
    r.prompt_tokens = g.prompt_tokens;
    r.completion_tokens = static_cast<std::int64_t>(g.tokens.size());
    r.tokens_counted = true;
    r.ttft_seconds = g.ttft_seconds;
    r.e2e_seconds = g.token_seconds.empty() ? g.total_seconds : g.token_seconds.back();
    r.token_seconds = std::move(g.token_seconds);
    r.counters = g.counters;
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

  static GenerateOptions OptionsFor(const GenerationRequest& r) {
    GenerateOptions o;
    o.max_tokens = r.max_tokens;
    o.stop = r.stop;
    o.sampler.temperature = static_cast<float>(r.temperature);
    o.sampler.seed = r.seed;
    o.sampler.top_logprobs = r.top_logprobs;
    return o;
  }

  void RunBatch(Context& ctx, std::span<const GenerationRequest> requests,
                std::span<GenerationResponse> out) {
    // Greedy requests that share their options decode together; the rest one by one.
    using Key = std::tuple<int, std::vector<std::string>, int>;
    std::map<Key, std::vector<std::size_t>> groups;
    std::vector<std::vector<TokenId>> prompts(requests.size());
    std::vector<std::size_t> sampled;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const GenerationRequest& r = requests[i];
      if (r.max_tokens < 1) {
        out[i] = ErrorResponse("max_tokens must be at least 1");
        continue;
      }
      auto tokens = Encode(r);
      if (!tokens.ok()) {
        out[i] = ErrorResponse(tokens.message());
        continue;
      }
      prompts[i] = std::move(*tokens);
      if (r.temperature == 0) {
        groups[Key{r.max_tokens, r.stop, r.top_logprobs}].push_back(i);
      } else {
        sampled.push_back(i);
      }
    }
    for (const auto& [key, members] : groups) {
      std::vector<std::vector<TokenId>> group_prompts;
      for (std::size_t i : members) group_prompts.push_back(std::move(prompts[i]));
      auto results = inference::GenerateBatch(ctx, tokenizer_, group_prompts,
                                              OptionsFor(requests[members.front()]));
      for (std::size_t k = 0; k < members.size(); ++k) {
        const std::size_t i = members[k];
        out[i] = results.ok() ? ToResponse(requests[i], std::move((*results)[k]))
                              : ErrorResponse(results.message());
      }
    }
    for (std::size_t i : sampled) {
      const GenerationRequest& r = requests[i];
      const auto start = std::chrono::steady_clock::now();
      inference::TextCallback on_text = nullptr;
      if (r.timeout) {
        const auto deadline = start + *r.timeout;
        on_text = [deadline](std::string_view) {
          return std::chrono::steady_clock::now() < deadline;
        };
      }
      auto g = inference::Generate(ctx, tokenizer_, prompts[i], OptionsFor(r), 0, on_text);
      out[i] = g.ok() ? ToResponse(r, std::move(*g)) : ErrorResponse(g.message());
    }
  }

  BackendInfo info_;
  std::unique_ptr<Model> model_;
  Tokenizer tokenizer_;
  ChatTemplate chat_;
  bool has_template_ = false;
  std::vector<std::unique_ptr<Context>> contexts_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Context*> free_;
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
  return std::unique_ptr<Backend>(new EmbeddedBackend(std::move(info), std::move(*model),
                                                      std::move(*tokenizer), std::move(chat),
                                                      has_template, std::move(contexts)));
}

Result<std::unique_ptr<Backend>> open_backend(const spec::Tier& tier,
                                              const BackendOptions& options) {
  if (const auto* gguf = std::get_if<spec::GgufModel>(&tier.model)) {
    return open_embedded_backend(tier, *gguf, options);
  }
  return open_remote_backend(tier, std::get<spec::OpenAiModel>(tier.model), options);
}

}  // namespace pareto::harness
