// SHA-256 (FIPS 180-4): the hashes that name model files in manifests, records and the
// result cache, and key cache entries. Incremental, so a multi-gigabyte model is hashed in
// pieces without being held in memory.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "inference/status.h"

namespace pareto::harness {

class Sha256 {
 public:
  Sha256();
  void Update(std::string_view bytes);
  // The digest as 64 lowercase hex digits. The object is spent afterwards.
  std::string HexDigest();

 private:
  void Block(const unsigned char* block);
  std::array<std::uint32_t, 8> state_;
  std::array<unsigned char, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;  // bytes hashed
};

// The hex digest of `bytes`.
std::string sha256_hex(std::string_view bytes);

// The hex digest of a file's bytes; an error naming the file when it cannot be read.
inference::Result<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace pareto::harness
