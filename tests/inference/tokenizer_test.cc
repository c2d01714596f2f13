// Tokenizer tests: the reference vectors in ../shared/data/tokenizer (every one must match),
// pre-tokenizer splits checked against the regexes they implement, hand-made vocabularies
// for the merge rules, special tokens, BOS/EOS, decoding, and invalid UTF-8.
#include "inference/tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
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

// Checks every NAME.gguf in `dir` that has NAME.gguf.inp/.out beside it; returns the
// number of strings checked. With `only_supported`, vocabularies whose tokenizer model or
// pre-tokenizer we do not support are listed and passed over instead of failing.
int CheckVectorDir(const fs::path& dir, bool only_supported) {
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string path = entry.path().string();
    if (entry.path().extension() != ".gguf" || !fs::exists(path + ".inp") ||
        !fs::exists(path + ".out")) {
      continue;
    }
    SCOPED_TRACE(path);
    Result<GgufFile> file = GgufFile::Open(path);
    if (!file.ok()) {
      ADD_FAILURE() << file.message();
      continue;
    }
    Result<Tokenizer> tok = Tokenizer::FromGguf(*file);
    if (!tok.ok() && only_supported && tok.message().find("unsupported") != std::string::npos) {
      std::printf("  not supported, passed over: %s (%s)\n", path.c_str(), tok.message().c_str());
      continue;
    }
    if (!tok.ok()) {
      ADD_FAILURE() << tok.message();
      continue;
    }
    const auto inputs = ReadInputs(path + ".inp");
    const auto outputs = ReadOutputs(path + ".out");
    EXPECT_EQ(inputs.size(), outputs.size());
    EXPECT_GT(inputs.size(), 0u);
    for (size_t i = 0; i < std::min(inputs.size(), outputs.size()); ++i) {
      const std::vector<TokenId> ids = tok->Encode(inputs[i]);
      EXPECT_EQ(IdsText(ids), IdsText(outputs[i])) << "input " << i << ": '" << inputs[i] << "'";
      // What was encoded decodes back to the same text.
      EXPECT_EQ(tok->Decode(ids, {.strip_leading_space = true}), inputs[i]) << "input " << i;
      ++checked;
    }
  }
  return checked;
}

TEST(TokenizerVectors, EveryReferenceVectorMatches) {
  const fs::path dir = VectorDir();
  if (!fs::exists(dir)) {
    GTEST_SKIP() << "no tokenizer reference vectors at " << dir
                 << " (../shared is absent; set PARETO_SHARED_DIR)";
  }
  // Four vocabularies of 46 strings each.
  EXPECT_GE(CheckVectorDir(dir, /*only_supported=*/false), 4 * 46);
}

// More vectors of the same format (for instance llama.cpp's models/ folder, checked out
// beside the project) can be checked with PARETO_TOKENIZER_VECTORS=DIR.
TEST(TokenizerVectors, ExtraVectorsFromTheEnvironmentMatch) {
  const char* extra = std::getenv("PARETO_TOKENIZER_VECTORS");
  if (extra == nullptr || *extra == '\0') {
    GTEST_SKIP() << "set PARETO_TOKENIZER_VECTORS=DIR to check more vocabularies";
  }
  ASSERT_TRUE(fs::is_directory(extra)) << extra;
  EXPECT_GT(CheckVectorDir(extra, /*only_supported=*/true), 0);
}

// Expected splits were produced by Perl's regex engine (full Unicode properties and
// lookahead) running each pre-tokenizer's published regex (sequences: pass by pass).
struct SplitCase {
  PreTokenizer kind;
  std::string text;
  std::vector<std::string> pieces;
};

