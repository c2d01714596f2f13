// Energy: meters that measure it, a model that estimates it, and the arithmetic that turns a
// batch's joules into J per item, pJ per token and J per correct answer.
//
// Every figure carries its source, so a report never passes an estimate off as a
// measurement:
//   measured:rapl  Linux powercap counters (CPU packages, and their DRAM where exposed);
//   measured:nvml  the GPU's total-energy counter, through NVML loaded at run time;
//   modelled       work counters (FLOPs, bytes moved) times the per-operation energies of a
//                  named hardware profile (constants and their published sources:
//                  docs/energy.md);
//   declared       joules per token stated in the tier file, for remote endpoints.
//
// Meters count from the moment they are opened: joules() is the energy since then, never
// decreasing, so the energy of some work is the difference of two readings. A meter is safe
// to read from several threads. Nothing here needs special hardware to build: NVML is
// loaded with dlopen when a meter is opened, and its absence is an ordinary error Status.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/status.h"

namespace pareto::harness {

using inference::Result;
using inference::Status;

enum class EnergySource { kRapl, kNvml, kModelled, kDeclared };
// "measured:rapl", "measured:nvml", "modelled", "declared" — the labels results carry.
std::string_view to_string(EnergySource source);
Result<EnergySource> parse_energy_source(std::string_view label);

struct EnergyFigure {
  double joules = 0;
  EnergySource source = EnergySource::kModelled;
  std::string detail;  // what was measured or how it was estimated, for people
};

// --- Meters --------------------------------------------------------------------------------

class EnergyMeter {
 public:
  virtual ~EnergyMeter() = default;
  virtual EnergySource source() const = 0;
  // What the meter covers, e.g. "RAPL package-0, package-0/dram".
  virtual std::string describe() const = 0;
  // Joules consumed since the meter was opened.
  virtual Result<double> joules() = 0;
};

struct RaplOptions {
  std::filesystem::path root = "/sys/class/powercap";
  // Add each package's DRAM zone where the platform exposes one (servers usually do); the
  // memory traffic of inference is a large part of its energy.
  bool include_dram = true;
};

struct RaplZone {
  std::string name;  // "package-0", or "package-0/dram"
  std::filesystem::path dir;
  uint64_t max_energy_range_uj = 0;
};

// Reads powercap's intel-rapl zones (Intel, and AMD on recent kernels): every top-level
// package zone and, optionally, its DRAM sub-zone. Platform ("psys") zones are left out
// because they already contain the packages. Each counter wraps at max_energy_range_uj;
// a wrap between two readings is accounted for, so read the meter at least once per
// wrap_seconds(watts) (about 20 minutes for a 200 W package with a 262 kJ range).
class RaplMeter final : public EnergyMeter {
 public:
  static Result<std::unique_ptr<RaplMeter>> Open(const RaplOptions& options = {});

  EnergySource source() const override { return EnergySource::kRapl; }
  std::string describe() const override;
  Result<double> joules() override;

  // Joules per zone since open, in zones() order.
  Result<std::vector<double>> zone_joules();
  const std::vector<RaplZone>& zones() const { return zones_; }
  // Seconds until the zone with the smallest range could wrap twice at `watts`.
  double wrap_seconds(double watts) const;

 private:
  explicit RaplMeter(std::vector<RaplZone> zones, std::vector<uint64_t> start);
  Status update();  // reads every counter and adds its increase; needs mutex_ held

  std::vector<RaplZone> zones_;
  std::mutex mutex_;
  std::vector<uint64_t> last_raw_uj_;
  std::vector<uint64_t> total_uj_;
};

// The NVML entry points the meter calls, with C linkage and NVML's ABI: results are
// nvmlReturn_t (0 is success) and a device is an opaque pointer.
struct NvmlApi {
  int (*init)() = nullptr;                                       // nvmlInit_v2
  int (*shutdown)() = nullptr;                                   // nvmlShutdown
  const char* (*error_string)(int) = nullptr;                    // nvmlErrorString
  int (*device_count)(unsigned*) = nullptr;                      // nvmlDeviceGetCount_v2
  int (*device_handle)(unsigned, void**) = nullptr;              // nvmlDeviceGetHandleByIndex_v2
  int (*total_energy_mj)(void*, unsigned long long*) = nullptr;  // ...GetTotalEnergyConsumption
  int (*device_name)(void*, char*, unsigned) = nullptr;          // nvmlDeviceGetName; optional
};

struct NvmlOptions {
  std::string library = "libnvidia-ml.so.1";  // a name the dynamic loader finds, or a path
  std::vector<unsigned> devices = {};         // GPU indices to sum; empty: every GPU
};

// GPU energy from NVML's total-energy counter (millijoules since the driver loaded; Volta
// and newer). The counter covers the whole board: GPU, its memory and its power delivery.
class NvmlMeter final : public EnergyMeter {
 public:
  // Loads NVML with dlopen. Without it (no NVIDIA driver) the error says "not available".
  static Result<std::unique_ptr<NvmlMeter>> Open(const NvmlOptions& options = {});
  // Uses entry points supplied by the caller (another loader, or a test double); `library`
  // in the options is ignored.
  static Result<std::unique_ptr<NvmlMeter>> OpenWithApi(const NvmlApi& api,
                                                        const NvmlOptions& options = {});
  ~NvmlMeter() override;
  NvmlMeter(const NvmlMeter&) = delete;
  NvmlMeter& operator=(const NvmlMeter&) = delete;

  EnergySource source() const override { return EnergySource::kNvml; }
  std::string describe() const override;
  Result<double> joules() override;

