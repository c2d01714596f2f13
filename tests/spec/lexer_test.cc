// Tests of the lexer (spec/lexer.h): tokens, literals, units, strings and bad bytes.
#include "spec/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pareto::spec {
namespace {

struct Lexed {
  std::vector<Token> tokens;
  Diagnostics diagnostics;
};

Lexed lex_text(std::string text) {
  Lexed out;
  const SourceFile source("lex.pareto", std::move(text));
  out.tokens = lex(source, out.diagnostics);
  return out;
}

std::vector<TokenKind> kinds(const std::vector<Token>& tokens) {
  std::vector<TokenKind> out;
  for (const Token& t : tokens) out.push_back(t.kind);
  return out;
}

// The one token a text lexes to (before kEnd), with no errors expected.
Token single(std::string text) {
  Lexed l = lex_text(std::move(text));
  EXPECT_TRUE(l.diagnostics.empty()) << l.diagnostics.render();
  EXPECT_EQ(l.tokens.size(), 2u);
  return l.tokens.empty() ? Token{} : l.tokens.front();
}

// The first error of a text that should not lex cleanly.
Diagnostic first_error(std::string text) {
  Lexed l = lex_text(std::move(text));
  EXPECT_FALSE(l.diagnostics.empty());
  return l.diagnostics.empty() ? Diagnostic{} : l.diagnostics.all().front();
}

using K = TokenKind;

TEST(Lexer, PunctuationNamesLineBreaksAndComments) {
  const Lexed l = lex_text("task a.b {  # hi  \n  x = [1, 2](){}\n}");
  EXPECT_TRUE(l.diagnostics.empty());
  EXPECT_EQ(kinds(l.tokens),
            (std::vector<K>{K::kName, K::kName, K::kLBrace, K::kComment, K::kNewline, K::kName,
                            K::kEquals, K::kLBracket, K::kInt, K::kComma, K::kInt, K::kRBracket,
                            K::kLParen, K::kRParen, K::kLBrace, K::kRBrace, K::kNewline, K::kRBrace,
                            K::kEnd}));
  EXPECT_EQ(l.tokens[1].text, "a.b");
  EXPECT_EQ(l.tokens[1].span, (Span{5, 8}));
  EXPECT_EQ(l.tokens[3].text, "# hi");  // trailing spaces trimmed
}

TEST(Lexer, DotsJoinIdentifiersOnlyWhenAnIdentifierFollows) {
  EXPECT_EQ(single("py.fizz_buzz.v-2").text, "py.fizz_buzz.v-2");
  const Lexed l = lex_text("a. b");
  EXPECT_EQ(kinds(l.tokens), (std::vector<K>{K::kName, K::kError, K::kName, K::kEnd}));
  EXPECT_EQ(l.tokens[1].text, "character `.`");
}

TEST(Lexer, IntegersAndFloats) {
  EXPECT_EQ(single("42").integer, 42);
  EXPECT_EQ(single("-7").integer, -7);
  EXPECT_EQ(single("-9223372036854775808").integer, INT64_MIN);
  EXPECT_EQ(single("0.25").kind, K::kFloat);
  EXPECT_DOUBLE_EQ(single("0.25").number, 0.25);
  EXPECT_DOUBLE_EQ(single("-1.5e3").number, -1500);
  EXPECT_DOUBLE_EQ(single("2E-2").number, 0.02);
  EXPECT_EQ(single("1e3").kind, K::kFloat);
}

TEST(Lexer, IntegerOutsideSixtyFourBitsIsAnError) {
  const Diagnostic d = first_error("9223372036854775808");
  EXPECT_EQ(d.message, "integer `9223372036854775808` does not fit in 64 bits");
  EXPECT_EQ(d.span, (Span{0, 19}));
  EXPECT_TRUE(lex_text("9223372036854775808").tokens[0].invalid);
}

TEST(Lexer, FloatOutsideDoubleRangeIsAnError) {
  EXPECT_EQ(first_error("1e999").message, "number `1e999` is out of range");
  EXPECT_EQ(first_error("x = 1e400ms").message, "number `1e400` is out of range");
}

TEST(Lexer, QuantitiesKeepTheUnitAndNormalise) {
  const Token ms = single("250ms");
  EXPECT_EQ(ms.kind, K::kQuantity);
  EXPECT_EQ(ms.quantity_kind, ValueKind::kDuration);
  EXPECT_EQ(ms.unit, "ms");
  EXPECT_DOUBLE_EQ(ms.number, 250);
  EXPECT_DOUBLE_EQ(ms.quantity, 0.25);
  EXPECT_DOUBLE_EQ(single("2m").quantity, 120);
  EXPECT_DOUBLE_EQ(single("1.5h").quantity, 5400);
  EXPECT_DOUBLE_EQ(single("10us").quantity, 1e-5);
  EXPECT_DOUBLE_EQ(single("3ns").quantity, 3e-9);
  const Token mib = single("512MiB");
  EXPECT_EQ(mib.quantity_kind, ValueKind::kSize);
  EXPECT_DOUBLE_EQ(mib.quantity, 512.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(single("2MB").quantity, 2e6);
  EXPECT_DOUBLE_EQ(single("1KiB").quantity, 1024);
  EXPECT_DOUBLE_EQ(single("64B").quantity, 64);
  const Token mj = single("40mJ");
  EXPECT_EQ(mj.quantity_kind, ValueKind::kEnergy);
  EXPECT_DOUBLE_EQ(mj.quantity, 0.04);
  EXPECT_DOUBLE_EQ(single("0.3J").quantity, 0.3);
  EXPECT_DOUBLE_EQ(single("2kJ").quantity, 2000);
  EXPECT_DOUBLE_EQ(single("1Wh").quantity, 3600);
  EXPECT_DOUBLE_EQ(single("5uJ").quantity, 5e-6);
}

TEST(Lexer, UnknownUnitSuggestsTheRightCase) {
  const Diagnostic d = first_error("memory = 512mb");
  EXPECT_EQ(d.message, "unknown unit `mb`");
  EXPECT_EQ(d.hint, "did you mean `MB`?");
  EXPECT_EQ(d.span, (Span{12, 14}));  // just the unit
  EXPECT_EQ(first_error("5mib").hint, "did you mean `MiB`?");
  EXPECT_EQ(first_error("5j").hint, "did you mean `J`?");
}

TEST(Lexer, UnknownUnitSuggestsFromCommonSpellings) {
  EXPECT_EQ(first_error("5sec").hint, "did you mean `s`?");
  EXPECT_EQ(first_error("2mins").hint, "did you mean `m`?");
  EXPECT_EQ(first_error("3\xC2\xB5s").hint, "did you mean `us`?");
  const Diagnostic d = first_error("3xyz");
  EXPECT_EQ(d.message, "unknown unit `xyz`");
  EXPECT_NE(d.hint.find("KiB"), std::string::npos);
}

TEST(Lexer, MalformedNumberIsOneError) {
  const Lexed l = lex_text("1.2.3 x");
  ASSERT_EQ(l.diagnostics.size(), 1u);
  EXPECT_EQ(l.diagnostics.all()[0].message, "malformed number `1.2.3`");
  EXPECT_EQ(l.tokens[1].text, "x");
}

TEST(Lexer, StringEscapes) {
  const Token t = single(R"("a\"b\\c\nd\te\rf\u{41}\u{1F600}")");
  EXPECT_EQ(t.kind, K::kString);
  EXPECT_FALSE(t.triple_quoted);
  EXPECT_EQ(t.text, "a\"b\\c\nd\te\rfA\xF0\x9F\x98\x80");
  EXPECT_EQ(single("\"\"").text, "");
  EXPECT_EQ(single("\"caf\xC3\xA9\"").text, "caf\xC3\xA9");
}

TEST(Lexer, UnknownEscapeIsReportedAtTheEscape) {
  const Diagnostic d = first_error(R"(x = "a\qb")");
  EXPECT_EQ(d.message, "unknown escape `\\q`");
  EXPECT_EQ(d.span, (Span{6, 8}));
  EXPECT_NE(d.hint.find("\\\\"), std::string::npos);
}

TEST(Lexer, BadUnicodeEscapes) {
  EXPECT_EQ(first_error(R"("\u{D800}")").message, "`\\u{D800}` is not a Unicode scalar value");
  EXPECT_EQ(first_error(R"("\u{110000}")").message, "`\\u{110000}` is not a Unicode scalar value");
  EXPECT_EQ(first_error(R"("\u41")").message, "malformed unicode escape");
  EXPECT_EQ(first_error(R"("\u{1234567}")").message, "malformed unicode escape");
}

TEST(Lexer, UnterminatedStringEndsAtTheLineBreak) {
  const Lexed l = lex_text("a = \"open\nb = 1");
  ASSERT_EQ(l.diagnostics.size(), 1u);
  EXPECT_EQ(l.diagnostics.all()[0].message, "unterminated string");
  EXPECT_EQ(l.diagnostics.all()[0].span, (Span{4, 9}));
  EXPECT_TRUE(l.tokens[2].invalid);
  EXPECT_EQ(kinds(l.tokens), (std::vector<K>{K::kName, K::kEquals, K::kString, K::kNewline,
                                             K::kName, K::kEquals, K::kInt, K::kEnd}));
}

TEST(Lexer, ControlCharacterInStringIsAnError) {
  const Diagnostic d = first_error(std::string("\"a\x01z\""));
  EXPECT_EQ(d.message, "control character U+0001 in a string");
  EXPECT_EQ(d.span, (Span{2, 3}));
}

TEST(Lexer, BlockStringStripsFirstAndLastLineAndCommonIndentation) {
  const Token t = single("\"\"\"\n    Write fizzbuzz(n).\n      Reply in Python.\n\n    \"\"\"");
  EXPECT_TRUE(t.triple_quoted);
  EXPECT_EQ(t.text, "Write fizzbuzz(n).\n  Reply in Python.\n");
}

TEST(Lexer, BlockStringIsRawExceptForAnEscapedTripleQuote) {
  EXPECT_EQ(single(R"("""
  print("a\n")
  x = \"""doc\"""
  """)")
                .text,
            "print(\"a\\n\")\nx = \"\"\"doc\"\"\"");
}

TEST(Lexer, BlockStringWhitespaceOnlyLinesBecomeEmpty) {
  EXPECT_EQ(single("\"\"\"\n  a\n      \n  b\n  \"\"\"").text, "a\n\nb");
}

TEST(Lexer, BlockStringKeepsTextOnTheOpeningLine) {
  EXPECT_EQ(single("\"\"\"one\n    two\n    \"\"\"").text, "one\ntwo");
  EXPECT_EQ(single("\"\"\"inline\"\"\"").text, "inline");
  EXPECT_EQ(single("\"\"\"\"\"\"").text, "");
  EXPECT_EQ(single("\"\"\"\n\"\"\"").text, "");
}

TEST(Lexer, BlockStringReadsCrLfAsLf) {
  EXPECT_EQ(single("\"\"\"\r\n  a\r\n  b\r\n  \"\"\"").text, "a\nb");
}

TEST(Lexer, BlockStringIndentationMustMatchBytewise) {
  // A tab and two spaces share no indentation, so neither is removed.
  EXPECT_EQ(single("\"\"\"\n\ta\n  b\n\"\"\"").text, "\ta\n  b");
}

TEST(Lexer, UnterminatedBlockPointsAtItsOpening) {
  const Diagnostic d = first_error("x = \"\"\"\n abc\n");
  EXPECT_EQ(d.message, "unterminated \"\"\" block");
  EXPECT_EQ(d.span, (Span{4, 7}));
}

TEST(Lexer, InvalidUtf8InAStringIsReportedAndReplaced) {
  const Lexed l = lex_text("\"a\xFF\xC3\"");
  ASSERT_EQ(l.diagnostics.size(), 2u);
  EXPECT_EQ(l.diagnostics.all()[0].message, "invalid UTF-8 byte 0xFF in a string");
  EXPECT_EQ(l.tokens[0].text, "a\xEF\xBF\xBD\xEF\xBF\xBD");  // two U+FFFD
}

TEST(Lexer, InvalidUtf8InACommentIsReported) {
  const Diagnostic d = first_error("# caf\xE9\n");
  EXPECT_EQ(d.message, "invalid UTF-8 byte 0xE9 in a comment");
  EXPECT_EQ(d.span, (Span{5, 6}));
}

TEST(Lexer, ARunOfStrayBytesIsOneErrorToken) {
  const Lexed l = lex_text(std::string("a \0\0\x01\xFF\xFE@ b", 10));
  EXPECT_TRUE(l.diagnostics.empty());  // the parser reports it where it matters
  ASSERT_EQ(kinds(l.tokens), (std::vector<K>{K::kName, K::kError, K::kName, K::kEnd}));
  EXPECT_EQ(l.tokens[1].text, "NUL byte (and 5 more stray characters)");
  EXPECT_EQ(l.tokens[1].span, (Span{2, 8}));
}

TEST(Lexer, ByteOrderMarkAndCrLfAreIgnored) {
  const Lexed l = lex_text("\xEF\xBB\xBFkind = x\r\n");
  EXPECT_TRUE(l.diagnostics.empty());
  EXPECT_EQ(kinds(l.tokens),
            (std::vector<K>{K::kName, K::kEquals, K::kName, K::kNewline, K::kEnd}));
  const Lexed cr = lex_text("a\rb");
  EXPECT_EQ(cr.tokens[1].kind, K::kError);
  EXPECT_EQ(cr.tokens[1].text, "control character U+000D");
}

TEST(Lexer, EndRepeatsAtTheEnd) {
  const SourceFile source("e.pareto", "");
  Diagnostics d;
  ErrorSink errors(source, d);
  Lexer lexer(source, errors);
  EXPECT_EQ(lexer.next().kind, K::kEnd);
  EXPECT_EQ(lexer.next().kind, K::kEnd);
}

TEST(ErrorSink, StopsAfterItsLimitAndSaysSo) {
  const SourceFile source("many.pareto", std::string(50, '"') + "\n");
  Diagnostics d;
  ErrorSink errors(source, d, 3);
  for (int i = 0; i < 10; ++i) errors.error({0, 1}, "e" + std::to_string(i));
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d.all()[3].message, "too many errors (3); not reporting more in this file");
  EXPECT_EQ(errors.count(), 10);
}

}  // namespace
}  // namespace pareto::spec
