#include "harness/distill.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>

#include "agents/driver.h"
#include "harness/graders.h"
#include "harness/sha256.h"
#include "harness/summary.h"
#include "suites/training.h"

namespace pareto::harness {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string errno_text() { return std::strerror(errno); }

// Typed readers: a missing required key, or a value of the wrong type, is an error naming it.
Status need(const json& j, const char* key, const json** out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Error(fmt::format("missing field `{}`", key));
  *out = &*it;
  return Status::Ok();
}

Status read_string(const json& j, const char* key, std::string& out, bool required = true) {
  auto it = j.find(key);
  if (it == j.end() || (!required && it->is_null())) {
    return required ? Status::Error(fmt::format("missing field `{}`", key)) : Status::Ok();
  }
  if (!it->is_string()) {
    return Status::Error(fmt::format("field `{}` must be a string, not {}", key, it->type_name()));
  }
  out = it->get<std::string>();
  return Status::Ok();
}

template <typename Int>
Status read_int(const json& j, const char* key, Int& out, bool required = true) {
  auto it = j.find(key);
  if (it == j.end()) {
    return required ? Status::Error(fmt::format("missing field `{}`", key)) : Status::Ok();
  }
  if (!it->is_number_integer()) {
    return Status::Error(
        fmt::format("field `{}` must be an integer, not {}", key, it->type_name()));
  }
  if constexpr (std::is_unsigned_v<Int>) {
    if (!it->is_number_unsigned()) {
      return Status::Error(fmt::format("field `{}` must not be negative", key));
    }
    out = it->get<Int>();
  } else {
    const auto v = it->get<std::int64_t>();
    if (v < std::numeric_limits<Int>::min() || v > std::numeric_limits<Int>::max()) {
      return Status::Error(fmt::format("field `{}` is out of range", key));
    }
    out = static_cast<Int>(v);
  }
  return Status::Ok();
}

Status read_number(const json& j, const char* key, double& out, bool required = true) {
  auto it = j.find(key);
  if (it == j.end()) {
    return required ? Status::Error(fmt::format("missing field `{}`", key)) : Status::Ok();
  }
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    return Status::Error(fmt::format("field `{}` must be a finite number", key));
  }
  out = it->get<double>();
  return Status::Ok();
}

Status read_bool(const json& j, const char* key, bool& out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Error(fmt::format("missing field `{}`", key));
  if (!it->is_boolean()) return Status::Error(fmt::format("field `{}` must be true or false", key));
  out = it->get<bool>();
  return Status::Ok();
}

json alternative_json(const std::string& token, std::int32_t id, double logprob) {
  json a = {{"token", token}, {"logprob", logprob}};
  if (id >= 0) a["id"] = id;
  return a;
}

Status alternative_from_json(const json& j, std::string& token, std::int32_t& id, double& logprob) {
  if (!j.is_object()) return Status::Error("not an object");
  if (Status s = read_string(j, "token", token); !s.ok()) return s;
  if (Status s = read_int(j, "id", id, false); !s.ok()) return s;
  if (id < -1) return Status::Error("field `id` must not be negative");
  if (Status s = read_number(j, "logprob", logprob); !s.ok()) return s;
  if (logprob > 1e-6) return Status::Error("field `logprob` must not be positive");
  return Status::Ok();
}

