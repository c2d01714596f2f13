// The OpenAI client against a server that misbehaves on purpose: 5xx, 429 with
// Retry-After, malformed JSON, streams cut in the middle, stalled connections; and its
// limits (concurrency, requests per minute) and its handling of the API key.
#include "inference/openai_client.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <thread>

#include "tests/inference/http_test_util.h"

namespace pareto::inference {
namespace {

using testing::FaultServer;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const char* kOkChat =
    R"({"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,)"
    R"("message":{"role":"assistant","content":"four"},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}})";

std::string Event(const std::string& json) { return "data: " + json + "\n\n"; }
std::string Piece(const std::string& text) {
  return Event(R"({"choices":[{"index":0,"delta":{"content":")" + text + R"("}}]})");
}

OpenAiClientOptions Options(const FaultServer& server) {
  OpenAiClientOptions o;
  o.base_url = server.url();
  o.model = "m";
  o.backoff_base = milliseconds(1);
  o.backoff_max = milliseconds(5);
  o.first_byte_timeout = milliseconds(5000);
  o.idle_timeout = milliseconds(5000);
  o.max_retries = 3;
  return o;
}

openai::TextRequest Ask(bool stream = false) {
  openai::TextRequest r;
  r.messages = {{"user", "2+2?"}};
  r.max_tokens = 4;
  r.temperature = 0;
  r.stream = stream;
  return r;
}

TEST(OpenAiClientTest, RetriesA500AndSucceeds) {
  FaultServer server([](auto& s, int i, const std::string&) {
    FaultServer::Write(s, i == 0 ? FaultServer::Reply(500, R"({"error":{"message":"boom"}})")
                                 : FaultServer::Reply(200, kOkChat));
  });
  auto client = *OpenAiClient::Create(Options(server));
  auto r = client->Complete(Ask());
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->response.text, "four");
  EXPECT_EQ(r->attempts, 2);
  EXPECT_EQ(r->prompt_tokens, 7);
  EXPECT_EQ(r->completion_tokens, 2);
  EXPECT_EQ(r->usage_source, "reported");
  EXPECT_EQ(server.requests(), 2);
}

TEST(OpenAiClientTest, PersistentServerErrorsBecomeAnErrorWithTheReason) {
  FaultServer server([](auto& s, int, const std::string&) {
    FaultServer::Write(s, FaultServer::Reply(503, R"({"error":{"message":"overloaded"}})"));
  });
  auto client = *OpenAiClient::Create(Options(server));
  auto r = client->Complete(Ask());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("HTTP 503: overloaded"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("after 4 attempts"), std::string::npos) << r.message();
  EXPECT_EQ(server.requests(), 4);  // the first try and three retries
}

TEST(OpenAiClientTest, HonoursRetryAfterOn429) {
  FaultServer server([](auto& s, int i, const std::string&) {
    FaultServer::Write(s, i == 0 ? FaultServer::Reply(429, R"({"error":{"message":"slow down"}})",
                                                      "Retry-After: 1\r\n")
                                 : FaultServer::Reply(200, kOkChat));
  });
  auto client = *OpenAiClient::Create(Options(server));
  auto r = client->Complete(Ask());
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->attempts, 2);
  auto at = server.arrivals();
  ASSERT_EQ(at.size(), 2u);
  // The back-off alone is at most 5 ms here; the second try waited for Retry-After.
  EXPECT_GE(at[1] - at[0], milliseconds(950));
}

TEST(OpenAiClientTest, BackOffGrowsAsPromised) {
  FaultServer server([](auto& s, int i, const std::string&) {
    FaultServer::Write(s, i < 3 ? FaultServer::Reply(500, R"({"error":{"message":"boom"}})")
                                : FaultServer::Reply(200, kOkChat));
  });
  auto o = Options(server);
  o.backoff_base = milliseconds(100);
  o.backoff_max = milliseconds(30'000);
  o.jitter_seed = 42;
  auto client = *OpenAiClient::Create(o);
  auto r = client->Complete(Ask());
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->attempts, 4);
  auto at = server.arrivals();
  ASSERT_EQ(at.size(), 4u);
  // The wait before retry k is base * 2^k times a jitter in [0.5, 1]: at least half of it
  // always (a floor, what the client promises), and no more than all of it plus the time an
  // exchange takes. The slack is generous, as the machine may be loaded: it catches a wait off
  // by a factor (no growth, no jitter bound), not a slow one.
  const milliseconds slack(1000);
  for (int k = 0; k < 3; ++k) {
    const milliseconds full = o.backoff_base * (1 << k);
    const auto gap = at[k + 1] - at[k];
    EXPECT_GE(gap, full / 2) << "retry " << k;
    EXPECT_LE(gap, full + slack) << "retry " << k;
  }
}

