// Internals of the checker shared by its .cc files (not a public interface; use
// spec/checker.h): the per-file scope, typed readers of syntax values that report what is
// wrong at the value's span, the argument binder for calls, and the block field collector.
//
// Every reader returns std::nullopt after reporting an error, and returns std::nullopt
// silently for a kInvalid value (the parser already reported it), so one mistake yields
// one diagnostic.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spec/ast.h"
#include "spec/checker.h"
#include "spec/diagnostics.h"
#include "spec/generator.h"
#include "spec/model.h"
#include "spec/source.h"
#include "spec/template.h"

namespace pareto::spec::internal {

// What checking one file needs.
struct FileScope {
  const SourceFile& source;
  std::filesystem::path path;         // absolute, lexically normal
  std::filesystem::path dir;          // absolute folder: relative paths resolve here
  std::filesystem::path display_dir;  // the same folder as diagnostics name it
  const GeneratorRegistry& generators;
  const CheckOptions& options;
  Diagnostics& diags;
  std::vector<Span> parse_errors;  // spans of this file's syntax errors
  // Folders named in this file (workspaces), looked up once each: many tasks share one.
  struct Folder {
    std::filesystem::path path;  // resolved
    bool exists = false;         // is a folder
  };
  std::map<std::string, Folder, std::less<>> folders;

  Diagnostic& error(Span span, std::string message, std::string hint = {});
  // A --strict lint: a warning, or an error under --strict.
  void lint(Span span, std::string message, std::string hint = {});
  void note(Diagnostic& on, Span span, std::string message);
  Origin origin(Span span) const;
  // A path written in this file, resolved (absolute) and as diagnostics show it.
  std::filesystem::path resolve(std::string_view written) const;
  std::string display(std::string_view written) const;
  // resolve(written), and whether that is a folder, remembered for the next task asking.
  const Folder& folder(std::string_view written);
  // Whether a syntax error lies inside `span` (then "missing field" errors would mislead).
  bool has_parse_error_in(Span span) const;
};

// What a message speaks of: plain text ("`timeout`"), or a pattern with one `{}` and the name
// to put there ("sample field `{}`", "q"), formatted only when a message is written (most
// values are fine, and formatting each one's description would cost more than reading it).
// It refers to the strings it is made from: a What lives no longer than they do.
class What {
 public:
  What(const char* text) : pattern_(text) {}         // NOLINT(google-explicit-constructor)
  What(std::string_view text) : pattern_(text) {}    // NOLINT(google-explicit-constructor)
  What(const std::string& text) : pattern_(text) {}  // NOLINT(google-explicit-constructor)
  What(std::string_view pattern, std::string_view name)
      : pattern_(pattern), name_(name), formatted_(true) {}
  std::string text() const;

