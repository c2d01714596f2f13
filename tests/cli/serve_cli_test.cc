// pareto serve: the real binary on a model `pareto model new` made, driven by our OpenAI
// client over loopback; its answers are the ones `pareto generate` gives.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "inference/openai_client.h"
#include "tests/cli/cli_runner.h"
#include "tests/inference/http_test_util.h"

namespace pareto {
namespace {

namespace fs = std::filesystem;
using inference::OpenAiClient;
using inference::OpenAiClientOptions;
using inference::openai::TextRequest;
using testing::run_pareto;

// A `pareto serve` process; stderr goes to a file we read for the address.
class ServeProcess {
 public:
  ServeProcess(const std::vector<std::string>& args, const fs::path& dir,
               const std::string& key = "") {
    err_ = dir / "serve.err";
    std::vector<std::string> argv_text = {PARETO_BINARY, "serve"};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      if (!key.empty()) ::setenv("PARETO_CLI_SERVE_KEY", key.c_str(), 1);
      if (!std::freopen(err_.c_str(), "w", stderr)) ::_exit(126);
      std::vector<char*> argv;
      for (auto& a : argv_text) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    // Wait (up to a minute on a loaded machine) for the address it prints.
    for (int i = 0; i < 6000 && url_.empty() && Running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      std::smatch m;
      std::string err = Stderr();
      static const std::regex address("listening on (http://127\\.0\\.0\\.1:[0-9]+/v1)");
      if (std::regex_search(err, m, address)) url_ = m[1];
    }
  }
  ~ServeProcess() {
    if (pid_ > 0 && exit_code_ < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  const std::string& url() const { return url_; }
  std::string Stderr() const { return testing::read_whole_file(err_); }
  bool Running() {
    if (exit_code_ >= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
      return false;
    }
    return true;
  }
  int Stop(int sig) {
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  fs::path err_;
  std::string url_;
};

class ServeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path vocab = fs::path(PARETO_SHARED_DIR) / "data/tokenizer/ggml-vocab-llama-spm.gguf";
    if (!fs::exists(vocab)) GTEST_SKIP() << "no shared data at " << vocab;
    std::string pattern = (fs::temp_directory_path() / "pareto-serve-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    model_ = (dir_ / "tiny.gguf").string();
    auto made = run_pareto({"model", "new", "--arch", "llama", "--embd", "64", "--layers", "2",
                            "--heads", "4", "--kv-heads", "2", "--ffn", "128", "--vocab",
                            vocab.string(), "--type", "q8_0", "-o", model_});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::unique_ptr<OpenAiClient> Client(const std::string& url, const std::string& key_env = "") {
    OpenAiClientOptions o;
    o.base_url = url;
    o.model = "tiny";
    o.api_key_env = key_env;
    o.max_retries = 0;
    return std::move(*OpenAiClient::Create(o));
  }

  // What `pareto generate` answers greedily.
  std::string Generated(const std::string& prompt, int n, bool chat) {
    std::vector<std::string> args = {"generate", "--model", model_, "--prompt", prompt, "-n",
                                     std::to_string(n), "--temp", "0", "--json", "-t", "1"};
    if (chat) {
      args.insert(args.end(), {"--chat", "--template", "completion"});
    }
    auto r = run_pareto(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_object() ? j["text"].get<std::string>() : "?";
  }

  // DIR/suite.pareto: one completion-mode addition task on generated samples, the answer
  // being the first line of the completion.
  void WriteAdditionSuite(const std::string& suite, int count, int seed, int max_tokens) {
    std::ofstream spec(dir_ / "suite.pareto");
    spec << "suite " << suite << "\n\n"
         << "task add1 {\n"
            "  kind    = analysis\n"
            "  mode    = completion\n"
            "  tags    = [arithmetic]\n"
            "  prompt  = \"{{a}}+{{b}}=\"\n"
         << "  samples = generate(addition, count = " << count << ", seed = " << seed
         << ", digits = 1)\n"
            "  extract = regex(\"^[^\\\\n]*\")\n"
            "  expect number(answer)\n"
         << "  budget { max_tokens = " << max_tokens << " }\n"
         << "}\n";
  }

  fs::path dir_;
  std::string model_;
};

TEST_F(ServeCliTest, AnswersAsGenerateDoesAndRequiresTheKey) {
  ServeProcess serve({"--model", model_, "--port", "0", "-t", "1", "--api-key-env",
                      "PARETO_CLI_SERVE_KEY"},
                     dir_, "sk-cli-secret");
  ASSERT_FALSE(serve.url().empty()) << serve.Stderr();
  ::setenv("PARETO_CLI_SERVE_KEY", "sk-cli-secret", 1);
  auto client = Client(serve.url(), "PARETO_CLI_SERVE_KEY");
  const std::string chat_want = Generated("Hello there", 10, true);
  const std::string plain_want = Generated("Hello there", 10, false);
  for (bool stream : {false, true}) {
    TextRequest chat;
    chat.messages = {{"user", "Hello there"}};
    chat.max_tokens = 10;
    chat.temperature = 0;
    chat.stream = stream;
    chat.logprobs = true;
    chat.top_logprobs = 2;
    auto r = client->Complete(chat);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->response.text, chat_want);
    EXPECT_EQ(r->response.logprobs.size(), 10u);
    TextRequest plain;
    plain.chat = false;
    plain.prompt = "Hello there";
    plain.max_tokens = 10;
    plain.temperature = 0;
    plain.stream = stream;
    auto p = client->Complete(plain);
    ASSERT_TRUE(p.ok()) << p.message();
    EXPECT_EQ(p->response.text, plain_want);
  }
  ::setenv("PARETO_CLI_SERVE_WRONG", "sk-wrong", 1);
  auto denied = Client(serve.url(), "PARETO_CLI_SERVE_WRONG")->Complete([] {
    TextRequest r;
    r.messages = {{"user", "hi"}};
    return r;
  }());
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.message().find("HTTP 401"), std::string::npos) << denied.message();
  EXPECT_EQ(denied.message().find("sk-wrong"), std::string::npos);
  EXPECT_EQ(serve.Stderr().find("sk-cli-secret"), std::string::npos);
  EXPECT_EQ(serve.Stop(SIGINT), 0);
}

TEST_F(ServeCliTest, ServesFromAHalfPrecisionCacheAsGenerateDoes) {
  ServeProcess serve({"--model", model_, "--port", "0", "-t", "1", "--kv-type", "f16"}, dir_);
  ASSERT_FALSE(serve.url().empty()) << serve.Stderr();
  EXPECT_NE(serve.Stderr().find("f16 KV cache"), std::string::npos) << serve.Stderr();
  auto r = run_pareto({"generate", "--model", model_, "--prompt", "Hello there", "-n", "12",
                       "--temp", "0", "--json", "-t", "1", "--kv-type", "f16"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string want = nlohmann::json::parse(r.out)["text"].get<std::string>();
  TextRequest plain;
  plain.chat = false;
  plain.prompt = "Hello there";
  plain.max_tokens = 12;
  plain.temperature = 0;
  auto p = Client(serve.url())->Complete(plain);
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->response.text, want);
  EXPECT_EQ(serve.Stop(SIGTERM), 0);

  auto bad = run_pareto({"serve", "--model", model_, "--port", "0", "--kv-type", "f8"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown --kv-type 'f8'"), std::string::npos) << bad.err;
}

// The end-to-end promise: `pareto run` with a tier declared openai(url = ...) served by
// `pareto serve` on the same GGUF gives the same greedy answers and scores as the embedded tier.
TEST_F(ServeCliTest, RunOnARemoteTierMatchesTheEmbeddedTier) {
  ServeProcess serve({"--model", model_, "--port", "0", "-t", "1"}, dir_);
  ASSERT_FALSE(serve.url().empty()) << serve.Stderr();
  {
    WriteAdditionSuite("remote.check", 6, 3, 6);
    std::ofstream tiers(dir_ / "tiers.pareto");
    tiers << "tier local { model = gguf(\"tiny.gguf\", threads = 1) }\n"
          << "tier remote { model = openai(url = \"" << serve.url() << "\", name = \"tiny\") }\n";
  }
  auto ran = run_pareto({"run", (dir_ / "suite.pareto").string(), "--tier-file",
                         (dir_ / "tiers.pareto").string(), "--out", (dir_ / "run").string(),
                         "--no-cache"});
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  std::map<std::string, std::map<std::string, nlohmann::json>> by_sample;  // sample -> tier
  std::istringstream lines(testing::read_whole_file(dir_ / "run" / "results.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    by_sample[j["sample_id"].get<std::string>()][j["tier"].get<std::string>()] = j;
  }
  ASSERT_EQ(by_sample.size(), 6u);
  for (const auto& [sample, tiers] : by_sample) {
    ASSERT_EQ(tiers.size(), 2u) << sample;
    const nlohmann::json& local = tiers.at("local");
    const nlohmann::json& remote = tiers.at("remote");
    EXPECT_EQ(remote["status"], local["status"]) << remote["error"];
    EXPECT_EQ(remote["completion"], local["completion"]) << "sample " << sample;
    EXPECT_EQ(remote["answer"], local["answer"]) << "sample " << sample;
    EXPECT_EQ(remote["score"], local["score"]) << "sample " << sample;
    EXPECT_EQ(remote["tokens"]["completion"], local["tokens"]["completion"]) << sample;
  }
  EXPECT_EQ(serve.Stop(SIGTERM), 0);
}

// The API key never leaves the Authorization header: not in results, manifest, summary, the
// run's output or the server's log, even when a tier with a wrong key is refused (401). That
// tier's items are recorded as errors with the reason, and the run goes on and exits 0.
// Afterwards /metrics (with the key) shows the modelled energy `pareto serve` wires in.
TEST_F(ServeCliTest, ApiKeysNeverShowAndARefusedTierIsRecordedAsErrors) {
  const std::string key = "sk-test-e2e-7f3a9c1d55b2";
  const std::string wrong = "sk-test-wrong-0b8e44d2";
  ServeProcess serve({"--model", model_, "--port", "0", "-t", "1", "--name", "tiny",
                      "--api-key-env", "PARETO_CLI_SERVE_KEY"},
                     dir_, key);
  ASSERT_FALSE(serve.url().empty()) << serve.Stderr();
  {
    WriteAdditionSuite("remote.keys", 4, 5, 4);
    std::ofstream tiers(dir_ / "tiers.pareto");
    tiers << "tier good { model = openai(url = \"" << serve.url()
          << "\", name = \"tiny\", api_key_env = \"PARETO_CLI_E2E_KEY\") }\n"
          << "tier bad { model = openai(url = \"" << serve.url()
          << "\", name = \"tiny\", api_key_env = \"PARETO_CLI_E2E_WRONG\", max_retries = 0) }\n";
  }
  ::setenv("PARETO_CLI_E2E_KEY", key.c_str(), 1);
  ::setenv("PARETO_CLI_E2E_WRONG", wrong.c_str(), 1);
  const fs::path out = dir_ / "run";
  auto ran = run_pareto({"run", (dir_ / "suite.pareto").string(), "--tier-file",
                         (dir_ / "tiers.pareto").string(), "--out", out.string(), "--no-cache"});
  ::unsetenv("PARETO_CLI_E2E_KEY");
  ::unsetenv("PARETO_CLI_E2E_WRONG");
  EXPECT_EQ(ran.exit_code, 0) << ran.err;  // errors are results, not a failed run

  std::map<std::string, int> items, errors;
  std::istringstream lines(testing::read_whole_file(out / "results.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    const std::string tier = j["tier"];
    ++items[tier];
    if (tier == "bad") {
      EXPECT_EQ(j["status"], "error");
      EXPECT_NE(j["error"].get<std::string>().find("HTTP 401"), std::string::npos) << j["error"];
      ++errors[tier];
    } else {
      EXPECT_NE(j["status"], "error") << j["error"];  // graded, or over its 4-token budget
      EXPECT_EQ(j["error"], "");
      EXPECT_GT(j["tokens"]["completion"].get<int>(), 0);
    }
  }
  EXPECT_EQ(items["good"], 4);
  EXPECT_EQ(items["bad"], 4);
  EXPECT_EQ(errors["bad"], 4);
  EXPECT_NE(ran.out.find("4 errors"), std::string::npos) << ran.out;

  const std::map<std::string, std::string> shown = {
      {"results.jsonl", testing::read_whole_file(out / "results.jsonl")},
      {"manifest.json", testing::read_whole_file(out / "manifest.json")},
      {"summary.json", testing::read_whole_file(out / "summary.json")},
      {"run stdout", ran.out},
      {"run stderr", ran.err},
      {"serve stderr", serve.Stderr()}};
  for (const auto& [what, text] : shown) {
    if (what != "run stdout" && what != "run stderr" && what != "serve stderr") {
      EXPECT_FALSE(text.empty()) << what;
    }
    EXPECT_EQ(text.find(key), std::string::npos) << what;
    EXPECT_EQ(text.find(wrong), std::string::npos) << what;
    EXPECT_EQ(text.find("sk-test-"), std::string::npos) << what;
  }

  const uint16_t port =
      static_cast<uint16_t>(std::stoi(serve.url().substr(serve.url().rfind(':') + 1)));
  auto metrics = inference::testing::RawExchange(
      port, inference::testing::HttpRequest("GET", "/metrics", "",
                                            "Authorization: Bearer " + key + "\r\n"));
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  auto joules = inference::testing::MetricValue(metrics.body,
                                                "pareto_energy_joules_total{source=\"modelled\"}");
  ASSERT_TRUE(joules.has_value()) << metrics.body;
  EXPECT_GT(*joules, 0);
  EXPECT_EQ(inference::testing::MetricValue(
                metrics.body, "pareto_http_requests_total{path=\"/v1/completions\",code=\"401\"}"),
            4.0)
      << metrics.body;
  EXPECT_EQ(serve.Stop(SIGTERM), 0);
}

TEST_F(ServeCliTest, SigtermLetsTheStreamInFlightFinish) {
  ServeProcess serve(
      {"--model", model_, "--port", "0", "-t", "1", "--name", "tiny", "--ctx", "4096"}, dir_);
  ASSERT_FALSE(serve.url().empty()) << serve.Stderr();
  const uint16_t port = static_cast<uint16_t>(
      std::stoi(serve.url().substr(serve.url().rfind(':') + 1)));
  auto client = Client(serve.url());
  std::optional<inference::Result<inference::OpenAiCompletion>> result;
  std::thread t([&] {
    TextRequest r;
    r.chat = false;
    r.prompt = "Once upon a time";
    r.max_tokens = 3000;
    r.temperature = 0;
    r.stream = true;
    result = client->Complete(r);
  });
  // Once the request holds a sequence, ask the server to stop.
  bool running = false;
  for (int i = 0; i < 3000 && !running; ++i) {
    auto m = inference::testing::RawExchange(port, inference::testing::HttpRequest("GET", "/metrics", ""));
    running = m.body.find("pareto_requests_running 1") != std::string::npos;
    if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(running);
  EXPECT_EQ(serve.Stop(SIGTERM), 0);
  t.join();
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok()) << result->message();
  EXPECT_FALSE((*result)->response.finish_reason.empty());
  EXPECT_GT((*result)->completion_tokens, 0);
  EXPECT_NE(serve.Stderr().find("pareto serve: stopped"), std::string::npos) << serve.Stderr();
}

TEST_F(ServeCliTest, BadArgumentsAndMissingModels) {
  EXPECT_EQ(run_pareto({"serve", "--model", model_, "--port", "70000"}).exit_code, 2);
  EXPECT_EQ(run_pareto({"serve", "--model", (dir_ / "absent.gguf").string(), "--port", "0"}).exit_code,
            3);
  ::unsetenv("PARETO_CLI_SERVE_NOKEY");
  auto nokey = run_pareto({"serve", "--model", model_, "--api-key-env", "PARETO_CLI_SERVE_NOKEY"});
  EXPECT_EQ(nokey.exit_code, 2);
  EXPECT_NE(nokey.err.find("PARETO_CLI_SERVE_NOKEY is not set"), std::string::npos) << nokey.err;
}

}  // namespace
}  // namespace pareto
