// The checker on specs held in memory: one test per behaviour, each diagnostic's message and
// place (line:col) asserted.
#include "spec/checker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/spec/checker_test_util.h"

namespace pareto::spec {
namespace {

using testing::check_text;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::messages;

// The first diagnostic's hint.
std::string hint(const CheckResult& r) {
  return r.diagnostics.empty() ? "" : r.diagnostics.all().front().hint;
}

const Task& only_task(const CheckResult& r) {
  EXPECT_EQ(r.project.suites.size(), 1u);
  EXPECT_EQ(r.project.suites.at(0).tasks.size(), 1u);
  return r.project.suites.at(0).tasks.at(0);
}

TEST(Checker, AcceptsAnAnalysisTaskAndBuildsItsModel) {
  auto r = check_text(R"x(suite core.arith "Integer arithmetic"
task add3 {
  kind    = analysis
  tags    = [arithmetic, addition]
  system  = "You are precise."
  prompt  = "Compute {{a}} + {{b}}. Answer with the number only."
  samples = generate(pairs, count = 5, seed = 7, digits = 3)
  extract = last_number
  expect number(answer, tolerance = 0)
  expect contains("{{answer}}", weight = 0.5)
  budget { max_tokens = 8, timeout = 5s, max_energy = 40mJ }
}
)x");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  EXPECT_THAT(messages(r), IsEmpty());
  const Suite& suite = r.project.suites.at(0);
  EXPECT_EQ(suite.name, "core.arith");
  EXPECT_EQ(suite.title, "Integer arithmetic");
  const Task& t = only_task(r);
  EXPECT_EQ(t.id, "add3");
  EXPECT_EQ(t.suite, "core.arith");
  EXPECT_EQ(t.kind, TaskKind::kAnalysis);
  EXPECT_THAT(t.tags, ElementsAre("arithmetic", "addition"));
  EXPECT_EQ(t.system, "You are precise.");
  EXPECT_EQ(t.source.kind, SampleSource::Kind::kGenerate);
  EXPECT_EQ(t.source.generator, "pairs");
  EXPECT_EQ(t.source.count, 5u);
  EXPECT_EQ(t.source.seed, 7u);
  EXPECT_EQ(t.source.params["digits"], 3);
  EXPECT_EQ(t.source.params["fractional"], false);  // defaults filled in
  ASSERT_EQ(t.samples.size(), 5u);
  EXPECT_EQ(t.samples[0].fields["a"], 7);
  EXPECT_THAT(t.sample_fields, ElementsAre("a", "answer", "b"));
  EXPECT_EQ(t.extract.kind, Extraction::Kind::kLastNumber);
  ASSERT_EQ(t.graders.size(), 2u);
  const auto& number = std::get<NumberGrader>(t.graders[0].spec);
  EXPECT_EQ(number.expected.field, "answer");
  EXPECT_EQ(number.tolerance, 0.0);
  EXPECT_EQ(t.graders[0].weight, 1.0);
  EXPECT_EQ(t.graders[0].origin.line, 9);
  const auto& contains = std::get<ContainsGrader>(t.graders[1].spec);
  EXPECT_EQ(contains.text.literal, "{{answer}}");
  EXPECT_EQ(t.graders[1].weight, 0.5);
  EXPECT_EQ(t.budget.max_tokens, 8);
  EXPECT_EQ(t.budget.timeout, std::chrono::seconds(5));
  EXPECT_DOUBLE_EQ(*t.budget.max_energy, 0.04);
  EXPECT_FALSE(t.budget.max_steps.has_value());
  EXPECT_EQ(t.origin.line, 2);
  EXPECT_EQ(t.origin.column, 6);
}

TEST(Checker, SuiteNameDefaultsToTheFileStem) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "Say hi only.", expect contains("hi")
})x");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  EXPECT_EQ(r.project.suites.at(0).name, "main");
}

TEST(Checker, TaskWithoutSamplesRunsOnOneEmptySample) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "Say hi only.", expect contains("hi")
})x");
  const Task& t = only_task(r);
  EXPECT_EQ(t.source.kind, SampleSource::Kind::kNone);
  ASSERT_EQ(t.samples.size(), 1u);
  EXPECT_EQ(t.samples[0].fields, nlohmann::json::object());
}

