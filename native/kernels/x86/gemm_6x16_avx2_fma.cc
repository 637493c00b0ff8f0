// AVX2/FMA GEMM microkernel: a 6 x 16 tile of C in 12 ymm accumulators; each k step loads one
// 16-wide row of the B panel (2 ymm), broadcasts 6 values of the A panel and issues 12 FMAs.
// Also the AVX2 packing routines for its 6-tall A and 16-wide B panels (8 x 8 transposes for
// the strided cases), which gemm.cc uses with this microkernel.
// Built with -mavx2 -mfma, so it includes nothing that other files could share inline code
// with (the linker might keep the AVX2 copy). Contract in ukernels.h.
#include <immintrin.h>

#include <cstdint>

#include "../ukernels.h"

namespace neurite {
namespace {

constexpr int64_t kMR = 6, kNR = 16;

// In-register transpose: r[q] becomes column q of the 8 x 8 block whose rows were r[0..7].
__attribute__((always_inline)) inline void transpose_8x8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// Lanes [0, n) set, for maskload/maskstore (0 <= n <= 8).
__attribute__((always_inline)) inline __m256i lane_mask(int64_t n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), idx);
}

}  // namespace

// Packs rows [i0, i0 + mc) x columns [p0, p0 + kc) of op(A) into 6-tall panels:
// dst[r * 6 * kc + p * 6 + i] = op(A)[i0 + 6r + i, p0 + p], rows past mc zero. Same layout as
// pack_a in gemm.cc with MR = 6.
void gemm_pack_a_6__avx2_fma(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc,
                             int64_t p0, int64_t kc, float* dst) {
  const __m256i six = lane_mask(kMR);
  for (int64_t ir = 0; ir < mc; ir += kMR) {
    const int64_t m = mc - ir < kMR ? mc - ir : kMR;
    float* d = dst + ir * kc;
    if (transA) {  // op(A)[i, p] = A[p * lda + i]: each k step is m contiguous floats
      const __m256i mm = lane_mask(m);
      const float* s = A + p0 * lda + i0 + ir;
      for (int64_t p = 0; p < kc; ++p) _mm256_maskstore_ps(d + p * kMR, six,
                                                           _mm256_maskload_ps(s + p * lda, mm));
      continue;
    }
    // op(A)[i, p] = A[i * lda + p]: m row streams, transposed 8 columns at a time.
    const float* s = A + (i0 + ir) * lda + p0;
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      __m256 r[8];
      for (int64_t i = 0; i < 8; ++i)
        r[i] = i < m ? _mm256_loadu_ps(s + i * lda + p) : _mm256_setzero_ps();
      transpose_8x8(r);
      for (int64_t q = 0; q < 7; ++q) _mm256_storeu_ps(d + (p + q) * kMR, r[q]);
      _mm256_maskstore_ps(d + (p + 7) * kMR, six, r[7]);
    }
    for (; p < kc; ++p) {
      for (int64_t i = 0; i < m; ++i) d[p * kMR + i] = s[i * lda + p];
      for (int64_t i = m; i < kMR; ++i) d[p * kMR + i] = 0.0f;
    }
  }
}

// Packs rows [p0, p0 + kc) x columns [j0, j0 + nc) of op(B) into 16-wide panels:
// dst[q * 16 * kc + p * 16 + j] = op(B)[p0 + p, j0 + 16q + j], columns past nc zero. Same
// layout as pack_b in gemm.cc with NR = 16.
void gemm_pack_b_16__avx2_fma(bool transB, const float* B, int64_t ldb, int64_t p0, int64_t kc,
                              int64_t j0, int64_t nc, float* dst) {
  for (int64_t jr = 0; jr < nc; jr += kNR) {
    const int64_t n = nc - jr < kNR ? nc - jr : kNR;
    float* d = dst + jr * kc;
    if (!transB) {  // op(B)[p, j] = B[p * ldb + j]: each k step is n contiguous floats
      const float* s = B + p0 * ldb + j0 + jr;
      if (n == kNR) {
        for (int64_t p = 0; p < kc; ++p) {
          _mm256_storeu_ps(d + p * kNR, _mm256_loadu_ps(s + p * ldb));
          _mm256_storeu_ps(d + p * kNR + 8, _mm256_loadu_ps(s + p * ldb + 8));
        }
      } else {
        const __m256i lo = lane_mask(n < 8 ? n : 8), hi = lane_mask(n > 8 ? n - 8 : 0);
        for (int64_t p = 0; p < kc; ++p) {
          _mm256_storeu_ps(d + p * kNR, _mm256_maskload_ps(s + p * ldb, lo));
          _mm256_storeu_ps(d + p * kNR + 8, _mm256_maskload_ps(s + p * ldb + 8, hi));
        }
      }
      continue;
    }
    // op(B)[p, j] = B[j * ldb + p]: n row streams, two 8 x 8 transposes per 8 k steps.
    const float* s = B + (j0 + jr) * ldb + p0;
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      for (int64_t h = 0; h < 2; ++h) {
        __m256 r[8];
        for (int64_t j = 0; j < 8; ++j)
          r[j] = 8 * h + j < n ? _mm256_loadu_ps(s + (8 * h + j) * ldb + p) : _mm256_setzero_ps();
        transpose_8x8(r);
        for (int64_t q = 0; q < 8; ++q) _mm256_storeu_ps(d + (p + q) * kNR + 8 * h, r[q]);
      }
    }
    for (; p < kc; ++p) {
      for (int64_t j = 0; j < n; ++j) d[p * kNR + j] = s[j * ldb + p];
      for (int64_t j = n; j < kNR; ++j) d[p * kNR + j] = 0.0f;
    }
  }
}

