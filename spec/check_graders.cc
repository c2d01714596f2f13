// Checking a task's graders (`expect`) and extraction, and the --strict lints that look at a
// checked task.
#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "spec/check_internal.h"
#include "spec/json_path.h"
#include "spec/suggest.h"
#include "spec/template.h"

namespace pareto::spec::internal {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

constexpr std::string_view kNormalize[] = {"case", "whitespace", "punctuation"};
constexpr std::string_view kGraders[] = {"exact", "contains", "regex", "number",   "json",
                                         "tests", "command",  "judge", "unchanged"};
constexpr std::string_view kExtractors[] = {"full", "last_number", "code_block", "regex", "json"};

// A grader argument: a bare NAME is a sample field; a string is a template; other literals
// are kept as JSON. `numeric`: a literal must be a number.
std::optional<Operand> read_operand(TaskCheck& c, const Value& v, const What& what,
                                    std::string_view grader, bool numeric = false) {
  if (v.kind == ValueKind::kInvalid) return std::nullopt;
  Operand op;
  if (v.kind == ValueKind::kName) {
    if (c.fields_known && !c.has_field(v.text)) {
      std::string hint;
      if (c.fields.empty()) {
        hint = "this task has no samples; write text in quotes";
      } else {
        hint = did_you_mean(v.text, std::span<const std::string>(c.fields));
        if (hint.empty()) {
          std::string list;
          for (const auto& f : c.fields) list += (list.empty() ? "" : ", ") + f;
          hint = "the samples have " + list;
        }
      }
      c.s.error(v.span, fmt::format("unknown sample field `{}`", v.text), std::move(hint));
      return std::nullopt;
    }
    c.uses.push_back({v.text, fmt::format("`{}`", grader)});
    op.field = v.text;
    return op;
  }
  if (numeric && v.kind != ValueKind::kInt && v.kind != ValueKind::kFloat) {
    c.s.error(v.span,
              fmt::format("{} must be a number or a sample field, not {}", what, a_kind(v)));
    return std::nullopt;
  }
  auto literal = read_json_literal(c.s, v, what);
  if (!literal) return std::nullopt;
  if (v.kind == ValueKind::kString) use_template(c, v, What("`{}`", grader), "");
  op.literal = std::move(*literal);
  return op;
}

// Compiles an RE2 pattern given as a string literal; reports RE2's complaint at the pattern.
std::optional<int> compile_regex(TaskCheck& c, const Value& v, const What& what,
                                 std::string* pattern) {
  auto text = read_string(c.s, v, what);
  if (!text) return std::nullopt;
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(*text, options);
  if (!re.ok()) {
    c.s.error(v.span, fmt::format("invalid regex: {}", re.error()),
              re.error_arg().empty() ? "" : fmt::format("at `{}`", re.error_arg()));
    return std::nullopt;
  }
  *pattern = std::move(*text);
  return re.NumberOfCapturingGroups();
}

std::optional<int> read_group(TaskCheck& c, const Value* v, std::optional<int> groups) {
  if (v == nullptr) return 0;
  auto g = read_int(c.s, *v, "`group`", 0, 1000);
  if (!g) return std::nullopt;
  if (groups && *g > *groups) {
    c.s.error(v->span, fmt::format("the pattern has {} capturing group{}, so there is no group {}",
                                   *groups, *groups == 1 ? "" : "s", *g));
    return std::nullopt;
  }
  return static_cast<int>(*g);
}

// ---------------------------------------------------------------------------------------------
// Graders and extraction

bool grader_applies(TaskCheck& c, const Value& call, std::string_view name) {
  if (!c.kind) return true;
  const TaskKind k = *c.kind;
  std::string message;
  if (name == "tests" && k != TaskKind::kCoding) {
    message = "`tests` grades coding tasks only";
  } else if (name == "command" && k == TaskKind::kAnalysis) {
    message = "`command` grades coding and agent tasks only: analysis tasks have no workspace";
  } else if (name == "unchanged" && k != TaskKind::kAgent) {
    message = "`unchanged` grades agent workspaces only";
  }
  if (message.empty()) return true;
  c.s.error(call.name_span, std::move(message));
  return false;
}

// ---------------------------------------------------------------------------------------------
// Lints (warnings; errors under --strict)

// Words that tell the model what form its answer takes.
constexpr std::string_view kFormWords[] = {
    "answer with",  "reply with", "respond with", "only",     "format",
    "exactly",      "just the",   "one word",     "single",   "in the form",
    "nothing else", "output the", "return the",   "give the", "write the"};

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

bool is_fractional(const nlohmann::json& v) {
  if (v.is_number_float()) {
    const double x = v.get<double>();
    return std::isfinite(x) && std::floor(x) != x;
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    const double x = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0') return false;
    return std::isfinite(x) && std::floor(x) != x;
  }
  return false;
}

// The text of capture `group` inside `pattern` (the whole pattern for group 0), with any
// leading flag group such as (?i) kept, so it can be matched on its own.
std::optional<std::string> group_pattern(const std::string& pattern, int group) {
  std::string flags;
  if (pattern.rfind("(?", 0) == 0) {
    const std::size_t close = pattern.find(')');
    if (close != std::string::npos && pattern.find(':') > close) {
      flags = pattern.substr(0, close + 1);
    }
  }
  if (group == 0) return pattern;
  int seen = 0;
  std::vector<std::pair<bool, std::size_t>> open;  // (is the wanted group, content start)
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char ch = pattern[i];
    if (ch == '\\') {
      ++i;
    } else if (ch == '[') {
      ++i;
      if (i < pattern.size() && pattern[i] == '^') ++i;
      if (i < pattern.size() && pattern[i] == ']') ++i;
      while (i < pattern.size() && pattern[i] != ']') {
        if (pattern[i] == '\\') ++i;
        ++i;
      }
    } else if (ch == '(') {
      bool capturing = true;
      std::size_t start = i + 1;
      if (i + 1 < pattern.size() && pattern[i + 1] == '?') {
        if (pattern.compare(i + 2, 2, "P<") == 0 || (pattern.compare(i + 2, 1, "<") == 0)) {
          const std::size_t gt = pattern.find('>', i);
          if (gt == std::string::npos) return std::nullopt;
          start = gt + 1;
        } else {
          capturing = false;
        }
      }
      if (capturing) ++seen;
      open.emplace_back(capturing && seen == group, start);
    } else if (ch == ')' && !open.empty()) {
      auto [wanted, start] = open.back();
      open.pop_back();
      if (wanted) return flags + "(?:" + pattern.substr(start, i - start) + ")";
    }
  }
  return std::nullopt;
}

