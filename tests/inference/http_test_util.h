// Shared by the OpenAI client and server tests: a tiny real model with a printable
// vocabulary, a raw HTTP/1.1 exchange over loopback, and a scriptable server that misbehaves
// on purpose (errors, Retry-After, malformed bodies, cut streams, stalls).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "inference/chat_template.h"
#include "inference/gguf.h"
#include "inference/model.h"
#include "inference/model_builder.h"
#include "inference/tokenizer.h"

namespace pareto::inference::testing {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// A random model over <unk>, <s>, </s>, "▁", the printable ASCII bytes as byte tokens and a
// few words: any text encodes, and everything it generates is printable ASCII.
struct TinyModel {
  std::vector<uint8_t> bytes;
  std::unique_ptr<Model> model;
  std::optional<Tokenizer> tokenizer;

  explicit TinyModel(uint64_t seed = 5) {
    Vocabulary v;
    v.tokens = {"<unk>", "<s>", "</s>", "\xE2\x96\x81"};
    v.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl, TokenType::kNormal};
    for (int b = 0x20; b < 0x7F; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      v.tokens.push_back(name);
      v.types.push_back(TokenType::kByte);
    }
    for (const char* w : {"the", "cat", "sat", "on", "mat", "Hello", "world"}) {
      v.tokens.push_back(std::string("\xE2\x96\x81") + w);
      v.types.push_back(TokenType::kNormal);
    }
    v.scores.assign(v.tokens.size(), 0.0f);
    for (size_t i = 0; i < v.tokens.size(); ++i)
      v.scores[i] = static_cast<float>(v.tokens[i].size());
    v.unk = 0;
    v.bos = 1;
    v.eos = 2;
    v.add_bos = true;
    auto t = Tokenizer::Create(v);
    EXPECT_TRUE(t.ok()) << t.message();
    tokenizer = std::move(*t);
    NewModelSpec spec;
    spec.n_vocab = static_cast<int>(v.tokens.size());
    spec.seed = seed;
    spec.type = TensorType::kQ8_0;
    bytes = *BuildRandomModel(spec, nullptr)->Serialize();
    model = std::move(*Model::FromGguf(*GgufFile::Parse(bytes)));
  }
};

struct RawReply {
  int status = 0;
  std::string head;
  std::string body;  // as sent (chunked bodies are not decoded)
};

// Sends `bytes` to 127.0.0.1:port and reads until the peer closes.
inline RawReply RawExchange(uint16_t port, const std::string& bytes) {
  net::io_context io;
  tcp::socket s(io);
  boost::system::error_code ec;
  s.connect({net::ip::make_address("127.0.0.1"), port}, ec);
  RawReply r;
  if (ec) return r;
  net::write(s, net::buffer(bytes), ec);
  std::string all;
  char buf[4096];
  for (;;) {
    size_t n = s.read_some(net::buffer(buf), ec);
    all.append(buf, n);
    if (ec) break;
  }
  size_t split = all.find("\r\n\r\n");
  r.head = all.substr(0, split);
  r.body = split == std::string::npos ? "" : all.substr(split + 4);
  if (all.size() > 12) r.status = std::atoi(all.substr(9, 3).c_str());
  return r;
}

// A request with Connection: close, so RawExchange's read ends.
inline std::string HttpRequest(const std::string& method, const std::string& path,
                               const std::string& body, const std::string& extra_headers = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
         "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + extra_headers + "\r\n" + body;
}

// The value of one series in Prometheus text ("name" or "name{labels}" exactly as written),
// or nullopt when no line carries it.
inline std::optional<double> MetricValue(const std::string& text, const std::string& series) {
  const std::string head = series + " ";
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (text.compare(at, head.size(), head) == 0) {
      return std::strtod(text.c_str() + at + head.size(), nullptr);
    }
    at = end + 1;
  }
  return std::nullopt;
}

// A server whose every answer is scripted: `act` gets the connection, the request's index
// (0, 1, ...) and its text, and writes whatever it likes. Records arrival times and texts.
class FaultServer {
 public:
  using Act = std::function<void(tcp::socket&, int, const std::string&)>;

  explicit FaultServer(Act act) : act_(std::move(act)), acceptor_(io_) {
    tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Loop(); });
  }
  ~FaultServer() {
    stop_ = true;
    boost::system::error_code ec;
    // Wake the accept with a connection of our own.
    net::io_context io;
    tcp::socket s(io);
    s.connect({net::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
    for (auto& t : workers_) t.join();
  }

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int requests() const { return count_; }
  std::vector<std::chrono::steady_clock::time_point> arrivals() const {
    std::lock_guard lock(mutex_);
    return arrivals_;
  }
  std::vector<std::string> texts() const {
    std::lock_guard lock(mutex_);
    return texts_;
  }

  // Helpers for scripts.
  static void Write(tcp::socket& s, const std::string& bytes) {
    boost::system::error_code ec;
    net::write(s, net::buffer(bytes), ec);
  }
  static std::string Reply(int status, const std::string& body,
                           const std::string& extra_headers = "") {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
           "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n" +
           extra_headers + "\r\n" + body;
  }
  static std::string StreamHead() {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
  }

 private:
  void Loop() {
    for (;;) {
      tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (stop_ || ec) return;
      workers_.emplace_back([this, sock = std::move(s)]() mutable { Serve(std::move(sock)); });
    }
  }
  void Serve(tcp::socket s) {
    std::string text;
    char buf[4096];
    boost::system::error_code ec;
    size_t want = std::string::npos;
    while (want == std::string::npos || text.size() < want) {
      size_t n = s.read_some(net::buffer(buf), ec);
      if (ec) break;
      text.append(buf, n);
      size_t head = text.find("\r\n\r\n");
      if (head != std::string::npos && want == std::string::npos) {
        size_t cl = text.find("Content-Length: ");
        size_t len = cl == std::string::npos ? 0 : std::stoul(text.substr(cl + 16));
        want = head + 4 + len;
      }
    }
    int index;
    {
      std::lock_guard lock(mutex_);
      arrivals_.push_back(std::chrono::steady_clock::now());
      texts_.push_back(text);
      index = count_++;
    }
    act_(s, index, text);
    s.shutdown(tcp::socket::shutdown_both, ec);
    s.close(ec);
  }

  Act act_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stop_{false};
  std::atomic<int> count_{0};
  mutable std::mutex mutex_;
  std::vector<std::chrono::steady_clock::time_point> arrivals_;
  std::vector<std::string> texts_;
};

}  // namespace pareto::inference::testing