namespace {

// The k loop and the store for a tile of R <= 6 rows and V 8-wide column vectors (V = 1 when
// n <= 8): edge tiles issue only the FMAs they need, and every element of C still sees the
// same FMA sequence (a_i0 b_0j, a_i1 b_1j, ... in order) as in the full tile, so results are
// bitwise equal however the tile grid falls.
// dst[0:8V] = alpha * (v0, v1) + beta * dst[0:8V]; read_c == false (beta == 0) never reads dst.
template <int V>
__attribute__((always_inline)) inline void store_row(float* dst, __m256 v0, __m256 v1,
                                                     __m256 valpha, __m256 vbeta, bool read_c) {
  v0 = _mm256_mul_ps(valpha, v0);
  if (read_c) v0 = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(dst), v0);
  _mm256_storeu_ps(dst, v0);
  if (V == 2) {
    v1 = _mm256_mul_ps(valpha, v1);
    if (read_c) v1 = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(dst + 8), v1);
    _mm256_storeu_ps(dst + 8, v1);
  }
}

// The k loop and the store for a tile of R <= 6 rows and V 8-wide column vectors (V = 1 when
// n <= 8): edge tiles issue only the FMAs they need, and every element of C still sees the
// same FMA sequence (a_i0 b_0j, a_i1 b_1j, ... in order) as in the full tile, so results are
// bitwise equal however the tile grid falls. Named accumulators (not an array) so that GCC
// keeps all twelve in registers.
// A[i, p] is a[i * ars + p * acs] (1 and kMR in a packed panel) and B rows are bs floats apart
// (kNR in a packed panel): read in place, an operand needs no packing.
template <int R, int V>
__attribute__((always_inline)) inline void tile(int64_t k, const float* a, int64_t ars,
                                                int64_t acs, const float* b, int64_t bs,
                                                float* c, int64_t ldc, int64_t m, int64_t n,
                                                float alpha, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();

  // The tile of C is touched only after the k loop: start fetching its rows now (a row may
  // straddle two cache lines).
  for (int64_t i = 0; i < m; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 8 * V - 1), _MM_HINT_T0);
  }

#pragma GCC unroll 4
  for (int64_t p = 0; p < k; ++p) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * bs), _MM_HINT_T0);
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = V == 2 ? _mm256_loadu_ps(b + 8) : b0;
    __m256 ai = _mm256_broadcast_ss(a + 0 * ars);
    c00 = _mm256_fmadd_ps(ai, b0, c00);
    if (V == 2) c01 = _mm256_fmadd_ps(ai, b1, c01);
    if (R > 1) {
      ai = _mm256_broadcast_ss(a + 1 * ars);
      c10 = _mm256_fmadd_ps(ai, b0, c10);
      if (V == 2) c11 = _mm256_fmadd_ps(ai, b1, c11);
    }
    if (R > 2) {
      ai = _mm256_broadcast_ss(a + 2 * ars);
      c20 = _mm256_fmadd_ps(ai, b0, c20);
      if (V == 2) c21 = _mm256_fmadd_ps(ai, b1, c21);
    }
    if (R > 3) {
      ai = _mm256_broadcast_ss(a + 3 * ars);
      c30 = _mm256_fmadd_ps(ai, b0, c30);
      if (V == 2) c31 = _mm256_fmadd_ps(ai, b1, c31);
    }
    if (R > 4) {
      ai = _mm256_broadcast_ss(a + 4 * ars);
      c40 = _mm256_fmadd_ps(ai, b0, c40);
      if (V == 2) c41 = _mm256_fmadd_ps(ai, b1, c41);
    }
    if (R > 5) {
      ai = _mm256_broadcast_ss(a + 5 * ars);
      c50 = _mm256_fmadd_ps(ai, b0, c50);
      if (V == 2) c51 = _mm256_fmadd_ps(ai, b1, c51);
    }
    a += acs;
    b += bs;
  }

  const __m256 valpha = _mm256_set1_ps(alpha);
  const __m256 vbeta = _mm256_set1_ps(beta);
  const bool read_c = beta != 0.0f;
  const bool full = m == R && n == 8 * V;

  // Edge tiles: same arithmetic on a local copy of the m x n corner, then copy it back.
  float buf[kMR * kNR];
  float* dst = full ? c : buf;
  const int64_t ld = full ? ldc : kNR;
  if (!full && read_c) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) buf[i * kNR + j] = c[i * ldc + j];
  }
  store_row<V>(dst, c00, c01, valpha, vbeta, read_c);
  if (R > 1) store_row<V>(dst + ld, c10, c11, valpha, vbeta, read_c);
  if (R > 2) store_row<V>(dst + 2 * ld, c20, c21, valpha, vbeta, read_c);
  if (R > 3) store_row<V>(dst + 3 * ld, c30, c31, valpha, vbeta, read_c);
  if (R > 4) store_row<V>(dst + 4 * ld, c40, c41, valpha, vbeta, read_c);
  if (R > 5) store_row<V>(dst + 5 * ld, c50, c51, valpha, vbeta, read_c);
  if (!full) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = buf[i * kNR + j];
  }
}

