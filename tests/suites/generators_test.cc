// The built-in generators: documented, deterministic (pinned golden samples catch a change
// of platform or code), correct (answers recomputed here independently), and validated.
#include "suites/generators.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "spec/samples.h"

namespace pareto::suites {
namespace {

using nlohmann::json;
using spec::GeneratorArg;
using spec::Sample;
using ::testing::HasSubstr;

const spec::GeneratorRegistry& registry() {
  static const spec::GeneratorRegistry r = builtin_generators();
  return r;
}

// Samples of `name` with the given arguments (which must validate).
std::vector<Sample> draw(const std::string& name, std::vector<GeneratorArg> args,
                         std::uint64_t seed, std::size_t count) {
  const spec::Generator* g = registry().find(name);
  EXPECT_NE(g, nullptr) << name;
  if (g == nullptr) return {};
  spec::CheckedParams checked = spec::check_params(*g, args);
  EXPECT_TRUE(checked.ok()) << name << ": " << checked.issues.at(0).message;
  return g->generate(checked.params, seed, count);
}

std::vector<std::int64_t> numbers(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::int64_t> out;
  for (std::int64_t v; in >> v;) out.push_back(v);
  return out;
}

std::size_t digit_count(std::int64_t v) { return std::to_string(v).size(); }

// ---- the registry and the documentation ----

TEST(BuiltinGenerators, HasEveryFamilySorted) {
  const std::vector<std::string> expected = {
      "addition",        "balanced_brackets", "bool_expression",   "comparison",
      "count_char",      "csv_sum",           "expression",        "json_field",
      "list_expression", "missing_operator",  "multiplication",    "program_output",
      "reverse_list",    "sort_list",         "string_expression", "subtraction",
      "unit_conversion"};
  EXPECT_EQ(registry().names(), expected);
}

TEST(BuiltinGenerators, InfoIsCompleteAndDefaultsAreValid) {
  for (const std::string& name : registry().names()) {
    const spec::GeneratorInfo& info = registry().find(name)->info();
    EXPECT_EQ(info.name, name);
    EXPECT_FALSE(info.description.empty()) << name;
    EXPECT_NE(std::find(info.fields.begin(), info.fields.end(), "answer"), info.fields.end())
        << name;
    EXPECT_NE(std::find(info.fields.begin(), info.fields.end(), "question"), info.fields.end())
        << name;
    for (const spec::GeneratorParam& p : info.params) {
      EXPECT_FALSE(p.description.empty()) << name << "." << p.name;
      // The default passes validation when given explicitly.
      std::vector<GeneratorArg> args = {{p.name, p.default_value, ""}};
      EXPECT_TRUE(spec::check_params(*registry().find(name), args).ok()) << name << "." << p.name;
    }
  }
}

// Every sample has exactly the documented fields, over many seeds and at both ends of
// every integer parameter's range.
TEST(BuiltinGenerators, SamplesHaveExactlyTheDocumentedFields) {
  for (const std::string& name : registry().names()) {
    const spec::Generator& g = *registry().find(name);
    const std::set<std::string> fields(g.info().fields.begin(), g.info().fields.end());
    std::vector<std::vector<GeneratorArg>> settings = {{}};
    for (const spec::GeneratorParam& p : g.info().params) {
      if (p.type != spec::ParamType::kInt) continue;
      settings.push_back({{p.name, static_cast<std::int64_t>(*p.min), ""}});
      settings.push_back({{p.name, static_cast<std::int64_t>(*p.max), ""}});
    }
    for (const auto& args : settings) {
      for (const Sample& s : draw(name, args, 11, 50)) {
        ASSERT_TRUE(s.fields.is_object());
        std::set<std::string> keys;
        for (const auto& [k, v] : s.fields.items()) keys.insert(k);
        EXPECT_EQ(keys, fields) << name;
        EXPECT_EQ(s.line, 0);
        EXPECT_FALSE(s.fields["question"].get<std::string>().empty());
      }
    }
  }
}

// ---- determinism ----

TEST(BuiltinGenerators, SameSeedSameSamplesAndSampleIdsAreIndices) {
  for (const std::string& name : registry().names()) {
    std::vector<Sample> a = draw(name, {}, 7, 20), b = draw(name, {}, 7, 20);
    ASSERT_EQ(a.size(), 20u);
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].fields, b[i].fields) << name;
      EXPECT_EQ(a[i].id, std::to_string(i));
    }
  }
}

