// Checking one task: fields (with the file's defaults merged under them), samples, budget,
// sandbox, agent. Graders, extraction and the --strict lints are in check_graders.cc.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <set>

#include "spec/check_internal.h"
#include "spec/suggest.h"
#include "spec/template.h"

namespace pareto::spec::internal {
namespace {

constexpr std::int64_t kIntMax = std::numeric_limits<std::int64_t>::max();

constexpr std::string_view kKinds[] = {"analysis", "coding", "agent"};
constexpr std::string_view kModes[] = {"chat", "completion"};
constexpr std::string_view kNetwork[] = {"off", "on"};
constexpr std::string_view kSampleSources[] = {"jsonl", "csv", "generate"};

constexpr FieldRule kTaskRules[] = {
    {"kind"},
    {"prompt"},
    {"system"},
    {"tags"},
    {"samples"},
    {"sample", EntryKind::kSection, true},
    {"extract"},
    {"language"},
    {"reference"},
    {"files"},
    {"workspace"},
    {"agent", EntryKind::kSection},
    {"budget", EntryKind::kSection},
    {"sandbox", EntryKind::kSection},
    {"mode"},
    {"temperature"},
};
constexpr FieldRule kBudgetRules[] = {{"max_tokens"}, {"timeout"}, {"max_steps"}, {"max_energy"}};
constexpr FieldRule kSandboxRules[] = {{"network"}, {"memory"},    {"cpu"},   {"wall"},
                                       {"procs"},   {"file_size"}, {"output"}};
constexpr FieldRule kAgentRules[] = {{"tools"}, {"max_steps"}};

using Fields = FieldMap;

Field pick(const Fields& own, const Fields& defaults, std::string_view name) {
  if (const Entry* e = own.first(name)) return {e, false};
  if (const Entry* e = defaults.first(name)) return {e, true};
  return {};
}

// A section (budget, sandbox, agent) with the defaults' section merged under it key by key.
struct Section {
  Fields own, defaults;
  const Entry* own_entry = nullptr;  // the task's own section, if written
  bool present = false;
  Field get(std::string_view name) const { return pick(own, defaults, name); }
};

std::optional<TaskKind> to_kind(std::string_view name) {
  if (name == "analysis") return TaskKind::kAnalysis;
  if (name == "coding") return TaskKind::kCoding;
  if (name == "agent") return TaskKind::kAgent;
  return std::nullopt;
}

// A string field that is a template.
std::optional<std::string> read_template(TaskCheck& c, const Field& f, const What& what,
                                         std::string_view use_as) {
  auto text = read_string(c.s, f.value(), what);
  if (!text) return std::nullopt;
  use_template(c, f.value(), use_as, c.note(f));
  return text;
}

// ---------------------------------------------------------------------------------------------
// Samples

std::optional<nlohmann::json> read_inline_sample(TaskCheck& c, const Entry& e) {
  nlohmann::json fields = nlohmann::json::object();
  std::vector<const Entry*> seen;  // a sample has a few fields: a list beats a tree
  bool ok = true;
  for (const Entry& f : e.block.entries) {
    if (f.kind != EntryKind::kField) {
      c.s.error(f.name_span, "a sample holds fields only: `name = value`");
      ok = false;
      continue;
    }
    const auto first =
        std::find_if(seen.begin(), seen.end(), [&](const Entry* s) { return s->name == f.name; });
    if (first != seen.end()) {
      Diagnostic& d =
          c.s.error(f.name_span, fmt::format("`{}` is set twice in this sample", f.name));
      c.s.note(d, (*first)->name_span, "first set here");
      ok = false;
      continue;
    }
    seen.push_back(&f);
    auto value = read_json_literal(c.s, f.value, What("sample field `{}`", f.name));
    if (!value) {
      ok = false;
      continue;
    }
    fields[f.name] = std::move(*value);
  }
  if (!ok) return std::nullopt;
  return fields;
}

void add_data_issues(TaskCheck& c, const std::vector<DataIssue>& issues) {
  for (const DataIssue& issue : issues) {
    std::string message = issue.message;
    if (issue.column > 0 && issue.line > 0) message += fmt::format(" (column {})", issue.column);
    c.s.diags.add(
        make_line_diagnostic(c.data_display, issue.line, Severity::kError, std::move(message)));
  }
}

// jsonl("file") or csv("file").
void read_data_source(TaskCheck& c, const Value& call, bool csv) {
  const Param params[] = {{"path", true, true}};
  auto args = bind_args(c.s, call, params, call.text);
  if (!args.ok || args[0] == nullptr) {
    c.fields_known = false;
    return;
  }
  auto written = read_string(c.s, *args[0], "the data file");
  if (!written || written->empty()) {
    if (written) c.s.error(args[0]->span, "the data file name is empty");
    c.fields_known = false;
    return;
  }
  SampleSource& src = c.task.source;
  src.kind = csv ? SampleSource::Kind::kCsv : SampleSource::Kind::kJsonl;
  src.path_as_written = *written;
  src.path = c.s.resolve(*written);
  c.data_display = c.s.display(*written);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(src.path, ec)) {
    const bool exists = std::filesystem::exists(src.path, ec);
    c.s.error(args[0]->span,
              exists ? fmt::format("data file `{}` is not a regular file", c.data_display)
                     : fmt::format("data file `{}` does not exist", c.data_display),
              "data file paths are relative to the spec file's folder");
    c.fields_known = false;
    return;
  }
  SampleSet set = csv ? load_csv(src.path) : load_jsonl(src.path);
  add_data_issues(c, set.issues);
  if (set.samples.empty()) c.fields_known = false;
  c.task.samples = std::move(set.samples);
}

// generate(name, count = N, seed = S, param = value, ...).
void read_generate(TaskCheck& c, const Value& call) {
  c.fields_known = false;  // until the generator and its parameters check out
  SampleSource& src = c.task.source;
  src.kind = SampleSource::Kind::kGenerate;
  if (call.items.empty()) {
    c.s.error(call.span, "`generate` needs a generator name: generate(name, count = N)");
    return;
  }
  for (std::size_t i = 1; i < call.items.size(); ++i) {
    c.s.error(call.items[i].span, "`generate` takes one positional argument, the generator name",
              "name the others: generate(name, count = 100, seed = 1)");
  }
  const Value& name_value = call.items[0];
  if (name_value.kind == ValueKind::kInvalid) return;
  if (name_value.kind != ValueKind::kName && name_value.kind != ValueKind::kString) {
    c.s.error(name_value.span,
              fmt::format("the generator must be named, not given as {}", a_kind(name_value)));
    return;
  }
  const Generator* generator = c.s.generators.find(name_value.text);
  if (generator == nullptr) {
    const auto names = c.s.generators.names();
    std::string hint = did_you_mean(name_value.text, std::span<const std::string>(names));
    if (hint.empty() && !names.empty()) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      hint = "the generators are " + list;
    }
    c.s.error(name_value.span, fmt::format("unknown generator `{}`", name_value.text),
              std::move(hint));
    return;
  }
  src.generator = generator->info().name;
  // The fields are known from the generator's description, even if its parameters are wrong,
  // so templates are still checked. They are what the samples have (a generator's promise,
  // which tests/suites/generators_test.cc holds the built-in ones to), drawn or not.
  c.fields_known = true;
  c.generated_fields = generator->info().fields;
  std::sort(c.generated_fields.begin(), c.generated_fields.end());
  c.generated_fields.erase(std::unique(c.generated_fields.begin(), c.generated_fields.end()),
                           c.generated_fields.end());

