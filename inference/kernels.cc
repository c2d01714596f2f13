#include "inference/kernels.h"

#include <algorithm>

#include "inference/kernels_impl.h"

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
    case Isa::kPortable:
      break;
  }
#else
  (void)isa;
#endif
  return kernels_internal::PortableKernels();
}

kernels_internal::TileFn TileFor(const KernelTable& k, TensorType type) {
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
  }
  return "unknown";
}

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
  if (__builtin_cpu_supports("avx512vnni")) out.push_back(Isa::kAvx512Vnni);
#endif
  return out;
}

Isa DetectIsa() { return AvailableIsas().back(); }

void MatMulRows(Isa isa, const WeightMatrix& w, int64_t row_begin, int64_t row_end, const float* x,
                int n_tokens, float* y, size_t ldy, MatMulScratch& scratch, ThreadPool* pool) {
  if (row_end <= row_begin || n_tokens <= 0) return;
  const KernelTable& k = Table(isa);
  kernels_internal::TileFn tile = TileFor(k, w.type);
  if (tile == nullptr) return;  // unsupported types are rejected at load
  const int cols = static_cast<int>(w.cols);
  const int threads = pool != nullptr ? pool->size() : 1;
  auto run = [&](int n, const std::function<void(int, int)>& fn) {
    if (pool != nullptr) {
      pool->Run(n, fn);
    } else {
      for (int i = 0; i < n; ++i) fn(i, 0);
    }
  };

  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  size_t act_row_bytes = static_cast<size_t>(cols) * sizeof(float);
  if (TakesQ8Activations(w.type)) {
    act_row_bytes = kernels_internal::ActQ8RowBytes(static_cast<size_t>(cols));
    scratch.activations.resize(act_row_bytes * static_cast<size_t>(n_tokens) + 64);
    // Align the rows to 64 bytes for the vector loads.
    uint8_t* base = scratch.activations.data();
    base += (64 - reinterpret_cast<uintptr_t>(base) % 64) % 64;
    auto prep = [&](int t, int) {
      k.prep_q8(x + static_cast<size_t>(t) * cols, cols, base + t * act_row_bytes);
    };
    if (n_tokens >= 4 * threads) {
      run(n_tokens, prep);
    } else {
      for (int t = 0; t < n_tokens; ++t) prep(t, 0);
    }
    act = base;
  }

  // Rows are split into chunks claimed dynamically; small enough to balance two threads
  // whose cores are shared, large enough that a chunk amortises the call.
  const int64_t rows = row_end - row_begin;
  int64_t chunk = std::max<int64_t>(16, (rows / (threads * 8) + 15) / 16 * 16);
  if (threads == 1) chunk = rows;
  const int n_chunks = static_cast<int>((rows + chunk - 1) / chunk);
  run(n_chunks, [&](int c, int) {
    int64_t r0 = row_begin + c * chunk;
    int64_t r1 = std::min(row_end, r0 + chunk);
    tile(w.data + r0 * w.row_bytes, w.row_bytes, static_cast<int>(r1 - r0), act, act_row_bytes,
         n_tokens, cols, y + (r0 - row_begin), ldy);
  });
}

void MatMul(Isa isa, const WeightMatrix& w, const float* x, int n_tokens, float* y,
            MatMulScratch& scratch, ThreadPool* pool) {
  MatMulRows(isa, w, 0, w.rows, x, n_tokens, y, static_cast<size_t>(w.rows), scratch, pool);
}

float DotF32(Isa isa, const float* a, const float* b, int n) { return Table(isa).dot_f32(a, b, n); }

void AxpyF32(Isa isa, float alpha, const float* x, float* y, int n) {
  Table(isa).axpy_f32(alpha, x, y, n);
}

}  // namespace pareto::inference