TEST(BuiltinGenerators, DifferentSeedsDiffer) {
  for (const std::string& name : registry().names()) {
    std::vector<Sample> a = draw(name, {}, 7, 20), b = draw(name, {}, 8, 20);
    int same = 0;
    for (std::size_t i = 0; i < a.size(); ++i) same += a[i].fields == b[i].fields;
    EXPECT_LT(same, 10) << name;
  }
}

TEST(BuiltinGenerators, LargerCountExtendsSmallerCount) {
  for (const std::string& name : registry().names()) {
    std::vector<Sample> few = draw(name, {}, 3, 5), many = draw(name, {}, 3, 50);
    for (std::size_t i = 0; i < few.size(); ++i) EXPECT_EQ(few[i].fields, many[i].fields) << name;
  }
}

// The first sample of every generator (seed 1, default parameters) as it must be on every
// machine and compiler. A failure here means the samples changed: if that was intended,
// every recorded score that used them is stale too.
TEST(BuiltinGenerators, GoldenFirstSamples) {
  const std::map<std::string, std::string> golden = {
      {"addition", R"g({"a":976,"answer":1431,"b":455})g"},
      {"balanced_brackets", R"g({"answer":"no","brackets":")([[]()]"})g"},
      {"bool_expression", R"g({"answer":"True","expression":"not False or not True or True"})g"},
      {"comparison", R"g({"a":519,"answer":">","b":273})g"},
      {"count_char", R"g({"answer":0,"letter":"u","word":"bacdfced"})g"},
      {"csv_sum",
       R"g({"answer":247,"column":"limes","table":"kiwis,limes,pears\n35,90,92\n81,74,50\n8,30,27\n67,53,83"})g"},
      {"expression", R"g({"answer":19,"expression":"2+9+8"})g"},
      {"json_field",
       R"g({"answer":"green","object":"{\"code\": \"oak\", \"owner\": \"red\", \"city\": \"green\"}","path":"city"})g"},
      {"list_expression",
       R"g({"answer":9,"expression":"max([2, 4, 9, 0])","list":"[2, 4, 9, 0]"})g"},
      {"missing_operator", R"g({"answer":"+","equation":"3 ? 9 = 12"})g"},
      {"multiplication", R"g({"a":57,"answer":2793,"b":49})g"},
      {"program_output",
       R"g({"answer":2,"program":"x = 0\ny = 4\nif x == 0:\n    y = y + x\nelse:\n    y = x - y\nif y < 5:\n    x = 2\nelse:\n    x = x + y\nif x == 0:\n    y = x - y\nelse:\n    y = y - 4\ny = x + y\nprint(x)"})g"},
      {"reverse_list", R"g({"answer":"8 5 7 0 0","list":"0 0 7 5 8"})g"},
      {"sort_list", R"g({"answer":"0 2 4 6 9","list":"0 6 9 4 2"})g"},
      {"string_expression", R"g({"answer":"'c'","expression":"'ccacd'[0]","word":"ccacd"})g"},
      {"subtraction", R"g({"a":581,"answer":-59,"b":640})g"},
      {"unit_conversion", R"g({"answer":2000,"from":"L","to":"mL","value":2})g"},
  };
  ASSERT_EQ(golden.size(), registry().size());
  for (const auto& [name, text] : golden) {
    std::vector<Sample> s = draw(name, {}, 1, 1);
    ASSERT_EQ(s.size(), 1u);
    json fields = s[0].fields;
    fields.erase("question");
    EXPECT_EQ(fields, json::parse(text)) << name << ": " << fields.dump();
  }
}

// ---- answers, recomputed independently ----

