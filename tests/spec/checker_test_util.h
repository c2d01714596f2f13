// Helpers for the checker tests: check spec text held in memory, with a small generator
// registry of our own, and read diagnostics back as "line:col: message" strings.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spec/checker.h"
#include "spec/generator.h"

namespace pareto::spec::testing {

// A deterministic generator for tests: sample i has a = i, b = 2 * i, answer = 3 * i (or
// answer = i + 0.5 with fractional = true).
class PairsGenerator : public Generator {
 public:
  PairsGenerator() {
    info_.name = "pairs";
    info_.description = "test pairs";
    info_.params = {
        {"digits", ParamType::kInt, 2, "digits", 1.0, 9.0},
        {"fractional", ParamType::kBool, false, "answers with .5", std::nullopt, std::nullopt},
    };
    info_.fields = {"a", "answer", "b"};
  }
  const GeneratorInfo& info() const override { return info_; }
  std::vector<Sample> generate(const nlohmann::json& params, std::uint64_t seed,
                               std::size_t count) const override {
    std::vector<Sample> out;
    const bool fractional = params.value("fractional", false);
    for (std::size_t i = 0; i < count; ++i) {
      const auto v = static_cast<std::int64_t>(i + seed);
      nlohmann::json fields = {{"a", v}, {"b", 2 * v}};
      if (fractional) {
        fields["answer"] = static_cast<double>(v) + 0.5;
      } else {
        fields["answer"] = 3 * v;
      }
      out.push_back(Sample{std::to_string(i), std::move(fields), 0});
    }
    return out;
  }

 private:
  GeneratorInfo info_;
};

inline GeneratorRegistry test_generators() {
  GeneratorRegistry registry;
  registry.add(std::make_unique<PairsGenerator>());
  return registry;
}

// Spec files in memory, by absolute path ("/t/a.pareto").
struct MemoryFiles {
  std::map<std::filesystem::path, std::string> files;

  CheckOptions options(bool strict = false) const {
    CheckOptions o;
    o.strict = strict;
    o.read_file = [this](const std::filesystem::path& p,
                         std::string* error) -> std::optional<std::string> {
      auto it = files.find(p);
      if (it == files.end()) {
        *error = fmt::format("cannot open {}: No such file or directory", p.string());
        return std::nullopt;
      }
      return it->second;
    };
    return o;
  }
};

// "3:5: message" for each diagnostic of `file` (all files when empty), errors and warnings.
inline std::vector<std::string> messages(const CheckResult& r, const std::string& file = "") {
  std::vector<std::string> out;
  for (const Diagnostic& d : r.diagnostics.all()) {
    if (!file.empty() && d.file != file) continue;
    out.push_back(fmt::format("{}:{}: {}", d.line, d.column, d.message));
  }
  return out;
}

inline CheckResult check_text(const std::string& text, bool strict = false) {
  static const GeneratorRegistry registry = test_generators();
  MemoryFiles fs;
  fs.files["/t/main.pareto"] = text;
  const std::vector<std::filesystem::path> roots = {"/t/main.pareto"};
  return check_files(roots, registry, fs.options(strict));
}

}  // namespace pareto::spec::testing
