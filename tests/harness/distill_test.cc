// Teacher data (harness/distill.h): exporting fresh samples from a real teacher (the committed
// flash tier, embedded and served on loopback by our own OpenAI-compatible server), keeping
// only completions that pass the graders, log-probabilities the core recomputes, resuming,
// the reader's errors, and the examples a student trains on.
#include "harness/distill.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "agents/driver.h"
#include "harness/graders.h"
#include "inference/chat_template.h"
#include "inference/context.h"
#include "inference/model.h"
#include "inference/openai_server.h"
#include "spec/checker.h"
#include "suites/generators.h"
#include "suites/training.h"
#include "tests/harness/test_model.h"

namespace pareto::harness {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = PARETO_SOURCE_DIR;
const fs::path kFlash = kSource / "inference/models/flash.gguf";

class DistillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pareto-distill-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const std::vector<fs::path> files = {kSource / "suites/core/core.pareto"};
    checked_ = spec::check_files(files, generators_, {});
    ASSERT_TRUE(checked_.ok()) << checked_.diagnostics.render({});
    for (const spec::Suite& s : checked_.project.suites) {
      for (const spec::Task& t : s.tasks) {
        // Tasks the committed flash tier mostly solves: its completions pass often.
        if (t.id == "missing.op" || t.id == "py.bool") tasks_.push_back({&s, &t});
      }
    }
    ASSERT_EQ(tasks_.size(), 2u);
  }
  void TearDown() override { fs::remove_all(dir_); }

  spec::Tier FlashTier() const { return testing::embedded_tier("flash", kFlash); }
  std::unique_ptr<Backend> Embedded() const {
    auto b = open_backend(FlashTier());
    EXPECT_TRUE(b.ok()) << b.message();
    return b.ok() ? std::move(*b) : nullptr;
  }
  ExportOptions Options(std::size_t per_task) const {
    ExportOptions o;
    o.per_task = per_task;
    o.top_k = 4;
    o.batch = 4;
    o.teacher.tier = "flash";
    o.teacher.model = "flash.gguf";
    return o;
  }
  std::vector<DistillRecord> Read(const fs::path& path) const {
    auto f = read_distill_file(path);
    EXPECT_TRUE(f.ok()) << f.message();
    return f.ok() ? f->records : std::vector<DistillRecord>{};
  }

  spec::GeneratorRegistry generators_ = suites::builtin_generators();
  spec::CheckResult checked_;
  std::vector<ExportTask> tasks_;
  fs::path dir_;
};

TEST_F(DistillTest, ExportKeepsFreshSamplesThatPassTheGradersNeverEvaluationItems) {
  auto teacher = Embedded();
  ASSERT_TRUE(teacher);
  const fs::path out = dir_ / "teacher.jsonl";
  auto reports = export_teacher_data(tasks_, *teacher, generators_, out, Options(6));
  ASSERT_TRUE(reports.ok()) << reports.message();
  ASSERT_EQ(reports->size(), 2u);
  for (const ExportTaskReport& r : *reports) {
    EXPECT_EQ(r.kept, 6u) << r.task;
    EXPECT_EQ(r.drawn, r.kept + r.failed + r.errors) << r.task;
  }
  const std::vector<DistillRecord> records = Read(out);
  ASSERT_EQ(records.size(), 12u);
  std::set<std::string> ids;
  for (const DistillRecord& r : records) {
    ids.insert(r.id);
    const ExportTask& et = r.task == tasks_[0].task->id ? tasks_[0] : tasks_[1];
    const spec::Task& task = *et.task;
    ASSERT_EQ(r.task, task.id);
    // Fresh: a training seed, never the evaluation seed, and no evaluation item's prompt or
    // (seed, index).
    EXPECT_GE(r.sample_seed, suites::kFirstTrainingSeed);
    EXPECT_NE(r.sample_seed, task.source.seed);
    for (const spec::Sample& s : task.samples) {
      EXPECT_NE(agents::render_prompt(task, s).text(), r.prompt) << r.id;
    }
    // The record's sample is what the generator draws at that seed and index.
    auto drawn = generators_.find(task.source.generator)
                     ->generate(task.source.params, r.sample_seed, r.sample_index + 1);
    EXPECT_EQ(drawn.back().fields, r.fields);
    EXPECT_EQ(agents::render_prompt(task, drawn.back()).text(), r.prompt);
    // Passing, and passing again when graded afresh.
    EXPECT_TRUE(r.passed);
    auto graders = TaskGraders::Make(task);
    ASSERT_TRUE(graders.ok());
    const spec::Sample sample{"x", r.fields, 0};
    auto driver = agents::SingleShot::ForTask(task);
    ASSERT_TRUE(driver.ok());
    EXPECT_EQ(driver->extract(r.completion).answer, r.answer);
    EXPECT_TRUE(graders->grade({&sample, r.answer, {}, {}}, {}).passed) << r.completion;
    EXPECT_EQ(r.teacher.tier, "flash");
    EXPECT_EQ(r.teacher.top_k, 4);
    ASSERT_FALSE(r.tokens.empty());
    for (const DistillToken& t : r.tokens) EXPECT_EQ(t.top_logprobs.size(), 4u);
  }
  EXPECT_EQ(ids.size(), records.size());
}

