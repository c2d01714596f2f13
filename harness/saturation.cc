#include "harness/saturation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "harness/summary.h"
#include "harness/tier_matrix.h"

namespace pareto::harness {
namespace {

using nlohmann::json;

// Pairwise paired tests between tiers with Holm across the pairs.
std::vector<TierPair> separate(const TierMatrix& m, bool by_task, double alpha) {
  std::vector<TierPair> pairs;
  std::vector<double> p;
  for (size_t a = 0; a < m.tiers.size(); ++a) {
    for (size_t b = a + 1; b < m.tiers.size(); ++b) {
      Result<PairedComparison> c = m.compare(a, b, by_task, 1 - alpha);
      if (!c.ok()) continue;  // one partial-credit item: nothing to test
      pairs.push_back({m.tiers[a], m.tiers[b], *c, 1, false});
      p.push_back(c->p_value);
    }
  }
  Result<std::vector<double>> adjusted = holm_adjust(p);
  for (size_t i = 0; adjusted.ok() && i < pairs.size(); ++i) {
    pairs[i].adjusted_p = (*adjusted)[i];
    pairs[i].separable = pairs[i].adjusted_p < alpha;
  }
  return pairs;
}

Saturation saturation_of(const TierMatrix& m, bool by_task, const SaturationOptions& o) {
  Saturation s;
  s.items = static_cast<int64_t>(m.units.size());
  s.left_out = m.left_out;
  for (size_t t = 0; t < m.tiers.size(); ++t) {
    s.tiers.push_back({m.tiers[t], m.estimate(t, by_task)});
  }
  size_t best = 0;
  for (size_t t = 1; t < s.tiers.size(); ++t) {
    if (s.tiers[t].score.mean > s.tiers[best].score.mean) best = t;
  }
  s.best_tier = s.tiers[best].tier;
  s.best = s.tiers[best].score;
  double worst = s.best.mean;
  const TierScore* weakest = &s.tiers[best];
  for (const TierScore& t : s.tiers) {
    if (t.score.mean < worst) weakest = &t;
    worst = std::min(worst, t.score.mean);
  }
  int64_t all = 0, none = 0;
  double ceiling = 0;
  for (size_t u = 0; u < m.units.size(); ++u) {
    bool every = true, any = false;
    double top = 0;
    for (size_t t = 0; t < m.tiers.size(); ++t) {
      every = every && m.passed[t][u];
      any = any || m.passed[t][u];
      top = std::max(top, m.scores[t][u]);
    }
    all += every;
    none += !any;
    ceiling += top;
  }
  const double n = static_cast<double>(m.units.size());
  s.ceiling = ceiling / n;
  s.headroom = std::max(0.0, s.ceiling - s.best.mean);
  s.all_solve = static_cast<double>(all) / n;
  s.none_solve = static_cast<double>(none) / n;
  s.pairs = separate(m, by_task, o.alpha);
  s.separable =
      std::any_of(s.pairs.begin(), s.pairs.end(), [](const TierPair& p) { return p.separable; });
  if (s.separable) {
    s.verdict = SaturationVerdict::kDiscriminating;
    for (const TierPair& p : s.pairs) {
      if (!p.separable) continue;
      s.reason = fmt::format("{} and {} differ by {:+.1f} points (Holm p = {:.2g})", p.a, p.b,
                             100 * p.comparison.difference, p.adjusted_p);
      break;
    }
  } else if (worst >= o.saturated_level &&
             weakest->score.ci.lower < o.saturated_level - o.interval_margin) {
    // High scores, but too few items to rule out a tier well below the level.
    s.verdict = SaturationVerdict::kInconclusive;
    s.reason = fmt::format(
        "every tier scores {:.2f} or more, but {}'s interval [{:.2f}, {:.2f}] on {} items is too "
        "wide to call it saturated",
        worst, weakest->tier, weakest->score.ci.lower, weakest->score.ci.upper, s.items);
  } else if (s.best.mean <= o.too_hard_level &&
             s.best.ci.upper > o.too_hard_level + o.interval_margin) {
    s.verdict = SaturationVerdict::kInconclusive;
    s.reason = fmt::format(
        "the best tier ({}) scores {:.2f}, but its interval [{:.2f}, {:.2f}] on {} items is too "
        "wide to call it too hard",
        s.best_tier, s.best.mean, s.best.ci.lower, s.best.ci.upper, s.items);
  } else if (worst >= o.saturated_level) {
    s.verdict = SaturationVerdict::kSaturated;
    s.reason =
        m.tiers.size() > 1
            ? fmt::format("every tier scores {:.2f} or more and none can be told apart", worst)
            : fmt::format("the only tier scores {:.2f}", worst);
  } else if (s.best.mean <= o.too_hard_level) {
    s.verdict = SaturationVerdict::kTooHard;
    s.reason = fmt::format("the best tier ({}) scores {:.2f}", s.best_tier, s.best.mean);
  } else {
    s.verdict = SaturationVerdict::kInconclusive;
    s.reason =
        m.tiers.size() > 1
            ? fmt::format("tiers not separable on {} items; more are needed to tell", s.items)
            : "one tier: nothing to separate";
  }
  return s;
}

json score_json(const ScoreEstimate& e) {
  return {{"score", e.mean}, {"ci95", {e.ci.lower, e.ci.upper}}, {"n", e.n}};
}

}  // namespace

std::string_view to_string(SaturationVerdict verdict) {
  switch (verdict) {
    case SaturationVerdict::kSaturated:
      return "saturated";
    case SaturationVerdict::kDiscriminating:
      return "discriminating";
    case SaturationVerdict::kTooHard:
      return "too-hard";
    case SaturationVerdict::kInconclusive:
      return "inconclusive";
  }
  return "inconclusive";
}

Result<SaturationReport> saturation(std::span<const ItemRecord> records,
                                    const SaturationOptions& options) {
  if (!(options.alpha > 0 && options.alpha < 1)) {
    return Status::Error(fmt::format("alpha must be between 0 and 1, got {}", options.alpha));
  }
  SaturationReport report;
  std::map<std::pair<std::string, std::string>, std::vector<const ItemRecord*>> tasks;
  std::map<std::string, std::vector<const ItemRecord*>> suites;
  for (const ItemRecord& r : records) {
    if (!(r.score >= 0 && r.score <= 1)) {
      return Status::Error(fmt::format("item {} has score {} outside [0, 1]", r.item_id, r.score));
    }
    tasks[{r.suite, r.task}].push_back(&r);
    suites[r.suite].push_back(&r);
  }
  for (const auto& [key, items] : tasks) {
    TierMatrix m = TierMatrix::Build(items);
    if (m.units.empty()) continue;
    Saturation s = saturation_of(m, false, options);
    s.suite = key.first;
    s.task = key.second;
    report.tasks.push_back(std::move(s));
  }
  for (const auto& [suite, items] : suites) {
    TierMatrix m = TierMatrix::Build(items);
    if (m.units.empty()) continue;
    Saturation s = saturation_of(m, true, options);
    s.suite = suite;
    report.suites.push_back(std::move(s));
  }
  return report;
}

nlohmann::json to_json(const Saturation& s) {
  json tiers = json::object();
  for (const TierScore& t : s.tiers) tiers[t.tier] = score_json(t.score);
  json pairs = json::array();
  for (const TierPair& p : s.pairs) {
    pairs.push_back({{"a", p.a},
                     {"b", p.b},
                     {"difference", p.comparison.difference},
                     {"ci95", {p.comparison.ci.lower, p.comparison.ci.upper}},
                     {"p", p.comparison.p_value},
                     {"p_holm", p.adjusted_p},
                     {"method", to_string(p.comparison.method)},
                     {"separable", p.separable}});
  }
  json j = {{"suite", s.suite}};
  if (!s.task.empty()) j["task"] = s.task;
  j.update({{"verdict", to_string(s.verdict)},
            {"reason", s.reason},
            {"items", s.items},
            {"left_out", s.left_out},
            {"ceiling", s.ceiling},
            {"best_tier", s.best_tier},
            {"best", score_json(s.best)},
            {"headroom", s.headroom},
            {"all_solve", s.all_solve},
            {"none_solve", s.none_solve},
            {"separable", s.separable},
            {"tiers", tiers},
            {"pairs", pairs}});
  return j;
}

nlohmann::json to_json(const SaturationReport& report) {
  json tasks = json::array(), suites = json::array();
  for (const Saturation& s : report.tasks) tasks.push_back(to_json(s));
  for (const Saturation& s : report.suites) suites.push_back(to_json(s));
  return {{"schema", "pareto.saturation/1"}, {"suites", suites}, {"tasks", tasks}};
}

// --- The CI subset ---------------------------------------------------------------------------

namespace {

// A sample with its per-tier sums over repeats.
struct SampleUnit {
  SubsetSample id;
  std::string order_key;          // a hash: the deterministic draw within a stratum
  std::vector<double> score_sum;  // by tier
  int64_t repeats = 0;
  std::vector<size_t> units;  // indices into the matrix's units (one per repeat)
};

struct Evaluation {
  std::vector<double> scores;  // by tier
  double max_error = 0;
  bool order_kept = false;
  int separable_kept = 0;
  bool ok = false;
};

Evaluation evaluate(const TierMatrix& m, const std::vector<SampleUnit>& samples,
                    const std::vector<size_t>& chosen, const std::vector<double>& full,
                    const std::vector<TierPair>& full_pairs, const SubsetOptions& o) {
  Evaluation e;
  const size_t tiers = m.tiers.size();
  std::vector<size_t> units;
  for (size_t s : chosen)
    units.insert(units.end(), samples[s].units.begin(), samples[s].units.end());
  TierMatrix sub = m.Select(units);
  e.scores.assign(tiers, 0);
  for (size_t t = 0; t < tiers; ++t) {
    for (double v : sub.scores[t]) e.scores[t] += v;
    e.scores[t] /= static_cast<double>(units.size());
    e.max_error = std::max(e.max_error, std::fabs(e.scores[t] - full[t]));
  }
  e.order_kept = true;
  int separable_full = 0;
  for (const TierPair& p : full_pairs) separable_full += p.separable;
  std::map<std::pair<std::string, std::string>, bool> separable_full_pair;
  for (const TierPair& p : full_pairs) separable_full_pair[{p.a, p.b}] = p.separable;
  for (size_t a = 0; a < tiers; ++a) {
    for (size_t b = 0; b < tiers; ++b) {
      if (!(full[a] > full[b])) continue;
      const bool strict = separable_full_pair[{m.tiers[std::min(a, b)], m.tiers[std::max(a, b)]}];
      if (strict ? !(e.scores[a] > e.scores[b]) : e.scores[a] < e.scores[b]) e.order_kept = false;
    }
  }
  if (separable_full > 0) {
    std::vector<TierPair> pairs = separate(sub, false, o.alpha);
    for (const TierPair& p : pairs) {
      if (p.separable && separable_full_pair[{p.a, p.b}]) ++e.separable_kept;
    }
  }
  e.ok = e.order_kept && e.max_error <= o.score_tolerance && e.separable_kept == separable_full;
  return e;
}

// The first `m` samples of a stratified draw: strata are the patterns of which tiers pass a
// sample (on most repeats), each given its share of m by largest remainders; within a stratum
// samples are taken task by task in turn, in hash order.
std::vector<size_t> draw(const std::vector<std::vector<size_t>>& strata, size_t total, size_t m) {
  std::vector<size_t> quota(strata.size());
  std::vector<std::pair<double, size_t>> remainders;
  size_t given = 0;
  for (size_t s = 0; s < strata.size(); ++s) {
    const double exact =
        static_cast<double>(m) * static_cast<double>(strata[s].size()) / static_cast<double>(total);
    quota[s] = static_cast<size_t>(exact);
    given += quota[s];
    remainders.push_back({exact - static_cast<double>(quota[s]), s});
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& x, const auto& y) { return x.first > y.first; });
  for (size_t i = 0; given < m && i < remainders.size(); ++i, ++given)
    ++quota[remainders[i].second];
  std::vector<size_t> chosen;
  for (size_t s = 0; s < strata.size(); ++s) {
    chosen.insert(chosen.end(), strata[s].begin(), strata[s].begin() + static_cast<long>(quota[s]));
  }
  return chosen;
}

}  // namespace

