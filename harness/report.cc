#include "harness/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "harness/report_html.h"
#include "harness/report_table.h"

namespace pareto::harness {
namespace {

using nlohmann::json;

std::string title_of(const RunSummary& s, const ReportOptions& options) {
  if (!options.title.empty()) return options.title;
  std::string ids;
  for (const std::string& id : s.run_ids) ids += (ids.empty() ? "" : "+") + id;
  return "pareto run " + (ids.empty() ? std::string("(empty)") : ids);
}

std::string headline(const RunSummary& s) {
  std::set<std::string> suites, tasks;
  for (const GroupSummary& g : s.tasks) {
    suites.insert(g.key.suite);
    tasks.insert(g.key.suite + "/" + g.key.task);
  }
  return fmt::format("{} items, {} tier{}, {} suite{}, {} task{}", s.items, s.tiers.size(),
                     s.tiers.size() == 1 ? "" : "s", suites.size(), suites.size() == 1 ? "" : "s",
                     tasks.size(), tasks.size() == 1 ? "" : "s");
}

// The failed items of one task on one tier, for listings: errors first (the harness or a
// grader could not run: the most actionable), then budget overruns, then wrong answers.
std::vector<const ItemRecord*> failures_of(std::span<const ItemRecord> records, const GroupKey& key,
                                           int limit) {
  std::vector<const ItemRecord*> out;
  for (ItemStatus wanted : {ItemStatus::kError, ItemStatus::kBudget, ItemStatus::kGraded}) {
    for (const ItemRecord& r : records) {
      if (static_cast<int>(out.size()) >= limit) return out;
      if (r.status != wanted || r.passed) continue;
      if (r.tier != key.tier || r.suite != key.suite || r.task != key.task) continue;
      out.push_back(&r);
    }
  }
  return out;
}

std::string failure_reason(const ItemRecord& r) {
  if (r.status == ItemStatus::kError) return "error: " + r.error;
  if (r.status == ItemStatus::kBudget) {
    std::string over;
    for (const std::string& o : r.overruns) over += (over.empty() ? "" : ", ") + o;
    return "over budget: " + over;
  }
  for (const GraderVerdict& v : r.graders) {
    if (!v.passed) return v.grader + ": " + v.reason;
  }
  return fmt::format("score {:.2f}", r.score);
}

std::string one_line(std::string text, size_t limit = 160) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() > limit) text = text.substr(0, limit) + "...";
  return text;
}

// --- text and Markdown -----------------------------------------------------------------------

std::string render_tables(const RunSummary& s, std::span<const ItemRecord> records,
                          const ReportOptions& options, bool markdown) {
  std::string out;
  auto heading = [&](const std::string& text) {
    out += markdown ? "\n### " + text + "\n\n" : "\n" + text + "\n";
  };
  auto table = [&](const Table& t) { out += markdown ? t.markdown() : t.text(); };

  out += markdown ? "## " + markdown_cell(title_of(s, options)) + "\n\n" + headline(s) + "\n"
                  : title_of(s, options) + ": " + headline(s) + "\n";
  if (s.torn_tail) {
    out += markdown ? "\n> **Note:** results.jsonl ended in a torn line (a killed run); it was "
                      "skipped.\n"
                    : "note: results.jsonl ended in a torn line (a killed run); it was skipped\n";
  }
  if (s.items == 0) return out;

  heading("Tiers");
  table(metrics_table(s.tiers, {}));
  heading("Tier x suite");
  table(metrics_table(s.suites, {"suite"}));
  if (!s.tags.empty()) {
    heading("Per tag");
    table(by_tier_table(s, s.tags, GroupColumn::kTag));
  }
  heading("Per task");
  table(by_tier_table(s, s.tasks, GroupColumn::kTask));

  // What went wrong, briefly: the first failed items of each task that has any.
  std::string failures;
  for (const GroupSummary& g : s.tasks) {
    std::vector<const ItemRecord*> failed =
        failures_of(records, g.key, options.failed_items_listed);
    if (failed.empty()) continue;
    failures += markdown ? fmt::format("- **{}/{}** on {}:", markdown_cell(g.key.suite),
                                       markdown_cell(g.key.task), g.key.tier)
                         : fmt::format("  {}/{} on {}:", g.key.suite, g.key.task, g.key.tier);
    failures += "\n";
    for (const ItemRecord* r : failed) {
      const std::string line =
          fmt::format("sample {}: {}", r->sample_id, one_line(failure_reason(*r)));
      failures += markdown ? "  - " + markdown_cell(line) + "\n" : "    " + line + "\n";
    }
  }
  if (!failures.empty()) {
    heading(fmt::format("Failed items (first {} per task)", options.failed_items_listed));
    out += failures;
  }
  return out;
}

