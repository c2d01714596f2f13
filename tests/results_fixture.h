// Builds real results files for tests of reports and analyses: ItemRecords with the ids,
// tokens, latency and energy a run would write, saved through the real ResultsWriter.
// Shared by tests/harness and tests/cli.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "harness/record.h"

namespace pareto::testing {

class ResultsBuilder {
 public:
  explicit ResultsBuilder(std::string run_id = "run-test") : run_id_(std::move(run_id)) {}

  // One item. Tokens, latency and energy follow from the arguments so that figures differ by
  // tier and task in a way tests can predict: prompt 20 tokens, completion `completion`
  // tokens, TTFT 10 ms, 5 ms per further token, modelled energy 0.5 mJ per token.
  harness::ItemRecord& add(const std::string& suite, const std::string& task,
                           const std::string& tier, const std::string& sample, int repeat,
                           bool passed, std::vector<std::string> tags = {}, int completion = 8) {
    harness::ItemRecord r;
    r.run_id = run_id_;
    r.item_id = harness::item_id(suite, task, sample, tier, repeat);
    r.suite = suite;
    r.task = task;
    r.tags = std::move(tags);
    r.tier = tier;
    r.model_id = tier + ".gguf";
    r.sample_id = sample;
    r.repeat = repeat;
    r.prompt = "prompt of " + task + " " + sample;
    r.completion = passed ? "right" : "wrong";
    r.answer = r.completion;
    r.finish_reason = "stop";
    r.graders.push_back({"exact", 1.0, passed, passed ? 1.0 : 0.0, passed ? "ok" : "differs"});
    r.score = passed ? 1.0 : 0.0;
    r.passed = passed;
    r.prompt_tokens = 20;
    r.completion_tokens = completion;
    r.latency.ttft_ms = 10;
    r.latency.itl_mean_ms = completion >= 2 ? 5 : 0;
    r.latency.itl_p95_ms = completion >= 2 ? 6 : 0;
    r.latency.e2e_ms = 10 + 5.0 * std::max(0, completion - 1);
    const double tokens = 20.0 + completion;
    r.energy = harness::EnergyRecord{tokens * 5e-4, 5e8, "modelled", "cpu-ddr5"};
    records.push_back(std::move(r));
    return records.back();
  }

  // `samples` samples of a task on a tier, each repeated `repeats` times; `passes(sample,
  // repeat)` says which pass. Sample ids are "s0", "s1", ...
  ResultsBuilder& task(const std::string& suite, const std::string& task, const std::string& tier,
                       int samples, const std::function<bool(int, int)>& passes,
                       std::vector<std::string> tags = {}, int repeats = 1, int completion = 8) {
    for (int s = 0; s < samples; ++s) {
      for (int k = 0; k < repeats; ++k) {
        add(suite, task, tier, "s" + std::to_string(s), k, passes(s, k), tags, completion);
      }
    }
    return *this;
  }

  // Writes DIR/results.jsonl (appending) through the real writer; creates DIR.
  inference::Status write(const std::filesystem::path& dir) const {
    std::filesystem::create_directories(dir);
    auto writer = harness::ResultsWriter::Open(dir / "results.jsonl");
    if (!writer.ok()) return writer.status();
    for (const harness::ItemRecord& r : records) {
      if (inference::Status s = writer->Append(r); !s.ok()) return s;
    }
    return inference::Status::Ok();
  }

  std::vector<harness::ItemRecord> records;

 private:
  std::string run_id_;
};

// A fresh temporary folder, removed when the holder goes.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "pareto-results-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace pareto::testing
