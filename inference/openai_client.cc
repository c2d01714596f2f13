#include "inference/openai_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

namespace pareto::inference {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double Seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// libcurl must be initialised once per process before any handle exists.
void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool HasControlBytes(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == 0; });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Retry-After: delay-seconds or an HTTP-date.
std::optional<milliseconds> ParseRetryAfter(std::string value) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
  size_t start = value.find_first_not_of(" \t");
  if (start == std::string::npos) return std::nullopt;
  value = value.substr(start);
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return milliseconds(999'999'999'000);
    return milliseconds(std::stoll(value) * 1000);
  }
  time_t when = curl_getdate(value.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  time_t now = std::time(nullptr);
  return milliseconds(std::max<int64_t>(0, static_cast<int64_t>(when - now)) * 1000);
}

// The state of one HTTP exchange, shared with libcurl's callbacks.
struct Transfer {
  Clock::time_point start;
  Clock::time_point last_byte;
  bool got_byte = false;
  milliseconds first_byte_timeout{0}, idle_timeout{0};
  std::string abort_reason;  // why a callback stopped the transfer

  long status = 0;
  std::optional<milliseconds> retry_after;

  bool stream = false;
  bool chat = true;
  size_t max_body = 0;
  std::string body;  // whole replies and error bodies
  openai::SseReader sse;
  std::vector<std::string> events;
  bool done = false;   // [DONE] seen
  bool fatal = false;  // the peer sent something malformed: not worth retrying
  OpenAiCompletion* out = nullptr;
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.substr(0, 5) == "HTTP/") {
    size_t sp = line.find(' ');
    t->status = sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1)).c_str());
    t->retry_after.reset();
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    if (Lower(line.substr(0, colon)) == "retry-after") {
      t->retry_after = ParseRetryAfter(std::string(line.substr(colon + 1)));
    }
  }
  return size * n;
}

// Applies one streamed event to the completion; false (with fatal set) when malformed.
bool OnEvent(Transfer& t, const std::string& data) {
  if (data == "[DONE]") {
    t.done = true;
    return true;
  }
  if (t.done) return true;  // nothing counts after the end
  auto chunk = openai::DecodeChunk(data, t.chat);
  if (!chunk.ok()) {
    t.abort_reason = chunk.message();
    t.fatal = true;
    return false;
  }
  OpenAiCompletion& c = *t.out;
  if (!chunk->text.empty() || !chunk->logprobs.empty()) {
    const double now = Seconds(t.start, Clock::now());
    if (c.piece_seconds.empty()) c.ttft_seconds = now;
    c.piece_seconds.push_back(now);
  }
  c.response.text += chunk->text;
  if (!chunk->logprobs.empty()) {
    c.response.has_logprobs = true;
    for (auto& lp : chunk->logprobs) c.response.logprobs.push_back(std::move(lp));
  }
  if (!chunk->finish_reason.empty()) c.response.finish_reason = chunk->finish_reason;
  if (chunk->usage) c.response.usage = chunk->usage;
  return true;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  t->last_byte = Clock::now();
  t->got_byte = true;
  if (!t->stream || t->status != 200) {
    if (t->body.size() + bytes > t->max_body) {
      t->abort_reason = fmt::format("the reply is longer than {} bytes", t->max_body);
      t->fatal = true;
      return 0;
    }
    t->body.append(data, bytes);
    return bytes;
  }
  t->events.clear();
  Status s = t->sse.Feed(std::string_view(data, bytes), &t->events);
  for (const std::string& e : t->events) {
    if (!OnEvent(*t, e)) return 0;
  }
  if (!s.ok()) {
    t->abort_reason = s.message();
    t->fatal = true;
    return 0;
  }
  return bytes;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  const Clock::time_point now = Clock::now();
  if (!t->got_byte && now - t->start > t->first_byte_timeout) {
    t->abort_reason = fmt::format("no reply within {} ms", t->first_byte_timeout.count());
    return 1;
  }
  if (t->got_byte && now - t->last_byte > t->idle_timeout) {
    t->abort_reason =
        fmt::format("the reply stalled for more than {} ms", t->idle_timeout.count());
    return 1;
  }
  return 0;
}

}  // namespace

