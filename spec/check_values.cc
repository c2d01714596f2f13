// Typed readers of syntax values, the call argument binder and the block field collector.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <set>

#include "spec/check_internal.h"
#include "spec/suggest.h"
#include "spec/template.h"

namespace pareto::spec::internal {

std::string What::text() const {
  if (!formatted_) return std::string(pattern_);
  return fmt::format(fmt::runtime(pattern_), name_);
}

const Entry* FieldMap::first(std::string_view name) const {
  for (const auto& [n, entry] : entries_) {
    // The size and first letter tell most names apart without a call to compare the rest.
    if (entry != nullptr && n.size() == name.size() && !n.empty() && n[0] == name[0] && n == name) {
      return entry;
    }
  }
  return nullptr;
}

std::vector<const Entry*> FieldMap::all(std::string_view name) const {
  std::vector<const Entry*> out;
  for (const auto& [n, entry] : entries_) {
    if (entry != nullptr && n == name) out.push_back(entry);
  }
  return out;
}

bool FieldMap::contains(std::string_view name) const {
  for (const auto& [n, entry] : entries_) {
    if (n == name) return true;
  }
  return false;
}

Diagnostic& FileScope::error(Span span, std::string message, std::string hint) {
  return diags.error(source, span, std::move(message), std::move(hint));
}

void FileScope::lint(Span span, std::string message, std::string hint) {
  if (options.strict) {
    diags.error(source, span, std::move(message), std::move(hint));
  } else {
    diags.warning(source, span, std::move(message), std::move(hint));
  }
}

void FileScope::note(Diagnostic& on, Span span, std::string message) {
  on.notes.push_back(make_diagnostic(source, span, Severity::kNote, std::move(message)));
}

Origin FileScope::origin(Span span) const {
  const Location at = source.location(span.begin);
  return Origin{path, at.line, at.column};
}

std::filesystem::path FileScope::resolve(std::string_view written) const {
  return (dir / std::filesystem::path(written)).lexically_normal();
}

std::string FileScope::display(std::string_view written) const {
  const std::filesystem::path p(written);
  if (p.is_absolute() || display_dir.empty()) return p.lexically_normal().string();
  return (display_dir / p).lexically_normal().string();
}

const FileScope::Folder& FileScope::folder(std::string_view written) {
  if (auto it = folders.find(written); it != folders.end()) return it->second;
  Folder f;
  f.path = resolve(written);
  std::error_code ec;
  f.exists = std::filesystem::is_directory(f.path, ec);
  return folders.emplace(std::string(written), std::move(f)).first->second;
}

bool FileScope::has_parse_error_in(Span span) const {
  for (const Span& e : parse_errors) {
    if (e.begin >= span.begin && e.begin < span.end) return true;
  }
  return false;
}

std::string a_kind(const Value& value) {
  switch (value.kind) {
    case ValueKind::kInt:
      return "an integer";
    case ValueKind::kEnergy:
      return "an energy";
    case ValueKind::kInvalid:
      return "an invalid value";
    default:
      return fmt::format("a {}", kind_name(value.kind));
  }
}

namespace {

// "`kind` must be a string, not an integer".
Diagnostic& wrong_kind(FileScope& s, const Value& v, const What& what, std::string_view expected,
                       std::string hint = {}) {
  return s.error(v.span, fmt::format("{} must be {}, not {}", what, expected, a_kind(v)),
                 std::move(hint));
}

// A hint for a bare number where a quantity was expected: "write a unit: 5s".
std::string unit_hint(const Value& v, std::string_view example_unit) {
  if (v.kind == ValueKind::kInt) return fmt::format("write a unit: {}{}", v.integer, example_unit);
  if (v.kind == ValueKind::kFloat) return fmt::format("write a unit: {}{}", v.number, example_unit);
  return {};
}

std::string join_names(std::span<const std::string_view> names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += (i + 1 == names.size()) ? " or " : ", ";
    out += names[i];
  }
  return out;
}

}  // namespace

std::optional<std::string> read_string(FileScope& s, const Value& v, const What& what) {
  if (v.kind == ValueKind::kInvalid) return std::nullopt;
  if (v.kind != ValueKind::kString) {
    std::string hint;
    if (v.kind == ValueKind::kName) hint = fmt::format("write it in quotes: \"{}\"", v.text);
    wrong_kind(s, v, what, "a string", std::move(hint));
    return std::nullopt;
  }
  return v.text;
}

