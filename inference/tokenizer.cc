// Tokenizers: the special-token partition, the two merge algorithms, decoding, and reading
// the vocabulary out of GGUF metadata.
#include "inference/tokenizer.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <queue>
#include <string>
#include <unordered_map>

#include "inference/gguf.h"
#include "inference/unicode.h"

namespace pareto::inference {
namespace {

// Lets unordered_map<std::string, ...> be searched with a string_view without a copy.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

using TokenMap = std::unordered_map<std::string, TokenId, StringHash, std::equal_to<>>;

// SentencePiece writes spaces as U+2581 LOWER ONE EIGHTH BLOCK.
constexpr std::string_view kSpmSpace = "\xE2\x96\x81";

// GPT-2's byte-level alphabet: the printable bytes stand for themselves, the other 68
// (control characters, space, DEL, NBSP, soft hyphen and C1) are moved to U+0100 onwards
// in byte order, so every byte has a visible single-character spelling.
std::array<uint32_t, 256> ByteToCodepoint() {
  std::array<uint32_t, 256> map{};
  uint32_t next = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    map[b] = printable ? b : next++;
  }
  return map;
}

std::string ReplaceAll(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size() + text.size() / 2);
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

// "<0x41>" -> 0x41; -1 when the text is not a byte token's.
int ParseByteToken(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  int value = 0;
  for (char c : text.substr(3, 2)) {
    value *= 16;
    if (c >= '0' && c <= '9') {
      value += c - '0';
    } else if (c >= 'A' && c <= 'F') {
      value += c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      value += c - 'a' + 10;
    } else {
      return -1;
    }
  }
  return value;
}

bool IsOrdinary(TokenType t) {
  return t == TokenType::kNormal || t == TokenType::kUndefined || t == TokenType::kUnused;
}

// A piece of input text, or a special token already recognised in it.
struct Fragment {
  std::string_view text;
  TokenId token = kNoToken;
};

}  // namespace

struct Tokenizer::Impl {
  Vocabulary vocab;
  TokenMap token_to_id;
  // SentencePiece: the <0xXX> token of each byte. Byte-level BPE: the token of each byte's
  // one-character spelling. kNoToken where the vocabulary lacks it.
  std::array<TokenId, 256> byte_token{};
  std::array<uint32_t, 256> byte_to_cp{};
  std::unordered_map<uint32_t, uint8_t> cp_to_byte;
  struct Merge {
    int32_t rank;
    TokenId merged;
  };
  std::unordered_map<uint64_t, Merge> merges;  // (left id << 32 | right id) -> merge
  std::vector<TokenId> specials;               // longest text first
  std::vector<TokenId> end_of_generation;
  // SentencePiece: true when no token has U+2581 after another character, so no merge can
  // cross into a run of spaces and each word (spaces first) can be merged on its own.
  bool spm_words_independent = false;

  float Score(TokenId id) const { return vocab.scores.empty() ? 0.0f : vocab.scores[id]; }
  TokenType Type(TokenId id) const {
    return vocab.types.empty() ? TokenType::kNormal : vocab.types[id];
  }
  TokenId Find(std::string_view text) const {
    const auto it = token_to_id.find(text);
    return it == token_to_id.end() ? kNoToken : it->second;
  }

  std::vector<Fragment> Partition(std::string_view text, bool parse_special) const;
  void EncodeSentencePieceText(std::string_view text, std::vector<TokenId>& out) const;
  void EncodeSentencePiece(std::string_view text, std::vector<TokenId>& out) const;
  void EncodeBpeWord(std::string_view word, std::vector<TokenId>& out) const;
  void AppendPiece(TokenId id, bool render_special, std::string& out) const;
};

