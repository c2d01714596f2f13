// pareto run followed by what reads its results, end to end on the committed tier models
// (inference/models, found beside build/pareto): report in every format, and the CI-subset
// selection that saturation writes, fed back to run --select. Expectations come from the
// run's own results.jsonl, never from scores written here, so retrained tiers keep them true.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "tests/cli/cli_runner.h"

namespace pareto::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::vector<Json> Records(const fs::path& results) {
  std::vector<Json> out;
  std::ifstream in(results);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(Json::parse(line));
  }
  return out;
}

// Runs a shell command line; its exit status (-1 when it did not run).
int Shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The <testcase> element of `task`, or "" when there is none.
std::string CaseOf(const std::string& xml, const std::string& task) {
  const auto at = xml.find("name=\"" + task + "\" time=");
  if (at == std::string::npos) return "";
  return xml.substr(at, xml.find("</testcase>", at) - at);
}

class RunReportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pareto-run-report-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::setenv("PARETO_CACHE_DIR", (dir_ / "cache").c_str(), 1);
    // Two of the core suite's tasks (suites/core), as the tiers were trained on them.
    std::ofstream(dir_ / "small.pareto") << R"(suite small "two core tasks"

defaults {
  kind    = analysis
  mode    = completion
  extract = regex("^[^\\n]*")
  budget { max_tokens = 8, timeout = 10s }
}

task add3 {
  tags    = [arithmetic, addition]
  prompt  = "{{a}}+{{b}}="
  samples = generate(addition, count = 16, seed = 101, digits = 3)
  expect number(answer)
}

task cmp2 {
  tags    = [arithmetic, comparison]
  prompt  = "cmp {{a}} {{b}}:"
  samples = generate(comparison, count = 16, seed = 104, digits = 2)
  expect exact(answer, normalize = [whitespace])
}
)";
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliResult Run(std::vector<std::string> args) { return run_pareto(args, dir_); }

  fs::path dir_;
};