TEST(Arithmetic, AnswersAndOperandSizes) {
  for (std::int64_t digits : {1, 3, 18}) {
    for (const Sample& s : draw("addition", {{"digits", digits, ""}}, 5, 100)) {
      const std::int64_t a = s.fields["a"], b = s.fields["b"];
      EXPECT_EQ(s.fields["answer"].get<std::int64_t>(), a + b);
      EXPECT_EQ(digit_count(a), static_cast<std::size_t>(digits));
      EXPECT_EQ(digit_count(b), static_cast<std::size_t>(digits));
      EXPECT_THAT(s.fields["question"].get<std::string>(),
                  HasSubstr(std::to_string(a) + " + " + std::to_string(b)));
    }
  }
  bool negative_seen = false;
  for (const Sample& s : draw("subtraction", {{"digits", 2, ""}}, 5, 100)) {
    EXPECT_EQ(s.fields["answer"].get<std::int64_t>(),
              s.fields["a"].get<std::int64_t>() - s.fields["b"].get<std::int64_t>());
    negative_seen |= s.fields["answer"].get<std::int64_t>() < 0;
  }
  EXPECT_TRUE(negative_seen);
  for (const Sample& s : draw("subtraction", {{"negative", false, ""}}, 5, 100)) {
    EXPECT_GE(s.fields["answer"].get<std::int64_t>(), 0);
  }
  for (const Sample& s : draw("multiplication", {{"digits", 9, ""}}, 5, 100)) {
    EXPECT_EQ(s.fields["answer"].get<std::int64_t>(),
              s.fields["a"].get<std::int64_t>() * s.fields["b"].get<std::int64_t>());
  }
  for (const Sample& s : draw("multiplication", {{"digits", 3, ""}, {"digits_b", 1, ""}}, 5, 50)) {
    EXPECT_EQ(digit_count(s.fields["a"]), 3u);
    EXPECT_EQ(digit_count(s.fields["b"]), 1u);
  }
}

TEST(Comparison, SymbolMatchesAndAllOutcomesOccur) {
  std::map<std::string, int> seen;
  for (const Sample& s : draw("comparison", {{"digits", 4, ""}}, 5, 300)) {
    const std::int64_t a = s.fields["a"], b = s.fields["b"];
    const std::string expected = a < b ? "<" : a > b ? ">" : "=";
    EXPECT_EQ(s.fields["answer"], expected);
    EXPECT_EQ(digit_count(b), 4u);
    ++seen[expected];
  }
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_GT(seen["="], 10);
}

TEST(CountChar, CountsTheLetter) {
  int zeros = 0;
  for (const Sample& s : draw("count_char", {{"length", 12, ""}}, 5, 200)) {
    const std::string word = s.fields["word"], letter = s.fields["letter"];
    EXPECT_EQ(word.size(), 12u);
    ASSERT_EQ(letter.size(), 1u);
    std::int64_t n = 0;
    for (char c : word) n += c == letter[0];
    EXPECT_EQ(s.fields["answer"].get<std::int64_t>(), n);
    zeros += n == 0;
  }
  EXPECT_GT(zeros, 0);
}

TEST(Lists, ReverseAndSort) {
  for (const Sample& s : draw("reverse_list", {{"length", 7, ""}, {"max_value", 99, ""}}, 5, 100)) {
    std::vector<std::int64_t> list = numbers(s.fields["list"]);
    ASSERT_EQ(list.size(), 7u);
    std::reverse(list.begin(), list.end());
    EXPECT_EQ(numbers(s.fields["answer"]), list);
  }
  for (bool descending : {false, true}) {
    for (const Sample& s : draw("sort_list", {{"descending", descending, ""}}, 5, 100)) {
      std::vector<std::int64_t> list = numbers(s.fields["list"]);
      std::sort(list.begin(), list.end());
      if (descending) std::reverse(list.begin(), list.end());
      EXPECT_EQ(numbers(s.fields["answer"]), list);
    }
  }
}

TEST(CsvSum, SumsTheColumnReadBackWithTheCsvLoader) {
  for (const Sample& s :
       draw("csv_sum", {{"rows", 6, ""}, {"columns", 4, ""}, {"max_value", 9999, ""}}, 5, 100)) {
    spec::SampleSet table = spec::parse_csv(s.fields["table"].get<std::string>(), "table.csv");
    ASSERT_TRUE(table.ok()) << spec::format_issue(table.issues[0]);
    ASSERT_EQ(table.samples.size(), 6u);
    std::int64_t sum = 0;
    for (const Sample& row : table.samples) {
      sum += std::stoll(row.fields.at(s.fields["column"].get<std::string>()).get<std::string>());
    }
    EXPECT_EQ(s.fields["answer"].get<std::int64_t>(), sum);
  }
}