 private:
  std::string_view pattern_;
  std::string_view name_;
  bool formatted_ = false;
};

// "a string", "an integer", "a duration", ... for messages.
std::string a_kind(const Value& value);

// The typed readers. `what` names the thing being read in messages ("`timeout`").
std::optional<std::string> read_string(FileScope& s, const Value& v, const What& what);
std::optional<std::int64_t> read_int(FileScope& s, const Value& v, const What& what,
                                     std::int64_t min, std::int64_t max);
// An integer or a float.
std::optional<double> read_number(FileScope& s, const Value& v, const What& what, double min,
                                  double max);
std::optional<bool> read_bool(FileScope& s, const Value& v, const What& what);
// A duration > 0, in nanoseconds.
std::optional<std::chrono::nanoseconds> read_duration(FileScope& s, const Value& v,
                                                      const What& what);
// A size >= 1 byte.
std::optional<std::uint64_t> read_size(FileScope& s, const Value& v, const What& what);
// An energy > 0, in joules.
std::optional<double> read_energy(FileScope& s, const Value& v, const What& what);
// A NAME that must be one of `options`: "unknown kind `analyis`" with a did-you-mean hint.
std::optional<std::string> read_enum(FileScope& s, const Value& v, const What& what,
                                     std::span<const std::string_view> options);
// A list of NAMEs (or strings) from `options` (any name when `options` is empty); a repeat
// is an error.
std::optional<std::vector<std::string>> read_name_list(FileScope& s, const Value& v,
                                                       const What& what,
                                                       std::span<const std::string_view> options);
// The JSON form of a literal (string, number, bool, list, map of those); nullopt after an
// error for names, quantities and calls.
std::optional<nlohmann::json> read_json_literal(FileScope& s, const Value& v, const What& what);

// One parameter of a call signature.
struct Param {
  std::string_view name;
  bool positional = false;  // may be passed by position (in declaration order)
  bool required = false;
};

// The arguments of a call bound to its parameters: one slot per Param, null when absent.
struct BoundArgs {
  std::vector<const Value*> args;
  bool ok = true;  // false when an argument error was reported (the slots may still help)
  const Value* operator[](std::size_t i) const { return args[i]; }
};

// Binds `call`'s positional and named arguments to `params`, reporting too many positional
// arguments, unknown names (with did-you-mean), a parameter given twice, and missing
// required parameters (at the call). `callee` names the call in messages ("exact").
BoundArgs bind_args(FileScope& s, const Value& call, std::span<const Param> params,
                    std::string_view callee);

// One entry a block may hold.
struct FieldRule {
  std::string_view name;
  EntryKind kind = EntryKind::kField;  // kField or kSection (`expect` is its own kind)
  bool repeatable = false;
};

// A block's entries by name, in the order written. Names are views of the rules' names or of
// the syntax tree's (both outlive the map). A block holds a handful of entries, so a flat
// list searched from the front beats a tree.
class FieldMap {
 public:
  // The first entry written under `name`, or null.
  const Entry* first(std::string_view name) const;
  // Every entry written under `name`, in order (for the repeatable ones: `sample`, `expect`).
  std::vector<const Entry*> all(std::string_view name) const;
  // Whether `name` was written at all, usable or not (see collect_fields).
  bool contains(std::string_view name) const;
  // Records an entry; a null one marks a name as written without making it usable.
  void add(std::string_view name, const Entry* entry) { entries_.emplace_back(name, entry); }
  void reserve(std::size_t n) { entries_.reserve(n); }

 private:
  std::vector<std::pair<std::string_view, const Entry*>> entries_;
};

// The entries of a block by name, each checked against `rules`: unknown names (with
// did-you-mean), a field written as a section or the other way round, and a field set twice
// are reported and left out (a name written with the wrong entry kind, or the name a misspelt
// one was meant to be, is contained but has no entry, so callers do not also call it missing).
// `where` names the block ("task `add3`", "`budget`").
FieldMap collect_fields(FileScope& s, const Block& block, std::span<const FieldRule> rules,
                        const What& where, bool allow_expect);

// The value of a template string, whose references are `refs` (template_fields(v.text)):
// reports every `{{name}}` that is not in `fields` at its
// own span inside the string literal `v`. `known` says whether the sample fields are known
// at all (false after a data-file error, when the check would only repeat it).
void check_template(FileScope& s, const Value& v, const std::vector<TemplatePart>& refs,
                    const std::vector<std::string>& fields, bool known, std::string_view task_note);

// The span of the `index`-th `{{field}}` reference of string literal `v` in the source, or
// v.span when the raw text does not show it plainly (an escape produced a brace).
Span template_ref_span(const FileScope& s, const Value& v, std::size_t index);

// ---------------------------------------------------------------------------------------------
// Checking one task (check_task.cc, with graders, extraction and lints in check_graders.cc)

inline constexpr std::string_view kLanguages[] = {"python", "cpp"};
Language to_language(std::string_view name);

// A field after merging: the task's own entry, else the defaults' entry.
struct Field {
  const Entry* entry = nullptr;
  bool from_defaults = false;
  explicit operator bool() const { return entry != nullptr; }
  const Value& value() const { return entry->value; }
};

// A use of a sample field by a template or a field operand, for per-sample coverage.
struct Use {
  std::string field;
  std::string what;  // "the prompt", "`exact`", ...
};

// The state of checking one task, shared by the readers of its parts.
struct TaskCheck {
  FileScope& s;
  const Item& item;
  Task& task;
  std::optional<TaskKind> kind;
  std::vector<std::string> fields;  // union of the samples' fields, sorted
  bool fields_known = true;         // false when the samples could not be read
  std::vector<Use> uses;
  std::string data_display;                   // data file as diagnostics name it (jsonl/csv)
  std::vector<std::string> generated_fields;  // generate(): the fields its samples will have
  const Generator* generator = nullptr;       // generate(), once its arguments checked out
  Span generator_call;                        // generate(): the call, for messages
  std::vector<Sample> drawn;                  // pending samples drawn for the lints so far

