// pareto report, compare, saturation, targets and bench --energy: the real binary on results
// files written by the real ResultsWriter.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_runner.h"
#include "tests/results_fixture.h"

namespace pareto::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// flash solves f, pro p, ultra u of 40 samples of each of two tasks.
void three_tiers(ResultsBuilder& b, int f, int p, int u) {
  for (const char* task : {"add", "mul"}) {
    b.task(
        "core", task, "flash", 40, [f](int s, int) { return s < f; }, {"arith"}, 1, 4);
    b.task(
        "core", task, "pro", 40, [p](int s, int) { return s < p; }, {"arith"}, 1, 8);
    b.task(
        "core", task, "ultra", 40, [u](int s, int) { return s < u; }, {"arith"}, 1, 16);
  }
}

TEST(ReportCli, PrintsEveryFormat) {
  TempDir dir;
  ResultsBuilder b("run-cli");
  three_tiers(b, 10, 25, 38);
  ASSERT_TRUE(b.write(dir.path()).ok());
  CliResult text = run_pareto({"report", dir.path().string()});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Tier x suite"), std::string::npos) << text.out;
  CliResult md = run_pareto({"report", dir.path().string(), "--format", "md"});
  EXPECT_EQ(md.exit_code, 0);
  EXPECT_NE(md.out.find("| tier |"), std::string::npos);
  CliResult json = run_pareto({"report", dir.path().string(), "--format", "json"});
  ASSERT_EQ(json.exit_code, 0);
  Json j = Json::parse(json.out);
  EXPECT_EQ(j["run_id"], "run-cli");
  EXPECT_EQ(j["items"], 240);
  const fs::path html = dir.path() / "report.html";
  CliResult page = run_pareto({"report", dir.path().string(), "--format", "html", "--out", html});
  EXPECT_EQ(page.exit_code, 0) << page.err;
  EXPECT_NE(read_whole_file(html).find("id=\"frontier-energy\""), std::string::npos);
  CliResult junit = run_pareto({"report", dir.path().string(), "--format", "junit"});
  EXPECT_EQ(junit.exit_code, 0);
  EXPECT_NE(junit.out.find("<testsuites"), std::string::npos);
}

