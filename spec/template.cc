#include "spec/template.h"

namespace pareto::spec {
namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

// A reference starting at `pos` (which holds "{{"): sets name and returns its length, or 0.
std::size_t match_reference(std::string_view text, std::size_t pos, std::string& name,
                            bool& literal_braces) {
  std::size_t i = pos + 2;
  while (i < text.size() && text[i] == ' ') ++i;
  literal_braces = false;
  if (text.substr(i, 4) == "\"{{\"") {
    literal_braces = true;
    i += 4;
  } else {
    if (i >= text.size() || !name_start(text[i])) return 0;
    const std::size_t start = i;
    while (i < text.size() && name_char(text[i])) ++i;
    name.assign(text.substr(start, i - start));
  }
  while (i < text.size() && text[i] == ' ') ++i;
  if (text.substr(i, 2) != "}}") return 0;
  return i + 2 - pos;
}

// Calls on_reference(pos, length, name, literal_braces) for each reference of `text`, in
// order; what lies between them is text.
template <typename OnReference>
void scan_references(std::string_view text, OnReference on_reference) {
  std::size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    std::string name;
    bool literal_braces = false;
    const std::size_t length = match_reference(text, pos, name, literal_braces);
    if (length == 0) {
      ++pos;  // "{{{x}}": the reference may start one brace later
      continue;
    }
    on_reference(pos, length, std::move(name), literal_braces);
    pos += length;
  }
}

}  // namespace

std::vector<TemplatePart> parse_template(std::string_view text) {
  std::vector<TemplatePart> parts;
  auto add_text = [&](std::string_view piece, std::size_t offset) {
    if (piece.empty()) return;
    if (!parts.empty() && parts.back().kind == TemplatePart::Kind::kText &&
        parts.back().offset + parts.back().length == offset) {
      parts.back().text += piece;
      parts.back().length += piece.size();
      return;
    }
    parts.push_back({TemplatePart::Kind::kText, std::string(piece), offset, piece.size()});
  };
  std::size_t text_start = 0;
  scan_references(text,
                  [&](std::size_t pos, std::size_t length, std::string name, bool literal_braces) {
                    add_text(text.substr(text_start, pos - text_start), text_start);
                    if (literal_braces) {
                      // `{{"{{"}}` stands for "{{": a text piece that spans the whole escape.
                      parts.push_back({TemplatePart::Kind::kText, "{{", pos, length});
                    } else {
                      parts.push_back({TemplatePart::Kind::kField, std::move(name), pos, length});
                    }
                    text_start = pos + length;
                  });
  add_text(text.substr(text_start), text_start);
  return parts;
}

std::vector<TemplatePart> template_fields(std::string_view text) {
  // parse_template's field pieces, found without copying the text between them.
  std::vector<TemplatePart> fields;
  scan_references(text,
                  [&](std::size_t pos, std::size_t length, std::string name, bool literal_braces) {
                    if (!literal_braces) {
                      fields.push_back({TemplatePart::Kind::kField, std::move(name), pos, length});
                    }
                  });
  return fields;
}

std::string field_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

std::string render_template(std::string_view text, const nlohmann::json& fields) {
  std::string out;
  out.reserve(text.size());
  for (const auto& part : parse_template(text)) {
    if (part.kind == TemplatePart::Kind::kText) {
      out += part.text;
    } else if (fields.is_object()) {
      auto it = fields.find(part.text);
      if (it != fields.end()) out += field_text(*it);
    }
  }
  return out;
}

}  // namespace pareto::spec
