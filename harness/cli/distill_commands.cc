// pareto distill: teacher datasets and distilled embedded students (docs/distill.md).
//
//   pareto distill export PATH... --out FILE [--targets DIR|targets.json] [--tasks a,b]
//                  [--max-targets N] [--teacher ultra] [--tier-file F] [--per-task N]
//                  [--top-k K] [--temperature X] [--round R]
//   pareto distill train DATA.jsonl PATH... --out DIR [--student flash] [--name NAME]
//                  [--tier-file F] [--steps N] [--batch B] [--lr X] [--min-lr X] [--warmup N]
//                  [--temperature T] [--alpha A] [--replay R] [--seed S] [--threads N]
//                  [--baseline random] [--teacher ultra] [--rerun suite|targets|none]
//
// export: fresh samples of the chosen tasks (targets.json's targets, or --tasks), the
// teacher's completions with top-k log-probabilities, kept when they pass the task's
// graders; appended and synced per record, resumable (run it again on the same FILE).
// train: trains the student tier's GGUF on the teacher data with the KD loss, writes
// DIR/NAME.gguf and DIR/tiers.pareto (the tier file's tiers plus NAME), optionally a
// same-budget baseline on randomly chosen tasks (DIR/random.jsonl, DIR/NAME-random.gguf),
// then reruns the suite on every tier into DIR/run and reports the gain over the student
// with 95% intervals (DIR/gain.json).
//
// Exit codes: 0 ok; 2 usage, spec, data or tier error; 3 runtime error (a model that does
// not load, a file that cannot be written).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "harness/backend.h"
#include "harness/cli/commands.h"
#include "harness/distill.h"
#include "harness/plan.h"
#include "harness/record.h"
#include "harness/runner.h"
#include "harness/summary.h"
#include "inference/gguf.h"
#include "inference/tokenizer.h"
#include "inference/trainer.h"
#include "suites/generators.h"
#include "suites/training.h"

