#include "spec/lexer.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string_view>

#include "spec/utf8.h"

namespace pareto::spec {
namespace {

struct UnitInfo {
  std::string_view name;
  ValueKind kind;
  double factor;  // to seconds, bytes or joules
};

constexpr std::array<UnitInfo, 20> kUnits = {{
    {"ns", ValueKind::kDuration, 1e-9},
    {"us", ValueKind::kDuration, 1e-6},
    {"ms", ValueKind::kDuration, 1e-3},
    {"s", ValueKind::kDuration, 1},
    {"m", ValueKind::kDuration, 60},
    {"h", ValueKind::kDuration, 3600},
    {"B", ValueKind::kSize, 1},
    {"KB", ValueKind::kSize, 1e3},
    {"MB", ValueKind::kSize, 1e6},
    {"GB", ValueKind::kSize, 1e9},
    {"TB", ValueKind::kSize, 1e12},
    {"KiB", ValueKind::kSize, 1024.0},
    {"MiB", ValueKind::kSize, 1024.0 * 1024},
    {"GiB", ValueKind::kSize, 1024.0 * 1024 * 1024},
    {"TiB", ValueKind::kSize, 1024.0 * 1024 * 1024 * 1024},
    {"uJ", ValueKind::kEnergy, 1e-6},
    {"mJ", ValueKind::kEnergy, 1e-3},
    {"J", ValueKind::kEnergy, 1},
    {"kJ", ValueKind::kEnergy, 1e3},
    {"Wh", ValueKind::kEnergy, 3600},
}};

// Spellings people reach for, and the unit they mean.
constexpr std::array<std::pair<std::string_view, std::string_view>, 24> kUnitAliases = {{
    {"sec", "s"},      {"secs", "s"},     {"second", "s"},  {"seconds", "s"},  {"min", "m"},
    {"mins", "m"},     {"minute", "m"},   {"minutes", "m"}, {"hr", "h"},       {"hrs", "h"},
    {"hour", "h"},     {"hours", "h"},    {"msec", "ms"},   {"\u00b5s", "us"}, {"\u03bcs", "us"},
    {"\u00b5J", "uJ"}, {"\u03bcJ", "uJ"}, {"byte", "B"},    {"bytes", "B"},    {"KJ", "kJ"},
    {"kWh", "Wh"},     {"nsec", "ns"},    {"usec", "us"},   {"b", "B"},
}};

const UnitInfo* find_unit(std::string_view name) {
  for (const UnitInfo& u : kUnits) {
    if (u.name == name) return &u;
  }
  return nullptr;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string unit_hint(std::string_view written) {
  for (const auto& [alias, unit] : kUnitAliases) {
    if (alias == written) return fmt::format("did you mean `{}`?", unit);
  }
  for (const UnitInfo& u : kUnits) {
    if (iequals(u.name, written)) return fmt::format("did you mean `{}`?", u.name);
  }
  return "units are ns us ms s m h (durations), B KB MB GB TB KiB MiB GiB TiB (sizes), "
         "uJ mJ J kJ Wh (energies)";
}

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c) || c == '-'; }
bool is_space(char c) { return c == ' ' || c == '\t'; }
// Printable ASCII or a tab: a byte of text that needs no decoding or checking.
bool is_plain(char c) {
  return (c >= 0x20 && c < 0x7F) || c == '\t';  // char may be signed: bytes >= 0x80 are < 0
}

// A character as a message shows it: `x`, or U+0007 for what a terminal cannot show.
std::string describe_char(std::string_view text, std::size_t pos) {
  const auto c = static_cast<unsigned char>(text[pos]);
  if (c == 0) return "NUL byte";
  if (c < 0x20 || c == 0x7F) return fmt::format("control character U+{:04X}", c);
  if (c < 0x80) return fmt::format("character `{}`", static_cast<char>(c));
  char32_t cp = 0;
  const int length = decode_utf8(text, pos, &cp);
  if (length == 0) return fmt::format("invalid UTF-8 byte 0x{:02X}", c);
  return fmt::format("character `{}` (U+{:04X})",
                     text.substr(pos, static_cast<std::size_t>(length)),
                     static_cast<std::uint32_t>(cp));
}

}  // namespace

