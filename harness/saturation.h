// Benchmark saturation: can a task (or a suite) still tell the tiers apart? And the smallest
// subset of a run's samples that keeps what the run says about the tiers, for a cheap CI
// run. What `pareto saturation DIR` prints and the HTML report's saturation map shows.
//
// Definitions (docs/analyses.md):
//  - Items are compared across tiers on the same samples: an item takes part when every tier
//    ran it and none found it unsupported (pairing_key(), harness/summary.h).
//  - ceiling: the mean over items of the best score any tier got on it: what the tiers show
//    to be solvable. headroom: ceiling minus the best tier's score (what a tier could still
//    gain on items some tier already solves); 1 - ceiling is the share no tier solves.
//  - separable: some pair of tiers differs significantly by the paired test of
//    harness/stats.h (clustered by sample for repeats, stratified by task for suites), p-values
//    Holm-adjusted across the pairs.
//  - verdict: `discriminating` when tiers are separable; otherwise `saturated` when the
//    weakest tier scores at least saturated_level and its 95% interval's lower bound is at
//    least saturated_level - interval_margin, `too-hard` when the best tier scores at most
//    too_hard_level and its upper bound is at most too_hard_level + interval_margin, and
//    `inconclusive` when the data cannot decide: mid-range scores that no pair separates, or
//    levels met with intervals too wide to rule out the other verdicts (more items are
//    needed to tell).
//  - CI subset: the fewest samples, drawn by stratified selection on the pattern of which
//    tiers pass (so each tier's score is kept) and spread over tasks, such that on the
//    subset the tiers keep their order, every tier's score stays within score_tolerance of
//    its full-run score, and every pair of tiers separable on the full run stays separable
//    (here items are the sample, clustered only by sample for repeats: the subset is a fixed
//    set of items, and the question is whether it still ranks the tiers beyond item noise).
//    The subset reports how well it kept them (largest score error, pairs kept), measured on
//    the run's own results, and is written as a selection file `pareto run --select` reads.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "harness/record.h"
#include "harness/stats.h"

namespace pareto::harness {

struct SaturationOptions {
  double alpha = 0.05;           // for separability (Holm across pairs of tiers)
  double saturated_level = 0.9;  // weakest tier at or above this, not separable: saturated
  double too_hard_level = 0.1;   // best tier at or below this, not separable: too hard
  // How far past a level the deciding tier's 95% interval may reach before the data is too
  // thin to call the verdict (then `inconclusive`).
  double interval_margin = 0.1;
};

enum class SaturationVerdict { kSaturated, kDiscriminating, kTooHard, kInconclusive };
std::string_view to_string(
    SaturationVerdict verdict);  // saturated, discriminating, too-hard, inconclusive

struct TierScore {
  std::string tier;
  ScoreEstimate score;
};

struct TierPair {
  std::string a, b;  // b - a is the comparison's difference
  PairedComparison comparison;
  double adjusted_p = 1;
  bool separable = false;
};

struct Saturation {
  std::string suite;
  std::string task;              // empty for a suite's row
  int64_t items = 0;             // items every tier ran
  int64_t left_out = 0;          // items some tier lacks or found unsupported
  std::vector<TierScore> tiers;  // in report order (flash, pro, ultra, ...)
  std::string best_tier;
  ScoreEstimate best;
  double ceiling = 0;
  double headroom = 0;
  double all_solve = 0;   // share of items every tier passes
  double none_solve = 0;  // share of items no tier passes
  bool separable = false;
  std::vector<TierPair> pairs;
  SaturationVerdict verdict = SaturationVerdict::kInconclusive;
  std::string reason;  // one line, for people
};

struct SaturationReport {
  std::vector<Saturation> tasks;   // by suite and task
  std::vector<Saturation> suites;  // by suite
};

// Saturation per task and per suite. Every task with at least one item that every tier of
// the task ran gets a row; with a single tier there is nothing to separate, and the verdict
// rests on the levels alone.
Result<SaturationReport> saturation(std::span<const ItemRecord> records,
                                    const SaturationOptions& options = {});

nlohmann::json to_json(const Saturation& row);
nlohmann::json to_json(const SaturationReport& report);

// --- The CI subset -----------------------------------------------------------------------

struct SubsetOptions {
  double score_tolerance = 0.05;  // largest allowed |subset score - full score| per tier
  double alpha = 0.05;            // separability on both sets
};

struct SubsetSample {
  std::string suite, task, sample;
};

struct SubsetTier {
  std::string tier;
  double full = 0;    // score on the whole run (items every tier ran)
  double subset = 0;  // score on the subset
};

struct CiSubset {
  std::vector<SubsetSample> samples;  // sorted by suite, task, sample
  int64_t full_samples = 0;
  int64_t items = 0;  // items of the subset (samples x tiers x repeats)
  int64_t full_items = 0;
  std::vector<SubsetTier> tiers;
  double max_score_error = 0;
  bool order_kept = false;
  int separable_pairs_full = 0;
  int separable_pairs_kept = 0;  // of those, separable on the subset too
  bool meets_criteria = false;   // false only when even the whole run fails them (never)
};

// Needs at least one sample that every tier ran.
Result<CiSubset> ci_subset(std::span<const ItemRecord> records, const SubsetOptions& options = {});

// The selection file (pareto.selection/1, harness/plan.h): one entry per task with its
// samples.
nlohmann::json selection_json(const CiSubset& subset);
nlohmann::json to_json(const CiSubset& subset);  // the figures, with the selection inside

}  // namespace pareto::harness
