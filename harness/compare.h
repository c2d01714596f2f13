// Comparing two runs on the same items: did a change (a model, a prompt, the code) lose
// quality? What `pareto compare BASE NEW` prints and what `pareto run --baseline DIR
// --max-drop X` gates a CI job on.
//
// Promises:
//  - Items pair by item_id (stable across runs: suite, task, sample, tier, repeat); items in
//    only one run, and items unsupported in either, are counted and left out, never guessed.
//  - Each task on each tier is compared with the paired test of harness/stats.h
//    (compare_paired: exact McNemar for pass/fail, paired t for partial credit, clustered by
//    sample when a task has repeats), and each tier as a whole stratified by task
//    (compare_paired_stratified: the tasks are fixed, the items are draws from each). p-values are
//    adjusted with Holm's method across the tasks (one family) and across the tiers (another), so
//    testing many tasks does not manufacture a regression.
//  - A regression is a group whose adjusted p-value is below alpha AND whose score dropped by
//    more than max_drop (new - base < -max_drop): significant and large enough to matter.
//    Significant gains beyond max_drop are reported as improvements; they never fail a gate.
//  - A group the test cannot judge (one partial-credit item) is reported as such and is not
//    a regression.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/record.h"
#include "harness/stats.h"
#include "harness/summary.h"

namespace pareto::harness {

struct CompareOptions {
  // Drops of this size or less (in score, 0..1) are not regressions even when significant.
  // The default, 2 points, ignores what no one would act on in a large suite.
  double max_drop = 0.02;
  double alpha = 0.05;  // family-wise error rate of each family (tasks; tiers)
};

enum class Verdict { kSame, kRegression, kImprovement, kUntestable };
std::string_view to_string(Verdict verdict);  // "same", "regression", "improvement", "untestable"

struct GroupComparison {
  GroupKey key;                                // tier and, for tasks, suite and task
  std::optional<PairedComparison> comparison;  // absent when untestable
  double adjusted_p = 1;                       // Holm, within its family
  Verdict verdict = Verdict::kSame;
  std::string note;  // why untestable
};

struct RunComparison {
  CompareOptions options;
  int64_t paired = 0;                  // items in both runs, compared
  int64_t only_base = 0;               // items only in the base run
  int64_t only_new = 0;                // items only in the new run
  int64_t unsupported = 0;             // pairs left out because either item was unsupported
  std::vector<GroupComparison> tasks;  // per task and tier, sorted like summaries
  std::vector<GroupComparison> tiers;  // per tier

  bool has_regression() const;
  // "suite/task on tier: 0.80 -> 0.55 (-25.0 points, p = 0.0012)", one per regression,
  // tiers first.
  std::vector<std::string> regressions() const;
};

Result<RunComparison> compare_runs(std::span<const ItemRecord> base,
                                   std::span<const ItemRecord> next,
                                   const CompareOptions& options = {});

// Reads BASE/results.jsonl and NEW/results.jsonl and compares them.
Result<RunComparison> compare_dirs(const std::filesystem::path& base,
                                   const std::filesystem::path& next,
                                   const CompareOptions& options = {});

nlohmann::json to_json(const RunComparison& comparison);

}  // namespace pareto::harness
