#include "inference/quants.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace pareto::inference {
namespace {

TEST(HalfTest, ConvertsKnownValues) {
  EXPECT_EQ(FloatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xC000);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7BFF);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7C00);  // rounds up to infinity
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000);  // halfway: ties to even (zero)
  EXPECT_EQ(FloatToHalf(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie to even
  EXPECT_EQ(FloatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(FloatToHalf(INFINITY), 0x7C00);
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(NAN))));
  EXPECT_EQ(HalfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(HalfToFloat(0x0200), std::ldexp(1.0f, -15));  // subnormal
  EXPECT_EQ(HalfToFloat(0x8000), -0.0f);
  EXPECT_TRUE(std::signbit(HalfToFloat(0x8000)));
}

TEST(HalfTest, EveryHalfRoundTripsThroughFloat) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = HalfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(FloatToHalf(f), h) << "half " << h;
  }
}

TEST(Bf16Test, ConvertsAndRoundsToNearestEven) {
  EXPECT_EQ(FloatToBf16(1.0f), 0x3F80);
  EXPECT_EQ(Bf16ToFloat(0xC040), -3.0f);
  EXPECT_EQ(FloatToBf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);      // tie to even
  EXPECT_EQ(FloatToBf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);  // tie to even, up
  EXPECT_TRUE(std::isnan(Bf16ToFloat(FloatToBf16(NAN))));
}

TEST(DequantizeTest, DecodesHandBuiltQ8_0AndQ4_0Blocks) {
  BlockQ8_0 q8{};
  q8.d = FloatToHalf(0.5f);
  for (int i = 0; i < 32; ++i) q8.qs[i] = static_cast<int8_t>(i - 16);
  std::vector<float> out(32);
  DequantizeRow(TensorType::kQ8_0, reinterpret_cast<uint8_t*>(&q8), 32, out.data());
  for (int i = 0; i < 32; ++i) EXPECT_EQ(out[i], 0.5f * (i - 16));

  BlockQ4_0 q4{};
  q4.d = FloatToHalf(2.0f);
  for (int i = 0; i < 16; ++i) q4.qs[i] = static_cast<uint8_t>(i | ((15 - i) << 4));
  DequantizeRow(TensorType::kQ4_0, reinterpret_cast<uint8_t*>(&q4), 32, out.data());
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(out[i], 2.0f * (i - 8));
    EXPECT_EQ(out[i + 16], 2.0f * (7 - i));
  }
}

TEST(DequantizeTest, DecodesHandBuiltQ4_KBlock) {
  BlockQ4_K b{};
  b.d = FloatToHalf(0.5f);
  b.dmin = FloatToHalf(0.25f);
  // Sub-block 1: scale 3, min 5 (low layout); sub-block 6: scale 37 (0b100101), min 50
  // (0b110010), split between the low nibbles of byte 10 and the top bits of bytes 2 and 6.
  b.scales[1] = 3;
  b.scales[5] = 5;
  b.scales[10] = static_cast<uint8_t>((37 & 0xF) | ((50 & 0xF) << 4));
  b.scales[2] = static_cast<uint8_t>((37 >> 4) << 6);
  b.scales[6] = static_cast<uint8_t>((50 >> 4) << 6);
  uint8_t sc, mn;
  UnpackQ4KScale(b.scales, 6, &sc, &mn);
  EXPECT_EQ(sc, 37);
  EXPECT_EQ(mn, 50);
  b.qs[7] = 0x9;        // sub-block 0 (low nibbles of bytes 0..31), element 7
  b.qs[7] |= 0xA << 4;  // sub-block 1 (high nibbles), element 32 + 7
  b.qs[96 + 2] = 0xF;   // sub-block 6 (low nibbles of bytes 96..127), element 192 + 2
  std::vector<float> out(256);
  DequantizeRow(TensorType::kQ4_K, reinterpret_cast<uint8_t*>(&b), 256, out.data());
  EXPECT_EQ(out[7], 0.0f);  // sub-block 0 has scale 0 and min 0
  EXPECT_EQ(out[39], 0.5f * 3 * 10 - 0.25f * 5);
  EXPECT_EQ(out[38], -0.25f * 5);
  EXPECT_EQ(out[194], 0.5f * 37 * 15 - 0.25f * 50);
}

