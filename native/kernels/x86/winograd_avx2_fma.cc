// AVX2/FMA twin of the Winograd F(4x4, 3x3) tile transforms (contracts in winograd.h), the
// AVX-512 twin (winograd_avx512.cc) at 8 tiles per ymm lane set: 6x6 input patches read with
// masked gathers (masked-off lanes read zero: the padding), output tiles written row by row
// with masked stores (clipped at OH x OW). Lane offsets are 32-bit, relative to the group's
// first image; a group whose offsets would not fit falls back to the baseline transforms.
#include <immintrin.h>

#include <climits>
#include <cstdint>

#include "../conv.h"
#include "../winograd.h"

namespace neurite {
namespace {

constexpr int64_t kL = 8;

// Local, not std::min: an inline template instantiated here could be the copy the linker keeps
// for baseline code too.
inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// o = B^T d for six vectors of 8 lanes (points 0, 1, -1, 2, -1/2, inf; see winograd.cc).
inline void input_1d(const __m256* d, __m256* o) {
  const __m256 half = _mm256_set1_ps(0.5f), one5 = _mm256_set1_ps(1.5f);
  const __m256 two = _mm256_set1_ps(2.f), two5 = _mm256_set1_ps(2.5f);
  const __m256 c = _mm256_sub_ps(d[4], d[2]), e = _mm256_sub_ps(d[3], d[1]);
  o[0] = _mm256_fnmadd_ps(one5, e, _mm256_fnmadd_ps(two, d[2], _mm256_add_ps(d[0], d[4])));
  o[1] = _mm256_fnmadd_ps(half, d[3], _mm256_fnmadd_ps(two5, d[2], _mm256_sub_ps(d[4], d[1])));
  o[2] = _mm256_fnmadd_ps(two5, d[3], _mm256_fmadd_ps(half, d[2], _mm256_add_ps(d[4], d[1])));
  o[3] = _mm256_fmadd_ps(half, e, c);
  o[4] = _mm256_fnmadd_ps(two, e, c);
  o[5] = _mm256_fmadd_ps(one5, _mm256_sub_ps(d[2], d[4]),
                         _mm256_fnmadd_ps(two, d[3], _mm256_add_ps(d[1], d[5])));
}

// o = A^T m (4 of 6 rows) for six vectors of 8 lanes.
inline void output_1d(const __m256* m, __m256* o) {
  const __m256 two = _mm256_set1_ps(2.f), four = _mm256_set1_ps(4.f);
  const __m256 eight = _mm256_set1_ps(8.f), half = _mm256_set1_ps(0.5f);
  const __m256 quarter = _mm256_set1_ps(0.25f), eighth = _mm256_set1_ps(0.125f);
  const __m256 s12 = _mm256_add_ps(m[1], m[2]), d12 = _mm256_sub_ps(m[1], m[2]);
  o[0] = _mm256_add_ps(_mm256_add_ps(m[0], s12), _mm256_add_ps(m[3], m[4]));
  o[1] = _mm256_fnmadd_ps(half, m[4], _mm256_fmadd_ps(two, m[3], d12));
  o[2] = _mm256_fmadd_ps(quarter, m[4], _mm256_fmadd_ps(four, m[3], s12));
  o[3] = _mm256_add_ps(_mm256_fnmadd_ps(eighth, m[4], _mm256_fmadd_ps(eight, m[3], d12)), m[5]);
}

// o = A d (6 rows from 4) for four vectors of 8 lanes: the weight gradient's dy transform.
inline void grad_1d(const __m256* d, __m256* o) {
  const __m256 two = _mm256_set1_ps(2.f), four = _mm256_set1_ps(4.f);
  const __m256 eight = _mm256_set1_ps(8.f), half = _mm256_set1_ps(0.5f);
  const __m256 quarter = _mm256_set1_ps(0.25f), eighth = _mm256_set1_ps(0.125f);
  const __m256 e = _mm256_add_ps(d[0], d[2]), od = _mm256_add_ps(d[1], d[3]);
  o[0] = d[0];
  o[1] = _mm256_add_ps(e, od);
  o[2] = _mm256_sub_ps(e, od);
  o[3] = _mm256_add_ps(_mm256_fmadd_ps(two, d[1], d[0]),
                       _mm256_fmadd_ps(eight, d[3], _mm256_mul_ps(four, d[2])));
  o[4] = _mm256_add_ps(_mm256_fnmadd_ps(half, d[1], d[0]),
                       _mm256_fnmadd_ps(eighth, d[3], _mm256_mul_ps(quarter, d[2])));
  o[5] = d[3];
}

}  // namespace

void winograd_input_block__avx2_fma(const Conv2dGeom& g, const float* x, int64_t t0,
                                    int64_t nt, float* V, int64_t ld, int64_t vs) {
  const int64_t TW = (g.OW + 3) / 4, TI = (g.OH + 3) / 4 * TW, HW = g.H * g.W;
  const int64_t lim = INT32_MAX / 2;
  for (int64_t q = 0; q < nt; q += kL) {
    const int64_t nl = min64(kL, nt - q);
    // 32-bit offsets relative to image n0, checked per 16 tiles so that the baseline fallback
    // (which writes 16 columns) stays within the columns the contract allows
    const int64_t q16 = q / 16 * 16, n16 = min64(16, nt - q16);
    const int64_t n0 = (t0 + q16) / TI, n1 = (t0 + q16 + n16 - 1) / TI;
    if ((n1 - n0 + 1) * g.C * HW > lim || (g.pt + 6) * g.W + g.pl + 6 > lim) {
      if (q == q16) winograd_input_block__scalar(g, x, t0 + q, n16, V + q, ld, vs);
      continue;
    }
    // lane offsets of each patch's origin from image n0's, and per-lane masks (all ones or
    // zero) of the patch rows / columns inside the input
    alignas(32) int32_t off[kL] = {0}, rm[6][kL] = {{0}}, cm[6][kL] = {{0}};
    for (int64_t l = 0; l < nl; ++l) {
      const int64_t t = t0 + q + l, r = t % TI;
      const int64_t ih0 = r / TW * 4 - g.pt, iw0 = r % TW * 4 - g.pl;
      off[l] = int32_t((t / TI - n0) * g.C * HW + ih0 * g.W + iw0);
      for (int i = 0; i < 6; ++i) {
        rm[i][l] = ih0 + i >= 0 && ih0 + i < g.H ? -1 : 0;
        cm[i][l] = iw0 + i >= 0 && iw0 + i < g.W ? -1 : 0;
      }
    }
    const __m256i voff = _mm256_load_si256(reinterpret_cast<const __m256i*>(off));
    __m256 mask[36];
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j)
        mask[i * 6 + j] = _mm256_castsi256_ps(
            _mm256_and_si256(_mm256_load_si256(reinterpret_cast<const __m256i*>(rm[i])),
                             _mm256_load_si256(reinterpret_cast<const __m256i*>(cm[j]))));
    for (int64_t c = 0; c < g.C; ++c) {
      const float* xc = x + n0 * g.C * HW + c * HW;
      __m256 r[36];  // r[i * 6 + j] = (d B)[i][j]: rows transformed first
      for (int i = 0; i < 6; ++i) {
        __m256 d[6];
        for (int j = 0; j < 6; ++j) {
          const __m256i idx = _mm256_add_epi32(voff, _mm256_set1_epi32(int32_t(i * g.W + j)));
          d[j] = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), xc, idx, mask[i * 6 + j], 4);
        }
        input_1d(d, r + i * 6);
      }
      float* v = V + c * ld + q;
      for (int j = 0; j < 6; ++j) {
        __m256 col[6], o[6];
        for (int i = 0; i < 6; ++i) col[i] = r[i * 6 + j];
        input_1d(col, o);
        for (int i = 0; i < 6; ++i) _mm256_storeu_ps(v + (i * 6 + j) * vs, o[i]);
      }
    }
  }
}

