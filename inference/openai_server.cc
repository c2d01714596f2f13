#include "inference/openai_server.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "inference/continuous_batcher.h"

namespace pareto::inference {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using openai::ApiError;

constexpr auto kReadTimeout = std::chrono::seconds(60);
constexpr auto kWriteTimeout = std::chrono::seconds(60);

// A Prometheus histogram with fixed bucket bounds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds)
      : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}
  void Observe(double v) {
    size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
    ++counts_[i];
    sum_ += v;
    ++count_;
  }
  void Write(std::string& out, std::string_view name, std::string_view help) const {
    out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += counts_[i];
      out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, bounds_[i], cumulative);
    }
    out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, count_, name,
                       sum_, name, count_);
  }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

std::vector<double> LatencyBounds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
}

struct ServerMetrics {
  mutable std::mutex mutex;
  std::map<std::pair<std::string, int>, uint64_t> requests;  // (path, status) -> count
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  Histogram request_seconds{LatencyBounds()};
  Histogram ttft_seconds{LatencyBounds()};
  Histogram itl_seconds{LatencyBounds()};
  Histogram batch_sequences{{1, 2, 4, 8, 16, 32, 64, 128}};
  ForwardCounters work;
  int64_t passes = 0;
  double joules = 0;
  int running = 0;
  size_t waiting = 0;
};

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// An HTTP/1.1 chunk of the chunked transfer coding.
std::string Chunk(std::string_view data) {
  if (data.empty()) return {};
  return fmt::format("{:x}\r\n{}\r\n", data.size(), data);
}

// What the scheduler runs: a batch request and where its end is reported.
struct Job {
  BatchRequest request;
  std::function<void(BatchOutcome)> on_done;  // runs on the scheduler thread
};

class Session;

}  // namespace

struct OpenAiServer::Impl {
  Impl(const Model& m, Tokenizer t, ChatTemplate c, const OpenAiServerOptions& o)
      : model(m), tokenizer(std::move(t)), chat(std::move(c)), options(o), ioc(o.http_threads),
        acceptor(net::make_strand(ioc)), work(net::make_work_guard(ioc)) {
    seed_base = std::random_device{}();
  }

  // Connections.
  void Accept();
  void Register(const std::shared_ptr<Session>& s);
  // Scheduling: false when the server no longer takes work.
  bool Submit(Job job);
  void SchedulerLoop();
  void Count(const std::string& path, int status) {
    std::lock_guard lock(metrics.mutex);
    ++metrics.requests[{path, status}];
  }
  std::string MetricsText() const;

  const Model& model;
  Tokenizer tokenizer;
  ChatTemplate chat;
  OpenAiServerOptions options;
  std::unique_ptr<Context> ctx;
  std::unique_ptr<ContinuousBatcher> batcher;

  net::io_context ioc;
  tcp::acceptor acceptor;
  net::executor_work_guard<net::io_context::executor_type> work;
  std::vector<std::thread> io_threads;
  std::thread scheduler;
  uint16_t bound_port = 0;
  std::atomic<bool> draining{false};

  std::mutex sessions_mutex;
  std::vector<std::weak_ptr<Session>> sessions;

  std::mutex queue_mutex;
  std::condition_variable queue_cv;
  std::deque<Job> queue;
  bool stopping = false;  // Shutdown() asked; finish what is queued
  bool stopped = false;   // the scheduler has exited

  std::once_flag shutdown_once;
  std::atomic<uint64_t> next_request{1};
  uint64_t seed_base = 0;
  mutable ServerMetrics metrics;
};

namespace {

// One connection: reads requests one after another (keep-alive), answers each, and streams
// generations as server-sent events. Everything runs on the connection's strand; the
// scheduler thread reaches it only through net::post.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, OpenAiServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {}

  void Start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

  // Called (on the strand) when the server shuts down: an idle connection closes now.
  void CloseIfIdle() {
    if (idle_) Close();
  }
  net::any_io_executor executor() { return stream_.get_executor(); }