TEST(DequantizeTest, DecodesHandBuiltQ6_KBlock) {
  BlockQ6_K b{};
  b.d = FloatToHalf(0.125f);
  for (int g = 0; g < 16; ++g) b.scales[g] = static_cast<int8_t>(g - 8);
  // Element 128 + 64 + 5 (second half, third run): low nibble is the high nibble of
  // ql[64 + 5], high bits are bits 4-5 of qh[32 + 5]. Value 0b10_1101 = 45.
  b.ql[64 + 5] = 0xD << 4;
  b.qh[32 + 5] = 0x2 << 4;
  std::vector<float> out(256);
  DequantizeRow(TensorType::kQ6_K, reinterpret_cast<uint8_t*>(&b), 256, out.data());
  int e = 128 + 64 + 5;
  EXPECT_EQ(out[e], 0.125f * (e / 16 - 8) * (45 - 32));
  EXPECT_EQ(out[0], 0.125f * -8 * -32);  // value 0 decodes to -32
}

std::vector<float> Gaussian(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

double RelativeRmsError(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * static_cast<double>(a[i] - b[i]);
    den += a[i] * static_cast<double>(a[i]);
  }
  return std::sqrt(num / den);
}

struct Bound {
  TensorType type;
  double max_error;
};

TEST(QuantizeTest, RoundTripErrorIsWithinEachTypesBound) {
  // Bounds a bit above what 8, 4 and 6 bits per weight give on Gaussian data.
  const Bound bounds[] = {{TensorType::kF32, 0.0},    {TensorType::kF16, 0.0005},
                          {TensorType::kBF16, 0.004}, {TensorType::kQ8_0, 0.01},
                          {TensorType::kQ4_0, 0.12},  {TensorType::kQ4_K, 0.1},
                          {TensorType::kQ6_K, 0.03}};
  std::vector<float> x = Gaussian(4096, 1);
  x[5] = 40.0f;  // an outlier must not break its neighbours' blocks beyond the bound
  for (const Bound& b : bounds) {
    auto q = Quantize(b.type, x);
    ASSERT_TRUE(q.ok()) << q.message();
    EXPECT_EQ(q->size(), *TensorBytes(b.type, 4096));
    auto back = Dequantize(b.type, *q, 4096);
    ASSERT_TRUE(back.ok()) << back.message();
    double err = RelativeRmsError(x, *back);
    EXPECT_LE(err, b.max_error) << TensorTypeName(b.type);
    // Quantizing what a type decodes to is (nearly) lossless for the block formats.
    auto again = Dequantize(b.type, *Quantize(b.type, *back), 4096);
    EXPECT_LE(RelativeRmsError(*back, *again), b.max_error / 4) << TensorTypeName(b.type);
  }
}

TEST(QuantizeTest, ZeroBlocksStayZero) {
  std::vector<float> zeros(256, 0.0f);
  for (TensorType t :
       {TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ4_K, TensorType::kQ6_K}) {
    auto back = Dequantize(t, *Quantize(t, zeros), 256);
    ASSERT_TRUE(back.ok());
    for (float v : *back) ASSERT_EQ(v, 0.0f) << TensorTypeName(t);
  }
}

TEST(QuantizeTest, RejectsUnsupportedTypesAndPartialBlocks) {
  std::vector<float> x(64, 1.0f);
  auto r = Quantize(TensorType::kQ5_K, x);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("unsupported: tensor type Q5_K"), std::string::npos);
  EXPECT_FALSE(Quantize(TensorType::kQ4_K, x).ok());  // 64 is not a multiple of 256
  std::vector<uint8_t> bytes(10);
  EXPECT_FALSE(Dequantize(TensorType::kQ8_0, bytes, 32).ok());
}

}  // namespace
}  // namespace pareto::inference
