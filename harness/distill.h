// Teacher data for distillation: what `pareto distill export` writes and `pareto distill
// train` reads (docs/distill.md).
//
// A teacher dataset is a JSONL file, one DistillRecord per line (schema pareto.distill/1): a
// fresh sample of a task (drawn by suites::training_examples() with a training seed, never an
// evaluation item), the prompt exactly as the single-shot driver sends it, the teacher's
// completion with each token's log-probability and the teacher's top-k alternatives, and the
// task's graders' verdict on it. Only completions that pass the graders are kept.
//
// Promises:
//  - export_teacher_data() appends one line per kept record with a single write(2) and
//    fsync(2)s it before going on, so a crash loses at most the record being written; run
//    again on the same file it resumes: records already there (by id) are not asked again,
//    and a torn last line is cut off first. The same tasks, options and teacher give the
//    same file (greedy teachers; a sampled teacher is seeded per sample).
//  - record ids are stable: a hash of suite, task, sample seed and index, and teacher tier.
//  - parse_distill_record() never throws and names the field at fault; read_distill_file()
//    names the file and line. Unknown keys are ignored.
//  - distill_examples() turns records into trainer examples for a student: the prompt
//    encoded as the core encodes a completion-mode prompt (BOS, then the text), the
//    teacher's completion tokens as hard labels, the top-k as soft targets. Where the
//    teacher's vocabulary is the student's (same fingerprint), token ids are used as they
//    are; otherwise each token is mapped by its text to a single student token, and a
//    record whose completion cannot be mapped token for token is re-encoded as text and
//    trained on hard labels only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/backend.h"
#include "harness/record.h"
#include "harness/stats.h"
#include "inference/status.h"
#include "inference/tokenizer.h"
#include "inference/trainer.h"
#include "spec/generator.h"
#include "spec/model.h"

