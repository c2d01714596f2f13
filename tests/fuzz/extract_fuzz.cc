// libFuzzer target: every extraction kind (agents/extract.h) and the number and JSON readers
// the graders use, on arbitrary model output. The first byte picks the extraction's options.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agents/extract.h"

namespace {

using pareto::agents::Extractor;
using pareto::spec::Extraction;

void run(const Extraction& e, std::string_view text) {
  auto extractor = Extractor::Make(e);
  if (!extractor.ok()) std::abort();  // every pattern below compiles
  auto answer = extractor->extract(text);
  if (!answer.found && !answer.answer.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  Extraction e;
  e.kind = Extraction::Kind::kFull;
  run(e, text);
  e.kind = Extraction::Kind::kLastNumber;
  run(e, text);
  e.kind = Extraction::Kind::kJson;
  run(e, text);
  e.kind = Extraction::Kind::kCodeBlock;
  if (options & 1) e.language = (options & 2) ? pareto::spec::Language::kCpp
                                              : pareto::spec::Language::kPython;
  run(e, text);
  e.kind = Extraction::Kind::kRegex;
  e.language.reset();
  e.pattern = (options & 4) ? "Answer:\\s*(-?\\d+)" : "(\\w+)\\s*=\\s*(\\S*)";
  e.group = (options & 8) ? 1 : 0;
  run(e, text);

  if (auto number = pareto::agents::find_last_number(text)) {
    if (!pareto::agents::parse_decimal(*number)) std::abort();  // its own output parses
  }
  (void)pareto::agents::parse_decimal(text);
  (void)pareto::agents::parse_json_value(text);
  return 0;
}
