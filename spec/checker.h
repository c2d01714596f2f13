// The checker: parsed .pareto files -> the typed model of spec/model.h, with every semantic
// error of every file reported in one pass.
//
// It resolves includes (relative to the including file; a missing file or a cycle is an
// error at the `include`), merges each file's `defaults` under its tasks, decodes and
// type-checks every field, loads data files and runs generators (templates and field
// references are checked against the fields the samples have: a data file's, or the fields
// a generator declares in its GeneratorInfo), compiles regexes, and checks tier items. With
// CheckOptions::strict, the lints of docs/spec.md ("Lints") are errors; without, they are warnings.
//
// Suites: each root file is one suite, together with everything it includes. A file that
// another checked file includes is not a root (so checking a folder counts a shared file
// once). A root that declares no task and has no `suite` line (a tier file) makes no suite.
//
// Promises: any input (bytes, nesting, missing files, cycles) yields diagnostics, never a
// crash or an exception; diagnostics are in the order files were checked, each file's in
// source order, with no duplicates; the Project is complete and valid only when
// CheckResult::ok().
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "spec/diagnostics.h"
#include "spec/generator.h"
#include "spec/model.h"
#include "spec/parser.h"

namespace pareto::spec {

struct CheckOptions {
  bool strict = false;  // lints are errors, not warnings
  // Draw the samples of generate(...) tasks. false: leave them pending (Task::samples_pending,
  // spec/model.h), which is what checking alone needs: the diagnostics are the same (a lint
  // that looks at samples draws the few it needs), only a generator that throws goes
  // unnoticed until materialize_samples. Generation is most of the cost of checking a spec
  // with large generated sets.
  bool generate_samples = true;
  ParseOptions parse;
  // Reads a spec file. Unset: read it from disk (spec/source.h's read_source_file). Tests
  // pass their own to check text held in memory; data files and workspaces are always on
  // disk. It is called with the absolute, lexically normal path (a relative path given to
  // check_files is made absolute against the current folder first), at most once per file.
  // On failure return nullopt and set *error.
  std::function<std::optional<std::string>(const std::filesystem::path&, std::string* error)>
      read_file;
};

struct CheckResult {
  Project project;
  Diagnostics diagnostics;
  std::size_t files = 0;  // spec files read (roots and includes)

  bool ok() const { return !diagnostics.has_errors(); }
};

// The .pareto files that command-line arguments name: a file as given, a folder searched
// recursively for *.pareto files (sorted, so the order does not depend on the file system).
// A missing path, an unreadable folder and a folder without spec files are errors in
// `diagnostics` (`path: error: no such file or folder`).
std::vector<std::filesystem::path> find_spec_files(std::span<const std::string> paths,
                                                   Diagnostics& diagnostics);

// Checks spec files. Diagnostics name each file as given (includes and data files relative
// to the folder of the file that names them), so relative paths stay relative.
CheckResult check_files(std::span<const std::filesystem::path> files,
                        const GeneratorRegistry& generators, const CheckOptions& options = {});

// Draws the pending samples of a task checked with CheckOptions::generate_samples = false
// (the same samples a check with generate_samples = true would have drawn); a no-op for a
// task whose samples are there. False, with *error set, when `generators` lacks the task's
// generator or the generator fails; the task's samples are then still pending.
bool materialize_samples(Task& task, const GeneratorRegistry& generators, std::string* error);
// materialize_samples for every task of the project; stops at the first failure.
bool materialize_samples(Project& project, const GeneratorRegistry& generators, std::string* error);

}  // namespace pareto::spec
