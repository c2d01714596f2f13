#include "harness/sandbox.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>

namespace pareto::harness {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The uid/gid a root-run pareto drops to before starting bubblewrap, so that the kernel's
// per-user process limit applies and nothing in the sandbox is root, even in a namespace.
constexpr uid_t kNobody = 65534;

std::string errno_text(int err) { return std::strerror(err); }

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// Removes a folder tree when it goes out of scope (the fresh workspace of a command that
// did not bring one).
class TempDir {
 public:
  TempDir() = default;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  Status create() {
    std::string pattern = (fs::temp_directory_path() / "pareto-sandbox-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Status::Error("cannot create a sandbox workspace in " +
                           fs::temp_directory_path().string() + ": " + errno_text(errno));
    }
    path_ = pattern;
    return Status::Ok();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string find_bwrap() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  dirs += ":/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    if (end > start) {
      fs::path candidate = fs::path(dirs.substr(start, end - start)) / "bwrap";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    start = end + 1;
  }
  return {};
}

// Number of processes whose real uid is `uid`: RLIMIT_NPROC counts them all, so the limit
// we set is this plus the sandbox's own allowance.
int count_processes_of(uid_t uid) {
  int count = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::ifstream status(entry.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("Uid:", 0) == 0) {
        if (static_cast<uid_t>(std::strtoul(line.c_str() + 4, nullptr, 10)) == uid) ++count;
        break;
      }
    }
  }
  return count;
}

// Gives every file under `root` to uid/gid; the sandbox user must be able to write the
// workspace, and the files it made are given back afterwards.
void chown_tree(const fs::path& root, uid_t uid, gid_t gid) {
  ::lchown(root.c_str(), uid, gid);
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    ::lchown(it->path().c_str(), uid, gid);
  }
}

// The descriptors the sandbox's child hands bwrap at fixed numbers: the workspace it binds,
// and the pipe the command's CPU time comes back on. Single digits: dash redirects no other.
constexpr int kReportFd = 8;
constexpr int kWorkspaceFd = 9;

// What wraps the command inside the sandbox: a shell that runs it (with the report pipe
// closed, so the command cannot write there), then writes `times` — its children's user and
// system time, which holds everything the command's own process tree reaped — to the pipe,
// and exits with the command's status. bwrap's outer process exits without reaping its PID
// namespace's init, so waiting for bwrap alone counts none of the command's CPU time, and
// waiting for that init to be reaped costs the namespaces' teardown (tens of ms).
constexpr const char* kTimesWrapper = "\"$@\" 8>&-; s=$?; times >&8 2>/dev/null; exit $s";

// Seconds in one `times` figure as dash and bash write it: "1m2.345000s".
std::optional<double> parse_times_figure(std::string_view text) {
  const auto m = text.find('m');
  if (m == std::string_view::npos || text.empty() || text.back() != 's') return std::nullopt;
  double minutes = 0, seconds = 0;
  const std::string_view min_text = text.substr(0, m);
  const std::string_view sec_text = text.substr(m + 1, text.size() - m - 2);
  auto [p1, e1] = std::from_chars(min_text.data(), min_text.data() + min_text.size(), minutes);
  auto [p2, e2] = std::from_chars(sec_text.data(), sec_text.data() + sec_text.size(), seconds);
  if (e1 != std::errc() || e2 != std::errc() || p1 != min_text.data() + min_text.size() ||
      p2 != sec_text.data() + sec_text.size() || minutes < 0 || seconds < 0) {
    return std::nullopt;
  }
  return minutes * 60 + seconds;
}

// The children's CPU seconds in `times` output (its second line: children's user, then
// system time); nullopt for anything else.
std::optional<double> children_cpu_seconds(std::string_view report) {
  const auto eol = report.find('\n');
  if (eol == std::string_view::npos) return std::nullopt;
  std::string_view line = report.substr(eol + 1);
  if (const auto end = line.find('\n'); end != std::string_view::npos) line = line.substr(0, end);
  const auto space = line.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto user = parse_times_figure(line.substr(0, space));
  auto system = parse_times_figure(line.substr(space + 1));
  if (!user || !system) return std::nullopt;
  return *user + *system;
}

