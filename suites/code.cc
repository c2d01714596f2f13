// Families about code, each asking what Python shows for one short expression:
// expression (integer arithmetic with precedence and parentheses), list_expression
// (indexing and builtins on a list literal), bool_expression (and/or/not over literals or
// comparisons) and string_expression (len, indexing, slicing, count, find on a string).
// Answers are what the Python REPL shows: numbers, True/False, strings in single quotes.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "suites/builtin.h"

namespace pareto::suites {
namespace {

using nlohmann::json;

// ---- a comma-separated choice of operations ----

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> names;
  std::string current;
  for (char c : text + ",") {
    if (c == ',') {
      if (!current.empty()) names.push_back(current);
      current.clear();
    } else if (c != ' ') {
      current += c;
    }
  }
  return names;
}

std::vector<spec::ParamProblem> check_names(const json& params, const std::string& param,
                                            const std::vector<std::string>& allowed) {
  const std::vector<std::string> names = split_names(params.value(param, std::string()));
  const std::string all = fmt::format("{}", fmt::join(allowed, ", "));
  if (names.empty()) return {{param, fmt::format("`{}` must name at least one of {}", param, all)}};
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (std::find(allowed.begin(), allowed.end(), names[i]) == allowed.end()) {
      return {{param, fmt::format("`{}` names `{}`; the choices are {}", param, names[i], all)}};
    }
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
        names.begin() + static_cast<std::ptrdiff_t>(i)) {
      return {{param, fmt::format("`{}` names `{}` twice", param, names[i])}};
    }
  }
  return {};
}

// The operations a sample draws from: the parameter's, or all of them if it is invalid.
std::vector<std::string> chosen(const Params& p, const std::string& param,
                                const std::vector<std::string>& allowed) {
  if (!check_names({{param, p.text(param)}}, param, allowed).empty()) return allowed;
  return split_names(p.text(param));
}

std::string python_question(const std::string& expression) {
  return fmt::format("What does the Python REPL show for {}? Answer with the shown value only.",
                     expression);
}

// ---- expression ----

std::unique_ptr<spec::Generator> expression() {
  spec::GeneratorInfo info{
      "expression",
      "The value of an integer Python expression such as 2+3*(4-1) (no spaces; * before + "
      "and -; at most one pair of parentheses).",
      {int_param("terms", 3, 2, 6, "numbers in the expression"),
       int_param("digits", 1, 1, 2, "digits of each number"),
       bool_param("parentheses", true, "put parentheses around a part, two times in three"),
       string_param("operators", "+-*", "the operators that may appear, from + - *")},
      {"expression", "answer", "question"}};
  return make_generator(
      std::move(info),
      [](const Params& p, Rng& rng) {
        std::string allowed = p.text("operators");
        if (!check_operators({{"operators", allowed}}).empty()) allowed = "+-*";
        const auto terms = static_cast<std::size_t>(p.integer("terms"));
        std::vector<std::int64_t> n;
        std::string ops;
        for (std::size_t i = 0; i < terms; ++i) n.push_back(with_digits(rng, p.integer("digits")));
        for (std::size_t i = 0; i + 1 < terms; ++i) ops += allowed[rng.below(allowed.size())];
        // Parentheses around n[lo..hi], a proper part of at least two numbers.
        std::size_t lo = 0, hi = 0;
        if (p.flag("parentheses") && terms >= 3 && rng.chance(2, 3)) {
          lo = rng.below(terms - 1);
          hi = lo + 1 + rng.below(terms - lo - 1);
          if (lo == 0 && hi == terms - 1) lo = 1;
        }
        std::string text;
        for (std::size_t i = 0; i < terms; ++i) {
          if (i > 0) text += ops[i - 1];
          if (hi > lo && i == lo) text += '(';
          text += std::to_string(n[i]);
          if (hi > lo && i == hi) text += ')';
        }
        std::int64_t value = 0;
        if (hi > lo) {
          const std::int64_t inner = evaluate_infix(
              std::vector<std::int64_t>(n.begin() + static_cast<std::ptrdiff_t>(lo),
                                        n.begin() + static_cast<std::ptrdiff_t>(hi) + 1),
              std::string_view(ops).substr(lo, hi - lo));
          std::vector<std::int64_t> outer(n.begin(), n.begin() + static_cast<std::ptrdiff_t>(lo));
          outer.push_back(inner);
          outer.insert(outer.end(), n.begin() + static_cast<std::ptrdiff_t>(hi) + 1, n.end());
          value = evaluate_infix(outer, ops.substr(0, lo) + ops.substr(hi));
        } else {
          value = evaluate_infix(n, ops);
        }
        return json{{"expression", text}, {"answer", value}, {"question", python_question(text)}};
      },
      check_operators);
}

