// GEMM microkernel and packing for AVX-512 (AVX512F only): a 12 x 32 tile of C in 24 zmm
// accumulators, B rows as two 16-float vectors, A elements broadcast. Edge tiles use masked
// loads and stores of C, so only the m x n corner is touched.
// Built with -mavx512f -mfma, so it includes nothing that other files could share inline code
// with (the linker might keep the AVX-512 copy). Contract in ukernels.h.
#include <immintrin.h>

#include <cstdint>

#include "../ukernels.h"

namespace neurite {
namespace {

constexpr int64_t kMR = 12, kNR = 32;

// Lanes [0, n) set: none when n <= 0, all when n >= 16.
__attribute__((always_inline)) inline __mmask16 lane_mask(int64_t n) {
  if (n <= 0) return 0;
  return n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1u);
}

// dst[0:16V] (lanes of mask0 / mask1) = alpha * (v0, v1) + beta * dst; read_c == false
// (beta == 0) never reads dst; scale == false (alpha == 1) skips the exact multiply by 1.
template <int V>
__attribute__((always_inline)) inline void store_row(float* dst, __m512 v0, __m512 v1,
                                                     __mmask16 mask0, __mmask16 mask1,
                                                     __m512 valpha, __m512 vbeta, bool read_c,
                                                     bool scale) {
  if (scale) v0 = _mm512_mul_ps(valpha, v0);
  if (read_c) v0 = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(mask0, dst), v0);
  _mm512_mask_storeu_ps(dst, mask0, v0);
  if (V == 2) {
    if (scale) v1 = _mm512_mul_ps(valpha, v1);
    if (read_c) v1 = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(mask1, dst + 16), v1);
    _mm512_mask_storeu_ps(dst + 16, mask1, v1);
  }
}

// The k loop and the store for a tile of R <= 12 rows (R == m) and V 16-wide column vectors
// (V = 1 when n <= 16): edge tiles issue only the FMAs they need, and every element of C sees
// the same FMA sequence (a_i0 b_0j, a_i1 b_1j, ... in order) as in the full tile, so results
// are bitwise equal however the tile grid falls. Named accumulators (not an array) so that GCC
// keeps all 24 in registers.
// A[i, p] is a[i * ars + p * acs] (1 and kMR in a packed panel) and B rows are bs floats apart
// (kNR in a packed panel); B rows must hold 16 V readable floats.
template <int R, int V, int kFixedK = 0>
__attribute__((always_inline)) inline void tile(int64_t k, const float* a, int64_t ars,
                                                int64_t acs, const float* b, int64_t bs,
                                                float* c, int64_t ldc, int64_t n, float alpha,
                                                float beta) {
#define NEURITE_ACC(i) __m512 c##i##_0 = _mm512_setzero_ps(), c##i##_1 = _mm512_setzero_ps()
  NEURITE_ACC(0); NEURITE_ACC(1); NEURITE_ACC(2); NEURITE_ACC(3);
  NEURITE_ACC(4); NEURITE_ACC(5); NEURITE_ACC(6); NEURITE_ACC(7);
  NEURITE_ACC(8); NEURITE_ACC(9); NEURITE_ACC(10); NEURITE_ACC(11);
#undef NEURITE_ACC

  // The tile of C is touched only after the k loop: start fetching its rows now (when the
  // loop is long enough to hide the fetch; short ones only lose load slots to it).
  for (int64_t i = 0; i < (k >= 32 ? R : 0); ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    if (V == 2) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 31), _MM_HINT_T0);
  }

  // Rows in groups of three from one pointer each (g[0], g[ars], g[2 * ars]), so that a
  // runtime row stride needs 4 pointers, not 12 offsets in (too few) general registers.
  const float *g0 = a, *g1 = a + 3 * ars, *g2 = a + 6 * ars, *g3 = a + 9 * ars;
#define NEURITE_ROW(i, g, r)                                \
  if (R > i) {                                              \
    const __m512 ai = _mm512_set1_ps(g[r * ars]);           \
    c##i##_0 = _mm512_fmadd_ps(ai, b0, c##i##_0);           \
    if (V == 2) c##i##_1 = _mm512_fmadd_ps(ai, b1, c##i##_1); \
  }
