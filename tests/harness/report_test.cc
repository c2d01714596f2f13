#include "harness/report.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "harness/report_html.h"
#include "tests/cli/cli_runner.h"
#include "tests/results_fixture.h"

namespace pareto::harness {
namespace {

using pareto::testing::ResultsBuilder;
using pareto::testing::TempDir;

// Two suites, three tiers, tags, a failure with a hostile reason, an error and an agent task.
ResultsBuilder sample_run() {
  ResultsBuilder b("run-7");
  for (const auto& [tier, solved] :
       {std::pair{"flash", 3}, std::pair{"pro", 6}, std::pair{"ultra", 9}}) {
    const int k = solved;
    b.task(
        "core.arith", "add", tier, 10, [k](int s, int) { return s < k; }, {"arith", "easy"}, 1,
        tier == std::string("ultra") ? 24 : 6);
    b.task("core.code", "py.fizz", tier, 10, [k](int s, int) { return s + 1 < k; }, {"code"});
  }
  b.records[4].graders[0].reason = "expected <b>\"42\"</b> & got | \x01 \xff";
  ItemRecord& err = b.add("core.code", "py.fizz", "pro", "boom", 0, false, {"code"});
  err.status = ItemStatus::kError;
  err.error = "sandbox: bwrap failed";
  ItemRecord& agent = b.add("core.code", "fix.range", "flash", "w0", 0, false, {"agent"});
  agent.status = ItemStatus::kUnsupported;
  agent.error = "agent tasks need the agent loop";
  agent.energy.reset();
  return b;
}

RunSummary summary_of(const ResultsBuilder& b) {
  Result<RunSummary> s = summarize(b.records);
  EXPECT_TRUE(s.ok()) << s.message();
  return s.ok() ? *s : RunSummary{};
}

TEST(Report, TextHasTheTierBySuiteTableWithIntervalsLatencyAndEnergy) {
  ResultsBuilder b = sample_run();
  const std::string text = render_report(summary_of(b), b.records, ReportFormat::kText);
  EXPECT_NE(text.find("pareto run run-7"), std::string::npos) << text;
  EXPECT_NE(text.find("Tier x suite"), std::string::npos);
  EXPECT_NE(text.find("core.arith"), std::string::npos);
  EXPECT_NE(text.find("0.300 ["), std::string::npos);  // flash on add: 3 of 10
  EXPECT_NE(text.find("TTFT p50/p95 ms"), std::string::npos);
  EXPECT_NE(text.find("modelled"), std::string::npos);
  EXPECT_NE(text.find("Per tag"), std::string::npos);
  EXPECT_NE(text.find("sandbox: bwrap failed"), std::string::npos);  // failed items listed
}

TEST(Report, MarkdownTablesEscapePipes) {
  ResultsBuilder b = sample_run();
  const std::string md = render_report(summary_of(b), b.records, ReportFormat::kMarkdown);
  EXPECT_EQ(md.rfind("## pareto run run-7", 0), 0u) << md;
  EXPECT_NE(md.find("| tier | score [95% CI] |"), std::string::npos);
  EXPECT_NE(md.find("| --- |"), std::string::npos);
  EXPECT_NE(md.find("\\|"), std::string::npos);  // the grader reason's pipe
  // Every table row has the same number of unescaped pipes as its header.
  EXPECT_EQ(markdown_cell("a|b\nc<d"), "a\\|b c&lt;d");
}

TEST(Report, JsonIsTheSummary) {
  ResultsBuilder b = sample_run();
  const RunSummary s = summary_of(b);
  EXPECT_EQ(render_report(s, b.records, ReportFormat::kJson), to_json(s).dump(2) + "\n");
}

// Runs a command line through the shell; its exit status.
int shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool have(const std::string& program) {
  return shell("command -v " + program + " >/dev/null 2>&1") == 0;
}

TEST(Report, JunitIsWellFormedXmlWithOneTestcasePerTaskAndTier) {
  ResultsBuilder b = sample_run();
  ReportOptions options;
  options.fail_under = 0.5;
  const std::string xml = render_report(summary_of(b), b.records, ReportFormat::kJunit, options);
  // 3 tiers x 2 tasks, plus the agent task on flash.
  size_t cases = 0;
  for (size_t at = xml.find("<testcase "); at != std::string::npos;
       at = xml.find("<testcase ", at + 1)) {
    ++cases;
  }
  EXPECT_EQ(cases, 7u);
  EXPECT_NE(xml.find("classname=\"core.arith.flash\" name=\"add\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure type=\"below-bar\" message=\"score 0.300"), std::string::npos);
  EXPECT_NE(xml.find("<error type=\"item-error\""), std::string::npos);
  EXPECT_NE(xml.find("<skipped"), std::string::npos);
  EXPECT_NE(xml.find("&lt;b&gt;&quot;42&quot;&lt;/b&gt; &amp;"), std::string::npos);
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
  EXPECT_EQ(xml.find('\xff'), std::string::npos);
  // ultra passes the bar on add (0.9): a testcase without <failure>.
  const size_t ultra = xml.find("classname=\"core.arith.ultra\" name=\"add\"");
  ASSERT_NE(ultra, std::string::npos);
  EXPECT_EQ(xml.substr(ultra, xml.find("</testcase>", ultra) - ultra).find("<failure"),
            std::string::npos);

  // A real XML parser must accept it.
  TempDir dir;
  const std::filesystem::path file = dir.path() / "junit.xml";
  std::ofstream(file) << xml;
  if (have("xmllint")) {
    EXPECT_EQ(shell("xmllint --noout " + file.string()), 0);
  } else if (have("python3")) {
    EXPECT_EQ(shell("python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' " +
                    file.string()),
              0);
  } else {
    GTEST_SKIP() << "neither xmllint (libxml2-utils) nor python3 is installed";
  }
}

TEST(Report, WithoutABarJunitHasNoFailures) {
  ResultsBuilder b = sample_run();
  const std::string xml = render_report(summary_of(b), b.records, ReportFormat::kJunit);
  EXPECT_EQ(xml.find("<failure"), std::string::npos);
  EXPECT_NE(xml.find("failures=\"0\""), std::string::npos);
}

TEST(Report, BelowBarNamesTheTasks) {
  ResultsBuilder b = sample_run();
  std::vector<std::string> below = below_bar(summary_of(b), 0.5);
  ASSERT_FALSE(below.empty());
  EXPECT_EQ(below[0], "core.arith/add on flash (0.300 < 0.500)");
}

TEST(Frontier, MarksThePointsNothingDominates) {
  std::vector<FrontierPoint> p = {{"flash", 1, 0.3, {}},
                                  {"pro", 5, 0.6, {}},
                                  {"slow", 6, 0.5, {}},  // dearer and worse than pro
                                  {"ultra", 20, 0.9, {}},
                                  {"twin", 20, 0.9, {}}};  // equal points do not dominate
  mark_frontier(p);
  EXPECT_TRUE(p[0].on_frontier);
  EXPECT_TRUE(p[1].on_frontier);
  EXPECT_FALSE(p[2].on_frontier);
  EXPECT_TRUE(p[3].on_frontier);
  EXPECT_TRUE(p[4].on_frontier);
}

TEST(Report, HtmlIsOneSelfContainedPageWithTheCharts) {
  ResultsBuilder b = sample_run();
  const std::string html = render_report(summary_of(b), b.records, ReportFormat::kHtml);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* id : {"frontier-energy", "frontier-latency", "tag-bars", "saturation-map"}) {
    EXPECT_NE(html.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  }
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // no fetches
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find("class=\"point frontier\""), std::string::npos);
  EXPECT_EQ(html.find("<b>\"42\""), std::string::npos);  // escaped
}

// Chromium headless, when installed (scripts/deps installs chromium-headless-shell).
std::string find_chromium() {
  for (const char* name : {"chromium-headless-shell", "chromium", "chromium-browser"}) {
    if (have(name)) return name;
  }
  for (const char* path :
       {"/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium"}) {
    if (std::filesystem::exists(path)) return path;
  }
  return {};
}

TEST(Report, HtmlRendersInHeadlessChromium) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "no headless Chromium (apt-get install chromium-headless-shell, or run "
                    "scripts/deps): the page was not opened in a browser";
  }
  ResultsBuilder b = sample_run();
  TempDir dir;
  const std::filesystem::path page = dir.path() / "report.html";
  std::ofstream(page) << render_report(summary_of(b), b.records, ReportFormat::kHtml);
  const std::filesystem::path dom = dir.path() / "dom.html", png = dir.path() / "shot.png";
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --no-first-run "
      "--user-data-dir=" +
      (dir.path() / "profile").string() + " --window-size=1280,2400 ";
  ASSERT_EQ(shell(chromium + flags + "--dump-dom file://" + page.string() + " > " + dom.string() +
                  " 2>/dev/null"),
            0);
  const std::string rendered = pareto::testing::read_whole_file(dom);
  // The browser's own serialisation of its DOM: the charts were parsed as SVG elements.
  for (const char* id : {"frontier-energy", "frontier-latency", "tag-bars", "saturation-map"}) {
    EXPECT_NE(rendered.find(std::string("<svg class=\"chart\" id=\"") + id), std::string::npos)
        << id;
  }
  EXPECT_NE(rendered.find("<circle class=\"point frontier\""), std::string::npos);
  EXPECT_NE(rendered.find("<rect class=\"bar\""), std::string::npos);
  EXPECT_NE(rendered.find("<rect class=\"verdict verdict-"), std::string::npos);
  ASSERT_EQ(shell(chromium + flags + "--screenshot=" + png.string() + " file://" + page.string() +
                  " >/dev/null 2>&1"),
            0);
  ASSERT_TRUE(std::filesystem::exists(png));
  EXPECT_GT(std::filesystem::file_size(png), 20000u);  // a drawn page, not a blank one
}

}  // namespace
}  // namespace pareto::harness
