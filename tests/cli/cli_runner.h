// Runs the real pareto binary (PARETO_BINARY) for CLI tests: arguments in, exit code and
// both output streams out. Shared by every tests/cli/*_test.cc.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace pareto::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `pareto ARGS...` in `cwd` (the current folder when empty), without colours. Output goes
// through temporary files, so a large output cannot block on a pipe.
inline CliResult run_pareto(const std::vector<std::string>& args,
                            const std::filesystem::path& cwd = {}) {
  namespace fs = std::filesystem;
  std::string pattern = (fs::temp_directory_path() / "pareto-cli-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return {};
  const fs::path dir = pattern;
  const fs::path out = dir / "out", err = dir / "err";

  std::vector<std::string> argv_text = {PARETO_BINARY};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);

  CliResult result;
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::setenv("NO_COLOR", "1", 1);  // plain diagnostics, whatever the terminal
    if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr)) {
      ::_exit(126);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  if (pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  result.out = read_whole_file(out);
  result.err = read_whole_file(err);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return result;
}

}  // namespace pareto::testing