#define NEURITE_STEP(prefetch)                                                     \
  {                                                                                 \
    if (prefetch) _mm_prefetch(reinterpret_cast<const char*>(b + 8 * bs), _MM_HINT_T0); \
    const __m512 b0 = _mm512_loadu_ps(b);                                           \
    const __m512 b1 = V == 2 ? _mm512_loadu_ps(b + 16) : b0;                        \
    NEURITE_ROW(0, g0, 0) NEURITE_ROW(1, g0, 1) NEURITE_ROW(2, g0, 2)               \
    NEURITE_ROW(3, g1, 0) NEURITE_ROW(4, g1, 1) NEURITE_ROW(5, g1, 2)               \
    NEURITE_ROW(6, g2, 0) NEURITE_ROW(7, g2, 1) NEURITE_ROW(8, g2, 2)               \
    NEURITE_ROW(9, g3, 0) NEURITE_ROW(10, g3, 1) NEURITE_ROW(11, g3, 2)             \
    g0 += acs, g1 += acs, g2 += acs, g3 += acs;                                     \
    b += bs;                                                                        \
  }
  if (kFixedK > 0) {
    // A known short depth: the loop unrolls completely (no counter, no prefetch of B rows
    // that are already the next ones).
#pragma GCC unroll 16
    for (int p = 0; p < kFixedK; ++p) NEURITE_STEP(false)
  } else {
#pragma GCC unroll 4
    for (int64_t p = 0; p < k; ++p) NEURITE_STEP(true)
  }
#undef NEURITE_STEP
#undef NEURITE_ROW

  const __m512 valpha = _mm512_set1_ps(alpha);
  const __m512 vbeta = _mm512_set1_ps(beta);
  const bool read_c = beta != 0.0f, scale = alpha != 1.0f;
  const __mmask16 m0 = lane_mask(n), m1 = lane_mask(n - 16);
#define NEURITE_STORE(i) \
  if (R > i)             \
    store_row<V>(c + i * ldc, c##i##_0, c##i##_1, m0, m1, valpha, vbeta, read_c, scale);
  NEURITE_STORE(0) NEURITE_STORE(1) NEURITE_STORE(2) NEURITE_STORE(3)
  NEURITE_STORE(4) NEURITE_STORE(5) NEURITE_STORE(6) NEURITE_STORE(7)
  NEURITE_STORE(8) NEURITE_STORE(9) NEURITE_STORE(10) NEURITE_STORE(11)
#undef NEURITE_STORE
}

template <int V>
__attribute__((always_inline)) inline void tile_rows(int64_t k, const float* a, int64_t ars,
                                                     int64_t acs, const float* b, int64_t bs,
                                                     float* c, int64_t ldc, int64_t m,
                                                     int64_t n, float alpha, float beta) {
  switch (m) {
    case 1: return tile<1, V>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 2: return tile<2, V>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 3: return tile<3, V>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 4: return tile<4, V>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 5: return tile<5, V>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 6: return tile<6, V>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 7: return tile<7, V>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 8: return tile<8, V>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 9: return tile<9, V>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 10: return tile<10, V>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 11: return tile<11, V>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    default: return tile<12, V>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
  }
}

