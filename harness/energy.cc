#include "harness/energy.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace pareto::harness {
namespace {

namespace fs = std::filesystem;

// --- Small files -----------------------------------------------------------------------------

// Reads a small sysfs file whole. Errors name the file and, for permissions, what to do.
Result<std::string> read_small_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    std::string message = fmt::format("cannot open {}: {}", path.string(), std::strerror(err));
    if (err == EACCES) {
      // Since Linux 5.10 (and stable backports) energy_uj is readable by root only, to close a
      // power side channel (CVE-2020-8694).
      message +=
          " (RAPL counters are readable by root only on current kernels: run as root, or grant "
          "read access, e.g. chmod o+r on the energy_uj files)";
    }
    return Status::Error(message);
  }
  char buffer[256];
  const ssize_t n = ::read(fd, buffer, sizeof(buffer));
  const int err = errno;
  ::close(fd);
  if (n < 0)
    return Status::Error(fmt::format("cannot read {}: {}", path.string(), std::strerror(err)));
  std::string text(buffer, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) {
    text.pop_back();
  }
  return text;
}

Result<uint64_t> read_counter(const fs::path& path) {
  Result<std::string> text = read_small_file(path);
  if (!text.ok()) return text.status();
  uint64_t value = 0;
  const char* begin = text->data();
  const char* end = begin + text->size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || text->empty()) {
    return Status::Error(
        fmt::format("{} holds '{}', not a counter in microjoules", path.string(), *text));
  }
  return value;
}

// The N of a folder named "<prefix>N" (digits only), or -1.
long zone_index(std::string_view name, std::string_view prefix) {
  if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) return -1;
  long value = 0;
  const char* begin = name.data() + prefix.size();
  const char* end = name.data() + name.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end) return -1;
  return value;
}

// Sub-folders of `dir` named "<prefix>N", in order of N.
std::vector<fs::path> numbered_folders(const fs::path& dir, const std::string& prefix) {
  std::vector<std::pair<long, fs::path>> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const long index = zone_index(it->path().filename().string(), prefix);
    if (index >= 0 && fs::is_directory(it->path(), ec)) found.emplace_back(index, it->path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& [index, path] : found) out.push_back(std::move(path));
  return out;
}

Result<RaplZone> make_zone(std::string name, const fs::path& dir) {
  Result<uint64_t> range = read_counter(dir / "max_energy_range_uj");
  if (!range.ok()) return range.status();
  if (*range == 0) {
    return Status::Error(
        fmt::format("{}/max_energy_range_uj is 0: cannot account for wrap-around", dir.string()));
  }
  return RaplZone{std::move(name), dir, *range};
}

Status check_nonnegative(double value, std::string_view what) {
  if (!std::isfinite(value) || value < 0) {
    return Status::Error(fmt::format("{} must be a finite number >= 0, got {}", what, value));
  }
  return Status::Ok();
}

}  // namespace

std::string_view to_string(EnergySource source) {
  switch (source) {
    case EnergySource::kRapl:
      return "measured:rapl";
    case EnergySource::kNvml:
      return "measured:nvml";
    case EnergySource::kModelled:
      return "modelled";
    case EnergySource::kDeclared:
      return "declared";
  }
  return "unknown";
}

Result<EnergySource> parse_energy_source(std::string_view label) {
  for (EnergySource s : {EnergySource::kRapl, EnergySource::kNvml, EnergySource::kModelled,
                         EnergySource::kDeclared}) {
    if (label == to_string(s)) return s;
  }
  return Status::Error(fmt::format(
      "unknown energy source '{}' (expected measured:rapl, measured:nvml, modelled or declared)",
      label));
}

// --- RAPL ----------------------------------------------------------------------------------

