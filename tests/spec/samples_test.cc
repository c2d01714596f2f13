// Loading jsonl and csv data files: good files give samples, every bad line gives an issue
// with its line (and column where known), and hostile bytes never crash.
#include "spec/samples.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace pareto::spec {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path kData =
    std::filesystem::path(PARETO_SOURCE_DIR) / "tests/fixtures/data";

// "line:column: message" for each issue, to compare whole reports at once.
std::vector<std::string> where(const SampleSet& set) {
  std::vector<std::string> out;
  for (const DataIssue& i : set.issues)
    out.push_back(std::to_string(i.line) + ":" + std::to_string(i.column));
  return out;
}

std::vector<int> lines_of(const SampleSet& set) {
  std::vector<int> out;
  for (const Sample& s : set.samples) out.push_back(s.line);
  return out;
}

// ---- jsonl ----

TEST(Jsonl, ReadsEveryLineAsAnObjectWithLineIds) {
  SampleSet set = load_jsonl(kData / "arith.jsonl");
  ASSERT_TRUE(set.ok()) << format_issue(set.issues.at(0));
  ASSERT_EQ(set.samples.size(), 2u);
  EXPECT_EQ(set.samples[0].id, "1");
  EXPECT_EQ(set.samples[0].line, 1);
  EXPECT_EQ(set.samples[0].fields["q"], "2+2?");
  EXPECT_EQ(set.samples[0].fields["answer"], 4);
  EXPECT_EQ(set.samples[1].id, "2");
  EXPECT_EQ(set.samples[1].fields["tags"], nlohmann::json::array({"easy"}));
}

TEST(Jsonl, ReportsEachBadLineAndKeepsTheGoodOnes) {
  SampleSet set = load_jsonl(kData / "bad.jsonl");
  EXPECT_EQ(lines_of(set), (std::vector<int>{1, 6}));
  ASSERT_EQ(set.issues.size(), 4u);
  EXPECT_EQ(set.issues[0].file, (kData / "bad.jsonl").string());
  EXPECT_EQ(set.issues[0].line, 2);
  EXPECT_THAT(set.issues[0].message, HasSubstr("not JSON"));
  EXPECT_THAT(set.issues[0].message, HasSubstr("syntax error"));
  EXPECT_GT(set.issues[0].column, 30);  // the end of the line, where '}' was expected
  EXPECT_EQ(set.issues[1].line, 3);
  EXPECT_THAT(set.issues[1].message, HasSubstr("expected a JSON object"));
  EXPECT_THAT(set.issues[1].message, HasSubstr("got an array"));
  EXPECT_EQ(set.issues[2].line, 4);
  EXPECT_THAT(set.issues[2].message, HasSubstr("empty line"));
  EXPECT_EQ(set.issues[3].line, 5);
  EXPECT_THAT(set.issues[3].message, HasSubstr("key \"a\" appears twice"));
}

TEST(Jsonl, SyntaxErrorColumnPointsAtTheBadByte) {
  SampleSet set = parse_jsonl("{\"a\": tru}\n", "d.jsonl");
  ASSERT_EQ(set.issues.size(), 1u);
  EXPECT_EQ(set.issues[0].line, 1);
  EXPECT_EQ(set.issues[0].column, 10);  // nlohmann reads "tru}" before it gives up
  EXPECT_EQ(format_issue(set.issues[0]).rfind("d.jsonl:1:10: not JSON: ", 0), 0u)
      << format_issue(set.issues[0]);
}

TEST(Jsonl, FormatsIssuesWithAndWithoutPositions) {
  EXPECT_EQ(format_issue({"d.jsonl", 37, 5, "m"}), "d.jsonl:37:5: m");
  EXPECT_EQ(format_issue({"d.jsonl", 37, 0, "m"}), "d.jsonl:37: m");
  EXPECT_EQ(format_issue({"d.jsonl", 0, 0, "m"}), "d.jsonl: m");
}

