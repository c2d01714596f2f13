#include "harness/summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <set>
#include <system_error>
#include <utility>

namespace pareto::harness {
namespace {

using nlohmann::json;

// The k of pass@k worth reporting besides 1 (and the fewest repeats of a sample).
constexpr std::array<int64_t, 6> kPassAtK = {2, 5, 10, 20, 50, 100};

// Well-known tiers sort in size order, then any others by name.
int tier_rank(const std::string& tier) {
  if (tier == "flash") return 0;
  if (tier == "pro") return 1;
  if (tier == "ultra") return 2;
  return 3;
}

bool key_less(const GroupKey& a, const GroupKey& b) {
  if (a.tier != b.tier) return tier_before(a.tier, b.tier);
  return std::tie(a.suite, a.task, a.tag) < std::tie(b.suite, b.task, b.tag);
}

bool finite_nonnegative(double x) { return std::isfinite(x) && x >= 0; }

Status check_record(const ItemRecord& r) {
  auto fail = [&r](const std::string& what) {
    return Status::Error(
        fmt::format("item {} ({}/{} on {}): {}", r.item_id, r.suite, r.task, r.tier, what));
  };
  if (!std::isfinite(r.score) || r.score < 0 || r.score > 1) {
    return fail(fmt::format("score {} is outside [0, 1]", r.score));
  }
  if (r.prompt_tokens < 0 || r.completion_tokens < 0) return fail("a negative token count");
  const LatencyFigures& l = r.latency;
  if (!finite_nonnegative(l.ttft_ms) || !finite_nonnegative(l.e2e_ms) ||
      !finite_nonnegative(l.itl_mean_ms) || !finite_nonnegative(l.itl_p95_ms)) {
    return fail("a latency that is negative or not a number");
  }
  if (r.energy) {
    if (!finite_nonnegative(r.energy->joules))
      return fail("energy that is negative or not a number");
    Result<EnergySource> source = parse_energy_source(r.energy->source);
    if (!source.ok()) return fail(source.message());
  }
  return Status::Ok();
}

// A task's identity across suites (two suites may each have a task `add`).
std::string task_cluster(const ItemRecord& r) {
  return fmt::format("{}:{}/{}", r.suite.size(), r.suite, r.task);
}
std::string sample_cluster(const ItemRecord& r) {
  return fmt::format("{}|{}:{}", task_cluster(r), r.sample_id.size(), r.sample_id);
}

std::optional<LatencySummary> latencies(const std::vector<double>& values) {
  if (values.empty()) return std::nullopt;
  Result<LatencySummary> s = summarize_latencies(values);
  if (!s.ok()) return std::nullopt;  // check_record() already refused bad values
  return *s;
}

Result<GroupSummary> summarize_group(const GroupKey& key,
                                     const std::vector<const ItemRecord*>& items,
                                     bool single_task) {
  GroupSummary g;
  g.key = key;
  std::vector<double> scores;
  std::vector<std::string> clusters;
  std::map<std::string, SampleCounts> problems;  // sample cluster -> repeats and passes
  std::set<std::string> tasks;
  std::vector<double> ttft, e2e, itl, itl95;
  std::vector<ItemEnergy> energy;
  int64_t scored_tokens_prompt = 0, scored_tokens_completion = 0, prompt_unknown = 0;

  for (const ItemRecord* r : items) {
    ItemCounts& c = g.counts;
    ++c.total;
    switch (r->status) {
      case ItemStatus::kGraded:
        ++c.graded;
        break;
      case ItemStatus::kBudget:
        ++c.budget;
        break;
      case ItemStatus::kError:
        ++c.error;
        break;
      case ItemStatus::kUnsupported:
        ++c.unsupported;
        break;
    }
    if (r->cached) ++c.cached;
    for (const std::string& o : r->overruns) ++c.overruns[o];
    tasks.insert(task_cluster(*r));
    if (r->energy) {
      ItemEnergy e;
      e.energy.joules = r->energy->joules;
      e.energy.source = *parse_energy_source(r->energy->source);
      e.tokens = r->prompt_tokens + r->completion_tokens;
      e.correct = r->passed && counts_towards_score(*r);
      energy.push_back(e);
    }
    if (!counts_towards_score(*r)) continue;
    if (r->passed) ++c.passed;
    scores.push_back(r->score);
    SampleCounts& p = problems[sample_cluster(*r)];
    ++p.n;
    if (r->passed) ++p.correct;
    if (r->prompt_tokens_known) {
      scored_tokens_prompt += r->prompt_tokens;
    } else {
      ++prompt_unknown;
    }
    scored_tokens_completion += r->completion_tokens;
    if (r->status != ItemStatus::kError) {
      e2e.push_back(r->latency.e2e_ms);
      if (r->completion_tokens >= 1) ttft.push_back(r->latency.ttft_ms);
      if (r->completion_tokens >= 2) {
        itl.push_back(r->latency.itl_mean_ms);
        itl95.push_back(r->latency.itl_p95_ms);
      }
    }
  }
  g.tasks = static_cast<int64_t>(tasks.size());
  g.samples = static_cast<int64_t>(problems.size());
  int64_t fewest = 0;
  for (const auto& [name, p] : problems) {
    g.repeats = std::max<int>(g.repeats, static_cast<int>(p.n));
    fewest = fewest == 0 ? p.n : std::min(fewest, p.n);
  }

  if (!scores.empty()) {
    // Strata: the tasks of a mixed group. Clusters: the samples of a task that has repeats.
    std::vector<std::string> strata;
    for (const ItemRecord* r : items) {
      if (!counts_towards_score(*r)) continue;
      if (g.repeats > 1) clusters.push_back(sample_cluster(*r));
      if (!single_task) strata.push_back(task_cluster(*r));
    }
    Result<ScoreEstimate> estimate = !single_task ? stratified_mean_score(scores, strata, clusters)
                                     : clusters.empty() ? mean_score(scores)
                                                        : clustered_mean_score(scores, clusters);
    if (!estimate.ok()) return estimate.status();
    g.score = *estimate;
    if (!single_task && g.score->clusters >= 2) {
      Result<ScoreEstimate> by_task = clustered_mean_score(scores, strata);
      if (!by_task.ok()) return by_task.status();
      g.score_clustered_by_task = *by_task;
    }

    if (fewest >= 2) {
      std::vector<SampleCounts> list;
      for (const auto& [name, p] : problems) list.push_back(p);
      std::vector<int64_t> ks = {1};
      for (int64_t k : kPassAtK) {
        if (k <= fewest) ks.push_back(k);
      }
      if (ks.back() != fewest) ks.push_back(fewest);
      for (int64_t k : ks) {
        Result<ScoreEstimate> pk = mean_pass_at_k(list, k);
        if (pk.ok()) g.pass_at_k[k] = pk->mean;
      }
    }
    const double n = static_cast<double>(scores.size());
    const double known = n - static_cast<double>(prompt_unknown);
    g.tokens = {scored_tokens_prompt, prompt_unknown, scored_tokens_completion,
                known > 0 ? static_cast<double>(scored_tokens_prompt) / known : 0.0,
                scored_tokens_completion / n};
  }
  g.latency = {latencies(ttft), latencies(e2e), latencies(itl), latencies(itl95)};
  if (!energy.empty()) {
    Result<EnergySummary> e = summarize_energy(energy);
    if (!e.ok()) return e.status();
    g.energy = *e;
  }
  return g;
}

using Groups = std::map<GroupKey, std::vector<const ItemRecord*>>;

Result<std::vector<GroupSummary>> summarize_groups(const Groups& groups, bool single_task) {
  std::vector<std::pair<GroupKey, const std::vector<const ItemRecord*>*>> ordered;
  for (const auto& [key, items] : groups) ordered.emplace_back(key, &items);
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return key_less(a.first, b.first); });
  std::vector<GroupSummary> out;
  for (const auto& [key, items] : ordered) {
    Result<GroupSummary> g = summarize_group(key, *items, single_task);
    if (!g.ok()) {
      return g.status().WithContext(fmt::format(
          "summarizing {}{}{}", key.tier, key.task.empty() ? "" : " " + key.suite + "/" + key.task,
          key.tag.empty() ? "" : " tag " + key.tag));
    }
    out.push_back(std::move(*g));
  }
  return out;
}

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