Result<std::unique_ptr<RaplMeter>> RaplMeter::Open(const RaplOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(options.root, ec)) {
    return Status::Error(fmt::format(
        "no powercap folder at {}: this machine exposes no RAPL energy counters (not Linux, a "
        "virtual machine, or the intel_rapl driver is not loaded)",
        options.root.string()));
  }
  std::vector<RaplZone> zones;
  for (const fs::path& dir : numbered_folders(options.root, "intel-rapl:")) {
    Result<std::string> name = read_small_file(dir / "name");
    if (!name.ok()) return name.status();
    const bool package = name->rfind("package", 0) == 0;
    if (package || (*name == "dram" && options.include_dram)) {
      Result<RaplZone> zone = make_zone(*name, dir);
      if (!zone.ok()) return zone.status();
      zones.push_back(std::move(*zone));
    }
    if (!package || !options.include_dram) continue;
    // A package's sub-zones are "intel-rapl:N:M": core, uncore (inside the package figure
    // already) and dram (outside it).
    for (const fs::path& sub : numbered_folders(dir, dir.filename().string() + ":")) {
      Result<std::string> sub_name = read_small_file(sub / "name");
      if (!sub_name.ok()) return sub_name.status();
      if (*sub_name != "dram") continue;
      Result<RaplZone> zone = make_zone(*name + "/dram", sub);
      if (!zone.ok()) return zone.status();
      zones.push_back(std::move(*zone));
    }
  }
  if (zones.empty()) {
    return Status::Error(
        fmt::format("no RAPL package zones under {} (no intel-rapl:N folder "
                    "whose name is package-N)",
                    options.root.string()));
  }
  std::vector<uint64_t> start;
  for (const RaplZone& zone : zones) {
    Result<uint64_t> raw = read_counter(zone.dir / "energy_uj");
    if (!raw.ok()) return raw.status();
    if (*raw > zone.max_energy_range_uj) {
      return Status::Error(fmt::format("{}: energy_uj {} exceeds max_energy_range_uj {}",
                                       zone.dir.string(), *raw, zone.max_energy_range_uj));
    }
    start.push_back(*raw);
  }
  return std::unique_ptr<RaplMeter>(new RaplMeter(std::move(zones), std::move(start)));
}

RaplMeter::RaplMeter(std::vector<RaplZone> zones, std::vector<uint64_t> start)
    : zones_(std::move(zones)), last_raw_uj_(std::move(start)), total_uj_(zones_.size(), 0) {}

std::string RaplMeter::describe() const {
  std::string out = "RAPL";
  for (size_t i = 0; i < zones_.size(); ++i) out += (i == 0 ? " " : ", ") + zones_[i].name;
  return out;
}

Status RaplMeter::update() {
  for (size_t i = 0; i < zones_.size(); ++i) {
    Result<uint64_t> raw = read_counter(zones_[i].dir / "energy_uj");
    if (!raw.ok()) return raw.status();
    const uint64_t range = zones_[i].max_energy_range_uj;
    if (*raw > range) {
      return Status::Error(fmt::format("{}: energy_uj {} exceeds max_energy_range_uj {}",
                                       zones_[i].dir.string(), *raw, range));
    }
    // A smaller reading than last time means the counter passed its range and restarted at 0.
    const uint64_t last = last_raw_uj_[i];
    total_uj_[i] += *raw >= last ? *raw - last : (range - last) + *raw;
    last_raw_uj_[i] = *raw;
  }
  return Status::Ok();
}

Result<std::vector<double>> RaplMeter::zone_joules() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (Status s = update(); !s.ok()) return s;
  std::vector<double> out;
  for (uint64_t uj : total_uj_) out.push_back(static_cast<double>(uj) * 1e-6);
  return out;
}

Result<double> RaplMeter::joules() {
  Result<std::vector<double>> per_zone = zone_joules();
  if (!per_zone.ok()) return per_zone.status();
  double sum = 0;
  for (double j : *per_zone) sum += j;
  return sum;
}

double RaplMeter::wrap_seconds(double watts) const {
  if (!(watts > 0)) return std::numeric_limits<double>::infinity();
  uint64_t smallest = std::numeric_limits<uint64_t>::max();
  for (const RaplZone& zone : zones_) smallest = std::min(smallest, zone.max_energy_range_uj);
  return static_cast<double>(smallest) * 1e-6 / watts;
}

Result<std::shared_ptr<EnergyTap>> EnergyTap::Open(std::shared_ptr<EnergyMeter> meter) {
  if (!meter) return Status::Error("no energy meter");
  Result<double> start = meter->joules();
  if (!start.ok()) return start.status();
  return std::shared_ptr<EnergyTap>(new EnergyTap(std::move(meter), *start));
}

