// pareto sandbox run: one command in exactly the sandbox the graders use, so a user can
// reproduce a grader's environment. Exits with the command's status.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/cli/commands.h"
#include "harness/sandbox.h"
#include "spec/lexer.h"

namespace pareto::cli {
namespace {

// Reads a limit written as in spec files ("512MiB", "10s") with the spec language's own
// lexer, so the units are exactly those of sandbox { ... } blocks.
bool parse_quantity(const std::string& option, const std::string& text, spec::ValueKind kind,
                    double& out) {
  spec::Diagnostics diagnostics;
  std::vector<spec::Token> tokens = spec::lex(spec::SourceFile(option, text), diagnostics);
  if (tokens.size() == 2 && tokens[0].kind == spec::TokenKind::kQuantity && !tokens[0].invalid &&
      tokens[0].quantity_kind == kind && tokens[0].quantity >= 0) {
    out = tokens[0].quantity;
    return true;
  }
  std::fprintf(stderr, "pareto sandbox run: %s `%s` is not a %s (for example %s)\n", option.c_str(),
               text.c_str(), kind == spec::ValueKind::kSize ? "size" : "duration",
               kind == spec::ValueKind::kSize ? "512MiB" : "10s or 250ms");
  return false;
}

struct SandboxRunOptions {
  std::string network = "off";
  std::string memory, cpu, wall, file_size, output;
  int procs = harness::SandboxLimits{}.procs;
  std::string workspace;
  bool json = false;
  std::vector<std::string> command;
};

int run_sandbox_command(const SandboxRunOptions& o) {
  harness::SandboxCommand cmd;
  cmd.argv = o.command;
  cmd.workspace = o.workspace;
  harness::SandboxLimits& limits = cmd.limits;
  limits.network = o.network == "on";
  limits.procs = o.procs;
  double value = 0;
  auto size = [&](const char* name, const std::string& text, std::uint64_t& field) {
    if (text.empty()) return true;
    if (!parse_quantity(name, text, spec::ValueKind::kSize, value)) return false;
    field = static_cast<std::uint64_t>(value);
    return true;
  };
  auto duration = [&](const char* name, const std::string& text, std::chrono::milliseconds& field) {
    if (text.empty()) return true;
    if (!parse_quantity(name, text, spec::ValueKind::kDuration, value)) return false;
    field = std::chrono::milliseconds(static_cast<long long>(value * 1000.0 + 0.5));
    return true;
  };
  if (!size("--memory", o.memory, limits.memory_bytes) ||
      !size("--file-size", o.file_size, limits.file_size_bytes) ||
      !size("--output", o.output, limits.output_bytes) || !duration("--cpu", o.cpu, limits.cpu) ||
      !duration("--wall", o.wall, limits.wall)) {
    return kUsage;
  }

  harness::Result<harness::SandboxOutcome> outcome = harness::run_sandboxed(cmd);
  if (!outcome.ok()) {
    std::fprintf(stderr, "pareto sandbox run: %s\n", outcome.message().c_str());
    return kRuntime;
  }
  const harness::SandboxOutcome& r = *outcome;
  if (o.json) {
    nlohmann::json j = {{"outcome", r.reason == harness::SandboxReason::kOk ? "ok" : "error"},
                        {"reason", std::string(harness::to_string(r.reason))},
                        {"exit_status", r.exit_status},
                        {"signal", r.signal},
                        {"wall_seconds", r.wall_seconds},
                        {"cpu_seconds", r.cpu_seconds},
                        {"stdout", r.stdout_text},
                        {"stderr", r.stderr_text},
                        {"stdout_truncated", r.stdout_truncated},
                        {"stderr_truncated", r.stderr_truncated}};
    // Model output may hold any bytes: replace what is not UTF-8 rather than fail.
    std::puts(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::fwrite(r.stdout_text.data(), 1, r.stdout_text.size(), stdout);
    std::fwrite(r.stderr_text.data(), 1, r.stderr_text.size(), stderr);
    if (r.reason != harness::SandboxReason::kOk && r.reason != harness::SandboxReason::kFailed) {
      std::fprintf(stderr, "pareto sandbox run: %s after %.2fs\n",
                   std::string(harness::to_string(r.reason)).c_str(), r.wall_seconds);
    }
  }
  return r.exit_status < 0 ? kRuntime : r.exit_status;
}

}  // namespace

void add_sandbox_commands(CLI::App& app, int& exit_code) {
  CLI::App* sandbox = app.add_subcommand("sandbox", "run a command in the graders' sandbox");
  sandbox->require_subcommand(1);
  auto o = std::make_shared<SandboxRunOptions>();
  const harness::SandboxLimits defaults;
  CLI::App* run = sandbox->add_subcommand(
      "run",
      "run CMD in the sandbox graders use (no network, read-only system, a private "
      "workspace, rlimits); exits with CMD's status");
  run->add_option("--network", o->network, "network access")
      ->check(CLI::IsMember({"off", "on"}))
      ->capture_default_str();
  run->add_option(
      "--memory", o->memory,
      fmt::format("address space per process (default {}MiB)", defaults.memory_bytes >> 20));
  run->add_option("--cpu", o->cpu,
                  fmt::format("CPU time per process (default {}s)", defaults.cpu.count() / 1000));
  run->add_option(
      "--wall", o->wall,
      fmt::format("wall clock of the whole sandbox (default {}s)", defaults.wall.count() / 1000));
  run->add_option("--procs", o->procs, "processes at once")->capture_default_str();
  run->add_option(
      "--file-size", o->file_size,
      fmt::format("largest file written (default {}MiB)", defaults.file_size_bytes >> 20));
  run->add_option("--output", o->output,
                  fmt::format("stdout/stderr captured per stream (default {}MiB)",
                              defaults.output_bytes >> 20));
  run->add_option("--workspace", o->workspace,
                  "folder mounted read-write at /workspace (default: a fresh empty one)")
      ->check(CLI::ExistingDirectory);
  run->add_flag("--json", o->json, "print the outcome, reason, status, times and output as JSON");
  run->add_option("command", o->command, "the command and its arguments, after --")->required();
  run->callback([o, &exit_code] { exit_code = run_sandbox_command(*o); });
}

}  // namespace pareto::cli
