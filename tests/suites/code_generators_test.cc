// The code families (suites/code.cc): each answer is recomputed here from the expression's
// text alone, by a parser and evaluator written for the test, and the parameters shape the
// expressions as documented.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "suites/generators.h"

namespace pareto::suites {
namespace {

using nlohmann::json;
using spec::GeneratorArg;
using spec::Sample;

const spec::GeneratorRegistry& registry() {
  static const spec::GeneratorRegistry r = builtin_generators();
  return r;
}

std::vector<Sample> draw(const std::string& name, std::vector<GeneratorArg> args,
                         std::uint64_t seed, std::size_t count) {
  const spec::Generator* g = registry().find(name);
  EXPECT_NE(g, nullptr) << name;
  if (g == nullptr) return {};
  spec::CheckedParams checked = spec::check_params(*g, args);
  EXPECT_TRUE(checked.ok()) << name << ": " << checked.issues.at(0).message;
  return g->generate(checked.params, seed, count);
}

// ---- a recursive-descent evaluator of integer expressions: + - * and parentheses ----

class Arithmetic {
 public:
  explicit Arithmetic(std::string text) : s_(std::move(text)) {}
  std::int64_t value() {
    const std::int64_t v = sum();
    EXPECT_EQ(i_, s_.size()) << "trailing text in " << s_;
    return v;
  }