// The narrow tile: R <= 24 rows of C with n <= 16 columns, one 16-wide accumulator per row.
// B rows are read with masked loads (lanes past n neither read nor stored), so B can be read
// in place up to the last element of its array. Same FMA sequence per element of C as tile.
template <int R>
__attribute__((always_inline)) inline void tile_narrow(int64_t k, const float* a, int64_t ars,
                                                       int64_t acs, const float* b, int64_t bs,
                                                       float* c, int64_t ldc, int64_t n,
                                                       float alpha, float beta) {
#define NEURITE_ACC(i) __m512 c##i = _mm512_setzero_ps()
  NEURITE_ACC(0); NEURITE_ACC(1); NEURITE_ACC(2); NEURITE_ACC(3); NEURITE_ACC(4);
  NEURITE_ACC(5); NEURITE_ACC(6); NEURITE_ACC(7); NEURITE_ACC(8); NEURITE_ACC(9);
  NEURITE_ACC(10); NEURITE_ACC(11); NEURITE_ACC(12); NEURITE_ACC(13); NEURITE_ACC(14);
  NEURITE_ACC(15); NEURITE_ACC(16); NEURITE_ACC(17); NEURITE_ACC(18); NEURITE_ACC(19);
  NEURITE_ACC(20); NEURITE_ACC(21); NEURITE_ACC(22); NEURITE_ACC(23);
#undef NEURITE_ACC
  const __mmask16 mn = lane_mask(n);
  // Rows in groups of three from one pointer each (g[0], g[ars], g[2 * ars]: scaled-index
  // addressing), so the 24 row offsets need not live in (too few) general registers.
  const float *g0 = a, *g1 = a + 3 * ars, *g2 = a + 6 * ars, *g3 = a + 9 * ars;
  const float *g4 = a + 12 * ars, *g5 = a + 15 * ars, *g6 = a + 18 * ars, *g7 = a + 21 * ars;
#define NEURITE_ROW(i, g, r) \
  if (R > i) c##i = _mm512_fmadd_ps(_mm512_set1_ps(g[r * ars]), b0, c##i);
#pragma GCC unroll 2
  for (int64_t p = 0; p < k; ++p) {
    const __m512 b0 = _mm512_maskz_loadu_ps(mn, b);
    NEURITE_ROW(0, g0, 0) NEURITE_ROW(1, g0, 1) NEURITE_ROW(2, g0, 2)
    NEURITE_ROW(3, g1, 0) NEURITE_ROW(4, g1, 1) NEURITE_ROW(5, g1, 2)
    NEURITE_ROW(6, g2, 0) NEURITE_ROW(7, g2, 1) NEURITE_ROW(8, g2, 2)
    NEURITE_ROW(9, g3, 0) NEURITE_ROW(10, g3, 1) NEURITE_ROW(11, g3, 2)
    NEURITE_ROW(12, g4, 0) NEURITE_ROW(13, g4, 1) NEURITE_ROW(14, g4, 2)
    NEURITE_ROW(15, g5, 0) NEURITE_ROW(16, g5, 1) NEURITE_ROW(17, g5, 2)
    NEURITE_ROW(18, g6, 0) NEURITE_ROW(19, g6, 1) NEURITE_ROW(20, g6, 2)
    NEURITE_ROW(21, g7, 0) NEURITE_ROW(22, g7, 1) NEURITE_ROW(23, g7, 2)
    g0 += acs, g1 += acs, g2 += acs, g3 += acs, g4 += acs, g5 += acs, g6 += acs, g7 += acs;
    b += bs;
  }
#undef NEURITE_ROW
  const __m512 valpha = _mm512_set1_ps(alpha);
  const __m512 vbeta = _mm512_set1_ps(beta);
  const bool read_c = beta != 0.0f, scale = alpha != 1.0f;
#define NEURITE_STORE(i) \
  if (R > i) store_row<1>(c + i * ldc, c##i, c##i, mn, 0, valpha, vbeta, read_c, scale);
  NEURITE_STORE(0) NEURITE_STORE(1) NEURITE_STORE(2) NEURITE_STORE(3) NEURITE_STORE(4)
  NEURITE_STORE(5) NEURITE_STORE(6) NEURITE_STORE(7) NEURITE_STORE(8) NEURITE_STORE(9)
  NEURITE_STORE(10) NEURITE_STORE(11) NEURITE_STORE(12) NEURITE_STORE(13) NEURITE_STORE(14)
  NEURITE_STORE(15) NEURITE_STORE(16) NEURITE_STORE(17) NEURITE_STORE(18) NEURITE_STORE(19)
  NEURITE_STORE(20) NEURITE_STORE(21) NEURITE_STORE(22) NEURITE_STORE(23)
#undef NEURITE_STORE
}

// In-register transpose: r[q] becomes column q of the 16 x 16 block whose rows were r[0..15].
__attribute__((always_inline)) inline void transpose_16x16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int h = 0; h < 16; h += 8) {
    for (int i = 0; i < 4; ++i) {
      t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + 4 + i], 0x88);
      t[h + 4 + i] = _mm512_shuffle_f32x4(r[h + i], r[h + 4 + i], 0xDD);
    }
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
    r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xDD);
  }
}