std::optional<std::int64_t> read_int(FileScope& s, const Value& v, const What& what,
                                     std::int64_t min, std::int64_t max) {
  if (v.kind == ValueKind::kInvalid) return std::nullopt;
  if (v.kind != ValueKind::kInt) {
    wrong_kind(s, v, what, "an integer");
    return std::nullopt;
  }
  if (v.integer < min || v.integer > max) {
    if (max == std::numeric_limits<std::int64_t>::max()) {
      s.error(v.span, fmt::format("{} must be at least {}, not {}", what, min, v.integer));
    } else {
      s.error(v.span, fmt::format("{} must be from {} to {}, not {}", what, min, max, v.integer));
    }
    return std::nullopt;
  }
  return v.integer;
}

std::optional<double> read_number(FileScope& s, const Value& v, const What& what, double min,
                                  double max) {
  if (v.kind == ValueKind::kInvalid) return std::nullopt;
  double x = 0;
  if (v.kind == ValueKind::kInt) {
    x = static_cast<double>(v.integer);
  } else if (v.kind == ValueKind::kFloat) {
    x = v.number;
  } else {
    wrong_kind(s, v, what, "a number");
    return std::nullopt;
  }
  if (!(x >= min && x <= max)) {
    if (max == std::numeric_limits<double>::infinity()) {
      s.error(v.span, fmt::format("{} must be at least {}, not {}", what, min, x));
    } else {
      s.error(v.span, fmt::format("{} must be from {} to {}, not {}", what, min, max, x));
    }
    return std::nullopt;
  }
  return x;
}

std::optional<bool> read_bool(FileScope& s, const Value& v, const What& what) {
  if (v.kind == ValueKind::kInvalid) return std::nullopt;
  if (v.kind != ValueKind::kBool) {
    wrong_kind(s, v, what, "true or false");
    return std::nullopt;
  }
  return v.boolean;
}