 private:
  void ReadHeader() {
    if (server_.draining || closed_) return Close();
    idle_ = true;
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(server_.options.max_body_bytes);
    stream_.expires_after(kReadTimeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    idle_ = false;
    if (ec) return OnReadError(ec);
    auto& req = parser_->get();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      net::async_write(stream_, net::buffer(*cont),
                       [self = shared_from_this(), cont](beast::error_code e, size_t) {
                         if (e) return self->Close();
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return SendError(
          "", {413, "invalid_request_error",
               fmt::format("the request body exceeds {} bytes", server_.options.max_body_bytes),
               "", "request_too_large"});
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset) {
      return Close();
    }
    // Not HTTP we can read: say so once, then hang up.
    keep_alive_ = false;
    SendError("", {400, "invalid_request_error", "malformed HTTP request: " + ec.message(), "", ""});
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    request_ = parser_->release();
    keep_alive_ = request_.keep_alive();
    version_ = request_.version();
    stream_.expires_never();
    Handle();
  }

  std::string Path() const {
    std::string_view target(request_.target().data(), request_.target().size());
    return std::string(target.substr(0, target.find('?')));
  }

  bool Authorized() const {
    const std::string& key = server_.options.api_key;
    if (key.empty()) return true;
    auto it = request_.find(http::field::authorization);
    if (it == request_.end()) return false;
    std::string_view value(it->value().data(), it->value().size());
    return value.size() > 7 && beast::iequals(beast::string_view(value.data(), 7), "Bearer ") &&
           ConstantTimeEqual(value.substr(7), key);
  }

  void Handle() {
    const std::string path = Path();
    const bool get = request_.method() == http::verb::get;
    const bool post = request_.method() == http::verb::post;
    if (path == "/health") {
      if (!get) return MethodNotAllowed(path, "GET");
      return SendJson(path, 200, R"({"status":"ok"})");
    }
    const bool known = path == "/v1/models" || path == "/metrics" ||
                       path == "/v1/chat/completions" || path == "/v1/completions";
    if (!known) {
      return SendError(path, {404, "invalid_request_error", "no route for " + path.substr(0, 200),
                              "", "not_found"});
    }
    if (!Authorized()) {
      return SendError(path, {401, "invalid_request_error",
                              "a valid API key is required (Authorization: Bearer ...)", "",
                              "invalid_api_key"});
    }
    if (path == "/v1/models") {
      if (!get) return MethodNotAllowed(path, "GET");
      return SendJson(path, 200,
                      openai::EncodeModelList({server_.options.model_id}, std::time(nullptr)));
    }
    if (path == "/metrics") {
      if (!get) return MethodNotAllowed(path, "GET");
      return Send(path, 200, "text/plain; version=0.0.4", server_.MetricsText());
    }
    if (!post) return MethodNotAllowed(path, "POST");
    chat_ = path == "/v1/chat/completions";
    StartGeneration(path);
  }

  void MethodNotAllowed(const std::string& path, const char* allowed) {
    SendError(path, {405, "invalid_request_error",
                     fmt::format("{} takes {} only", path, allowed), "", "method_not_allowed"});
  }

  void StartGeneration(const std::string& path) {
    openai::RequestLimits limits;
    limits.max_tokens = server_.options.n_ctx;
    openai::DecodedRequest decoded = openai::DecodeRequest(request_.body(), chat_, limits);
    if (decoded.error) return SendError(path, *decoded.error);
    const openai::TextRequest& r = decoded.request;
    if (r.model != server_.options.model_id) {
      return SendError(path, {404, "invalid_request_error",
                              fmt::format("the model '{}' does not exist; this server has '{}'",
                                          r.model.substr(0, 200), server_.options.model_id),
                              "model", "model_not_found"});
    }
    std::vector<TokenId> prompt;
    const Tokenizer& tok = server_.tokenizer;
    if (chat_) {
      auto text = RenderChat(server_.chat, r.messages, /*add_generation_prompt=*/true);
      if (!text.ok()) {
        return SendError(path, {400, "invalid_request_error", text.message(), "messages", ""});
      }
      // Markers of a real chat format are special tokens; plain completion text has none.
      const bool special = server_.chat.format != ChatFormat::kCompletion;
      prompt = tok.Encode(*text, {.add_special = true, .parse_special = special});
    } else if (!r.prompt_tokens.empty()) {
      for (TokenId id : r.prompt_tokens) {
        if (!tok.Contains(id)) {
          return SendError(path, {400, "invalid_request_error",
                                  fmt::format("token id {} is outside the vocabulary", id),
                                  "prompt", ""});
        }
      }
      prompt = r.prompt_tokens;
    } else {
      prompt = tok.Encode(r.prompt, {.add_special = true, .parse_special = false});
    }
    if (prompt.empty()) {
      return SendError(path, {400, "invalid_request_error", "the prompt encodes to no tokens",
                              chat_ ? "messages" : "prompt", ""});
    }
    const int n_ctx = server_.options.n_ctx;
    if (static_cast<int>(prompt.size()) >= n_ctx) {
      return SendError(path, {400, "invalid_request_error",
                              fmt::format("the prompt has {} tokens; the context holds {}",
                                          prompt.size(), n_ctx),
                              chat_ ? "messages" : "prompt", "context_length_exceeded"});
    }
    const int room = n_ctx - static_cast<int>(prompt.size());
    prompt_tokens_ = static_cast<int>(prompt.size());
    stream_mode_ = r.stream;
    include_usage_ = r.include_usage;
    logprobs_ = r.logprobs;
    const uint64_t n = server_.next_request.fetch_add(1);
    id_ = fmt::format("{}-{}", chat_ ? "chatcmpl" : "cmpl", n);
    created_ = std::time(nullptr);
    path_ = path;

    Job job;
    BatchRequest& b = job.request;
    b.prompt = std::move(prompt);
    b.options.max_tokens = std::min(r.max_tokens.value_or(server_.options.default_max_tokens), room);
    b.options.stop = r.stop;
    b.options.sampler.temperature = static_cast<float>(r.temperature);
    b.options.sampler.top_p = static_cast<float>(r.top_p);
    b.options.sampler.top_k = r.top_k;
    b.options.sampler.seed = r.seed.value_or(server_.seed_base + n);
    b.options.sampler.top_logprobs = r.logprobs ? r.top_logprobs : 0;
    b.arrival = Clock::now();
    auto gone = gone_;
    auto self = shared_from_this();
    const bool streaming = r.stream;
    const bool want_logprobs = r.logprobs;
    const Tokenizer* tokp = &server_.tokenizer;
    b.on_token = [self, gone, streaming, want_logprobs, tokp](const SampledToken* t,
                                                               std::string_view text) {
      if (gone->load()) return false;
      if (!streaming) return true;
      openai::StreamChunk c;
      c.text = std::string(text);
      if (t && want_logprobs) c.logprobs.push_back(TokenEntry(*tokp, *t));
      if (c.text.empty() && c.logprobs.empty()) return true;
      net::post(self->executor(), [self, c = std::move(c)] { self->SendChunk(c); });
      return true;
    };
    job.on_done = [self](BatchOutcome outcome) {
      net::post(self->executor(),
                [self, o = std::move(outcome)]() mutable { self->Finished(std::move(o)); });
    };
    if (stream_mode_) StartStream();
    if (!server_.Submit(std::move(job))) {
      if (stream_mode_) {
        return EndStreamWithError({503, "server_error", "the server is shutting down", "", ""});
      }
      return SendError(path, {503, "server_error", "the server is shutting down or its queue is "
                                                   "full; try again later",
                              "", "unavailable"});
    }
  }

  static openai::TokenLogprobs TokenEntry(const Tokenizer& tok, const SampledToken& t) {
    openai::TokenLogprobs e;
    e.token = tok.TokenPiece(t.id);
    e.logprob = t.logprob;
    for (const TokenLogprob& alt : t.top) e.top.push_back({tok.TokenPiece(alt.id), alt.logprob});
    return e;
  }

  // --- whole replies ---

  void Send(const std::string& path, int status, const char* type, std::string body) {
    if (!path.empty()) server_.Count(path, status);
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(status), version_ ? version_ : 11);
    res->set(http::field::server, "pareto");
    res->set(http::field::content_type, type);
    res->keep_alive(keep_alive_ && !server_.draining);
    res->body() = std::move(body);
    res->prepare_payload();
    stream_.expires_after(kWriteTimeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !res->keep_alive()) return self->Close();
      self->ReadHeader();
    });
  }
  void SendJson(const std::string& path, int status, std::string body) {
    Send(path, status, "application/json", std::move(body));
  }
  void SendError(const std::string& path, const ApiError& e) {
    SendJson(path, e.status, openai::EncodeError(e));
  }

  // --- streamed replies ---

  void StartStream() {
    chunked_ = version_ >= 11;
    std::string head =
        "HTTP/1.1 200 OK\r\nServer: pareto\r\nContent-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\n";
    head += chunked_ ? "Transfer-Encoding: chunked\r\n\r\n" : "Connection: close\r\n\r\n";
    if (!chunked_) keep_alive_ = false;
    Write(std::move(head));
    if (chat_) {
      openai::StreamChunk first;
      first.role = true;
      WriteEvent(openai::EncodeChunk(first, chat_, id_, server_.options.model_id, created_));
    }
  }

  void SendChunk(const openai::StreamChunk& c) {
    WriteEvent(openai::EncodeChunk(c, chat_, id_, server_.options.model_id, created_));
  }

  void WriteEvent(const std::string& json) {
    std::string event = openai::SseEvent(json);
    Write(chunked_ ? Chunk(event) : std::move(event));
  }

  void EndStream() {
    WriteEvent("[DONE]");
    if (chunked_) Write("0\r\n\r\n");
    finishing_ = true;
    if (!writing_) AfterResponse();
  }

  void EndStreamWithError(const ApiError& e) {
    server_.Count(path_, e.status);
    WriteEvent(openai::EncodeError(e));
    EndStream();
  }

  void Write(std::string bytes) {
    if (gone_->load()) return;
    out_.push_back(std::move(bytes));
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    if (out_.empty()) {
      writing_ = false;
      if (finishing_) AfterResponse();
      return;
    }
    writing_ = true;
    stream_.expires_after(kWriteTimeout);
    net::async_write(stream_, net::buffer(out_.front()),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->out_.pop_front();
                       if (ec) {
                         self->gone_->store(true);
                         self->out_.clear();
                         self->writing_ = false;
                         if (self->finishing_) self->Close();
                         return;
                       }
                       self->WriteNext();
                     });
  }

  void AfterResponse() {
    finishing_ = false;
    stream_mode_ = false;
    if (gone_->load() || !keep_alive_ || server_.draining) return Close();
    ReadHeader();
  }

  // The scheduler is done with this connection's request.
  void Finished(BatchOutcome o) {
    const GenerationResult& g = o.result;
    const int completion = static_cast<int>(g.tokens.size());
    if (o.status.ok() && !o.cancelled) {
      std::lock_guard lock(server_.metrics.mutex);
      server_.metrics.prompt_tokens += static_cast<uint64_t>(prompt_tokens_);
      server_.metrics.completion_tokens += static_cast<uint64_t>(completion);
      server_.metrics.request_seconds.Observe(g.total_seconds);
      if (!g.tokens.empty()) server_.metrics.ttft_seconds.Observe(g.ttft_seconds);
      for (size_t i = 1; i < g.token_seconds.size(); ++i) {
        server_.metrics.itl_seconds.Observe(g.token_seconds[i] - g.token_seconds[i - 1]);
      }
    }
    if (o.cancelled || gone_->load()) {
      server_.Count(path_, 499);  // the client went away (nginx's convention)
      if (stream_mode_) {
        finishing_ = true;
        if (!writing_) Close();
      } else {
        Close();
      }
      return;
    }
    if (!o.status.ok()) {
      ApiError e{500, "server_error", "generation failed: " + o.status.message(), "", ""};
      if (stream_mode_) return EndStreamWithError(e);
      return SendError(path_, e);
    }
    openai::Usage usage{prompt_tokens_, completion};
    if (stream_mode_) {
      server_.Count(path_, 200);
      openai::StreamChunk last;
      last.finish_reason = g.finish_reason;
      SendChunk(last);
      if (include_usage_) {
        openai::StreamChunk u;
        u.no_choice = true;
        u.usage = usage;
        SendChunk(u);
      }
      return EndStream();
    }
    openai::TextResponse res;
    res.id = id_;
    res.model = server_.options.model_id;
    res.created = created_;
    res.text = g.text;
    res.finish_reason = g.finish_reason;
    res.usage = usage;
    if (logprobs_) {
      res.has_logprobs = true;
      for (const SampledToken& t : g.tokens) res.logprobs.push_back(TokenEntry(server_.tokenizer, t));
    }
    SendJson(path_, 200, openai::EncodeResponse(res, chat_));
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    gone_->store(true);
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  OpenAiServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool idle_ = false;
  bool closed_ = false;
  std::shared_ptr<std::atomic<bool>> gone_ = std::make_shared<std::atomic<bool>>(false);

  // The generation in progress.
  bool chat_ = true;
  std::string path_;
  std::string id_;
  int64_t created_ = 0;
  int prompt_tokens_ = 0;
  bool stream_mode_ = false;
  bool include_usage_ = false;
  bool logprobs_ = false;
  bool chunked_ = true;
  std::deque<std::string> out_;
  bool writing_ = false;
  bool finishing_ = false;
};

}  // namespace

