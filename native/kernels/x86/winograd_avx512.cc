// AVX-512 twin of the Winograd F(4x4, 3x3) tile transforms (contracts in winograd.h): 16 tiles
// per zmm lane set; 6x6 input patches are read with masked gathers (masked-off lanes read zero:
// the padding), output tiles written row by row with masked stores (clipped at OH x OW). Same
// matrices as winograd.cc, with FMAs. Lane offsets are 32-bit, relative to the group's first
// image; a group whose offsets would not fit falls back to the baseline transforms.
#include <immintrin.h>

#include <climits>
#include <cstdint>

#include "../conv.h"
#include "../winograd.h"

namespace neurite {
namespace {

constexpr int64_t kL = 16;

// Local, not std::min: an inline template instantiated here could be the copy the linker keeps
// for baseline code too.
inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// o = B^T d for six vectors of 16 lanes (points 0, 1, -1, 2, -1/2, inf; see winograd.cc).
inline void input_1d(const __m512* d, __m512* o) {
  const __m512 half = _mm512_set1_ps(0.5f), one5 = _mm512_set1_ps(1.5f);
  const __m512 two = _mm512_set1_ps(2.f), two5 = _mm512_set1_ps(2.5f);
  const __m512 c = _mm512_sub_ps(d[4], d[2]), e = _mm512_sub_ps(d[3], d[1]);
  o[0] = _mm512_fnmadd_ps(one5, e, _mm512_fnmadd_ps(two, d[2], _mm512_add_ps(d[0], d[4])));
  o[1] = _mm512_fnmadd_ps(half, d[3], _mm512_fnmadd_ps(two5, d[2], _mm512_sub_ps(d[4], d[1])));
  o[2] = _mm512_fnmadd_ps(two5, d[3], _mm512_fmadd_ps(half, d[2], _mm512_add_ps(d[4], d[1])));
  o[3] = _mm512_fmadd_ps(half, e, c);
  o[4] = _mm512_fnmadd_ps(two, e, c);
  o[5] = _mm512_fmadd_ps(one5, _mm512_sub_ps(d[2], d[4]),
                         _mm512_fnmadd_ps(two, d[3], _mm512_add_ps(d[1], d[5])));
}

// o = A^T m (4 of 6 rows) for six vectors of 16 lanes.
inline void output_1d(const __m512* m, __m512* o) {
  const __m512 two = _mm512_set1_ps(2.f), four = _mm512_set1_ps(4.f);
  const __m512 eight = _mm512_set1_ps(8.f), half = _mm512_set1_ps(0.5f);
  const __m512 quarter = _mm512_set1_ps(0.25f), eighth = _mm512_set1_ps(0.125f);
  const __m512 s12 = _mm512_add_ps(m[1], m[2]), d12 = _mm512_sub_ps(m[1], m[2]);
  o[0] = _mm512_add_ps(_mm512_add_ps(m[0], s12), _mm512_add_ps(m[3], m[4]));
  o[1] = _mm512_fnmadd_ps(half, m[4], _mm512_fmadd_ps(two, m[3], d12));
  o[2] = _mm512_fmadd_ps(quarter, m[4], _mm512_fmadd_ps(four, m[3], s12));
  o[3] = _mm512_add_ps(_mm512_fnmadd_ps(eighth, m[4], _mm512_fmadd_ps(eight, m[3], d12)), m[5]);
}

// Lanes of a group of up to 16 tiles starting at tile t: 32-bit offsets of each tile's
// origin (row r0, column c0) relative to image n0's origin (images `image` floats apart), and
// masks of the lanes whose row r0 + i (i < 6) lies in [0, rows) and column c0 + j in [0, cols).
// Returns false when an offset might not fit in 32 bits.
struct Lanes {
  __m512i off;
  __mmask16 row[6], col[6];
  int64_t n0;
};
bool lanes_at(int64_t t, int64_t nl, int64_t TW, int64_t TI, int64_t r_shift, int64_t c_shift,
              int64_t rows, int64_t cols, int64_t image, int64_t ld_row, Lanes* L) {
  alignas(64) int32_t off[kL] = {0};
  const int64_t n0 = t / TI, n1 = (t + nl - 1) / TI;
  const int64_t lim = INT32_MAX / 2;
  if ((n1 - n0 + 1) * image > lim || (r_shift + 6) * ld_row + c_shift + 6 > lim) return false;
  L->n0 = n0;
  for (int i = 0; i < 6; ++i) L->row[i] = L->col[i] = 0;
  for (int64_t l = 0; l < nl; ++l) {
    const int64_t tl = t + l, r = tl % TI;
    const int64_t r0 = r / TW * 4 - r_shift, c0 = r % TW * 4 - c_shift;
    off[l] = static_cast<int32_t>((tl / TI - n0) * image + r0 * ld_row + c0);
    for (int i = 0; i < 6; ++i) {
      if (r0 + i >= 0 && r0 + i < rows) L->row[i] |= __mmask16(1u << l);
      if (c0 + i >= 0 && c0 + i < cols) L->col[i] |= __mmask16(1u << l);
    }
  }
  L->off = _mm512_load_si512(off);
  return true;
}

// o = A d (6 rows from 4) for four vectors of 16 lanes: the weight gradient's dy transform.
inline void grad_1d(const __m512* d, __m512* o) {
  const __m512 two = _mm512_set1_ps(2.f), four = _mm512_set1_ps(4.f);
  const __m512 eight = _mm512_set1_ps(8.f), half = _mm512_set1_ps(0.5f);
  const __m512 quarter = _mm512_set1_ps(0.25f), eighth = _mm512_set1_ps(0.125f);
  const __m512 e = _mm512_add_ps(d[0], d[2]), od = _mm512_add_ps(d[1], d[3]);
  o[0] = d[0];
  o[1] = _mm512_add_ps(e, od);
  o[2] = _mm512_sub_ps(e, od);
  o[3] = _mm512_add_ps(_mm512_fmadd_ps(two, d[1], d[0]), _mm512_fmadd_ps(eight, d[3],
                                                                          _mm512_mul_ps(four, d[2])));
  o[4] = _mm512_add_ps(_mm512_fnmadd_ps(half, d[1], d[0]),
                       _mm512_fnmadd_ps(eighth, d[3], _mm512_mul_ps(quarter, d[2])));
  o[5] = d[3];
}

}  // namespace

void winograd_input_block__avx512(const Conv2dGeom& g, const float* x, int64_t t0, int64_t nt,
                                  float* V, int64_t ld, int64_t vs) {
  const int64_t TW = (g.OW + 3) / 4, TI = (g.OH + 3) / 4 * TW, HW = g.H * g.W;
  for (int64_t q = 0; q < nt; q += kL) {
    const int64_t nl = min64(kL, nt - q);
    Lanes L;
    if (!lanes_at(t0 + q, nl, TW, TI, g.pt, g.pl, g.H, g.W, g.C * HW, g.W, &L)) {
      winograd_input_block__scalar(g, x, t0 + q, nl, V + q, ld, vs);
      continue;
    }
    for (int64_t c = 0; c < g.C; ++c) {
      const float* xc = x + L.n0 * g.C * HW + c * HW;
      __m512 r[36];  // r[i * 6 + j] = (d B)[i][j]: rows transformed first
      for (int i = 0; i < 6; ++i) {
        __m512 d[6];
        for (int j = 0; j < 6; ++j) {
          const __m512i idx = _mm512_add_epi32(L.off, _mm512_set1_epi32(int32_t(i * g.W + j)));
          d[j] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), L.row[i] & L.col[j], idx, xc, 4);
        }
        input_1d(d, r + i * 6);
      }
      float* v = V + c * ld + q;
      for (int j = 0; j < 6; ++j) {
        __m512 col[6], o[6];
        for (int i = 0; i < 6; ++i) col[i] = r[i * 6 + j];
        input_1d(col, o);
        for (int i = 0; i < 6; ++i) _mm512_storeu_ps(v + (i * 6 + j) * vs, o[i]);
      }
    }
  }
}