TEST_F(DistillTest, LogprobsAreTheTeachersAsTheCoreRecomputesThem) {
  auto teacher = Embedded();
  ASSERT_TRUE(teacher);
  const fs::path out = dir_ / "teacher.jsonl";
  ASSERT_TRUE(export_teacher_data(tasks_, *teacher, generators_, out, Options(3)).ok());
  auto model = inference::Model::Load(kFlash.string());
  ASSERT_TRUE(model.ok()) << model.message();
  auto tok = inference::Tokenizer::FromGguf((*model)->file());
  ASSERT_TRUE(tok.ok());
  inference::ContextOptions co;
  co.n_ctx = 192;
  co.n_threads = 1;
  auto ctx = inference::Context::Create(**model, co);
  ASSERT_TRUE(ctx.ok()) << ctx.message();
  const int V = (*model)->config().n_vocab;
  for (const DistillRecord& r : Read(out)) {
    std::vector<int32_t> seq = tok->Encode(r.prompt, {.add_special = true, .parse_special = false});
    const std::size_t n_prompt = seq.size();
    for (const DistillToken& t : r.tokens) seq.push_back(t.id);
    (*ctx)->ClearSequence(0);
    auto logits = (*ctx)->Eval(std::span(seq).first(seq.size() - 1), 0, /*all=*/true);
    ASSERT_TRUE(logits.ok()) << logits.message();
    for (std::size_t k = 0; k < r.tokens.size(); ++k) {
      const float* z = logits->data() + (n_prompt - 1 + k) * static_cast<std::size_t>(V);
      double max = *std::max_element(z, z + V), sum = 0;
      for (int v = 0; v < V; ++v) sum += std::exp(z[v] - max);
      auto logprob = [&](int id) { return z[id] - max - std::log(sum); };
      EXPECT_NEAR(r.tokens[k].logprob, logprob(r.tokens[k].id), 1e-3) << r.id << " token " << k;
      // The top-k: the k most likely tokens, most likely first, the chosen (greedy) one first.
      EXPECT_EQ(r.tokens[k].top_logprobs[0].id, r.tokens[k].id);
      for (std::size_t a = 0; a < r.tokens[k].top_logprobs.size(); ++a) {
        const DistillAlternative& alt = r.tokens[k].top_logprobs[a];
        EXPECT_NEAR(alt.logprob, logprob(alt.id), 1e-3);
        if (a > 0) {
          EXPECT_LE(alt.logprob, r.tokens[k].top_logprobs[a - 1].logprob);
        }
        int above = 0;
        for (int v = 0; v < V; ++v) above += logprob(v) > alt.logprob + 1e-4;
        EXPECT_LE(above, static_cast<int>(a));
      }
    }
    EXPECT_EQ(r.tokens.back().id, tok->eos());  // greedy flash stops at its end token
  }
}