TEST(Checker, InlineSamplesBecomeSamples) {
  auto r = check_text(R"x(task add.inline {
  kind = analysis
  tags = [x]
  prompt = "{{q}} Answer with the number only."
  sample { q = "2+2?", answer = 4 }
  sample { q = "3+4?", answer = 7, extra = [1, {k = true}] }
  expect exact(answer, normalize = [case, whitespace])
})x");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  const Task& t = only_task(r);
  EXPECT_EQ(t.source.kind, SampleSource::Kind::kInline);
  ASSERT_EQ(t.samples.size(), 2u);
  EXPECT_EQ(t.samples[0].id, "1");
  EXPECT_EQ(t.samples[1].fields["extra"], nlohmann::json::parse(R"x([1, {"k": true}])x"));
  EXPECT_THAT(t.sample_fields, ElementsAre("answer", "q"));  // fields every sample has
  const auto& exact = std::get<ExactGrader>(t.graders[0].spec);
  EXPECT_TRUE(exact.ignore_case);
  EXPECT_TRUE(exact.collapse_whitespace);
  EXPECT_FALSE(exact.strip_punctuation);
}

TEST(Checker, UnknownFieldSuggestsTheClosestOne) {
  auto r = check_text(R"x(task t {
  kind = analysis
  tags = [x]
  promt = "hi"
  prompt = "Say hi only."
  expect contains("hi")
})x");
  EXPECT_THAT(messages(r), ElementsAre("4:3: unknown field `promt` in task `t`"));
  EXPECT_EQ(hint(r), "did you mean `prompt`?");
}

TEST(Checker, MisspeltRequiredFieldIsOneErrorNotTwo) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x]
  promt = "Say hi only."
  expect contains("hi")
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:3: unknown field `promt` in task `t`"));
}

TEST(Checker, MissingRequiredFieldsAreErrorsAtTheTaskName) {
  auto r = check_text("task t {\n  tags = [x]\n}\n");
  EXPECT_THAT(messages(r),
              ElementsAre("1:6: task `t` has no `kind`", "1:6: task `t` has no `prompt`",
                          "1:6: task `t` has no `expect`: nothing grades it"));
}

TEST(Checker, MissingFieldIsNotReportedWhenTheTaskHasASyntaxError) {
  auto r = check_text("task t {\n  kind = analysis\n  prompt = \n  expect contains(\"x\")\n}\n");
  for (const auto& m : messages(r)) EXPECT_THAT(m, ::testing::Not(::testing::HasSubstr("has no")));
  EXPECT_FALSE(r.diagnostics.empty());
  EXPECT_FALSE(r.ok());
}

TEST(Checker, WrongTypeNamesBothTypes) {
  auto r = check_text(R"x(task t {
  kind = analysis
  tags = [x]
  prompt = 42
  temperature = "hot"
  expect contains("hi")
})x");
  EXPECT_THAT(messages(r), ElementsAre("4:12: `prompt` must be a string, not an integer",
                                       "5:17: `temperature` must be a number, not a string"));
}

TEST(Checker, UnknownEnumValueSuggestsTheClosest) {
  auto r = check_text(R"x(task t {
  kind = analyis
  tags = [x]
  prompt = "x only"
  expect contains("x")
})x");
  EXPECT_THAT(messages(r),
              ElementsAre("2:10: `kind` must be one of analysis, coding or agent, not `analyis`"));
  EXPECT_EQ(hint(r), "did you mean `analysis`?");
}

TEST(Checker, QuotedEnumValueGetsAHint) {
  auto r = check_text(R"x(task t {
  kind = "coding"
  language = python
  reference = "x"
  tags = [x]
  prompt = "x"
  expect contains("x")
})x");
  EXPECT_THAT(messages(r), ElementsAre("2:10: `kind` must be one of analysis, coding or agent, "
                                       "not a string"));
  EXPECT_EQ(hint(r), "write it without quotes: coding");
}

TEST(Checker, FieldSetTwiceIsAnErrorWithANoteAtTheFirst) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x]
  prompt = "a"
  prompt = "b"
  expect contains("a")
})x");
  ASSERT_THAT(messages(r), ElementsAre("4:3: `prompt` is set twice in task `t`"));
  ASSERT_EQ(r.diagnostics.all()[0].notes.size(), 1u);
  EXPECT_EQ(r.diagnostics.all()[0].notes[0].line, 3);
}

TEST(Checker, SectionWrittenAsFieldAndFieldAsSection) {
  auto r = check_text(R"x(task t {
  kind = analysis
  tags = [x]
  prompt { text = "a" }
  budget = 5
  expect contains("a")
})x");
  EXPECT_THAT(messages(r),
              ElementsAre("4:3: `prompt` is a field, not a section", "5:3: `budget` is a section"));
}