void percentile_pair(json& out, const char* name, const std::optional<LatencySummary>& s) {
  out[std::string(name) + "_p50"] = s ? json(s->p50) : json(nullptr);
  out[std::string(name) + "_p95"] = s ? json(s->p95) : json(nullptr);
}

}  // namespace

bool tier_before(const std::string& a, const std::string& b) {
  const int ra = tier_rank(a), rb = tier_rank(b);
  return ra != rb ? ra < rb : a < b;
}

std::string pairing_key(const ItemRecord& record) {
  return item_id(record.suite, record.task, record.sample_id, "", record.repeat);
}

bool counts_towards_score(const ItemRecord& record) {
  return record.status != ItemStatus::kUnsupported;
}

Result<RunSummary> summarize(std::span<const ItemRecord> records) {
  RunSummary summary;
  summary.items = static_cast<int64_t>(records.size());
  Groups tiers, suites, tasks, tags;
  std::set<std::string> run_ids, tier_names;
  // Items in a stable order (by id), so that the same records in any order summarize alike.
  std::vector<const ItemRecord*> sorted;
  sorted.reserve(records.size());
  for (const ItemRecord& r : records) {
    if (Status s = check_record(r); !s.ok()) return s;
    sorted.push_back(&r);
  }
  std::sort(sorted.begin(), sorted.end(), [](const ItemRecord* a, const ItemRecord* b) {
    return std::tie(a->item_id, a->run_id) < std::tie(b->item_id, b->run_id);
  });
  for (const ItemRecord* r : sorted) {
    run_ids.insert(r->run_id);
    tier_names.insert(r->tier);
    tiers[{r->tier, "", "", ""}].push_back(r);
    suites[{r->tier, r->suite, "", ""}].push_back(r);
    tasks[{r->tier, r->suite, r->task, ""}].push_back(r);
    std::set<std::string> seen;  // a tag listed twice counts the item once
    for (const std::string& tag : r->tags) {
      if (seen.insert(tag).second) tags[{r->tier, "", "", tag}].push_back(r);
    }
  }
  summary.run_ids.assign(run_ids.begin(), run_ids.end());
  summary.tier_order.assign(tier_names.begin(), tier_names.end());
  std::sort(summary.tier_order.begin(), summary.tier_order.end(), tier_before);

  struct Part {
    Groups* groups;
    std::vector<GroupSummary>* out;
    bool single_task;
  };
  for (Part part : {Part{&tiers, &summary.tiers, false}, Part{&suites, &summary.suites, false},
                    Part{&tasks, &summary.tasks, true}, Part{&tags, &summary.tags, false}}) {
    Result<std::vector<GroupSummary>> groups = summarize_groups(*part.groups, part.single_task);
    if (!groups.ok()) return groups.status();
    *part.out = std::move(*groups);
  }
  for (GroupSummary& task : summary.tasks) {
    // The task's tags as its records list them (the first record's, in a stable order).
    const auto& items = tasks[task.key];
    if (!items.empty()) task.tags = items.front()->tags;
  }
  return summary;
}