// Appends lines to a file, each with one write(2) and fsync(2); a torn last line (a killed
// writer) is cut off when the file is opened.
class LineAppender {
 public:
  static Result<LineAppender> Open(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
      return Status::Error(fmt::format("cannot open {}: {}", path.string(), errno_text()));
    LineAppender a(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return Status::Error(path.string() + ": " + errno_text());
    // Find the end of the last whole line.
    off_t keep = st.st_size;
    char c = 0;
    while (keep > 0) {
      if (::pread(fd, &c, 1, keep - 1) != 1)
        return Status::Error(path.string() + ": " + errno_text());
      if (c == '\n') break;
      --keep;
    }
    if (keep != st.st_size && ::ftruncate(fd, keep) != 0) {
      return Status::Error(
          fmt::format("cannot cut the torn last line of {}: {}", path.string(), errno_text()));
    }
    return a;
  }
  LineAppender(LineAppender&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  LineAppender(const LineAppender&) = delete;
  LineAppender& operator=(const LineAppender&) = delete;
  LineAppender& operator=(LineAppender&&) = delete;
  ~LineAppender() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string line) {
    line += '\n';
    std::size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::Error("writing the teacher file: " + errno_text());
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd_) != 0) return Status::Error("syncing the teacher file: " + errno_text());
    return Status::Ok();
  }

 private:
  explicit LineAppender(int fd) : fd_(fd) {}
  int fd_ = -1;
};

GenerationRequest request_for(const spec::Task& task, const agents::Prompt& prompt,
                              const ExportOptions& options, std::uint64_t seed) {
  GenerationRequest r;
  r.mode = prompt.mode;
  if (prompt.mode == spec::PromptMode::kChat) {
    r.system = prompt.system;
    r.prompt = prompt.user;
  } else {
    r.prompt = prompt.text();
  }
  r.max_tokens = static_cast<int>(task.budget.max_tokens.value_or(512));
  r.temperature = options.temperature;
  r.seed = seed;
  r.top_logprobs = options.top_k;
  r.timeout = task.budget.timeout;
  return r;
}

}  // namespace

std::string distill_record_id(std::string_view suite, std::string_view task, std::uint64_t seed,
                              std::uint64_t index, std::string_view teacher_tier) {
  return sha256_hex(fmt::format("{}\n{}\n{}\n{}\n{}", suite, task, seed, index, teacher_tier))
      .substr(0, 16);
}

json to_json(const DistillRecord& r) {
  json tokens = json::array();
  for (const DistillToken& t : r.tokens) {
    json top = json::array();
    for (const DistillAlternative& a : t.top_logprobs) {
      top.push_back(alternative_json(a.token, a.id, a.logprob));
    }
    json tok = alternative_json(t.token, t.id, t.logprob);
    tok["top_logprobs"] = std::move(top);
    tokens.push_back(std::move(tok));
  }
  json graders = json::array();
  for (const GraderVerdict& v : r.graders) {
    graders.push_back({{"grader", v.grader},
                       {"weight", v.weight},
                       {"passed", v.passed},
                       {"score", v.score},
                       {"reason", v.reason}});
  }
  return {{"schema", kDistillSchema},
          {"id", r.id},
          {"suite", r.suite},
          {"task", r.task},
          {"tags", r.tags},
          {"sample", {{"seed", r.sample_seed}, {"index", r.sample_index}, {"fields", r.fields}}},
          {"mode", r.mode},
          {"system", r.system},
          {"prompt", r.prompt},
          {"completion", r.completion},
          {"answer", r.answer},
          {"finish_reason", r.finish_reason},
          {"tokens", std::move(tokens)},
          {"teacher",
           {{"tier", r.teacher.tier},
            {"model", r.teacher.model},
            {"model_hash", r.teacher.model_hash},
            {"vocabulary", r.teacher.vocabulary},
            {"top_k", r.teacher.top_k},
            {"temperature", r.teacher.temperature}}},
          {"verdict", {{"passed", r.passed}, {"score", r.score}, {"graders", std::move(graders)}}}};
}