const std::vector<SplitCase>& SplitCases() {
  static const std::vector<SplitCase> cases = {
      {PreTokenizer::kGpt2, "Hello world", {"Hello", " world"}},
      {PreTokenizer::kGpt2, "   Hello", {"  ", " Hello"}},
      {PreTokenizer::kGpt2, "trailing  ", {"trailing", "  "}},
      {PreTokenizer::kGpt2, "a\n\n  b", {"a", "\n\n ", " b"}},
      {PreTokenizer::kGpt2, "x\r\n\ty", {"x", "\r\n", "\t", "y"}},
      {PreTokenizer::kGpt2,
       "I'm He's THEY'RE we'Ve i'LL",
       {"I", "'m", " He", "'s", " THEY", "'", "RE", " we", "'", "Ve", " i", "'", "LL"}},
      {PreTokenizer::kGpt2, "12345 1234567", {"12345", " 1234567"}},
      {PreTokenizer::kGpt2, "tab\tsep\t\tend", {"tab", "\t", "sep", "\t", "\t", "end"}},
      {PreTokenizer::kGpt2, "(normal) [x]!!\n\n", {"(", "normal", ")", " [", "x", "]!!", "\n\n"}},
      {PreTokenizer::kGpt2, "naïve café", {"naïve", " café"}},
      {PreTokenizer::kGpt2, "кошка на Български", {"кошка", " на", " Български"}},
      {PreTokenizer::kGpt2, "កាន់តែពិសេស", {"ក", "ា", "ន", "់", "ត", "ែ", "ព", "ិ", "ស", "េ", "ស"}},
      {PreTokenizer::kGpt2,
       "我想在apple工作1314151天～",
       {"我想在apple工作", "1314151", "天", "～"}},
      {PreTokenizer::kGpt2, " this is 🦙.cpp", {" this", " is", " 🦙.", "cpp"}},
      {PreTokenizer::kGpt2,
       "a\xC2\xA0"
       "b \xE2\x80\x83"
       " c",
       {"a", "\xC2\xA0", "b", " \xE2\x80\x83", " c"}},
      {PreTokenizer::kGpt2, "x  \n  y", {"x", "  \n ", " y"}},
      {PreTokenizer::kGpt2, " ?!", {" ?!"}},
      {PreTokenizer::kGpt2, "'s'", {"'s", "'"}},
      {PreTokenizer::kGpt2, "don't", {"don", "'t"}},
      {PreTokenizer::kGpt2, "3.14 3...3", {"3", ".", "14", " 3", "...", "3"}},
      {PreTokenizer::kGpt2, "ǅungla", {"ǅungla"}},
      {PreTokenizer::kGpt2,
       "\xC2\x85"
       "x",
       {"\xC2\x85", "x"}},
      {PreTokenizer::kGpt2, "ab̀c", {"ab", "̀", "c"}},
      {PreTokenizer::kGpt2, "  \n", {"  \n"}},
      {PreTokenizer::kGpt2, "١٢٣٤ ⅻ", {"١٢٣٤", " ⅻ"}},
      {PreTokenizer::kLlama3, "Hello world", {"Hello", " world"}},
      {PreTokenizer::kLlama3, "   Hello", {"  ", " Hello"}},
      {PreTokenizer::kLlama3, "trailing  ", {"trailing", "  "}},
      {PreTokenizer::kLlama3, "a\n\n  b", {"a", "\n\n", " ", " b"}},
      {PreTokenizer::kLlama3, "x\r\n\ty", {"x", "\r\n", "\ty"}},
      {PreTokenizer::kLlama3,
       "I'm He's THEY'RE we'Ve i'LL",
       {"I", "'m", " He", "'s", " THEY", "'RE", " we", "'Ve", " i", "'LL"}},
      {PreTokenizer::kLlama3, "12345 1234567", {"123", "45", " ", "123", "456", "7"}},
      {PreTokenizer::kLlama3, "tab\tsep\t\tend", {"tab", "\tsep", "\t", "\tend"}},
      {PreTokenizer::kLlama3, "(normal) [x]!!\n\n", {"(normal", ")", " [", "x", "]!!\n\n"}},
      {PreTokenizer::kLlama3, "naïve café", {"naïve", " café"}},
      {PreTokenizer::kLlama3, "кошка на Български", {"кошка", " на", " Български"}},
      {PreTokenizer::kLlama3, "កាន់តែពិសេស", {"ក", "ាន", "់ត", "ែព", "ិស", "េស"}},
      {PreTokenizer::kLlama3,
       "我想在apple工作1314151天～",
       {"我想在apple工作", "131", "415", "1", "天", "～"}},
      {PreTokenizer::kLlama3, " this is 🦙.cpp", {" this", " is", " 🦙.", "cpp"}},
      {PreTokenizer::kLlama3,
       "a\xC2\xA0"
       "b \xE2\x80\x83"
       " c",
       {"a",
        "\xC2\xA0"
        "b",
        " \xE2\x80\x83", " c"}},
      {PreTokenizer::kLlama3, "x  \n  y", {"x", "  \n", " ", " y"}},
      {PreTokenizer::kLlama3, " ?!", {" ?!"}},
      {PreTokenizer::kLlama3, "'s'", {"'s", "'"}},
      {PreTokenizer::kLlama3, "don't", {"don", "'t"}},
      {PreTokenizer::kLlama3, "3.14 3...3", {"3", ".", "14", " ", "3", "...", "3"}},
      {PreTokenizer::kLlama3, "ǅungla", {"ǅungla"}},
      {PreTokenizer::kLlama3,
       "\xC2\x85"
       "x",
       {"\xC2\x85"
        "x"}},
      {PreTokenizer::kLlama3, "ab̀c", {"ab", "̀c"}},
      {PreTokenizer::kLlama3, "  \n", {"  \n"}},
      {PreTokenizer::kLlama3, "١٢٣٤ ⅻ", {"١٢٣", "٤", " ", "ⅻ"}},
      {PreTokenizer::kQwen2, "Hello world", {"Hello", " world"}},
      {PreTokenizer::kQwen2, "   Hello", {"  ", " Hello"}},
      {PreTokenizer::kQwen2, "trailing  ", {"trailing", "  "}},
      {PreTokenizer::kQwen2, "a\n\n  b", {"a", "\n\n", " ", " b"}},
      {PreTokenizer::kQwen2, "x\r\n\ty", {"x", "\r\n", "\ty"}},
      {PreTokenizer::kQwen2,
       "I'm He's THEY'RE we'Ve i'LL",
       {"I", "'m", " He", "'s", " THEY", "'RE", " we", "'Ve", " i", "'LL"}},
      {PreTokenizer::kQwen2,
       "12345 1234567",
       {"1", "2", "3", "4", "5", " ", "1", "2", "3", "4", "5", "6", "7"}},
      {PreTokenizer::kQwen2, "tab\tsep\t\tend", {"tab", "\tsep", "\t", "\tend"}},
      {PreTokenizer::kQwen2, "(normal) [x]!!\n\n", {"(normal", ")", " [", "x", "]!!\n\n"}},
      {PreTokenizer::kQwen2, "naïve café", {"naïve", " café"}},
      {PreTokenizer::kQwen2, "кошка на Български", {"кошка", " на", " Български"}},
      {PreTokenizer::kQwen2, "កាន់តែពិសេស", {"ក", "ាន", "់ត", "ែព", "ិស", "េស"}},
      {PreTokenizer::kQwen2,
       "我想在apple工作1314151天～",
       {"我想在apple工作", "1", "3", "1", "4", "1", "5", "1", "天", "～"}},
      {PreTokenizer::kQwen2, " this is 🦙.cpp", {" this", " is", " 🦙.", "cpp"}},
      {PreTokenizer::kQwen2,
       "a\xC2\xA0"
       "b \xE2\x80\x83"
       " c",
       {"a",
        "\xC2\xA0"
        "b",
        " \xE2\x80\x83", " c"}},
      {PreTokenizer::kQwen2, "x  \n  y", {"x", "  \n", " ", " y"}},
      {PreTokenizer::kQwen2, " ?!", {" ?!"}},
      {PreTokenizer::kQwen2, "'s'", {"'s", "'"}},
      {PreTokenizer::kQwen2, "don't", {"don", "'t"}},
      {PreTokenizer::kQwen2, "3.14 3...3", {"3", ".", "1", "4", " ", "3", "...", "3"}},
      {PreTokenizer::kQwen2, "ǅungla", {"ǅungla"}},
      {PreTokenizer::kQwen2,
       "\xC2\x85"
       "x",
       {"\xC2\x85"
        "x"}},
      {PreTokenizer::kQwen2, "ab̀c", {"ab", "̀c"}},
      {PreTokenizer::kQwen2, "  \n", {"  \n"}},
      {PreTokenizer::kQwen2, "١٢٣٤ ⅻ", {"١", "٢", "٣", "٤", " ", "ⅻ"}},
      {PreTokenizer::kDeepseekCoder, "Hello world", {"Hello", " world"}},
      {PreTokenizer::kDeepseekCoder, "   Hello", {"  ", " Hello"}},
      {PreTokenizer::kDeepseekCoder, "a\n\n  b", {"a", "\n", "\n", " ", " b"}},
      {PreTokenizer::kDeepseekCoder, "x\r\n\ty", {"x", "\r", "\n", "\ty"}},
      {PreTokenizer::kDeepseekCoder, "I'm He's", {"I", "'", "m", " He", "'", "s"}},
      {PreTokenizer::kDeepseekCoder,
       "12345 1234567",
       {"1", "2", "3", "4", "5", " ", "1", "2", "3", "4", "5", "6", "7"}},
      {PreTokenizer::kDeepseekCoder,
       "(normal) [x]!!\n\n",
       {"(", "normal", ")", " [", "x", "]!!", "\n", "\n"}},
      {PreTokenizer::kDeepseekCoder, "naïve café", {"naïve", " café"}},
      {PreTokenizer::kDeepseekCoder,
       "កាន់តែពិសេស",
       {"ក", "ា", "ន", "់", "ត", "ែ", "ព", "ិ", "ស", "េ", "ស"}},
      {PreTokenizer::kDeepseekCoder,
       "我想在apple工作1314151天～",
       {"我想在", "apple", "工作", "1", "3", "1", "4", "1", "5", "1", "天", "～"}},
      {PreTokenizer::kDeepseekCoder, " 한국어 텍스트", {" ", "한국어", " ", "텍스트"}},
      {PreTokenizer::kDeepseekCoder, " this is 🦙.cpp", {" this", " is", " 🦙", ".", "cpp"}},
      {PreTokenizer::kDeepseekCoder, "3.14 3...3", {"3", ".", "1", "4", " ", "3", "...", "3"}},
      {PreTokenizer::kDeepseekCoder, "x  \n  y", {"x", "  ", "\n", " ", " y"}},
      {PreTokenizer::kDeepseekCoder, "tab\tsep\t\tend", {"tab", "\tsep", "\t", "\tend"}},
      {PreTokenizer::kDeepseekCoder,
       "a\xC2\xA0"
       "b",
       {"a",
        "\xC2\xA0"
        "b"}},
      {PreTokenizer::kSmolLM, "Hello world", {"Hello", " world"}},
      {PreTokenizer::kSmolLM, "   Hello", {"  ", " Hello"}},
      {PreTokenizer::kSmolLM, "a\n\n  b", {"a", "\n\n ", " b"}},
      {PreTokenizer::kSmolLM, "x\r\n\ty", {"x", "\r\n", "\t", "y"}},
      {PreTokenizer::kSmolLM, "I'm He's", {"I", "'m", " He", "'s"}},
      {PreTokenizer::kSmolLM,
       "12345 1234567",
       {"1", "2", "3", "4", "5", " ", "1", "2", "3", "4", "5", "6", "7"}},
      {PreTokenizer::kSmolLM, "(normal) [x]!!\n\n", {"(", "normal", ")", " [", "x", "]!!", "\n\n"}},
      {PreTokenizer::kSmolLM, "naïve café", {"naïve", " café"}},
      {PreTokenizer::kSmolLM, "កាន់តែពិសេស", {"ក", "ា", "ន", "់", "ត", "ែ", "ព", "ិ", "ស", "េ", "ស"}},
      {PreTokenizer::kSmolLM,
       "我想在apple工作1314151天～",
       {"我想在apple工作", "1", "3", "1", "4", "1", "5", "1", "天", "～"}},
      {PreTokenizer::kSmolLM, " 한국어 텍스트", {" 한국어", " 텍스트"}},
      {PreTokenizer::kSmolLM, " this is 🦙.cpp", {" this", " is", " 🦙.", "cpp"}},
      {PreTokenizer::kSmolLM, "3.14 3...3", {"3", ".", "1", "4", " ", "3", "...", "3"}},
      {PreTokenizer::kSmolLM, "x  \n  y", {"x", "  \n ", " y"}},
      {PreTokenizer::kSmolLM, "tab\tsep\t\tend", {"tab", "\t", "sep", "\t", "\t", "end"}},
      {PreTokenizer::kSmolLM,
       "a\xC2\xA0"
       "b",
       {"a", "\xC2\xA0", "b"}},
      {PreTokenizer::kBpeDefault, "Hello world", {"Hello", " world"}},
      {PreTokenizer::kBpeDefault, "   Hello", {"  ", " Hello"}},
      {PreTokenizer::kBpeDefault, "a\n\n  b", {"a", "\n\n ", " b"}},
      {PreTokenizer::kBpeDefault, "x\r\n\ty", {"x", "\r\n", "\t", "y"}},
      {PreTokenizer::kBpeDefault, "I'm He's", {"I", "'", "m", " He", "'", "s"}},
      {PreTokenizer::kBpeDefault, "12345 1234567", {"123", "45", " ", "123", "456", "7"}},
      {PreTokenizer::kBpeDefault,
       "(normal) [x]!!\n\n",
       {"(", "normal", ")", " ", "[", "x", "]!!", "\n\n"}},
      {PreTokenizer::kBpeDefault, "naïve café", {"naïve", " café"}},
      {PreTokenizer::kBpeDefault,
       "កាន់តែពិសេស",
       {"ក", "ា", "ន", "់", "ត", "ែ", "ព", "ិ", "ស", "េ", "ស"}},
      {PreTokenizer::kBpeDefault,
       "我想在apple工作1314151天～",
       {"我想在apple工作", "131", "415", "1", "天", "～"}},
      {PreTokenizer::kBpeDefault, " 한국어 텍스트", {" 한국어", " 텍스트"}},
      {PreTokenizer::kBpeDefault, " this is 🦙.cpp", {" this", " is", " 🦙", ".", "cpp"}},
      {PreTokenizer::kBpeDefault, "3.14 3...3", {"3", ".", "14", " ", "3", "...", "3"}},
      {PreTokenizer::kBpeDefault, "x  \n  y", {"x", "  \n ", " y"}},
      {PreTokenizer::kBpeDefault, "tab\tsep\t\tend", {"tab", "\t", "sep", "\t", "\t", "end"}},
      {PreTokenizer::kBpeDefault,
       "a\xC2\xA0"
       "b",
       {"a", "\xC2\xA0", "b"}},
      {PreTokenizer::kBpeDefault,
       "x = a+b <= `c` || $d ^ ~e",
       {"x", " ",  "=", " a", "+", "b", " ", "<=", " `", "c", "`",
        " ", "||", " ", "$",  "d", " ", "^", " ",  "~",  "e"}},
      {PreTokenizer::kBpeDefault, "12345678 ١٢٣٤٥", {"123", "456", "78", " ", "١٢٣٤٥"}},
      {PreTokenizer::kBpeDefault,
       "don't (stop) ...",
       {"don", "'", "t", " ", "(", "stop", ")", " ", "..."}},
      {PreTokenizer::kFalcon, "Hello world", {"Hello", " world"}},
      {PreTokenizer::kFalcon, "   Hello", {"  ", " Hello"}},
      {PreTokenizer::kFalcon, "a\n\n  b", {"a", "\n\n ", " b"}},
      {PreTokenizer::kFalcon, "x\r\n\ty", {"x", "\r\n", "\t", "y"}},
      {PreTokenizer::kFalcon, "I'm He's", {"I", "'", "m", " He", "'", "s"}},
      {PreTokenizer::kFalcon, "12345 1234567", {"123", "45", " ", "123", "456", "7"}},
      {PreTokenizer::kFalcon,
       "(normal) [x]!!\n\n",
       {"(", "normal", ")", " ", "[", "x", "]!!", "\n\n"}},
      {PreTokenizer::kFalcon, "naïve café", {"naïve", " café"}},
      {PreTokenizer::kFalcon, "កាន់តែពិសេស", {"ក", "ា", "ន", "់", "ត", "ែ", "ព", "ិ", "ស", "េ", "ស"}},
      {PreTokenizer::kFalcon,
       "我想在apple工作1314151天～",
       {"我想在apple工作", "131", "415", "1", "天", "～"}},
      {PreTokenizer::kFalcon, " 한국어 텍스트", {" 한국어", " 텍스트"}},
      {PreTokenizer::kFalcon, " this is 🦙.cpp", {" this", " is", " 🦙", ".", "cpp"}},
      {PreTokenizer::kFalcon, "3.14 3...3", {"3", ".", "14", " 3", "...", "3"}},
      {PreTokenizer::kFalcon, "x  \n  y", {"x", "  \n ", " y"}},
      {PreTokenizer::kFalcon, "tab\tsep\t\tend", {"tab", "\t", "sep", "\t", "\t", "end"}},
      {PreTokenizer::kFalcon,
       "a\xC2\xA0"
       "b",
       {"a", "\xC2\xA0", "b"}},
      {PreTokenizer::kFalcon,
       "x = a+b <= `c` || $d ^ ~e",
       {"x", " ", "=",  " a", "+", "b", " ", "<=", " ", "`", "c",
        "`", " ", "||", " ",  "$", "d", " ", "^",  " ", "~", "e"}},
      {PreTokenizer::kFalcon, "12345678 ١٢٣٤٥", {"123", "456", "78", " ١٢٣٤٥"}},
      {PreTokenizer::kFalcon,
       "don't (stop) ...",
       {"don", "'", "t", " ", "(", "stop", ")", " ", "..."}},
  };
  return cases;
}