std::vector<double> OpenAiCompletion::InterTokenSeconds() const {
  std::vector<double> gaps;
  for (size_t i = 1; i < piece_seconds.size(); ++i) {
    gaps.push_back(piece_seconds[i] - piece_seconds[i - 1]);
  }
  return gaps;
}

// Bounds requests in flight and spaces their starts; also draws the back-off jitter.
struct OpenAiClient::Limiter {
  std::mutex mutex;
  std::condition_variable free;
  int in_flight = 0;
  int concurrency = 1;
  Clock::duration spacing{0};
  Clock::time_point next_start = Clock::now();
  std::mt19937_64 rng;

  void Acquire() {
    std::unique_lock lock(mutex);
    free.wait(lock, [&] { return in_flight < concurrency; });
    ++in_flight;
    if (spacing.count() > 0) {
      Clock::time_point at = std::max(next_start, Clock::now());
      next_start = at + spacing;
      lock.unlock();
      std::this_thread::sleep_until(at);
    }
  }
  void Release() {
    {
      std::lock_guard lock(mutex);
      --in_flight;
    }
    free.notify_one();
  }
};

struct OpenAiClient::Attempt {
  bool ok = false;
  bool retryable = false;
  bool timed_out = false;  // the attempt's total timeout passed
  std::string reason;
  std::optional<milliseconds> retry_after;
  OpenAiCompletion completion;
  std::string body;
};

Result<std::unique_ptr<OpenAiClient>> OpenAiClient::Create(const OpenAiClientOptions& options) {
  const std::string& url = options.base_url;
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return Status::Error("the endpoint URL must start with http:// or https://, got '" + url + "'");
  }
  if (HasControlBytes(url) || HasControlBytes(options.model)) {
    return Status::Error("the endpoint URL and model name must not contain line breaks");
  }
  if (options.concurrency < 1) return Status::Error("concurrency must be at least 1");
  if (options.max_retries < 0) return Status::Error("max_retries must not be negative");
  if (options.requests_per_minute < 0) return Status::Error("requests_per_minute is negative");
  for (const auto& [name, value] : options.headers) {
    if (name.empty() || HasControlBytes(name) || HasControlBytes(value) ||
        name.find(':') != std::string::npos) {
      return Status::Error("header '" + name + "' has an invalid name or value");
    }
  }
  std::string key;
  if (!options.api_key_env.empty()) {
    const char* value = std::getenv(options.api_key_env.c_str());
    if (value == nullptr || *value == 0) {
      return Status::Error("the API key variable " + options.api_key_env + " is not set");
    }
    key = value;
    if (HasControlBytes(key)) {
      return Status::Error("the API key in " + options.api_key_env + " contains line breaks");
    }
  }
  InitCurlOnce();
  return std::unique_ptr<OpenAiClient>(new OpenAiClient(options, std::move(key)));
}

OpenAiClient::OpenAiClient(const OpenAiClientOptions& options, std::string key)
    : options_(options), key_(std::move(key)), limiter_(std::make_unique<Limiter>()) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
  limiter_->concurrency = options_.concurrency;
  if (options_.requests_per_minute > 0) {
    limiter_->spacing = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(60.0 / options_.requests_per_minute));
  }
  limiter_->rng.seed(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}());
}

OpenAiClient::~OpenAiClient() = default;

std::string OpenAiClient::Redact(std::string text) const {
  if (key_.empty()) return text;
  for (size_t at = text.find(key_); at != std::string::npos; at = text.find(key_, at)) {
    text.replace(at, key_.size(), "[redacted]");
    at += 10;
  }
  return text;
}