Result<double> EnergyTap::take() {
  std::lock_guard lock(mutex_);
  Result<double> now = meter_->joules();
  if (!now.ok()) return now.status();
  const double piece = std::max(0.0, *now - last_);
  last_ = std::max(last_, *now);
  return piece;
}

// --- NVML ----------------------------------------------------------------------------------

namespace {

constexpr int kNvmlSuccess = 0;
constexpr int kNvmlNotSupported = 3;

// dlsym gives a data pointer; POSIX guarantees it converts to the function's pointer type.
template <typename Fn>
bool resolve(void* library, const char* symbol, Fn& out) {
  void* address = ::dlsym(library, symbol);
  if (address == nullptr) return false;
  out = reinterpret_cast<Fn>(address);
  return true;
}

}  // namespace

NvmlMeter::NvmlMeter(const NvmlApi& api, void* library) : api_(api), library_(library) {}

NvmlMeter::~NvmlMeter() {
  // Shut NVML down only if it was started (devices_ is filled after a successful init).
  if (!devices_.empty() && api_.shutdown != nullptr) api_.shutdown();
  if (library_ != nullptr) ::dlclose(library_);
}

std::string NvmlMeter::error_text(int code) const {
  const char* text = api_.error_string != nullptr ? api_.error_string(code) : nullptr;
  return text != nullptr ? fmt::format("{} (NVML error {})", text, code)
                         : fmt::format("NVML error {}", code);
}

Result<std::unique_ptr<NvmlMeter>> NvmlMeter::Open(const NvmlOptions& options) {
  void* library = ::dlopen(options.library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = ::dlerror();
    return Status::Error(
        fmt::format("NVML not available: cannot load {} ({}); GPU energy cannot be measured here",
                    options.library, why != nullptr ? why : "unknown reason"));
  }
  NvmlApi api;
  struct Symbol {
    const char* name;
    bool found;
  };
  const Symbol required[] = {
      {"nvmlInit_v2", resolve(library, "nvmlInit_v2", api.init)},
      {"nvmlShutdown", resolve(library, "nvmlShutdown", api.shutdown)},
      {"nvmlErrorString", resolve(library, "nvmlErrorString", api.error_string)},
      {"nvmlDeviceGetCount_v2", resolve(library, "nvmlDeviceGetCount_v2", api.device_count)},
      {"nvmlDeviceGetHandleByIndex_v2",
       resolve(library, "nvmlDeviceGetHandleByIndex_v2", api.device_handle)},
      {"nvmlDeviceGetTotalEnergyConsumption",
       resolve(library, "nvmlDeviceGetTotalEnergyConsumption", api.total_energy_mj)},
  };
  for (const Symbol& symbol : required) {
    if (!symbol.found) {
      ::dlclose(library);
      return Status::Error(fmt::format(
          "NVML not available: {} has no {} (not NVML, or a driver too old for energy counters)",
          options.library, symbol.name));
    }
  }
  resolve(library, "nvmlDeviceGetName", api.device_name);  // optional: only for describe()

  std::unique_ptr<NvmlMeter> meter(new NvmlMeter(api, library));
  Result<std::unique_ptr<NvmlMeter>> started = OpenWithApi(api, options);
  if (!started.ok()) return started.status();  // `meter` closes the library
  // Hand the library handle to the started meter so it closes it last.
  (*started)->library_ = meter->library_;
  meter->library_ = nullptr;
  return started;
}

