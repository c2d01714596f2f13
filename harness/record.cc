#include "harness/record.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace pareto::harness {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<ItemStatus, std::string_view>, 4> kStatusNames = {{
    {ItemStatus::kGraded, "graded"},
    {ItemStatus::kBudget, "budget"},
    {ItemStatus::kError, "error"},
    {ItemStatus::kUnsupported, "unsupported"},
}};

std::string errno_text() { return std::strerror(errno); }

// Reads `key` of `object` into `out` when present; a present value of the wrong type is an
// error naming the key. Absent keys keep the default (older writers, optional fields).
template <typename T>
Status read_field(const json& object, const char* key, T& out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  try {
    out = it->get<T>();
  } catch (const json::exception&) {
    return Status::Error(std::string("field `") + key + "` has the wrong type (" +
                         it->type_name() + ")");
  }
  return Status::Ok();
}

// How the counts were had, for readers of results.jsonl: "reported" (the endpoint's usage),
// "tokenizer" (pareto counted with the model's tokenizer), "pieces" (an endpoint that
// reported no usage and whose tokenizer pareto lacks: completion tokens are the streamed
// pieces, the prompt's count is unknown). Derived from the record, never read back.
std::string_view tokens_source(const ItemRecord& r) {
  if (!r.tokens_counted) return "reported";
  return r.prompt_tokens_known ? "tokenizer" : "pieces";
}

json verdict_json(const GraderVerdict& v) {
  return {{"grader", v.grader},
          {"weight", v.weight},
          {"passed", v.passed},
          {"score", v.score},
          {"reason", v.reason},
          {"error", v.error}};
}

Result<GraderVerdict> verdict_from_json(const json& j) {
  if (!j.is_object()) return Status::Error("a grader verdict is not an object");
  GraderVerdict v;
  for (Status s : {read_field(j, "grader", v.grader), read_field(j, "weight", v.weight),
                   read_field(j, "passed", v.passed), read_field(j, "score", v.score),
                   read_field(j, "reason", v.reason), read_field(j, "error", v.error)}) {
    if (!s.ok()) return s.WithContext("graders");
  }
  return v;
}

}  // namespace

std::string_view to_string(ItemStatus status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "graded";
}

Result<ItemStatus> parse_item_status(std::string_view text) {
  for (const auto& [value, name] : kStatusNames) {
    if (name == text) return value;
  }
  return Status::Error("unknown item status `" + std::string(text) +
                       "` (graded, budget, error, unsupported)");
}

std::string item_id(std::string_view suite, std::string_view task, std::string_view sample_id,
                    std::string_view tier, int repeat) {
  std::uint64_t hash = 14695981039346656037ull;  // FNV-1a 64 offset basis
  auto mix = [&hash](std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash ^= c;
      hash *= 1099511628211ull;  // FNV-1a 64 prime
    }
  };
  auto field = [&](std::string_view text) {
    mix(std::to_string(text.size()));
    mix(":");
    mix(text);
  };
  field(suite);
  field(task);
  field(sample_id);
  field(tier);
  field(std::to_string(repeat));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4) id[i] = kHex[hash & 15];
  return id;
}

nlohmann::json to_json(const ItemRecord& r) {
  json graders = json::array();
  for (const GraderVerdict& v : r.graders) graders.push_back(verdict_json(v));
  json j = {
      {"schema", kResultsSchema},
      {"run_id", r.run_id},
      {"item_id", r.item_id},
      {"suite", r.suite},
      {"task", r.task},
      {"tags", r.tags},
      {"tier", r.tier},
      {"model_id", r.model_id},
      {"model_hash", r.model_hash},
      {"sample_id", r.sample_id},
      {"repeat", r.repeat},
      {"seed", r.seed},
      {"prompt", r.prompt},
      {"completion", r.completion},
      {"answer", r.answer},
      {"finish_reason", r.finish_reason},
      {"graders", std::move(graders)},
      {"score", r.score},
      {"passed", r.passed},
      {"status", to_string(r.status)},
      {"overruns", r.overruns},
      {"error", r.error},
      {"tokens",
       {{"prompt", r.prompt_tokens_known ? json(r.prompt_tokens) : json(nullptr)},
        {"completion", r.completion_tokens},
        {"counted", r.tokens_counted},
        {"source", tokens_source(r)}}},
      {"latency_ms",
       {{"ttft", r.latency.ttft_ms},
        {"itl_mean", r.latency.itl_mean_ms},
        {"itl_p95", r.latency.itl_p95_ms},
        {"e2e", r.latency.e2e_ms}}},
      {"energy", nullptr},
      {"cached", r.cached},
      {"trajectory", r.trajectory},
  };
  if (r.energy) {
    j["energy"] = {{"joules", r.energy->joules},
                   {"pj_per_token", r.energy->pj_per_token ? json(*r.energy->pj_per_token)
                                                           : json(nullptr)},
                   {"source", r.energy->source},
                   {"detail", r.energy->detail}};
  }
  return j;
}