TEST_F(DistillTest, ExportResumesWithoutDuplicatesAndCutsATornLine) {
  auto teacher = Embedded();
  ASSERT_TRUE(teacher);
  const fs::path out = dir_ / "teacher.jsonl";
  ASSERT_TRUE(export_teacher_data(tasks_, *teacher, generators_, out, Options(2)).ok());
  const std::vector<DistillRecord> first = Read(out);
  ASSERT_EQ(first.size(), 4u);
  {
    std::ofstream f(out, std::ios::app);
    f << R"({"schema": "pareto.distill/1", "id": "torn)";  // a writer killed mid-line
  }
  auto again = export_teacher_data(tasks_, *teacher, generators_, out, Options(4));
  ASSERT_TRUE(again.ok()) << again.message();
  EXPECT_EQ((*again)[0].resumed, 2u);
  EXPECT_EQ((*again)[0].kept, 4u);
  const std::vector<DistillRecord> all = Read(out);
  ASSERT_EQ(all.size(), 8u);
  std::set<std::string> ids;
  for (const DistillRecord& r : all) ids.insert(r.id);
  EXPECT_EQ(ids.size(), 8u);
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(all[i].id, first[i].id);
  // The same export from scratch writes the same records.
  const fs::path fresh = dir_ / "fresh.jsonl";
  ASSERT_TRUE(export_teacher_data(tasks_, *teacher, generators_, fresh, Options(4)).ok());
  std::set<std::string> fresh_ids;
  for (const DistillRecord& r : Read(fresh)) fresh_ids.insert(r.id);
  EXPECT_EQ(fresh_ids, ids);
}

TEST_F(DistillTest, ARemoteTeacherOnLoopbackGivesTheSameRecords) {
  auto model = inference::Model::Load(kFlash.string());
  ASSERT_TRUE(model.ok()) << model.message();
  auto tok = inference::Tokenizer::FromGguf((*model)->file());
  ASSERT_TRUE(tok.ok());
  inference::OpenAiServerOptions so;
  so.port = 0;
  so.model_id = "flash";
  so.n_ctx = 192;
  so.n_threads = 1;
  so.parallel = 2;
  auto server = inference::OpenAiServer::Start(**model, *tok, inference::ChatTemplate{}, so);
  ASSERT_TRUE(server.ok()) << server.message();
  spec::Tier tier;
  tier.name = "flash";
  spec::OpenAiModel m;
  m.url = (*server)->base_url();
  m.name = "flash";
  m.max_retries = 0;
  tier.model = m;
  auto remote = open_backend(tier);
  ASSERT_TRUE(remote.ok()) << remote.message();
  auto embedded = Embedded();
  ASSERT_TRUE(embedded);
  const std::vector<ExportTask> one = {tasks_[0]};
  ASSERT_TRUE(
      export_teacher_data(one, **remote, generators_, dir_ / "remote.jsonl", Options(3)).ok());
  ASSERT_TRUE(
      export_teacher_data(one, *embedded, generators_, dir_ / "local.jsonl", Options(3)).ok());
  const auto got = Read(dir_ / "remote.jsonl"), want = Read(dir_ / "local.jsonl");
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].id, want[i].id);
    EXPECT_EQ(got[i].completion, want[i].completion);
    ASSERT_EQ(got[i].tokens.size(), want[i].tokens.size());
    for (std::size_t k = 0; k < got[i].tokens.size(); ++k) {
      EXPECT_EQ(got[i].tokens[k].token, want[i].tokens[k].token);
      EXPECT_NEAR(got[i].tokens[k].logprob, want[i].tokens[k].logprob, 1e-4);
      ASSERT_EQ(got[i].tokens[k].top_logprobs.size(), 4u);
    }
  }
  // A student with the flash vocabulary trains on the remote records (mapped by text) exactly
  // as on the embedded ones (by id).
  StudentVocabulary student{&*tok, vocabulary_fingerprint(*tok), 192};
  auto a = distill_examples(got, student), b = distill_examples(want, student);
  ASSERT_EQ(a.examples.size(), b.examples.size());
  EXPECT_EQ(a.hard_only, 0u);
  for (std::size_t i = 0; i < a.examples.size(); ++i) {
    EXPECT_EQ(a.examples[i].tokens, b.examples[i].tokens);
    EXPECT_EQ(a.examples[i].n_prompt, b.examples[i].n_prompt);
  }
}

