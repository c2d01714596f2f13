#include "harness/record.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace pareto::harness {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "pareto-record-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

ItemRecord full_record() {
  ItemRecord r;
  r.run_id = "run-1";
  r.suite = "core.arith";
  r.task = "add3";
  r.tags = {"arithmetic", "addition"};
  r.tier = "flash";
  r.model_id = "flash.gguf";
  r.model_hash = "ab12";
  r.sample_id = "7";
  r.repeat = 2;
  r.item_id = item_id(r.suite, r.task, r.sample_id, r.tier, r.repeat);
  r.seed = 1234567890123ull;
  r.prompt = "12+345=";
  r.completion = "357\n\"quoted\" \xE2\x9C\x93";
  r.answer = "357";
  r.finish_reason = "stop";
  r.graders = {{"number", 2.0, true, 1.0, "357 == 357"}, {"contains", 1.0, false, 0.0, "no"},
               {"judge", 1.0, false, 0.0, "judge callback failed", true}};
  r.score = 2.0 / 3.0;
  r.passed = false;
  r.status = ItemStatus::kBudget;
  r.overruns = {"max_tokens"};
  r.error = "";
  r.prompt_tokens = 7;
  r.completion_tokens = 4;
  r.tokens_counted = true;
  r.latency = {1.5, 0.25, 0.5, 3.0};
  r.energy = EnergyRecord{0.002, 1.8e8, "modelled", "cpu-ddr5"};
  r.cached = true;
  r.trajectory = nlohmann::json::array({{{"step", 1}}});
  return r;
}

void expect_same(const ItemRecord& a, const ItemRecord& b) {
  EXPECT_EQ(to_json(a), to_json(b));
}

TEST(RecordTest, JsonRoundTripKeepsEveryField) {
  ItemRecord r = full_record();
  Result<ItemRecord> back = record_from_json(to_json(r));
  ASSERT_TRUE(back.ok()) << back.message();
  expect_same(r, *back);
  ASSERT_EQ(back->graders.size(), 3u);
  EXPECT_FALSE(back->graders[1].error);
  EXPECT_TRUE(back->graders[2].error);
  EXPECT_EQ(back->status, ItemStatus::kBudget);
  ASSERT_TRUE(back->energy.has_value());
  EXPECT_EQ(back->energy->source, "modelled");
  EXPECT_DOUBLE_EQ(*back->energy->pj_per_token, 1.8e8);
  EXPECT_EQ(to_json(r)["schema"], std::string(kResultsSchema));
}

TEST(RecordTest, AbsentEnergyStaysAbsent) {
  ItemRecord r = full_record();
  r.energy.reset();
  Result<ItemRecord> back = record_from_json(to_json(r));
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_FALSE(back->energy.has_value());
}

TEST(RecordTest, TokenCountsSayHowTheyWereHad) {
  ItemRecord r = full_record();
  r.tokens_counted = false;
  EXPECT_EQ(to_json(r)["tokens"]["source"], "reported");
  EXPECT_EQ(to_json(r)["tokens"]["prompt"], 7);
  r.tokens_counted = true;
  EXPECT_EQ(to_json(r)["tokens"]["source"], "tokenizer");

  // An endpoint without usage and no tokenizer: the prompt's count is unknown, not 0.
  r.prompt_tokens = 0;
  r.prompt_tokens_known = false;
  const nlohmann::json j = to_json(r);
  EXPECT_TRUE(j["tokens"]["prompt"].is_null());
  EXPECT_EQ(j["tokens"]["source"], "pieces");
  Result<ItemRecord> back = record_from_json(j);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_FALSE(back->prompt_tokens_known);
  EXPECT_TRUE(back->tokens_counted);
  expect_same(r, *back);
  Result<ItemRecord> known = record_from_json(to_json(full_record()));
  ASSERT_TRUE(known.ok());
  EXPECT_TRUE(known->prompt_tokens_known);
}

