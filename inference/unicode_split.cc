// The pre-tokenizers, each a hand-written matcher for its regex. A regex split takes the
// leftmost match, tries alternatives in order and quantifiers greedily; the comments name
// the alternative each branch implements. For GPT-2, Llama 3 and Qwen2 every position
// matches some alternative, so a split is a chain of matches; DeepSeek Coder's passes keep
// the unmatched text between matches as pieces too.
#include "inference/unicode_split.h"

#include <cstddef>
#include <cstdint>
#include <utility>

#include "inference/unicode.h"

namespace pareto::inference {
namespace {

struct Unit {
  size_t offset;
  uint32_t cp;
  CharClass cls;
  bool space;
};

// The text as units, with class tests that are false past the end (so lookahead is safe).
class Units {
 public:
  explicit Units(std::string_view text) : text_(text) {
    units_.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
      const Utf8Unit u = DecodeUtf8(text, pos);
      units_.push_back({pos, u.cp, ClassOfCodepoint(u.cp), IsWhitespace(u.cp)});
      pos += u.length;
    }
  }

  size_t size() const { return units_.size(); }
  size_t offset(size_t i) const { return i < units_.size() ? units_[i].offset : text_.size(); }
  uint32_t cp(size_t i) const { return i < units_.size() ? units_[i].cp : kInvalidCodepoint; }
  bool letter(size_t i) const { return is(i, CharClass::kLetter); }
  bool number(size_t i) const { return is(i, CharClass::kNumber); }
  bool punctuation(size_t i) const { return is(i, CharClass::kPunctuation); }
  bool space(size_t i) const { return i < units_.size() && units_[i].space; }
  bool newline(size_t i) const { return cp(i) == '\r' || cp(i) == '\n'; }
  // [^\s\p{L}\p{N}]
  bool other(size_t i) const { return i < units_.size() && !space(i) && !letter(i) && !number(i); }

  // The end of the run starting at i of units satisfying pred, stopping at `end`.
  template <typename Pred>
  size_t RunEnd(size_t i, size_t end, Pred pred) const {
    while (i < end && pred(i)) ++i;
    return i;
  }

  std::string_view Slice(size_t begin, size_t end) const {
    return text_.substr(offset(begin), offset(end) - offset(begin));
  }

 private:
  bool is(size_t i, CharClass c) const { return i < units_.size() && units_[i].cls == c; }
  std::string_view text_;
  std::vector<Unit> units_;
};

uint32_t AsciiLower(uint32_t cp) { return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp; }

// 's 't 're 've 'm 'll 'd at i: the end of the contraction, or i when there is none.
size_t ContractionEnd(const Units& u, size_t i, bool ignore_case) {
  if (u.cp(i) != '\'') return i;
  const auto at = [&](size_t k) { return ignore_case ? AsciiLower(u.cp(k)) : u.cp(k); };
  const uint32_t a = at(i + 1);
  const uint32_t b = at(i + 2);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
  return i;
}

// \s+(?!\S) then \s+, for a whitespace run starting at i: a run followed by more text gives
// up its last character, which then leads the next piece (" Hello").
size_t WhitespaceEnd(const Units& u, size_t i) {
  const size_t n = u.size();
  const size_t k = u.RunEnd(i, n, [&](size_t j) { return u.space(j); });
  if (k < n && k - i > 1) return k - 1;
  return k;
}

size_t Gpt2MatchEnd(const Units& u, size_t i) {
  const size_t n = u.size();
  if (size_t k = ContractionEnd(u, i, /*ignore_case=*/false); k != i) return k;
  const size_t j = u.cp(i) == ' ' ? i + 1 : i;  // the optional leading space
  if (u.letter(j)) return u.RunEnd(j, n, [&](size_t k) { return u.letter(k); });  //  ?\p{L}+
  if (u.number(j)) return u.RunEnd(j, n, [&](size_t k) { return u.number(k); });  //  ?\p{N}+
  if (u.other(j)) return u.RunEnd(j, n, [&](size_t k) { return u.other(k); });    //  ?[^...]+
  return WhitespaceEnd(u, i);
}

size_t Llama3MatchEnd(const Units& u, size_t i, size_t max_digits) {
  const size_t n = u.size();
  if (size_t k = ContractionEnd(u, i, /*ignore_case=*/true); k != i) return k;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  const auto letters = [&](size_t k) { return u.letter(k); };
  if (u.letter(i)) return u.RunEnd(i, n, letters);
  if (!u.newline(i) && !u.number(i) && u.letter(i + 1)) return u.RunEnd(i + 1, n, letters);
  // \p{N}{1,3}
  if (u.number(i)) {
    size_t k = i;
    while (k < n && k - i < max_digits && u.number(k)) ++k;
    return k;
  }
  //  ?[^\s\p{L}\p{N}]+[\r\n]*
  const size_t j = u.cp(i) == ' ' ? i + 1 : i;
  if (u.other(j)) {
    const size_t k = u.RunEnd(j, n, [&](size_t m) { return u.other(m); });
    return u.RunEnd(k, n, [&](size_t m) { return u.newline(m); });
  }
  // \s*[\r\n]+: the whitespace run up to and including its last line break.
  const size_t k = u.RunEnd(i, n, [&](size_t m) { return u.space(m); });
  for (size_t m = k; m > i; --m) {
    if (u.newline(m - 1)) return m;
  }
  return WhitespaceEnd(u, i);
}

template <typename MatchEnd>
std::vector<std::string_view> SplitByMatches(const Units& u, MatchEnd match_end) {
  std::vector<std::string_view> pieces;
  for (size_t i = 0; i < u.size();) {
    size_t k = match_end(i);
    if (k <= i) k = i + 1;  // cannot happen (every position matches); never loop forever
    pieces.push_back(u.Slice(i, k));
    i = k;
  }
  return pieces;
}

using Range = std::pair<size_t, size_t>;  // [first unit, end unit)

// One regex pass of a sequence: every piece is cut into its matches and the gaps between.
// find(begin, end) returns the leftmost match within [begin, end), or {end, end} for none.
template <typename Find>
std::vector<Range> SplitPass(const std::vector<Range>& pieces, Find find) {
  std::vector<Range> out;
  for (const auto& [begin, end] : pieces) {
    size_t pos = begin;
    while (pos < end) {
      const auto [s, t] = find(pos, end);
      if (s >= end || t <= s) break;
      if (s > pos) out.emplace_back(pos, s);
      out.emplace_back(s, t);
      pos = t;
    }
    if (pos < end) out.emplace_back(pos, end);
  }
  return out;
}

bool InDeepseekCjkRange(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FA5) || (cp >= 0x0800 && cp <= 0x4E00) ||
         (cp >= 0xAC00 && cp <= 0xD7FF);
}

