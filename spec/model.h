// The checked, typed model of a spec: what `pareto check` proves and what the harness runs.
//
// The checker (spec/checker.h) turns parsed .pareto files into these structs. Everything
// here is plain data with no hidden behaviour: every field is resolved (defaults merged,
// paths made absolute, enums decoded, units converted to base units, samples loaded or
// generated), so a consumer never looks at syntax again. Invariants the checker
// guarantees for a model it returns without errors are documented on each field; a
// model that came with errors is incomplete and must not be run.
//
// ONE EXCEPTION, READ THIS BEFORE USING Task::samples: a check run with
// CheckOptions::generate_samples = false (`pareto check`, `pareto list`: checking does not
// need them) leaves the samples of generate(...) tasks undrawn. Such a task has an empty
// `samples` and says so with samples_pending(); spec::materialize_samples (spec/checker.h)
// draws them. Code that runs or exports samples either checks with the default
// (generate_samples = true, every task's samples filled) or calls materialize_samples first.
//
// Units: durations are std::chrono::nanoseconds, sizes are bytes, energies are joules.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "spec/samples.h"

namespace pareto::spec {

// Where a declaration came from, for messages the harness prints about it later.
struct Origin {
  std::filesystem::path file;  // absolute, lexically normal path of the .pareto file
  int line = 0;                // 1-based
  int column = 0;              // 1-based
};

enum class TaskKind { kAnalysis, kCoding, kAgent };
enum class Language { kPython, kCpp };
enum class PromptMode { kChat, kCompletion };  // chat messages, or one raw completion prompt

// A grader argument that is either a literal or a sample field. A bare NAME in the spec
// (`number(answer)`) names a field of each sample; a string literal may contain
// `{{field}}` templates, which the harness renders per sample (spec/template.h).
struct Operand {
  std::optional<std::string> field;  // set: the value is sample.fields[*field]
  nlohmann::json literal;            // used when `field` is empty: string, number, bool, ...

