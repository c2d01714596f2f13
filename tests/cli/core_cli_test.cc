// pareto model new, logits, generate, bench, quantize: the real binary on models it makes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_runner.h"

namespace pareto::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class CoreCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pareto-core-cli-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // A small random llama model without a tokenizer.
  std::string NewModel(const std::string& name, const std::string& type = "f32") {
    CliResult r =
        run_pareto({"model",   "new", "--arch",     "llama", "--embd", "64",      "--layers",  "2",
                    "--heads", "4",   "--kv-heads", "2",     "--ffn",  "128",     "--n-vocab", "50",
                    "--seed",  "3",   "--type",     type,    "-o",     Path(name)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Path(name);
  }

  fs::path dir_;
};

TEST_F(CoreCliTest, LogitsOfTokenIdsForTheLastOrEveryPosition) {
  std::string model = NewModel("m.gguf");
  CliResult last = run_pareto({"logits", "--model", model, "--tokens", "1 2 3", "-t", "1"});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  Json j = Json::parse(last.out);
  EXPECT_EQ(j["tokens"], Json::parse("[1, 2, 3]"));
  ASSERT_EQ(j["logits"].size(), 50u);

  CliResult all = run_pareto({"logits", "--model", model, "--tokens", "1,2,3", "--all"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  Json a = Json::parse(all.out);
  ASSERT_EQ(a["logits"].size(), 3u);
  ASSERT_EQ(a["logits"][2].size(), 50u);
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_NEAR(a["logits"][2][i].get<double>(), j["logits"][i].get<double>(), 1e-5);
  }
}

TEST_F(CoreCliTest, QuantizedModelGivesCloseLogits) {
  std::string model = NewModel("m.gguf");
  CliResult q = run_pareto({"quantize", model, Path("q8.gguf"), "q8_0"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_NE(q.err.find("as Q8_0"), std::string::npos) << q.err;
  Json f32 = Json::parse(run_pareto({"logits", "-m", model, "--tokens", "4 5 6"}).out);
  Json q8 = Json::parse(run_pareto({"logits", "-m", Path("q8.gguf"), "--tokens", "4 5 6"}).out);
  double num = 0, den = 0;
  for (size_t i = 0; i < 50; ++i) {
    double d = f32["logits"][i].get<double>() - q8["logits"][i].get<double>();
    num += d * d;
    den += f32["logits"][i].get<double>() * f32["logits"][i].get<double>();
  }
  EXPECT_LT(std::sqrt(num / den), 0.05);

  CliResult bad = run_pareto({"quantize", model, Path("x.gguf"), "q5_1"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unsupported type"), std::string::npos);
}

TEST_F(CoreCliTest, BenchReportsPrefillAndDecodeAsJson) {
  std::string model = NewModel("m.gguf", "q4_0");
  CliResult r = run_pareto(
      {"bench", "-m", model, "-p", "16", "-n", "4", "-b", "2", "-r", "2", "-t", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["test"], "pp16");
  EXPECT_EQ(j[1]["test"], "tg4 x2");
  EXPECT_EQ(j[1]["batch"], 2);
  EXPECT_EQ(j[0]["type"], "Q4_0");
  EXPECT_EQ(j[0]["samples_s"].size(), 2u);
  EXPECT_EQ(j[0]["counters"]["tokens"], 16);
  // Four decode steps of two sequences each.
  EXPECT_EQ(j[1]["counters"]["tokens"], 8);

  CliResult table = run_pareto({"bench", "-m", model, "-p", "8", "-n", "0", "-r", "1"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("| pp8 |"), std::string::npos) << table.out;
}

TEST_F(CoreCliTest, HalfPrecisionKvCacheHalvesTheCacheTrafficAndKeepsTheLogitsClose) {
  std::string model = NewModel("m.gguf", "f16");
  Json kv[2];
  Json logits[2];
  const char* types[] = {"f32", "f16"};
  for (int i = 0; i < 2; ++i) {
    CliResult b = run_pareto({"bench", "-m", model, "-p", "8", "-n", "2", "-r", "1", "-t", "1",
                              "--json", "--kv-type", types[i]});
    ASSERT_EQ(b.exit_code, 0) << b.err;
    Json j = Json::parse(b.out);
    EXPECT_EQ(j[0]["kv_type"], types[i]);
    kv[i] = j[0]["counters"];
    CliResult l = run_pareto(
        {"logits", "-m", model, "--tokens", "4 5 6 7 8", "-t", "1", "--kv-type", types[i]});
    ASSERT_EQ(l.exit_code, 0) << l.err;
    logits[i] = Json::parse(l.out)["logits"];
  }
  EXPECT_EQ(kv[1]["kv_bytes_read"].get<uint64_t>() * 2, kv[0]["kv_bytes_read"].get<uint64_t>());
  EXPECT_EQ(kv[1]["kv_bytes_written"].get<uint64_t>() * 2,
            kv[0]["kv_bytes_written"].get<uint64_t>());
  EXPECT_EQ(kv[1]["weight_bytes"], kv[0]["weight_bytes"]);
  double num = 0, den = 0;
  for (size_t i = 0; i < 50; ++i) {
    double d = logits[1][i].get<double>() - logits[0][i].get<double>();
    num += d * d;
    den += logits[0][i].get<double>() * logits[0][i].get<double>();
  }
  EXPECT_GT(num, 0) << "the f16 cache gave the float cache's logits exactly";
  EXPECT_LT(std::sqrt(num / den), 1e-2);

  CliResult bad = run_pareto({"logits", "-m", model, "--tokens", "1", "--kv-type", "q8_0"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown --kv-type 'q8_0' (f32, f16)"), std::string::npos) << bad.err;
}

TEST_F(CoreCliTest, GenerateWithTheTokenizerOfAVocabularyFile) {
  fs::path vocab = fs::path(PARETO_SHARED_DIR) / "data/tokenizer/ggml-vocab-llama-spm.gguf";
  if (!fs::exists(vocab)) GTEST_SKIP() << "no shared data at " << vocab;
  CliResult made =
      run_pareto({"model", "new", "--embd", "64", "--layers", "1", "--heads", "2", "--ffn", "64",
                  "--vocab", vocab.string(), "--type", "q8_0", "-o", Path("v.gguf")});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  CliResult r = run_pareto({"generate", "-m", Path("v.gguf"), "-p", "Hello world", "-n", "5",
                            "--temp", "0", "--json", "--logprobs", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["prompt_tokens"], 3);  // <s> ▁Hello ▁world: BOS added as the model wants
  EXPECT_LE(j["completion_tokens"].get<int>(), 5);
  EXPECT_EQ(j["logprobs"].size(), j["completion_tokens"].get<size_t>());
  EXPECT_EQ(j["logprobs"][0]["top"].size(), 2u);
  EXPECT_TRUE(j["text"].is_string());

  CliResult text = run_pareto({"logits", "-m", Path("v.gguf"), "--text", "Hello world"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(Json::parse(text.out)["tokens"].size(), 3u);
}

TEST_F(CoreCliTest, ErrorsHaveTheirExitCodes) {
  std::string model = NewModel("m.gguf");
  EXPECT_EQ(run_pareto({"logits", "-m", model}).exit_code, 2);  // neither --text nor --tokens
  EXPECT_EQ(run_pareto({"logits", "-m", model, "--tokens", "1 x"}).exit_code, 2);
  CliResult oov = run_pareto({"logits", "-m", model, "--tokens", "50"});
  EXPECT_EQ(oov.exit_code, 2);
  EXPECT_NE(oov.err.find("outside the vocabulary"), std::string::npos) << oov.err;
  CliResult missing = run_pareto({"logits", "-m", Path("nope.gguf"), "--tokens", "1"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("nope.gguf"), std::string::npos);
  CliResult no_tokenizer = run_pareto({"generate", "-m", model, "-p", "hi"});
  EXPECT_EQ(no_tokenizer.exit_code, 3);
  CliResult bad_shape = run_pareto({"model", "new", "--embd", "60", "--layers", "1", "--heads", "4",
                                    "--ffn", "64", "--n-vocab", "10", "-o", Path("b.gguf")});
  EXPECT_EQ(bad_shape.exit_code, 2);
  EXPECT_FALSE(fs::exists(Path("b.gguf")));
}

}  // namespace
}  // namespace pareto::testing
