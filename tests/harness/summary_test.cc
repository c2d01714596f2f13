#include "harness/summary.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "tests/results_fixture.h"

namespace pareto::harness {
namespace {

using pareto::testing::ResultsBuilder;
using pareto::testing::TempDir;

const GroupSummary* find(const std::vector<GroupSummary>& groups, const GroupKey& key) {
  for (const GroupSummary& g : groups) {
    if (g.key == key) return &g;
  }
  return nullptr;
}

TEST(Summary, TaskScoreIsAWilsonIntervalOverItsItems) {
  ResultsBuilder b;
  b.task("core", "add", "flash", 10, [](int s, int) { return s < 7; }, {"arith"});
  Result<RunSummary> s = summarize(b.records);
  ASSERT_TRUE(s.ok()) << s.message();
  const GroupSummary* task = find(s->tasks, {"flash", "core", "add", ""});
  ASSERT_NE(task, nullptr);
  ASSERT_TRUE(task->score);
  Result<ScoreEstimate> wilson = wilson_interval(7, 10);
  EXPECT_DOUBLE_EQ(task->score->mean, 0.7);
  EXPECT_DOUBLE_EQ(task->score->ci.lower, wilson->ci.lower);
  EXPECT_DOUBLE_EQ(task->score->ci.upper, wilson->ci.upper);
  EXPECT_EQ(task->score->method, IntervalMethod::kWilson);
  EXPECT_EQ(task->counts.passed, 7);
  EXPECT_EQ(task->tags, std::vector<std::string>{"arith"});
  EXPECT_TRUE(task->pass_at_k.empty());  // no repeats, no pass@k
}

TEST(Summary, TiersAndSuitesMixingTasksAreStratifiedByTask) {
  ResultsBuilder b;
  b.task("core", "easy", "flash", 20, [](int, int) { return true; });
  b.task("core", "hard", "flash", 20, [](int s, int) { return s < 2; });
  Result<RunSummary> s = summarize(b.records);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(s->tiers.size(), 1u);
  const GroupSummary& tier = s->tiers[0];
  ASSERT_TRUE(tier.score);
  EXPECT_EQ(tier.score->method, IntervalMethod::kStratified);
  EXPECT_EQ(tier.score->clusters, 2);
  EXPECT_DOUBLE_EQ(tier.score->mean, 22.0 / 40.0);
  std::vector<double> scores;
  std::vector<std::string> strata;
  for (const ItemRecord& r : b.records) {
    scores.push_back(r.score);
    strata.push_back(r.task);
  }
  Result<ScoreEstimate> expected = stratified_mean_score(scores, strata);
  ASSERT_TRUE(expected.ok());
  EXPECT_DOUBLE_EQ(tier.score->ci.lower, expected->ci.lower);
  EXPECT_DOUBLE_EQ(tier.score->ci.upper, expected->ci.upper);
  const GroupSummary* suite = find(s->suites, {"flash", "core", "", ""});
  ASSERT_NE(suite, nullptr);
  EXPECT_EQ(suite->tasks, 2);
  EXPECT_EQ(suite->score->method, IntervalMethod::kStratified);
  // The second figure, clustered by task: two wildly different tasks make it far wider.
  ASSERT_TRUE(suite->score_clustered_by_task);
  Result<ScoreEstimate> clustered = clustered_mean_score(scores, strata);
  ASSERT_TRUE(clustered.ok());
  EXPECT_DOUBLE_EQ(suite->score_clustered_by_task->ci.lower, clustered->ci.lower);
  EXPECT_GT(clustered->ci.upper - clustered->ci.lower,
            2 * (expected->ci.upper - expected->ci.lower));
  nlohmann::json j = to_json(*s);
  const nlohmann::json& tier_json = j["tiers"]["flash"];
  ASSERT_TRUE(tier_json.contains("ci95_clustered_by_task")) << tier_json.dump();
  EXPECT_DOUBLE_EQ(tier_json["ci95_clustered_by_task"][0].get<double>(), clustered->ci.lower);
  EXPECT_FALSE(j["tasks"][0].contains("ci95_clustered_by_task"));
}

TEST(Summary, UnsupportedItemsAreCountedButNotScored) {
  ResultsBuilder b;
  b.task("core", "add", "flash", 4, [](int, int) { return true; });
  for (int i = 0; i < 3; ++i) {
    ItemRecord& r = b.add("core", "fix", "flash", "w" + std::to_string(i), 0, false);
    r.status = ItemStatus::kUnsupported;
    r.error = "agent tasks need the agent loop";
    r.energy.reset();
  }
  ItemRecord& over = b.add("core", "add", "flash", "long", 0, false);
  over.status = ItemStatus::kBudget;
  over.overruns = {"max_tokens"};
  Result<RunSummary> s = summarize(b.records);
  ASSERT_TRUE(s.ok()) << s.message();
  const GroupSummary& tier = s->tiers[0];
  EXPECT_EQ(tier.counts.total, 8);
  EXPECT_EQ(tier.counts.unsupported, 3);
  EXPECT_EQ(tier.counts.budget, 1);
  EXPECT_EQ(tier.counts.overruns.at("max_tokens"), 1);
  EXPECT_EQ(tier.score->n, 5);  // the budget overrun scores 0 and counts
  EXPECT_DOUBLE_EQ(tier.score->mean, 0.8);
  const GroupSummary* fix = find(s->tasks, {"flash", "core", "fix", ""});
  ASSERT_NE(fix, nullptr);
  EXPECT_FALSE(fix->score);  // nothing scored
  EXPECT_FALSE(fix->energy);
}

TEST(Summary, RepeatsGivePassAtKAndClusterBySample) {
  ResultsBuilder b;
  // Sample s passes on repeats < s: s0 never, s1 once, s2 twice, s3 three times of 3.
  b.task(
      "core", "add", "flash", 4, [](int s, int k) { return k < s; }, {}, 3);
  Result<RunSummary> s = summarize(b.records);
  ASSERT_TRUE(s.ok()) << s.message();
  const GroupSummary* task = find(s->tasks, {"flash", "core", "add", ""});
  ASSERT_NE(task, nullptr);
  EXPECT_EQ(task->repeats, 3);
  EXPECT_EQ(task->samples, 4);
  EXPECT_EQ(task->score->method, IntervalMethod::kClustered);
  EXPECT_EQ(task->score->clusters, 4);
  ASSERT_EQ(task->pass_at_k.size(), 3u);  // k = 1, 2, 3
  // pass@1 is the mean pass rate; pass@3 is the share of samples solved at least once.
  EXPECT_NEAR(task->pass_at_k.at(1), (0 + 1 + 2 + 3) / 12.0, 1e-12);
  EXPECT_NEAR(task->pass_at_k.at(3), 0.75, 1e-12);
  const double p2 = (0 + *pass_at_k(3, 1, 2) + *pass_at_k(3, 2, 2) + 1) / 4;
  EXPECT_NEAR(task->pass_at_k.at(2), p2, 1e-12);
}

TEST(Summary, LatencyPercentilesLeaveOutItemsWithoutTheFigure) {
  ResultsBuilder b;
  for (int i = 0; i < 10; ++i) {
    ItemRecord& r = b.add("core", "add", "flash", "s" + std::to_string(i), 0, true, {}, 3);
    r.latency.ttft_ms = 10.0 * (i + 1);  // 10 .. 100
    r.latency.e2e_ms = 100.0 * (i + 1);
  }
  ItemRecord& silent = b.add("core", "add", "flash", "empty", 0, false, {}, 0);
  silent.latency.ttft_ms = 0;  // no token, no TTFT
  ItemRecord& broken = b.add("core", "add", "flash", "err", 0, false);
  broken.status = ItemStatus::kError;
  broken.latency.e2e_ms = 1e6;
  Result<RunSummary> s = summarize(b.records);
  ASSERT_TRUE(s.ok()) << s.message();
  const GroupSummary& tier = s->tiers[0];
  ASSERT_TRUE(tier.latency.ttft);
  EXPECT_EQ(tier.latency.ttft->n, 10);
  EXPECT_DOUBLE_EQ(tier.latency.ttft->p50, 55);
  EXPECT_DOUBLE_EQ(tier.latency.ttft->p95, 95.5);
  ASSERT_TRUE(tier.latency.e2e);
  EXPECT_EQ(tier.latency.e2e->n, 11);  // the error's latency is left out
  EXPECT_LT(tier.latency.e2e->max, 1e6);
  EXPECT_EQ(tier.latency.itl->n, 10);
  EXPECT_EQ(tier.tokens.prompt, 20 * 12);
  EXPECT_EQ(tier.tokens.completion, 3 * 10 + 8);
}

TEST(Summary, UnknownPromptCountsAreCountedApartNotAsZero) {
  ResultsBuilder b;
  for (int i = 0; i < 4; ++i) b.add("core", "add", "pro", "s" + std::to_string(i), 0, true);
  const std::int64_t each = b.records[0].prompt_tokens;
  ASSERT_GT(each, 0);
  b.records[3].prompt_tokens = 0;
  b.records[3].prompt_tokens_known = false;
  b.records[3].tokens_counted = true;
  Result<RunSummary> s = summarize(b.records);
  ASSERT_TRUE(s.ok()) << s.message();
  const GroupSummary& tier = s->tiers[0];
  EXPECT_EQ(tier.tokens.prompt, 3 * each);
  EXPECT_EQ(tier.tokens.prompt_unknown, 1);
  EXPECT_DOUBLE_EQ(tier.tokens.prompt_per_item, static_cast<double>(each));  // not 3/4 of it
  EXPECT_EQ(to_json(*s)["tiers"]["pro"]["tokens"]["prompt_unknown"], 1);
}

TEST(Summary, EnergyCoversOnlyItemsThatCarryAFigureAndNamesItsSources) {
  ResultsBuilder b;
  b.task("core", "add", "flash", 4, [](int s, int) { return s < 2; });
  b.records[0].energy = EnergyRecord{2.0, std::nullopt, "measured:rapl", "package-0"};
  b.records[3].energy.reset();
  Result<RunSummary> s = summarize(b.records);
  ASSERT_TRUE(s.ok()) << s.message();
  const GroupSummary& tier = s->tiers[0];
  ASSERT_TRUE(tier.energy);
  EXPECT_EQ(tier.energy->items, 3);
  const double modelled = 28 * 5e-4;
  EXPECT_NEAR(tier.energy->joules, 2.0 + 2 * modelled, 1e-12);
  EXPECT_NEAR(tier.energy->joules_per_item, (2.0 + 2 * modelled) / 3, 1e-12);
  // Correct answers among the items with energy: records 0 and 1.
  EXPECT_NEAR(*tier.energy->joules_per_correct, (2.0 + 2 * modelled) / 2, 1e-12);
  EXPECT_EQ(tier.energy->source_label(), "measured:rapl+modelled");
}

TEST(Summary, GroupsAreSortedAndIndependentOfRecordOrder) {
  ResultsBuilder b;
  for (const char* tier : {"ultra", "flash", "pro"}) {
    b.task("b", "t2", tier, 5, [](int s, int) { return s % 2 == 0; }, {"x", "y"});
    b.task("a", "t1", tier, 5, [](int s, int) { return s > 0; }, {"y"});
  }
  Result<RunSummary> first = summarize(b.records);
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_EQ(first->tier_order, (std::vector<std::string>{"flash", "pro", "ultra"}));
  ASSERT_EQ(first->tasks.size(), 6u);
  EXPECT_EQ(first->tasks[0].key, (GroupKey{"flash", "a", "t1", ""}));
  EXPECT_EQ(first->tasks[1].key, (GroupKey{"flash", "b", "t2", ""}));
  EXPECT_EQ(first->tasks[5].key, (GroupKey{"ultra", "b", "t2", ""}));
  ASSERT_EQ(first->tags.size(), 6u);
  const GroupSummary* y = find(first->tags, {"pro", "", "", "y"});
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(y->counts.total, 10);
  std::mt19937 rng(3);
  std::shuffle(b.records.begin(), b.records.end(), rng);
  Result<RunSummary> second = summarize(b.records);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(to_json(*first).dump(), to_json(*second).dump());
}

TEST(Summary, MalformedRecordsAreAnErrorNamingTheItem) {
  ResultsBuilder b;
  b.task("core", "add", "flash", 2, [](int, int) { return true; });
  b.records[1].score = 1.5;
  Result<RunSummary> s = summarize(b.records);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(b.records[1].item_id), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("outside [0, 1]"), std::string::npos);
  b.records[1].score = 1;
  b.records[1].energy->source = "guessed";
  s = summarize(b.records);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("guessed"), std::string::npos) << s.message();
}