// The rendered value of an operand for one sample.
std::optional<std::string> operand_text(const Operand& op, const Sample& sample) {
  if (op.is_field()) {
    if (!sample.fields.is_object() || !sample.fields.contains(*op.field)) return std::nullopt;
    return field_text(sample.fields[*op.field]);
  }
  if (op.literal.is_string()) return render_template(op.literal.get<std::string>(), sample.fields);
  return field_text(op.literal);
}

void lint_regex(TaskCheck& c, const Grader& grader, const RegexGrader& g, const Entry& e) {
  RE2::Options options;
  options.set_log_errors(false);
  std::unique_ptr<RE2> re;
  bool whole = false;  // equals: the group must match the whole expected value
  if (g.equals) {
    auto sub = group_pattern(g.pattern, g.group);
    if (!sub) return;
    re = std::make_unique<RE2>(*sub, options);
    whole = true;
  } else {
    re = std::make_unique<RE2>(g.pattern, options);
  }
  if (!re->ok()) return;
  const std::vector<Sample>& samples = c.lint_samples(1000);
  const std::size_t limit = std::min<std::size_t>(samples.size(), 1000);
  for (std::size_t i = 0; i < limit; ++i) {
    const Sample& sample = samples[i];
    std::optional<std::string> expected;
    if (g.equals) {
      expected = operand_text(*g.equals, sample);
    } else if (sample.fields.is_object() && sample.fields.contains("answer")) {
      expected = field_text(sample.fields["answer"]);
    }
    if (!expected) continue;
    const bool matches = whole ? RE2::FullMatch(*expected, *re) : RE2::PartialMatch(*expected, *re);
    if (matches) continue;
    const Span at = e.value.items.empty() ? e.value.span : e.value.items.front().span;
    c.s.lint(
        at,
        fmt::format("the regex cannot match the expected answer `{}` of sample {}",
                    expected->size() > 60 ? expected->substr(0, 57) + "..." : *expected, sample.id),
        whole ? fmt::format("group {} must match the whole `equals` value", g.group)
              : "a right answer would fail this grader");
    (void)grader;
    return;
  }
}

}  // namespace

