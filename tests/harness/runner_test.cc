#include "harness/runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "harness/record.h"
#include "harness/sha256.h"
#include "spec/checker.h"
#include "tests/harness/fake_powercap.h"
#include "tests/harness/test_model.h"

namespace pareto::harness {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// A suite of real spec text: an exact task, a number task with a 2-token budget, an agent task
// (unsupported until the agent loop exists), and a tier file with two tiers on a tiny model.
class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pareto-runner-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "ws");
    ASSERT_TRUE(testing::write_test_model(dir_ / "tiny.gguf"));
    Write(dir_ / "ws" / "f.txt", "x\n");
    Write(dir_ / "suite.pareto", R"(suite t.run "runner test"

task echo {
  kind    = analysis
  tags    = [text]
  prompt  = "Say {{word}}."
  sample { word = "yes" }
  sample { word = "no" }
  sample { word = "maybe" }
  expect exact(word)
  budget { max_tokens = 4, timeout = 60s }
}

task count {
  kind    = analysis
  tags    = [arithmetic]
  mode    = completion
  prompt  = "1 + {{n}} ="
  extract = last_number
  sample { n = 1 }
  sample { n = 2 }
  expect number(n)
  budget { max_tokens = 2 }
}

task fix {
  kind      = agent
  workspace = dir("ws")
  prompt    = "Fix it."
  agent { tools = [shell, submit] }
  expect command("true", exit = 0)
}
)");
    Write(dir_ / "tiers.pareto", R"(tier flash { model = gguf("tiny.gguf", threads = 1) }
tier pro {
  model       = gguf("tiny.gguf", threads = 1)
  concurrency = 2
}
)");
    Check();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Check() {
    const std::vector<fs::path> files = {dir_ / "suite.pareto", dir_ / "tiers.pareto"};
    spec::GeneratorRegistry none;
    result_ = spec::check_files(files, none, {});
    ASSERT_TRUE(result_.ok()) << result_.diagnostics.render({});
  }

  Plan MakePlan(const PlanOptions& options = {}) {
    auto plan = make_plan(result_.project, options);
    EXPECT_TRUE(plan.ok()) << plan.message();
    return std::move(*plan);
  }

  RunOptions Options(const fs::path& out) {
    RunOptions o;
    o.out = out;
    o.jobs = 2;
    o.backend.batch = 4;
    o.backend.context = 128;
    o.program = {"test", "none", {"pareto", "run"}};
    o.tier_file = dir_ / "tiers.pareto";
    return o;
  }

  static std::vector<ItemRecord> Records(const fs::path& out) {
    auto file = read_results(out / "results.jsonl");
    EXPECT_TRUE(file.ok()) << file.message();
    return file.ok() ? file->records : std::vector<ItemRecord>{};
  }

  fs::path dir_;
  spec::CheckResult result_;
};

