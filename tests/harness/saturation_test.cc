#include "harness/saturation.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/results_fixture.h"

namespace pareto::harness {
namespace {

using pareto::testing::ResultsBuilder;

const Saturation* find_task(const SaturationReport& r, const std::string& task) {
  for (const Saturation& s : r.tasks) {
    if (s.task == task) return &s;
  }
  return nullptr;
}

// Three tiers over tasks of known character: flash solves `f` of 40 samples, pro `p`,
// ultra `u` (each solves a prefix of the samples, so stronger tiers solve a superset).
void add_task(ResultsBuilder& b, const std::string& task, int f, int p, int u, int samples = 40) {
  b.task("core", task, "flash", samples, [f](int s, int) { return s < f; }, {task});
  b.task("core", task, "pro", samples, [p](int s, int) { return s < p; }, {task});
  b.task("core", task, "ultra", samples, [u](int s, int) { return s < u; }, {task});
}

TEST(Saturation, VerdictsFollowSeparabilityAndLevels) {
  ResultsBuilder b;
  add_task(b, "easy", 40, 40, 40);   // every tier solves everything
  add_task(b, "spread", 5, 20, 38);  // tiers far apart
  add_task(b, "hard", 0, 0, 1);      // nobody solves it
  Result<SaturationReport> r = saturation(b.records);
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->tasks.size(), 3u);

  const Saturation* easy = find_task(*r, "easy");
  ASSERT_NE(easy, nullptr);
  EXPECT_EQ(easy->verdict, SaturationVerdict::kSaturated) << easy->reason;
  EXPECT_DOUBLE_EQ(easy->all_solve, 1.0);
  EXPECT_DOUBLE_EQ(easy->ceiling, 1.0);
  EXPECT_DOUBLE_EQ(easy->headroom, 0.0);
  EXPECT_FALSE(easy->separable);

  const Saturation* spread = find_task(*r, "spread");
  EXPECT_EQ(spread->verdict, SaturationVerdict::kDiscriminating) << spread->reason;
  EXPECT_TRUE(spread->separable);
  EXPECT_EQ(spread->best_tier, "ultra");
  EXPECT_DOUBLE_EQ(spread->best.mean, 38.0 / 40);
  EXPECT_DOUBLE_EQ(spread->ceiling, 38.0 / 40);  // what some tier solves
  EXPECT_DOUBLE_EQ(spread->all_solve, 5.0 / 40);
  EXPECT_DOUBLE_EQ(spread->none_solve, 2.0 / 40);
  ASSERT_EQ(spread->pairs.size(), 3u);  // flash-pro, flash-ultra, pro-ultra
  for (const TierPair& p : spread->pairs) EXPECT_TRUE(p.separable) << p.a << " " << p.b;

  const Saturation* hard = find_task(*r, "hard");
  EXPECT_EQ(hard->verdict, SaturationVerdict::kTooHard) << hard->reason;
  EXPECT_DOUBLE_EQ(hard->none_solve, 39.0 / 40);

  // Tiers one sample apart on ten samples, mid-range: no verdict can be drawn yet.
  ResultsBuilder c;
  add_task(c, "undecided", 4, 5, 6, 10);
  r = saturation(c.records);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tasks[0].verdict, SaturationVerdict::kInconclusive) << r->tasks[0].reason;
}

TEST(Saturation, LevelsMetOnTooFewItemsAreInconclusive) {
  // Every tier solves all of 6 samples: at the top, but a tier at 0.6 would often do as
  // well on 6 samples (Wilson 95% interval [0.61, 1]). On 40 samples the call can be made.
  ResultsBuilder b;
  add_task(b, "few.easy", 6, 6, 6, 6);
  add_task(b, "few.hard", 0, 0, 0, 6);  // none solves 6 samples: the interval reaches 0.39
  add_task(b, "many.hard", 0, 0, 0, 40);
  Result<SaturationReport> r = saturation(b.records);
  ASSERT_TRUE(r.ok()) << r.message();
  const Saturation* easy = find_task(*r, "few.easy");
  EXPECT_EQ(easy->verdict, SaturationVerdict::kInconclusive) << easy->reason;
  EXPECT_NE(easy->reason.find("too wide to call it saturated"), std::string::npos);
  const Saturation* hard = find_task(*r, "few.hard");
  EXPECT_EQ(hard->verdict, SaturationVerdict::kInconclusive) << hard->reason;
  EXPECT_NE(hard->reason.find("too wide to call it too hard"), std::string::npos);
  EXPECT_EQ(find_task(*r, "many.hard")->verdict, SaturationVerdict::kTooHard);
  // A looser margin accepts the thin evidence.
  SaturationOptions loose;
  loose.interval_margin = 0.5;
  r = saturation(b.records, loose);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(find_task(*r, "few.easy")->verdict, SaturationVerdict::kSaturated);
  EXPECT_EQ(find_task(*r, "few.hard")->verdict, SaturationVerdict::kTooHard);
}

