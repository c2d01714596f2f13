// The committed default tiers still score what their model cards say: suites/ci (the core
// suite's first 10 items of every task, 180 items) on inference/models/tiers.pareto with
// greedy decoding, each tier's score within 0.05 of the "CI score" its card records. A change
// to the core, the tokenizer, the drivers or the graders that silently degrades the models
// fails here. The card is the one source of truth: the figure is read from its text.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "cli_runner.h"

namespace pareto::testing {
namespace {

namespace fs = std::filesystem;

// The figure on the card's "CI score" line: `CI score ... **0.456**`. -1 when there is none.
double CardCiScore(const fs::path& card) {
  const std::string text = read_whole_file(card);
  static const std::regex line(R"(CI score[^\n*]*\*\*([0-9]+\.[0-9]+)\*\*)");
  std::smatch m;
  if (!std::regex_search(text, m, line)) return -1;
  return std::stod(m[1].str());
}

TEST(TierScores, CiSubsetScoresMatchTheModelCards) {
  const fs::path root = PARETO_SOURCE_DIR;
  const fs::path models = root / "inference/models";
  const fs::path out =
      fs::temp_directory_path() / ("pareto-tier-scores-" + std::to_string(::getpid()));
  fs::remove_all(out);
  CliResult r =
      run_pareto({"run", (root / "suites/ci").string(), "--tier-file",
                  (models / "tiers.pareto").string(), "--out", out.string(), "--no-cache"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json summary =
      nlohmann::json::parse(read_whole_file(out / "summary.json"), nullptr, false);
  fs::remove_all(out);
  ASSERT_TRUE(summary.is_object());

  std::map<std::string, double> scores;
  for (const nlohmann::json& s : summary.at("suites")) {
    if (s.at("suite") == "core.ci") scores[s.at("tier")] = s.at("score");
  }
  for (const char* tier : {"flash", "pro", "ultra"}) {
    SCOPED_TRACE(tier);
    ASSERT_TRUE(scores.contains(tier));
    const double recorded = CardCiScore(models / (std::string(tier) + ".md"));
    ASSERT_GE(recorded, 0) << "no `CI score ... **X**` line in " << tier << ".md";
    EXPECT_LE(std::abs(scores[tier] - recorded), 0.05)
        << "suites/ci scored " << scores[tier] << ", the card records " << recorded;
  }
}

}  // namespace
}  // namespace pareto::testing
