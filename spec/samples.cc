#include "spec/samples.h"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

namespace pareto::spec {
namespace {

// Collects issues up to kMaxDataIssues, then only counts them, so a binary file read as
// data yields a short report instead of one line per garbage line.
class IssueSink {
 public:
  explicit IssueSink(std::string_view file) : file_(file) {}

  void add(int line, int column, std::string message) {
    if (issues_.size() < kMaxDataIssues) {
      issues_.push_back({file_, line, column, std::move(message)});
    } else {
      ++dropped_;
    }
  }
  bool empty() const { return issues_.empty(); }

  std::vector<DataIssue> finish() && {
    if (dropped_ > 0) {
      issues_.push_back(
          {file_, 0, 0,
           fmt::format("{} more issue{} not shown", dropped_, dropped_ == 1 ? "" : "s")});
    }
    return std::move(issues_);
  }

 private:
  std::string file_;
  std::vector<DataIssue> issues_;
  std::size_t dropped_ = 0;
};

// Byte offset of the first byte that does not start a well-formed UTF-8 sequence (no
// overlong forms, no surrogates, nothing above U+10FFFF), or nullopt when all is well.
std::optional<std::size_t> first_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c == 0xE0) {
      len = 3, lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      len = 3;
    } else if (c == 0xED) {
      len = 3, hi = 0x9F;  // U+D800..U+DFFF are surrogates, not characters
    } else if (c == 0xF0) {
      len = 4, lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      len = 4;
    } else if (c == 0xF4) {
      len = 4, hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::nullopt;
}

// At most `max` bytes of `s`, cut at a character boundary, with "..." when shortened.
std::string clip(std::string_view s, std::size_t max = 120) {
  if (s.size() <= max) return std::string(s);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

std::string_view strip_bom(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return text;
}

// One physical line of a data file: its text (without "\n" or "\r\n") and where it starts.
struct Line {
  std::string_view text;
  std::size_t offset = 0;  // of its first byte in the (BOM-stripped) text
  int number = 0;          // 1-based
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  std::size_t start = 0;
  int number = 1;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back({line, start, number});
    start = end + 1;
    ++number;
  }
  return lines;
}

// The checks every line of a data file passes before its format is looked at: size,
// encoding, NUL bytes. Reports the first problem and returns false.
bool check_line_bytes(const Line& line, IssueSink& sink) {
  if (line.text.size() > kMaxLineBytes) {
    sink.add(line.number, 0,
             fmt::format("line is {} bytes long; the limit is {} bytes (is this a data file?)",
                         line.text.size(), kMaxLineBytes));
    return false;
  }
  if (auto bad = first_invalid_utf8(line.text)) {
    sink.add(line.number, static_cast<int>(*bad) + 1,
             fmt::format("invalid UTF-8 (byte 0x{:02X}); data files must be UTF-8 text",
                         static_cast<unsigned char>(line.text[*bad])));
    return false;
  }
  if (auto nul = line.text.find('\0'); nul != std::string_view::npos) {
    sink.add(line.number, static_cast<int>(nul) + 1,
             "NUL byte; data files must be text (write \\u0000 inside a JSON string)");
    return false;
  }
  return true;
}

const char* json_type_phrase(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return "a number";
    default:
      return "a value";
  }
}

// The 1-based column where array/object nesting first exceeds kMaxJsonDepth, if it does.
// Parsing and, above all, destroying very deep JSON recurses, so depth is checked first.
std::optional<int> too_deep_at(std::string_view line) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return static_cast<int>(i) + 1;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::nullopt;
}

// nlohmann's parse_error text is "[json.exception.parse_error.101] parse error at line 1,
// column 5: syntax error while parsing ..."; keep the explanation after the position.
std::string parse_error_reason(const nlohmann::json::parse_error& e) {
  std::string_view what = e.what();
  if (auto col = what.find("column "); col != std::string_view::npos) {
    if (auto colon = what.find(": ", col); colon != std::string_view::npos) {
      return clip(what.substr(colon + 2), 200);
    }
  }
  if (auto colon = what.find("] "); colon != std::string_view::npos) {
    return clip(what.substr(colon + 2), 200);
  }
  return clip(what, 200);
}

