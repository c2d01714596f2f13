// libFuzzer target for the spec language: any bytes must parse and check without crashing and
// render their diagnostics, and, when they parse without errors, format to a text that parses
// to the same tree (same_syntax), keeps every comment, and formats to itself (idempotence). A
// broken promise aborts.
//
// Build: cmake -DPARETO_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ ...; ninja spec_fuzz
// Run:   ./spec_fuzz -dict=tests/fuzz/spec_fuzz.dict -max_total_time=60 CORPUS_DIR \
//            tests/fixtures/spec/syntax
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "spec/ast.h"
#include "spec/checker.h"
#include "spec/diagnostics.h"
#include "spec/format.h"
#include "spec/lexer.h"
#include "spec/parser.h"
#include "spec/source.h"
#include "suites/generators.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail, const std::string& text) {
  std::fprintf(stderr, "spec_fuzz: %s\n%s\n--- formatted text ---\n%s\n", what, detail.c_str(),
               text.c_str());
  std::abort();
}

std::size_t count_comments(const pareto::spec::SourceFile& source) {
  using namespace pareto::spec;
  Diagnostics ignored;
  std::size_t n = 0;
  for (const Token& t : lex(source, ignored)) n += t.kind == TokenKind::kComment ? 1 : 0;
  return n;
}

// The checker sees the input as the file `fuzz.pareto`; every other spec file (includes) is
// missing. Data files are read from disk relative to the working directory, as they would be.
void check(const std::string& text) {
  using namespace pareto::spec;
  static const GeneratorRegistry generators = pareto::suites::builtin_generators();
  // The checker asks for files by absolute path.
  static const std::filesystem::path root = std::filesystem::absolute("fuzz.pareto");
  CheckOptions options;
  options.read_file = [&text](const std::filesystem::path& path,
                              std::string* error) -> std::optional<std::string> {
    if (path == root) return text;
    *error = "not available to the fuzzer";
    return std::nullopt;
  };
  const CheckResult result = check_files(std::span(&root, 1), generators, options);
  const std::string rendered = result.diagnostics.render();
  (void)rendered;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pareto::spec;
  const SourceFile source("fuzz.pareto", std::string(reinterpret_cast<const char*>(data), size));
  Diagnostics diagnostics;
  const File file = parse_file(source, diagnostics);
  // Rendering must cope with whatever the source line holds.
  const std::string rendered = diagnostics.render(RenderOptions{.color = true});
  check(std::string(source.text()));
  if (diagnostics.has_errors()) return 0;

  const std::string once = format_file(file);
  const SourceFile again("fuzz.formatted.pareto", once);
  Diagnostics again_diagnostics;
  const File reparsed = parse_file(again, again_diagnostics);
  if (again_diagnostics.has_errors()) {
    fail("the formatted text does not parse", again_diagnostics.render(), once);
  }
  const std::string difference = syntax_difference(file, reparsed);
  if (!difference.empty()) fail("formatting changed the meaning", difference, once);
  if (count_comments(again) != count_comments(source)) fail("a comment was lost", "", once);
  const std::string twice = format_file(reparsed);
  if (twice != once) fail("formatting is not idempotent", twice, once);
  return 0;
}