// Special tokens are cut out of the text before any merging, longest token first (so
// "<|im_end|>" wins over a shorter token inside it), each over every remaining raw piece.
std::vector<Fragment> Tokenizer::Impl::Partition(std::string_view text, bool parse_special) const {
  std::vector<Fragment> fragments;
  if (text.empty()) return fragments;
  fragments.push_back({text, kNoToken});
  std::vector<Fragment> next;
  for (TokenId id : specials) {
    if (!parse_special && Type(id) != TokenType::kUserDefined) continue;
    const std::string& special = vocab.tokens[id];
    next.clear();
    bool found = false;
    for (const Fragment& f : fragments) {
      if (f.token != kNoToken) {
        next.push_back(f);
        continue;
      }
      std::string_view rest = f.text;
      for (size_t hit; (hit = rest.find(special)) != std::string_view::npos;) {
        found = true;
        if (hit > 0) next.push_back({rest.substr(0, hit), kNoToken});
        next.push_back({rest.substr(hit, special.size()), id});
        rest.remove_prefix(hit + special.size());
      }
      if (!rest.empty()) next.push_back({rest, kNoToken});
    }
    if (found) fragments.swap(next);
  }
  return fragments;
}

// Same result as merging the whole text at once, with a far smaller queue: when words are
// independent, cut before every U+2581 that follows another character.
void Tokenizer::Impl::EncodeSentencePieceText(std::string_view text,
                                              std::vector<TokenId>& out) const {
  if (!spm_words_independent) {
    EncodeSentencePiece(text, out);
    return;
  }
  size_t begin = 0;
  for (size_t pos = 0;;) {
    const size_t hit = text.find(kSpmSpace, pos);
    if (hit == std::string_view::npos) break;
    // A word of one or two bytes before the first space has no U+2581 in front of it
    // (begin is 0 or a U+2581, so a preceding U+2581 ends at least three bytes after it).
    if (hit > begin && (hit < begin + kSpmSpace.size() ||
                        text.substr(hit - kSpmSpace.size(), kSpmSpace.size()) != kSpmSpace)) {
      EncodeSentencePiece(text.substr(begin, hit - begin), out);
      begin = hit;
    }
    pos = hit + kSpmSpace.size();
  }
  EncodeSentencePiece(text.substr(begin), out);
}

// SentencePiece (BPE flavour): start from single characters and repeatedly merge the
// adjacent pair whose concatenation is the highest-scoring token, leftmost first on ties.
// A character that no token spells is written as its bytes' <0xXX> tokens.
void Tokenizer::Impl::EncodeSentencePiece(std::string_view text, std::vector<TokenId>& out) const {
  struct Symbol {
    size_t start;
    size_t length;  // 0 once merged into its left neighbour
    int prev;
    int next;
    TokenId id;  // known once merged
  };
  std::vector<Symbol> symbols;
  for (size_t pos = 0; pos < text.size();) {
    const uint32_t length = DecodeUtf8(text, pos).length;
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({pos, length, index - 1, index + 1, kNoToken});
    pos += length;
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;

  struct Candidate {
    float score;
    int left;
    int right;
    size_t length;
    TokenId id;
  };
  const auto worse = [](const Candidate& a, const Candidate& b) {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(worse)> queue(worse);
  const auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const size_t length = symbols[left].length + symbols[right].length;
    const TokenId id = Find(text.substr(symbols[left].start, length));
    if (id == kNoToken) return;
    queue.push({Score(id), left, right, length, id});
  };
  for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i) consider(i, i + 1);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& left = symbols[c.left];
    Symbol& right = symbols[c.right];
    // Stale: one side has merged with something else since this pair was queued.
    if (left.length == 0 || right.length == 0 || left.next != c.right ||
        left.length + right.length != c.length) {
      continue;
    }
    left.length = c.length;
    left.id = c.id;
    left.next = right.next;
    right.length = 0;
    if (right.next >= 0) symbols[right.next].prev = c.left;
    consider(left.prev, c.left);
    consider(c.left, left.next);
  }

  for (int i = 0; i >= 0; i = symbols[i].next) {
    const Symbol& s = symbols[i];
    TokenId id = s.id != kNoToken ? s.id : Find(text.substr(s.start, s.length));
    if (id != kNoToken) {
      out.push_back(id);
      continue;
    }
    for (size_t k = 0; k < s.length; ++k) {
      const TokenId byte = byte_token[static_cast<uint8_t>(text[s.start + k])];
      if (byte != kNoToken) {
        out.push_back(byte);
      } else if (vocab.unk != kNoToken) {
        out.push_back(vocab.unk);
        break;  // one unknown token per character, not per byte
      }
    }
  }
}