TEST(PreTokenize, SplitsAsTheRegexesDo) {
  for (const SplitCase& c : SplitCases()) {
    const std::vector<std::string_view> pieces = PreTokenize(c.kind, c.text);
    const std::vector<std::string> got(pieces.begin(), pieces.end());
    EXPECT_EQ(got, c.pieces) << "pre-tokenizer " << static_cast<int>(c.kind) << " on '" << c.text
                             << "'";
  }
}

TEST(PreTokenize, InvalidUtf8IsKeptByteForByte) {
  const std::string text =
      "\xff\xfe"
      "ab \x80 c\xe2\x82 \xed\xa0\x80 1\xc0\xaf";
  for (PreTokenizer kind :
       {PreTokenizer::kNone, PreTokenizer::kGpt2, PreTokenizer::kLlama3, PreTokenizer::kQwen2,
        PreTokenizer::kDeepseekCoder, PreTokenizer::kSmolLM, PreTokenizer::kBpeDefault,
        PreTokenizer::kFalcon}) {
    std::string joined;
    for (std::string_view piece : PreTokenize(kind, text)) {
      EXPECT_FALSE(piece.empty());
      joined += piece;
    }
    EXPECT_EQ(joined, text) << static_cast<int>(kind);
  }
  EXPECT_TRUE(PreTokenize(PreTokenizer::kGpt2, "").empty());
}

