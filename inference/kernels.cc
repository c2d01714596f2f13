#include "inference/kernels.h"

#include <algorithm>
#include <cstring>
#include <functional>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "inference/kernels_impl.h"
#include "inference/quants.h"

namespace pareto::inference {

using kernels_internal::KernelTable;

namespace {

const KernelTable& Table(Isa isa) {
#if defined(__x86_64__)
  switch (isa) {
    case Isa::kAvx2:
      return kernels_internal::Avx2Kernels();
    case Isa::kAvx512:
      return kernels_internal::Avx512Kernels();
    case Isa::kAvx512Vnni:
      return kernels_internal::Avx512VnniKernels();
    case Isa::kAmx:
      return kernels_internal::AmxKernels();
    case Isa::kPortable:
      break;
  }
#else
  (void)isa;
#endif
  return kernels_internal::PortableKernels();
}

kernels_internal::TileFn TileFor(const KernelTable& k, TensorType type, WeightLayout layout) {
  if (layout == WeightLayout::kQ4_0x16) return type == TensorType::kQ4_0 ? k.q4_0x16 : nullptr;
  if (layout == WeightLayout::kQ8_0x16) return type == TensorType::kQ8_0 ? k.q8_0x16 : nullptr;
  if (layout == WeightLayout::kF16x16) return type == TensorType::kF16 ? k.f16x16 : nullptr;
  if (layout == WeightLayout::kQ4_Kx16) return type == TensorType::kQ4_K ? k.q4_kx16 : nullptr;
  if (layout == WeightLayout::kQ6_Kx16) return type == TensorType::kQ6_K ? k.q6_kx16 : nullptr;
  switch (type) {
    case TensorType::kF32:
      return k.f32;
    case TensorType::kF16:
      return k.f16;
    case TensorType::kBF16:
      return k.bf16;
    case TensorType::kQ8_0:
      return k.q8_0;
    case TensorType::kQ4_0:
      return k.q4_0;
    case TensorType::kQ4_K:
      return k.q4_k;
    case TensorType::kQ6_K:
      return k.q6_k;
    default:
      return nullptr;
  }
}

bool TakesQ8Activations(TensorType type) {
  return type == TensorType::kQ8_0 || type == TensorType::kQ4_0 || type == TensorType::kQ4_K ||
         type == TensorType::kQ6_K;
}

}  // namespace

std::string IsaName(Isa isa) {
  switch (isa) {
    case Isa::kPortable:
      return "portable";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAvx512Vnni:
      return "avx512-vnni";
    case Isa::kAmx:
      return "amx";
  }
  return "unknown";
}

namespace {

#if defined(__x86_64__)
// Whether the CPU has AMX-TILE and AMX-INT8 and Linux lets this process use the tile data
// (asked for once: the state is 8 KB per thread, so the kernel grants it on request only).
bool AmxGranted() {
  static const bool granted = [] {
    if (!__builtin_cpu_supports("amx-tile") || !__builtin_cpu_supports("amx-int8")) return false;
#if defined(__linux__)
    constexpr int kReqXcompPerm = 0x1023, kGetXcompPerm = 0x1022, kXtileData = 18;
    if (syscall(SYS_arch_prctl, kReqXcompPerm, kXtileData) != 0) return false;
    uint64_t features = 0;
    if (syscall(SYS_arch_prctl, kGetXcompPerm, &features) != 0) return false;
    return (features >> kXtileData & 1) != 0;
#else
    return false;
#endif
  }();
  return granted;
}
#endif

}  // namespace

namespace kernels_internal {

uint8_t* ThreadScratch(int slot, size_t bytes) {
  thread_local std::vector<uint8_t> buffers[4];
  std::vector<uint8_t>& b = buffers[slot];
  if (b.size() < bytes + 64) b.resize(bytes + 64);
  uint8_t* p = b.data();
  return p + (64 - reinterpret_cast<uintptr_t>(p) % 64) % 64;
}

}  // namespace kernels_internal

std::vector<Isa> AvailableIsas() {
  std::vector<Isa> out = {Isa::kPortable};
#if defined(__x86_64__)
  __builtin_cpu_init();
  bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  // F16C has no __builtin_cpu_supports name in every compiler; every AVX2 CPU has it.
  if (!avx2) return out;
  out.push_back(Isa::kAvx2);
  bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  if (!avx512) return out;
  out.push_back(Isa::kAvx512);
  if (!__builtin_cpu_supports("avx512vnni")) return out;
  out.push_back(Isa::kAvx512Vnni);
  if (AmxGranted()) out.push_back(Isa::kAmx);
#endif
  return out;
}

Isa DetectIsa() { return AvailableIsas().back(); }

namespace {

void RunTasks(ThreadPool* pool, int n, const std::function<void(int, int)>& fn) {
  if (pool != nullptr) {
    pool->Run(n, fn);
  } else {
    for (int i = 0; i < n; ++i) fn(i, 0);
  }
}

// The activations x (n_tokens rows of cols floats) in the format `type` dots against:
// x itself for the float types, else quantized into `scratch`. Sets the row stride.
const uint8_t* PrepareActivations(const KernelTable& k, TensorType type, const float* x,
                                  int n_tokens, int cols, MatMulScratch& scratch, ThreadPool* pool,
                                  size_t* act_row_bytes) {
  if (!TakesQ8Activations(type)) {
    *act_row_bytes = static_cast<size_t>(cols) * sizeof(float);
    return reinterpret_cast<const uint8_t*>(x);
  }
  const size_t row_bytes = kernels_internal::ActQ8RowBytes(static_cast<size_t>(cols));
  *act_row_bytes = row_bytes;
  scratch.activations.resize(row_bytes * static_cast<size_t>(n_tokens) + 64);
  // Align the rows to 64 bytes for the vector loads.
  uint8_t* base = scratch.activations.data();
  base += (64 - reinterpret_cast<uintptr_t>(base) % 64) % 64;
  auto prep = [&](int t, int) {
    k.prep_q8(x + static_cast<size_t>(t) * cols, cols, base + t * row_bytes);
  };
  // In parallel only when there is enough of it (a prefill): for a few tokens the threads
  // would spend longer meeting than preparing (batch-8 decode was 4% faster done serially).
  const int threads = pool != nullptr ? pool->size() : 1;
  if (static_cast<int64_t>(n_tokens) * cols >= int64_t{32768} * threads) {
    RunTasks(pool, n_tokens, prep);
  } else {
    for (int t = 0; t < n_tokens; ++t) prep(t, 0);
  }
  return base;
}

// Rows [begin, end) of one product: y[t * ldy + r - begin] = W[r] . x[t].
struct Product {
  const WeightMatrix* w;
  int64_t begin, end;
  float* y;
  size_t ldy;
};

// A range of one product's rows: one task of the parallel loop.
struct RowChunk {
  int product;
  int64_t begin, end;
};

// Rows are split into chunks claimed dynamically. With several tokens (compute-bound) 8
// per thread, small enough to balance two threads whose cores are shared; with one token
// (memory-bound) 2 per thread, long sequential streams the prefetchers keep up with
// (0.34B decode at 2 threads, paired runs: Q4_0 +20%, Q8_0 +9%, F16 +5% over 8).
void AppendChunks(int product, int64_t row_begin, int64_t row_end, int threads, int n_tokens,
                  std::vector<RowChunk>& out) {
  const int64_t rows = row_end - row_begin;
  const int per_thread = n_tokens == 1 ? 2 : 8;
  int64_t chunk = std::max<int64_t>(16, (rows / (threads * per_thread) + 15) / 16 * 16);
  if (threads == 1) chunk = rows;
  for (int64_t r0 = row_begin; r0 < row_end; r0 += chunk) {
    out.push_back({product, r0, std::min(row_end, r0 + chunk)});
  }
}

// Every product against the same activations x (n_tokens rows of cols floats, which all the
// products' types read in one format): the activations prepared once, then every chunk of
// every product in one parallel loop.
void RunProducts(const KernelTable& k, std::span<const Product> products, const float* x,
                 int n_tokens, MatMulScratch& scratch, ThreadPool* pool) {
  const int cols = static_cast<int>(products[0].w->cols);
  size_t act_row_bytes = 0;
  const uint8_t* act =
      PrepareActivations(k, products[0].w->type, x, n_tokens, cols, scratch, pool, &act_row_bytes);
  const int threads = pool != nullptr ? pool->size() : 1;
  std::vector<RowChunk> chunks;
  for (size_t i = 0; i < products.size(); ++i) {
    AppendChunks(static_cast<int>(i), products[i].begin, products[i].end, threads, n_tokens,
                 chunks);
  }
  RunTasks(pool, static_cast<int>(chunks.size()), [&](int c, int) {
    const RowChunk& ch = chunks[c];
    const Product& p = products[ch.product];
    kernels_internal::TileFn tile = TileFor(k, p.w->type, p.w->layout);
    if (tile == nullptr) return;  // unsupported types are rejected at load
    tile(p.w->data + ch.begin * p.w->row_bytes, p.w->row_bytes, static_cast<int>(ch.end - ch.begin),
         act, act_row_bytes, n_tokens, cols, p.y + (ch.begin - p.begin), p.ldy);
  });
}

}  // namespace

void MatMulRows(Isa isa, const WeightMatrix& w, int64_t row_begin, int64_t row_end, const float* x,
                int n_tokens, float* y, size_t ldy, MatMulScratch& scratch, ThreadPool* pool) {
  if (row_end <= row_begin || n_tokens <= 0) return;
  if (w.layout != WeightLayout::kFile && row_begin % 16 != 0) {
    // Interleaved rows are computed in whole groups: compute from the group's start and
    // keep the rows asked for.
    const int64_t aligned = row_begin / 16 * 16;
    const size_t tmp_ld = static_cast<size_t>(row_end - aligned);
    std::vector<float> tmp(tmp_ld * static_cast<size_t>(n_tokens));
    MatMulRows(isa, w, aligned, row_end, x, n_tokens, tmp.data(), tmp_ld, scratch, pool);
    for (int t = 0; t < n_tokens; ++t) {
      std::copy_n(tmp.data() + t * tmp_ld + (row_begin - aligned), row_end - row_begin,
                  y + t * ldy);
    }
    return;
  }
  const Product p{&w, row_begin, row_end, y, ldy};
  RunProducts(Table(isa), std::span(&p, 1), x, n_tokens, scratch, pool);
}

void MatMulShared(Isa isa, std::span<const MatMulJob> jobs, const float* x, int n_tokens,
                  MatMulScratch& scratch, ThreadPool* pool) {
  if (jobs.empty() || n_tokens <= 0) return;
  const WeightMatrix& first = *jobs[0].w;
  std::vector<Product> products;
  for (const MatMulJob& j : jobs) {
    if (j.w->cols != first.cols ||
        TakesQ8Activations(j.w->type) != TakesQ8Activations(first.type)) {
      // Different activations: one product at a time.
      for (const MatMulJob& one : jobs) MatMul(isa, *one.w, x, n_tokens, one.y, scratch, pool);
      return;
    }
    products.push_back({j.w, 0, j.w->rows, j.y, static_cast<size_t>(j.w->rows)});
  }
  RunProducts(Table(isa), products, x, n_tokens, scratch, pool);
}

namespace {

// A padding row's block: values 8 (zero after the offset), scale 0.
constexpr uint8_t kMissingBlock[18] = {0,    0,    0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88,
                                       0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88};

void RepackQ4_0x16(const WeightMatrix& w, uint8_t* out) {
  const size_t nb = static_cast<size_t>(w.cols) / 32;
  const int64_t groups = (w.rows + 15) / 16;
  for (int64_t g = 0; g < groups; ++g) {
    for (size_t b = 0; b < nb; ++b) {
      uint8_t* tile = out + (g * static_cast<int64_t>(nb) + static_cast<int64_t>(b)) *
                                kernels_internal::kQ4_0x16TileBytes;
      for (int i = 0; i < 16; ++i) {
        const int64_t r = g * 16 + i;
        // Padding rows: scale 0 and values 8 (zero).
        const uint8_t* blk = r < w.rows ? w.data + r * w.row_bytes + 18 * b : kMissingBlock;
        std::memcpy(tile + 2 * i, blk, 2);
        // Value e of the block: low nibble of qs[e] for e < 16, high nibble of qs[e - 16].
        uint8_t values[32];
        for (int j = 0; j < 16; ++j) {
          values[j] = blk[2 + j] & 0xF;
          values[j + 16] = blk[2 + j] >> 4;
        }
        for (int m = 0; m < 4; ++m) {
          for (int j = 0; j < 4; ++j) {
            tile[32 + 64 * m + 4 * i + j] =
                static_cast<uint8_t>(values[4 * m + j] | (values[4 * (m + 4) + j] << 4));
          }
        }
      }
    }
  }
}

void RepackQ8_0x16(const WeightMatrix& w, uint8_t* out) {
  const size_t nb = static_cast<size_t>(w.cols) / 32;
  const int64_t groups = (w.rows + 15) / 16;
  for (int64_t g = 0; g < groups; ++g) {
    for (size_t b = 0; b < nb; ++b) {
      uint8_t* tile = out + (g * static_cast<int64_t>(nb) + static_cast<int64_t>(b)) *
                                kernels_internal::kQ8_0x16TileBytes;
      for (int i = 0; i < 16; ++i) {
        const int64_t r = g * 16 + i;
        uint8_t* values = tile + 32;
        if (r >= w.rows) {
          // Padding rows: scale 0, values 0 (128 as stored).
          std::memset(tile + 2 * i, 0, 2);
          for (int m = 0; m < 8; ++m) std::memset(values + 64 * m + 4 * i, 0x80, 4);
          continue;
        }
        const uint8_t* blk = w.data + r * w.row_bytes + 34 * b;
        std::memcpy(tile + 2 * i, blk, 2);
        for (int e = 0; e < 32; ++e) {
          values[64 * (e / 4) + 4 * i + e % 4] = static_cast<uint8_t>(blk[2 + e] ^ 0x80);
        }
      }
    }
  }
}

// Calls fill(tile, i, block) for every row's every 256-value super-block of a K-quant
// matrix, `tile` the super-block's tile in its group of 16 and i the row within the group.
// Padding rows are left as they are (zeros: scales 0).
template <class Block, class Fill>
void ForEachKTile(const WeightMatrix& w, size_t tile_bytes, uint8_t* out, Fill fill) {
  const size_t ns = static_cast<size_t>(w.cols) / 256;
  for (int64_t r = 0; r < w.rows; ++r) {
    for (size_t s = 0; s < ns; ++s) {
      fill(out + (static_cast<size_t>(r / 16) * ns + s) * tile_bytes, static_cast<int>(r % 16),
           *(reinterpret_cast<const Block*>(w.data + r * w.row_bytes) + s));
    }
  }
}

void RepackQ4_Kx16(const WeightMatrix& w, uint8_t* out) {
  using namespace kernels_internal;
  ForEachKTile<BlockQ4_K>(
      w, kQ4_Kx16TileBytes, out, [](uint8_t* tile, int i, const BlockQ4_K& blk) {
        std::memcpy(tile + 2 * i, &blk.d, 2);
        std::memcpy(tile + 32 + 2 * i, &blk.dmin, 2);
        for (int j = 0; j < 8; ++j) {
          UnpackQ4KScale(blk.scales, j, tile + kQ4_Kx16ScalesOffset + 16 * j + i,
                         tile + kQ4_Kx16MinsOffset + 16 * j + i);
          // Value e of sub-block j: nibble j % 2 of qs[32 (j / 2) + e].
          const uint8_t* qs = blk.qs + 32 * (j / 2);
          uint8_t* values = tile + kQ4_Kx16ValuesOffset + 256 * j;
          for (int e = 0; e < 16; ++e) {
            const uint8_t lo = (qs[e] >> (4 * (j % 2))) & 0xF;
            const uint8_t hi = (qs[e + 16] >> (4 * (j % 2))) & 0xF;
            values[64 * (e / 4) + 4 * i + e % 4] = static_cast<uint8_t>(lo | (hi << 4));
          }
        }
      });
}

void RepackQ6_Kx16(const WeightMatrix& w, uint8_t* out) {
  using namespace kernels_internal;
  ForEachKTile<BlockQ6_K>(
      w, kQ6_Kx16TileBytes, out, [](uint8_t* tile, int i, const BlockQ6_K& blk) {
        std::memcpy(tile + 2 * i, &blk.d, 2);
        for (int g = 0; g < 16; ++g) {
          tile[kQ6_Kx16ScalesOffset + 16 * g + i] = static_cast<uint8_t>(blk.scales[g]);
        }
        // The block's 256 values (0..63): value 128h + 32k + l from ql's nibbles and qh's pairs.
        uint8_t q[256];
        for (int h = 0; h < 2; ++h) {
          for (int l = 0; l < 32; ++l) {
            const uint8_t ql0 = blk.ql[64 * h + l], ql1 = blk.ql[64 * h + l + 32];
            const uint8_t qh = blk.qh[32 * h + l];
            q[128 * h + l] = static_cast<uint8_t>((ql0 & 0xF) | ((qh & 3) << 4));
            q[128 * h + 32 + l] = static_cast<uint8_t>((ql1 & 0xF) | (((qh >> 2) & 3) << 4));
            q[128 * h + 64 + l] = static_cast<uint8_t>((ql0 >> 4) | (((qh >> 4) & 3) << 4));
            q[128 * h + 96 + l] = static_cast<uint8_t>((ql1 >> 4) | (((qh >> 6) & 3) << 4));
          }
        }
        for (int j = 0; j < 8; ++j) {
          uint8_t* values = tile + kQ6_Kx16ValuesOffset + kQ6_Kx16SubBlockBytes * j;
          for (int e = 0; e < 16; ++e) {
            const int m = e / 4, lane = 4 * i + e % 4;
            const uint8_t lo = q[32 * j + e], hi = q[32 * j + 16 + e];
            values[64 * m + lane] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
            values[256 + lane] |= static_cast<uint8_t>((lo >> 4) << (2 * m));
            values[320 + lane] |= static_cast<uint8_t>((hi >> 4) << (2 * m));
          }
        }
      });
}

void RepackF16x16(const WeightMatrix& w, uint8_t* out) {
  for (int64_t r = 0; r < w.rows; ++r) {
    uint8_t* group = out + (r / 16) * 16 * static_cast<int64_t>(w.row_bytes);
    const uint8_t* row = w.data + r * w.row_bytes;
    for (int64_t c = 0; c < w.cols; ++c) std::memcpy(group + 32 * c + 2 * (r % 16), row + 2 * c, 2);
  }
}

}  // namespace

std::optional<WeightMatrix> Repack(const WeightMatrix& w, std::vector<uint8_t>& storage, Isa isa) {
  if (w.layout != WeightLayout::kFile || isa == Isa::kPortable) return std::nullopt;
  // AVX-512 without VNNI has no kernel of its own for interleaved Q8_0.
  if (w.type == TensorType::kQ8_0 && isa == Isa::kAvx512) return std::nullopt;
  void (*repack)(const WeightMatrix&, uint8_t*) = nullptr;
  WeightLayout layout = WeightLayout::kFile;
  size_t row_bytes = w.row_bytes;
  if (w.type == TensorType::kF16) {
    repack = RepackF16x16;
    layout = WeightLayout::kF16x16;
  } else if (w.type == TensorType::kQ8_0 && w.cols % 32 == 0) {
    repack = RepackQ8_0x16;
    layout = WeightLayout::kQ8_0x16;
  } else if (w.type == TensorType::kQ4_0 && w.cols % 32 == 0) {
    repack = RepackQ4_0x16;
    layout = WeightLayout::kQ4_0x16;
  } else if (w.type == TensorType::kQ4_K && w.cols % 256 == 0) {
    repack = RepackQ4_Kx16;
    layout = WeightLayout::kQ4_Kx16;
    row_bytes = kernels_internal::kQ4_Kx16TileBytes / 16 * static_cast<size_t>(w.cols / 256);
  } else if (w.type == TensorType::kQ6_K && w.cols % 256 == 0) {
    repack = RepackQ6_Kx16;
    layout = WeightLayout::kQ6_Kx16;
  } else {
    return std::nullopt;
  }
  // A group of 16 rows takes 16 row lengths; padding rows are zeros until written.
  storage.assign(static_cast<size_t>((w.rows + 15) / 16) * 16 * row_bytes, 0);
  repack(w, storage.data());
  WeightMatrix out = w;
  out.layout = layout;
  out.row_bytes = row_bytes;
  out.data = storage.data();
  return out;
}

void MatMul(Isa isa, const WeightMatrix& w, const float* x, int n_tokens, float* y,
            MatMulScratch& scratch, ThreadPool* pool) {
  MatMulRows(isa, w, 0, w.rows, x, n_tokens, y, static_cast<size_t>(w.rows), scratch, pool);
}

float DotF32(Isa isa, const float* a, const float* b, int n) { return Table(isa).dot_f32(a, b, n); }

void AxpyF32(Isa isa, float alpha, const float* x, float* y, int n) {
  Table(isa).axpy_f32(alpha, x, y, n);
}

void GemmAccumulateF32(Isa isa, int M, int N, int K, const float* a, size_t a_k, size_t a_m,
                       const float* b, size_t ldb, float* c, size_t ldc) {
  if (M <= 0 || N <= 0 || K <= 0) return;
  Table(isa).gemm_acc_f32(M, N, K, a, a_k, a_m, b, ldb, c, ldc);
}

void AttentionScores(Isa isa, const float* q, int n_q, const float* k, size_t stride, int n, int hd,
                     float scale, float* scores, size_t ld) {
  Table(isa).attn_scores(q, n_q, k, stride, n, hd, scale, scores, ld);
}

void AttentionValues(Isa isa, const float* p, size_t ld, int n_q, const float* v, size_t stride,
                     int n, int hd, float* out) {
  Table(isa).attn_values(p, ld, n_q, v, stride, n, hd, out);
}

void AttentionScores(Isa isa, const float* q, int n_q, const uint16_t* k, size_t stride, int n,
                     int hd, float scale, float* scores, size_t ld) {
  Table(isa).attn_scores_f16(q, n_q, k, stride, n, hd, scale, scores, ld);
}

void AttentionValues(Isa isa, const float* p, size_t ld, int n_q, const uint16_t* v, size_t stride,
                     int n, int hd, float* out) {
  Table(isa).attn_values_f16(p, ld, n_q, v, stride, n, hd, out);
}

void FloatsToHalves(Isa isa, const float* x, uint16_t* out, int n) { Table(isa).to_f16(x, out, n); }

void Softmax(Isa isa, float* x, int n) {
  if (n > 0) Table(isa).softmax(x, n);
}

void RmsNormRow(Isa isa, const float* x, const float* weight, int n, float eps, float* out) {
  Table(isa).rms_norm(x, weight, n, eps, out);
}

void SiluMul(Isa isa, float* gate, const float* up, int n) { Table(isa).silu_mul(gate, up, n); }

}  // namespace pareto::inference
