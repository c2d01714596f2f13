// check, fmt, list, export: the spec language on the command line.
//
//   pareto check [--strict] [--verify] PATH...   diagnostics on stderr, a summary on stdout;
//                                                exit 2 on any error; --verify grades each
//                                                reference with its graders: exit 1 when one
//                                                fails, 3 when the sandbox cannot run
//   pareto fmt [--check] PATH...                 canonical formatting, written atomically;
//                                                --check exits 1 naming files that would change
//   pareto list [--json] PATH...                 suite, task, kind, tags, samples
//   pareto export [--no-samples] PATH...         the checked specs as canonical JSON
//
// PATH is a .pareto file or a folder searched recursively for *.pareto files.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "harness/cli/commands.h"
#include "harness/sandbox.h"
#include "harness/verify.h"
#include "spec/checker.h"
#include "spec/diagnostics.h"
#include "spec/export.h"
#include "spec/format.h"
#include "spec/source.h"
#include "suites/generators.h"

namespace pareto::cli {
namespace {

namespace fs = std::filesystem;

struct SpecArgs {
  std::vector<std::string> paths;
  bool strict = false;
  bool verify = false;
  std::size_t verify_samples = 20;  // check --verify
  bool verbose = false;             // check --verify
  bool check_only = false;  // fmt --check
  bool json = false;        // list --json
  bool no_samples = false;  // export --no-samples
};

spec::RenderOptions render_options() {
  spec::RenderOptions options;
  options.color = isatty(STDERR_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
  return options;
}

// The .pareto files named by the arguments; problems go to stderr.
bool expand_paths(const std::vector<std::string>& args, std::vector<fs::path>& files) {
  spec::Diagnostics problems;
  files = spec::find_spec_files(args, problems);
  std::fputs(problems.render(render_options()).c_str(), stderr);
  return problems.empty();
}

// Checks the files; prints diagnostics (all of them, or only when there are errors).
// `samples`: draw generated samples (only what prints or grades them needs them).
std::optional<spec::CheckResult> check_paths(const SpecArgs& args, bool show_warnings,
                                             bool samples = false) {
  std::vector<fs::path> files;
  if (!expand_paths(args.paths, files)) return std::nullopt;
  const spec::GeneratorRegistry generators = suites::builtin_generators();
  spec::CheckOptions options;
  options.strict = args.strict;
  options.generate_samples = samples;
  spec::CheckResult result = spec::check_files(files, generators, options);
  if (show_warnings || !result.ok()) {
    std::fputs(result.diagnostics.render(render_options()).c_str(), stderr);
  }
  return result;
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// Where a task was declared, as a diagnostic header shows it: relative to the current folder
// when inside it.
std::string display_path(const fs::path& file) {
  std::error_code ec;
  const fs::path rel = file.lexically_proximate(fs::current_path(ec));
  if (ec || rel.empty() || *rel.begin() == "..") return file.string();
  return rel.string();
}

std::string source_line(const fs::path& file, int line) {
  std::ifstream in(file, std::ios::binary);
  std::string text;
  for (int i = 0; i < line && std::getline(in, text); ++i) {
  }
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

spec::Diagnostic verify_failure(const harness::TaskVerification& v) {
  const spec::Task& task = *v.task;
  spec::Diagnostic d;
  d.severity = spec::Severity::kError;
  d.file = display_path(task.origin.file);
  d.line = d.end_line = task.origin.line;
  d.column = task.origin.column;
  d.end_column = task.origin.column + static_cast<int>(task.id.size());  // the task's name
  d.source_line = source_line(task.origin.file, task.origin.line);
  if (d.source_line.empty()) d.column = d.end_column = 0;
  d.message = fmt::format("{} of task `{}` fails its graders on sample {} ({} of {} checked "
                          "samples fail)",
                          v.subject, task.id, v.first_sample, v.failed, v.samples);
  for (const std::string& reason : v.reasons) {
    d.notes.push_back(spec::make_line_diagnostic(d.file, d.line, spec::Severity::kNote, reason));
  }
  return d;
}

int run_verify(const SpecArgs& args, const spec::Project& project) {
  for (const auto& suite : project.suites) {
    for (const auto& task : suite.tasks) {
      if (!harness::verify_needs_sandbox(task)) continue;
      inference::Status available = harness::sandbox_available();
      if (!available.ok()) {
        std::fprintf(stderr,
                     "pareto check --verify: task `%s` needs the sandbox to verify, and the "
                     "sandbox cannot run here: %s\n",
                     task.id.c_str(), available.message().c_str());
        return kRuntime;
      }
      break;
    }
  }
  harness::VerifyOptions options;
  options.max_samples = args.verify_samples;
  const auto results = harness::verify_project(project, options);
  std::size_t passed = 0, failed = 0, skipped = 0, samples = 0;
  spec::Diagnostics failures;
  for (const auto& v : results) {
    samples += v.samples;
    switch (v.outcome) {
      case harness::TaskVerification::Outcome::kPassed:
        ++passed;
        break;
      case harness::TaskVerification::Outcome::kFailed:
        ++failed;
        failures.add(verify_failure(v));
        break;
      case harness::TaskVerification::Outcome::kSkipped:
        ++skipped;
        break;
    }
  }
  std::fputs(failures.render(render_options()).c_str(), stderr);
  std::printf("%s\n", fmt::format("verified {} on {}{}: {} passed, {} failed; {} not verifiable",
                                  plural(passed + failed, "task", "tasks"),
                                  plural(samples, "sample", "samples"),
                                  args.verify_samples == 0
                                      ? ""
                                      : fmt::format(" (at most {} per task)", args.verify_samples),
                                  passed, failed, skipped)
                          .c_str());
  if (args.verbose) {
    for (const auto& v : results) {
      if (v.outcome != harness::TaskVerification::Outcome::kSkipped) continue;
      std::printf("  not verified: %s/%s: %s\n", v.suite->name.c_str(), v.task->id.c_str(),
                  v.skip_reason.c_str());
    }
  }
  return failed > 0 ? kFailedBar : kOk;
}

int run_check(const SpecArgs& args) {
  auto result = check_paths(args, true, args.verify);  // --verify grades the samples
  if (!result) return kUsage;
  std::size_t tasks = 0;
  for (const auto& suite : result->project.suites) tasks += suite.tasks.size();
  std::string summary = fmt::format(
      "checked {}: {} in {}, {}; {}, {}", plural(result->files, "file", "files"),
      plural(tasks, "task", "tasks"), plural(result->project.suites.size(), "suite", "suites"),
      plural(result->project.tiers.size(), "tier", "tiers"),
      plural(result->diagnostics.error_count(), "error", "errors"),
      plural(result->diagnostics.warning_count(), "warning", "warnings"));
  std::printf("%s%s\n", summary.c_str(), args.strict ? " (strict)" : "");
  if (!result->ok()) return kUsage;
  if (args.verify) return run_verify(args, result->project);
  return kOk;
}

// Writes `text` to `path` through a temporary file in the same folder and a rename, so a
// reader never sees half a file and a crash never leaves one. Keeps the file's permissions.
bool write_atomically(const fs::path& path, const std::string& text, std::string* error) {
  const fs::path tmp = path.parent_path() / fmt::format(".{}.fmt-{}", path.filename().string(),
                                                        static_cast<long>(getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      *error = "cannot write " + tmp.string();
      std::error_code ignored;
      fs::remove(tmp, ignored);
      return false;
    }
  }
  std::error_code ec;
  const auto perms = fs::status(path, ec).permissions();
  if (!ec) fs::permissions(tmp, perms, ec);
  fs::rename(tmp, path, ec);
  if (ec) {
    *error = fmt::format("cannot replace {}: {}", path.string(), ec.message());
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return false;
  }
  return true;
}

int run_fmt(const SpecArgs& args) {
  std::vector<fs::path> files;
  bool usage_error = !expand_paths(args.paths, files);
  bool runtime_error = false;
  std::size_t changed = 0;
  for (const fs::path& path : files) {
    std::string error;
    auto source = spec::read_source_file(path, &error);
    if (!source) {
      std::fprintf(stderr, "%s: error: %s\n", path.string().c_str(), error.c_str());
      usage_error = true;
      continue;
    }
    spec::Diagnostics diagnostics;
    auto formatted = spec::format_source(*source, diagnostics);
    if (!formatted) {
      // Never rewrite a file that does not parse: the formatter would lose what it skipped.
      std::fputs(diagnostics.render(render_options()).c_str(), stderr);
      usage_error = true;
      continue;
    }
    if (*formatted == source->text()) continue;
    ++changed;
    if (args.check_only) {
      std::printf("would reformat %s\n", path.string().c_str());
      continue;
    }
    if (!write_atomically(path, *formatted, &error)) {
      std::fprintf(stderr, "%s: error: %s\n", path.string().c_str(), error.c_str());
      runtime_error = true;
      continue;
    }
    std::printf("formatted %s\n", path.string().c_str());
  }
  if (usage_error) return kUsage;
  if (runtime_error) return kRuntime;
  if (args.check_only && changed > 0) return kFailedBar;
  return kOk;
}

int run_list(const SpecArgs& args) {
  auto result = check_paths(args, false);
  if (!result) return kUsage;
  if (!result->ok()) return kUsage;
  struct Row {
    std::string suite, task, kind, tags, samples;
  };
  std::vector<Row> rows;
  nlohmann::json json = nlohmann::json::array();
  for (const auto& suite : result->project.suites) {
    for (const auto& task : suite.tasks) {
      std::string tags;
      for (const auto& t : task.tags) tags += (tags.empty() ? "" : ",") + t;
      rows.push_back({suite.name, task.id, std::string(spec::to_string(task.kind)),
                      tags.empty() ? "-" : tags, std::to_string(task.sample_count())});
      json.push_back({{"suite", suite.name},
                      {"task", task.id},
                      {"kind", spec::to_string(task.kind)},
                      {"tags", task.tags},
                      {"samples", task.sample_count()}});
    }
  }
  if (args.json) {
    std::printf("%s\n", json.dump(2).c_str());
    return kOk;
  }
  Row header{"SUITE", "TASK", "KIND", "TAGS", "SAMPLES"};
  std::size_t w[4] = {header.suite.size(), header.task.size(), header.kind.size(),
                      header.tags.size()};
  for (const Row& r : rows) {
    w[0] = std::max(w[0], r.suite.size());
    w[1] = std::max(w[1], r.task.size());
    w[2] = std::max(w[2], r.kind.size());
    w[3] = std::max(w[3], r.tags.size());
  }
  auto print = [&](const Row& r) {
    std::printf("%s\n", fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {:>7}", r.suite, w[0], r.task,
                                    w[1], r.kind, w[2], r.tags, w[3], r.samples)
                            .c_str());
  };
  print(header);
  for (const Row& r : rows) print(r);
  return kOk;
}

int run_export(const SpecArgs& args) {
  auto result = check_paths(args, false, !args.no_samples);
  if (!result) return kUsage;
  if (!result->ok()) return kUsage;
  spec::ExportOptions options;
  options.include_samples = !args.no_samples;
  std::error_code ec;
  options.base = fs::current_path(ec);
  std::fputs(spec::export_text(result->project, options).c_str(), stdout);
  return kOk;
}

CLI::App* add_paths(CLI::App* cmd, std::shared_ptr<SpecArgs> args) {
  cmd->add_option("PATH", args->paths, ".pareto files, or folders searched for them")->required();
  return cmd;
}

}  // namespace

void add_spec_commands(CLI::App& app, int& exit_code) {
  {
    auto args = std::make_shared<SpecArgs>();
    CLI::App* cmd = app.add_subcommand(
        "check", "parse and check spec files; diagnostics on stderr, exit 2 on any error");
    cmd->add_flag("--strict", args->strict, "lints for vague specs are errors, not warnings");
    cmd->add_flag("--verify", args->verify,
                  "grade each task's reference (coding) or `answer` field (analysis) with its own "
                  "graders; exit 1 when one fails (docs/spec.md, \"Verifying specs\")");
    cmd->add_option("--verify-samples", args->verify_samples,
                    "with --verify: samples graded per task, spread evenly (0 = all)")
        ->capture_default_str();
    cmd->add_flag("--verbose", args->verbose, "with --verify: list the tasks not verified and why");
    add_paths(cmd, args);
    cmd->callback([args, &exit_code] { exit_code = run_check(*args); });
  }
  {
    auto args = std::make_shared<SpecArgs>();
    CLI::App* cmd = app.add_subcommand("fmt", "rewrite spec files in canonical form");
    cmd->add_flag("--check", args->check_only,
                  "change nothing; exit 1 and name the files that would change");
    add_paths(cmd, args);
    cmd->callback([args, &exit_code] { exit_code = run_fmt(*args); });
  }
  {
    auto args = std::make_shared<SpecArgs>();
    CLI::App* cmd = app.add_subcommand("list", "tasks with their suite, kind, tags and samples");
    cmd->add_flag("--json", args->json, "a JSON array instead of a table");
    add_paths(cmd, args);
    cmd->callback([args, &exit_code] { exit_code = run_list(*args); });
  }
  {
    auto args = std::make_shared<SpecArgs>();
    CLI::App* cmd =
        app.add_subcommand("export", "the checked specs as canonical JSON (docs/spec.md)");
    cmd->add_flag("--no-samples", args->no_samples,
                  "leave out the samples themselves (keep their source, count and fields)");
    add_paths(cmd, args);
    cmd->callback([args, &exit_code] { exit_code = run_export(*args); });
  }
}

}  // namespace pareto::cli
