#include "suites/builtin.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <utility>

#include "suites/generators.h"

namespace pareto::suites {
namespace {

class FunctionGenerator final : public spec::Generator {
 public:
  FunctionGenerator(spec::GeneratorInfo info, SampleFn sample, CheckFn check)
      : info_(std::move(info)), sample_(std::move(sample)), check_(std::move(check)) {}

  const spec::GeneratorInfo& info() const override { return info_; }

  std::vector<spec::ParamProblem> check(const nlohmann::json& params) const override {
    return check_ ? check_(params) : std::vector<spec::ParamProblem>{};
  }

  std::vector<spec::Sample> generate(const nlohmann::json& params, std::uint64_t seed,
                                     std::size_t count) const override {
    const Params p(info_, params);
    std::vector<spec::Sample> samples;
    samples.reserve(std::min<std::size_t>(count, 1 << 16));
    for (std::size_t i = 0; i < count; ++i) {
      Rng rng(sample_seed(info_.name, seed, i));
      samples.push_back({std::to_string(i), sample_(p, rng), 0});
    }
    return samples;
  }

 private:
  spec::GeneratorInfo info_;
  SampleFn sample_;
  CheckFn check_;
};

}  // namespace

Params::Params(const spec::GeneratorInfo& info, const nlohmann::json& given) {
  for (const spec::GeneratorParam& p : info.params) {
    nlohmann::json v = p.default_value;
    if (given.is_object()) {
      auto it = given.find(p.name);
      if (it != given.end()) {
        const bool fits = (p.type == spec::ParamType::kInt && it->is_number_integer()) ||
                          (p.type == spec::ParamType::kFloat && it->is_number()) ||
                          (p.type == spec::ParamType::kString && it->is_string()) ||
                          (p.type == spec::ParamType::kBool && it->is_boolean());
        if (fits) v = *it;
      }
    }
    if (p.type == spec::ParamType::kInt) {
      // Clamp in integers: min and max of our int parameters are small whole numbers.
      std::int64_t x = v.is_number_unsigned() && v.get<std::uint64_t>() > INT64_MAX
                           ? INT64_MAX
                           : v.get<std::int64_t>();
      if (p.min) x = std::max(x, static_cast<std::int64_t>(*p.min));
      if (p.max) x = std::min(x, static_cast<std::int64_t>(*p.max));
      v = x;
    }
    values_[p.name] = std::move(v);
  }
}

std::int64_t Params::integer(std::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->second.is_number_integer() ? it->second.get<std::int64_t>() : 0;
}

bool Params::flag(std::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->second.is_boolean() && it->second.get<bool>();
}

std::string Params::text(std::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->second.is_string() ? it->second.get<std::string>() : "";
}

std::unique_ptr<spec::Generator> make_generator(spec::GeneratorInfo info, SampleFn sample,
                                                CheckFn check) {
  return std::make_unique<FunctionGenerator>(std::move(info), std::move(sample), std::move(check));
}

spec::GeneratorParam int_param(std::string name, std::int64_t default_value, std::int64_t min,
                               std::int64_t max, std::string description) {
  return {std::move(name),        spec::ParamType::kInt,    default_value,
          std::move(description), static_cast<double>(min), static_cast<double>(max)};
}

spec::GeneratorParam bool_param(std::string name, bool default_value, std::string description) {
  return {std::move(name),        spec::ParamType::kBool, default_value,
          std::move(description), std::nullopt,           std::nullopt};
}

spec::GeneratorParam string_param(std::string name, std::string default_value,
                                  std::string description) {
  return {std::move(name),
          spec::ParamType::kString,
          std::move(default_value),
          std::move(description),
          std::nullopt,
          std::nullopt};
}

std::int64_t with_digits(Rng& rng, std::int64_t digits) {
  if (digits <= 1) return rng.between(0, 9);
  std::int64_t lo = 1;
  for (std::int64_t i = 1; i < digits; ++i) lo *= 10;
  return rng.between(lo, lo * 10 - 1);
}

std::string join_numbers(const std::vector<std::int64_t>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ' ';
    out += std::to_string(values[i]);
  }
  return out;
}

std::int64_t evaluate_infix(const std::vector<std::int64_t>& n, std::string_view ops) {
  auto apply = [](char op, std::int64_t x, std::int64_t y) {
    return op == '+' ? x + y : op == '-' ? x - y : x * y;
  };
  std::vector<std::int64_t> terms{n[0]};
  std::string term_ops;
  for (std::size_t i = 0; i < ops.size() && i + 1 < n.size(); ++i) {
    if (ops[i] == '*') {
      terms.back() *= n[i + 1];
    } else {
      term_ops += ops[i];
      terms.push_back(n[i + 1]);
    }
  }
  std::int64_t value = terms[0];
  for (std::size_t i = 0; i < term_ops.size(); ++i) value = apply(term_ops[i], value, terms[i + 1]);
  return value;
}

std::vector<spec::ParamProblem> check_operators(const nlohmann::json& params) {
  const std::string ops = params.value("operators", std::string());
  if (ops.empty()) return {{"operators", "`operators` must name at least one of + - *"}};
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i] != '+' && ops[i] != '-' && ops[i] != '*') {
      return {{"operators", fmt::format("`operators` may only hold the characters + - *, not '{}'",
                                        ops.substr(i, 1))}};
    }
    if (ops.find(ops[i]) != i) {
      return {{"operators", fmt::format("`operators` lists '{}' twice", ops.substr(i, 1))}};
    }
  }
  return {};
}

spec::GeneratorRegistry builtin_generators() {
  spec::GeneratorRegistry registry;
  add_arithmetic_generators(registry);
  add_text_generators(registry);
  add_structured_generators(registry);
  add_code_generators(registry);
  return registry;
}

}  // namespace pareto::suites
