// Tests of the formatter (spec/format.h): canonical text, idempotence, and round trips that
// keep the meaning (same_syntax) and every comment.
#include "spec/format.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "spec/lexer.h"
#include "spec/parser.h"
#include "tests/spec/test_files.h"

namespace pareto::spec {
namespace {

using testing::read_bytes;

namespace fs = std::filesystem;

const fs::path kRoot = testing::kSourceDir;
const fs::path kFixtures = kRoot / "tests/fixtures/spec/syntax";

// Formats text that must parse; fails the test otherwise.
std::string fmt_text(const std::string& text) {
  const SourceFile source("fmt.pareto", text);
  Diagnostics diagnostics;
  const auto out = format_source(source, diagnostics);
  EXPECT_TRUE(out.has_value()) << diagnostics.render();
  return out.value_or("");
}

File parse_text(const std::string& text) {
  const SourceFile source("p.pareto", text);
  Diagnostics diagnostics;
  File file = parse_file(source, diagnostics);
  EXPECT_FALSE(diagnostics.has_errors()) << diagnostics.render() << text;
  return file;
}

std::size_t count_comments(const std::string& text) {
  const SourceFile source("c.pareto", text);
  Diagnostics ignored;
  std::size_t n = 0;
  for (const Token& t : lex(source, ignored)) n += t.kind == TokenKind::kComment;
  return n;
}

// The formatter's promises on one text that parses.
void expect_canonical_round_trip(const std::string& text, const std::string& what) {
  const std::string once = fmt_text(text);
  const std::string twice = fmt_text(once);
  EXPECT_EQ(once, twice) << what << ": formatting is not idempotent";
  const std::string difference = syntax_difference(parse_text(text), parse_text(once));
  EXPECT_EQ(difference, "") << what << ": formatting changed the meaning";
  EXPECT_EQ(count_comments(once), count_comments(text)) << what << ": a comment was lost";
}

// Every .pareto file under a folder that parses without errors (others belong to error tests).
std::vector<fs::path> parsable_spec_files(const fs::path& root) {
  std::vector<fs::path> out;
  if (!fs::exists(root)) return out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".pareto") continue;
    const SourceFile source(entry.path().string(), read_bytes(entry.path()));
    Diagnostics diagnostics;
    parse_file(source, diagnostics);
    if (!diagnostics.has_errors()) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Format, MessyFileBecomesTheCanonicalText) {
  const std::string expected = read_bytes(kFixtures / "format/messy.expected");
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(fmt_text(read_bytes(kFixtures / "format/messy.pareto")), expected);
  EXPECT_EQ(fmt_text(expected), expected);
}

TEST(Format, EveryFixtureRoundTrips) {
  const auto files = parsable_spec_files(kFixtures);
  ASSERT_GE(files.size(), 6u);
  for (const fs::path& path : files) expect_canonical_round_trip(read_bytes(path), path.string());
}

TEST(Format, EverySpecInTheRepositoryRoundTrips) {
  // suites/ and the other spec fixtures (written by other tests) obey the same promises.
  for (const fs::path& root : {kRoot / "suites", kRoot / "tests/fixtures/spec"}) {
    for (const fs::path& path : parsable_spec_files(root)) {
      expect_canonical_round_trip(read_bytes(path), path.string());
    }
  }
}

TEST(Format, CanonicalSpacingAndIndentation) {
  EXPECT_EQ(fmt_text("task   a{kind=analysis\n      prompt=\"x\"}"),
            "task a {\n  kind   = analysis\n  prompt = \"x\"\n}\n");
}

TEST(Format, KeepsTheOrderOfItemsAndEntries) {
  EXPECT_EQ(fmt_text("task z {\n  b = 1\n  a = 2\n}\ntask a {\n  z = 1\n}\n"),
            "task z {\n  b = 1\n  a = 2\n}\n\ntask a {\n  z = 1\n}\n");
}

TEST(Format, AlignsConsecutiveFieldsUntilABlankLineOrAnotherEntry) {
  EXPECT_EQ(fmt_text("task t {\n  a = 1\n  long_name = 2\n\n  b = 3\n  expect x\n  cc = 4\n}\n"),
            "task t {\n  a         = 1\n  long_name = 2\n\n  b = 3\n  expect x\n  cc = 4\n}\n");
}

TEST(Format, OneBlankLineBetweenItemsAndAtMostOneInsideBlocks) {
  EXPECT_EQ(fmt_text("suite s\ninclude \"a\"\n\n\n\ninclude \"b\"\ntask t {\n\n\n  a = 1\n\n\n"
                     "  b = 2\n}\ntask u {}\n"),
            "suite s\ninclude \"a\"\n\ninclude \"b\"\n\ntask t {\n  a = 1\n\n  b = 2\n}\n\n"
            "task u {}\n");
}

TEST(Format, OneLineBlocksStayOnOneLineWhenTheyFit) {
  EXPECT_EQ(
      fmt_text("task t {\n  budget {max_tokens=8,timeout=5s}\n  sandbox {\n    cpu = 1s\n  }\n}"),
      "task t {\n  budget { max_tokens = 8, timeout = 5s }\n  sandbox {\n    cpu = 1s\n  }\n}\n");
}

TEST(Format, ABlockHoldingATripleQuotedStringIsBroken) {
  EXPECT_EQ(fmt_text("task t { sample { code = \"\"\"\n  x\n  \"\"\" } }"),
            "task t {\n  sample {\n    code = \"\"\"\n      x\n      \"\"\"\n  }\n}\n");
}

TEST(Format, TooLongOneLinersAreBrokenOneElementPerLine) {
  const std::string long_list = "task t {\n  tags = [" + std::string(40, 'a') + ", " +
                                std::string(40, 'b') + ", " + std::string(40, 'c') + "]\n}\n";
  EXPECT_EQ(fmt_text(long_list), "task t {\n  tags = [\n    " + std::string(40, 'a') + ",\n    " +
                                     std::string(40, 'b') + ",\n    " + std::string(40, 'c') +
                                     ",\n  ]\n}\n");
}

TEST(Format, StringsAreRequotedCanonically) {
  EXPECT_EQ(fmt_text("task t { s = \"tab\\there \\u{41}\\u{7} \\u{E9}\" }"),
            "task t { s = \"tab\\there A\\u{7} \xC3\xA9\" }\n");
}

TEST(Format, BlocksAreReindentedUnderTheirEntry) {
  EXPECT_EQ(
      fmt_text("task t {\n      prompt = \"\"\"\n            a\n              b\n   \"\"\"\n}"),
      "task t {\n  prompt = \"\"\"\n    a\n      b\n    \"\"\"\n}\n");
}

TEST(Format, BlocksThatCannotBeReindentedBecomeQuotedStrings) {
  // A whitespace-only line would read back empty; a block with no unindented line would lose
  // its indentation. Both keep their exact text as "...".
  const SourceFile source("b.pareto", "task t {\n  a = \"\"\"\n    x\n\n    \"\"\"\n}\n");
  Diagnostics d;
  File f = parse_file(source, d);
  Value& a = f.items[0].block.entries[0].value;
  a.text = "x\n  \ny";
  EXPECT_EQ(format_file(f), "task t {\n  a = \"x\\n  \\ny\"\n}\n");
  a.text = "  indented";
  EXPECT_EQ(format_file(f), "task t {\n  a = \"  indented\"\n}\n");
}

TEST(Format, TripleQuotesInsideABlockAreEscaped) {
  const std::string text =
      "task t {\n  code = \"\"\"\n    x = \\\"\"\"doc\\\"\"\"\n    \"\"\"\n}\n";
  EXPECT_EQ(fmt_text(text), text);
  EXPECT_EQ(parse_text(text).items[0].block.entries[0].value.text, "x = \"\"\"doc\"\"\"");
}

TEST(Format, NumbersAreWrittenCanonically) {
  EXPECT_EQ(fmt_text("task t { a = 0.50, b = 2.0, c = 1e3, d = 1.5e-9, e = 007, f = 0.5s }"),
            "task t { a = 0.5, b = 2.0, c = 1000.0, d = 1.5e-09, e = 7, f = 0.5s }\n");
}

TEST(Format, CommentsStayWithTheirNodes) {
  const std::string text =
      "# head\ntask t {  # open\n  # before\n  a = [  # list\n    x,  # after x\n  ]  # after a\n"
      "  # end\n}  # after t\n\n# tail\n";
  EXPECT_EQ(fmt_text(text), text);
}

TEST(Format, EmptyFileStaysEmpty) { EXPECT_EQ(fmt_text(""), ""); }

TEST(Format, SourceWithErrorsIsNotFormatted) {
  const SourceFile source("bad.pareto", "task t {\n  kind analysis\n}\n");
  Diagnostics diagnostics;
  EXPECT_FALSE(format_source(source, diagnostics).has_value());
  EXPECT_EQ(diagnostics.error_count(), 1u);
}

TEST(SameSyntax, IgnoresLayoutCommentsAndSpellingButNotMeaning) {
  const File a = parse_text("task t {\n  x = \"a\\nb\"  # c\n  y = 1.50\n  z = [1, 2]\n}\n");
  const File b =
      parse_text("task t { x = \"\"\"\n  a\n  b\n  \"\"\", y = 1.5, z = [\n 1,\n 2,\n] }");
  EXPECT_TRUE(same_syntax(a, b)) << syntax_difference(a, b);
  const File c = parse_text("task t { x = \"a\\nb\", y = 1.5, z = [1, 3] }");
  EXPECT_FALSE(same_syntax(a, c));
  EXPECT_EQ(syntax_difference(a, c), "item 1 (task t) > entry 3 (z)[1]: integer 2 vs integer 3");
  const File d = parse_text("task u { x = 1 }");
  EXPECT_EQ(syntax_difference(a, d), "item 1 (task t): task t vs task u");
  EXPECT_FALSE(same_syntax(parse_text("task t { d = 60s }"), parse_text("task t { d = 1m }")));
}

}  // namespace
}  // namespace pareto::spec