TEST(Checker, DuplicateTaskIdInOneFile) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "a only", expect contains("a")
}
task t {
  kind = analysis, tags = [x], prompt = "b only", expect contains("b")
}
)x");
  EXPECT_THAT(messages(r), ElementsAre("4:6: task `t` is defined twice in suite `main`"));
  ASSERT_EQ(r.diagnostics.all()[0].notes.size(), 1u);
  EXPECT_EQ(r.diagnostics.all()[0].notes[0].line, 1);
}

TEST(Checker, AllErrorsOfAFileInOnePass) {
  auto r = check_text(R"x(task a {
  kind = analysis, tags = [x], prompt = "x only", expect contains("x")
  colour = red
}
task b {
  kind = analysis, tags = [x], prompt = "x only", expect nope("x")
}
task c {
  kind = analysis, tags = [x], prompt = "{{missing}}", expect contains("x")
}
)x");
  EXPECT_THAT(messages(r),
              ElementsAre("3:3: unknown field `colour` in task `a`", "6:58: unknown grader `nope`",
                          "9:42: unknown template variable `missing`"));
}

TEST(Checker, TemplateVariableIsCheckedAtItsOwnSpan) {
  auto r = check_text(R"x(task t {
  kind = analysis
  tags = [x]
  prompt = "Compute {{a}} + {{c}}. Answer only."
  samples = generate(pairs, count = 3)
  expect number(answer)
})x");
  EXPECT_THAT(messages(r), ElementsAre("4:29: unknown template variable `c`"));
  EXPECT_EQ(hint(r), "the samples have a, answer, b");
  EXPECT_EQ(r.diagnostics.all()[0].caret_width, 5);  // under `{{c}}`
}

TEST(Checker, TemplateInATripleQuotedBlockPointsIntoTheBlock) {
  auto r = check_text(
      "task t {\n  kind = analysis\n  tags = [x]\n  prompt = \"\"\"\n"
      "    First line only.\n    Then {{ nope }} here.\n    \"\"\"\n"
      "  samples = generate(pairs, count = 1)\n  expect number(answer)\n}\n");
  EXPECT_THAT(messages(r), ElementsAre("6:10: unknown template variable `nope`"));
}

TEST(Checker, TemplateWithoutSamplesSaysSo) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "{{q}} only", expect contains("x")
})x");
  EXPECT_THAT(messages(r), ElementsAre("2:42: unknown template variable `q`"));
  EXPECT_EQ(hint(r), "this task has no samples: add `sample { ... }` sections or `samples = ...`");
}

TEST(Checker, InlineSampleLackingAUsedField) {
  auto r = check_text(R"x(task t {
  kind = analysis
  tags = [x]
  prompt = "{{q}} Answer only."
  sample { q = "1+1", answer = 2 }
  sample { answer = 3 }
  expect exact(answer)
})x");
  EXPECT_THAT(messages(r), ElementsAre("6:3: this sample has no field `q`"));
  EXPECT_EQ(hint(r), "the prompt uses `q`; every sample needs it");
}

TEST(Checker, BareNameArgumentIsASampleField) {
  auto r = check_text(R"x(task t {
  kind = analysis
  tags = [x]
  prompt = "{{q}} Answer only."
  sample { q = "1+1", answer = 2 }
  expect exact(anwser)
})x");
  EXPECT_THAT(messages(r), ElementsAre("6:16: unknown sample field `anwser`"));
  EXPECT_EQ(hint(r), "did you mean `answer`?");
}

TEST(Checker, SampleValuesMustBeLiterals) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "{{q}} only"
  sample { q = yes, t = 5s }
  expect contains("x")
})x");
  EXPECT_THAT(messages(r),
              ElementsAre("3:16: sample field `q` must be a literal value, not the name `yes`",
                          "3:25: sample field `t` must be a string, number, boolean, list or map, "
                          "not a duration"));
}

TEST(Checker, SamplesAndInlineSamplesTogetherAreAnError) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "{{a}} only"
  samples = generate(pairs, count = 2)
  sample { a = 1 }
  expect contains("x")
})x");
  EXPECT_THAT(
      messages(r),
      ElementsAre("4:3: a task takes `samples = ...` or `sample { ... }` sections, not both"));
}