void winograd_output_block__avx2_fma(const Conv2dGeom& g, const float* M, int64_t ld,
                                     int64_t ms, int64_t t0, int64_t nt, const float* bias,
                                     float* y) {
  const int64_t TW = (g.OW + 3) / 4, TI = (g.OH + 3) / 4 * TW, P = g.OH * g.OW;
  for (int64_t q = 0; q < nt; q += kL) {
    const int64_t nl = min64(kL, nt - q);
    // Tile l's output row i ends up in 128-bit lane l / 4 of register l % 4 after an in-lane
    // 4x4 transpose, written by one masked store aimed so that this lane lands on the tile
    // (masked-off lanes are never accessed); see the AVX-512 twin.
    int64_t base[kL];
    int rows[kL];
    __m256i mask[kL];
    for (int64_t l = 0; l < nl; ++l) {
      const int64_t t = t0 + q + l, r = t % TI, oh0 = r / TW * 4, ow0 = r % TW * 4;
      const int64_t cols = min64(4, g.OW - ow0);
      base[l] = t / TI * g.K * P + oh0 * g.OW + ow0 - l / 4 * 4;
      rows[l] = int(min64(4, g.OH - oh0));
      alignas(32) int32_t mk[kL] = {0};
      for (int64_t j = 0; j < cols; ++j) mk[l / 4 * 4 + j] = -1;
      mask[l] = _mm256_load_si256(reinterpret_cast<const __m256i*>(mk));
    }
    for (int64_t k = 0; k < g.K; ++k) {
      const float* m = M + k * ld + q;
      __m256 t[24];  // t[i * 6 + j] = (A^T m)[i][j]: columns transformed first
      for (int j = 0; j < 6; ++j) {
        __m256 col[6], o[4];
        for (int i = 0; i < 6; ++i) col[i] = _mm256_loadu_ps(m + (i * 6 + j) * ms);
        output_1d(col, o);
        for (int i = 0; i < 4; ++i) t[i * 6 + j] = o[i];
      }
      const __m256 b = _mm256_set1_ps(bias ? bias[k] : 0.f);
      for (int i = 0; i < 4; ++i) {
        __m256 o[4];
        output_1d(t + i * 6, o);
        for (int j = 0; j < 4; ++j) o[j] = _mm256_add_ps(o[j], b);
        const __m256 a0 = _mm256_unpacklo_ps(o[0], o[1]), a1 = _mm256_unpackhi_ps(o[0], o[1]);
        const __m256 a2 = _mm256_unpacklo_ps(o[2], o[3]), a3 = _mm256_unpackhi_ps(o[2], o[3]);
        __m256 r[4];  // r[u], lane b: tile 4b + u's row i
        r[0] = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(a0), _mm256_castps_pd(a2)));
        r[1] = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(a0), _mm256_castps_pd(a2)));
        r[2] = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(a1), _mm256_castps_pd(a3)));
        r[3] = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(a1), _mm256_castps_pd(a3)));
        float* yk = y + k * P + i * g.OW;
        for (int64_t l = 0; l < nl; ++l)
          if (i < rows[l]) _mm256_maskstore_ps(yk + base[l], mask[l], r[l % 4]);
      }
    }
  }
}

