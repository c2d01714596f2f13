// Internal to the reports (harness/report.h): tables of a summary and the formatting of
// their figures, shared by the text, Markdown and HTML renderers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/stats.h"
#include "harness/summary.h"

namespace pareto::harness {

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  size_t label_columns = 1;    // left-aligned; the rest are figures, right-aligned
  bool last_is_label = false;  // the last column is text too (left-aligned)

  bool left_aligned(size_t column) const {
    return column < label_columns || (last_is_label && column + 1 == headers.size());
  }

  std::string text() const;      // space-aligned, two spaces between columns
  std::string markdown() const;  // GitHub-flavoured, cells escaped
};

// "0.700 [0.397, 0.892]", or "-" when there is no score.
std::string format_score(const std::optional<ScoreEstimate>& score);
// "14.0 mJ", "1.20 J", "850 uJ"; "-" when absent.
std::string format_joules(std::optional<double> joules);
// "12 / 30" (p50 / p95, milliseconds) or "-".
std::string format_p50_p95(const std::optional<LatencySummary>& latency);

// One row per group: [key columns...] tier, score, n, pass@k, tokens, latencies, energy,
// counts. `keys` names the key columns before the tier ("suite").
Table metrics_table(const std::vector<GroupSummary>& groups, const std::vector<std::string>& keys);

enum class GroupColumn { kTag, kTask };
// One row per tag (or task), one column per tier with its score and interval.
Table by_tier_table(const RunSummary& summary, const std::vector<GroupSummary>& groups,
                    GroupColumn column);

}  // namespace pareto::harness
