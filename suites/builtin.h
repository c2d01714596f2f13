// Shared machinery of the built-in generators (suites/ only; specs see spec/generator.h).
//
// A built-in generator is a GeneratorInfo plus a function that makes one sample's fields
// from the parameters and that sample's own Rng (suites/random.h). make_generator() turns
// the pair into a spec::Generator that keeps the interface's promises: deterministic, sample
// i independent of the count, ids "0", "1", ..., and robust to unvalidated parameters.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "spec/generator.h"
#include "suites/random.h"

namespace pareto::suites {

// The parameters a sample function reads: every declared parameter, with a missing or
// mistyped value replaced by its default and an out-of-range integer clamped into range.
class Params {
 public:
  Params(const spec::GeneratorInfo& info, const nlohmann::json& given);

  std::int64_t integer(std::string_view name) const;
  bool flag(std::string_view name) const;
  std::string text(std::string_view name) const;

 private:
  std::map<std::string, nlohmann::json, std::less<>> values_;
};

using SampleFn = std::function<nlohmann::json(const Params&, Rng&)>;
using CheckFn = std::function<std::vector<spec::ParamProblem>(const nlohmann::json&)>;

std::unique_ptr<spec::Generator> make_generator(spec::GeneratorInfo info, SampleFn sample,
                                                CheckFn check = nullptr);

spec::GeneratorParam int_param(std::string name, std::int64_t default_value, std::int64_t min,
                               std::int64_t max, std::string description);
spec::GeneratorParam bool_param(std::string name, bool default_value, std::string description);
spec::GeneratorParam string_param(std::string name, std::string default_value,
                                  std::string description);

// A uniformly drawn integer with exactly `digits` decimal digits (0..9 for one digit).
std::int64_t with_digits(Rng& rng, std::int64_t digits);

// "3 1 4": the form lists take in questions and answers.
std::string join_numbers(const std::vector<std::int64_t>& values);

// The value of n[0] ops[0] n[1] ops[1] ... (ops from + - *, one fewer than n) with the usual
// precedence: * before + and -, then left to right.
std::int64_t evaluate_infix(const std::vector<std::int64_t>& n, std::string_view ops);

// The `operators` parameter's constraint: some of + - *, each at most once.
std::vector<spec::ParamProblem> check_operators(const nlohmann::json& params);

// The generator families, one registration function per source file.
void add_arithmetic_generators(spec::GeneratorRegistry& registry);
void add_text_generators(spec::GeneratorRegistry& registry);
void add_structured_generators(spec::GeneratorRegistry& registry);
void add_code_generators(spec::GeneratorRegistry& registry);

}  // namespace pareto::suites