TEST(Jsonl, MissingFileIsOneIssueAtLineZero) {
  SampleSet set = load_jsonl(kData / "no-such-file.jsonl");
  ASSERT_EQ(set.issues.size(), 1u);
  EXPECT_EQ(set.issues[0].line, 0);
  EXPECT_EQ(set.issues[0].message, "no such file");
  EXPECT_TRUE(set.samples.empty());
}

TEST(Jsonl, DirectoryIsNotADataFile) {
  SampleSet set = load_jsonl(kData);
  ASSERT_EQ(set.issues.size(), 1u);
  EXPECT_THAT(set.issues[0].message, HasSubstr("directory"));
}

TEST(Jsonl, EmptyFileHasNoSamples) {
  SampleSet set = parse_jsonl("", "e.jsonl");
  ASSERT_EQ(set.issues.size(), 1u);
  EXPECT_EQ(set.issues[0].line, 0);
  EXPECT_THAT(set.issues[0].message, HasSubstr("no samples"));
}

TEST(Jsonl, AcceptsBomCrlfAndAFinalLineWithoutNewline) {
  SampleSet set = parse_jsonl("\xEF\xBB\xBF{\"a\": 1}\r\n{\"a\": 2}", "d.jsonl");
  ASSERT_TRUE(set.ok()) << format_issue(set.issues[0]);
  EXPECT_EQ(lines_of(set), (std::vector<int>{1, 2}));
  EXPECT_EQ(set.samples[1].fields["a"], 2);
}

TEST(Jsonl, WhitespaceOnlyLineIsAnEmptyLine) {
  SampleSet set = parse_jsonl("{\"a\": 1}\n  \t\n{\"a\": 2}\n", "d.jsonl");
  EXPECT_EQ(where(set), (std::vector<std::string>{"2:0"}));
  EXPECT_EQ(set.samples.size(), 2u);
}

TEST(Jsonl, InvalidUtf8IsReportedAtItsColumn) {
  SampleSet set = parse_jsonl("{\"a\": 1}\n{\"a\": \"x\xC3\x28\"}\n", "d.jsonl");
  EXPECT_EQ(where(set), (std::vector<std::string>{"2:9"}));
  EXPECT_THAT(set.issues[0].message, HasSubstr("invalid UTF-8 (byte 0xC3)"));
}

TEST(Jsonl, RejectsOverlongAndSurrogateEncodings) {
  // C0 80 is an overlong NUL; ED A0 80 encodes the surrogate U+D800.
  for (std::string bad : {std::string("\xC0\x80"), std::string("\xED\xA0\x80"),
                          std::string("\xF4\x90\x80\x80"), std::string("\xE2\x82")}) {
    SampleSet set = parse_jsonl("{\"a\": \"" + bad + "\"}", "d.jsonl");
    ASSERT_EQ(set.issues.size(), 1u);
    EXPECT_EQ(set.issues[0].column, 8);
    EXPECT_THAT(set.issues[0].message, HasSubstr("invalid UTF-8"));
  }
  SampleSet good = parse_jsonl("{\"a\": \"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"}", "d.jsonl");
  EXPECT_TRUE(good.ok());
}

TEST(Jsonl, NulByteIsReportedAtItsColumn) {
  SampleSet set = parse_jsonl(std::string("{\"a\": \"x\0y\"}\n", 13), "d.jsonl");
  EXPECT_EQ(where(set), (std::vector<std::string>{"1:9"}));
  EXPECT_THAT(set.issues[0].message, HasSubstr("NUL byte"));
}

TEST(Jsonl, DeepNestingIsRefusedBeforeParsing) {
  std::string deep = "{\"a\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  SampleSet set = parse_jsonl(deep, "d.jsonl");
  ASSERT_EQ(set.issues.size(), 1u);
  EXPECT_EQ(set.issues[0].column, 6 + kMaxJsonDepth);  // the '[' that goes one level too deep
  EXPECT_THAT(set.issues[0].message, HasSubstr("nested deeper"));
  // Brackets inside strings are not nesting.
  EXPECT_TRUE(parse_jsonl("{\"a\": \"" + std::string(1000, '[') + "\"}", "d.jsonl").ok());
}