TEST(Unicode, DecodesWellFormedAndRejectsIllFormedBytesOneAtATime) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\xA6\x99";  // a é € 🦙
  std::vector<uint32_t> cps;
  for (size_t pos = 0; pos < text.size();) {
    const Utf8Unit u = DecodeUtf8(text, pos);
    cps.push_back(u.cp);
    pos += u.length;
  }
  EXPECT_EQ(cps, (std::vector<uint32_t>{0x61, 0xE9, 0x20AC, 0x1F999}));
  // Overlong, surrogate, above U+10FFFF, truncated, stray continuation.
  for (std::string bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\x80"}) {
    const Utf8Unit u = DecodeUtf8(bad, 0);
    EXPECT_EQ(u.cp, kInvalidCodepoint) << bad;
    EXPECT_EQ(u.length, 1u) << bad;
    EXPECT_FALSE(IsValidUtf8(bad));
  }
  EXPECT_TRUE(IsValidUtf8(text));
  std::string round;
  for (uint32_t cp : cps) AppendUtf8(cp, round);
  EXPECT_EQ(round, text);
}

TEST(Unicode, ClassesAndWhitespaceFollowTheUnicodeDatabase) {
  EXPECT_EQ(ClassOfCodepoint('a'), CharClass::kLetter);
  EXPECT_EQ(ClassOfCodepoint(0x4E00), CharClass::kLetter);  // CJK ideograph
  EXPECT_EQ(ClassOfCodepoint('7'), CharClass::kNumber);
  EXPECT_EQ(ClassOfCodepoint(0x2168), CharClass::kNumber);  // Roman numeral nine
  EXPECT_EQ(ClassOfCodepoint('!'), CharClass::kPunctuation);
  EXPECT_EQ(ClassOfCodepoint('$'), CharClass::kSymbol);
  EXPECT_EQ(ClassOfCodepoint(0x1F999), CharClass::kSymbol);  // llama emoji
  EXPECT_EQ(ClassOfCodepoint(0x0301), CharClass::kMark);     // combining acute
  EXPECT_EQ(ClassOfCodepoint(0x3000), CharClass::kSeparator);
  EXPECT_EQ(ClassOfCodepoint('\n'), CharClass::kControl);
  EXPECT_EQ(ClassOfCodepoint(0xE000), CharClass::kOther);  // private use
  EXPECT_EQ(ClassOfCodepoint(0x10FFFF), CharClass::kOther);
  EXPECT_EQ(ClassOfCodepoint(kInvalidCodepoint), CharClass::kOther);
  for (uint32_t cp : {0x09u, 0x0Du, 0x20u, 0x85u, 0xA0u, 0x2003u, 0x3000u}) {
    EXPECT_TRUE(IsWhitespace(cp)) << cp;
  }
  for (uint32_t cp : {0x08u, 0x1Cu, 'a' + 0u, 0x200Bu, kInvalidCodepoint}) {
    EXPECT_FALSE(IsWhitespace(cp)) << cp;
  }
}

