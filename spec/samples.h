// Samples: the rows a task is run on, and the loaders for the data files that hold them.
//
// A Sample is one JSON object of named fields (`{{field}}` in a template reads one). Samples
// come from inline `sample { ... }` blocks, from `generate(...)` (spec/generator.h), and from
// data files read here: `jsonl("file")` (one JSON object per line) and `csv("file")` (a
// header row, then RFC 4180 rows; every value is a string).
//
// Promises of the loaders:
// - Errors are values: a loader never throws, never crashes and never prints, whatever the
//   bytes (binary, NULs, huge lines, invalid UTF-8, deep nesting). Every bad line becomes a
//   DataIssue with its 1-based line number, the column where one is known, and a message
//   that says what is wrong and, where it helps, what to do.
// - A bad line does not stop the load: the good lines still become samples, and all bad
//   lines are reported (up to kMaxDataIssues, then one issue counting the rest).
// - Line numbers count '\n'; a "\r\n" ending is accepted; a UTF-8 byte-order mark at the
//   start of the file is skipped. A final line without '\n' is read like any other.
//
// Policies (shared by both formats):
// - Empty lines (nothing, or only spaces/tabs) are errors, reported as such: a data file
//   has exactly one sample per line/row, so a blank line is almost always an accident. (A
//   file that ends with a single '\n' has no empty line.)
// - A file with no samples at all is an error (line 0: it concerns the whole file).
// - Lines longer than kMaxLineBytes, files larger than kMaxDataFileBytes and JSON nested
//   deeper than kMaxJsonDepth are refused with a message, so hostile input stays cheap.
// - Text must be UTF-8 without NUL bytes; the first bad byte is reported with its column.
//
// jsonl: every line is one JSON object (not an array, number, ...). A syntax error reports
// nlohmann's own explanation and its column; a key repeated within one object is an error
// (JSON parsers silently keep one of them). Sample.id is the line number ("12").
//
// csv: the first line is the header: names that are non-empty and unique. Fields are
// separated by ',', may be quoted with '"' (a quote inside is doubled: ""), and a quoted
// field may span lines. A row must have as many fields as the header. Sample.id is the
// 1-based row number among the data rows ("1" is the row after the header); Sample.line is
// the line the row starts on. Values are JSON strings, never converted to numbers: a grader
// that wants a number (`number(answer)`) parses it itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pareto::spec {

struct Sample {
  std::string id;         // stable within its source: line/row number, or generator index
  nlohmann::json fields;  // always a JSON object: field name -> value
  int line = 0;           // 1-based line in its data file; 0 for inline or generated samples
};

// One problem in a data file. `line` is 1-based (0: the whole file, e.g. unreadable);
// `column` is the 1-based byte column within that line (0: not known or not useful).
struct DataIssue {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
};

// "data.jsonl:37:5: message", "data.jsonl:37: message" or "data.jsonl: message".
std::string format_issue(const DataIssue& issue);

struct SampleSet {
  std::vector<Sample> samples;
  std::vector<DataIssue> issues;
  bool ok() const { return issues.empty(); }
};

// Limits that keep hostile input cheap (see the policies above).
inline constexpr std::size_t kMaxLineBytes = 1 << 20;           // 1 MiB per line
inline constexpr std::uintmax_t kMaxDataFileBytes = 256 << 20;  // 256 MiB per file
inline constexpr int kMaxJsonDepth = 64;                        // nested arrays/objects
inline constexpr std::size_t kMaxDataIssues = 100;              // then one summary issue

// Read a data file. `issue.file` is `path` as given (so messages name the file the user
// wrote). An unreadable or missing file is one issue at line 0.
SampleSet load_jsonl(const std::filesystem::path& path);
SampleSet load_csv(const std::filesystem::path& path);

// The same, from text already in memory; `file_name` is what issues name.
SampleSet parse_jsonl(std::string_view text, std::string_view file_name);
SampleSet parse_csv(std::string_view text, std::string_view file_name);

}  // namespace pareto::spec
