// pareto run, merge and models, run as the real binary on a real (tiny, random) model file.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/cli_runner.h"
#include "tests/harness/fake_powercap.h"
#include "tests/harness/test_model.h"

namespace pareto::testing {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// The item ids in a results file, with how often each appears; torn lines are skipped.
std::map<std::string, int> Ids(const fs::path& results) {
  std::map<std::string, int> ids;
  std::ifstream in(results);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("item_id")) ++ids[j["item_id"].get<std::string>()];
  }
  return ids;
}

std::size_t Lines(const fs::path& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

class RunCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pareto-run-cli-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(write_test_model(dir_ / "tiny.gguf"));
    Write(dir_ / "tiers.pareto", "tier flash { model = gguf(\"tiny.gguf\", threads = 1) }\n");
    Write(dir_ / "suite.pareto", R"(suite t.cli "cli test"

task add {
  kind    = analysis
  tags    = [arithmetic]
  prompt  = "Compute {{a}} + {{b}}."
  samples = generate(addition, count = 24, seed = 1, digits = 2)
  extract = last_number
  expect number(answer)
  budget { max_tokens = 6 }
}
)");
    ::setenv("PARETO_CACHE_DIR", (dir_ / "cache").c_str(), 1);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliResult Run(std::vector<std::string> args) { return run_pareto(args, dir_); }

  fs::path dir_;
};