// The fields of a template string, recorded for coverage and checked against the samples.
void use_template(TaskCheck& c, const Value& v, const What& what, std::string_view note) {
  if (v.kind != ValueKind::kString) return;
  const std::vector<TemplatePart> refs = template_fields(v.text);
  check_template(c.s, v, refs, c.fields, c.fields_known, note);
  for (const auto& ref : refs) {
    if (c.has_field(ref.text)) c.uses.push_back({ref.text, what.text()});
  }
}

Language to_language(std::string_view name) {
  return name == "cpp" ? Language::kCpp : Language::kPython;
}

std::optional<Grader> read_grader(TaskCheck& c, const Entry& e) {
  const Value& written = e.value;
  if (written.kind == ValueKind::kInvalid) return std::nullopt;
  if (written.kind != ValueKind::kCall && written.kind != ValueKind::kName) {
    c.s.error(written.span,
              fmt::format("`expect` takes a grader such as exact(answer) or contains(\"...\"), "
                          "not {}",
                          a_kind(written)));
    return std::nullopt;
  }
  // `expect json` is json() without arguments.
  Value bare;
  if (written.kind == ValueKind::kName) {
    bare.kind = ValueKind::kCall;
    bare.text = written.text;
    bare.span = written.span;
    bare.name_span = written.span;
  }
  const Value& call = written.kind == ValueKind::kName ? bare : written;
  const std::string& name = call.text;
  if (std::find(std::begin(kGraders), std::end(kGraders), name) == std::end(kGraders)) {
    c.s.error(call.name_span, fmt::format("unknown grader `{}`", name),
              did_you_mean(name, kGraders).empty() ? "the graders are exact, contains, regex, "
                                                     "number, json, tests, command, judge, "
                                                     "unchanged"
                                                   : did_you_mean(name, kGraders));
    return std::nullopt;
  }
  if (!grader_applies(c, call, name)) return std::nullopt;

  Grader grader;
  grader.origin = c.s.origin(e.span);
  bool ok = true;
  auto weight_of = [&](const Value* v) {
    if (v == nullptr) return;
    auto w = read_number(c.s, *v, "`weight`", 0, kInf);
    if (!w) {
      ok = false;
    } else if (*w <= 0) {
      c.s.error(v->span, "`weight` must be more than zero");
      ok = false;
    } else {
      grader.weight = *w;
    }
  };
  auto operand = [&](const Value* v, std::string_view what, bool numeric = false) {
    std::optional<Operand> op;
    if (v != nullptr) {
      op = read_operand(c, *v, what, name, numeric);
      if (!op) ok = false;
    }
    return op;
  };
  auto template_arg = [&](const Value* v, std::string_view what) -> std::string {
    if (v == nullptr) return {};
    auto text = read_string(c.s, *v, what);
    if (!text) {
      ok = false;
      return {};
    }
    use_template(c, *v, What("`{}`", name), "");
    return std::move(*text);
  };

  if (name == "exact") {
    const Param params[] = {{"expected", true, true}, {"normalize"}, {"weight"}};
    auto a = bind_args(c.s, call, params, name);
    ok = a.ok;
    ExactGrader g;
    if (auto op = operand(a[0], "`expected`")) g.expected = std::move(*op);
    if (a[1] != nullptr) {
      if (auto list = read_name_list(c.s, *a[1], "`normalize`", kNormalize)) {
        for (const auto& n : *list) {
          g.ignore_case |= n == "case";
          g.collapse_whitespace |= n == "whitespace";
          g.strip_punctuation |= n == "punctuation";
        }
      } else {
        ok = false;
      }
    }
    weight_of(a[2]);
    grader.spec = std::move(g);
  } else if (name == "contains") {
    const Param params[] = {{"text", true, true}, {"case_sensitive"}, {"weight"}};
    auto a = bind_args(c.s, call, params, name);
    ok = a.ok;
    ContainsGrader g;
    if (auto op = operand(a[0], "`text`")) g.text = std::move(*op);
    if (a[1] != nullptr) {
      if (auto b = read_bool(c.s, *a[1], "`case_sensitive`")) {
        g.case_sensitive = *b;
      } else {
        ok = false;
      }
    }
    weight_of(a[2]);
    grader.spec = std::move(g);
  } else if (name == "regex") {
    const Param params[] = {{"pattern", true, true}, {"group"}, {"equals"}, {"weight"}};
    auto a = bind_args(c.s, call, params, name);
    ok = a.ok;
    RegexGrader g;
    std::optional<int> groups;
    if (a[0] != nullptr) {
      groups = compile_regex(c, *a[0], "the pattern", &g.pattern);
      if (!groups) ok = false;
    }
    if (auto group = read_group(c, a[1], groups)) {
      g.group = *group;
    } else {
      ok = false;
    }
    g.equals = operand(a[2], "`equals`");
    weight_of(a[3]);
    grader.spec = std::move(g);
  } else if (name == "number") {
    const Param params[] = {{"expected", true, true}, {"tolerance"}, {"relative"}, {"weight"}};
    auto a = bind_args(c.s, call, params, name);
    ok = a.ok;
    NumberGrader g;
    if (auto op = operand(a[0], "`expected`", true)) g.expected = std::move(*op);
    if (a[1] != nullptr) {
      g.tolerance = read_number(c.s, *a[1], "`tolerance`", 0, kInf);
      if (!g.tolerance) ok = false;
    }
    if (a[2] != nullptr) {
      g.relative = read_number(c.s, *a[2], "`relative`", 0, kInf);
      if (!g.relative) ok = false;
    }
    weight_of(a[3]);
    grader.spec = std::move(g);
  } else if (name == "json") {
    const Param params[] = {{"path", true, false}, {"equals"}, {"weight"}};
    auto a = bind_args(c.s, call, params, name);
    ok = a.ok;
    JsonGrader g;
    if (a[0] != nullptr) {
      if (auto path = read_string(c.s, *a[0], "`path`")) {
        std::string why;
        std::size_t at = 0;
        if (!parse_json_path(*path, &why, &at)) {
          c.s.error(a[0]->span, fmt::format("invalid JSON path: {} (at character {})", why, at + 1),
                    "paths look like \"$.items[0].id\"");
          ok = false;
        }
        g.path = *path;
      } else {
        ok = false;
      }
    }
    g.equals = operand(a[1], "`equals`");
    weight_of(a[2]);
    grader.spec = std::move(g);
  } else if (name == "tests") {
    const Param params[] = {{"code", true, true}, {"language"}, {"weight"}};
    auto a = bind_args(c.s, call, params, name);
    ok = a.ok;
    TestsGrader g;
    g.code = template_arg(a[0], "the test code");
    g.language = c.task.language.value_or(Language::kPython);
    if (a[1] != nullptr) {
      if (auto l = read_enum(c.s, *a[1], "`language`", kLanguages)) {
        g.language = to_language(*l);
      } else {
        ok = false;
      }
    }
    weight_of(a[2]);
    grader.spec = std::move(g);
  } else if (name == "command") {
    const Param params[] = {
        {"cmd", true, true}, {"exit"}, {"stdout"}, {"stdout_contains"}, {"weight"}};
    auto a = bind_args(c.s, call, params, name);
    ok = a.ok;
    CommandGrader g;
    g.command = template_arg(a[0], "the command");
    if (a[0] != nullptr && ok && g.command.empty()) {
      c.s.error(a[0]->span, "the command is empty");
      ok = false;
    }
    if (a[1] != nullptr) {
      if (auto x = read_int(c.s, *a[1], "`exit`", 0, 255)) {
        g.exit_code = static_cast<int>(*x);
      } else {
        ok = false;
      }
    }
    g.stdout_equals = operand(a[2], "`stdout`");
    g.stdout_contains = operand(a[3], "`stdout_contains`");
    weight_of(a[4]);
    grader.spec = std::move(g);
  } else if (name == "judge") {
    const Param params[] = {{"rubric", true, true}, {"tier"}, {"threshold"}, {"weight"}};
    auto a = bind_args(c.s, call, params, name);
    ok = a.ok;
    JudgeGrader g;
    g.rubric = template_arg(a[0], "the rubric");
    if (a[1] != nullptr) {
      if (a[1]->kind == ValueKind::kName || a[1]->kind == ValueKind::kString) {
        g.tier = a[1]->text;
      } else if (a[1]->kind != ValueKind::kInvalid) {
        c.s.error(a[1]->span,
                  fmt::format("`tier` must be a tier name such as ultra, not {}", a_kind(*a[1])));
        ok = false;
      }
    }
    if (a[2] != nullptr) {
      if (auto t = read_number(c.s, *a[2], "`threshold`", 0, 1)) {
        g.threshold = *t;
      } else {
        ok = false;
      }
    }
    weight_of(a[3]);
    grader.spec = std::move(g);
  } else {  // unchanged
    const Param params[] = {{"path", true, true}, {"weight"}};
    auto a = bind_args(c.s, call, params, name);
    ok = a.ok;
    UnchangedGrader g;
    if (a[0] != nullptr) {
      if (auto p = read_string(c.s, *a[0], "`path`")) {
        const std::filesystem::path path(*p);
        bool escapes = false;
        for (const auto& part : path) escapes = escapes || part == "..";
        if (p->empty() || path.is_absolute() || escapes) {
          c.s.error(a[0]->span, "`path` must be relative to the workspace and stay inside it");
          ok = false;
        }
        g.path = *p;
      } else {
        ok = false;
      }
    }
    weight_of(a[1]);
    grader.spec = std::move(g);
  }
  if (!ok) return std::nullopt;
  return grader;
}