bool is_symlink(const char* path) {
  struct stat st {};
  return ::lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

std::vector<std::string> bwrap_arguments(const std::string& bwrap, const SandboxCommand& cmd) {
  std::vector<std::string> a = {
      bwrap,           "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
      "--new-session", "--hostname",    "sandbox"};
  if (cmd.limits.network) a.push_back("--share-net");
  // A read-only system: /usr, and the merged-/usr links (or folders) beside it.
  a.insert(a.end(), {"--ro-bind", "/usr", "/usr"});
  for (const char* dir : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    if (is_symlink(dir)) {
      std::error_code ec;
      fs::path target = fs::read_symlink(dir, ec);
      if (!ec) a.insert(a.end(), {"--symlink", target.string(), dir});
    } else {
      a.insert(a.end(), {"--ro-bind-try", dir, dir});
    }
  }
  // Only the /etc files ordinary programs need; never the host's secrets.
  for (const char* file :
       {"/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
        "/etc/localtime", "/etc/python3", "/etc/python3.11"}) {
    a.insert(a.end(), {"--ro-bind-try", file, file});
  }
  if (cmd.limits.network) {
    for (const char* file : {"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl",
                             "/etc/ca-certificates"}) {
      a.insert(a.end(), {"--ro-bind-try", file, file});
    }
  }
  a.insert(a.end(), {"--proc", "/proc", "--dev", "/dev", "--size",
                     std::to_string(cmd.limits.memory_bytes), "--tmpfs", "/tmp"});
  a.insert(a.end(),
           {"--bind-fd", std::to_string(kWorkspaceFd), "/workspace", "--chdir", "/workspace"});
  // The root the mounts above hang from is bwrap's own tmpfs: read-only too.
  a.insert(a.end(), {"--remount-ro", "/"});
  a.insert(a.end(), {"--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv",
                     "HOME", "/workspace", "--setenv", "TMPDIR", "/tmp", "--setenv", "LANG",
                     "C.UTF-8", "--setenv", "PYTHONDONTWRITEBYTECODE", "1"});
  for (const auto& [key, value] : cmd.env) a.insert(a.end(), {"--setenv", key, value});
  a.insert(a.end(), {"--", "/bin/sh", "-c", kTimesWrapper, "sh"});
  a.insert(a.end(), cmd.argv.begin(), cmd.argv.end());
  return a;
}

bool mentions_allocation_failure(const std::string& text) {
  for (const char* marker : {"MemoryError", "std::bad_alloc", "Cannot allocate memory",
                             "out of memory", "Out of memory"}) {
    if (text.find(marker) != std::string::npos) return true;
  }
  return false;
}

// Captures one stream up to a cap; past the cap the rest is counted, not kept.
struct Capture {
  std::string text;
  bool truncated = false;
  void add(const char* data, size_t n, std::uint64_t cap) {
    size_t room = text.size() < cap ? cap - text.size() : 0;
    text.append(data, std::min(n, room));
    if (n > room) truncated = true;
  }
};

}  // namespace

std::string_view to_string(SandboxReason reason) {
  switch (reason) {
    case SandboxReason::kOk:
      return "ok";
    case SandboxReason::kFailed:
      return "failed";
    case SandboxReason::kTimeout:
      return "timeout";
    case SandboxReason::kMemory:
      return "memory";
    case SandboxReason::kKilled:
      return "killed";
    case SandboxReason::kOutputLimit:
      return "output-limit";
  }
  return "failed";
}

Status sandbox_available() {
  if (find_bwrap().empty()) {
    return Status::Error("bubblewrap (bwrap) is not installed; scripts/deps installs it");
  }
  SandboxCommand probe;
  probe.argv = {"true"};
  probe.limits.wall = std::chrono::seconds(20);
  Result<SandboxOutcome> outcome = run_sandboxed(probe);
  if (!outcome.ok()) return outcome.status();
  if (outcome->reason != SandboxReason::kOk) {
    return Status::Error("bubblewrap cannot create a sandbox here: " + outcome->stderr_text);
  }
  return Status::Ok();
}

