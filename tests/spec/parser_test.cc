// Tests of the parser (spec/parser.h): the tree it builds, its spans and comments, and its
// errors: every one of a file in one pass, precise, and never a crash on bad input.
#include "spec/parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>

#include "spec/lexer.h"
#include "tests/spec/test_files.h"

namespace pareto::spec {
namespace {

using testing::read_bytes;

struct Parsed {
  SourceFile source;
  File file;
  Diagnostics diagnostics;
};

Parsed parse_text(std::string text, ParseOptions options = {}) {
  Parsed p{SourceFile("test.pareto", std::move(text)), {}, {}};
  p.file = parse_file(p.source, p.diagnostics, options);
  return p;
}

// Parses text that must have no errors.
Parsed parse_ok(std::string text) {
  Parsed p = parse_text(std::move(text));
  EXPECT_TRUE(p.diagnostics.empty()) << p.diagnostics.render();
  return p;
}

std::vector<std::string> messages(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const Diagnostic& x : d.all()) out.push_back(x.message);
  return out;
}

const std::filesystem::path kFixtures = testing::kSourceDir / "tests/fixtures/spec/syntax";

std::string slice(const Parsed& p, Span span) {
  return std::string(p.source.text().substr(span.begin, span.size()));
}

// Every comment in the tree, in no particular order.
void collect(const Comments& c, std::vector<std::string>& out) {
  for (const Comment& x : c.before) out.push_back(x.text);
  if (c.after) out.push_back(c.after->text);
}
void collect(const Value& v, std::vector<std::string>& out) {
  collect(v.comments, out);
  if (v.open_comment) out.push_back(v.open_comment->text);
  for (const Comment& x : v.end_comments) out.push_back(x.text);
  for (const Value& i : v.items) collect(i, out);
  for (const NamedValue& e : v.entries) {
    collect(e.comments, out);
    collect(e.value, out);
  }
}
void collect(const Block& b, std::vector<std::string>& out) {
  if (b.open_comment) out.push_back(b.open_comment->text);
  for (const Comment& x : b.end_comments) out.push_back(x.text);
  for (const Entry& e : b.entries) {
    collect(e.comments, out);
    collect(e.value, out);
    collect(e.block, out);
  }
}
std::vector<std::string> all_comments(const File& f) {
  std::vector<std::string> out;
  for (const Item& i : f.items) {
    collect(i.comments, out);
    collect(i.block, out);
  }
  for (const Comment& x : f.end_comments) out.push_back(x.text);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Parser, ReadsThePlanExample) {
  const Parsed p = parse_ok(read_bytes(kFixtures / "full.pareto"));
  const File& f = p.file;
  ASSERT_EQ(f.items.size(), 9u);
  EXPECT_EQ(f.items[0].kind, ItemKind::kSuite);
  EXPECT_EQ(f.items[0].name, "core.arith");
  ASSERT_TRUE(f.items[0].title.has_value());
  EXPECT_EQ(f.items[0].title->text, "Integer arithmetic");
  EXPECT_EQ(f.items[1].kind, ItemKind::kInclude);
  EXPECT_EQ(f.items[1].path.text, "common.pareto");
  EXPECT_EQ(f.items[2].kind, ItemKind::kDefaults);
  EXPECT_EQ(f.items[7].kind, ItemKind::kTier);
  EXPECT_EQ(f.items[7].name, "flash");

  const Item& add3 = f.items[3];
  EXPECT_EQ(add3.kind, ItemKind::kTask);
  EXPECT_EQ(add3.name, "add3");
  ASSERT_EQ(add3.block.entries.size(), 9u);
  const Entry* kind = add3.block.find("kind");
  ASSERT_NE(kind, nullptr);
  EXPECT_EQ(kind->value.kind, ValueKind::kName);
  EXPECT_EQ(kind->value.text, "analysis");

  const Entry* samples = add3.block.find("samples");
  ASSERT_NE(samples, nullptr);
  const Value& gen = samples->value;
  EXPECT_EQ(gen.kind, ValueKind::kCall);
  EXPECT_EQ(gen.text, "generate");
  ASSERT_EQ(gen.items.size(), 1u);
  EXPECT_EQ(gen.items[0].text, "addition");
  ASSERT_EQ(gen.entries.size(), 3u);
  EXPECT_EQ(gen.entries[1].name, "seed");
  EXPECT_EQ(gen.entries[1].value.integer, 7);
  ASSERT_NE(gen.find("digits"), nullptr);
  EXPECT_EQ(gen.find("digits")->value.integer, 3);
  EXPECT_EQ(gen.find("nope"), nullptr);

  const Entry& contains = add3.block.entries[7];
  EXPECT_EQ(contains.kind, EntryKind::kExpect);
  EXPECT_EQ(contains.value.text, "contains");
  EXPECT_DOUBLE_EQ(contains.value.find("weight")->value.number, 0.5);

  const Entry* budget = add3.block.find("budget");
  ASSERT_NE(budget, nullptr);
  EXPECT_EQ(budget->kind, EntryKind::kSection);
  const Entry* energy = budget->block.find("max_energy");
  ASSERT_NE(energy, nullptr);
  EXPECT_EQ(energy->value.kind, ValueKind::kEnergy);
  EXPECT_EQ(energy->value.unit, "mJ");
  EXPECT_DOUBLE_EQ(energy->value.quantity, 0.04);

  const Item& fizz = f.items[5];
  const Entry* prompt = fizz.block.find("prompt");
  ASSERT_NE(prompt, nullptr);
  EXPECT_TRUE(prompt->value.triple_quoted);
  EXPECT_EQ(prompt->value.text,
            "Write a Python function fizzbuzz(n). Reply with one ```python block.");
  const Entry& tests = fizz.block.entries[4];
  EXPECT_EQ(tests.value.items[0].text,
            "from solution import fizzbuzz\nassert fizzbuzz(15) == \"FizzBuzz\"");
  const Entry* memory = fizz.block.find("sandbox")->block.find("memory");
  EXPECT_EQ(memory->value.kind, ValueKind::kSize);
  EXPECT_DOUBLE_EQ(memory->value.quantity, 512.0 * 1024 * 1024);
}

TEST(Parser, SpansPointAtTheExactText) {
  const Parsed p = parse_ok("task a.b {\n  tags = [x, y]\n  budget { timeout = 5s }\n}\n");
  const Item& task = p.file.items[0];
  EXPECT_EQ(slice(p, task.keyword_span), "task");
  EXPECT_EQ(slice(p, task.name_span), "a.b");
  EXPECT_EQ(slice(p, task.span), "task a.b {\n  tags = [x, y]\n  budget { timeout = 5s }\n}");
  EXPECT_EQ(slice(p, task.block.span).front(), '{');
  const Entry& tags = task.block.entries[0];
  EXPECT_EQ(slice(p, tags.span), "tags = [x, y]");
  EXPECT_EQ(slice(p, tags.name_span), "tags");
  EXPECT_EQ(slice(p, tags.value.span), "[x, y]");
  EXPECT_EQ(slice(p, tags.value.items[1].span), "y");
  const Entry& budget = task.block.entries[1];
  EXPECT_EQ(slice(p, budget.block.span), "{ timeout = 5s }");
  EXPECT_EQ(slice(p, budget.block.entries[0].value.span), "5s");
}

TEST(Parser, CallSpansCoverNameAndArguments) {
  const Parsed p = parse_ok("task t {\n  expect regex(\"a+\", group = 1)\n}");
  const Entry& e = p.file.items[0].block.entries[0];
  EXPECT_EQ(slice(p, e.name_span), "expect");
  EXPECT_EQ(slice(p, e.value.span), "regex(\"a+\", group = 1)");
  EXPECT_EQ(slice(p, e.value.name_span), "regex");
  EXPECT_EQ(slice(p, e.value.entries[0].span), "group = 1");
  EXPECT_EQ(slice(p, e.value.entries[0].name_span), "group");
}

TEST(Parser, KeywordsAreContextual) {
  const Parsed p = parse_ok(
      "task task {\n  task = 1\n  kind = suite\n  expect = 2\n  expect { x = 1 }\n"
      "  expect true\n  tier = include\n}\n");
  const Block& b = p.file.items[0].block;
  EXPECT_EQ(p.file.items[0].name, "task");
  ASSERT_EQ(b.entries.size(), 6u);
  EXPECT_EQ(b.entries[0].name, "task");
  EXPECT_EQ(b.entries[1].value.text, "suite");
  EXPECT_EQ(b.entries[2].kind, EntryKind::kField);
  EXPECT_EQ(b.entries[2].name, "expect");
  EXPECT_EQ(b.entries[3].kind, EntryKind::kSection);
  EXPECT_EQ(b.entries[4].kind, EntryKind::kExpect);
  EXPECT_EQ(b.entries[4].value.kind, ValueKind::kBool);
  EXPECT_EQ(b.entries[5].value.text, "include");
}

TEST(Parser, ValuesOfEveryKind) {
  const Parsed p = parse_ok(
      "defaults {\n  s = \"x\"\n  i = -3\n  f = 2.5\n  b = false\n  d = 250ms\n  z = 1GiB\n"
      "  e = 3J\n  n = a.b\n  l = []\n  m = {}\n  c = f()\n}\n");
  const Block& b = p.file.items[0].block;
  const std::vector<ValueKind> expected = {
      ValueKind::kString,   ValueKind::kInt,  ValueKind::kFloat,  ValueKind::kBool,
      ValueKind::kDuration, ValueKind::kSize, ValueKind::kEnergy, ValueKind::kName,
      ValueKind::kList,     ValueKind::kMap,  ValueKind::kCall};
  ASSERT_EQ(b.entries.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(b.entries[i].value.kind, expected[i]) << b.entries[i].name;
  }
  EXPECT_EQ(b.entries[1].value.integer, -3);
  EXPECT_FALSE(b.entries[3].value.boolean);
  EXPECT_EQ(kind_name(ValueKind::kDuration), "duration");
}

TEST(Parser, ListsAllowLineBreaksAndATrailingComma) {
  const Parsed p = parse_ok("defaults {\n  tags = [\n    a,\n    b,\n  ]\n  one = [a, b]\n}\n");
  const Block& b = p.file.items[0].block;
  EXPECT_EQ(b.entries[0].value.items.size(), 2u);
  EXPECT_TRUE(b.entries[0].value.multiline);
  EXPECT_FALSE(b.entries[1].value.multiline);
}

TEST(Parser, MapsTakeNameOrStringKeysSeparatedByCommasOrLines) {
  const Parsed p =
      parse_ok("task t {\n  files = {\n    \"src/a.py\" = \"x = 1\"\n    b = 2, c = 3,\n  }\n}\n");
  const Value& m = p.file.items[0].block.entries[0].value;
  ASSERT_EQ(m.kind, ValueKind::kMap);
  ASSERT_EQ(m.entries.size(), 3u);
  EXPECT_EQ(m.entries[0].name, "src/a.py");
  EXPECT_TRUE(m.entries[0].quoted);
  EXPECT_EQ(m.entries[2].name, "c");
  EXPECT_FALSE(m.entries[2].quoted);
  EXPECT_TRUE(m.multiline);
}

TEST(Parser, BlocksTakeEntriesSeparatedByCommasOrLines) {
  const Parsed p = parse_ok("tier flash { model = gguf(\"m.gguf\"), concurrency = 2 }\n");
  const Block& b = p.file.items[0].block;
  EXPECT_EQ(b.entries.size(), 2u);
  EXPECT_FALSE(b.multiline);
}

TEST(Parser, ArgumentsMaySpanLines) {
  const Parsed p = parse_ok("task t {\n  expect command(\n    \"make\",\n    exit = 0,\n  )\n}\n");
  const Value& c = p.file.items[0].block.entries[0].value;
  EXPECT_EQ(c.items.size(), 1u);
  EXPECT_EQ(c.entries.size(), 1u);
  EXPECT_TRUE(c.multiline);
}

TEST(Parser, CommentsAttachToTheirNodes) {
  const Parsed p = parse_ok(
      "# header\n"
      "task t {  # open\n"
      "  # about kind\n"
      "  kind = analysis  # after kind\n"
      "\n"
      "  tags = [  # open list\n"
      "    a,  # after a\n"
      "    # before b\n"
      "    b\n"
      "    # end of list\n"
      "  ]\n"
      "  # end of block\n"
      "}  # after task\n"
      "# end of file\n");
  const Item& t = p.file.items[0];
  ASSERT_EQ(t.comments.before.size(), 1u);
  EXPECT_EQ(t.comments.before[0].text, "# header");
  ASSERT_TRUE(t.comments.after.has_value());
  EXPECT_EQ(t.comments.after->text, "# after task");
  EXPECT_EQ(t.block.open_comment->text, "# open");
  const Entry& kind = t.block.entries[0];
  EXPECT_EQ(kind.comments.before[0].text, "# about kind");
  EXPECT_EQ(kind.comments.after->text, "# after kind");
  const Entry& tags = t.block.entries[1];
  EXPECT_TRUE(tags.blank_line_before);
  EXPECT_FALSE(kind.blank_line_before);
  EXPECT_EQ(tags.value.open_comment->text, "# open list");
  EXPECT_EQ(tags.value.items[0].comments.after->text, "# after a");
  EXPECT_EQ(tags.value.items[1].comments.before[0].text, "# before b");
  EXPECT_EQ(tags.value.end_comments[0].text, "# end of list");
  EXPECT_EQ(t.block.end_comments[0].text, "# end of block");
  EXPECT_EQ(p.file.end_comments[0].text, "# end of file");
}

TEST(Parser, NoCommentIsLostInAnyFixture) {
  for (const auto& entry : std::filesystem::directory_iterator(kFixtures)) {
    if (entry.path().extension() != ".pareto") continue;
    const std::string text = read_bytes(entry.path());
    const Parsed p = parse_ok(text);
    std::size_t hashes = 0;
    Diagnostics ignored;
    for (const Token& t : lex(p.source, ignored)) hashes += t.kind == TokenKind::kComment;
    EXPECT_EQ(all_comments(p.file).size(), hashes) << entry.path();
  }
}

// --- errors ---

TEST(Parser, MissingEqualsNamesTheField) {
  const Parsed p = parse_text("task t {\n  promt \"hi\"\n}\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  const Diagnostic& d = p.diagnostics.all()[0];
  EXPECT_EQ(d.message, "expected `=` or `{` after field name `promt`, found a string");
  EXPECT_EQ(d.line, 2);
  EXPECT_EQ(d.column, 9);
  EXPECT_EQ(d.hint, "did you forget `=`? fields are written `promt = value`");
}

TEST(Parser, NameAloneOnALine) {
  const Parsed p = parse_text("task t {\n  prompt\n}\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.diagnostics.all()[0].message, "expected `=` or `{` after field name `prompt`");
  EXPECT_EQ(p.diagnostics.all()[0].span, (Span{17, 17}));  // just after the name
}

TEST(Parser, ColonInsteadOfEqualsGetsAHint) {
  const Parsed p = parse_text("task t {\n  kind: analysis\n}\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.diagnostics.all()[0].hint, "fields are written `kind = value`");
}

TEST(Parser, MissingValue) {
  const Parsed p = parse_text("task t {\n  kind =\n  tags = [a]\n}\n");
  ASSERT_EQ(messages(p.diagnostics), std::vector<std::string>{"expected a value after `kind =`"});
  EXPECT_EQ(p.file.items[0].block.entries.size(), 2u);
  EXPECT_EQ(p.file.items[0].block.entries[0].value.kind, ValueKind::kInvalid);
  EXPECT_EQ(p.file.items[0].block.entries[1].value.items[0].text, "a");
}

TEST(Parser, SingleQuotesGetAHint) {
  const Parsed p = parse_text("task t { prompt = 'hi' }\n");
  ASSERT_FALSE(p.diagnostics.empty());
  EXPECT_EQ(p.diagnostics.all()[0].hint, "strings are written in double quotes: \"...\"");
}

TEST(Parser, ReportsEveryErrorOfTheFileInOnePass) {
  const Parsed p = parse_text(
      "task a {\n"
      "  kind = analysis\n"
      "  promt \"x\"\n"                // 1
      "  tags = [a b]\n"               // 2
      "  budget { timeout = 5sec }\n"  // 3
      "}\n"
      "tsk b {\n"  // 4
      "  kind = x\n"
      "}\n"
      "task c {\n"
      "  x = 1 2\n"  // 5
      "  expect\n"   // 6
      "  y = 3\n"
      "}\n");
  EXPECT_EQ(messages(p.diagnostics),
            (std::vector<std::string>{
                "expected `=` or `{` after field name `promt`, found a string",
                "expected `,` or `]` after the list element, found `b`",
                "unknown unit `sec`",
                "expected an item: `suite`, `include`, `defaults`, `task` or `tier`, found `tsk`",
                "expected a line break or `,` after the value of `x`, found `2`",
                "expected a grader after `expect`",
            }));
  EXPECT_EQ(p.diagnostics.all()[3].hint, "did you mean `task`?");
  // What could be read is kept.
  ASSERT_EQ(p.file.items.size(), 2u);
  EXPECT_EQ(p.file.items[1].name, "c");
  EXPECT_EQ(p.file.items[1].block.find("y")->value.integer, 3);
}

TEST(Parser, UnclosedBlockEndsAtTheNextItemWithANote) {
  const Parsed p = parse_text("task a {\n  kind = x\n\ntask b {\n  kind = y\n}\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  const Diagnostic& d = p.diagnostics.all()[0];
  EXPECT_EQ(d.message, "expected `}` to close task `a`");
  EXPECT_EQ(d.line, 4);
  ASSERT_EQ(d.notes.size(), 1u);
  EXPECT_EQ(d.notes[0].message, "task `a` opened here");
  EXPECT_EQ(d.notes[0].line, 1);
  EXPECT_EQ(d.notes[0].column, 8);
  ASSERT_EQ(p.file.items.size(), 2u);
  EXPECT_EQ(p.file.items[1].block.entries[0].value.text, "y");
}

TEST(Parser, UnclosedBlockAtTheEndOfTheFile) {
  const Parsed p = parse_text("task a {\n  kind = x\n");
  ASSERT_EQ(messages(p.diagnostics), std::vector<std::string>{"expected `}` to close task `a`"});
}

TEST(Parser, UnclosedListBeforeTheNextEntry) {
  const Parsed p = parse_text("task a {\n  tags = [x, y\n  kind = analysis\n}\n");
  ASSERT_EQ(messages(p.diagnostics), std::vector<std::string>{"expected `]` to close the list"});
  EXPECT_EQ(p.diagnostics.all()[0].line, 2);
  EXPECT_EQ(p.diagnostics.all()[0].column, 15);
  EXPECT_EQ(p.file.items[0].block.find("kind")->value.text, "analysis");
}

TEST(Parser, BrokenListRecoversAtItsClosingBracket) {
  const Parsed p = parse_text("task a {\n  tags = [x,, y], kind = analysis\n}\n");
  ASSERT_EQ(messages(p.diagnostics),
            std::vector<std::string>{"expected a value in the list, found `,`"});
  EXPECT_EQ(p.file.items[0].block.find("kind")->value.text, "analysis");
}

TEST(Parser, PositionalArgumentAfterNamedIsAnError) {
  const Parsed p = parse_text("task a {\n  expect exact(answer, weight = 1, 2)\n}\n");
  ASSERT_EQ(messages(p.diagnostics),
            std::vector<std::string>{"positional argument after named arguments"});
  EXPECT_EQ(p.diagnostics.all()[0].column, 36);
}

TEST(Parser, StrayClosingBrace) {
  const Parsed p = parse_text("task a {\n}\n}\ntask b {}\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.diagnostics.all()[0].hint,
            "this `}` closes nothing; is there one `}` too many above?");
  EXPECT_EQ(p.file.items.size(), 2u);
}

TEST(Parser, FieldsOutsideABlock) {
  const Parsed p = parse_text("kind = analysis\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.diagnostics.all()[0].hint,
            "fields and sections belong inside a `task NAME { ... }` or `defaults { ... }` block");
}

TEST(Parser, ItemHeadersAreChecked) {
  EXPECT_EQ(messages(parse_text("task \"x\" {}\n").diagnostics),
            std::vector<std::string>{"expected a task name after `task`, found a string"});
  EXPECT_EQ(parse_text("task \"x\" {}\n").diagnostics.all()[0].hint,
            "task names are not quoted: task py.fizzbuzz { ... }");
  EXPECT_EQ(messages(parse_text("include common\n").diagnostics),
            std::vector<std::string>{"expected a path string after `include`, found `common`"});
  EXPECT_EQ(messages(parse_text("tier flash\n").diagnostics),
            std::vector<std::string>{"expected `{` after tier name `flash`"});
  EXPECT_EQ(messages(parse_text("suite a \"t\" extra\n").diagnostics),
            std::vector<std::string>{"expected a line break after the suite, found `extra`"});
  EXPECT_EQ(messages(parse_text("defaults = 1\n").diagnostics),
            std::vector<std::string>{"expected `{` after `defaults`, found `=`"});
}

TEST(Parser, ErrorsInStringsDoNotCascade) {
  const Parsed p = parse_text("task a {\n  prompt = \"open\n  kind = x\n}\n");
  ASSERT_EQ(messages(p.diagnostics), std::vector<std::string>{"unterminated string"});
  EXPECT_EQ(p.file.items[0].block.entries[0].value.kind, ValueKind::kInvalid);
  EXPECT_EQ(p.file.items[0].block.entries[1].value.text, "x");
}

// --- bad input never crashes ---

TEST(Parser, DeepNestingIsOneErrorNotAStackOverflow) {
  for (const char* open : {"[", "{a = ", "f("}) {
    std::string text = "task t {\n  x = ";
    for (int i = 0; i < 100000; ++i) text += open;
    text += "\n}\n";
    const Parsed p = parse_text(text);
    ASSERT_EQ(messages(p.diagnostics).front(), "nesting is deeper than 64 levels") << open;
  }
  std::string sections = "task t {\n";
  for (int i = 0; i < 100000; ++i) sections += "s {";
  const Parsed p = parse_text(sections);
  EXPECT_EQ(messages(p.diagnostics).front(), "nesting is deeper than 64 levels");
}

TEST(Parser, NestingUpToTheLimitIsFine) {
  std::string text = "task t {\n  x = ";
  for (int i = 0; i < 63; ++i) text += "[";
  for (int i = 0; i < 63; ++i) text += "]";
  text += "\n}\n";
  parse_ok(text);  // the task block is level 1, so 63 lists make 64
  ParseOptions shallow;
  shallow.max_depth = 3;
  EXPECT_EQ(messages(parse_text("task t { x = [[[1]]] }", shallow).diagnostics),
            std::vector<std::string>{"nesting is deeper than 3 levels"});
}

TEST(Parser, EveryPrefixOfAValidFileParsesWithoutCrashing) {
  const std::string text = read_bytes(kFixtures / "full.pareto");
  for (std::size_t n = 0; n <= text.size(); ++n) {
    const Parsed p = parse_text(text.substr(0, n));
    EXPECT_LE(p.diagnostics.size(), 101u);
  }
}

TEST(Parser, RandomBytesGiveBoundedErrors) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 200; ++round) {
    std::string text(static_cast<std::size_t>(rng() % 4096), '\0');
    for (char& c : text) c = static_cast<char>(rng() & 0xFF);
    const Parsed p = parse_text(text);
    EXPECT_LE(p.diagnostics.size(), 101u);
  }
}

TEST(Parser, SpliceGarbageIntoAValidFile) {
  const std::string text = read_bytes(kFixtures / "full.pareto");
  const std::string garbage[] = {std::string("\0", 1),
                                 "\xFF\xFE",
                                 "{",
                                 "}",
                                 "[",
                                 "\"",
                                 "\"\"\"",
                                 "(",
                                 "=",
                                 ",",
                                 "#",
                                 "\n",
                                 "-",
                                 "1e",
                                 "\\"};
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string t = text;
    for (int k = 0; k < 3; ++k) {
      t.insert(rng() % (t.size() + 1), garbage[rng() % std::size(garbage)]);
    }
    const Parsed p = parse_text(t);
    EXPECT_LE(p.diagnostics.size(), 101u);
  }
}

TEST(Parser, ManyErrorsAreCapped) {
  std::string text = "task t {\n";
  for (int i = 0; i < 500; ++i) text += "  bad entry\n";
  const Parsed p = parse_text(text);
  ASSERT_EQ(p.diagnostics.size(), 101u);
  EXPECT_EQ(p.diagnostics.all().back().message,
            "too many errors (100); not reporting more in this file");
}

TEST(Parser, EmptyAndCommentOnlyFiles) {
  EXPECT_TRUE(parse_ok("").file.items.empty());
  const Parsed p = parse_ok("\n# only a comment\n\n");
  EXPECT_TRUE(p.file.items.empty());
  EXPECT_EQ(p.file.end_comments.size(), 1u);
}

// Golden diagnostics: each errors/NAME.pareto renders exactly as errors/NAME.expected.
TEST(Parser, ErrorFixturesRenderAsExpected) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kFixtures / "errors")) {
    if (entry.path().extension() != ".pareto") continue;
    const SourceFile source(entry.path().filename().string(), read_bytes(entry.path()));
    Diagnostics diagnostics;
    parse_file(source, diagnostics);
    std::filesystem::path expected = entry.path();
    expected.replace_extension(".expected");
    EXPECT_EQ(diagnostics.render(), read_bytes(expected)) << entry.path();
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

}  // namespace
}  // namespace pareto::spec
