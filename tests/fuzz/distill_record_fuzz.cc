// libFuzzer target: the teacher-data reader (harness/distill.h) on arbitrary lines, and on
// arbitrary files. A line either parses into a record that writes back and parses again to
// the same JSON, or is a clear error; nothing crashes.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "harness/distill.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto record = pareto::harness::parse_distill_record(text);
  if (record.ok()) {
    const nlohmann::json once = pareto::harness::to_json(*record);
    auto again = pareto::harness::distill_record_from_json(once);
    if (!again.ok()) std::abort();
    if (pareto::harness::to_json(*again) != once) std::abort();
  } else if (record.message().empty()) {
    std::abort();  // every error says why
  }
  // The same bytes as a whole file: lines, a torn tail, errors with line numbers.
  static const std::string path =
      "/tmp/distill-record-fuzz-" + std::to_string(::getpid()) + ".jsonl";
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  auto file = pareto::harness::read_distill_file(path);
  if (!file.ok() && file.message().find(path) == std::string::npos) std::abort();
  return 0;
}
