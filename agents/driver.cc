#include "agents/driver.h"

#include "spec/template.h"

namespace pareto::agents {

std::vector<inference::ChatMessage> Prompt::messages() const {
  std::vector<inference::ChatMessage> out;
  if (!system.empty()) out.push_back({"system", system});
  out.push_back({"user", user});
  return out;
}

std::string Prompt::text() const { return inference::CompletionText(messages()); }

Prompt render_prompt(const spec::Task& task, const spec::Sample& sample) {
  Prompt p;
  p.mode = task.mode;
  if (!task.system.empty()) p.system = spec::render_template(task.system, sample.fields);
  p.user = spec::render_template(task.prompt, sample.fields);
  return p;
}

std::optional<std::string> unsupported_reason(const spec::Task& task) {
  if (task.kind == spec::TaskKind::kAgent) {
    return "agent tasks need the tool-using agent loop, which pareto does not have yet (the "
           "single-shot driver runs analysis and coding tasks)";
  }
  return std::nullopt;
}

Result<SingleShot> SingleShot::ForTask(const spec::Task& task) {
  if (auto reason = unsupported_reason(task)) return Status::Error(*reason);
  Result<Extractor> extractor = Extractor::Make(task.extract);
  if (!extractor.ok()) return extractor.status().WithContext("task " + task.id);
  return SingleShot(&task, std::move(*extractor));
}

Prompt SingleShot::prompt(const spec::Sample& sample) const {
  return render_prompt(*task_, sample);
}

}  // namespace pareto::agents
