// Tests of source locations and of how diagnostics render (spec/source.h, spec/diagnostics.h).
#include "spec/diagnostics.h"

#include <gtest/gtest.h>

#include "spec/source.h"

namespace pareto::spec {
namespace {

TEST(SourceFile, MapsOffsetsToLinesAndColumns) {
  const SourceFile source("a.pareto", "ab\ncd\n\nxyz");
  EXPECT_EQ(source.line_count(), 4);
  EXPECT_EQ(source.location(0), (Location{1, 1}));
  EXPECT_EQ(source.location(2), (Location{1, 3}));  // the line break itself
  EXPECT_EQ(source.location(3), (Location{2, 1}));
  EXPECT_EQ(source.location(6), (Location{3, 1}));
  EXPECT_EQ(source.location(9), (Location{4, 3}));
  EXPECT_EQ(source.location(10), (Location{4, 4}));   // end of file
  EXPECT_EQ(source.location(999), (Location{4, 4}));  // clamped
  EXPECT_EQ(source.line_text(2), "cd");
  EXPECT_EQ(source.line_text(3), "");
  EXPECT_EQ(source.line_text(4), "xyz");
  EXPECT_EQ(source.line_text(5), "");
  EXPECT_EQ(source.line_start(4), 7u);
}

TEST(SourceFile, ColumnsCountCodePointsNotBytes) {
  const SourceFile source("u.pareto", "x = \"\xC3\xA9\xE2\x82\xAC\" y");  // é (2 bytes), € (3)
  EXPECT_EQ(source.location(10), (Location{1, 8}));  // the space after the closing quote
}

TEST(SourceFile, LineTextDropsCarriageReturn) {
  const SourceFile source("w.pareto", "one\r\ntwo\r\n");
  EXPECT_EQ(source.line_text(1), "one");
  EXPECT_EQ(source.line_text(2), "two");
  EXPECT_EQ(source.location(5), (Location{2, 1}));
}

TEST(SourceFile, ReadingAMissingFileIsAnErrorValue) {
  std::string error;
  const auto source = read_source_file("/nonexistent/dir/x.pareto", &error);
  EXPECT_FALSE(source.has_value());
  EXPECT_NE(error.find("/nonexistent/dir/x.pareto"), std::string::npos) << error;
}

TEST(SourceFile, ReadsAFileWithItsPathAsName) {
  const std::string path =
      std::string(PARETO_SOURCE_DIR) + "/tests/fixtures/spec/syntax/full.pareto";
  std::string error;
  const auto source = read_source_file(path, &error);
  ASSERT_TRUE(source.has_value()) << error;
  EXPECT_EQ(source->name(), path);
  EXPECT_EQ(source->line_text(2).substr(0, 14), "suite core.ari");
}

TEST(Render, HeaderSourceLineCaretAndHint) {
  const SourceFile source("suite.pareto", "task a {\n  promt = \"hi\"\n}\n");
  const Diagnostic d = make_diagnostic(source, {11, 16}, Severity::kError, "unknown field `promt`",
                                       "did you mean `prompt`?");
  EXPECT_EQ(d.line, 2);
  EXPECT_EQ(d.column, 3);
  EXPECT_EQ(render(d),
            "suite.pareto:2:3: error: unknown field `promt`\n"
            "  promt = \"hi\"\n"
            "  ^~~~~\n"
            "  hint: did you mean `prompt`?\n");
}

TEST(Render, EmptySpanGetsOneCaret) {
  const SourceFile source("a.pareto", "x =\n");
  const Diagnostic d = make_diagnostic(source, {3, 3}, Severity::kError, "expected a value");
  EXPECT_EQ(render(d), "a.pareto:1:4: error: expected a value\nx =\n   ^\n");
}

TEST(Render, TabsAreRepeatedSoTheCaretLinesUp) {
  const SourceFile source("t.pareto", "\tkind\t= oops\n");
  const Diagnostic d = make_diagnostic(source, {8, 12}, Severity::kWarning, "odd");
  EXPECT_EQ(render(d), "t.pareto:1:9: warning: odd\n\tkind\t= oops\n\t    \t  ^~~~\n");
}

TEST(Render, MultiByteCharactersBeforeTheSpanCountAsOneColumn) {
  const SourceFile source("u.pareto", "x = \"\xC3\xA9\xC3\xA9\" bad\n");
  const Diagnostic d = make_diagnostic(source, {11, 14}, Severity::kError, "m");
  EXPECT_EQ(d.column, 10);  // 11 bytes before the span, but 9 code points
  EXPECT_EQ(render(d), "u.pareto:1:10: error: m\nx = \"\xC3\xA9\xC3\xA9\" bad\n         ^~~\n");
}

TEST(Render, ASpanOverSeveralLinesIsUnderlinedToTheEndOfItsFirstLine) {
  const SourceFile source("m.pareto", "a = [1,\n  2]\n");
  const Diagnostic d = make_diagnostic(source, {4, 12}, Severity::kError, "m");
  EXPECT_EQ(d.end_line, 2);
  EXPECT_EQ(render(d), "m.pareto:1:5: error: m\na = [1,\n    ^~~\n");
}

TEST(Render, ControlCharactersAndInvalidUtf8ShowAsQuestionMarks) {
  const SourceFile source("b.pareto", std::string("a\0b\xFF c", 6));
  const Diagnostic d = make_diagnostic(source, {5, 6}, Severity::kError, "m");
  EXPECT_EQ(render(d), "b.pareto:1:6: error: m\na?b? c\n     ^\n");
}

TEST(Render, AVeryLongLineIsShownAroundTheSpan) {
  std::string text(1000, 'a');
  text.replace(600, 3, "BAD");
  const SourceFile source("long.pareto", text);
  const Diagnostic d = make_diagnostic(source, {600, 603}, Severity::kError, "m");
  EXPECT_EQ(d.column, 601);
  EXPECT_LT(d.source_line.size(), 260u);
  EXPECT_EQ(d.source_line.substr(0, 3), "...");
  const std::string rendered = render(d);
  const std::size_t line_start = rendered.find('\n') + 1;
  const std::size_t caret_start = rendered.find('\n', line_start) + 1;
  const std::size_t bad = rendered.find("BAD", line_start) - line_start;
  EXPECT_EQ(rendered.substr(caret_start + bad, 3), "^~~");
}

TEST(Render, DataFileDiagnosticsCarryOnlyALine) {
  EXPECT_EQ(
      render(make_line_diagnostic("data.jsonl", 37, Severity::kError, "line is not a JSON object")),
      "data.jsonl:37: error: line is not a JSON object\n");
  EXPECT_EQ(render(make_line_diagnostic("data.csv", 0, Severity::kError, "no header row",
                                        "the first row names the fields")),
            "data.csv: error: no header row\n  hint: the first row names the fields\n");
}

TEST(Render, NotesFollowTheirDiagnostic) {
  const SourceFile source("n.pareto", "task a {\n");
  Diagnostic d = make_diagnostic(source, {9, 9}, Severity::kError, "expected `}`");
  d.notes.push_back(make_diagnostic(source, {7, 8}, Severity::kNote, "opened here"));
  EXPECT_EQ(render(d),
            "n.pareto:2:1: error: expected `}`\n\n^\n"
            "n.pareto:1:8: note: opened here\ntask a {\n       ^\n");
}

TEST(Render, ColorWrapsTheSeverityInEscapes) {
  const Diagnostic d = make_line_diagnostic("d.jsonl", 1, Severity::kError, "bad");
  const std::string plain = render(d);
  const std::string colored = render(d, RenderOptions{.color = true});
  EXPECT_EQ(plain.find('\x1b'), std::string::npos);
  EXPECT_NE(colored.find("\x1b[1;31merror:"), std::string::npos) << colored;
}

TEST(Diagnostics, CountsAndSortsByLocation) {
  const SourceFile a("a.pareto", "one\ntwo\nthree\n");
  Diagnostics all;
  all.error(a, {8, 13}, "third line");
  all.warning(a, {0, 3}, "first line");
  all.add(make_line_diagnostic("0.jsonl", 2, Severity::kError, "data"));
  Diagnostic& n = all.note(a, {4, 7}, "second line");
  n.hint = "h";
  EXPECT_EQ(all.size(), 4u);
  EXPECT_EQ(all.error_count(), 2u);
  EXPECT_EQ(all.warning_count(), 1u);
  EXPECT_TRUE(all.has_errors());
  all.sort_by_location();
  EXPECT_EQ(all.all()[0].file, "0.jsonl");
  EXPECT_EQ(all.all()[1].message, "first line");
  EXPECT_EQ(all.all()[2].message, "second line");
  EXPECT_EQ(all.all()[3].message, "third line");

  Diagnostics more;
  more.append(all);
  EXPECT_EQ(more.render(RenderOptions{.show_source = false}),
            "0.jsonl:2: error: data\na.pareto:1:1: warning: first line\n"
            "a.pareto:2:1: note: second line\n  hint: h\na.pareto:3:1: error: third line\n");
}

}  // namespace
}  // namespace pareto::spec
