// Text renderings of comparisons, saturation and targets (harness/report.h).
#include <fmt/format.h>

#include "harness/report.h"
#include "harness/report_table.h"

namespace pareto::harness {
namespace {

std::string points(double difference) { return fmt::format("{:+.1f}", 100 * difference); }

std::string interval_points(const Interval& ci) {
  return fmt::format("[{:+.1f}, {:+.1f}]", 100 * ci.lower, 100 * ci.upper);
}

Table comparison_table(const std::vector<GroupComparison>& groups, bool tasks) {
  Table t;
  t.headers = tasks ? std::vector<std::string>{"task", "tier"} : std::vector<std::string>{"tier"};
  t.label_columns = t.headers.size();
  t.headers.insert(t.headers.end(), {"n", "base", "new", "change (points)", "95% CI", "p (Holm)",
                                     "method", "verdict"});
  for (const GroupComparison& g : groups) {
    std::vector<std::string> row;
    if (tasks) row.push_back(g.key.suite + "/" + g.key.task);
    row.push_back(g.key.tier);
    if (g.comparison) {
      const PairedComparison& c = *g.comparison;
      row.insert(row.end(), {std::to_string(c.n), fmt::format("{:.3f}", c.base_mean),
                             fmt::format("{:.3f}", c.new_mean), points(c.difference),
                             interval_points(c.ci), fmt::format("{:.3g}", g.adjusted_p),
                             std::string(to_string(c.method)), std::string(to_string(g.verdict))});
    } else {
      row.insert(row.end(), {"-", "-", "-", "-", "-", "-", "-", std::string(to_string(g.verdict))});
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string saturation_tier_cell(const Saturation& s) {
  std::string out;
  for (const TierScore& t : s.tiers) {
    out += fmt::format("{}{} {:.2f}", out.empty() ? "" : "  ", t.tier, t.score.mean);
  }
  return out;
}

Table saturation_table(const std::vector<Saturation>& rows, bool tasks) {
  Table t;
  t.headers = {tasks ? "task" : "suite",
               "verdict",
               "n",
               "scores",
               "best [95% CI]",
               "ceiling",
               "headroom",
               "all solve",
               "none solve",
               "separable",
               "why"};
  t.label_columns = 2;
  for (const Saturation& s : rows) {
    std::string separable = "-";
    if (!s.pairs.empty()) {
      int n = 0;
      for (const TierPair& p : s.pairs) n += p.separable;
      separable = fmt::format("{}/{} pairs", n, s.pairs.size());
    }
    t.rows.push_back({tasks ? s.suite + "/" + s.task : s.suite, std::string(to_string(s.verdict)),
                      std::to_string(s.items), saturation_tier_cell(s),
                      s.best_tier + " " + format_score(s.best), fmt::format("{:.2f}", s.ceiling),
                      fmt::format("{:.2f}", s.headroom), fmt::format("{:.0f}%", 100 * s.all_solve),
                      fmt::format("{:.0f}%", 100 * s.none_solve), separable, s.reason});
  }
  t.last_is_label = true;  // the reason is prose
  return t;
}

Table targets_table(const std::vector<Target>& rows, const TargetOptions& o, bool tasks) {
  Table t;
  t.headers = {tasks ? "task" : "tag",
               "status",
               "n",
               o.teacher + " (teacher)",
               o.student + " (student)",
               "gap (points) [95% CI]",
               "reliability",
               "J saved/item",
               "ms saved/item",
               "value"};
  t.label_columns = 2;
  for (const Target& r : rows) {
    t.rows.push_back(
        {tasks ? r.suite + "/" + r.task : r.tag, std::string(to_string(r.status)),
         std::to_string(r.items), format_score(r.teacher), format_score(r.student),
         points(r.gap.difference) + " " + interval_points(r.gap.ci),
         fmt::format("{:.2f}", r.teacher_reliability), format_joules(r.joules_saved_per_item),
         r.ms_saved_per_item ? fmt::format("{:.1f}", *r.ms_saved_per_item) : "-",
         r.status == TargetStatus::kTarget ? fmt::format("{:.3f}", r.expected_value) : "-"});
  }
  return t;
}

}  // namespace

std::string render_comparison(const RunComparison& c, bool markdown) {
  auto table = [markdown](const Table& t) { return markdown ? t.markdown() : t.text(); };
  auto heading = [markdown](const std::string& text) {
    return markdown ? "\n### " + text + "\n\n" : "\n" + text + "\n";
  };
  std::string out = fmt::format(
      "{}{} paired items ({} only in base, {} only in new, {} unsupported); a regression is a "
      "drop of more than {:.1f} points with Holm p < {}\n",
      markdown ? "## pareto compare\n\n" : "", c.paired, c.only_base, c.only_new, c.unsupported,
      100 * c.options.max_drop, c.options.alpha);
  out += heading("Tiers") + table(comparison_table(c.tiers, false));
  out += heading("Tasks") + table(comparison_table(c.tasks, true));
  const std::vector<std::string> regressions = c.regressions();
  out += heading(regressions.empty() ? "No regression" : "Regressions");
  for (const std::string& r : regressions)
    out += (markdown ? "- " + markdown_cell(r) : "  " + r) + "\n";
  return out;
}

std::string render_saturation(const SaturationReport& report, const CiSubset* subset) {
  std::string out = "Suites\n" + saturation_table(report.suites, false).text();
  out += "\nTasks\n" + saturation_table(report.tasks, true).text();
  if (subset) {
    out += fmt::format(
        "\nCI subset: {} of {} samples ({} of {} items, {:.0f}%)\n", subset->samples.size(),
        subset->full_samples, subset->items, subset->full_items,
        subset->full_items
            ? 100.0 * static_cast<double>(subset->items) / static_cast<double>(subset->full_items)
            : 0.0);
    Table t;
    t.headers = {"tier", "full run", "subset", "error (points)"};
    for (const SubsetTier& tier : subset->tiers) {
      t.rows.push_back({tier.tier, fmt::format("{:.3f}", tier.full),
                        fmt::format("{:.3f}", tier.subset), points(tier.subset - tier.full)});
    }
    out += t.text();
    out += fmt::format(
        "  tiers' order {}; largest score error {:.1f} points; separable pairs kept {}/{}\n",
        subset->order_kept ? "kept" : "NOT kept", 100 * subset->max_score_error,
        subset->separable_pairs_kept, subset->separable_pairs_full);
  }
  return out;
}

std::string render_targets(const TargetReport& report) {
  std::string out = fmt::format("Distillation targets: teacher {}, student {}\n\nTasks\n",
                                report.options.teacher, report.options.student);
  out += targets_table(report.tasks, report.options, true).text();
  if (!report.tags.empty()) {
    out += "\nTags\n" + targets_table(report.tags, report.options, false).text();
  }
  return out;
}

}  // namespace pareto::harness
