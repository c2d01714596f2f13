// The JSON export of checked specs (`pareto export`): the model of spec/model.h as canonical
// JSON, so tools in any language can read what a spec means without parsing the language.
//
// Canonical: object keys sorted, two-space indentation, every key always present (null
// when a value is absent), durations in integer nanoseconds (`*_ns`), sizes in bytes
// (`*_bytes`), energies in joules (`*_j`), numbers in their shortest round-tripping form.
// The same project always exports to the same bytes. docs/spec.md ("Export") documents the
// schema; its version is kExportFormat and changes whenever a key changes meaning.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "spec/model.h"

namespace pareto::spec {

inline constexpr const char* kExportFormat = "pareto.spec/1";

struct ExportOptions {
  // Every task's samples in full (else only their count and fields). Samples still pending
  // (Task::samples_pending) are not drawn here: their items are null, as without this option;
  // call spec::materialize_samples first, or check with CheckOptions::generate_samples.
  bool include_samples = true;
  // Paths under this folder are written relative to it (so exports do not depend on where
  // the checkout lives); other paths stay absolute. Empty: all paths absolute.
  std::filesystem::path base;
};

nlohmann::json export_json(const Project& project, const ExportOptions& options = {});

// export_json as text, ending with a newline.
std::string export_text(const Project& project, const ExportOptions& options = {});

}  // namespace pareto::spec