// The column tile: m <= 16 V rows of C (V 16-row vectors) by N <= 12 columns, one accumulator
// per 16 rows of a column, for A with contiguous columns (A[i, p] = a[p * acs + i], read with
// masked loads) and B elements broadcast from b[p * bsp + j * bsj], both in place. The tile is
// transposed in registers before the store. Same FMA sequence per element of C as tile.
template <int V, int N>
__attribute__((always_inline)) inline void tile_columns(int64_t k, const float* a, int64_t acs,
                                                        const float* b, int64_t bsp,
                                                        int64_t bsj, float* c, int64_t ldc,
                                                        int64_t m, float alpha, float beta) {
#define NEURITE_ACC(j) __m512 c##j##_0 = _mm512_setzero_ps(), c##j##_1 = _mm512_setzero_ps()
  NEURITE_ACC(0); NEURITE_ACC(1); NEURITE_ACC(2); NEURITE_ACC(3);
  NEURITE_ACC(4); NEURITE_ACC(5); NEURITE_ACC(6); NEURITE_ACC(7);
  NEURITE_ACC(8); NEURITE_ACC(9); NEURITE_ACC(10); NEURITE_ACC(11);
#undef NEURITE_ACC
  const __mmask16 m0 = lane_mask(m), m1 = lane_mask(m - 16);
  // Columns in groups of three from one pointer each, as the rows of tile_narrow.
  const float *g0 = b, *g1 = b + 3 * bsj, *g2 = b + 6 * bsj, *g3 = b + 9 * bsj;
#define NEURITE_COL(j, g, r)                               \
  if (N > j) {                                             \
    const __m512 bj = _mm512_set1_ps(g[r * bsj]);          \
    c##j##_0 = _mm512_fmadd_ps(a0, bj, c##j##_0);          \
    if (V == 2) c##j##_1 = _mm512_fmadd_ps(a1, bj, c##j##_1); \
  }
#pragma GCC unroll 2
  for (int64_t p = 0; p < k; ++p) {
    const __m512 a0 = _mm512_maskz_loadu_ps(m0, a);
    const __m512 a1 = V == 2 ? _mm512_maskz_loadu_ps(m1, a + 16) : a0;
    NEURITE_COL(0, g0, 0) NEURITE_COL(1, g0, 1) NEURITE_COL(2, g0, 2)
    NEURITE_COL(3, g1, 0) NEURITE_COL(4, g1, 1) NEURITE_COL(5, g1, 2)
    NEURITE_COL(6, g2, 0) NEURITE_COL(7, g2, 1) NEURITE_COL(8, g2, 2)
    NEURITE_COL(9, g3, 0) NEURITE_COL(10, g3, 1) NEURITE_COL(11, g3, 2)
    a += acs;
    g0 += bsp, g1 += bsp, g2 += bsp, g3 += bsp;
  }
#undef NEURITE_COL
  const __m512 valpha = _mm512_set1_ps(alpha);
  const __m512 vbeta = _mm512_set1_ps(beta);
  const bool read_c = beta != 0.0f, scale = alpha != 1.0f;
  const __mmask16 mn = lane_mask(N);
  for (int v = 0; v < V; ++v) {
    const __m512 z = _mm512_setzero_ps();
    __m512 r[16] = {v ? c0_1 : c0_0, v ? c1_1 : c1_0, v ? c2_1 : c2_0,   v ? c3_1 : c3_0,
                    v ? c4_1 : c4_0, v ? c5_1 : c5_0, v ? c6_1 : c6_0,   v ? c7_1 : c7_0,
                    v ? c8_1 : c8_0, v ? c9_1 : c9_0, v ? c10_1 : c10_0, v ? c11_1 : c11_0,
                    z,               z,               z,                 z};
    transpose_16x16(r);
    const int64_t rows = m - 16 * v < 16 ? m - 16 * v : 16;
    float* cv = c + 16 * v * ldc;
    for (int64_t i = 0; i < rows; ++i)
      store_row<1>(cv + i * ldc, r[i], r[i], mn, 0, valpha, vbeta, read_c, scale);
  }
}

