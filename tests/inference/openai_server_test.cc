// The OpenAI-compatible server on loopback, driven by our client and by raw HTTP: every
// endpoint, streaming and not, logprobs, batching, errors, authentication, shutdown.
#include "inference/openai_server.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "inference/continuous_batcher.h"
#include "inference/generator.h"
#include "inference/openai_client.h"
#include "tests/inference/http_test_util.h"

namespace pareto::inference {
namespace {

using testing::HttpRequest;
using testing::MetricValue;
using testing::RawExchange;
using testing::TinyModel;
using Json = nlohmann::json;

struct Served {
  TinyModel tiny;
  std::unique_ptr<OpenAiServer> server;

  explicit Served(OpenAiServerOptions o = {}) {
    o.port = 0;
    o.model_id = "tiny";
    o.n_ctx = 256;
    o.n_threads = 1;
    if (o.parallel == 8) o.parallel = 4;
    auto s = OpenAiServer::Start(*tiny.model, *tiny.tokenizer, ChatTemplate{}, o);
    EXPECT_TRUE(s.ok()) << s.message();
    server = std::move(*s);
  }

  std::unique_ptr<OpenAiClient> Client(int concurrency = 1, const std::string& key_env = "") {
    OpenAiClientOptions o;
    o.base_url = server->base_url();
    o.model = "tiny";
    o.concurrency = concurrency;
    o.api_key_env = key_env;
    o.max_retries = 0;
    return std::move(*OpenAiClient::Create(o));
  }

  // What the core itself generates greedily for a chat (the plain completion template).
  GenerationResult Embedded(const std::vector<ChatMessage>& messages, int max_tokens, int top = 0) {
    std::string text = *RenderChat(ChatTemplate{}, messages, true);
    auto prompt = tiny.tokenizer->Encode(text, {.add_special = true});
    return EmbeddedTokens(prompt, max_tokens, top);
  }
  GenerationResult EmbeddedTokens(const std::vector<TokenId>& prompt, int max_tokens, int top = 0) {
    ContextOptions co;
    co.n_ctx = 256;
    co.n_threads = 1;
    auto ctx = *Context::Create(*tiny.model, co);
    GenerateOptions g;
    g.max_tokens = max_tokens;
    g.sampler.top_logprobs = top;
    return *Generate(*ctx, *tiny.tokenizer, prompt, g);
  }
};

openai::TextRequest Chat(const std::string& user, int max_tokens, bool stream) {
  openai::TextRequest r;
  r.messages = {{"user", user}};
  r.max_tokens = max_tokens;
  r.temperature = 0;
  r.stream = stream;
  return r;
}

TEST(OpenAiServerTest, ChatGivesTheCoresGreedyAnswerWholeAndStreamed) {
  Served s;
  auto client = s.Client();
  GenerationResult want = s.Embedded({{"user", "Hello world"}}, 12);
  for (bool stream : {false, true}) {
    auto req = Chat("Hello world", 12, stream);
    req.include_usage = stream;
    auto r = client->Complete(req);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->response.text, want.text) << "stream " << stream;
    EXPECT_EQ(r->response.finish_reason, want.finish_reason);
    EXPECT_EQ(r->usage_source, "reported");
    EXPECT_EQ(r->prompt_tokens, want.prompt_tokens);
    EXPECT_EQ(r->completion_tokens, static_cast<int>(want.tokens.size()));
    if (stream) {
      EXPECT_FALSE(r->piece_seconds.empty());
      EXPECT_GT(r->ttft_seconds, 0);
      EXPECT_LE(r->ttft_seconds, r->total_seconds);
      EXPECT_EQ(r->InterTokenSeconds().size(), r->piece_seconds.size() - 1);
    }
  }
}

TEST(OpenAiServerTest, StreamWithoutUsageIsCountedFromPieces) {
  Served s;
  auto r = s.Client()->Complete(Chat("the cat", 6, true));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->usage_source, "counted:chunks");
  EXPECT_EQ(r->completion_tokens, static_cast<int>(r->piece_seconds.size()));
}

