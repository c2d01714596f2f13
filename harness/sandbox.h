// The sandbox: runs untrusted commands (model-written code, graders' test commands) with
// bubblewrap.
//
// Promises, for every command run through run_sandboxed():
//  - no network unless `limits.network` is set (a fresh network namespace: even loopback
//    services of the host are unreachable);
//  - a read-only system (/usr and the few /etc files programs need), a private /tmp, and
//    one writable folder, the workspace, mounted at /workspace and used as the working
//    directory; nothing else of the host: no home folder, no repository, no /root;
//  - new PID, IPC, UTS and user namespaces; when pareto runs as root the command runs as
//    the unprivileged uid/gid 65534 ("nobody");
//  - rlimits on CPU time, address space, processes and file size; a wall-clock limit that
//    kills the whole sandbox; stdout and stderr captured up to `output_bytes` each — beyond
//    that the sandbox is killed and the outcome says `output-limit`.
// Each outcome has a reason: ok, failed, timeout, memory, killed, output-limit. `memory` is
// recognised from the command's own report of a failed allocation (Python's MemoryError,
// C++'s std::bad_alloc, "Cannot allocate memory"), since an address-space limit makes
// allocations fail rather than killing the process.
// The `pareto sandbox run` command and every grader go through this one function.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inference/status.h"

namespace pareto::harness {

using inference::Result;
using inference::Status;

struct SandboxLimits {
  bool network = false;
  std::uint64_t memory_bytes = 512ull << 20;  // address space of each process
  std::chrono::milliseconds cpu{10'000};      // CPU time of each process
  std::chrono::milliseconds wall{30'000};     // wall clock of the whole sandbox
  int procs = 64;                             // processes and threads at once
  std::uint64_t file_size_bytes = 64ull << 20;
  std::uint64_t output_bytes = 1ull << 20;  // captured per stream
};

struct SandboxCommand {
  std::vector<std::string> argv;  // argv[0] is looked up on the sandbox's PATH
  // Mounted read-write at /workspace. Empty: a fresh empty folder, removed afterwards.
  std::filesystem::path workspace;
  std::string stdin_data;
  std::vector<std::pair<std::string, std::string>> env;  // on top of PATH, HOME, LANG, TMPDIR
  SandboxLimits limits;
};

enum class SandboxReason { kOk, kFailed, kTimeout, kMemory, kKilled, kOutputLimit };
std::string_view to_string(SandboxReason reason);

struct SandboxOutcome {
  SandboxReason reason = SandboxReason::kFailed;
  int exit_status = -1;  // the command's exit status; 128+N when signal N ended it
  int signal = 0;        // the signal that ended the command, 0 if it exited
  double wall_seconds = 0;
  // User + system time of the command's process tree (what it and its descendants waited
  // for; 10 ms resolution) and of bwrap; bwrap's alone when the sandbox was killed whole.
  double cpu_seconds = 0;
  std::string stdout_text;
  std::string stderr_text;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
};

// Runs `command` in a fresh sandbox and waits for it. An error (not an outcome) only when
// the sandbox itself cannot be set up: bwrap missing, workspace unusable, fork failed.
Result<SandboxOutcome> run_sandboxed(const SandboxCommand& command);

// Whether bubblewrap is installed and can create namespaces here; the message says why not.
Status sandbox_available();

}  // namespace pareto::harness