// ---- list_expression ----

const std::vector<std::string> kListOperations = {"index", "len", "min", "max", "sum"};

std::unique_ptr<spec::Generator> list_expression() {
  spec::GeneratorInfo info{
      "list_expression",
      "The value of one operation on a Python list literal: xs[i] (a third of the indices "
      "negative), len(xs), min(xs), max(xs) or sum(xs), e.g. [3, 1, 4][-1].",
      {int_param("length", 4, 1, 9, "numbers in the list"),
       int_param("max_value", 9, 1, 99, "largest number (the smallest is 0)"),
       string_param("operations", "index,len,min,max,sum",
                    "the operations drawn from, comma-separated: index, len, min, max, sum")},
      {"list", "expression", "answer", "question"}};
  return make_generator(
      std::move(info),
      [](const Params& p, Rng& rng) {
        std::vector<std::int64_t> xs;
        for (std::int64_t i = 0; i < p.integer("length"); ++i) {
          xs.push_back(rng.between(0, p.integer("max_value")));
        }
        const std::string list = fmt::format("[{}]", fmt::join(xs, ", "));
        const std::string op = rng.pick(chosen(p, "operations", kListOperations));
        const auto size = static_cast<std::int64_t>(xs.size());
        std::string text;
        std::int64_t value = 0;
        if (op == "index") {
          const std::int64_t i =
              rng.chance(1, 3) ? -rng.between(1, size) : rng.between(0, size - 1);
          text = fmt::format("{}[{}]", list, i);
          value = xs[static_cast<std::size_t>(i < 0 ? size + i : i)];
        } else {
          text = fmt::format("{}({})", op, list);
          if (op == "len") value = size;
          if (op == "min") value = *std::min_element(xs.begin(), xs.end());
          if (op == "max") value = *std::max_element(xs.begin(), xs.end());
          if (op == "sum") {
            for (std::int64_t x : xs) value += x;
          }
        }
        return json{{"list", list},
                    {"expression", text},
                    {"answer", value},
                    {"question", python_question(text)}};
      },
      [](const json& params) { return check_names(params, "operations", kListOperations); });
}

// ---- bool_expression ----

std::unique_ptr<spec::Generator> bool_expression() {
  spec::GeneratorInfo info{
      "bool_expression",
      "The value of a Python boolean expression: operands joined by `and`/`or`, each "
      "perhaps under `not`, e.g. True and not False or False. Operands are True/False or, "
      "with comparisons, one-digit comparisons such as 3 < 5. Half the answers are True.",
      {int_param("terms", 3, 1, 6, "operands"),
       bool_param("negations", true, "put `not` before an operand, one time in three"),
       bool_param("comparisons", false,
                  "operands are comparisons (<, >, ==) of one-digit numbers")},
      {"expression", "answer", "question"}};
  return make_generator(std::move(info), [](const Params& p, Rng& rng) {
    const bool want = rng.chance(1, 2);
    std::string text;
    bool value = false;
    // Redraw until the value is the one wanted (each draw is an even chance or close).
    for (int attempt = 0; attempt < 64; ++attempt) {
      text.clear();
      // Python: not binds tighter than and, and tighter than or. `any` is the value of the
      // or-terms so far, `term` the and-chain being built.
      bool any = false, term = true;
      for (std::int64_t i = 0; i < p.integer("terms"); ++i) {
        if (i > 0) {
          const bool is_and = rng.chance(1, 2);
          text += is_and ? " and " : " or ";
          if (!is_and) {
            any = any || term;
            term = true;
          }
        }
        const bool negated = p.flag("negations") && rng.chance(1, 3);
        if (negated) text += "not ";
        bool operand = false;
        if (p.flag("comparisons")) {
          const std::int64_t a = rng.between(0, 9), b = rng.between(0, 9);
          const char* cmp = rng.pick(std::vector<const char*>{"<", ">", "=="});
          operand = cmp[0] == '<' ? a < b : cmp[0] == '>' ? a > b : a == b;
          text += fmt::format("{} {} {}", a, cmp, b);
        } else {
          operand = rng.chance(1, 2);
          text += operand ? "True" : "False";
        }
        term = term && (negated ? !operand : operand);
      }
      value = any || term;
      if (value == want) break;
    }
    const char* answer = value ? "True" : "False";
    return json{{"expression", text}, {"answer", answer}, {"question", python_question(text)}};
  });
}

