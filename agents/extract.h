// Extraction: cutting the answer out of a model's reply, as a task's `extract = ...` says
// (spec::Extraction), before any grader sees it. Graders use find_last_number too (the
// number grader reads "the last number in the answer").
//
// A completion is untrusted input. Promises, whatever the bytes (binary, NULs, invalid
// UTF-8, megabytes of brackets):
//  - nothing throws, crashes or prints; the cost is linear in the completion's length for
//    full, last_number, code_block and regex (RE2 guarantees linear matching), and bounded
//    for json (kJsonWorkLimit bytes scanned in all);
//  - an extraction that finds nothing is not an error: `found` is false, `answer` is empty
//    and `note` says what was missing ("no ```python block in the reply"), so the graders
//    fail the item as a wrong answer;
//  - the answer is a substring of the completion, except for json (the value re-serialised
//    compactly, invalid UTF-8 replaced by U+FFFD) and last_number (thousands separators
//    "1,234" dropped: "1234").
//
// What each kind finds:
//  - full: the completion trimmed of surrounding whitespace.
//  - last_number: the last number (find_last_number below).
//  - code_block(lang): the body of the last fenced block (``` or ~~~, as in CommonMark: a
//    fence of 3+ characters at the start of a line, indented at most 3 spaces, closed by a
//    fence of the same character at least as long; an unclosed block runs to the end)
//    whose info string names the language (python: python, py, python3; cpp: cpp, c++, cc,
//    cxx, hpp, h, c; case-insensitive); when no block names the language, the last block
//    with no info string. Without a language: the last block of any kind.
//  - regex(pattern, group): capture `group` of the first match (RE2, unanchored).
//  - json: the first object or array that parses, looking from each `{` or `[` in order,
//    nested at most kMaxJsonDepth deep.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "inference/status.h"
#include "spec/model.h"

namespace re2 {
class RE2;
}

namespace pareto::agents {

using inference::Result;
using inference::Status;

struct ExtractedAnswer {
  std::string answer;
  bool found = false;
  std::string note;  // when !found: what was looked for and not found
};

// The most bytes json extraction scans over all its candidate starts, and the deepest
// nesting it accepts (deeper values are skipped, as are the bytes they span).
inline constexpr std::size_t kJsonWorkLimit = 16u << 20;
inline constexpr int kMaxJsonDepth = 64;

// A compiled extraction, reusable across completions and threads (extract is const and
// shares nothing mutable).
class Extractor {
 public:
  // An error only for a regex that does not compile (the checker compiles every pattern, so
  // a checked task never gets one).
  static Result<Extractor> Make(const spec::Extraction& extraction);

  ExtractedAnswer extract(std::string_view completion) const;

 private:
  spec::Extraction extraction_;
  std::shared_ptr<const re2::RE2> regex_;  // kRegex only
};

// The last number in `text`, as its digits: an optional '-' or '+' (a sign only counts when
// what precedes it is not a letter, digit or '.'), digits with optional thousands
// separators ("1,234,567": groups of exactly three, which are dropped), an optional fraction
// (".5", "2.50"; a '.' not followed by a digit ends the number) and an optional exponent
// ("1e-3"). Digits glued to letters count ("x2" has 2). A leading '+' is dropped.
// nullopt when there is no number.
std::optional<std::string> find_last_number(std::string_view text);

// A number's text as find_last_number gives it, split for exact comparison: sign, integer
// digits without leading zeros ("" for zero), fraction digits without trailing zeros, and
// whether an exponent was written (then only a floating-point comparison is meaningful).
struct DecimalNumber {
  bool negative = false;
  std::string integer;
  std::string fraction;
  bool has_exponent = false;
  long double value = 0;  // strtold of the text: exact for integers below 2^64 on x86-64
};
// Parses text that is exactly one number in find_last_number's form (surrounding whitespace
// allowed); nullopt for anything else.
std::optional<DecimalNumber> parse_decimal(std::string_view text);

// Parses `text` (surrounding whitespace allowed) as exactly one JSON value nested at most
// kMaxJsonDepth deep; nullopt for anything else. Never throws.
std::optional<nlohmann::json> parse_json_value(std::string_view text);

// Whitespace trimming the extractions and graders share: ASCII space, \t, \n, \v, \f, \r.
std::string_view trim(std::string_view text);

}  // namespace pareto::agents