void winograd_grad_block__avx2_fma(const Conv2dGeom& g, const float* dy, int64_t t0,
                                   int64_t nt, float* D, int64_t ld, int64_t ds) {
  const int64_t TW = (g.OW + 3) / 4, TI = (g.OH + 3) / 4 * TW, P = g.OH * g.OW;
  const int64_t lim = INT32_MAX / 2;
  for (int64_t q = 0; q < nt; q += kL) {
    const int64_t nl = min64(kL, nt - q);
    // as in the input transform: 32-bit offsets checked per 16 tiles
    const int64_t q16 = q / 16 * 16, n16 = min64(16, nt - q16);
    const int64_t n0 = (t0 + q16) / TI, n1 = (t0 + q16 + n16 - 1) / TI;
    if ((n1 - n0 + 1) * g.K * P > lim || 4 * g.OW + 4 > lim) {
      if (q == q16) winograd_grad_block__scalar(g, dy, t0 + q, n16, D + q, ld, ds);
      continue;
    }
    alignas(32) int32_t off[kL] = {0}, rm[4][kL] = {{0}}, cm[4][kL] = {{0}};
    for (int64_t l = 0; l < nl; ++l) {
      const int64_t t = t0 + q + l, r = t % TI;
      const int64_t oh0 = r / TW * 4, ow0 = r % TW * 4;
      off[l] = int32_t((t / TI - n0) * g.K * P + oh0 * g.OW + ow0);
      for (int i = 0; i < 4; ++i) {
        rm[i][l] = oh0 + i < g.OH ? -1 : 0;
        cm[i][l] = ow0 + i < g.OW ? -1 : 0;
      }
    }
    const __m256i voff = _mm256_load_si256(reinterpret_cast<const __m256i*>(off));
    __m256 mask[16];
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j)
        mask[i * 4 + j] = _mm256_castsi256_ps(
            _mm256_and_si256(_mm256_load_si256(reinterpret_cast<const __m256i*>(rm[i])),
                             _mm256_load_si256(reinterpret_cast<const __m256i*>(cm[j]))));
    for (int64_t k = 0; k < g.K; ++k) {
      const float* dk = dy + n0 * g.K * P + k * P;
      __m256 r[24];  // r[i * 6 + j] = (d A^T)[i][j]: rows transformed first
      for (int i = 0; i < 4; ++i) {
        __m256 d[4];
        for (int j = 0; j < 4; ++j) {
          const __m256i idx = _mm256_add_epi32(voff, _mm256_set1_epi32(int32_t(i * g.OW + j)));
          d[j] = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), dk, idx, mask[i * 4 + j], 4);
        }
        grad_1d(d, r + i * 6);
      }
      float* o = D + k * ld + q;
      for (int j = 0; j < 6; ++j) {
        __m256 col[4], w[6];
        for (int i = 0; i < 4; ++i) col[i] = r[i * 6 + j];
        grad_1d(col, w);
        for (int i = 0; i < 6; ++i) _mm256_storeu_ps(o + (i * 6 + j) * ds, w[i]);
      }
    }
  }
}

}  // namespace neurite
