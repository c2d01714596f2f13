#include "harness/compare.h"

#include <gtest/gtest.h>

#include "tests/results_fixture.h"

namespace pareto::harness {
namespace {

using pareto::testing::ResultsBuilder;
using pareto::testing::TempDir;

const GroupComparison* find(const std::vector<GroupComparison>& groups, const GroupKey& key) {
  for (const GroupComparison& g : groups) {
    if (g.key == key) return &g;
  }
  return nullptr;
}

TEST(Compare, ASignificantDropOnOneTaskIsARegressionNamingIt) {
  ResultsBuilder base("base"), next("new");
  for (ResultsBuilder* b : {&base, &next}) {
    b->task("core", "steady", "flash", 40, [](int s, int) { return s % 4 != 0; });
  }
  base.task("core", "broken", "flash", 40, [](int s, int) { return s < 36; });
  next.task("core", "broken", "flash", 40, [](int s, int) { return s < 10; });
  Result<RunComparison> c = compare_runs(base.records, next.records);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->paired, 80);
  EXPECT_TRUE(c->has_regression());
  const GroupComparison* broken = find(c->tasks, {"flash", "core", "broken", ""});
  ASSERT_NE(broken, nullptr);
  EXPECT_EQ(broken->verdict, Verdict::kRegression);
  EXPECT_EQ(broken->comparison->method, PairedMethod::kMcNemarExact);
  EXPECT_EQ(broken->comparison->only_base, 26);
  EXPECT_NEAR(broken->comparison->difference, -26.0 / 40, 1e-12);
  const GroupComparison* steady = find(c->tasks, {"flash", "core", "steady", ""});
  ASSERT_NE(steady, nullptr);
  EXPECT_EQ(steady->verdict, Verdict::kSame);
  std::vector<std::string> named = c->regressions();
  ASSERT_FALSE(named.empty());
  bool mentions = false;
  for (const std::string& line : named) mentions |= line.find("core/broken on flash") == 0;
  EXPECT_TRUE(mentions) << named[0];
}

TEST(Compare, HolmKeepsManySmallNoisyDifferencesFromFailing) {
  // Twenty tasks, each with one item flipping to a fail: individually p = 1 (McNemar on one
  // discordant pair), and together still no family-wise evidence per task.
  ResultsBuilder base("base"), next("new");
  for (int t = 0; t < 20; ++t) {
    const std::string task = "t" + std::to_string(t);
    base.task("s", task, "flash", 10, [](int, int) { return true; });
    next.task("s", task, "flash", 10, [](int s, int) { return s != 0; });
  }
  Result<RunComparison> c = compare_runs(base.records, next.records);
  ASSERT_TRUE(c.ok()) << c.message();
  for (const GroupComparison& g : c->tasks) EXPECT_EQ(g.verdict, Verdict::kSame);
  // The tier as a whole dropped by 10 points on 200 items, consistently across all tasks.
  ASSERT_EQ(c->tiers.size(), 1u);
  EXPECT_EQ(c->tiers[0].comparison->method, PairedMethod::kStratifiedT);
  EXPECT_EQ(c->tiers[0].verdict, Verdict::kRegression);
}

TEST(Compare, DropsWithinMaxDropAreNotRegressions) {
  ResultsBuilder base("base"), next("new");
  base.task("core", "add", "flash", 400, [](int, int) { return true; });
  next.task("core", "add", "flash", 400, [](int s, int) { return s >= 12; });  // -3 points
  CompareOptions strict;
  strict.max_drop = 0.0;
  Result<RunComparison> c = compare_runs(base.records, next.records, strict);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_TRUE(c->has_regression());
  CompareOptions lenient;
  lenient.max_drop = 0.05;
  c = compare_runs(base.records, next.records, lenient);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->has_regression());
}

TEST(Compare, GainsAreImprovementsAndNeverFail) {
  ResultsBuilder base("base"), next("new");
  base.task("core", "add", "flash", 30, [](int s, int) { return s < 5; });
  next.task("core", "add", "flash", 30, [](int s, int) { return s < 28; });
  Result<RunComparison> c = compare_runs(base.records, next.records);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->has_regression());
  EXPECT_EQ(c->tasks[0].verdict, Verdict::kImprovement);
}

TEST(Compare, UnpairedAndUnsupportedItemsAreCountedNotCompared) {
  ResultsBuilder base("base"), next("new");
  base.task("core", "add", "flash", 10, [](int, int) { return true; });
  next.task("core", "add", "flash", 8, [](int, int) { return true; });
  next.task("core", "new", "flash", 5, [](int, int) { return false; });
  ItemRecord& agent = base.add("core", "fix", "flash", "w", 0, false);
  agent.status = ItemStatus::kUnsupported;
  next.add("core", "fix", "flash", "w", 0, false).status = ItemStatus::kUnsupported;
  Result<RunComparison> c = compare_runs(base.records, next.records);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->paired, 8);
  EXPECT_EQ(c->only_base, 2);
  EXPECT_EQ(c->only_new, 5);
  EXPECT_EQ(c->unsupported, 1);
  EXPECT_EQ(find(c->tasks, {"flash", "core", "new", ""}), nullptr);
}

TEST(Compare, RepeatsAreClusteredBySample) {
  ResultsBuilder base("base"), next("new");
  base.task(
      "core", "add", "flash", 6, [](int s, int) { return s < 5; }, {}, 4);
  next.task(
      "core", "add", "flash", 6, [](int s, int) { return s < 1; }, {}, 4);
  Result<RunComparison> c = compare_runs(base.records, next.records);
  ASSERT_TRUE(c.ok()) << c.message();
  ASSERT_EQ(c->tasks.size(), 1u);
  ASSERT_TRUE(c->tasks[0].comparison);
  EXPECT_EQ(c->tasks[0].comparison->method, PairedMethod::kClusteredT);
  EXPECT_EQ(c->tasks[0].comparison->clusters, 6);
  EXPECT_EQ(c->tasks[0].comparison->n, 24);
}

TEST(Compare, APartialCreditTaskWithOneItemIsUntestable) {
  ResultsBuilder base("base"), next("new");
  base.add("core", "judge", "flash", "s0", 0, true).score = 0.9;
  ItemRecord& r = next.add("core", "judge", "flash", "s0", 0, false);
  r.score = 0.2;
  Result<RunComparison> c = compare_runs(base.records, next.records);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->tasks[0].verdict, Verdict::kUntestable);
  EXPECT_FALSE(c->tasks[0].note.empty());
  EXPECT_FALSE(c->has_regression());
}

TEST(Compare, ComparesTheResultsFilesOfTwoRunFolders) {
  TempDir base_dir, next_dir;
  ResultsBuilder base("base"), next("new");
  base.task("core", "add", "ultra", 30, [](int, int) { return true; });
  next.task("core", "add", "ultra", 30, [](int s, int) { return s < 10; });
  ASSERT_TRUE(base.write(base_dir.path()).ok());
  ASSERT_TRUE(next.write(next_dir.path()).ok());
  Result<RunComparison> c = compare_dirs(base_dir.path(), next_dir.path());
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_TRUE(c->has_regression());
  nlohmann::json j = to_json(*c);
  EXPECT_EQ(j["regression"], true);
  EXPECT_EQ(j["tasks"][0]["verdict"], "regression");
  EXPECT_EQ(j["tasks"][0]["method"], "mcnemar-exact");
  Result<RunComparison> missing = compare_dirs(base_dir.path() / "nope", next_dir.path());
  EXPECT_FALSE(missing.ok());
}

}  // namespace
}  // namespace pareto::harness
