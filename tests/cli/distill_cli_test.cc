// pareto distill export / train on the real binary: a teacher file from the committed flash
// tier, a distilled student with its tier file, the same-budget random baseline, the rerun
// and its gain; and the commands' errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_runner.h"

namespace pareto::testing {
namespace {

namespace fs = std::filesystem;

class DistillCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pareto-distill-cli-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // One tier, the committed flash, as teacher and student: quick, and it passes missing.op.
    std::ofstream(dir_ / "tiers.pareto")
        << "tier flash { model = gguf(\""
        << (fs::path(PARETO_SOURCE_DIR) / "inference/models/flash.gguf").string()
        << "\", threads = 1) }\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Suite() const { return (fs::path(PARETO_SOURCE_DIR) / "suites/core").string(); }
  fs::path dir_;
};

TEST_F(DistillCliTest, ExportThenTrainWritesAStudentATierFileAndItsGain) {
  CliResult e = run_pareto({"distill", "export", Suite(), "--tasks", "missing.op,core/py.bool",
                            "--teacher", "flash", "--tier-file", Path("tiers.pareto"), "--per-task",
                            "4", "--top-k", "3", "--out", Path("teacher.jsonl")});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("core/missing.op"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("teacher flash, top-3"), std::string::npos) << e.out;
  std::ifstream in(Path("teacher.jsonl"));
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["schema"], "pareto.distill/1");
    EXPECT_TRUE(j["verdict"]["passed"].get<bool>());
    EXPECT_EQ(j["tokens"][0]["top_logprobs"].size(), 3u);
  }
  EXPECT_EQ(lines, 8);
  // Again: everything is there already, nothing is asked of the teacher.
  e = run_pareto({"distill", "export", Suite(), "--tasks", "missing.op,py.bool", "--teacher",
                  "flash", "--tier-file", Path("tiers.pareto"), "--per-task", "4", "--out",
                  Path("teacher.jsonl")});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("core/missing.op                   4        4      0"), std::string::npos)
      << e.out;

  CliResult t = run_pareto({"distill", "train", Path("teacher.jsonl"), Suite(), "--tier-file",
                            Path("tiers.pareto"), "--out", Path("d"), "--steps", "30", "--batch",
                            "4", "--baseline", "random", "--rerun", "targets"});
  ASSERT_EQ(t.exit_code, 0) << t.err << t.out;
  for (const char* f : {"d/flash-distilled.gguf", "d/flash-distilled-random.gguf", "d/tiers.pareto",
                        "d/distill.json", "d/random.jsonl", "d/gain.json", "d/run/results.jsonl",
                        "d/run/summary.json"}) {
    EXPECT_TRUE(fs::exists(Path(f))) << f;
  }
  EXPECT_NE(t.out.find("targets (120 items, 2 tasks)"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("flash-distilled minus flash-distilled-random"), std::string::npos);
  // Training lowered the loss on the teacher data (the KD mix), for both students.
  const auto summary = nlohmann::json::parse(read_whole_file(Path("d/distill.json")));
  ASSERT_EQ(summary["trained"].size(), 2u);
  for (const auto& student : summary["trained"]) {
    EXPECT_LT(student["last_loss"].get<double>(), student["first_loss"].get<double>())
        << student.dump();
    EXPECT_GT(student["teacher_tokens"].get<int64_t>(), 0);
  }
  EXPECT_EQ(summary["random_tasks"].size(), 2u);
  const auto gain = nlohmann::json::parse(read_whole_file(Path("d/gain.json")));
  EXPECT_EQ(gain["student"], "flash");
  EXPECT_EQ(gain["groups"][0]["name"], "targets");
  EXPECT_EQ(gain["groups"][0]["tiers"].size(), 2u);
  // The tier file runs the new student beside the old tiers.
  CliResult m = run_pareto({"models", "--tier-file", Path("d/tiers.pareto")});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_NE(m.out.find("flash-distilled"), std::string::npos) << m.out;
  // The report of the rerun has the new tiers.
  CliResult r = run_pareto({"report", Path("d/run")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("flash-distilled-random"), std::string::npos);
  // A second train into the same folder would mix runs: refused.
  EXPECT_EQ(run_pareto({"distill", "train", Path("teacher.jsonl"), Suite(), "--tier-file",
                        Path("tiers.pareto"), "--out", Path("d")})
                .exit_code,
            2);
}

TEST_F(DistillCliTest, ErrorsSayWhatIsWrong) {
  const std::string tiers = Path("tiers.pareto");
  auto err = [&](std::vector<std::string> args, int code) {
    CliResult r = run_pareto(args);
    EXPECT_EQ(r.exit_code, code) << r.err;
    return r.err;
  };
  EXPECT_NE(err({"distill", "export", Suite(), "--out", Path("x.jsonl"), "--tier-file", tiers}, 2)
                .find("--targets"),
            std::string::npos);
  EXPECT_NE(err({"distill", "export", Suite(), "--tasks", "nosuch", "--teacher", "flash",
                 "--tier-file", tiers, "--out", Path("x.jsonl")},
                2)
                .find("no task nosuch"),
            std::string::npos);
  EXPECT_NE(err({"distill", "export", Suite(), "--tasks", "add3", "--teacher", "ultra",
                 "--tier-file", tiers, "--out", Path("x.jsonl")},
                2)
                .find("no tier ultra"),
            std::string::npos);
  EXPECT_NE(err({"distill", "export", Suite(), "--tasks", "add3", "--top-k", "0", "--tier-file",
                 tiers, "--out", Path("x.jsonl")},
                2)
                .find("--top-k"),
            std::string::npos);
  EXPECT_NE(err({"distill", "export", Suite(), "--targets", dir_.string(), "--tier-file", tiers,
                 "--out", Path("x.jsonl")},
                2)
                .find("targets.json"),
            std::string::npos);

  std::ofstream(Path("bad.jsonl")) << "{\"schema\": \"pareto.distill/1\"}\n";
  EXPECT_NE(err({"distill", "train", Path("bad.jsonl"), Suite(), "--tier-file", tiers, "--out",
                 Path("o")},
                2)
                .find("bad.jsonl:1: missing field `id`"),
            std::string::npos);
  EXPECT_NE(err({"distill", "train", Path("none.jsonl"), Suite(), "--tier-file", tiers, "--out",
                 Path("o")},
                2)
                .find("cannot read"),
            std::string::npos);
  std::ofstream(Path("empty.jsonl")) << "";
  EXPECT_NE(err({"distill", "train", Path("empty.jsonl"), Suite(), "--tier-file", tiers, "--out",
                 Path("o")},
                2)
                .find("no teacher record"),
            std::string::npos);
  EXPECT_NE(err({"distill", "train", Path("empty.jsonl"), Suite(), "--tier-file", tiers, "--out",
                 Path("o"), "--baseline", "best"},
                2)
                .find("--baseline takes `random`"),
            std::string::npos);
  EXPECT_NE(err({"distill", "train", Path("empty.jsonl"), Suite(), "--tier-file", tiers, "--out",
                 Path("o"), "--rerun", "all"},
                2)
                .find("--rerun"),
            std::string::npos);
  EXPECT_NE(err({"distill", "train", Path("empty.jsonl"), Suite(), "--tier-file", tiers, "--out",
                 Path("o"), "--replay", "1"},
                2)
                .find("--replay"),
            std::string::npos);
  err({"distill"}, 2);
}

}  // namespace
}  // namespace pareto::testing
