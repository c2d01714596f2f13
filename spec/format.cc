#include "spec/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <string_view>

#include "spec/parser.h"

namespace pareto::spec {
namespace {

constexpr int kWidth = 100;  // a one-line form is kept only when it fits in this many columns
constexpr int kIndent = 2;

std::string spaces(int n) { return std::string(static_cast<std::size_t>(std::max(n, 0)), ' '); }

int width_of(std::string_view text) {
  int n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) == 0x80 ? 0 : 1;
  return n;
}

// "..." with the fewest escapes that read back to the same text.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (byte < 0x20 || byte == 0x7F) {
          out += fmt::format("\\u{{{:X}}}", byte);
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (true) {
    const std::size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) return lines;
    text.remove_prefix(nl + 1);
  }
}

// Whether the canonical """ form (content lines indented under the entry, closing """ on its
// own line, each """ inside written \""") reads back to exactly this text.
bool fits_block(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n' && c != '\t') || byte == 0x7F) return false;
  }
  bool has_unindented_line = false;
  for (std::string_view line : split_lines(text)) {
    if (line.empty()) continue;
    if (line.find_first_not_of(" \t") == std::string_view::npos) return false;  // would be emptied
    if (line.front() != ' ' && line.front() != '\t') has_unindented_line = true;
  }
  // Dedenting removes the common indentation: the text must have none of its own.
  return has_unindented_line;
}

