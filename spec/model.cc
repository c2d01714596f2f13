#include "spec/model.h"

namespace pareto::spec {

std::string grader_name(const GraderSpec& spec) {
  struct Name {
    const char* operator()(const ExactGrader&) const { return "exact"; }
    const char* operator()(const ContainsGrader&) const { return "contains"; }
    const char* operator()(const RegexGrader&) const { return "regex"; }
    const char* operator()(const NumberGrader&) const { return "number"; }
    const char* operator()(const JsonGrader&) const { return "json"; }
    const char* operator()(const TestsGrader&) const { return "tests"; }
    const char* operator()(const CommandGrader&) const { return "command"; }
    const char* operator()(const JudgeGrader&) const { return "judge"; }
    const char* operator()(const UnchangedGrader&) const { return "unchanged"; }
  };
  return std::visit(Name{}, spec);
}

std::string_view to_string(TaskKind kind) {
  switch (kind) {
    case TaskKind::kAnalysis:
      return "analysis";
    case TaskKind::kCoding:
      return "coding";
    case TaskKind::kAgent:
      return "agent";
  }
  return "analysis";
}

std::string_view to_string(Language language) {
  switch (language) {
    case Language::kPython:
      return "python";
    case Language::kCpp:
      return "cpp";
  }
  return "python";
}

std::string_view to_string(PromptMode mode) {
  return mode == PromptMode::kCompletion ? "completion" : "chat";
}

std::string_view to_string(Extraction::Kind kind) {
  switch (kind) {
    case Extraction::Kind::kFull:
      return "full";
    case Extraction::Kind::kLastNumber:
      return "last_number";
    case Extraction::Kind::kCodeBlock:
      return "code_block";
    case Extraction::Kind::kRegex:
      return "regex";
    case Extraction::Kind::kJson:
      return "json";
  }
  return "full";
}

std::string_view to_string(SampleSource::Kind kind) {
  switch (kind) {
    case SampleSource::Kind::kNone:
      return "none";
    case SampleSource::Kind::kInline:
      return "inline";
    case SampleSource::Kind::kJsonl:
      return "jsonl";
    case SampleSource::Kind::kCsv:
      return "csv";
    case SampleSource::Kind::kGenerate:
      return "generate";
  }
  return "none";
}

}  // namespace pareto::spec