// Byte-level BPE on one pre-tokenized word: start from one symbol per byte and repeatedly
// apply the lowest-ranked merge among adjacent pairs, leftmost first on ties.
void Tokenizer::Impl::EncodeBpeWord(std::string_view word, std::vector<TokenId>& out) const {
  if (vocab.ignore_merges) {
    std::string spelled;
    for (char c : word) AppendUtf8(byte_to_cp[static_cast<uint8_t>(c)], spelled);
    if (const TokenId id = Find(spelled); id != kNoToken) {
      out.push_back(id);
      return;
    }
  }
  struct Symbol {
    TokenId id;
    int prev;
    int next;
  };
  std::vector<Symbol> symbols(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    const int index = static_cast<int>(i);
    symbols[i] = {byte_token[static_cast<uint8_t>(word[i])], index - 1, index + 1};
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;

  struct Candidate {
    int32_t rank;
    int left;
    int right;
    TokenId left_id;
    TokenId right_id;
    TokenId merged;
  };
  const auto worse = [](const Candidate& a, const Candidate& b) {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(worse)> queue(worse);
  const auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const TokenId a = symbols[left].id;
    const TokenId b = symbols[right].id;
    if (a == kNoToken || b == kNoToken) return;
    const auto it = merges.find((static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b));
    if (it == merges.end()) return;
    queue.push({it->second.rank, left, right, a, b, it->second.merged});
  };
  for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i) consider(i, i + 1);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& left = symbols[c.left];
    Symbol& right = symbols[c.right];
    // Stale: a side has merged since (its id changed) or been absorbed (no longer adjacent).
    if (left.next != c.right || left.id != c.left_id || right.id != c.right_id) continue;
    left.id = c.merged;
    left.next = right.next;
    right.id = kNoToken;
    right.prev = -1;
    if (right.next >= 0) symbols[right.next].prev = c.left;
    right.next = -1;
    consider(left.prev, c.left);
    consider(c.left, left.next);
  }

  for (int i = 0; i >= 0; i = symbols[i].next) {
    if (symbols[i].id != kNoToken) {
      out.push_back(symbols[i].id);
    } else if (vocab.unk != kNoToken) {
      out.push_back(vocab.unk);  // a byte the vocabulary cannot spell
    }
  }
}

void Tokenizer::Impl::AppendPiece(TokenId id, bool render_special, std::string& out) const {
  if (id < 0 || id >= static_cast<TokenId>(vocab.tokens.size())) return;
  const std::string& text = vocab.tokens[id];
  switch (Type(id)) {
    case TokenType::kControl:
    case TokenType::kUnknown:
      if (render_special) out += text;
      return;
    case TokenType::kUserDefined:
      out += text;  // written literally in the text, so it decodes literally
      return;
    case TokenType::kByte:
      if (vocab.model == TokenizerModel::kSentencePiece) {
        if (const int byte = ParseByteToken(text); byte >= 0) {
          out += static_cast<char>(byte);
          return;
        }
      }
      break;
    case TokenType::kUndefined:
    case TokenType::kNormal:
    case TokenType::kUnused:
      break;
  }
  if (vocab.model == TokenizerModel::kSentencePiece) {
    out += ReplaceAll(text, kSpmSpace, " ");
    return;
  }
  for (size_t pos = 0; pos < text.size();) {
    const Utf8Unit u = DecodeUtf8(text, pos);
    const auto it = cp_to_byte.find(u.cp);
    if (it != cp_to_byte.end()) {
      out += static_cast<char>(it->second);
    } else {
      out.append(text, pos, u.length);  // not part of the byte alphabet: keep as written
    }
    pos += u.length;
  }
}

