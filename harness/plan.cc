#include "harness/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "harness/record.h"
#include "harness/sha256.h"

namespace pareto::harness {
namespace {

std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The id's 64 bits (ids are 16 hex digits); any other text is hashed (FNV-1a).
std::uint64_t IdBits(std::string_view id) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), value, 16);
  if (ec == std::errc() && end == id.data() + id.size() && !id.empty()) return value;
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : id) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

bool ParseInt(std::string_view text, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// What a selection keeps of one suite.
struct SuiteSelection {
  bool all = false;
  std::map<std::string, std::set<std::string>, std::less<>> tasks;  // empty set: every sample
};

}  // namespace

Result<Shard> parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  Shard shard;
  if (slash == std::string_view::npos || !ParseInt(text.substr(0, slash), shard.index) ||
      !ParseInt(text.substr(slash + 1), shard.count) || shard.count < 1 || shard.index < 0 ||
      shard.index >= shard.count) {
    return Status::Error(fmt::format(
        "--shard takes I/N with 0 <= I < N (shards are numbered from 0, as Kubernetes "
        "indexed jobs number them); got '{}'",
        text));
  }
  return shard;
}

bool in_shard(std::string_view item_id, const Shard& shard) {
  return SplitMix64(IdBits(item_id)) % static_cast<std::uint64_t>(shard.count) ==
         static_cast<std::uint64_t>(shard.index);
}

std::uint64_t item_seed(std::string_view item_id, std::uint64_t base_seed) {
  return SplitMix64(IdBits(item_id) ^ SplitMix64(base_seed));
}

Result<Selection> selection_from_json(const nlohmann::json& json) {
  const nlohmann::json* items = &json;
  if (json.is_object()) {
    if (auto s = json.find("schema"); s != json.end() && s->is_string() &&
                                      s->get<std::string>() != kSelectionSchema) {
      return Status::Error(fmt::format("schema is '{}'; this pareto reads '{}'",
                                       s->get<std::string>(), kSelectionSchema));
    }
    auto it = json.find("items");
    if (it == json.end()) return Status::Error("a selection object needs an \"items\" array");
    items = &*it;
  }
  if (!items->is_array()) return Status::Error("a selection's items must be a JSON array");
  Selection selection;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const nlohmann::json& e = (*items)[i];
    const std::string where = fmt::format("items[{}]", i);
    if (!e.is_object()) return Status::Error(where + ": an entry must be an object");
    SelectionEntry entry;
    auto suite = e.find("suite");
    if (suite == e.end() || !suite->is_string() || suite->get<std::string>().empty()) {
      return Status::Error(where + ": \"suite\" must be a non-empty string");
    }
    entry.suite = suite->get<std::string>();
    if (auto task = e.find("task"); task != e.end()) {
      if (!task->is_string()) return Status::Error(where + ": \"task\" must be a string");
      entry.task = task->get<std::string>();
    }
    if (auto samples = e.find("samples"); samples != e.end()) {
      if (!entry.task) return Status::Error(where + ": \"samples\" needs a \"task\"");
      if (!samples->is_array()) return Status::Error(where + ": \"samples\" must be an array");
      for (const auto& s : *samples) {
        if (s.is_string()) {
          entry.samples.push_back(s.get<std::string>());
        } else if (s.is_number_integer()) {
          entry.samples.push_back(std::to_string(s.get<long long>()));
        } else {
          return Status::Error(where + ": sample ids are strings");
        }
      }
    }
    for (const auto& [key, value] : e.items()) {
      if (key != "suite" && key != "task" && key != "samples") {
        return Status::Error(fmt::format("{}: unknown key \"{}\"", where, key));
      }
    }
    selection.entries.push_back(std::move(entry));
  }
  return selection;
}

nlohmann::json to_json(const Selection& selection) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e : selection.entries) {
    nlohmann::json j = {{"suite", e.suite}};
    if (e.task) j["task"] = *e.task;
    if (!e.samples.empty()) j["samples"] = e.samples;
    items.push_back(std::move(j));
  }
  return {{"schema", kSelectionSchema}, {"items", std::move(items)}};
}

