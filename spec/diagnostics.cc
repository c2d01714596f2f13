#include "spec/diagnostics.h"

#include <algorithm>
#include <utility>

#include "spec/utf8.h"

namespace pareto::spec {
namespace {

// A long line is shown in part: this many bytes at most, starting a little before the span.
constexpr std::size_t kMaxShownLine = 240;
constexpr std::size_t kShownBeforeSpan = 80;

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

int count_code_points(std::string_view text) {
  int n = 0;
  for (char c : text) n += is_continuation(c) ? 0 : 1;
  return n;
}

// The line as a terminal can show it: control characters and invalid UTF-8 bytes become
// '?', one per byte, so every code point stays one column wide (tabs are kept).
std::string printable(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  std::size_t pos = 0;
  while (pos < line.size()) {
    const auto c = static_cast<unsigned char>(line[pos]);
    if (c == '\t' || (c >= 0x20 && c < 0x7F)) {
      out += static_cast<char>(c);
      ++pos;
      continue;
    }
    char32_t cp = 0;
    const int length = c < 0x80 ? 0 : decode_utf8(line, pos, &cp);
    if (length == 0 || (cp >= 0x80 && cp < 0xA0)) {
      // One '?' per code point the column count saw (continuation bytes count zero).
      const std::size_t n = length == 0 ? 1 : static_cast<std::size_t>(length);
      for (std::size_t i = 0; i < n; ++i) {
        if (!is_continuation(line[pos + i]) || length == 0) out += '?';
      }
      pos += n;
      continue;
    }
    out.append(line.substr(pos, static_cast<std::size_t>(length)));
    pos += static_cast<std::size_t>(length);
  }
  return out;
}

std::string header(const Diagnostic& d, const RenderOptions& options) {
  std::string out;
  const auto paint = [&](std::string_view code, std::string_view text) {
    if (options.color) {
      out += "\x1b[";
      out += code;
      out += 'm';
    }
    out += text;
    if (options.color) out += "\x1b[0m";
  };
  std::string where = d.file;
  if (d.line > 0) where += ":" + std::to_string(d.line);
  if (d.line > 0 && d.column > 0) where += ":" + std::to_string(d.column);
  if (!where.empty()) {
    paint("1", where + ":");
    out += ' ';
  }
  const std::string_view color = d.severity == Severity::kError     ? "1;31"
                                 : d.severity == Severity::kWarning ? "1;35"
                                                                    : "1;36";
  paint(color, std::string(severity_name(d.severity)) + ":");
  out += ' ';
  paint("1", d.message);
  out += '\n';
  return out;
}

void render_into(std::string& out, const Diagnostic& d, const RenderOptions& options) {
  out += header(d, options);
  const bool has_caret = d.caret_column > 0 || d.column > 0;
  if (options.show_source && d.line > 0 && has_caret) {
    const std::string line = printable(d.source_line);
    out += line;
    out += '\n';
    int column = d.caret_column > 0 ? d.caret_column : d.column;
    int width = d.caret_width;
    if (width <= 0) width = d.end_line == d.line ? d.end_column - d.column : 1;
    width = std::max(width, 1);
    // Repeat the line's tabs so the caret lines up however the terminal expands them.
    std::string caret;
    int seen = 1;
    for (std::size_t i = 0; i < line.size() && seen < column; ++i) {
      if (is_continuation(line[i])) continue;
      caret += line[i] == '\t' ? '\t' : ' ';
      ++seen;
    }
    for (; seen < column; ++seen) caret += ' ';
    std::string marks = "^" + std::string(static_cast<std::size_t>(width - 1), '~');
    if (options.color) marks = "\x1b[1;32m" + marks + "\x1b[0m";
    out += caret + marks + '\n';
  }
  if (!d.hint.empty()) {
    out += "  ";
    out += options.color ? "\x1b[1;36mhint:\x1b[0m " : "hint: ";
    out += d.hint;
    out += '\n';
  }
  for (const Diagnostic& note : d.notes) render_into(out, note, options);
}

}  // namespace

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kNote:
      return "note";
  }
  return "error";
}