std::optional<std::chrono::nanoseconds> read_duration(FileScope& s, const Value& v,
                                                      const What& what) {
  if (v.kind == ValueKind::kInvalid) return std::nullopt;
  if (v.kind != ValueKind::kDuration) {
    wrong_kind(s, v, what, "a duration such as 5s or 250ms", unit_hint(v, "s"));
    return std::nullopt;
  }
  const double ns = std::round(v.quantity * 1e9);
  if (!(ns >= 1)) {
    s.error(v.span, fmt::format("{} must be longer than zero", what));
    return std::nullopt;
  }
  if (ns > 9.2e18) {  // ~292 years: beyond 64-bit nanoseconds
    s.error(v.span, fmt::format("{} is too long", what));
    return std::nullopt;
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
}

std::optional<std::uint64_t> read_size(FileScope& s, const Value& v, const What& what) {
  if (v.kind == ValueKind::kInvalid) return std::nullopt;
  if (v.kind != ValueKind::kSize) {
    wrong_kind(s, v, what, "a size such as 512MiB or 64KB", unit_hint(v, "MiB"));
    return std::nullopt;
  }
  if (!(v.quantity >= 1)) {
    s.error(v.span, fmt::format("{} must be at least 1B", what));
    return std::nullopt;
  }
  if (v.quantity > 9.2e18) {
    s.error(v.span, fmt::format("{} is too large", what));
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(std::floor(v.quantity));
}

std::optional<double> read_energy(FileScope& s, const Value& v, const What& what) {
  if (v.kind == ValueKind::kInvalid) return std::nullopt;
  if (v.kind != ValueKind::kEnergy) {
    wrong_kind(s, v, what, "an energy such as 40mJ or 2J", unit_hint(v, "J"));
    return std::nullopt;
  }
  if (!(v.quantity > 0)) {
    s.error(v.span, fmt::format("{} must be more than zero", what));
    return std::nullopt;
  }
  return v.quantity;
}

std::optional<std::string> read_enum(FileScope& s, const Value& v, const What& what,
                                     std::span<const std::string_view> options) {
  if (v.kind == ValueKind::kInvalid) return std::nullopt;
  if (v.kind != ValueKind::kName) {
    std::string hint;
    if (v.kind == ValueKind::kString) {
      for (auto o : options) {
        if (o == v.text) hint = fmt::format("write it without quotes: {}", o);
      }
    }
    wrong_kind(s, v, what, "one of " + join_names(options), std::move(hint));
    return std::nullopt;
  }
  for (auto o : options) {
    if (o == v.text) return v.text;
  }
  std::string hint = did_you_mean(v.text, options);
  s.error(v.span, fmt::format("{} must be one of {}, not `{}`", what, join_names(options), v.text),
          std::move(hint));
  return std::nullopt;
}

std::optional<std::vector<std::string>> read_name_list(FileScope& s, const Value& v,
                                                       const What& what,
                                                       std::span<const std::string_view> options) {
  if (v.kind == ValueKind::kInvalid) return std::nullopt;
  if (v.kind != ValueKind::kList) {
    wrong_kind(s, v, what, "a list such as [a, b]");
    return std::nullopt;
  }
  std::vector<std::string> names;
  bool ok = true;
  for (const Value& item : v.items) {
    if (item.kind == ValueKind::kInvalid) {
      ok = false;
      continue;
    }
    if (item.kind != ValueKind::kName && item.kind != ValueKind::kString) {
      wrong_kind(s, item, fmt::format("an item of {}", what), "a name");
      ok = false;
      continue;
    }
    if (item.text.empty()) {
      s.error(item.span, fmt::format("an item of {} is empty", what));
      ok = false;
      continue;
    }
    if (!options.empty()) {
      bool known = false;
      for (auto o : options) known = known || o == item.text;
      if (!known) {
        s.error(item.span,
                fmt::format("unknown item `{}` in {}; expected {}", item.text, what,
                            join_names(options)),
                did_you_mean(item.text, options));
        ok = false;
        continue;
      }
    }
    bool repeated = false;
    for (const auto& n : names) repeated = repeated || n == item.text;
    if (repeated) {
      s.error(item.span, fmt::format("`{}` appears twice in {}", item.text, what));
      ok = false;
      continue;
    }
    names.push_back(item.text);
  }
  if (!ok) return std::nullopt;
  return names;
}

std::optional<nlohmann::json> read_json_literal(FileScope& s, const Value& v, const What& what) {
  switch (v.kind) {
    case ValueKind::kInvalid:
      return std::nullopt;
    case ValueKind::kString:
      return nlohmann::json(v.text);
    case ValueKind::kInt:
      return nlohmann::json(v.integer);
    case ValueKind::kFloat:
      return nlohmann::json(v.number);
    case ValueKind::kBool:
      return nlohmann::json(v.boolean);
    case ValueKind::kList: {
      nlohmann::json out = nlohmann::json::array();
      bool ok = true;
      for (const Value& item : v.items) {
        auto j = read_json_literal(s, item, what);
        if (j) {
          out.push_back(std::move(*j));
        } else {
          ok = false;
        }
      }
      if (!ok) return std::nullopt;
      return out;
    }
    case ValueKind::kMap: {
      nlohmann::json out = nlohmann::json::object();
      bool ok = true;
      for (const NamedValue& e : v.entries) {
        auto j = read_json_literal(s, e.value, what);
        if (!j) {
          ok = false;
        } else if (out.contains(e.name)) {
          s.error(e.name_span, fmt::format("key `{}` appears twice in {}", e.name, what));
          ok = false;
        } else {
          out[e.name] = std::move(*j);
        }
      }
      if (!ok) return std::nullopt;
      return out;
    }
    case ValueKind::kName:
      s.error(v.span, fmt::format("{} must be a literal value, not the name `{}`", what, v.text),
              fmt::format("write text in quotes: \"{}\"", v.text));
      return std::nullopt;
    case ValueKind::kDuration:
    case ValueKind::kSize:
    case ValueKind::kEnergy:
    case ValueKind::kCall:
      s.error(v.span, fmt::format("{} must be a string, number, boolean, list or map, not {}", what,
                                  a_kind(v)));
      return std::nullopt;
  }
  return std::nullopt;
}

BoundArgs bind_args(FileScope& s, const Value& call, std::span<const Param> params,
                    std::string_view callee) {
  BoundArgs bound;
  bound.args.assign(params.size(), nullptr);
  std::size_t positional_count = 0;
  for (const Param& p : params) positional_count += p.positional ? 1 : 0;

  std::size_t next = 0;  // index into params of the next positional parameter
  for (const Value& arg : call.items) {
    while (next < params.size() && !params[next].positional) ++next;
    if (next >= params.size()) {
      s.error(arg.span,
              positional_count == 0
                  ? fmt::format("`{}` takes no positional arguments", callee)
                  : fmt::format("`{}` takes at most {} positional argument{}", callee,
                                positional_count, positional_count == 1 ? "" : "s"),
              positional_count == 0 ? fmt::format("name the argument: {}(name = ...)", callee)
                                    : std::string());
      bound.ok = false;
      continue;
    }
    bound.args[next++] = &arg;
  }

  for (const NamedValue& arg : call.entries) {
    std::size_t i = 0;
    while (i < params.size() && params[i].name != arg.name) ++i;
    if (i == params.size()) {
      std::vector<std::string_view> names;
      for (const Param& p : params) names.push_back(p.name);
      std::string hint = did_you_mean(arg.name, names);
      if (hint.empty()) {
        hint = params.empty() ? fmt::format("`{}` takes no arguments", callee)
                              : fmt::format("`{}` takes {}", callee, join_names(names));
      }
      s.error(arg.name_span, fmt::format("`{}` has no parameter `{}`", callee, arg.name),
              std::move(hint));
      bound.ok = false;
      continue;
    }
    if (bound.args[i] != nullptr) {
      s.error(arg.name_span, fmt::format("`{}` is given twice in `{}`", arg.name, callee));
      bound.ok = false;
      continue;
    }
    bound.args[i] = &arg.value;
  }

  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params[i].required && bound.args[i] == nullptr) {
      s.error(call.span, fmt::format("`{}` needs `{}`", callee, params[i].name));
      bound.ok = false;
    }
  }
  return bound;
}

