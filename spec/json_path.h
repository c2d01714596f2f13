// JSON paths for the json(...) grader: `$` (the whole value), then any number of steps:
// `.name` (a key made of letters, digits, `_` and `-`), `["any key"]` (a quoted key, with
// \" and \\ escapes) or `[3]` (an array index). Example: "$.items[0].id".
//
// The checker validates paths with parse_json_path at check time; the harness follows a
// parsed path with json_path_find.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pareto::spec {

using JsonPathStep = std::variant<std::string, std::size_t>;  // a key, or an array index

struct JsonPath {
  std::vector<JsonPathStep> steps;  // empty = `$`
};

// The parsed path, or nullopt with *error saying what is wrong and *error_offset where
// (a byte offset into `text`).
std::optional<JsonPath> parse_json_path(std::string_view text, std::string* error,
                                        std::size_t* error_offset);

// The value at `path` in `root`, or null when a step is missing (a key that is absent, an
// index out of range, or a step into a value of the wrong type).
const nlohmann::json* json_path_find(const nlohmann::json& root, const JsonPath& path);

}  // namespace pareto::spec