Result<Tokenizer> Tokenizer::Create(Vocabulary vocab) {
  const size_t n = vocab.tokens.size();
  if (n == 0) return Status::Error("the vocabulary has no tokens");
  if (n > static_cast<size_t>(INT32_MAX)) return Status::Error("the vocabulary is too large");
  if (!vocab.scores.empty() && vocab.scores.size() != n) {
    return Status::Error("the vocabulary has " + std::to_string(n) + " tokens but " +
                         std::to_string(vocab.scores.size()) + " scores");
  }
  if (!vocab.types.empty() && vocab.types.size() != n) {
    return Status::Error("the vocabulary has " + std::to_string(n) + " tokens but " +
                         std::to_string(vocab.types.size()) + " token types");
  }
  const auto check_id = [n](TokenId& id, const char* what) -> Status {
    if (id == kNoToken) return Status::Ok();
    if (id < 0 || static_cast<size_t>(id) >= n) {
      return Status::Error(std::string(what) + " token id " + std::to_string(id) +
                           " is outside the vocabulary of " + std::to_string(n) + " tokens");
    }
    return Status::Ok();
  };
  for (auto [id, what] :
       {std::pair{&vocab.bos, "BOS"}, std::pair{&vocab.eos, "EOS"}, std::pair{&vocab.eot, "EOT"},
        std::pair{&vocab.unk, "unknown"}, std::pair{&vocab.pad, "padding"}}) {
    if (Status s = check_id(*id, what); !s.ok()) return s;
  }

  auto impl = std::make_shared<Impl>();
  impl->vocab = std::move(vocab);
  const Vocabulary& v = impl->vocab;
  impl->token_to_id.reserve(n);
  // When a text appears twice, the later id wins, as in the reference implementation.
  for (size_t i = 0; i < n; ++i) impl->token_to_id[v.tokens[i]] = static_cast<TokenId>(i);

  impl->byte_token.fill(kNoToken);
  if (v.model == TokenizerModel::kSentencePiece) {
    for (size_t i = 0; i < n; ++i) {
      if (impl->Type(static_cast<TokenId>(i)) != TokenType::kByte) continue;
      const int byte = ParseByteToken(v.tokens[i]);
      if (byte >= 0 && impl->byte_token[byte] == kNoToken) {
        impl->byte_token[byte] = static_cast<TokenId>(i);
      }
    }
    impl->spm_words_independent = true;
    for (const std::string& t : v.tokens) {
      const std::string_view view(t);
      size_t lead = 0;
      while (view.substr(lead, kSpmSpace.size()) == kSpmSpace) lead += kSpmSpace.size();
      if (view.find(kSpmSpace, lead) != std::string_view::npos) {
        impl->spm_words_independent = false;
        break;
      }
    }
  } else {
    impl->byte_to_cp = ByteToCodepoint();
    for (uint32_t b = 0; b < 256; ++b) impl->cp_to_byte[impl->byte_to_cp[b]] = b;
    // A byte's token is the first normal token spelling it: some vocabularies repeat the
    // spellings of bytes that valid UTF-8 never contains as user-defined tokens, which
    // decode literally and so would not give the byte back.
    for (size_t i = 0; i < n; ++i) {
      const std::string& text = v.tokens[i];
      if (text.empty() || text.size() > 2 || !IsOrdinary(impl->Type(static_cast<TokenId>(i)))) {
        continue;
      }
      const Utf8Unit u = DecodeUtf8(text, 0);
      const auto it = impl->cp_to_byte.find(u.cp);
      if (u.length != text.size() || it == impl->cp_to_byte.end()) continue;
      if (impl->byte_token[it->second] == kNoToken) {
        impl->byte_token[it->second] = static_cast<TokenId>(i);
      }
    }
    for (uint32_t b = 0; b < 256; ++b) {
      if (impl->byte_token[b] != kNoToken) continue;
      std::string spelled;
      AppendUtf8(impl->byte_to_cp[b], spelled);
      impl->byte_token[b] = impl->Find(spelled);
    }
    // A merge is usable only when both sides and the result are tokens; others can never
    // fire (every symbol is a token at all times), so they are dropped here.
    impl->merges.reserve(v.merges.size());
    for (size_t r = 0; r < v.merges.size(); ++r) {
      const std::string& m = v.merges[r];
      const size_t space = m.find(' ', 1);
      if (space == std::string::npos) continue;
      const std::string_view left = std::string_view(m).substr(0, space);
      const std::string_view right = std::string_view(m).substr(space + 1);
      const TokenId a = impl->Find(left);
      const TokenId b = impl->Find(right);
      const TokenId merged = impl->Find(std::string(left) + std::string(right));
      if (a == kNoToken || b == kNoToken || merged == kNoToken) continue;
      const uint64_t key = (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b);
      impl->merges.try_emplace(key, Impl::Merge{static_cast<int32_t>(r), merged});
    }
  }

  for (size_t i = 0; i < n; ++i) {
    const TokenType t = impl->Type(static_cast<TokenId>(i));
    const bool special =
        t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown;
    if (special && !v.tokens[i].empty()) impl->specials.push_back(static_cast<TokenId>(i));
  }
  std::stable_sort(impl->specials.begin(), impl->specials.end(),
                   [&](TokenId a, TokenId b) { return v.tokens[a].size() > v.tokens[b].size(); });

  // End of generation: EOS, EOT, and the turn-ending tokens of the common chat formats.
  std::vector<TokenId>& eog = impl->end_of_generation;
  for (TokenId id : {v.eos, v.eot}) {
    if (id != kNoToken) eog.push_back(id);
  }
  for (std::string_view text :
       {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|EOT|>", "<EOT>",
        "<|end_of_text|>", "<|eom_id|>",
        "<\xEF\xBD\x9C"
        "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"}) {
    const TokenId id = impl->Find(text);
    if (id == kNoToken) continue;
    const TokenType t = impl->Type(id);
    if (t != TokenType::kControl && t != TokenType::kUserDefined) continue;
    if (std::find(eog.begin(), eog.end(), id) == eog.end()) eog.push_back(id);
  }
  return Tokenizer(std::move(impl));
}