template <int V>
__attribute__((always_inline)) inline void tile_rows(int64_t k, const float* a, int64_t ars, int64_t acs, const float* b, int64_t bs,
               float* c, int64_t ldc, int64_t m, int64_t n, float alpha, float beta) {
  switch (m) {
    case 1: return tile<1, V>(k, a, ars, acs, b, bs, c, ldc, m, n, alpha, beta);
    case 2: return tile<2, V>(k, a, ars, acs, b, bs, c, ldc, m, n, alpha, beta);
    case 3: return tile<3, V>(k, a, ars, acs, b, bs, c, ldc, m, n, alpha, beta);
    case 4: return tile<4, V>(k, a, ars, acs, b, bs, c, ldc, m, n, alpha, beta);
    case 5: return tile<5, V>(k, a, ars, acs, b, bs, c, ldc, m, n, alpha, beta);
    default: return tile<6, V>(k, a, ars, acs, b, bs, c, ldc, m, n, alpha, beta);
  }
}

}  // namespace

// C[m, n] = alpha * (A_panel · B_panel) + beta * C[m, n].
//   a  [k, 6]   packed A panel, a[p * 6 + i] = A[i, p]; rows >= m are zero
//   b  [k, 16]  packed B panel, b[p * 16 + j] = B[p, j]; cols >= n are zero
//   c  [m, n]   row-major, leading dimension ldc; only this corner is read or written
// 1 <= m <= 6, 1 <= n <= 16, k >= 0 (k == 0 gives beta * C). beta == 0 never reads c.
// No alignment assumed. Edge tiles compute only the rows and 8-wide halves they cover.
void gemm_ukernel_6x16__avx2_fma(int64_t k, const float* a, const float* b, float* c,
                                 int64_t ldc, int64_t m, int64_t n, float alpha, float beta) {
  if (m == kMR && n == kNR) return tile<kMR, 2>(k, a, 1, kMR, b, kNR, c, ldc, m, n, alpha, beta);
  if (n <= 8) return tile_rows<1>(k, a, 1, kMR, b, kNR, c, ldc, m, n, alpha, beta);
  return tile_rows<2>(k, a, 1, kMR, b, kNR, c, ldc, m, n, alpha, beta);
}

// The same microkernel reading a full 16-wide column strip of B in place: b[p * ldb + j] for
// j < 16 (all 16 columns must exist; n == 16). gemm.cc uses it when M is small, where packing
// B would cost more than the few tiles that reuse it. Results are bitwise those of the packed
// form.
void gemm_ukernel_6x16_direct_b__avx2_fma(int64_t k, const float* a, const float* b,
                                          int64_t ldb, float* c, int64_t ldc, int64_t m,
                                          float alpha, float beta) {
  if (m == kMR) return tile<kMR, 2>(k, a, 1, kMR, b, ldb, c, ldc, m, kNR, alpha, beta);
  return tile_rows<2>(k, a, 1, kMR, b, ldb, c, ldc, m, kNR, alpha, beta);
}

// The most general form: A[i, p] = a[i * ars + p * acs] and B[p, j] = b[p * bs + j], either
// packed or in place (a packed panel has ars = 1, acs = 6 or bs = 16). B rows must hold 16
// readable floats when n > 8, else 8. gemm.cc reads A in place when N spans few panels, so
// that A, used only by those panels, is not packed. Results are bitwise those of the packed
// form.
void gemm_ukernel_6x16_strided__avx2_fma(int64_t k, const float* a, int64_t ars, int64_t acs,
                                         const float* b, int64_t bs, float* c, int64_t ldc,
                                         int64_t m, int64_t n, float alpha, float beta) {
  if (n <= 8) return tile_rows<1>(k, a, ars, acs, b, bs, c, ldc, m, n, alpha, beta);
  return tile_rows<2>(k, a, ars, acs, b, bs, c, ldc, m, n, alpha, beta);
}

}  // namespace neurite
