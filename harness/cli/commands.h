// The pareto command line: each group of commands registers its subcommands on the app.
// A command's callback stores its exit code in `exit_code` (design, "Command line"):
//   0 success, 1 something failed its bar, 2 usage or spec error, 3 runtime error.
// Commands print; libraries never do.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "spec/checker.h"

namespace pareto::cli {

enum ExitCode : int { kOk = 0, kFailedBar = 1, kUsage = 2, kRuntime = 3 };

// check, fmt, list, export: the spec language.
void add_spec_commands(CLI::App& app, int& exit_code);

// sandbox run: a command in the graders' sandbox.
void add_sandbox_commands(CLI::App& app, int& exit_code);

// tokenize: token ids of a text under a GGUF model's tokenizer.
void add_tokenize_commands(CLI::App& app, int& exit_code);

// logits, generate, bench, quantize, model new: the embedded inference core.
void add_core_commands(CLI::App& app, int& exit_code);

// train: train an embedded model from a recipe.
void add_train_commands(CLI::App& app, int& exit_code);

// run, merge, models: the harness. argv is recorded in each run's manifest.
void add_run_commands(CLI::App& app, int& exit_code, int argc, char** argv);

// report, compare, saturation, targets: what a run's results say.
void add_report_commands(CLI::App& app, int& exit_code);

// serve: the embedded core behind an OpenAI-compatible HTTP API.
void add_serve_commands(CLI::App& app, int& exit_code);

// distill export, distill train: teacher datasets and distilled embedded students.
void add_distill_commands(CLI::App& app, int& exit_code);

// --kv-type on `cmd` into `name` (default f32): the embedded core's KV cache element, f32 or
// f16 (inference::ParseKvType); any other value is a usage error at parse time.
void add_kv_type_option(CLI::App* cmd, std::string& name);

// The tier file a command uses: `given` (--tier-file), else ./tiers.pareto, else the bundled
// default tiers; nullopt with *error saying where it looked.
std::optional<std::filesystem::path> find_tier_file(const std::string& given, std::string* error);

// Checks spec files and folders together with the tier file; diagnostics go to stderr.
// *spec_files receives the spec files found (without the tier file).
std::optional<spec::CheckResult> check_project(const std::vector<std::string>& paths,
                                               const std::filesystem::path& tier_file,
                                               std::vector<std::filesystem::path>* spec_files);

// Registers a command that is part of the design but not built yet: it accepts any
// arguments, says so on stderr, and exits 2.
void add_pending_command(CLI::App& app, const std::string& name, const std::string& description,
                         const std::string& arrives_with, int& exit_code);

}  // namespace pareto::cli
