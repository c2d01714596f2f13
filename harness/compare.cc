#include "harness/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace pareto::harness {
namespace {

using nlohmann::json;

struct Pairs {
  std::vector<double> base;
  std::vector<double> next;
  std::vector<std::string> clusters;  // the sample of each pair (clustered when repeats)
  std::vector<std::string> strata;    // the task of each pair (tiers mix tasks)
  int max_repeat = 0;
};

std::string task_name(const ItemRecord& r) { return r.suite + "/" + r.task; }

bool key_less(const GroupKey& a, const GroupKey& b) {
  if (a.tier != b.tier) return tier_before(a.tier, b.tier);
  return std::tie(a.suite, a.task) < std::tie(b.suite, b.task);
}

GroupComparison test_group(const GroupKey& key, const Pairs& pairs, bool by_task,
                           const CompareOptions& options) {
  GroupComparison g;
  g.key = key;
  std::span<const std::string> clusters;
  if (pairs.max_repeat > 0) clusters = pairs.clusters;
  Result<PairedComparison> c =
      by_task ? compare_paired_stratified(pairs.base, pairs.next, pairs.strata, clusters,
                                          1 - options.alpha)
              : compare_paired(pairs.base, pairs.next, clusters, 1 - options.alpha);
  if (!c.ok()) {
    g.verdict = Verdict::kUntestable;
    g.note = c.message();
    return g;
  }
  g.comparison = *c;
  return g;
}

// Holm within a family, then the verdicts.
Status judge(std::vector<GroupComparison>& family, const CompareOptions& options) {
  std::vector<double> p;
  std::vector<size_t> index;
  for (size_t i = 0; i < family.size(); ++i) {
    if (!family[i].comparison) continue;
    p.push_back(family[i].comparison->p_value);
    index.push_back(i);
  }
  Result<std::vector<double>> adjusted = holm_adjust(p);
  if (!adjusted.ok()) return adjusted.status();
  for (size_t j = 0; j < index.size(); ++j) {
    GroupComparison& g = family[index[j]];
    g.adjusted_p = (*adjusted)[j];
    const bool significant = g.adjusted_p < options.alpha;
    const double d = g.comparison->difference;
    if (significant && d < -options.max_drop) {
      g.verdict = Verdict::kRegression;
    } else if (significant && d > options.max_drop) {
      g.verdict = Verdict::kImprovement;
    } else {
      g.verdict = Verdict::kSame;
    }
  }
  return Status::Ok();
}

std::vector<GroupComparison> test_all(const std::map<GroupKey, Pairs>& groups, bool by_task,
                                      const CompareOptions& options) {
  std::vector<GroupComparison> out;
  for (const auto& [key, pairs] : groups) out.push_back(test_group(key, pairs, by_task, options));
  std::sort(out.begin(), out.end(), [](const GroupComparison& a, const GroupComparison& b) {
    return key_less(a.key, b.key);
  });
  return out;
}

json group_json(const GroupComparison& g) {
  json j = {{"tier", g.key.tier}};
  if (!g.key.task.empty()) {
    j["suite"] = g.key.suite;
    j["task"] = g.key.task;
  }
  j["verdict"] = to_string(g.verdict);
  if (g.comparison) {
    const PairedComparison& c = *g.comparison;
    j["n"] = c.n;
    j["base"] = c.base_mean;
    j["new"] = c.new_mean;
    j["difference"] = c.difference;
    j["ci95"] = {c.ci.lower, c.ci.upper};
    j["p"] = c.p_value;
    j["p_holm"] = g.adjusted_p;
    j["method"] = to_string(c.method);
  } else {
    j["note"] = g.note;
  }
  return j;
}

}  // namespace

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kSame:
      return "same";
    case Verdict::kRegression:
      return "regression";
    case Verdict::kImprovement:
      return "improvement";
    case Verdict::kUntestable:
      return "untestable";
  }
  return "same";
}

bool RunComparison::has_regression() const {
  auto bad = [](const GroupComparison& g) { return g.verdict == Verdict::kRegression; };
  return std::any_of(tasks.begin(), tasks.end(), bad) ||
         std::any_of(tiers.begin(), tiers.end(), bad);
}