void winograd_output_block__avx512(const Conv2dGeom& g, const float* M, int64_t ld, int64_t ms,
                                   int64_t t0, int64_t nt, const float* bias, float* y) {
  const int64_t TW = (g.OW + 3) / 4, TI = (g.OH + 3) / 4 * TW, P = g.OH * g.OW;
  for (int64_t q = 0; q < nt; q += kL) {
    const int64_t nl = min64(kL, nt - q);
    // Tile l's output row i (4 floats) ends up in 128-bit lane l / 4 of register l % 4 after an
    // in-lane 4x4 transpose; it is written by one masked store aimed so that this lane lands
    // on the tile (masked-off lanes are never accessed). base[l] is the tile's offset in
    // image n, channel 0; rows[l] its rows inside OH; mask[l] its columns inside OW.
    int64_t base[kL];
    int rows[kL];
    __mmask16 mask[kL];
    // Whole quads: when each 4 tiles 4b .. 4b + 3 are consecutive in one tile row and inside
    // OH x OW, row i of a quad is 16 contiguous floats, written by one full store after a
    // cross-lane transpose.
    bool quads = nl == kL;
    for (int64_t l = 0; l < nl; ++l) {
      const int64_t t = t0 + q + l, r = t % TI, oh0 = r / TW * 4, ow0 = r % TW * 4;
      const int64_t cols = min64(4, g.OW - ow0);
      base[l] = t / TI * g.K * P + oh0 * g.OW + ow0 - l / 4 * 4;
      rows[l] = int(min64(4, g.OH - oh0));
      mask[l] = __mmask16(((1u << cols) - 1) << (l / 4 * 4));
      if (rows[l] < 4 || cols < 4 || (l % 4 != 0 && base[l] != base[l - 1] + 4)) quads = false;
    }
    for (int64_t k = 0; k < g.K; ++k) {
      const float* m = M + k * ld + q;
      __m512 t[24];  // t[i * 6 + j] = (A^T m)[i][j]: columns transformed first
      for (int j = 0; j < 6; ++j) {
        __m512 col[6], o[4];
        for (int i = 0; i < 6; ++i) col[i] = _mm512_loadu_ps(m + (i * 6 + j) * ms);
        output_1d(col, o);
        for (int i = 0; i < 4; ++i) t[i * 6 + j] = o[i];
      }
      const __m512 b = _mm512_set1_ps(bias ? bias[k] : 0.f);
      for (int i = 0; i < 4; ++i) {
        __m512 o[4];
        output_1d(t + i * 6, o);
        for (int j = 0; j < 4; ++j) o[j] = _mm512_add_ps(o[j], b);
        const __m512 a0 = _mm512_unpacklo_ps(o[0], o[1]), a1 = _mm512_unpackhi_ps(o[0], o[1]);
        const __m512 a2 = _mm512_unpacklo_ps(o[2], o[3]), a3 = _mm512_unpackhi_ps(o[2], o[3]);
        __m512 r[4];  // r[u], lane b: tile 4b + u's row i
        r[0] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a0), _mm512_castps_pd(a2)));
        r[1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a0), _mm512_castps_pd(a2)));
        r[2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a1), _mm512_castps_pd(a3)));
        r[3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a1), _mm512_castps_pd(a3)));
        float* yk = y + k * P + i * g.OW;
        if (quads) {  // w[b] = lane b of r[0], r[1], r[2], r[3]: quad b's row i
          const __m512 u0 = _mm512_shuffle_f32x4(r[0], r[1], 0x44);
          const __m512 u1 = _mm512_shuffle_f32x4(r[0], r[1], 0xEE);
          const __m512 u2 = _mm512_shuffle_f32x4(r[2], r[3], 0x44);
          const __m512 u3 = _mm512_shuffle_f32x4(r[2], r[3], 0xEE);
          _mm512_storeu_ps(yk + base[0], _mm512_shuffle_f32x4(u0, u2, 0x88));
          _mm512_storeu_ps(yk + base[4] + 4, _mm512_shuffle_f32x4(u0, u2, 0xDD));
          _mm512_storeu_ps(yk + base[8] + 8, _mm512_shuffle_f32x4(u1, u3, 0x88));
          _mm512_storeu_ps(yk + base[12] + 12, _mm512_shuffle_f32x4(u1, u3, 0xDD));
          continue;
        }
        for (int64_t l = 0; l < nl; ++l)
          if (i < rows[l]) _mm512_mask_storeu_ps(yk + base[l], mask[l], r[l % 4]);
      }
    }
  }
}

