// AVX-512 kernels without VNNI (F, BW, VL, DQ), compiled with those flags for this file only;
// the code is shared with kernels_avx512_vnni.cc (see kernels_avx512.inc).
#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "inference/kernels_impl.h"

#define PARETO_VNNI 0
#define PARETO_TABLE_NAME Avx512Kernels

namespace pareto::inference::kernels_internal {
#include "inference/kernels_avx512.inc"
}  // namespace pareto::inference::kernels_internal
#endif  // defined(__x86_64__)
