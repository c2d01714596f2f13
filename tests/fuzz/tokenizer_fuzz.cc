// Fuzzes the text side of the tokenizers and the tokenizer metadata of GGUF files.
//
// The first byte picks the target:
//   0  the rest is text: every pre-tokenizer must return non-empty pieces that join back
//      to it, and two hand-made vocabularies (SentencePiece with byte tokens, byte-level
//      BPE) must encode it to ids that decode back to it exactly;
//   1  the rest is split into stop strings and pieces pushed through StopStrings: what it
//      releases must be a prefix of the pieces' text with no stop inside;
//   2  the rest is a GGUF file: any tokenizer it yields must encode and decode text.
// Any other outcome aborts (a crash or sanitizer report is a finding).
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/gguf.h"
#include "inference/sampler.h"
#include "inference/tokenizer.h"
#include "inference/unicode.h"
#include "inference/unicode_split.h"

namespace pareto::inference {
namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

const Tokenizer& SentencePieceTokenizer() {
  static const Tokenizer tok = [] {
    Vocabulary v;
    v.tokens = {"<unk>", "<s>", "</s>"};
    v.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl};
    for (int b = 0; b < 256; ++b) {
      static const char* hex = "0123456789ABCDEF";
      v.tokens.push_back(std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">");
      v.types.push_back(TokenType::kByte);
    }
    for (std::string t : {"\xE2\x96\x81", "a", "b",
                          "\xE2\x96\x81"
                          "a",
                          "ab",
                          "\xE2\x96\x81"
                          "ab",
                          "\xE2\x96\x81\xE2\x96\x81", "<|user|>"}) {
      v.tokens.push_back(t);
      v.types.push_back(t == "<|user|>" ? TokenType::kUserDefined : TokenType::kNormal);
    }
    v.scores.assign(v.tokens.size(), -1.0f);
    v.unk = 0;
    v.bos = 1;
    v.eos = 2;
    return *Tokenizer::Create(v);
  }();
  return tok;
}

const Tokenizer& BpeTokenizer(PreTokenizer pre) {
  static std::vector<Tokenizer> toks = [] {
    std::vector<Tokenizer> out;
    for (PreTokenizer p : {PreTokenizer::kGpt2, PreTokenizer::kLlama3, PreTokenizer::kQwen2,
                           PreTokenizer::kDeepseekCoder, PreTokenizer::kSmolLM,
                           PreTokenizer::kBpeDefault, PreTokenizer::kFalcon}) {
      Vocabulary v;
      v.model = TokenizerModel::kBytePairEncoding;
      v.pre = p;
      uint32_t next = 256;
      for (uint32_t b = 0; b < 256; ++b) {
        const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        std::string s;
        AppendUtf8(printable ? b : next++, s);
        v.tokens.push_back(s);
      }
      for (std::string t : {"\xC4\xA0"
                            "a",
                            "ab",
                            "\xC4\xA0"
                            "ab",
                            "<|im_end|>"}) {
        v.tokens.push_back(t);
      }
      v.types.assign(v.tokens.size(), TokenType::kNormal);
      v.types.back() = TokenType::kControl;
      v.merges = {"\xC4\xA0 a", "a b",
                  "\xC4\xA0"
                  "a b"};
      v.ignore_merges = p == PreTokenizer::kLlama3;
      out.push_back(*Tokenizer::Create(v));
    }
    return out;
  }();
  return toks[static_cast<size_t>(pre) - static_cast<size_t>(PreTokenizer::kGpt2)];
}

void FuzzText(std::string_view text) {
  for (PreTokenizer p : {PreTokenizer::kNone, PreTokenizer::kGpt2, PreTokenizer::kLlama3,
                         PreTokenizer::kQwen2, PreTokenizer::kDeepseekCoder, PreTokenizer::kSmolLM,
                         PreTokenizer::kBpeDefault, PreTokenizer::kFalcon}) {
    std::string joined;
    for (std::string_view piece : PreTokenize(p, text)) {
      Check(!piece.empty());
      joined += piece;
    }
    Check(joined == text);
    if (p == PreTokenizer::kNone) continue;
    const Tokenizer& bpe = BpeTokenizer(p);
    for (bool special : {false, true}) {
      const std::vector<TokenId> ids =
          bpe.Encode(text, {.add_special = special, .parse_special = special});
      for (TokenId id : ids) Check(bpe.Contains(id));
      Check(bpe.Decode(ids, {.render_special = true}) == text);
    }
  }
  const Tokenizer& spm = SentencePieceTokenizer();
  const std::vector<TokenId> ids = spm.Encode(text);
  for (TokenId id : ids) Check(spm.Contains(id));
  // After a special token SentencePiece starts a new text with its own space prefix, and a
  // U+2581 in the input decodes as the space it stands for, so only text with neither
  // comes back byte for byte.
  if (text.find("<|user|>") == std::string_view::npos &&
      text.find("\xE2\x96\x81") == std::string_view::npos) {
    Check(spm.Decode(ids, {.strip_leading_space = true}) == text);
  }
  spm.Encode(text, {.add_special = true, .parse_special = true});
}

void FuzzStops(std::string_view data) {
  // Stops and pieces are separated by 0x00; the first two fields are stop strings.
  std::vector<std::string> fields(1);
  for (char c : data) {
    if (c == '\0') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  std::vector<std::string> stops;
  for (size_t i = 0; i < fields.size() && i < 2; ++i) stops.push_back(fields[i]);
  StopStrings s(stops);
  std::string all;
  std::string shown;
  bool stopped = false;
  for (size_t i = 2; i < fields.size(); ++i) {
    all += fields[i];
    const StopStrings::Step step = s.Push(fields[i]);
    shown += step.text;
    if (step.stopped) {
      stopped = true;
      break;
    }
  }
  if (!stopped) shown += s.Flush();
  Check(all.compare(0, shown.size(), shown) == 0);
  if (!stopped) Check(shown == all);
  for (const std::string& stop : stops) {
    if (!stop.empty()) Check(shown.find(stop) == std::string::npos);
  }
}

void FuzzGguf(std::span<const uint8_t> bytes) {
  Result<GgufFile> file = GgufFile::Parse(bytes);
  if (!file.ok()) return;
  Result<Tokenizer> tok = Tokenizer::FromGguf(*file);
  if (!tok.ok()) return;
  for (std::string_view text : {"Hello world", " x\n\n  y 123 \xff", "<s></s><|im_end|>"}) {
    const std::vector<TokenId> ids =
        tok->Encode(text, {.add_special = true, .parse_special = true});
    for (TokenId id : ids) Check(tok->Contains(id));
    tok->Decode(ids, {.render_special = true});
  }
}

}  // namespace
}  // namespace pareto::inference

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pareto::inference;
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0:
      FuzzText(rest);
      break;
    case 1:
      FuzzStops(rest);
      break;
    default:
      FuzzGguf(std::span<const uint8_t>(data + 1, size - 1));
      break;
  }
  return 0;
}