Result<ItemRecord> record_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return Status::Error("a result record is not a JSON object");
  ItemRecord r;
  std::string status = "graded";
  const json empty = json::object();
  auto sub = [&](const char* key) -> const json& {
    auto it = j.find(key);
    return it != j.end() && it->is_object() ? *it : empty;
  };
  const json& tokens = sub("tokens");
  const json& latency = sub("latency_ms");
  for (Status s : {
           read_field(j, "run_id", r.run_id),
           read_field(j, "item_id", r.item_id),
           read_field(j, "suite", r.suite),
           read_field(j, "task", r.task),
           read_field(j, "tags", r.tags),
           read_field(j, "tier", r.tier),
           read_field(j, "model_id", r.model_id),
           read_field(j, "model_hash", r.model_hash),
           read_field(j, "sample_id", r.sample_id),
           read_field(j, "repeat", r.repeat),
           read_field(j, "seed", r.seed),
           read_field(j, "prompt", r.prompt),
           read_field(j, "completion", r.completion),
           read_field(j, "answer", r.answer),
           read_field(j, "finish_reason", r.finish_reason),
           read_field(j, "score", r.score),
           read_field(j, "passed", r.passed),
           read_field(j, "status", status),
           read_field(j, "overruns", r.overruns),
           read_field(j, "error", r.error),
           read_field(tokens, "prompt", r.prompt_tokens),
           read_field(tokens, "completion", r.completion_tokens),
           read_field(tokens, "counted", r.tokens_counted),
           read_field(latency, "ttft", r.latency.ttft_ms),
           read_field(latency, "itl_mean", r.latency.itl_mean_ms),
           read_field(latency, "itl_p95", r.latency.itl_p95_ms),
           read_field(latency, "e2e", r.latency.e2e_ms),
           read_field(j, "cached", r.cached),
       }) {
    if (!s.ok()) return s;
  }
  if (r.item_id.empty()) return Status::Error("field `item_id` is missing");
  if (auto it = tokens.find("prompt"); it != tokens.end() && it->is_null()) {
    r.prompt_tokens_known = false;
  }
  Result<ItemStatus> parsed = parse_item_status(status);
  if (!parsed.ok()) return parsed.status();
  r.status = *parsed;
  if (auto it = j.find("graders"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return Status::Error("field `graders` is not an array");
    for (const json& v : *it) {
      Result<GraderVerdict> verdict = verdict_from_json(v);
      if (!verdict.ok()) return verdict.status();
      r.graders.push_back(std::move(*verdict));
    }
  }
  if (auto it = j.find("energy"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return Status::Error("field `energy` is not an object");
    EnergyRecord e;
    double pj = -1;
    for (Status s : {read_field(*it, "joules", e.joules), read_field(*it, "source", e.source),
                     read_field(*it, "detail", e.detail), read_field(*it, "pj_per_token", pj)}) {
      if (!s.ok()) return s.WithContext("energy");
    }
    if (auto p = it->find("pj_per_token"); p != it->end() && !p->is_null()) e.pj_per_token = pj;
    r.energy = std::move(e);
  }
  if (auto it = j.find("trajectory"); it != j.end()) r.trajectory = *it;
  return r;
}

Result<ResultsFile> read_results(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot read " + path.string() + ": " + errno_text());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  ResultsFile file;
  std::size_t start = 0;
  int line = 0;
  while (start < text.size()) {
    ++line;
    std::size_t end = text.find('\n', start);
    const bool last = end == std::string::npos;
    std::string_view row(text.data() + start, (last ? text.size() : end) - start);
    start = last ? text.size() : end + 1;
    if (last) {
      // A line without its newline was cut short by a killed writer: whatever it holds, the
      // writer never finished it, so it is not a result.
      file.torn_tail = true;
      break;
    }
    json j = json::parse(row, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return Status::Error(path.string() + ":" + std::to_string(line) + ": not a JSON object");
    }
    Result<ItemRecord> record = record_from_json(j);
    if (!record.ok()) {
      return record.status().WithContext(path.string() + ":" + std::to_string(line));
    }
    file.records.push_back(std::move(*record));
  }
  return file;
}

ResultsWriter::ResultsWriter(int fd, std::filesystem::path path)
    : fd_(fd), path_(std::move(path)) {}

ResultsWriter::ResultsWriter(ResultsWriter&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

ResultsWriter& ResultsWriter::operator=(ResultsWriter&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

ResultsWriter::~ResultsWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Result<ResultsWriter> ResultsWriter::Open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error("cannot open " + path.string() + ": " + errno_text());
  ResultsWriter writer(fd, path);
  // Cut a torn last line: find the last newline and truncate just after it.
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::Error("cannot stat " + path.string());
  off_t size = st.st_size;
  off_t keep = size;
  char buf[4096];
  while (keep > 0) {
    off_t chunk = keep < static_cast<off_t>(sizeof buf) ? keep : static_cast<off_t>(sizeof buf);
    ssize_t got = ::pread(fd, buf, static_cast<size_t>(chunk), keep - chunk);
    if (got != chunk) return Status::Error("cannot read " + path.string() + ": " + errno_text());
    off_t i = chunk;
    while (i > 0 && buf[i - 1] != '\n') --i;
    if (i > 0) {
      keep = keep - chunk + i;
      break;
    }
    keep -= chunk;
  }
  if (keep != size && ::ftruncate(fd, keep) != 0) {
    return Status::Error("cannot cut the torn last line of " + path.string() + ": " +
                         errno_text());
  }
  return writer;
}

Status ResultsWriter::Append(const ItemRecord& record) {
  std::string line = to_json(record).dump(-1, ' ', false, json::error_handler_t::replace);
  line += '\n';
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t wrote = ::write(fd_, data, left);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return Status::Error("cannot write " + path_.string() + ": " + errno_text());
    }
    data += wrote;
    left -= static_cast<std::size_t>(wrote);
  }
  return Status::Ok();
}

Status ResultsWriter::Sync() {
  if (::fsync(fd_) != 0) return Status::Error("cannot sync " + path_.string() + ": " + errno_text());
  return Status::Ok();
}

}  // namespace pareto::harness