  // The first `at_least` samples (fewer when the task has fewer) for lints: the task's own, or,
  // while they are pending, drawn here (sample i does not depend on the count, so a prefix is
  // the same as in a full draw).
  const std::vector<Sample>& lint_samples(std::size_t at_least);

  // Appended to messages about a value that came from the file's `defaults`, so the reader
  // knows which task it failed for.
  std::string note(const Field& f) const {
    return f.from_defaults ? fmt::format(" (from `defaults`, in task `{}`)", task.id) : "";
  }
  bool has_field(std::string_view name) const {
    return std::find(fields.begin(), fields.end(), name) != fields.end();
  }
  // Whether an entry applies to this task's kind; a default that does not apply is ignored,
  // one written in the task is an error.
  bool applies(const Field& f, bool ok_for_kind, std::string_view message) {
    if (!f || !kind) return static_cast<bool>(f);
    if (ok_for_kind) return true;
    if (!f.from_defaults) s.error(f.entry->name_span, std::string(message));
    return false;
  }
};

// Draws `count` samples of a checked generate(...) source from `generator`; nullopt with
// *error set when the generator throws.
std::optional<std::vector<Sample>> draw_samples(const Generator& generator,
                                                const SampleSource& source, std::size_t count,
                                                std::string* error);

// Records the `{{field}}`s of a template string for per-sample coverage and checks them
// against the samples' fields.
void use_template(TaskCheck& c, const Value& v, const What& what, std::string_view note);

// One `expect` entry as a grader, or nullopt after reporting what is wrong.
std::optional<Grader> read_grader(TaskCheck& c, const Entry& e);

// The `extract` field, or nullopt after reporting what is wrong.
std::optional<Extraction> read_extract(TaskCheck& c, const Field& f);

// Lints that need only the task's own fields (tags, reference): run even on a task with errors.
void run_field_lints(TaskCheck& c);

// Lints that look at the samples and graders: run only on a task without errors. `expects` are
// the entries the task's graders came from, in order.
void run_lints(TaskCheck& c, const std::vector<const Entry*>& expects);

// A file's `defaults` block, read once: its fields, and the fields of its sections.
struct Defaults {
  FieldMap fields;
  std::map<std::string, FieldMap, std::less<>> sections;  // budget, sandbox, agent
};

// Checks a `defaults` block on its own (field names and the value types that do not depend on
// a task), reporting its errors once, and returns it for check_task.
Defaults check_defaults(FileScope& s, const Item& item);

// Checks one task (with the file's defaults, if any) into `task`. Returns false when an error
// was reported.
bool check_task(FileScope& s, const Item& item, const Defaults* defaults, Task& task);

// Checks one tier item into `tier`.
bool check_tier(FileScope& s, const Item& item, Tier& tier);

}  // namespace pareto::spec::internal

// What in fmt::format: its text.
template <>
struct fmt::formatter<pareto::spec::internal::What> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(const pareto::spec::internal::What& what, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(what.text(), ctx);
  }
};