void OpenAiServer::Impl::Register(const std::shared_ptr<Session>& s) {
  std::lock_guard lock(sessions_mutex);
  std::erase_if(sessions, [](const std::weak_ptr<Session>& w) { return w.expired(); });
  sessions.push_back(s);
}

void OpenAiServer::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      return Accept();  // a failed accept (out of descriptors, a reset) ends only that one
    }
    if (draining) return;
    auto s = std::make_shared<Session>(std::move(socket), *this);
    Register(s);
    s->Start();
    Accept();
  });
}

bool OpenAiServer::Impl::Submit(Job job) {
  {
    std::lock_guard lock(queue_mutex);
    if (stopped || queue.size() >= options.max_queue) return false;
    queue.push_back(std::move(job));
    std::lock_guard m(metrics.mutex);
    metrics.waiting = queue.size();
  }
  queue_cv.notify_one();
  return true;
}

void OpenAiServer::Impl::SchedulerLoop() {
  std::unordered_map<int64_t, std::function<void(BatchOutcome)>> running;
  std::vector<BatchOutcome> finished;
  for (;;) {
    std::vector<std::pair<Job, Status>> rejected;
    {
      std::unique_lock lock(queue_mutex);
      queue_cv.wait(lock, [&] { return !queue.empty() || batcher->active() > 0 || stopping; });
      if (stopping && queue.empty() && batcher->active() == 0) {
        stopped = true;
        break;
      }
      while (batcher->HasFreeSequence() && !queue.empty()) {
        Job job = std::move(queue.front());
        queue.pop_front();
        auto id = batcher->Add(std::move(job.request));
        if (id.ok()) {
          running[*id] = std::move(job.on_done);
        } else {
          rejected.emplace_back(std::move(job), id.status());
        }
      }
      std::lock_guard m(metrics.mutex);
      metrics.waiting = queue.size();
      metrics.running = batcher->active();
    }
    for (auto& [job, status] : rejected) {
      BatchOutcome o;
      o.status = status;
      job.on_done(std::move(o));
    }
    const int batch = batcher->active();
    const ForwardCounters before = batcher->total_counters();
    const int64_t passes_before = batcher->passes();
    finished.clear();
    batcher->Step(&finished);
    if (batcher->passes() > passes_before) {
      ForwardCounters pass = batcher->total_counters();
      pass.tokens -= before.tokens;
      pass.flops -= before.flops;
      pass.weight_bytes -= before.weight_bytes;
      pass.kv_bytes_read -= before.kv_bytes_read;
      pass.kv_bytes_written -= before.kv_bytes_written;
      const double joules = options.energy_joules ? options.energy_joules(pass) : 0;
      std::lock_guard m(metrics.mutex);
      metrics.work += pass;
      metrics.passes += 1;
      metrics.joules += joules;
      metrics.batch_sequences.Observe(batch);
      metrics.running = batcher->active();
    }
    for (BatchOutcome& o : finished) {
      auto it = running.find(o.id);
      if (it == running.end()) continue;
      auto done = std::move(it->second);
      running.erase(it);
      done(std::move(o));
    }
  }
}

