// Graders: the verdicts of a task's `expect` lines on one item's answer (design, "The spec
// language": graders; spec::GraderSpec says what each one checks).
//
// Promises:
//  - Every grader kind runs: exact, contains, regex, number, json, tests, command, judge,
//    unchanged. One verdict per grader, in spec order; the item's score is the weighted mean
//    of the verdicts' scores and it passes when every grader passes (combine()).
//  - A wrong answer and a grader that could not run are different things: a verdict with
//    `error` set means the grader could not give one (the sandbox cannot start, the judge
//    callback failed or answered without a strict `SCORE:` line, an expected value that is
//    not a number, a missing workspace), and Grading::error says the item is an error, not a
//    failure. A verdict without `error` is a real pass or fail with a reason for people.
//  - The answer is untrusted: model-written code only runs in the sandbox
//    (harness/sandbox.h), under the task's sandbox limits, in a fresh workspace per grader
//    that holds only the task's files, the solution and the test; a solution that fails,
//    crashes, times out or exhausts memory is a failing verdict, never an error, and never
//    stops the harness.
//  - Operands (`expected`, `text`, `equals`, stdout) name a sample field or are literals
//    whose {{templates}} render with the sample's fields; the test code, commands and
//    rubrics are templates too.
//  - TaskGraders is built once per task (patterns compiled, paths parsed) and grade() is
//    const and safe to call from many threads at once.
//
// What each grader does beyond spec/model.h:
//  - exact: both sides normalised the same way (case: ASCII letters lowered; punctuation:
//    ASCII punctuation removed, before whitespace: trimmed and runs of whitespace become one
//    space).
//  - number: the last number of the answer (agents::find_last_number) against the expected
//    value; integers and plain decimals compare exactly as decimals (so 18-digit integers
//    stay exact), numbers with an exponent as doubles; a tolerance passes within `tolerance`
//    or within `relative` x |expected|.
//  - json: the whole answer must parse as one JSON value; `equals` compares JSON values (a
//    field's value as it is; a string literal, rendered, equals a string value with the same
//    text or, parsed as JSON, any other value: "[1, 2]" equals [1,2]).
//  - tests: Python runs `python3 test.py` beside solution.py; C++ compiles test.cc beside
//    solution.h with `g++ -std=c++20 -O1` inside the sandbox (with at least
//    kCompileMemory of address space and kCompileCpu of CPU, since the compiler needs more
//    than most tests), then runs the program under the task's limits. A solution that does
//    not compile fails.
//  - command: `sh -c COMMAND` in the workspace; coding tasks: a fresh workspace with the
//    task's files and the solution (solution.py / solution.h); agent tasks: a scratch copy of
//    the workspace the agent left, so graders cannot affect each other.
//  - judge: the callback gets the judge tier and a prompt holding the task's prompt, the
//    answer and the rubric, and must reply ending with one line `SCORE: <0..1>` (0, 1, or
//    0.x / 1.0 decimals), no other line starting with `SCORE:`; anything else is an error
//    verdict. The verdict's score is the judge's; it passes at or above the threshold.
//  - unchanged: the file, or the folder (path ending in '/'), is byte-identical between the
//    workspace before and after: same entries, types, bytes and symlink targets.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/record.h"
#include "harness/sandbox.h"
#include "inference/status.h"
#include "spec/model.h"

namespace pareto::harness {

// Asks `tier` to answer `prompt` and returns its reply (the runner supplies it).
using JudgeFn =
    std::function<Result<std::string>(const std::string& tier, const std::string& prompt)>;

// The compiler's floor limits for C++ tests (the task's limits apply when larger).
inline constexpr std::uint64_t kCompileMemory = 2ull << 30;
inline constexpr std::chrono::seconds kCompileCpu{60};

// What the graders look at for one item.
struct GradeInput {
  const spec::Sample* sample = nullptr;  // required: the item's sample
  std::string answer;                    // the extracted answer (coding: the solution code)
  // Agent tasks: the workspace the agent left, and an untouched copy of how it started
  // (command and unchanged graders need them; without them those graders give errors).
  std::filesystem::path workspace;
  std::filesystem::path workspace_before;
};

struct GradeOptions {
  JudgeFn judge;  // empty: judge graders give error verdicts ("no judge available")
};

struct Grading {
  std::vector<GraderVerdict> verdicts;  // one per grader, in spec order
  double score = 0;                     // weighted mean of the verdicts' scores
  bool passed = false;                  // every verdict passed
  bool error = false;                   // some grader could not run (see its verdict)
  std::string error_message;            // the first such verdict's reason, with its grader
};

// Score, pass and error of a set of verdicts.
Grading combine(std::vector<GraderVerdict> verdicts);

class TaskGraders {
 public:
  // An error only for a task whose graders do not compile (never for a checked task).
  static Result<TaskGraders> Make(const spec::Task& task);

  // Every grader's verdict, combined.
  Grading grade(const GradeInput& input, const GradeOptions& options) const;
  // Grader `index` (of task.graders) alone.
  GraderVerdict grade_one(std::size_t index, const GradeInput& input,
                          const GradeOptions& options) const;

  std::size_t size() const;

 private:
  struct Compiled;
  const spec::Task* task_ = nullptr;  // not owned: outlives this
  std::shared_ptr<const std::vector<Compiled>> compiled_;
};

// An operand's value for a sample: a field's value as it is, a string literal with its
// templates rendered, any other literal as it is; and the same as text (spec::field_text).
nlohmann::json operand_value(const spec::Operand& operand, const spec::Sample& sample);
std::string operand_text(const spec::Operand& operand, const spec::Sample& sample);

// The sandbox limits a task's `sandbox { ... }` gives.
SandboxLimits sandbox_limits(const spec::Sandbox& sandbox);

// The prompt the judge gets, and the strict reading of its reply (an error says what is
// wrong with the reply).
std::string judge_prompt(const std::string& task_prompt, const std::string& answer,
                         const std::string& rubric);
Result<double> parse_judge_score(const std::string& reply);

}  // namespace pareto::harness