// A SentencePiece vocabulary: <unk> <s> </s>, the 256 byte tokens, then `pieces` with
// their scores.
Vocabulary SpmVocabulary(const std::vector<std::pair<std::string, float>>& pieces) {
  Vocabulary v;
  v.model = TokenizerModel::kSentencePiece;
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    v.tokens.push_back(name);
    v.types.push_back(TokenType::kByte);
  }
  v.scores.assign(v.tokens.size(), 0.0f);
  for (const auto& [text, score] : pieces) {
    v.tokens.push_back(text);
    v.types.push_back(TokenType::kNormal);
    v.scores.push_back(score);
  }
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  v.add_bos = true;
  return v;
}

std::vector<std::string> Texts(const Tokenizer& tok, const std::vector<TokenId>& ids) {
  std::vector<std::string> out;
  for (TokenId id : ids) out.push_back(tok.TokenText(id));
  return out;
}

TEST(SentencePiece, MergesTheHighestScoringPairFirst) {
  auto v = SpmVocabulary({{"a", -5}, {"b", -5}, {"c", -5}, {"ab", -2}, {"bc", -1}});
  v.add_space_prefix = false;
  Result<Tokenizer> tok = Tokenizer::Create(v);
  ASSERT_TRUE(tok.ok()) << tok.message();
  EXPECT_EQ(Texts(*tok, tok->Encode("abc")), (std::vector<std::string>{"a", "bc"}));

  auto w = SpmVocabulary({{"a", -5}, {"b", -5}, {"c", -5}, {"ab", -1}, {"bc", -2}});
  w.add_space_prefix = false;
  Result<Tokenizer> tok2 = Tokenizer::Create(w);
  ASSERT_TRUE(tok2.ok());
  EXPECT_EQ(Texts(*tok2, tok2->Encode("abc")), (std::vector<std::string>{"ab", "c"}));
}

TEST(SentencePiece, EqualScoresMergeLeftmostFirst) {
  auto v = SpmVocabulary({{"a", -5}, {"aa", -1}});
  v.add_space_prefix = false;
  Result<Tokenizer> tok = Tokenizer::Create(v);
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(Texts(*tok, tok->Encode("aaa")), (std::vector<std::string>{"aa", "a"}));
}

TEST(SentencePiece, AddsTheSpacePrefixAndWritesSpacesAsLowerBlocks) {
  Result<Tokenizer> tok = Tokenizer::Create(SpmVocabulary({{"\xE2\x96\x81", -9},
                                                           {"a", -5},
                                                           {"b", -5},
                                                           {"\xE2\x96\x81"
                                                            "a",
                                                            -1},
                                                           {"\xE2\x96\x81"
                                                            "b",
                                                            -1}}));
  ASSERT_TRUE(tok.ok());
  const std::vector<TokenId> ids = tok->Encode("a b");
  EXPECT_EQ(Texts(*tok, ids), (std::vector<std::string>{"\xE2\x96\x81"
                                                        "a",
                                                        "\xE2\x96\x81"
                                                        "b"}));
  EXPECT_EQ(tok->Decode(ids), " a b");
  EXPECT_EQ(tok->Decode(ids, {.strip_leading_space = true}), "a b");
}

