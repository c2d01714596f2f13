// Number families: addition, subtraction, multiplication, comparison, missing_operator,
// unit_conversion. All integer arithmetic, with operands bounded so no result overflows.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "suites/builtin.h"

namespace pareto::suites {
namespace {

using nlohmann::json;

const std::vector<std::string> kArithmeticFields = {"a", "b", "answer", "question"};

std::unique_ptr<spec::Generator> addition() {
  spec::GeneratorInfo info{"addition",
                           "The sum of two non-negative integers: a + b.",
                           {int_param("digits", 3, 1, 18, "digits of each operand (1: 0 to 9)")},
                           kArithmeticFields};
  return make_generator(std::move(info), [](const Params& p, Rng& rng) {
    const std::int64_t a = with_digits(rng, p.integer("digits"));
    const std::int64_t b = with_digits(rng, p.integer("digits"));
    return json{{"a", a},
                {"b", b},
                {"answer", a + b},
                {"question", fmt::format("What is {} + {}? Answer with the number only.", a, b)}};
  });
}

std::unique_ptr<spec::Generator> subtraction() {
  spec::GeneratorInfo info{
      "subtraction",
      "The difference of two non-negative integers: a - b.",
      {int_param("digits", 3, 1, 18, "digits of each operand (1: 0 to 9)"),
       bool_param("negative", true, "allow b > a, so the answer may be negative")},
      kArithmeticFields};
  return make_generator(std::move(info), [](const Params& p, Rng& rng) {
    std::int64_t a = with_digits(rng, p.integer("digits"));
    std::int64_t b = with_digits(rng, p.integer("digits"));
    if (!p.flag("negative") && b > a) std::swap(a, b);
    return json{{"a", a},
                {"b", b},
                {"answer", a - b},
                {"question", fmt::format("What is {} - {}? Answer with the number only.", a, b)}};
  });
}

std::unique_ptr<spec::Generator> multiplication() {
  spec::GeneratorInfo info{
      "multiplication",
      "The product of two non-negative integers: a * b.",
      {int_param("digits", 2, 1, 9, "digits of a (and of b unless digits_b is set)"),
       int_param("digits_b", 0, 0, 9, "digits of b; 0 means the same as digits")},
      kArithmeticFields};
  return make_generator(std::move(info), [](const Params& p, Rng& rng) {
    const std::int64_t db =
        p.integer("digits_b") == 0 ? p.integer("digits") : p.integer("digits_b");
    const std::int64_t a = with_digits(rng, p.integer("digits"));
    const std::int64_t b = with_digits(rng, db);
    return json{{"a", a},
                {"b", b},
                {"answer", a * b},
                {"question", fmt::format("What is {} * {}? Answer with the number only.", a, b)}};
  });
}

std::unique_ptr<spec::Generator> comparison() {
  spec::GeneratorInfo info{
      "comparison",
      "Which of two integers is larger. The answer is the symbol that goes between them: "
      "<, > or =. Half the pairs differ in a single digit, a tenth are equal.",
      {int_param("digits", 3, 1, 18, "digits of each number")},
      kArithmeticFields};
  return make_generator(std::move(info), [](const Params& p, Rng& rng) {
    const std::int64_t digits = p.integer("digits");
    const std::int64_t a = with_digits(rng, digits);
    std::int64_t b = 0;
    const std::uint64_t kind = rng.below(10);
    if (kind == 0) {
      b = a;
    } else if (kind <= 5) {
      // Change one digit (never the leading one to 0), the hard case for a model.
      std::string s = std::to_string(a);
      const std::size_t pos = rng.below(s.size());
      const char lowest = pos == 0 && s.size() > 1 ? '1' : '0';
      char c = s[pos];
      while (c == s[pos]) c = static_cast<char>(rng.between(lowest, '9'));
      s[pos] = c;
      b = std::stoll(s);
    } else {
      b = with_digits(rng, digits);
    }
    const char* symbol = a < b ? "<" : a > b ? ">" : "=";
    return json{{"a", a},
                {"b", b},
                {"answer", symbol},
                {"question", fmt::format("Compare {} and {}: is the first <, > or = the second? "
                                         "Answer with the symbol only.",
                                         a, b)}};
  });
}

std::unique_ptr<spec::Generator> missing_operator() {
  spec::GeneratorInfo info{
      "missing_operator",
      "An equation with one operator replaced by ?, e.g. \"7 ? 3 = 21\"; the answer is the "
      "operator. Usual precedence (* before + and -); exactly one operator fits.",
      {int_param("terms", 2, 2, 4, "numbers on the left-hand side"),
       int_param("digits", 1, 1, 3, "digits of each number (numbers are at least 2)"),
       string_param("operators", "+-*", "the operators that may appear, from + - *")},
      {"equation", "answer", "question"}};
  return make_generator(
      std::move(info),
      [](const Params& p, Rng& rng) {
        std::string allowed = p.text("operators");
        if (!check_operators({{"operators", allowed}}).empty()) allowed = "+-*";
        const std::size_t terms = static_cast<std::size_t>(p.integer("terms"));
        std::vector<std::int64_t> n;
        std::string ops;
        std::size_t hidden = 0;
        // Redraw until exactly one allowed operator fits. Operands are at least 2, which
        // rules out the common ties (x + 0 = x - 0, x * 1 = x + 0), so the few left
        // (2 + 2 = 2 * 2) cost a redraw now and then.
        for (int attempt = 0; attempt < 1000; ++attempt) {
          n.clear();
          ops.clear();
          for (std::size_t i = 0; i < terms; ++i) {
            n.push_back(p.integer("digits") == 1 ? rng.between(2, 9)
                                                 : with_digits(rng, p.integer("digits")));
          }
          for (std::size_t i = 0; i + 1 < terms; ++i) ops += allowed[rng.below(allowed.size())];
          hidden = rng.below(ops.size());
          const std::int64_t result = evaluate_infix(n, ops);
          int fits = 0;
          for (char candidate : allowed) {
            std::string trial = ops;
            trial[hidden] = candidate;
            fits += evaluate_infix(n, trial) == result;
          }
          if (fits == 1) break;
        }
        std::string equation = std::to_string(n[0]);
        for (std::size_t i = 0; i < ops.size(); ++i) {
          equation += fmt::format(" {} {}", i == hidden ? '?' : ops[i], n[i + 1]);
        }
        equation += fmt::format(" = {}", evaluate_infix(n, ops));
        std::string choices;
        for (char c : allowed)
          choices += choices.empty() ? std::string(1, c) : fmt::format(", {}", c);
        return json{{"equation", equation},
                    {"answer", std::string(1, ops[hidden])},
                    {"question",
                     fmt::format("Which operator ({}) replaces ? in {}? Answer with the operator "
                                 "only.",
                                 choices, equation)}};
      },
      check_operators);
}

struct Unit {
  const char* big;
  const char* small;
  std::int64_t factor;  // 1 big = factor small
};

const std::vector<Unit> kUnits = {
    {"km", "m", 1000},  {"m", "cm", 100},  {"cm", "mm", 10}, {"kg", "g", 1000},
    {"g", "mg", 1000},  {"h", "min", 60},  {"min", "s", 60}, {"day", "h", 24},
    {"week", "day", 7}, {"L", "mL", 1000}, {"ft", "in", 12}, {"yd", "ft", 3},
};

std::unique_ptr<spec::Generator> unit_conversion() {
  std::string units;
  for (const Unit& u : kUnits) {
    units += fmt::format("{}{}->{} ({})", units.empty() ? "" : ", ", u.big, u.small, u.factor);
  }
  spec::GeneratorInfo info{
      "unit_conversion",
      "Convert a whole quantity between two units; the answer is a whole number. Units: " + units +
          ".",
      {int_param("max_value", 20, 1, 1000, "largest quantity in the larger unit"),
       bool_param("both_ways", false,
                  "also convert from the smaller unit to the larger (always exact)")},
      {"value", "from", "to", "answer", "question"}};
  return make_generator(std::move(info), [](const Params& p, Rng& rng) {
    const Unit& u = kUnits[rng.below(kUnits.size())];
    const std::int64_t big = rng.between(1, p.integer("max_value"));
    const bool upward = p.flag("both_ways") && rng.chance(1, 2);
    const std::int64_t value = upward ? big * u.factor : big;
    const std::int64_t answer = upward ? big : big * u.factor;
    const char* from = upward ? u.small : u.big;
    const char* to = upward ? u.big : u.small;
    return json{{"value", value},
                {"from", from},
                {"to", to},
                {"answer", answer},
                {"question", fmt::format("Convert {} {} to {}. Answer with the number only.", value,
                                         from, to)}};
  });
}

}  // namespace

void add_arithmetic_generators(spec::GeneratorRegistry& registry) {
  registry.add(addition());
  registry.add(subtraction());
  registry.add(multiplication());
  registry.add(comparison());
  registry.add(missing_operator());
  registry.add(unit_conversion());
}

}  // namespace pareto::suites
