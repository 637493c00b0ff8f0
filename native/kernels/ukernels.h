// Microkernel signatures and the UKernels table. runtime/dispatch.cc fills one table at load
// time with the best microkernels the CPU supports; everything else calls through it.
#pragma once
#include <cstdint>

namespace neurite {

// GEMM microkernel: C[m, n] = alpha * (A_panel · B_panel) + beta * C[m, n].
//   a  packed A panel: k columns of MR floats (a[p * MR + i] = A[i, p]), rows >= m zero-padded
//   b  packed B panel: k rows of NR floats (b[p * NR + j] = B[p, j]), cols >= n zero-padded
//   c  row-major with leading dimension ldc; only the m x n corner is read or written
// 1 <= m <= MR, 1 <= n <= NR, k >= 1 (k == 0 is allowed and gives beta * C).
// beta == 0 never reads C (it may hold NaN). Panels need no particular alignment.
using GemmUkernel = void (*)(int64_t k, const float* a, const float* b, float* c, int64_t ldc,
                             int64_t m, int64_t n, float alpha, float beta);

struct UKernels {
  const char* isa;   // "avx512", "avx2-fma" or "baseline"
  GemmUkernel gemm;  // register-blocked microkernel
  int64_t mr, nr;    // its register tile
  int64_t mc, kc, nc;  // cache blocking: A block MC x KC (L2), B panel KC x NC (L3)
};

void gemm_ukernel_6x16__avx2_fma(int64_t k, const float* a, const float* b, float* c,
                                 int64_t ldc, int64_t m, int64_t n, float alpha, float beta);
void gemm_ukernel_12x32__avx512(int64_t k, const float* a, const float* b, float* c,
                                int64_t ldc, int64_t m, int64_t n, float alpha, float beta);
void gemm_ukernel_4x8__scalar(int64_t k, const float* a, const float* b, float* c, int64_t ldc,
                              int64_t m, int64_t n, float alpha, float beta);

}  // namespace neurite
