#include "spec/source.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pareto::spec {

SourceFile::SourceFile(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {
  line_starts_.push_back(0);
  const char* const begin = text_.data();
  const char* const end = begin + text_.size();
  for (const char* p = begin;
       (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) !=
       nullptr;
       ++p) {
    line_starts_.push_back(static_cast<std::size_t>(p - begin) + 1);
  }
}

std::size_t SourceFile::line_start(int line) const {
  const int clamped = std::clamp(line, 1, line_count());
  return line_starts_[static_cast<std::size_t>(clamped - 1)];
}

Location SourceFile::location(std::size_t offset) const {
  offset = std::min(offset, text_.size());
  // The last line start at or before `offset`.
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const auto line_index = static_cast<std::size_t>(it - line_starts_.begin()) - 1;
  int column = 1;
  for (std::size_t i = line_starts_[line_index]; i < offset; ++i) {
    // Count code points: every byte except UTF-8 continuation bytes (10xxxxxx) starts one.
    if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
  }
  return {static_cast<int>(line_index) + 1, column};
}

std::string_view SourceFile::line_text(int line) const {
  if (line < 1 || line > line_count()) return {};
  const std::size_t begin = line_starts_[static_cast<std::size_t>(line - 1)];
  std::size_t end =
      line < line_count() ? line_starts_[static_cast<std::size_t>(line)] - 1 : text_.size();
  if (end > begin && text_[end - 1] == '\r') --end;
  return std::string_view(text_).substr(begin, end - begin);
}

std::optional<SourceFile> read_source_file(const std::filesystem::path& path, std::string* error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    if (error) *error = "cannot read " + path.string() + ": it is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error) *error = "cannot open " + path.string() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    if (error) *error = "cannot read " + path.string();
    return std::nullopt;
  }
  return SourceFile(path.string(), std::move(buffer).str());
}

}  // namespace pareto::spec