TEST_F(DistillTest, ExamplesAreThePromptThenTheTeachersTokensWithTheirTopK) {
  auto teacher = Embedded();
  ASSERT_TRUE(teacher);
  const fs::path out = dir_ / "teacher.jsonl";
  ASSERT_TRUE(export_teacher_data(tasks_, *teacher, generators_, out, Options(2)).ok());
  const auto records = Read(out);
  auto file = inference::GgufFile::Open(kFlash.string());
  ASSERT_TRUE(file.ok());
  auto tok = inference::Tokenizer::FromGguf(*file);
  ASSERT_TRUE(tok.ok());
  StudentVocabulary student{&*tok, vocabulary_fingerprint(*tok), 192};
  EXPECT_EQ(records[0].teacher.vocabulary, "");  // Options() gives none: mapped by text
  auto ex = distill_examples(records, student);
  ASSERT_EQ(ex.examples.size(), records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const inference::TrainExample& e = ex.examples[i];
    std::vector<int32_t> want = tok->Encode(records[i].prompt, {.add_special = true});
    EXPECT_EQ(e.n_prompt, static_cast<int>(want.size()));
    for (const DistillToken& t : records[i].tokens) want.push_back(t.id);
    EXPECT_EQ(e.tokens, want);
    ASSERT_EQ(e.soft.size(), records[i].tokens.size() - 1);  // the end token: hard label only
    for (std::size_t k = 0; k < e.soft.size(); ++k) {
      // Alternatives whose text is no single student token (the teacher's end token) are
      // left out.
      ASSERT_GE(e.soft[k].ids.size(), 1u);
      ASSERT_LE(e.soft[k].ids.size(), 4u);
      EXPECT_EQ(e.soft[k].ids[0], records[i].tokens[k].id);
      EXPECT_FLOAT_EQ(e.soft[k].logprobs[0], records[i].tokens[k].top_logprobs[0].logprob);
    }
  }
  // With the teacher's vocabulary recorded, ids are taken as they are, the end token's
  // top-k included.
  std::vector<DistillRecord> same = records;
  for (DistillRecord& r : same) r.teacher.vocabulary = student.fingerprint;
  auto by_id = distill_examples(same, student);
  ASSERT_EQ(by_id.examples.size(), records.size());
  EXPECT_EQ(by_id.examples[0].tokens, ex.examples[0].tokens);
  EXPECT_EQ(by_id.examples[0].soft.size(), records[0].tokens.size());
  for (const inference::SoftTarget& t : by_id.examples[0].soft) EXPECT_EQ(t.ids.size(), 4u);
  // Too long for the student's context: left out and counted.
  StudentVocabulary tiny{&*tok, student.fingerprint, 4};
  EXPECT_EQ(distill_examples(records, tiny).too_long, records.size());
}

