#include "harness/plan.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "harness/record.h"

namespace pareto::harness {
namespace {

// Two suites: a.arith with tasks add (3 samples) and mul (2), b.code with one task (1 sample);
// three tiers.
spec::Project MakeProject() {
  spec::Project p;
  auto task = [](std::string suite, std::string id, int samples) {
    spec::Task t;
    t.suite = std::move(suite);
    t.id = std::move(id);
    t.prompt = "p";
    for (int i = 1; i <= samples; ++i) t.samples.push_back({std::to_string(i), {}, 0});
    return t;
  };
  spec::Suite a;
  a.name = "a.arith";
  a.tasks = {task("a.arith", "add", 3), task("a.arith", "mul", 2)};
  spec::Suite b;
  b.name = "b.code";
  b.tasks = {task("b.code", "fizz", 1)};
  p.suites = {a, b};
  for (const char* name : {"flash", "pro", "ultra"}) {
    spec::Tier t;
    t.name = name;
    t.model = spec::GgufModel{};
    p.tiers.push_back(t);
  }
  return p;
}

TEST(PlanTest, ExpandsSuitesTasksSamplesTiersAndRepeatsWithStableIds) {
  const spec::Project project = MakeProject();
  PlanOptions options;
  options.repeats = 2;
  auto plan = make_plan(project, options);
  ASSERT_TRUE(plan.ok()) << plan.message();
  EXPECT_EQ(plan->items.size(), 6u * 3 * 2);
  EXPECT_EQ(plan->full_items, plan->items.size());
  std::set<std::string> ids;
  for (const PlanItem& item : plan->items) {
    EXPECT_EQ(item.id, item_id(item.suite->name, item.task->id, item.sample->id, item.tier->name,
                               item.repeat));
    ids.insert(item.id);
  }
  EXPECT_EQ(ids.size(), plan->items.size());
  // Order: suite, task, sample, tier, repeat.
  EXPECT_EQ(plan->items[0].task->id, "add");
  EXPECT_EQ(plan->items[0].tier->name, "flash");
  EXPECT_EQ(plan->items[1].repeat, 1);
  EXPECT_EQ(plan->items[2].tier->name, "pro");
  EXPECT_EQ(plan->items.back().suite->name, "b.code");
  // Seeds: a function of the id; repeats differ.
  EXPECT_NE(plan->items[0].seed, plan->items[1].seed);
  auto again = make_plan(project, options);
  EXPECT_EQ(again->full_hash, plan->full_hash);
  EXPECT_EQ(again->items[5].seed, plan->items[5].seed);
}

TEST(PlanTest, ShardsCoverThePlanExactlyOnce) {
  const spec::Project project = MakeProject();
  PlanOptions options;
  options.repeats = 5;
  auto full = make_plan(project, options);
  ASSERT_TRUE(full.ok());
  std::map<std::string, std::uint64_t> seeds;
  for (const auto& item : full->items) seeds[item.id] = item.seed;
  for (int n : {1, 2, 3, 7, 200}) {
    std::map<std::string, int> seen;
    for (int i = 0; i < n; ++i) {
      options.shard = Shard{i, n};
      auto part = make_plan(project, options);
      ASSERT_TRUE(part.ok());
      EXPECT_EQ(part->full_items, full->items.size());
      EXPECT_EQ(part->full_hash, full->full_hash);
      for (const auto& item : part->items) {
        ++seen[item.id];
        EXPECT_EQ(item.seed, seeds[item.id]);  // the same item samples the same way
      }
    }
    EXPECT_EQ(seen.size(), full->items.size()) << n << " shards";
    for (const auto& [id, count] : seen) EXPECT_EQ(count, 1) << id;
  }
  // Two shards split 90 items roughly in half.
  options.shard = Shard{0, 2};
  const std::size_t half = make_plan(project, options)->items.size();
  EXPECT_GT(half, 25u);
  EXPECT_LT(half, 65u);
}

TEST(PlanTest, ParsesShardsAndRefusesBadOnes) {
  auto s = parse_shard("2/5");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->index, 2);
  EXPECT_EQ(s->count, 5);
  for (const char* bad : {"5/5", "-1/3", "1", "a/2", "1/0", "1/2/3", "", "/2"}) {
    EXPECT_FALSE(parse_shard(bad).ok()) << bad;
  }
}

TEST(PlanTest, FiltersTiersAndRefusesUnknownOnes) {
  const spec::Project project = MakeProject();
  PlanOptions options;
  options.tiers = {"ultra", "flash"};
  auto plan = make_plan(project, options);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->tiers.size(), 2u);
  EXPECT_EQ(plan->tiers[0]->name, "flash");  // tier-file order
  EXPECT_EQ(plan->items.size(), 12u);
  options.tiers = {"medium"};
  auto bad = make_plan(project, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("no tier 'medium'"), std::string::npos) << bad.message();
  spec::Project no_tiers = MakeProject();
  no_tiers.tiers.clear();
  EXPECT_FALSE(make_plan(no_tiers, {}).ok());
}

TEST(PlanTest, SelectionsPickSuitesTasksAndSamples) {
  const spec::Project project = MakeProject();
  auto selection = selection_from_json(nlohmann::json::parse(R"({
    "schema": "pareto.selection/1",
    "items": [ {"suite": "b.code"},
               {"suite": "a.arith", "task": "add", "samples": ["1", 3]} ] })"));
  ASSERT_TRUE(selection.ok()) << selection.message();
  PlanOptions options;
  options.tiers = {"flash"};
  options.selection = *selection;
  auto plan = make_plan(project, options);
  ASSERT_TRUE(plan.ok()) << plan.message();
  std::vector<std::string> picked;
  for (const auto& item : plan->items) picked.push_back(item.task->id + "/" + item.sample->id);
  EXPECT_EQ(picked, (std::vector<std::string>{"add/1", "add/3", "fizz/1"}));

  // Round trip, and a bare array.
  auto back = selection_from_json(to_json(*selection));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(to_json(*back), to_json(*selection));
  auto bare = selection_from_json(nlohmann::json::parse(R"([{"suite": "a.arith", "task": "mul"}])"));
  ASSERT_TRUE(bare.ok());
  options.selection = *bare;
  EXPECT_EQ(make_plan(project, options)->items.size(), 2u);
}

TEST(PlanTest, StaleOrMalformedSelectionsAreErrors) {
  const spec::Project project = MakeProject();
  auto run = [&](const char* text) {
    auto selection = selection_from_json(nlohmann::json::parse(text));
    if (!selection.ok()) return selection.message();
    PlanOptions options;
    options.selection = *selection;
    auto plan = make_plan(project, options);
    return plan.ok() ? std::string() : plan.message();
  };
  EXPECT_NE(run(R"([{"suite": "gone"}])").find("suite 'gone'"), std::string::npos);
  EXPECT_NE(run(R"([{"suite": "a.arith", "task": "div"}])").find("task 'div'"), std::string::npos);
  EXPECT_NE(run(R"([{"suite": "a.arith", "task": "add", "samples": ["9"]}])").find("sample '9'"),
            std::string::npos);
  EXPECT_NE(run(R"([{"suite": "a.arith", "samples": ["1"]}])").find("needs a \"task\""),
            std::string::npos);
  EXPECT_NE(run(R"({"schema": "other/2", "items": []})").find("schema"), std::string::npos);
  EXPECT_NE(run(R"([{"suite": "a.arith", "tsk": "add"}])").find("unknown key"), std::string::npos);
  EXPECT_NE(run(R"([])").find("no item"), std::string::npos);
}

}  // namespace
}  // namespace pareto::harness