TEST(OpenAiClientTest, RetryAfterMayBeAnHttpDate) {
  // Three seconds from now, in whole seconds as HTTP dates are: a wait of two to three seconds
  // (at least one, however slowly this test reaches its first request).
  const std::time_t when = std::time(nullptr) + 3;
  std::tm gmt{};
  ::gmtime_r(&when, &gmt);
  char date[64];
  ASSERT_GT(std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &gmt), 0u);
  const std::string header = std::string("Retry-After: ") + date + "\r\n";
  FaultServer server([&](auto& s, int i, const std::string&) {
    FaultServer::Write(s, i == 0
                              ? FaultServer::Reply(429, R"({"error":{"message":"later"}})", header)
                              : FaultServer::Reply(200, kOkChat));
  });
  auto client = *OpenAiClient::Create(Options(server));  // back-off alone: at most 5 ms
  auto r = client->Complete(Ask());
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->attempts, 2);
  auto at = server.arrivals();
  ASSERT_EQ(at.size(), 2u);
  EXPECT_GE(at[1] - at[0], milliseconds(950)) << date;
}

TEST(OpenAiClientTest, RetryAfterIsCappedByRetryAfterMax) {
  FaultServer server([](auto& s, int i, const std::string&) {
    FaultServer::Write(s, i == 0 ? FaultServer::Reply(503, R"({"error":{"message":"later"}})",
                                                      "Retry-After: 3600\r\n")
                                 : FaultServer::Reply(200, kOkChat));
  });
  auto o = Options(server);
  o.retry_after_max = milliseconds(50);
  auto client = *OpenAiClient::Create(o);
  // Uncapped, an hour's wait would not fit the call's budget and the call would give up at
  // once ("no budget left to retry"); capped, it waits 50 ms and the retry succeeds.
  auto r = client->Complete(Ask(), milliseconds(60'000));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->attempts, 2);
  auto at = server.arrivals();
  ASSERT_EQ(at.size(), 2u);
  EXPECT_GE(at[1] - at[0], milliseconds(50));
}

TEST(OpenAiClientTest, OtherClientErrorsAreNotRetried) {
  FaultServer server([](auto& s, int, const std::string&) {
    FaultServer::Write(s, FaultServer::Reply(400, R"({"error":{"message":"bad max_tokens"}})"));
  });
  auto client = *OpenAiClient::Create(Options(server));
  auto r = client->Complete(Ask());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("HTTP 400: bad max_tokens"), std::string::npos) << r.message();
  EXPECT_EQ(server.requests(), 1);
}

TEST(OpenAiClientTest, MalformedJsonIsAnErrorNotACrash) {
  for (const char* body : {"{\"choices\": [", "[]", "{\"choices\":[{\"message\":{\"content\":7}}]}",
                           "\xff\xfe", "{\"choices\":\"no\"}"}) {
    FaultServer server([&](auto& s, int, const std::string&) {
      FaultServer::Write(s, FaultServer::Reply(200, body));
    });
    auto client = *OpenAiClient::Create(Options(server));
    auto r = client->Complete(Ask());
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_NE(r.message().find("malformed reply"), std::string::npos) << r.message();
    EXPECT_EQ(server.requests(), 1);
  }
}

TEST(OpenAiClientTest, MalformedStreamEventIsAnError) {
  FaultServer server([](auto& s, int, const std::string&) {
    FaultServer::Write(s, FaultServer::StreamHead() + Piece("a") + Event("{not json"));
  });
  auto client = *OpenAiClient::Create(Options(server));
  auto r = client->Complete(Ask(true));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("not valid JSON"), std::string::npos) << r.message();
  EXPECT_EQ(server.requests(), 1);
}

TEST(OpenAiClientTest, StreamCutMidwayIsRetried) {
  FaultServer server([](auto& s, int i, const std::string&) {
    std::string out = FaultServer::StreamHead() + Piece("fo");
    if (i > 0) {
      out += Piece("ur") + Event(R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})") +
             Event("[DONE]");
    }
    FaultServer::Write(s, out);  // the first reply ends (connection closed) after one piece
  });
  auto client = *OpenAiClient::Create(Options(server));
  auto r = client->Complete(Ask(true));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->attempts, 2);
  EXPECT_EQ(r->response.text, "four");  // nothing of the cut attempt remains
  EXPECT_EQ(r->piece_seconds.size(), 2u);
  EXPECT_EQ(r->completion_tokens, 2);
  EXPECT_EQ(r->usage_source, "counted:chunks");
}