Result<DistillRecord> distill_record_from_json(const json& j) {
  if (!j.is_object()) return Status::Error("a teacher record is not a JSON object");
  DistillRecord r;
  std::string schema;
  if (Status s = read_string(j, "schema", schema); !s.ok()) return s;
  if (schema != kDistillSchema) {
    return Status::Error(fmt::format("schema `{}` is not {}", schema, kDistillSchema));
  }
  for (Status s :
       {read_string(j, "id", r.id), read_string(j, "suite", r.suite),
        read_string(j, "task", r.task), read_string(j, "mode", r.mode),
        read_string(j, "system", r.system, false), read_string(j, "prompt", r.prompt),
        read_string(j, "completion", r.completion), read_string(j, "answer", r.answer, false),
        read_string(j, "finish_reason", r.finish_reason, false)}) {
    if (!s.ok()) return s;
  }
  if (r.mode != "completion" && r.mode != "chat") {
    return Status::Error(fmt::format("field `mode` must be completion or chat, not `{}`", r.mode));
  }
  if (auto it = j.find("tags"); it != j.end()) {
    if (!it->is_array()) return Status::Error("field `tags` must be a list of strings");
    for (const json& t : *it) {
      if (!t.is_string()) return Status::Error("field `tags` must be a list of strings");
      r.tags.push_back(t.get<std::string>());
    }
  }
  const json* sample = nullptr;
  if (Status s = need(j, "sample", &sample); !s.ok()) return s;
  if (!sample->is_object()) return Status::Error("field `sample` must be an object");
  for (Status s :
       {read_int(*sample, "seed", r.sample_seed), read_int(*sample, "index", r.sample_index)}) {
    if (!s.ok()) return s.WithContext("sample");
  }
  if (auto it = sample->find("fields"); it != sample->end()) {
    if (!it->is_object()) return Status::Error("sample: field `fields` must be an object");
    r.fields = *it;
  }

  const json* tokens = nullptr;
  if (Status s = need(j, "tokens", &tokens); !s.ok()) return s;
  if (!tokens->is_array()) return Status::Error("field `tokens` must be a list");
  for (std::size_t i = 0; i < tokens->size(); ++i) {
    const json& t = (*tokens)[i];
    DistillToken tok;
    auto at = [&](const Status& s) { return s.WithContext(fmt::format("tokens[{}]", i)); };
    if (Status s = alternative_from_json(t, tok.token, tok.id, tok.logprob); !s.ok()) return at(s);
    const json* top = nullptr;
    if (Status s = need(t, "top_logprobs", &top); !s.ok()) return at(s);
    if (!top->is_array()) return at(Status::Error("field `top_logprobs` must be a list"));
    for (std::size_t k = 0; k < top->size(); ++k) {
      DistillAlternative a;
      if (Status s = alternative_from_json((*top)[k], a.token, a.id, a.logprob); !s.ok()) {
        return at(s.WithContext(fmt::format("top_logprobs[{}]", k)));
      }
      tok.top_logprobs.push_back(std::move(a));
    }
    r.tokens.push_back(std::move(tok));
  }

  const json* teacher = nullptr;
  if (Status s = need(j, "teacher", &teacher); !s.ok()) return s;
  if (!teacher->is_object()) return Status::Error("field `teacher` must be an object");
  for (Status s : {read_string(*teacher, "tier", r.teacher.tier),
                   read_string(*teacher, "model", r.teacher.model, false),
                   read_string(*teacher, "model_hash", r.teacher.model_hash, false),
                   read_string(*teacher, "vocabulary", r.teacher.vocabulary, false),
                   read_int(*teacher, "top_k", r.teacher.top_k, false),
                   read_number(*teacher, "temperature", r.teacher.temperature, false)}) {
    if (!s.ok()) return s.WithContext("teacher");
  }

  const json* verdict = nullptr;
  if (Status s = need(j, "verdict", &verdict); !s.ok()) return s;
  if (!verdict->is_object()) return Status::Error("field `verdict` must be an object");
  for (Status s :
       {read_bool(*verdict, "passed", r.passed), read_number(*verdict, "score", r.score)}) {
    if (!s.ok()) return s.WithContext("verdict");
  }
  if (auto it = verdict->find("graders"); it != verdict->end()) {
    if (!it->is_array()) return Status::Error("verdict: field `graders` must be a list");
    for (const json& g : *it) {
      if (!g.is_object()) return Status::Error("verdict: a grader verdict is not an object");
      GraderVerdict v;
      for (Status s :
           {read_string(g, "grader", v.grader), read_bool(g, "passed", v.passed),
            read_number(g, "weight", v.weight, false), read_number(g, "score", v.score, false),
            read_string(g, "reason", v.reason, false)}) {
        if (!s.ok()) return s.WithContext("verdict.graders");
      }
      r.graders.push_back(std::move(v));
    }
  }
  return r;
}