nlohmann::json to_json(const GroupSummary& g) {
  json j = json::object();
  j["tier"] = g.key.tier;
  if (!g.key.suite.empty()) j["suite"] = g.key.suite;
  if (!g.key.task.empty()) {
    j["task"] = g.key.task;
    j["tags"] = g.tags;
  }
  if (!g.key.tag.empty()) j["tag"] = g.key.tag;
  if (g.score) {
    j["score"] = g.score->mean;
    j["ci95"] = {g.score->ci.lower, g.score->ci.upper};
    j["method"] = to_string(g.score->method);
    j["clusters"] = g.score->clusters;
    if (g.score_clustered_by_task) {
      j["ci95_clustered_by_task"] = {g.score_clustered_by_task->ci.lower,
                                     g.score_clustered_by_task->ci.upper};
    }
  } else {
    j["score"] = nullptr;
    j["ci95"] = nullptr;
    j["method"] = nullptr;
    j["clusters"] = 0;
  }
  j["n"] = g.counts.total - g.counts.unsupported;
  j["items"] = g.counts.total;
  j["passed"] = g.counts.passed;
  j["tasks"] = g.tasks;
  j["samples"] = g.samples;
  j["repeats"] = g.repeats;
  json pk = json::object();
  for (const auto& [k, v] : g.pass_at_k) pk[std::to_string(k)] = v;
  j["pass_at_k"] = pk;
  j["tokens"] = {{"prompt", g.tokens.prompt},
                 {"prompt_unknown", g.tokens.prompt_unknown},
                 {"completion", g.tokens.completion},
                 {"prompt_per_item", g.tokens.prompt_per_item},
                 {"completion_per_item", g.tokens.completion_per_item}};
  json latency = json::object();
  percentile_pair(latency, "ttft", g.latency.ttft);
  percentile_pair(latency, "e2e", g.latency.e2e);
  percentile_pair(latency, "itl", g.latency.itl);
  latency["itl_p95_p95"] = g.latency.itl_p95 ? json(g.latency.itl_p95->p95) : json(nullptr);
  j["latency_ms"] = latency;
  if (g.energy) {
    j["energy_j"] = {
        {"per_item", g.energy->joules_per_item},
        {"total", g.energy->joules},
        {"items", g.energy->items},
        {"pj_per_token", optional_number(g.energy->pj_per_token)},
        // In the tier file's unit: an embedded tier's modelled or measured figure
        // beside a remote tier's declared joules_per_token.
        {"joules_per_token",
         g.energy->pj_per_token ? json(*g.energy->pj_per_token * 1e-12) : json(nullptr)},
        {"per_correct", optional_number(g.energy->joules_per_correct)},
        {"source", g.energy->source_label()}};
  } else {
    j["energy_j"] = {{"per_item", nullptr},
                     {"total", nullptr},
                     {"items", 0},
                     {"pj_per_token", nullptr},
                     {"joules_per_token", nullptr},
                     {"per_correct", nullptr},
                     {"source", "none"}};
  }
  json overruns = json::object();
  for (const auto& [name, n] : g.counts.overruns) overruns[name] = n;
  j["counts"] = {{"graded", g.counts.graded}, {"budget", g.counts.budget},
                 {"error", g.counts.error},   {"unsupported", g.counts.unsupported},
                 {"cached", g.counts.cached}, {"overruns", overruns}};
  return j;
}