template <int V>
__attribute__((always_inline)) inline void tile_columns_n(int64_t k, const float* a,
                                                          int64_t acs, const float* b,
                                                          int64_t bsp, int64_t bsj, float* c,
                                                          int64_t ldc, int64_t m, int64_t n,
                                                          float alpha, float beta) {
  switch (n) {
    case 1: return tile_columns<V, 1>(k, a, acs, b, bsp, bsj, c, ldc, m, alpha, beta);
    case 2: return tile_columns<V, 2>(k, a, acs, b, bsp, bsj, c, ldc, m, alpha, beta);
    case 3: return tile_columns<V, 3>(k, a, acs, b, bsp, bsj, c, ldc, m, alpha, beta);
    case 4: return tile_columns<V, 4>(k, a, acs, b, bsp, bsj, c, ldc, m, alpha, beta);
    case 5: return tile_columns<V, 5>(k, a, acs, b, bsp, bsj, c, ldc, m, alpha, beta);
    case 6: return tile_columns<V, 6>(k, a, acs, b, bsp, bsj, c, ldc, m, alpha, beta);
    case 7: return tile_columns<V, 7>(k, a, acs, b, bsp, bsj, c, ldc, m, alpha, beta);
    case 8: return tile_columns<V, 8>(k, a, acs, b, bsp, bsj, c, ldc, m, alpha, beta);
    case 9: return tile_columns<V, 9>(k, a, acs, b, bsp, bsj, c, ldc, m, alpha, beta);
    case 10: return tile_columns<V, 10>(k, a, acs, b, bsp, bsj, c, ldc, m, alpha, beta);
    case 11: return tile_columns<V, 11>(k, a, acs, b, bsp, bsj, c, ldc, m, alpha, beta);
    default: return tile_columns<V, 12>(k, a, acs, b, bsp, bsj, c, ldc, m, alpha, beta);
  }
}

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

}  // namespace

// Packs rows [i0, i0 + mc) x columns [p0, p0 + kc) of op(A) into 12-tall panels:
// dst[r * 12 * kc + p * 12 + i] = op(A)[i0 + 12r + i, p0 + p], rows past mc zero. Same layout
// as pack_a in gemm.cc with MR = 12.
void gemm_pack_a_12__avx512(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc,
                            int64_t p0, int64_t kc, float* dst) {
  const __mmask16 twelve = lane_mask(kMR);
  for (int64_t ir = 0; ir < mc; ir += kMR) {
    const int64_t m = mc - ir < kMR ? mc - ir : kMR;
    float* d = dst + ir * kc;
    if (transA) {  // op(A)[i, p] = A[p * lda + i]: each k step is m contiguous floats
      const __mmask16 mm = lane_mask(m);
      const float* s = A + p0 * lda + i0 + ir;
      for (int64_t p = 0; p < kc; ++p)
        _mm512_mask_storeu_ps(d + p * kMR, twelve, _mm512_maskz_loadu_ps(mm, s + p * lda));
      continue;
    }
    // op(A)[i, p] = A[i * lda + p]: m row streams; rows 0-7 and 8-11 transposed 8 columns at
    // a time.
    const float* s = A + (i0 + ir) * lda + p0;
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      __m256 r[8], h[8];
      for (int64_t i = 0; i < 8; ++i) {
        r[i] = i < m ? _mm256_loadu_ps(s + i * lda + p) : _mm256_setzero_ps();
        h[i] = i < 4 && 8 + i < m ? _mm256_loadu_ps(s + (8 + i) * lda + p) : _mm256_setzero_ps();
      }
      transpose_8x8(r);
      transpose_8x8(h);
      for (int64_t q = 0; q < 8; ++q) {
        _mm256_storeu_ps(d + (p + q) * kMR, r[q]);
        _mm_storeu_ps(d + (p + q) * kMR + 8, _mm256_castps256_ps128(h[q]));
      }
    }
    for (; p < kc; ++p) {
      for (int64_t i = 0; i < m; ++i) d[p * kMR + i] = s[i * lda + p];
      for (int64_t i = m; i < kMR; ++i) d[p * kMR + i] = 0.0f;
    }
  }
}

