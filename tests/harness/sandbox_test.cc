// The sandbox contains hostile programs: each test runs a real program under bubblewrap.
#include "harness/sandbox.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace pareto::harness {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status available = sandbox_available();
    // scripts/deps installs bubblewrap: a machine without a working sandbox is a failure.
    ASSERT_TRUE(available.ok()) << available.message();
    std::string pattern = (fs::temp_directory_path() / "pareto-sandbox-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  SandboxOutcome run(std::vector<std::string> argv, SandboxLimits limits = {}) {
    SandboxCommand cmd;
    cmd.argv = std::move(argv);
    cmd.limits = limits;
    Result<SandboxOutcome> outcome = run_sandboxed(cmd);
    EXPECT_TRUE(outcome.ok()) << outcome.message();
    return outcome.ok() ? *outcome : SandboxOutcome{};
  }
  SandboxOutcome python(const std::string& code, SandboxLimits limits = {}) {
    return run({"python3", "-c", code}, limits);
  }

  fs::path dir_;
};

TEST_F(SandboxTest, RunsACommandAndCapturesItsOutputAndStatus) {
  SandboxOutcome o = run({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(o.reason, SandboxReason::kFailed);
  EXPECT_EQ(o.exit_status, 3);
  EXPECT_EQ(o.stdout_text, "out\n");
  EXPECT_EQ(o.stderr_text, "err\n");
  EXPECT_EQ(run({"true"}).reason, SandboxReason::kOk);
}

TEST_F(SandboxTest, FeedsStandardInput) {
  SandboxCommand cmd;
  cmd.argv = {"python3", "-c", "import sys; print(sum(int(x) for x in sys.stdin.read().split()))"};
  cmd.stdin_data = "1 2 3 4\n";
  Result<SandboxOutcome> o = run_sandboxed(cmd);
  ASSERT_TRUE(o.ok()) << o.message();
  EXPECT_EQ(o->stdout_text, "10\n");
}

TEST_F(SandboxTest, WorkspaceIsWritableAndKeptForTheCaller) {
  std::ofstream(dir_ / "input.txt") << "41";
  SandboxCommand cmd;
  cmd.argv = {"sh", "-c", "pwd; echo $(( $(cat input.txt) + 1 )) > output.txt"};
  cmd.workspace = dir_;
  Result<SandboxOutcome> o = run_sandboxed(cmd);
  ASSERT_TRUE(o.ok()) << o.message();
  EXPECT_EQ(o->reason, SandboxReason::kOk) << o->stderr_text;
  EXPECT_EQ(o->stdout_text, "/workspace\n");
  std::ifstream in(dir_ / "output.txt");
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "42");
  // Files the sandbox made belong to the workspace's owner again.
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "output.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::getuid());
}

TEST_F(SandboxTest, NetworkConnectFails) {
  // A real server on the host's loopback: reachable from here, not from the sandbox.
  int server = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(server, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(server, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);

  const std::string code =
      "import socket, sys\n"
      "for host in ['127.0.0.1', '1.1.1.1']:\n"
      "    try:\n"
      "        socket.create_connection((host, " +
      std::to_string(port) +
      "), timeout=2)\n"
      "        print('connected', host); sys.exit(0)\n"
      "    except OSError as e:\n"
      "        print('refused', host, e)\n"
      "sys.exit(1)\n";
  SandboxOutcome o = python(code);
  ::close(server);
  EXPECT_EQ(o.reason, SandboxReason::kFailed) << o.stdout_text << o.stderr_text;
  EXPECT_EQ(o.stdout_text.find("connected"), std::string::npos) << o.stdout_text;
  EXPECT_NE(o.stdout_text.find("refused 127.0.0.1"), std::string::npos) << o.stdout_text;
}

TEST_F(SandboxTest, WritingOutsideTheWorkspaceFails) {
  const std::string outside = (dir_ / "escaped.txt").string();
  SandboxOutcome o = python(
      "import sys\n"
      "ok = []\n"
      "for p in ['/usr/escaped.txt', '/etc/escaped.txt', '" +
      outside +
      "', '/escaped.txt']:\n"
      "    try:\n"
      "        open(p, 'w').write('x'); ok.append(p)\n"
      "    except OSError as e:\n"
      "        print('denied', p)\n"
      "print('wrote', ok)\n"
      "sys.exit(1 if ok else 0)\n");
  EXPECT_EQ(o.reason, SandboxReason::kOk) << o.stdout_text << o.stderr_text;
  EXPECT_FALSE(fs::exists(dir_ / "escaped.txt"));
  EXPECT_FALSE(fs::exists("/usr/escaped.txt"));
}

TEST_F(SandboxTest, HomeAndRepositoryAreInvisible) {
  // A fake home with a private key, and the repository itself: neither is readable inside.
  fs::create_directories(dir_ / "home" / ".ssh");
  std::ofstream(dir_ / "home" / ".ssh" / "id_ed25519") << "SECRET KEY";
  const std::string key = (dir_ / "home" / ".ssh" / "id_ed25519").string();
  const char* real_home = std::getenv("HOME");
  const std::string real_key = std::string(real_home ? real_home : "/root") + "/.ssh";
  SandboxOutcome o = python(
      "import os, sys\n"
      "seen = [p for p in ['" +
      key + "', '" + real_key +
      "', '" PARETO_SOURCE_DIR
      "/CMakeLists.txt', '/root'] if os.path.exists(p)]\n"
      "print('seen', seen)\n"
      "sys.exit(1 if seen else 0)\n");
  EXPECT_EQ(o.reason, SandboxReason::kOk) << o.stdout_text << o.stderr_text;
}

TEST_F(SandboxTest, ForkBombIsContainedAndTheHarnessGoesOn) {
  SandboxLimits limits;
  limits.procs = 16;
  limits.wall = seconds(5);
  SandboxOutcome o = python(
      "import os\n"
      "while True:\n"
      "    try:\n"
      "        os.fork()\n"
      "    except OSError:\n"
      "        pass\n",
      limits);
  EXPECT_NE(o.reason, SandboxReason::kOk);
  EXPECT_LT(o.wall_seconds, 30);
  // Nothing of the bomb is left, and the next command runs normally.
  SandboxOutcome next = run({"sh", "-c", "echo alive"});
  EXPECT_EQ(next.reason, SandboxReason::kOk) << next.stderr_text;
  EXPECT_EQ(next.stdout_text, "alive\n");
}

TEST_F(SandboxTest, MemoryHogIsStoppedWithReasonMemory) {
  SandboxLimits limits;
  limits.memory_bytes = 256ull << 20;
  SandboxOutcome o = python("x = bytearray(1 << 30)\nprint(len(x))\n", limits);
  EXPECT_EQ(o.reason, SandboxReason::kMemory) << o.stderr_text;
  // The same in C++: an allocation beyond the limit fails.
  std::ofstream(dir_ / "hog.cc") << "#include <vector>\n#include <cstdio>\n"
                                    "int main(){ std::vector<char> v(1ull<<31, 1);"
                                    " std::printf(\"%d\", v[5]); }\n";
  SandboxCommand cmd;
  cmd.argv = {"sh", "-c", "g++ -O1 -o hog hog.cc && ./hog"};
  cmd.workspace = dir_;
  cmd.limits.memory_bytes = 1ull << 30;
  cmd.limits.wall = seconds(120);
  cmd.limits.cpu = seconds(60);
  Result<SandboxOutcome> cpp = run_sandboxed(cmd);
  ASSERT_TRUE(cpp.ok()) << cpp.message();
  EXPECT_EQ(cpp->reason, SandboxReason::kMemory) << cpp->stderr_text;
}

TEST_F(SandboxTest, InfiniteLoopIsKilledOnWallTime) {
  SandboxLimits limits;
  limits.wall = milliseconds(1500);
  // Sleeping uses no CPU, so only the wall clock can stop it.
  SandboxOutcome o = run({"sh", "-c", "while true; do sleep 1; done"}, limits);
  EXPECT_EQ(o.reason, SandboxReason::kTimeout);
  EXPECT_GE(o.wall_seconds, 1.4);
  EXPECT_LT(o.wall_seconds, 20);
}

TEST_F(SandboxTest, BusyLoopIsStoppedByTheCpuLimit) {
  SandboxLimits limits;
  limits.cpu = seconds(1);
  limits.wall = seconds(60);
  SandboxOutcome o = python("while True:\n    pass\n", limits);
  EXPECT_EQ(o.reason, SandboxReason::kTimeout);
  EXPECT_NE(o.signal, 0);
  // Stopped at its 1 s CPU limit, so it used about that much; a killed tree is counted too.
  EXPECT_GE(o.cpu_seconds, 0.8);
}

TEST_F(SandboxTest, CpuTimeCountsChildProcesses) {
  // The command burns nothing itself: a forked child burns 0.6 s of CPU (by its own clock),
  // and a grandchild started through sh another 0.6 s. All of it is the sandbox's CPU time.
  const std::string burn =
      "import os\n"
      "def burn():\n"
      "    while sum(os.times()[:2]) < 0.6:\n"
      "        pass\n"
      "pid = os.fork()\n"
      "if pid == 0:\n"
      "    burn()\n"
      "    os._exit(0)\n"
      "os.waitpid(pid, 0)\n"
      "os.system('python3 -c \"import os\\nwhile sum(os.times()[:2]) < 0.6: pass\"')\n"
      "print('burnt')\n";
  SandboxLimits limits;
  limits.wall = seconds(120);
  SandboxOutcome o = python(burn, limits);
  ASSERT_EQ(o.reason, SandboxReason::kOk) << o.stderr_text;
  EXPECT_EQ(o.stdout_text, "burnt\n");
  EXPECT_GE(o.cpu_seconds, 1.0);
}

TEST_F(SandboxTest, BackgroundChildrenDieWithTheSandbox) {
  SandboxLimits limits;
  limits.wall = seconds(20);
  // The command exits at once, leaving a child that holds stdout open: it must not keep
  // the sandbox alive until the wall limit.
  SandboxOutcome o = run({"sh", "-c", "(sleep 100; echo late) & echo early"}, limits);
  EXPECT_EQ(o.reason, SandboxReason::kOk);
  EXPECT_LT(o.wall_seconds, 10);
  EXPECT_EQ(o.stdout_text, "early\n");
}

TEST_F(SandboxTest, OutputBeyondTheCapIsCutWithReasonOutputLimit) {
  SandboxLimits limits;
  limits.output_bytes = 4096;
  SandboxOutcome o = run({"sh", "-c", "yes pareto"}, limits);
  EXPECT_EQ(o.reason, SandboxReason::kOutputLimit);
  EXPECT_EQ(o.stdout_text.size(), 4096u);
  EXPECT_TRUE(o.stdout_truncated);
}

TEST_F(SandboxTest, CompilesAndRunsCpp) {
  std::ofstream(dir_ / "main.cc") << "#include <iostream>\nint main(){ std::cout << 6*7; }\n";
  SandboxCommand cmd;
  cmd.argv = {"sh", "-c", "g++ -std=c++20 -O1 -o main main.cc && ./main"};
  cmd.workspace = dir_;
  cmd.limits.wall = seconds(120);
  cmd.limits.cpu = seconds(60);
  cmd.limits.memory_bytes = 2ull << 30;
  Result<SandboxOutcome> o = run_sandboxed(cmd);
  ASSERT_TRUE(o.ok()) << o.message();
  EXPECT_EQ(o->reason, SandboxReason::kOk) << o->stderr_text;
  EXPECT_EQ(o->stdout_text, "42");
  // The compiler runs in processes below bwrap's; its CPU time is the sandbox's.
  EXPECT_GE(o->cpu_seconds, 0.1);
}

TEST(SandboxErrors, MissingWorkspaceIsAnError) {
  SandboxCommand cmd;
  cmd.argv = {"true"};
  cmd.workspace = "/nonexistent/pareto/workspace";
  Result<SandboxOutcome> o = run_sandboxed(cmd);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.message().find("/nonexistent/pareto/workspace"), std::string::npos);
}

}  // namespace
}  // namespace pareto::harness