  bool is_field() const { return field.has_value(); }
};

// How the answer is cut out of the completion before the graders see it.
struct Extraction {
  enum class Kind {
    kFull,        // the whole completion, trimmed of surrounding whitespace
    kLastNumber,  // the last number in the completion (sign, decimals, exponent)
    kCodeBlock,   // the last ``` fenced block of `language` (or any fence when unspecified)
    kRegex,       // capture `group` of the first match of `pattern`
    kJson,        // the first JSON value (object or array) in the completion, re-serialised
  };
  Kind kind = Kind::kFull;
  std::optional<Language> language;  // kCodeBlock only
  std::string pattern;               // kRegex only: an RE2 pattern that compiled at check time
  int group = 0;                     // kRegex only: 0 = whole match; <= the pattern's groups
};

// exact(expected, normalize = [case, whitespace, punctuation])
struct ExactGrader {
  Operand expected;
  bool ignore_case = false;          // normalize: case
  bool collapse_whitespace = false;  // normalize: whitespace (trim, runs become one space)
  bool strip_punctuation = false;    // normalize: punctuation (ASCII punctuation removed)
};

// contains(text, case_sensitive = true): the answer contains `text`.
struct ContainsGrader {
  Operand text;
  bool case_sensitive = true;
};

// regex(pattern, group = 0, equals = ...): the pattern matches the answer; with `equals`,
// capture `group` of the first match must equal it. `pattern` is not a template.
struct RegexGrader {
  std::string pattern;  // compiled with RE2 at check time
  int group = 0;        // <= the pattern's capturing groups
  std::optional<Operand> equals;
};

// number(expected, tolerance = abs, relative = rel): the last number in the answer is
// within `tolerance` (absolute) or `relative` (fraction of |expected|) of `expected`.
// With neither, it must be equal.
struct NumberGrader {
  Operand expected;
  std::optional<double> tolerance;  // >= 0
  std::optional<double> relative;   // >= 0
};

// json(path = "$.a.b", equals = ...): the answer parses as JSON and has a value at `path`
// (which equals `equals` when given). Paths: `$`, `.name`, `[index]`, e.g. "$.items[0].id".
struct JsonGrader {
  std::string path = "$";
  std::optional<Operand> equals;
};

// tests(code, language = ...): run the extracted solution with `code` in the sandbox; the
// grader passes when the test code exits 0. Python: the solution is solution.py beside
// test.py. C++: solution.h beside test.cc.
struct TestsGrader {
  std::string code;   // a template
  Language language;  // the argument, else the task's language
};

// command(cmd, exit = 0, stdout = ..., stdout_contains = ...): a shell command run in the
// task workspace after the model is done.
struct CommandGrader {
  std::string command;  // a template
  int exit_code = 0;
  std::optional<Operand> stdout_equals;    // compared after trimming surrounding whitespace
  std::optional<Operand> stdout_contains;  //
};

// judge(rubric, tier = ultra, threshold = ...): a tier grades the answer against a rubric
// with a score in [0, 1]; it passes at or above `threshold`.
struct JudgeGrader {
  std::string rubric;  // a template
  std::string tier = "ultra";
  double threshold = 0.5;  // in [0, 1]
};

// unchanged(path): agent workspaces only; `path` (a file or a folder ending in '/',
// relative to the workspace) is byte-identical after the agent ran.
struct UnchangedGrader {
  std::string path;
};

using GraderSpec = std::variant<ExactGrader, ContainsGrader, RegexGrader, NumberGrader, JsonGrader,
                                TestsGrader, CommandGrader, JudgeGrader, UnchangedGrader>;

// One `expect` line. The item's score is the weighted mean of its graders' verdicts; the
// item passes when every grader passes.
struct Grader {
  GraderSpec spec;
  double weight = 1.0;  // > 0
  Origin origin;
};

// The name a grader is written with: "exact", "contains", ...
std::string grader_name(const GraderSpec& spec);

// A task's limits. An unset limit is not enforced. Overruns are reported apart from wrong
// answers.
struct Budget {
  std::optional<std::int64_t> max_tokens;           // completion tokens per item, >= 1
  std::optional<std::chrono::nanoseconds> timeout;  // wall time per item, > 0
  std::optional<int> max_steps;      // agent steps per item, >= 1; agent tasks only (default 20)
  std::optional<double> max_energy;  // joules per item, > 0
};

// The sandbox that model-written code and commands run in. Every limit has a value: the
// checker fills in the defaults below for fields the spec leaves out.
struct Sandbox {
  bool network = false;
  std::uint64_t memory = 512ull << 20;                       // bytes of address space
  std::chrono::nanoseconds cpu = std::chrono::seconds(10);   // CPU time
  std::chrono::nanoseconds wall = std::chrono::seconds(30);  // wall time
  int procs = 16;                                            // processes and threads
  std::uint64_t file_size = 16ull << 20;                     // bytes per written file
  std::uint64_t output = 1ull << 20;                         // bytes of stdout+stderr kept
};

// The tools an agent may call. The checker accepts exactly these names.
inline constexpr const char* kAgentTools[] = {"shell", "read_file", "write_file", "list_files",
                                              "submit"};

struct Agent {
  std::vector<std::string> tools;  // a subset of kAgentTools, in spec order, no repeats
};

// Where a task's samples come from. Inline samples come from `sample { ... }` sections;
// a task with neither a `samples` source nor inline samples gets kNone and one empty sample.
struct SampleSource {
  enum class Kind { kNone, kInline, kJsonl, kCsv, kGenerate };
  Kind kind = Kind::kNone;
  std::string path_as_written;  // kJsonl, kCsv: the argument
  std::filesystem::path path;   // kJsonl, kCsv: absolute, resolved against the spec file
  std::string generator;        // kGenerate: registered generator name
  nlohmann::json params = nlohmann::json::object();  // kGenerate: every param, defaults filled
  std::uint64_t seed = 0;                            // kGenerate
  std::size_t count = 0;                             // kGenerate: 1..kMaxGeneratedSamples
};

// The most samples one generate(...) may draw (each is made and held in memory when drawn).
inline constexpr std::size_t kMaxGeneratedSamples = 100'000;

struct Task {
  std::string id;     // dotted name, unique within its suite
  std::string suite;  // the suite's name
  TaskKind kind = TaskKind::kAnalysis;
  std::vector<std::string> tags;  // no repeats, spec order
  PromptMode mode = PromptMode::kChat;
  double temperature = 0.0;          // >= 0
  std::string system;                // a template; empty = no system prompt
  std::string prompt;                // a template; never empty
  std::optional<Language> language;  // coding: always set; agent: optional; analysis: unset
  std::string reference;             // coding: a reference solution (a template); may be empty
  std::map<std::string, std::string> files;        // extra workspace files: relative name -> text
  std::optional<std::filesystem::path> workspace;  // agent: absolute folder copied in
  std::optional<Agent> agent;                      // set exactly for agent tasks
  Extraction extract;
  std::vector<Grader> graders;  // at least one
  Budget budget;
  Sandbox sandbox;
  SampleSource source;
  // The samples, in order: loaded from the data file, generated, or inline. Never empty;
  // every sample provides every field the task's templates and field operands use.
  // EXCEPT when samples_pending(): a generate(...) task checked with
  // CheckOptions::generate_samples = false holds none until spec::materialize_samples draws
  // them (see the top of this file).
  std::vector<Sample> samples;
  std::vector<std::string> sample_fields;  // the fields every sample has, sorted (pending too)
  Origin origin;                           // the `task` keyword

