// The runner: executes a Plan against its tiers' backends and writes what `pareto run`
// promises in DIR (design, "Results"): manifest.json, results.jsonl (one record per item,
// appended and flushed as each item finishes) and, at the end, summary.json.
//
// How an item runs: the single-shot driver (agents/driver.h) renders its prompt; the
// result cache is asked; otherwise the request joins its tier's queue, and the tier's
// workers (Tier.concurrency of them, on a Boost.Asio pool) stream the queue through the
// backend (Backend::Serve), so an embedded tier keeps a continuous batch of up to max_batch
// items, decoding many per forward pass, an item joining as soon as another finishes.
// Each response is extracted and graded (harness/graders.h) on a second pool of `jobs`
// threads, where sandboxed tests and judge calls run; judge graders ask the judge's tier
// through its backend. Agent tasks are recorded as `unsupported`, with the reason, and the
// run goes on.
//
// Budgets (docs/harness.md): max_tokens (default kDefaultMaxTokens when the task sets
// none) is an overrun only when the answer failed its graders — a truncated answer that
// still passes had budget enough; an item past its timeout, or whose energy is above
// max_energy, is an overrun whatever its answer. An overrun item has status `budget` and
// scores 0.
//
// Energy per item: `measured:rapl` when the backend measured it (options.backend.energy,
// shared out per decode step by tokens); else `modelled` from the embedded core's
// forward-pass counters with the "cpu-ddr5" hardware profile of harness/energy.h
// (docs/energy.md); `declared` for a remote tier with joules_per_token; absent otherwise.
// Never invented.
//
// Resume: with `resume`, the items DIR/results.jsonl already holds are skipped (a torn last
// line from a killed run is cut off and its item runs again), so after a kill -9 at any
// moment, resuming yields every item of the plan exactly once. A DIR whose manifest is of
// another plan (different items, shard or seed) is refused.
//
// The cache: a finished model response is stored under a key of the model's hash (remote:
// its URL and name), the rendered request (system, prompt, mode, budget, stop strings) and
// the sampling settings with the seed; an item whose key is found is not sent to the model
// again (its record says cached, with the latencies and energy it cost when it ran) but is
// graded afresh. Responses that ended in an error or a timeout are not stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/backend.h"
#include "harness/plan.h"
#include "inference/status.h"
#include "spec/model.h"

namespace pareto::harness {

inline constexpr std::string_view kManifestSchema = "pareto.manifest/1";
// Completion tokens an item may use when its task sets no max_tokens.
inline constexpr int kDefaultMaxTokens = 512;
// The hardware profile modelled energy is priced with (harness/energy.h).
inline constexpr std::string_view kDefaultEnergyProfile = "cpu-ddr5";

struct Progress {
  std::size_t total = 0;    // items of this run (shard), including those resumed
  std::size_t done = 0;     // finished, including those already in DIR when resuming
  std::size_t resumed = 0;  // found finished in DIR at the start
  std::size_t scored = 0;   // finished this session and counted towards a score
  std::size_t passed = 0;   // of which passed
  std::size_t cached = 0;
  std::size_t errors = 0;
  std::size_t unsupported = 0;
  double elapsed_seconds = 0;
};

// What the manifest records about the program and how it was started.
struct ProgramInfo {
  std::string version;
  std::string git_commit;
  std::vector<std::string> command;  // argv
};

struct RunOptions {
  std::filesystem::path out;  // DIR
  bool resume = false;
  int jobs = 0;  // grading threads; 0: the machine's hardware threads
  // Where cached responses live; unset: no cache (--no-cache).
  std::optional<std::filesystem::path> cache_dir;
  std::string run_id;  // empty: made from the start time and the plan
  BackendOptions backend;
  ProgramInfo program;
  std::vector<std::filesystem::path> spec_files;  // hashed into the manifest
  std::optional<std::filesystem::path> tier_file;
  PlanOptions plan;  // as the plan was made (recorded in the manifest)
  // Called after each item (and once at the start) from runner threads, one call at a time.
  std::function<void(const Progress&)> on_progress;
  // Opens a tier's backend; unset: open_backend().
  std::function<Result<std::unique_ptr<Backend>>(const spec::Tier&, const BackendOptions&)> open;
};

struct RunReport {
  std::string run_id;
  Progress progress;
};

// Whether `dir` can take this plan's run: it holds nothing yet, or (with `resume`) a run of
// the same plan. The error says what is in the way (what `pareto run` reports as a usage
// error, before opening any model).
Status check_out_dir(const std::filesystem::path& dir, const Plan& plan, const PlanOptions& options,
                     bool resume);

// Runs the plan. Errors (a backend that does not open, DIR not writable, a DIR holding
// another run) are returned before any item runs; once items run, every failure of an item
// is in its record and the run goes on.
Result<RunReport> run_plan(const spec::Project& project, const Plan& plan,
                           const RunOptions& options);

// The cache folder: $PARETO_CACHE_DIR, else $XDG_CACHE_HOME/pareto, else ~/.cache/pareto.
std::filesystem::path default_cache_dir();

// Reads DIR/manifest.json.
Result<nlohmann::json> read_manifest(const std::filesystem::path& dir);

// Writes `json` to `path` through a temporary file and a rename.
Status write_json_atomically(const std::filesystem::path& path, const nlohmann::json& json);

}  // namespace pareto::harness
