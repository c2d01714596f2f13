// The plan of a run: every item (suite x task x sample x tier x repeat) that `pareto run`
// will execute, each with its stable id (harness/record.h item_id) and sampler seed.
//
// Promises:
//  - make_plan() is deterministic: the same project and options give the same items in the
//    same order (suites by name, tasks in source order, samples in order, tiers in tier-file
//    order, repeats ascending) on every machine.
//  - A shard I/N (0 <= I < N) holds the items whose id, read as a 64-bit number, is I modulo
//    N: every item of the full plan is in exactly one shard, whatever N, and an item's shard
//    does not depend on which other items the plan holds.
//  - An item's seed depends only on its id and the run's base seed, so a resumed, sharded or
//    repeated run samples the same tokens for the same item.
//  - A selection (--select FILE) names suites, tasks or samples; naming one that the project
//    does not have is an error, so a stale selection is noticed rather than run as empty.
//
// Selection files (JSON; written by `pareto saturation` and by people):
//   { "schema": "pareto.selection/1",
//     "items": [ {"suite": "core.arith"},                         every task of the suite
//                {"suite": "core.code", "task": "py.fizzbuzz"},   every sample of a task
//                {"suite": "core.arith", "task": "add3", "samples": ["1", "7"]} ] }
// A bare JSON array of such entries is accepted too. Entries add up (a union).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "inference/status.h"
#include "spec/model.h"

namespace pareto::harness {

using inference::Result;
using inference::Status;

inline constexpr std::string_view kSelectionSchema = "pareto.selection/1";

struct Shard {
  int index = 0;  // 0-based
  int count = 1;  // >= 1
};
// "I/N" with 0 <= I < N; an error saying so otherwise.
Result<Shard> parse_shard(std::string_view text);
bool in_shard(std::string_view item_id, const Shard& shard);

struct SelectionEntry {
  std::string suite;
  std::optional<std::string> task;   // unset: every task of the suite
  std::vector<std::string> samples;  // empty: every sample of the task
};

struct Selection {
  std::vector<SelectionEntry> entries;
};
Result<Selection> selection_from_json(const nlohmann::json& json);
nlohmann::json to_json(const Selection& selection);
// Reads a selection file; errors name the file.
Result<Selection> read_selection(const std::filesystem::path& path);

struct PlanOptions {
  std::vector<std::string> tiers;  // run only these (tier-file order kept); empty: every tier
  int repeats = 1;                 // >= 1
  std::optional<Shard> shard;
  std::optional<Selection> selection;
  std::uint64_t seed = 0;  // the run's base seed
};

// One unit of work. The pointers point into the Project given to make_plan(), which must
// outlive the plan.
struct PlanItem {
  std::string id;
  const spec::Suite* suite = nullptr;
  const spec::Task* task = nullptr;
  const spec::Sample* sample = nullptr;
  const spec::Tier* tier = nullptr;
  int repeat = 0;
  std::uint64_t seed = 0;
};

struct Plan {
  std::vector<PlanItem> items;       // this shard's items, in plan order
  std::size_t full_items = 0;        // items of the whole plan before sharding
  std::string full_hash;             // sha256 over the whole plan's item ids, in order
  std::vector<const spec::Tier*> tiers;  // the tiers the plan runs, in tier-file order
};

// Errors: no tiers in the project, an unknown tier in options.tiers, repeats < 1, a selection
// naming what the project lacks, a selection that leaves nothing to run.
Result<Plan> make_plan(const spec::Project& project, const PlanOptions& options);

// The seed of an item: its id's 64 bits mixed with the base seed (SplitMix64).
std::uint64_t item_seed(std::string_view item_id, std::uint64_t base_seed);

}  // namespace pareto::harness