TEST(Jsonl, HugeLineIsRefused) {
  std::string huge = "{\"a\": \"" + std::string(kMaxLineBytes, 'x') + "\"}\n{\"a\": 1}\n";
  SampleSet set = parse_jsonl(huge, "d.jsonl");
  EXPECT_EQ(where(set), (std::vector<std::string>{"1:0"}));
  EXPECT_THAT(set.issues[0].message, HasSubstr("limit"));
  EXPECT_EQ(lines_of(set), (std::vector<int>{2}));
}

TEST(Jsonl, NumberOverflowIsAnIssueNotAnException) {
  SampleSet set = parse_jsonl("{\"a\": 1e999}\n", "d.jsonl");
  ASSERT_EQ(set.issues.size(), 1u);
  EXPECT_THAT(set.issues[0].message, HasSubstr("number overflow"));
}

TEST(Jsonl, DuplicateKeysAreCheckedPerObject) {
  EXPECT_TRUE(parse_jsonl("{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}}", "d.jsonl").ok());
  SampleSet nested = parse_jsonl("{\"a\": {\"x\": 1, \"x\": 2}}", "d.jsonl");
  ASSERT_EQ(nested.issues.size(), 1u);
  EXPECT_THAT(nested.issues[0].message, HasSubstr("\"x\" appears twice"));
}

TEST(Jsonl, ScalarsAreNotObjects) {
  SampleSet set = parse_jsonl("3\n\"s\"\nnull\ntrue\n", "d.jsonl");
  ASSERT_EQ(set.issues.size(), 4u);
  EXPECT_THAT(set.issues[0].message, HasSubstr("got a number"));
  EXPECT_THAT(set.issues[1].message, HasSubstr("got a string"));
  EXPECT_THAT(set.issues[2].message, HasSubstr("got null"));
  EXPECT_THAT(set.issues[3].message, HasSubstr("got a boolean"));
}

TEST(Jsonl, BinaryGarbageGivesABoundedReport) {
  std::string garbage;
  for (int i = 0; i < 5000; ++i) garbage += "\x01\x02x\n";
  SampleSet set = parse_jsonl(garbage, "d.jsonl");
  ASSERT_EQ(set.issues.size(), kMaxDataIssues + 1);
  EXPECT_EQ(set.issues.back().line, 0);
  EXPECT_EQ(set.issues.back().message, "4900 more issues not shown");
}

// ---- csv ----

TEST(Csv, ReadsQuotedFieldsAsStrings) {
  SampleSet set = load_csv(kData / "parts.csv");
  ASSERT_TRUE(set.ok()) << format_issue(set.issues.at(0));
  ASSERT_EQ(set.samples.size(), 3u);
  EXPECT_EQ(set.samples[0].fields,
            (nlohmann::json{{"name", "widget"}, {"qty", "3"}, {"note", "plain"}}));
  EXPECT_EQ(set.samples[1].fields["note"], "says \"hi\", twice");
  EXPECT_EQ(set.samples[2].fields["note"], "two\nlines");  // CRLF inside quotes becomes \n
  EXPECT_EQ(set.samples[2].id, "3");
  EXPECT_EQ(lines_of(set), (std::vector<int>{2, 3, 4}));
}

TEST(Csv, ReportsEachBadRowAndKeepsTheGoodOnes) {
  SampleSet set = load_csv(kData / "bad.csv");
  EXPECT_EQ(lines_of(set), (std::vector<int>{2, 5}));
  EXPECT_EQ(set.samples[1].id, "4");  // rows count from the first data row
  ASSERT_EQ(where(set), (std::vector<std::string>{"3:0", "4:6"}));
  EXPECT_EQ(set.issues[0].message, "row has 2 fields; the header has 3 columns");
  EXPECT_THAT(set.issues[1].message, HasSubstr("quote inside an unquoted field"));
}

TEST(Csv, UnterminatedQuoteIsReportedWhereItOpens) {
  SampleSet set = parse_csv("a,b\n1,2\n3,\"four\n5,6\n7,8\n", "d.csv");
  EXPECT_EQ(where(set), (std::vector<std::string>{"3:3"}));
  EXPECT_THAT(set.issues[0].message, HasSubstr("unterminated quoted field"));
  EXPECT_EQ(lines_of(set), (std::vector<int>{2}));
}

