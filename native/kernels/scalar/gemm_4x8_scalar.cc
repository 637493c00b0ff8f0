// Portable GEMM microkernel: a 4 x 8 tile of C accumulated in plain loops the compiler may
// vectorize at the baseline ISA (SSE2 on x86-64). The fallback on every CPU and the scalar
// twin of the SIMD microkernels. Contract in ukernels.h.
#include "../ukernels.h"

#include "../../runtime/check.h"

namespace neurite {

// C[m, n] = alpha * (A_panel · B_panel) + beta * C[m, n].
//   a  [k, 4]  packed A panel, a[p * 4 + i] = A[i, p]; rows >= m are zero
//   b  [k, 8]  packed B panel, b[p * 8 + j] = B[p, j]; cols >= n are zero
//   c  [m, n]  row-major, leading dimension ldc; only this corner is read or written
// 1 <= m <= 4, 1 <= n <= 8, k >= 0 (k == 0 gives beta * C). beta == 0 never reads c.
void gemm_ukernel_4x8__scalar(int64_t k, const float* a, const float* b, float* c, int64_t ldc,
                              int64_t m, int64_t n, float alpha, float beta) {
  constexpr int64_t MR = 4, NR = 8;
  NEURITE_ASSERT(m >= 1 && m <= MR && n >= 1 && n <= NR && k >= 0);

  // Accumulate the full tile: zero padding makes the edge rows/columns harmless.
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < k; ++p) {
    const float* ap = a + p * MR;
    const float* bp = b + p * NR;
    for (int64_t i = 0; i < MR; ++i) {
      const float ai = ap[i];
      for (int64_t j = 0; j < NR; ++j) acc[i][j] += ai * bp[j];
    }
  }

  // Write only the m x n corner.
  if (beta == 0.0f) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = alpha * acc[i][j];
  } else {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = alpha * acc[i][j] + beta * c[i * ldc + j];
  }
}

}  // namespace neurite
