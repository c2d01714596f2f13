#include "harness/report_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "harness/report.h"

namespace pareto::harness {
namespace {

// Display width of UTF-8 text: code points, not bytes (tables hold names from spec files).
size_t width(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

std::string pad(const std::string& text, size_t to, bool right) {
  const size_t w = width(text);
  const std::string fill(to > w ? to - w : 0, ' ');
  return right ? fill + text : text + fill;
}

// Prompt tokens per item, over the items whose count is known: "?" when none is (an
// endpoint that reports no usage), never a 0 nobody counted.
std::string prompt_cell(const TokenTotals& t) {
  if (t.prompt_unknown > 0 && t.prompt == 0) return "?";
  return fmt::format("{:.1f}", t.prompt_per_item);
}

std::string pass_at_k_cell(const GroupSummary& g) {
  if (g.pass_at_k.empty()) return "-";
  std::string out;
  for (const auto& [k, v] : g.pass_at_k) {
    if (k == 1) continue;  // pass@1 is the score
    out += fmt::format("{}@{} {:.3f}", out.empty() ? "" : " ", k, v);
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string Table::text() const {
  std::vector<size_t> widths(headers.size(), 0);
  for (size_t c = 0; c < headers.size(); ++c) widths[c] = width(headers[c]);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], width(row[c]));
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < widths.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      out += "  " + pad(cell, widths[c], !left_aligned(c));
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(headers);
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string Table::markdown() const {
  std::string out = "|";
  for (const std::string& h : headers) out += " " + markdown_cell(h) + " |";
  out += "\n|";
  for (size_t c = 0; c < headers.size(); ++c) out += left_aligned(c) ? " --- |" : " ---: |";
  out += "\n";
  for (const auto& row : rows) {
    out += "|";
    for (size_t c = 0; c < headers.size(); ++c) {
      out += " " + markdown_cell(c < row.size() ? row[c] : "") + " |";
    }
    out += "\n";
  }
  return out;
}

std::string format_score(const std::optional<ScoreEstimate>& score) {
  if (!score) return "-";
  return fmt::format("{:.3f} [{:.3f}, {:.3f}]", score->mean, score->ci.lower, score->ci.upper);
}

std::string format_joules(std::optional<double> joules) {
  if (!joules) return "-";
  const double j = *joules;
  const double a = std::fabs(j);
  if (a == 0) return "0 J";
  if (a >= 1000) return fmt::format("{:.2f} kJ", j / 1000);
  if (a >= 1) return fmt::format("{:.3g} J", j);
  if (a >= 1e-3) return fmt::format("{:.3g} mJ", j * 1e3);
  if (a >= 1e-6) return fmt::format("{:.3g} uJ", j * 1e6);
  return fmt::format("{:.3g} nJ", j * 1e9);
}

std::string format_p50_p95(const std::optional<LatencySummary>& latency) {
  if (!latency) return "-";
  auto ms = [](double v) { return v >= 100 ? fmt::format("{:.0f}", v) : fmt::format("{:.3g}", v); };
  return ms(latency->p50) + " / " + ms(latency->p95);
}

Table metrics_table(const std::vector<GroupSummary>& groups, const std::vector<std::string>& keys) {
  Table t;
  t.headers = keys;
  t.headers.insert(t.headers.end(),
                   {"tier", "score [95% CI]", "n", "pass@k", "tokens in/out per item",
                    "TTFT p50/p95 ms", "e2e p50/p95 ms", "ITL p50/p95 ms", "energy/item", "J/token",
                    "J/correct", "source", "budget", "error", "unsupported"});
  t.label_columns = keys.size() + 1;
  for (const GroupSummary& g : groups) {
    std::vector<std::string> row;
    for (const std::string& k : keys) {
      row.push_back(k == "suite" ? g.key.suite : k == "tag" ? g.key.tag : g.key.task);
    }
    const bool scored = g.score.has_value();
    std::optional<double> per_item, per_token, per_correct;
    if (g.energy) {
      per_item = g.energy->joules_per_item;
      if (g.energy->pj_per_token) per_token = *g.energy->pj_per_token * 1e-12;
      per_correct = g.energy->joules_per_correct;
    }
    std::string source = g.energy ? g.energy->source_label() : "none";
    if (g.energy && g.energy->items < g.counts.total) {
      source += fmt::format(" ({}/{} items)", g.energy->items, g.counts.total);
    }
    row.insert(
        row.end(),
        {g.key.tier, format_score(g.score), std::to_string(g.counts.total - g.counts.unsupported),
         pass_at_k_cell(g),
         scored ? fmt::format("{} / {:.1f}", prompt_cell(g.tokens), g.tokens.completion_per_item)
                : "-",
         format_p50_p95(g.latency.ttft), format_p50_p95(g.latency.e2e),
         format_p50_p95(g.latency.itl), format_joules(per_item), format_joules(per_token),
         format_joules(per_correct), source, std::to_string(g.counts.budget),
         std::to_string(g.counts.error), std::to_string(g.counts.unsupported)});
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table by_tier_table(const RunSummary& summary, const std::vector<GroupSummary>& groups,
                    GroupColumn column) {
  Table t;
  t.headers = {column == GroupColumn::kTag ? "tag" : "task"};
  if (column == GroupColumn::kTask) t.headers.push_back("tags");
  t.label_columns = t.headers.size();
  for (const std::string& tier : summary.tier_order) t.headers.push_back(tier + " score [95% CI]");
  t.headers.push_back("n");
  // Rows in name order; each row's cells by tier.
  std::map<std::string, std::pair<std::string, std::map<std::string, const GroupSummary*>>> rows;
  for (const GroupSummary& g : groups) {
    const std::string name =
        column == GroupColumn::kTag ? g.key.tag : g.key.suite + "/" + g.key.task;
    auto& row = rows[name];
    if (column == GroupColumn::kTask) {
      std::string tags;
      for (const std::string& tag : g.tags) tags += (tags.empty() ? "" : ",") + tag;
      row.first = tags;
    }
    row.second[g.key.tier] = &g;
  }
  for (const auto& [name, row] : rows) {
    std::vector<std::string> cells = {name};
    if (column == GroupColumn::kTask) cells.push_back(row.first.empty() ? "-" : row.first);
    int64_t n = 0;
    for (const std::string& tier : summary.tier_order) {
      auto it = row.second.find(tier);
      if (it == row.second.end()) {
        cells.push_back("-");
        continue;
      }
      cells.push_back(format_score(it->second->score));
      n = std::max(n, it->second->counts.total - it->second->counts.unsupported);
    }
    cells.push_back(std::to_string(n));
    t.rows.push_back(std::move(cells));
  }
  return t;
}

}  // namespace pareto::harness
