// Reports of a run for people and CI systems: `pareto report DIR --format text|md|json|junit|
// html`. Every format is rendered from the same RunSummary (harness/summary.h), so the
// numbers agree across formats.
//
//  text   aligned tables for a terminal: tiers, then tier x suite, per tag, per task;
//  md     the same as GitHub-flavoured Markdown tables, fit for a CI step summary
//         ($GITHUB_STEP_SUMMARY) or a pull-request comment;
//  json   summary.json (harness/summary.h), byte for byte what `pareto run` writes;
//  junit  JUnit XML: one <testsuite> per suite and tier, one <testcase> per task and tier
//         (classname "suite.tier", name the task). A testcase is a <failure> when its score
//         is below `fail_under` (only when one is given: without a bar a model's score is a
//         measurement, not a test), an <error> when any of its items could not run (model or
//         grader error), <skipped> when the harness could not run any (unsupported). Its
//         properties carry the score, interval and n; system-out lists the failed items;
//  html   one self-contained page (inline CSS and SVG, no scripts, no network): the tables,
//         the Pareto frontier of quality against energy per item and against latency, per-tag
//         bars per tier, and the saturation map (harness/saturation.h).
//
// Promises: rendering never fails on a valid summary; every text that came from a results
// file is escaped for the format (XML/HTML entities, Markdown table pipes).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/compare.h"
#include "harness/record.h"
#include "harness/saturation.h"
#include "harness/summary.h"
#include "harness/targets.h"

namespace pareto::harness {

enum class ReportFormat { kText, kMarkdown, kJson, kJunit, kHtml };
Result<ReportFormat> parse_report_format(std::string_view name);  // text, md, json, junit, html
std::string_view to_string(ReportFormat format);

struct ReportOptions {
  std::string title;                 // defaults to "pareto run <run_id>"
  std::optional<double> fail_under;  // junit: testcases scoring below it fail
  int failed_items_listed = 5;       // junit system-out, text: failed items shown per task
};

// The records are the run's own (for failed-item listings and the html analyses); the
// summary is summarize(records).
std::string render_report(const RunSummary& summary, std::span<const ItemRecord> records,
                          ReportFormat format, const ReportOptions& options = {});

// Task groups scoring below the bar, as "suite/task on tier (0.42 < 0.50)".
std::vector<std::string> below_bar(const RunSummary& summary, double fail_under);

// `pareto compare`: tiers, then tasks, base and new score, change with its interval, Holm p,
// verdict; regressions listed last. Markdown when `markdown`, else aligned text.
std::string render_comparison(const RunComparison& comparison, bool markdown);

// `pareto saturation`: suites, then tasks, with verdicts; the CI subset's figures when given.
std::string render_saturation(const SaturationReport& report, const CiSubset* subset);

// `pareto targets`: tasks, then tags, ranked.
std::string render_targets(const TargetReport& report);

// Escaping, exposed for tests and for other renderers.
std::string xml_escape(std::string_view text);     // & < > " ' and control characters
std::string markdown_cell(std::string_view text);  // pipes and newlines, for table cells

}  // namespace pareto::harness