  // Whether the samples are still to be drawn (generate(...) checked without drawing).
  bool samples_pending() const {
    return source.kind == SampleSource::Kind::kGenerate && samples.empty();
  }
  // How many samples the task has, or will have once drawn.
  std::size_t sample_count() const { return samples_pending() ? source.count : samples.size(); }
};

// A suite: one root .pareto file with the files it includes (transitively). Tasks of
// included files join the including suite.
struct Suite {
  std::string name;                             // `suite NAME`, else the root file's stem
  std::string title;                            // `suite NAME "title"`; may be empty
  std::filesystem::path file;                   // the root file
  std::vector<std::filesystem::path> includes;  // every included file, first-seen order
  std::vector<Task> tasks;  // in source order, included files' tasks at their include line
};

// A tier's model: an embedded GGUF file or an OpenAI-compatible endpoint.
struct GgufModel {
  std::string path_as_written;
  std::filesystem::path path;           // absolute, resolved against the tier file
  std::optional<std::int64_t> context;  // context length override, >= 1
  std::optional<int> threads;           // CPU threads, >= 1
};

struct OpenAiModel {
  std::string url;                      // http:// or https://, the API base (…/v1)
  std::string name;                     // the model name the endpoint expects
  std::string api_key_env;              // environment variable holding the key; empty = no key
  std::optional<std::int64_t> context;  // context length, when known
  std::optional<std::chrono::nanoseconds> timeout;  // per request
  int max_retries = 3;
  std::optional<double> requests_per_minute;   // > 0: request starts spaced 60/rpm s apart
  std::map<std::string, std::string> headers;  // extra HTTP headers
};

using TierModel = std::variant<GgufModel, OpenAiModel>;

struct Tier {
  std::string name;  // e.g. flash, pro, ultra
  TierModel model;
  int concurrency = 1;                     // requests in flight, >= 1
  std::optional<double> joules_per_token;  // declared energy, > 0
  Origin origin;
};

// Everything one check produced: suites from task files, tiers from tier items (a tier
// file is any .pareto file with `tier` items; files may mix both).
struct Project {
  std::vector<Suite> suites;  // sorted by name; names are unique
  std::vector<Tier> tiers;    // in source order; names are unique
};

// Spellings used in specs and in the JSON export.
std::string_view to_string(TaskKind kind);
std::string_view to_string(Language language);
std::string_view to_string(PromptMode mode);
std::string_view to_string(Extraction::Kind kind);
std::string_view to_string(SampleSource::Kind kind);

}  // namespace pareto::spec