TEST_F(RunCliTest, ModelsDescribesTheTiers) {
  auto r = Run({"models", "--tier-file", "tiers.pareto"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("flash"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("llama"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("F32"), std::string::npos) << r.out;
  auto j = Run({"models", "--json"});  // ./tiers.pareto is found without the flag
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto json = nlohmann::json::parse(j.out);
  ASSERT_EQ(json["tiers"].size(), 1u);
  EXPECT_GT(json["tiers"][0]["parameters"].get<long>(), 0);
  EXPECT_EQ(json["tiers"][0]["context"], 512);
  EXPECT_EQ(Run({"models", "--tier-file", "missing.pareto"}).exit_code, 2);
}

TEST_F(RunCliTest, RunWritesEveryItemAndRefusesToOverwrite) {
  auto r = Run({"run", "suite.pareto", "--out", "out", "--jobs", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("24 items"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;  // no progress line when stderr is not a terminal
  const auto ids = Ids(dir_ / "out" / "results.jsonl");
  EXPECT_EQ(ids.size(), 24u);
  EXPECT_TRUE(fs::exists(dir_ / "out" / "manifest.json"));

  auto again = Run({"run", "suite.pareto", "--out", "out"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;
  // Resuming a finished run runs nothing and changes nothing.
  auto resumed = Run({"run", "suite.pareto", "--out", "out", "--resume"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(Lines(dir_ / "out" / "results.jsonl"), 24u);
  // A second run into another folder comes from the cache.
  auto cached = Run({"run", "suite.pareto", "--out", "out2"});
  ASSERT_EQ(cached.exit_code, 0) << cached.err;
  EXPECT_NE(cached.out.find("24 from the cache"), std::string::npos) << cached.out;
}

TEST_F(RunCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({"run", "suite.pareto", "--shard", "2/2"}).exit_code, 2);
  EXPECT_EQ(Run({"run", "suite.pareto", "--tiers", "ultra"}).exit_code, 2);
  EXPECT_EQ(Run({"run", "suite.pareto", "--repeats", "0"}).exit_code, 2);
  EXPECT_EQ(Run({"run", "missing.pareto"}).exit_code, 2);
  Write(dir_ / "sel.json", R"([{"suite": "t.cli", "task": "nope"}])");
  auto sel = Run({"run", "suite.pareto", "--select", "sel.json"});
  EXPECT_EQ(sel.exit_code, 2);
  EXPECT_NE(sel.err.find("nope"), std::string::npos) << sel.err;
}

TEST_F(RunCliTest, ASelectionRunsOnlyWhatItNames) {
  Write(dir_ / "sel.json", R"({"schema": "pareto.selection/1",
    "items": [{"suite": "t.cli", "task": "add", "samples": ["0", "5"]}]})");
  auto r = Run({"run", "suite.pareto", "--select", "sel.json", "--out", "sel", "--no-cache"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Ids(dir_ / "sel" / "results.jsonl").size(), 2u);
}

TEST_F(RunCliTest, MeterRaplMeasuresEveryItemOrSaysWhyNot) {
  auto sources = [&](const std::string& out) {
    std::set<std::string> seen;
    std::ifstream in(dir_ / out / "results.jsonl");
    for (std::string line; std::getline(in, line);) {
      seen.insert(nlohmann::json::parse(line)["energy"]["source"].get<std::string>());
    }
    return seen;
  };
  ::setenv("PARETO_POWERCAP", (dir_ / "no-powercap").c_str(), 1);
  auto required = Run({"run", "suite.pareto", "--out", "m0", "--meter", "rapl"});
  EXPECT_EQ(required.exit_code, 3);
  EXPECT_NE(required.err.find("powercap"), std::string::npos) << required.err;
  auto automatic = Run({"run", "suite.pareto", "--out", "m1", "--no-cache"});
  ASSERT_EQ(automatic.exit_code, 0) << automatic.err;
  EXPECT_EQ(sources("m1"), std::set<std::string>{"modelled"});
  // A powercap tree (a fake one: this machine has none) makes every item measured.
  harness::FakePowercap powercap;
  powercap.zone("intel-rapl:0", "package-0", 1'000'000, 262143328850);
  ::setenv("PARETO_POWERCAP", powercap.root().c_str(), 1);
  auto measured = Run({"run", "suite.pareto", "--out", "m2", "--meter", "rapl", "--no-cache"});
  ::unsetenv("PARETO_POWERCAP");
  ASSERT_EQ(measured.exit_code, 0) << measured.err;
  EXPECT_EQ(sources("m2"), std::set<std::string>{"measured:rapl"});
  const auto manifest = nlohmann::json::parse(read_whole_file(dir_ / "m2" / "manifest.json"));
  EXPECT_NE(manifest["energy"]["measured"].get<std::string>().find("package-0"), std::string::npos);
  EXPECT_EQ(Run({"run", "suite.pareto", "--out", "m3", "--meter", "nvml"}).exit_code, 2);
}

TEST_F(RunCliTest, ShardsMergeIntoTheWholeRun) {
  ASSERT_EQ(Run({"run", "suite.pareto", "--out", "full", "--repeats", "2"}).exit_code, 0);
  for (const char* shard : {"0/3", "1/3", "2/3"}) {
    const std::string out = std::string("s") + shard[0];
    auto r = Run({"run", "suite.pareto", "--out", out, "--repeats", "2", "--shard", shard});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto merged = Run({"merge", "s0", "s1", "s2", "--out", "merged"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_TRUE(merged.err.empty()) << merged.err;  // complete: no warning
  const auto whole = Ids(dir_ / "full" / "results.jsonl");
  const auto joined = Ids(dir_ / "merged" / "results.jsonl");
  EXPECT_EQ(whole.size(), 48u);
  EXPECT_EQ(joined, whole);

  // The same shard twice overlaps: refused, or deduplicated on request.
  auto twice = Run({"merge", "s0", "s0", "--out", "twice"});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("--dedupe"), std::string::npos) << twice.err;
  auto dedupe = Run({"merge", "s0", "s0", "--out", "twice", "--dedupe"});
  EXPECT_EQ(dedupe.exit_code, 0) << dedupe.err;
  EXPECT_NE(dedupe.err.find("incomplete"), std::string::npos) << dedupe.err;
  // Runs of different plans do not merge.
  EXPECT_EQ(Run({"merge", "s0", "full", "--out", "mixed"}).exit_code, 2);
}

TEST_F(RunCliTest, ABaselineGateExitsOneOnlyOnASignificantDrop) {
  ASSERT_EQ(Run({"run", "suite.pareto", "--out", "base"}).exit_code, 0);
  EXPECT_TRUE(fs::exists(dir_ / "base" / "summary.json"));
  // The same model against itself: nothing dropped.
  auto same = Run({"run", "suite.pareto", "--out", "same", "--baseline", "base"});
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_NE(same.out.find("no significant drop"), std::string::npos) << same.out;
  // A baseline where every item passed (the real run's records, rewritten): the random
  // model's run is a significant drop.
  std::ifstream in(dir_ / "base" / "results.jsonl");
  std::string passed;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    j["passed"] = true;
    j["score"] = 1.0;
    j["status"] = "graded";
    for (auto& g : j["graders"]) {
      g["passed"] = true;
      g["score"] = 1.0;
    }
    passed += j.dump() + "\n";
  }
  fs::create_directories(dir_ / "perfect");
  Write(dir_ / "perfect" / "results.jsonl", passed);
  auto drop = Run(
      {"run", "suite.pareto", "--out", "dropped", "--baseline", "perfect", "--max-drop", "0.1"});
  EXPECT_EQ(drop.exit_code, 1) << drop.out << drop.err;
  EXPECT_NE(drop.out.find("t.cli/add"), std::string::npos) << drop.out;
  EXPECT_EQ(Run({"run", "suite.pareto", "--max-drop", "0.1"}).exit_code, 2);
  EXPECT_EQ(Run({"run", "suite.pareto", "--baseline", "nowhere"}).exit_code, 2);
}

// Starts `pareto ARGS...` in `cwd` without waiting; its output is discarded.
pid_t Spawn(const std::vector<std::string>& args, const fs::path& cwd) {
  std::vector<std::string> text = {PARETO_BINARY};
  text.insert(text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : text) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    if (!std::freopen("/dev/null", "w", stdout) || !std::freopen("/dev/null", "w", stderr)) {
      ::_exit(126);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

TEST_F(RunCliTest, AfterKillNineResumeYieldsEveryItemExactlyOnce) {
  // One item at a time and more tokens per item, so the kill lands mid-run.
  Write(dir_ / "slow.pareto", R"(suite t.slow "kill test"

task add {
  kind    = analysis
  prompt  = "Compute {{a}} + {{b}}."
  samples = generate(addition, count = 300, seed = 2, digits = 3)
  extract = last_number
  expect number(answer)
  budget { max_tokens = 48 }
}
)");
  const std::vector<std::string> args = {"run", "slow.pareto", "--out", "killed",    "--jobs",
                                         "1",   "--batch",     "1",     "--no-cache"};
  const pid_t pid = Spawn(args, dir_);
  ASSERT_GT(pid, 0);
  const fs::path results = dir_ / "killed" / "results.jsonl";
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (Lines(results) < 5 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";
  const std::size_t before = Ids(results).size();
  EXPECT_GE(before, 5u);
  EXPECT_LT(before, 300u);

  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  auto r = Run(resume);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ids = Ids(results);
  EXPECT_EQ(ids.size(), 300u);
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(Lines(results), 300u);  // no torn line left behind either
}

}  // namespace
}  // namespace pareto::testing
