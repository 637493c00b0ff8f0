// AVX-512 twin of the MaxPool2d(2) forward loop (contract in pool.h): 16 outputs of a row per
// vector, row pairs read with masked loads, so rows of any length need no scalar tail (LeNet's
// 13 outputs take one vector; rows of at most 16 inputs share a vector, 3 rows of 5 outputs);
// windows are split into their four positions by permutes. Same comparisons as the scalar
// twin, so results are bitwise equal.
#include <immintrin.h>

#include <cstdint>

#include "../pool.h"

namespace neurite {
namespace {

// The first n bits (n <= 16; n < 0 counts as 0).
inline __mmask16 first(int64_t n) {
  return n <= 0 ? 0 : n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1);
}

// v (window position code) replaces best where larger, or NaN over a number: "not <=" is
// true for v NaN, and a NaN best is never replaced.
inline void take(__m512 v, __m512i code, __m512* best, __m512i* arg) {
  const __mmask16 ord = _mm512_cmp_ps_mask(*best, *best, _CMP_ORD_Q);
  const __mmask16 t = _mm512_mask_cmp_ps_mask(ord, v, *best, _CMP_NLE_UQ);
  *best = _mm512_mask_mov_ps(*best, t, v);
  *arg = _mm512_mask_mov_epi32(*arg, t, code);
}

// Rows of W <= 16 (OW <= 8): R = 16 / OW output rows share a vector, so short rows (LeNet's
// 11 columns) do not leave most lanes idle. Lane l holds output (oh0 + l / OW, l % OW).
void forward_packed(float* y, int32_t* idx, const float* x, int64_t planes, int64_t H,
                    int64_t W, int64_t OH, int64_t OW) {
  const int64_t R = 16 / OW;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i c01 = _mm512_set1_epi32(1), c10 = _mm512_set1_epi32(static_cast<int32_t>(W));
  const __m512i c11 = _mm512_set1_epi32(static_cast<int32_t>(W + 1));
  // offset of each lane's window in the vector's first row pair, 2 * (l / OW) * W + 2 * (l % OW)
  alignas(64) int32_t pos[16];
  for (int l = 0; l < 16; ++l) pos[l] = static_cast<int32_t>(2 * (l / OW) * W + 2 * (l % OW));
  const __m512i lane_pos = _mm512_load_si512(pos);
  const __mmask16 row = first(W);
  for (int64_t pl = 0; pl < planes; ++pl) {
    for (int64_t oh0 = 0; oh0 < OH; oh0 += R) {
      const int64_t rows = OH - oh0 < R ? OH - oh0 : R;
      __m512 x00 = _mm512_setzero_ps(), x01 = x00, x10 = x00, x11 = x00;
      for (int64_t r = 0; r < rows; ++r) {
        // lanes r * OW .. r * OW + OW - 1 take columns 2j and 2j + 1 of the row pair
        const __mmask16 to = static_cast<__mmask16>(first(OW) << (r * OW));
        const __m512i col =
            _mm512_sub_epi32(lane, _mm512_set1_epi32(static_cast<int32_t>(r * OW)));
        const __m512i even = _mm512_add_epi32(col, col);
        const __m512i odd = _mm512_add_epi32(even, c01);
        const float* r0 = x + (pl * H + 2 * (oh0 + r)) * W;
        const __m512 a = _mm512_maskz_loadu_ps(row, r0), b = _mm512_maskz_loadu_ps(row, r0 + W);
        x00 = _mm512_mask_permutexvar_ps(x00, to, even, a);
        x01 = _mm512_mask_permutexvar_ps(x01, to, odd, a);
        x10 = _mm512_mask_permutexvar_ps(x10, to, even, b);
        x11 = _mm512_mask_permutexvar_ps(x11, to, odd, b);
      }
      __m512 best = x00;
      __m512i arg = _mm512_setzero_si512();
      take(x01, c01, &best, &arg);
      take(x10, c10, &best, &arg);
      take(x11, c11, &best, &arg);
      const __m512i at = _mm512_set1_epi32(static_cast<int32_t>(2 * oh0 * W));
      const __mmask16 out = first(rows * OW);
      const int64_t o = (pl * OH + oh0) * OW;
      _mm512_mask_storeu_ps(y + o, out, best);
      _mm512_mask_storeu_epi32(idx + o, out,
                               _mm512_add_epi32(_mm512_add_epi32(at, lane_pos), arg));
    }
  }
}

}  // namespace

void max_pool2x2_forward__avx512(float* y, int32_t* idx, const float* x, int64_t planes,
                                 int64_t H, int64_t W, int64_t OH, int64_t OW) {
  if (W <= 16 && OW > 0) return forward_packed(y, idx, x, planes, H, W, OH, OW);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                         30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i c01 = _mm512_set1_epi32(1), c10 = _mm512_set1_epi32(static_cast<int32_t>(W));
  const __m512i c11 = _mm512_set1_epi32(static_cast<int32_t>(W + 1));
  for (int64_t pl = 0; pl < planes; ++pl) {
    for (int64_t oh = 0; oh < OH; ++oh) {
      const float* r0 = x + (pl * H + 2 * oh) * W;
      const float* r1 = r0 + W;
      float* yr = y + (pl * OH + oh) * OW;
      int32_t* ir = idx + (pl * OH + oh) * OW;
      for (int64_t o = 0; o < OW; o += 16) {
        const int64_t n = OW - o < 16 ? OW - o : 16;
        const __mmask16 lo = first(2 * n), hi = first(2 * n - 16), out = first(n);
        const __m512 a0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * o);
        const __m512 a1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * o + 16);
        const __m512 b0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * o);
        const __m512 b1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * o + 16);
        __m512 best = _mm512_permutex2var_ps(a0, even, a1);
        __m512i arg = _mm512_setzero_si512();
        take(_mm512_permutex2var_ps(a0, odd, a1), c01, &best, &arg);
        take(_mm512_permutex2var_ps(b0, even, b1), c10, &best, &arg);
        take(_mm512_permutex2var_ps(b0, odd, b1), c11, &best, &arg);
        const __m512i at = _mm512_set1_epi32(static_cast<int32_t>(2 * oh * W + 2 * o));
        _mm512_mask_storeu_ps(yr + o, out, best);
        _mm512_mask_storeu_epi32(ir + o, out, _mm512_add_epi32(_mm512_add_epi32(at, even), arg));
      }
    }
  }
}

}  // namespace neurite
