// libFuzzer target for the checker: any bytes, checked as a spec whose includes all resolve to
// the same bytes (so include chains, cycles and diamonds are exercised too), with the built-in
// generators, plain and --strict, must yield diagnostics that point inside the input and
// render, and never crash. Data files are read from disk relative to the working directory.
//
// Build: cmake -DPARETO_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ ...; ninja checker_fuzz
// Run:   ./checker_fuzz -dict=tests/fuzz/spec_fuzz.dict -max_total_time=60 CORPUS_DIR suites
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "spec/checker.h"
#include "spec/diagnostics.h"
#include "spec/export.h"
#include "suites/generators.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pareto::spec;
  static const GeneratorRegistry generators = pareto::suites::builtin_generators();
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::filesystem::path root = std::filesystem::absolute("fuzz.pareto");
  for (bool strict : {false, true}) {
    CheckOptions options;
    options.strict = strict;
    options.read_file = [&](const std::filesystem::path& path,
                            std::string* error) -> std::optional<std::string> {
      if (path.extension() == ".pareto") return text;
      *error = "not a spec file";
      return std::nullopt;
    };
    const CheckResult result = check_files(std::span(&root, 1), generators, options);
    for (const Diagnostic& d : result.diagnostics.all()) {
      const bool spec_file = std::filesystem::path(d.file).extension() == ".pareto";
      if (spec_file && (d.span.end > text.size() || d.line < 1)) {
        std::fprintf(stderr, "checker_fuzz: diagnostic outside the input: %s\n", render(d).c_str());
        std::abort();
      }
    }
    const std::string rendered = result.diagnostics.render();
    if (result.ok()) {
      const std::string exported = export_text(result.project);
      if (exported.empty()) std::abort();
    }
  }
  return 0;
}