void parse_jsonl_line(const Line& line, IssueSink& sink, std::vector<Sample>& samples) {
  if (auto col = too_deep_at(line.text)) {
    sink.add(line.number, *col, fmt::format("JSON nested deeper than {} levels", kMaxJsonDepth));
    return;
  }
  // JSON parsers keep one of two equal keys silently; in a sample that hides a mistake, so
  // the keys of every object are tracked while parsing.
  std::vector<std::set<std::string>> open_objects;
  std::optional<std::string> duplicate;
  auto callback = [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) {
      open_objects.emplace_back();
    } else if (event == Event::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == Event::key && !open_objects.empty() && parsed.is_string()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second && !duplicate) duplicate = key;
    }
    return true;
  };
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(line.text.begin(), line.text.end(), callback);
  } catch (const nlohmann::json::parse_error& e) {
    // For one line of input, nlohmann's byte position is the column of the offending byte.
    const int column = e.byte > 0 && e.byte <= line.text.size() + 1 ? static_cast<int>(e.byte) : 0;
    sink.add(line.number, column, "not JSON: " + parse_error_reason(e));
    return;
  } catch (const nlohmann::json::exception& e) {
    // e.g. out_of_range.406, "number overflow parsing '1e999'".
    std::string_view what = e.what();
    if (auto end = what.find("] "); end != std::string_view::npos) what.remove_prefix(end + 2);
    sink.add(line.number, 0, "not JSON: " + clip(what, 200));
    return;
  }
  if (!value.is_object()) {
    sink.add(line.number, 0,
             fmt::format("expected a JSON object {{\"field\": value, ...}}, got {}",
                         json_type_phrase(value)));
    return;
  }
  if (duplicate) {
    sink.add(line.number, 0,
             fmt::format("key \"{}\" appears twice in one object", clip(*duplicate, 60)));
    return;
  }
  samples.push_back({std::to_string(line.number), std::move(value), line.number});
}

// ---- CSV -------------------------------------------------------------------------------

struct CsvError {
  int line = 0;
  int column = 0;
  std::string message;
  bool fatal = false;  // nothing after it can be read (an unterminated quote)
};

struct CsvRecord {
  std::vector<std::string> fields;
  int first_line = 0;
  int last_line = 0;
  std::size_t end = 0;  // offset just past the record's line ending
  std::optional<CsvError> error;
};

// Reads one RFC 4180 record starting at `pos` (the start of line `line_number`), with
// `line_starts` mapping line numbers to offsets for column numbers in messages.
class CsvReader {
 public:
  CsvReader(std::string_view text, const std::vector<Line>& lines) : text_(text), lines_(lines) {}

  CsvRecord read(std::size_t line_index) const {
    CsvRecord rec;
    std::size_t pos = lines_[line_index].offset;
    std::size_t li = line_index;  // index of the physical line `pos` is on
    rec.first_line = lines_[li].number;
    auto column_of = [&](std::size_t at) { return static_cast<int>(at - lines_[li].offset) + 1; };
    auto next_line = [&](std::size_t at) {
      while (li + 1 < lines_.size() && lines_[li + 1].offset <= at) ++li;
    };
    auto fail = [&](std::size_t at, std::string message, bool fatal = false) {
      rec.error = CsvError{lines_[li].number, column_of(at), std::move(message), fatal};
      rec.last_line = lines_[li].number;
      rec.end = li + 1 < lines_.size() ? lines_[li + 1].offset : text_.size();
    };
    const std::size_t n = text_.size();
    for (;;) {
      std::string field;
      if (pos < n && text_[pos] == '"') {
        const int open_line = lines_[li].number;
        const int open_column = column_of(pos);
        ++pos;
        for (;;) {
          if (pos >= n) {
            rec.error = CsvError{open_line, open_column,
                                 "unterminated quoted field: the quote opened here is never "
                                 "closed (a quote inside a quoted field is written \"\")",
                                 true};
            rec.last_line = lines_.back().number;
            rec.end = n;
            return rec;
          }
          const char c = text_[pos];
          if (c == '"') {
            if (pos + 1 < n && text_[pos + 1] == '"') {
              field += '"';
              pos += 2;
              continue;
            }
            ++pos;
            break;
          }
          if (c == '\r' && pos + 1 < n && text_[pos + 1] == '\n') {
            ++pos;  // a CRLF inside a quoted value is kept as "\n"
            continue;
          }
          field += c;
          ++pos;
          if (c == '\n') next_line(pos);
        }
        if (pos < n && text_[pos] != ',' && text_[pos] != '\n' &&
            !(text_[pos] == '\r' && pos + 1 < n && text_[pos + 1] == '\n') &&
            !(text_[pos] == '\r' && pos + 1 == n)) {
          fail(pos,
               "unexpected character after a closing quote (a field is either quoted as "
               "a whole or not at all; a quote inside a quoted field is written \"\")");
          return rec;
        }
      } else {
        while (pos < n && text_[pos] != ',' && text_[pos] != '\n') {
          if (text_[pos] == '"') {
            fail(pos,
                 "quote inside an unquoted field; quote the whole field and double the "
                 "quotes inside it: \"a \"\"b\"\"\"");
            return rec;
          }
          if (text_[pos] == '\r' && (pos + 1 == n || text_[pos + 1] == '\n')) break;
          field += text_[pos];
          ++pos;
        }
      }
      rec.fields.push_back(std::move(field));
      if (pos < n && text_[pos] == ',') {
        ++pos;
        continue;
      }
      // End of the record: "\n", "\r\n" or the end of the text.
      if (pos < n && text_[pos] == '\r') ++pos;
      if (pos < n && text_[pos] == '\n') ++pos;
      rec.last_line = lines_[li].number;
      rec.end = pos;
      return rec;
    }
  }