std::string OpenAiServer::Impl::MetricsText() const {
  std::lock_guard lock(metrics.mutex);
  const ServerMetrics& m = metrics;
  std::string out;
  out += "# HELP pareto_http_requests_total HTTP requests answered, by path and status.\n"
         "# TYPE pareto_http_requests_total counter\n";
  for (const auto& [key, count] : m.requests) {
    out += fmt::format("pareto_http_requests_total{{path=\"{}\",code=\"{}\"}} {}\n",
                       key.first.empty() ? "other" : key.first, key.second, count);
  }
  auto counter = [&](std::string_view name, std::string_view help, double value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help, name, name, value);
  };
  auto gauge = [&](std::string_view name, std::string_view help, double value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name, value);
  };
  counter("pareto_prompt_tokens_total", "Prompt tokens of finished requests.",
          static_cast<double>(m.prompt_tokens));
  counter("pareto_completion_tokens_total", "Tokens generated for finished requests.",
          static_cast<double>(m.completion_tokens));
  gauge("pareto_requests_running", "Requests holding a sequence.", m.running);
  gauge("pareto_requests_waiting", "Requests queued for a sequence.", static_cast<double>(m.waiting));
  m.request_seconds.Write(out, "pareto_request_duration_seconds",
                          "Generation requests, arrival to last token.");
  m.ttft_seconds.Write(out, "pareto_time_to_first_token_seconds",
                       "Arrival to first generated token.");
  m.itl_seconds.Write(out, "pareto_inter_token_latency_seconds",
                      "Gaps between consecutive generated tokens.");
  m.batch_sequences.Write(out, "pareto_batch_sequences", "Requests sharing each forward pass.");
  counter("pareto_forward_passes_total", "Forward passes run.", static_cast<double>(m.passes));
  counter("pareto_forward_tokens_total", "Tokens the forward passes processed.",
          static_cast<double>(m.work.tokens));
  counter("pareto_flops_total", "Arithmetic operations of the forward passes.", m.work.flops);
  counter("pareto_weight_bytes_total", "Weight bytes the forward passes read.",
          static_cast<double>(m.work.weight_bytes));
  counter("pareto_kv_bytes_read_total", "KV cache bytes read.",
          static_cast<double>(m.work.kv_bytes_read));
  counter("pareto_kv_bytes_written_total", "KV cache bytes written.",
          static_cast<double>(m.work.kv_bytes_written));
  if (options.energy_joules) {
    out += fmt::format(
        "# HELP pareto_energy_joules_total Energy of the forward passes ({}).\n"
        "# TYPE pareto_energy_joules_total counter\n"
        "pareto_energy_joules_total{{source=\"{}\"}} {}\n",
        options.energy_label, options.energy_label, m.joules);
  }
  return out;
}

