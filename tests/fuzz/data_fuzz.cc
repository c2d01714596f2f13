// libFuzzer target for data files and generator parameters: parse_jsonl and parse_csv on
// arbitrary bytes, and the built-in generators on arbitrary (unvalidated) parameter
// objects. Beyond "no crash, no sanitizer report", it checks the loaders' promises: issues
// point at lines that exist, samples are objects, csv values are strings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "spec/generator.h"
#include "spec/samples.h"
#include "suites/generators.h"

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

void check_set(const pareto::spec::SampleSet& set, std::string_view text, bool csv) {
  int lines = 1;
  for (char c : text) lines += c == '\n';
  require(set.issues.size() <= pareto::spec::kMaxDataIssues + 1);
  for (const auto& issue : set.issues) {
    require(issue.line >= 0 && issue.line <= lines);
    require(issue.column >= 0);
    require(!issue.message.empty());
    require(issue.file == "fuzz.data");
  }
  for (const auto& sample : set.samples) {
    require(sample.fields.is_object());
    require(sample.line >= 1 && sample.line <= lines);
    if (csv) {
      for (const auto& [key, value] : sample.fields.items()) require(value.is_string());
    }
  }
  require(!set.samples.empty() || !set.issues.empty());  // nothing loaded is always explained
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_set(pareto::spec::parse_jsonl(text, "fuzz.data"), text, false);
  check_set(pareto::spec::parse_csv(text, "fuzz.data"), text, true);

  // Generators must survive any parameter object, validated or not.
  static const pareto::spec::GeneratorRegistry registry = pareto::suites::builtin_generators();
  if (size > 0) {
    const std::vector<std::string> names = registry.names();
    const pareto::spec::Generator* g = registry.find(names[data[0] % names.size()]);
    nlohmann::json params = nlohmann::json::parse(text.substr(1), nullptr, false);
    if (!params.is_discarded()) {
      for (const auto& s : g->generate(params, size, 2)) require(s.fields.contains("answer"));
      if (params.is_object()) {
        std::vector<pareto::spec::GeneratorArg> args;
        for (const auto& [key, value] : params.items()) args.push_back({key, value, ""});
        pareto::spec::CheckedParams checked = pareto::spec::check_params(*g, args);
        if (checked.ok()) {
          for (const auto& s : g->generate(checked.params, 1, 2))
            require(s.fields.contains("answer"));
        }
      }
    }
  }
  return 0;
}