Result<std::unique_ptr<NvmlMeter>> NvmlMeter::OpenWithApi(const NvmlApi& api,
                                                          const NvmlOptions& options) {
  if (api.init == nullptr || api.shutdown == nullptr || api.device_count == nullptr ||
      api.device_handle == nullptr || api.total_energy_mj == nullptr) {
    return Status::Error("NVML not available: incomplete NVML entry points");
  }
  std::unique_ptr<NvmlMeter> meter(new NvmlMeter(api, nullptr));
  if (int rc = api.init(); rc != kNvmlSuccess) {
    return Status::Error(
        fmt::format("NVML not available: initialisation failed: {}", meter->error_text(rc)));
  }
  // From here the meter shuts NVML down when it goes, unless no device was taken: do it here.
  unsigned count = 0;
  if (int rc = api.device_count(&count); rc != kNvmlSuccess || count == 0) {
    api.shutdown();
    return Status::Error(rc != kNvmlSuccess
                             ? fmt::format("NVML cannot count GPUs: {}", meter->error_text(rc))
                             : std::string("NVML found no GPU"));
  }
  std::vector<unsigned> indices = options.devices;
  if (indices.empty()) {
    for (unsigned i = 0; i < count; ++i) indices.push_back(i);
  }
  std::vector<void*> devices;
  std::vector<std::string> names;
  std::vector<unsigned long long> start;
  for (unsigned index : indices) {
    auto fail = [&](std::string message) {
      api.shutdown();
      return Status::Error(std::move(message));
    };
    if (index >= count) {
      return fail(fmt::format("GPU {} does not exist (NVML sees {} GPUs)", index, count));
    }
    void* device = nullptr;
    if (int rc = api.device_handle(index, &device); rc != kNvmlSuccess) {
      return fail(fmt::format("NVML cannot open GPU {}: {}", index, meter->error_text(rc)));
    }
    std::string name = fmt::format("GPU {}", index);
    if (api.device_name != nullptr) {
      char buffer[96] = {};
      if (api.device_name(device, buffer, sizeof(buffer) - 1) == kNvmlSuccess) {
        name += fmt::format(" ({})", buffer);
      }
    }
    unsigned long long mj = 0;
    if (int rc = api.total_energy_mj(device, &mj); rc != kNvmlSuccess) {
      return fail(
          rc == kNvmlNotSupported
              ? fmt::format("{} does not report total energy (NVML's energy counter needs "
                            "a Volta or newer GPU)",
                            name)
              : fmt::format("NVML cannot read the energy of {}: {}", name, meter->error_text(rc)));
    }
    devices.push_back(device);
    names.push_back(std::move(name));
    start.push_back(mj);
  }
  meter->indices_ = std::move(indices);
  meter->devices_ = std::move(devices);
  meter->names_ = std::move(names);
  meter->last_mj_ = std::move(start);
  meter->total_mj_.assign(meter->devices_.size(), 0);
  return meter;
}

std::string NvmlMeter::describe() const {
  std::string out = "NVML";
  for (size_t i = 0; i < names_.size(); ++i) out += (i == 0 ? " " : ", ") + names_[i];
  return out;
}

Status NvmlMeter::update() {
  for (size_t i = 0; i < devices_.size(); ++i) {
    unsigned long long mj = 0;
    if (int rc = api_.total_energy_mj(devices_[i], &mj); rc != kNvmlSuccess) {
      return Status::Error(
          fmt::format("NVML cannot read the energy of {}: {}", names_[i], error_text(rc)));
    }
    if (mj < last_mj_[i]) {
      // The counter is 64-bit and starts at driver load: going back means the driver restarted.
      return Status::Error(fmt::format(
          "the energy counter of {} went backwards ({} mJ after {} mJ): was the driver reloaded?",
          names_[i], mj, last_mj_[i]));
    }
    total_mj_[i] += mj - last_mj_[i];
    last_mj_[i] = mj;
  }
  return Status::Ok();
}

Result<std::vector<double>> NvmlMeter::device_joules() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (Status s = update(); !s.ok()) return s;
  std::vector<double> out;
  for (unsigned long long mj : total_mj_) out.push_back(static_cast<double>(mj) * 1e-3);
  return out;
}

Result<double> NvmlMeter::joules() {
  Result<std::vector<double>> per_device = device_joules();
  if (!per_device.ok()) return per_device.status();
  double sum = 0;
  for (double j : *per_device) sum += j;
  return sum;
}

// --- Modelled ------------------------------------------------------------------------------

std::string_view to_string(Precision precision) {
  switch (precision) {
    case Precision::kFp32:
      return "fp32";
    case Precision::kFp16:
      return "fp16";
    case Precision::kBf16:
      return "bf16";
    case Precision::kFp8:
      return "fp8";
    case Precision::kInt8:
      return "int8";
  }
  return "unknown";
}

Result<Precision> parse_precision(std::string_view name) {
  for (Precision p :
       {Precision::kFp32, Precision::kFp16, Precision::kBf16, Precision::kFp8, Precision::kInt8}) {
    if (name == to_string(p)) return p;
  }
  return Status::Error(
      fmt::format("unknown precision '{}' (expected fp32, fp16, bf16, fp8 or int8)", name));
}

