// Tokenizers built from a GGUF file's tokenizer metadata: text to token ids and back.
//
// Two models, as GGUF names them in tokenizer.ggml.model:
//   "llama"  SentencePiece-style: text with spaces written as U+2581, merged greedily by
//            token score, characters without a token spelled as byte tokens <0xXX>; a space
//            is put in front of the text (add_space_prefix, default on).
//   "gpt2"   byte-level BPE: a pre-tokenizer (tokenizer.ggml.pre) cuts the text into words,
//            each word's bytes are mapped to printable characters and merged by merge rank.
// Special tokens: control and unknown-type tokens are recognised in the text only when the
// caller asks (parse_special); user-defined tokens always are, as the reference tokenizer
// does. BOS/EOS are added per the file (add_bos_token/add_eos_token) only when the caller
// asks (add_special).
//
// Every byte string encodes without error: invalid UTF-8 falls back to byte tokens (or the
// unknown token when the vocabulary has none). Decoding reassembles byte tokens into the
// original bytes, so Decode(Encode(s)) == s for every vocabulary that can spell s.
// A Tokenizer is immutable after Create, cheap to copy, and safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inference/status.h"
#include "inference/unicode_split.h"

namespace pareto::inference {

class GgufFile;
class GgufWriter;

using TokenId = int32_t;
inline constexpr TokenId kNoToken = -1;

// tokenizer.ggml.token_type values.
enum class TokenType : uint8_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

enum class TokenizerModel {
  kSentencePiece,     // "llama"
  kBytePairEncoding,  // "gpt2"
};

// Everything a Tokenizer is made from; the GGUF reader fills it, tests build it by hand.
struct Vocabulary {
  TokenizerModel model = TokenizerModel::kSentencePiece;
  PreTokenizer pre = PreTokenizer::kGpt2;  // byte-level BPE only
  std::vector<std::string> tokens;
  std::vector<float> scores;        // one per token, or empty (all 0)
  std::vector<TokenType> types;     // one per token, or empty (all normal)
  std::vector<std::string> merges;  // byte-level BPE: "left right", first = merged first
  TokenId bos = kNoToken;
  TokenId eos = kNoToken;
  TokenId eot = kNoToken;  // end of turn, where the file names one
  TokenId unk = kNoToken;
  TokenId pad = kNoToken;
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = true;  // SentencePiece only
  // Byte-level BPE: a word that is itself a token is not merged (Llama 3 does this).
  bool ignore_merges = false;
};

// Reads tokenizer.ggml.* from a GGUF file. Unknown models or pre-tokenizers, and arrays
// whose lengths disagree, are errors naming the key.
Result<Vocabulary> VocabularyFromGguf(const GgufFile& file);

// The pre-tokenizer a tokenizer.ggml.pre name stands for ("gpt2", "gpt-2", "llama3",
// "llama-bpe", "qwen2", "deepseek-coder", "smollm", ...); an error for names not supported.
// "default" (and a byte-level BPE file without the key) is llama.cpp's default sequence,
// as llama.cpp's conversions define these names.
Result<PreTokenizer> PreTokenizerFromName(std::string_view name);

struct EncodeOptions {
  bool add_special = false;    // add BOS / EOS as the vocabulary says
  bool parse_special = false;  // recognise control tokens written in the text
};

struct DecodeOptions {
  bool render_special = false;  // write control tokens' text ("<|im_end|>") instead of ""
  // SentencePiece: drop the space the encoder put in front of the text (on the first
  // piece only). Off by default, because a completion's leading space is real text.
  bool strip_leading_space = false;
};

class Tokenizer {
 public:
  static Result<Tokenizer> Create(Vocabulary vocab);
  static Result<Tokenizer> FromGguf(const GgufFile& file);

  std::vector<TokenId> Encode(std::string_view text, EncodeOptions options = {}) const;

  // Ids outside the vocabulary decode to nothing.
  std::string Decode(std::span<const TokenId> ids, DecodeOptions options = {}) const;
  // The bytes one token contributes to decoded text (possibly part of a UTF-8 sequence,
  // for byte tokens): what a streaming generator appends.
  std::string TokenPiece(TokenId id, bool render_special = false) const;

  const Vocabulary& vocabulary() const;
  int32_t size() const;
  bool Contains(TokenId id) const { return id >= 0 && id < size(); }
  // The token's text as stored in the vocabulary ("▁the", "Ġthe", "<0x0A>"); "" outside it.
  const std::string& TokenText(TokenId id) const;
  TokenType Type(TokenId id) const;
  // The id whose stored text is exactly `text`, or kNoToken.
  TokenId Find(std::string_view text) const;

  TokenId bos() const { return vocabulary().bos; }
  TokenId eos() const { return vocabulary().eos; }
  // Tokens that end a generation: EOS, EOT, and the control tokens chat formats end a turn
  // with (<|eot_id|>, <|im_end|>, <|end|>, <|endoftext|>, <end_of_turn>, <|EOT|>, ...).
  bool IsEndOfGeneration(TokenId id) const;
  const std::vector<TokenId>& EndOfGenerationIds() const;

 private:
  struct Impl;
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;  // immutable, so copies share it
};

// The byte-level vocabulary pareto's own models use: a byte-level BPE vocabulary
// ("gpt2", pre-tokenizer "gpt-2") with no merges, whose token b (0..255) is the byte b in
// GPT-2's printable spelling, then <s> (BOS, added in front of every encoded text), </s>
// (EOS) and <pad>. Any text encodes as its bytes plus BOS, so a model trained on it reads
// exactly what it is sent; llama.cpp loads the same metadata.
inline constexpr TokenId kByteBos = 256;
inline constexpr TokenId kByteEos = 257;
inline constexpr TokenId kBytePad = 258;
inline constexpr int kByteVocabularySize = 259;

// Writes that vocabulary's tokenizer.ggml.* metadata into `writer`.
void AddByteLevelVocabulary(GgufWriter& writer);

}  // namespace pareto::inference