// ---- string_expression ----

const std::vector<std::string> kStringOperations = {"len", "index", "count", "slice", "find"};

std::string python_string(std::string_view s) { return fmt::format("'{}'", s); }

std::unique_ptr<spec::Generator> string_expression() {
  spec::GeneratorInfo info{
      "string_expression",
      "The value of one operation on a Python string of random letters: len(s), s[i], "
      "s.count(c), s[i:j] (never empty) or s.find(c) (-1 when absent), e.g. 'abcab'[1:3]. "
      "Strings are shown in single quotes, as the REPL does.",
      {int_param("length", 5, 2, 12, "letters in the string"),
       int_param("letters", 4, 2, 26, "size of the alphabet the string is drawn from (a, b, ...)"),
       string_param("operations", "len,index,count,slice,find",
                    "the operations drawn from, comma-separated: len, index, count, slice, find")},
      {"word", "expression", "answer", "question"}};
  return make_generator(
      std::move(info),
      [](const Params& p, Rng& rng) {
        std::string word;
        for (std::int64_t i = 0; i < p.integer("length"); ++i) {
          word +=
              static_cast<char>('a' + rng.below(static_cast<std::uint64_t>(p.integer("letters"))));
        }
        const auto size = static_cast<std::int64_t>(word.size());
        const std::string op = rng.pick(chosen(p, "operations", kStringOperations));
        // A letter of the word three times in four, else any letter of the alphabet.
        const char letter =
            rng.chance(3, 4)
                ? word[rng.below(word.size())]
                : static_cast<char>('a' +
                                    rng.below(static_cast<std::uint64_t>(p.integer("letters"))));
        std::string text;
        json answer;
        if (op == "len") {
          text = fmt::format("len({})", python_string(word));
          answer = size;
        } else if (op == "index") {
          const std::int64_t i =
              rng.chance(1, 3) ? -rng.between(1, size) : rng.between(0, size - 1);
          text = fmt::format("{}[{}]", python_string(word), i);
          answer = python_string(word.substr(static_cast<std::size_t>(i < 0 ? size + i : i), 1));
        } else if (op == "count") {
          text = fmt::format("{}.count({})", python_string(word),
                             python_string(std::string(1, letter)));
          answer = static_cast<std::int64_t>(std::count(word.begin(), word.end(), letter));
        } else if (op == "slice") {
          const std::int64_t i = rng.between(0, size - 1);
          const std::int64_t j = rng.between(i + 1, size);
          text = fmt::format("{}[{}:{}]", python_string(word), i, j);
          answer = python_string(
              word.substr(static_cast<std::size_t>(i), static_cast<std::size_t>(j - i)));
        } else {
          text = fmt::format("{}.find({})", python_string(word),
                             python_string(std::string(1, letter)));
          const std::size_t at = word.find(letter);
          answer = at == std::string::npos ? std::int64_t{-1} : static_cast<std::int64_t>(at);
        }
        return json{{"word", word},
                    {"expression", text},
                    {"answer", answer},
                    {"question", python_question(text)}};
      },
      [](const json& params) { return check_names(params, "operations", kStringOperations); });
}

}  // namespace

void add_code_generators(spec::GeneratorRegistry& registry) {
  registry.add(expression());
  registry.add(list_expression());
  registry.add(bool_expression());
  registry.add(string_expression());
}

}  // namespace pareto::suites
