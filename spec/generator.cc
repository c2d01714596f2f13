#include "spec/generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "spec/suggest.h"

namespace pareto::spec {
namespace {

// "an integer", "a string", ... for the value the spec gave.
std::string describe_value(const GeneratorArg& arg) {
  using V = nlohmann::json::value_t;
  switch (arg.value.type()) {
    case V::number_integer:
    case V::number_unsigned:
      return "an integer";
    case V::number_float:
      return "a float";
    case V::string:
      return "a string";
    case V::boolean:
      return "a boolean";
    case V::array:
      return "a list";
    case V::object:
      return "a map";
    default:
      return arg.kind.empty() ? std::string("a value of another kind") : arg.kind;
  }
}

std::string with_article(ParamType type) {
  return type == ParamType::kInt ? "an integer" : fmt::format("a {}", param_type_name(type));
}

// Bounds print as integers when they are whole numbers (they always are for kInt).
std::string show_bound(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

std::string range_phrase(const GeneratorParam& p) {
  if (p.min && p.max) return fmt::format("from {} to {}", show_bound(*p.min), show_bound(*p.max));
  if (p.min) return fmt::format("at least {}", show_bound(*p.min));
  return fmt::format("at most {}", show_bound(*p.max));
}

// Converts `arg.value` to the parameter's type, or returns nullopt when it is not one.
std::optional<nlohmann::json> coerce(const GeneratorParam& p, const nlohmann::json& v) {
  switch (p.type) {
    case ParamType::kInt:
      if (v.is_number_integer()) return v;
      return std::nullopt;
    case ParamType::kFloat:
      if (v.is_number_integer()) return nlohmann::json(v.get<double>());
      if (v.is_number_float()) return v;
      return std::nullopt;
    case ParamType::kString:
      if (v.is_string()) return v;
      return std::nullopt;
    case ParamType::kBool:
      if (v.is_boolean()) return v;
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::string_view param_type_name(ParamType type) {
  switch (type) {
    case ParamType::kInt:
      return "integer";
    case ParamType::kFloat:
      return "float";
    case ParamType::kString:
      return "string";
    case ParamType::kBool:
      return "boolean";
  }
  return "value";
}

const GeneratorParam* GeneratorInfo::param(std::string_view param_name) const {
  for (const GeneratorParam& p : params) {
    if (p.name == param_name) return &p;
  }
  return nullptr;
}

CheckedParams check_params(const Generator& generator, std::span<const GeneratorArg> args) {
  const GeneratorInfo& info = generator.info();
  CheckedParams out;
  out.params = nlohmann::json::object();
  for (const GeneratorParam& p : info.params) out.params[p.name] = p.default_value;

  std::vector<std::string> known;
  for (const GeneratorParam& p : info.params) known.push_back(p.name);

  std::map<std::string, std::size_t, std::less<>> given;  // parameter -> argument index
  for (std::size_t i = 0; i < args.size(); ++i) {
    const GeneratorArg& arg = args[i];
    const GeneratorParam* p = info.param(arg.name);
    if (p == nullptr) {
      ParamIssue issue{
          i, fmt::format("unknown parameter `{}` for generator `{}`", arg.name, info.name), ""};
      issue.hint = did_you_mean(arg.name, known);
      if (issue.hint.empty()) {
        issue.hint = known.empty() ? fmt::format("`{}` takes no parameters", info.name)
                                   : fmt::format("the parameters of `{}` are: {}", info.name,
                                                 fmt::join(known, ", "));
      }
      out.issues.push_back(std::move(issue));
      continue;
    }
    if (!given.emplace(arg.name, i).second) {
      out.issues.push_back(
          {i, fmt::format("parameter `{}` is given twice", arg.name), "remove one of them"});
      continue;
    }
    std::optional<nlohmann::json> value = coerce(*p, arg.value);
    if (!value) {
      out.issues.push_back({i,
                            fmt::format("parameter `{}` of `{}` must be {}, not {}", arg.name,
                                        info.name, with_article(p->type), describe_value(arg)),
                            fmt::format("`{}`: {}", p->name, p->description)});
      continue;
    }
    if (p->type == ParamType::kInt || p->type == ParamType::kFloat) {
      const double v = value->get<double>();
      if ((p->min && v < *p->min) || (p->max && v > *p->max)) {
        out.issues.push_back({i,
                              fmt::format("parameter `{}` = {} is out of range: `{}` takes {}",
                                          arg.name, value->dump(), info.name, range_phrase(*p)),
                              fmt::format("`{}`: {}", p->name, p->description)});
        continue;
      }
    }
    out.params[p->name] = std::move(*value);
  }

  // The generator's own constraints assume well-typed values, so they wait for those.
  if (out.issues.empty()) {
    for (ParamProblem& problem : generator.check(out.params)) {
      auto it = given.find(problem.param);
      out.issues.push_back({it == given.end() ? ParamIssue::kWholeCall : it->second,
                            std::move(problem.message), ""});
    }
  }
  return out;
}

bool GeneratorRegistry::add(std::unique_ptr<Generator> generator) {
  if (!generator) return false;
  std::string name = generator->info().name;
  return generators_.emplace(std::move(name), std::move(generator)).second;
}

const Generator* GeneratorRegistry::find(std::string_view name) const {
  auto it = generators_.find(name);
  return it == generators_.end() ? nullptr : it->second.get();
}

std::vector<std::string> GeneratorRegistry::names() const {
  std::vector<std::string> out;
  out.reserve(generators_.size());
  for (const auto& [name, g] : generators_) out.push_back(name);
  return out;  // std::map keeps them sorted
}

std::string GeneratorRegistry::closest(std::string_view name) const {
  const std::vector<std::string> all = names();
  return nearest_name(name, all).value_or("");
}

}  // namespace pareto::spec
