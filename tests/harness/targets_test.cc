#include "harness/targets.h"

#include <gtest/gtest.h>

#include "tests/results_fixture.h"

namespace pareto::harness {
namespace {

using pareto::testing::ResultsBuilder;

const Target* find_task(const TargetReport& r, const std::string& task) {
  for (const Target& t : r.tasks) {
    if (t.task == task) return &t;
  }
  return nullptr;
}

// A task where flash solves `f`, pro `p` and ultra `u` of `n` samples, tagged `tag`.
void add_task(ResultsBuilder& b, const std::string& task, const std::string& tag, int f, int p,
              int u, int n = 40) {
  b.task(
      "core", task, "flash", n, [f](int s, int) { return s < f; }, {tag}, 1, 4);
  b.task(
      "core", task, "pro", n, [p](int s, int) { return s < p; }, {tag}, 1, 8);
  b.task(
      "core", task, "ultra", n, [u](int s, int) { return s < u; }, {tag}, 1, 16);
}

TEST(Targets, RanksGapsByExpectedValueAndExcludesWhatCannotBeLearned) {
  ResultsBuilder b;
  add_task(b, "big_gap", "logic", 4, 20, 38);       // teacher 0.95, student 0.10
  add_task(b, "small_gap", "logic", 20, 25, 32);    // teacher 0.80, student 0.50
  add_task(b, "saturated", "arith", 40, 40, 40);    // nothing to learn
  add_task(b, "shaky_teacher", "arith", 2, 8, 20);  // teacher 0.50
  add_task(b, "no_gap", "code", 30, 30, 31);        // the student is as good
  TargetOptions o;
  o.teacher = "ultra";
  o.student = "flash";
  Result<TargetReport> r = targets(b.records, o);
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->tasks.size(), 5u);
  EXPECT_EQ(r->tasks[0].task, "big_gap");
  EXPECT_EQ(r->tasks[1].task, "small_gap");
  EXPECT_EQ(r->tasks[0].status, TargetStatus::kTarget);
  EXPECT_EQ(r->tasks[1].status, TargetStatus::kTarget);
  EXPECT_GT(r->tasks[0].expected_value, r->tasks[1].expected_value);

  const Target* big = find_task(*r, "big_gap");
  EXPECT_DOUBLE_EQ(big->teacher.mean, 0.95);
  EXPECT_DOUBLE_EQ(big->student.mean, 0.10);
  EXPECT_NEAR(big->gap.difference, 0.85, 1e-12);
  EXPECT_GT(big->gap.ci.lower, 0);
  EXPECT_NEAR(big->expected_value, 0.85 * 0.95, 1e-12);
  // Energy: ultra writes 16 completion tokens, flash 4, at 0.5 mJ per token; latency 5 ms per
  // token after the first.
  ASSERT_TRUE(big->joules_saved_per_item);
  EXPECT_NEAR(*big->joules_saved_per_item, 12 * 5e-4, 1e-12);
  ASSERT_TRUE(big->ms_saved_per_item);
  EXPECT_NEAR(*big->ms_saved_per_item, 60, 1e-9);

  EXPECT_EQ(find_task(*r, "saturated")->status, TargetStatus::kSaturated);
  EXPECT_EQ(find_task(*r, "shaky_teacher")->status, TargetStatus::kTeacherUnreliable);
  EXPECT_EQ(find_task(*r, "no_gap")->status, TargetStatus::kNoGap);
}

TEST(Targets, TagsAggregateTheirTasksAndAreSaturatedOnlyWhenAllAre) {
  ResultsBuilder b;
  add_task(b, "a", "logic", 4, 20, 38);
  add_task(b, "b", "logic", 10, 20, 36);
  add_task(b, "b2", "logic", 6, 20, 37);
  add_task(b, "b3", "logic", 8, 20, 39);
  add_task(b, "c", "easy", 40, 40, 40);
  add_task(b, "d", "easy", 40, 40, 40);
  Result<TargetReport> r = targets(b.records, {});
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->tags.size(), 2u);
  EXPECT_EQ(r->tags[0].tag, "logic");
  EXPECT_EQ(r->tags[0].status, TargetStatus::kTarget);
  EXPECT_EQ(r->tags[0].items, 160);
  EXPECT_EQ(r->tags[0].teacher.method, IntervalMethod::kStratified);
  EXPECT_EQ(r->tags[1].tag, "easy");
  EXPECT_EQ(r->tags[1].status, TargetStatus::kSaturated);
  nlohmann::json j = to_json(*r);
  EXPECT_EQ(j["schema"], "pareto.targets/1");
  EXPECT_EQ(j["teacher"], "ultra");
  EXPECT_EQ(j["tasks"][0]["status"], "target");
  EXPECT_TRUE(j["tasks"][0]["saved_per_item"]["joules"].is_number());
}

TEST(Targets, UnknownTiersAndSameTierAreErrors) {
  ResultsBuilder b;
  add_task(b, "a", "logic", 4, 20, 38);
  TargetOptions o;
  o.teacher = "mega";
  Result<TargetReport> r = targets(b.records, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("mega"), std::string::npos);
  EXPECT_NE(r.message().find("flash, pro, ultra"), std::string::npos) << r.message();
  o.teacher = "flash";
  EXPECT_FALSE(targets(b.records, o).ok());
}

}  // namespace
}  // namespace pareto::harness
