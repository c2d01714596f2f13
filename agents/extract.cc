#include "agents/extract.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <vector>

namespace pareto::agents {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// A number found at a start position: its text (separators dropped) and where it ends.
struct ScannedNumber {
  std::string text;
  std::size_t end = 0;
};

// Whether a number may start at `i`: a digit, or a '.' before a digit that does not follow one.
bool number_starts(std::string_view s, std::size_t i) {
  if (is_digit(s[i])) return true;
  return s[i] == '.' && i + 1 < s.size() && is_digit(s[i + 1]) && !(i > 0 && is_digit(s[i - 1]));
}

// Scans the number starting at `i` (number_starts(s, i) holds), without its sign.
ScannedNumber scan_number(std::string_view s, std::size_t i) {
  ScannedNumber out;
  const std::size_t n = s.size();
  std::size_t j = i;
  while (j < n && is_digit(s[j])) ++j;
  out.text.assign(s.substr(i, j - i));
  // Thousands separators: a first group of 1-3 digits, then ",ddd" groups not followed by a digit.
  if (j > i && j - i <= 3) {
    while (j + 3 < n && s[j] == ',' && is_digit(s[j + 1]) && is_digit(s[j + 2]) &&
           is_digit(s[j + 3]) && !(j + 4 < n && is_digit(s[j + 4]))) {
      out.text.append(s.substr(j + 1, 3));
      j += 4;
    }
  }
  if (j + 1 < n && s[j] == '.' && is_digit(s[j + 1])) {
    const std::size_t f = j;
    j += 1;
    while (j < n && is_digit(s[j])) ++j;
    out.text.append(s.substr(f, j - f));
  }
  if (j < n && (s[j] == 'e' || s[j] == 'E')) {
    std::size_t k = j + 1;
    if (k < n && (s[k] == '+' || s[k] == '-')) ++k;
    if (k < n && is_digit(s[k])) {
      while (k < n && is_digit(s[k])) ++k;
      out.text.append(s.substr(j, k - j));
      j = k;
    }
  }
  out.end = j;
  return out;
}

// The sign in front of position `i`, when it counts as one: '-', '+' or none.
char sign_before(std::string_view s, std::size_t i) {
  if (i == 0 || (s[i - 1] != '-' && s[i - 1] != '+')) return 0;
  if (i >= 2) {
    const char p = s[i - 2];
    if (is_alpha(p) || is_digit(p) || p == '.') return 0;
  }
  return s[i - 1];
}

std::string_view trim_view(std::string_view text) {
  std::size_t b = 0, e = text.size();
  while (b < e && is_space(text[b])) ++b;
  while (e > b && is_space(text[e - 1])) --e;
  return text.substr(b, e - b);
}

// ---- code blocks ----

struct Fence {
  char ch = 0;
  std::size_t length = 0;
  std::size_t indent = 0;
  std::string info;  // the first word of the info string, lower-cased
};

// The opening or closing fence on `line`, if it is one.
std::optional<Fence> fence_on(std::string_view line) {
  Fence f;
  while (f.indent < line.size() && f.indent < 4 && line[f.indent] == ' ') ++f.indent;
  if (f.indent > 3 || f.indent >= line.size()) return std::nullopt;
  const char c = line[f.indent];
  if (c != '`' && c != '~') return std::nullopt;
  std::size_t j = f.indent;
  while (j < line.size() && line[j] == c) ++j;
  f.ch = c;
  f.length = j - f.indent;
  if (f.length < 3) return std::nullopt;
  std::string_view rest = trim_view(line.substr(j));
  if (c == '`' && rest.find('`') != std::string_view::npos) return std::nullopt;
  std::size_t w = 0;
  while (w < rest.size() && !is_space(rest[w])) ++w;
  for (char ch : rest.substr(0, w)) f.info.push_back(lower(ch));
  return f;
}

bool is_closing(std::string_view line, const Fence& open) {
  auto f = fence_on(line);
  return f && f->ch == open.ch && f->length >= open.length && f->info.empty() &&
         trim_view(line).size() == f->length;
}

bool names_language(std::string_view info, spec::Language language) {
  static constexpr std::string_view kPython[] = {"python", "py", "python3"};
  static constexpr std::string_view kCpp[] = {"cpp", "c++", "cc", "cxx", "hpp", "h", "c"};
  if (language == spec::Language::kPython) {
    for (auto name : kPython) {
      if (info == name) return true;
    }
    return false;
  }
  for (auto name : kCpp) {
    if (info == name) return true;
  }
  return false;
}

struct Block {
  std::string info;
  std::string body;
};

std::vector<Block> fenced_blocks(std::string_view text) {
  std::vector<Block> blocks;
  std::optional<Fence> open;
  Block current;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t eol = text.find('\n', pos);
    const bool last = eol == std::string_view::npos;
    if (last) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!open) {
      if (auto f = fence_on(line)) {
        open = f;
        current = Block{f->info, {}};
      }
    } else if (is_closing(line, *open)) {
      blocks.push_back(std::move(current));
      open.reset();
    } else {
      std::size_t strip = 0;
      while (strip < open->indent && strip < line.size() && line[strip] == ' ') ++strip;
      current.body.append(line.substr(strip));
      current.body.push_back('\n');
    }
    if (last) break;
    pos = eol + 1;
  }
  if (open) blocks.push_back(std::move(current));  // unclosed: runs to the end
  return blocks;
}

