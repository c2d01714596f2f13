// SHA-256 (FIPS 180-4), computed by OpenSSL's EVP interface: the hashes that name model files
// in manifests, records and the result cache, and key cache entries. Incremental, so a
// multi-gigabyte model is hashed in pieces without being held in memory.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "inference/status.h"

struct evp_md_ctx_st;

namespace pareto::harness {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void Update(std::string_view bytes);
  // The digest as 64 lowercase hex digits. The object is spent afterwards.
  std::string HexDigest();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

// The hex digest of `bytes`.
std::string sha256_hex(std::string_view bytes);

// The hex digest of a file's bytes; an error naming the file when it cannot be read.
inference::Result<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace pareto::harness