std::string token_kind_name(TokenKind kind) {
  switch (kind) {
    case TokenKind::kName:
      return "name";
    case TokenKind::kString:
      return "string";
    case TokenKind::kInt:
      return "integer";
    case TokenKind::kFloat:
      return "number";
    case TokenKind::kQuantity:
      return "quantity";
    case TokenKind::kLBrace:
      return "`{`";
    case TokenKind::kRBrace:
      return "`}`";
    case TokenKind::kLBracket:
      return "`[`";
    case TokenKind::kRBracket:
      return "`]`";
    case TokenKind::kLParen:
      return "`(`";
    case TokenKind::kRParen:
      return "`)`";
    case TokenKind::kComma:
      return "`,`";
    case TokenKind::kEquals:
      return "`=`";
    case TokenKind::kNewline:
      return "line break";
    case TokenKind::kComment:
      return "comment";
    case TokenKind::kError:
      return "invalid character";
    case TokenKind::kEnd:
      return "end of file";
  }
  return "token";
}

ErrorSink::ErrorSink(const SourceFile& source, Diagnostics& diagnostics, int max_errors)
    : source_(source), diagnostics_(diagnostics), max_errors_(max_errors) {}

Diagnostic* ErrorSink::error(Span span, std::string message, std::string hint) {
  ++count_;
  if (count_ > max_errors_) {
    if (count_ == max_errors_ + 1) {
      diagnostics_.error(
          source_, span,
          fmt::format("too many errors ({}); not reporting more in this file", max_errors_));
    }
    return nullptr;
  }
  return &diagnostics_.error(source_, span, std::move(message), std::move(hint));
}

Lexer::Lexer(const SourceFile& source, ErrorSink& errors)
    : source_(source), text_(source.text()), errors_(errors) {
  // A UTF-8 byte order mark says nothing; skip it.
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

Token Lexer::next() {
  Token t;
  next(t);
  return t;
}

void Lexer::next(Token& t) {
  // Spaces, tabs, and the \r of a \r\n.
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (is_space(c) || (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n')) {
      ++pos_;
    } else {
      break;
    }
  }
  t.kind = TokenKind::kEnd;
  t.text.clear();
  t.triple_quoted = false;
  t.invalid = false;
  t.integer = 0;
  t.number = 0;
  t.unit.clear();
  t.quantity = 0;
  t.quantity_kind = ValueKind::kInvalid;
  const std::size_t start = pos_;
  if (pos_ >= text_.size()) {
    t.kind = TokenKind::kEnd;
    t.span = {pos_, pos_};
    return;
  }
  const char c = text_[pos_];
  TokenKind punct = TokenKind::kEnd;  // kEnd: not a one-character token
  switch (c) {
    case '\n':
      punct = TokenKind::kNewline;
      break;
    case '{':
      punct = TokenKind::kLBrace;
      break;
    case '}':
      punct = TokenKind::kRBrace;
      break;
    case '[':
      punct = TokenKind::kLBracket;
      break;
    case ']':
      punct = TokenKind::kRBracket;
      break;
    case '(':
      punct = TokenKind::kLParen;
      break;
    case ')':
      punct = TokenKind::kRParen;
      break;
    case ',':
      punct = TokenKind::kComma;
      break;
    case '=':
      punct = TokenKind::kEquals;
      break;
    default:
      break;
  }
  if (punct != TokenKind::kEnd) {
    ++pos_;
    t.kind = punct;
    t.span = {start, pos_};
    return;
  }
  switch (c) {
    case '"':
      if (text_.substr(pos_, 3) == "\"\"\"") return lex_block_string(start, t);
      return lex_string(start, t);
    case '#': {
      t.kind = TokenKind::kComment;
      std::string body;
      while (pos_ < text_.size() && text_[pos_] != '\n') {
        std::size_t run = pos_;
        while (run < text_.size() && is_plain(text_[run])) ++run;
        if (run > pos_) {
          body.append(text_.substr(pos_, run - pos_));
          pos_ = run;
          continue;
        }
        const char d = text_[pos_];
        if (d == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') break;
        if ((static_cast<unsigned char>(d) < 0x20 && d != '\t') || d == 0x7F) {
          errors_.error({pos_, pos_ + 1}, describe_char(text_, pos_) + " in a comment");
          ++pos_;
          continue;
        }
        take_code_point(body, "a comment");
      }
      while (!body.empty() && is_space(body.back())) body.pop_back();
      t.text = std::move(body);
      t.span = {start, pos_};
      return;
    }
    default:
      break;
  }
  if (is_digit(c) || (c == '-' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1]))) {
    return lex_number(start, t);
  }
  if (is_ident_start(c)) {
    t.kind = TokenKind::kName;
    // IDENT { '.' IDENT }: a dot continues the name only when an identifier follows it.
    while (true) {
      while (pos_ < text_.size() && is_ident_char(text_[pos_])) ++pos_;
      if (pos_ + 1 < text_.size() && text_[pos_] == '.' && is_ident_start(text_[pos_ + 1])) {
        ++pos_;
        continue;
      }
      break;
    }
    t.span = {start, pos_};
    t.text = std::string(text_.substr(start, pos_ - start));
    return;
  }
  lex_unexpected(start, t);
}