TEST(JsonField, FollowsThePathInTheParsedObject) {
  for (std::int64_t depth : {1, 2, 3}) {
    for (const Sample& s : draw("json_field", {{"depth", depth, ""}, {"keys", 4, ""}}, 5, 100)) {
      json value = json::parse(s.fields["object"].get<std::string>());
      std::istringstream path(s.fields["path"].get<std::string>());
      int steps = 0;
      for (std::string key; std::getline(path, key, '.'); ++steps) {
        ASSERT_TRUE(value.is_object() && value.contains(key)) << s.fields.dump();
        value = json(value[key]);
      }
      EXPECT_EQ(steps, depth);
      const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
      EXPECT_EQ(s.fields["answer"], text);
    }
  }
}

// A separate interpreter for the Python subset program_output writes, so the generator's
// own bookkeeping is checked against an independent reading of the text.
std::int64_t run_program(const std::string& program) {
  std::vector<std::string> lines;
  std::istringstream in(program);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::map<std::string, std::int64_t> vars;
  auto term = [&](const std::string& t) {
    return std::isdigit(static_cast<unsigned char>(t[0])) ? std::stoll(t) : vars.at(t);
  };
  auto expr = [&](const std::string& e) {
    std::istringstream words(e);
    std::string a, op, b;
    words >> a >> op >> b;
    const std::int64_t x = term(a);
    if (op.empty()) return x;
    const std::int64_t y = term(b);
    return op == "+" ? x + y : op == "-" ? x - y : x * y;
  };
  auto assign = [&](std::string line) {
    line = line.substr(line.find_first_not_of(' '));
    const std::size_t eq = line.find(" = ");
    vars[line.substr(0, eq)] = expr(line.substr(eq + 3));
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.rfind("for i in range(", 0) == 0) {
      const std::int64_t n = std::stoll(line.substr(15));
      for (std::int64_t k = 0; k < n; ++k) {
        vars["i"] = k;
        assign(lines[i + 1]);
      }
      ++i;
    } else if (line.rfind("if ", 0) == 0) {
      std::istringstream cond(line.substr(3, line.size() - 4));
      std::string var, cmp, k;
      cond >> var >> cmp >> k;
      const std::int64_t v = vars.at(var), c = std::stoll(k);
      const bool taken = cmp == ">" ? v > c : cmp == "<" ? v < c : v == c;
      const bool has_else = i + 2 < lines.size() && lines[i + 2] == "else:";
      if (taken) assign(lines[i + 1]);
      if (!taken && has_else) assign(lines[i + 3]);
      i += has_else ? 3 : 1;
    } else if (line.rfind("print(", 0) == 0) {
      return expr(line.substr(6, line.size() - 7));
    } else {
      assign(line);
    }
  }
  ADD_FAILURE() << "no print in:\n" << program;
  return 0;
}

TEST(ProgramOutput, AnswerIsWhatTheProgramPrints) {
  std::set<std::string> constructs;
  for (std::int64_t statements : {1, 4, 12}) {
    for (std::int64_t variables : {1, 3}) {
      for (const Sample& s :
           draw("program_output", {{"statements", statements, ""}, {"variables", variables, ""}}, 5,
                100)) {
        const std::string program = s.fields["program"];
        EXPECT_EQ(s.fields["answer"].get<std::int64_t>(), run_program(program)) << program;
        for (const char* c : {"for i", "if ", "else:", " * "}) {
          if (program.find(c) != std::string::npos) constructs.insert(c);
        }
      }
    }
  }
  EXPECT_EQ(constructs.size(), 4u);
}

TEST(ProgramOutput, LoopsAndConditionsCanBeTurnedOff) {
  for (const Sample& s :
       draw("program_output",
            {{"loops", false, ""}, {"conditions", false, ""}, {"statements", 12, ""}}, 5, 100)) {
    const std::string program = s.fields["program"];
    EXPECT_EQ(program.find("for "), std::string::npos);
    EXPECT_EQ(program.find("if "), std::string::npos);
    EXPECT_EQ(s.fields["answer"].get<std::int64_t>(), run_program(program));
  }
}

