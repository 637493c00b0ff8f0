// AVX2 twin of the MaxPool2d(2) forward loop (contract in pool.h), for rows of OW >= 8 outputs
// (pool.cc runs the baseline on shorter ones): 8 outputs per vector, each row ending with a
// vector overlapping the one before it (outputs are written, never accumulated). Windows are
// split into their four positions by in-lane shuffles, which leave the outputs in the order
// 0 1 4 5 2 3 6 7 until one cross-lane permute at the end. Same comparisons as the scalar
// twin, so results are bitwise equal.
#include <immintrin.h>

#include <cstdint>

#include "../pool.h"

namespace neurite {
namespace {

// v (window position code) replaces best where larger, or NaN over a number: "not <=" is
// true for v NaN, and a NaN best is never replaced.
inline void take(__m256 v, __m256i code, __m256* best, __m256i* arg) {
  const __m256 t = _mm256_and_ps(_mm256_cmp_ps(v, *best, _CMP_NLE_UQ),
                                 _mm256_cmp_ps(*best, *best, _CMP_ORD_Q));
  *best = _mm256_blendv_ps(*best, v, t);
  *arg = _mm256_castps_si256(
      _mm256_blendv_ps(_mm256_castsi256_ps(*arg), _mm256_castsi256_ps(code), t));
}

// 64-bit lanes 0 2 1 3: outputs 0 1 4 5 2 3 6 7 back to 0 .. 7
constexpr int kUnscramble = (3 << 6) | (1 << 4) | (2 << 2) | 0;

}  // namespace

void max_pool2x2_forward__avx2_fma(float* y, int32_t* idx, const float* x, int64_t planes,
                                   int64_t H, int64_t W, int64_t OH, int64_t OW) {
  const __m256i c01 = _mm256_set1_epi32(1), c10 = _mm256_set1_epi32(static_cast<int32_t>(W));
  const __m256i c11 = _mm256_set1_epi32(static_cast<int32_t>(W + 1));
  const __m256i lanes = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);  // first window columns
  for (int64_t pl = 0; pl < planes; ++pl) {
    for (int64_t oh = 0; oh < OH; ++oh) {
      const float* r0 = x + (pl * H + 2 * oh) * W;
      const float* r1 = r0 + W;
      float* yr = y + (pl * OH + oh) * OW;
      int32_t* ir = idx + (pl * OH + oh) * OW;
      for (int64_t o = 0;; o += 8) {
        if (o > OW - 8) o = OW - 8;
        const __m256 a0 = _mm256_loadu_ps(r0 + 2 * o), a1 = _mm256_loadu_ps(r0 + 2 * o + 8);
        const __m256 b0 = _mm256_loadu_ps(r1 + 2 * o), b1 = _mm256_loadu_ps(r1 + 2 * o + 8);
        __m256 best = _mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0));
        __m256i arg = _mm256_setzero_si256();
        take(_mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)), c01, &best, &arg);
        take(_mm256_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), c10, &best, &arg);
        take(_mm256_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1)), c11, &best, &arg);
        best = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(best), kUnscramble));
        arg = _mm256_permute4x64_epi64(arg, kUnscramble);
        const __m256i at = _mm256_set1_epi32(static_cast<int32_t>(2 * oh * W + 2 * o));
        _mm256_storeu_ps(yr + o, best);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(ir + o),
                            _mm256_add_epi32(_mm256_add_epi32(at, lanes), arg));
        if (o == OW - 8) break;
      }
    }
  }
}

}  // namespace neurite
