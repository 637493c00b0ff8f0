// SSE2 plane loops of MaxPool2d(2) (contracts in pool.h), four outputs per vector. SSE2 is part
// of x86-64, so this is the baseline there: included by pool.cc only (a header rather than a
// .cc because x86/*.cc are the files built with ISA flags); everything here is internal to
// that one translation unit. Rows need OW >= 4 outputs (pool.cc runs the scalar twins on
// shorter ones); each row ends with a vector overlapping the one before it (outputs are
// written, never accumulated, so writing some twice is harmless). The forward takes max_ps
// and falls back to the scalar rule for the rare vector of windows holding a NaN.
#pragma once
#include <emmintrin.h>

#include <cstdint>

namespace neurite {
namespace {

// v (window position code) replaces best where larger, for windows without NaN: max_ps(v, b)
// is v > b ? v : b, so ties (-0 and +0 included) keep the first.
inline void max2x2_take(__m128 v, __m128i code, __m128* best, __m128i* arg) {
  const __m128i gt = _mm_castps_si128(_mm_cmpgt_ps(v, *best));
  *best = _mm_max_ps(v, *best);
  *arg = _mm_or_si128(_mm_and_si128(gt, code), _mm_andnot_si128(gt, *arg));
}

void max_pool2x2_forward__sse2(float* y, int32_t* idx, const float* x, int64_t planes,
                               int64_t H, int64_t W, int64_t OH, int64_t OW) {
  const __m128i c01 = _mm_set1_epi32(1), c10 = _mm_set1_epi32(static_cast<int32_t>(W));
  const __m128i c11 = _mm_set1_epi32(static_cast<int32_t>(W + 1));
  const __m128i lanes = _mm_setr_epi32(0, 2, 4, 6);  // first column of each window
  for (int64_t pl = 0; pl < planes; ++pl) {
    for (int64_t oh = 0; oh < OH; ++oh) {
      const float* r0 = x + (pl * H + 2 * oh) * W;
      const float* r1 = r0 + W;
      float* yr = y + (pl * OH + oh) * OW;
      int32_t* ir = idx + (pl * OH + oh) * OW;
      for (int64_t o = 0;; o += 4) {
        if (o > OW - 4) o = OW - 4;
        const __m128 a0 = _mm_loadu_ps(r0 + 2 * o), a1 = _mm_loadu_ps(r0 + 2 * o + 4);
        const __m128 b0 = _mm_loadu_ps(r1 + 2 * o), b1 = _mm_loadu_ps(r1 + 2 * o + 4);
        const __m128 nan = _mm_or_ps(_mm_cmpunord_ps(a0, a1), _mm_cmpunord_ps(b0, b1));
        if (_mm_movemask_ps(nan) != 0) {
          // rare: the scalar rule, a NaN over a number (the first NaN wins)
          for (int64_t ow = o; ow < o + 4; ++ow) {
            const float v[4] = {r0[2 * ow], r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1]};
            int b = 0;
            for (int j = 1; j < 4; ++j)
              if (v[j] > v[b] || (v[j] != v[j] && v[b] == v[b])) b = j;
            yr[ow] = v[b];
            ir[ow] = static_cast<int32_t>(2 * oh * W + 2 * ow + (b >> 1) * W + (b & 1));
          }
        } else {
          __m128 best = _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0));
          __m128i arg = _mm_setzero_si128();
          max2x2_take(_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)), c01, &best, &arg);
          max2x2_take(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), c10, &best, &arg);
          max2x2_take(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1)), c11, &best, &arg);
          const __m128i at = _mm_set1_epi32(static_cast<int32_t>(2 * oh * W + 2 * o));
          _mm_storeu_ps(yr + o, best);
          _mm_storeu_si128(reinterpret_cast<__m128i*>(ir + o),
                           _mm_add_epi32(_mm_add_epi32(at, lanes), arg));
        }
        if (o == OW - 4) break;
      }
    }
  }
}

}  // namespace
}  // namespace neurite
