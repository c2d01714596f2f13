// pareto check, fmt, list and export, run as a user would run them: exit codes, what goes to
// stdout and stderr, and what happens to files (tests/fixtures/spec/cli/).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli/cli_runner.h"

namespace {

namespace fs = std::filesystem;
using pareto::testing::CliResult;
using ::testing::HasSubstr;

const fs::path kFixtures = fs::path(PARETO_SOURCE_DIR) / "tests/fixtures/spec/cli";

// A fresh folder for files a test may change, removed afterwards.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("pareto-spec-cli-" + std::to_string(getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path copy(const std::string& fixture) const {
    fs::copy_file(kFixtures / fixture, path_ / fs::path(fixture).filename());
    return path_ / fs::path(fixture).filename();
  }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

// Runs `pareto ARGS...` in the fixtures folder.
CliResult pareto_in_fixtures(const std::vector<std::string>& args) {
  return pareto::testing::run_pareto(args, kFixtures);
}

TEST(CheckCommand, CleanFolderExitsZeroWithASummary) {
  CliResult r = pareto_in_fixtures({"check", "folder"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "checked 2 files: 2 tasks in 2 suites, 0 tiers; 0 errors, 0 warnings\n");
  EXPECT_EQ(r.err, "");
}

TEST(CheckCommand, ErrorsGoToStderrWithCaretAndHintAndExitTwo) {
  CliResult r = pareto_in_fixtures({"check", "mistakes.pareto"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "checked 1 file: 1 task in 1 suite, 0 tiers; 3 errors, 0 warnings\n");
  EXPECT_THAT(r.err, HasSubstr("mistakes.pareto:4:3: error: unknown field `promt` in task `add3`\n"
                               "  promt   = \"Compute {{a}} + {{b}}.\"\n"
                               "  ^~~~~\n"
                               "  hint: did you mean `prompt`?\n"));
  EXPECT_THAT(r.err, HasSubstr("mistakes.pareto:5:54: error: unknown parameter `digit` for "
                               "generator `addition`\n"));
  EXPECT_THAT(r.err, HasSubstr("mistakes.pareto:7:22: error: `timeout` must be a duration such as "
                               "5s or 250ms, not an integer\n"));
}

TEST(CheckCommand, LintsAreWarningsUnlessStrict) {
  CliResult plain = pareto_in_fixtures({"check", "untagged.pareto"});
  EXPECT_EQ(plain.exit_code, 0);
  EXPECT_THAT(plain.err, HasSubstr("untagged.pareto:2:6: warning: task `hello` has no tags"));
  EXPECT_THAT(plain.out, HasSubstr("0 errors, 1 warning\n"));
  CliResult strict = pareto_in_fixtures({"check", "--strict", "untagged.pareto"});
  EXPECT_EQ(strict.exit_code, 2);
  EXPECT_THAT(strict.err, HasSubstr("untagged.pareto:2:6: error: task `hello` has no tags"));
  EXPECT_THAT(strict.out, HasSubstr("1 error, 0 warnings (strict)\n"));
}

const fs::path kVerifyFixtures = fs::path(PARETO_SOURCE_DIR) / "tests/fixtures/spec/verify";

TEST(CheckVerify, ReferencesThatPassExitZero) {
  CliResult r = pareto::testing::run_pareto({"check", "--verify", "--verbose", "good.pareto"},
                                            kVerifyFixtures);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("verified 4 tasks on 5 samples (at most 20 per task): 4 passed, "
                               "0 failed; 1 not verifiable\n"));
  EXPECT_THAT(r.out, HasSubstr("not verified: verify.good/greet: no reference"));
  EXPECT_EQ(r.err, "");
}

TEST(CheckVerify, FailuresAreDiagnosticsAtTheTask) {
  CliResult r = pareto::testing::run_pareto({"check", "--verify", "bad.pareto"}, kVerifyFixtures);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("0 passed, 2 failed"));
  EXPECT_THAT(r.err, HasSubstr("bad.pareto:4:6: error: the reference of task `py.sub` fails its "
                               "graders on sample 1 (1 of 1 checked samples fail)\n"
                               "task py.sub {\n"
                               "     ^~~~~~\n"));
  EXPECT_THAT(r.err, HasSubstr("note: tests: the test program exited with status 1"));
  EXPECT_THAT(r.err, HasSubstr("AssertionError"));
  EXPECT_THAT(r.err, HasSubstr("error: the `answer` field of task `count` fails its graders on "
                               "sample 2 (1 of 2 checked samples fail)"));
  EXPECT_THAT(r.err, HasSubstr("note: number (could not run): the expected value `three` is not "
                               "a number"));
}