namespace pareto::cli {
namespace {

namespace fs = std::filesystem;
using inference::Result;
using inference::Status;
using nlohmann::json;

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::string part;
  for (char c : text + ",") {
    if (c != ',') {
      part += c;
    } else if (!part.empty()) {
      out.push_back(std::exchange(part, {}));
    }
  }
  return out;
}

const spec::Tier* find_tier(const spec::Project& project, const std::string& name) {
  for (const spec::Tier& t : project.tiers) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

// The specs checked against the tier file (found as `pareto run` finds it) and the tier
// named `name` in it; prints why not (as `who`) and returns nullopt.
struct Checked {
  fs::path tier_file;
  std::vector<fs::path> spec_files;
  spec::CheckResult checked;
  const spec::Tier* tier = nullptr;
};
std::optional<Checked> check_with_tier(const std::vector<std::string>& paths,
                                       const std::string& tier_file, const std::string& name,
                                       const char* who) {
  std::string error;
  auto found = find_tier_file(tier_file, &error);
  if (!found) {
    std::fprintf(stderr, "%s: %s\n", who, error.c_str());
    return std::nullopt;
  }
  Checked c;
  c.tier_file = *found;
  auto checked = check_project(paths, c.tier_file, &c.spec_files);
  if (!checked) return std::nullopt;
  c.checked = std::move(*checked);
  c.tier = find_tier(c.checked.project, name);
  if (c.tier == nullptr) {
    std::fprintf(stderr, "%s: no tier %s in %s\n", who, name.c_str(), c.tier_file.c_str());
    return std::nullopt;
  }
  return c;
}

// A task by `id` or `suite/id`.
std::optional<harness::ExportTask> find_task(const spec::Project& project,
                                             const std::string& name) {
  for (const spec::Suite& suite : project.suites) {
    for (const spec::Task& task : suite.tasks) {
      if (task.id == name || suite.name + "/" + task.id == name)
        return harness::ExportTask{&suite, &task};
    }
  }
  return std::nullopt;
}

// The teacher identity recorded in each record: tier, model, hash, and for an embedded
// teacher its vocabulary's fingerprint.
Result<harness::DistillTeacher> teacher_identity(const spec::Tier& tier,
                                                 const harness::BackendInfo& info) {
  harness::DistillTeacher who;
  who.tier = tier.name;
  who.model = info.model_id;
  who.model_hash = info.model_hash;
  if (const auto* gguf = std::get_if<spec::GgufModel>(&tier.model)) {
    Result<inference::GgufFile> file = inference::GgufFile::Open(gguf->path.string());
    if (!file.ok()) return file.status();
    Result<inference::Tokenizer> tok = inference::Tokenizer::FromGguf(*file);
    if (!tok.ok()) return tok.status();
    who.vocabulary = harness::vocabulary_fingerprint(*tok);
  }
  return who;
}

// Runs an export, printing progress on stderr and a table per task on stdout.
int export_tasks(const std::vector<harness::ExportTask>& tasks, const spec::Tier& teacher_tier,
                 const fs::path& out, harness::ExportOptions options, const char* who) {
  auto backend = harness::open_backend(teacher_tier);
  if (!backend.ok()) {
    std::fprintf(stderr, "%s: %s\n", who, backend.message().c_str());
    return kRuntime;
  }
  auto identity = teacher_identity(teacher_tier, (*backend)->info());
  if (!identity.ok()) {
    std::fprintf(stderr, "%s: %s\n", who, identity.message().c_str());
    return kRuntime;
  }
  options.teacher = *identity;
  const bool tty = isatty(STDERR_FILENO) != 0;
  options.on_progress = [tty, who](const harness::ExportProgress& p) {
    std::fprintf(stderr, "%s%s: %zu/%zu records kept (%zu drawn, %zu failed the graders), %s%s",
                 tty ? "\r" : "", who, p.kept, p.wanted, p.drawn, p.failed, p.task.c_str(),
                 tty ? "   " : "\n");
  };
  auto reports =
      harness::export_teacher_data(tasks, **backend, suites::builtin_generators(), out, options);
  if (tty) std::fputc('\n', stderr);
  if (!reports.ok()) {
    std::fprintf(stderr, "%s: %s\n", who, reports.message().c_str());
    return kRuntime;
  }
  std::printf("%-28s %6s %8s %6s %7s %7s\n", "task", "kept", "resumed", "drawn", "failed",
              "errors");
  for (const harness::ExportTaskReport& r : *reports) {
    std::printf(
        "%-28s %6zu %8zu %6zu %7zu %7zu%s\n", (r.suite + "/" + r.task).c_str(), r.kept, r.resumed,
        r.drawn, r.failed, r.errors,
        r.kept < options.per_task ? "  (fewer than asked: the teacher failed too often)" : "");
    if (r.errors > 0) {
      std::fprintf(stderr,
                   "%s: %s: %zu teacher requests failed or came back without log-probabilities "
                   "(a remote teacher must return logprobs)\n",
                   who, r.task.c_str(), r.errors);
    }
  }
  std::printf("wrote %s (teacher %s, top-%d)\n", out.string().c_str(), teacher_tier.name.c_str(),
              options.top_k);
  std::fflush(stdout);
  return kOk;
}

// ---- export ----

struct ExportArgs {
  std::vector<std::string> paths;
  std::string out, targets, tasks, teacher, tier_file;
  int max_targets = 0;
  std::size_t per_task = 100;
  int top_k = 8;
  double temperature = 0;
  std::uint64_t round = 0;
};

// The targets of a targets.json (or DIR/targets.json), best first.
Result<std::pair<std::string, std::vector<std::string>>> read_targets(const std::string& where) {
  fs::path path = where;
  std::error_code ec;
  if (fs::is_directory(path, ec)) path /= "targets.json";
  std::ifstream in(path);
  if (!in)
    return Status::Error(fmt::format("{}: cannot read (run pareto targets first)", path.string()));
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("tasks") || !j["tasks"].is_array()) {
    return Status::Error(
        fmt::format("{}: not a targets.json (schema pareto.targets/1)", path.string()));
  }
  std::string teacher = j.value("teacher", std::string());
  std::vector<std::string> out;
  for (const json& t : j["tasks"]) {
    if (!t.is_object() || t.value("status", std::string()) != "target") continue;
    out.push_back(t.value("suite", std::string()) + "/" + t.value("task", std::string()));
  }
  return std::make_pair(teacher, out);
}

int run_export(const ExportArgs& a) {
  const char* who = "pareto distill export";
  if (a.targets.empty() == a.tasks.empty()) {
    std::fprintf(stderr,
                 "%s: name the tasks with --targets (targets.json or its run folder) or "
                 "--tasks a,b (one of the two)\n",
                 who);
    return kUsage;
  }
  if (a.top_k < 1 || a.top_k > 20 || a.per_task < 1) {
    std::fprintf(stderr, "%s: --top-k must be 1 to 20 and --per-task at least 1\n", who);
    return kUsage;
  }
  std::vector<std::string> names = split_commas(a.tasks);
  std::string teacher = a.teacher;
  if (!a.targets.empty()) {
    auto t = read_targets(a.targets);
    if (!t.ok()) {
      std::fprintf(stderr, "%s: %s\n", who, t.message().c_str());
      return kUsage;
    }
    if (teacher.empty()) teacher = t->first;
    names = t->second;
    if (a.max_targets > 0 && names.size() > static_cast<std::size_t>(a.max_targets)) {
      names.resize(static_cast<std::size_t>(a.max_targets));
    }
    if (names.empty()) {
      std::fprintf(stderr,
                   "%s: %s names no target (every task is saturated, teacher-unreliable "
                   "or without a gap)\n",
                   who, a.targets.c_str());
      return kUsage;
    }
  }
  if (teacher.empty()) teacher = "ultra";
  std::optional<Checked> checked = check_with_tier(a.paths, a.tier_file, teacher, who);
  if (!checked) return kUsage;
  const spec::Tier* tier = checked->tier;
  std::vector<harness::ExportTask> tasks;
  for (const std::string& n : names) {
    auto t = find_task(checked->checked.project, n);
    if (!t) {
      std::fprintf(stderr, "%s: no task %s in the specs given\n", who, n.c_str());
      return kUsage;
    }
    if (!suites::can_train_on(*t->task, suites::builtin_generators())) {
      std::fprintf(stderr,
                   "%s: task %s: its samples are not generated, so there is nothing "
                   "fresh to export\n",
                   who, n.c_str());
      return kUsage;
    }
    tasks.push_back(*t);
  }
  harness::ExportOptions options;
  options.per_task = a.per_task;
  options.top_k = a.top_k;
  options.temperature = a.temperature;
  options.round = a.round;
  return export_tasks(tasks, *tier, a.out, options, who);
}

// ---- train ----

struct TrainArgs {
  std::string data;
  std::vector<std::string> paths;
  std::string out, student = "flash", name, tier_file, baseline, teacher, rerun = "suite";
  int64_t steps = 300;
  int batch = 32;
  double lr = 1e-3, min_lr = 1e-4;
  int64_t warmup = 20;
  double temperature = 2.0, alpha = 0.5;
  double replay = 0.25;  // share of each batch from fresh samples of every task (hard labels)
  std::uint64_t seed = 1;
  int threads = 1;
};

// Rehearsal data: fresh samples of every generated completion-mode task of the suites, with
// the generator's answers as hard labels, encoded as `pareto train` encodes them (BOS and the
// prompt, then the answer and EOS). Mixed into each batch so a student trained on a few tasks
// keeps the others.
std::vector<inference::TrainExample> replay_examples(const spec::Project& project,
                                                     const inference::Tokenizer& tok, int n_ctx,
                                                     std::size_t per_task) {
  const spec::GeneratorRegistry generators = suites::builtin_generators();
  std::vector<inference::TrainExample> out;
  for (const spec::Suite& suite : project.suites) {
    for (const spec::Task& task : suite.tasks) {
      if (!suites::can_train_on(task, generators) || task.mode != spec::PromptMode::kCompletion) {
        continue;
      }
      // Round 1: samples of their own, apart from the teacher data's round 0.
      for (const suites::TrainingExample& e :
           suites::training_examples(task, generators, 1, per_task)) {
        inference::TrainExample ex;
        const std::string text = e.system.empty() ? e.prompt : e.system + "\n\n" + e.prompt;
        ex.tokens = tok.Encode(text, {.add_special = true, .parse_special = false});
        ex.n_prompt = static_cast<int>(ex.tokens.size());
        for (inference::TokenId t : tok.Encode(e.answer, {})) ex.tokens.push_back(t);
        ex.tokens.push_back(tok.eos());
        if (ex.tokens.size() <= static_cast<std::size_t>(n_ctx)) out.push_back(std::move(ex));
      }
    }
  }
  return out;
}

struct TrainedStudent {
  std::string tier;
  fs::path file;
  int64_t tokens = 0;          // tokens run through the model over all steps
  int64_t teacher_tokens = 0;  // of which from teacher examples (the rest rehearsal)
  std::size_t replay_examples = 0;
  double first_loss = 0, last_loss = 0;
  std::size_t examples = 0;
};

// Trains a copy of the student on `records`; writes `out`.
Result<TrainedStudent> train_student(const fs::path& student_file,
                                     const std::vector<harness::DistillRecord>& records,
                                     const spec::Project& project, const TrainArgs& a,
                                     const std::string& tier, const fs::path& out) {
  inference::TrainOptions o;
  o.steps = a.steps;
  o.warmup = std::min(a.warmup, a.steps / 2);
  o.lr = a.lr;
  o.min_lr = a.min_lr;
  o.weight_decay = 0;  // a short fine-tune: no pull towards zero
  o.seed = a.seed;
  o.threads = a.threads;
  o.distill = {.temperature = a.temperature, .alpha = a.alpha};
  auto trainer = inference::Trainer::FromModel(student_file.string(), o);
  if (!trainer.ok()) return trainer.status();
  auto file = inference::GgufFile::Open(student_file.string());
  if (!file.ok()) return file.status();
  auto tok = inference::Tokenizer::FromGguf(*file);
  if (!tok.ok()) return tok.status();
  harness::StudentVocabulary vocab{&*tok, harness::vocabulary_fingerprint(*tok),
                                   (*trainer)->shape().n_ctx};
  harness::DistillExamples data = harness::distill_examples(records, vocab);
  if (data.examples.empty()) {
    return Status::Error("no teacher record fits the student's context");
  }
  TrainedStudent result;
  result.tier = tier;
  result.file = out;
  result.examples = data.examples.size();
  const int n_replay = static_cast<int>(std::lround(a.replay * a.batch));
  std::vector<inference::TrainExample> replay;
  if (n_replay > 0) {
    const std::size_t need = static_cast<std::size_t>(a.steps) * n_replay;
    std::size_t tasks = 0;
    for (const spec::Suite& s : project.suites) tasks += s.tasks.size();
    replay = replay_examples(
        project, *tok, (*trainer)->shape().n_ctx,
        std::clamp<std::size_t>(need / std::max<std::size_t>(1, tasks) + 1, 16, 2000));
    if (replay.empty()) return Status::Error("--replay: the suites have no generated task");
  }
  result.replay_examples = replay.size();
  // The batch of a step: teacher examples drawn uniformly, and round(replay * batch)
  // rehearsal examples, from a generator seeded by seed and step.
  auto source = [&](int64_t step) -> Result<std::vector<inference::TrainExample>> {
    std::mt19937_64 rng(a.seed * 0x9e3779b97f4a7c15ull ^ static_cast<std::uint64_t>(step));
    std::vector<inference::TrainExample> batch;
    for (int i = 0; i < a.batch; ++i) {
      const bool rehearse = i < n_replay;
      const auto& from = rehearse ? replay : data.examples;
      batch.push_back(from[rng() % from.size()]);
      result.tokens += static_cast<int64_t>(batch.back().tokens.size());
      if (!rehearse) result.teacher_tokens += static_cast<int64_t>(batch.back().tokens.size());
    }
    return batch;
  };
  inference::RunOptions run;
  run.report_every = std::max<int64_t>(1, a.steps / 10);
  bool first = true;
  auto progress = [&](const inference::TrainProgress& p) {
    if (first) result.first_loss = p.loss;
    first = false;
    result.last_loss = p.loss;
    std::fprintf(stderr, "  %s: step %lld/%lld loss %.4f lr %.2e %.0f tokens/s\n", tier.c_str(),
                 static_cast<long long>(p.step), static_cast<long long>(p.steps), p.loss, p.lr,
                 p.tokens_per_s);
  };
  if (Status s = (*trainer)->Run(source, run, progress); !s.ok()) return s;
  const json settings = {{"data_records", records.size()},
                         {"examples", data.examples.size()},
                         {"steps", a.steps},
                         {"batch", a.batch},
                         {"lr", a.lr},
                         {"temperature", a.temperature},
                         {"alpha", a.alpha},
                         {"seed", a.seed},
                         {"replay", a.replay},
                         {"student", student_file.filename().string()}};
  if (Status s = (*trainer)->SaveModel(
          out.string(), "pareto-" + tier,
          {{"pareto.distill", inference::GgufValue::String(settings.dump())}});
      !s.ok()) {
    return s;
  }
  return result;
}

std::string estimate_text(const harness::ScoreEstimate& e) {
  return fmt::format("{:.3f} [{:.3f}, {:.3f}]", e.mean, e.ci.lower, e.ci.upper);
}

std::string gain_text(const harness::PairedComparison& c) {
  return fmt::format("{:+.3f} [{:+.3f}, {:+.3f}] p={:.2g}", c.difference, c.ci.lower, c.ci.upper,
                     c.p_value);
}

void print_gains(const harness::GainReport& g) {
  for (const harness::GainGroup& group : g.groups) {
    std::printf("%s (%lld items%s)\n", group.name.c_str(), static_cast<long long>(group.items),
                group.name == "targets" || group.name == "other tasks"
                    ? fmt::format(", {} tasks", group.tasks.size()).c_str()
                    : "");
    std::printf("  %-22s %-24s\n", g.student.c_str(), estimate_text(group.base).c_str());
    for (const harness::GainRow& r : group.rows) {
      std::printf("  %-22s %-24s gain %s\n", r.tier.c_str(), estimate_text(r.score).c_str(),
                  gain_text(r.gain).c_str());
    }
  }
  if (g.first_minus_second) {
    std::printf("targets: %s minus %s: %s\n", g.tiers[0].c_str(), g.tiers[1].c_str(),
                gain_text(*g.first_minus_second).c_str());
  }
}

int run_train(const TrainArgs& a) {
  const char* who = "pareto distill train";
  if (a.steps < 1 || a.batch < 1 || !(a.lr > 0) || a.threads < 1) {
    std::fprintf(stderr, "%s: --steps, --batch, --threads and --lr must be positive\n", who);
    return kUsage;
  }
  if (!(a.replay >= 0 && a.replay < 1) || !(a.temperature > 0) || !(a.alpha >= 0 && a.alpha <= 1)) {
    std::fprintf(stderr, "%s: --replay must lie in [0, 1), --alpha in [0, 1], --temperature > 0\n",
                 who);
    return kUsage;
  }
  if (!a.baseline.empty() && a.baseline != "random") {
    std::fprintf(stderr, "%s: --baseline takes `random`, not `%s`\n", who, a.baseline.c_str());
    return kUsage;
  }
  if (a.rerun != "suite" && a.rerun != "targets" && a.rerun != "none") {
    std::fprintf(stderr, "%s: --rerun takes suite, targets or none\n", who);
    return kUsage;
  }
  auto data = harness::read_distill_file(a.data);
  if (!data.ok()) {
    std::fprintf(stderr, "%s: %s\n", who, data.message().c_str());
    return kUsage;
  }
  if (data->records.empty()) {
    std::fprintf(stderr, "%s: %s holds no teacher record\n", who, a.data.c_str());
    return kUsage;
  }
  std::optional<Checked> checked = check_with_tier(a.paths, a.tier_file, a.student, who);
  if (!checked) return kUsage;
  const spec::Tier* student = checked->tier;
  const fs::path& tier_file = checked->tier_file;
  const std::vector<fs::path>& spec_files = checked->spec_files;
  const auto* student_model = std::get_if<spec::GgufModel>(&student->model);
  if (student_model == nullptr) {
    std::fprintf(stderr,
                 "%s: tier %s is a remote endpoint; only embedded (gguf) students can "
                 "be trained\n",
                 who, a.student.c_str());
    return kUsage;
  }
  const std::string name = a.name.empty() ? a.student + "-distilled" : a.name;
  if (find_tier(checked->checked.project, name) != nullptr) {
    std::fprintf(stderr, "%s: the tier file already has a tier %s (choose --name)\n", who,
                 name.c_str());
    return kUsage;
  }
  // The data's tasks, in order of first appearance: the targets.
  std::vector<std::string> targets;
  for (const harness::DistillRecord& r : data->records) {
    const std::string t = r.suite + "/" + r.task;
    if (std::find(targets.begin(), targets.end(), t) == targets.end()) targets.push_back(t);
  }
  std::error_code ec;
  const fs::path out = a.out;
  if (fs::exists(out / "run", ec)) {
    std::fprintf(stderr, "%s: %s already holds a run; give a fresh --out\n", who,
                 (out / "run").c_str());
    return kUsage;
  }
  fs::create_directories(out, ec);
  if (ec) {
    std::fprintf(stderr, "%s: cannot create %s: %s\n", who, out.c_str(), ec.message().c_str());
    return kRuntime;
  }

  std::vector<TrainedStudent> trained;
  std::fprintf(stderr, "%s: %s on %zu teacher records of %zu tasks, %lld steps x %d\n", who,
               name.c_str(), data->records.size(), targets.size(), static_cast<long long>(a.steps),
               a.batch);
  auto distilled = train_student(student_model->path, data->records, checked->checked.project, a,
                                 name, out / (name + ".gguf"));
  if (!distilled.ok()) {
    std::fprintf(stderr, "%s: %s\n", who, distilled.message().c_str());
    return kRuntime;
  }
  trained.push_back(*distilled);

  std::vector<std::string> random_tasks;
  if (a.baseline == "random") {
    // As many tasks as the targets, drawn at random from the suites' generated tasks, with as
    // many teacher records per task; trained with the same steps and batch.
    const spec::GeneratorRegistry generators = suites::builtin_generators();
    std::vector<harness::ExportTask> pool;
    for (const spec::Suite& suite : checked->checked.project.suites) {
      for (const spec::Task& task : suite.tasks) {
        if (suites::can_train_on(task, generators) && task.kind != spec::TaskKind::kAgent) {
          pool.push_back({&suite, &task});
        }
      }
    }
    std::mt19937_64 rng(a.seed);
    std::shuffle(pool.begin(), pool.end(), rng);
    pool.resize(std::min(pool.size(), targets.size()));
    for (const harness::ExportTask& t : pool)
      random_tasks.push_back(t.suite->name + "/" + t.task->id);
    const std::string teacher = a.teacher.empty() ? data->records.front().teacher.tier : a.teacher;
    const spec::Tier* teacher_tier = find_tier(checked->checked.project, teacher);
    if (teacher_tier == nullptr) {
      std::fprintf(stderr, "%s: no teacher tier %s for the random baseline\n", who,
                   teacher.c_str());
      return kUsage;
    }
    harness::ExportOptions options;
    options.per_task = (data->records.size() + pool.size() - 1) / pool.size();
    options.top_k = std::max(1, data->records.front().teacher.top_k);
    options.temperature = data->records.front().teacher.temperature;
    std::fprintf(stderr, "%s: random baseline on %zu tasks:", who, pool.size());
    for (const std::string& t : random_tasks) std::fprintf(stderr, " %s", t.c_str());
    std::fputc('\n', stderr);
    if (int rc = export_tasks(pool, *teacher_tier, out / "random.jsonl", options, who); rc != kOk) {
      return rc;
    }
    auto random_data = harness::read_distill_file(out / "random.jsonl");
    if (!random_data.ok() || random_data->records.empty()) {
      std::fprintf(
          stderr, "%s: the random baseline has no teacher data: %s\n", who,
          random_data.ok() ? "the teacher passed no sample" : random_data.message().c_str());
      return kRuntime;
    }
    const std::string random_name = name + "-random";
    auto random = train_student(student_model->path, random_data->records, checked->checked.project,
                                a, random_name, out / (random_name + ".gguf"));
    if (!random.ok()) {
      std::fprintf(stderr, "%s: %s\n", who, random.message().c_str());
      return kRuntime;
    }
    trained.push_back(*random);
  }

  // The tier file: the given one's tiers, plus the new students beside it.
  const fs::path tiers_out = out / "tiers.pareto";
  {
    std::ofstream f(tiers_out);
    f << "# Written by pareto distill train: the tiers of " << fs::absolute(tier_file).string()
      << ",\n# and the students distilled from " << fs::absolute(a.data).string() << ".\n";
    f << "include \"" << fs::absolute(tier_file).string() << "\"\n";
    for (const TrainedStudent& t : trained) {
      f << "tier " << t.tier << " { model = gguf(\"" << t.file.filename().string()
        << "\", threads = 1) }\n";
    }
    if (!f) {
      std::fprintf(stderr, "%s: cannot write %s\n", who, tiers_out.c_str());
      return kRuntime;
    }
  }
  json summary = {{"schema", "pareto.distill-train/1"},
                  {"data", a.data},
                  {"student", a.student},
                  {"targets", targets},
                  {"random_tasks", random_tasks},
                  {"tier_file", tiers_out.string()},
                  {"steps", a.steps},
                  {"batch", a.batch},
                  {"temperature", a.temperature},
                  {"alpha", a.alpha},
                  {"replay", a.replay},
                  {"lr", a.lr}};
  for (const TrainedStudent& t : trained) {
    summary["trained"].push_back({{"tier", t.tier},
                                  {"file", t.file.string()},
                                  {"examples", t.examples},
                                  {"tokens", t.tokens},
                                  {"teacher_tokens", t.teacher_tokens},
                                  {"replay_examples", t.replay_examples},
                                  {"first_loss", t.first_loss},
                                  {"last_loss", t.last_loss}});
    std::printf(
        "wrote %s (tier %s: %zu teacher examples, %lld tokens in %lld steps, %lld of them "
        "teacher data, loss %.4f -> %.4f)\n",
        t.file.c_str(), t.tier.c_str(), t.examples, static_cast<long long>(t.tokens),
        static_cast<long long>(a.steps), static_cast<long long>(t.teacher_tokens), t.first_loss,
        t.last_loss);
  }
  std::printf("wrote %s\n", tiers_out.c_str());
  std::fflush(stdout);
  if (Status s = harness::write_json_atomically(out / "distill.json", summary); !s.ok()) {
    std::fprintf(stderr, "%s: %s\n", who, s.message().c_str());
    return kRuntime;
  }
  if (a.rerun == "none") return kOk;

  // The rerun: every tier of the new tier file, on the suite or the targets.
  std::vector<fs::path> unused;
  auto rechecked = check_project(a.paths, tiers_out, &unused);
  if (!rechecked) return kUsage;
  harness::PlanOptions plan_options;
  if (a.rerun == "targets") {
    harness::Selection selection;
    for (const std::string& t : targets) {
      const auto slash = t.find('/');
      selection.entries.push_back({t.substr(0, slash), t.substr(slash + 1), {}});
    }
    plan_options.selection = selection;
  }
  auto plan = harness::make_plan(rechecked->project, plan_options);
  if (!plan.ok()) {
    std::fprintf(stderr, "%s: %s\n", who, plan.message().c_str());
    return kUsage;
  }
  harness::RunOptions options;
  options.plan = plan_options;
  options.cache_dir = harness::default_cache_dir();
  options.program = {PARETO_VERSION, PARETO_GIT_COMMIT, {"pareto", "distill", "train"}};
  options.spec_files = spec_files;
  options.tier_file = tiers_out;
  options.out = out / "run";
  std::fprintf(stderr, "%s: rerunning %zu items on %zu tiers into %s\n", who, plan->items.size(),
               plan->tiers.size(), options.out.c_str());
  auto report = harness::run_plan(rechecked->project, *plan, options);
  if (!report.ok()) {
    std::fprintf(stderr, "%s: %s\n", who, report.message().c_str());
    return kRuntime;
  }
  if (Status s = harness::write_summary(options.out); !s.ok()) {
    std::fprintf(stderr, "%s: %s\n", who, s.message().c_str());
    return kRuntime;
  }
  auto results = harness::read_results(options.out / "results.jsonl");
  if (!results.ok()) {
    std::fprintf(stderr, "%s: %s\n", who, results.message().c_str());
    return kRuntime;
  }
  std::vector<std::string> new_tiers;
  for (const TrainedStudent& t : trained) new_tiers.push_back(t.tier);
  auto gains = harness::distill_gains(results->records, a.student, new_tiers, targets);
  if (!gains.ok()) {
    std::fprintf(stderr, "%s: %s\n", who, gains.message().c_str());
    return kRuntime;
  }
  print_gains(*gains);
  if (Status s = harness::write_json_atomically(out / "gain.json", harness::to_json(*gains));
      !s.ok()) {
    std::fprintf(stderr, "%s: %s\n", who, s.message().c_str());
    return kRuntime;
  }
  std::printf("wrote %s and %s (pareto report %s --format html shows the new tiers)\n",
              (out / "gain.json").c_str(), options.out.c_str(), options.out.c_str());
  return kOk;
}

}  // namespace

