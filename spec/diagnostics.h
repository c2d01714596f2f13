// Diagnostics: errors, warnings and notes about spec files and data files, collected (never
// thrown) and rendered the way compilers do:
//
//   suite.pareto:12:3: error: unknown field `promt`
//     promt = "hi"
//     ^~~~~
//     hint: did you mean `prompt`?
//
// (the source line exactly as written, then a caret line under the span: tabs in the line
// are repeated in the caret line so the caret lines up; a span running past the end of its
// line is underlined to the end of that line.)
//
// A diagnostic about a data file carries only a file and a line and renders as one line:
//
//   data.jsonl:37: error: line is not a JSON object
//
// Promises: a Diagnostic is self-contained (it copies the source line it points at), so it
// can outlive its SourceFile and be rendered anywhere; rendering never fails, whatever bytes
// the source line holds.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "spec/source.h"

namespace pareto::spec {

enum class Severity { kError, kWarning, kNote };

// "error", "warning", "note".
std::string_view severity_name(Severity severity);

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string file;  // as displayed: the SourceFile's name, or a data file's path
  Span span;         // bytes [begin, end) in `file`; empty for line-only diagnostics
  int line = 0;      // 1-based; 0 = about the whole file
  int column = 0;    // 1-based, in code points; 0 = line-only (data files)
  int end_line = 0;  // where the span ends (line/column of span.end)
  int end_column = 0;
  std::string source_line;  // text of `line`, for the caret display; empty if unknown
  // Where the caret goes in `source_line` (1-based code points; 0 = use column/end_column).
  // They differ from column/end_column when a very long line is shown in part ("...").
  int caret_column = 0;
  int caret_width = 0;
  std::string message;            // one sentence, no trailing period: "unterminated string"
  std::string hint;               // optional: "did you mean `prompt`?"; empty = none
  std::vector<Diagnostic> notes;  // related places ("task `x` opened here"), rendered after

  bool is_error() const { return severity == Severity::kError; }
};

// A diagnostic at `span` of `source`, with line, columns and source line filled in.
Diagnostic make_diagnostic(const SourceFile& source, Span span, Severity severity,
                           std::string message, std::string hint = {});

// A diagnostic about line `line` of a data file (0 = the whole file): `data.jsonl:37: ...`.
Diagnostic make_line_diagnostic(std::string file, int line, Severity severity, std::string message,
                                std::string hint = {});

struct RenderOptions {
  bool color = false;       // ANSI colours (for terminals)
  bool show_source = true;  // the source line and caret line after the header
};

// Renders one diagnostic (and its notes), ending with a newline.
std::string render(const Diagnostic& diagnostic, const RenderOptions& options = {});

// An ordered collection of diagnostics, in the order they were reported.
class Diagnostics {
 public:
  void add(Diagnostic diagnostic);
  void append(const Diagnostics& other);

  // Shorthands for make_diagnostic + add; each returns the stored diagnostic so a caller can
  // attach notes or a hint (not change its severity: the counts below are kept as it is added).
  // The reference is valid until the next diagnostic is added.
  Diagnostic& error(const SourceFile& source, Span span, std::string message,
                    std::string hint = {});
  Diagnostic& warning(const SourceFile& source, Span span, std::string message,
                      std::string hint = {});
  Diagnostic& note(const SourceFile& source, Span span, std::string message, std::string hint = {});

  const std::vector<Diagnostic>& all() const { return items_; }
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  bool has_errors() const { return errors_ > 0; }
  std::size_t error_count() const { return errors_; }  // O(1): checkers call it per task
  std::size_t warning_count() const { return warnings_; }

  // Stable sort by file, then line, then column (order of report among equals).
  void sort_by_location();

  // Every diagnostic rendered, in order.
  std::string render(const RenderOptions& options = {}) const;

 private:
  std::vector<Diagnostic> items_;
  std::size_t errors_ = 0;
  std::size_t warnings_ = 0;
};

}  // namespace pareto::spec