TEST(Checker, UnknownGeneratorSuggestsTheClosest) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  samples = generate(pairz, count = 2)
  expect contains("x")
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:22: unknown generator `pairz`"));
  EXPECT_EQ(hint(r), "did you mean `pairs`?");
}

TEST(Checker, UnknownGeneratorParameterIsAnErrorWithAHint) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "{{a}} only"
  samples = generate(pairs, count = 2, digit = 3)
  expect contains("x")
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:40: unknown parameter `digit` for generator `pairs`"));
  EXPECT_EQ(hint(r), "did you mean `digits`?");
}

TEST(Checker, TemplatesAreCheckedEvenWhenGeneratorParametersAreWrong) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "{{c}} only"
  samples = generate(pairs, count = 2, digit = 3)
  expect contains("x")
})x");
  EXPECT_THAT(messages(r), ElementsAre("2:42: unknown template variable `c`",
                                       "3:40: unknown parameter `digit` for generator `pairs`"));
}

TEST(Checker, GeneratorParameterOutOfRange) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "{{a}} only"
  samples = generate(pairs, count = 2, digits = 12)
  expect contains("x")
})x");
  ASSERT_EQ(messages(r).size(), 1u);
  EXPECT_THAT(messages(r)[0], ::testing::StartsWith("3:40: "));
  EXPECT_THAT(messages(r)[0], ::testing::HasSubstr("digits"));
}

TEST(Checker, GenerateNeedsACount) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  samples = generate(pairs, seed = 2)
  expect contains("x")
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:13: `generate` needs `count`: how many samples to draw"));
}

TEST(Checker, GenerateCountMustBePositive) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  samples = generate(pairs, count = 0)
  expect contains("x")
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:37: `count` must be from 1 to 100000, not 0"));
}

TEST(Checker, UnknownSampleSource) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  samples = json("x.jsonl")
  expect contains("x")
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:13: unknown sample source `json`"));
  EXPECT_EQ(hint(r), "did you mean `jsonl`?");
}

TEST(Checker, MissingDataFileIsAnErrorAtThePath) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "{{q}} only"
  samples = jsonl("nowhere.jsonl")
  expect exact(answer)
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:19: data file `/t/nowhere.jsonl` does not exist"));
}

TEST(Checker, UnknownGrader) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  expect exatc("x")
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:10: unknown grader `exatc`"));
  EXPECT_EQ(hint(r), "did you mean `exact`?");
}

TEST(Checker, UnknownGraderParameter) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  expect exact("x", normalise = [case])
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:21: `exact` has no parameter `normalise`"));
  EXPECT_EQ(hint(r), "did you mean `normalize`?");
}

TEST(Checker, GraderNeedsItsRequiredArgument) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  expect exact(normalize = [case])
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:10: `exact` needs `expected`"));
}

TEST(Checker, TooManyPositionalArguments) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  expect contains("a", "b")
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:24: `contains` takes at most 1 positional argument"));
}

TEST(Checker, GraderArgumentsAreTypeChecked) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  expect number("seven", tolerance = "a lot")
  expect contains("x", case_sensitive = 1, weight = 0)
  expect judge("good?", threshold = 1.5)
})x");
  EXPECT_THAT(messages(r),
              ElementsAre("3:17: `expected` must be a number or a sample field, not a string",
                          "3:38: `tolerance` must be a number, not a string",
                          "4:41: `case_sensitive` must be true or false, not an integer",
                          "4:53: `weight` must be more than zero",
                          "5:37: `threshold` must be from 0 to 1, not 1.5"));
}

TEST(Checker, RegexIsCompiledAtCheckTime) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  expect regex("(unclosed")
})x");
  ASSERT_EQ(messages(r).size(), 1u);
  EXPECT_THAT(messages(r)[0], ::testing::StartsWith("3:16: invalid regex: "));
}

TEST(Checker, RegexGroupMustExist) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  expect regex("a(b)", group = 2)
})x");
  EXPECT_THAT(messages(r),
              ElementsAre("3:32: the pattern has 1 capturing group, so there is no group 2"));
}

TEST(Checker, JsonPathIsValidated) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  expect json(path = "$.a..b", equals = 3)
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:22: invalid JSON path: expected a key after `.` "
                                       "(at character 5)"));
}

TEST(Checker, BareGraderNameIsACallWithoutArguments) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "Reply with JSON only.", expect json
})x");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  EXPECT_EQ(std::get<JsonGrader>(only_task(r).graders[0].spec).path, "$");
}

