#include "spec/ast.h"

#include <fmt/format.h>

namespace pareto::spec {
namespace {

std::string short_text(std::string_view text) {
  std::string out = text.size() > 40 ? std::string(text.substr(0, 40)) + "..." : std::string(text);
  std::string escaped;
  for (char c : out) {
    if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return "\"" + escaped + "\"";
}

std::string describe(const Value& v) {
  switch (v.kind) {
    case ValueKind::kString:
      return "string " + short_text(v.text);
    case ValueKind::kInt:
      return fmt::format("integer {}", v.integer);
    case ValueKind::kFloat:
      return fmt::format("float {}", v.number);
    case ValueKind::kBool:
      return v.boolean ? "true" : "false";
    case ValueKind::kDuration:
    case ValueKind::kSize:
    case ValueKind::kEnergy:
      return fmt::format("{} {}{}", kind_name(v.kind), v.number, v.unit);
    case ValueKind::kName:
      return "name " + v.text;
    case ValueKind::kCall:
      return "call " + v.text + "(...)";
    default:
      return std::string(kind_name(v.kind));
  }
}

std::string value_difference(const Value& a, const Value& b, const std::string& where) {
  const std::string mismatch = fmt::format("{}: {} vs {}", where, describe(a), describe(b));
  if (a.kind != b.kind) return mismatch;
  switch (a.kind) {
    case ValueKind::kInvalid:
      return {};
    case ValueKind::kString:
    case ValueKind::kName:
      return a.text == b.text ? std::string() : mismatch;
    case ValueKind::kInt:
      return a.integer == b.integer ? std::string() : mismatch;
    case ValueKind::kFloat:
      return a.number == b.number ? std::string() : mismatch;
    case ValueKind::kBool:
      return a.boolean == b.boolean ? std::string() : mismatch;
    case ValueKind::kDuration:
    case ValueKind::kSize:
    case ValueKind::kEnergy:
      return a.number == b.number && a.unit == b.unit ? std::string() : mismatch;
    case ValueKind::kList:
    case ValueKind::kMap:
    case ValueKind::kCall:
      break;
  }
  if (a.text != b.text) return mismatch;
  if (a.items.size() != b.items.size()) {
    return fmt::format("{}: {} vs {} elements", where, a.items.size(), b.items.size());
  }
  for (std::size_t i = 0; i < a.items.size(); ++i) {
    std::string d = value_difference(a.items[i], b.items[i], fmt::format("{}[{}]", where, i));
    if (!d.empty()) return d;
  }
  if (a.entries.size() != b.entries.size()) {
    return fmt::format("{}: {} vs {} named entries", where, a.entries.size(), b.entries.size());
  }
  for (std::size_t i = 0; i < a.entries.size(); ++i) {
    const NamedValue& x = a.entries[i];
    const NamedValue& y = b.entries[i];
    if (x.name != y.name) return fmt::format("{}: key `{}` vs `{}`", where, x.name, y.name);
    std::string d = value_difference(x.value, y.value, where + "." + x.name);
    if (!d.empty()) return d;
  }
  return {};
}

std::string block_difference(const Block& a, const Block& b, const std::string& where) {
  if (a.entries.size() != b.entries.size()) {
    return fmt::format("{}: {} vs {} entries", where, a.entries.size(), b.entries.size());
  }
  for (std::size_t i = 0; i < a.entries.size(); ++i) {
    const Entry& x = a.entries[i];
    const Entry& y = b.entries[i];
    const std::string here = fmt::format("{} > entry {} ({})", where, i + 1, x.name);
    if (x.kind != y.kind || x.name != y.name) {
      return fmt::format("{}: `{}` vs `{}`", here, x.name, y.name);
    }
    std::string d = x.kind == EntryKind::kSection ? block_difference(x.block, y.block, here)
                                                  : value_difference(x.value, y.value, here);
    if (!d.empty()) return d;
  }
  return {};
}

}  // namespace

std::string_view kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::kInvalid:
      return "invalid value";
    case ValueKind::kString:
      return "string";
    case ValueKind::kInt:
      return "integer";
    case ValueKind::kFloat:
      return "float";
    case ValueKind::kBool:
      return "boolean";
    case ValueKind::kDuration:
      return "duration";
    case ValueKind::kSize:
      return "size";
    case ValueKind::kEnergy:
      return "energy";
    case ValueKind::kName:
      return "name";
    case ValueKind::kList:
      return "list";
    case ValueKind::kMap:
      return "map";
    case ValueKind::kCall:
      return "call";
  }
  return "invalid value";
}

std::string_view item_keyword(ItemKind kind) {
  switch (kind) {
    case ItemKind::kSuite:
      return "suite";
    case ItemKind::kInclude:
      return "include";
    case ItemKind::kDefaults:
      return "defaults";
    case ItemKind::kTask:
      return "task";
    case ItemKind::kTier:
      return "tier";
  }
  return "task";
}

const NamedValue* Value::find(std::string_view name) const {
  for (const NamedValue& e : entries) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const Entry* Block::find(std::string_view name) const {
  for (const Entry& e : entries) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::string syntax_difference(const File& a, const File& b) {
  if (a.items.size() != b.items.size()) {
    return fmt::format("{} vs {} items", a.items.size(), b.items.size());
  }
  for (std::size_t i = 0; i < a.items.size(); ++i) {
    const Item& x = a.items[i];
    const Item& y = b.items[i];
    const std::string where = fmt::format("item {} ({}{}{})", i + 1, item_keyword(x.kind),
                                          x.name.empty() ? "" : " ", x.name);
    if (x.kind != y.kind || x.name != y.name) {
      return fmt::format("{}: {} {} vs {} {}", where, item_keyword(x.kind), x.name,
                         item_keyword(y.kind), y.name);
    }
    if (x.title.has_value() != y.title.has_value()) return where + ": title present in one only";
    if (x.title) {
      std::string d = value_difference(*x.title, *y.title, where + " title");
      if (!d.empty()) return d;
    }
    std::string d = value_difference(x.path, y.path, where + " path");
    if (!d.empty()) return d;
    d = block_difference(x.block, y.block, where);
    if (!d.empty()) return d;
  }
  return {};
}

bool same_syntax(const File& a, const File& b) { return syntax_difference(a, b).empty(); }

bool same_syntax(const Value& a, const Value& b) { return value_difference(a, b, "value").empty(); }

}  // namespace pareto::spec
