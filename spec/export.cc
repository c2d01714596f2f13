#include "spec/export.h"

namespace pareto::spec {
namespace {

using json = nlohmann::json;

std::string show_path(const std::filesystem::path& path, const ExportOptions& options) {
  if (options.base.empty()) return path.generic_string();
  const auto rel = path.lexically_relative(options.base);
  if (rel.empty() || *rel.begin() == "..") return path.generic_string();
  return rel.generic_string();
}

template <typename T>
json or_null(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json ns_or_null(const std::optional<std::chrono::nanoseconds>& value) {
  return value ? json(value->count()) : json(nullptr);
}

json operand(const Operand& op) {
  if (op.is_field()) return json{{"field", *op.field}};
  return json{{"value", op.literal}};
}

json operand_or_null(const std::optional<Operand>& op) { return op ? operand(*op) : json(nullptr); }

json grader_json(const Grader& grader, const ExportOptions& options) {
  json g = {{"kind", grader_name(grader.spec)},
            {"weight", grader.weight},
            {"file", show_path(grader.origin.file, options)},
            {"line", grader.origin.line}};
  struct Fill {
    json& g;
    void operator()(const ExactGrader& x) const {
      json normalize = json::array();
      if (x.ignore_case) normalize.push_back("case");
      if (x.collapse_whitespace) normalize.push_back("whitespace");
      if (x.strip_punctuation) normalize.push_back("punctuation");
      g["expected"] = operand(x.expected);
      g["normalize"] = normalize;
    }
    void operator()(const ContainsGrader& x) const {
      g["text"] = operand(x.text);
      g["case_sensitive"] = x.case_sensitive;
    }
    void operator()(const RegexGrader& x) const {
      g["pattern"] = x.pattern;
      g["group"] = x.group;
      g["equals"] = operand_or_null(x.equals);
    }
    void operator()(const NumberGrader& x) const {
      g["expected"] = operand(x.expected);
      g["tolerance"] = or_null(x.tolerance);
      g["relative"] = or_null(x.relative);
    }
    void operator()(const JsonGrader& x) const {
      g["path"] = x.path;
      g["equals"] = operand_or_null(x.equals);
    }
    void operator()(const TestsGrader& x) const {
      g["code"] = x.code;
      g["language"] = to_string(x.language);
    }
    void operator()(const CommandGrader& x) const {
      g["cmd"] = x.command;
      g["exit"] = x.exit_code;
      g["stdout"] = operand_or_null(x.stdout_equals);
      g["stdout_contains"] = operand_or_null(x.stdout_contains);
    }
    void operator()(const JudgeGrader& x) const {
      g["rubric"] = x.rubric;
      g["tier"] = x.tier;
      g["threshold"] = x.threshold;
    }
    void operator()(const UnchangedGrader& x) const { g["path"] = x.path; }
  };
  std::visit(Fill{g}, grader.spec);
  return g;
}

json extract_json(const Extraction& x) {
  json out = {{"kind", to_string(x.kind)}};
  if (x.kind == Extraction::Kind::kCodeBlock) {
    out["language"] = x.language ? json(to_string(*x.language)) : json(nullptr);
  }
  if (x.kind == Extraction::Kind::kRegex) {
    out["pattern"] = x.pattern;
    out["group"] = x.group;
  }
  return out;
}

json samples_json(const Task& task, const ExportOptions& options) {
  const SampleSource& src = task.source;
  json source = {{"kind", to_string(src.kind)}};
  if (src.kind == SampleSource::Kind::kJsonl || src.kind == SampleSource::Kind::kCsv) {
    source["path"] = show_path(src.path, options);
  }
  if (src.kind == SampleSource::Kind::kGenerate) {
    source["generator"] = src.generator;
    source["params"] = src.params;
    source["seed"] = src.seed;
    source["count"] = src.count;
  }
  json out = {{"source", source}, {"count", task.sample_count()}, {"fields", task.sample_fields}};
  if (options.include_samples && !task.samples_pending()) {
    json items = json::array();
    for (const Sample& s : task.samples) {
      items.push_back({{"id", s.id}, {"line", s.line}, {"fields", s.fields}});
    }
    out["items"] = std::move(items);
  } else {
    out["items"] = nullptr;
  }
  return out;
}

json task_json(const Task& t, const ExportOptions& options) {
  json files = json::object();
  for (const auto& [name, text] : t.files) files[name] = text;
  json graders = json::array();
  for (const Grader& g : t.graders) graders.push_back(grader_json(g, options));
  json agent = nullptr;
  if (t.agent) agent = {{"tools", t.agent->tools}};
  return {
      {"id", t.id},
      {"suite", t.suite},
      {"kind", to_string(t.kind)},
      {"file", show_path(t.origin.file, options)},
      {"line", t.origin.line},
      {"tags", t.tags},
      {"mode", to_string(t.mode)},
      {"temperature", t.temperature},
      {"system", t.system},
      {"prompt", t.prompt},
      {"language", t.language ? json(to_string(*t.language)) : json(nullptr)},
      {"reference", t.reference},
      {"files", files},
      {"workspace", t.workspace ? json(show_path(*t.workspace, options)) : json(nullptr)},
      {"agent", agent},
      {"extract", extract_json(t.extract)},
      {"graders", graders},
      {"budget",
       {{"max_tokens", or_null(t.budget.max_tokens)},
        {"timeout_ns", ns_or_null(t.budget.timeout)},
        {"max_steps", or_null(t.budget.max_steps)},
        {"max_energy_j", or_null(t.budget.max_energy)}}},
      {"sandbox",
       {{"network", t.sandbox.network},
        {"memory_bytes", t.sandbox.memory},
        {"cpu_ns", t.sandbox.cpu.count()},
        {"wall_ns", t.sandbox.wall.count()},
        {"procs", t.sandbox.procs},
        {"file_size_bytes", t.sandbox.file_size},
        {"output_bytes", t.sandbox.output}}},
      {"samples", samples_json(t, options)},
  };
}

json tier_json(const Tier& tier, const ExportOptions& options) {
  json model;
  if (const auto* g = std::get_if<GgufModel>(&tier.model)) {
    model = {{"kind", "gguf"},
             {"path", show_path(g->path, options)},
             {"context", or_null(g->context)},
             {"threads", or_null(g->threads)}};
  } else {
    const auto& o = std::get<OpenAiModel>(tier.model);
    json headers = json::object();
    for (const auto& [k, v] : o.headers) headers[k] = v;
    model = {{"kind", "openai"},
             {"url", o.url},
             {"name", o.name},
             {"api_key_env", o.api_key_env},
             {"context", or_null(o.context)},
             {"timeout_ns", ns_or_null(o.timeout)},
             {"max_retries", o.max_retries},
             {"requests_per_minute", or_null(o.requests_per_minute)},
             {"headers", headers}};
  }
  return {{"name", tier.name},
          {"file", show_path(tier.origin.file, options)},
          {"line", tier.origin.line},
          {"model", model},
          {"concurrency", tier.concurrency},
          {"joules_per_token", or_null(tier.joules_per_token)}};
}

}  // namespace

nlohmann::json export_json(const Project& project, const ExportOptions& options) {
  json suites = json::array();
  for (const Suite& s : project.suites) {
    json includes = json::array();
    for (const auto& p : s.includes) includes.push_back(show_path(p, options));
    json tasks = json::array();
    for (const Task& t : s.tasks) tasks.push_back(task_json(t, options));
    suites.push_back({{"name", s.name},
                      {"title", s.title},
                      {"file", show_path(s.file, options)},
                      {"includes", includes},
                      {"tasks", tasks}});
  }
  json tiers = json::array();
  for (const Tier& t : project.tiers) tiers.push_back(tier_json(t, options));
  return {{"format", kExportFormat}, {"suites", suites}, {"tiers", tiers}};
}

std::string export_text(const Project& project, const ExportOptions& options) {
  // Strings are valid UTF-8 (the parser and loaders see to it); replace, never throw, if not.
  return export_json(project, options)
             .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace pareto::spec
