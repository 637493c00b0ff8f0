// AVX-512 peak FMA loop for gemm_bench. Built with -mavx512f (COMPILE_OPTIONS set in the
// NEURITE_NATIVE_BENCH block of CMakeLists.txt); call only when the CPU and OS support
// AVX-512F (neurite::cpu_has_avx512()).
#include <immintrin.h>

#include <cstdint>

#include "peak.h"

namespace neurite_bench {

// 12 independent chains of zmm FMAs: covers 4-cycle latency on two 512-bit FMA ports, the
// microkernel's (12x32: 24 zmm accumulators) instruction mix minus the loads and broadcasts.
__attribute__((noinline)) float fma_loop_avx512(int64_t iters) {
  __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  __m512 c0 = _mm512_set1_ps(0.f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0,
         c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  for (int64_t i = 0; i < iters; ++i) {
    c0 = _mm512_fmadd_ps(x, c0, y);
    c1 = _mm512_fmadd_ps(x, c1, y);
    c2 = _mm512_fmadd_ps(x, c2, y);
    c3 = _mm512_fmadd_ps(x, c3, y);
    c4 = _mm512_fmadd_ps(x, c4, y);
    c5 = _mm512_fmadd_ps(x, c5, y);
    c6 = _mm512_fmadd_ps(x, c6, y);
    c7 = _mm512_fmadd_ps(x, c7, y);
    c8 = _mm512_fmadd_ps(x, c8, y);
    c9 = _mm512_fmadd_ps(x, c9, y);
    c10 = _mm512_fmadd_ps(x, c10, y);
    c11 = _mm512_fmadd_ps(x, c11, y);
    __asm__ volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3), "+v"(c4), "+v"(c5));
    __asm__ volatile("" : "+v"(c6), "+v"(c7), "+v"(c8), "+v"(c9), "+v"(c10), "+v"(c11));
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                           _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
  return _mm512_reduce_add_ps(s);
}

}  // namespace neurite_bench