FieldMap collect_fields(FileScope& s, const Block& block, std::span<const FieldRule> rules,
                        const What& where, bool allow_expect) {
  FieldMap out;
  out.reserve(block.entries.size());
  for (const Entry& e : block.entries) {
    if (e.kind == EntryKind::kExpect) {
      if (allow_expect) {
        out.add("expect", &e);
      } else {
        s.error(e.name_span, fmt::format("`expect` is not allowed in {}", where),
                "write `expect` lines in each task");
      }
      continue;
    }
    const FieldRule* rule = nullptr;
    for (const FieldRule& r : rules) {
      if (r.name == e.name) {
        rule = &r;  // rule names are unique
        break;
      }
    }
    if (rule == nullptr) {
      std::vector<std::string_view> candidates;
      for (const FieldRule& r : rules) candidates.push_back(r.name);
      if (allow_expect) candidates.push_back("expect");
      // A misspelt required field is one mistake: noting the name it was meant to be keeps
      // callers from also calling that field missing.
      if (auto meant = nearest_name(e.name, candidates)) {
        for (std::string_view c : candidates) {
          if (c == *meant) out.add(c, nullptr);  // the rule's own name: it outlives the map
        }
      }
      s.error(e.name_span, fmt::format("unknown field `{}` in {}", e.name, where),
              did_you_mean(e.name, candidates));
      continue;
    }
    if (rule->kind != e.kind) {
      out.add(e.name, nullptr);  // written, though wrongly: not "missing" as well
      if (rule->kind == EntryKind::kSection) {
        s.error(e.name_span, fmt::format("`{}` is a section", e.name),
                fmt::format("write `{} {{ ... }}`", e.name));
      } else {
        s.error(e.name_span, fmt::format("`{}` is a field, not a section", e.name),
                fmt::format("write `{} = ...`", e.name));
      }
      continue;
    }
    if (const Entry* before = out.first(e.name); before != nullptr && !rule->repeatable) {
      Diagnostic& d = s.error(e.name_span, fmt::format("`{}` is set twice in {}", e.name, where));
      s.note(d, before->name_span, "first set here");
      continue;
    }
    out.add(rule->name, &e);
  }
  return out;
}

Span template_ref_span(const FileScope& s, const Value& v, std::size_t index) {
  const std::string_view text = s.source.text();
  if (v.span.end > text.size() || v.span.begin > v.span.end) return v.span;
  const auto raw = template_fields(text.substr(v.span.begin, v.span.size()));
  const auto decoded = template_fields(v.text);
  if (raw.size() != decoded.size() || index >= raw.size() ||
      raw[index].text != decoded[index].text) {
    return v.span;
  }
  return Span{v.span.begin + raw[index].offset,
              v.span.begin + raw[index].offset + raw[index].length};
}

void check_template(FileScope& s, const Value& v, const std::vector<TemplatePart>& refs,
                    const std::vector<std::string>& fields, bool known,
                    std::string_view task_note) {
  if (!known || v.kind != ValueKind::kString) return;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    const std::string& name = refs[i].text;
    bool found = false;
    for (const auto& f : fields) found = found || f == name;
    if (found) continue;
    std::string hint;
    if (fields.empty()) {
      hint = "this task has no samples: add `sample { ... }` sections or `samples = ...`";
    } else {
      hint = did_you_mean(name, std::span<const std::string>(fields));
      if (hint.empty()) {
        std::string list;
        for (const auto& f : fields) list += (list.empty() ? "" : ", ") + f;
        hint = "the samples have " + list;
      }
    }
    s.error(template_ref_span(s, v, i),
            fmt::format("unknown template variable `{}`{}", name, task_note), std::move(hint));
  }
}

}  // namespace pareto::spec::internal