std::vector<std::string> RunComparison::regressions() const {
  std::vector<std::string> out;
  for (const auto* family : {&tiers, &tasks}) {
    for (const GroupComparison& g : *family) {
      if (g.verdict != Verdict::kRegression) continue;
      const PairedComparison& c = *g.comparison;
      const std::string what = g.key.task.empty()
                                   ? "tier " + g.key.tier
                                   : g.key.suite + "/" + g.key.task + " on " + g.key.tier;
      out.push_back(fmt::format("{}: {:.3f} -> {:.3f} ({:+.1f} points, Holm p = {:.3g}, {} items)",
                                what, c.base_mean, c.new_mean, 100 * c.difference, g.adjusted_p,
                                c.n));
    }
  }
  return out;
}

Result<RunComparison> compare_runs(std::span<const ItemRecord> base,
                                   std::span<const ItemRecord> next,
                                   const CompareOptions& options) {
  if (!(options.alpha > 0 && options.alpha < 1)) {
    return Status::Error(fmt::format("alpha must be between 0 and 1, got {}", options.alpha));
  }
  if (!(options.max_drop >= 0 && options.max_drop <= 1)) {
    return Status::Error(fmt::format("max drop must be between 0 and 1, got {}", options.max_drop));
  }
  RunComparison out;
  out.options = options;
  std::unordered_map<std::string, const ItemRecord*> by_id;
  for (const ItemRecord& r : base) by_id[r.item_id] = &r;
  std::set<std::string> seen;
  // Iterate over the new run in item id order, so groups fill in a stable order.
  std::vector<const ItemRecord*> ordered;
  for (const ItemRecord& r : next) ordered.push_back(&r);
  std::sort(ordered.begin(), ordered.end(),
            [](const ItemRecord* a, const ItemRecord* b) { return a->item_id < b->item_id; });

  std::map<GroupKey, Pairs> tasks, tiers;
  for (const ItemRecord* n : ordered) {
    if (!seen.insert(n->item_id).second) continue;  // a duplicate line counts once
    auto it = by_id.find(n->item_id);
    if (it == by_id.end()) {
      ++out.only_new;
      continue;
    }
    const ItemRecord& b = *it->second;
    if (!counts_towards_score(b) || !counts_towards_score(*n)) {
      ++out.unsupported;
      continue;
    }
    for (double s : {b.score, n->score}) {
      if (!(s >= 0 && s <= 1)) {
        return Status::Error(fmt::format("item {} has score {} outside [0, 1]", n->item_id, s));
      }
    }
    ++out.paired;
    Pairs& t = tasks[{n->tier, n->suite, n->task, ""}];
    t.base.push_back(b.score);
    t.next.push_back(n->score);
    t.clusters.push_back(n->sample_id);
    t.max_repeat = std::max(t.max_repeat, n->repeat);
    Pairs& whole = tiers[{n->tier, "", "", ""}];
    whole.base.push_back(b.score);
    whole.next.push_back(n->score);
    whole.clusters.push_back(task_name(*n) + "/" + n->sample_id);
    whole.strata.push_back(task_name(*n));
    whole.max_repeat = std::max(whole.max_repeat, n->repeat);
  }
  std::set<std::string> base_ids;
  for (const ItemRecord& r : base) base_ids.insert(r.item_id);
  for (const std::string& id : base_ids) {
    if (!seen.count(id)) ++out.only_base;
  }
  out.tasks = test_all(tasks, false, options);
  out.tiers = test_all(tiers, true, options);
  if (Status s = judge(out.tasks, options); !s.ok()) return s;
  if (Status s = judge(out.tiers, options); !s.ok()) return s;
  return out;
}

Result<RunComparison> compare_dirs(const std::filesystem::path& base,
                                   const std::filesystem::path& next,
                                   const CompareOptions& options) {
  Result<ResultsFile> a = read_results(base / "results.jsonl");
  if (!a.ok()) return a.status();
  Result<ResultsFile> b = read_results(next / "results.jsonl");
  if (!b.ok()) return b.status();
  return compare_runs(a->records, b->records, options);
}

nlohmann::json to_json(const RunComparison& c) {
  json tasks = json::array(), tiers = json::array();
  for (const GroupComparison& g : c.tasks) tasks.push_back(group_json(g));
  for (const GroupComparison& g : c.tiers) tiers.push_back(group_json(g));
  return {{"schema", "pareto.compare/1"},
          {"max_drop", c.options.max_drop},
          {"alpha", c.options.alpha},
          {"paired", c.paired},
          {"only_base", c.only_base},
          {"only_new", c.only_new},
          {"unsupported", c.unsupported},
          {"regression", c.has_regression()},
          {"regressions", c.regressions()},
          {"tiers", tiers},
          {"tasks", tasks}};
}

}  // namespace pareto::harness
