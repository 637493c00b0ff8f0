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

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
// AVX2 packing for the 6 x 16 microkernel (kernels/x86/gemm_6x16_avx2_fma.cc): same layouts as
// gemm.cc's pack_a / pack_b with MR = 6, NR = 16, with 8 x 8 register transposes for the strided
// operands. Used only together with gemm_ukernel_6x16__avx2_fma, so only on CPUs with AVX2.
void gemm_pack_a_6__avx2_fma(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc,
                             int64_t p0, int64_t kc, float* dst);
void gemm_pack_b_16__avx2_fma(bool transB, const float* B, int64_t ldb, int64_t p0, int64_t kc,
                              int64_t j0, int64_t nc, float* dst);
// The 6 x 16 microkernel reading a full 16-column strip of row-major B in place (row stride
// ldb) instead of a packed panel; bitwise the same results.
void gemm_ukernel_6x16_direct_b__avx2_fma(int64_t k, const float* a, const float* b,
                                          int64_t ldb, float* c, int64_t ldc, int64_t m,
                                          float alpha, float beta);
// The 6 x 16 microkernel with A[i, p] = a[i * ars + p * acs] and B rows bs apart, packed or in
// place; bitwise the same results.
void gemm_ukernel_6x16_strided__avx2_fma(int64_t k, const float* a, int64_t ars, int64_t acs,
                                         const float* b, int64_t bs, float* c, int64_t ldc,
                                         int64_t m, int64_t n, float alpha, float beta);
// AVX-512 packing and in-place forms of the 12 x 32 microkernel
// (kernels/x86/gemm_12x32_avx512.cc), same layouts and contracts as the AVX2 ones above with
// MR = 12, NR = 32. Used only together with gemm_ukernel_12x32__avx512.
void gemm_pack_a_12__avx512(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc,
                            int64_t p0, int64_t kc, float* dst);
void gemm_pack_b_32__avx512(bool transB, const float* B, int64_t ldb, int64_t p0, int64_t kc,
                            int64_t j0, int64_t nc, float* dst);
void gemm_ukernel_12x32_direct_b__avx512(int64_t k, const float* a, const float* b,
                                         int64_t ldb, float* c, int64_t ldc, int64_t m,
                                         float alpha, float beta);
void gemm_ukernel_12x32_strided__avx512(int64_t k, const float* a, int64_t ars, int64_t acs,
                                        const float* b, int64_t bs, float* c, int64_t ldc,
                                        int64_t m, int64_t n, float alpha, float beta);
// The narrow AVX-512 microkernel for n <= 16 columns: m <= 24 rows, one 16-wide accumulator
// per row, A and B strided as in the strided form, B rows read with masked loads (only n
// floats of each), so both operands can be read in place. Bitwise the same results.
void gemm_ukernel_24x16_strided__avx512(int64_t k, const float* a, int64_t ars, int64_t acs,
                                        const float* b, int64_t bs, float* c, int64_t ldc,
                                        int64_t m, int64_t n, float alpha, float beta);
// dst[p * 16 + j] = B[j * ldb + p] for p < k, j < n <= 16 (lanes past n zero): a transposed
// B in the 16-wide rows the narrow microkernel reads.
void gemm_pack_b_16t__avx512(const float* B, int64_t ldb, int64_t k, int64_t n, float* dst);
// dst[p * 32 + i] = A[i * lda + p] for p < k, i < m <= 32 (rows past m zero; only the first
// 16 rows of each step written when m <= 16): an untransposed A as the contiguous columns the
// column microkernel reads (acs = 32).
void gemm_pack_a_32t__avx512(const float* A, int64_t lda, int64_t m, int64_t k, float* dst);
// The column AVX-512 microkernel for transposed A and n <= 12: m <= 32 rows as two 16-row
// vectors per column of C, A[i, p] = a[p * acs + i] read with masked loads, B[p, j] =
// b[p * bsp + j * bsj] broadcast, both in place; the tile is transposed in registers before
// the store. Bitwise the same results.
void gemm_ukernel_32x12_columns__avx512(int64_t k, const float* a, int64_t acs,
                                        const float* b, int64_t bsp, int64_t bsj, float* c,
                                        int64_t ldc, int64_t m, int64_t n, float alpha,
                                        float beta);
#endif

}  // namespace neurite