std::vector<TokenId> Tokenizer::Encode(std::string_view text, EncodeOptions options) const {
  const Impl& impl = *impl_;
  const Vocabulary& v = impl.vocab;
  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 2);
  if (options.add_special && v.add_bos && v.bos != kNoToken) out.push_back(v.bos);

  if (v.model == TokenizerModel::kSentencePiece) {
    // The space prefix goes at the start of the text and after every special token, as
    // SentencePiece treats each such fragment as the start of a new text.
    bool after_special = true;
    for (const Fragment& f : impl.Partition(text, options.parse_special)) {
      if (f.token != kNoToken) {
        out.push_back(f.token);
        after_special = true;
        continue;
      }
      std::string raw;
      if (v.add_space_prefix && after_special) raw = " ";
      raw += f.text;
      impl.EncodeSentencePieceText(ReplaceAll(raw, " ", kSpmSpace), out);
      after_special = false;
    }
  } else {
    for (const Fragment& f : impl.Partition(text, options.parse_special)) {
      if (f.token != kNoToken) {
        out.push_back(f.token);
        continue;
      }
      for (std::string_view word : PreTokenize(v.pre, f.text)) impl.EncodeBpeWord(word, out);
    }
  }

  if (options.add_special && v.add_eos && v.eos != kNoToken) out.push_back(v.eos);
  return out;
}

std::string Tokenizer::Decode(std::span<const TokenId> ids, DecodeOptions options) const {
  std::string out;
  bool first = true;
  for (TokenId id : ids) {
    const size_t before = out.size();
    impl_->AppendPiece(id, options.render_special, out);
    if (first && out.size() > before) {
      first = false;
      if (options.strip_leading_space && impl_->vocab.model == TokenizerModel::kSentencePiece &&
          impl_->vocab.add_space_prefix && out[before] == ' ') {
        out.erase(before, 1);
      }
    }
  }
  return out;
}

std::string Tokenizer::TokenPiece(TokenId id, bool render_special) const {
  std::string out;
  impl_->AppendPiece(id, render_special, out);
  return out;
}

const Vocabulary& Tokenizer::vocabulary() const { return impl_->vocab; }

int32_t Tokenizer::size() const { return static_cast<int32_t>(impl_->vocab.tokens.size()); }

const std::string& Tokenizer::TokenText(TokenId id) const {
  static const std::string kEmpty;
  return Contains(id) ? impl_->vocab.tokens[id] : kEmpty;
}