// The shortest text that reads back to the same double; `force_float` keeps a float a float.
std::string number_text(double value, bool force_float) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text = ec == std::errc() ? std::string(buffer, end) : fmt::format("{}", value);
  if (force_float && text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

bool has_comments(const Value& v) { return v.open_comment.has_value() || !v.end_comments.empty(); }

class Formatter {
 public:
  std::string run(const File& file);

 private:
  std::string scalar_text(const Value& v, int indent);
  std::string value_text(const Value& v, int indent, int column);
  std::optional<std::string> flow_value(const Value& v, int indent);
  std::string broken_value(const Value& v, int indent);
  std::optional<std::string> flow_block(const Block& block, int indent);
  std::string block_text(const Block& block, int indent, int column);
  std::string entry_line(const Entry& entry, int indent, int name_width);
  void comment_lines(std::string& out, const std::vector<Comment>& comments, int indent);
};

void Formatter::comment_lines(std::string& out, const std::vector<Comment>& comments, int indent) {
  for (const Comment& c : comments) out += spaces(indent) + c.text + "\n";
}

std::string trailing(const Comments& comments) {
  return comments.after ? "  " + comments.after->text : std::string();
}

std::string Formatter::scalar_text(const Value& v, int indent) {
  switch (v.kind) {
    case ValueKind::kString: {
      if (!v.triple_quoted || !fits_block(v.text)) return quote(v.text);
      const int content = indent + kIndent;
      std::string out = "\"\"\"\n";
      for (std::string_view line : split_lines(v.text)) {
        if (!line.empty()) out += spaces(content);
        // A """ inside is written \"""; the lexer reads that escape before anything else, so
        // even a backslash right before it reads back unchanged.
        for (std::size_t at = line.find("\"\"\""); at != std::string_view::npos;
             at = line.find("\"\"\"")) {
          out.append(line.substr(0, at)).append("\\\"\"\"");
          line.remove_prefix(at + 3);
        }
        out.append(line);
        out += '\n';
      }
      return out + spaces(content) + "\"\"\"";
    }
    case ValueKind::kInt:
      return std::to_string(v.integer);
    case ValueKind::kFloat:
      return number_text(v.number, true);
    case ValueKind::kDuration:
    case ValueKind::kSize:
    case ValueKind::kEnergy:
      return number_text(v.number, false) + v.unit;
    case ValueKind::kBool:
      return v.boolean ? "true" : "false";
    case ValueKind::kName:
      return v.text;
    default:
      return "?";  // kInvalid: the tree had errors; there is nothing canonical to print
  }
}

std::optional<std::string> Formatter::flow_value(const Value& v, int indent) {
  if (v.kind != ValueKind::kList && v.kind != ValueKind::kMap && v.kind != ValueKind::kCall) {
    return scalar_text(v, indent);
  }
  if (v.multiline || has_comments(v)) return std::nullopt;
  std::vector<std::string> parts;
  for (const Value& item : v.items) {
    if (!item.comments.empty()) return std::nullopt;
    auto text = flow_value(item, indent);
    if (!text) return std::nullopt;
    parts.push_back(std::move(*text));
  }
  for (const NamedValue& entry : v.entries) {
    if (!entry.comments.empty()) return std::nullopt;
    auto text = flow_value(entry.value, indent);
    if (!text) return std::nullopt;
    const std::string key =
        v.kind == ValueKind::kMap && entry.quoted ? quote(entry.name) : entry.name;
    parts.push_back(key + " = " + *text);
  }
  const std::string joined = fmt::format("{}", fmt::join(parts, ", "));
  switch (v.kind) {
    case ValueKind::kList:
      return "[" + joined + "]";
    case ValueKind::kMap:
      return parts.empty() ? "{}" : "{ " + joined + " }";
    default:
      return v.text + "(" + joined + ")";
  }
}

std::string Formatter::broken_value(const Value& v, int indent) {
  const int inner = indent + kIndent;
  std::string out = v.kind == ValueKind::kList  ? "["
                    : v.kind == ValueKind::kMap ? "{"
                                                : v.text + "(";
  if (v.open_comment) out += "  " + v.open_comment->text;
  out += '\n';
  const bool commas = v.kind != ValueKind::kMap;  // maps, like blocks, end entries with lines
  for (const Value& item : v.items) {
    comment_lines(out, item.comments.before, inner);
    out += spaces(inner) + value_text(item, inner, inner) + (commas ? "," : "") +
           trailing(item.comments) + "\n";
  }
  for (const NamedValue& entry : v.entries) {
    comment_lines(out, entry.comments.before, inner);
    const std::string key =
        v.kind == ValueKind::kMap && entry.quoted ? quote(entry.name) : entry.name;
    out += spaces(inner) + key + " = " + value_text(entry.value, inner, inner + width_of(key) + 3) +
           (commas ? "," : "") + trailing(entry.comments) + "\n";
  }
  comment_lines(out, v.end_comments, inner);
  out += spaces(indent);
  out += v.kind == ValueKind::kList ? "]" : v.kind == ValueKind::kMap ? "}" : ")";
  return out;
}

// A value starting at `column` on a line indented by `indent`: one line when the author
// wrote it so and it fits, otherwise one element per line.
std::string Formatter::value_text(const Value& v, int indent, int column) {
  if (v.kind != ValueKind::kList && v.kind != ValueKind::kMap && v.kind != ValueKind::kCall) {
    return scalar_text(v, indent);
  }
  if (auto flow = flow_value(v, indent)) {
    // A """ block inside a list or call makes several lines anyway (`tests("""...""")`), so
    // the width rule applies to one-liners only; a map holding one reads better broken.
    const bool several_lines = flow->find('\n') != std::string::npos;
    if (several_lines ? v.kind != ValueKind::kMap : column + width_of(*flow) <= kWidth) {
      return *flow;
    }
  }
  return broken_value(v, indent);
}

std::optional<std::string> Formatter::flow_block(const Block& block, int indent) {
  if (block.multiline || block.open_comment || !block.end_comments.empty()) return std::nullopt;
  std::vector<std::string> parts;
  for (const Entry& entry : block.entries) {
    if (!entry.comments.empty()) return std::nullopt;
    if (entry.kind == EntryKind::kSection) {
      auto inner = flow_block(entry.block, indent);
      if (!inner) return std::nullopt;
      parts.push_back(entry.name + " " + *inner);
    } else {
      auto value = flow_value(entry.value, indent);
      if (!value) return std::nullopt;
      parts.push_back(entry.kind == EntryKind::kExpect ? "expect " + *value
                                                       : entry.name + " = " + *value);
    }
  }
  if (parts.empty()) return "{}";
  return "{ " + fmt::format("{}", fmt::join(parts, ", ")) + " }";
}

std::string Formatter::entry_line(const Entry& entry, int indent, int name_width) {
  switch (entry.kind) {
    case EntryKind::kField: {
      const int pad = std::max(name_width - width_of(entry.name), 0);
      const std::string head = entry.name + spaces(pad) + " = ";
      return head + value_text(entry.value, indent, indent + width_of(head));
    }
    case EntryKind::kExpect:
      return "expect " + value_text(entry.value, indent, indent + 7);
    case EntryKind::kSection:
      return entry.name + " " + block_text(entry.block, indent, indent + width_of(entry.name) + 1);
  }
  return {};
}

// A block whose `{` is at `column` of a line indented by `indent`.
std::string Formatter::block_text(const Block& block, int indent, int column) {
  // One line only when it is one line: a block holding a """ string reads better broken.
  if (auto flow = flow_block(block, indent)) {
    if (flow->find('\n') == std::string::npos && column + width_of(*flow) <= kWidth) {
      return *flow;
    }
  }
  const int inner = indent + kIndent;
  std::string out = "{";
  if (block.open_comment) out += "  " + block.open_comment->text;
  out += '\n';
  // Consecutive fields (no blank line between them) align their `=`.
  std::vector<int> name_width(block.entries.size(), 0);
  for (std::size_t i = 0; i < block.entries.size();) {
    std::size_t j = i;
    int widest = 0;
    while (j < block.entries.size() && block.entries[j].kind == EntryKind::kField &&
           (j == i || !block.entries[j].blank_line_before)) {
      widest = std::max(widest, width_of(block.entries[j].name));
      ++j;
    }
    if (j == i) {
      ++i;
      continue;
    }
    for (std::size_t k = i; k < j; ++k) name_width[k] = widest;
    i = j;
  }
  for (std::size_t i = 0; i < block.entries.size(); ++i) {
    const Entry& entry = block.entries[i];
    if (i > 0 && entry.blank_line_before) out += '\n';
    comment_lines(out, entry.comments.before, inner);
    out +=
        spaces(inner) + entry_line(entry, inner, name_width[i]) + trailing(entry.comments) + "\n";
  }
  comment_lines(out, block.end_comments, inner);
  out += spaces(indent) + "}";
  return out;
}

std::string Formatter::run(const File& file) {
  std::string out;
  const auto is_block_item = [](const Item& item) {
    return item.kind == ItemKind::kDefaults || item.kind == ItemKind::kTask ||
           item.kind == ItemKind::kTier;
  };
  for (std::size_t i = 0; i < file.items.size(); ++i) {
    const Item& item = file.items[i];
    if (i > 0 &&
        (is_block_item(item) || is_block_item(file.items[i - 1]) || item.blank_line_before)) {
      out += '\n';
    }
    comment_lines(out, item.comments.before, 0);
    std::string line(item_keyword(item.kind));
    switch (item.kind) {
      case ItemKind::kSuite:
        line += " " + item.name;
        if (item.title) line += " " + quote(item.title->text);
        break;
      case ItemKind::kInclude:
        line += " " + quote(item.path.text);
        break;
      case ItemKind::kDefaults:
        line += " " + block_text(item.block, 0, width_of(line) + 1);
        break;
      case ItemKind::kTask:
      case ItemKind::kTier:
        line += " " + item.name;
        line += " " + block_text(item.block, 0, width_of(line) + 1);
        break;
    }
    out += line + trailing(item.comments) + "\n";
  }
  if (!file.end_comments.empty()) {
    if (!file.items.empty()) out += '\n';
    comment_lines(out, file.end_comments, 0);
  }
  return out;
}

}  // namespace

std::string format_file(const File& file) { return Formatter().run(file); }

std::optional<std::string> format_source(const SourceFile& source, Diagnostics& diagnostics) {
  Diagnostics local;
  File file = parse_file(source, local);
  const bool ok = !local.has_errors();
  diagnostics.append(local);
  if (!ok) return std::nullopt;
  return format_file(file);
}

}  // namespace pareto::spec
