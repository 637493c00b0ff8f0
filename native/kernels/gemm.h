// Single-precision GEMM: C = alpha * op(A) · op(B) + beta * C, row-major, with transposes,
// plus strided and offset-batched forms. BLIS-style blocking around the microkernel of a
// UKernels table (see gemm.cc); convolution, linear, attention and RNNs all call these.
#pragma once
#include <cstdint>

#include "ukernels.h"

namespace neurite {

// C = alpha * op(A) · op(B) + beta * C.
//   C      [M, N]  in/out, leading dimension ldc >= N
//   op(A)  [M, K]  transA: A is stored [K, M] (lda >= M), else [M, K] (lda >= K)
//   op(B)  [K, N]  transB: B is stored [N, K] (ldb >= K), else [K, N] (ldb >= N)
// Row-major; C must not alias A or B. beta == 0 never reads C (it may hold NaN). M == 0 or
// N == 0 does nothing; K == 0 or alpha == 0 gives beta * C without reading A or B (BLAS
// convention). Runs on the pool; the result is bitwise the same for any thread count.
void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
          const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
          int64_t ldc);

// gemm on the calling thread only, for callers that already split their work over the pool
// (e.g. one image group per thread); bitwise the same result as gemm.
void gemm_serial(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                 const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                 int64_t ldc);

// gemm with an explicit microkernel table (tests compare baseline and avx2-fma).
void gemm_with(const UKernels& uk, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
               float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
               float beta, float* C, int64_t ldc);

// batch independent products; product b uses A + b * strideA, B + b * strideB and
// C + b * strideC. Output matrices must not overlap.
void gemm_strided_batched(int64_t batch, bool transA, bool transB, int64_t M, int64_t N,
                          int64_t K, float alpha, const float* A, int64_t lda, int64_t strideA,
                          const float* B, int64_t ldb, int64_t strideB, float beta, float* C,
                          int64_t ldc, int64_t strideC);

// batch independent products with per-product element offsets (broadcast batched matmul):
// product b uses A + a_off[b], B + b_off[b] and C + c_off[b]. Inputs may be shared between
// products; output matrices must not overlap.
void gemm_batched(int64_t batch, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                  float alpha, const float* A, const int64_t* a_off, int64_t lda,
                  const float* B, const int64_t* b_off, int64_t ldb, float beta, float* C,
                  const int64_t* c_off, int64_t ldc);

}  // namespace neurite