TEST(Checker, GradersThatDoNotApplyToTheKind) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  expect tests("assert True")
  expect command("true")
  expect unchanged("a.txt")
})x");
  EXPECT_THAT(messages(r),
              ElementsAre("3:10: `tests` grades coding tasks only",
                          "4:10: `command` grades coding and agent tasks only: analysis tasks "
                          "have no workspace",
                          "5:10: `unchanged` grades agent workspaces only"));
}

TEST(Checker, CodingTaskNeedsALanguageAndDefaultsToItsCodeBlock) {
  auto r = check_text(R"x(task py.f {
  kind = coding
  tags = [x]
  prompt = "Write f."
  expect tests("from solution import f")
})x");
  EXPECT_THAT(messages(r), ElementsAre("1:6: coding task `py.f` has no `language`",
                                       "1:6: coding task `py.f` has no reference solution"));
  EXPECT_EQ(r.diagnostics.all()[1].severity, Severity::kWarning);  // a lint, not strict

  auto ok = check_text(R"x(task py.f {
  kind = coding
  language = python
  tags = [x]
  prompt = "Write f."
  files = {"data.txt" = "1 2 3"}
  expect tests("from solution import f")
  reference = "def f(): pass"
  sandbox { network = off, memory = 256MiB, cpu = 2s, wall = 1m, procs = 4 }
})x");
  ASSERT_TRUE(ok.ok()) << ok.diagnostics.render();
  const Task& t = only_task(ok);
  EXPECT_EQ(t.language, Language::kPython);
  EXPECT_EQ(t.extract.kind, Extraction::Kind::kCodeBlock);
  EXPECT_EQ(t.extract.language, Language::kPython);
  EXPECT_EQ(std::get<TestsGrader>(t.graders[0].spec).language, Language::kPython);
  EXPECT_EQ(t.files.at("data.txt"), "1 2 3");
  EXPECT_EQ(t.sandbox.memory, 256u << 20);
  EXPECT_EQ(t.sandbox.wall, std::chrono::minutes(1));
  EXPECT_EQ(t.sandbox.procs, 4);
  EXPECT_EQ(t.sandbox.file_size, Sandbox{}.file_size);  // unset limits keep their defaults
}

TEST(Checker, FieldsThatDoNotApplyToTheKind) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  language = python
  reference = "x"
  workspace = dir("w")
  budget { max_steps = 3 }
  agent { tools = [shell] }
  expect contains("x")
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:3: `language` applies to coding and agent tasks",
                                       "4:3: `reference` applies to coding tasks only",
                                       "5:3: `workspace` applies to agent tasks only",
                                       "6:12: `max_steps` applies to agent tasks only",
                                       "7:3: the `agent` section applies to agent tasks only"));
}

TEST(Checker, QuantitiesNeedTheirUnits) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  budget { timeout = 5, max_energy = 2MiB }
  sandbox { memory = 10s, network = maybe }
  expect contains("x")
})x");
  EXPECT_THAT(messages(r),
              ElementsAre("3:22: `timeout` must be a duration such as 5s or 250ms, not an integer",
                          "3:38: `max_energy` must be an energy such as 40mJ or 2J, not a size",
                          "4:22: `memory` must be a size such as 512MiB or 64KB, not a duration",
                          "4:37: `network` must be one of off or on, not `maybe`"));
  EXPECT_EQ(hint(r), "write a unit: 5s");
}

TEST(Checker, UnknownSectionFieldSuggests) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  budget { max_tokenz = 5 }
  expect contains("x")
})x");
  EXPECT_THAT(messages(r), ElementsAre("3:12: unknown field `max_tokenz` in `budget`"));
  EXPECT_EQ(hint(r), "did you mean `max_tokens`?");
}

TEST(Checker, ExtractForms) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "Answer: <n>, only."
  extract = regex("Answer: (\\d+)", group = 1)
  expect contains("x")
})x");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  const Extraction& x = only_task(r).extract;
  EXPECT_EQ(x.kind, Extraction::Kind::kRegex);
  EXPECT_EQ(x.pattern, "Answer: (\\d+)");
  EXPECT_EQ(x.group, 1);

  auto bad = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "only"
  extract = last_nmber
  expect contains("x")
})x");
  EXPECT_THAT(messages(bad), ElementsAre("3:13: unknown extraction `last_nmber`"));
  EXPECT_EQ(hint(bad), "did you mean `last_number`?");
}