void winograd_grad_block__avx512(const Conv2dGeom& g, const float* dy, int64_t t0, int64_t nt,
                                 float* D, int64_t ld, int64_t ds) {
  const int64_t TW = (g.OW + 3) / 4, TI = (g.OH + 3) / 4 * TW, P = g.OH * g.OW;
  for (int64_t q = 0; q < nt; q += kL) {
    const int64_t nl = min64(kL, nt - q);
    Lanes L;
    if (!lanes_at(t0 + q, nl, TW, TI, 0, 0, g.OH, g.OW, g.K * P, g.OW, &L)) {
      winograd_grad_block__scalar(g, dy, t0 + q, nl, D + q, ld, ds);
      continue;
    }
    for (int64_t k = 0; k < g.K; ++k) {
      const float* dk = dy + L.n0 * g.K * P + k * P;
      __m512 r[24];  // r[i * 6 + j] = (d A^T)[i][j]: rows transformed first
      for (int i = 0; i < 4; ++i) {
        __m512 d[4];
        for (int j = 0; j < 4; ++j) {
          const __m512i idx = _mm512_add_epi32(L.off, _mm512_set1_epi32(int32_t(i * g.OW + j)));
          d[j] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), L.row[i] & L.col[j], idx, dk, 4);
        }
        grad_1d(d, r + i * 6);
      }
      float* o = D + k * ld + q;
      for (int j = 0; j < 6; ++j) {
        __m512 col[4], w[6];
        for (int i = 0; i < 4; ++i) col[i] = r[i * 6 + j];
        grad_1d(col, w);
        for (int i = 0; i < 6; ++i) _mm512_storeu_ps(o + (i * 6 + j) * ds, w[i]);
      }
    }
  }
}

}  // namespace neurite
