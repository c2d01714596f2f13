// Internal to the reports (harness/report.h): the self-contained HTML page, and the Pareto
// frontier its charts mark.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/record.h"
#include "harness/summary.h"

namespace pareto::harness {

struct FrontierPoint {
  std::string label;  // the tier
  double cost = 0;    // energy per item (J) or latency (ms): lower is better
  double score = 0;   // higher is better
  Interval ci;
  bool on_frontier = false;
};

// Marks the points no other point dominates (as cheap or cheaper and at least as good,
// better in one). Points keep their order.
void mark_frontier(std::vector<FrontierPoint>& points);

std::string render_html(const RunSummary& summary, std::span<const ItemRecord> records,
                        const std::string& title);

}  // namespace pareto::harness