std::vector<std::string_view> SplitDeepseekCoder(const Units& u) {
  std::vector<Range> pieces;
  if (u.size() > 0) pieces.emplace_back(0, u.size());
  // [\r\n]
  pieces = SplitPass(pieces, [&](size_t b, size_t e) -> Range {
    for (size_t p = b; p < e; ++p) {
      if (u.newline(p)) return {p, p + 1};
    }
    return {e, e};
  });
  // \s?\p{L}+ and \s?\p{P}+
  const auto space_then_run = [&](auto in_class) {
    return [&u, in_class](size_t b, size_t e) -> Range {
      for (size_t p = b; p < e; ++p) {
        size_t start = p;
        if (u.space(p) && p + 1 < e && in_class(p + 1)) {
          start = p + 1;
        } else if (!in_class(p)) {
          continue;
        }
        return {p, u.RunEnd(start, e, in_class)};
      }
      return {e, e};
    };
  };
  pieces = SplitPass(pieces, space_then_run([&u](size_t k) { return u.letter(k); }));
  pieces = SplitPass(pieces, space_then_run([&u](size_t k) { return u.punctuation(k); }));
  // [一-龥ࠀ-一가-퟿]+
  pieces = SplitPass(pieces, [&](size_t b, size_t e) -> Range {
    const auto cjk = [&](size_t k) { return InDeepseekCjkRange(u.cp(k)); };
    for (size_t p = b; p < e; ++p) {
      if (cjk(p)) return {p, u.RunEnd(p, e, cjk)};
    }
    return {e, e};
  });
  // \p{N}
  pieces = SplitPass(pieces, [&](size_t b, size_t e) -> Range {
    for (size_t p = b; p < e; ++p) {
      if (u.number(p)) return {p, p + 1};
    }
    return {e, e};
  });
  std::vector<std::string_view> out;
  out.reserve(pieces.size());
  for (const auto& [b, e] : pieces) out.push_back(u.Slice(b, e));
  return out;
}

std::vector<std::string_view> SplitGpt2(const Units& u) {
  return SplitByMatches(u, [&](size_t i) { return Gpt2MatchEnd(u, i); });
}