Result<DistillRecord> parse_distill_record(std::string_view line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Error("not valid JSON");
  return distill_record_from_json(j);
}

Result<DistillFile> read_distill_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(fmt::format("cannot read {}: {}", path.string(), errno_text()));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  DistillFile file;
  std::size_t start = 0;
  int line = 0;
  while (start < text.size()) {
    ++line;
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      // Cut short by a killed writer: never finished, so not a record.
      file.torn_tail = true;
      break;
    }
    const std::string_view row(text.data() + start, end - start);
    start = end + 1;
    Result<DistillRecord> record = parse_distill_record(row);
    if (!record.ok()) {
      return record.status().WithContext(fmt::format("{}:{}", path.string(), line));
    }
    file.records.push_back(std::move(*record));
  }
  return file;
}

std::string vocabulary_fingerprint(const inference::Tokenizer& tokenizer) {
  std::string all = std::to_string(tokenizer.size());
  for (inference::TokenId id = 0; id < tokenizer.size(); ++id) {
    all += '\n';
    all += tokenizer.TokenText(id);
  }
  return sha256_hex(all).substr(0, 16);
}

Result<std::vector<ExportTaskReport>> export_teacher_data(std::span<const ExportTask> tasks,
                                                          Backend& teacher,
                                                          const spec::GeneratorRegistry& generators,
                                                          const fs::path& out,
                                                          const ExportOptions& options) {
  if (options.top_k < 1) return Status::Error("top-k must be at least 1");
  if (options.per_task < 1) return Status::Error("at least one record per task is needed");
  if (options.batch < 1) return Status::Error("the batch must hold at least one request");
  // What the file already holds (a resumed export).
  std::unordered_set<std::string> done;
  std::map<std::pair<std::string, std::string>, std::size_t> have;
  std::error_code ec;
  if (fs::exists(out, ec)) {
    Result<DistillFile> existing = read_distill_file(out);
    if (!existing.ok()) return existing.status();
    for (const DistillRecord& r : existing->records) {
      if (done.insert(r.id).second) ++have[{r.suite, r.task}];
    }
  }
  Result<LineAppender> file = LineAppender::Open(out);
  if (!file.ok()) return file.status();

  DistillTeacher who = options.teacher;
  who.top_k = options.top_k;
  who.temperature = options.temperature;
  const std::size_t max_draws =
      options.max_draws > 0 ? options.max_draws : 4 * options.per_task + 32;

  std::vector<ExportTaskReport> reports;
  ExportProgress progress;
  progress.wanted = options.per_task * tasks.size();
  for (const ExportTask& et : tasks) {
    const spec::Task& task = *et.task;
    const std::string where = fmt::format("task {}/{}", et.suite->name, task.id);
    if (!suites::can_train_on(task, generators)) {
      return Status::Error(where +
                           ": its samples are not drawn from a built-in generator "
                           "with an `answer` field, so there is nothing fresh to export");
    }
    Result<agents::SingleShot> driver = agents::SingleShot::ForTask(task);
    if (!driver.ok()) return driver.status().WithContext(where);
    Result<TaskGraders> graders = TaskGraders::Make(task);
    if (!graders.ok()) return graders.status().WithContext(where);

    ExportTaskReport report;
    report.suite = et.suite->name;
    report.task = task.id;
    report.kept = report.resumed = have[{et.suite->name, task.id}];
    progress.kept += std::min(report.kept, options.per_task);
    progress.task = task.id;
    const std::vector<suites::TrainingExample> fresh =
        suites::training_examples(task, generators, options.round, max_draws);
    report.ran_out = fresh.size() < max_draws;
    std::size_t next = 0;
    while (report.kept < options.per_task && next < fresh.size()) {
      // The next batch of samples this file does not hold yet.
      std::vector<const suites::TrainingExample*> batch;
      std::vector<GenerationRequest> requests;
      std::vector<spec::Sample> samples;
      while (batch.size() < options.batch && next < fresh.size() &&
             report.kept + batch.size() < options.per_task + options.batch) {
        const suites::TrainingExample& e = fresh[next++];
        const std::string id =
            distill_record_id(et.suite->name, task.id, e.seed, e.index, who.tier);
        if (done.contains(id)) continue;
        batch.push_back(&e);
        samples.push_back(spec::Sample{std::to_string(e.index), e.fields, 0});
      }
      if (batch.empty()) break;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        requests.push_back(request_for(task, driver->prompt(samples[i]), options,
                                       batch[i]->seed ^ (batch[i]->index * 0x9e3779b97f4a7c15ull)));
      }
      const std::vector<GenerationResponse> responses = teacher.Generate(requests);
      for (std::size_t i = 0; i < batch.size() && report.kept < options.per_task; ++i) {
        const suites::TrainingExample& e = *batch[i];
        const GenerationResponse& resp = responses[i];
        ++report.drawn;
        ++progress.drawn;
        if (!resp.ok() || resp.logprobs.empty()) {
          ++report.errors;
          continue;
        }
        const agents::ExtractedAnswer answer = driver->extract(resp.text);
        GradeInput input;
        input.sample = &samples[i];
        input.answer = answer.answer;
        Grading grading = graders->grade(input, {});
        if (grading.error) {
          ++report.errors;
          continue;
        }
        if (!grading.passed) {
          ++report.failed;
          ++progress.failed;
          continue;
        }
        DistillRecord r;
        r.id = distill_record_id(et.suite->name, task.id, e.seed, e.index, who.tier);
        r.suite = et.suite->name;
        r.task = task.id;
        r.tags = task.tags;
        r.sample_seed = e.seed;
        r.sample_index = e.index;
        r.fields = e.fields;
        r.mode = task.mode == spec::PromptMode::kChat ? "chat" : "completion";
        r.system = requests[i].system;
        r.prompt = requests[i].prompt;
        r.completion = resp.text;
        r.answer = answer.answer;
        r.finish_reason = resp.finish_reason;
        for (const TokenLogprobs& t : resp.logprobs) {
          DistillToken tok{t.text, t.id, t.logprob, {}};
          for (const TokenAlternative& a : t.top)
            tok.top_logprobs.push_back({a.text, a.id, a.logprob});
          r.tokens.push_back(std::move(tok));
        }
        r.teacher = who;
        r.passed = true;
        r.score = grading.score;
        r.graders = std::move(grading.verdicts);
        if (Status s =
                file->Append(to_json(r).dump(-1, ' ', false, json::error_handler_t::replace));
            !s.ok()) {
          return s;
        }
        done.insert(r.id);
        ++report.kept;
        ++progress.kept;
      }
      if (options.on_progress) options.on_progress(progress);
    }
    reports.push_back(std::move(report));
  }
  return reports;
}