 private:
  std::string_view text_;
  const std::vector<Line>& lines_;
};

std::string describe_fields(std::size_t n) {
  return fmt::format("{} field{}", n, n == 1 ? "" : "s");
}

}  // namespace

std::string format_issue(const DataIssue& issue) {
  if (issue.line <= 0) return fmt::format("{}: {}", issue.file, issue.message);
  if (issue.column <= 0) return fmt::format("{}:{}: {}", issue.file, issue.line, issue.message);
  return fmt::format("{}:{}:{}: {}", issue.file, issue.line, issue.column, issue.message);
}

SampleSet parse_jsonl(std::string_view text, std::string_view file_name) {
  SampleSet set;
  IssueSink sink(file_name);
  for (const Line& line : split_lines(strip_bom(text))) {
    if (!check_line_bytes(line, sink)) continue;
    if (is_blank(line.text)) {
      sink.add(line.number, 0, "empty line; every line of a .jsonl file must be one JSON object");
      continue;
    }
    parse_jsonl_line(line, sink, set.samples);
  }
  if (set.samples.empty() && sink.empty()) {
    sink.add(0, 0, "no samples: the file is empty");
  }
  set.issues = std::move(sink).finish();
  return set;
}

SampleSet parse_csv(std::string_view text, std::string_view file_name) {
  SampleSet set;
  IssueSink sink(file_name);
  text = strip_bom(text);
  const std::vector<Line> lines = split_lines(text);
  // Lines with bad bytes are reported once here; records touching them are dropped later.
  std::vector<bool> bad(lines.size(), false);
  for (std::size_t i = 0; i < lines.size(); ++i) bad[i] = !check_line_bytes(lines[i], sink);

  if (lines.empty()) {
    sink.add(0, 0, "missing header row: the file is empty");
    set.issues = std::move(sink).finish();
    return set;
  }
  if (!bad[0] && is_blank(lines[0].text)) {
    sink.add(1, 0, "missing header row: line 1 is empty (the first line names the columns)");
    set.issues = std::move(sink).finish();
    return set;
  }

  CsvReader reader(text, lines);
  std::vector<std::string> header;
  bool have_header = false;
  int row_number = 0;
  std::size_t li = 0;
  while (li < lines.size()) {
    if (bad[li]) {
      // Already reported; reading a record from it could swallow the good lines after it.
      if (!have_header) break;  // the header itself is unreadable: rows cannot be named
      ++row_number;
      ++li;
      continue;
    }
    CsvRecord rec = reader.read(li);
    // Advance to the first line that starts at or after the record's end.
    std::size_t next = li;
    bool touches_bad = false;
    while (next < lines.size() && lines[next].offset < rec.end) touches_bad |= bad[next++];
    if (next == li) next = li + 1;  // never loop in place
    const Line& first = lines[li];
    li = next;

    if (touches_bad) {  // a quoted field ran into a bad line, which is reported already
      if (!have_header) break;
      ++row_number;
      continue;
    }
    if (rec.error) {
      sink.add(rec.error->line, rec.error->column, rec.error->message);
      if (rec.error->fatal) break;
      if (!have_header) break;
      ++row_number;
      continue;
    }
    if (!have_header) {
      header = std::move(rec.fields);
      have_header = true;
      std::map<std::string, std::size_t> seen;
      for (std::size_t c = 0; c < header.size(); ++c) {
        const std::string& name = header[c];
        if (is_blank(name)) {
          sink.add(first.number, 0,
                   fmt::format("header column {} has no name; every column needs a name", c + 1));
        } else if (name.find_first_of(" \t") == 0 || name.find_last_of(" \t") == name.size() - 1) {
          sink.add(first.number, 0,
                   fmt::format("header name \"{}\" (column {}) has spaces around it; remove them "
                               "so templates can name it",
                               clip(name, 60), c + 1));
        }
        auto [it, inserted] = seen.emplace(name, c);
        if (!inserted && !is_blank(name)) {
          sink.add(first.number, 0,
                   fmt::format("header name \"{}\" appears twice (columns {} and {})",
                               clip(name, 60), it->second + 1, c + 1));
        }
      }
      continue;
    }
    ++row_number;
    if (rec.first_line == rec.last_line && is_blank(first.text)) {
      sink.add(first.number, 0,
               "empty line; every line of a .csv file after the header is one row");
      continue;
    }
    if (rec.fields.size() != header.size()) {
      sink.add(
          rec.first_line, 0,
          fmt::format("row has {}; the header has {} column{}", describe_fields(rec.fields.size()),
                      header.size(), header.size() == 1 ? "" : "s"));
      continue;
    }
    nlohmann::json fields = nlohmann::json::object();
    for (std::size_t c = 0; c < header.size(); ++c) fields[header[c]] = std::move(rec.fields[c]);
    set.samples.push_back({std::to_string(row_number), std::move(fields), rec.first_line});
  }
  if (have_header && set.samples.empty() && sink.empty()) {
    sink.add(0, 0, "no samples: the file has a header row but no data rows");
  }
  set.issues = std::move(sink).finish();
  return set;
}

