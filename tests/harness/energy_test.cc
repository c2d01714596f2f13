// Energy meters and arithmetic. RAPL is read from a fake powercap tree (a temporary folder of
// files laid out like /sys/class/powercap); NVML from a test double of its entry points, and
// the real loader is checked on libraries that are not NVML.
#include "harness/energy.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/harness/fake_powercap.h"

namespace pareto::harness {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kServerRange = 262143328850;  // a typical server package's range in uJ

TEST(RaplMeter, ReadsEveryPackageAndItsDram) {
  FakePowercap tree;
  ASSERT_FALSE(tree.root().empty());
  tree.zone("intel-rapl:0", "package-0", 1'000'000, kServerRange);
  tree.zone("intel-rapl:0/intel-rapl:0:0", "core", 500'000, kServerRange);  // inside package
  tree.zone("intel-rapl:0/intel-rapl:0:1", "dram", 2'000'000, kServerRange);
  tree.zone("intel-rapl:1", "package-1", 7'000'000, kServerRange);
  tree.zone("intel-rapl:1/intel-rapl:1:0", "dram", 0, kServerRange);
  tree.zone("intel-rapl:2", "psys", 9'000'000, kServerRange);    // whole platform: left out
  tree.zone("intel-rapl-mmio:0", "package-0", 1, kServerRange);  // another interface: left out

  Result<std::unique_ptr<RaplMeter>> meter = RaplMeter::Open({.root = tree.root()});
  ASSERT_TRUE(meter.ok()) << meter.message();
  const std::vector<RaplZone>& zones = (*meter)->zones();
  ASSERT_EQ(zones.size(), 4u);
  EXPECT_EQ(zones[0].name, "package-0");
  EXPECT_EQ(zones[1].name, "package-0/dram");
  EXPECT_EQ(zones[2].name, "package-1");
  EXPECT_EQ(zones[3].name, "package-1/dram");
  EXPECT_EQ((*meter)->describe(), "RAPL package-0, package-0/dram, package-1, package-1/dram");

  // Nothing has happened since open.
  EXPECT_EQ(*(*meter)->joules(), 0.0);

  tree.set("intel-rapl:0", 4'500'000);                 // +3.5 J
  tree.set("intel-rapl:0/intel-rapl:0:1", 2'250'000);  // +0.25 J
  tree.set("intel-rapl:1", 9'000'000);                 // +2 J
  tree.set("intel-rapl:0/intel-rapl:0:0", 9'999'999);  // core: not counted
  tree.set("intel-rapl:2", 99'000'000);                // psys: not counted
  Result<std::vector<double>> per_zone = (*meter)->zone_joules();
  ASSERT_TRUE(per_zone.ok()) << per_zone.message();
  EXPECT_DOUBLE_EQ((*per_zone)[0], 3.5);
  EXPECT_DOUBLE_EQ((*per_zone)[1], 0.25);
  EXPECT_DOUBLE_EQ((*per_zone)[2], 2.0);
  EXPECT_DOUBLE_EQ((*per_zone)[3], 0.0);
  EXPECT_DOUBLE_EQ(*(*meter)->joules(), 5.75);
  EXPECT_EQ((*meter)->source(), EnergySource::kRapl);
}

TEST(RaplMeter, PackagesOnlyWhenDramIsNotWanted) {
  FakePowercap tree;
  tree.zone("intel-rapl:0", "package-0", 0, kServerRange);
  tree.zone("intel-rapl:0/intel-rapl:0:0", "dram", 0, kServerRange);
  Result<std::unique_ptr<RaplMeter>> meter =
      RaplMeter::Open({.root = tree.root(), .include_dram = false});
  ASSERT_TRUE(meter.ok()) << meter.message();
  ASSERT_EQ((*meter)->zones().size(), 1u);
  tree.set("intel-rapl:0/intel-rapl:0:0", 5'000'000);
  EXPECT_EQ(*(*meter)->joules(), 0.0);
}

TEST(RaplMeter, OrdersPackagesNumerically) {
  FakePowercap tree;
  for (int i : {10, 2, 0, 1}) {
    tree.zone("intel-rapl:" + std::to_string(i), "package-" + std::to_string(i), 0, kServerRange);
  }
  Result<std::unique_ptr<RaplMeter>> meter = RaplMeter::Open({.root = tree.root()});
  ASSERT_TRUE(meter.ok()) << meter.message();
  std::vector<std::string> names;
  for (const RaplZone& zone : (*meter)->zones()) names.push_back(zone.name);
  EXPECT_EQ(names, (std::vector<std::string>{"package-0", "package-1", "package-2", "package-10"}));
}

TEST(RaplMeter, CountsAcrossWrapArounds) {
  FakePowercap tree;
  constexpr uint64_t kRange = 1'000'000;  // the counter restarts at 0 after 1 J
  tree.zone("intel-rapl:0", "package-0", 900'000, kRange);
  Result<std::unique_ptr<RaplMeter>> meter = RaplMeter::Open({.root = tree.root()});
  ASSERT_TRUE(meter.ok()) << meter.message();

  tree.set("intel-rapl:0", 100'000);  // wrapped: 0.1 J to the top, then 0.1 J more
  EXPECT_NEAR(*(*meter)->joules(), 0.2, 1e-12);
  tree.set("intel-rapl:0", 950'000);  // no wrap: +0.85 J
  EXPECT_NEAR(*(*meter)->joules(), 1.05, 1e-12);
  tree.set("intel-rapl:0", 50'000);  // wrapped again: +0.1 J
  EXPECT_NEAR(*(*meter)->joules(), 1.15, 1e-12);
  tree.set("intel-rapl:0", 50'000);  // idle
  EXPECT_NEAR(*(*meter)->joules(), 1.15, 1e-12);
}

TEST(EnergyTap, HandsOutConsecutivePiecesThatAddUpToTheMeter) {
  FakePowercap tree;
  tree.zone("intel-rapl:0", "package-0", 2'000'000, kServerRange);
  auto meter = RaplMeter::Open({.root = tree.root()});
  ASSERT_TRUE(meter.ok()) << meter.message();
  auto tap = EnergyTap::Open(std::shared_ptr<EnergyMeter>(std::move(*meter)));
  ASSERT_TRUE(tap.ok()) << tap.message();
  EXPECT_EQ((*tap)->source(), EnergySource::kRapl);
  EXPECT_NEAR(*(*tap)->take(), 0, 1e-12);  // nothing since it opened
  tree.set("intel-rapl:0", 7'000'000);
  EXPECT_NEAR(*(*tap)->take(), 5, 1e-12);
  EXPECT_NEAR(*(*tap)->take(), 0, 1e-12);  // taken once, never twice
  tree.set("intel-rapl:0", 7'250'000);
  EXPECT_NEAR(*(*tap)->take(), 0.25, 1e-12);
  tree.write("intel-rapl:0/energy_uj", "garbage\n");
  EXPECT_FALSE((*tap)->take().ok());
  EXPECT_FALSE(EnergyTap::Open(nullptr).ok());
}

TEST(RaplMeter, WrapPeriodFollowsTheSmallestRange) {
  FakePowercap tree;
  tree.zone("intel-rapl:0", "package-0", 0, kServerRange);
  tree.zone("intel-rapl:0/intel-rapl:0:0", "dram", 0, 65'712'999'613);
  Result<std::unique_ptr<RaplMeter>> meter = RaplMeter::Open({.root = tree.root()});
  ASSERT_TRUE(meter.ok());
  EXPECT_NEAR((*meter)->wrap_seconds(100), 657.12999613, 1e-6);
  EXPECT_TRUE(std::isinf((*meter)->wrap_seconds(0)));
}

TEST(RaplMeter, MissingTreeIsAClearError) {
  Result<std::unique_ptr<RaplMeter>> meter =
      RaplMeter::Open({.root = "/nonexistent/pareto/powercap"});
  ASSERT_FALSE(meter.ok());
  EXPECT_NE(meter.message().find("no powercap folder"), std::string::npos) << meter.message();
}

TEST(RaplMeter, TreeWithoutPackagesIsAClearError) {
  FakePowercap tree;
  tree.zone("intel-rapl:0", "psys", 0, kServerRange);
  Result<std::unique_ptr<RaplMeter>> meter = RaplMeter::Open({.root = tree.root()});
  ASSERT_FALSE(meter.ok());
  EXPECT_NE(meter.message().find("no RAPL package zones"), std::string::npos) << meter.message();
}

TEST(RaplMeter, GarbageCountersAreErrorsNotCrashes) {
  FakePowercap tree;
  tree.zone("intel-rapl:0", "package-0", 0, kServerRange);
  tree.write("intel-rapl:0/energy_uj", "lots\n");
  Result<std::unique_ptr<RaplMeter>> bad_start = RaplMeter::Open({.root = tree.root()});
  ASSERT_FALSE(bad_start.ok());
  EXPECT_NE(bad_start.message().find("not a counter"), std::string::npos) << bad_start.message();

  tree.set("intel-rapl:0", 10);
  Result<std::unique_ptr<RaplMeter>> meter = RaplMeter::Open({.root = tree.root()});
  ASSERT_TRUE(meter.ok()) << meter.message();
  tree.write("intel-rapl:0/energy_uj", "-5\n");
  EXPECT_FALSE((*meter)->joules().ok());
  tree.write("intel-rapl:0/energy_uj", "99999999999999999999999\n");  // overflows 64 bits
  EXPECT_FALSE((*meter)->joules().ok());
  tree.set("intel-rapl:0", kServerRange + 1);  // beyond its own range
  Result<double> beyond = (*meter)->joules();
  ASSERT_FALSE(beyond.ok());
  EXPECT_NE(beyond.message().find("exceeds"), std::string::npos) << beyond.message();
  fs::remove(tree.root() / "intel-rapl:0/energy_uj");
  EXPECT_FALSE((*meter)->joules().ok());

  tree.write("intel-rapl:0/max_energy_range_uj", "0\n");
  tree.set("intel-rapl:0", 0);
  EXPECT_FALSE(RaplMeter::Open({.root = tree.root()}).ok());
}

TEST(RaplMeter, UnreadableCounterSaysWhatToDo) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "running as root, which reads files whatever their permissions";
  }
  FakePowercap tree;
  tree.zone("intel-rapl:0", "package-0", 0, kServerRange);
  ASSERT_EQ(::chmod((tree.root() / "intel-rapl:0/energy_uj").c_str(), 0), 0);
  Result<std::unique_ptr<RaplMeter>> meter = RaplMeter::Open({.root = tree.root()});
  ASSERT_FALSE(meter.ok());
  EXPECT_NE(meter.message().find("root"), std::string::npos) << meter.message();
}

// --- NVML ----------------------------------------------------------------------------------

// A test double of NVML: global state, since the entry points are plain C functions.
struct FakeNvml {
  int init_result = 0;
  unsigned count = 2;
  std::map<unsigned, unsigned long long> energy_mj;
  std::map<unsigned, int> energy_result;
  int shutdowns = 0;
  int inits = 0;
};
FakeNvml* fake = nullptr;

// Devices are the addresses of these slots.
int device_slots[8];

NvmlApi fake_api() {
  NvmlApi api;
  api.init = [] {
    ++fake->inits;
    return fake->init_result;
  };
  api.shutdown = [] {
    ++fake->shutdowns;
    return 0;
  };
  api.error_string = [](int code) -> const char* {
    return code == 9 ? "Driver Not Loaded" : "Unknown Error";
  };
  api.device_count = [](unsigned* count) {
    *count = fake->count;
    return 0;
  };
  api.device_handle = [](unsigned index, void** device) {
    *device = &device_slots[index];
    return 0;
  };
  api.total_energy_mj = [](void* device, unsigned long long* mj) {
    const auto index = static_cast<unsigned>(static_cast<int*>(device) - device_slots);
    if (int rc = fake->energy_result[index]; rc != 0) return rc;
    *mj = fake->energy_mj[index];
    return 0;
  };
  api.device_name = [](void* device, char* name, unsigned length) {
    const auto index = static_cast<unsigned>(static_cast<int*>(device) - device_slots);
    std::snprintf(name, length, "Fake H200 #%u", index);
    return 0;
  };
  return api;
}

class NvmlMeterTest : public ::testing::Test {
 protected:
  void SetUp() override { fake = &state_; }
  void TearDown() override { fake = nullptr; }
  FakeNvml state_;
};

TEST_F(NvmlMeterTest, SumsEveryGpuSinceOpen) {
  state_.energy_mj = {{0, 1'000'000}, {1, 5'000}};
  {
    Result<std::unique_ptr<NvmlMeter>> meter = NvmlMeter::OpenWithApi(fake_api());
    ASSERT_TRUE(meter.ok()) << meter.message();
    EXPECT_EQ((*meter)->describe(), "NVML GPU 0 (Fake H200 #0), GPU 1 (Fake H200 #1)");
    EXPECT_EQ(*(*meter)->joules(), 0.0);
    state_.energy_mj = {{0, 1'250'500}, {1, 15'000}};  // +250.5 J and +10 J
    Result<std::vector<double>> per_device = (*meter)->device_joules();
    ASSERT_TRUE(per_device.ok()) << per_device.message();
    EXPECT_DOUBLE_EQ((*per_device)[0], 250.5);
    EXPECT_DOUBLE_EQ((*per_device)[1], 10.0);
    EXPECT_DOUBLE_EQ(*(*meter)->joules(), 260.5);
    EXPECT_EQ((*meter)->source(), EnergySource::kNvml);
    EXPECT_EQ(state_.shutdowns, 0);
  }
  EXPECT_EQ(state_.inits, 1);
  EXPECT_EQ(state_.shutdowns, 1);  // the meter shuts NVML down when it goes
}

TEST_F(NvmlMeterTest, SelectedDevicesOnly) {
  state_.count = 4;
  state_.energy_mj = {{0, 0}, {1, 0}, {2, 0}, {3, 0}};
  Result<std::unique_ptr<NvmlMeter>> meter = NvmlMeter::OpenWithApi(fake_api(), {.devices = {2}});
  ASSERT_TRUE(meter.ok()) << meter.message();
  state_.energy_mj = {{0, 9000}, {1, 9000}, {2, 3000}, {3, 9000}};
  EXPECT_DOUBLE_EQ(*(*meter)->joules(), 3.0);
  Result<std::unique_ptr<NvmlMeter>> missing = NvmlMeter::OpenWithApi(fake_api(), {.devices = {7}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("GPU 7 does not exist"), std::string::npos);
}

TEST_F(NvmlMeterTest, FailedInitialisationIsNotAvailable) {
  state_.init_result = 9;
  Result<std::unique_ptr<NvmlMeter>> meter = NvmlMeter::OpenWithApi(fake_api());
  ASSERT_FALSE(meter.ok());
  EXPECT_NE(meter.message().find("NVML not available"), std::string::npos) << meter.message();
  EXPECT_NE(meter.message().find("Driver Not Loaded"), std::string::npos) << meter.message();
  EXPECT_EQ(state_.shutdowns, 0);  // never started, so never shut down
}

TEST_F(NvmlMeterTest, NoGpuAndOldGpuAreClearErrors) {
  state_.count = 0;
  Result<std::unique_ptr<NvmlMeter>> none = NvmlMeter::OpenWithApi(fake_api());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.message().find("no GPU"), std::string::npos) << none.message();
  EXPECT_EQ(state_.shutdowns, 1);

  state_.count = 1;
  state_.energy_result[0] = 3;  // NVML_ERROR_NOT_SUPPORTED: a GPU before Volta
  Result<std::unique_ptr<NvmlMeter>> old = NvmlMeter::OpenWithApi(fake_api());
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.message().find("Volta"), std::string::npos) << old.message();
  EXPECT_EQ(state_.shutdowns, 2);
}

TEST_F(NvmlMeterTest, CounterGoingBackwardsIsAnError) {
  state_.count = 1;
  state_.energy_mj = {{0, 5000}};
  Result<std::unique_ptr<NvmlMeter>> meter = NvmlMeter::OpenWithApi(fake_api());
  ASSERT_TRUE(meter.ok()) << meter.message();
  state_.energy_mj = {{0, 100}};
  Result<double> j = (*meter)->joules();
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.message().find("went backwards"), std::string::npos) << j.message();
}

TEST(NvmlLoader, MissingLibraryIsNotAvailable) {
  Result<std::unique_ptr<NvmlMeter>> meter =
      NvmlMeter::Open({.library = "libpareto-no-such-nvml.so.1"});
  ASSERT_FALSE(meter.ok());
  EXPECT_NE(meter.message().find("NVML not available"), std::string::npos) << meter.message();
}

TEST(NvmlLoader, LibraryWithoutNvmlSymbolsIsNotAvailable) {
  // A real shared library that is not NVML: loading works, resolving nvmlInit_v2 does not.
  Result<std::unique_ptr<NvmlMeter>> meter = NvmlMeter::Open({.library = "libm.so.6"});
  ASSERT_FALSE(meter.ok());
  EXPECT_NE(meter.message().find("has no nvmlInit_v2"), std::string::npos) << meter.message();
}

TEST(NvmlLoader, TheSystemNvmlEitherMeasuresOrSaysWhyNot) {
  // On a machine with an NVIDIA driver this reads real GPUs; elsewhere it must fail cleanly.
  Result<std::unique_ptr<NvmlMeter>> meter = NvmlMeter::Open();
  if (!meter.ok()) {
    EXPECT_NE(meter.message().find("NVML"), std::string::npos) << meter.message();
    return;
  }
  Result<double> first = (*meter)->joules();
  ASSERT_TRUE(first.ok()) << first.message();
  Result<double> second = (*meter)->joules();
  ASSERT_TRUE(second.ok()) << second.message();
  EXPECT_GE(*first, 0.0);
  EXPECT_GE(*second, *first);
}

// --- Sources -------------------------------------------------------------------------------

TEST(EnergySource, LabelsRoundTrip) {
  for (EnergySource s : {EnergySource::kRapl, EnergySource::kNvml, EnergySource::kModelled,
                         EnergySource::kDeclared}) {
    Result<EnergySource> back = parse_energy_source(to_string(s));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(to_string(EnergySource::kRapl), "measured:rapl");
  EXPECT_EQ(to_string(EnergySource::kNvml), "measured:nvml");
  EXPECT_FALSE(parse_energy_source("measured").ok());
}

// --- Modelled ------------------------------------------------------------------------------

TEST(ModelledEnergy, BothRequiredProfilesExist) {
  Result<HardwareProfile> cpu = find_hardware_profile("cpu-ddr5");
  Result<HardwareProfile> gpu = find_hardware_profile("gpu-hbm3e");
  ASSERT_TRUE(cpu.ok());
  ASSERT_TRUE(gpu.ok());
  EXPECT_EQ(cpu->memory, "DDR5-4800");
  EXPECT_EQ(gpu->memory, "HBM3e");
  Result<HardwareProfile> unknown = find_hardware_profile("tpu");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("cpu-ddr5"), std::string::npos) << unknown.message();
}

TEST(ModelledEnergy, ProfilesRespectTheOrderOfPhysicalCosts) {
  // Whatever the exact constants, these orderings hold for real hardware (Horowitz 2014):
  // narrower arithmetic is not dearer than fp32, an on-chip byte is cheaper than a byte from
  // main memory, and a main-memory byte costs more than a 16-bit operation.
  for (const HardwareProfile& p : hardware_profiles()) {
    const double fp32 = p.pj_per_flop[static_cast<size_t>(Precision::kFp32)];
    ASSERT_GT(fp32, 0) << p.name;
    for (double e : p.pj_per_flop) EXPECT_LE(e, fp32) << p.name;
    EXPECT_LT(p.pj_per_onchip_byte, p.pj_per_memory_byte) << p.name;
    EXPECT_GT(p.pj_per_memory_byte, p.pj_per_flop[static_cast<size_t>(Precision::kBf16)]) << p.name;
  }
  // Stacked HBM next to the GPU moves a byte for less than DDR5 across a motherboard.
  EXPECT_LT(find_hardware_profile("gpu-hbm3e")->pj_per_memory_byte,
            find_hardware_profile("cpu-ddr5")->pj_per_memory_byte);
}

TEST(ModelledEnergy, SumsArithmeticAndDataMovement) {
  const HardwareProfile profile = *find_hardware_profile("cpu-ddr5");
  WorkCounters work;
  work.flops = 2e9;
  work.precision = Precision::kFp32;
  work.weight_bytes = 1e9;
  work.kv_bytes_read = 3e6;
  work.kv_bytes_written = 1e6;
  work.onchip_bytes = 4e9;
  work.tokens = 1;
  Result<ModelledEnergy> e = model_energy(work, profile);
  ASSERT_TRUE(e.ok()) << e.message();
  const double pj_flop = profile.pj_per_flop[0];
  EXPECT_DOUBLE_EQ(e->arithmetic_joules, 2e9 * pj_flop * 1e-12);
  EXPECT_DOUBLE_EQ(e->onchip_joules, 4e9 * profile.pj_per_onchip_byte * 1e-12);
  EXPECT_DOUBLE_EQ(e->memory_joules, 1.004e9 * profile.pj_per_memory_byte * 1e-12);
  EXPECT_DOUBLE_EQ(e->figure.joules, e->joules());
  EXPECT_EQ(e->figure.source, EnergySource::kModelled);
  EXPECT_NE(e->figure.detail.find("cpu-ddr5"), std::string::npos);
}

TEST(ModelledEnergy, BatchingSharesTheWeightTraffic) {
  // One decode step of a 1e9-parameter model with 8-bit weights: the weights are read once
  // per pass whatever the batch, the arithmetic grows with it.
  const HardwareProfile profile = *find_hardware_profile("gpu-hbm3e");
  auto per_token_pj = [&](int batch) {
    WorkCounters work;
    work.flops = 2e9 * batch;
    work.precision = Precision::kInt8;
    work.weight_bytes = 1e9;
    work.tokens = batch;
    Result<ModelledEnergy> e = model_energy(work, profile);
    return *picojoules_per_token(e->joules(), work.tokens);
  };
  const double single = per_token_pj(1), batched = per_token_pj(32);
  EXPECT_GT(single / batched, 10.0);
  // The floor is the arithmetic alone: 2e9 ops per token.
  EXPECT_GT(batched, 2e9 * profile.pj_per_flop[static_cast<size_t>(Precision::kInt8)]);
}

TEST(ModelledEnergy, RejectsImpossibleWork) {
  const HardwareProfile cpu = *find_hardware_profile("cpu-ddr5");
  WorkCounters fp8;
  fp8.flops = 1e6;
  fp8.precision = Precision::kFp8;
  Result<ModelledEnergy> e = model_energy(fp8, cpu);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.message().find("no fp8 arithmetic"), std::string::npos) << e.message();
  WorkCounters negative;
  negative.weight_bytes = -1;
  EXPECT_FALSE(model_energy(negative, cpu).ok());
  WorkCounters nan_flops;
  nan_flops.flops = std::nan("");
  EXPECT_FALSE(model_energy(nan_flops, cpu).ok());
  // No arithmetic at all is fine even in a precision the hardware lacks.
  WorkCounters idle;
  idle.precision = Precision::kFp8;
  idle.weight_bytes = 10;
  EXPECT_TRUE(model_energy(idle, cpu).ok());
}

TEST(Precision, NamesRoundTrip) {
  for (Precision p :
       {Precision::kFp32, Precision::kFp16, Precision::kBf16, Precision::kFp8, Precision::kInt8}) {
    EXPECT_EQ(*parse_precision(to_string(p)), p);
  }
  EXPECT_FALSE(parse_precision("fp64").ok());
}

// --- Declared, sharing, per-unit -----------------------------------------------------------

TEST(DeclaredEnergy, TokensTimesTheTiersFigure) {
  Result<EnergyFigure> e = declared_energy(0.25, 400, "ultra");
  ASSERT_TRUE(e.ok());
  EXPECT_DOUBLE_EQ(e->joules, 100.0);
  EXPECT_EQ(e->source, EnergySource::kDeclared);
  EXPECT_NE(e->detail.find("ultra"), std::string::npos);
  EXPECT_FALSE(declared_energy(-0.1, 10, "ultra").ok());
  EXPECT_FALSE(declared_energy(0.1, -10, "ultra").ok());
}

TEST(ShareByTokens, ProportionalToTokens) {
  const std::vector<int64_t> tokens = {10, 30, 60};
  Result<std::vector<double>> shares = share_by_tokens(5.0, tokens);
  ASSERT_TRUE(shares.ok());
  EXPECT_DOUBLE_EQ((*shares)[0], 0.5);
  EXPECT_DOUBLE_EQ((*shares)[1], 1.5);
  EXPECT_DOUBLE_EQ((*shares)[2], 3.0);
}

TEST(ShareByTokens, EvenlyWhenNoItemHasTokensAndErrorsOtherwise) {
  Result<std::vector<double>> even = share_by_tokens(3.0, std::vector<int64_t>{0, 0, 0});
  ASSERT_TRUE(even.ok());
  for (double s : *even) EXPECT_DOUBLE_EQ(s, 1.0);
  EXPECT_FALSE(share_by_tokens(3.0, std::vector<int64_t>{}).ok());
  EXPECT_FALSE(share_by_tokens(3.0, std::vector<int64_t>{1, -1}).ok());
  EXPECT_FALSE(share_by_tokens(-3.0, std::vector<int64_t>{1}).ok());
}

TEST(PerUnit, PicojoulesPerTokenAndJoulesPerCorrect) {
  EXPECT_DOUBLE_EQ(*picojoules_per_token(2.0, 1'000'000), 2e6);
  EXPECT_FALSE(picojoules_per_token(2.0, 0).ok());
  EXPECT_DOUBLE_EQ(*joules_per_correct(9.0, 3), 3.0);
  Result<double> none = joules_per_correct(9.0, 0);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.message().find("no correct answers"), std::string::npos);
}

TEST(SummarizeEnergy, TotalsRatesAndSources) {
  std::vector<ItemEnergy> items = {
      {{2.0, EnergySource::kRapl, ""}, 100, true},
      {{1.0, EnergySource::kModelled, ""}, 300, false},
      {{3.0, EnergySource::kRapl, ""}, 100, true},
  };
  Result<EnergySummary> s = summarize_energy(items);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(s->items, 3);
  EXPECT_EQ(s->tokens, 500);
  EXPECT_EQ(s->correct, 2);
  EXPECT_DOUBLE_EQ(s->joules, 6.0);
  EXPECT_DOUBLE_EQ(s->joules_per_item, 2.0);
  ASSERT_TRUE(s->pj_per_token.has_value());
  EXPECT_DOUBLE_EQ(*s->pj_per_token, 6.0 / 500 * 1e12);
  ASSERT_TRUE(s->joules_per_correct.has_value());
  EXPECT_DOUBLE_EQ(*s->joules_per_correct, 3.0);
  EXPECT_EQ(s->source_label(), "measured:rapl+modelled");

  items = {{{1.0, EnergySource::kDeclared, ""}, 0, false}};
  Result<EnergySummary> none = summarize_energy(items);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->pj_per_token.has_value());
  EXPECT_FALSE(none->joules_per_correct.has_value());
  EXPECT_FALSE(summarize_energy(std::vector<ItemEnergy>{}).ok());
}

}  // namespace
}  // namespace pareto::harness
