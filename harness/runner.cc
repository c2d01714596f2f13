#include "harness/runner.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "agents/driver.h"
#include "harness/energy.h"
#include "harness/graders.h"
#include "harness/record.h"
#include "harness/sha256.h"
#include "harness/stats.h"

namespace pareto::harness {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::string Utc(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", tm);
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// --- The cache -----------------------------------------------------------------------------

json CountersJson(const inference::ForwardCounters& c) {
  return {{"tokens", c.tokens},
          {"flops", c.flops},
          {"weight_bytes", c.weight_bytes},
          {"kv_bytes_read", c.kv_bytes_read},
          {"kv_bytes_written", c.kv_bytes_written}};
}

json ResponseJson(const GenerationResponse& r) {
  json logprobs = json::array();
  for (const auto& t : r.logprobs) {
    json top = json::array();
    for (const auto& a : t.top)
      top.push_back({{"text", a.text}, {"id", a.id}, {"logprob", a.logprob}});
    logprobs.push_back({{"text", t.text}, {"id", t.id}, {"logprob", t.logprob}, {"top", top}});
  }
  json j = {{"text", r.text},
            {"finish_reason", r.finish_reason},
            {"prompt_tokens", r.prompt_tokens_known ? json(r.prompt_tokens) : json(nullptr)},
            {"completion_tokens", r.completion_tokens},
            {"tokens_counted", r.tokens_counted},
            {"ttft_seconds", r.ttft_seconds},
            {"token_seconds", r.token_seconds},
            {"e2e_seconds", r.e2e_seconds},
            {"logprobs", std::move(logprobs)}};
  if (r.counters) j["counters"] = CountersJson(*r.counters);
  if (r.measured_energy) {
    j["measured_energy"] = {{"joules", r.measured_energy->joules},
                            {"source", to_string(r.measured_energy->source)},
                            {"detail", r.measured_energy->detail}};
  }
  return j;
}

// A cached response; nullopt for anything malformed (a damaged entry is a miss).
std::optional<GenerationResponse> ResponseFromJson(const json& j) {
  try {
    GenerationResponse r;
    r.text = j.at("text").get<std::string>();
    r.finish_reason = j.at("finish_reason").get<std::string>();
    r.prompt_tokens_known = !j.at("prompt_tokens").is_null();
    if (r.prompt_tokens_known) r.prompt_tokens = j.at("prompt_tokens").get<std::int64_t>();
    r.completion_tokens = j.at("completion_tokens").get<std::int64_t>();
    r.tokens_counted = j.at("tokens_counted").get<bool>();
    r.ttft_seconds = j.at("ttft_seconds").get<double>();
    r.token_seconds = j.at("token_seconds").get<std::vector<double>>();
    r.e2e_seconds = j.at("e2e_seconds").get<double>();
    if (auto c = j.find("counters"); c != j.end()) {
      inference::ForwardCounters k;
      k.tokens = c->at("tokens").get<std::int64_t>();
      k.flops = c->at("flops").get<double>();
      k.weight_bytes = c->at("weight_bytes").get<std::uint64_t>();
      k.kv_bytes_read = c->at("kv_bytes_read").get<std::uint64_t>();
      k.kv_bytes_written = c->at("kv_bytes_written").get<std::uint64_t>();
      r.counters = k;
    }
    if (auto m = j.find("measured_energy"); m != j.end()) {
      auto source = parse_energy_source(m->at("source").get<std::string>());
      if (!source.ok()) return std::nullopt;
      r.measured_energy =
          EnergyFigure{m->at("joules").get<double>(), *source, m->at("detail").get<std::string>()};
    }
    for (const auto& t : j.at("logprobs")) {
      TokenLogprobs lp;
      lp.text = t.at("text").get<std::string>();
      lp.id = t.at("id").get<std::int32_t>();
      lp.logprob = t.at("logprob").get<double>();
      for (const auto& a : t.at("top")) {
        lp.top.push_back({a.at("text").get<std::string>(), a.at("id").get<std::int32_t>(),
                          a.at("logprob").get<double>()});
      }
      r.logprobs.push_back(std::move(lp));
    }
    return r;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

// What identifies a tier's model for the cache: the file's hash, or the endpoint and name.
std::string ModelKey(const BackendInfo& info) {
  return info.model_hash.empty() ? info.kind + ":" + info.location + "#" + info.model_id
                                 : "sha256:" + info.model_hash;
}

std::string CacheKey(const BackendInfo& info, const GenerationRequest& r) {
  // A completion request is keyed by the one text it sends.
  const bool completion = r.mode == spec::PromptMode::kCompletion;
  const json key = {{"model", ModelKey(info)},
                    {"mode", std::string(spec::to_string(r.mode))},
                    {"system", completion ? "" : r.system},
                    {"prompt", completion ? completion_prompt(r) : r.prompt},
                    {"max_tokens", r.max_tokens},
                    {"temperature", r.temperature},
                    {"seed", r.seed},
                    {"stop", r.stop},
                    {"top_logprobs", r.top_logprobs}};
  return sha256_hex(key.dump());
}

class Cache {
 public:
  explicit Cache(fs::path dir) : dir_(std::move(dir)) {}

  std::optional<GenerationResponse> Find(const std::string& key) const {
    std::error_code ec;
    const fs::path path = PathOf(key);
    if (!fs::exists(path, ec)) return std::nullopt;
    json j = json::parse(ReadText(path), nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return ResponseFromJson(j);
  }

  // Best effort: a cache that cannot be written only costs a future run time.
  void Store(const std::string& key, const GenerationResponse& response) const {
    const fs::path path = PathOf(key);
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) return;
    (void)write_json_atomically(path, ResponseJson(response));
  }

 private:
  fs::path PathOf(const std::string& key) const {
    return dir_ / "responses" / key.substr(0, 2) / (key + ".json");
  }
  fs::path dir_;
};

// --- Items ---------------------------------------------------------------------------------

// What the runner made of a task once: its driver and graders, or why it cannot run.
struct TaskRunner {
  std::optional<agents::SingleShot> driver;
  std::optional<TaskGraders> graders;
  std::string unsupported;  // not empty: the task cannot run (agent tasks)
};

struct Pending {
  const PlanItem* item = nullptr;
  const TaskRunner* task = nullptr;
  Backend* backend = nullptr;
  GenerationRequest request;
  std::string cache_key;
  GenerationResponse response;
  bool cached = false;
};

GenerationRequest RequestFor(const spec::Task& task, const agents::Prompt& prompt,
                             const PlanItem& item) {
  GenerationRequest r;
  r.mode = prompt.mode;
  r.system = prompt.system;
  r.prompt = prompt.user;
  r.max_tokens = static_cast<int>(task.budget.max_tokens.value_or(kDefaultMaxTokens));
  r.temperature = task.temperature;
  r.seed = item.seed;
  r.timeout = task.budget.timeout;
  return r;
}

ItemRecord BaseRecord(const std::string& run_id, const PlanItem& item, const BackendInfo& info) {
  ItemRecord r;
  r.run_id = run_id;
  r.item_id = item.id;
  r.suite = item.suite->name;
  r.task = item.task->id;
  r.tags = item.task->tags;
  r.tier = item.tier->name;
  r.model_id = info.model_id;
  r.model_hash = info.model_hash;
  r.sample_id = item.sample->id;
  r.repeat = item.repeat;
  r.seed = item.seed;
  return r;
}

LatencyFigures Latency(const GenerationResponse& r) {
  LatencyFigures l;
  l.ttft_ms = r.ttft_seconds * 1e3;
  l.e2e_ms = r.e2e_seconds * 1e3;
  if (r.token_seconds.size() >= 2) {
    std::vector<double> gaps;
    gaps.reserve(r.token_seconds.size() - 1);
    double sum = 0;
    for (std::size_t i = 1; i < r.token_seconds.size(); ++i) {
      gaps.push_back((r.token_seconds[i] - r.token_seconds[i - 1]) * 1e3);
      sum += gaps.back();
    }
    l.itl_mean_ms = sum / static_cast<double>(gaps.size());
    if (auto p95 = percentile(gaps, 95); p95.ok()) l.itl_p95_ms = *p95;
  }
  return l;
}

std::optional<EnergyRecord> Energy(const GenerationResponse& r, const BackendInfo& info,
                                   const HardwareProfile& profile) {
  const std::int64_t tokens = r.prompt_tokens + r.completion_tokens;
  std::optional<EnergyFigure> figure;
  if (r.measured_energy) {
    figure = r.measured_energy;  // a measurement, when there is one, over an estimate
  } else if (r.counters) {
    WorkCounters work;
    work.flops = r.counters->flops;
    work.precision = Precision::kFp32;  // the CPU kernels compute in fp32
    work.weight_bytes = static_cast<double>(r.counters->weight_bytes);
    work.kv_bytes_read = static_cast<double>(r.counters->kv_bytes_read);
    work.kv_bytes_written = static_cast<double>(r.counters->kv_bytes_written);
    work.tokens = r.counters->tokens;
    if (auto m = model_energy(work, profile); m.ok()) figure = m->figure;
  } else if (info.joules_per_token) {
    if (auto d = declared_energy(*info.joules_per_token, tokens, info.tier); d.ok()) {
      figure = *d;
      // Without the prompt's count the figure covers the completion only: say so.
      if (!r.prompt_tokens_known) figure->detail += " (completion tokens only: prompt unknown)";
    }
  }
  if (!figure) return std::nullopt;
  EnergyRecord e;
  e.joules = figure->joules;
  e.source = std::string(to_string(figure->source));
  e.detail = figure->detail;
  if (tokens > 0) {
    if (auto pj = picojoules_per_token(figure->joules, tokens); pj.ok()) e.pj_per_token = *pj;
  }
  return e;
}

// Fills in what the model said and how it was graded, and decides the item's status.
void Complete(ItemRecord& record, const Pending& p, const HardwareProfile& profile,
              const JudgeFn& judge) {
  const GenerationResponse& r = p.response;
  const spec::Task& task = *p.item->task;
  record.prompt = p.request.mode == spec::PromptMode::kCompletion ? completion_prompt(p.request)
                                                                  : p.request.prompt;
  record.completion = r.text;
  record.finish_reason = r.finish_reason;
  record.prompt_tokens = r.prompt_tokens;
  record.completion_tokens = r.completion_tokens;
  record.tokens_counted = r.tokens_counted;
  record.prompt_tokens_known = r.prompt_tokens_known;
  record.latency = Latency(r);
  record.energy = Energy(r, p.backend->info(), profile);
  record.cached = p.cached;
  if (!r.ok()) {
    record.status = ItemStatus::kError;
    record.error = r.error;
    return;
  }
  const agents::ExtractedAnswer answer = p.task->driver->extract(r.text);
  record.answer = answer.answer;
  GradeInput input;
  input.sample = p.item->sample;
  input.answer = answer.answer;
  GradeOptions grade_options;
  grade_options.judge = judge;
  Grading grading = p.task->graders->grade(input, grade_options);
  record.graders = std::move(grading.verdicts);
  record.score = grading.score;
  record.passed = grading.passed;
  if (grading.error) {
    record.status = ItemStatus::kError;
    record.error = grading.error_message;
    record.score = 0;
    record.passed = false;
    return;
  }
  // Budgets: see runner.h.
  if (r.finish_reason == "timeout") record.overruns.push_back("timeout");
  if (r.finish_reason == "length" && !record.passed) record.overruns.push_back("max_tokens");
  if (task.budget.max_energy && record.energy && record.energy->joules > *task.budget.max_energy) {
    record.overruns.push_back("energy");
  }
  if (!record.overruns.empty()) {
    record.status = ItemStatus::kBudget;
    record.score = 0;
    record.passed = false;
  }
}

// --- The manifest --------------------------------------------------------------------------

json MachineJson() {
  json m;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) m["hostname"] = host;
  utsname u{};
  if (uname(&u) == 0) m["os"] = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  m["hardware_threads"] = std::thread::hardware_concurrency();
  std::istringstream cpu(ReadText("/proc/cpuinfo"));
  for (std::string line; std::getline(cpu, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos)
        m["cpu"] = line.substr(line.find_first_not_of(' ', colon + 1));
      break;
    }
  }
  std::istringstream mem(ReadText("/proc/meminfo"));
  for (std::string line; std::getline(mem, line);) {
    if (line.rfind("MemTotal:", 0) == 0) {
      m["memory_bytes"] = std::strtoull(line.c_str() + 9, nullptr, 10) * 1024;
      break;
    }
  }
  return m;
}

json TierJson(const BackendInfo& b) {
  json j = {{"name", b.tier},
            {"kind", b.kind},
            {"model_id", b.model_id},
            {"model_hash", b.model_hash},
            {"location", b.location},
            {"arch", b.arch},
            {"parameters", b.parameters},
            {"bytes", b.bytes},
            {"quantization", b.quantization},
            {"context", b.context},
            {"chat_format", b.chat_format},
            {"concurrency", b.concurrency},
            {"max_batch", b.max_batch}};
  if (b.joules_per_token) j["joules_per_token"] = *b.joules_per_token;
  return j;
}

json PlanJson(const Plan& plan, const PlanOptions& options) {
  json j = {
      {"items", plan.items.size()}, {"full_items", plan.full_items}, {"full_hash", plan.full_hash},
      {"repeats", options.repeats}, {"seed", options.seed},          {"tiers", options.tiers},
      {"shard", nullptr},           {"selection", nullptr}};
  if (options.shard) j["shard"] = fmt::format("{}/{}", options.shard->index, options.shard->count);
  if (options.selection) j["selection"] = to_json(*options.selection);
  return j;
}

// Whether DIR's manifest is of this plan; an error saying what differs.
Status SamePlan(const json& manifest, const json& plan) {
  const json* old = manifest.contains("plan") ? &manifest["plan"] : nullptr;
  if (!old) return Status::Error("its manifest.json has no plan");
  for (const char* key : {"full_hash", "shard", "seed", "repeats"}) {
    if (!old->contains(key) || (*old)[key] != plan[key]) {
      return Status::Error(fmt::format("it holds a run of another plan ({}: {} there, {} now)", key,
                                       old->contains(key) ? (*old)[key].dump() : "none",
                                       plan[key].dump()));
    }
  }
  return Status::Ok();
}

// Checks what `dir` holds against the plan; with `resume`, reads its manifest and the ids of
// the items it has finished.
Status ReadOutDir(const fs::path& dir, const Plan& plan, const json& plan_json, bool resume,
                  json* manifest, std::unordered_set<std::string>* done) {
  std::error_code ec;
  const fs::path results_path = dir / "results.jsonl";
  const bool has_results = fs::exists(results_path, ec) && fs::file_size(results_path, ec) > 0;
  if (!has_results && !fs::exists(dir / "manifest.json", ec)) return Status::Ok();
  if (!resume) {
    return Status::Error(
        fmt::format("{} already holds a run; pass --resume to finish it, or choose another --out",
                    dir.string()));
  }
  auto old = read_manifest(dir);
  if (!old.ok()) return old.status().WithContext("cannot resume " + dir.string());
  if (Status s = SamePlan(*old, plan_json); !s.ok()) {
    return s.WithContext("cannot resume " + dir.string());
  }
  *manifest = std::move(*old);
  if (!has_results) return Status::Ok();
  auto existing = read_results(results_path);
  if (!existing.ok()) return existing.status().WithContext("cannot resume " + dir.string());
  std::unordered_set<std::string> planned;
  for (const PlanItem& item : plan.items) planned.insert(item.id);
  for (const ItemRecord& r : existing->records) {
    if (!planned.count(r.item_id)) {
      return Status::Error(
          fmt::format("cannot resume {}: its results hold item {} ({}/{}), "
                      "which this plan does not have",
                      dir.string(), r.item_id, r.suite, r.task));
    }
    done->insert(r.item_id);
  }
  return Status::Ok();
}

std::string MakeRunId(const Plan& plan) {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  return fmt::format("{:%Y%m%d-%H%M%S}-{}", tm,
                     sha256_hex(fmt::format("{}{}{}", plan.full_hash, getpid(),
                                            Clock::now().time_since_epoch().count()))
                         .substr(0, 6));
}

// The tiers judge graders of the plan's tasks name.
std::set<std::string> JudgeTiers(const Plan& plan) {
  std::set<std::string> tiers;
  std::set<const spec::Task*> seen;
  for (const PlanItem& item : plan.items) {
    if (!seen.insert(item.task).second) continue;
    for (const spec::Grader& g : item.task->graders) {
      if (const auto* judge = std::get_if<spec::JudgeGrader>(&g.spec)) tiers.insert(judge->tier);
    }
  }
  return tiers;
}

}  // namespace

fs::path default_cache_dir() {
  if (const char* dir = std::getenv("PARETO_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "pareto";
  if (const char* home = std::getenv("HOME"); home && *home) {
    return fs::path(home) / ".cache" / "pareto";
  }
  return fs::temp_directory_path() / "pareto-cache";
}

Result<json> read_manifest(const fs::path& dir) {
  const fs::path path = dir / "manifest.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return Status::Error(path.string() + ": no such file");
  json j = json::parse(ReadText(path), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Error(path.string() + ": not a manifest");
  return j;
}

Status write_json_atomically(const fs::path& path, const json& j) {
  const fs::path tmp =
      path.parent_path() / fmt::format(".{}.tmp-{}-{}", path.filename().string(), getpid(),
                                       std::hash<std::thread::id>{}(std::this_thread::get_id()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << j.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
    out.flush();
    if (!out) {
      std::error_code ignored;
      fs::remove(tmp, ignored);
      return Status::Error("cannot write " + tmp.string());
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return Status::Error(fmt::format("cannot write {}: {}", path.string(), ec.message()));
  }
  return Status::Ok();
}

Status check_out_dir(const fs::path& dir, const Plan& plan, const PlanOptions& options,
                     bool resume) {
  json manifest;
  std::unordered_set<std::string> done;
  return ReadOutDir(dir, plan, PlanJson(plan, options), resume, &manifest, &done);
}

Result<RunReport> run_plan(const spec::Project& project, const Plan& plan,
                           const RunOptions& options) {
  const auto started_wall = std::chrono::system_clock::now();
  const auto started = Clock::now();
  const fs::path dir = options.out;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Error(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  const fs::path results_path = dir / "results.jsonl";
  const json plan_json = PlanJson(plan, options.plan);

  // What DIR already holds.
  std::unordered_set<std::string> done;
  json manifest;
  if (Status s = ReadOutDir(dir, plan, plan_json, options.resume, &manifest, &done); !s.ok()) {
    return s;
  }
  std::string run_id = options.run_id;
  if (run_id.empty() && manifest.contains("run_id") && manifest["run_id"].is_string()) {
    run_id = manifest["run_id"].get<std::string>();
  }
  if (run_id.empty()) run_id = MakeRunId(plan);

  // Backends: the plan's tiers, and the tiers judges name that the project has.
  const auto open = options.open ? options.open : [](const spec::Tier& t, const BackendOptions& o) {
    return open_backend(t, o);
  };
  std::map<std::string, std::unique_ptr<Backend>> backends;
  std::set<std::string> needed = JudgeTiers(plan);
  for (const spec::Tier* t : plan.tiers) needed.insert(t->name);
  for (const spec::Tier& tier : project.tiers) {
    if (!needed.count(tier.name)) continue;
    auto backend = open(tier, options.backend);
    if (!backend.ok()) return backend.status();
    backends[tier.name] = std::move(*backend);
  }

  // Drivers and graders, once per task.
  std::map<const spec::Task*, TaskRunner> tasks;
  for (const PlanItem& item : plan.items) {
    auto [slot, inserted] = tasks.try_emplace(item.task);
    if (!inserted) continue;
    if (auto reason = agents::unsupported_reason(*item.task)) {
      slot->second.unsupported = *reason;
      continue;
    }
    auto driver = agents::SingleShot::ForTask(*item.task);
    if (!driver.ok()) {
      slot->second.unsupported = driver.message();
      continue;
    }
    auto graders = TaskGraders::Make(*item.task);
    if (!graders.ok()) {
      slot->second.unsupported = graders.message();
      continue;
    }
    slot->second.driver = std::move(*driver);
    slot->second.graders = std::move(*graders);
  }

  // The manifest, before any item runs.
  json tiers_json = json::array();
  for (const spec::Tier* t : plan.tiers) {
    if (auto b = backends.find(t->name); b != backends.end()) {
      tiers_json.push_back(TierJson(b->second->info()));
    } else if (manifest.contains("tiers")) {
      for (const auto& old : manifest["tiers"]) {
        if (old.value("name", "") == t->name) tiers_json.push_back(old);
      }
    }
  }
  json specs = json::array();
  {
    std::set<fs::path> files(options.spec_files.begin(), options.spec_files.end());
    for (const spec::Suite& s : project.suites) {
      files.insert(s.file);
      files.insert(s.includes.begin(), s.includes.end());
    }
    for (const fs::path& f : files) {
      auto h = sha256_file(f);
      specs.push_back({{"path", f.string()}, {"sha256", h.ok() ? *h : ""}});
    }
  }
  const bool resuming = manifest.is_object() && !manifest.empty();
  json sessions = resuming && manifest.contains("sessions") ? manifest["sessions"] : json::array();
  sessions.push_back({{"started", Utc(started_wall)}, {"resumed_items", done.size()}});
  json next = {
      {"schema", kManifestSchema},
      {"run_id", run_id},
      {"program",
       {{"name", "pareto"},
        {"version", options.program.version},
        {"git_commit", options.program.git_commit},
        {"command", options.program.command}}},
      {"started", resuming ? manifest.value("started", Utc(started_wall)) : Utc(started_wall)},
      {"finished", nullptr},
      {"sessions", sessions},
      {"plan", plan_json},
      {"specs", specs},
      {"tier_file", nullptr},
      {"tiers", tiers_json},
      {"energy",
       {{"modelled_profile", kDefaultEnergyProfile},
        {"measured",
         options.backend.energy ? json(options.backend.energy->describe()) : json(nullptr)}}},
      {"cache", options.cache_dir ? json(options.cache_dir->string()) : json(nullptr)},
      {"machine", MachineJson()}};
  if (options.tier_file) {
    auto h = sha256_file(*options.tier_file);
    next["tier_file"] = {{"path", options.tier_file->string()}, {"sha256", h.ok() ? *h : ""}};
  }
  if (Status s = write_json_atomically(dir / "manifest.json", next); !s.ok()) return s;

  auto writer = ResultsWriter::Open(results_path);
  if (!writer.ok()) return writer.status();

  auto profile = find_hardware_profile(kDefaultEnergyProfile);
  if (!profile.ok()) return profile.status();

  // The judge: the named tier's backend, one greedy chat request.
  const JudgeFn judge = [&backends](const std::string& tier,
                                    const std::string& prompt) -> Result<std::string> {
    auto b = backends.find(tier);
    if (b == backends.end()) {
      return Status::Error(fmt::format("the judge tier '{}' is not in the tier file", tier));
    }
    GenerationRequest r;
    r.prompt = prompt;
    r.max_tokens = 256;
    auto responses = b->second->Generate(std::span(&r, 1));
    if (!responses[0].ok()) return Status::Error("the judge failed: " + responses[0].error);
    return responses[0].text;
  };

  // Progress and the records, one item at a time.
  std::mutex mutex;
  std::condition_variable finished_cv;
  Progress progress;
  progress.total = plan.items.size();
  progress.done = progress.resumed = done.size();
  std::size_t remaining = 0;
  std::optional<Status> write_error;
  Cache* cache = nullptr;
  std::optional<Cache> cache_store;
  if (options.cache_dir) {
    cache_store.emplace(*options.cache_dir);
    cache = &*cache_store;
  }
  auto report = [&](ItemRecord record) {
    std::lock_guard lock(mutex);
    if (Status s = writer->Append(record); !s.ok() && !write_error) write_error = s;
    ++progress.done;
    if (record.cached) ++progress.cached;
    if (record.status == ItemStatus::kError) ++progress.errors;
    if (record.status == ItemStatus::kUnsupported) {
      ++progress.unsupported;
    } else {
      ++progress.scored;
      if (record.passed) ++progress.passed;
    }
    progress.elapsed_seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (options.on_progress) options.on_progress(progress);
    if (--remaining == 0) finished_cv.notify_all();
  };

  // Every item left: unsupported ones are recorded at once, cached ones graded, the rest
  // queued on their tier.
  std::deque<Pending> pending;  // stable addresses
  std::map<std::string, std::deque<Pending*>> queues;
  std::vector<Pending*> ready;  // cache hits
  std::vector<ItemRecord> unsupported;
  for (const PlanItem& item : plan.items) {
    if (done.count(item.id)) continue;
    const TaskRunner& task = tasks.at(item.task);
    Backend* backend = backends.at(item.tier->name).get();
    if (!task.unsupported.empty()) {
      ItemRecord r = BaseRecord(run_id, item, backend->info());
      r.status = ItemStatus::kUnsupported;
      r.error = task.unsupported;
      unsupported.push_back(std::move(r));
      continue;
    }
    Pending& p = pending.emplace_back();
    p.item = &item;
    p.task = &task;
    p.backend = backend;
    p.request = RequestFor(*item.task, task.driver->prompt(*item.sample), item);
    if (cache) {
      p.cache_key = CacheKey(backend->info(), p.request);
      if (auto hit = cache->Find(p.cache_key)) {
        p.response = std::move(*hit);
        p.cached = true;
        ready.push_back(&p);
        continue;
      }
    }
    queues[item.tier->name].push_back(&p);
  }
  remaining = pending.size() + unsupported.size();
  if (options.on_progress) {
    std::lock_guard lock(mutex);
    options.on_progress(progress);
  }

  const int jobs = options.jobs > 0
                       ? options.jobs
                       : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  boost::asio::thread_pool grading(static_cast<std::size_t>(jobs));
  int model_threads = 0;
  for (const auto& [name, queue] : queues) model_threads += backends.at(name)->info().concurrency;
  boost::asio::thread_pool models(static_cast<std::size_t>(std::max(1, model_threads)));

  auto grade = [&](Pending* p) {
    boost::asio::post(grading, [&, p] {
      ItemRecord record = BaseRecord(run_id, *p->item, p->backend->info());
      try {
        Complete(record, *p, *profile, judge);
      } catch (const std::exception& e) {  // a bug, not a verdict: the item says so
        record.status = ItemStatus::kError;
        record.error = std::string("internal error while grading: ") + e.what();
        record.score = 0;
        record.passed = false;
      }
      if (cache && !p->cached && p->response.ok() && p->response.finish_reason != "timeout") {
        cache->Store(p->cache_key, p->response);
      }
      report(std::move(record));
    });
  };

  for (ItemRecord& r : unsupported) report(std::move(r));
  for (Pending* p : ready) grade(p);

  // Each tier's workers stream its queue through the backend until it is empty: an embedded
  // tier keeps a continuous batch, items joining as others finish.
  std::mutex queue_mutex;
  for (auto& [name, queue_ref] : queues) {
    Backend* backend = backends.at(name).get();
    std::deque<Pending*>* queue = &queue_ref;
    for (int w = 0; w < backend->info().concurrency; ++w) {
      boost::asio::post(models, [&, backend, queue] {
        backend->Serve([&, queue]() -> std::optional<StreamedRequest> {
          Pending* p = nullptr;
          {
            std::lock_guard lock(queue_mutex);
            if (queue->empty()) return std::nullopt;
            p = queue->front();
            queue->pop_front();
          }
          return StreamedRequest{p->request, [&, p](GenerationResponse response) {
                                   p->response = std::move(response);
                                   grade(p);
                                 }};
        });
      });
    }
  }

  {
    std::unique_lock lock(mutex);
    finished_cv.wait(lock, [&] { return remaining == 0; });
  }
  models.join();
  grading.join();

  if (Status s = writer->Sync(); !s.ok() && !write_error) write_error = s;
  if (write_error) return write_error->WithContext("writing " + results_path.string());

  next["finished"] = Utc(std::chrono::system_clock::now());
  next["sessions"].back()["finished"] = next["finished"];
  if (Status s = write_json_atomically(dir / "manifest.json", next); !s.ok()) return s;

  RunReport out;
  out.run_id = run_id;
  out.progress = progress;
  return out;
}

}  // namespace pareto::harness