namespace {

// Reads a whole data file, or explains why it cannot.
std::optional<std::string> read_data_file(const std::filesystem::path& path, IssueSink& sink) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    sink.add(0, 0,
             ec && ec != std::errc::no_such_file_or_directory
                 ? fmt::format("cannot read the file: {}", ec.message())
                 : std::string("no such file"));
    return std::nullopt;
  }
  if (std::filesystem::is_directory(status)) {
    sink.add(0, 0, "is a directory, not a data file");
    return std::nullopt;
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxDataFileBytes) {
    sink.add(0, 0,
             fmt::format("file is {} bytes; the limit for a data file is {} bytes", size,
                         kMaxDataFileBytes));
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    sink.add(0, 0, "cannot open the file for reading");
    return std::nullopt;
  }
  // Read in chunks, bounded, so that a file whose size is unknown (a pipe) stays bounded too.
  std::string data;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    data.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (data.size() > kMaxDataFileBytes) {
      sink.add(0, 0,
               fmt::format("file is larger than the limit for a data file ({} bytes)",
                           kMaxDataFileBytes));
      return std::nullopt;
    }
  }
  if (in.bad()) {
    sink.add(0, 0, "read error while reading the file");
    return std::nullopt;
  }
  return data;
}

SampleSet load_with(const std::filesystem::path& path,
                    SampleSet (*parse)(std::string_view, std::string_view)) {
  const std::string name = path.string();
  IssueSink sink(name);
  std::optional<std::string> data = read_data_file(path, sink);
  if (!data) {
    SampleSet set;
    set.issues = std::move(sink).finish();
    return set;
  }
  return parse(*data, name);
}

}  // namespace

SampleSet load_jsonl(const std::filesystem::path& path) { return load_with(path, parse_jsonl); }

SampleSet load_csv(const std::filesystem::path& path) { return load_with(path, parse_csv); }

}  // namespace pareto::spec
