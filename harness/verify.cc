#include "harness/verify.h"

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>

#include "harness/graders.h"
#include "spec/json_path.h"
#include "spec/template.h"

namespace pareto::harness {
namespace {

bool template_uses(const std::string& text, const std::string& field) {
  for (const spec::TemplatePart& part : spec::template_fields(text)) {
    if (part.text == field) return true;
  }
  return false;
}

bool operand_uses(const spec::Operand& op, const std::string& field) {
  if (op.is_field()) return *op.field == field;
  return op.literal.is_string() && template_uses(op.literal.get_ref<const std::string&>(), field);
}

bool optional_uses(const std::optional<spec::Operand>& op, const std::string& field) {
  return op && operand_uses(*op, field);
}

// What verification grades for a task, and with which graders.
struct Plan {
  std::string subject;
  std::vector<std::size_t> graders;
  std::string skip_reason;  // set: nothing to verify
};

bool is_judge(const spec::Grader& g) { return std::holds_alternative<spec::JudgeGrader>(g.spec); }

// Analysis tasks: the graders whose accepted answer follows from their own arguments.
bool right_answer_known(const spec::Grader& g) {
  if (const auto* j = std::get_if<spec::JsonGrader>(&g.spec)) return j->equals.has_value();
  return std::holds_alternative<spec::ExactGrader>(g.spec) ||
         std::holds_alternative<spec::ContainsGrader>(g.spec) ||
         std::holds_alternative<spec::NumberGrader>(g.spec);
}

// The answer an analysis task's grader must accept: its expected text (exact, number), its
// text (contains), or a JSON document holding `equals` at the grader's path (json).
std::string right_answer(const spec::Grader& grader, const spec::Sample& sample) {
  if (const auto* e = std::get_if<spec::ExactGrader>(&grader.spec)) {
    return operand_text(e->expected, sample);
  }
  if (const auto* c = std::get_if<spec::ContainsGrader>(&grader.spec)) {
    return operand_text(c->text, sample);
  }
  if (const auto* n = std::get_if<spec::NumberGrader>(&grader.spec)) {
    return operand_text(n->expected, sample);
  }
  const auto& j = std::get<spec::JsonGrader>(grader.spec);
  std::string error;
  std::size_t offset = 0;
  auto path = spec::parse_json_path(j.path, &error, &offset);
  if (!path) return {};
  nlohmann::json doc;
  nlohmann::json* at = &doc;
  for (const spec::JsonPathStep& step : path->steps) {
    if (const auto* key = std::get_if<std::string>(&step)) {
      at = &(*at)[*key];
    } else {
      const std::size_t index = std::get<std::size_t>(step);
      if (index > 10000) return {};  // no document worth building
      at = &(*at)[index];
    }
  }
  *at = operand_value(*j.equals, sample);
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Plan plan_for(const spec::Task& task) {
  Plan plan;
  switch (task.kind) {
    case spec::TaskKind::kAgent:
      plan.skip_reason = "agent task: no reference, and its graders inspect an agent's workspace";
      return plan;
    case spec::TaskKind::kCoding:
      if (task.reference.empty()) {
        plan.skip_reason = "coding task without a reference";
        return plan;
      }
      plan.subject = "the reference";
      for (std::size_t i = 0; i < task.graders.size(); ++i) {
        if (!is_judge(task.graders[i])) plan.graders.push_back(i);
      }
      break;
    case spec::TaskKind::kAnalysis:
      plan.subject = "the `answer` field";
      for (std::size_t i = 0; i < task.graders.size(); ++i) {
        if (right_answer_known(task.graders[i]) && grader_uses_field(task.graders[i], "answer")) {
          plan.graders.push_back(i);
        }
      }
      if (plan.graders.empty()) {
        plan.skip_reason =
            "no reference, and no exact, contains, number or json grader uses the `answer` field";
        return plan;
      }
      break;
  }
  if (plan.graders.empty()) plan.skip_reason = "only judge graders, which need a model";
  return plan;
}

bool sandboxed(const spec::Grader& g) {
  return std::holds_alternative<spec::TestsGrader>(g.spec) ||
         std::holds_alternative<spec::CommandGrader>(g.spec);
}

TaskVerification verify_task(const spec::Suite& suite, const spec::Task& task,
                             const VerifyOptions& options) {
  TaskVerification out;
  out.suite = &suite;
  out.task = &task;
  const Plan plan = plan_for(task);
  out.subject = plan.subject;
  if (!plan.skip_reason.empty()) {
    out.skip_reason = plan.skip_reason;
    return out;
  }
  out.graders = plan.graders.size();
  auto graders = TaskGraders::Make(task);
  if (!graders.ok()) {
    out.outcome = TaskVerification::Outcome::kFailed;
    out.first_sample = task.samples.empty() ? "" : task.samples[0].id;
    out.reasons = {graders.message()};
    out.failed = 1;
    return out;
  }
  const GradeOptions grade_options;  // no judge: judge graders are not in the plan
  for (std::size_t index : verify_sample_indices(task.samples.size(), options.max_samples)) {
    const spec::Sample& sample = task.samples[index];
    GradeInput input;
    input.sample = &sample;
    const bool coding = task.kind == spec::TaskKind::kCoding;
    if (coding) input.answer = spec::render_template(task.reference, sample.fields);
    ++out.samples;
    std::vector<std::string> reasons;
    for (std::size_t g : plan.graders) {
      if (!coding) input.answer = right_answer(task.graders[g], sample);
      GraderVerdict v = graders->grade_one(g, input, grade_options);
      if (!v.passed) {
        reasons.push_back(v.grader + (v.error ? " (could not run)" : "") + ": " + v.reason);
      }
    }
    if (reasons.empty()) continue;
    if (out.failed++ == 0) {
      out.first_sample = sample.id;
      out.reasons = std::move(reasons);
    }
  }
  out.outcome =
      out.failed == 0 ? TaskVerification::Outcome::kPassed : TaskVerification::Outcome::kFailed;
  return out;
}

}  // namespace

bool grader_uses_field(const spec::Grader& grader, const std::string& field) {
  return std::visit(
      [&](const auto& g) -> bool {
        using T = std::decay_t<decltype(g)>;
        if constexpr (std::is_same_v<T, spec::ExactGrader>) {
          return operand_uses(g.expected, field);
        } else if constexpr (std::is_same_v<T, spec::ContainsGrader>) {
          return operand_uses(g.text, field);
        } else if constexpr (std::is_same_v<T, spec::RegexGrader>) {
          return optional_uses(g.equals, field);
        } else if constexpr (std::is_same_v<T, spec::NumberGrader>) {
          return operand_uses(g.expected, field);
        } else if constexpr (std::is_same_v<T, spec::JsonGrader>) {
          return optional_uses(g.equals, field);
        } else if constexpr (std::is_same_v<T, spec::TestsGrader>) {
          return template_uses(g.code, field);
        } else if constexpr (std::is_same_v<T, spec::CommandGrader>) {
          return template_uses(g.command, field) || optional_uses(g.stdout_equals, field) ||
                 optional_uses(g.stdout_contains, field);
        } else if constexpr (std::is_same_v<T, spec::JudgeGrader>) {
          return template_uses(g.rubric, field);
        } else {
          return false;
        }
      },
      grader.spec);
}

std::vector<std::size_t> verify_sample_indices(std::size_t count, std::size_t max) {
  std::vector<std::size_t> out;
  if (max == 0 || count <= max) {
    for (std::size_t i = 0; i < count; ++i) out.push_back(i);
    return out;
  }
  if (max == 1) return {0};
  for (std::size_t k = 0; k < max; ++k) out.push_back(k * (count - 1) / (max - 1));
  return out;
}

bool verify_needs_sandbox(const spec::Task& task) {
  const Plan plan = plan_for(task);
  if (!plan.skip_reason.empty()) return false;
  return std::any_of(plan.graders.begin(), plan.graders.end(),
                     [&](std::size_t i) { return sandboxed(task.graders[i]); });
}

std::vector<TaskVerification> verify_project(const spec::Project& project,
                                             const VerifyOptions& options) {
  std::vector<std::pair<const spec::Suite*, const spec::Task*>> tasks;
  for (const spec::Suite& suite : project.suites) {
    for (const spec::Task& task : suite.tasks) tasks.emplace_back(&suite, &task);
  }
  std::vector<TaskVerification> out(tasks.size());
  int jobs = options.jobs > 0 ? options.jobs
                              : std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, 8);
  jobs = std::min<int>(jobs, static_cast<int>(std::max<std::size_t>(tasks.size(), 1)));
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < tasks.size(); i = next++) {
      out[i] = verify_task(*tasks[i].first, *tasks[i].second, options);
    }
  };
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs; ++j) {
    try {
      threads.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // fewer threads: the work still gets done
    }
  }
  work();
  for (std::thread& t : threads) t.join();
  return out;
}

}  // namespace pareto::harness