TEST(Checker, DefaultsAreMergedUnderEachTask) {
  auto r = check_text(R"x(defaults {
  kind = analysis
  tags = [arithmetic]
  budget { max_tokens = 16, timeout = 5s }
  sandbox { memory = 1GiB }
}
task a {
  prompt = "a only"
  expect contains("a")
}
task b {
  tags = [other]
  prompt = "b only"
  budget { max_tokens = 8 }
  expect contains("b")
}
)x");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  const auto& tasks = r.project.suites.at(0).tasks;
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].kind, TaskKind::kAnalysis);
  EXPECT_THAT(tasks[0].tags, ElementsAre("arithmetic"));
  EXPECT_EQ(tasks[0].budget.max_tokens, 16);
  EXPECT_THAT(tasks[1].tags, ElementsAre("other"));  // a task's own value replaces it
  EXPECT_EQ(tasks[1].budget.max_tokens, 8);          // sections merge key by key
  EXPECT_EQ(tasks[1].budget.timeout, std::chrono::seconds(5));
  EXPECT_EQ(tasks[1].sandbox.memory, 1ull << 30);
}

TEST(Checker, DefaultsErrorsAreReportedOnceAtTheDefaults) {
  auto r = check_text(R"x(defaults {
  kind = analysis
  tags = [x]
  temprature = 0.5
  budget { timeout = 5 }
}
task a { prompt = "a only", expect contains("a") }
task b { prompt = "b only", expect contains("b") }
)x");
  EXPECT_THAT(
      messages(r),
      ElementsAre("4:3: unknown field `temprature` in `defaults`",
                  "5:22: `timeout` must be a duration such as 5s or 250ms, not an integer"));
}

TEST(Checker, DefaultsCannotHoldExpectOrSamples) {
  auto r = check_text(R"x(defaults {
  expect contains("x")
  sample { a = 1 }
}
)x");
  EXPECT_THAT(messages(r),
              ElementsAre("2:3: `expect` is not allowed in `defaults`",
                          "3:3: unknown field `sample` in `defaults`",
                          "3:3: `sample` sections belong in a task, not in `defaults`"));
}

TEST(Checker, DefaultThatDoesNotApplyToAKindIsIgnored) {
  auto r = check_text(R"x(defaults { language = python, tags = [x] }
task a { kind = analysis, prompt = "a only", expect contains("a") }
task b { kind = coding, prompt = "b", reference = "x", expect tests("pass") }
)x");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  EXPECT_FALSE(r.project.suites[0].tasks[0].language.has_value());
  EXPECT_EQ(r.project.suites[0].tasks[1].language, Language::kPython);
}

TEST(Checker, TemplateFromDefaultsNamesTheTask) {
  auto r = check_text(R"x(defaults { prompt = "{{q}} only", kind = analysis, tags = [x] }
task a { sample { q = "x" }, expect contains("a") }
task b { expect contains("b") }
)x");
  EXPECT_THAT(messages(r), ElementsAre("1:22: unknown template variable `q` (from `defaults`, in "
                                       "task `b`)"));
}

TEST(Checker, TwoDefaultsBlocksAreAnError) {
  auto r = check_text("defaults { tags = [x] }\ndefaults { kind = analysis }\n");
  EXPECT_THAT(messages(r), ElementsAre("2:1: a file has one `defaults` block"));
}

TEST(Checker, AgentTaskNeedsTools) {
  auto r = check_text(R"x(task fix {
  kind = agent, tags = [x], prompt = "Fix it."
  expect command("make test")
})x");
  EXPECT_THAT(messages(r),
              ElementsAre("1:6: agent task `fix` does not say which tools the agent may use"));
}

TEST(Checker, AgentToolsAreChecked) {
  auto r = check_text(R"x(task fix {
  kind = agent, tags = [x], prompt = "Fix it."
  agent { tools = [shell, raed_file, shell], max_steps = 0 }
  expect command("make test")
})x");
  EXPECT_THAT(messages(r),
              ElementsAre("3:27: unknown item `raed_file` in `tools`; expected shell, read_file, "
                          "write_file, list_files or submit",
                          "3:38: `shell` appears twice in `tools`",
                          "3:58: `max_steps` must be from 1 to 1000000, not 0"));
}

