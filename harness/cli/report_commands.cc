// pareto report, compare, saturation, targets: what a run's results say, for people and CI.
//   pareto report DIR [--format text|md|json|junit|html] [--out FILE] [--fail-under X]
//   pareto compare BASE NEW [--max-drop X] [--alpha A] [--format text|md|json]
//   pareto saturation DIR [--json] [--subset FILE] [--tolerance X]
//   pareto targets DIR --teacher T --student S [--json] [--out FILE] [--min-teacher X]
// Exit codes: 0 ok; 1 a regression (compare) or a task below --fail-under (report); 2 usage;
// 3 a results folder that cannot be read.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/cli/commands.h"
#include "harness/compare.h"
#include "harness/report.h"
#include "harness/saturation.h"
#include "harness/summary.h"
#include "harness/targets.h"

namespace pareto::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool write_file(const std::string& command, const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) {
    std::fprintf(stderr, "pareto %s: cannot write %s\n", command.c_str(), path.c_str());
    return false;
  }
  return true;
}

// Reads DIR/results.jsonl; prints the error and returns nullopt when it cannot.
std::optional<harness::ResultsFile> load(const std::string& command, const fs::path& dir) {
  if (!fs::is_directory(dir)) {
    std::fprintf(stderr, "pareto %s: %s is not a run folder (it should hold results.jsonl)\n",
                 command.c_str(), dir.c_str());
    return std::nullopt;
  }
  harness::Result<harness::ResultsFile> file = harness::read_results(dir / "results.jsonl");
  if (!file.ok()) {
    std::fprintf(stderr, "pareto %s: %s\n", command.c_str(), file.message().c_str());
    return std::nullopt;
  }
  if (file->torn_tail) {
    std::fprintf(stderr, "pareto %s: note: %s ended in a torn line (a killed run); skipped it\n",
                 command.c_str(), (dir / "results.jsonl").c_str());
  }
  return std::move(*file);
}

bool in_unit_range(const std::string& command, const char* name, double value) {
  if (value >= 0 && value <= 1) return true;
  std::fprintf(stderr, "pareto %s: %s must be between 0 and 1, got %g\n", command.c_str(), name,
               value);
  return false;
}

// ---- report ----

struct ReportArgs {
  std::string dir;
  std::string format = "text";
  std::string out;
  std::optional<double> fail_under;
  std::string title;
};