void Lexer::take_code_point(std::string& out, const char* where) {
  const auto byte = static_cast<unsigned char>(text_[pos_]);
  if (byte < 0x80) {
    out += static_cast<char>(byte);
    ++pos_;
    return;
  }
  char32_t cp = 0;
  const int length = decode_utf8(text_, pos_, &cp);
  if (length == 0) {
    errors_.error({pos_, pos_ + 1}, fmt::format("invalid UTF-8 byte 0x{:02X} in {}", byte, where),
                  "spec files are UTF-8 text");
    append_utf8(out, 0xFFFD);
    ++pos_;
    return;
  }
  out.append(text_.substr(pos_, static_cast<std::size_t>(length)));
  pos_ += static_cast<std::size_t>(length);
}

void Lexer::lex_string(std::size_t start, Token& t) {
  t.kind = TokenKind::kString;
  ++pos_;  // the opening quote
  std::string value;
  bool closed = false;
  while (pos_ < text_.size()) {
    std::size_t run = pos_;
    while (run < text_.size() && is_plain(text_[run]) && text_[run] != '"' && text_[run] != '\\') {
      ++run;
    }
    if (run > pos_) {
      value.append(text_.substr(pos_, run - pos_));
      pos_ = run;
      continue;
    }
    const char c = text_[pos_];
    if (c == '"') {
      ++pos_;
      closed = true;
      break;
    }
    if (c == '\n' || (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n')) break;
    if (c == '\\') {
      const std::size_t escape_start = pos_;
      if (pos_ + 1 >= text_.size() || text_[pos_ + 1] == '\n') {
        ++pos_;
        continue;  // reported below as unterminated
      }
      const char e = text_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case '"':
          value += '"';
          continue;
        case '\\':
          value += '\\';
          continue;
        case 'n':
          value += '\n';
          continue;
        case 't':
          value += '\t';
          continue;
        case 'r':
          value += '\r';
          continue;
        case 'u': {
          // \u{XXXX}: 1 to 6 hex digits naming a Unicode scalar value.
          std::size_t p = pos_;
          if (p < text_.size() && text_[p] == '{') {
            ++p;
            std::uint32_t cp = 0;
            std::size_t digits = 0;
            while (p < text_.size() && std::isxdigit(static_cast<unsigned char>(text_[p])) &&
                   digits < 7) {
              const char h = text_[p];
              cp = cp * 16 +
                   static_cast<std::uint32_t>(is_digit(h) ? h - '0' : (std::tolower(h) - 'a' + 10));
              ++p, ++digits;
            }
            if (digits >= 1 && digits <= 6 && p < text_.size() && text_[p] == '}') {
              pos_ = p + 1;
              if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                errors_.error({escape_start, pos_},
                              fmt::format("`\\u{{{:X}}}` is not a Unicode scalar value", cp));
              } else if (cp == 0) {
                errors_.error({escape_start, pos_}, "NUL characters are not allowed in strings");
              } else {
                append_utf8(value, cp);
              }
              continue;
            }
          }
          errors_.error({escape_start, std::min(pos_, text_.size())}, "malformed unicode escape",
                        "write a code point as `\\u{1F600}` (1 to 6 hex digits in braces)");
          continue;
        }
        default: {
          const std::size_t escape_end = std::min(pos_, text_.size());
          // Step back over a multi-byte character so it is decoded (and checked) whole.
          if (static_cast<unsigned char>(e) >= 0x80) pos_ = escape_start + 1;
          errors_.error(
              {escape_start, escape_end},
              fmt::format("unknown escape `\\{}`", static_cast<unsigned char>(e) >= 0x20 &&
                                                           static_cast<unsigned char>(e) < 0x7F
                                                       ? std::string(1, e)
                                                       : std::string("?")),
              "escapes are \\\" \\\\ \\n \\t \\r \\u{...}; write `\\\\` for a backslash");
          continue;
        }
      }
    }
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) {
      errors_.error({pos_, pos_ + 1}, describe_char(text_, pos_) + " in a string",
                    "write a line break as `\\n`, or use a \"\"\" block");
      ++pos_;
      continue;
    }
    take_code_point(value, "a string");
  }
  t.span = {start, pos_};
  t.text = std::move(value);
  if (!closed) {
    t.invalid = true;
    errors_.error(t.span, "unterminated string",
                  "close it with `\"` on the same line; use a \"\"\" block for text on several "
                  "lines");
  }
}