namespace {

// Derivations (docs/energy.md has the sources). Arithmetic: the chip's rated power divided by
// its peak rate in that precision — an upper estimate, since rated power also feeds caches,
// interconnect and leakage. Bytes: published per-bit energies.
constexpr double kPico = 1e12;

// Intel Xeon Platinum 8480+: 56 cores at 2.0 GHz base, 350 W TDP, two 512-bit FMA units per
// core. Per core and cycle: FP32 2 x 16 lanes x 2 = 64 FLOP; FP16 (AVX512-FP16) and BF16
// (AVX512-BF16 dot products) 128 FLOP; INT8 (AVX-512 VNNI) 2 x 64 multiply-adds x 2 = 256 ops.
constexpr double kCpuWatts = 350;
constexpr double kCpuCoreHz = 56 * 2.0e9;
constexpr double kCpuFp32 = kCpuWatts / (kCpuCoreHz * 64) * kPico;
constexpr double kCpuHalf = kCpuWatts / (kCpuCoreHz * 128) * kPico;
constexpr double kCpuInt8 = kCpuWatts / (kCpuCoreHz * 256) * kPico;

// NVIDIA H200 SXM: 700 W; dense peaks 67 TFLOP/s FP32 (CUDA cores), 989.4 TFLOP/s FP16/BF16
// and 1978.9 TFLOP/s (TOPS) FP8/INT8 on tensor cores.
constexpr double kGpuWatts = 700;
constexpr double kGpuFp32 = kGpuWatts / 67e12 * kPico;
constexpr double kGpuHalf = kGpuWatts / 989.4e12 * kPico;
constexpr double kGpuQuarter = kGpuWatts / 1978.9e12 * kPico;

// Horowitz (ISSCC 2014), 45 nm: a 64-bit read from a 32 KB SRAM costs 20 pJ, 2.5 pJ per byte.
constexpr double kOnchipPjPerByte = 20.0 / 8;
// Main memory per byte: DDR5 estimated at 15 pJ/bit, HBM at O'Connor et al.'s 3.9 pJ/bit.
constexpr double kDdr5PjPerByte = 15.0 * 8;
constexpr double kHbmPjPerByte = 3.9 * 8;

constexpr HardwareProfile kProfiles[] = {
    {
        .name = "cpu-ddr5",
        .description = "server CPU, 56 cores, AVX-512 (Xeon Platinum 8480+ class), 8 channels "
                       "of DDR5-4800",
        // fp32, fp16, bf16, fp8 (none), int8
        .pj_per_flop = {kCpuFp32, kCpuHalf, kCpuHalf, 0, kCpuInt8},
        .pj_per_onchip_byte = kOnchipPjPerByte,
        .pj_per_memory_byte = kDdr5PjPerByte,
        .memory = "DDR5-4800",
    },
    {
        .name = "gpu-hbm3e",
        .description = "data-centre GPU with HBM3e (NVIDIA H200 SXM class, 700 W, 4.8 TB/s)",
        .pj_per_flop = {kGpuFp32, kGpuHalf, kGpuHalf, kGpuQuarter, kGpuQuarter},
        .pj_per_onchip_byte = kOnchipPjPerByte,
        .pj_per_memory_byte = kHbmPjPerByte,
        .memory = "HBM3e",
    },
};

}  // namespace

std::span<const HardwareProfile> hardware_profiles() { return kProfiles; }

Result<HardwareProfile> find_hardware_profile(std::string_view name) {
  std::string known;
  for (const HardwareProfile& profile : kProfiles) {
    if (profile.name == name) return profile;
    known += (known.empty() ? "" : ", ") + std::string(profile.name);
  }
  return Status::Error(fmt::format("unknown hardware profile '{}' (known: {})", name, known));
}

