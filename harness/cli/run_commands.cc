// run, merge, models: the harness on the command line.
//
//   pareto run PATH... [--tier-file FILE] [--tiers flash,pro,ultra] [--repeats K] [--out DIR]
//              [--jobs N] [--shard I/N] [--select FILE] [--seed S] [--batch B] [--resume]
//              [--no-cache] [--baseline DIR --max-drop X]
//   pareto merge DIR... --out DIR [--dedupe]
//   pareto models [--tier-file FILE] [--json]
//
// The tier file is --tier-file, else ./tiers.pareto, else the bundled default
// (inference/models/tiers.pareto beside the binary's source tree). Exit codes: 0 ok; 1 the
// baseline comparison found a regression; 2 usage or spec error; 3 runtime error.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "harness/backend.h"
#include "harness/cli/commands.h"
#include "harness/compare.h"
#include "harness/energy.h"
#include "harness/plan.h"
#include "harness/record.h"
#include "harness/runner.h"
#include "harness/sha256.h"
#include "harness/summary.h"
#include "inference/model.h"
#include "spec/checker.h"
#include "suites/generators.h"

namespace pareto::cli {
namespace {

namespace fs = std::filesystem;
using inference::Status;
using nlohmann::json;

spec::RenderOptions render_options() {
  spec::RenderOptions options;
  options.color = isatty(STDERR_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
  return options;
}

// The folder of the running binary (from /proc/self/exe), or empty.
fs::path binary_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

}  // namespace

// --tier-file, else ./tiers.pareto, else the bundled default: looked for beside the binary
// (build/pareto -> inference/models/tiers.pareto of the same checkout, or an installed
// share/pareto/tiers.pareto), then in the source tree the binary was built from.
std::optional<fs::path> find_tier_file(const std::string& given, std::string* error) {
  std::error_code ec;
  if (!given.empty()) {
    if (!fs::is_regular_file(given, ec)) {
      *error = fmt::format("{}: no such tier file", given);
      return std::nullopt;
    }
    return fs::path(given);
  }
  if (fs::is_regular_file("tiers.pareto", ec)) return fs::path("tiers.pareto");
  std::vector<fs::path> candidates;
  if (const fs::path bin = binary_dir(); !bin.empty()) {
    candidates.push_back(bin.parent_path() / "inference/models/tiers.pareto");
    candidates.push_back(bin.parent_path() / "share/pareto/tiers.pareto");
  }
  const fs::path source = fs::path(PARETO_SOURCE_DIR) / "inference/models/tiers.pareto";
  if (std::find(candidates.begin(), candidates.end(), source) == candidates.end()) {
    candidates.push_back(source);
  }
  for (const fs::path& c : candidates) {
    if (fs::is_regular_file(c, ec)) return fs::weakly_canonical(c, ec);
  }
  std::string looked;
  for (const fs::path& c : candidates) looked += "\n  " + c.string();
  *error =
      "no tier file: pass --tier-file FILE, put a tiers.pareto in the current folder, or "
      "build the bundled default tiers; looked for:" +
      looked;
  return std::nullopt;
}

// Checks the spec files and the tier file together; diagnostics go to stderr.
std::optional<spec::CheckResult> check_project(const std::vector<std::string>& paths,
                                               const fs::path& tier_file,
                                               std::vector<fs::path>* spec_files) {
  spec::Diagnostics problems;
  std::vector<fs::path> files =
      paths.empty() ? std::vector<fs::path>{} : spec::find_spec_files(paths, problems);
  std::fputs(problems.render(render_options()).c_str(), stderr);
  if (!problems.empty()) return std::nullopt;
  *spec_files = files;
  std::error_code ec;
  const fs::path tier_abs = fs::weakly_canonical(fs::absolute(tier_file, ec), ec);
  const bool listed = std::any_of(files.begin(), files.end(), [&](const fs::path& f) {
    std::error_code e;
    return fs::weakly_canonical(fs::absolute(f, e), e) == tier_abs;
  });
  if (!listed) files.push_back(tier_file);
  const spec::GeneratorRegistry generators = suites::builtin_generators();
  spec::CheckResult result = spec::check_files(files, generators, {});
  if (!result.ok()) {
    std::fputs(result.diagnostics.render(render_options()).c_str(), stderr);
    return std::nullopt;
  }
  return result;
}

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string duration_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

// ---- run ----

struct RunArgs {
  std::vector<std::string> paths;
  std::string tier_file;
  std::string tiers;
  int repeats = 1;
  std::string out;
  int jobs = 0;
  std::string shard;
  std::string select;
  std::string meter = "auto";
  std::uint64_t seed = 0;
  int batch = 8;
  bool resume = false;
  bool no_cache = false;
  std::string baseline;
  double max_drop = 0.02;
  bool max_drop_given = false;
  std::vector<std::string> argv;
};

// A one-line progress display on a terminal: done/total, pass rate, rate and ETA.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  void Update(const harness::Progress& p) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (p.done < p.total && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const std::size_t ran = p.done - p.resumed;
    const double rate = p.elapsed_seconds > 0 ? static_cast<double>(ran) / p.elapsed_seconds : 0;
    std::string eta = "-";
    if (rate > 0) eta = duration_text(static_cast<double>(p.total - p.done) / rate);
    const std::string pass = p.scored > 0
                                 ? fmt::format("{:.1f}%", 100.0 * static_cast<double>(p.passed) /
                                                              static_cast<double>(p.scored))
                                 : "-";
    std::fprintf(stderr, "\r\033[K%zu/%zu items  pass %s  %.1f items/s  ETA %s", p.done, p.total,
                 pass.c_str(), rate, eta.c_str());
    if (p.done == p.total) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_{};
};

int run_run(const RunArgs& a) {
  if (a.repeats < 1) {
    std::fprintf(stderr, "pareto run: --repeats must be at least 1\n");
    return kUsage;
  }
  if (!a.baseline.empty() && !(a.max_drop >= 0 && a.max_drop <= 1)) {
    std::fprintf(stderr, "pareto run: --max-drop is a score difference in [0, 1]\n");
    return kUsage;
  }
  if (a.baseline.empty() && a.max_drop_given) {
    std::fprintf(stderr, "pareto run: --max-drop needs --baseline DIR\n");
    return kUsage;
  }
  if (!a.baseline.empty() && !fs::exists(fs::path(a.baseline) / "results.jsonl")) {
    std::fprintf(stderr, "pareto run: --baseline %s: no results.jsonl there\n", a.baseline.c_str());
    return kUsage;
  }
  if (a.jobs < 0 || a.batch < 1) {
    std::fprintf(stderr, "pareto run: --jobs must be >= 0 and --batch >= 1\n");
    return kUsage;
  }
  std::string error;
  auto tier_file = find_tier_file(a.tier_file, &error);
  if (!tier_file) {
    std::fprintf(stderr, "pareto run: %s\n", error.c_str());
    return kUsage;
  }
  std::vector<fs::path> spec_files;
  auto checked = check_project(a.paths, *tier_file, &spec_files);
  if (!checked) return kUsage;

  harness::PlanOptions plan_options;
  plan_options.tiers = split_list(a.tiers);
  plan_options.repeats = a.repeats;
  plan_options.seed = a.seed;
  if (!a.shard.empty()) {
    auto shard = harness::parse_shard(a.shard);
    if (!shard.ok()) {
      std::fprintf(stderr, "pareto run: %s\n", shard.message().c_str());
      return kUsage;
    }
    plan_options.shard = *shard;
  }
  if (!a.select.empty()) {
    auto selection = harness::read_selection(a.select);
    if (!selection.ok()) {
      std::fprintf(stderr, "pareto run: %s\n", selection.message().c_str());
      return kUsage;
    }
    plan_options.selection = std::move(*selection);
  }
  auto plan = harness::make_plan(checked->project, plan_options);
  if (!plan.ok()) {
    std::fprintf(stderr, "pareto run: %s\n", plan.message().c_str());
    return kUsage;
  }

  harness::RunOptions options;
  options.plan = plan_options;
  options.resume = a.resume;
  options.jobs = a.jobs;
  options.backend.batch = a.batch;
  // Measured energy: RAPL where powercap is readable (auto), or as asked.
  if (a.meter != "none") {
    harness::RaplOptions rapl;
    if (const char* root = std::getenv("PARETO_POWERCAP"); root && *root) rapl.root = root;
    auto meter = harness::RaplMeter::Open(rapl);
    harness::Result<std::shared_ptr<harness::EnergyTap>> tap =
        meter.ok()
            ? harness::EnergyTap::Open(std::shared_ptr<harness::EnergyMeter>(std::move(*meter)))
            : harness::Result<std::shared_ptr<harness::EnergyTap>>(meter.status());
    if (tap.ok()) {
      options.backend.energy = std::move(*tap);
    } else if (a.meter == "rapl") {
      std::fprintf(stderr, "pareto run: --meter rapl: %s\n", tap.message().c_str());
      return kRuntime;
    }
  }
  if (!a.no_cache) options.cache_dir = harness::default_cache_dir();
  options.program = {PARETO_VERSION, PARETO_GIT_COMMIT, a.argv};
  options.spec_files = spec_files;
  options.tier_file = *tier_file;
  options.out = a.out;
  if (options.out.empty()) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    options.out =
        fs::path("runs") / fmt::format("{:04}{:02}{:02}-{:02}{:02}{:02}", tm.tm_year + 1900,
                                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  }
  if (Status s = harness::check_out_dir(options.out, *plan, plan_options, a.resume); !s.ok()) {
    std::fprintf(stderr, "pareto run: %s\n", s.message().c_str());
    return kUsage;
  }
  ProgressLine line(isatty(STDERR_FILENO) != 0);
  options.on_progress = [&line](const harness::Progress& p) { line.Update(p); };

  auto report = harness::run_plan(checked->project, *plan, options);
  if (!report.ok()) {
    std::fprintf(stderr, "pareto run: %s\n", report.message().c_str());
    return kRuntime;
  }
  if (Status s = harness::write_summary(options.out); !s.ok()) {
    std::fprintf(stderr, "pareto run: writing the summary: %s\n", s.message().c_str());
    return kRuntime;
  }
  const harness::Progress& p = report->progress;
  std::printf("%s\n",
              fmt::format("run {}: {} items in {} ({} resumed, {} from the cache); {} of {} "
                          "scored items passed, {} errors, {} unsupported",
                          report->run_id, p.total, options.out.string(), p.resumed, p.cached,
                          p.passed, p.scored, p.errors, p.unsupported)
                  .c_str());
  if (a.baseline.empty()) return kOk;
  harness::CompareOptions compare;
  compare.max_drop = a.max_drop;
  auto comparison = harness::compare_dirs(a.baseline, options.out, compare);
  if (!comparison.ok()) {
    std::fprintf(stderr, "pareto run: comparing with %s: %s\n", a.baseline.c_str(),
                 comparison.message().c_str());
    return kRuntime;
  }
  if (comparison->has_regression()) {
    std::printf("regressions against %s (significant drops beyond %.1f points):\n",
                a.baseline.c_str(), 100 * a.max_drop);
    for (const std::string& r : comparison->regressions()) std::printf("  %s\n", r.c_str());
    return kFailedBar;
  }
  std::printf("no significant drop beyond %.1f points against %s (%lld paired items)\n",
              100 * a.max_drop, a.baseline.c_str(), static_cast<long long>(comparison->paired));
  return kOk;
}

// ---- merge ----

struct MergeArgs {
  std::vector<std::string> dirs;
  std::string out;
  bool dedupe = false;
};

int run_merge(const MergeArgs& a) {
  std::vector<json> manifests;
  for (const std::string& d : a.dirs) {
    auto m = harness::read_manifest(d);
    if (!m.ok()) {
      std::fprintf(stderr, "pareto merge: %s\n", m.message().c_str());
      return kUsage;
    }
    manifests.push_back(std::move(*m));
  }
  // Every part must be of the same plan: the same full plan, seed and repeats.
  const json& first = manifests.front();
  for (std::size_t i = 1; i < manifests.size(); ++i) {
    for (const char* key : {"full_hash", "seed", "repeats"}) {
      const json a_value = first.value("plan", json::object()).value(key, json());
      const json b_value = manifests[i].value("plan", json::object()).value(key, json());
      if (a_value != b_value) {
        std::fprintf(stderr,
                     "pareto merge: %s and %s are runs of different plans (%s: %s vs %s); only "
                     "shards of one plan merge\n",
                     a.dirs[0].c_str(), a.dirs[i].c_str(), key, a_value.dump().c_str(),
                     b_value.dump().c_str());
        return kUsage;
      }
    }
  }
  std::error_code ec;
  const fs::path out = a.out;
  if (fs::exists(out / "results.jsonl", ec) || fs::exists(out / "manifest.json", ec)) {
    std::fprintf(stderr, "pareto merge: %s already holds a run; choose another --out\n",
                 out.string().c_str());
    return kUsage;
  }
  std::vector<harness::ItemRecord> records;
  std::map<std::string, std::string> seen;  // item id -> the folder it came from
  std::size_t duplicates = 0;
  for (std::size_t i = 0; i < a.dirs.size(); ++i) {
    auto results = harness::read_results(fs::path(a.dirs[i]) / "results.jsonl");
    if (!results.ok()) {
      std::fprintf(stderr, "pareto merge: %s\n", results.message().c_str());
      return kUsage;
    }
    for (harness::ItemRecord& r : results->records) {
      auto [at, inserted] = seen.try_emplace(r.item_id, a.dirs[i]);
      if (!inserted) {
        if (!a.dedupe) {
          std::fprintf(stderr,
                       "pareto merge: item %s (%s/%s on %s, sample %s, repeat %d) is in both %s "
                       "and %s; shards of one plan never share items, so these runs overlap. "
                       "Pass --dedupe to keep the first copy of each item.\n",
                       r.item_id.c_str(), r.suite.c_str(), r.task.c_str(), r.tier.c_str(),
                       r.sample_id.c_str(), r.repeat, at->second.c_str(), a.dirs[i].c_str());
          return kUsage;
        }
        ++duplicates;
        continue;
      }
      records.push_back(std::move(r));
    }
  }
  fs::create_directories(out, ec);
  if (ec) {
    std::fprintf(stderr, "pareto merge: cannot create %s: %s\n", out.string().c_str(),
                 ec.message().c_str());
    return kRuntime;
  }
  auto writer = harness::ResultsWriter::Open(out / "results.jsonl");
  if (!writer.ok()) {
    std::fprintf(stderr, "pareto merge: %s\n", writer.message().c_str());
    return kRuntime;
  }
  for (const auto& r : records) {
    if (Status s = writer->Append(r); !s.ok()) {
      std::fprintf(stderr, "pareto merge: %s\n", s.message().c_str());
      return kRuntime;
    }
  }
  if (Status s = writer->Sync(); !s.ok()) {
    std::fprintf(stderr, "pareto merge: %s\n", s.message().c_str());
    return kRuntime;
  }
  // The merged manifest: the first part's, with the plan unsharded and the parts listed.
  json merged = first;
  json parts = json::array();
  std::set<std::string> shards;
  std::set<std::string> tier_names;
  json tiers = json::array();
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    const json& m = manifests[i];
    const json shard = m.value("plan", json::object()).value("shard", json());
    if (shard.is_string()) shards.insert(shard.get<std::string>());
    parts.push_back({{"dir", a.dirs[i]}, {"run_id", m.value("run_id", "")}, {"shard", shard}});
    for (const auto& t : m.value("tiers", json::array())) {
      if (tier_names.insert(t.value("name", "")).second) tiers.push_back(t);
    }
  }
  const std::size_t full = first.value("plan", json::object()).value("full_items", 0);
  merged["run_id"] = first.value("run_id", "") + "+merged";
  merged["merged_from"] = parts;
  merged["tiers"] = tiers;
  merged["plan"]["shard"] = nullptr;
  merged["plan"]["items"] = records.size();
  merged["merged"] = {{"items", records.size()},
                      {"full_items", full},
                      {"complete", records.size() == full},
                      {"duplicates_dropped", duplicates}};
  if (Status s = harness::write_json_atomically(out / "manifest.json", merged); !s.ok()) {
    std::fprintf(stderr, "pareto merge: %s\n", s.message().c_str());
    return kRuntime;
  }
  if (Status s = harness::write_summary(out); !s.ok()) {
    std::fprintf(stderr, "pareto merge: writing the summary: %s\n", s.message().c_str());
    return kRuntime;
  }
  std::printf("merged %zu runs into %s: %zu of %zu items%s\n", a.dirs.size(), out.string().c_str(),
              records.size(), full,
              duplicates ? fmt::format(" ({} duplicates dropped)", duplicates).c_str() : "");
  if (records.size() != full) {
    std::fprintf(stderr,
                 "pareto merge: warning: the merged run is incomplete (%zu of the plan's %zu "
                 "items); a shard is missing or unfinished (resume it with --resume)\n",
                 records.size(), full);
  }
  return kOk;
}

