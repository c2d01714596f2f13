// Extraction of answers from model replies (agents/extract.h), on replies shaped like real
// model output and on hostile bytes.
#include "agents/extract.h"

#include <gtest/gtest.h>

#include <string>

namespace pareto::agents {
namespace {

using Kind = spec::Extraction::Kind;

ExtractedAnswer run(const spec::Extraction& e, std::string_view text) {
  auto x = Extractor::Make(e);
  EXPECT_TRUE(x.ok()) << x.message();
  return x->extract(text);
}

spec::Extraction kind(Kind k) {
  spec::Extraction e;
  e.kind = k;
  return e;
}

spec::Extraction code(std::optional<spec::Language> lang) {
  spec::Extraction e;
  e.kind = Kind::kCodeBlock;
  e.language = lang;
  return e;
}

spec::Extraction regex(std::string pattern, int group) {
  spec::Extraction e;
  e.kind = Kind::kRegex;
  e.pattern = std::move(pattern);
  e.group = group;
  return e;
}

TEST(ExtractFull, TrimsSurroundingWhitespace) {
  auto a = run(kind(Kind::kFull), "  \n Paris\t\r\n");
  EXPECT_TRUE(a.found);
  EXPECT_EQ(a.answer, "Paris");
  EXPECT_EQ(run(kind(Kind::kFull), "   ").answer, "");
}

TEST(FindLastNumber, TakesTheLastNumberWithSignDecimalsAndExponent) {
  EXPECT_EQ(find_last_number("3 + 4 = 7"), "7");
  EXPECT_EQ(find_last_number("The answer is -12."), "-12");
  EXPECT_EQ(find_last_number("x = +3.25 and then 1e-3"), "1e-3");
  EXPECT_EQ(find_last_number("about 2.50 dollars"), "2.50");
  EXPECT_EQ(find_last_number("it is .5"), ".5");
  EXPECT_EQ(find_last_number("in 2024, we had 1,234,567 users"), "1234567");
  EXPECT_EQ(find_last_number("list: 1,2,3"), "3");
  EXPECT_EQ(find_last_number("12345,678"), "678");
  EXPECT_EQ(find_last_number("3-5"), "5");  // a minus between numbers is no sign
  EXPECT_EQ(find_last_number("a-5"), "5");  // nor after a letter
  EXPECT_EQ(find_last_number("(-5)"), "-5");
  EXPECT_EQ(find_last_number("x2"), "2");
  EXPECT_EQ(find_last_number("3em wide"), "3");  // no digits after e: no exponent
  EXPECT_EQ(find_last_number("version 1.2.3"), "3");
  EXPECT_EQ(find_last_number("no digits here"), std::nullopt);
  EXPECT_EQ(find_last_number(""), std::nullopt);
  EXPECT_EQ(find_last_number("-"), std::nullopt);
}

TEST(ExtractLastNumber, SaysWhenThereIsNone) {
  auto a = run(kind(Kind::kLastNumber), "Let me think... 3 + 4 is 7.\nAnswer: 7");
  EXPECT_TRUE(a.found);
  EXPECT_EQ(a.answer, "7");
  auto none = run(kind(Kind::kLastNumber), "I do not know.");
  EXPECT_FALSE(none.found);
  EXPECT_EQ(none.answer, "");
  EXPECT_EQ(none.note, "no number in the reply");
}

TEST(ParseDecimal, SplitsForExactComparison) {
  auto d = parse_decimal(" -007.2500 ");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->negative);
  EXPECT_EQ(d->integer, "7");
  EXPECT_EQ(d->fraction, "25");
  EXPECT_FALSE(d->has_exponent);
  EXPECT_DOUBLE_EQ(d->value, -7.25);
  auto zero = parse_decimal("-0.0");
  ASSERT_TRUE(zero);
  EXPECT_FALSE(zero->negative);
  EXPECT_EQ(zero->integer, "");
  auto big = parse_decimal("999999999999999999");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->integer, "999999999999999999");
  EXPECT_TRUE(parse_decimal("1e+20")->has_exponent);
  EXPECT_EQ(parse_decimal("1,000")->integer, "1000");
  EXPECT_FALSE(parse_decimal("12 apples"));
  EXPECT_FALSE(parse_decimal(""));
  EXPECT_FALSE(parse_decimal("-"));
  EXPECT_FALSE(parse_decimal("1.2.3"));
}

TEST(ExtractCodeBlock, TakesTheLastBlockOfTheLanguage) {
  const std::string reply =
      "Here is a first try:\n```python\ndef f(): return 1\n```\nBetter:\n```Python\n"
      "def f():\n    return 2\n```\nAnd in C++:\n```cpp\nint f() { return 2; }\n```\n";
  auto py = run(code(spec::Language::kPython), reply);
  EXPECT_TRUE(py.found);
  EXPECT_EQ(py.answer, "def f():\n    return 2\n");
  auto cpp = run(code(spec::Language::kCpp), reply);
  EXPECT_EQ(cpp.answer, "int f() { return 2; }\n");
  auto any = run(code(std::nullopt), reply);
  EXPECT_EQ(any.answer, "int f() { return 2; }\n");
}