TEST(SentencePiece, TokensSpanningSpacesStillMerge) {
  // Most vocabularies keep U+2581 at the start of tokens, which lets words merge apart;
  // one with "a\u2581b" must still see the whole text.
  auto v = SpmVocabulary({{"\xE2\x96\x81", -9},
                          {"a", -5},
                          {"b", -5},
                          {"a\xE2\x96\x81", -2},
                          {"a\xE2\x96\x81"
                           "b",
                           -1}});
  v.add_space_prefix = false;
  Result<Tokenizer> tok = Tokenizer::Create(v);
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(Texts(*tok, tok->Encode("a b a")), (std::vector<std::string>{"a\xE2\x96\x81"
                                                                         "b",
                                                                         "\xE2\x96\x81", "a"}));
}

TEST(SentencePiece, FallsBackToByteTokensAndDecodesThemBack) {
  auto v = SpmVocabulary({{"a", -1}});
  v.add_space_prefix = false;
  Result<Tokenizer> tok = Tokenizer::Create(v);
  ASSERT_TRUE(tok.ok());
  const std::string text = "a\xC3\xA9\xFF";  // "aé" and an invalid byte
  const std::vector<TokenId> ids = tok->Encode(text);
  EXPECT_EQ(Texts(*tok, ids), (std::vector<std::string>{"a", "<0xC3>", "<0xA9>", "<0xFF>"}));
  EXPECT_EQ(tok->Decode(ids), text);
}

TEST(SentencePiece, AShortFirstWordWithoutASpacePrefixEncodes) {
  // "1 + 1 =": a one-byte word before the first space (it once read before the text).
  auto v = SpmVocabulary({{"\xE2\x96\x81", -9}, {"1", -5}, {"\xE2\x96\x81+", -1}});
  v.add_space_prefix = false;
  Result<Tokenizer> tok = Tokenizer::Create(v);
  ASSERT_TRUE(tok.ok());
  for (const std::string text : {"1 + 1 =", "ab c", "a", " a", "xy  z"}) {
    EXPECT_EQ(tok->Decode(tok->Encode(text)), text);
  }
  EXPECT_EQ(Texts(*tok, tok->Encode("1 + 1")),
            (std::vector<std::string>{"1", "\xE2\x96\x81+", "\xE2\x96\x81", "1"}));
}

TEST(SentencePiece, UsesTheUnknownTokenWithoutByteTokens) {
  Vocabulary v;
  v.tokens = {"<unk>", "a"};
  v.types = {TokenType::kUnknown, TokenType::kNormal};
  v.unk = 0;
  v.add_space_prefix = false;
  Result<Tokenizer> tok = Tokenizer::Create(v);
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(tok->Encode("a\xC3\xA9"
                        "a"),
            (std::vector<TokenId>{1, 0, 1}));
}

TEST(SentencePiece, AddsBosAndEosOnlyWhenAskedAndAsTheVocabularySays) {
  auto v =
      SpmVocabulary({{"\xE2\x96\x81"
                      "a",
                      -1}});
  v.add_eos = true;
  Result<Tokenizer> tok = Tokenizer::Create(v);
  ASSERT_TRUE(tok.ok());
  const TokenId a = tok->Find(
      "\xE2\x96\x81"
      "a");
  EXPECT_EQ(tok->Encode("a"), (std::vector<TokenId>{a}));
  EXPECT_EQ(tok->Encode("a", {.add_special = true}), (std::vector<TokenId>{1, a, 2}));
  EXPECT_EQ(tok->Encode("", {.add_special = true}), (std::vector<TokenId>{1, 2}));
  EXPECT_TRUE(tok->Encode("").empty());
}

TEST(SentencePiece, ParsesControlTokensOnlyWhenAskedAndPrefixesTheTextAfterThem) {
  auto v = SpmVocabulary({{"\xE2\x96\x81", -9},
                          {"a", -5},
                          {"\xE2\x96\x81"
                           "a",
                           -1}});
  Result<Tokenizer> tok = Tokenizer::Create(v);
  ASSERT_TRUE(tok.ok());
  const TokenId space_a = tok->Find(
      "\xE2\x96\x81"
      "a");
  EXPECT_EQ(tok->Encode("</s>a", {.parse_special = true}), (std::vector<TokenId>{2, space_a}));
  const std::vector<TokenId> literal = tok->Encode("</s>a");
  EXPECT_EQ(std::count(literal.begin(), literal.end(), 2), 0);
  EXPECT_EQ(tok->Decode(literal, {.strip_leading_space = true}), "</s>a");
  // Control tokens decode to nothing unless rendered.
  EXPECT_EQ(tok->Decode(std::vector<TokenId>{1, space_a, 2}), " a");
  EXPECT_EQ(tok->Decode(std::vector<TokenId>{1, space_a, 2}, {.render_special = true}),
            "<s> a</s>");
}

// A byte-level BPE vocabulary over the 256 byte spellings plus `words`, with `merges`.
Vocabulary BpeVocabulary(const std::vector<std::string>& words,
                         const std::vector<std::string>& merges) {
  Vocabulary v;
  v.model = TokenizerModel::kBytePairEncoding;
  v.pre = PreTokenizer::kGpt2;
  // Printable bytes spell themselves; the rest are spelled U+0100.. in byte order.
  uint32_t next = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    std::string spelled;
    AppendUtf8(printable ? b : next++, spelled);
    v.tokens.push_back(spelled);
  }
  for (const std::string& w : words) v.tokens.push_back(w);
  v.tokens.push_back("<|endoftext|>");
  v.types.assign(v.tokens.size(), TokenType::kNormal);
  v.types.back() = TokenType::kControl;
  v.eos = v.bos = static_cast<TokenId>(v.tokens.size() - 1);
  v.merges = merges;
  return v;
}