  // Joules per selected GPU since open.
  Result<std::vector<double>> device_joules();

 private:
  NvmlMeter(const NvmlApi& api, void* library);
  Status update();  // needs mutex_ held
  std::string error_text(int code) const;

  NvmlApi api_;
  void* library_ = nullptr;  // dlopen handle, closed with the meter; null for OpenWithApi
  std::vector<unsigned> indices_;
  std::vector<void*> devices_;
  std::vector<std::string> names_;
  std::mutex mutex_;
  std::vector<unsigned long long> last_mj_;
  std::vector<unsigned long long> total_mj_;
};

// Hands out a meter's energy in consecutive pieces: take() returns the joules since the
// previous take() by any thread (the first: since the tap opened), so the pieces concurrent
// decoders take add up to the meter's total and none is counted twice. A machine-wide meter
// (RAPL covers the whole package) puts everything the machine did in a piece into it.
class EnergyTap {
 public:
  // Reads the meter once, as the starting point. Errors: the meter cannot be read.
  static Result<std::shared_ptr<EnergyTap>> Open(std::shared_ptr<EnergyMeter> meter);
  Result<double> take();
  EnergySource source() const { return meter_->source(); }
  std::string describe() const { return meter_->describe(); }

 private:
  EnergyTap(std::shared_ptr<EnergyMeter> meter, double start)
      : meter_(std::move(meter)), last_(start) {}
  std::shared_ptr<EnergyMeter> meter_;
  std::mutex mutex_;
  double last_ = 0;
};

// --- Modelled ------------------------------------------------------------------------------

enum class Precision { kFp32, kFp16, kBf16, kFp8, kInt8 };
inline constexpr size_t kPrecisionCount = 5;
std::string_view to_string(Precision precision);  // "fp32", "fp16", "bf16", "fp8", "int8"
Result<Precision> parse_precision(std::string_view name);

// What some work cost, in the units the model prices. The harness fills it from the
// inference core's per-pass counters; a batched pass counts its weights once.
struct WorkCounters {
  double flops = 0;  // arithmetic operations; a multiply-add is two
  Precision precision = Precision::kFp32;
  double weight_bytes = 0;      // weights read from main memory (DRAM or HBM)
  double kv_bytes_read = 0;     // KV cache read from main memory
  double kv_bytes_written = 0;  // KV cache written to main memory
  double onchip_bytes = 0;      // moved through on-chip caches/SRAM, when counted (else 0)
  int64_t tokens = 0;           // tokens the work processed (prompt and generated)
};

// Per-operation energies of a class of hardware. Sources and derivations: docs/energy.md.
struct HardwareProfile {
  std::string_view name;
  std::string_view description;
  // Picojoules per arithmetic operation, by Precision; 0 where the hardware has no such
  // arithmetic (modelling work in that precision is an error).
  std::array<double, kPrecisionCount> pj_per_flop{};
  double pj_per_onchip_byte = 0;
  double pj_per_memory_byte = 0;  // main memory, read or written
  std::string_view memory;        // "DDR5-4800", "HBM3e"
};

// The built-in profiles: "cpu-ddr5" (a 56-core server CPU with 8 channels of DDR5) and
// "gpu-hbm3e" (an H200-class GPU).
std::span<const HardwareProfile> hardware_profiles();
Result<HardwareProfile> find_hardware_profile(std::string_view name);

struct ModelledEnergy {
  double arithmetic_joules = 0;
  double onchip_joules = 0;
  double memory_joules = 0;  // weights plus KV cache
  double joules() const { return arithmetic_joules + onchip_joules + memory_joules; }
  // The total as a figure labelled modelled, naming the profile.
  EnergyFigure figure;
};

// Dynamic energy of the work: FLOPs x pJ/FLOP + on-chip bytes x pJ/byte + main-memory bytes
// x pJ/byte. Idle and static power are not in it (docs/energy.md says why it is still useful
// and what it leaves out). Errors for negative counters or a precision the profile lacks.
Result<ModelledEnergy> model_energy(const WorkCounters& work, const HardwareProfile& profile);

// --- Declared ------------------------------------------------------------------------------

// `joules_per_token` (from the tier file) times the tokens an item used.
Result<EnergyFigure> declared_energy(double joules_per_token, int64_t tokens,
                                     std::string_view tier);

// --- Sharing and per-unit figures ----------------------------------------------------------

// Shares a batch's energy among its items in proportion to their tokens (so an item that
// kept the batch busy longer carries more of it). When no item has tokens, evenly.
Result<std::vector<double>> share_by_tokens(double joules, std::span<const int64_t> tokens);

// 1e12 x joules / tokens.
Result<double> picojoules_per_token(double joules, int64_t tokens);
// joules / correct answers; an error when nothing was correct (the cost per correct answer
// is then unbounded, not zero).
Result<double> joules_per_correct(double joules, int64_t correct);

struct ItemEnergy {
  EnergyFigure energy;
  int64_t tokens = 0;
  bool correct = false;
};

struct EnergySummary {
  int64_t items = 0;
  int64_t tokens = 0;
  int64_t correct = 0;
  double joules = 0;
  double joules_per_item = 0;
  std::optional<double> pj_per_token;        // absent when no tokens
  std::optional<double> joules_per_correct;  // absent when nothing was correct
  std::vector<EnergySource> sources;         // distinct, in first-seen order
  // The sources joined with "+", e.g. "modelled" or "measured:rapl+modelled".
  std::string source_label() const;
};

// Totals for a group of items (a task, a tier). Needs at least one item.
Result<EnergySummary> summarize_energy(std::span<const ItemEnergy> items);

}  // namespace pareto::harness