std::optional<Extraction> read_extract(TaskCheck& c, const Field& f) {
  const Value& v = f.value();
  if (v.kind == ValueKind::kInvalid) return std::nullopt;
  if (v.kind != ValueKind::kName && v.kind != ValueKind::kCall) {
    c.s.error(v.span, fmt::format("`extract` must be full, last_number, json, code_block(...) or "
                                  "regex(...), not {}",
                                  a_kind(v)));
    return std::nullopt;
  }
  const std::string& name = v.text;
  const Span name_span = v.kind == ValueKind::kCall ? v.name_span : v.span;
  Extraction x;
  if (name == "full") {
    x.kind = Extraction::Kind::kFull;
  } else if (name == "last_number") {
    x.kind = Extraction::Kind::kLastNumber;
  } else if (name == "json") {
    x.kind = Extraction::Kind::kJson;
  } else if (name == "code_block") {
    x.kind = Extraction::Kind::kCodeBlock;
    x.language = c.task.language;
  } else if (name == "regex") {
    x.kind = Extraction::Kind::kRegex;
  } else {
    c.s.error(name_span, fmt::format("unknown extraction `{}`", name),
              did_you_mean(name, kExtractors).empty()
                  ? "extract with full, last_number, json, code_block(language) or "
                    "regex(\"pattern\", group = 1)"
                  : did_you_mean(name, kExtractors));
    return std::nullopt;
  }
  if (v.kind == ValueKind::kName) {
    if (x.kind == Extraction::Kind::kRegex) {
      c.s.error(v.span, "`regex` extraction needs a pattern: regex(\"...\", group = 1)");
      return std::nullopt;
    }
    return x;
  }
  bool ok = true;
  if (x.kind == Extraction::Kind::kCodeBlock) {
    const Param params[] = {{"language", true, false}};
    auto a = bind_args(c.s, v, params, name);
    ok = a.ok;
    if (a[0] != nullptr) {
      if (auto l = read_enum(c.s, *a[0], "the code block's language", kLanguages)) {
        x.language = to_language(*l);
      } else {
        ok = false;
      }
    }
  } else if (x.kind == Extraction::Kind::kRegex) {
    const Param params[] = {{"pattern", true, true}, {"group"}};
    auto a = bind_args(c.s, v, params, name);
    ok = a.ok;
    std::optional<int> groups;
    if (a[0] != nullptr) {
      groups = compile_regex(c, *a[0], "the pattern", &x.pattern);
      if (!groups) ok = false;
    }
    if (auto g = read_group(c, a[1], groups)) {
      x.group = *g;
    } else {
      ok = false;
    }
  } else {
    auto a = bind_args(c.s, v, {}, name);
    ok = a.ok;
  }
  if (!ok) return std::nullopt;
  return x;
}

