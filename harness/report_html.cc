#include "harness/report_html.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "harness/report.h"
#include "harness/report_table.h"
#include "harness/saturation.h"

namespace pareto::harness {
namespace {

constexpr const char* kStyle = R"(
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
th { background: #f6f6f6; } td.label, th.label { text-align: left; }
.note { color: #666; font-size: 12px; }
svg.chart { background: #fff; border: 1px solid #ddd; margin: .5em 1em .5em 0; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
.axis line, .axis path { stroke: #999; } .grid { stroke: #eee; }
.point { fill: #888; stroke: #444; } .point.frontier { fill: #d9480f; stroke: #862e09; }
.frontier-line { fill: none; stroke: #d9480f; stroke-width: 1.5; stroke-dasharray: 4 3; }
.whisker { stroke: #444; }
.verdict-saturated { fill: #adb5bd; } .verdict-discriminating { fill: #40c057; }
.verdict-too-hard { fill: #fa5252; } .verdict-inconclusive { fill: #fcc419; }
)";

const char* kTierColours[] = {"#4c6ef5", "#12b886", "#f76707", "#ae3ec9", "#868e96", "#fab005"};

std::string esc(std::string_view text) { return xml_escape(text); }

std::string html_table(const Table& t) {
  std::string out = "<table>\n<tr>";
  for (size_t c = 0; c < t.headers.size(); ++c) {
    out += fmt::format("<th{}>{}</th>", t.left_aligned(c) ? " class=\"label\"" : "",
                       esc(t.headers[c]));
  }
  out += "</tr>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (size_t c = 0; c < t.headers.size(); ++c) {
      out += fmt::format("<td{}>{}</td>", t.left_aligned(c) ? " class=\"label\"" : "",
                         esc(c < row.size() ? row[c] : ""));
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

// A scatter of score (y, 0..1) against cost (x), points with interval whiskers, the frontier
// as a dashed step line. Log x when the costs span more than a factor of 20.
std::string scatter(const std::string& id, const std::string& x_label,
                    std::vector<FrontierPoint> points, std::string (*format_cost)(double)) {
  const double w = 560, h = 340, left = 56, right = 20, top = 16, bottom = 46;
  std::string out = fmt::format(
      "<svg class=\"chart\" id=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
      "height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\">\n",
      id, w, h, w, h);
  double lo = points.front().cost, hi = lo;
  for (const FrontierPoint& p : points) {
    lo = std::min(lo, p.cost);
    hi = std::max(hi, p.cost);
  }
  const bool log_x = lo > 0 && hi / lo > 20;
  auto tx = [&](double v) {
    const double a = log_x ? std::log10(lo) : 0, b = log_x ? std::log10(hi) : hi;
    const double x = log_x ? std::log10(v) : v;
    const double span = b - a > 0 ? b - a : 1;
    // 8% padding on both sides so points at the extremes are not on the frame.
    return left + (w - left - right) * (0.08 + 0.84 * (x - a) / span);
  };
  auto ty = [&](double s) { return top + (h - top - bottom) * (1 - s); };
  // Axes and grid.
  out += "<g class=\"axis\">\n";
  for (int i = 0; i <= 4; ++i) {
    const double s = i / 4.0;
    out += fmt::format(
        "<line class=\"grid\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.2f}</text>\n",
        left, w - right, ty(s), ty(s), left - 6, ty(s) + 4, s);
  }
  out += fmt::format(
      "<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\"/>"
      "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{3:.1f}\" y2=\"{2:.1f}\"/>\n",
      left, w - right, ty(0), ty(1));
  out += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}{}</text>\n"
      "<text x=\"14\" y=\"{:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1f})\">"
      "score (95% CI)</text>\n",
      (left + w - right) / 2, h - 10, esc(x_label), log_x ? " (log scale)" : "", ty(0.5), ty(0.5));
  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"start\">{}</text>\n", left,
                     h - 26, esc(format_cost(lo)));
  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", w - right,
                     h - 26, esc(format_cost(hi)));
  out += "</g>\n";
  // The frontier: cheapest first, a step to each better point.
  std::vector<const FrontierPoint*> front;
  for (const FrontierPoint& p : points) {
    if (p.on_frontier) front.push_back(&p);
  }
  std::sort(front.begin(), front.end(),
            [](const FrontierPoint* a, const FrontierPoint* b) { return a->cost < b->cost; });
  if (!front.empty()) {
    std::string path = fmt::format("M {:.1f} {:.1f}", tx(front[0]->cost), ty(front[0]->score));
    for (size_t i = 1; i < front.size(); ++i) {
      path += fmt::format(" H {:.1f} V {:.1f}", tx(front[i]->cost), ty(front[i]->score));
    }
    out += "<path class=\"frontier-line\" d=\"" + path + "\"/>\n";
  }
  for (const FrontierPoint& p : points) {
    const double x = tx(p.cost);
    out += fmt::format(
        "<g class=\"tier-point\"><line class=\"whisker\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" "
        "y1=\"{1:.1f}\" y2=\"{2:.1f}\"/><circle class=\"point{3}\" cx=\"{0:.1f}\" cy=\"{4:.1f}\" "
        "r=\"6\"><title>{5}: score {6:.3f} [{7:.3f}, {8:.3f}], {9}</title></circle>"
        "<text x=\"{10:.1f}\" y=\"{11:.1f}\">{5}</text></g>\n",
        x, ty(p.ci.lower), ty(p.ci.upper), p.on_frontier ? " frontier" : "", ty(p.score),
        esc(p.label), p.score, p.ci.lower, p.ci.upper, esc(format_cost(p.cost)), x + 9,
        ty(p.score) - 6);
  }
  return out + "</svg>\n";
}

std::string joules_text(double j) { return format_joules(j) + " per item"; }
std::string ms_text(double ms) { return fmt::format("{:.4g} ms", ms); }

std::string frontier_section(const RunSummary& s) {
  std::vector<FrontierPoint> energy, latency;
  std::vector<std::string> without_energy;
  for (const GroupSummary& g : s.tiers) {
    if (!g.score) continue;
    if (g.energy) {
      energy.push_back({g.key.tier, g.energy->joules_per_item, g.score->mean, g.score->ci});
    } else {
      without_energy.push_back(g.key.tier);
    }
    if (g.latency.e2e) {
      latency.push_back({g.key.tier, g.latency.e2e->p50, g.score->mean, g.score->ci});
    }
  }
  std::string out =
      "<h2>Pareto frontier</h2>\n<p class=\"note\">Each point is a tier: its "
      "score with a 95% interval against what an item costs. Orange points are on "
      "the frontier: no other tier is both cheaper and better.</p>\n";
  if (!energy.empty()) {
    mark_frontier(energy);
    out += scatter("frontier-energy", "energy per item", energy, joules_text);
  }
  if (!latency.empty()) {
    mark_frontier(latency);
    out += scatter("frontier-latency", "end-to-end latency p50", latency, ms_text);
  }
  if (!without_energy.empty()) {
    std::string names;
    for (const std::string& t : without_energy) names += (names.empty() ? "" : ", ") + t;
    out += "<p class=\"note\">No energy figures for: " + esc(names) + ".</p>\n";
  }
  return out;
}

std::string colour_of_tier(const RunSummary& s, const std::string& tier) {
  const auto it = std::find(s.tier_order.begin(), s.tier_order.end(), tier);
  const size_t i = static_cast<size_t>(it - s.tier_order.begin());
  return kTierColours[i % (sizeof kTierColours / sizeof kTierColours[0])];
}

std::string tag_bars(const RunSummary& s) {
  if (s.tags.empty()) return {};
  std::map<std::string, std::map<std::string, const GroupSummary*>> by_tag;
  for (const GroupSummary& g : s.tags) by_tag[g.key.tag][g.key.tier] = &g;
  const double bar = 14, gap = 18, left = 56, top = 16, plot_h = 220, bottom = 90;
  const size_t tiers = s.tier_order.size();
  const double group_w = bar * static_cast<double>(tiers) + gap;
  const double w = left + group_w * static_cast<double>(by_tag.size()) + 20;
  const double h = top + plot_h + bottom;
  auto ty = [&](double v) { return top + plot_h * (1 - v); };
  std::string out = fmt::format(
      "<h2>Per tag</h2>\n<svg class=\"chart\" id=\"tag-bars\" xmlns=\"http://www.w3.org/2000/svg\" "
      "width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" role=\"img\">\n",
      w, h);
  for (int i = 0; i <= 4; ++i) {
    out += fmt::format(
        "<line class=\"grid\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.2f}</text>\n",
        left, w - 20, ty(i / 4.0), ty(i / 4.0), left - 6, ty(i / 4.0) + 4, i / 4.0);
  }
  size_t k = 0;
  for (const auto& [tag, tiers_of] : by_tag) {
    const double x0 = left + gap / 2 + group_w * static_cast<double>(k++);
    for (size_t t = 0; t < tiers; ++t) {
      auto it = tiers_of.find(s.tier_order[t]);
      if (it == tiers_of.end() || !it->second->score) continue;
      const ScoreEstimate& e = *it->second->score;
      const double x = x0 + bar * static_cast<double>(t);
      out += fmt::format(
          "<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
          "fill=\"{}\"><title>{} on {}: {:.3f} [{:.3f}, {:.3f}]</title></rect>"
          "<line class=\"whisker\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>\n",
          x, ty(e.mean), bar - 2, plot_h * e.mean, colour_of_tier(s, s.tier_order[t]), esc(tag),
          esc(s.tier_order[t]), e.mean, e.ci.lower, e.ci.upper, x + (bar - 2) / 2,
          x + (bar - 2) / 2, ty(e.ci.lower), ty(e.ci.upper));
    }
    const double cx = x0 + bar * static_cast<double>(tiers) / 2;
    out += fmt::format(
        "<text x=\"{0:.1f}\" y=\"{1:.1f}\" text-anchor=\"end\" transform=\"rotate(-40 {0:.1f} "
        "{1:.1f})\">{2}</text>\n",
        cx, top + plot_h + 14, esc(tag));
  }
  // Legend.
  for (size_t t = 0; t < tiers; ++t) {
    const double x = left + 90 * static_cast<double>(t);
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
        x, h - 16, colour_of_tier(s, s.tier_order[t]), x + 14, h - 7, esc(s.tier_order[t]));
  }
  return out + "</svg>\n";
}

std::string score_fill(double score) {
  // Red (0) through yellow to green (1), light enough for dark text.
  return fmt::format("hsl({:.0f}, 65%, 72%)", 120 * std::clamp(score, 0.0, 1.0));
}

std::string saturation_map(const RunSummary& s, std::span<const ItemRecord> records) {
  Result<SaturationReport> sat = saturation(records);
  if (!sat.ok() || sat->tasks.empty()) return {};
  std::vector<const Saturation*> rows;
  for (const Saturation& r : sat->suites) rows.push_back(&r);
  for (const Saturation& r : sat->tasks) rows.push_back(&r);
  const double row_h = 22, label_w = 260, cell_w = 84, verdict_w = 120, top = 28;
  const size_t tiers = s.tier_order.size();
  const double w = label_w + cell_w * static_cast<double>(tiers) + verdict_w + 10;
  const double h = top + row_h * static_cast<double>(rows.size()) + 10;
  std::string out = fmt::format(
      "<h2>Saturation map</h2>\n<p class=\"note\">Per suite (bold) and task: each tier's score, "
      "and whether the items still tell tiers apart (docs/analyses.md).</p>\n"
      "<svg class=\"chart\" id=\"saturation-map\" xmlns=\"http://www.w3.org/2000/svg\" "
      "width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" role=\"img\">\n",
      w, h);
  for (size_t t = 0; t < tiers; ++t) {
    out += fmt::format("<text x=\"{:.1f}\" y=\"18\" text-anchor=\"middle\">{}</text>\n",
                       label_w + cell_w * (static_cast<double>(t) + 0.5), esc(s.tier_order[t]));
  }
  out += fmt::format("<text x=\"{:.1f}\" y=\"18\" text-anchor=\"middle\">verdict</text>\n",
                     label_w + cell_w * static_cast<double>(tiers) + verdict_w / 2);
  for (size_t i = 0; i < rows.size(); ++i) {
    const Saturation& r = *rows[i];
    const double y = top + row_h * static_cast<double>(i);
    const std::string name = r.task.empty() ? r.suite : r.suite + "/" + r.task;
    out += fmt::format("<g class=\"saturation-row\"><text x=\"4\" y=\"{:.1f}\"{}>{}</text>\n",
                       y + 15, r.task.empty() ? " font-weight=\"bold\"" : "", esc(name));
    for (size_t t = 0; t < tiers; ++t) {
      const double x = label_w + cell_w * static_cast<double>(t);
      auto it = std::find_if(r.tiers.begin(), r.tiers.end(),
                             [&](const TierScore& ts) { return ts.tier == s.tier_order[t]; });
      if (it == r.tiers.end()) continue;
      out += fmt::format(
          "<rect class=\"cell\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
          "fill=\"{}\"><title>{} on {}: {:.3f} [{:.3f}, {:.3f}]</title></rect>"
          "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.2f}</text>\n",
          x + 1, y + 1, cell_w - 2, row_h - 2, score_fill(it->score.mean), esc(name), esc(it->tier),
          it->score.mean, it->score.ci.lower, it->score.ci.upper, x + cell_w / 2, y + 15,
          it->score.mean);
    }
    const double vx = label_w + cell_w * static_cast<double>(tiers);
    const std::string verdict(to_string(r.verdict));
    out += fmt::format(
        "<rect class=\"verdict verdict-{0}\" x=\"{1:.1f}\" y=\"{2:.1f}\" width=\"{3:.1f}\" "
        "height=\"{4:.1f}\" rx=\"4\"><title>{5}</title></rect>"
        "<text x=\"{6:.1f}\" y=\"{7:.1f}\" text-anchor=\"middle\">{0}</text></g>\n",
        verdict, vx + 4, y + 2, verdict_w - 8, row_h - 4, esc(r.reason), vx + verdict_w / 2,
        y + 15);
  }
  return out + "</svg>\n";
}

}  // namespace

void mark_frontier(std::vector<FrontierPoint>& points) {
  for (FrontierPoint& p : points) {
    p.on_frontier = std::none_of(points.begin(), points.end(), [&p](const FrontierPoint& q) {
      return q.cost <= p.cost && q.score >= p.score && (q.cost < p.cost || q.score > p.score);
    });
  }
}

std::string render_html(const RunSummary& s, std::span<const ItemRecord> records,
                        const std::string& title) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>" + esc(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  out += "<h1>" + esc(title) + "</h1>\n";
  out += fmt::format(
      "<p>{} items over {} tier(s).{}</p>\n", s.items, s.tiers.size(),
      s.torn_tail ? " The results file ended in a torn line (a killed run), skipped." : "");
  if (s.items > 0) {
    out += "<h2>Tiers</h2>\n" + html_table(metrics_table(s.tiers, {}));
    out += frontier_section(s);
    out += tag_bars(s);
    out += saturation_map(s, records);
    out += "<h2>Tier x suite</h2>\n" + html_table(metrics_table(s.suites, {"suite"}));
    if (!s.tags.empty()) {
      out += "<h2>Per tag (table)</h2>\n" + html_table(by_tier_table(s, s.tags, GroupColumn::kTag));
    }
    out += "<h2>Per task</h2>\n" + html_table(by_tier_table(s, s.tasks, GroupColumn::kTask));
  }
  out +=
      "<p class=\"note\">Made by pareto report. Intervals are 95%: Wilson for pass/fail, "
      "stratified by task where tasks mix.</p>\n</body>\n</html>\n";
  return out;
}

}  // namespace pareto::harness