TEST(BytePairEncoding, AppliesMergesByRankAndSpellsSpacesAsGDot) {
  // "Ġ" is U+0120, the spelling of byte 0x20.
  Result<Tokenizer> tok =
      Tokenizer::Create(BpeVocabulary({"he", "ll", "hell", "hello",
                                       "\xC4\xA0"
                                       "w",
                                       "\xC4\xA0"
                                       "wo"},
                                      {"h e", "l l", "he ll", "hell o", "\xC4\xA0 w",
                                       "\xC4\xA0"
                                       "w o"}));
  ASSERT_TRUE(tok.ok()) << tok.message();
  const std::vector<TokenId> ids = tok->Encode("hello wor");
  EXPECT_EQ(Texts(*tok, ids), (std::vector<std::string>{"hello",
                                                        "\xC4\xA0"
                                                        "wo",
                                                        "r"}));
  EXPECT_EQ(tok->Decode(ids), "hello wor");
}

TEST(BytePairEncoding, LowerRankWinsEvenWhenItIsFurtherRight) {
  Result<Tokenizer> tok = Tokenizer::Create(BpeVocabulary({"ab", "bc"}, {"b c", "a b"}));
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(Texts(*tok, tok->Encode("abc")), (std::vector<std::string>{"a", "bc"}));
}

TEST(BytePairEncoding, IgnoreMergesTakesWholeWordsThatAreTokens) {
  // "abc" is a token no merge sequence reaches (there is no "a b" or "b c" merge).
  Vocabulary v = BpeVocabulary({"abc"}, {});
  Result<Tokenizer> merged = Tokenizer::Create(v);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(Texts(*merged, merged->Encode("abc")), (std::vector<std::string>{"a", "b", "c"}));
  v.ignore_merges = true;
  Result<Tokenizer> whole = Tokenizer::Create(v);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(Texts(*whole, whole->Encode("abc")), (std::vector<std::string>{"abc"}));
}

TEST(BytePairEncoding, EncodesAnyBytesLosslessly) {
  Result<Tokenizer> tok = Tokenizer::Create(BpeVocabulary({}, {}));
  ASSERT_TRUE(tok.ok());
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const std::vector<TokenId> ids = tok->Encode(all);
  EXPECT_EQ(ids.size(), 256u);
  EXPECT_EQ(tok->Decode(ids), all);
}

TEST(BytePairEncoding, SpecialTokensAreParsedOnlyWhenAsked) {
  Result<Tokenizer> tok = Tokenizer::Create(BpeVocabulary({}, {}));
  ASSERT_TRUE(tok.ok());
  const TokenId end = tok->Find("<|endoftext|>");
  EXPECT_EQ(tok->Encode("a<|endoftext|>", {.parse_special = true}),
            (std::vector<TokenId>{'a', end}));
  EXPECT_EQ(tok->Encode("a<|endoftext|>").size(), 14u);
  EXPECT_TRUE(tok->IsEndOfGeneration(end));
  EXPECT_FALSE(tok->IsEndOfGeneration('a'));
}

TEST(Tokenizer, RejectsInconsistentVocabularies) {
  EXPECT_FALSE(Tokenizer::Create(Vocabulary{}).ok());
  Vocabulary v;
  v.tokens = {"a", "b"};
  v.scores = {0.0f};
  EXPECT_FALSE(Tokenizer::Create(v).ok());
  v.scores.clear();
  v.bos = 7;
  Result<Tokenizer> bad = Tokenizer::Create(v);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("BOS"), std::string::npos) << bad.message();
}

TEST(Tokenizer, DecodesIdsOutsideTheVocabularyToNothing) {
  Result<Tokenizer> tok = Tokenizer::Create(BpeVocabulary({}, {}));
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(tok->Decode(std::vector<TokenId>{'a', -5, 1 << 30, 'b'}), "ab");
  EXPECT_EQ(tok->TokenText(-1), "");
}

// Builds a GGUF file in memory holding only tokenizer metadata.
Result<Tokenizer> TokenizerFromMetadata(const std::vector<GgufKeyValue>& kvs,
                                        std::vector<uint8_t>& storage) {
  GgufWriter w;
  for (const auto& kv : kvs) w.Set(kv.key, kv.value);
  Result<std::vector<uint8_t>> bytes = w.Serialize();
  if (!bytes.ok()) return bytes.status();
  storage = std::move(*bytes);
  Result<GgufFile> file = GgufFile::Parse(storage);
  if (!file.ok()) return file.status();
  return Tokenizer::FromGguf(*file);
}

TEST(VocabularyFromGguf, ReadsTheTokenizerKeys) {
  std::vector<uint8_t> storage;
  Result<Tokenizer> tok = TokenizerFromMetadata(
      {{"tokenizer.ggml.model", GgufValue::String("llama")},
       {"tokenizer.ggml.tokens",
        GgufValue::StringArray({"<unk>", "<s>", "</s>", "\xE2\x96\x81", "h", "i", "hi",
                                "\xE2\x96\x81"
                                "hi"})},
       {"tokenizer.ggml.scores", GgufValue::Float32Array({0, 0, 0, -5, -5, -5, -2, -1})},
       {"tokenizer.ggml.token_type", GgufValue::Int32Array({2, 3, 3, 1, 1, 1, 1, 1})},
       {"tokenizer.ggml.bos_token_id", GgufValue::Uint32(1)},
       {"tokenizer.ggml.eos_token_id", GgufValue::Uint32(2)},
       {"tokenizer.ggml.add_eos_token", GgufValue::Bool(true)}},
      storage);
  ASSERT_TRUE(tok.ok()) << tok.message();
  EXPECT_EQ(tok->Encode("hi", {.add_special = true}), (std::vector<TokenId>{1, 7, 2}));
  EXPECT_EQ(tok->Type(0), TokenType::kUnknown);
}