TEST(Saturation, SuitesAreClusteredByTaskAndItemsMissingATierAreLeftOut) {
  ResultsBuilder b;
  // Six tasks whose gaps vary a little, as real tasks' do (identical gaps leave the clustered
  // test only the exact sign test on six clusters).
  int i = 0;
  for (const char* task : {"a", "b", "c", "d", "e", "f"}) {
    add_task(b, task, 10, 20 + i, 30 + 2 * i);
    ++i;
  }
  b.add("core", "a", "flash", "extra", 0, true, {"a"});  // only flash ran it
  Result<SaturationReport> r = saturation(b.records);
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->suites.size(), 1u);
  const Saturation& suite = r->suites[0];
  EXPECT_EQ(suite.items, 240);
  EXPECT_EQ(suite.left_out, 1);
  EXPECT_EQ(suite.tiers[0].score.method, IntervalMethod::kStratified);
  EXPECT_EQ(suite.verdict, SaturationVerdict::kDiscriminating) << suite.reason;
  const Saturation* a = find_task(*r, "a");
  EXPECT_EQ(a->left_out, 1);
  nlohmann::json j = to_json(*r);
  EXPECT_EQ(j["schema"], "pareto.saturation/1");
  EXPECT_EQ(j["suites"][0]["verdict"], "discriminating");
  EXPECT_EQ(j["tasks"][0]["pairs"].size(), 3u);
}

TEST(Saturation, ASuiteSeparatesTiersWhenItsTasksTogetherDo) {
  // Stratified by task, a suite of two fixed tasks is judged on its items: gaps that each
  // task shows separate the suite too, and a gap too small for either task alone can
  // separate the suite, which has twice the items.
  ResultsBuilder b;
  add_task(b, "a", 10, 20, 30);
  add_task(b, "b", 10, 20, 30);
  Result<SaturationReport> r = saturation(b.records);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->suites[0].separable);
  EXPECT_EQ(find_task(*r, "a")->verdict, SaturationVerdict::kDiscriminating);

  ResultsBuilder c;
  add_task(c, "a", 20, 20, 24, 60);
  add_task(c, "b", 20, 20, 24, 60);
  r = saturation(c.records);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(find_task(*r, "a")->separable);
  EXPECT_TRUE(r->suites[0].separable);
}

TEST(Saturation, OneTierRestsOnLevelsAlone) {
  ResultsBuilder b;
  b.task("core", "solo", "flash", 20, [](int, int) { return true; });
  Result<SaturationReport> r = saturation(b.records);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->tasks[0].pairs.empty());
  EXPECT_EQ(r->tasks[0].verdict, SaturationVerdict::kSaturated);
}

TEST(CiSubset, KeepsTheOrderAndScoresOfTiersWithFewerSamples) {
  ResultsBuilder b;
  // Six tasks of 100 samples, tiers 30 / 60 / 90 points apart on each: far more samples than
  // needed to tell them apart.
  for (int t = 0; t < 6; ++t) add_task(b, "t" + std::to_string(t), 30, 60, 90, 100);
  Result<CiSubset> s = ci_subset(b.records);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(s->meets_criteria);
  EXPECT_TRUE(s->order_kept);
  EXPECT_EQ(s->separable_pairs_full, 3);
  EXPECT_EQ(s->separable_pairs_kept, 3);
  EXPECT_LE(s->max_score_error, 0.05);
  EXPECT_EQ(s->full_samples, 600);
  EXPECT_LT(s->samples.size(), 200u);  // a fraction of the run
  ASSERT_EQ(s->tiers.size(), 3u);
  EXPECT_DOUBLE_EQ(s->tiers[0].full, 0.3);
  EXPECT_NEAR(s->tiers[0].subset, 0.3, 0.05);
  // Spread over the tasks, not drawn from one.
  std::set<std::string> tasks;
  for (const SubsetSample& x : s->samples) tasks.insert(x.task);
  EXPECT_EQ(tasks.size(), 6u);
  // Deterministic.
  Result<CiSubset> again = ci_subset(b.records);
  EXPECT_EQ(selection_json(*s).dump(), selection_json(*again).dump());
}

TEST(CiSubset, TheSelectionFileNamesTasksAndTheirSamples) {
  ResultsBuilder b;
  add_task(b, "x", 2, 5, 9, 10);
  Result<CiSubset> s = ci_subset(b.records);
  ASSERT_TRUE(s.ok()) << s.message();
  nlohmann::json j = selection_json(*s);
  EXPECT_EQ(j["schema"], "pareto.selection/1");
  ASSERT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(j["items"][0]["suite"], "core");
  EXPECT_EQ(j["items"][0]["task"], "x");
  EXPECT_EQ(j["items"][0]["samples"].size(), s->samples.size());
}

TEST(CiSubset, NeedsSamplesThatEveryTierRan) {
  ResultsBuilder b;
  b.add("core", "x", "flash", "s0", 0, true);
  b.add("core", "x", "ultra", "s1", 0, true);
  Result<CiSubset> s = ci_subset(b.records);
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace pareto::harness