TokenType Tokenizer::Type(TokenId id) const {
  return Contains(id) ? impl_->Type(id) : TokenType::kUndefined;
}

TokenId Tokenizer::Find(std::string_view text) const { return impl_->Find(text); }

bool Tokenizer::IsEndOfGeneration(TokenId id) const {
  const auto& eog = impl_->end_of_generation;
  return std::find(eog.begin(), eog.end(), id) != eog.end();
}

const std::vector<TokenId>& Tokenizer::EndOfGenerationIds() const {
  return impl_->end_of_generation;
}

Result<PreTokenizer> PreTokenizerFromName(std::string_view name) {
  for (std::string_view n : {"gpt2", "gpt-2", "mpt", "olmo", "jais"}) {
    if (name == n) return PreTokenizer::kGpt2;
  }
  for (std::string_view n : {"llama3", "llama-v3", "llama-bpe", "falcon3"}) {
    if (name == n) return PreTokenizer::kLlama3;
  }
  for (std::string_view n : {"qwen2", "stablelm2"}) {
    if (name == n) return PreTokenizer::kQwen2;
  }
  if (name == "deepseek-coder") return PreTokenizer::kDeepseekCoder;
  if (name == "default") return PreTokenizer::kBpeDefault;
  if (name == "falcon") return PreTokenizer::kFalcon;
  for (std::string_view n : {"smollm", "starcoder", "refact"}) {
    if (name == n) return PreTokenizer::kSmolLM;
  }
  return Status::Error(
      "unsupported pre-tokenizer '" + std::string(name) +
      "' (supported: gpt2, llama3/llama-bpe, qwen2, deepseek-coder, smollm, falcon, default)");
}

Result<Vocabulary> VocabularyFromGguf(const GgufFile& file) {
  Vocabulary v;
  Result<std::string> model = file.GetString("tokenizer.ggml.model");
  if (!model.ok()) return model.status();
  if (*model == "llama") {
    v.model = TokenizerModel::kSentencePiece;
    v.add_bos = true;  // SentencePiece models start with BOS unless the file says otherwise
  } else if (*model == "gpt2") {
    v.model = TokenizerModel::kBytePairEncoding;
  } else {
    return Status::Error("tokenizer.ggml.model: unsupported tokenizer model '" + *model +
                         "' (supported: llama, gpt2)");
  }

  Result<std::vector<std::string>> tokens = file.GetStringArray("tokenizer.ggml.tokens");
  if (!tokens.ok()) return tokens.status();
  v.tokens = std::move(*tokens);
  const size_t n = v.tokens.size();
  const auto size_error = [n](const char* key, size_t found) {
    return Status::Error(std::string(key) + ": " + std::to_string(found) + " entries for " +
                         std::to_string(n) + " tokens");
  };

  if (file.Has("tokenizer.ggml.scores")) {
    Result<std::vector<float>> scores = file.GetFloatArray("tokenizer.ggml.scores");
    if (!scores.ok()) return scores.status();
    if (scores->size() != n) return size_error("tokenizer.ggml.scores", scores->size());
    v.scores = std::move(*scores);
  }
  if (file.Has("tokenizer.ggml.token_type")) {
    Result<std::vector<int64_t>> types = file.GetIntArray("tokenizer.ggml.token_type");
    if (!types.ok()) return types.status();
    if (types->size() != n) return size_error("tokenizer.ggml.token_type", types->size());
    v.types.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const int64_t t = (*types)[i];
      if (t < 0 || t > static_cast<int64_t>(TokenType::kByte)) {
        return Status::Error("tokenizer.ggml.token_type: entry " + std::to_string(i) + " is " +
                             std::to_string(t) + ", not a token type (0..6)");
      }
      v.types.push_back(static_cast<TokenType>(t));
    }
  }

  if (v.model == TokenizerModel::kBytePairEncoding) {
    Result<std::vector<std::string>> merges = file.GetStringArray("tokenizer.ggml.merges");
    if (!merges.ok()) return merges.status();
    v.merges = std::move(*merges);
    std::string pre_name = "default";
    if (file.Has("tokenizer.ggml.pre")) {
      Result<std::string> pre = file.GetString("tokenizer.ggml.pre");
      if (!pre.ok()) return pre.status();
      pre_name = *pre;
    }
    Result<PreTokenizer> pre = PreTokenizerFromName(pre_name);
    if (!pre.ok()) return pre.status().WithContext("tokenizer.ggml.pre");
    v.pre = *pre;
    // Llama 3 itself (not files that only share its regex) takes whole-word tokens as they
    // are and starts with BOS.
    if (pre_name == "llama3" || pre_name == "llama-v3" || pre_name == "llama-bpe" ||
        pre_name == "falcon3") {
      v.ignore_merges = true;
      v.add_bos = true;
    }
  }

  const auto read_id = [&](const char* key, TokenId& id) -> Status {
    if (!file.Has(key)) return Status::Ok();
    Result<int64_t> value = file.GetInt(key);
    if (!value.ok()) return value.status();
    if (*value < 0 || static_cast<uint64_t>(*value) >= n) {
      // Some converters write ids past the vocabulary for "none"; treat them as absent.
      id = kNoToken;
      return Status::Ok();
    }
    id = static_cast<TokenId>(*value);
    return Status::Ok();
  };
  for (auto [key, id] : {std::pair{"tokenizer.ggml.bos_token_id", &v.bos},
                         std::pair{"tokenizer.ggml.eos_token_id", &v.eos},
                         std::pair{"tokenizer.ggml.eot_token_id", &v.eot},
                         std::pair{"tokenizer.ggml.unknown_token_id", &v.unk},
                         std::pair{"tokenizer.ggml.padding_token_id", &v.pad}}) {
    if (Status s = read_id(key, *id); !s.ok()) return s;
  }
  const auto read_flag = [&](const char* key, bool& flag) -> Status {
    if (!file.Has(key)) return Status::Ok();
    Result<bool> value = file.GetBool(key);
    if (!value.ok()) return value.status();
    flag = *value;
    return Status::Ok();
  };
  for (auto [key, flag] : {std::pair{"tokenizer.ggml.add_bos_token", &v.add_bos},
                           std::pair{"tokenizer.ggml.add_eos_token", &v.add_eos},
                           std::pair{"tokenizer.ggml.add_space_prefix", &v.add_space_prefix}}) {
    if (Status s = read_flag(key, *flag); !s.ok()) return s;
  }
  return v;
}