OpenAiServer::OpenAiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<OpenAiServer>> OpenAiServer::Start(const Model& model, Tokenizer tokenizer,
                                                          ChatTemplate chat,
                                                          const OpenAiServerOptions& options) {
  if (options.parallel < 1 || options.http_threads < 1 || options.n_ctx < 2 ||
      options.default_max_tokens < 1 || options.max_body_bytes == 0) {
    return Status::Error("parallel, http threads, context, max tokens and body size must be positive");
  }
  if (options.model_id.empty()) return Status::Error("the model id is empty");
  auto impl = std::make_unique<Impl>(model, std::move(tokenizer), std::move(chat), options);
  ContextOptions co;
  co.n_ctx = options.n_ctx;
  co.n_seq = options.parallel;
  co.n_threads = options.n_threads;
  co.kv_type = options.kv_type;
  auto ctx = Context::Create(model, co);
  if (!ctx.ok()) return ctx.status();
  impl->ctx = std::move(*ctx);
  impl->batcher =
      std::make_unique<ContinuousBatcher>(*impl->ctx, impl->tokenizer, options.max_prefill_tokens);

  beast::error_code ec;
  auto address = net::ip::make_address(options.host, ec);
  if (ec) return Status::Error("'" + options.host + "' is not an IP address");
  tcp::endpoint endpoint(address, options.port);
  tcp::acceptor& a = impl->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Error(fmt::format("cannot listen on {}:{}: {}", options.host, options.port,
                                     ec.message()));
  }
  impl->bound_port = a.local_endpoint().port();
  Impl* p = impl.get();
  p->scheduler = std::thread([p] { p->SchedulerLoop(); });
  p->Accept();
  for (int i = 0; i < options.http_threads; ++i) {
    p->io_threads.emplace_back([p] { p->ioc.run(); });
  }
  return std::unique_ptr<OpenAiServer>(new OpenAiServer(std::move(impl)));
}