TEST_F(RunnerTest, RunsEveryItemOnceAndRecordsWhatItCost) {
  const Plan plan = MakePlan();
  ASSERT_EQ(plan.items.size(), 6u * 2);
  auto report = run_plan(result_.project, plan, Options(dir_ / "out"));
  ASSERT_TRUE(report.ok()) << report.message();
  EXPECT_EQ(report->progress.done, plan.items.size());
  EXPECT_EQ(report->progress.unsupported, 2u);

  const auto records = Records(dir_ / "out");
  ASSERT_EQ(records.size(), plan.items.size());
  std::set<std::string> ids;
  const std::string hash = *sha256_file(dir_ / "tiny.gguf");
  for (const ItemRecord& r : records) {
    ids.insert(r.item_id);
    EXPECT_EQ(r.run_id, report->run_id);
    EXPECT_EQ(r.model_hash, hash);
    if (r.task == "fix") {
      EXPECT_EQ(r.status, ItemStatus::kUnsupported);
      EXPECT_NE(r.error.find("agent"), std::string::npos) << r.error;
      continue;
    }
    EXPECT_TRUE(r.status == ItemStatus::kGraded || r.status == ItemStatus::kBudget)
        << to_string(r.status) << ": " << r.error;
    EXPECT_GT(r.prompt_tokens, 0);
    EXPECT_GE(r.completion_tokens, 1);
    EXPECT_LE(r.completion_tokens, 4);
    EXPECT_GT(r.latency.e2e_ms, 0);
    EXPECT_LE(r.latency.ttft_ms, r.latency.e2e_ms);
    ASSERT_TRUE(r.energy.has_value());
    EXPECT_EQ(r.energy->source, "modelled");
    EXPECT_GT(r.energy->joules, 0);
    ASSERT_EQ(r.graders.size(), 1u);
    EXPECT_FALSE(r.graders[0].reason.empty());
    if (r.task == "count") {
      EXPECT_EQ(r.prompt, "1 + " + r.sample_id + " =");  // completion mode: the raw prompt
      // A random model does not write the number: a wrong answer cut short by its budget.
      if (!r.passed && r.finish_reason == "length") {
        EXPECT_EQ(r.status, ItemStatus::kBudget);
        EXPECT_EQ(r.overruns, std::vector<std::string>{"max_tokens"});
        EXPECT_EQ(r.score, 0);
      }
    }
  }
  EXPECT_EQ(ids.size(), records.size());

  auto manifest = read_manifest(dir_ / "out");
  ASSERT_TRUE(manifest.ok()) << manifest.message();
  EXPECT_EQ((*manifest)["schema"], std::string(kManifestSchema));
  EXPECT_EQ((*manifest)["run_id"], report->run_id);
  EXPECT_EQ((*manifest)["plan"]["full_hash"], plan.full_hash);
  EXPECT_EQ((*manifest)["tiers"].size(), 2u);
  EXPECT_EQ((*manifest)["tiers"][0]["model_hash"], hash);
  EXPECT_FALSE((*manifest)["finished"].is_null());
  EXPECT_GE((*manifest)["specs"].size(), 1u);
  EXPECT_TRUE((*manifest)["machine"].contains("hardware_threads"));
}

TEST_F(RunnerTest, ResumeAfterATornKillRunsEachMissingItemExactlyOnce) {
  const Plan plan = MakePlan();
  const fs::path out = dir_ / "out";
  ASSERT_TRUE(run_plan(result_.project, plan, Options(out)).ok());
  // Keep three whole records and half of the fourth, as a kill -9 mid-write would.
  std::ifstream in(out / "results.jsonl");
  std::string line, kept;
  for (int i = 0; i < 4 && std::getline(in, line); ++i) {
    kept += i < 3 ? line + "\n" : line.substr(0, line.size() / 2);
  }
  in.close();
  Write(out / "results.jsonl", kept);

  RunOptions options = Options(out);
  EXPECT_FALSE(check_out_dir(out, plan, {}, false).ok());  // without --resume: refused
  options.resume = true;
  auto report = run_plan(result_.project, plan, options);
  ASSERT_TRUE(report.ok()) << report.message();
  EXPECT_EQ(report->progress.resumed, 3u);
  const auto records = Records(out);
  std::map<std::string, int> count;
  for (const auto& r : records) ++count[r.item_id];
  EXPECT_EQ(count.size(), plan.items.size());
  for (const auto& [id, n] : count) EXPECT_EQ(n, 1) << id;
  auto manifest = read_manifest(out);
  EXPECT_EQ((*manifest)["sessions"].size(), 2u);
}

TEST_F(RunnerTest, ResumingAnotherPlanIsRefused) {
  const fs::path out = dir_ / "out";
  ASSERT_TRUE(run_plan(result_.project, MakePlan(), Options(out)).ok());
  PlanOptions other;
  other.repeats = 2;
  const Plan plan = MakePlan(other);
  const Status s = check_out_dir(out, plan, other, true);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("another plan"), std::string::npos) << s.message();
}

