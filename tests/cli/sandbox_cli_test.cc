// `pareto sandbox run` is the graders' sandbox on the command line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/cli/cli_runner.h"

namespace pareto::testing {
namespace {

TEST(SandboxCli, ExitsWithTheCommandsStatusAndPassesItsOutput) {
  CliResult r = run_pareto({"sandbox", "run", "--", "sh", "-c", "echo out; echo err >&2; exit 5"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(SandboxCli, JsonReportsReasonStatusTimesAndOutput) {
  CliResult r = run_pareto(
      {"sandbox", "run", "--json", "--wall", "1s", "--", "sh", "-c", "echo started; sleep 30"});
  EXPECT_EQ(r.exit_code, 128 + 9) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["reason"], "timeout");
  EXPECT_EQ(j["stdout"], "started\n");
  EXPECT_GE(j["wall_seconds"].get<double>(), 0.9);
  EXPECT_LT(j["wall_seconds"].get<double>(), 20.0);
}

TEST(SandboxCli, NetworkIsOffByDefault) {
  CliResult r = run_pareto({"sandbox", "run", "--json", "--", "python3", "-c",
                            "import socket; socket.create_connection(('127.0.0.1', 9), 1)"});
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["reason"], "failed");
  EXPECT_NE(j["stderr"].get<std::string>().find("Error"), std::string::npos);
}

TEST(SandboxCli, LimitsUseTheSpecLanguagesUnits) {
  CliResult r = run_pareto({"sandbox", "run", "--json", "--memory", "128MiB", "--", "python3", "-c",
                            "x = bytearray(512 * 1024 * 1024)"});
  EXPECT_EQ(nlohmann::json::parse(r.out)["reason"], "memory") << r.out;

  CliResult bad = run_pareto({"sandbox", "run", "--memory", "lots", "--", "true"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--memory `lots` is not a size"), std::string::npos) << bad.err;
}

TEST(SandboxCli, WorkspaceIsMountedAsTheWorkingFolder) {
  namespace fs = std::filesystem;
  std::string pattern = (fs::temp_directory_path() / "pareto-ws-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  std::ofstream(fs::path(pattern) / "given.txt") << "hello";
  CliResult r = run_pareto({"sandbox", "run", "--workspace", pattern, "--", "cat", "given.txt"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello");
  fs::remove_all(pattern);
}

}  // namespace
}  // namespace pareto::testing
