// pareto tokenize, run as a user would: ids on one line, --special, --json, exit codes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/cli_runner.h"

namespace {

namespace fs = std::filesystem;

using pareto::testing::CliResult;
using pareto::testing::run_pareto;

std::string Vocab(const std::string& name) {
  return (fs::path(PARETO_SHARED_DIR) / "data" / "tokenizer" / ("ggml-vocab-" + name + ".gguf"))
      .string();
}

#define REQUIRE_VOCABS()                                                    \
  if (!fs::exists(Vocab("gpt-2"))) {                                        \
    GTEST_SKIP() << "no tokenizer vocabularies under " << PARETO_SHARED_DIR \
                 << " (../shared is absent; set PARETO_SHARED_DIR)";        \
  }

TEST(TokenizeCommand, PrintsTheIdsOnOneLine) {
  REQUIRE_VOCABS();
  // The reference ids for these strings (../shared/data/tokenizer/*.out).
  CliResult r = run_pareto({"tokenize", "--model", Vocab("gpt-2"), "--text", "Hello world"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "15496 995\n");
  r = run_pareto({"tokenize", "--model", Vocab("llama-spm"), "--text", " this is 🦙.cpp"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "29871 445 338 29871 243 162 169 156 29889 8223\n");
}

TEST(TokenizeCommand, SpecialAddsBosAndParsesSpecialTokens) {
  REQUIRE_VOCABS();
  CliResult r =
      run_pareto({"tokenize", "--model", Vocab("llama-spm"), "--text", "Hello world", "--special"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "1 15043 3186\n");
  r = run_pareto({"tokenize", "--model", Vocab("gpt-2"), "--text", "<|endoftext|>", "--special"});
  EXPECT_EQ(r.out, "50256\n");
  r = run_pareto({"tokenize", "--model", Vocab("gpt-2"), "--text", "<|endoftext|>"});
  EXPECT_NE(r.out, "50256\n");
}

TEST(TokenizeCommand, JsonGivesIdsAndPieces) {
  REQUIRE_VOCABS();
  CliResult r =
      run_pareto({"tokenize", "--model", Vocab("gpt-2"), "--text", "Hello world", "--json"});
  ASSERT_EQ(r.exit_code, 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tokens"], nlohmann::json({15496, 995}));
  EXPECT_EQ(j["pieces"], nlohmann::json({"Hello", " world"}));
}

TEST(TokenizeCommand, UnreadableModelIsARuntimeErrorAndMissingArgumentsAUsageError) {
  const fs::path junk = fs::temp_directory_path() / "pareto_tokenize_not_gguf.bin";
  std::ofstream(junk) << "this is not a GGUF file";
  CliResult r = run_pareto({"tokenize", "--model", junk.string(), "--text", "hi"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find(junk.string()), std::string::npos) << r.err;
  EXPECT_EQ(
      run_pareto({"tokenize", "--model", "/nonexistent/model.gguf", "--text", "hi"}).exit_code, 3);
  EXPECT_EQ(run_pareto({"tokenize", "--text", "hi"}).exit_code, 2);
  fs::remove(junk);
}

}  // namespace