// --- JUnit -----------------------------------------------------------------------------------

struct JunitCase {
  const GroupSummary* task;
  bool failure = false;
  bool error = false;
  bool skipped = false;
};

std::string render_junit(const RunSummary& s, std::span<const ItemRecord> records,
                         const ReportOptions& options) {
  // One <testsuite> per (suite, tier), holding one <testcase> per task.
  std::map<std::pair<std::string, std::string>, std::vector<JunitCase>> suites;
  std::vector<std::pair<std::string, std::string>> order;
  for (const GroupSummary& g : s.tasks) {
    JunitCase c{&g};
    c.skipped = !g.score;
    c.error = g.counts.error > 0;
    c.failure = options.fail_under && g.score && g.score->mean < *options.fail_under;
    auto key = std::make_pair(g.key.suite, g.key.tier);
    if (!suites.count(key)) order.push_back(key);
    suites[key].push_back(c);
  }
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  for (const auto& [key, cases] : suites) {
    for (const JunitCase& c : cases) {
      ++tests;
      failures += c.failure;
      errors += c.error;
      skipped += c.skipped;
    }
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
      xml_escape(title_of(s, options)), tests, failures, errors, skipped);
  for (const auto& key : order) {
    const std::vector<JunitCase>& cases = suites[key];
    int f = 0, e = 0, k = 0;
    double seconds = 0;
    for (const JunitCase& c : cases) {
      f += c.failure;
      e += c.error;
      k += c.skipped;
      if (c.task->latency.e2e) seconds += c.task->latency.e2e->mean * c.task->latency.e2e->n / 1000;
    }
    out += fmt::format(
        "  <testsuite name=\"{}.{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
        "time=\"{:.3f}\">\n",
        xml_escape(key.first), xml_escape(key.second), cases.size(), f, e, k, seconds);
    for (const JunitCase& c : cases) {
      const GroupSummary& g = *c.task;
      const double time = g.latency.e2e ? g.latency.e2e->mean * g.latency.e2e->n / 1000 : 0;
      out += fmt::format("    <testcase classname=\"{}.{}\" name=\"{}\" time=\"{:.3f}\">\n",
                         xml_escape(g.key.suite), xml_escape(g.key.tier), xml_escape(g.key.task),
                         time);
      out += "      <properties>\n";
      auto property = [&out](const std::string& name, const std::string& value) {
        out += fmt::format("        <property name=\"{}\" value=\"{}\"/>\n", xml_escape(name),
                           xml_escape(value));
      };
      if (g.score) {
        property("score", fmt::format("{:.4f}", g.score->mean));
        property("ci95", fmt::format("{:.4f} {:.4f}", g.score->ci.lower, g.score->ci.upper));
      }
      property("n", std::to_string(g.counts.total - g.counts.unsupported));
      property("passed", std::to_string(g.counts.passed));
      out += "      </properties>\n";
      if (c.skipped) {
        out += fmt::format("      <skipped message=\"{} item(s) unsupported by the harness\"/>\n",
                           g.counts.unsupported);
      }
      if (c.failure) {
        out += fmt::format(
            "      <failure type=\"below-bar\" message=\"score {:.3f} [{:.3f}, {:.3f}] is below "
            "{:.3f}\">{} of {} items passed</failure>\n",
            g.score->mean, g.score->ci.lower, g.score->ci.upper, *options.fail_under,
            g.counts.passed, g.counts.total - g.counts.unsupported);
      }
      if (c.error) {
        std::string first;
        for (const ItemRecord& r : records) {
          if (r.tier == g.key.tier && r.suite == g.key.suite && r.task == g.key.task &&
              r.status == ItemStatus::kError) {
            first = one_line(r.error);
            break;
          }
        }
        out += fmt::format(
            "      <error type=\"item-error\" message=\"{} of {} items could not "
            "run\">{}</error>\n",
            g.counts.error, g.counts.total, xml_escape(first));
      }
      std::vector<const ItemRecord*> failed =
          failures_of(records, g.key, options.failed_items_listed);
      if (!failed.empty()) {
        std::string text;
        for (const ItemRecord* r : failed) {
          text += fmt::format("sample {}: {}\n", r->sample_id, one_line(failure_reason(*r)));
        }
        out += "      <system-out>" + xml_escape(text) + "</system-out>\n";
      }
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace

Result<ReportFormat> parse_report_format(std::string_view name) {
  if (name == "text") return ReportFormat::kText;
  if (name == "md" || name == "markdown") return ReportFormat::kMarkdown;
  if (name == "json") return ReportFormat::kJson;
  if (name == "junit") return ReportFormat::kJunit;
  if (name == "html") return ReportFormat::kHtml;
  return Status::Error("unknown report format `" + std::string(name) +
                       "` (text, md, json, junit, html)");
}

std::string_view to_string(ReportFormat format) {
  switch (format) {
    case ReportFormat::kText:
      return "text";
    case ReportFormat::kMarkdown:
      return "md";
    case ReportFormat::kJson:
      return "json";
    case ReportFormat::kJunit:
      return "junit";
    case ReportFormat::kHtml:
      return "html";
  }
  return "text";
}

std::string render_report(const RunSummary& summary, std::span<const ItemRecord> records,
                          ReportFormat format, const ReportOptions& options) {
  switch (format) {
    case ReportFormat::kText:
      return render_tables(summary, records, options, false);
    case ReportFormat::kMarkdown:
      return render_tables(summary, records, options, true);
    case ReportFormat::kJson:
      return to_json(summary).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    case ReportFormat::kJunit:
      return render_junit(summary, records, options);
    case ReportFormat::kHtml:
      return render_html(summary, records, title_of(summary, options));
  }
  return {};
}

std::vector<std::string> below_bar(const RunSummary& summary, double fail_under) {
  std::vector<std::string> out;
  for (const GroupSummary& g : summary.tasks) {
    if (g.score && g.score->mean < fail_under) {
      out.push_back(fmt::format("{}/{} on {} ({:.3f} < {:.3f})", g.key.suite, g.key.task,
                                g.key.tier, g.score->mean, fail_under));
    }
  }
  return out;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      // Copy a well-formed UTF-8 sequence; anything else (model output can hold any bytes)
      // becomes U+FFFD, since one stray byte makes a whole XML document unreadable.
      const size_t length = c >= 0xF0 && c <= 0xF4  ? 4
                            : c >= 0xE0             ? 3
                            : c >= 0xC2 && c < 0xE0 ? 2
                                                    : 0;
      bool ok = length > 0 && i + length <= text.size();
      for (size_t k = 1; ok && k < length; ++k) {
        ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
      }
      if (ok && length >= 3) {
        const unsigned char d = static_cast<unsigned char>(text[i + 1]);
        ok = !(c == 0xE0 && d < 0xA0) && !(c == 0xED && d >= 0xA0) &&  // overlong, surrogates
             !(c == 0xF0 && d < 0x90) && !(c == 0xF4 && d >= 0x90);    // overlong, > U+10FFFF
        if (ok && c == 0xEF && d == 0xBF) {  // U+FFFE and U+FFFF are not XML characters
          ok = static_cast<unsigned char>(text[i + 2]) < 0xBE;
        }
      }
      if (ok) {
        out.append(text.substr(i, length));
        i += length;
      } else {
        out += "\xEF\xBF\xBD";
        ++i;
      }
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\t':
        out += "&#9;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        // Other control characters are not allowed in XML 1.0 at all, even as references.
        if (c < 0x20 || c == 0x7f) {
          out += "\xEF\xBF\xBD";  // U+FFFD
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out;
}

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (c == '<') {
      out += "&lt;";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace pareto::harness