TEST(OpenAiServerTest, LogprobsBothWaysMatchTheCore) {
  Served s;
  auto client = s.Client();
  GenerationResult want = s.Embedded({{"user", "the cat sat"}}, 8, 3);
  for (bool stream : {false, true}) {
    auto req = Chat("the cat sat", 8, stream);
    req.logprobs = true;
    req.top_logprobs = 3;
    auto r = client->Complete(req);
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_TRUE(r->response.has_logprobs);
    ASSERT_EQ(r->response.logprobs.size(), want.tokens.size()) << "stream " << stream;
    for (size_t i = 0; i < want.tokens.size(); ++i) {
      const auto& got = r->response.logprobs[i];
      EXPECT_EQ(got.token, s.tiny.tokenizer->TokenPiece(want.tokens[i].id));
      EXPECT_NEAR(got.logprob, want.tokens[i].logprob, 1e-5);
      ASSERT_EQ(got.top.size(), 3u);
      EXPECT_NEAR(got.top[0].logprob, want.tokens[i].top[0].logprob, 1e-5);
      EXPECT_EQ(got.top[0].token, s.tiny.tokenizer->TokenPiece(want.tokens[i].top[0].id));
    }
  }
}

TEST(OpenAiServerTest, CompletionsTakeTextOrTokenIdsWithLegacyLogprobs) {
  Served s;
  auto client = s.Client();
  auto prompt = s.tiny.tokenizer->Encode("the mat", {.add_special = true});
  GenerationResult want = s.EmbeddedTokens(prompt, 7, 2);
  for (bool as_ids : {false, true}) {
    for (bool stream : {false, true}) {
      openai::TextRequest req;
      req.chat = false;
      if (as_ids) {
        req.prompt_tokens = prompt;
      } else {
        req.prompt = "the mat";
      }
      req.max_tokens = 7;
      req.temperature = 0;
      req.stream = stream;
      req.logprobs = true;
      req.top_logprobs = 2;
      auto r = client->Complete(req);
      ASSERT_TRUE(r.ok()) << r.message();
      EXPECT_EQ(r->response.text, want.text);
      ASSERT_EQ(r->response.logprobs.size(), want.tokens.size());
      EXPECT_NEAR(r->response.logprobs[0].logprob, want.tokens[0].logprob, 1e-5);
      EXPECT_EQ(r->response.logprobs[0].top.size(), 2u);
    }
  }
}

TEST(OpenAiServerTest, StopStringsAndMaxTokensEndTheReply) {
  Served s;
  auto client = s.Client();
  GenerationResult full = s.Embedded({{"user", "Hello"}}, 10);
  ASSERT_GE(full.text.size(), 4u);
  auto req = Chat("Hello", 10, true);
  req.stop = {full.text.substr(2, 2)};
  auto r = client->Complete(req);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->response.finish_reason, "stop");
  EXPECT_EQ(full.text.rfind(r->response.text, 0), 0u);  // a prefix of the full text
  EXPECT_EQ(r->response.text.find(req.stop[0]), std::string::npos);
  auto one = client->Complete(Chat("Hello", 1, false));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->completion_tokens, 1);
}