void Lexer::lex_block_string(std::size_t start, Token& t) {
  t.kind = TokenKind::kString;
  t.triple_quoted = true;
  pos_ += 3;
  // The raw text up to the closing """, with \""" standing for a literal """ and \r\n read
  // as \n.
  std::string raw;
  // Room for the text up to the next """ (the block's end, unless \""" comes first).
  raw.reserve(std::min(text_.find("\"\"\"", pos_), text_.size()) - pos_);
  bool closed = false;
  while (pos_ < text_.size()) {
    std::size_t run = pos_;
    while (run < text_.size() && (is_plain(text_[run]) || text_[run] == '\n') &&
           text_[run] != '"' && text_[run] != '\\') {
      ++run;
    }
    if (run > pos_) {
      raw.append(text_.substr(pos_, run - pos_));
      pos_ = run;
      continue;
    }
    if (text_.compare(pos_, 3, "\"\"\"") == 0) {
      pos_ += 3;
      closed = true;
      break;
    }
    if (text_.compare(pos_, 4, "\\\"\"\"") == 0) {
      raw += "\"\"\"";
      pos_ += 4;
      continue;
    }
    const char c = text_[pos_];
    if (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') {
      ++pos_;
      continue;
    }
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
      errors_.error({pos_, pos_ + 1}, describe_char(text_, pos_) + " in a \"\"\" block");
      ++pos_;
      continue;
    }
    take_code_point(raw, "a \"\"\" block");
  }
  t.span = {start, pos_};
  if (!closed) {
    t.invalid = true;
    errors_.error({start, start + 3}, "unterminated \"\"\" block",
                  "close it with \"\"\" (the block runs to the end of the file)");
  }

  // Lines; drop a blank opening line and a blank closing line; dedent the rest.
  std::vector<std::string_view>& lines = lines_;
  lines.clear();
  std::string_view rest = raw;
  while (true) {
    const std::size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  const auto blank = [](std::string_view line) {
    return line.find_first_not_of(" \t") == std::string_view::npos;
  };
  std::size_t first = 0;
  std::size_t last = lines.size();  // exclusive
  bool keep_first_line = false;     // text right after the opening """
  if (lines.size() > 1) {
    if (blank(lines.front())) {
      first = 1;
    } else {
      keep_first_line = true;
    }
    if (blank(lines.back()) && last > first) --last;
  }
  // The common leading whitespace of the non-blank lines (bytewise, so tabs and spaces must
  // match exactly).
  std::string_view indent;
  bool have_indent = false;
  for (std::size_t i = first + (keep_first_line ? 1 : 0); i < last; ++i) {
    if (blank(lines[i])) continue;
    const std::string_view lead = lines[i].substr(0, lines[i].find_first_not_of(" \t"));
    if (!have_indent) {
      indent = lead;
      have_indent = true;
    } else {
      std::size_t n = 0;
      while (n < indent.size() && n < lead.size() && indent[n] == lead[n]) ++n;
      indent = indent.substr(0, n);
    }
  }
  std::string& value = t.text;
  value.reserve(raw.size());
  for (std::size_t i = first; i < last; ++i) {
    if (i > first) value += '\n';
    if (i == first && keep_first_line) {
      value.append(lines[i]);
    } else if (!blank(lines[i])) {
      value.append(lines[i].substr(indent.size()));
    } else if (lines.size() == 1) {
      value.append(lines[i]);  // """  """ on one line: the spaces are the text
    }
  }
}