TEST(RecordTest, WrongTypeNamesTheField) {
  nlohmann::json j = to_json(full_record());
  j["score"] = "high";
  Result<ItemRecord> back = record_from_json(j);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.message().find("`score`"), std::string::npos) << back.message();

  j = to_json(full_record());
  j["status"] = "maybe";
  back = record_from_json(j);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.message().find("maybe"), std::string::npos);

  j = to_json(full_record());
  j.erase("item_id");
  EXPECT_FALSE(record_from_json(j).ok());
  EXPECT_FALSE(record_from_json(nlohmann::json::array()).ok());
}

TEST(RecordTest, ItemIdIsStableAndSeparatesFields) {
  // The id must never change between versions: resumed and merged runs rely on it.
  EXPECT_EQ(item_id("s", "t", "0", "flash", 0), item_id("s", "t", "0", "flash", 0));
  EXPECT_EQ(item_id("s", "t", "0", "flash", 0).size(), 16u);
  std::set<std::string> ids = {
      item_id("s", "t", "0", "flash", 0), item_id("s", "t", "0", "flash", 1),
      item_id("s", "t", "1", "flash", 0), item_id("s", "t", "0", "pro", 0),
      item_id("s", "t0", "", "flash", 0), item_id("st", "", "0", "flash", 0),
  };
  EXPECT_EQ(ids.size(), 6u);
}

TEST(RecordTest, ItemIdMatchesAnIndependentComputation) {
  // FNV-1a 64 over "10:core.arith" "4:add3" "1:7" "5:flash" "1:2", computed apart from this
  // code (a few lines of Python). A change here breaks every stored run's ids.
  EXPECT_EQ(item_id("core.arith", "add3", "7", "flash", 2), "6324539c5dedc0d3");
}

TEST(RecordTest, WriterAppendsAndReaderReadsBack) {
  TempDir dir;
  fs::path path = dir.path() / "results.jsonl";
  {
    Result<ResultsWriter> writer = ResultsWriter::Open(path);
    ASSERT_TRUE(writer.ok()) << writer.message();
    ItemRecord r = full_record();
    for (int i = 0; i < 3; ++i) {
      r.repeat = i;
      r.item_id = item_id(r.suite, r.task, r.sample_id, r.tier, i);
      ASSERT_TRUE(writer->Append(r).ok());
    }
    ASSERT_TRUE(writer->Sync().ok());
  }
  Result<ResultsFile> file = read_results(path);
  ASSERT_TRUE(file.ok()) << file.message();
  EXPECT_FALSE(file->torn_tail);
  ASSERT_EQ(file->records.size(), 3u);
  EXPECT_EQ(file->records[2].repeat, 2);
}

TEST(RecordTest, TornLastLineIsSkippedThenCutByTheNextWriter) {
  TempDir dir;
  fs::path path = dir.path() / "results.jsonl";
  std::string whole = to_json(full_record()).dump() + "\n";
  {
    std::ofstream out(path, std::ios::binary);
    out << whole << whole.substr(0, whole.size() / 2);  // a writer killed mid-line
  }
  Result<ResultsFile> file = read_results(path);
  ASSERT_TRUE(file.ok()) << file.message();
  EXPECT_TRUE(file->torn_tail);
  EXPECT_EQ(file->records.size(), 1u);

  {
    Result<ResultsWriter> writer = ResultsWriter::Open(path);
    ASSERT_TRUE(writer.ok()) << writer.message();
    ASSERT_TRUE(writer->Append(full_record()).ok());
  }
  file = read_results(path);
  ASSERT_TRUE(file.ok()) << file.message();
  EXPECT_FALSE(file->torn_tail);
  EXPECT_EQ(file->records.size(), 2u);
  EXPECT_EQ(fs::file_size(path), 2 * whole.size());
}

TEST(RecordTest, BadLineInTheMiddleIsAnErrorWithItsLine) {
  TempDir dir;
  fs::path path = dir.path() / "results.jsonl";
  {
    std::ofstream out(path, std::ios::binary);
    out << to_json(full_record()).dump() << "\n{not json\n" << to_json(full_record()).dump()
        << "\n";
  }
  Result<ResultsFile> file = read_results(path);
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.message().find("results.jsonl:2"), std::string::npos) << file.message();
  EXPECT_FALSE(read_results(dir.path() / "missing.jsonl").ok());
}

}  // namespace
}  // namespace pareto::harness