Result<Tokenizer> Tokenizer::FromGguf(const GgufFile& file) {
  Result<Vocabulary> vocab = VocabularyFromGguf(file);
  if (!vocab.ok()) return vocab.status();
  return Create(std::move(*vocab));
}

void AddByteLevelVocabulary(GgufWriter& writer) {
  const std::array<uint32_t, 256> spelling = ByteToCodepoint();
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  for (uint32_t b = 0; b < 256; ++b) {
    std::string text;
    AppendUtf8(spelling[b], text);
    tokens.push_back(std::move(text));
    types.push_back(static_cast<int32_t>(TokenType::kNormal));
  }
  for (const char* special : {"<s>", "</s>", "<pad>"}) {
    tokens.emplace_back(special);
    types.push_back(static_cast<int32_t>(TokenType::kControl));
  }
  writer.Set("tokenizer.ggml.model", GgufValue::String("gpt2"));
  writer.Set("tokenizer.ggml.pre", GgufValue::String("gpt-2"));
  writer.Set("tokenizer.ggml.tokens", GgufValue::StringArray(std::move(tokens)));
  writer.Set("tokenizer.ggml.token_type", GgufValue::Int32Array(types));
  writer.Set("tokenizer.ggml.merges", GgufValue::StringArray({}));
  writer.Set("tokenizer.ggml.bos_token_id", GgufValue::Uint32(kByteBos));
  writer.Set("tokenizer.ggml.eos_token_id", GgufValue::Uint32(kByteEos));
  writer.Set("tokenizer.ggml.padding_token_id", GgufValue::Uint32(kBytePad));
  writer.Set("tokenizer.ggml.add_bos_token", GgufValue::Bool(true));
  writer.Set("tokenizer.ggml.add_eos_token", GgufValue::Bool(false));
}

}  // namespace pareto::inference