int run_report(const ReportArgs& a) {
  harness::Result<harness::ReportFormat> format = harness::parse_report_format(a.format);
  if (!format.ok()) {
    std::fprintf(stderr, "pareto report: %s\n", format.message().c_str());
    return kUsage;
  }
  if (a.fail_under && !in_unit_range("report", "--fail-under", *a.fail_under)) return kUsage;
  std::optional<harness::ResultsFile> file = load("report", a.dir);
  if (!file) return kRuntime;
  harness::Result<harness::RunSummary> summary = harness::summarize(file->records);
  if (!summary.ok()) {
    std::fprintf(stderr, "pareto report: %s\n", summary.message().c_str());
    return kRuntime;
  }
  summary->torn_tail = file->torn_tail;
  harness::ReportOptions options;
  options.title = a.title;
  options.fail_under = a.fail_under;
  const std::string text = harness::render_report(*summary, file->records, *format, options);
  if (a.out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else if (!write_file("report", a.out, text)) {
    return kRuntime;
  }
  if (a.fail_under) {
    std::vector<std::string> below = harness::below_bar(*summary, *a.fail_under);
    for (const std::string& line : below) {
      std::fprintf(stderr, "pareto report: below --fail-under: %s\n", line.c_str());
    }
    if (!below.empty()) return kFailedBar;
  }
  return kOk;
}

// ---- compare ----

struct CompareArgs {
  std::string base, next;
  harness::CompareOptions options;
  std::string format = "text";
};

int run_compare(const CompareArgs& a) {
  if (a.format != "text" && a.format != "md" && a.format != "json") {
    std::fprintf(stderr, "pareto compare: unknown format `%s` (text, md, json)\n",
                 a.format.c_str());
    return kUsage;
  }
  if (!in_unit_range("compare", "--max-drop", a.options.max_drop)) return kUsage;
  if (!(a.options.alpha > 0 && a.options.alpha < 1)) {
    std::fprintf(stderr, "pareto compare: --alpha must be between 0 and 1 (exclusive)\n");
    return kUsage;
  }
  std::optional<harness::ResultsFile> base = load("compare", a.base);
  if (!base) return kRuntime;
  std::optional<harness::ResultsFile> next = load("compare", a.next);
  if (!next) return kRuntime;
  harness::Result<harness::RunComparison> c =
      harness::compare_runs(base->records, next->records, a.options);
  if (!c.ok()) {
    std::fprintf(stderr, "pareto compare: %s\n", c.message().c_str());
    return kRuntime;
  }
  if (c->paired == 0) {
    std::fprintf(stderr,
                 "pareto compare: %s and %s share no item (by item id): nothing to compare\n",
                 a.base.c_str(), a.next.c_str());
    return kUsage;
  }
  const std::string text = a.format == "json" ? harness::to_json(*c).dump(2) + "\n"
                                              : harness::render_comparison(*c, a.format == "md");
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (c->has_regression()) {
    for (const std::string& r : c->regressions()) {
      std::fprintf(stderr, "pareto compare: regression: %s\n", r.c_str());
    }
    return kFailedBar;
  }
  return kOk;
}

// ---- saturation ----

struct SaturationArgs {
  std::string dir;
  bool json = false;
  std::string subset;
  harness::SaturationOptions options;
  harness::SubsetOptions subset_options;
};

int run_saturation(const SaturationArgs& a) {
  if (!in_unit_range("saturation", "--tolerance", a.subset_options.score_tolerance) ||
      !in_unit_range("saturation", "--saturated-level", a.options.saturated_level) ||
      !in_unit_range("saturation", "--too-hard-level", a.options.too_hard_level) ||
      !in_unit_range("saturation", "--interval-margin", a.options.interval_margin)) {
    return kUsage;
  }
  std::optional<harness::ResultsFile> file = load("saturation", a.dir);
  if (!file) return kRuntime;
  harness::Result<harness::SaturationReport> report = harness::saturation(file->records, a.options);
  if (!report.ok()) {
    std::fprintf(stderr, "pareto saturation: %s\n", report.message().c_str());
    return kRuntime;
  }
  std::optional<harness::CiSubset> subset;
  if (!a.subset.empty()) {
    harness::SubsetOptions so = a.subset_options;
    so.alpha = a.options.alpha;
    harness::Result<harness::CiSubset> s = harness::ci_subset(file->records, so);
    if (!s.ok()) {
      std::fprintf(stderr, "pareto saturation: %s\n", s.message().c_str());
      return kRuntime;
    }
    subset = std::move(*s);
    if (!write_file("saturation", a.subset, harness::selection_json(*subset).dump(2) + "\n")) {
      return kRuntime;
    }
  }
  if (a.json) {
    json j = harness::to_json(*report);
    if (subset) j["subset"] = harness::to_json(*subset);
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    const std::string text = harness::render_saturation(*report, subset ? &*subset : nullptr);
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (subset)
      std::printf("  selection written to %s (pareto run --select FILE)\n", a.subset.c_str());
  }
  return kOk;
}

// ---- targets ----

struct TargetsArgs {
  std::string dir;
  bool json = false;
  std::string out;
  harness::TargetOptions options;
};

int run_targets(const TargetsArgs& a) {
  if (!in_unit_range("targets", "--min-teacher", a.options.min_teacher)) return kUsage;
  std::optional<harness::ResultsFile> file = load("targets", a.dir);
  if (!file) return kRuntime;
  harness::Result<harness::TargetReport> report = harness::targets(file->records, a.options);
  if (!report.ok()) {
    std::fprintf(stderr, "pareto targets: %s\n", report.message().c_str());
    return kUsage;
  }
  const std::string j = harness::to_json(*report).dump(2) + "\n";
  const fs::path out = a.out.empty() ? fs::path(a.dir) / "targets.json" : fs::path(a.out);
  if (!write_file("targets", out, j)) return kRuntime;
  if (a.json) {
    std::fwrite(j.data(), 1, j.size(), stdout);
  } else {
    const std::string text = harness::render_targets(*report);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::printf("\nwritten to %s\n", out.c_str());
  }
  return kOk;
}

}  // namespace

