// Distillation targets: the capabilities (tasks and tags) where a teacher tier is reliable
// and a student tier is not, ranked by what closing the gap is worth. What
// `pareto targets DIR --teacher ultra --student flash` prints and writes as targets.json,
// and what `pareto distill export` reads to choose its tasks.
//
// Definitions (docs/analyses.md):
//  - Teacher and student are compared on the same items (both ran it, neither found it
//    unsupported). Scores carry 95% intervals (clustered by sample for repeats, stratified by
//    task for a tag); the gap is teacher - student with the paired interval of harness/stats.h.
//  - teacher reliability: the teacher's score on the task (its pass rate for pass/fail): the
//    share of teacher completions a distillation dataset can keep. Below min_teacher the task
//    is `teacher-unreliable`.
//  - A task whose saturation verdict (harness/saturation.h, over every tier of the run) is
//    `saturated` is excluded as `saturated`: nothing left to learn that the run can show.
//    A tag is saturated when every one of its tasks is.
//  - A gap whose interval does not lie above 0 is `no-gap`.
//  - The rest are `target`s, ranked by expected value = gap x teacher reliability: the
//    student's expected gain in score, discounted by how often the teacher itself is right.
//  - cost saved per item: teacher minus student energy (J) and end-to-end latency (ms), mean
//    per item on the compared items; absent where either tier's items carry no figure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/record.h"
#include "harness/saturation.h"
#include "harness/stats.h"

namespace pareto::harness {

struct TargetOptions {
  std::string teacher = "ultra";
  std::string student = "flash";
  double min_teacher = 0.7;  // teacher reliability below this: not a target
  SaturationOptions saturation;
};

enum class TargetStatus { kTarget, kNoGap, kSaturated, kTeacherUnreliable };
std::string_view to_string(TargetStatus status);  // target, no-gap, saturated, teacher-unreliable

struct Target {
  std::string suite, task;        // a task's row
  std::string tag;                // a tag's row (suite and task empty)
  std::vector<std::string> tags;  // a task's tags
  int64_t items = 0;
  ScoreEstimate teacher;
  ScoreEstimate student;
  PairedComparison gap;  // difference = teacher - student
  double teacher_reliability = 0;
  std::optional<double> joules_saved_per_item;
  std::optional<double> ms_saved_per_item;
  double expected_value = 0;  // 0 unless a target
  TargetStatus status = TargetStatus::kNoGap;
  std::string reason;
};

struct TargetReport {
  TargetOptions options;
  std::vector<Target> tasks;  // targets first, by expected value; then the rest by gap
  std::vector<Target> tags;   // likewise
};

// Errors: teacher equals student, or either tier has no item the other also ran.
Result<TargetReport> targets(std::span<const ItemRecord> records, const TargetOptions& options);

nlohmann::json to_json(const Target& target);
nlohmann::json to_json(const TargetReport& report);  // targets.json

}  // namespace pareto::harness