TEST(Checker, AgentStepsDefaultAndConflict) {
  auto r = check_text(R"x(task fix {
  kind = agent, tags = [x], prompt = "Fix it."
  agent { tools = [shell, submit] }
  expect command("make test", exit = 0)
  expect unchanged("tests/")
})x");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  const Task& t = only_task(r);
  EXPECT_EQ(t.budget.max_steps, 20);
  EXPECT_THAT(t.agent->tools, ElementsAre("shell", "submit"));

  auto bad = check_text(R"x(task fix {
  kind = agent, tags = [x], prompt = "Fix it."
  agent { tools = [shell], max_steps = 5 }
  budget { max_steps = 6 }
  expect command("make test")
})x");
  EXPECT_THAT(messages(bad),
              ElementsAre("3:40: `max_steps` is 5 here but 6 in `budget`; set it in one place"));
}

TEST(Checker, WorkspaceMustExist) {
  auto r = check_text(R"x(task fix {
  kind = agent, tags = [x], prompt = "Fix it."
  workspace = dir("workspaces/none")
  agent { tools = [shell] }
  expect command("make test")
})x");
  EXPECT_THAT(messages(r),
              ElementsAre("3:19: workspace folder `/t/workspaces/none` does not exist"));
}

TEST(Checker, FilesMustStayInTheWorkspace) {
  auto r = check_text(R"x(task t {
  kind = coding, language = python, tags = [x], prompt = "p", reference = "r"
  files = {"../up.py" = "x", "/abs.py" = "y", "ok.py" = 3}
  expect tests("pass")
})x");
  EXPECT_THAT(messages(r),
              ElementsAre("3:12: `../up.py` must be a file name relative to the workspace",
                          "3:30: `/abs.py` must be a file name relative to the workspace",
                          "3:57: file `ok.py` must be a string, not an integer"));
}

// ---------------------------------------------------------------------------------------------
// Lints

TEST(Lints, TaskWithoutTagsIsAWarningAndAnErrorUnderStrict) {
  const std::string text = R"x(task t {
  kind = analysis, prompt = "x only", expect contains("x")
})x";
  auto plain = check_text(text);
  EXPECT_TRUE(plain.ok());
  EXPECT_THAT(messages(plain), ElementsAre("1:6: task `t` has no tags"));
  EXPECT_EQ(plain.diagnostics.all()[0].severity, Severity::kWarning);
  auto strict = check_text(text, true);
  EXPECT_FALSE(strict.ok());
  EXPECT_EQ(strict.diagnostics.all()[0].severity, Severity::kError);
}

TEST(Lints, CodingTaskWithoutReference) {
  auto r = check_text(R"x(task t {
  kind = coding, language = python, tags = [x], prompt = "p"
  expect tests("pass")
})x",
                      true);
  EXPECT_THAT(messages(r), ElementsAre("1:6: coding task `t` has no reference solution"));
}

TEST(Lints, ExactGraderWithAPromptThatNeverSaysTheForm) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x]
  prompt = "What is {{q}}?"
  sample { q = "2+2", answer = 4 }
  expect exact(answer)
})x",
                      true);
  EXPECT_THAT(messages(r), ElementsAre("5:10: `exact` compares the whole answer, but the prompt "
                                       "never says what form the answer takes"));
  auto fine = check_text(R"x(task t {
  kind = analysis, tags = [x]
  prompt = "What is {{q}}? Answer with the number only."
  sample { q = "2+2", answer = 4 }
  expect exact(answer)
})x",
                         true);
  EXPECT_TRUE(fine.ok()) << fine.diagnostics.render();
}

TEST(Lints, NumberGraderWithoutToleranceOnFloatAnswers) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "{{a}} only"
  samples = generate(pairs, count = 3, fractional = true)
  expect number(answer)
})x",
                      true);
  EXPECT_THAT(messages(r), ElementsAre("4:10: `number` has no tolerance, but the expected answers "
                                       "are not whole numbers"));
  auto whole = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "{{a}} only"
  samples = generate(pairs, count = 3)
  expect number(answer)
})x",
                          true);
  EXPECT_TRUE(whole.ok()) << whole.diagnostics.render();
}

TEST(Lints, RegexThatCannotMatchTheExpectedAnswer) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "Answer yes or no only."
  sample { answer = "yes" }
  sample { answer = "No" }
  expect regex("^(yes|no)$")
})x",
                      true);
  EXPECT_THAT(messages(r),
              ElementsAre("5:16: the regex cannot match the expected answer `No` of sample 2"));
}