TEST_F(DistillTest, RecordsRoundTripAndTheReaderRejectsMalformedLines) {
  DistillRecord r;
  r.id = distill_record_id("core", "add3", 1000000, 5, "ultra");
  r.suite = "core";
  r.task = "add3";
  r.tags = {"arithmetic"};
  r.sample_seed = 1000000;
  r.sample_index = 5;
  r.fields = {{"a", 1}, {"b", 2}, {"answer", 3}};
  r.mode = "completion";
  r.prompt = "1+2=";
  r.completion = "3";
  r.answer = "3";
  r.finish_reason = "stop";
  r.tokens = {{"3", 51, -0.1, {{"3", 51, -0.1}, {"4", 52, -2.5}}}};
  r.teacher = {"ultra", "ultra.gguf", "abc", "f00", 2, 0};
  r.passed = true;
  r.score = 1;
  r.graders = {{"number", 1, true, 1, "3 == 3", false}};
  const nlohmann::json j = to_json(r);
  auto back = distill_record_from_json(j);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(to_json(*back), j);
  EXPECT_EQ(distill_record_id("core", "add3", 1000000, 5, "ultra"), r.id);
  EXPECT_NE(distill_record_id("core", "add3", 1000000, 6, "ultra"), r.id);

  auto error_of = [](const std::string& line) {
    auto rec = parse_distill_record(line);
    return rec.ok() ? std::string("(parsed)") : rec.message();
  };
  auto with = [&](auto&& edit) {
    nlohmann::json k = j;
    edit(k);
    return error_of(k.dump());
  };
  EXPECT_EQ(error_of("{not json"), "not valid JSON");
  EXPECT_EQ(error_of("[1, 2]"), "a teacher record is not a JSON object");
  EXPECT_NE(with([](auto& k) { k["schema"] = "other/1"; }).find("schema `other/1`"),
            std::string::npos);
  EXPECT_EQ(with([](auto& k) { k.erase("prompt"); }), "missing field `prompt`");
  EXPECT_NE(with([](auto& k) { k["completion"] = 3; }).find("`completion` must be a string"),
            std::string::npos);
  EXPECT_NE(with([](auto& k) { k["sample"]["seed"] = -1; }).find("sample: field `seed`"),
            std::string::npos);
  EXPECT_NE(with([](auto& k) { k["tokens"][0]["logprob"] = 0.5; }).find("tokens[0]"),
            std::string::npos);
  EXPECT_NE(with([](auto& k) {
              k["tokens"][0]["top_logprobs"][1]["id"] = "x";
            }).find("tokens[0]: top_logprobs[1]: field `id` must be an integer"),
            std::string::npos);
  EXPECT_NE(with([](auto& k) { k["verdict"].erase("passed"); }).find("verdict: missing field"),
            std::string::npos);
  EXPECT_NE(with([](auto& k) { k["mode"] = "voice"; }).find("mode"), std::string::npos);

  // A file: the line at fault is named; a torn last line is skipped.
  const fs::path path = dir_ / "bad.jsonl";
  {
    std::ofstream f(path);
    f << j.dump() << "\n" << j.dump() << "\n{\"schema\": 1}\n";
  }
  auto bad = read_distill_file(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("bad.jsonl:3: field `schema` must be a string"), std::string::npos)
      << bad.message();
  {
    std::ofstream f(path);
    f << j.dump() << "\n{\"schema\": \"pareto.dis";
  }
  auto torn = read_distill_file(path);
  ASSERT_TRUE(torn.ok()) << torn.message();
  EXPECT_TRUE(torn->torn_tail);
  EXPECT_EQ(torn->records.size(), 1u);
  EXPECT_FALSE(read_distill_file(dir_ / "missing.jsonl").ok());
}

TEST_F(DistillTest, ATaskWithoutFreshSamplesCannotBeExported) {
  const std::string text = R"(suite s
task fixed {
  kind = analysis
  mode = completion
  prompt = "{{q}}"
  sample { q = "1+1=", answer = "2" }
  expect exact(answer)
}
)";
  const fs::path spec_path = dir_ / "fixed.pareto";
  std::ofstream(spec_path) << text;
  const std::vector<fs::path> files = {spec_path};
  auto checked = spec::check_files(files, generators_, {});
  ASSERT_TRUE(checked.ok()) << checked.diagnostics.render({});
  const std::vector<ExportTask> tasks = {
      {&checked.project.suites[0], &checked.project.suites[0].tasks[0]}};
  auto teacher = Embedded();
  ASSERT_TRUE(teacher);
  auto r = export_teacher_data(tasks, *teacher, generators_, dir_ / "x.jsonl", Options(2));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("task s/fixed"), std::string::npos) << r.message();
}

}  // namespace
}  // namespace pareto::harness