DistillExamples distill_examples(std::span<const DistillRecord> records,
                                 const StudentVocabulary& student) {
  DistillExamples out;
  const inference::Tokenizer& tok = *student.tokenizer;
  // A teacher token's id in the student's vocabulary, or -1.
  auto map_text = [&](const std::string& text) -> inference::TokenId {
    const std::vector<inference::TokenId> ids = tok.Encode(text, {});
    return ids.size() == 1 ? ids[0] : -1;
  };
  for (std::size_t i = 0; i < records.size(); ++i) {
    const DistillRecord& r = records[i];
    agents::Prompt prompt;
    prompt.mode = r.mode == "chat" ? spec::PromptMode::kChat : spec::PromptMode::kCompletion;
    prompt.system = r.system;
    prompt.user = r.prompt;
    inference::TrainExample ex;
    ex.tokens = tok.Encode(prompt.mode == spec::PromptMode::kChat ? prompt.text() : r.prompt,
                           {.add_special = true, .parse_special = false});
    ex.n_prompt = static_cast<int>(ex.tokens.size());
    const bool same = !student.fingerprint.empty() && r.teacher.vocabulary == student.fingerprint;
    bool mapped = !r.tokens.empty();
    std::vector<inference::TokenId> answer;
    std::vector<inference::SoftTarget> soft;
    for (std::size_t k = 0; k < r.tokens.size(); ++k) {
      const DistillToken& t = r.tokens[k];
      const inference::TokenId id = same ? t.id : map_text(t.token);
      if (!tok.Contains(id)) {
        // A stopped completion's last token may be the teacher's own end token ("</s>",
        // "<|im_end|>"): the student's end token takes its place below.
        if (k + 1 == r.tokens.size() && r.finish_reason == "stop" && k > 0) break;
        mapped = false;
        break;
      }
      answer.push_back(id);
      inference::SoftTarget s;
      for (const DistillAlternative& a : t.top_logprobs) {
        const inference::TokenId aid = same ? a.id : map_text(a.token);
        if (!tok.Contains(aid)) continue;  // not in the student's vocabulary: renormalised away
        s.ids.push_back(aid);
        s.logprobs.push_back(static_cast<float>(a.logprob));
      }
      soft.push_back(std::move(s));
    }
    if (mapped) {
      const bool ended = answer.empty() ? false : tok.IsEndOfGeneration(answer.back());
      // A remote teacher does not report its end token: the student still learns to stop.
      if (!ended && r.finish_reason == "stop" && tok.Contains(tok.eos())) {
        answer.push_back(tok.eos());
      }
      ex.tokens.insert(ex.tokens.end(), answer.begin(), answer.end());
      ex.soft = std::move(soft);
    } else {
      // Hard labels only: the completion as the student writes it, then its end token.
      ++out.hard_only;
      const std::vector<inference::TokenId> text = tok.Encode(r.completion, {});
      ex.tokens.insert(ex.tokens.end(), text.begin(), text.end());
      if (r.finish_reason == "stop" && tok.Contains(tok.eos())) ex.tokens.push_back(tok.eos());
    }
    if (ex.tokens.size() <= static_cast<std::size_t>(ex.n_prompt) ||
        ex.tokens.size() > static_cast<std::size_t>(student.n_ctx)) {
      ++out.too_long;
      continue;
    }
    out.examples.push_back(std::move(ex));
    out.record.push_back(i);
  }
  return out;
}