TEST_F(RunReportCliTest, ReportOfARealRunInEveryFormatMatchesItsResults) {
  CliResult run = Run({"run", "small.pareto", "--tiers", "flash", "--out", "run"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<Json> records = Records(dir_ / "run" / "results.jsonl");
  ASSERT_EQ(records.size(), 32u);
  std::map<std::string, int> items, passed;
  for (const Json& r : records) {
    EXPECT_EQ(r["tier"], "flash");
    EXPECT_EQ(r["status"] == "graded" || r["status"] == "budget", true) << r.dump();
    ++items[r["task"]];
    passed[r["task"]] += r["passed"].get<bool>() ? 1 : 0;
  }
  ASSERT_EQ(items.size(), 2u);

  // json: the summary's counts are the records'.
  CliResult json = Run({"report", "run", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const Json summary = Json::parse(json.out);
  EXPECT_EQ(summary["items"], 32);
  EXPECT_EQ(summary["tiers"]["flash"]["items"], 32);
  EXPECT_EQ(summary["tiers"]["flash"]["passed"], passed["add3"] + passed["cmp2"]);
  EXPECT_EQ(summary["tiers"]["flash"]["energy_j"]["source"], "modelled");
  EXPECT_GT(summary["tiers"]["flash"]["energy_j"]["joules_per_token"].get<double>(), 0);
  ASSERT_EQ(summary["tasks"].size(), 2u);
  for (const Json& t : summary["tasks"]) {
    const std::string task = t["task"];
    EXPECT_EQ(t["suite"], "small");
    EXPECT_EQ(t["tier"], "flash");
    EXPECT_EQ(t["items"], items[task]) << task;
    EXPECT_EQ(t["passed"], passed[task]) << task;
    EXPECT_NEAR(t["score"].get<double>(), passed[task] / 16.0, 1e-9) << task;
  }

  // text and md: the tier row, one row per task, the energy per token column.
  CliResult text = Run({"report", "run"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  for (const char* want : {"flash", "small", "add3", "cmp2", "J/token", "modelled"}) {
    EXPECT_NE(text.out.find(want), std::string::npos) << want << "\n" << text.out;
  }
  CliResult md = Run({"report", "run", "--format", "md"});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(md.out.find("| flash |"), std::string::npos) << md.out;
  for (const char* task : {"add3", "cmp2"}) {
    // Its per-task row, with the score the records give.
    char score[32];
    std::snprintf(score, sizeof score, "| %.3f [", passed[task] / 16.0);
    const auto row = md.out.find(std::string("| small/") + task + " |");
    ASSERT_NE(row, std::string::npos) << md.out;
    EXPECT_NE(md.out.substr(row, md.out.find('\n', row) - row).find(score), std::string::npos)
        << score << "\n"
        << md.out;
  }

  // junit: valid against the schema of what pareto promises; one testcase per task, whose
  // passed property is the records' count.
  const fs::path junit = dir_ / "junit.xml";
  CliResult j = Run({"report", "run", "--format", "junit", "--out", junit.string()});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const fs::path schema = fs::path(PARETO_SOURCE_DIR) / "tests/fixtures/junit/junit.xsd";
  EXPECT_EQ(Shell("xmllint --noout --schema '" + schema.string() + "' '" + junit.string() +
                  "' 2>/dev/null"),
            0)
      << read_whole_file(junit);
  const std::string xml = read_whole_file(junit);
  EXPECT_EQ(Count(xml, "<testcase "), 2u);
  EXPECT_EQ(Count(xml, "<testsuite "), 1u);
  EXPECT_NE(xml.find("classname=\"small.flash\" name=\"add3\""), std::string::npos) << xml;
  for (const char* task : {"add3", "cmp2"}) {
    const std::string testcase = CaseOf(xml, task);
    EXPECT_NE(
        testcase.find("<property name=\"passed\" value=\"" + std::to_string(passed[task]) + "\"/>"),
        std::string::npos)
        << testcase;
  }
  // A bar of 1 fails every task that missed an item, and exits 1; the XML stays valid.
  const std::size_t below = (passed["add3"] < 16) + (passed["cmp2"] < 16);
  CliResult bar =
      Run({"report", "run", "--format", "junit", "--fail-under", "1", "--out", junit.string()});
  EXPECT_EQ(bar.exit_code, below > 0 ? 1 : 0) << bar.err;
  EXPECT_EQ(Count(read_whole_file(junit), "<failure type=\"below-bar\""), below);
  EXPECT_EQ(Shell("xmllint --noout --schema '" + schema.string() + "' '" + junit.string() +
                  "' 2>/dev/null"),
            0);

  // html: one page naming the tier and both tasks.
  const fs::path html = dir_ / "report.html";
  CliResult page = Run({"report", "run", "--format", "html", "--out", html.string()});
  ASSERT_EQ(page.exit_code, 0) << page.err;
  const std::string h = read_whole_file(html);
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0u) << h.substr(0, 80);
  for (const char* want : {"flash", "add3", "cmp2", "</html>"}) {
    EXPECT_NE(h.find(want), std::string::npos) << want;
  }
}

TEST_F(RunReportCliTest, SaturationsSelectionRunsOnlyWhatItNames) {
  // All three tiers, so the subset has tiers to keep apart.
  ASSERT_EQ(Run({"run", "small.pareto", "--out", "full"}).exit_code, 0);
  CliResult sat = Run({"saturation", "full", "--subset", "subset.json"});
  ASSERT_EQ(sat.exit_code, 0) << sat.err;
  const Json selection = Json::parse(read_whole_file(dir_ / "subset.json"));
  EXPECT_EQ(selection["schema"], "pareto.selection/1");
  std::set<std::tuple<std::string, std::string, std::string>> chosen;
  for (const Json& entry : selection["items"]) {
    for (const Json& sample : entry["samples"]) {
      chosen.insert({entry["suite"], entry["task"], sample.get<std::string>()});
    }
  }
  ASSERT_FALSE(chosen.empty());
  ASSERT_LT(chosen.size(), 32u);  // a subset, not everything

  CliResult sel = Run({"run", "small.pareto", "--select", "subset.json", "--out", "subset"});
  ASSERT_EQ(sel.exit_code, 0) << sel.err;
  std::set<std::tuple<std::string, std::string, std::string>> ran;
  std::map<std::tuple<std::string, std::string, std::string>, std::set<std::string>> tiers;
  const std::vector<Json> full = Records(dir_ / "full" / "results.jsonl");
  std::map<std::string, Json> full_by_id;
  for (const Json& r : full) full_by_id[r["item_id"]] = r;
  for (const Json& r : Records(dir_ / "subset" / "results.jsonl")) {
    const auto key = std::make_tuple(r["suite"].get<std::string>(), r["task"].get<std::string>(),
                                     r["sample_id"].get<std::string>());
    ran.insert(key);
    tiers[key].insert(r["tier"]);
    // The same item as in the full run: same id, same greedy completion.
    ASSERT_TRUE(full_by_id.count(r["item_id"])) << r.dump();
    EXPECT_EQ(r["completion"], full_by_id[r["item_id"]]["completion"]);
  }
  EXPECT_EQ(ran, chosen);
  for (const auto& [key, t] : tiers) EXPECT_EQ(t.size(), 3u);
}

}  // namespace
}  // namespace pareto::testing
