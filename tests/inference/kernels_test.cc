#include "inference/kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "inference/quants.h"

namespace pareto::inference {
namespace {

std::vector<float> Gaussian(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

struct Matrix {
  TensorType type;
  int64_t rows, cols;
  std::vector<uint8_t> bytes;
  std::vector<float> decoded;  // what the stored weights mean

  WeightMatrix View() const {
    return {type, bytes.data(), rows, cols, static_cast<size_t>(*TensorBytes(type, cols))};
  }
};

Matrix MakeMatrix(TensorType type, int64_t rows, int64_t cols, uint32_t seed) {
  Matrix m{type, rows, cols, {}, {}};
  std::vector<float> values = Gaussian(static_cast<size_t>(rows * cols), seed, 0.5f);
  m.bytes = *Quantize(type, values);
  m.decoded = *Dequantize(type, m.bytes, rows * cols);
  return m;
}

// y = W x in double precision from the decoded weights.
std::vector<double> Reference(const Matrix& m, const std::vector<float>& x, int n) {
  std::vector<double> y(static_cast<size_t>(n * m.rows));
  for (int t = 0; t < n; ++t) {
    for (int64_t r = 0; r < m.rows; ++r) {
      double s = 0;
      for (int64_t c = 0; c < m.cols; ++c)
        s += double{m.decoded[r * m.cols + c]} * x[t * m.cols + c];
      y[t * m.rows + r] = s;
    }
  }
  return y;
}

// Largest |a - b| over the scale of the outputs (their root mean square).
double ScaledMaxError(const std::vector<float>& a, const std::vector<double>& b) {
  double rms = 0, max = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    rms += b[i] * b[i];
    max = std::max(max, std::fabs(a[i] - b[i]));
  }
  return max / std::sqrt(rms / b.size());
}

struct Case {
  TensorType type;
  int64_t cols;        // a few blocks, an odd count where the block is 32
  double error_bound;  // against the float64 reference, relative to the outputs' RMS
};

const Case kCases[] = {
    {TensorType::kF32, 100, 1e-5},  {TensorType::kF16, 72, 1e-5},   {TensorType::kBF16, 40, 1e-5},
    {TensorType::kQ8_0, 96, 0.03},  {TensorType::kQ4_0, 160, 0.03}, {TensorType::kQ4_K, 512, 0.03},
    {TensorType::kQ6_K, 768, 0.03},
};

TEST(KernelsTest, EveryTypeAndInstructionSetMatchesTheFloat64Reference) {
  const int64_t rows = 37;  // not a multiple of any tile height
  for (const Case& c : kCases) {
    Matrix m = MakeMatrix(c.type, rows, c.cols, 7);
    for (int n : {1, 2, 5, 8}) {
      std::vector<float> x = Gaussian(static_cast<size_t>(n * c.cols), 11 + n);
      std::vector<double> ref = Reference(m, x, n);
      std::vector<float> portable(ref.size());
      MatMulScratch scratch;
      MatMul(Isa::kPortable, m.View(), x.data(), n, portable.data(), scratch, nullptr);
      EXPECT_LE(ScaledMaxError(portable, ref), c.error_bound)
          << TensorTypeName(c.type) << " n=" << n;
      for (Isa isa : AvailableIsas()) {
        std::vector<float> y(ref.size(), NAN);
        MatMul(isa, m.View(), x.data(), n, y.data(), scratch, nullptr);
        // The SIMD kernels do the same integer arithmetic as the portable ones; only the
        // order of float additions differs.
        std::vector<double> p(portable.begin(), portable.end());
        EXPECT_LE(ScaledMaxError(y, p), 2e-5)
            << TensorTypeName(c.type) << " " << IsaName(isa) << " n=" << n;
      }
    }
  }
}

TEST(KernelsTest, RepackedWeightsMatchTheFileLayoutOnEveryInstructionSet) {
  // Every layout (Q4_0, Q8_0, F16, Q4_K and Q6_K in 16 interleaved rows, for AVX2 and AVX-512),
  // computed by every instruction set: odd block counts (a half-empty group), more than 16
  // blocks, row counts that leave a partial group of 16 (or of 8, a half), and token counts
  // that take every pass shape of the kernels (one token; AVX2's passes of 3, 4 + 4, 5 + 5,
  // 6 + 6, 4 + 4 + 4 and 4 + 4 + 5 tokens; AVX-512's one pass of 1, 3 or 8 packed tokens and
  // passes of 8 + 2, 8 + 4, 8 + 5, 8 + 8 + 4 and 8 x 4 + 1 from the rows; AMX's 8, 10, 12, 13,
  // 16 + 4 and 16 + 16 + 1).
  struct Layout {
    TensorType type;
    Isa isa;
    WeightLayout layout;
  };
  const Layout layouts[] = {{TensorType::kQ4_0, Isa::kAvx2, WeightLayout::kQ4_0x16},
                            {TensorType::kQ8_0, Isa::kAvx2, WeightLayout::kQ8_0x16},
                            {TensorType::kF16, Isa::kAvx2, WeightLayout::kF16x16},
                            {TensorType::kQ4_K, Isa::kAvx2, WeightLayout::kQ4_Kx16},
                            {TensorType::kQ6_K, Isa::kAvx2, WeightLayout::kQ6_Kx16},
                            {TensorType::kQ4_0, Isa::kAvx512Vnni, WeightLayout::kQ4_0x16},
                            {TensorType::kQ8_0, Isa::kAvx512Vnni, WeightLayout::kQ8_0x16},
                            {TensorType::kF16, Isa::kAvx512, WeightLayout::kF16x16},
                            {TensorType::kQ4_K, Isa::kAvx512Vnni, WeightLayout::kQ4_Kx16},
                            {TensorType::kQ6_K, Isa::kAvx512, WeightLayout::kQ6_Kx16}};
  for (const Layout& l : layouts) {
    // F16 rows may have any length: 37 leaves a remainder after the kernel's 4 columns.
    // Q4_K's and Q6_K's are whole 256-value super-blocks.
    std::vector<int64_t> widths = {32, 160, 544, 1024, l.type == TensorType::kF16 ? 37 : 64};
    if (l.type == TensorType::kQ4_K || l.type == TensorType::kQ6_K) widths = {256, 768, 1024};
    for (int64_t cols : widths) {
      for (int64_t rows : {5, 13, 16, 37}) {
        Matrix m = MakeMatrix(l.type, rows, cols, 21);
        std::vector<uint8_t> storage;
        auto packed = Repack(m.View(), storage, l.isa);
        ASSERT_TRUE(packed.has_value());
        EXPECT_EQ(packed->layout, l.layout);
        for (int n : {1, 3, 8, 10, 12, 13, 20, 33}) {
          std::vector<float> x = Gaussian(static_cast<size_t>(n * cols), 2 + n);
          std::vector<float> want(static_cast<size_t>(n * m.rows));
          MatMulScratch scratch;
          MatMul(Isa::kPortable, m.View(), x.data(), n, want.data(), scratch, nullptr);
          std::vector<double> ref(want.begin(), want.end());
          for (Isa isa : AvailableIsas()) {
            std::vector<float> got(want.size(), NAN);
            MatMul(isa, *packed, x.data(), n, got.data(), scratch, nullptr);
            EXPECT_LE(ScaledMaxError(got, ref), 2e-5)
                << TensorTypeName(l.type) << " " << IsaName(isa) << " cols=" << cols
                << " rows=" << rows << " n=" << n;
          }
          // A row range that does not start a group of 16.
          const int64_t end = std::min<int64_t>(11, rows), width = end - 3;
          std::vector<float> part(static_cast<size_t>(n * width), -1.0f);
          MatMulRows(DetectIsa(), *packed, 3, end, x.data(), n, part.data(),
                     static_cast<size_t>(width), scratch, nullptr);
          for (int t = 0; t < n; ++t) {
            for (int64_t r = 0; r < width; ++r) {
              EXPECT_NEAR(part[t * width + r], want[t * rows + 3 + r], 1e-4);
            }
          }
        }
      }
    }
  }
  // Other types have no repacked layout, nor has any type for the portable kernels, nor
  // Q8_0 for AVX-512 without VNNI.
  Matrix bf16 = MakeMatrix(TensorType::kBF16, 4, 64, 1);
  std::vector<uint8_t> storage;
  EXPECT_FALSE(Repack(bf16.View(), storage, DetectIsa()).has_value());
  Matrix q8 = MakeMatrix(TensorType::kQ8_0, 4, 64, 1);
  Matrix f16 = MakeMatrix(TensorType::kF16, 4, 64, 1);
  EXPECT_FALSE(Repack(q8.View(), storage, Isa::kPortable).has_value());
  EXPECT_FALSE(Repack(q8.View(), storage, Isa::kAvx512).has_value());
  EXPECT_FALSE(Repack(f16.View(), storage, Isa::kPortable).has_value());
  Matrix q4 = MakeMatrix(TensorType::kQ4_0, 4, 64, 1);
  EXPECT_FALSE(Repack(q4.View(), storage, Isa::kPortable).has_value());
  for (TensorType k_quant : {TensorType::kQ4_K, TensorType::kQ6_K}) {
    Matrix m = MakeMatrix(k_quant, 4, 256, 1);
    EXPECT_FALSE(Repack(m.View(), storage, Isa::kPortable).has_value());
  }
}

TEST(KernelsTest, ThreadedRowRangesMatchTheSingleThreadedResult) {
  ThreadPool pool(3);
  for (const Case& c : kCases) {
    Matrix m = MakeMatrix(c.type, 300, c.cols, 3);
    const int n = 6;
    std::vector<float> x = Gaussian(static_cast<size_t>(n * c.cols), 5);
    std::vector<float> single(static_cast<size_t>(n * m.rows)), threaded(single.size());
    MatMulScratch s1, s2;
    Isa isa = DetectIsa();
    MatMul(isa, m.View(), x.data(), n, single.data(), s1, nullptr);
    MatMul(isa, m.View(), x.data(), n, threaded.data(), s2, &pool);
    EXPECT_EQ(single, threaded) << TensorTypeName(c.type);

    // Rows [40, 77) written with a leading dimension of 50.
    std::vector<float> part(static_cast<size_t>(n * 50), -1.0f);
    MatMulRows(isa, m.View(), 40, 77, x.data(), n, part.data(), 50, s1, &pool);
    for (int t = 0; t < n; ++t) {
      for (int r = 0; r < 37; ++r) EXPECT_EQ(part[t * 50 + r], single[t * 300 + 40 + r]);
      EXPECT_EQ(part[t * 50 + 37], -1.0f);
    }
  }
}

TEST(KernelsTest, SharedProductsMatchOneMatMulEach) {
  // q, k, v of a Q4_K_M file (Q4_K, Q4_K, Q6_K), a repacked Q4_0 pair, and a mix of float
  // and quantized types (which need different activations), on one and on three threads.
  const int64_t cols = 256;
  std::vector<Matrix> q4k = {MakeMatrix(TensorType::kQ4_K, 80, cols, 1),
                             MakeMatrix(TensorType::kQ4_K, 48, cols, 2),
                             MakeMatrix(TensorType::kQ6_K, 48, cols, 3)};
  std::vector<Matrix> q4 = {MakeMatrix(TensorType::kQ4_0, 200, cols, 4),
                            MakeMatrix(TensorType::kQ4_0, 37, cols, 5)};
  std::vector<Matrix> mixed = {MakeMatrix(TensorType::kF16, 33, cols, 6),
                               MakeMatrix(TensorType::kQ8_0, 64, cols, 7)};
  ThreadPool pool(3);
  for (Isa isa : AvailableIsas()) {
    for (const std::vector<Matrix>* group : {&q4k, &q4, &mixed}) {
      std::vector<std::vector<uint8_t>> storage(group->size());
      std::vector<WeightMatrix> views;
      for (size_t i = 0; i < group->size(); ++i) {
        WeightMatrix v = (*group)[i].View();
        views.push_back(Repack(v, storage[i], isa).value_or(v));
      }
      for (int n : {1, 5, 12}) {
        std::vector<float> x = Gaussian(static_cast<size_t>(n * cols), 20 + n);
        for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
          std::vector<std::vector<float>> want(views.size()), got(views.size());
          std::vector<MatMulJob> jobs;
          MatMulScratch scratch;
          for (size_t i = 0; i < views.size(); ++i) {
            want[i].resize(static_cast<size_t>(n * views[i].rows));
            got[i].assign(want[i].size(), -7.0f);
            MatMul(isa, views[i], x.data(), n, want[i].data(), scratch, nullptr);
            jobs.push_back({&views[i], got[i].data()});
          }
          MatMulShared(isa, jobs, x.data(), n, scratch, p);
          for (size_t i = 0; i < views.size(); ++i) {
            EXPECT_EQ(got[i], want[i]) << IsaName(isa) << " " << TensorTypeName(views[i].type)
                                       << " n=" << n << (p ? " threaded" : "");
          }
        }
      }
    }
  }
}

TEST(KernelsTest, DotAndAxpyAgreeAcrossInstructionSets) {
  for (int n : {1, 15, 16, 33, 100}) {
    std::vector<float> a = Gaussian(n, 1), b = Gaussian(n, 2);
    double ref = 0;
    for (int i = 0; i < n; ++i) ref += double{a[i]} * b[i];
    for (Isa isa : AvailableIsas()) {
      EXPECT_NEAR(DotF32(isa, a.data(), b.data(), n), ref, 1e-4 * n) << IsaName(isa);
      std::vector<float> y = b;
      AxpyF32(isa, 0.5f, a.data(), y.data(), n);
      for (int i = 0; i < n; ++i) EXPECT_FLOAT_EQ(y[i], b[i] + 0.5f * a[i]) << IsaName(isa);
    }
  }
}

TEST(KernelsTest, GemmAccumulateMatchesDoublePrecisionWithEitherStrideOfA) {
  // Sizes around the blocks (4 rows; 16 / 32 columns), both ways of reading A (row-major
  // K x M and M x K), and C's and B's rows longer than N; C keeps what it held.
  for (auto [M, N, K] : {std::array{1, 1, 1}, std::array{4, 32, 3}, std::array{7, 33, 27},
                         std::array{9, 15, 64}, std::array{5, 100, 2}}) {
    for (bool a_row_major_k : {true, false}) {
      const size_t lda = a_row_major_k ? M + 2 : K + 1;
      const size_t a_k = a_row_major_k ? lda : 1, a_m = a_row_major_k ? 1 : lda;
      const size_t ldb = N + 3, ldc = N + 5;
      const std::vector<float> a = Gaussian((a_row_major_k ? K : M) * lda, 1);
      const std::vector<float> b = Gaussian(K * ldb, 2), c0 = Gaussian(M * ldc, 3);
      for (Isa isa : AvailableIsas()) {
        std::vector<float> c = c0;
        GemmAccumulateF32(isa, M, N, K, a.data(), a_k, a_m, b.data(), ldb, c.data(), ldc);
        for (int m = 0; m < M; ++m) {
          for (size_t j = 0; j < ldc; ++j) {
            double want = c0[m * ldc + j];
            if (j < static_cast<size_t>(N)) {
              for (int k = 0; k < K; ++k) want += double{a[k * a_k + m * a_m]} * b[k * ldb + j];
            }
            EXPECT_NEAR(c[m * ldc + j], want, 1e-5 * (K + 1))
                << IsaName(isa) << " M=" << M << " N=" << N << " K=" << K << " m=" << m
                << " j=" << j;
          }
        }
      }
    }
  }
}

TEST(KernelsTest, AttentionScoresAndValuesMatchPlainLoops) {
  // Head sizes with grouped kernels (32, 64, 80, 128) and without (40, and 20, which leaves
  // a part vector); groups of query heads that fill the kernels' register groups, leave some
  // over, or are one head; float and half-precision caches.
  for (int hd : {64, 40, 128, 32, 80, 20}) {
    for (int n_q : {1, 3, 4, 8}) {
      for (int n : {1, 7, 33}) {
        const size_t stride = static_cast<size_t>(hd) * 3;  // other heads between positions
        const size_t ld = static_cast<size_t>(n) + 5;       // score rows apart
        std::vector<float> q = Gaussian(static_cast<size_t>(n_q) * hd, 1),
                           k = Gaussian(stride * n, 2), v = Gaussian(stride * n, 3);
        std::vector<float> p = Gaussian(n_q * ld, 4);
        std::vector<uint16_t> k16(k.size()), v16(v.size());
        std::vector<float> k_wide(k.size()), v_wide(v.size());  // what the halves hold
        for (size_t e = 0; e < k.size(); ++e) {
          k16[e] = FloatToHalf(k[e]);
          v16[e] = FloatToHalf(v[e]);
          k_wide[e] = HalfToFloat(k16[e]);
          v_wide[e] = HalfToFloat(v16[e]);
        }
        auto check = [&](const auto* keys, const auto* values, const std::vector<float>& k_ref,
                         const std::vector<float>& v_ref, const std::string& cache) {
          std::vector<double> want_scores(n_q * ld, 0.0), want_out(n_q * hd, 0.0);
          for (int i = 0; i < n_q; ++i) {
            for (int j = 0; j < n; ++j) {
              double s = 0;
              for (int d = 0; d < hd; ++d) s += double{q[i * hd + d]} * k_ref[j * stride + d];
              want_scores[i * ld + j] = 0.125 * s;
              for (int d = 0; d < hd; ++d) {
                want_out[i * hd + d] += double{p[i * ld + j]} * v_ref[j * stride + d];
              }
            }
          }
          for (Isa isa : AvailableIsas()) {
            std::vector<float> scores(n_q * ld, NAN), out(n_q * hd, NAN);
            AttentionScores(isa, q.data(), n_q, keys, stride, n, hd, 0.125f, scores.data(), ld);
            AttentionValues(isa, p.data(), ld, n_q, values, stride, n, hd, out.data());
            const std::string where = IsaName(isa) + " " + cache + " hd=" + std::to_string(hd) +
                                      " heads=" + std::to_string(n_q) + " n=" + std::to_string(n);
            for (int i = 0; i < n_q; ++i) {
              for (int j = 0; j < n; ++j) {
                EXPECT_NEAR(scores[i * ld + j], want_scores[i * ld + j], 1e-4) << where;
              }
              EXPECT_TRUE(std::isnan(scores[i * ld + n])) << where << ": wrote past its row";
            }
            for (int d = 0; d < n_q * hd; ++d) EXPECT_NEAR(out[d], want_out[d], 1e-4) << where;
          }
        };
        check(k.data(), v.data(), k, v, "f32");
        check(k16.data(), v16.data(), k_wide, v_wide, "f16");
      }
    }
  }
}

TEST(KernelsTest, FloatsToHalvesRoundsAsFloatToHalf) {
  // Gaussian values at several scales, and the edges: signed zeros, subnormal halves,
  // values halfway between two halves, the largest half, overflow and infinities.
  std::vector<float> x = Gaussian(203, 11);
  for (float scale : {1e-6f, 1e-3f, 300.0f, 6e4f}) {
    for (float g : Gaussian(50, 12, scale)) x.push_back(g);
  }
  for (float e : {0.0f, -0.0f, 6e-8f, 3e-8f, 2.98e-8f, 1e-5f, -6.1e-5f, 1.00048828125f,
                  1.00146484375f, 65504.0f, 65519.0f, 65520.0f, -1e9f, INFINITY, -INFINITY}) {
    x.push_back(e);
  }
  for (Isa isa : AvailableIsas()) {
    for (int n : {static_cast<int>(x.size()), 7, 1}) {
      std::vector<uint16_t> out(x.size() + 1, 0xBEEF);
      FloatsToHalves(isa, x.data(), out.data(), n);
      for (int i = 0; i < n; ++i) {
        EXPECT_EQ(out[i], FloatToHalf(x[i])) << IsaName(isa) << " x=" << x[i] << " n=" << n;
      }
      EXPECT_EQ(out[n], 0xBEEF) << IsaName(isa) << ": wrote past the end (n=" << n << ")";
    }
    uint16_t nan_half = 0;
    const float nan = NAN;
    FloatsToHalves(isa, &nan, &nan_half, 1);
    EXPECT_TRUE(std::isnan(HalfToFloat(nan_half))) << IsaName(isa);
  }
}

TEST(KernelsTest, SoftmaxMatchesDoublePrecision) {
  for (int n : {1, 5, 16, 33, 300}) {
    std::vector<float> x = Gaussian(n, 9, 4.0f);
    x[0] = 80.0f;  // large scores: the largest is subtracted before exponentiating
    double max = *std::max_element(x.begin(), x.end()), sum = 0;
    for (float v : x) sum += std::exp(double{v} - max);
    for (Isa isa : AvailableIsas()) {
      std::vector<float> y = x;
      Softmax(isa, y.data(), n);
      for (int j = 0; j < n; ++j) {
        const double want = std::exp(double{x[j]} - max) / sum;
        EXPECT_NEAR(y[j], want, 1e-6 + 1e-5 * want) << IsaName(isa) << " n=" << n << " j=" << j;
      }
    }
  }
}

TEST(KernelsTest, RmsNormAndSwiGluMatchDoublePrecision) {
  for (int n : {1, 17, 64, 1000}) {
    std::vector<float> x = Gaussian(n, 5, 3.0f), w = Gaussian(n, 6), up = Gaussian(n, 7);
    x[0] = 90.0f;  // beyond the exponential's clamp: silu(90) is 90
    double ss = 0;
    for (float v : x) ss += double{v} * v;
    const double scale = 1.0 / std::sqrt(ss / n + 1e-5);
    for (Isa isa : AvailableIsas()) {
      std::vector<float> out(n);
      RmsNormRow(isa, x.data(), w.data(), n, 1e-5f, out.data());
      std::vector<float> gate = x;
      SiluMul(isa, gate.data(), up.data(), n);
      for (int i = 0; i < n; ++i) {
        const double want_norm = x[i] * scale * w[i];
        EXPECT_NEAR(out[i], want_norm, 1e-5 * (1 + std::fabs(want_norm))) << IsaName(isa);
        const double want_silu = x[i] / (1 + std::exp(-double{x[i]})) * up[i];
        EXPECT_NEAR(gate[i], want_silu, 1e-5 * (1 + std::fabs(want_silu)))
            << IsaName(isa) << " " << x[i];
      }
    }
  }
}

TEST(ThreadPoolTest, RunsEveryTaskExactlyOnce) {
  ThreadPool pool(4);
  for (int round = 0; round < 50; ++round) {
    int n = round * 7 % 23;
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.Run(n, [&](int task, int worker) {
      ASSERT_GE(worker, 0);
      ASSERT_LT(worker, 4);
      hits[task].fetch_add(1);
    });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

}  // namespace
}  // namespace pareto::inference
