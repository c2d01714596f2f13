// Template strings: `{{field}}` references to sample fields inside prompts, system prompts,
// grader arguments, reference solutions and workspace files.
//
// A reference is `{{`, optional spaces, a field name (a letter or `_`, then letters,
// digits or `_`), optional spaces, `}}`. Any other `{{` is ordinary text, so code such as
// `{{1, 2}}` or `{{}}` needs no escaping. To write a literal `{{` where it would start a
// reference, write `{{"{{"}}`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pareto::spec {

// One piece of a parsed template.
struct TemplatePart {
  enum class Kind { kText, kField };
  Kind kind = Kind::kText;
  std::string text;        // kText: the literal text; kField: the field name
  std::size_t offset = 0;  // byte offset of the piece in the template string
  std::size_t length = 0;  // bytes it spans there (a field: the whole `{{ name }}`)
};

// Splits a template into text and field pieces. Never fails: what is not a reference is text.
std::vector<TemplatePart> parse_template(std::string_view text);

// The field pieces only, in order (a field used twice appears twice).
std::vector<TemplatePart> template_fields(std::string_view text);

// The text a field value stands for in a rendered template: a string as is, anything else
// (numbers, booleans, arrays, objects) as compact JSON.
std::string field_text(const nlohmann::json& value);

// Replaces every reference by field_text(fields[name]). A field missing from `fields`
// renders as the empty string (the checker guarantees every used field is present).
std::string render_template(std::string_view text, const nlohmann::json& fields);

}  // namespace pareto::spec