// Lints that need only the task's own fields: run even when the task has errors.
void run_field_lints(TaskCheck& c) {
  Task& task = c.task;
  if (task.tags.empty()) {
    c.s.lint(c.item.name_span, fmt::format("task `{}` has no tags", task.id),
             "add `tags = [...]` naming the capabilities it tests");
  }
  if (c.kind == TaskKind::kCoding && task.reference.empty()) {
    c.s.lint(c.item.name_span, fmt::format("coding task `{}` has no reference solution", task.id),
             "add `reference = \"\"\"...\"\"\"`: a known-good solution proves the graders "
             "accept a right answer");
  }
}

// Lints that look at samples and graders: run only on a task without errors.
void run_lints(TaskCheck& c, const std::vector<const Entry*>& expects) {
  Task& task = c.task;
  // Whether the prompt as the model sees it says what form the answer takes (a `{{question}}`
  // field may be what states it); worked out only for an `exact` grader that needs it.
  std::optional<bool> says_form;
  const auto prompt_says_form = [&] {
    if (!says_form) {
      const nlohmann::json no_fields = nlohmann::json::object();
      const std::vector<Sample>& samples = c.lint_samples(1);
      const nlohmann::json& first = samples.empty() ? no_fields : samples.front().fields;
      const std::string asked = lowercase(render_template(task.prompt, first) + "\n" +
                                          render_template(task.system, first));
      says_form = false;
      for (auto w : kFormWords) *says_form = *says_form || asked.find(w) != std::string::npos;
    }
    return *says_form;
  };

  for (std::size_t i = 0; i < task.graders.size() && i < expects.size(); ++i) {
    const Grader& grader = task.graders[i];
    const Entry& e = *expects[i];
    if (std::holds_alternative<ExactGrader>(grader.spec) &&
        task.extract.kind == Extraction::Kind::kFull && !prompt_says_form()) {
      c.s.lint(e.value.span,
               "`exact` compares the whole answer, but the prompt never says what form the "
               "answer takes",
               "say it in the prompt, e.g. \"Answer with the number only.\"");
    }
    if (const auto* n = std::get_if<NumberGrader>(&grader.spec);
        n != nullptr && !n->tolerance && !n->relative) {
      bool fractional = false;
      if (n->expected.is_field()) {
        for (const Sample& sample : c.lint_samples(task.sample_count())) {
          if (sample.fields.is_object() && sample.fields.contains(*n->expected.field) &&
              is_fractional(sample.fields[*n->expected.field])) {
            fractional = true;
            break;
          }
        }
      } else {
        fractional = is_fractional(n->expected.literal);
      }
      if (fractional) {
        c.s.lint(e.value.span,
                 "`number` has no tolerance, but the expected answers are not whole numbers",
                 "add `tolerance = 0.001` (absolute) or `relative = 0.01`");
      }
    }
    if (const auto* r = std::get_if<RegexGrader>(&grader.spec)) lint_regex(c, grader, *r, e);
  }
}

}  // namespace pareto::spec::internal