TEST(Summary, WriteSummaryWritesTheDesignsContract) {
  TempDir dir;
  ResultsBuilder b("run-42");
  b.task("core", "add", "flash", 10, [](int s, int) { return s < 4; }, {"arith"});
  b.task("core", "add", "ultra", 10, [](int s, int) { return s < 9; }, {"arith"});
  ASSERT_TRUE(b.write(dir.path()).ok());
  Status written = write_summary(dir.path());
  ASSERT_TRUE(written.ok()) << written.message();
  std::ifstream in(dir.path() / "summary.json");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["schema"], "pareto.summary/1");
  EXPECT_EQ(j["run_id"], "run-42");
  EXPECT_EQ(j["items"], 20);
  const nlohmann::json& flash = j["tiers"]["flash"];
  EXPECT_DOUBLE_EQ(flash["score"].get<double>(), 0.4);
  ASSERT_EQ(flash["ci95"].size(), 2u);
  EXPECT_LT(flash["ci95"][0].get<double>(), 0.4);
  EXPECT_EQ(flash["items"], 10);
  EXPECT_EQ(flash["tokens"]["prompt"], 200);
  EXPECT_EQ(flash["tokens"]["completion"], 80);
  for (const char* key : {"ttft_p50", "ttft_p95", "e2e_p50", "e2e_p95"}) {
    EXPECT_TRUE(flash["latency_ms"][key].is_number()) << key;
  }
  EXPECT_NEAR(flash["energy_j"]["per_item"].get<double>(), 28 * 5e-4, 1e-12);
  EXPECT_EQ(flash["energy_j"]["source"], "modelled");
  ASSERT_EQ(j["tasks"].size(), 2u);
  const nlohmann::json& task = j["tasks"][1];
  EXPECT_EQ(task["suite"], "core");
  EXPECT_EQ(task["task"], "add");
  EXPECT_EQ(task["tier"], "ultra");
  EXPECT_EQ(task["tags"], nlohmann::json::array({"arith"}));
  EXPECT_DOUBLE_EQ(task["score"].get<double>(), 0.9);
  EXPECT_EQ(task["n"], 10);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "summary.json.tmp"));
}

TEST(Summary, AMissingResultsFileIsAnError) {
  TempDir dir;
  Status s = write_summary(dir.path());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("results.jsonl"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace pareto::harness
