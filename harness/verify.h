// Verification of specs against themselves (`pareto check --verify`): does a known-good
// answer pass a task's own graders? A task whose reference fails its graders has a bug in
// the reference, the graders or the data, and would mark right answers wrong.
//
// What is verified, per task (docs/spec.md, "Verifying specs"):
//  - coding tasks with a `reference`: the reference, rendered per sample, is graded as the
//    already-extracted answer (the code itself, not a fenced reply) by every grader except
//    judge graders (they need a model);
//  - analysis tasks: each grader that uses the sample's `answer` field (a bare `answer`
//    operand, or `{{answer}}` in its templates) and whose right answer follows from its
//    arguments grades that right answer: exact and number their expected value, contains its
//    text, json(path, equals) a JSON document holding `equals` at `path`. (regex, tests and
//    command graders of analysis tasks are not verified: no right answer follows from them.)
//  - nothing else: agent tasks (no reference; their graders inspect a workspace an agent
//    leaves), coding tasks without a reference, analysis tasks whose graders do not use
//    `answer`, and tasks left with only judge graders are skipped, with the reason.
// At most `max_samples` samples per task are graded (0: all), spread evenly over the
// task's samples, first and last included.
//
// Promises: never throws; reference code only runs in the sandbox (harness/graders.h);
// results come back in project order whatever `jobs` is.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "spec/model.h"

namespace pareto::harness {

struct VerifyOptions {
  std::size_t max_samples = 20;  // per task; 0 = every sample
  int jobs = 0;                  // tasks verified at once; 0 = one per hardware thread (max 8)
};

struct TaskVerification {
  const spec::Suite* suite = nullptr;
  const spec::Task* task = nullptr;
  enum class Outcome { kPassed, kFailed, kSkipped } outcome = Outcome::kSkipped;
  std::string subject;       // "the reference" or "the `answer` field"
  std::string skip_reason;   // kSkipped: why
  std::size_t samples = 0;   // samples graded
  std::size_t failed = 0;    // of them, samples whose answer did not pass
  std::size_t graders = 0;   // graders used
  // kFailed: the first failing sample's id and what its failing graders said.
  std::string first_sample;
  std::vector<std::string> reasons;  // "tests: the test program exited with status 1: ..."
};

// Whether any of the grader's operands or templates reads sample field `field`.
bool grader_uses_field(const spec::Grader& grader, const std::string& field);

// The indices of the samples verified out of `count`: all when count <= max (or max is 0),
// else `max` indices spread evenly from 0 to count - 1.
std::vector<std::size_t> verify_sample_indices(std::size_t count, std::size_t max);

// Whether verifying `task` runs anything in the sandbox.
bool verify_needs_sandbox(const spec::Task& task);

std::vector<TaskVerification> verify_project(const spec::Project& project,
                                             const VerifyOptions& options = {});

}  // namespace pareto::harness