void add_distill_commands(CLI::App& app, int& exit_code) {
  CLI::App* distill =
      app.add_subcommand("distill", "export teacher data; distill embedded students");
  distill->require_subcommand(1);

  auto e = std::make_shared<ExportArgs>();
  CLI::App* ex = distill->add_subcommand(
      "export", "teacher completions with top-k log-probabilities on fresh samples, as JSONL");
  ex->add_option("paths", e->paths, "spec files or folders holding the tasks")->required();
  ex->add_option("--out", e->out, "the JSONL file to write (appended to and resumed)")->required();
  ex->add_option("--targets", e->targets, "targets.json, or the run folder holding it");
  ex->add_option("--tasks", e->tasks, "the tasks, by id or suite/id, comma-separated");
  ex->add_option("--max-targets", e->max_targets, "export only the best N targets");
  ex->add_option("--teacher", e->teacher, "the teacher tier (default: targets.json's, else ultra)");
  ex->add_option("--tier-file", e->tier_file, "tier file");
  ex->add_option("--per-task", e->per_task, "records to keep per task (default 100)");
  ex->add_option("--top-k", e->top_k, "alternatives per token, 1 to 20 (default 8)");
  ex->add_option("--temperature", e->temperature, "the teacher's temperature (default 0, greedy)");
  ex->add_option("--round", e->round, "training round: samples from seed 1000000 + round");
  ex->callback([e, &exit_code] { exit_code = run_export(*e); });

  auto t = std::make_shared<TrainArgs>();
  CLI::App* tr = distill->add_subcommand(
      "train", "distill an embedded student on teacher data, then rerun and report the gain");
  tr->add_option("data", t->data, "teacher data (pareto distill export)")->required();
  tr->add_option("paths", t->paths, "spec files or folders to rerun (and draw baseline tasks from)")
      ->required();
  tr->add_option("--out", t->out, "folder for the new models, tier file, run and gain")->required();
  tr->add_option("--student", t->student, "the student tier (default flash)");
  tr->add_option("--name", t->name, "the new tier's name (default STUDENT-distilled)");
  tr->add_option("--tier-file", t->tier_file, "tier file");
  tr->add_option("--steps", t->steps, "optimizer steps (default 300)");
  tr->add_option("--batch", t->batch, "examples per step (default 32)");
  tr->add_option("--lr", t->lr, "peak learning rate (default 1e-3)");
  tr->add_option("--min-lr", t->min_lr, "the cosine schedule's floor (default 1e-4)");
  tr->add_option("--warmup", t->warmup, "warm-up steps (default 20)");
  tr->add_option("--temperature", t->temperature, "KD temperature T (default 2)");
  tr->add_option("--alpha", t->alpha, "weight of the KD term; 1 - alpha on the hard labels (0.5)");
  tr->add_option("--replay", t->replay,
                 "share of each batch from fresh samples of every task, hard labels (0.25)");
  tr->add_option("--seed", t->seed, "batch order and baseline task choice (default 1)");
  tr->add_option("--threads", t->threads, "training threads (default 1; results do not change)");
  tr->add_option("--baseline", t->baseline,
                 "`random`: also train on as many randomly chosen tasks, same budget");
  tr->add_option("--teacher", t->teacher,
                 "teacher tier for the baseline's data (default: the data's)");
  tr->add_option("--rerun", t->rerun, "suite (default), targets or none");
  tr->callback([t, &exit_code] { exit_code = run_train(*t); });
}

}  // namespace pareto::cli