TEST(VocabularyFromGguf, NamesTheKeyThatIsWrong) {
  struct Case {
    std::vector<GgufKeyValue> kvs;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{}, "tokenizer.ggml.model"},
      {{{"tokenizer.ggml.model", GgufValue::String("bert")}}, "unsupported tokenizer model"},
      {{{"tokenizer.ggml.model", GgufValue::String("llama")}}, "tokenizer.ggml.tokens"},
      {{{"tokenizer.ggml.model", GgufValue::String("llama")},
        {"tokenizer.ggml.tokens", GgufValue::StringArray({"a", "b"})},
        {"tokenizer.ggml.scores", GgufValue::Float32Array({1})}},
       "tokenizer.ggml.scores"},
      {{{"tokenizer.ggml.model", GgufValue::String("llama")},
        {"tokenizer.ggml.tokens", GgufValue::StringArray({"a"})},
        {"tokenizer.ggml.token_type", GgufValue::Int32Array({9})}},
       "tokenizer.ggml.token_type"},
      {{{"tokenizer.ggml.model", GgufValue::String("gpt2")},
        {"tokenizer.ggml.tokens", GgufValue::StringArray({"a"})}},
       "tokenizer.ggml.merges"},
      {{{"tokenizer.ggml.model", GgufValue::String("gpt2")},
        {"tokenizer.ggml.tokens", GgufValue::StringArray({"a"})},
        {"tokenizer.ggml.merges", GgufValue::StringArray({})},
        {"tokenizer.ggml.pre", GgufValue::String("klingon")}},
       "klingon"},
      {{{"tokenizer.ggml.model", GgufValue::String("llama")},
        {"tokenizer.ggml.tokens", GgufValue::StringArray({"a"})},
        {"tokenizer.ggml.add_bos_token", GgufValue::String("yes")}},
       "tokenizer.ggml.add_bos_token"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> storage;
    Result<Tokenizer> tok = TokenizerFromMetadata(c.kvs, storage);
    ASSERT_FALSE(tok.ok()) << c.expect;
    EXPECT_NE(tok.message().find(c.expect), std::string::npos) << tok.message();
  }
}

Result<Tokenizer> VectorTokenizer(const std::string& name) {
  const fs::path path = VectorDir() / ("ggml-vocab-" + name + ".gguf");
  Result<GgufFile> file = GgufFile::Open(path.string());
  if (!file.ok()) return file.status();
  return Tokenizer::FromGguf(*file);
}

#define REQUIRE_VECTORS()                                               \
  if (!fs::exists(VectorDir())) {                                       \
    GTEST_SKIP() << "no tokenizer reference vectors at " << VectorDir() \
                 << " (../shared is absent; set PARETO_SHARED_DIR)";    \
  }

TEST(TokenizerFiles, LlamaAddsBosAndParsesControlTokensWhenAsked) {
  REQUIRE_VECTORS();
  Result<Tokenizer> tok = VectorTokenizer("llama-spm");
  ASSERT_TRUE(tok.ok()) << tok.message();
  const std::vector<TokenId> ids =
      tok->Encode("Hello</s>", {.add_special = true, .parse_special = true});
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(ids.back(), 2);
  EXPECT_TRUE(tok->IsEndOfGeneration(2));
  EXPECT_EQ(tok->Decode(ids, {.strip_leading_space = true}), "Hello");
}

TEST(TokenizerFiles, PhiChatMarkersAreSingleTokens) {
  REQUIRE_VECTORS();
  Result<Tokenizer> tok = VectorTokenizer("phi-3");
  ASSERT_TRUE(tok.ok()) << tok.message();
  const std::vector<TokenId> ids =
      tok->Encode("<|user|>\nHi<|end|>\n<|assistant|>\n", {.parse_special = true});
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 32010), 1);  // <|user|>
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 32007), 1);  // <|end|>
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 32001), 1);  // <|assistant|>
  EXPECT_TRUE(tok->IsEndOfGeneration(32007));
  EXPECT_TRUE(tok->IsEndOfGeneration(32000));
}

TEST(TokenizerFiles, Gpt2EndOfTextIsSpecialOnlyWhenParsed) {
  REQUIRE_VECTORS();
  Result<Tokenizer> tok = VectorTokenizer("gpt-2");
  ASSERT_TRUE(tok.ok()) << tok.message();
  EXPECT_EQ(tok->Encode("<|endoftext|>", {.parse_special = true}), (std::vector<TokenId>{50256}));
  EXPECT_GT(tok->Encode("<|endoftext|>").size(), 1u);
  // GPT-2 files say nothing about BOS, so add_special adds nothing.
  EXPECT_EQ(tok->Encode("Hello", {.add_special = true}), tok->Encode("Hello"));
}

TEST(TokenizerFiles, InvalidUtf8NeverCrashesAndRoundTrips) {
  REQUIRE_VECTORS();
  // Bytes that can appear in broken UTF-8 (truncated sequences, surrogates, stray
  // continuations) and bytes that never appear in UTF-8 at all (0xC0, 0xC1, 0xF5..0xFF).
  const std::string broken = "ok \x80 caf\xC3 \xED\xA0\x80 end\xE2\x82";
  const std::string never = "\xff\xfe\xC0\xAF";
  for (const std::string name : {"llama-spm", "phi-3", "gpt-2", "deepseek-coder"}) {
    Result<Tokenizer> tok = VectorTokenizer(name);
    ASSERT_TRUE(tok.ok()) << tok.message();
    for (const std::string& text : {broken, never + broken}) {
      const std::vector<TokenId> ids = tok->Encode(text);
      EXPECT_FALSE(ids.empty()) << name;
      for (TokenId id : ids) EXPECT_TRUE(tok->Contains(id)) << name;
      // DeepSeek Coder spells the never-in-UTF-8 bytes only as user-defined tokens, which
      // decode as the characters they show, so only broken UTF-8 round-trips there.
      if (name == "deepseek-coder" && text != broken) continue;
      EXPECT_EQ(tok->Decode(ids, {.strip_leading_space = true}), text) << name;
    }
  }
}

}  // namespace
}  // namespace pareto::inference
