#include "harness/graders.h"

#include <fmt/format.h>
#include <re2/re2.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <system_error>

#include "agents/extract.h"
#include "spec/json_path.h"
#include "spec/template.h"

namespace pareto::harness {

struct TaskGraders::Compiled {
  std::shared_ptr<const re2::RE2> regex;  // regex graders
  std::optional<spec::JsonPath> path;     // json graders
};

namespace {

namespace fs = std::filesystem;
using agents::trim;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_punct(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

// A value for a reason line: at most `limit` bytes, newlines shown as \n, in backticks.
std::string show(std::string_view text, std::size_t limit = 80) {
  std::string out = "`";
  for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
    if (text[i] == '\n') {
      out += "\\n";
    } else {
      out += text[i];
    }
  }
  if (text.size() > limit) out += "...";
  return out + "`";
}

// The last `limit` bytes of a program's output, for a reason line.
std::string tail(std::string_view text, std::size_t limit = 400) {
  text = trim(text);
  if (text.size() > limit) text = text.substr(text.size() - limit);
  return std::string(text);
}

GraderVerdict make_verdict(const spec::Grader& g, bool passed, std::string reason) {
  GraderVerdict v;
  v.grader = spec::grader_name(g.spec);
  v.weight = g.weight;
  v.passed = passed;
  v.score = passed ? 1.0 : 0.0;
  v.reason = std::move(reason);
  return v;
}

GraderVerdict error_verdict(const spec::Grader& g, std::string reason) {
  GraderVerdict v = make_verdict(g, false, std::move(reason));
  v.error = true;
  return v;
}

std::string render(const std::string& text, const spec::Sample& sample) {
  return spec::render_template(text, sample.fields);
}

// ---- text graders ----

std::string normalise(std::string_view text, const spec::ExactGrader& g) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (g.strip_punctuation && is_punct(c)) continue;
    out.push_back(g.ignore_case ? lower(c) : c);
  }
  if (!g.collapse_whitespace) return out;
  std::string collapsed;
  collapsed.reserve(out.size());
  bool gap = false;
  for (char c : out) {
    if (is_space(c)) {
      gap = !collapsed.empty();
      continue;
    }
    if (gap) collapsed.push_back(' ');
    gap = false;
    collapsed.push_back(c);
  }
  return collapsed;
}