milliseconds OpenAiClient::Backoff(int attempt) {
  double full = static_cast<double>(options_.backoff_base.count()) * std::pow(2.0, attempt);
  full = std::min(full, static_cast<double>(options_.backoff_max.count()));
  std::lock_guard lock(limiter_->mutex);
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return milliseconds(static_cast<int64_t>(full * jitter(limiter_->rng)));
}

OpenAiClient::Attempt OpenAiClient::Send(const std::string& url, const std::string* body,
                                         bool stream, bool chat, milliseconds total_timeout) {
  Attempt a;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    a.reason = "libcurl could not start a transfer";
    return a;
  }
  Transfer t;
  t.first_byte_timeout = options_.first_byte_timeout;
  t.idle_timeout = options_.idle_timeout;
  t.stream = stream;
  t.chat = chat;
  t.max_body = options_.max_body_bytes;
  t.out = &a.completion;

  curl_slist* headers = nullptr;
  std::string auth;
  if (!key_.empty()) {
    auth = "Authorization: Bearer " + key_;
    headers = curl_slist_append(headers, auth.c_str());
  }
  if (body) headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, stream ? "Accept: text/event-stream" : "Accept: application/json");
  std::vector<std::string> extra;
  for (const auto& [name, value] : options_.headers) {
    extra.push_back(name + ": " + value);
    headers = curl_slist_append(headers, extra.back().c_str());
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, total_timeout.count())));
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");

  t.start = Clock::now();
  CURLcode rc = curl_easy_perform(curl);
  const Clock::time_point end = Clock::now();
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);

  a.completion.http_status = static_cast<int>(t.status);
  a.completion.total_seconds = Seconds(t.start, end);
  a.retry_after = t.retry_after;
  if (rc != CURLE_OK) {
    if (!t.abort_reason.empty()) {
      a.reason = t.abort_reason;
      a.retryable = !t.fatal;
    } else {
      a.reason = errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc);
      a.retryable = rc != CURLE_URL_MALFORMAT && rc != CURLE_UNSUPPORTED_PROTOCOL;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      a.timed_out = true;
      a.reason = fmt::format("timed out ({})", a.reason);
    } else if (stream && t.status == 200 && a.retryable) {
      a.reason = "the stream was cut before its end (" + a.reason + ")";
    }
    return a;
  }
  if (t.status != 200) {
    std::string message = openai::DecodeErrorMessage(t.body).value_or(t.body.substr(0, 300));
    a.reason = fmt::format("HTTP {}{}{}", t.status, message.empty() ? "" : ": ", message);
    a.retryable = t.status == 429 || t.status >= 500;
    return a;
  }
  if (!body) {  // a GET: the caller decodes the body
    a.ok = true;
    a.body = std::move(t.body);
    return a;
  }
  if (stream) {
    // Flush an event the peer ended without a blank line.
    t.events.clear();
    (void)t.sse.Feed("\n\n", &t.events);
    for (const std::string& e : t.events) {
      if (!OnEvent(t, e)) {
        a.reason = t.abort_reason;
        return a;
      }
    }
    if (!t.done && a.completion.response.finish_reason.empty()) {
      a.reason = "the stream was cut before its end (no finish reason, no [DONE])";
      a.retryable = true;
      return a;
    }
  } else {
    auto decoded = openai::DecodeResponse(t.body, chat);
    if (!decoded.ok()) {
      a.reason = "malformed reply: " + decoded.message();
      return a;
    }
    a.completion.response = std::move(*decoded);
    a.completion.ttft_seconds = a.completion.total_seconds;
  }
  a.ok = true;
  return a;
}

