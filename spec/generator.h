// Generators: deterministic sources of fresh samples, named in specs as
// `generate(name, count = N, seed = S, param = value, ...)`, and the registry that finds them
// and validates their parameters.
//
// A Generator describes itself in a GeneratorInfo (name, description, typed parameters with
// defaults and ranges, the fields every sample has; docs/spec.md is written from these) and
// produces samples from a full parameter object, a seed and a count. Its promise: the same
// parameters, seed and count give the same samples on every machine and compiler (own PRNG,
// own range reduction, no floating-point text). Sample i does not depend on `count`, so a
// larger count extends a smaller one. Sample.id is the index ("0", "1", ...), Sample.line 0.
//
// spec/ holds only the interface; the built-in generators live in suites/ and are collected
// by suites::builtin_generators(). The checker receives a `const GeneratorRegistry&`.
//
// Validation (check_params) turns the named arguments of a generate(...) call into the full
// parameter object, or into ParamIssues that point at the argument at fault (by index), so
// the checker can put a caret under it. `count` and `seed` are arguments of generate(...)
// handled by the checker; they are not generator parameters and must not be passed here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spec/samples.h"

namespace pareto::spec {

enum class ParamType { kInt, kFloat, kString, kBool };

// "integer", "float", "string", "boolean": the words messages use.
std::string_view param_type_name(ParamType type);

struct GeneratorParam {
  std::string name;
  ParamType type = ParamType::kInt;
  nlohmann::json default_value;  // of `type`; always within [min, max]
  std::string description;
  std::optional<double> min, max;  // inclusive bounds, for kInt and kFloat only
};

struct GeneratorInfo {
  std::string name;
  std::string description;
  std::vector<GeneratorParam> params;
  std::vector<std::string> fields;  // fields every sample has; always includes "answer"

  const GeneratorParam* param(std::string_view param_name) const;  // nullptr if none
};

// A problem the per-parameter types and ranges cannot express (a string parameter's allowed
// characters, one parameter bounded by another). `param` names the parameter at fault.
struct ParamProblem {
  std::string param;
  std::string message;
};

class Generator {
 public:
  virtual ~Generator() = default;
  virtual const GeneratorInfo& info() const = 0;

  // Constraints beyond type and range, checked on a full, well-typed parameter object.
  virtual std::vector<ParamProblem> check(const nlohmann::json& params) const {
    (void)params;
    return {};
  }

  // Deterministic on every machine and compiler: same params + seed + count -> same samples.
  // `params` holds every declared parameter (defaults filled in, already validated). Given
  // anything else it still returns samples without crashing (missing or mistyped values fall
  // back to defaults, out-of-range ones are clamped), but only validated input is promised
  // to mean what the spec says.
  virtual std::vector<Sample> generate(const nlohmann::json& params, std::uint64_t seed,
                                       std::size_t count) const = 0;
};

// One named argument of a generate(...) call, as the checker read it from the spec.
struct GeneratorArg {
  std::string name;
  // An integer, float, string or boolean. Values with no JSON form (a duration, a list, a
  // call) are passed as null with `kind` describing them ("a duration") for the message.
  nlohmann::json value;
  std::string kind;
};

struct ParamIssue {
  static constexpr std::size_t kWholeCall = static_cast<std::size_t>(-1);
  std::size_t arg = kWholeCall;  // index into the args passed to check_params
  std::string message;           // "unknown parameter `digit` for generator `addition`"
  std::string hint;              // "did you mean `digits`?"; may be empty
};

struct CheckedParams {
  nlohmann::json params;  // every declared parameter, defaults filled in (valid when ok())
  std::vector<ParamIssue> issues;
  bool ok() const { return issues.empty(); }
};

// Checks named arguments against generator.info().params and generator.check():
//  - unknown name: the hint names the closest known parameter (spec/suggest.h), or lists
//    them all;
//  - a name given twice: the second is the issue;
//  - wrong type: an integer where a float is expected is accepted (and stored as a float);
//    a float where an integer is expected is not, even 3.0;
//  - out of [min, max];
//  - the generator's own constraints (reported at the argument naming that parameter, or
//    at the whole call when the parameter was left at its default).
// All issues are reported, not only the first.
CheckedParams check_params(const Generator& generator, std::span<const GeneratorArg> args);

class GeneratorRegistry {
 public:
  GeneratorRegistry() = default;
  GeneratorRegistry(GeneratorRegistry&&) = default;
  GeneratorRegistry& operator=(GeneratorRegistry&&) = default;

  // Registers `generator` under info().name. Returns false (and drops it) when that name is
  // already taken or `generator` is null.
  bool add(std::unique_ptr<Generator> generator);

  const Generator* find(std::string_view name) const;  // nullptr if unknown
  std::vector<std::string> names() const;              // sorted
  std::size_t size() const { return generators_.size(); }

  // For "unknown generator `additon`; did you mean `addition`?" (spec/suggest.h's
  // nearest_name over names()): empty if nothing is close.
  std::string closest(std::string_view name) const;

 private:
  std::map<std::string, std::unique_ptr<Generator>, std::less<>> generators_;
};

}  // namespace pareto::spec