TEST(ExtractCodeBlock, FallsBackToAnUntaggedBlock) {
  auto a = run(code(spec::Language::kPython), "```\nprint(1)\n```");
  EXPECT_TRUE(a.found);
  EXPECT_EQ(a.answer, "print(1)\n");
  auto b = run(code(spec::Language::kPython), "```js\nconsole.log(1)\n```");
  EXPECT_FALSE(b.found);
  EXPECT_EQ(b.note, "no ```python block in the reply");
  EXPECT_FALSE(run(code(spec::Language::kCpp), "int main() {}").found);
}

TEST(ExtractCodeBlock, FollowsCommonMarkFences) {
  // Tildes, longer fences holding ``` inside, indented fences, \r\n, and an unclosed block.
  EXPECT_EQ(run(code(spec::Language::kPython), "~~~py\nx = 1\n~~~\n").answer, "x = 1\n");
  EXPECT_EQ(run(code(spec::Language::kPython), "````python\ns = '```'\n```\nt = 2\n````").answer,
            "s = '```'\n```\nt = 2\n");
  EXPECT_EQ(run(code(spec::Language::kPython), "  ```python\n  def f():\n      pass\n  ```").answer,
            "def f():\n    pass\n");
  EXPECT_EQ(run(code(spec::Language::kPython), "```python\r\nx = 1\r\n```\r\n").answer, "x = 1\n");
  EXPECT_EQ(run(code(spec::Language::kPython), "```python\ndef f():\n    return").answer,
            "def f():\n    return\n");
  // Not a fence: two backticks, or four spaces of indentation; ``` with backticks after it.
  EXPECT_FALSE(run(code(std::nullopt), "``python\nx\n``").found);
  EXPECT_FALSE(run(code(std::nullopt), "    ```python\n    x\n    ```").found);
  EXPECT_FALSE(run(code(std::nullopt), "use ```a``` inline").found);
  EXPECT_EQ(run(code(spec::Language::kCpp), "```c++ main.cc\nint x;\n```").answer, "int x;\n");
}

TEST(ExtractRegex, TakesTheGroupOfTheFirstMatch) {
  auto a = run(regex("Answer: (-?\\d+)", 1), "Answer: 12\nAnswer: 13");
  EXPECT_TRUE(a.found);
  EXPECT_EQ(a.answer, "12");
  EXPECT_EQ(run(regex("Answer: (-?\\d+)", 0), "so Answer: -4!").answer, "Answer: -4");
  auto none = run(regex("Answer: (\\d+)", 1), "no answer");
  EXPECT_FALSE(none.found);
  EXPECT_EQ(none.note, "the reply does not match /Answer: (\\d+)/");
  auto unused = run(regex("(a)|(b)", 2), "a");
  EXPECT_FALSE(unused.found);
}

TEST(ExtractRegex, RefusesABadPattern) {
  EXPECT_FALSE(Extractor::Make(regex("(", 0)).ok());
  EXPECT_FALSE(Extractor::Make(regex("(a)", 2)).ok());
}

TEST(ExtractJson, TakesTheFirstValueThatParses) {
  auto a = run(kind(Kind::kJson), "Sure! {\"x\": 1, \"y\": [2.5, \"}\"]} and {\"z\": 3}");
  EXPECT_TRUE(a.found);
  EXPECT_EQ(a.answer, "{\"x\":1,\"y\":[2.5,\"}\"]}");
  // A bracket that does not start valid JSON is skipped.
  EXPECT_EQ(run(kind(Kind::kJson), "[see note] {\"ok\": true}").answer, "{\"ok\":true}");
  EXPECT_EQ(run(kind(Kind::kJson), "```json\n[1, 2]\n```").answer, "[1,2]");
  auto none = run(kind(Kind::kJson), "{not json}");
  EXPECT_FALSE(none.found);
  EXPECT_EQ(none.note, "no JSON object or array in the reply");
}

TEST(ExtractJson, SkipsValuesNestedTooDeep) {
  std::string deep(kMaxJsonDepth + 1, '[');
  deep += std::string(kMaxJsonDepth + 1, ']');
  auto a = run(kind(Kind::kJson), deep);
  // The outermost array nests too deep; the first one inside that fits is taken.
  EXPECT_TRUE(a.found);
  EXPECT_EQ(a.answer, std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']'));
}

TEST(ExtractJson, StaysCheapOnHostileInput) {
  // Every '[' starts a candidate that runs to the end: the work limit stops the search.
  std::string hostile;
  for (int i = 0; i < 200000; ++i) hostile += "[\"";
  auto a = run(kind(Kind::kJson), hostile);
  EXPECT_FALSE(a.found);
}

TEST(Extract, HandlesBinaryAndInvalidUtf8) {
  static constexpr char kBytes[] = "\x00\xff\xfe{\"a\":\"\xc3\x28\"}```\x00\n\x80\n```9\x00";
  const std::string bytes(kBytes, sizeof kBytes - 1);  // keeps the embedded NULs
  for (Kind k : {Kind::kFull, Kind::kLastNumber, Kind::kCodeBlock, Kind::kJson}) {
    auto a = run(kind(k), bytes);
    (void)a;
  }
  EXPECT_EQ(run(kind(Kind::kLastNumber), bytes).answer, "9");
  EXPECT_EQ(run(regex("(\\d)", 1), bytes).answer, "9");
}

}  // namespace
}  // namespace pareto::agents