// The GPT-2 regex as one pass of a sequence: each piece is its whole subject (lookahead
// ends at the piece's end), and the matches cover it.
std::vector<Range> Gpt2Pass(const Units& u, const std::vector<Range>& pieces) {
  std::vector<Range> out;
  for (const auto& [b, e] : pieces) {
    // A piece starts and ends on unit boundaries, so its own units are the same units.
    const Units sub(u.Slice(b, e));
    for (size_t i = 0; i < sub.size();) {
      size_t k = Gpt2MatchEnd(sub, i);
      if (k <= i) k = i + 1;
      out.emplace_back(b + i, b + k);
      i = k;
    }
  }
  return out;
}

std::vector<Range> Whole(const Units& u) {
  std::vector<Range> pieces;
  if (u.size() > 0) pieces.emplace_back(0, u.size());
  return pieces;
}

std::vector<std::string_view> Slices(const Units& u, const std::vector<Range>& pieces) {
  std::vector<std::string_view> out;
  out.reserve(pieces.size());
  for (const auto& [b, e] : pieces) out.push_back(u.Slice(b, e));
  return out;
}

// \p{N}
std::vector<Range> EachDigitPass(const Units& u, const std::vector<Range>& pieces) {
  return SplitPass(pieces, [&](size_t b, size_t e) -> Range {
    for (size_t p = b; p < e; ++p) {
      if (u.number(p)) return {p, p + 1};
    }
    return {e, e};
  });
}

std::vector<std::string_view> SplitSmolLM(const Units& u) {
  return Slices(u, Gpt2Pass(u, EachDigitPass(u, Whole(u))));
}

// [\p{P}$+<=>^~|]+ (Falcon adds the backtick), [0-9][0-9][0-9] and \p{N}+ passes.
std::vector<Range> PunctuationPass(const Units& u, const std::vector<Range>& pieces,
                                   bool backtick) {
  const auto in = [&](size_t k) {
    const uint32_t c = u.cp(k);
    return u.punctuation(k) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' ||
           c == '^' || c == '~' || c == '|' || (backtick && c == '`');
  };
  return SplitPass(pieces, [&](size_t b, size_t e) -> Range {
    for (size_t p = b; p < e; ++p) {
      if (in(p)) return {p, u.RunEnd(p, e, in)};
    }
    return {e, e};
  });
}

std::vector<Range> ThreeDigitsPass(const Units& u, const std::vector<Range>& pieces) {
  const auto digit = [&](size_t k) { return u.cp(k) >= '0' && u.cp(k) <= '9'; };
  return SplitPass(pieces, [&](size_t b, size_t e) -> Range {
    for (size_t p = b; p + 3 <= e; ++p) {
      if (digit(p) && digit(p + 1) && digit(p + 2)) return {p, p + 3};
    }
    return {e, e};
  });
}

std::vector<Range> NumberRunPass(const Units& u, const std::vector<Range>& pieces) {
  const auto number = [&](size_t k) { return u.number(k); };
  return SplitPass(pieces, [&](size_t b, size_t e) -> Range {
    for (size_t p = b; p < e; ++p) {
      if (number(p)) return {p, u.RunEnd(p, e, number)};
    }
    return {e, e};
  });
}

std::vector<std::string_view> SplitBpeDefault(const Units& u) {
  std::vector<Range> pieces = Gpt2Pass(u, PunctuationPass(u, Whole(u), /*backtick=*/false));
  return Slices(u, ThreeDigitsPass(u, NumberRunPass(u, pieces)));
}

std::vector<std::string_view> SplitFalcon(const Units& u) {
  std::vector<Range> pieces = Gpt2Pass(u, PunctuationPass(u, Whole(u), /*backtick=*/true));
  return Slices(u, ThreeDigitsPass(u, pieces));
}

}  // namespace

std::vector<std::string_view> PreTokenize(PreTokenizer kind, std::string_view text) {
  if (text.empty()) return {};
  if (kind == PreTokenizer::kNone) return {text};
  const Units units(text);
  switch (kind) {
    case PreTokenizer::kGpt2:
      return SplitGpt2(units);
    case PreTokenizer::kLlama3:
      return SplitByMatches(units, [&](size_t i) { return Llama3MatchEnd(units, i, 3); });
    case PreTokenizer::kQwen2:
      return SplitByMatches(units, [&](size_t i) { return Llama3MatchEnd(units, i, 1); });
    case PreTokenizer::kDeepseekCoder:
      return SplitDeepseekCoder(units);
    case PreTokenizer::kSmolLM:
      return SplitSmolLM(units);
    case PreTokenizer::kBpeDefault:
      return SplitBpeDefault(units);
    case PreTokenizer::kFalcon:
      return SplitFalcon(units);
    case PreTokenizer::kNone:
      break;
  }
  return {text};
}

}  // namespace pareto::inference