 private:
  std::int64_t sum() {
    std::int64_t v = product();
    while (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) {
      const char op = s_[i_++];
      const std::int64_t r = product();
      v = op == '+' ? v + r : v - r;
    }
    return v;
  }
  std::int64_t product() {
    std::int64_t v = atom();
    while (i_ < s_.size() && s_[i_] == '*') {
      ++i_;
      v *= atom();
    }
    return v;
  }
  std::int64_t atom() {
    if (i_ < s_.size() && s_[i_] == '(') {
      ++i_;
      const std::int64_t v = sum();
      EXPECT_EQ(s_.at(i_), ')') << s_;
      ++i_;
      return v;
    }
    std::int64_t v = 0;
    const std::size_t start = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
      v = v * 10 + (s_[i_++] - '0');
    }
    EXPECT_GT(i_, start) << "no number at " << start << " in " << s_;
    return v;
  }
  std::string s_;
  std::size_t i_ = 0;
};

TEST(Expression, AnswerIsTheParsedValue) {
  std::set<char> seen;
  int parenthesised = 0;
  for (std::int64_t terms : {2, 3, 6}) {
    for (std::int64_t digits : {1, 2}) {
      for (const Sample& s :
           draw("expression", {{"terms", terms, ""}, {"digits", digits, ""}}, 5, 200)) {
        const std::string e = s.fields["expression"];
        EXPECT_EQ(s.fields["answer"].get<std::int64_t>(), Arithmetic(e).value()) << e;
        EXPECT_EQ(e.find(' '), std::string::npos) << e;
        std::size_t numbers = 0;
        for (std::size_t i = 0; i < e.size(); ++i) {
          const bool digit = std::isdigit(static_cast<unsigned char>(e[i])) != 0;
          if (digit && (i == 0 || !std::isdigit(static_cast<unsigned char>(e[i - 1])))) ++numbers;
          if (!digit) seen.insert(e[i]);
        }
        EXPECT_EQ(numbers, static_cast<std::size_t>(terms)) << e;
        if (e.find('(') != std::string::npos) {
          ++parenthesised;
          // Never around the whole expression.
          EXPECT_FALSE(e.front() == '(' && e.back() == ')') << e;
        }
        if (terms == 2) {
          EXPECT_EQ(e.find('('), std::string::npos) << e;
        }
      }
    }
  }
  EXPECT_EQ(seen, (std::set<char>{'+', '-', '*', '(', ')'}));
  EXPECT_GT(parenthesised, 200);
  for (const Sample& s :
       draw("expression", {{"parentheses", false, ""}, {"operators", "+", ""}}, 5, 50)) {
    const std::string e = s.fields["expression"];
    EXPECT_EQ(e.find_first_of("()-*"), std::string::npos) << e;
  }
}

// ---- list_expression: the list literal parsed back, the operation applied here ----

TEST(ListExpression, AnswerAppliesTheOperationToTheParsedList) {
  std::map<std::string, int> seen;
  int negative = 0;
  for (const Sample& s :
       draw("list_expression", {{"length", 6, ""}, {"max_value", 99, ""}}, 5, 400)) {
    const std::string e = s.fields["expression"], list = s.fields["list"];
    const json xs = json::parse(list);  // a Python list of ints is also JSON
    ASSERT_TRUE(xs.is_array());
    ASSERT_EQ(xs.size(), 6u);
    const std::int64_t answer = s.fields["answer"];
    std::int64_t expected = 0;
    if (e.rfind(list, 0) == 0) {  // xs[i]
      const std::int64_t i = std::stoll(e.substr(list.size() + 1));
      EXPECT_EQ(e.back(), ']');
      ASSERT_TRUE(i >= -6 && i < 6) << e;
      expected = xs[static_cast<std::size_t>(i < 0 ? 6 + i : i)];
      negative += i < 0;
      ++seen["index"];
    } else {
      const std::string op = e.substr(0, e.find('('));
      EXPECT_EQ(e, op + "(" + list + ")");
      std::vector<std::int64_t> v = xs.get<std::vector<std::int64_t>>();
      if (op == "len") expected = 6;
      if (op == "min") expected = *std::min_element(v.begin(), v.end());
      if (op == "max") expected = *std::max_element(v.begin(), v.end());
      if (op == "sum") {
        for (std::int64_t x : v) expected += x;
      }
      ++seen[op];
    }
    EXPECT_EQ(answer, expected) << e;
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_GT(negative, 10);
  for (const Sample& s : draw("list_expression", {{"operations", "len, sum", ""}}, 5, 50)) {
    const std::string e = s.fields["expression"];
    EXPECT_TRUE(e.rfind("len(", 0) == 0 || e.rfind("sum(", 0) == 0) << e;
  }
}

// ---- bool_expression: evaluated by splitting on `or`, then `and`, then `not` ----

std::vector<std::string> split(const std::string& text, const std::string& sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t at; (at = text.find(sep, start)) != std::string::npos; start = at + sep.size()) {
    parts.push_back(text.substr(start, at - start));
  }
  parts.push_back(text.substr(start));
  return parts;
}

bool python_bool(const std::string& operand) {
  if (operand.rfind("not ", 0) == 0) return !python_bool(operand.substr(4));
  if (operand == "True") return true;
  if (operand == "False") return false;
  // "a < b", "a > b", "a == b" of one-digit numbers.
  std::istringstream in(operand);
  int a = 0, b = 0;
  std::string cmp;
  in >> a >> cmp >> b;
  EXPECT_TRUE(in && in.eof()) << operand;
  EXPECT_TRUE(a >= 0 && a <= 9 && b >= 0 && b <= 9) << operand;
  if (cmp == "<") return a < b;
  if (cmp == ">") return a > b;
  EXPECT_EQ(cmp, "==") << operand;
  return a == b;
}

bool python_value(const std::string& e) {
  bool any = false;
  for (const std::string& term : split(e, " or ")) {
    bool all = true;
    for (const std::string& operand : split(term, " and ")) all = all && python_bool(operand);
    any = any || all;
  }
  return any;
}

TEST(BoolExpression, AnswerIsThePythonValueAndHalfAreTrue) {
  for (bool comparisons : {false, true}) {
    for (std::int64_t terms : {1, 3, 6}) {
      int truths = 0, negations = 0;
      const int n = 300;
      for (const Sample& s : draw("bool_expression",
                                  {{"terms", terms, ""}, {"comparisons", comparisons, ""}}, 5, n)) {
        const std::string e = s.fields["expression"];
        const bool value = python_value(e);
        EXPECT_EQ(s.fields["answer"], value ? "True" : "False") << e;
        truths += value;
        negations += e.find("not ") != std::string::npos;
        const std::size_t operands = split(e, " or ").size() + split(e, " and ").size() - 1;
        EXPECT_EQ(operands, static_cast<std::size_t>(terms)) << e;
        EXPECT_EQ(e.find("True") != std::string::npos || e.find("False") != std::string::npos,
                  !comparisons)
            << e;
      }
      EXPECT_GT(truths, n / 3) << terms;
      EXPECT_LT(truths, 2 * n / 3) << terms;
      EXPECT_GT(negations, 0);
    }
  }
  for (const Sample& s : draw("bool_expression", {{"negations", false, ""}}, 5, 100)) {
    EXPECT_EQ(s.fields["expression"].get<std::string>().find("not"), std::string::npos);
  }
}

// ---- string_expression: the string and the arguments read back from the text ----

TEST(StringExpression, AnswerIsWhatPythonShows) {
  std::map<std::string, int> seen;
  int absent = 0;
  for (const Sample& s :
       draw("string_expression", {{"length", 8, ""}, {"letters", 5, ""}}, 5, 500)) {
    const std::string e = s.fields["expression"], word = s.fields["word"];
    ASSERT_EQ(word.size(), 8u);
    for (char c : word) EXPECT_TRUE(c >= 'a' && c <= 'e') << word;
    const std::string lit = "'" + word + "'";
    const json& answer = s.fields["answer"];
    if (e == "len(" + lit + ")") {
      EXPECT_EQ(answer, 8);
      ++seen["len"];
      continue;
    }
    ASSERT_EQ(e.rfind(lit, 0), 0u) << e;
    const std::string rest = e.substr(lit.size());
    if (rest.rfind(".count('", 0) == 0 || rest.rfind(".find('", 0) == 0) {
      const bool count = rest[1] == 'c';
      const char letter = rest[count ? 8 : 7];
      EXPECT_EQ(rest.substr(count ? 9 : 8), "')") << e;
      if (count) {
        EXPECT_EQ(answer, std::count(word.begin(), word.end(), letter)) << e;
      } else {
        const std::size_t at = word.find(letter);
        EXPECT_EQ(answer, at == std::string::npos ? -1 : static_cast<std::int64_t>(at)) << e;
        absent += at == std::string::npos;
      }
      ++seen[count ? "count" : "find"];
    } else if (rest.find(':') != std::string::npos) {
      const int i = std::stoi(rest.substr(1)), j = std::stoi(rest.substr(rest.find(':') + 1));
      ASSERT_TRUE(0 <= i && i < j && j <= 8) << e;
      EXPECT_EQ(answer, "'" + word.substr(i, j - i) + "'") << e;
      ++seen["slice"];
    } else {
      const int i = std::stoi(rest.substr(1));
      ASSERT_TRUE(-8 <= i && i < 8) << e;
      EXPECT_EQ(answer, "'" + word.substr(i < 0 ? 8 + i : i, 1) + "'") << e;
      ++seen["index"];
    }
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_GT(absent, 0);
}

// ---- parameters ----

TEST(CodeGenerators, OperationListsAreChecked) {
  struct Case {
    std::string generator, value, message;
  };
  for (const Case& c : std::vector<Case>{
           {"list_expression", "len,avg",
            "`operations` names `avg`; the choices are index, len, "
            "min, max, sum"},
           {"list_expression", "len,len", "`operations` names `len` twice"},
           {"string_expression", " , ",
            "`operations` must name at least one of len, index, "
            "count, slice, find"},
       }) {
    std::vector<GeneratorArg> args = {{"operations", c.value, ""}};
    const spec::CheckedParams checked = spec::check_params(*registry().find(c.generator), args);
    ASSERT_EQ(checked.issues.size(), 1u) << c.value;
    EXPECT_EQ(checked.issues[0].message, c.message);
    EXPECT_EQ(checked.issues[0].arg, 0u);
  }
  std::vector<GeneratorArg> args = {{"operators", "+/", ""}};
  EXPECT_FALSE(spec::check_params(*registry().find("expression"), args).ok());
}

}  // namespace
}  // namespace pareto::suites