Result<CiSubset> ci_subset(std::span<const ItemRecord> records, const SubsetOptions& options) {
  if (!(options.alpha > 0 && options.alpha < 1)) {
    return Status::Error(fmt::format("alpha must be between 0 and 1, got {}", options.alpha));
  }
  if (!(options.score_tolerance >= 0)) {
    return Status::Error("the score tolerance must be at least 0");
  }
  std::vector<const ItemRecord*> all;
  for (const ItemRecord& r : records) all.push_back(&r);
  const TierMatrix m = TierMatrix::Build(all);
  if (m.units.empty()) {
    return Status::Error("no sample was run by every tier: there is nothing to keep");
  }
  const size_t tiers = m.tiers.size();

  // Samples (a selection names samples; their repeats come along).
  std::map<std::tuple<std::string, std::string, std::string>, size_t> index;
  std::vector<SampleUnit> samples;
  for (size_t u = 0; u < m.units.size(); ++u) {
    const ItemRecord& r = *m.units[u].front();
    auto [it, fresh] = index.try_emplace({r.suite, r.task, r.sample_id}, samples.size());
    if (fresh) {
      SampleUnit s;
      s.id = {r.suite, r.task, r.sample_id};
      s.order_key = item_id(r.suite, r.task, r.sample_id, "ci-subset", 0);
      s.score_sum.assign(tiers, 0);
      samples.push_back(std::move(s));
    }
    SampleUnit& s = samples[it->second];
    ++s.repeats;
    s.units.push_back(u);
    for (size_t t = 0; t < tiers; ++t) s.score_sum[t] += m.scores[t][u];
  }

  // Strata by pass pattern; within one, round-robin over tasks in hash order.
  std::map<std::string, std::map<std::string, std::vector<size_t>>> by_pattern;  // -> task ->
  for (size_t i = 0; i < samples.size(); ++i) {
    std::string pattern;
    for (size_t t = 0; t < tiers; ++t) {
      pattern += 2 * samples[i].score_sum[t] >= static_cast<double>(samples[i].repeats) ? '1' : '0';
    }
    by_pattern[pattern][item_id(samples[i].id.suite, samples[i].id.task, "", "ci-subset", 0)]
        .push_back(i);
  }
  // Each stratum starts its round-robin at another task (evenly spaced), so that small
  // quotas from several strata do not all come from the same first tasks.
  std::vector<std::vector<size_t>> strata;
  size_t stratum = 0;
  for (auto& [pattern, tasks] : by_pattern) {
    std::vector<std::vector<size_t>*> lists;
    size_t longest = 0;
    for (auto& [task, list] : tasks) {
      std::sort(list.begin(), list.end(),
                [&](size_t a, size_t b) { return samples[a].order_key < samples[b].order_key; });
      longest = std::max(longest, list.size());
      lists.push_back(&list);
    }
    const size_t start = stratum * lists.size() / by_pattern.size();
    std::vector<size_t> order;
    for (size_t round = 0; round < longest; ++round) {
      for (size_t k = 0; k < lists.size(); ++k) {
        const std::vector<size_t>& list = *lists[(start + k) % lists.size()];
        if (round < list.size()) order.push_back(list[round]);
      }
    }
    strata.push_back(std::move(order));
    ++stratum;
  }

  std::vector<double> full(tiers, 0);
  for (size_t t = 0; t < tiers; ++t) {
    for (double v : m.scores[t]) full[t] += v;
    full[t] /= static_cast<double>(m.units.size());
  }
  const std::vector<TierPair> full_pairs = separate(m, false, options.alpha);

  const size_t total = samples.size();
  const size_t step = std::max<size_t>(1, total / 400);
  std::vector<size_t> chosen;
  Evaluation best;
  for (size_t size = 1;; size = std::min(total, size + step)) {
    chosen = draw(strata, total, size);
    best = evaluate(m, samples, chosen, full, full_pairs, options);
    if (best.ok || size == total) break;
  }

  CiSubset out;
  for (size_t s : chosen) {
    out.samples.push_back(samples[s].id);
    out.items += samples[s].repeats * static_cast<int64_t>(tiers);
  }
  std::sort(out.samples.begin(), out.samples.end(),
            [](const SubsetSample& a, const SubsetSample& b) {
              return std::tie(a.suite, a.task, a.sample) < std::tie(b.suite, b.task, b.sample);
            });
  out.full_samples = static_cast<int64_t>(total);
  out.full_items = static_cast<int64_t>(m.units.size() * tiers);
  for (size_t t = 0; t < tiers; ++t) out.tiers.push_back({m.tiers[t], full[t], best.scores[t]});
  out.max_score_error = best.max_error;
  out.order_kept = best.order_kept;
  for (const TierPair& p : full_pairs) out.separable_pairs_full += p.separable;
  out.separable_pairs_kept = best.separable_kept;
  out.meets_criteria = best.ok;
  return out;
}