TEST(ReportCli, FailUnderExitsOneNamingTheTasks) {
  TempDir dir;
  ResultsBuilder b;
  three_tiers(b, 10, 25, 38);
  ASSERT_TRUE(b.write(dir.path()).ok());
  CliResult r =
      run_pareto({"report", dir.path().string(), "--format", "junit", "--fail-under", "0.5"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("core/add on flash"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("<failure"), std::string::npos);
  EXPECT_EQ(run_pareto({"report", dir.path().string(), "--fail-under", "0.2"}).exit_code, 0);
}

TEST(ReportCli, BadArgumentsAndMissingRunsHaveTheirExitCodes) {
  TempDir dir;
  EXPECT_EQ(run_pareto({"report", dir.path().string()}).exit_code, 3);  // no results.jsonl
  EXPECT_EQ(run_pareto({"report", (dir.path() / "none").string()}).exit_code, 3);
  ResultsBuilder b;
  three_tiers(b, 1, 2, 3);
  ASSERT_TRUE(b.write(dir.path()).ok());
  CliResult bad = run_pareto({"report", dir.path().string(), "--format", "pdf"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("text, md, json, junit, html"), std::string::npos);
  EXPECT_EQ(run_pareto({"report", dir.path().string(), "--fail-under", "3"}).exit_code, 2);
}

TEST(CompareCli, ExitsOneOnASignificantDropAndNamesTheTask) {
  TempDir base, good, bad;
  ResultsBuilder b("base"), g("good"), x("bad");
  three_tiers(b, 10, 25, 38);
  three_tiers(g, 11, 25, 38);
  // The new run loses `mul` on ultra.
  for (const char* task : {"add", "mul"}) {
    x.task("core", task, "flash", 40, [](int s, int) { return s < 10; }, {"arith"});
    x.task("core", task, "pro", 40, [](int s, int) { return s < 25; }, {"arith"});
    const int u = std::string(task) == "mul" ? 15 : 38;
    x.task("core", task, "ultra", 40, [u](int s, int) { return s < u; }, {"arith"});
  }
  ASSERT_TRUE(b.write(base.path()).ok());
  ASSERT_TRUE(g.write(good.path()).ok());
  ASSERT_TRUE(x.write(bad.path()).ok());
  CliResult same = run_pareto({"compare", base.path().string(), good.path().string()});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_NE(same.out.find("No regression"), std::string::npos);
  CliResult worse = run_pareto({"compare", base.path().string(), bad.path().string()});
  EXPECT_EQ(worse.exit_code, 1) << worse.out;
  EXPECT_NE(worse.err.find("core/mul on ultra"), std::string::npos) << worse.err;
  // A drop of 57.5 points passes a gate that allows 60.
  EXPECT_EQ(run_pareto({"compare", base.path().string(), bad.path().string(), "--max-drop", "0.6"})
                .exit_code,
            0);
  CliResult json =
      run_pareto({"compare", base.path().string(), bad.path().string(), "--format", "json"});
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_EQ(Json::parse(json.out)["regression"], true);
}

TEST(SaturationCli, PrintsVerdictsAndWritesASelection) {
  TempDir dir;
  ResultsBuilder b;
  three_tiers(b, 10, 25, 38);
  b.task("core", "easy", "flash", 30, [](int, int) { return true; });
  b.task("core", "easy", "pro", 30, [](int, int) { return true; });
  b.task("core", "easy", "ultra", 30, [](int, int) { return true; });
  ASSERT_TRUE(b.write(dir.path()).ok());
  const fs::path selection = dir.path() / "ci.json";
  CliResult r = run_pareto({"saturation", dir.path().string(), "--subset", selection.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("core/easy  saturated"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("discriminating"), std::string::npos);
  EXPECT_NE(r.out.find("CI subset"), std::string::npos);
  Json s = Json::parse(read_whole_file(selection));
  EXPECT_EQ(s["schema"], "pareto.selection/1");
  EXPECT_FALSE(s["items"].empty());
  CliResult json = run_pareto({"saturation", dir.path().string(), "--json"});
  ASSERT_EQ(json.exit_code, 0);
  EXPECT_EQ(Json::parse(json.out)["schema"], "pareto.saturation/1");
}

TEST(TargetsCli, WritesTargetsJsonAndPrintsATable) {
  TempDir dir;
  ResultsBuilder b;
  three_tiers(b, 4, 20, 38);
  ASSERT_TRUE(b.write(dir.path()).ok());
  CliResult r =
      run_pareto({"targets", dir.path().string(), "--teacher", "ultra", "--student", "flash"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("core/add"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("target"), std::string::npos);
  Json t = Json::parse(read_whole_file(dir.path() / "targets.json"));
  EXPECT_EQ(t["teacher"], "ultra");
  EXPECT_EQ(t["tasks"][0]["status"], "target");
  CliResult unknown = run_pareto({"targets", dir.path().string(), "--teacher", "mega"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("mega"), std::string::npos);
}

TEST(BenchEnergyCli, PicojoulesPerTokenFallWithBatchSize) {
  TempDir dir;
  const std::string model = (dir.path() / "m.gguf").string();
  CliResult made =
      run_pareto({"model",     "new",     "--arch", "llama",      "--embd", "64",    "--layers",
                  "2",         "--heads", "4",      "--kv-heads", "2",      "--ffn", "128",
                  "--n-vocab", "50",      "--seed", "3",          "-o",     model});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  CliResult r = run_pareto(
      {"bench", "-m", model, "--energy", "-p", "8", "-n", "4", "-b", "8", "-t", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json rows = Json::parse(r.out);
  ASSERT_EQ(rows.size(), 5u);  // pp8, then tg4 at batch 1, 2, 4, 8
  EXPECT_EQ(rows[0]["test"], "pp8");
  double last = 1e300;
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i]["source"], "modelled");
    EXPECT_EQ(rows[i]["tokens"].get<int>(), 4 * rows[i]["batch"].get<int>());
    const double pj = rows[i]["pj_per_token"].get<double>();
    EXPECT_LT(pj, last) << "batch " << rows[i]["batch"];  // weights shared by more sequences
    last = pj;
  }
  EXPECT_EQ(run_pareto({"bench", "-m", model, "--energy", "--profile", "abacus"}).exit_code, 2);
}

}  // namespace
}  // namespace pareto::testing