OpenAiServer::~OpenAiServer() { Shutdown(); }

uint16_t OpenAiServer::port() const { return impl_->bound_port; }

std::string OpenAiServer::base_url() const {
  const std::string& host = impl_->options.host;
  return fmt::format("http://{}:{}/v1", host.find(':') != std::string::npos ? "[" + host + "]" : host,
                     port());
}

void OpenAiServer::Shutdown() {
  std::call_once(impl_->shutdown_once, [this] {
    Impl& s = *impl_;
    s.draining = true;
    net::post(s.acceptor.get_executor(), [&s] {
      beast::error_code ec;
      s.acceptor.close(ec);
    });
    {
      std::lock_guard lock(s.sessions_mutex);
      for (auto& w : s.sessions) {
        if (auto session = w.lock()) {
          net::post(session->executor(), [session] { session->CloseIfIdle(); });
        }
      }
    }
    {
      std::lock_guard lock(s.queue_mutex);
      s.stopping = true;
    }
    s.queue_cv.notify_all();
    if (s.scheduler.joinable()) s.scheduler.join();
    s.work.reset();  // the io threads end once the last replies are written
    for (std::thread& t : s.io_threads) t.join();
  });
}

std::string OpenAiServer::MetricsText() const { return impl_->MetricsText(); }

}  // namespace pareto::inference
