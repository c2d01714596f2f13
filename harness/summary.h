// Summaries of a run: from the item records of results.jsonl to scores with 95% intervals,
// pass@k, tokens, latency percentiles and energy per tier, suite, task and tag — what
// DIR/summary.json holds (design, "Results") and what every report prints.
//
// Promises:
//  - summarize() is a pure function of the records: the same records (in any order) give the
//    same summary, and it never needs a model. Groups come out sorted by tier, suite, task
//    and tag name, so summaries diff cleanly.
//  - Which items count towards a score: graded, budget and error items (a budget overrun or
//    an error scores 0, as the record says); unsupported items (agent tasks before the agent
//    loop) are counted but left out of scores, tokens and latency, because the harness, not
//    the model, could not run them.
//  - Intervals: a task's items are independent samples (Wilson for pass/fail, Student t for
//    partial credit), except that with repeats > 1 the repeats of one sample are clustered by
//    sample; a suite, tag or tier mixing tasks is stratified by task (harness/stats.h says
//    why), and carries its interval clustered by task as a second figure. The method is
//    named in the output.
//  - pass@k (unbiased, Chen et al. 2021) per task and tier when every sample has at least two
//    repeats, for k = 1 and each of 2, 5, 10, 20, 50, 100 up to the fewest repeats of a
//    sample (and that fewest itself); a suite, tag or tier averages over all its samples.
//  - Latency percentiles leave out what has no such figure: TTFT needs a completion token,
//    inter-token latency two, and error items have no end-to-end latency worth ranking.
//  - Energy is summed over the items that carry a figure, with the sources named; when only
//    some items carry one, the summary says how many did (never extrapolates).
//  - Malformed records (a score outside [0, 1], an unknown energy source) are an error naming
//    the item, never a crash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/energy.h"
#include "harness/record.h"
#include "harness/stats.h"

namespace pareto::harness {

// The schema name written into summary.json.
inline constexpr std::string_view kSummarySchema = "pareto.summary/1";

// Which slice of the records a group is. Empty fields are "all": a tier group has only
// `tier`, a suite group `tier` and `suite`, a task group all three, a tag group `tier`
// and `tag`.
struct GroupKey {
  std::string tier;
  std::string suite;
  std::string task;
  std::string tag;
  auto operator<=>(const GroupKey&) const = default;
};

struct ItemCounts {
  int64_t total = 0;  // records in the group
  int64_t graded = 0;
  int64_t budget = 0;  // items with a budget overrun
  int64_t error = 0;
  int64_t unsupported = 0;
  int64_t cached = 0;
  int64_t passed = 0;                       // items that passed every grader
  std::map<std::string, int64_t> overruns;  // "max_tokens" -> items, ...
};

struct TokenTotals {
  int64_t prompt = 0;          // over the items whose prompt count is known
  int64_t prompt_unknown = 0;  // scored items whose prompt count nobody could count
  int64_t completion = 0;
  double prompt_per_item = 0;  // per item with a known count (0 when none has one)
  double completion_per_item = 0;
};

struct LatencyPercentiles {
  std::optional<LatencySummary> ttft;     // items with at least one completion token
  std::optional<LatencySummary> e2e;      // graded and budget items
  std::optional<LatencySummary> itl;      // per-item mean gaps, items with two or more tokens
  std::optional<LatencySummary> itl_p95;  // per-item 95th-percentile gaps
};

struct GroupSummary {
  GroupKey key;
  std::vector<std::string> tags;  // task groups: the task's tags
  ItemCounts counts;
  // Over the scored items (counts.total - counts.unsupported); absent when there are none.
  std::optional<ScoreEstimate> score;
  // A group mixing tasks: the same mean with its interval clustered by task (CR1, t on
  // G - 1), the answer to "this tier on other tasks like these" rather than "on these tasks".
  std::optional<ScoreEstimate> score_clustered_by_task;
  int64_t tasks = 0;                    // distinct tasks in the group
  int64_t samples = 0;                  // distinct (task, sample) pairs
  int repeats = 1;                      // the most repeats of any sample
  std::map<int64_t, double> pass_at_k;  // k -> pass@k (see above); empty without repeats
  TokenTotals tokens;
  LatencyPercentiles latency;
  std::optional<EnergySummary> energy;  // over the items that carry a figure
};

struct RunSummary {
  std::vector<std::string> run_ids;  // distinct, in first-seen order (merged runs have several)
  int64_t items = 0;
  std::vector<std::string> tier_order;  // tiers in first-seen order (flash, pro, ultra, ...)
  std::vector<GroupSummary> tiers;
  std::vector<GroupSummary> suites;
  std::vector<GroupSummary> tasks;
  std::vector<GroupSummary> tags;
  bool torn_tail = false;  // the results file ended in a torn line that was skipped
};

// Summary of one run's records (empty records give an empty summary).
Result<RunSummary> summarize(std::span<const ItemRecord> records);

// summary.json (design, "Results"). Every group carries score, ci95, n (and items), method,
// pass_at_k, tokens, latency_ms, energy_j and counts.
nlohmann::json to_json(const RunSummary& summary);
nlohmann::json to_json(const GroupSummary& group);

// Reads DIR/results.jsonl and summarizes it.
Result<RunSummary> summarize_dir(const std::filesystem::path& dir);

// Reads DIR/results.jsonl and writes DIR/summary.json (through a temporary file and a rename,
// so a reader never sees half a summary). What `pareto run` calls at the end of a run.
Status write_summary(const std::filesystem::path& dir);

// The records of a run grouped by item id, for pairing two runs and comparing tiers on the
// same samples: the key of an item without its tier, (suite, task, sample, repeat), as text.
std::string pairing_key(const ItemRecord& record);

// The order tiers are reported in: flash, pro, ultra, then any others by name.
bool tier_before(const std::string& a, const std::string& b);

// Whether an item's score counts (see above: everything except unsupported items).
bool counts_towards_score(const ItemRecord& record);

}  // namespace pareto::harness