TEST(Csv, TextAfterAClosingQuoteIsAnError) {
  SampleSet set = parse_csv("a,b\n\"x\"y,2\n3,4\n", "d.csv");
  EXPECT_EQ(where(set), (std::vector<std::string>{"2:4"}));
  EXPECT_THAT(set.issues[0].message, HasSubstr("after a closing quote"));
  EXPECT_EQ(lines_of(set), (std::vector<int>{3}));
}

TEST(Csv, MissingHeader) {
  SampleSet empty = parse_csv("", "d.csv");
  ASSERT_EQ(empty.issues.size(), 1u);
  EXPECT_THAT(empty.issues[0].message, HasSubstr("missing header row"));
  SampleSet blank = parse_csv("\na,b\n1,2\n", "d.csv");
  EXPECT_EQ(where(blank), (std::vector<std::string>{"1:0"}));
  EXPECT_THAT(blank.issues[0].message, HasSubstr("missing header row"));
}

TEST(Csv, HeaderNamesMustBeNonEmptyUniqueAndUnpadded) {
  SampleSet set = parse_csv("a,,b,a, c\n1,2,3,4,5\n", "d.csv");
  ASSERT_EQ(set.issues.size(), 3u);
  EXPECT_THAT(set.issues[0].message, HasSubstr("header column 2 has no name"));
  EXPECT_THAT(set.issues[1].message, HasSubstr("\"a\" appears twice (columns 1 and 4)"));
  EXPECT_THAT(set.issues[2].message, HasSubstr("\" c\" (column 5) has spaces"));
}

TEST(Csv, HeaderWithoutRowsHasNoSamples) {
  SampleSet set = parse_csv("a,b\n", "d.csv");
  ASSERT_EQ(set.issues.size(), 1u);
  EXPECT_THAT(set.issues[0].message, HasSubstr("no data rows"));
}

TEST(Csv, EmptyLineBetweenRowsIsAnError) {
  SampleSet set = parse_csv("a\n1\n\n2\n", "d.csv");
  EXPECT_EQ(where(set), (std::vector<std::string>{"3:0"}));
  EXPECT_THAT(set.issues[0].message, HasSubstr("empty line"));
  EXPECT_EQ(set.samples.size(), 2u);
  // A quoted empty value is a real (empty) value, not an empty line.
  EXPECT_TRUE(parse_csv("a\n\"\"\n", "d.csv").ok());
}

TEST(Csv, EmptyFieldsAndFinalRowWithoutNewline) {
  SampleSet set = parse_csv("a,b,c\n,,\n1,,3", "d.csv");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set.samples[0].fields, (nlohmann::json{{"a", ""}, {"b", ""}, {"c", ""}}));
  EXPECT_EQ(set.samples[1].fields["c"], "3");
}

TEST(Csv, BadBytesOnALineDoNotSwallowTheRest) {
  // Line 3 holds invalid UTF-8 and an opening quote; lines after it must still be read.
  SampleSet set = parse_csv("a,b\n1,2\n\xFF,\"x\n5,6\n", "d.csv");
  EXPECT_EQ(where(set), (std::vector<std::string>{"3:1"}));
  EXPECT_EQ(lines_of(set), (std::vector<int>{2, 4}));
  EXPECT_EQ(set.samples[1].id, "3");
}

TEST(Csv, NulInARowIsReported) {
  SampleSet set = parse_csv(std::string("a,b\n1,\0\n3,4\n", 12), "d.csv");
  EXPECT_EQ(where(set), (std::vector<std::string>{"2:3"}));
  EXPECT_EQ(lines_of(set), (std::vector<int>{3}));
}

TEST(Csv, UnreadableHeaderStopsWithOneIssue) {
  SampleSet set = parse_csv("a,\xC3\n1,2\n", "d.csv");
  EXPECT_EQ(where(set), (std::vector<std::string>{"1:3"}));
  EXPECT_TRUE(set.samples.empty());
}

}  // namespace
}  // namespace pareto::spec