void add_report_commands(CLI::App& app, int& exit_code) {
  {
    auto a = std::make_shared<ReportArgs>();
    CLI::App* cmd = app.add_subcommand("report", "scores, tokens, latency, energy of a run");
    cmd->add_option("dir", a->dir, "run folder (holds results.jsonl)")->required();
    cmd->add_option("--format", a->format, "text, md, json, junit or html")->capture_default_str();
    cmd->add_option("--out", a->out, "write to FILE instead of standard output");
    cmd->add_option("--fail-under", a->fail_under,
                    "exit 1 (and junit <failure>s) when a task scores below X (0..1)");
    cmd->add_option("--title", a->title, "report title (default: the run id)");
    cmd->callback([a, &exit_code] { exit_code = run_report(*a); });
  }
  {
    auto a = std::make_shared<CompareArgs>();
    CLI::App* cmd = app.add_subcommand(
        "compare", "paired comparison of two runs; exit 1 on a significant regression");
    cmd->add_option("base", a->base, "the baseline run folder")->required();
    cmd->add_option("new", a->next, "the new run folder")->required();
    cmd->add_option("--max-drop", a->options.max_drop,
                    "drops of at most X (score, 0..1) are never regressions")
        ->capture_default_str();
    cmd->add_option("--alpha", a->options.alpha, "family-wise significance level (Holm)")
        ->capture_default_str();
    cmd->add_option("--format", a->format, "text, md or json")->capture_default_str();
    cmd->callback([a, &exit_code] { exit_code = run_compare(*a); });
  }
  {
    auto a = std::make_shared<SaturationArgs>();
    CLI::App* cmd =
        app.add_subcommand("saturation", "which tasks and suites still tell tiers apart");
    cmd->add_option("dir", a->dir, "run folder (holds results.jsonl)")->required();
    cmd->add_flag("--json", a->json, "JSON instead of tables");
    cmd->add_option("--subset", a->subset,
                    "write the smallest CI subset that keeps the tiers' order and scores to FILE "
                    "(a selection for pareto run --select)");
    cmd->add_option("--tolerance", a->subset_options.score_tolerance,
                    "largest score change per tier the subset may make")
        ->capture_default_str();
    cmd->add_option("--alpha", a->options.alpha, "significance level for separating tiers")
        ->capture_default_str();
    cmd->add_option("--saturated-level", a->options.saturated_level,
                    "inseparable tiers all at or above this: saturated")
        ->capture_default_str();
    cmd->add_option("--too-hard-level", a->options.too_hard_level,
                    "best tier at or below this: too hard")
        ->capture_default_str();
    cmd->add_option("--interval-margin", a->options.interval_margin,
                    "how far past a level the deciding interval may reach (else inconclusive)")
        ->capture_default_str();
    cmd->callback([a, &exit_code] { exit_code = run_saturation(*a); });
  }
  {
    auto a = std::make_shared<TargetsArgs>();
    CLI::App* cmd = app.add_subcommand(
        "targets", "distillation targets: where a reliable teacher beats the student");
    cmd->add_option("dir", a->dir, "run folder (holds results.jsonl)")->required();
    cmd->add_option("--teacher", a->options.teacher, "teacher tier")->capture_default_str();
    cmd->add_option("--student", a->options.student, "student tier")->capture_default_str();
    cmd->add_option("--min-teacher", a->options.min_teacher,
                    "teacher score below which a task is teacher-unreliable")
        ->capture_default_str();
    cmd->add_option("--out", a->out, "where targets.json goes (default DIR/targets.json)");
    cmd->add_flag("--json", a->json, "print targets.json instead of tables");
    cmd->callback([a, &exit_code] { exit_code = run_targets(*a); });
  }
}

}  // namespace pareto::cli