Result<ModelledEnergy> model_energy(const WorkCounters& work, const HardwareProfile& profile) {
  for (auto [value, what] : {std::pair{work.flops, "flops"},
                             {work.weight_bytes, "weight bytes"},
                             {work.kv_bytes_read, "KV bytes read"},
                             {work.kv_bytes_written, "KV bytes written"},
                             {work.onchip_bytes, "on-chip bytes"}}) {
    if (Status s = check_nonnegative(value, what); !s.ok()) return s;
  }
  const double pj_per_flop = profile.pj_per_flop[static_cast<size_t>(work.precision)];
  if (work.flops > 0 && !(pj_per_flop > 0)) {
    return Status::Error(fmt::format("hardware profile {} has no {} arithmetic", profile.name,
                                     to_string(work.precision)));
  }
  ModelledEnergy out;
  out.arithmetic_joules = work.flops * pj_per_flop / kPico;
  out.onchip_joules = work.onchip_bytes * profile.pj_per_onchip_byte / kPico;
  out.memory_joules = (work.weight_bytes + work.kv_bytes_read + work.kv_bytes_written) *
                      profile.pj_per_memory_byte / kPico;
  out.figure.joules = out.joules();
  out.figure.source = EnergySource::kModelled;
  out.figure.detail = fmt::format("profile {} ({})", profile.name, to_string(work.precision));
  return out;
}

// --- Declared ------------------------------------------------------------------------------

Result<EnergyFigure> declared_energy(double joules_per_token, int64_t tokens,
                                     std::string_view tier) {
  if (Status s = check_nonnegative(joules_per_token, "declared joules per token"); !s.ok()) {
    return s;
  }
  if (tokens < 0) return Status::Error(fmt::format("token count {} is negative", tokens));
  EnergyFigure out;
  out.joules = joules_per_token * static_cast<double>(tokens);
  out.source = EnergySource::kDeclared;
  out.detail = fmt::format("tier {} declares {} J/token", tier, joules_per_token);
  return out;
}

// --- Sharing and per-unit figures ----------------------------------------------------------

Result<std::vector<double>> share_by_tokens(double joules, std::span<const int64_t> tokens) {
  if (Status s = check_nonnegative(joules, "batch energy"); !s.ok()) return s;
  if (tokens.empty()) return Status::Error("no items to share the energy among");
  double total = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0) {
      return Status::Error(fmt::format("item {} has a negative token count {}", i, tokens[i]));
    }
    total += static_cast<double>(tokens[i]);
  }
  std::vector<double> shares(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    shares[i] = total > 0 ? joules * static_cast<double>(tokens[i]) / total
                          : joules / static_cast<double>(tokens.size());
  }
  return shares;
}

Result<double> picojoules_per_token(double joules, int64_t tokens) {
  if (Status s = check_nonnegative(joules, "energy"); !s.ok()) return s;
  if (tokens <= 0) return Status::Error("no tokens: energy per token is undefined");
  return joules * kPico / static_cast<double>(tokens);
}

Result<double> joules_per_correct(double joules, int64_t correct) {
  if (Status s = check_nonnegative(joules, "energy"); !s.ok()) return s;
  if (correct <= 0)
    return Status::Error("no correct answers: energy per correct answer is unbounded");
  return joules / static_cast<double>(correct);
}

std::string EnergySummary::source_label() const {
  std::string out;
  for (EnergySource s : sources) out += (out.empty() ? "" : "+") + std::string(to_string(s));
  return out;
}

Result<EnergySummary> summarize_energy(std::span<const ItemEnergy> items) {
  if (items.empty()) return Status::Error("no items: an energy summary needs at least one");
  EnergySummary out;
  for (size_t i = 0; i < items.size(); ++i) {
    const ItemEnergy& item = items[i];
    if (Status s = check_nonnegative(item.energy.joules, "item energy"); !s.ok()) {
      return s.WithContext(fmt::format("item {}", i));
    }
    if (item.tokens < 0) {
      return Status::Error(fmt::format("item {} has a negative token count {}", i, item.tokens));
    }
    out.joules += item.energy.joules;
    out.tokens += item.tokens;
    out.correct += item.correct ? 1 : 0;
    if (std::find(out.sources.begin(), out.sources.end(), item.energy.source) ==
        out.sources.end()) {
      out.sources.push_back(item.energy.source);
    }
  }
  out.items = static_cast<int64_t>(items.size());
  out.joules_per_item = out.joules / static_cast<double>(out.items);
  if (out.tokens > 0) out.pj_per_token = out.joules * kPico / static_cast<double>(out.tokens);
  if (out.correct > 0) out.joules_per_correct = out.joules / static_cast<double>(out.correct);
  return out;
}

}  // namespace pareto::harness