Result<Selection> read_selection(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(fmt::format("{}: cannot read the selection file", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_discarded()) return Status::Error(path.string() + ": not valid JSON");
  auto selection = selection_from_json(json);
  if (!selection.ok()) return selection.status().WithContext(path.string());
  return selection;
}

Result<Plan> make_plan(const spec::Project& project, const PlanOptions& options) {
  if (options.repeats < 1) return Status::Error("--repeats must be at least 1");
  if (project.tiers.empty()) {
    return Status::Error("no tiers to run: give a tier file (--tier-file) with `tier` items");
  }
  Plan plan;
  for (const std::string& name : options.tiers) {
    const auto found = std::find_if(project.tiers.begin(), project.tiers.end(),
                                    [&](const spec::Tier& t) { return t.name == name; });
    if (found == project.tiers.end()) {
      std::string known;
      for (const auto& t : project.tiers) known += (known.empty() ? "" : ", ") + t.name;
      return Status::Error(fmt::format("no tier '{}' in the tier file (it has {})", name, known));
    }
  }
  for (const spec::Tier& tier : project.tiers) {
    if (options.tiers.empty() ||
        std::find(options.tiers.begin(), options.tiers.end(), tier.name) != options.tiers.end()) {
      plan.tiers.push_back(&tier);
    }
  }

  // The selection, checked against the project.
  std::map<std::string, SuiteSelection, std::less<>> selected;
  if (options.selection) {
    for (const SelectionEntry& e : options.selection->entries) {
      const auto suite = std::find_if(project.suites.begin(), project.suites.end(),
                                      [&](const spec::Suite& s) { return s.name == e.suite; });
      if (suite == project.suites.end()) {
        return Status::Error(fmt::format("the selection names suite '{}', which is not given",
                                         e.suite));
      }
      SuiteSelection& sel = selected[e.suite];
      if (!e.task) {
        sel.all = true;
        continue;
      }
      const auto task = std::find_if(suite->tasks.begin(), suite->tasks.end(),
                                     [&](const spec::Task& t) { return t.id == *e.task; });
      if (task == suite->tasks.end()) {
        return Status::Error(fmt::format("the selection names task '{}' of suite '{}', which "
                                         "has no such task",
                                         *e.task, e.suite));
      }
      auto [slot, inserted] = sel.tasks.try_emplace(*e.task);
      if (e.samples.empty()) {
        slot->second.clear();
        slot->second.insert("");  // "" marks every sample
        continue;
      }
      if (!inserted && slot->second.count("")) continue;
      for (const std::string& id : e.samples) {
        const bool exists = std::any_of(task->samples.begin(), task->samples.end(),
                                        [&](const spec::Sample& s) { return s.id == id; });
        if (!exists) {
          return Status::Error(fmt::format("the selection names sample '{}' of task '{}', "
                                           "which has no such sample",
                                           id, *e.task));
        }
        slot->second.insert(id);
      }
    }
  }
  auto keep = [&](const spec::Suite& suite, const spec::Task& task, const spec::Sample& sample) {
    if (!options.selection) return true;
    auto s = selected.find(suite.name);
    if (s == selected.end()) return false;
    if (s->second.all) return true;
    auto t = s->second.tasks.find(task.id);
    if (t == s->second.tasks.end()) return false;
    return t->second.count("") > 0 || t->second.count(sample.id) > 0;
  };

  Sha256 hash;
  for (const spec::Suite& suite : project.suites) {
    for (const spec::Task& task : suite.tasks) {
      for (const spec::Sample& sample : task.samples) {
        if (!keep(suite, task, sample)) continue;
        for (const spec::Tier* tier : plan.tiers) {
          for (int repeat = 0; repeat < options.repeats; ++repeat) {
            PlanItem item;
            item.id = item_id(suite.name, task.id, sample.id, tier->name, repeat);
            hash.Update(item.id);
            ++plan.full_items;
            if (options.shard && !in_shard(item.id, *options.shard)) continue;
            item.suite = &suite;
            item.task = &task;
            item.sample = &sample;
            item.tier = tier;
            item.repeat = repeat;
            item.seed = item_seed(item.id, options.seed);
            plan.items.push_back(std::move(item));
          }
        }
      }
    }
  }
  plan.full_hash = hash.HexDigest();
  if (plan.full_items == 0) {
    return Status::Error(options.selection ? "the selection leaves no item to run"
                                           : "no tasks to run: the paths hold no task");
  }
  return plan;
}

}  // namespace pareto::harness