TEST(BalancedBrackets, AnswerMatchesAStackCheckAndBothOccur) {
  int yes = 0;
  const int n = 400;
  for (const Sample& s : draw("balanced_brackets", {{"pairs", 6, ""}, {"kinds", 3, ""}}, 5, n)) {
    const std::string b = s.fields["brackets"];
    EXPECT_EQ(b.size(), 12u);
    std::vector<char> stack;
    bool ok = true;
    for (char c : b) {
      if (c == '(' || c == '[' || c == '{') {
        stack.push_back(c);
      } else {
        const char want = c == ')' ? '(' : c == ']' ? '[' : '{';
        ok = ok && !stack.empty() && stack.back() == want;
        if (!stack.empty()) stack.pop_back();
      }
    }
    ok = ok && stack.empty();
    EXPECT_EQ(s.fields["answer"], ok ? "yes" : "no") << b;
    yes += ok;
  }
  EXPECT_GT(yes, n / 4);
  EXPECT_LT(yes, 3 * n / 4);
}

// The value of "a op b op c ..." with * first, for the operator check below.
std::int64_t eval_with_precedence(std::vector<std::int64_t> n, std::vector<char> ops) {
  for (std::size_t i = 0; i < ops.size();) {
    if (ops[i] == '*') {
      n[i] *= n[i + 1];
      n.erase(n.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      ops.erase(ops.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  std::int64_t v = n[0];
  for (std::size_t i = 0; i < ops.size(); ++i) v = ops[i] == '+' ? v + n[i + 1] : v - n[i + 1];
  return v;
}

TEST(MissingOperator, ExactlyTheAnswerFits) {
  for (std::int64_t terms : {2, 3, 4}) {
    for (const Sample& s : draw("missing_operator", {{"terms", terms, ""}}, 5, 100)) {
      std::istringstream eq(s.fields["equation"].get<std::string>());
      std::vector<std::int64_t> n;
      std::vector<char> ops;
      std::string tok;
      std::size_t hidden = 0;
      eq >> tok;
      n.push_back(std::stoll(tok));
      while (eq >> tok && tok != "=") {
        if (tok == "?") hidden = ops.size();
        ops.push_back(tok[0]);
        eq >> tok;
        n.push_back(std::stoll(tok));
      }
      eq >> tok;
      const std::int64_t result = std::stoll(tok);
      ASSERT_EQ(n.size(), static_cast<std::size_t>(terms));
      std::string fitting;
      for (char op : {'+', '-', '*'}) {
        ops[hidden] = op;
        if (eval_with_precedence(n, ops) == result) fitting += op;
      }
      EXPECT_EQ(fitting, s.fields["answer"].get<std::string>()) << s.fields["equation"];
    }
  }
  for (const Sample& s : draw("missing_operator", {{"operators", "-", ""}}, 5, 20)) {
    EXPECT_EQ(s.fields["answer"], "-");
  }
}

TEST(UnitConversion, FactorsAreRight) {
  const std::map<std::pair<std::string, std::string>, std::int64_t> factor = {
      {{"km", "m"}, 1000},  {{"m", "cm"}, 100},  {{"cm", "mm"}, 10}, {{"kg", "g"}, 1000},
      {{"g", "mg"}, 1000},  {{"h", "min"}, 60},  {{"min", "s"}, 60}, {{"day", "h"}, 24},
      {{"week", "day"}, 7}, {{"L", "mL"}, 1000}, {{"ft", "in"}, 12}, {{"yd", "ft"}, 3}};
  int upward = 0;
  for (const Sample& s : draw("unit_conversion", {{"both_ways", true, ""}}, 5, 200)) {
    const std::string from = s.fields["from"], to = s.fields["to"];
    const std::int64_t value = s.fields["value"], answer = s.fields["answer"];
    if (auto it = factor.find({from, to}); it != factor.end()) {
      EXPECT_EQ(answer, value * it->second);
    } else {
      const std::int64_t f = factor.at({to, from});
      EXPECT_EQ(value % f, 0);
      EXPECT_EQ(answer, value / f);
      ++upward;
    }
  }
  EXPECT_GT(upward, 0);
  for (const Sample& s : draw("unit_conversion", {}, 5, 100)) {
    EXPECT_TRUE(factor.count({s.fields["from"], s.fields["to"]}));
    EXPECT_LE(s.fields["value"].get<std::int64_t>(), 20);
  }
}

// ---- parameters ----

TEST(Params, UnknownParameterSuggestsTheClosest) {
  std::vector<GeneratorArg> args = {{"digit", 3, ""}};
  spec::CheckedParams c = spec::check_params(*registry().find("addition"), args);
  ASSERT_EQ(c.issues.size(), 1u);
  EXPECT_EQ(c.issues[0].arg, 0u);
  EXPECT_EQ(c.issues[0].message, "unknown parameter `digit` for generator `addition`");
  EXPECT_EQ(c.issues[0].hint, "did you mean `digits`?");

  std::vector<GeneratorArg> far = {{"colour", 3, ""}};
  c = spec::check_params(*registry().find("subtraction"), far);
  ASSERT_EQ(c.issues.size(), 1u);
  EXPECT_EQ(c.issues[0].hint, "the parameters of `subtraction` are: digits, negative");
}

TEST(Params, WrongTypesAreReportedWithWhatWasGiven) {
  std::vector<GeneratorArg> args = {{"digits", "3", ""}, {"negative", 1, ""}};
  spec::CheckedParams c = spec::check_params(*registry().find("subtraction"), args);
  ASSERT_EQ(c.issues.size(), 2u);
  EXPECT_EQ(c.issues[0].arg, 0u);
  EXPECT_EQ(c.issues[0].message,
            "parameter `digits` of `subtraction` must be an integer, not a string");
  EXPECT_EQ(c.issues[1].arg, 1u);
  EXPECT_EQ(c.issues[1].message,
            "parameter `negative` of `subtraction` must be a boolean, not an integer");

  std::vector<GeneratorArg> float_for_int = {{"digits", 3.0, ""}};
  c = spec::check_params(*registry().find("addition"), float_for_int);
  ASSERT_EQ(c.issues.size(), 1u);
  EXPECT_THAT(c.issues[0].message, HasSubstr("must be an integer, not a float"));

  std::vector<GeneratorArg> duration = {{"digits", nullptr, "a duration"}};
  c = spec::check_params(*registry().find("addition"), duration);
  ASSERT_EQ(c.issues.size(), 1u);
  EXPECT_THAT(c.issues[0].message, HasSubstr("not a duration"));
}

TEST(Params, OutOfRangeNamesTheRange) {
  std::vector<GeneratorArg> args = {{"digits", 19, ""}};
  spec::CheckedParams c = spec::check_params(*registry().find("addition"), args);
  ASSERT_EQ(c.issues.size(), 1u);
  EXPECT_EQ(c.issues[0].message,
            "parameter `digits` = 19 is out of range: `addition` takes from 1 to 18");
  EXPECT_THAT(c.issues[0].hint, HasSubstr("digits of each operand"));
  std::vector<GeneratorArg> low = {{"digits", -1, ""}};
  EXPECT_FALSE(spec::check_params(*registry().find("addition"), low).ok());
}

TEST(Params, DuplicateArgumentIsTheSecond) {
  std::vector<GeneratorArg> args = {{"digits", 2, ""}, {"digits", 4, ""}};
  spec::CheckedParams c = spec::check_params(*registry().find("addition"), args);
  ASSERT_EQ(c.issues.size(), 1u);
  EXPECT_EQ(c.issues[0].arg, 1u);
  EXPECT_THAT(c.issues[0].message, HasSubstr("given twice"));
}

TEST(Params, DefaultsAreFilledIn) {
  std::vector<GeneratorArg> args = {{"digits", 4, ""}};
  spec::CheckedParams c = spec::check_params(*registry().find("multiplication"), args);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.params, (json{{"digits", 4}, {"digits_b", 0}}));
}

TEST(Params, GeneratorOwnConstraintsPointAtTheArgument) {
  std::vector<GeneratorArg> args = {{"terms", 3, ""}, {"operators", "+/", ""}};
  spec::CheckedParams c = spec::check_params(*registry().find("missing_operator"), args);
  ASSERT_EQ(c.issues.size(), 1u);
  EXPECT_EQ(c.issues[0].arg, 1u);
  EXPECT_THAT(c.issues[0].message, HasSubstr("not '/'"));
  std::vector<GeneratorArg> twice = {{"operators", "++", ""}};
  EXPECT_FALSE(spec::check_params(*registry().find("missing_operator"), twice).ok());
  std::vector<GeneratorArg> empty = {{"operators", "", ""}};
  EXPECT_FALSE(spec::check_params(*registry().find("missing_operator"), empty).ok());
}

TEST(Params, UnvalidatedParametersStillGiveSafeSamples) {
  // Out of range, mistyped and missing values fall back or clamp instead of crashing.
  const spec::Generator& add = *registry().find("addition");
  for (const json& params :
       {json{{"digits", 1000}}, json{{"digits", "x"}}, json::array(), json()}) {
    std::vector<Sample> s = add.generate(params, 1, 3);
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[0].fields["answer"].get<std::int64_t>(),
              s[0].fields["a"].get<std::int64_t>() + s[0].fields["b"].get<std::int64_t>());
  }
  EXPECT_EQ(digit_count(add.generate(json{{"digits", 1000}}, 1, 1)[0].fields["a"]), 18u);
  const spec::Generator& ops = *registry().find("missing_operator");
  EXPECT_EQ(ops.generate(json{{"operators", ""}, {"terms", 3}}, 1, 5).size(), 5u);
  EXPECT_TRUE(add.generate(json::object(), 1, 0).empty());
}

// A generator defined here, to test what the built-ins do not use (float parameters) and
// registering a taken name.
class ScaleGenerator final : public spec::Generator {
 public:
  explicit ScaleGenerator(std::string name)
      : info_{std::move(name),
              "a test generator",
              {{"scale", spec::ParamType::kFloat, 1.5, "a factor", 0.5, 2.0}},
              {"answer"}} {}
  const spec::GeneratorInfo& info() const override { return info_; }
  std::vector<Sample> generate(const json& params, std::uint64_t,
                               std::size_t count) const override {
    return std::vector<Sample>(count, Sample{"0", {{"answer", params.value("scale", 0.0)}}, 0});
  }

 private:
  spec::GeneratorInfo info_;
};

TEST(Params, FloatParameterAcceptsIntegersAndChecksRange) {
  ScaleGenerator g("scale");
  std::vector<GeneratorArg> whole = {{"scale", 2, ""}};
  spec::CheckedParams c = spec::check_params(g, whole);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c.params["scale"].is_number_float());
  EXPECT_EQ(c.params["scale"].get<double>(), 2.0);
  std::vector<GeneratorArg> high = {{"scale", 2.5, ""}};
  c = spec::check_params(g, high);
  ASSERT_EQ(c.issues.size(), 1u);
  EXPECT_EQ(c.issues[0].message,
            "parameter `scale` = 2.5 is out of range: `scale` takes from 0.5 to 2");
  std::vector<GeneratorArg> text = {{"scale", "big", ""}};
  EXPECT_THAT(spec::check_params(g, text).issues.at(0).message, HasSubstr("must be a float"));
}

TEST(Registry, FindAddAndClosest) {
  spec::GeneratorRegistry r = builtin_generators();
  EXPECT_EQ(r.find("nope"), nullptr);
  EXPECT_EQ(r.closest("additon"), "addition");
  EXPECT_EQ(r.closest("sort_lists"), "sort_list");
  EXPECT_EQ(r.closest("zzzzzz"), "");
  EXPECT_FALSE(r.add(nullptr));
  const std::size_t before = r.size();
  EXPECT_FALSE(r.add(std::make_unique<ScaleGenerator>("addition")));  // name taken
  EXPECT_EQ(r.size(), before);
  EXPECT_EQ(r.find("addition")->info().description.rfind("The sum", 0), 0u);
  EXPECT_TRUE(r.add(std::make_unique<ScaleGenerator>("scale")));
  EXPECT_EQ(r.size(), before + 1);
  EXPECT_NE(r.find("scale"), nullptr);
}

}  // namespace
}  // namespace pareto::suites