TEST(Lints, RegexGroupMustBeAbleToEqualTheExpectedValue) {
  auto r = check_text(R"x(task t {
  kind = analysis, tags = [x], prompt = "Reply with: Answer: <n> only."
  sample { answer = 12 }
  sample { answer = -3 }
  expect regex("Answer: (\\d+)", group = 1, equals = answer)
})x",
                      true);
  EXPECT_THAT(messages(r),
              ElementsAre("5:16: the regex cannot match the expected answer `-3` of sample 2"));
}

// ---------------------------------------------------------------------------------------------
// Tiers

TEST(Tiers, ChecksGgufAndOpenAiTiers) {
  auto r = check_text(R"x(tier flash { model = gguf("models/flash.gguf", context = 2048) }
tier ultra {
  model = openai(url = "https://api.example.com/v1", name = "big-model", api_key_env = "EXAMPLE_API_KEY")
  concurrency = 8
  joules_per_token = 0.3J
}
)x");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  EXPECT_TRUE(r.project.suites.empty());  // a tier file is not a suite
  ASSERT_EQ(r.project.tiers.size(), 2u);
  const auto& flash = std::get<GgufModel>(r.project.tiers[0].model);
  EXPECT_EQ(flash.path, std::filesystem::path("/t/models/flash.gguf"));
  EXPECT_EQ(flash.context, 2048);
  const auto& ultra = std::get<OpenAiModel>(r.project.tiers[1].model);
  EXPECT_EQ(ultra.url, "https://api.example.com/v1");
  EXPECT_EQ(ultra.name, "big-model");
  EXPECT_EQ(ultra.api_key_env, "EXAMPLE_API_KEY");
  EXPECT_EQ(r.project.tiers[1].concurrency, 8);
  EXPECT_DOUBLE_EQ(*r.project.tiers[1].joules_per_token, 0.3);
}

TEST(Tiers, ReportsTierMistakes) {
  auto r = check_text(R"x(tier a { }
tier b { model = openai(url = "ftp://x", name = "m", api_key_env = "sk-123") }
tier c { model = ggml("x"), concurrency = 0 }
tier c { model = gguf("y") }
)x");
  EXPECT_THAT(messages(r), ElementsAre("1:6: tier `a` has no `model`",
                                       "2:31: `url` must start with http:// or https://",
                                       "2:68: `sk-123` is not an environment variable name",
                                       "3:18: unknown model kind `ggml`",
                                       "3:43: `concurrency` must be from 1 to 4096, not 0"));
}

TEST(Tiers, OpenAiRequestsPerMinuteIsAPositiveRate) {
  auto r = check_text(R"x(tier a { model = openai(url = "http://x/v1", name = "m", requests_per_minute = 600) }
tier b { model = openai(url = "http://x/v1", name = "m", requests_per_minute = 0.5) }
tier c { model = openai(url = "http://x/v1", name = "m") }
)x");
  ASSERT_TRUE(r.ok()) << r.diagnostics.render();
  ASSERT_EQ(r.project.tiers.size(), 3u);
  EXPECT_EQ(std::get<OpenAiModel>(r.project.tiers[0].model).requests_per_minute, 600.0);
  EXPECT_EQ(std::get<OpenAiModel>(r.project.tiers[1].model).requests_per_minute, 0.5);
  EXPECT_FALSE(std::get<OpenAiModel>(r.project.tiers[2].model).requests_per_minute.has_value());

  auto bad = check_text(R"x(tier a { model = openai(url = "http://x", name = "m", requests_per_minute = 0) }
tier b { model = openai(url = "http://x", name = "m", requests_per_minute = -3) }
tier c { model = openai(url = "http://x", name = "m", requests_per_minute = "60") }
tier d { model = openai(url = "http://x", name = "m", requests_per_minute = 2000000) }
tier e { model = openai(url = "http://x", name = "m", requests_per_minit = 60) }
)x");
  EXPECT_THAT(
      messages(bad),
      ElementsAre(
          "1:77: `requests_per_minute` must be more than 0 and at most 1000000, not 0",
          "2:77: `requests_per_minute` must be more than 0 and at most 1000000, not -3",
          "3:77: `requests_per_minute` must be a number, not a string",
          "4:77: `requests_per_minute` must be more than 0 and at most 1000000, not 2000000",
          "5:55: `openai` has no parameter `requests_per_minit`"));
}

TEST(Tiers, DuplicateTierName) {
  auto r = check_text("tier a { model = gguf(\"x\") }\ntier a { model = gguf(\"y\") }\n");
  EXPECT_THAT(messages(r), ElementsAre("2:6: tier `a` is defined twice"));
}

}  // namespace
}  // namespace pareto::spec