  bool ok = true;
  const Value* count = nullptr;
  const Value* seed = nullptr;
  std::vector<GeneratorArg> args;
  std::vector<const NamedValue*> arg_entries;
  for (const NamedValue& e : call.entries) {
    if (e.name == "count" || e.name == "seed") {
      const Value*& slot = e.name == "count" ? count : seed;
      if (slot != nullptr) {
        c.s.error(e.name_span, fmt::format("`{}` is given twice in `generate`", e.name));
        ok = false;
      } else {
        slot = &e.value;
      }
      continue;
    }
    GeneratorArg arg;
    arg.name = e.name;
    switch (e.value.kind) {
      case ValueKind::kInt:
        arg.value = e.value.integer;
        break;
      case ValueKind::kFloat:
        arg.value = e.value.number;
        break;
      case ValueKind::kBool:
        arg.value = e.value.boolean;
        break;
      case ValueKind::kString:
      case ValueKind::kName:  // a bare word is a string parameter's value
        arg.value = e.value.text;
        break;
      case ValueKind::kInvalid:
        ok = false;
        continue;
      default:
        arg.value = nullptr;
        arg.kind = a_kind(e.value);
        break;
    }
    args.push_back(std::move(arg));
    arg_entries.push_back(&e);
  }
  if (count == nullptr) {
    c.s.error(call.span, "`generate` needs `count`: how many samples to draw", "add `count = 100`");
    ok = false;
  } else if (auto n = read_int(c.s, *count, "`count`", 1,
                               static_cast<std::int64_t>(kMaxGeneratedSamples))) {
    src.count = static_cast<std::size_t>(*n);
  } else {
    ok = false;
  }
  if (seed != nullptr) {
    if (auto v = read_int(c.s, *seed, "`seed`", 0, kIntMax)) {
      src.seed = static_cast<std::uint64_t>(*v);
    } else {
      ok = false;
    }
  }
  CheckedParams checked = check_params(*generator, args);
  for (const ParamIssue& issue : checked.issues) {
    const Span span = issue.arg < arg_entries.size() ? arg_entries[issue.arg]->span : call.span;
    c.s.error(span, issue.message, issue.hint);
    ok = false;
  }
  if (!ok) return;
  src.params = std::move(checked.params);
  c.generator = generator;
  c.generator_call = call.span;
  if (!c.s.options.generate_samples) return;  // pending: Task::samples_pending()
  std::string error;
  if (auto samples = draw_samples(*generator, src, src.count, &error)) {
    c.task.samples = std::move(*samples);
  } else {
    c.s.error(call.span, fmt::format("generator `{}` failed: {}", src.generator, error));
    c.generator = nullptr;
  }
}