namespace {

Result<ScoreEstimate> estimate(std::span<const double> scores) {
  const bool binary =
      std::all_of(scores.begin(), scores.end(), [](double x) { return x == 0 || x == 1; });
  if (binary) {
    const auto passed = std::count(scores.begin(), scores.end(), 1.0);
    return wilson_interval(passed, static_cast<int64_t>(scores.size()));
  }
  return mean_score(scores);
}

json estimate_json(const ScoreEstimate& e) {
  return {{"score", e.mean}, {"ci95", {e.ci.lower, e.ci.upper}}, {"n", e.n}};
}

json comparison_json(const PairedComparison& c) {
  return {{"difference", c.difference},
          {"ci95", {c.ci.lower, c.ci.upper}},
          {"p_value", c.p_value},
          {"n", c.n},
          {"method", std::string(to_string(c.method))}};
}

}  // namespace

Result<GainReport> distill_gains(std::span<const ItemRecord> records, const std::string& student,
                                 const std::vector<std::string>& tiers,
                                 const std::vector<std::string>& targets) {
  if (tiers.empty()) return Status::Error("no distilled tier to compare");
  // Scores by item (without its tier) and tier.
  std::map<std::string, std::map<std::string, double>> by_item;
  std::map<std::string, std::string> task_of;
  std::vector<std::string> wanted = tiers;
  wanted.push_back(student);
  for (const ItemRecord& r : records) {
    if (!counts_towards_score(r)) continue;
    if (std::find(wanted.begin(), wanted.end(), r.tier) == wanted.end()) continue;
    const std::string key = pairing_key(r);
    by_item[key][r.tier] = r.score;
    task_of[key] = r.suite + "/" + r.task;
  }
  std::vector<std::string> keys;
  std::set<std::string> all_tasks;
  for (const auto& [key, scores] : by_item) {
    if (scores.size() == wanted.size()) {
      keys.push_back(key);
      all_tasks.insert(task_of[key]);
    }
  }
  if (keys.empty()) {
    return Status::Error(fmt::format("no item was run by {} and every distilled tier", student));
  }
  GainReport report;
  report.student = student;
  report.tiers = tiers;
  const std::set<std::string> target_set(targets.begin(), targets.end());
  auto group = [&](const std::string& name, auto&& keep) -> Result<std::optional<GainGroup>> {
    GainGroup g;
    g.name = name;
    std::vector<double> base;
    std::vector<std::vector<double>> next(tiers.size());
    std::set<std::string> tasks;
    for (const std::string& key : keys) {
      if (!keep(task_of[key])) continue;
      tasks.insert(task_of[key]);
      base.push_back(by_item[key][student]);
      for (std::size_t t = 0; t < tiers.size(); ++t) next[t].push_back(by_item[key][tiers[t]]);
    }
    if (base.empty()) return std::optional<GainGroup>();
    g.tasks.assign(tasks.begin(), tasks.end());
    g.items = static_cast<int64_t>(base.size());
    Result<ScoreEstimate> b = estimate(base);
    if (!b.ok()) return b.status();
    g.base = *b;
    for (std::size_t t = 0; t < tiers.size(); ++t) {
      Result<ScoreEstimate> e = estimate(next[t]);
      if (!e.ok()) return e.status();
      Result<PairedComparison> c = compare_paired(base, next[t]);
      if (!c.ok()) return c.status();
      g.rows.push_back({tiers[t], *e, *c});
    }
    if (name == "targets" && tiers.size() >= 2) {
      Result<PairedComparison> c = compare_paired(next[1], next[0]);
      if (!c.ok()) return c.status();
      report.first_minus_second = *c;
    }
    return std::optional<GainGroup>(std::move(g));
  };
  auto add = [&](const std::string& name, auto&& keep) -> Status {
    Result<std::optional<GainGroup>> g = group(name, keep);
    if (!g.ok()) return g.status();
    if (*g) report.groups.push_back(std::move(**g));
    return Status::Ok();
  };
  for (Status s :
       {add("targets", [&](const std::string& t) { return target_set.contains(t); }),
        add("other tasks", [&](const std::string& t) { return !target_set.contains(t); }),
        add("all tasks", [](const std::string&) { return true; })}) {
    if (!s.ok()) return s;
  }
  for (const std::string& t : targets) {
    if (Status s = add(t, [&](const std::string& x) { return x == t; }); !s.ok()) return s;
  }
  return report;
}

json to_json(const GainReport& report) {
  json groups = json::array();
  for (const GainGroup& g : report.groups) {
    json rows = json::array();
    for (const GainRow& r : g.rows) {
      rows.push_back(
          {{"tier", r.tier}, {"score", estimate_json(r.score)}, {"gain", comparison_json(r.gain)}});
    }
    groups.push_back({{"name", g.name},
                      {"tasks", g.tasks},
                      {"items", g.items},
                      {"student", estimate_json(g.base)},
                      {"tiers", std::move(rows)}});
  }
  json j = {{"schema", "pareto.distill-gain/1"},
            {"student", report.student},
            {"tiers", report.tiers},
            {"groups", std::move(groups)}};
  if (report.first_minus_second) {
    j["first_minus_second"] = comparison_json(*report.first_minus_second);
  }
  return j;
}

}  // namespace pareto::harness