Diagnostic make_diagnostic(const SourceFile& source, Span span, Severity severity,
                           std::string message, std::string hint) {
  Diagnostic d;
  d.severity = severity;
  d.file = source.name();
  const std::size_t size = source.text().size();
  span.begin = std::min(span.begin, size);
  span.end = std::clamp(span.end, span.begin, size);
  d.span = span;
  const Location begin = source.location(span.begin);
  const Location end = source.location(span.end);
  d.line = begin.line;
  d.column = begin.column;
  d.end_line = end.line;
  d.end_column = end.column;
  d.message = std::move(message);
  d.hint = std::move(hint);

  // The part of the line to show, and where the caret goes in it.
  const std::string_view line = source.line_text(begin.line);
  const std::size_t line_start = source.line_start(begin.line);
  const std::size_t rel_begin = std::min(span.begin - line_start, line.size());
  const std::size_t rel_end = end.line == begin.line
                                  ? std::clamp(span.end - line_start, rel_begin, line.size())
                                  : line.size();
  std::size_t from = 0;
  std::size_t to = line.size();
  if (line.size() > kMaxShownLine) {
    from = rel_begin > kShownBeforeSpan ? rel_begin - kShownBeforeSpan : 0;
    while (from > 0 && is_continuation(line[from])) --from;
    to = std::min(line.size(), from + kMaxShownLine);
    while (to < line.size() && to > from && is_continuation(line[to])) --to;
  }
  const std::string prefix = from > 0 ? "..." : "";
  d.source_line =
      prefix + std::string(line.substr(from, to - from)) + (to < line.size() ? "..." : "");
  d.caret_column =
      1 + static_cast<int>(prefix.size()) + count_code_points(line.substr(from, rel_begin - from));
  const std::size_t shown_end = std::min(rel_end, to);
  const int width =
      shown_end > rel_begin ? count_code_points(line.substr(rel_begin, shown_end - rel_begin)) : 1;
  d.caret_width = std::max(width, 1);
  return d;
}

Diagnostic make_line_diagnostic(std::string file, int line, Severity severity, std::string message,
                                std::string hint) {
  Diagnostic d;
  d.severity = severity;
  d.file = std::move(file);
  d.line = std::max(line, 0);
  d.message = std::move(message);
  d.hint = std::move(hint);
  return d;
}

std::string render(const Diagnostic& diagnostic, const RenderOptions& options) {
  std::string out;
  render_into(out, diagnostic, options);
  return out;
}

void Diagnostics::add(Diagnostic diagnostic) {
  errors_ += diagnostic.severity == Severity::kError ? 1 : 0;
  warnings_ += diagnostic.severity == Severity::kWarning ? 1 : 0;
  items_.push_back(std::move(diagnostic));
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
  errors_ += other.errors_;
  warnings_ += other.warnings_;
}

Diagnostic& Diagnostics::error(const SourceFile& source, Span span, std::string message,
                               std::string hint) {
  add(make_diagnostic(source, span, Severity::kError, std::move(message), std::move(hint)));
  return items_.back();
}

Diagnostic& Diagnostics::warning(const SourceFile& source, Span span, std::string message,
                                 std::string hint) {
  add(make_diagnostic(source, span, Severity::kWarning, std::move(message), std::move(hint)));
  return items_.back();
}

Diagnostic& Diagnostics::note(const SourceFile& source, Span span, std::string message,
                              std::string hint) {
  add(make_diagnostic(source, span, Severity::kNote, std::move(message), std::move(hint)));
  return items_.back();
}

void Diagnostics::sort_by_location() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.file != b.file) return a.file < b.file;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
}

std::string Diagnostics::render(const RenderOptions& options) const {
  std::string out;
  for (const Diagnostic& d : items_) render_into(out, d, options);
  return out;
}

}  // namespace pareto::spec
