#include "harness/targets.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "harness/tier_matrix.h"

namespace pareto::harness {
namespace {

using nlohmann::json;

size_t index_of(const TierMatrix& m, const std::string& tier) {
  return static_cast<size_t>(std::find(m.tiers.begin(), m.tiers.end(), tier) - m.tiers.begin());
}

// Mean of teacher - student over the units where both carry the figure.
template <typename Figure>
std::optional<double> saved(const TierMatrix& m, size_t teacher, size_t student, Figure figure) {
  double sum = 0;
  int64_t n = 0;
  for (const auto& unit : m.units) {
    std::optional<double> t = figure(*unit[teacher]), s = figure(*unit[student]);
    if (!t || !s) continue;
    sum += *t - *s;
    ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / static_cast<double>(n);
}

std::optional<double> joules(const ItemRecord& r) {
  return r.energy ? std::optional<double>(r.energy->joules) : std::nullopt;
}
std::optional<double> e2e(const ItemRecord& r) {
  return r.status == ItemStatus::kError ? std::nullopt : std::optional<double>(r.latency.e2e_ms);
}

// Scores, gap and costs of one group; the status is decided by the caller's exclusions.
std::optional<Target> measure(const TierMatrix& m, const TargetOptions& o, bool by_task) {
  if (m.units.empty()) return std::nullopt;
  const size_t teacher = index_of(m, o.teacher), student = index_of(m, o.student);
  Target t;
  t.items = static_cast<int64_t>(m.units.size());
  t.teacher = m.estimate(teacher, by_task);
  t.student = m.estimate(student, by_task);
  t.teacher_reliability = t.teacher.mean;
  t.joules_saved_per_item = saved(m, teacher, student, joules);
  t.ms_saved_per_item = saved(m, teacher, student, e2e);
  Result<PairedComparison> gap = m.compare(student, teacher, by_task, 1 - o.saturation.alpha);
  if (gap.ok()) {
    t.gap = *gap;
  } else {
    t.gap.n = t.items;
    t.gap.difference = t.teacher.mean - t.student.mean;
    t.gap.ci = {-1, 1};
    t.reason = "the gap cannot be tested: " + gap.message();
  }
  return t;
}

void decide(Target& t, bool saturated, const TargetOptions& o) {
  if (saturated) {
    t.status = TargetStatus::kSaturated;
    t.reason = "saturated: the run cannot tell its tiers apart near the ceiling";
  } else if (t.teacher_reliability < o.min_teacher) {
    t.status = TargetStatus::kTeacherUnreliable;
    t.reason = fmt::format("the teacher scores {:.2f}, below {:.2f}", t.teacher_reliability,
                           o.min_teacher);
  } else if (!(t.gap.ci.lower > 0)) {
    t.status = TargetStatus::kNoGap;
    if (t.reason.empty()) {
      t.reason = fmt::format("gap {:+.1f} points, interval [{:+.1f}, {:+.1f}] reaches 0",
                             100 * t.gap.difference, 100 * t.gap.ci.lower, 100 * t.gap.ci.upper);
    }
  } else {
    t.status = TargetStatus::kTarget;
    t.expected_value = t.gap.difference * t.teacher_reliability;
    t.reason = fmt::format("gap {:+.1f} points [{:+.1f}, {:+.1f}]", 100 * t.gap.difference,
                           100 * t.gap.ci.lower, 100 * t.gap.ci.upper);
  }
}

void rank(std::vector<Target>& list) {
  std::stable_sort(list.begin(), list.end(), [](const Target& a, const Target& b) {
    const bool ta = a.status == TargetStatus::kTarget, tb = b.status == TargetStatus::kTarget;
    if (ta != tb) return ta;
    if (ta && a.expected_value != b.expected_value) return a.expected_value > b.expected_value;
    return a.gap.difference > b.gap.difference;
  });
}

json score_json(const ScoreEstimate& e) {
  return {{"score", e.mean}, {"ci95", {e.ci.lower, e.ci.upper}}};
}

json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

std::string_view to_string(TargetStatus status) {
  switch (status) {
    case TargetStatus::kTarget:
      return "target";
    case TargetStatus::kNoGap:
      return "no-gap";
    case TargetStatus::kSaturated:
      return "saturated";
    case TargetStatus::kTeacherUnreliable:
      return "teacher-unreliable";
  }
  return "no-gap";
}

Result<TargetReport> targets(std::span<const ItemRecord> records, const TargetOptions& options) {
  if (options.teacher == options.student) {
    return Status::Error("the teacher and the student are the same tier (" + options.teacher + ")");
  }
  if (!(options.min_teacher >= 0 && options.min_teacher <= 1)) {
    return Status::Error("the teacher reliability bar must be between 0 and 1");
  }
  Result<SaturationReport> sat = saturation(records, options.saturation);
  if (!sat.ok()) return sat.status();
  std::set<std::pair<std::string, std::string>> saturated;
  for (const Saturation& s : sat->tasks) {
    if (s.verdict == SaturationVerdict::kSaturated) saturated.insert({s.suite, s.task});
  }

  std::map<std::pair<std::string, std::string>, std::vector<const ItemRecord*>> tasks;
  std::map<std::string, std::vector<const ItemRecord*>> tags;
  std::set<std::string> tiers;
  for (const ItemRecord& r : records) {
    tiers.insert(r.tier);
    if (r.tier != options.teacher && r.tier != options.student) continue;
    tasks[{r.suite, r.task}].push_back(&r);
    std::set<std::string> seen;
    for (const std::string& tag : r.tags) {
      if (seen.insert(tag).second) tags[tag].push_back(&r);
    }
  }
  for (const std::string* tier : {&options.teacher, &options.student}) {
    if (!tiers.count(*tier)) {
      std::string known;
      for (const std::string& t : tiers) known += (known.empty() ? "" : ", ") + t;
      return Status::Error(fmt::format("the run has no tier `{}` (it has: {})", *tier,
                                       known.empty() ? "nothing" : known));
    }
  }
  const std::vector<std::string> pair = {options.teacher, options.student};
  TargetReport report;
  report.options = options;
  std::map<std::string, std::set<std::pair<std::string, std::string>>> tag_tasks;
  for (const auto& [key, items] : tasks) {
    std::optional<Target> t = measure(TierMatrix::Build(items, pair), options, false);
    if (!t) continue;
    t->suite = key.first;
    t->task = key.second;
    t->tags = items.front()->tags;
    for (const std::string& tag : t->tags) tag_tasks[tag].insert(key);
    decide(*t, saturated.count(key) > 0, options);
    report.tasks.push_back(std::move(*t));
  }
  for (const auto& [tag, items] : tags) {
    std::optional<Target> t = measure(TierMatrix::Build(items, pair), options, true);
    if (!t) continue;
    t->tag = tag;
    const auto& members = tag_tasks[tag];
    const bool all_saturated =
        !members.empty() && std::all_of(members.begin(), members.end(),
                                        [&](const auto& k) { return saturated.count(k) > 0; });
    decide(*t, all_saturated, options);
    report.tags.push_back(std::move(*t));
  }
  if (report.tasks.empty()) {
    return Status::Error(
        fmt::format("no item was run by both {} and {}", options.teacher, options.student));
  }
  rank(report.tasks);
  rank(report.tags);
  return report;
}

nlohmann::json to_json(const Target& t) {
  json j = json::object();
  if (t.tag.empty()) {
    j["suite"] = t.suite;
    j["task"] = t.task;
    j["tags"] = t.tags;
  } else {
    j["tag"] = t.tag;
  }
  j.update({{"status", to_string(t.status)},
            {"reason", t.reason},
            {"items", t.items},
            {"teacher", score_json(t.teacher)},
            {"student", score_json(t.student)},
            {"gap",
             {{"difference", t.gap.difference},
              {"ci95", {t.gap.ci.lower, t.gap.ci.upper}},
              {"p", t.gap.p_value},
              {"method", to_string(t.gap.method)}}},
            {"teacher_reliability", t.teacher_reliability},
            {"saved_per_item",
             {{"joules", optional_json(t.joules_saved_per_item)},
              {"e2e_ms", optional_json(t.ms_saved_per_item)}}},
            {"expected_value", t.expected_value}});
  return j;
}

nlohmann::json to_json(const TargetReport& r) {
  json tasks = json::array(), tags = json::array();
  for (const Target& t : r.tasks) tasks.push_back(to_json(t));
  for (const Target& t : r.tags) tags.push_back(to_json(t));
  return {{"schema", "pareto.targets/1"},
          {"teacher", r.options.teacher},
          {"student", r.options.student},
          {"min_teacher", r.options.min_teacher},
          {"tasks", tasks},
          {"tags", tags}};
}

}  // namespace pareto::harness
