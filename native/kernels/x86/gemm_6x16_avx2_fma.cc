// AVX2/FMA GEMM microkernel: a 6 x 16 tile of C in 12 ymm accumulators; each k step loads one
// 16-wide row of the B panel (2 ymm), broadcasts 6 values of the A panel and issues 12 FMAs.
// Built with -mavx2 -mfma, so it includes nothing that other files could share inline code
// with (the linker might keep the AVX2 copy). Contract in ukernels.h.
#include <immintrin.h>

#include <cstdint>

#include "../ukernels.h"

namespace neurite {
namespace {

constexpr int64_t kMR = 6, kNR = 16;

// c[0:16] = alpha * (v0, v1) + beta * c[0:16], rounded the same way for every element so that
// full and edge tiles agree bitwise. read_c == false (beta == 0) never reads c.
__attribute__((always_inline)) inline void store_row_6x16(float* c, __m256 v0, __m256 v1,
                                                          __m256 valpha, __m256 vbeta,
                                                          bool read_c) {
  v0 = _mm256_mul_ps(valpha, v0);
  v1 = _mm256_mul_ps(valpha, v1);
  if (read_c) {
    v0 = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(c), v0);
    v1 = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(c + 8), v1);
  }
  _mm256_storeu_ps(c, v0);
  _mm256_storeu_ps(c + 8, v1);
}

}  // namespace

// C[m, n] = alpha * (A_panel · B_panel) + beta * C[m, n].
//   a  [k, 6]   packed A panel, a[p * 6 + i] = A[i, p]; rows >= m are zero
//   b  [k, 16]  packed B panel, b[p * 16 + j] = B[p, j]; cols >= n are zero
//   c  [m, n]   row-major, leading dimension ldc; only this corner is read or written
// 1 <= m <= 6, 1 <= n <= 16, k >= 0 (k == 0 gives beta * C). beta == 0 never reads c.
// No alignment assumed. Edge tiles go through a local 6 x 16 buffer.
void gemm_ukernel_6x16__avx2_fma(int64_t k, const float* a, const float* b, float* c,
                                 int64_t ldc, int64_t m, int64_t n, float alpha, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();

#pragma GCC unroll 4
  for (int64_t p = 0; p < k; ++p) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    __m256 ai = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(ai, b0, c00);
    c01 = _mm256_fmadd_ps(ai, b1, c01);
    ai = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(ai, b0, c10);
    c11 = _mm256_fmadd_ps(ai, b1, c11);
    ai = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(ai, b0, c20);
    c21 = _mm256_fmadd_ps(ai, b1, c21);
    ai = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(ai, b0, c30);
    c31 = _mm256_fmadd_ps(ai, b1, c31);
    ai = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(ai, b0, c40);
    c41 = _mm256_fmadd_ps(ai, b1, c41);
    ai = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(ai, b0, c50);
    c51 = _mm256_fmadd_ps(ai, b1, c51);
    a += kMR;
    b += kNR;
  }

  const __m256 valpha = _mm256_set1_ps(alpha);
  const __m256 vbeta = _mm256_set1_ps(beta);
  const bool read_c = beta != 0.0f;

  if (m == kMR && n == kNR) {
    store_row_6x16(c + 0 * ldc, c00, c01, valpha, vbeta, read_c);
    store_row_6x16(c + 1 * ldc, c10, c11, valpha, vbeta, read_c);
    store_row_6x16(c + 2 * ldc, c20, c21, valpha, vbeta, read_c);
    store_row_6x16(c + 3 * ldc, c30, c31, valpha, vbeta, read_c);
    store_row_6x16(c + 4 * ldc, c40, c41, valpha, vbeta, read_c);
    store_row_6x16(c + 5 * ldc, c50, c51, valpha, vbeta, read_c);
    return;
  }

  // Edge tile: same arithmetic on a local copy of the m x n corner, then copy it back.
  float buf[kMR * kNR] = {};
  if (read_c) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) buf[i * kNR + j] = c[i * ldc + j];
  }
  store_row_6x16(buf + 0 * kNR, c00, c01, valpha, vbeta, read_c);
  store_row_6x16(buf + 1 * kNR, c10, c11, valpha, vbeta, read_c);
  store_row_6x16(buf + 2 * kNR, c20, c21, valpha, vbeta, read_c);
  store_row_6x16(buf + 3 * kNR, c30, c31, valpha, vbeta, read_c);
  store_row_6x16(buf + 4 * kNR, c40, c41, valpha, vbeta, read_c);
  store_row_6x16(buf + 5 * kNR, c50, c51, valpha, vbeta, read_c);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = buf[i * kNR + j];
}

}  // namespace neurite
