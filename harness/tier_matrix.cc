#include "harness/tier_matrix.h"

#include <algorithm>
#include <map>
#include <set>

#include "harness/summary.h"

namespace pareto::harness {

TierMatrix TierMatrix::Build(const std::vector<const ItemRecord*>& records,
                             const std::vector<std::string>& only) {
  TierMatrix m;
  if (only.empty()) {
    std::set<std::string> names;
    for (const ItemRecord* r : records) names.insert(r->tier);
    m.tiers.assign(names.begin(), names.end());
  } else {
    m.tiers = only;
  }
  std::sort(m.tiers.begin(), m.tiers.end(), tier_before);
  std::map<std::string, size_t> tier_index;
  for (size_t t = 0; t < m.tiers.size(); ++t) tier_index[m.tiers[t]] = t;

  std::map<std::string, std::vector<const ItemRecord*>> by_key;
  for (const ItemRecord* r : records) {
    auto t = tier_index.find(r->tier);
    if (t == tier_index.end()) continue;
    auto& slot = by_key[pairing_key(*r)];
    slot.resize(m.tiers.size(), nullptr);
    slot[t->second] = r;  // a duplicate line: the last one counts
  }
  m.scores.assign(m.tiers.size(), {});
  m.passed.assign(m.tiers.size(), {});
  for (auto& [key, slot] : by_key) {
    const bool complete = std::all_of(slot.begin(), slot.end(), [](const ItemRecord* r) {
      return r != nullptr && counts_towards_score(*r);
    });
    if (!complete) {
      ++m.left_out;
      continue;
    }
    for (size_t t = 0; t < m.tiers.size(); ++t) {
      m.scores[t].push_back(slot[t]->score);
      m.passed[t].push_back(slot[t]->passed ? 1 : 0);
    }
    m.units.push_back(std::move(slot));
  }
  return m;
}

TierMatrix TierMatrix::Select(const std::vector<size_t>& chosen) const {
  TierMatrix m;
  m.tiers = tiers;
  m.scores.assign(tiers.size(), {});
  m.passed.assign(tiers.size(), {});
  for (size_t u : chosen) {
    m.units.push_back(units[u]);
    for (size_t t = 0; t < tiers.size(); ++t) {
      m.scores[t].push_back(scores[t][u]);
      m.passed[t].push_back(passed[t][u]);
    }
  }
  return m;
}

std::vector<std::string> TierMatrix::task_clusters() const {
  std::vector<std::string> out;
  out.reserve(units.size());
  for (const auto& unit : units) {
    const ItemRecord& r = *unit.front();
    out.push_back(std::to_string(r.suite.size()) + ":" + r.suite + "/" + r.task);
  }
  return out;
}

std::vector<std::string> TierMatrix::sample_clusters() const {
  const bool repeats = std::any_of(units.begin(), units.end(),
                                   [](const auto& unit) { return unit.front()->repeat > 0; });
  std::vector<std::string> out;
  if (!repeats) return out;
  for (const auto& unit : units) {
    const ItemRecord& r = *unit.front();
    out.push_back(item_id(r.suite, r.task, r.sample_id, "", 0));
  }
  return out;
}

ScoreEstimate TierMatrix::estimate(size_t t, bool by_task) const {
  const std::vector<std::string> samples = sample_clusters();
  Result<ScoreEstimate> e = by_task ? stratified_mean_score(scores[t], task_clusters(), samples)
                            : samples.empty() ? mean_score(scores[t])
                                              : clustered_mean_score(scores[t], samples);
  return e.ok() ? *e : ScoreEstimate{};
}

Result<PairedComparison> TierMatrix::compare(size_t a, size_t b, bool by_task,
                                             double confidence) const {
  const std::vector<std::string> samples = sample_clusters();
  if (by_task) {
    return compare_paired_stratified(scores[a], scores[b], task_clusters(), samples, confidence);
  }
  return compare_paired(scores[a], scores[b], samples, confidence);
}

}  // namespace pareto::harness