Result<OpenAiCompletion> OpenAiClient::Complete(const openai::TextRequest& request,
                                                std::optional<milliseconds> budget) {
  openai::TextRequest r = request;
  if (r.model.empty()) r.model = options_.model;
  const std::string url = options_.base_url + (r.chat ? "/chat/completions" : "/completions");
  const std::string body = openai::EncodeRequest(r);
  const Clock::time_point wall_start = Clock::now();
  const bool has_deadline = budget.has_value();
  const Clock::time_point deadline = wall_start + budget.value_or(milliseconds(0));
  auto remaining = [&] {
    milliseconds left = options_.total_timeout;
    if (has_deadline) {
      left = std::min(left, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
    }
    return left;
  };
  for (int attempt = 0;; ++attempt) {
    limiter_->Acquire();
    if (has_deadline && remaining().count() <= 0) {
      limiter_->Release();
      return Status::Error(fmt::format("timed out: the budget of {} ms for {} ran out (after {} "
                                       "attempt{})",
                                       budget->count(), url, attempt, attempt == 1 ? "" : "s"));
    }
    const milliseconds attempt_timeout = remaining();
    Attempt a = Send(url, &body, r.stream, r.chat, attempt_timeout);
    limiter_->Release();
    if (a.ok) {
      OpenAiCompletion c = std::move(a.completion);
      c.attempts = attempt + 1;
      c.wall_seconds = Seconds(wall_start, Clock::now());
      c.response.text = Redact(std::move(c.response.text));
      if (c.response.usage) {
        c.prompt_tokens = c.response.usage->prompt_tokens;
        c.completion_tokens = c.response.usage->completion_tokens;
        c.usage_source = "reported";
      } else if (options_.count_tokens) {
        std::string prompt_text = r.prompt;
        for (const ChatMessage& m : r.messages) prompt_text += m.content;
        c.prompt_tokens = r.prompt_tokens.empty() ? options_.count_tokens(prompt_text)
                                                  : static_cast<int>(r.prompt_tokens.size());
        c.completion_tokens = options_.count_tokens(c.response.text);
        c.usage_source = "counted:tokenizer";
      } else {
        c.prompt_tokens = static_cast<int>(r.prompt_tokens.size());
        c.prompt_tokens_known = !r.prompt_tokens.empty();
        c.completion_tokens = c.response.has_logprobs
                                  ? static_cast<int>(c.response.logprobs.size())
                                  : static_cast<int>(c.piece_seconds.size());
        c.usage_source = "counted:chunks";
      }
      return c;
    }
    // An attempt cut short by the call's budget leaves nothing to retry with.
    const bool budget_cut = a.timed_out && has_deadline && attempt_timeout < options_.total_timeout;
    if (!a.retryable || attempt >= options_.max_retries || budget_cut) {
      const bool out_of_budget = budget_cut || (has_deadline && Clock::now() >= deadline);
      return Status::Error(Redact(fmt::format("{}POST {}: {} (after {} attempt{})",
                                              out_of_budget ? "timed out: " : "", url, a.reason,
                                              attempt + 1, attempt == 0 ? "" : "s")));
    }
    milliseconds wait = a.retry_after ? std::min(*a.retry_after, options_.retry_after_max)
                                      : Backoff(attempt);
    if (has_deadline && Clock::now() + wait >= deadline) {
      return Status::Error(Redact(fmt::format("timed out: POST {}: {}; no budget left to retry "
                                              "(after {} attempt{})",
                                              url, a.reason, attempt + 1, attempt == 0 ? "" : "s")));
    }
    std::this_thread::sleep_for(wait);
  }
}

Result<std::vector<std::string>> OpenAiClient::ListModels() {
  const std::string url = options_.base_url + "/models";
  for (int attempt = 0;; ++attempt) {
    limiter_->Acquire();
    Attempt a = Send(url, nullptr, false, false, options_.total_timeout);
    limiter_->Release();
    if (a.ok) {
      auto ids = openai::DecodeModelList(a.body);
      if (!ids.ok()) return Status::Error(Redact("GET " + url + ": " + ids.message()));
      return ids;
    }
    if (!a.retryable || attempt >= options_.max_retries) {
      return Status::Error(Redact(fmt::format("GET {}: {}", url, a.reason)));
    }
    std::this_thread::sleep_for(a.retry_after ? std::min(*a.retry_after, options_.retry_after_max)
                                              : Backoff(attempt));
  }
}

}  // namespace pareto::inference