ExtractedAnswer extract_code_block(std::string_view text, std::optional<spec::Language> language) {
  const std::vector<Block> blocks = fenced_blocks(text);
  const Block* chosen = nullptr;
  const Block* untagged = nullptr;
  for (const Block& b : blocks) {
    if (!language || names_language(b.info, *language)) chosen = &b;
    if (b.info.empty()) untagged = &b;
  }
  if (!chosen) chosen = untagged;
  if (!chosen) {
    return {{}, false,
            language ? fmt::format("no ```{} block in the reply", spec::to_string(*language))
                     : std::string("no ``` block in the reply")};
  }
  return {chosen->body, true, {}};
}

// ---- json ----

// The end (one past the closing bracket) of the bracketed value starting at `start`, or npos
// when brackets do not balance, nest too deep or the text ends first. Adds the bytes looked
// at to *work.
std::size_t balanced_end(std::string_view s, std::size_t start, std::size_t* work) {
  char stack[kMaxJsonDepth];
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = start; i < s.size(); ++i) {
    ++*work;
    const char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (depth == kMaxJsonDepth) return std::string_view::npos;
      stack[depth++] = c == '{' ? '}' : ']';
    } else if (c == '}' || c == ']') {
      if (depth == 0 || stack[depth - 1] != c) return std::string_view::npos;
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

ExtractedAnswer extract_json(std::string_view text) {
  std::size_t work = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{' && text[i] != '[') continue;
    if (work > kJsonWorkLimit) {
      return {{}, false, "no JSON object or array found before the search gave up (too much text)"};
    }
    const std::size_t end = balanced_end(text, i, &work);
    if (end == std::string_view::npos) continue;
    const std::string_view span = text.substr(i, end - i);
    nlohmann::json value = nlohmann::json::parse(span.begin(), span.end(), nullptr, false);
    if (value.is_discarded()) continue;
    return {value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), true, {}};
  }
  return {{}, false, "no JSON object or array in the reply"};
}

}  // namespace

std::string_view trim(std::string_view text) { return trim_view(text); }