// ---- models ----

struct ModelsArgs {
  std::string tier_file;
  bool json = false;
};

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

std::string human_count(std::int64_t n) {
  if (n >= 1'000'000'000) return fmt::format("{:.2f}B", static_cast<double>(n) / 1e9);
  if (n >= 1'000'000) return fmt::format("{:.1f}M", static_cast<double>(n) / 1e6);
  if (n >= 1'000) return fmt::format("{:.1f}K", static_cast<double>(n) / 1e3);
  return std::to_string(n);
}

int run_models(const ModelsArgs& a) {
  std::string error;
  auto tier_file = find_tier_file(a.tier_file, &error);
  if (!tier_file) {
    std::fprintf(stderr, "pareto models: %s\n", error.c_str());
    return kUsage;
  }
  std::vector<fs::path> unused;
  auto checked = check_project({}, *tier_file, &unused);
  if (!checked) return kUsage;
  if (checked->project.tiers.empty()) {
    std::fprintf(stderr, "pareto models: %s has no `tier` items\n", tier_file->c_str());
    return kUsage;
  }
  json out = json::array();
  bool failed = false;
  for (const spec::Tier& tier : checked->project.tiers) {
    json row = {{"tier", tier.name}, {"concurrency", tier.concurrency}};
    if (tier.joules_per_token) row["joules_per_token"] = *tier.joules_per_token;
    if (const auto* gguf = std::get_if<spec::GgufModel>(&tier.model)) {
      row["kind"] = "gguf";
      row["model"] = gguf->path.string();
      inference::LoadOptions load;
      load.repack = false;  // describing the model needs no fast layout
      auto model = inference::Model::Load(gguf->path.string(), load);
      if (!model.ok()) {
        row["error"] = model.message();
        failed = true;
      } else {
        const auto& c = (*model)->config();
        row["arch"] = c.arch;
        row["parameters"] = (*model)->parameter_count();
        row["bytes"] = (*model)->file().file_size();
        row["quantization"] = (*model)->dominant_type();
        row["context"] = gguf->context.value_or(c.n_ctx_train);
        row["layers"] = c.n_layer;
        row["embedding"] = c.n_embd;
        row["vocabulary"] = c.n_vocab;
      }
    } else {
      const auto& remote = std::get<spec::OpenAiModel>(tier.model);
      row["kind"] = "openai";
      row["model"] = remote.name;
      row["url"] = remote.url;
      if (remote.context) row["context"] = *remote.context;
    }
    out.push_back(std::move(row));
  }
  if (a.json) {
    std::printf("%s\n", json({{"tier_file", tier_file->string()}, {"tiers", out}}).dump(2).c_str());
    return failed ? kRuntime : kOk;
  }
  std::printf("tier file: %s\n", tier_file->c_str());
  std::printf("%-8s %-7s %-10s %9s %10s %-6s %8s  %s\n", "TIER", "KIND", "ARCH", "PARAMS", "BYTES",
              "QUANT", "CONTEXT", "MODEL");
  for (const json& r : out) {
    const std::string arch = r.value("arch", "-");
    const std::string params = r.contains("parameters") ? human_count(r["parameters"]) : "-";
    const std::string bytes = r.contains("bytes") ? human_bytes(r["bytes"]) : "-";
    const std::string quant = r.value("quantization", "-");
    const std::string context =
        r.contains("context") ? std::to_string(r["context"].get<long>()) : "-";
    std::string model = r.value("model", "");
    if (r.contains("url")) model += " at " + r["url"].get<std::string>();
    std::printf("%-8s %-7s %-10s %9s %10s %-6s %8s  %s\n", r.value("tier", "").c_str(),
                r.value("kind", "").c_str(), arch.c_str(), params.c_str(), bytes.c_str(),
                quant.c_str(), context.c_str(), model.c_str());
    if (r.contains("error")) {
      std::fprintf(stderr, "pareto models: tier %s: %s\n", r.value("tier", "").c_str(),
                   r["error"].get<std::string>().c_str());
    }
  }
  return failed ? kRuntime : kOk;
}

}  // namespace

void add_run_commands(CLI::App& app, int& exit_code, int argc, char** argv) {
  {
    auto a = std::make_shared<RunArgs>();
    a->argv.assign(argv, argv + argc);
    CLI::App* cmd = app.add_subcommand(
        "run", "run suites against tiers; writes DIR/manifest.json, results.jsonl, summary.json");
    cmd->add_option("PATH", a->paths, ".pareto files, or folders searched for them")->required();
    cmd->add_option("--tier-file", a->tier_file,
                    "the tiers (default ./tiers.pareto, else the bundled default tiers)");
    cmd->add_option("--tiers", a->tiers, "run only these tiers, comma-separated (flash,pro)");
    cmd->add_option("--repeats", a->repeats, "runs of each sample per tier")->capture_default_str();
    cmd->add_option("--out", a->out, "the run's folder (default runs/<UTC time>)");
    cmd->add_option("--jobs", a->jobs, "grading threads (0: one per hardware thread)")
        ->capture_default_str();
    cmd->add_option("--shard", a->shard,
                    "run part I of N (0 <= I < N) of the plan; join the parts with pareto merge");
    cmd->add_option("--select", a->select,
                    "run only the suites, tasks and samples a selection file names (JSON)");
    cmd->add_option("--seed", a->seed, "base seed of the items' samplers")->capture_default_str();
    cmd->add_option("--batch", a->batch, "items an embedded tier decodes together")
        ->capture_default_str();
    cmd->add_option("--meter", a->meter,
                    "measured energy: auto (RAPL where readable), rapl (required) or none")
        ->check(CLI::IsMember({"auto", "rapl", "none"}))
        ->capture_default_str();
    cmd->add_flag("--resume", a->resume, "finish the run in --out DIR: skip the items it has");
    cmd->add_flag("--no-cache", a->no_cache,
                  "ask the models again even where the cache has an answer");
    cmd->add_option("--baseline", a->baseline,
                    "compare with this run's folder; exit 1 on a significant drop");
    CLI::Option* drop = cmd->add_option(
        "--max-drop", a->max_drop,
        "drops of at most this much score (0..1) are not regressions (with --baseline)");
    drop->capture_default_str();
    cmd->callback([a, drop, &exit_code] {
      a->max_drop_given = drop->count() > 0;
      exit_code = run_run(*a);
    });
  }
  {
    auto a = std::make_shared<MergeArgs>();
    CLI::App* cmd = app.add_subcommand("merge", "join the results of sharded runs into one run");
    cmd->add_option("DIR", a->dirs, "the shards' run folders")->required();
    cmd->add_option("--out", a->out, "the merged run's folder")->required();
    cmd->add_flag("--dedupe", a->dedupe,
                  "keep the first copy of an item found in several folders (default: refuse)");
    cmd->callback([a, &exit_code] { exit_code = run_merge(*a); });
  }
  {
    auto a = std::make_shared<ModelsArgs>();
    CLI::App* cmd = app.add_subcommand("models", "the configured tiers and their models");
    cmd->add_option("--tier-file", a->tier_file,
                    "the tiers (default ./tiers.pareto, else the bundled default tiers)");
    cmd->add_flag("--json", a->json, "JSON instead of a table");
    cmd->callback([a, &exit_code] { exit_code = run_models(*a); });
  }
}

}  // namespace pareto::cli