namespace pareto::harness {

inline constexpr std::string_view kDistillSchema = "pareto.distill/1";

struct DistillAlternative {
  std::string token;     // its text (UTF-8; invalid bytes are replaced when written)
  std::int32_t id = -1;  // in the teacher's vocabulary; -1 where the teacher does not say
  double logprob = 0;    // natural log, the teacher's own distribution (temperature 1)
};

struct DistillToken {
  std::string token;
  std::int32_t id = -1;
  double logprob = 0;
  std::vector<DistillAlternative> top_logprobs;  // most likely first
};

struct DistillTeacher {
  std::string tier;
  std::string model;       // model id (GGUF file name, or the endpoint's model name)
  std::string model_hash;  // sha256 of the GGUF file; empty for remote teachers
  std::string vocabulary;  // vocabulary_fingerprint() of an embedded teacher; empty otherwise
  int top_k = 0;
  double temperature = 0;
};

struct DistillRecord {
  std::string id;
  std::string suite, task;
  std::vector<std::string> tags;
  std::uint64_t sample_seed = 0;  // generate(..., seed): >= suites::kFirstTrainingSeed
  std::uint64_t sample_index = 0;
  nlohmann::json fields = nlohmann::json::object();  // the sample's fields
  std::string mode;                                  // "completion" or "chat"
  std::string system;                                // chat: the system message (may be empty)
  std::string prompt;  // completion: the whole text sent; chat: the user message
  std::string completion;
  std::string answer;  // what the task's extraction took from the completion
  std::string finish_reason;
  std::vector<DistillToken> tokens;  // the completion's tokens (an end token included when
                                     // the teacher reports it)
  DistillTeacher teacher;
  bool passed = false;
  double score = 0;
  std::vector<GraderVerdict> graders;
};

// The stable id of a record.
std::string distill_record_id(std::string_view suite, std::string_view task, std::uint64_t seed,
                              std::uint64_t index, std::string_view teacher_tier);

nlohmann::json to_json(const DistillRecord& record);
Result<DistillRecord> distill_record_from_json(const nlohmann::json& json);
// One line of a teacher file.
Result<DistillRecord> parse_distill_record(std::string_view line);

struct DistillFile {
  std::vector<DistillRecord> records;
  bool torn_tail = false;  // the last line was incomplete (a killed writer) and skipped
};
// A missing file is an error; an empty one has no records. Errors: "FILE:LINE: why".
Result<DistillFile> read_distill_file(const std::filesystem::path& path);

// A hash of a tokenizer's vocabulary (every token's text, in order, and its size).
std::string vocabulary_fingerprint(const inference::Tokenizer& tokenizer);

struct ExportTask {
  const spec::Suite* suite = nullptr;
  const spec::Task* task = nullptr;
};

struct ExportTaskReport {
  std::string suite, task;
  std::size_t kept = 0;     // records of this task in the file (earlier runs included)
  std::size_t resumed = 0;  // of which already there when this run started
  std::size_t drawn = 0;    // samples asked of the teacher in this run
  std::size_t failed = 0;   // teacher completions the graders failed (not kept)
  std::size_t errors = 0;   // requests or graders that could not give an answer
  bool ran_out = false;     // the generator ran out of fresh samples before `per_task`
};

struct ExportProgress {
  std::size_t kept = 0, wanted = 0, drawn = 0, failed = 0;
  std::string task;  // the task being exported
};

struct ExportOptions {
  std::size_t per_task = 100;  // records to keep per task
  std::size_t max_draws = 0;   // samples to try per task at most; 0: 4 * per_task + 32
  int top_k = 8;               // alternatives per token (>= 1)
  double temperature = 0;      // the teacher's sampling temperature
  std::uint64_t round = 0;     // training round: samples come from seed kFirstTrainingSeed + round
  std::size_t batch = 16;      // requests per Generate() call
  DistillTeacher teacher;      // tier, model, hash and vocabulary to record (top_k and
                               // temperature are filled from these options)
  std::function<void(const ExportProgress&)> on_progress;
};

// Exports `tasks` (each a generated, single-shot task) from `teacher` into `out`, appending
// and resuming as promised above. Errors: a task that cannot be trained on (not generated,
// an agent task), a file that cannot be read or written; a teacher request that fails is
// counted, not an error.
Result<std::vector<ExportTaskReport>> export_teacher_data(std::span<const ExportTask> tasks,
                                                          Backend& teacher,
                                                          const spec::GeneratorRegistry& generators,
                                                          const std::filesystem::path& out,
                                                          const ExportOptions& options);

struct StudentVocabulary {
  const inference::Tokenizer* tokenizer = nullptr;
  std::string fingerprint;  // vocabulary_fingerprint(*tokenizer)
  int n_ctx = 0;            // examples longer than this are left out
};

struct DistillExamples {
  std::vector<inference::TrainExample> examples;  // in record order
  std::vector<std::size_t> record;                // the record each example came from
  std::size_t too_long = 0;                       // records left out for the context
  std::size_t hard_only = 0;                      // records whose tokens could not be mapped
};

DistillExamples distill_examples(std::span<const DistillRecord> records,
                                 const StudentVocabulary& student);

// ---- What distilling gained: the student before and after, on the same items ----

struct GainRow {
  std::string tier;
  ScoreEstimate score;    // on the items every compared tier ran
  PairedComparison gain;  // this tier minus the base student (McNemar / paired t, by item)
};

struct GainGroup {
  std::string name;                // "targets", "other tasks", "all tasks", or a task id
  std::vector<std::string> tasks;  // suite/task
  std::int64_t items = 0;
  ScoreEstimate base;         // the student before
  std::vector<GainRow> rows;  // each distilled tier
};

struct GainReport {
  std::string student;             // the base student tier
  std::vector<std::string> tiers;  // the distilled tiers compared with it
  std::vector<GainGroup> groups;   // targets, other tasks, all tasks, then per target task
  // With two distilled tiers: the second minus the first on the targets (e.g. random - targeted).
  std::optional<PairedComparison> first_minus_second;
};

// Compares `tiers` with `student` on the items all of them ran (paired by suite, task,
// sample and repeat; unsupported items left out). `targets` are suite/task names.
Result<GainReport> distill_gains(std::span<const ItemRecord> records, const std::string& student,
                                 const std::vector<std::string>& tiers,
                                 const std::vector<std::string>& targets);
nlohmann::json to_json(const GainReport& report);

}  // namespace pareto::harness
