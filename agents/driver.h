// The single-shot driver: how a model is taken through an analysis or coding task in one
// turn. The driver renders what the model is asked (a Prompt) for one sample, and cuts the
// answer out of what it replied (the task's extraction, agents/extract.h). It does not talk
// to models: a backend turns a Prompt into tokens (the embedded one applies the model's chat
// template to messages(); a remote one sends messages(); completion mode sends text()), and
// the runner hands the completion back to extract().
//
// Promises:
//  - prompt() is deterministic: the same task and sample give the same Prompt, byte for
//    byte (the cache and item ids rely on it). Templates render as spec/template.h says.
//  - extract() never fails: a reply with nothing to extract gives found = false and a
//    note, which graders score as a wrong answer (not an error).
//  - Agent tasks (kind agent) are refused with unsupported_reason(): they need the
//    tool-using loop, which does not exist yet. Nothing else is refused.
//  - A SingleShot is immutable after ForTask and safe to use from many threads at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/extract.h"
#include "inference/chat_template.h"
#include "inference/status.h"
#include "spec/model.h"
#include "spec/samples.h"

namespace pareto::agents {

// What the model is asked. In chat mode, a system message (when not empty) and one user
// message; in completion mode, one raw text for a base model.
struct Prompt {
  spec::PromptMode mode = spec::PromptMode::kChat;
  std::string system;  // rendered; empty = no system message
  std::string user;    // rendered prompt; never empty for a checked task

  // The chat messages: {system} (when not empty), then {user}.
  std::vector<inference::ChatMessage> messages() const;
  // The raw prompt text: inference::CompletionText(messages()), the system text and the user
  // text joined by a blank line (the system text left out when empty) — what every backend
  // sends in completion mode.
  std::string text() const;
};

// Renders the task's system and prompt templates with the sample's fields.
Prompt render_prompt(const spec::Task& task, const spec::Sample& sample);

// Why the single-shot driver cannot run `task`, or nullopt when it can (analysis and coding
// tasks). Agent tasks: "agent tasks need the tool-using agent loop, which pareto does not
// have yet".
std::optional<std::string> unsupported_reason(const spec::Task& task);

class SingleShot {
 public:
  // An error for a task unsupported_reason() refuses (with that reason), or whose
  // extraction does not compile (never for a checked task).
  static Result<SingleShot> ForTask(const spec::Task& task);

  Prompt prompt(const spec::Sample& sample) const;
  ExtractedAnswer extract(std::string_view completion) const {
    return extractor_.extract(completion);
  }

 private:
  SingleShot(const spec::Task* task, Extractor extractor)
      : task_(task), extractor_(std::move(extractor)) {}
  const spec::Task* task_;  // not owned: outlives the driver
  Extractor extractor_;
};

}  // namespace pareto::agents