TEST(OpenAiServerTest, ConcurrentRequestsEachGetTheirOwnAnswer) {
  OpenAiServerOptions o;
  o.parallel = 4;
  Served s(o);
  auto client = s.Client(8);
  const std::vector<std::string> prompts = {"the",   "cat",    "sat on",      "mat",       "Hello",
                                            "world", "on the", "the cat sat", "Hello cat", "x y z"};
  std::vector<std::string> want;
  for (const auto& p : prompts) want.push_back(s.Embedded({{"user", p}}, 16).text);
  std::vector<std::string> got(prompts.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < prompts.size(); ++i) {
    threads.emplace_back([&, i] {
      auto r = client->Complete(Chat(prompts[i], 16, i % 2 == 0));
      got[i] = r.ok() ? r->response.text : "error: " + r.message();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(got, want);
  std::string metrics = s.server->MetricsText();
  EXPECT_NE(
      metrics.find("pareto_http_requests_total{path=\"/v1/chat/completions\",code=\"200\"} 10"),
      std::string::npos)
      << metrics;
}

// A context of `n_seq` sequences of 128 positions on one thread.
std::unique_ptr<Context> BatcherContext(const TinyModel& tiny, int n_seq) {
  ContextOptions co;
  co.n_ctx = 128;
  co.n_seq = n_seq;
  co.n_threads = 1;
  return *Context::Create(*tiny.model, co);
}

// A request for `n` tokens of `text` that does not stop at the end token.
BatchRequest TokensOf(const TinyModel& tiny, const std::string& text, int n) {
  BatchRequest r;
  r.prompt = tiny.tokenizer->Encode(text, {.add_special = true});
  r.options.max_tokens = n;
  r.options.stop_at_end_token = false;
  return r;
}

TEST(ContinuousBatcherTest, RequestsJoinAndLeaveWhileOthersRun) {
  TinyModel tiny;
  auto ctx = BatcherContext(tiny, 3);
  ContextOptions co;
  co.n_ctx = 128;
  co.n_threads = 1;
  ContinuousBatcher batcher(*ctx, *tiny.tokenizer, 4);
  auto request = [&](const std::string& text, int n) { return TokensOf(tiny, text, n); };
  auto alone = [&](const std::string& text, int n) {
    ContextOptions one = co;
    one.n_seq = 1;
    auto c = *Context::Create(*tiny.model, one);
    GenerateOptions g;
    g.max_tokens = n;
    g.stop_at_end_token = false;
    return Generate(*c, *tiny.tokenizer, tiny.tokenizer->Encode(text, {.add_special = true}), g)
        ->text;
  };
  std::map<int64_t, std::string> texts;
  std::vector<BatchOutcome> done;
  int64_t a = *batcher.Add(request("the cat sat on the mat", 5));
  int64_t b = *batcher.Add(request("Hello", 12));
  batcher.Step(&done);  // prefill slices (4 tokens per pass)
  batcher.Step(&done);
  int64_t c = *batcher.Add(request("world", 3));    // joins while the others run
  EXPECT_FALSE(batcher.Add(request("x", 1)).ok());  // every sequence is taken
  int max_active = 0;
  while (batcher.active() > 0) {
    max_active = std::max(max_active, batcher.active());
    batcher.Step(&done);
  }
  EXPECT_EQ(max_active, 3);
  ASSERT_EQ(done.size(), 3u);
  for (auto& o : done) {
    ASSERT_TRUE(o.status.ok()) << o.status.message();
    texts[o.id] = o.result.text;
  }
  EXPECT_EQ(texts[a], alone("the cat sat on the mat", 5));
  EXPECT_EQ(texts[b], alone("Hello", 12));
  EXPECT_EQ(texts[c], alone("world", 3));
  // Fewer passes than tokens: passes were shared.
  EXPECT_LT(batcher.passes(), batcher.total_counters().tokens);
}

TEST(ContinuousBatcherTest, LastPassNamesItsRequestsAndCancelEndsOneAtOnce) {
  TinyModel tiny;
  auto ctx = BatcherContext(tiny, 2);
  ContinuousBatcher batcher(*ctx, *tiny.tokenizer, 64);
  const BatchRequest first = TokensOf(tiny, "the cat sat on the mat", 20);
  const BatchRequest second = TokensOf(tiny, "Hello", 20);
  const int first_tokens = static_cast<int>(first.prompt.size());
  const int second_tokens = static_cast<int>(second.prompt.size());
  const int64_t a = *batcher.Add(first);
  const int64_t b = *batcher.Add(second);
  std::vector<BatchOutcome> done;
  batcher.Step(&done);  // both prefills, whole
  EXPECT_EQ(batcher.last_pass(),
            (std::vector<std::pair<int64_t, int>>{{a, first_tokens}, {b, second_tokens}}));
  batcher.Step(&done);  // one token each
  EXPECT_EQ(batcher.last_pass(), (std::vector<std::pair<int64_t, int>>{{a, 1}, {b, 1}}));
  batcher.Cancel(a, &done);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].id, a);
  EXPECT_TRUE(done[0].cancelled);
  EXPECT_TRUE(done[0].status.ok());
  EXPECT_EQ(done[0].result.tokens.size(), 1u);  // what it had when cancelled
  EXPECT_EQ(batcher.active(), 1);
  batcher.Cancel(a, &done);  // no longer active: nothing happens
  EXPECT_EQ(done.size(), 1u);
  batcher.Step(&done);
  EXPECT_EQ(batcher.last_pass(), (std::vector<std::pair<int64_t, int>>{{b, 1}}));
  while (batcher.active() > 0) batcher.Step(&done);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_FALSE(done[1].cancelled);
  EXPECT_EQ(done[1].result.tokens.size(), 20u);
}

// --- raw HTTP: errors are OpenAI-style JSON, never a crash ---

Json ErrorOf(const testing::RawReply& r) {
  Json j = Json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("error") ? j["error"] : Json();
}

TEST(OpenAiServerTest, BadRequestsGetOpenAiStyleErrors) {
  OpenAiServerOptions o;
  o.max_body_bytes = 4096;
  Served s(o);
  const uint16_t port = s.server->port();
  struct Case {
    std::string request;
    int status;
    std::string param_or_code;
  };
  const std::string chat = "/v1/chat/completions";
  const std::vector<Case> cases = {
      {HttpRequest("POST", chat, "{not json"), 400, ""},
      {HttpRequest("POST", chat, "[1,2]"), 400, ""},
      {HttpRequest("POST", chat, R"({"model":"tiny"})"), 400, "messages"},
      {HttpRequest(
           "POST", chat,
           R"({"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":"x"})"),
       400, "max_tokens"},
      {HttpRequest(
           "POST", chat,
           R"({"model":"tiny","messages":[{"role":"user","content":"hi"}],"temperature":9})"),
       400, "temperature"},
      {HttpRequest("POST", chat, R"({"model":"tiny","messages":[{"role":7,"content":"hi"}]})"), 400,
       "messages[0].role"},
      {HttpRequest("POST", chat,
                   R"({"model":"gpt-9","messages":[{"role":"user","content":"hi"}]})"),
       404, "model_not_found"},
      {HttpRequest("POST", chat, std::string(5000, ' ')), 413, "request_too_large"},
      {HttpRequest("POST", chat, std::string(200, '[')), 400, ""},
      {HttpRequest("POST", "/v1/completions", R"({"model":"tiny","prompt":[99999]})"), 400,
       "prompt"},
      {HttpRequest("GET", chat, ""), 405, "method_not_allowed"},
      {HttpRequest("GET", "/v2/nothing", ""), 404, "not_found"},
  };
  for (const Case& c : cases) {
    auto r = RawExchange(port, c.request);
    EXPECT_EQ(r.status, c.status) << c.request.substr(0, 200) << "\n" << r.body;
    Json e = ErrorOf(r);
    ASSERT_TRUE(e.is_object()) << r.body;
    EXPECT_TRUE(e["message"].is_string());
    if (!c.param_or_code.empty()) {
      EXPECT_TRUE(e["param"] == c.param_or_code || e["code"] == c.param_or_code) << e.dump();
    }
  }
  // Garbage that is not HTTP at all.
  auto junk = RawExchange(port, "\x01\x02 nonsense\r\n\r\n");
  EXPECT_EQ(junk.status, 400);
  // The server is still up.
  EXPECT_EQ(RawExchange(port, HttpRequest("GET", "/health", "")).status, 200);
}

TEST(OpenAiServerTest, ModelsHealthAndMetrics) {
  OpenAiServerOptions o;
  o.energy_joules = [](const ForwardCounters& c) { return c.flops * 1e-12; };
  Served s(o);
  auto client = s.Client();
  auto models = client->ListModels();
  ASSERT_TRUE(models.ok()) << models.message();
  EXPECT_EQ(*models, std::vector<std::string>{"tiny"});
  auto ask = Chat("Hello", 5, true);
  ask.include_usage = true;
  auto r = client->Complete(ask);
  ASSERT_TRUE(r.ok());
  auto health = RawExchange(s.server->port(), HttpRequest("GET", "/health", ""));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Json::parse(health.body)["status"], "ok");
  auto metrics = RawExchange(s.server->port(), HttpRequest("GET", "/metrics", ""));
  EXPECT_EQ(metrics.status, 200);
  for (const char* line :
       {"pareto_completion_tokens_total 5", "pareto_time_to_first_token_seconds_count 1",
        "pareto_request_duration_seconds_bucket{le=\"+Inf\"} 1", "pareto_flops_total",
        "pareto_energy_joules_total{source=\"modelled\"}",
        "pareto_http_requests_total{path=\"/v1/models\",code=\"200\"} 1"}) {
    EXPECT_NE(metrics.body.find(line), std::string::npos) << line << "\n" << metrics.body;
  }
  // Five streamed tokens are four gaps; the prompt count is the one the reply reported.
  EXPECT_EQ(MetricValue(metrics.body, "pareto_inter_token_latency_seconds_count"), 4.0)
      << metrics.body;
  EXPECT_EQ(r->usage_source, "reported");
  EXPECT_GT(r->prompt_tokens, 0);
  EXPECT_EQ(MetricValue(metrics.body, "pareto_prompt_tokens_total"),
            static_cast<double>(r->prompt_tokens));
  auto joules = MetricValue(metrics.body, "pareto_energy_joules_total{source=\"modelled\"}");
  ASSERT_TRUE(joules.has_value()) << metrics.body;
  EXPECT_GT(*joules, 0);
}