nlohmann::json to_json(const RunSummary& s) {
  json j = json::object();
  j["schema"] = kSummarySchema;
  std::string run_id;
  for (const std::string& id : s.run_ids) run_id += (run_id.empty() ? "" : "+") + id;
  j["run_id"] = run_id;
  j["run_ids"] = s.run_ids;
  j["items"] = s.items;
  j["torn_tail"] = s.torn_tail;
  j["tier_order"] = s.tier_order;
  json tiers = json::object();
  for (const GroupSummary& g : s.tiers) tiers[g.key.tier] = to_json(g);
  j["tiers"] = tiers;
  for (auto [name, groups] :
       {std::pair{"suites", &s.suites}, std::pair{"tasks", &s.tasks}, std::pair{"tags", &s.tags}}) {
    json list = json::array();
    for (const GroupSummary& g : *groups) list.push_back(to_json(g));
    j[name] = list;
  }
  return j;
}

Result<RunSummary> summarize_dir(const std::filesystem::path& dir) {
  Result<ResultsFile> file = read_results(dir / "results.jsonl");
  if (!file.ok()) return file.status();
  Result<RunSummary> summary = summarize(file->records);
  if (!summary.ok()) return summary.status().WithContext((dir / "results.jsonl").string());
  summary->torn_tail = file->torn_tail;
  return summary;
}

Status write_summary(const std::filesystem::path& dir) {
  Result<RunSummary> summary = summarize_dir(dir);
  if (!summary.ok()) return summary.status();
  const std::filesystem::path target = dir / "summary.json";
  const std::filesystem::path temporary = dir / "summary.json.tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return Status::Error("cannot write " + temporary.string());
    out << to_json(*summary).dump(2, ' ', false, json::error_handler_t::replace) << '\n';
    if (!out.flush()) return Status::Error("cannot write " + temporary.string());
  }
  std::error_code ec;
  std::filesystem::rename(temporary, target, ec);
  if (ec) return Status::Error("cannot write " + target.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace pareto::harness
