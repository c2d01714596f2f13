// A fake powercap tree for tests: a temporary folder of files laid out like
// /sys/class/powercap (zones with name, max_energy_range_uj and energy_uj), which the real
// RaplMeter reads. Tests move its counters to known values.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace pareto::harness {

class FakePowercap {
 public:
  FakePowercap() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "pareto-powercap-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) root_ = pattern;
  }
  ~FakePowercap() {
    std::error_code ec;
    if (!root_.empty()) std::filesystem::remove_all(root_, ec);
  }
  const std::filesystem::path& root() const { return root_; }

  // Adds a zone folder (relative path such as "intel-rapl:0" or "intel-rapl:0/intel-rapl:0:1").
  void zone(const std::string& rel, const std::string& name, uint64_t energy_uj, uint64_t max_uj) {
    std::filesystem::create_directories(root_ / rel);
    write(rel + "/name", name + "\n");
    write(rel + "/max_energy_range_uj", std::to_string(max_uj) + "\n");
    set(rel, energy_uj);
  }
  void set(const std::string& rel, uint64_t energy_uj) {
    write(rel + "/energy_uj", std::to_string(energy_uj) + "\n");
  }
  void write(const std::string& rel, const std::string& text) {
    std::ofstream(root_ / rel, std::ios::trunc) << text;
  }

 private:
  std::filesystem::path root_;
};

}  // namespace pareto::harness