Result<SandboxOutcome> run_sandboxed(const SandboxCommand& cmd) {
  if (cmd.argv.empty()) return Status::Error("sandbox: no command to run");
  const std::string bwrap = find_bwrap();
  if (bwrap.empty()) {
    return Status::Error("bubblewrap (bwrap) is not installed; scripts/deps installs it");
  }

  TempDir fresh;
  fs::path workspace = cmd.workspace;
  if (workspace.empty()) {
    if (Status s = fresh.create(); !s.ok()) return s;
    workspace = fresh.path();
  }
  struct stat ws {};
  if (::stat(workspace.c_str(), &ws) != 0 || !S_ISDIR(ws.st_mode)) {
    return Status::Error("sandbox workspace " + workspace.string() + " is not a folder");
  }
  // Opened here, as the caller, and handed to bwrap by descriptor: the sandbox user needs
  // no access to the path leading to it.
  Fd workspace_fd(::open(workspace.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (workspace_fd.get() < 0) {
    return Status::Error("cannot open sandbox workspace " + workspace.string() + ": " +
                         errno_text(errno));
  }

  const bool as_root = ::geteuid() == 0;
  const uid_t run_uid = as_root ? kNobody : ::getuid();
  if (as_root) chown_tree(workspace, kNobody, kNobody);

  // Everything the child needs is built before fork(): after it, only async-signal-safe
  // calls are allowed.
  std::vector<std::string> args = bwrap_arguments(bwrap, cmd);
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::string env_path = "PATH=/usr/bin:/bin";
  std::array<char*, 2> envp = {env_path.data(), nullptr};

  auto seconds_rounded_up = [](std::chrono::milliseconds ms) {
    return static_cast<rlim_t>((ms.count() + 999) / 1000);
  };
  const rlim_t cpu = std::max<rlim_t>(1, seconds_rounded_up(cmd.limits.cpu));
  // bwrap itself is two processes of the same user and the wrapping shell one more; others
  // of the user count too.
  const rlim_t nproc = static_cast<rlim_t>(count_processes_of(run_uid) + cmd.limits.procs + 3);
  const struct rlimit limit_cpu = {cpu, cpu + 1};
  const struct rlimit limit_as = {cmd.limits.memory_bytes, cmd.limits.memory_bytes};
  const struct rlimit limit_nproc = {nproc, nproc};
  const struct rlimit limit_fsize = {cmd.limits.file_size_bytes, cmd.limits.file_size_bytes};
  const struct rlimit limit_core = {0, 0};

  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return Status::Error("pipe: " + errno_text(errno));
  Fd in_read(in_pipe[0]), in_write(in_pipe[1]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Status::Error("pipe: " + errno_text(errno));
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return Status::Error("pipe: " + errno_text(errno));
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);
  int report_pipe[2];
  if (::pipe2(report_pipe, O_CLOEXEC) != 0) return Status::Error("pipe: " + errno_text(errno));
  Fd report_read(report_pipe[0]), report_write(report_pipe[1]);

  const auto start = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) return Status::Error("fork: " + errno_text(errno));
  if (pid == 0) {
    // The child: its own session (so the whole group can be killed), the pipes as stdio,
    // the unprivileged user when we are root, the rlimits, then bwrap.
    ::setsid();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The report pipe and the workspace at their fixed numbers (through copies above them,
    // so that neither overwrites the other), without close-on-exec: bwrap passes them on.
    const int report_high = ::fcntl(report_pipe[1], F_DUPFD_CLOEXEC, 10);
    const int workspace_high = ::fcntl(workspace_fd.get(), F_DUPFD_CLOEXEC, 10);
    if (report_high < 0 || workspace_high < 0 || ::dup2(in_pipe[0], 0) < 0 ||
        ::dup2(out_pipe[1], 1) < 0 || ::dup2(err_pipe[1], 2) < 0 ||
        ::dup2(report_high, kReportFd) < 0 || ::dup2(workspace_high, kWorkspaceFd) < 0) {
      ::_exit(126);
    }
    if (as_root) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
        ::_exit(126);
      }
    }
    ::setrlimit(RLIMIT_CPU, &limit_cpu);
    ::setrlimit(RLIMIT_AS, &limit_as);
    ::setrlimit(RLIMIT_NPROC, &limit_nproc);
    ::setrlimit(RLIMIT_FSIZE, &limit_fsize);
    ::setrlimit(RLIMIT_CORE, &limit_core);
    ::execve(bwrap.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  in_read.reset();
  out_write.reset();
  err_write.reset();
  report_write.reset();
  // Read once at the end without waiting: the shell writes before bwrap exits, while
  // bwrap's init may hold the pipe open a while longer.
  ::fcntl(report_read.get(), F_SETFL, ::fcntl(report_read.get(), F_GETFL) | O_NONBLOCK);
  for (int fd : {in_write.get(), out_read.get(), err_read.get()}) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  if (cmd.stdin_data.empty()) in_write.reset();

  Capture out, err;
  size_t stdin_written = 0;
  bool wall_expired = false, output_exceeded = false, killed = false;
  const auto deadline = start + cmd.limits.wall;
  auto kill_all = [&] {
    if (!killed) ::kill(-pid, SIGKILL);
    killed = true;
  };

  int status = 0;
  struct rusage usage {};
  bool reaped = false;
  std::array<char, 65536> buffer{};
  while (true) {
    std::vector<pollfd> fds;
    if (out_read.get() >= 0) fds.push_back({out_read.get(), POLLIN, 0});
    if (err_read.get() >= 0) fds.push_back({err_read.get(), POLLIN, 0});
    if (in_write.get() >= 0) fds.push_back({in_write.get(), POLLOUT, 0});
    if (!reaped && ::wait4(pid, &status, WNOHANG, &usage) == pid) reaped = true;
    if (fds.empty() && reaped) break;

    const auto now = Clock::now();
    if (now >= deadline && !killed) {
      wall_expired = true;
      kill_all();
    }
    // Once the command is gone, descendants that kept the pipes open die with the PID
    // namespace; poll in short steps until then.
    int wait_ms = 50;
    if (!killed) {
      wait_ms = static_cast<int>(std::clamp<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count(), 1, 50));
    }
    if (fds.empty()) {
      ::usleep(static_cast<useconds_t>(wait_ms) * 1000);
      continue;
    }
    if (::poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR) break;
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in_write.get()) {
        ssize_t n = ::write(p.fd, cmd.stdin_data.data() + stdin_written,
                            cmd.stdin_data.size() - stdin_written);
        if (n > 0) stdin_written += static_cast<size_t>(n);
        if (n < 0 || stdin_written == cmd.stdin_data.size()) in_write.reset();
        continue;
      }
      Capture& capture = p.fd == out_read.get() ? out : err;
      ssize_t n = ::read(p.fd, buffer.data(), buffer.size());
      if (n > 0) {
        capture.add(buffer.data(), static_cast<size_t>(n), cmd.limits.output_bytes);
        if (capture.truncated && !output_exceeded) {
          output_exceeded = true;
          kill_all();
        }
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        (p.fd == out_read.get() ? out_read : err_read).reset();
      }
    }
  }

  SandboxOutcome outcome;
  outcome.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // bwrap's own time, and the command's tree as the wrapping shell reported it (nothing when
  // the whole sandbox was killed before it could).
  outcome.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                        static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  {
    std::array<char, 256> report{};
    const ssize_t n = ::read(report_read.get(), report.data(), report.size());
    if (n > 0) {
      if (auto tree =
              children_cpu_seconds(std::string_view(report.data(), static_cast<size_t>(n)))) {
        outcome.cpu_seconds += *tree;
      }
    }
  }
  outcome.stdout_text = std::move(out.text);
  outcome.stderr_text = std::move(err.text);
  outcome.stdout_truncated = out.truncated;
  outcome.stderr_truncated = err.truncated;
  if (WIFEXITED(status)) {
    outcome.exit_status = WEXITSTATUS(status);
    // bwrap reports a command ended by signal N as exit status 128+N.
    if (outcome.exit_status > 128 && outcome.exit_status < 128 + NSIG) {
      outcome.signal = outcome.exit_status - 128;
    }
  } else if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
    outcome.exit_status = 128 + outcome.signal;
  }
  if (as_root) chown_tree(workspace, ws.st_uid, ws.st_gid);

  const double cpu_limit = std::chrono::duration<double>(cmd.limits.cpu).count();
  if (output_exceeded || outcome.signal == SIGXFSZ) {
    outcome.reason = SandboxReason::kOutputLimit;
  } else if (wall_expired || outcome.signal == SIGXCPU ||
             (outcome.signal == SIGKILL && outcome.cpu_seconds >= cpu_limit)) {
    outcome.reason = SandboxReason::kTimeout;
  } else if (outcome.exit_status != 0 && mentions_allocation_failure(outcome.stderr_text)) {
    outcome.reason = SandboxReason::kMemory;
  } else if (outcome.signal != 0) {
    outcome.reason = SandboxReason::kKilled;
  } else {
    outcome.reason = outcome.exit_status == 0 ? SandboxReason::kOk : SandboxReason::kFailed;
  }
  return outcome;
}

}  // namespace pareto::harness
