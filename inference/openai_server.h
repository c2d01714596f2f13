// An OpenAI-compatible HTTP server for the embedded core (Boost.Beast over Asio), the
// library behind `pareto serve`.
//
//   GET  /v1/models             the one model served
//   POST /v1/chat/completions   chat, whole or streamed (server-sent events), with logprobs
//   POST /v1/completions        plain completions, the same
//   GET  /health                {"status": "ok"} (no key needed)
//   GET  /metrics               Prometheus text: requests, tokens, latency histograms, the
//                               forward passes' work counters and, when the caller supplies
//                               an energy model, modelled joules
//
// Requests from all connections go to one scheduler thread that owns the Context and
// batches them continuously (continuous_batcher.h): every forward pass carries one token of
// each running request, so concurrent clients share the weight reads. Requests beyond the
// free sequences wait in a bounded queue (full: 503).
//
// Everything a peer sends is untrusted: bodies beyond max_body_bytes get 413, malformed
// JSON, wrong types and unknown models a 4xx with an OpenAI-style error body, never a
// crash. With an API key set, /v1/* and /metrics need "Authorization: Bearer <key>".
// Shutdown() stops accepting, lets every request already received finish (streams
// included), closes idle connections, and returns once all is done.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "inference/chat_template.h"
#include "inference/context.h"
#include "inference/model.h"
#include "inference/openai_protocol.h"
#include "inference/status.h"
#include "inference/tokenizer.h"

namespace pareto::inference {

struct OpenAiServerOptions {
  std::string host = "127.0.0.1";  // loopback unless told otherwise
  uint16_t port = 8080;            // 0: any free port (see OpenAiServer::port())
  std::string model_id = "pareto";  // the name /v1/models lists and requests must use
  std::string api_key;              // empty: no authentication
  size_t max_body_bytes = 1 << 20;
  int parallel = 8;        // sequences decoded together (the Context's n_seq)
  int n_ctx = 2048;        // positions per sequence
  int n_threads = 0;       // the forward pass's threads; 0: all hardware threads
  KvType kv_type = KvType::kF32;  // the cache's element
  int http_threads = 2;    // threads serving connections
  size_t max_queue = 256;  // requests waiting for a sequence; more get 503
  int default_max_tokens = 256;
  int max_prefill_tokens = 512;  // prompt tokens per forward pass
  // Joules for some forward-pass work, when the caller has an energy model (the server
  // itself knows none); with it /metrics reports pareto_energy_joules_total.
  std::function<double(const ForwardCounters&)> energy_joules;
  std::string energy_label = "modelled";  // the source label of those joules
};

class OpenAiServer {
 public:
  // Binds and starts serving at once. `model`, `tokenizer` and `chat` are what requests run
  // on; the model must outlive the server. Errors: the address cannot be bound, bad options.
  static Result<std::unique_ptr<OpenAiServer>> Start(const Model& model, Tokenizer tokenizer,
                                                     ChatTemplate chat,
                                                     const OpenAiServerOptions& options);
  ~OpenAiServer();  // Shutdown(), then waits
  OpenAiServer(const OpenAiServer&) = delete;
  OpenAiServer& operator=(const OpenAiServer&) = delete;

  uint16_t port() const;
  // http://host:port/v1
  std::string base_url() const;

  // Graceful: stop accepting, finish what was received, then stop. Safe to call from any
  // thread (a signal-waiting thread, a test) and more than once; returns when done.
  void Shutdown();

  // The /metrics text, as the endpoint serves it.
  std::string MetricsText() const;

  struct Impl;

 private:
  explicit OpenAiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pareto::inference