// Reads the samples: a `samples` source, or inline `sample` sections, or none.
void read_samples(TaskCheck& c, const Field& source,
                  const std::vector<const Entry*>& inline_entries) {
  Task& task = c.task;
  if (!inline_entries.empty()) {
    if (source && !source.from_defaults) {
      c.s.error(inline_entries.front()->name_span,
                "a task takes `samples = ...` or `sample { ... }` sections, not both");
    }
    task.source.kind = SampleSource::Kind::kInline;
    int index = 0;
    for (const Entry* e : inline_entries) {
      ++index;
      auto fields = read_inline_sample(c, *e);
      if (!fields) {
        c.fields_known = false;
        fields = nlohmann::json::object();
      }
      task.samples.push_back(Sample{std::to_string(index), std::move(*fields), 0});
    }
  } else if (source) {
    const Value& v = source.value();
    if (v.kind == ValueKind::kInvalid) {
      c.fields_known = false;
    } else if (v.kind != ValueKind::kCall) {
      c.s.error(v.span, fmt::format("`samples` must be jsonl(\"file\"), csv(\"file\") or "
                                    "generate(name, count = N), not {}",
                                    a_kind(v)));
      c.fields_known = false;
    } else if (v.text == "jsonl" || v.text == "csv") {
      read_data_source(c, v, v.text == "csv");
    } else if (v.text == "generate") {
      read_generate(c, v);
    } else {
      c.s.error(v.name_span, fmt::format("unknown sample source `{}`", v.text),
                did_you_mean(v.text, kSampleSources).empty()
                    ? "write jsonl(\"file\"), csv(\"file\") or generate(name, count = N)"
                    : did_you_mean(v.text, kSampleSources));
      c.fields_known = false;
    }
  }
  if (task.source.kind == SampleSource::Kind::kGenerate) {
    c.fields = c.generated_fields;
    return;
  }
  std::vector<std::string_view> all;  // views of the samples' keys, which stay put
  for (const Sample& sample : task.samples) {
    if (!sample.fields.is_object()) continue;
    for (auto it = sample.fields.begin(); it != sample.fields.end(); ++it) all.push_back(it.key());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  c.fields.assign(all.begin(), all.end());
}

// Every sample must have every field the task uses.
void check_coverage(TaskCheck& c, const std::vector<const Entry*>& inline_entries) {
  // Generated samples have the fields their generator declares (read_generate).
  if (!c.fields_known || c.task.source.kind == SampleSource::Kind::kGenerate) return;
  std::set<std::string> done;
  for (const Use& use : c.uses) {
    if (!done.insert(use.field).second) continue;
    std::size_t missing = 0;
    for (std::size_t i = 0; i < c.task.samples.size(); ++i) {
      const Sample& sample = c.task.samples[i];
      if (sample.fields.is_object() && sample.fields.contains(use.field)) continue;
      ++missing;
      if (c.task.source.kind == SampleSource::Kind::kInline && i < inline_entries.size()) {
        c.s.error(inline_entries[i]->name_span,
                  fmt::format("this sample has no field `{}`", use.field),
                  fmt::format("{} uses `{}`; every sample needs it", use.what, use.field));
      } else if (c.task.source.kind == SampleSource::Kind::kJsonl ||
                 c.task.source.kind == SampleSource::Kind::kCsv) {
        if (missing <= 10) {
          c.s.diags.add(make_line_diagnostic(c.data_display, sample.line, Severity::kError,
                                             fmt::format("no field `{}`, which task `{}` uses ({})",
                                                         use.field, c.task.id, use.what)));
        }
      }
    }
    if (missing > 10 && c.task.source.kind != SampleSource::Kind::kInline) {
      c.s.diags.add(make_line_diagnostic(
          c.data_display, 0, Severity::kError,
          fmt::format("{} more lines have no field `{}`", missing - 10, use.field)));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sections

Section read_section(TaskCheck& c, const Fields& own, const Defaults* defaults,
                     std::string_view name, std::span<const FieldRule> rules) {
  Section section;
  if (const Entry* e = own.first(name)) {
    section.own_entry = e;
    section.own = collect_fields(c.s, e->block, rules, What("`{}`", name), false);
    section.present = true;
  }
  if (defaults != nullptr) {
    if (auto it = defaults->sections.find(name); it != defaults->sections.end()) {
      section.defaults = it->second;
      section.present = true;
    }
  }
  return section;
}

void read_budget(TaskCheck& c, const Section& b) {
  Budget& budget = c.task.budget;
  if (auto f = b.get("max_tokens")) {
    budget.max_tokens = read_int(c.s, f.value(), "`max_tokens`", 1, kIntMax);
  }
  if (auto f = b.get("timeout")) budget.timeout = read_duration(c.s, f.value(), "`timeout`");
  if (auto f = b.get("max_energy")) {
    budget.max_energy = read_energy(c.s, f.value(), "`max_energy`");
  }
  if (auto f = b.get("max_steps");
      c.applies(f, c.kind == TaskKind::kAgent, "`max_steps` applies to agent tasks only")) {
    if (auto n = read_int(c.s, f.value(), "`max_steps`", 1, 1'000'000)) {
      budget.max_steps = static_cast<int>(*n);
    }
  }
}

void read_sandbox(TaskCheck& c, const Section& b) {
  Sandbox& box = c.task.sandbox;
  if (auto f = b.get("network")) {
    const Value& v = f.value();
    if (v.kind == ValueKind::kBool) {
      box.network = v.boolean;
    } else if (auto n = read_enum(c.s, v, "`network`", kNetwork)) {
      box.network = *n == "on";
    }
  }
  if (auto f = b.get("memory")) {
    if (auto x = read_size(c.s, f.value(), "`memory`")) box.memory = *x;
  }
  if (auto f = b.get("cpu")) {
    if (auto x = read_duration(c.s, f.value(), "`cpu`")) box.cpu = *x;
  }
  if (auto f = b.get("wall")) {
    if (auto x = read_duration(c.s, f.value(), "`wall`")) box.wall = *x;
  }
  if (auto f = b.get("procs")) {
    if (auto x = read_int(c.s, f.value(), "`procs`", 1, 65536)) box.procs = static_cast<int>(*x);
  }
  if (auto f = b.get("file_size")) {
    if (auto x = read_size(c.s, f.value(), "`file_size`")) box.file_size = *x;
  }
  if (auto f = b.get("output")) {
    if (auto x = read_size(c.s, f.value(), "`output`")) box.output = *x;
  }
}

void read_agent(TaskCheck& c, const Section& a) {
  Agent agent;
  if (auto f = a.get("tools")) {
    std::vector<std::string_view> tools(std::begin(kAgentTools), std::end(kAgentTools));
    if (auto list = read_name_list(c.s, f.value(), "`tools`", tools)) {
      if (list->empty()) {
        c.s.error(f.value().span, "an agent needs at least one tool",
                  "e.g. tools = [shell, read_file, write_file, submit]");
      }
      agent.tools = std::move(*list);
    }
  } else if (!c.s.has_parse_error_in(c.item.span)) {
    c.s.error(a.own_entry ? a.own_entry->name_span : c.item.name_span,
              fmt::format("agent task `{}` does not say which tools the agent may use", c.task.id),
              "add `agent { tools = [shell, read_file, write_file, submit] }`");
  }
  if (auto f = a.get("max_steps")) {
    if (auto n = read_int(c.s, f.value(), "`max_steps`", 1, 1'000'000)) {
      if (c.task.budget.max_steps && *c.task.budget.max_steps != *n) {
        c.s.error(f.value().span,
                  fmt::format("`max_steps` is {} here but {} in `budget`; set it in one place", *n,
                              *c.task.budget.max_steps));
      }
      c.task.budget.max_steps = static_cast<int>(*n);
    }
  }
  if (!c.task.budget.max_steps) c.task.budget.max_steps = 20;
  c.task.agent = std::move(agent);
}

// files = {"helper.py" = "...", ...}: extra workspace files.
void read_files(TaskCheck& c, const Field& f) {
  const Value& v = f.value();
  if (v.kind == ValueKind::kInvalid) return;
  if (v.kind != ValueKind::kMap) {
    c.s.error(v.span,
              fmt::format("`files` must be a map such as {{\"helper.py\" = \"...\"}}, not {}",
                          a_kind(v)));
    return;
  }
  for (const NamedValue& e : v.entries) {
    const std::filesystem::path name(e.name);
    bool escapes = false;
    for (const auto& part : name) escapes = escapes || part == "..";
    if (e.name.empty() || name.is_absolute() || escapes || e.name.back() == '/') {
      c.s.error(e.name_span,
                fmt::format("`{}` must be a file name relative to the workspace", e.name));
      continue;
    }
    if (c.task.files.contains(e.name)) {
      c.s.error(e.name_span, fmt::format("file `{}` appears twice in `files`", e.name));
      continue;
    }
    auto text = read_string(c.s, e.value, What("file `{}`", e.name));
    if (!text) continue;
    use_template(c, e.value, What("file `{}`", e.name), c.note(f));
    c.task.files[e.name] = std::move(*text);
  }
}

// workspace = dir("path"): an existing folder, relative to the spec file.
void read_workspace(TaskCheck& c, const Field& f) {
  const Value& v = f.value();
  if (v.kind == ValueKind::kInvalid) return;
  if (v.kind != ValueKind::kCall || v.text != "dir") {
    std::string hint;
    if (v.kind == ValueKind::kString) hint = fmt::format("write dir(\"{}\")", v.text);
    c.s.error(v.span, fmt::format("`workspace` must be dir(\"folder\"), not {}", a_kind(v)),
              std::move(hint));
    return;
  }
  const Param params[] = {{"path", true, true}};
  auto a = bind_args(c.s, v, params, "dir");
  if (a[0] == nullptr) return;
  auto written = read_string(c.s, *a[0], "the workspace folder");
  if (!written) return;
  const FileScope::Folder& folder = c.s.folder(*written);
  if (written->empty() || !folder.exists) {
    c.s.error(a[0]->span,
              fmt::format("workspace folder `{}` does not exist", c.s.display(*written)),
              "workspace paths are relative to the spec file's folder");
    return;
  }
  c.task.workspace = folder.path;
}

// The field rules a `defaults` block accepts: every task field but the per-task ones.
std::vector<FieldRule> defaults_rules() {
  std::vector<FieldRule> rules;
  for (const FieldRule& r : kTaskRules) {
    if (r.name != "sample") rules.push_back(r);
  }
  return rules;
}

}  // namespace

Defaults check_defaults(FileScope& s, const Item& item) {
  const auto rules = defaults_rules();
  Defaults defaults;
  Fields& fields = defaults.fields;
  fields = collect_fields(s, item.block, rules, "`defaults`", false);
  for (const Entry& e : item.block.entries) {
    if (e.kind == EntryKind::kSection && e.name == "sample") {
      s.error(e.name_span, "`sample` sections belong in a task, not in `defaults`");
    }
  }
  // Value types that do not depend on the task are checked once, here.
  auto get = [&](std::string_view name) -> const Value* {
    const Entry* e = fields.first(name);
    return e == nullptr ? nullptr : &e->value;
  };
  if (const Value* v = get("kind")) read_enum(s, *v, "`kind`", kKinds);
  if (const Value* v = get("language")) read_enum(s, *v, "`language`", kLanguages);
  if (const Value* v = get("mode")) read_enum(s, *v, "`mode`", kModes);
  if (const Value* v = get("prompt")) read_string(s, *v, "`prompt`");
  if (const Value* v = get("system")) read_string(s, *v, "`system`");
  if (const Value* v = get("reference")) read_string(s, *v, "`reference`");
  if (const Value* v = get("tags")) read_name_list(s, *v, "`tags`", {});
  if (const Value* v = get("temperature")) read_number(s, *v, "`temperature`", 0, 2);
  for (std::string_view section : {"budget", "sandbox", "agent"}) {
    const Entry* e = fields.first(section);
    if (e == nullptr) continue;
    const auto& r = section == "budget"    ? std::span<const FieldRule>(kBudgetRules)
                    : section == "sandbox" ? std::span<const FieldRule>(kSandboxRules)
                                           : std::span<const FieldRule>(kAgentRules);
    defaults.sections[std::string(section)] =
        collect_fields(s, e->block, r, What("`{}`", section), false);
  }
  return defaults;
}

bool check_task(FileScope& s, const Item& item, const Defaults* file_defaults, Task& task) {
  const std::size_t errors_before = s.diags.error_count();
  task.id = item.name;
  task.origin = s.origin(item.name_span.empty() ? item.span : item.name_span);
  TaskCheck c{s, item, task, std::nullopt, {}, true, {}, {}, {}, nullptr, {}, {}};
  const Fields own = collect_fields(s, item.block, kTaskRules, What("task `{}`", item.name), true);
  static const Fields kNoDefaults;
  const Fields& defaults = file_defaults != nullptr ? file_defaults->fields : kNoDefaults;
  auto field = [&](std::string_view name) { return pick(own, defaults, name); };
  // Whether to call a required field missing: not when a syntax error may have eaten it, nor
  // when it was written in the wrong form (already reported).
  const bool complete = !s.has_parse_error_in(item.span);
  auto missing = [&](std::string_view name) {
    return complete && !own.contains(name) && !defaults.contains(name);
  };

  // kind first: what else is allowed or required depends on it.
  if (auto f = field("kind")) {
    if (auto k = read_enum(s, f.value(), "`kind`", kKinds)) c.kind = to_kind(*k);
  } else if (missing("kind")) {
    s.error(item.name_span, fmt::format("task `{}` has no `kind`", task.id),
            "add `kind = analysis` (or coding, agent)");
  }
  if (c.kind) task.kind = *c.kind;

  if (auto f = field("language");
      c.applies(f, c.kind != TaskKind::kAnalysis, "`language` applies to coding and agent tasks")) {
    if (auto l = read_enum(s, f.value(), "`language`", kLanguages)) task.language = to_language(*l);
  } else if (c.kind == TaskKind::kCoding && missing("language")) {
    s.error(item.name_span, fmt::format("coding task `{}` has no `language`", task.id),
            "add `language = python` (or cpp)");
  }

  // Samples, before anything that uses their fields.
  const std::vector<const Entry*> inline_entries = own.all("sample");
  read_samples(c, field("samples"), inline_entries);

  if (auto f = field("prompt")) {
    if (auto text = read_template(c, f, "`prompt`", "the prompt")) {
      if (text->empty()) {
        s.error(f.value().span, "the prompt is empty");
      }
      task.prompt = std::move(*text);
    }
  } else if (missing("prompt")) {
    s.error(item.name_span, fmt::format("task `{}` has no `prompt`", task.id),
            "add `prompt = \"...\"`");
  }
  if (auto f = field("system")) {
    if (auto text = read_template(c, f, "`system`", "the system prompt"))
      task.system = std::move(*text);
  }
  if (auto f = field("tags")) {
    if (auto tags = read_name_list(s, f.value(), "`tags`", {})) task.tags = std::move(*tags);
  }
  if (auto f = field("mode")) {
    if (auto m = read_enum(s, f.value(), "`mode`", kModes)) {
      task.mode = *m == "completion" ? PromptMode::kCompletion : PromptMode::kChat;
    }
  }
  if (auto f = field("temperature")) {
    if (auto t = read_number(s, f.value(), "`temperature`", 0, 2)) task.temperature = *t;
  }
  if (auto f = field("reference");
      c.applies(f, c.kind == TaskKind::kCoding, "`reference` applies to coding tasks only")) {
    if (auto text = read_template(c, f, "`reference`", "the reference"))
      task.reference = std::move(*text);
  }
  if (auto f = field("files");
      c.applies(f, c.kind != TaskKind::kAnalysis, "`files` applies to coding and agent tasks")) {
    read_files(c, f);
  }
  if (auto f = field("workspace");
      c.applies(f, c.kind == TaskKind::kAgent, "`workspace` applies to agent tasks only")) {
    read_workspace(c, f);
  }

  // Extraction: the default depends on the kind.
  if (c.kind == TaskKind::kCoding) {
    task.extract.kind = Extraction::Kind::kCodeBlock;
    task.extract.language = task.language;
  }
  if (auto f = field("extract")) {
    if (auto x = read_extract(c, f)) task.extract = std::move(*x);
  }

  const Section budget = read_section(c, own, file_defaults, "budget", kBudgetRules);
  read_budget(c, budget);
  const Section sandbox = read_section(c, own, file_defaults, "sandbox", kSandboxRules);
  read_sandbox(c, sandbox);
  const Section agent = read_section(c, own, file_defaults, "agent", kAgentRules);
  if (c.kind == TaskKind::kAgent) {
    read_agent(c, agent);
  } else if (agent.own_entry != nullptr && c.kind) {
    s.error(agent.own_entry->name_span, "the `agent` section applies to agent tasks only");
  }

  const std::vector<const Entry*> expects = own.all("expect");
  std::vector<const Entry*> graded;  // the expect entries that became graders, in order
  for (const Entry* e : expects) {
    if (auto g = read_grader(c, *e)) {
      task.graders.push_back(std::move(*g));
      graded.push_back(e);
    }
  }
  if (expects.empty() && complete) {
    s.error(item.name_span, fmt::format("task `{}` has no `expect`: nothing grades it", task.id),
            "add a grader, e.g. `expect exact(answer)`");
  }

  check_coverage(c, inline_entries);

  // A task without samples runs once, on one empty sample.
  if (task.samples.empty() && task.source.kind == SampleSource::Kind::kNone) {
    task.samples.push_back(Sample{"1", nlohmann::json::object(), 0});
  }
  // The fields every sample has: a generator's own, else those of the union no sample lacks.
  if (task.source.kind == SampleSource::Kind::kGenerate) {
    task.sample_fields = c.fields;
  } else {
    for (const std::string& name : c.fields) {
      bool everywhere = !task.samples.empty();
      for (const Sample& sample : task.samples) {
        if (!sample.fields.is_object() || !sample.fields.contains(name)) {
          everywhere = false;
          break;
        }
      }
      if (everywhere) task.sample_fields.push_back(name);
    }
  }

  if (complete) {
    const bool clean = s.diags.error_count() == errors_before;
    run_field_lints(c);
    if (clean) run_lints(c, graded);
  }
  return s.diags.error_count() == errors_before;
}

std::optional<std::vector<Sample>> draw_samples(const Generator& generator,
                                                const SampleSource& source, std::size_t count,
                                                std::string* error) {
  try {
    return generator.generate(source.params, source.seed, count);
  } catch (const std::exception& e) {
    *error = e.what();
    return std::nullopt;
  }
}

const std::vector<Sample>& TaskCheck::lint_samples(std::size_t at_least) {
  if (!task.samples_pending() || generator == nullptr) return task.samples;
  const std::size_t want = std::min(at_least, task.source.count);
  if (drawn.size() < want) {
    std::string error;
    if (auto more = draw_samples(*generator, task.source, want, &error)) {
      drawn = std::move(*more);
    } else {
      s.error(generator_call,
              fmt::format("generator `{}` failed: {}", task.source.generator, error));
      generator = nullptr;  // once
    }
  }
  return drawn;
}

}  // namespace pareto::spec::internal

namespace pareto::spec {

bool materialize_samples(Task& task, const GeneratorRegistry& generators, std::string* error) {
  if (!task.samples_pending()) return true;
  const Generator* generator = generators.find(task.source.generator);
  if (generator == nullptr) {
    *error = fmt::format("task `{}`: no generator `{}` to draw its samples from", task.id,
                         task.source.generator);
    return false;
  }
  std::string why;
  auto samples = internal::draw_samples(*generator, task.source, task.source.count, &why);
  if (!samples || samples->empty()) {
    *error = fmt::format("task `{}`: generator `{}` failed: {}", task.id, task.source.generator,
                         samples ? "it drew no samples" : why);
    return false;
  }
  task.samples = std::move(*samples);
  return true;
}

bool materialize_samples(Project& project, const GeneratorRegistry& generators,
                         std::string* error) {
  for (Suite& suite : project.suites) {
    for (Task& task : suite.tasks) {
      if (!materialize_samples(task, generators, error)) return false;
    }
  }
  return true;
}

}  // namespace pareto::spec