TEST(OpenAiClientTest, AlwaysCutStreamFailsSayingSo) {
  FaultServer server([](auto& s, int, const std::string&) {
    FaultServer::Write(s, FaultServer::StreamHead() + Piece("fo"));
  });
  auto o = Options(server);
  o.max_retries = 1;
  auto client = *OpenAiClient::Create(o);
  auto r = client->Complete(Ask(true));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("cut before its end"), std::string::npos) << r.message();
  EXPECT_EQ(server.requests(), 2);
}

TEST(OpenAiClientTest, StalledConnectionTimesOutOnFirstByte) {
  std::atomic<bool> release{false};
  FaultServer server([&](auto&, int, const std::string&) {
    for (int i = 0; i < 100 && !release; ++i) std::this_thread::sleep_for(milliseconds(50));
  });
  auto o = Options(server);
  o.first_byte_timeout = milliseconds(200);
  o.max_retries = 1;
  auto client = *OpenAiClient::Create(o);
  auto r = client->Complete(Ask(true));
  release = true;
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("no reply within 200 ms"), std::string::npos) << r.message();
  EXPECT_EQ(server.requests(), 2);
}

TEST(OpenAiClientTest, StreamThatStallsMidwayTimesOutOnIdle) {
  std::atomic<bool> release{false};
  FaultServer server([&](auto& s, int, const std::string&) {
    FaultServer::Write(s, FaultServer::StreamHead() + Piece("fo"));
    for (int i = 0; i < 100 && !release; ++i) std::this_thread::sleep_for(milliseconds(50));
  });
  auto o = Options(server);
  o.idle_timeout = milliseconds(200);
  o.max_retries = 0;
  auto client = *OpenAiClient::Create(o);
  auto r = client->Complete(Ask(true));
  release = true;
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("stalled for more than 200 ms"), std::string::npos) << r.message();
}

TEST(OpenAiClientTest, TotalTimeoutBoundsAnAttempt) {
  std::atomic<bool> release{false};
  FaultServer server([&](auto& s, int, const std::string&) {
    FaultServer::Write(s, FaultServer::StreamHead());
    for (int i = 0; i < 100 && !release; ++i) {
      FaultServer::Write(s, ": keep-alive\n\n");  // bytes keep coming, no content ever does
      std::this_thread::sleep_for(milliseconds(50));
    }
  });
  auto o = Options(server);
  o.total_timeout = milliseconds(400);
  o.max_retries = 0;
  auto client = *OpenAiClient::Create(o);
  auto r = client->Complete(Ask(true));
  release = true;
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("timed out"), std::string::npos) << r.message();
}

TEST(OpenAiClientTest, ACallsBudgetBoundsAttemptsAndRetries) {
  std::atomic<bool> release{false};
  FaultServer server([&](auto&, int, const std::string&) {
    for (int i = 0; i < 100 && !release; ++i) std::this_thread::sleep_for(milliseconds(50));
  });
  auto client = *OpenAiClient::Create(Options(server));  // 5 s timeouts, 3 retries
  auto r = client->Complete(Ask(true), milliseconds(300));
  release = true;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message().rfind("timed out", 0), 0u) << r.message();
  EXPECT_EQ(server.requests(), 1);
}

TEST(OpenAiClientTest, RefusedConnectionIsRetriedThenReported) {
  uint16_t port;
  {
    FaultServer gone([](auto&, int, const std::string&) {});
    port = gone.port();
  }
  OpenAiClientOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  o.model = "m";
  o.backoff_base = milliseconds(1);
  o.max_retries = 2;
  auto client = *OpenAiClient::Create(o);
  auto r = client->Complete(Ask());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("after 3 attempts"), std::string::npos) << r.message();
}

