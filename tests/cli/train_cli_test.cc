// pareto train: every committed tier recipe still trains (a few steps, on the real suites),
// and resuming, a bad recipe and the written model behave as promised.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_runner.h"

namespace pareto::testing {
namespace {

namespace fs = std::filesystem;

class TrainCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pareto-train-cli-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(TrainCliTest, EveryTierRecipeTrainsForAFewSteps) {
  const fs::path recipes = fs::path(PARETO_SOURCE_DIR) / "inference/models/recipes";
  for (const char* tier : {"flash", "pro", "ultra"}) {
    const fs::path recipe = recipes / (std::string(tier) + ".json");
    ASSERT_TRUE(fs::exists(recipe)) << recipe;
    const std::string out = Path(std::string(tier) + ".gguf");
    CliResult r = run_pareto({"train", recipe.string(), "--steps", "2", "--out", out,
                              "--report-every", "1", "--threads", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("step 2/2"), std::string::npos) << r.err;
    // The model it wrote runs in the core and stops (EOS or the limit) on a prompt.
    CliResult g = run_pareto({"generate", "--model", out, "--prompt", "1+1=", "-n", "3"});
    EXPECT_EQ(g.exit_code, 0) << g.err;
  }
}

TEST_F(TrainCliTest, ResumeContinuesFromTheCheckpointToTheSameModel) {
  const std::string recipe =
      (fs::path(PARETO_SOURCE_DIR) / "inference/models/recipes/flash.json").string();
  const std::string whole = Path("whole.gguf"), part = Path("part.gguf");
  ASSERT_EQ(run_pareto({"train", recipe, "--steps", "4", "--out", whole}).exit_code, 0);
  // Four steps with a checkpoint every two; then drop the model and resume from the
  // checkpoint of step 4 with --steps 4: nothing is left to do but write the same file.
  CliResult r = run_pareto(
      {"train", recipe, "--steps", "4", "--out", part, "--checkpoint-every", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::remove(part);
  r = run_pareto({"train", recipe, "--steps", "4", "--out", part, "--resume"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resumed at 4"), std::string::npos) << r.err;
  EXPECT_EQ(read_whole_file(whole), read_whole_file(part));

  EXPECT_EQ(run_pareto({"train", recipe, "--out", Path("none.gguf"), "--resume"}).exit_code, 3);
}

TEST_F(TrainCliTest, BadRecipeExitsTwo) {
  std::ofstream(Path("bad.json")) << R"({"name": "x", "output": "x.gguf", "suites": []})";
  CliResult r = run_pareto({"train", Path("bad.json")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("suites"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pareto::testing