TEST(OpenAiServerTest, BearerKeyIsRequiredWhenSet) {
  OpenAiServerOptions o;
  o.api_key = "sk-serve-secret";
  Served s(o);
  const uint16_t port = s.server->port();
  const std::string body =
      R"({"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":2})";
  EXPECT_EQ(RawExchange(port, HttpRequest("POST", "/v1/chat/completions", body)).status, 401);
  EXPECT_EQ(RawExchange(port, HttpRequest("POST", "/v1/chat/completions", body,
                                          "Authorization: Bearer wrong\r\n"))
                .status,
            401);
  EXPECT_EQ(RawExchange(port, HttpRequest("GET", "/metrics", "")).status, 401);
  EXPECT_EQ(RawExchange(port, HttpRequest("GET", "/health", "")).status, 200);
  ::setenv("PARETO_SERVE_TEST_KEY", "sk-serve-secret", 1);
  auto r = s.Client(1, "PARETO_SERVE_TEST_KEY")->Complete(Chat("hi", 2, false));
  EXPECT_TRUE(r.ok()) << r.message();
  ::unsetenv("PARETO_SERVE_TEST_KEY");
}

TEST(OpenAiServerTest, AClientThatLeavesMidStreamDoesNotDisturbOthers) {
  Served s;
  const uint16_t port = s.server->port();
  {
    testing::net::io_context io;
    testing::tcp::socket sock(io);
    sock.connect({testing::net::ip::make_address("127.0.0.1"), port});
    std::string body =
        R"({"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":200,"stream":true})";
    testing::net::write(sock,
                        testing::net::buffer(HttpRequest("POST", "/v1/chat/completions", body)));
    char buf[64];
    sock.read_some(testing::net::buffer(buf));
  }  // closed after the first bytes
  auto r = s.Client()->Complete(Chat("Hello", 6, true));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->response.text, s.Embedded({{"user", "Hello"}}, 6).text);
}

TEST(OpenAiServerTest, ShutdownLetsInFlightStreamsFinish) {
  Served s;
  auto client = s.Client();
  std::optional<Result<OpenAiCompletion>> result;
  std::thread t([&] { result = client->Complete(Chat("Hello", 120, true)); });
  // Wait until the request holds a sequence.
  for (int i = 0; i < 2000; ++i) {
    if (s.server->MetricsText().find("pareto_requests_running 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  s.server->Shutdown();
  t.join();
  ASSERT_TRUE(result && result->ok()) << (result ? result->message() : "no result");
  EXPECT_EQ((*result)->response.text, s.Embedded({{"user", "Hello"}}, 120).text);
  // Nothing listens any more.
  EXPECT_FALSE(client->Complete(Chat("Hello", 2, false)).ok());
}

}  // namespace
}  // namespace pareto::inference