TEST(OpenAiClientTest, ConcurrencyLimitBoundsRequestsInFlight) {
  // In flight: read by the server and not yet answered. Counted here rather than by open
  // connections, which stay open a moment after the answer (the client may already have
  // sent its next request by then, and a slow build, ASan's, widens that moment).
  std::atomic<int> in_flight{0}, most{0};
  FaultServer server([&](auto& s, int, const std::string&) {
    const int now = ++in_flight;
    for (int m = most; now > m && !most.compare_exchange_weak(m, now);) {
    }
    std::this_thread::sleep_for(milliseconds(100));
    --in_flight;
    FaultServer::Write(s, FaultServer::Reply(200, kOkChat));
  });
  auto o = Options(server);
  o.concurrency = 2;
  auto client = *OpenAiClient::Create(o);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] { ok += client->Complete(Ask()).ok(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 6);
  EXPECT_EQ(server.requests(), 6);
  EXPECT_EQ(most, 2);  // the limit is reached and never passed
}

TEST(OpenAiClientTest, RequestsPerMinuteSpacesStarts) {
  FaultServer server([](auto& s, int, const std::string&) {
    FaultServer::Write(s, FaultServer::Reply(200, kOkChat));
  });
  auto o = Options(server);
  o.concurrency = 4;
  o.requests_per_minute = 600;  // one start per 100 ms
  auto client = *OpenAiClient::Create(o);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { (void)client->Complete(Ask()); });
  for (auto& t : threads) t.join();
  auto at = server.arrivals();
  ASSERT_EQ(at.size(), 4u);
  std::sort(at.begin(), at.end());
  for (size_t i = 1; i < at.size(); ++i) EXPECT_GE(at[i] - at[i - 1], milliseconds(90));
}

TEST(OpenAiClientTest, CountsTokensWhenTheEndpointReportsNone) {
  FaultServer server([](auto& s, int, const std::string&) {
    FaultServer::Write(
        s, FaultServer::Reply(
               200, R"({"choices":[{"message":{"content":"a b c"},"finish_reason":"stop"}]})"));
  });
  auto o = Options(server);
  o.count_tokens = [](std::string_view text) {
    return static_cast<int>(std::count(text.begin(), text.end(), ' ') + 1);
  };
  auto client = *OpenAiClient::Create(o);
  auto r = client->Complete(Ask());
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->usage_source, "counted:tokenizer");
  EXPECT_EQ(r->completion_tokens, 3);
  EXPECT_EQ(r->prompt_tokens, 1);  // "2+2?"
}

TEST(OpenAiClientTest, TheApiKeyIsSentButNeverShown) {
  const std::string key = "sk-test-1234567890-secret";
  ::setenv("PARETO_TEST_KEY", key.c_str(), 1);
  // The peer echoes the Authorization header back, in an error and in a reply.
  FaultServer server([](auto& s, int i, const std::string& request) {
    size_t at = request.find("Authorization: ");
    std::string auth = request.substr(at, request.find("\r\n", at) - at);
    if (i == 0) {
      FaultServer::Write(s,
                         FaultServer::Reply(401, R"({"error":{"message":"bad )" + auth + R"("}})"));
    } else {
      FaultServer::Write(s, FaultServer::Reply(200, R"({"choices":[{"message":{"content":")" +
                                                        auth + R"("},"finish_reason":"stop"}]})"));
    }
  });
  auto o = Options(server);
  o.api_key_env = "PARETO_TEST_KEY";
  auto client = *OpenAiClient::Create(o);
  auto bad = client->Complete(Ask());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message().find(key), std::string::npos) << bad.message();
  EXPECT_NE(bad.message().find("[redacted]"), std::string::npos) << bad.message();
  auto good = client->Complete(Ask());
  ASSERT_TRUE(good.ok()) << good.message();
  EXPECT_EQ(good->response.text, "Authorization: Bearer [redacted]");
  // It was sent, as a bearer token.
  EXPECT_NE(server.texts()[0].find("Authorization: Bearer " + key), std::string::npos);

  o.api_key_env = "PARETO_TEST_KEY_UNSET";
  ::unsetenv("PARETO_TEST_KEY_UNSET");
  auto missing = OpenAiClient::Create(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("PARETO_TEST_KEY_UNSET is not set"), std::string::npos);
  ::unsetenv("PARETO_TEST_KEY");
}

TEST(OpenAiClientTest, BadOptionsAreErrors) {
  OpenAiClientOptions o;
  o.base_url = "ftp://x";
  EXPECT_FALSE(OpenAiClient::Create(o).ok());
  o.base_url = "http://127.0.0.1:1/v1";
  o.concurrency = 0;
  EXPECT_FALSE(OpenAiClient::Create(o).ok());
  o.concurrency = 1;
  o.headers["X-Bad"] = "a\r\nInjected: 1";
  EXPECT_FALSE(OpenAiClient::Create(o).ok());
}

}  // namespace
}  // namespace pareto::inference