TEST_F(RunnerTest, TheCacheAnswersAnUnchangedItemWithTheSameCompletion) {
  PlanOptions only_flash;
  only_flash.tiers = {"flash"};
  const Plan plan = MakePlan(only_flash);
  RunOptions first = Options(dir_ / "a");
  first.cache_dir = dir_ / "cache";
  ASSERT_TRUE(run_plan(result_.project, plan, first).ok());
  RunOptions second = Options(dir_ / "b");
  second.cache_dir = dir_ / "cache";
  auto report = run_plan(result_.project, plan, second);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->progress.cached, 5u);  // every item but the unsupported one
  std::map<std::string, std::string> before;
  for (const auto& r : Records(dir_ / "a")) before[r.item_id] = r.completion;
  for (const auto& r : Records(dir_ / "b")) {
    if (r.status == ItemStatus::kUnsupported) continue;
    EXPECT_TRUE(r.cached);
    EXPECT_EQ(r.completion, before[r.item_id]);
  }
  // Another seed is another key: nothing is reused.
  PlanOptions reseeded = only_flash;
  reseeded.seed = 5;
  RunOptions third = Options(dir_ / "c");
  third.cache_dir = dir_ / "cache";
  auto fresh = run_plan(result_.project, MakePlan(reseeded), third);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->progress.cached, 0u);
}

TEST_F(RunnerTest, AMeterMakesEveryModelItemsEnergyMeasuredAndSharesItWhole) {
  // RAPL over a fake powercap tree whose package counter moves by 10 J once the tiers are
  // open: every item the models ran carries measured:rapl, and their shares add up to 10 J
  // across both tiers and all three contexts.
  FakePowercap powercap;
  powercap.zone("intel-rapl:0", "package-0", 1'000'000, 262143328850);
  auto meter = RaplMeter::Open({.root = powercap.root()});
  ASSERT_TRUE(meter.ok()) << meter.message();
  auto tap = EnergyTap::Open(std::shared_ptr<EnergyMeter>(std::move(*meter)));
  ASSERT_TRUE(tap.ok()) << tap.message();
  RunOptions options = Options(dir_ / "out");
  options.backend.energy = *tap;
  const auto open = [&powercap](const spec::Tier& tier, const BackendOptions& o) {
    auto backend = open_backend(tier, o);
    powercap.set("intel-rapl:0", 11'000'000);  // after opening, before any item runs
    return backend;
  };
  options.open = open;
  const Plan plan = MakePlan();
  auto report = run_plan(result_.project, plan, options);
  ASSERT_TRUE(report.ok()) << report.message();
  double joules = 0;
  int measured = 0;
  for (const ItemRecord& r : Records(dir_ / "out")) {
    if (r.status == ItemStatus::kUnsupported) continue;
    ASSERT_TRUE(r.energy.has_value()) << r.item_id;
    EXPECT_EQ(r.energy->source, "measured:rapl");
    EXPECT_NE(r.energy->detail.find("package-0"), std::string::npos) << r.energy->detail;
    joules += r.energy->joules;
    ++measured;
  }
  EXPECT_EQ(measured, 10);
  EXPECT_NEAR(joules, 10.0, 1e-9);
  auto manifest = read_manifest(dir_ / "out");
  ASSERT_TRUE(manifest.ok()) << manifest.message();
  EXPECT_NE((*manifest)["energy"]["measured"].get<std::string>().find("package-0"),
            std::string::npos);
}

TEST_F(RunnerTest, ABackendThatDoesNotOpenStopsTheRunBeforeAnyItem) {
  fs::remove(dir_ / "tiny.gguf");
  const Plan plan = MakePlan();
  auto report = run_plan(result_.project, plan, Options(dir_ / "out"));
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.message().find("tier flash"), std::string::npos) << report.message();
  EXPECT_FALSE(fs::exists(dir_ / "out" / "results.jsonl"));
}

}  // namespace
}  // namespace pareto::harness