std::optional<nlohmann::json> parse_json_value(std::string_view text) {
  text = trim_view(text);
  if (text.empty()) return std::nullopt;
  if (text[0] == '{' || text[0] == '[') {
    std::size_t work = 0;
    if (balanced_end(text, 0, &work) != text.size()) return std::nullopt;
  }
  nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

std::optional<std::string> find_last_number(std::string_view text) {
  std::optional<std::string> last;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!number_starts(text, i)) {
      ++i;
      continue;
    }
    ScannedNumber number = scan_number(text, i);
    const char sign = sign_before(text, i);
    if (sign == '-') number.text.insert(number.text.begin(), '-');
    last = std::move(number.text);
    i = number.end;
  }
  return last;
}

std::optional<DecimalNumber> parse_decimal(std::string_view text) {
  text = trim_view(text);
  if (text.empty()) return std::nullopt;
  DecimalNumber out;
  std::size_t i = 0;
  if (text[0] == '-' || text[0] == '+') {
    out.negative = text[0] == '-';
    i = 1;
  }
  if (i >= text.size() || !number_starts(text, i)) return std::nullopt;
  const ScannedNumber number = scan_number(text, i);
  if (number.end != text.size()) return std::nullopt;
  const std::string& t = number.text;
  const std::size_t exp = t.find_first_of("eE");
  out.has_exponent = exp != std::string::npos;
  const std::string mantissa = t.substr(0, exp);
  const std::size_t dot = mantissa.find('.');
  out.integer = mantissa.substr(0, dot);
  out.fraction = dot == std::string::npos ? "" : mantissa.substr(dot + 1);
  out.integer.erase(0, out.integer.find_first_not_of('0') == std::string::npos
                           ? out.integer.size()
                           : out.integer.find_first_not_of('0'));
  while (!out.fraction.empty() && out.fraction.back() == '0') out.fraction.pop_back();
  const std::string full = (out.negative ? "-" : "") + t;
  out.value = std::strtold(full.c_str(), nullptr);
  if (out.integer.empty() && out.fraction.empty() && !out.has_exponent) out.negative = false;
  return out;
}

Result<Extractor> Extractor::Make(const spec::Extraction& extraction) {
  Extractor e;
  e.extraction_ = extraction;
  if (extraction.kind == spec::Extraction::Kind::kRegex) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(extraction.pattern, options);
    if (!re->ok()) return Status::Error("invalid extraction regex: " + re->error());
    if (extraction.group < 0 || extraction.group > re->NumberOfCapturingGroups()) {
      return Status::Error(fmt::format("the extraction regex has no group {}", extraction.group));
    }
    e.regex_ = std::move(re);
  }
  return e;
}

ExtractedAnswer Extractor::extract(std::string_view completion) const {
  switch (extraction_.kind) {
    case spec::Extraction::Kind::kFull:
      return {std::string(trim_view(completion)), true, {}};
    case spec::Extraction::Kind::kLastNumber: {
      auto number = find_last_number(completion);
      if (!number) return {{}, false, "no number in the reply"};
      return {std::move(*number), true, {}};
    }
    case spec::Extraction::Kind::kCodeBlock:
      return extract_code_block(completion, extraction_.language);
    case spec::Extraction::Kind::kRegex: {
      const int groups = extraction_.group + 1;
      std::vector<re2::StringPiece> match(static_cast<std::size_t>(groups));
      if (!regex_->Match(re2::StringPiece(completion.data(), completion.size()), 0,
                         completion.size(), RE2::UNANCHORED, match.data(), groups)) {
        return {{}, false, fmt::format("the reply does not match /{}/", extraction_.pattern)};
      }
      const re2::StringPiece& g = match[static_cast<std::size_t>(extraction_.group)];
      if (g.data() == nullptr) {
        return {{}, false, fmt::format("group {} of /{}/ took no part in the match",
                                       extraction_.group, extraction_.pattern)};
      }
      return {std::string(g.data(), g.size()), true, {}};
    }
    case spec::Extraction::Kind::kJson:
      return extract_json(completion);
  }
  return {{}, false, "unknown extraction"};
}

}  // namespace pareto::agents