TEST(CheckVerify, BoundsTheSamplesPerTask) {
  CliResult r = pareto::testing::run_pareto(
      {"check", "--verify", "--verify-samples", "1", "bad.pareto"}, kVerifyFixtures);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("verified 2 tasks on 2 samples (at most 1 per task): 1 passed, "
                               "1 failed"));
  CliResult all = pareto::testing::run_pareto(
      {"check", "--verify", "--verify-samples", "0", "bad.pareto"}, kVerifyFixtures);
  EXPECT_THAT(all.out, HasSubstr("verified 2 tasks on 3 samples: 0 passed, 2 failed"));
}

TEST(CheckVerify, SpecErrorsStillExitTwo) {
  CliResult r = pareto_in_fixtures({"check", "--verify", "mistakes.pareto"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("verified")));
}

TEST(CheckCommand, MissingPathIsAUsageError) {
  CliResult r = pareto_in_fixtures({"check", "no-such-file.pareto"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "no-such-file.pareto: error: no such file or folder\n");
}

TEST(CheckCommand, SyntaxErrorsExitTwo) {
  CliResult r = pareto_in_fixtures({"check", "broken.pareto"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("broken.pareto:3:"));
}

TEST(CheckCommand, NeedsAPath) {
  CliResult r = pareto_in_fixtures({"check"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(FmtCommand, CheckNamesFilesThatWouldChangeAndChangesNothing) {
  TempDir dir;
  const fs::path messy = dir.copy("messy.pareto");
  const std::string before = pareto::testing::read_whole_file(messy);
  CliResult r = pareto_in_fixtures({"fmt", "--check", messy.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "would reformat " + messy.string() + "\n");
  EXPECT_EQ(pareto::testing::read_whole_file(messy), before);
}

TEST(FmtCommand, RewritesInPlaceThenHasNothingLeftToDo) {
  TempDir dir;
  const fs::path messy = dir.copy("messy.pareto");
  CliResult r = pareto_in_fixtures({"fmt", messy.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "formatted " + messy.string() + "\n");
  EXPECT_EQ(pareto::testing::read_whole_file(messy),
            "task messy {\n"
            "  kind   = analysis\n"
            "  tags   = [x]\n"
            "  prompt = \"Say hi only.\"\n"
            "  expect contains(\"hi\")\n"
            "}\n");
  CliResult again = pareto_in_fixtures({"fmt", "--check", messy.string()});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.out, "");
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(FmtCommand, NeverRewritesAFileThatDoesNotParse) {
  TempDir dir;
  const fs::path broken = dir.copy("broken.pareto");
  const std::string before = pareto::testing::read_whole_file(broken);
  CliResult r = pareto_in_fixtures({"fmt", broken.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("broken.pareto:3:"));
  EXPECT_EQ(pareto::testing::read_whole_file(broken), before);
}

TEST(FmtCommand, FormattedFolderIsClean) {
  CliResult r = pareto_in_fixtures({"fmt", "--check", "folder"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(ListCommand, PrintsATable) {
  CliResult r = pareto_in_fixtures({"list", "folder"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "SUITE    TASK  KIND      TAGS             SAMPLES\n"
            "cli.one  one   analysis  demo                   1\n"
            "cli.two  two   analysis  demo,arithmetic        3\n");
}

TEST(ListCommand, JsonLists) {
  CliResult r = pareto_in_fixtures({"list", "--json", "folder"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1], nlohmann::json::parse(R"({"suite": "cli.two", "task": "two", "kind":
      "analysis", "tags": ["demo", "arithmetic"], "samples": 3})"));
}

TEST(ListCommand, RefusesSpecsWithErrors) {
  CliResult r = pareto_in_fixtures({"list", "mistakes.pareto"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("unknown field `promt`"));
}

TEST(ExportCommand, PrintsCanonicalJsonWithRelativePaths) {
  CliResult r = pareto_in_fixtures({"export", "folder"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["format"], "pareto.spec/1");
  ASSERT_EQ(j["suites"].size(), 2u);
  EXPECT_EQ(j["suites"][0]["file"], "folder/one.pareto");
  EXPECT_EQ(j["suites"][1]["tasks"][0]["samples"]["items"].size(), 3u);
  EXPECT_EQ(r.out, j.dump(2) + "\n");
}

TEST(ExportCommand, NoSamplesLeavesTheItemsOut) {
  CliResult r = pareto_in_fixtures({"export", "--no-samples", "folder"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["suites"][1]["tasks"][0]["samples"]["items"].is_null());
  EXPECT_EQ(j["suites"][1]["tasks"][0]["samples"]["count"], 3);
}

TEST(ExportCommand, RefusesSpecsWithErrors) {
  CliResult r = pareto_in_fixtures({"export", "mistakes.pareto"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
}

}  // namespace