GraderVerdict grade_exact(const spec::Grader& g, const spec::ExactGrader& e,
                          const GradeInput& in) {
  const std::string expected = operand_text(e.expected, *in.sample);
  if (normalise(in.answer, e) == normalise(expected, e)) {
    return make_verdict(g, true, "equals " + show(expected));
  }
  return make_verdict(g, false, fmt::format("expected {}, got {}", show(expected), show(in.answer)));
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

GraderVerdict grade_contains(const spec::Grader& g, const spec::ContainsGrader& c,
                             const GradeInput& in) {
  const std::string text = operand_text(c.text, *in.sample);
  const bool found = c.case_sensitive ? in.answer.find(text) != std::string::npos
                                      : lowered(in.answer).find(lowered(text)) != std::string::npos;
  return make_verdict(g, found,
                      fmt::format("{} {}", found ? "contains" : "does not contain", show(text)));
}

GraderVerdict grade_regex(const spec::Grader& g, const spec::RegexGrader& r, const re2::RE2& re,
                          const GradeInput& in) {
  const int groups = r.group + 1;
  std::vector<re2::StringPiece> match(static_cast<std::size_t>(groups));
  if (!re.Match(re2::StringPiece(in.answer.data(), in.answer.size()), 0, in.answer.size(),
                RE2::UNANCHORED, match.data(), groups)) {
    return make_verdict(g, false, fmt::format("no match for /{}/", r.pattern));
  }
  const re2::StringPiece& m = match[static_cast<std::size_t>(r.group)];
  const std::string_view captured = m.data() ? std::string_view(m.data(), m.size()) : "";
  if (!r.equals) return make_verdict(g, true, fmt::format("matches {}", show(captured)));
  const std::string expected = operand_text(*r.equals, *in.sample);
  if (captured == expected) {
    return make_verdict(g, true, fmt::format("group {} is {}", r.group, show(expected)));
  }
  return make_verdict(g, false, fmt::format("group {}: expected {}, got {}", r.group,
                                            show(expected), show(captured)));
}

// ---- number ----

bool same_number(const agents::DecimalNumber& a, const agents::DecimalNumber& b) {
  if (!a.has_exponent && !b.has_exponent) {
    return a.negative == b.negative && a.integer == b.integer && a.fraction == b.fraction;
  }
  return a.value == b.value;
}

GraderVerdict grade_number(const spec::Grader& g, const spec::NumberGrader& n,
                           const GradeInput& in) {
  const std::string expected_text = operand_text(n.expected, *in.sample);
  const auto expected = agents::parse_decimal(expected_text);
  if (!expected) {
    return error_verdict(g, fmt::format("the expected value {} is not a number", show(expected_text)));
  }
  const auto got_text = agents::find_last_number(in.answer);
  if (!got_text) {
    return make_verdict(g, false, fmt::format("expected {}, but the answer has no number",
                                              trim(expected_text)));
  }
  const auto got = agents::parse_decimal(*got_text);
  if (!got) return make_verdict(g, false, fmt::format("cannot read the number {}", *got_text));
  if (same_number(*got, *expected)) return make_verdict(g, true, fmt::format("got {}", *got_text));
  const std::string want(trim(expected_text));
  if (!n.tolerance && !n.relative) {
    return make_verdict(g, false, fmt::format("expected {}, got {}", want, *got_text));
  }
  // long double: integers up to 19 digits subtract exactly. Decimal fractions rarely have
  // exact binary values: allow the rounding of the subtraction.
  const long double diff = std::fabs(got->value - expected->value);
  const bool integers = !got->has_exponent && !expected->has_exponent && got->fraction.empty() &&
                        expected->fraction.empty();
  const long double slack =
      integers ? 0.0L : 1e-15L * std::max(std::fabs(got->value), std::fabs(expected->value));
  const bool abs_ok = n.tolerance && diff <= static_cast<long double>(*n.tolerance) + slack;
  const bool rel_ok =
      n.relative && diff <= static_cast<long double>(*n.relative) * std::fabs(expected->value) + slack;
  std::string within;
  if (n.tolerance) within += fmt::format(" ± {}", *n.tolerance);
  if (n.relative) within += fmt::format("{} ± {}x", n.tolerance ? " or" : "", *n.relative);
  return make_verdict(g, abs_ok || rel_ok,
                      fmt::format("expected {}{}, got {}", want, within, *got_text));
}

// ---- json ----

GraderVerdict grade_json(const spec::Grader& g, const spec::JsonGrader& j,
                         const spec::JsonPath& path, const GradeInput& in) {
  const auto value = agents::parse_json_value(in.answer);
  if (!value) return make_verdict(g, false, "the answer is not one JSON value");
  const nlohmann::json* at = spec::json_path_find(*value, path);
  if (at == nullptr) return make_verdict(g, false, fmt::format("no value at {}", j.path));
  const std::string got = at->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (!j.equals) return make_verdict(g, true, fmt::format("{} is {}", j.path, show(got)));
  const nlohmann::json want = operand_value(*j.equals, *in.sample);
  bool equal = *at == want;
  if (!equal && want.is_string() && !at->is_string()) {
    const auto parsed = agents::parse_json_value(want.get_ref<const std::string&>());
    equal = parsed && *parsed == *at;
  }
  const std::string want_text =
      want.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (equal) return make_verdict(g, true, fmt::format("{} is {}", j.path, show(got)));
  return make_verdict(g, false,
                      fmt::format("{}: expected {}, got {}", j.path, show(want_text), show(got)));
}

// ---- workspaces and the sandbox ----

// A fresh folder, removed with everything in it when this goes out of scope.
class ScratchDir {
 public:
  ScratchDir() = default;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  Status create() {
    std::error_code ec;
    std::string pattern = (fs::temp_directory_path(ec) / "pareto-grade-XXXXXX").string();
    if (ec || ::mkdtemp(pattern.data()) == nullptr) {
      return Status::Error("cannot create a grading workspace in the temporary folder");
    }
    path_ = pattern;
    return Status::Ok();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Writes `text` to `name` under `root`; `name` must stay inside it.
Status write_file(const fs::path& root, const std::string& name, std::string_view text) {
  const fs::path rel = fs::path(name).lexically_normal();
  if (rel.empty() || rel.is_absolute() || *rel.begin() == "..") {
    return Status::Error(fmt::format("workspace file name {} leaves the workspace", show(name)));
  }
  const fs::path path = root / rel;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return Status::Error("cannot write " + path.string());
  return Status::Ok();
}

const char* solution_name(spec::Language language) {
  return language == spec::Language::kPython ? "solution.py" : "solution.h";
}

// Writes a task's extra files (rendered) into a workspace.
Status write_task_files(const fs::path& root, const spec::Task& task, const spec::Sample& sample) {
  for (const auto& [name, text] : task.files) {
    Status s = write_file(root, name, render(text, sample));
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

// What became of a sandboxed program, for a reason line: "exited with status 1: <stderr>".
std::string describe(const SandboxOutcome& o, const SandboxLimits& limits) {
  std::string what;
  switch (o.reason) {
    case SandboxReason::kOk:
      what = "exited with status 0";
      break;
    case SandboxReason::kFailed:
      what = o.signal != 0 ? fmt::format("died of signal {}", o.signal)
                           : fmt::format("exited with status {}", o.exit_status);
      break;
    case SandboxReason::kTimeout:
      what = fmt::format("timed out (limits: {:.3g}s CPU, {:.3g}s wall)",
                         static_cast<double>(limits.cpu.count()) / 1e3,
                         static_cast<double>(limits.wall.count()) / 1e3);
      break;
    case SandboxReason::kMemory:
      what = fmt::format("ran out of memory (limit {} MiB)", limits.memory_bytes >> 20);
      break;
    case SandboxReason::kKilled:
      what = fmt::format("was killed (signal {})", o.signal);
      break;
    case SandboxReason::kOutputLimit:
      what = fmt::format("wrote more than {} bytes of output", limits.output_bytes);
      break;
  }
  const std::string err = tail(o.stderr_text.empty() ? o.stdout_text : o.stderr_text);
  return err.empty() ? what : what + ": " + err;
}

Result<SandboxOutcome> run_in(const fs::path& workspace, std::vector<std::string> argv,
                              const SandboxLimits& limits) {
  SandboxCommand cmd;
  cmd.argv = std::move(argv);
  cmd.workspace = workspace;
  cmd.limits = limits;
  cmd.env = {{"PYTHONDONTWRITEBYTECODE", "1"}};
  Result<SandboxOutcome> out = run_sandboxed(cmd);
  if (!out.ok()) return out.status().WithContext("the sandbox cannot run");
  return out;
}

SandboxLimits compile_limits(SandboxLimits limits) {
  limits.memory_bytes = std::max<std::uint64_t>(limits.memory_bytes, kCompileMemory);
  limits.cpu = std::max<std::chrono::milliseconds>(limits.cpu, kCompileCpu);
  limits.wall = std::max<std::chrono::milliseconds>(limits.wall, 2 * kCompileCpu);
  limits.procs = std::max(limits.procs, 16);
  limits.file_size_bytes = std::max<std::uint64_t>(limits.file_size_bytes, 256ull << 20);
  return limits;
}

GraderVerdict grade_tests(const spec::Grader& g, const spec::TestsGrader& t,
                          const spec::Task& task, const GradeInput& in) {
  ScratchDir dir;
  if (Status s = dir.create(); !s.ok()) return error_verdict(g, s.message());
  const bool python = t.language == spec::Language::kPython;
  Status s = write_task_files(dir.path(), task, *in.sample);
  if (s.ok()) s = write_file(dir.path(), solution_name(t.language), in.answer);
  if (s.ok()) s = write_file(dir.path(), python ? "test.py" : "test.cc", render(t.code, *in.sample));
  if (!s.ok()) return error_verdict(g, s.message());
  const SandboxLimits limits = sandbox_limits(task.sandbox);
  if (!python) {
    const SandboxLimits cl = compile_limits(limits);
    auto compiled = run_in(dir.path(), {"g++", "-std=c++20", "-O1", "-o", "test", "test.cc"}, cl);
    if (!compiled.ok()) return error_verdict(g, compiled.message());
    if (compiled->reason != SandboxReason::kOk) {
      return make_verdict(g, false, "the tests do not compile: the compiler " +
                                        describe(*compiled, cl));
    }
  }
  auto ran = run_in(dir.path(), python ? std::vector<std::string>{"python3", "test.py"}
                                       : std::vector<std::string>{"./test"},
                    limits);
  if (!ran.ok()) return error_verdict(g, ran.message());
  if (ran->reason == SandboxReason::kOk) return make_verdict(g, true, "the tests pass");
  return make_verdict(g, false, "the test program " + describe(*ran, limits));
}

// Copies the folder `from` to the new folder `to` (symlinks as symlinks).
Status copy_tree(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  if (ec) return Status::Error(fmt::format("cannot copy {}: {}", from.string(), ec.message()));
  return Status::Ok();
}

GraderVerdict grade_command(const spec::Grader& g, const spec::CommandGrader& c,
                            const spec::Task& task, const GradeInput& in) {
  ScratchDir dir;
  if (Status s = dir.create(); !s.ok()) return error_verdict(g, s.message());
  Status s;
  if (task.kind == spec::TaskKind::kAgent) {
    if (in.workspace.empty()) return error_verdict(g, "no agent workspace to run the command in");
    s = copy_tree(in.workspace, dir.path());
  } else {
    s = write_task_files(dir.path(), task, *in.sample);
    if (s.ok() && task.kind == spec::TaskKind::kCoding) {
      s = write_file(dir.path(), solution_name(task.language.value_or(spec::Language::kPython)),
                     in.answer);
    }
  }
  if (!s.ok()) return error_verdict(g, s.message());
  const SandboxLimits limits = sandbox_limits(task.sandbox);
  const std::string command = render(c.command, *in.sample);
  auto ran = run_in(dir.path(), {"sh", "-c", command}, limits);
  if (!ran.ok()) return error_verdict(g, ran.message());
  const SandboxOutcome& o = *ran;
  const bool exited = o.reason == SandboxReason::kOk || o.reason == SandboxReason::kFailed;
  if (!exited || o.exit_status != c.exit_code) {
    return make_verdict(g, false, fmt::format("expected exit status {}; the command {}",
                                              c.exit_code, describe(o, limits)));
  }
  const std::string_view out = trim(o.stdout_text);
  if (c.stdout_equals) {
    const std::string want(trim(operand_text(*c.stdout_equals, *in.sample)));
    if (out != want) {
      return make_verdict(g, false,
                          fmt::format("expected stdout {}, got {}", show(want), show(out)));
    }
  }
  if (c.stdout_contains) {
    const std::string want = operand_text(*c.stdout_contains, *in.sample);
    if (o.stdout_text.find(want) == std::string::npos) {
      return make_verdict(g, false, fmt::format("stdout {} does not contain {}", show(out),
                                                show(want)));
    }
  }
  return make_verdict(g, true, fmt::format("exit status {}", o.exit_status));
}

// ---- judge ----

GraderVerdict grade_judge(const spec::Grader& g, const spec::JudgeGrader& j,
                          const spec::Task& task, const GradeInput& in,
                          const GradeOptions& options) {
  if (!options.judge) return error_verdict(g, "no judge available to grade with");
  const std::string prompt =
      judge_prompt(render(task.prompt, *in.sample), in.answer, render(j.rubric, *in.sample));
  Result<std::string> reply = options.judge(j.tier, prompt);
  if (!reply.ok()) {
    return error_verdict(g, fmt::format("the judge tier `{}` failed: {}", j.tier, reply.message()));
  }
  Result<double> score = parse_judge_score(*reply);
  if (!score.ok()) {
    return error_verdict(g, fmt::format("the judge tier `{}` answered unreadably: {}", j.tier,
                                        score.message()));
  }
  GraderVerdict v = make_verdict(g, *score >= j.threshold,
                                 fmt::format("the judge scored {} (threshold {})", *score,
                                             j.threshold));
  v.score = *score;
  return v;
}

// ---- unchanged ----

// How `after` differs from `before` (both may be missing), or "" when identical. `rel` names
// the entry for people.
// Folders nested deeper than this are not compared (an agent may nest folders on purpose).
constexpr int kMaxCompareDepth = 128;

// 1: the files hold the same bytes, 0: they differ, -1: one cannot be read.
int same_bytes(const fs::path& a_path, const fs::path& b_path) {
  std::ifstream a(a_path, std::ios::binary), b(b_path, std::ios::binary);
  if (!a || !b) return -1;
  std::vector<char> ba(1 << 16), bb(1 << 16);
  while (true) {
    a.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    b.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    if (a.gcount() != b.gcount() ||
        std::memcmp(ba.data(), bb.data(), static_cast<std::size_t>(a.gcount())) != 0) {
      return 0;
    }
    if (a.gcount() == 0) return 1;
  }
}

std::string difference(const fs::path& before, const fs::path& after, const std::string& rel,
                       int depth = 0) {
  std::error_code ea, eb;
  const fs::file_status sb = fs::symlink_status(before, eb);
  const fs::file_status sa = fs::symlink_status(after, ea);
  const bool had = fs::exists(sb), has = fs::exists(sa);
  if (!had && !has) return "";
  if (!had) return rel + " was created";
  if (!has) return rel + " was removed";
  if (sb.type() != sa.type()) return rel + " changed type";
  if (fs::is_symlink(sb)) {
    return fs::read_symlink(before, eb) == fs::read_symlink(after, ea) ? "" : rel + " was retargeted";
  }
  if (fs::is_regular_file(sb)) {
    if (fs::file_size(before, eb) != fs::file_size(after, ea)) return rel + " was modified";
    switch (same_bytes(before, after)) {
      case 1:
        return "";
      case 0:
        return rel + " was modified";
      default:
        return rel + " cannot be read";
    }
  }
  if (fs::is_directory(sb)) {
    if (depth >= kMaxCompareDepth) return rel + " nests too deep to compare";
    auto names = [](const fs::path& dir) {
      std::set<std::string> out;
      std::error_code ec;
      for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
           it.increment(ec)) {
        out.insert(it->path().filename().string());
      }
      return out;
    };
    std::set<std::string> all = names(before);
    all.merge(names(after));
    for (const std::string& name : all) {
      std::string d = difference(before / name, after / name, rel + "/" + name, depth + 1);
      if (!d.empty()) return d;
    }
  }
  return "";
}

GraderVerdict grade_unchanged(const spec::Grader& g, const spec::UnchangedGrader& u,
                              const GradeInput& in) {
  if (in.workspace.empty() || in.workspace_before.empty()) {
    return error_verdict(g, "needs the agent's workspace from before and after the run");
  }
  std::string rel = u.path;
  while (rel.size() > 1 && rel.back() == '/') rel.pop_back();
  const fs::path path = fs::path(rel).lexically_normal();
  if (path.is_absolute() || (!path.empty() && *path.begin() == "..")) {
    return error_verdict(g, fmt::format("{} is outside the workspace", show(u.path)));
  }
  std::error_code ec;
  if (!fs::is_directory(in.workspace_before, ec) || !fs::is_directory(in.workspace, ec)) {
    return error_verdict(g, "the agent's workspace before or after the run is not a folder");
  }
  const std::string d = difference(in.workspace_before / path, in.workspace / path, rel);
  if (d.empty()) return make_verdict(g, true, fmt::format("{} is unchanged", u.path));
  return make_verdict(g, false, d);
}

}  // namespace

std::string operand_text(const spec::Operand& op, const spec::Sample& sample) {
  if (op.is_field()) {
    auto it = sample.fields.find(*op.field);
    return it == sample.fields.end() ? std::string() : spec::field_text(*it);
  }
  if (op.literal.is_string()) {
    return spec::render_template(op.literal.get_ref<const std::string&>(), sample.fields);
  }
  return spec::field_text(op.literal);
}

nlohmann::json operand_value(const spec::Operand& op, const spec::Sample& sample) {
  if (op.is_field()) {
    auto it = sample.fields.find(*op.field);
    return it == sample.fields.end() ? nlohmann::json() : *it;
  }
  if (op.literal.is_string()) return operand_text(op, sample);
  return op.literal;
}

SandboxLimits sandbox_limits(const spec::Sandbox& s) {
  SandboxLimits l;
  l.network = s.network;
  l.memory_bytes = s.memory;
  l.cpu = std::chrono::duration_cast<std::chrono::milliseconds>(s.cpu);
  l.wall = std::chrono::duration_cast<std::chrono::milliseconds>(s.wall);
  l.procs = s.procs;
  l.file_size_bytes = s.file_size;
  l.output_bytes = s.output;
  return l;
}

std::string judge_prompt(const std::string& task_prompt, const std::string& answer,
                         const std::string& rubric) {
  return fmt::format(
      "You are grading an answer to a task against a rubric.\n\n"
      "<task>\n{}\n</task>\n\n<answer>\n{}\n</answer>\n\n<rubric>\n{}\n</rubric>\n\n"
      "Grade the answer by the rubric alone. You may explain briefly first. End your reply "
      "with exactly one line of the form\nSCORE: <a number from 0 to 1>\n"
      "where 1 means the answer fully meets the rubric and 0 means it does not at all.",
      task_prompt, answer, rubric);
}

Result<double> parse_judge_score(const std::string& reply) {
  std::vector<std::string_view> lines;
  std::string_view rest = reply;
  while (true) {
    const std::size_t eol = rest.find('\n');
    lines.push_back(trim(rest.substr(0, eol)));
    if (eol == std::string_view::npos) break;
    rest.remove_prefix(eol + 1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return Status::Error("the reply is empty");
  int score_lines = 0;
  for (std::string_view line : lines) {
    if (line.starts_with("SCORE:")) ++score_lines;
  }
  const std::string_view last = lines.back();
  if (!last.starts_with("SCORE:")) {
    return Status::Error(
        fmt::format("the reply does not end with a line `SCORE: <0..1>` (it ends with {})",
                    show(last)));
  }
  if (score_lines > 1) {
    return Status::Error(fmt::format("the reply has {} `SCORE:` lines", score_lines));
  }
  const std::string_view number = trim(last.substr(6));
  const bool shaped = (number == "0" || number == "1") ||
                      (number.size() >= 3 && (number[0] == '0' || number[0] == '1') &&
                       number[1] == '.' &&
                       std::all_of(number.begin() + 2, number.end(),
                                   [](char c) { return c >= '0' && c <= '9'; }));
  if (!shaped) {
    return Status::Error(fmt::format("the score {} is not a number from 0 to 1", show(number)));
  }
  const double value = std::strtod(std::string(number).c_str(), nullptr);
  if (value > 1.0) {
    return Status::Error(fmt::format("the score {} is not a number from 0 to 1", show(number)));
  }
  return value;
}

Grading combine(std::vector<GraderVerdict> verdicts) {
  Grading out;
  double weights = 0, sum = 0;
  out.passed = !verdicts.empty();
  for (const GraderVerdict& v : verdicts) {
    weights += v.weight;
    sum += v.weight * v.score;
    if (!v.passed) out.passed = false;
    if (v.error && !out.error) {
      out.error = true;
      out.error_message = v.grader + ": " + v.reason;
    }
  }
  out.score = weights > 0 ? sum / weights : 0;
  out.verdicts = std::move(verdicts);
  return out;
}

Result<TaskGraders> TaskGraders::Make(const spec::Task& task) {
  auto compiled = std::make_shared<std::vector<Compiled>>(task.graders.size());
  for (std::size_t i = 0; i < task.graders.size(); ++i) {
    const spec::GraderSpec& g = task.graders[i].spec;
    if (const auto* r = std::get_if<spec::RegexGrader>(&g)) {
      RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_shared<const re2::RE2>(r->pattern, options);
      if (!re->ok()) return Status::Error(fmt::format("invalid regex /{}/: {}", r->pattern, re->error()));
      if (r->group < 0 || r->group > re->NumberOfCapturingGroups()) {
        return Status::Error(fmt::format("the regex /{}/ has no group {}", r->pattern, r->group));
      }
      (*compiled)[i].regex = std::move(re);
    } else if (const auto* j = std::get_if<spec::JsonGrader>(&g)) {
      std::string error;
      std::size_t offset = 0;
      auto path = spec::parse_json_path(j->path, &error, &offset);
      if (!path) return Status::Error(fmt::format("invalid JSON path {}: {}", j->path, error));
      (*compiled)[i].path = std::move(*path);
    }
  }
  TaskGraders out;
  out.task_ = &task;
  out.compiled_ = std::move(compiled);
  return out;
}

std::size_t TaskGraders::size() const { return compiled_ ? compiled_->size() : 0; }

GraderVerdict TaskGraders::grade_one(std::size_t index, const GradeInput& in,
                                     const GradeOptions& options) const {
  const spec::Grader& g = task_->graders.at(index);
  if (in.sample == nullptr) return error_verdict(g, "no sample to grade against");
  const Compiled& c = compiled_->at(index);
  return std::visit(
      [&](const auto& spec) -> GraderVerdict {
        using T = std::decay_t<decltype(spec)>;
        if constexpr (std::is_same_v<T, spec::ExactGrader>) {
          return grade_exact(g, spec, in);
        } else if constexpr (std::is_same_v<T, spec::ContainsGrader>) {
          return grade_contains(g, spec, in);
        } else if constexpr (std::is_same_v<T, spec::RegexGrader>) {
          return grade_regex(g, spec, *c.regex, in);
        } else if constexpr (std::is_same_v<T, spec::NumberGrader>) {
          return grade_number(g, spec, in);
        } else if constexpr (std::is_same_v<T, spec::JsonGrader>) {
          return grade_json(g, spec, *c.path, in);
        } else if constexpr (std::is_same_v<T, spec::TestsGrader>) {
          return grade_tests(g, spec, *task_, in);
        } else if constexpr (std::is_same_v<T, spec::CommandGrader>) {
          return grade_command(g, spec, *task_, in);
        } else if constexpr (std::is_same_v<T, spec::JudgeGrader>) {
          return grade_judge(g, spec, *task_, in, options);
        } else {
          return grade_unchanged(g, spec, in);
        }
      },
      g.spec);
}

Grading TaskGraders::grade(const GradeInput& input, const GradeOptions& options) const {
  std::vector<GraderVerdict> verdicts;
  verdicts.reserve(size());
  for (std::size_t i = 0; i < size(); ++i) verdicts.push_back(grade_one(i, input, options));
  return combine(std::move(verdicts));
}

}  // namespace pareto::harness
