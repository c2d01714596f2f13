// The results contract: one ItemRecord per finished item, one JSON object per line of
// DIR/results.jsonl (design, "Results"). `pareto run` writes them, and everything after it
// reads them: report, compare, merge, saturation, targets, distill. A record holds what the
// item was (suite, task, sample, tier, repeat), what the model said, how it was graded, and
// what it cost, so no analysis ever needs to re-run a model.
//
// Promises:
//  - item_id() is a stable hash of (suite, task, sample id, tier, repeat): the same item has
//    the same id in every run, on every machine, so runs can be resumed, merged and paired.
//  - to_json() and record_from_json() round-trip every field; record_from_json() never throws
//    and names the field at fault. Unknown keys are ignored (newer writers, older readers).
//  - ResultsWriter appends one line per record with a single write(2) and flushes it to the
//    kernel before returning, so a process killed at any moment leaves whole lines behind,
//    except perhaps a torn last line; read_results() skips a torn last line (and says so) but
//    reports a bad line anywhere else as an error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inference/status.h"

namespace pareto::harness {

using inference::Result;
using inference::Status;

// The schema name written into every record ("schema") and into manifests.
inline constexpr std::string_view kResultsSchema = "pareto.results/1";

// What became of an item.
enum class ItemStatus {
  kGraded,       // the model answered and every grader gave a verdict (pass or fail)
  kBudget,       // a budget ran out (see `overruns`); the item scores 0
  kError,        // the model or a grader could not run (see `error`); the item scores 0
  kUnsupported,  // the harness cannot run this kind of task yet (agent tasks before the loop)
};
std::string_view to_string(ItemStatus status);  // "graded", "budget", "error", "unsupported"
Result<ItemStatus> parse_item_status(std::string_view text);

// One grader's verdict on one item.
struct GraderVerdict {
  std::string grader;    // "exact", "number", ... (spec::grader_name)
  double weight = 1.0;   // from the spec, > 0
  bool passed = false;   //
  double score = 0;      // in [0, 1]: 1/0 for pass/fail graders, a judge's score for judge
  std::string reason;    // why, for people: "expected 357, got 356"
  bool error = false;    // the grader could not run (reason says why): not a wrong answer
};

struct LatencyFigures {
  double ttft_ms = 0;      // request start to first token
  double itl_mean_ms = 0;  // mean gap between tokens (0 with fewer than two tokens)
  double itl_p95_ms = 0;   // 95th percentile gap between tokens
  double e2e_ms = 0;       // request start to last token (or to the error)
};

struct EnergyRecord {
  double joules = 0;
  std::optional<double> pj_per_token;  // absent when the item used no tokens
  std::string source;                  // "measured:rapl", "modelled", ... (harness/energy.h)
  std::string detail;                  // profile or meter, for people
};

struct ItemRecord {
  std::string run_id;
  std::string item_id;  // item_id(suite, task, sample_id, tier, repeat)
  std::string suite;
  std::string task;
  std::vector<std::string> tags;
  std::string tier;
  std::string model_id;    // what the tier runs: a GGUF file's name, or the endpoint's model
  std::string model_hash;  // sha256 of the GGUF file; empty for remote models
  std::string sample_id;
  int repeat = 0;          // 0-based
  std::uint64_t seed = 0;  // the sampler's seed for this item

  std::string prompt;      // as sent: the rendered prompt (chat: the user message)
  std::string completion;  // as the model answered
  std::string answer;      // what the task's extraction cut out of the completion
  std::string finish_reason;  // "stop", "length", "timeout", "error"

  std::vector<GraderVerdict> graders;
  double score = 0;     // weighted mean of the verdicts' scores, in [0, 1]
  bool passed = false;  // every grader passed
  ItemStatus status = ItemStatus::kGraded;
  std::vector<std::string> overruns;  // "max_tokens", "timeout", "energy"
  std::string error;                  // kError, kUnsupported: what went wrong

  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  bool tokens_counted = false;  // true: counted by pareto (the endpoint reported no usage)
  // false: the prompt's tokens are unknown (prompt_tokens is 0; JSON null) and completion
  // tokens are streamed pieces; see GenerationResponse::prompt_tokens_known.
  bool prompt_tokens_known = true;
  LatencyFigures latency;
  std::optional<EnergyRecord> energy;  // absent when nothing measured or modelled it
  bool cached = false;                 // reused from the cache rather than run
  nlohmann::json trajectory;           // agent tasks: the steps; null otherwise
};

// Stable id of an item: 16 hex digits of a 64-bit FNV-1a hash over the fields, each
// length-prefixed so that no two different tuples hash the same text.
std::string item_id(std::string_view suite, std::string_view task, std::string_view sample_id,
                    std::string_view tier, int repeat);

nlohmann::json to_json(const ItemRecord& record);
Result<ItemRecord> record_from_json(const nlohmann::json& json);

struct ResultsFile {
  std::vector<ItemRecord> records;  // in file order
  bool torn_tail = false;           // the last line was incomplete (a killed writer) and skipped
};

// Reads DIR/results.jsonl (or any results file). A missing file is an error; an empty file
// has no records. Errors name the file and line.
Result<ResultsFile> read_results(const std::filesystem::path& path);

// Appends records to a results file, one line each, flushed to the kernel per record.
class ResultsWriter {
 public:
  // Opens `path` for appending (creating it). When the file ends in a torn line (a killed
  // writer), the torn bytes are cut off first so the next record starts a clean line.
  static Result<ResultsWriter> Open(const std::filesystem::path& path);
  ResultsWriter(ResultsWriter&& other) noexcept;
  ResultsWriter& operator=(ResultsWriter&& other) noexcept;
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;
  ~ResultsWriter();

  Status Append(const ItemRecord& record);
  // fsync(2): the records so far survive a power loss too (run calls it at the end).
  Status Sync();

 private:
  ResultsWriter(int fd, std::filesystem::path path);
  int fd_ = -1;
  std::filesystem::path path_;
};

}  // namespace pareto::harness
