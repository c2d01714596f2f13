#include "spec/json_path.h"

namespace pareto::spec {
namespace {

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

}  // namespace

std::optional<JsonPath> parse_json_path(std::string_view text, std::string* error,
                                        std::size_t* error_offset) {
  auto fail = [&](std::size_t at, std::string message) -> std::optional<JsonPath> {
    if (error) *error = std::move(message);
    if (error_offset) *error_offset = at;
    return std::nullopt;
  };
  if (text.empty() || text[0] != '$') return fail(0, "a JSON path starts with `$`");
  JsonPath path;
  std::size_t i = 1;
  while (i < text.size()) {
    if (text[i] == '.') {
      const std::size_t start = ++i;
      while (i < text.size() && key_char(text[i])) ++i;
      if (i == start) return fail(start, "expected a key after `.`");
      path.steps.emplace_back(std::string(text.substr(start, i - start)));
    } else if (text[i] == '[') {
      const std::size_t open = i++;
      if (i < text.size() && text[i] == '"') {
        std::string key;
        ++i;
        bool closed = false;
        while (i < text.size()) {
          if (text[i] == '\\' && i + 1 < text.size() &&
              (text[i + 1] == '"' || text[i + 1] == '\\')) {
            key += text[i + 1];
            i += 2;
          } else if (text[i] == '"') {
            closed = true;
            ++i;
            break;
          } else {
            key += text[i++];
          }
        }
        if (!closed) return fail(open, "unterminated quoted key");
        if (i >= text.size() || text[i] != ']') return fail(i, "expected `]` after the key");
        ++i;
        path.steps.emplace_back(std::move(key));
      } else {
        const std::size_t start = i;
        std::size_t index = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
          if (index > (static_cast<std::size_t>(-1) - 9) / 10)
            return fail(start, "index too large");
          index = index * 10 + static_cast<std::size_t>(text[i] - '0');
          ++i;
        }
        if (i == start) return fail(start, "expected an index or a quoted key after `[`");
        if (i >= text.size() || text[i] != ']') return fail(i, "expected `]` after the index");
        ++i;
        path.steps.emplace_back(index);
      }
    } else {
      return fail(i, "expected `.key`, `[index]` or `[\"key\"]`");
    }
  }
  return path;
}

const nlohmann::json* json_path_find(const nlohmann::json& root, const JsonPath& path) {
  const nlohmann::json* at = &root;
  for (const auto& step : path.steps) {
    if (const auto* key = std::get_if<std::string>(&step)) {
      if (!at->is_object()) return nullptr;
      auto it = at->find(*key);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else {
      const std::size_t index = std::get<std::size_t>(step);
      if (!at->is_array() || index >= at->size()) return nullptr;
      at = &(*at)[index];
    }
  }
  return at;
}

}  // namespace pareto::spec