// Packs rows [p0, p0 + kc) x columns [j0, j0 + nc) of op(B) into 32-wide panels:
// dst[q * 32 * kc + p * 32 + j] = op(B)[p0 + p, j0 + 32q + j], columns past nc zero. Same
// layout as pack_b in gemm.cc with NR = 32.
void gemm_pack_b_32__avx512(bool transB, const float* B, int64_t ldb, int64_t p0, int64_t kc,
                            int64_t j0, int64_t nc, float* dst) {
  for (int64_t jr = 0; jr < nc; jr += kNR) {
    const int64_t n = nc - jr < kNR ? nc - jr : kNR;
    float* d = dst + jr * kc;
    if (!transB) {  // op(B)[p, j] = B[p * ldb + j]: each k step is n contiguous floats
      const float* s = B + p0 * ldb + j0 + jr;
      const __mmask16 lo = lane_mask(n), hi = lane_mask(n - 16);
      for (int64_t p = 0; p < kc; ++p) {
        _mm512_storeu_ps(d + p * kNR, _mm512_maskz_loadu_ps(lo, s + p * ldb));
        _mm512_storeu_ps(d + p * kNR + 16, _mm512_maskz_loadu_ps(hi, s + p * ldb + 16));
      }
      continue;
    }
    // op(B)[p, j] = B[j * ldb + p]: n row streams, four 8 x 8 transposes per 8 k steps.
    const float* s = B + (j0 + jr) * ldb + p0;
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      for (int64_t h = 0; h < 4; ++h) {
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

// C[m, n] = alpha * (A_panel · B_panel) + beta * C[m, n].
//   a  [k, 12]  packed A panel, a[p * 12 + i] = A[i, p]; rows >= m are zero
//   b  [k, 32]  packed B panel, b[p * 32 + j] = B[p, j]; cols >= n are zero
//   c  [m, n]   row-major, leading dimension ldc; only this corner is read or written
// 1 <= m <= 12, 1 <= n <= 32, k >= 0 (k == 0 gives beta * C). beta == 0 never reads c.
// No alignment assumed. Edge tiles compute only the rows and 16-wide halves they cover.
void gemm_ukernel_12x32__avx512(int64_t k, const float* a, const float* b, float* c,
                                int64_t ldc, int64_t m, int64_t n, float alpha, float beta) {
  if (m == kMR && n == kNR) return tile<kMR, 2>(k, a, 1, kMR, b, kNR, c, ldc, n, alpha, beta);
  if (n <= 16) return tile_rows<1>(k, a, 1, kMR, b, kNR, c, ldc, m, n, alpha, beta);
  return tile_rows<2>(k, a, 1, kMR, b, kNR, c, ldc, m, n, alpha, beta);
}

// The same microkernel reading a full 32-wide column strip of B in place: b[p * ldb + j] for
// j < 32 (n == 32). Results are bitwise those of the packed form.
void gemm_ukernel_12x32_direct_b__avx512(int64_t k, const float* a, const float* b,
                                         int64_t ldb, float* c, int64_t ldc, int64_t m,
                                         float alpha, float beta) {
  if (m == kMR) return tile<kMR, 2>(k, a, 1, kMR, b, ldb, c, ldc, kNR, alpha, beta);
  return tile_rows<2>(k, a, 1, kMR, b, ldb, c, ldc, m, kNR, alpha, beta);
}

// The most general form: A[i, p] = a[i * ars + p * acs] and B[p, j] = b[p * bs + j], either
// packed or in place (a packed panel has ars = 1, acs = 12 or bs = 32). B rows must hold 32
// readable floats when n > 16, else 16. Results are bitwise those of the packed form.
void gemm_ukernel_12x32_strided__avx512(int64_t k, const float* a, int64_t ars, int64_t acs,
                                        const float* b, int64_t bs, float* c, int64_t ldc,
                                        int64_t m, int64_t n, float alpha, float beta) {
  if (m == kMR && n == kNR && k <= 16) {
    // Short full tiles (products with K <= 16 read A in place): the k loop fully unrolled for
    // each depth, no loop counter and no prefetch (the B rows are already the next ones).
    switch (k) {
#define NEURITE_SHORT(K) \
  case K: return tile<kMR, 2, K>(K, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
      NEURITE_SHORT(1) NEURITE_SHORT(2) NEURITE_SHORT(3) NEURITE_SHORT(4)
      NEURITE_SHORT(5) NEURITE_SHORT(6) NEURITE_SHORT(7) NEURITE_SHORT(8)
      NEURITE_SHORT(9) NEURITE_SHORT(10) NEURITE_SHORT(11) NEURITE_SHORT(12)
      NEURITE_SHORT(13) NEURITE_SHORT(14) NEURITE_SHORT(15) NEURITE_SHORT(16)
#undef NEURITE_SHORT
      default: break;
    }
  }
  if (n <= 16) return tile_rows<1>(k, a, ars, acs, b, bs, c, ldc, m, n, alpha, beta);
  return tile_rows<2>(k, a, ars, acs, b, bs, c, ldc, m, n, alpha, beta);
}


// The narrow microkernel: C[m, n] = alpha * A · B + beta * C for m <= 24, n <= 16, with
// A[i, p] = a[i * ars + p * acs] and B[p, j] = b[p * bs + j] for j < n, both read in place
// (only n floats of each B row are read). Results are bitwise those of the 12 x 32 forms.
void gemm_ukernel_24x16_strided__avx512(int64_t k, const float* a, int64_t ars, int64_t acs,
                                        const float* b, int64_t bs, float* c, int64_t ldc,
                                        int64_t m, int64_t n, float alpha, float beta) {
  switch (m) {
    case 1: return tile_narrow<1>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 2: return tile_narrow<2>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 3: return tile_narrow<3>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 4: return tile_narrow<4>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 5: return tile_narrow<5>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 6: return tile_narrow<6>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 7: return tile_narrow<7>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 8: return tile_narrow<8>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 9: return tile_narrow<9>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 10: return tile_narrow<10>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 11: return tile_narrow<11>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 12: return tile_narrow<12>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 13: return tile_narrow<13>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 14: return tile_narrow<14>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 15: return tile_narrow<15>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 16: return tile_narrow<16>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 17: return tile_narrow<17>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 18: return tile_narrow<18>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 19: return tile_narrow<19>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 20: return tile_narrow<20>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 21: return tile_narrow<21>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 22: return tile_narrow<22>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    case 23: return tile_narrow<23>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
    default: return tile_narrow<24>(k, a, ars, acs, b, bs, c, ldc, n, alpha, beta);
  }
}

// The column microkernel: C[m, n] = alpha * A · B + beta * C for m <= 32, n <= 12, with
// A[i, p] = a[p * acs + i] (columns contiguous, read with masked loads) and
// B[p, j] = b[p * bsp + j * bsj], both in place. Results are bitwise those of the other forms.
void gemm_ukernel_32x12_columns__avx512(int64_t k, const float* a, int64_t acs,
                                        const float* b, int64_t bsp, int64_t bsj, float* c,
                                        int64_t ldc, int64_t m, int64_t n, float alpha,
                                        float beta) {
  if (m <= 16) return tile_columns_n<1>(k, a, acs, b, bsp, bsj, c, ldc, m, n, alpha, beta);
  return tile_columns_n<2>(k, a, acs, b, bsp, bsj, c, ldc, m, n, alpha, beta);
}

// Copies a transposed B of n <= 16 columns into 16-wide rows for the narrow microkernel:
// dst[p * 16 + j] = B[j * ldb + p] for p < k, j < n (lanes past n hold zeros). 16 x 16 blocks
// transposed in registers; only the k x n floats of B are read.
void gemm_pack_b_16t__avx512(const float* B, int64_t ldb, int64_t k, int64_t n, float* dst) {
  for (int64_t p = 0; p < k; p += 16) {
    const int64_t kk = k - p < 16 ? k - p : 16;
    const __mmask16 mk = lane_mask(kk);
    __m512 r[16];
    for (int64_t j = 0; j < 16; ++j)
      r[j] = j < n ? _mm512_maskz_loadu_ps(mk, B + j * ldb + p) : _mm512_setzero_ps();
    transpose_16x16(r);
    for (int64_t q = 0; q < kk; ++q) _mm512_storeu_ps(dst + (p + q) * 16, r[q]);
  }
}


// One 16 x 4 block of gemm_pack_a_32t__avx512: rows [0, 16) x columns [p, p + w) of a (row
// stride lda) to d[q * 32 + i]; kFull: 16 rows and w == 4, so no edge checks (~10% of the pack).
template <bool kFull>
__attribute__((always_inline)) inline void pack_a_32t_block(const float* a, int64_t lda,
                                                            int64_t rows, int64_t p, int64_t w,
                                                            float* d) {
  const __m128i tail = _mm_cmpgt_epi32(_mm_set1_epi32(int(w)), _mm_setr_epi32(0, 1, 2, 3));
  // row i's 4 floats from column p (zeros past column p + w or past the last row)
  auto piece = [&](int64_t i) {
    if (!kFull && i >= rows) return _mm_setzero_ps();
    return kFull || w == 4 ? _mm_loadu_ps(a + i * lda + p)
                           : _mm_maskload_ps(a + i * lda + p, tail);
  };
  __m512 t[4];
  for (int64_t b = 0; b < 4; ++b) {
    __m512 v = _mm512_zextps128_ps512(piece(b));
    v = _mm512_insertf32x4(v, piece(b + 4), 1);
    v = _mm512_insertf32x4(v, piece(b + 8), 2);
    t[b] = _mm512_insertf32x4(v, piece(b + 12), 3);
  }
  const __m512 u0 = _mm512_unpacklo_ps(t[0], t[1]), u1 = _mm512_unpackhi_ps(t[0], t[1]);
  const __m512 u2 = _mm512_unpacklo_ps(t[2], t[3]), u3 = _mm512_unpackhi_ps(t[2], t[3]);
  _mm512_storeu_ps(d, _mm512_shuffle_ps(u0, u2, 0x44));
  if (kFull || w > 1) _mm512_storeu_ps(d + 32, _mm512_shuffle_ps(u0, u2, 0xEE));
  if (kFull || w > 2) _mm512_storeu_ps(d + 64, _mm512_shuffle_ps(u1, u3, 0x44));
  if (kFull || w > 3) _mm512_storeu_ps(d + 96, _mm512_shuffle_ps(u1, u3, 0xEE));
}

// Packs rows [0, m) x columns [0, k) of row-major A (m <= 32) as the columns of a 32-row panel
// for the column microkernel: dst[p * 32 + i] = A[i * lda + p], rows past m zero (only rows
// below 16 written when m <= 16: the microkernel then reads no more). Per 16 x 4 block, the
// 4-float pieces of rows b, b + 4, b + 8, b + 12 are inserted into the four 128-bit lanes of
// vector b (loads and inserts, which the other vector port can run), then a 4 x 4 transpose
// inside each lane gives the 4 columns: 8 shuffles per 64 floats against 16 for a 16 x 16
// register transpose (64 x 128: 0.72 -> 0.54 us). Only the m x k floats of A are read.
void gemm_pack_a_32t__avx512(const float* A, int64_t lda, int64_t m, int64_t k, float* dst) {
  for (int64_t h = 0; h < (m > 16 ? 32 : 16); h += 16) {
    const int64_t rows = m - h;
    const float* a = A + h * lda;
    int64_t p = 0;
    if (rows >= 16)
      for (; p + 4 <= k; p += 4) pack_a_32t_block<true>(a, lda, rows, p, 4, dst + p * 32 + h);
    for (; p < k; p += 4)
      pack_a_32t_block<false>(a, lda, rows, p, k - p < 4 ? k - p : 4, dst + p * 32 + h);
  }
}

}  // namespace neurite