void Lexer::lex_number(std::size_t start, Token& t) {
  if (text_[pos_] == '-') ++pos_;
  while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
  bool is_float = false;
  if (pos_ + 1 < text_.size() && text_[pos_] == '.' && is_digit(text_[pos_ + 1])) {
    is_float = true;
    ++pos_;
    while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    std::size_t p = pos_ + 1;
    if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
    if (p < text_.size() && is_digit(text_[p])) {
      is_float = true;
      pos_ = p;
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    }
  }
  const std::size_t number_end = pos_;
  // A unit: letters (and non-ASCII characters, so `5µs` gets a helpful message) right after
  // the number.
  while (pos_ < text_.size() &&
         (is_ident_char(text_[pos_]) || static_cast<unsigned char>(text_[pos_]) >= 0x80)) {
    if (static_cast<unsigned char>(text_[pos_]) >= 0x80) {
      char32_t cp = 0;
      const int length = decode_utf8(text_, pos_, &cp);
      if (length == 0) break;
      pos_ += static_cast<std::size_t>(length);
    } else {
      ++pos_;
    }
  }
  // Anything glued on after that (`1.2.3`, `5s.x`) makes the whole run malformed.
  if (pos_ + 1 < text_.size() && text_[pos_] == '.' &&
      (is_ident_char(text_[pos_ + 1]) || text_[pos_ + 1] == '.')) {
    while (pos_ < text_.size() && (is_ident_char(text_[pos_]) || text_[pos_] == '.')) ++pos_;
    t.kind = TokenKind::kFloat;
    t.invalid = true;
    t.span = {start, pos_};
    errors_.error(t.span, fmt::format("malformed number `{}`", text_.substr(start, pos_ - start)));
    return;
  }
  t.span = {start, pos_};
  const std::string_view digits = text_.substr(start, number_end - start);
  const std::string_view unit = text_.substr(number_end, pos_ - number_end);
  const char* const first = digits.data();
  const char* const last = digits.data() + digits.size();

  if (unit.empty() && !is_float) {
    t.kind = TokenKind::kInt;
    const auto [ptr, ec] = std::from_chars(first, last, t.integer);
    if (ec != std::errc() || ptr != last) {
      t.invalid = true;
      errors_.error(t.span, fmt::format("integer `{}` does not fit in 64 bits", digits),
                    "integers range from -9223372036854775808 to 9223372036854775807");
    }
    return;
  }
  double number = 0;
  const auto [ptr, ec] = std::from_chars(first, last, number);
  if (ec != std::errc() || ptr != last || !std::isfinite(number)) {
    t.kind = unit.empty() ? TokenKind::kFloat : TokenKind::kQuantity;
    t.invalid = true;
    errors_.error(t.span, fmt::format("number `{}` is out of range", digits));
    return;
  }
  if (unit.empty()) {
    t.kind = TokenKind::kFloat;
    t.number = number;
    return;
  }
  t.kind = TokenKind::kQuantity;
  t.number = number;
  t.unit = std::string(unit);
  const UnitInfo* info = find_unit(unit);
  if (info == nullptr) {
    t.invalid = true;
    errors_.error({number_end, pos_}, fmt::format("unknown unit `{}`", unit), unit_hint(unit));
    return;
  }
  t.quantity_kind = info->kind;
  t.quantity = number * info->factor;
  if (!std::isfinite(t.quantity)) {
    t.invalid = true;
    errors_.error(t.span, fmt::format("`{}` is out of range", text_.substr(start, pos_ - start)));
  }
}

void Lexer::lex_unexpected(std::size_t start, Token& t) {
  // One token for a whole run of characters that start no token, so binary garbage gives
  // one message, not thousands.
  const std::string first = describe_char(text_, start);
  const auto starts_token = [&](std::size_t p) {
    const char c = text_[p];
    return is_space(c) || c == '\n' || c == '{' || c == '}' || c == '[' || c == ']' || c == '(' ||
           c == ')' || c == ',' || c == '=' || c == '"' || c == '#' || is_ident_start(c) ||
           is_digit(c);
  };
  std::size_t count = 0;
  while (pos_ < text_.size() && (pos_ == start || !starts_token(pos_))) {
    const auto byte = static_cast<unsigned char>(text_[pos_]);
    char32_t cp = 0;
    const int length = byte >= 0x80 ? decode_utf8(text_, pos_, &cp) : 1;
    pos_ += length == 0 ? 1 : static_cast<std::size_t>(length);
    ++count;
  }
  t.kind = TokenKind::kError;
  t.span = {start, pos_};
  t.text = count == 1 ? first
                      : fmt::format("{} (and {} more stray character{})", first, count - 1,
                                    count == 2 ? "" : "s");
}

std::vector<Token> lex(const SourceFile& source, Diagnostics& diagnostics) {
  ErrorSink errors(source, diagnostics);
  Lexer lexer(source, errors);
  std::vector<Token> tokens;
  while (true) {
    tokens.push_back(lexer.next());
    if (tokens.back().kind == TokenKind::kEnd) break;
  }
  return tokens;
}

}  // namespace pareto::spec
