// A source file of the spec language: its display name, its full text, and the mapping from
// a byte offset to a 1-based line and column.
//
// Promises: the text is held as given (any bytes, including NUL and invalid UTF-8); offsets
// past the end clamp to the end; columns count Unicode code points (each byte of invalid
// UTF-8 counts as one), so a caret placed under column N lines up in a terminal.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pareto::spec {

// A half-open byte range [begin, end) in one source file.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;

  std::size_t size() const { return end - begin; }
  bool empty() const { return begin == end; }
  friend bool operator==(const Span&, const Span&) = default;
};

// The smallest span covering both.
inline Span cover(Span a, Span b) {
  return {a.begin < b.begin ? a.begin : b.begin, a.end > b.end ? a.end : b.end};
}

// A 1-based position: line, and column in code points.
struct Location {
  int line = 1;
  int column = 1;
  friend bool operator==(const Location&, const Location&) = default;
};

class SourceFile {
 public:
  // `name` is what diagnostics print (usually the path as the user gave it).
  SourceFile(std::string name, std::string text);

  const std::string& name() const { return name_; }
  std::string_view text() const { return text_; }

  // Line and column of a byte offset (clamped to [0, size]).
  Location location(std::size_t offset) const;

  // Number of lines: a file of n newlines has n + 1 lines (the last may be empty).
  int line_count() const { return static_cast<int>(line_starts_.size()); }

  // The text of a 1-based line without its line break ("\n" or "\r\n"); empty when out of
  // range.
  std::string_view line_text(int line) const;

  // Byte offset where a 1-based line starts (clamped to the valid lines).
  std::size_t line_start(int line) const;

 private:
  std::string name_;
  std::string text_;
  std::vector<std::size_t> line_starts_;  // byte offset of the first byte of each line
};

// Reads a whole file. On failure returns nullopt and sets *error to a message naming the
// path and the reason ("cannot open suites/x.pareto: No such file or directory").
std::optional<SourceFile> read_source_file(const std::filesystem::path& path, std::string* error);

}  // namespace pareto::spec