nlohmann::json selection_json(const CiSubset& subset) {
  json items = json::array();
  for (size_t i = 0; i < subset.samples.size();) {
    const SubsetSample& first = subset.samples[i];
    json samples = json::array();
    for (; i < subset.samples.size() && subset.samples[i].suite == first.suite &&
           subset.samples[i].task == first.task;
         ++i) {
      samples.push_back(subset.samples[i].sample);
    }
    items.push_back({{"suite", first.suite}, {"task", first.task}, {"samples", samples}});
  }
  return {{"schema", "pareto.selection/1"}, {"items", items}};
}

nlohmann::json to_json(const CiSubset& s) {
  json tiers = json::array();
  for (const SubsetTier& t : s.tiers) {
    tiers.push_back({{"tier", t.tier}, {"full", t.full}, {"subset", t.subset}});
  }
  return {{"samples", s.samples.size()},
          {"full_samples", s.full_samples},
          {"items", s.items},
          {"full_items", s.full_items},
          {"tiers", tiers},
          {"max_score_error", s.max_score_error},
          {"order_kept", s.order_kept},
          {"separable_pairs_full", s.separable_pairs_full},
          {"separable_pairs_kept", s.separable_pairs_kept},
          {"meets_criteria", s.meets_criteria},
          {"selection", selection_json(s)}};
}

}  // namespace pareto::harness
