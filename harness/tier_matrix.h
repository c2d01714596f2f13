// Internal to the analyses (saturation, targets): the items of a group laid out by tier, so
// that tiers are compared on the same samples. Not part of the library's public surface.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/record.h"
#include "harness/stats.h"

namespace pareto::harness {

struct TierMatrix {
  std::vector<std::string> tiers;  // report order (tier_before, harness/summary.h)
  // One unit per pairing key (suite, task, sample, repeat) that every tier ran and none found
  // unsupported: units[u][t] is tier t's record. Units in pairing-key order.
  std::vector<std::vector<const ItemRecord*>> units;
  std::vector<std::vector<double>> scores;  // [tier][unit]
  std::vector<std::vector<char>> passed;    // [tier][unit], 0 or 1
  int64_t left_out = 0;                     // pairing keys some tier lacks or found unsupported

  // `only` restricts the tiers (and then requires just those); empty: every tier present.
  static TierMatrix Build(const std::vector<const ItemRecord*>& records,
                          const std::vector<std::string>& only = {});
  // The same tiers over a subset of the units (indices into `units`).
  TierMatrix Select(const std::vector<size_t>& chosen) const;
  // One name per unit: its task; its sample when some unit is a repeat (else empty, meaning
  // units are independent).
  std::vector<std::string> task_clusters() const;
  std::vector<std::string> sample_clusters() const;

  // Tier t's score with its interval (harness/stats.h): stratified by task when `by_task`,
  // clustered by sample when units repeat. An empty estimate when there is none.
  ScoreEstimate estimate(size_t t, bool by_task) const;
  // Tier b against tier a on the same units (difference b - a), by the same rule.
  Result<PairedComparison> compare(size_t a, size_t b, bool by_task, double confidence) const;
};

}  // namespace pareto::harness
