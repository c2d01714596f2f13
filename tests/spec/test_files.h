// Helpers for the spec tests that read the repository's own files (suites, fixtures, docs).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace pareto::spec::testing {

// The checkout the tests were built from.
inline const std::filesystem::path kSourceDir = PARETO_SOURCE_DIR;

// The bytes of a file; empty when it cannot be read (the test's expectations then fail).
inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace pareto::spec::testing
