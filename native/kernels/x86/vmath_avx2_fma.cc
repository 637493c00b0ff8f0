// AVX2/FMA vectorised math (contract and algorithms in vmath.h): 8 floats per step, the tail
// through masked loads and stores. Twin of scalar/vmath_scalar.cc: the same constants and steps,
// with FMA where the baseline rounds twice and an FMA-exact x^2 = h + l.
// Built with -mavx2 -mfma, so it includes nothing that other files could share inline code
// with (the linker might keep the AVX2 copy).
#include <immintrin.h>

#include <cstdint>

#include "../vmath.h"

namespace neurite {
namespace {

#define NEURITE_INLINE __attribute__((always_inline)) inline

NEURITE_INLINE __m256 set(float v) { return _mm256_set1_ps(v); }
NEURITE_INLINE __m256 fma(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }
NEURITE_INLINE __m256 select(__m256 mask, __m256 a, __m256 b) {  // mask ? a : b
  return _mm256_blendv_ps(b, a, mask);
}
NEURITE_INLINE __m256 abs8(__m256 x) {
  return _mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
}
NEURITE_INLINE __m256 copysign8(__m256 m, __m256 s) {
  const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(0x80000000u)));
  return _mm256_or_ps(_mm256_andnot_ps(sign, m), _mm256_and_ps(sign, s));
}
NEURITE_INLINE __m256 isnan8(__m256 x) { return _mm256_cmp_ps(x, x, _CMP_UNORD_Q); }
NEURITE_INLINE __m256 lt(__m256 a, __m256 b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }

// Lanes [0, n) set, for maskload/maskstore (0 <= n <= 8).
NEURITE_INLINE __m256i lane_mask(int64_t n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), idx);
}

constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
constexpr float kSqrt1_2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;
constexpr float kSqrt2OverPi = 0.79788456080286535588f;

// e^(x + lo) 2^k for a tiny correction lo and k >= 0 with x + k ln2 <= 0.
NEURITE_INLINE __m256 exp_core8(__m256 x, __m256 lo, int k) {
  // max/min return their second operand for NaN: clamp x into [-104, 89] with x first, so a NaN
  // becomes a number here and is put back at the end.
  __m256 xc = _mm256_min_ps(_mm256_max_ps(x, set(-104.0f)), set(89.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, set(kLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256i ni = _mm256_cvtps_epi32(n);
  __m256 r = _mm256_fnmadd_ps(n, set(kLn2Hi), xc);
  r = _mm256_add_ps(r, _mm256_fnmadd_ps(n, set(kLn2Lo), lo));
  __m256 p = set(1.9875691500e-4f);
  p = fma(p, r, set(1.3981999507e-3f));
  p = fma(p, r, set(8.3334519073e-3f));
  p = fma(p, r, set(4.1665795894e-2f));
  p = fma(p, r, set(1.6666665459e-1f));
  p = fma(p, r, set(5.0000001201e-1f));
  p = _mm256_add_ps(fma(p, _mm256_mul_ps(r, r), r), set(1.0f));
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_add_epi32(_mm256_sub_epi32(ni, n1), _mm256_set1_epi32(k));
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  const __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  return select(isnan8(x), x, y);
}
NEURITE_INLINE __m256 exp8(__m256 x) { return exp_core8(x, _mm256_setzero_ps(), 0); }

NEURITE_INLINE __m256 log8(__m256 x) {
  const __m256 tiny = lt(x, set(1.17549435e-38f));
  const __m256 xs = select(tiny, _mm256_mul_ps(x, set(8388608.0f)), x);
  const __m256i u = _mm256_castps_si256(xs);
  const __m256i e = _mm256_sub_epi32(
      _mm256_and_si256(_mm256_srli_epi32(u, 23), _mm256_set1_epi32(0xff)), _mm256_set1_epi32(126));
  const __m256 m = _mm256_castsi256_ps(_mm256_or_si256(
      _mm256_and_si256(u, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f000000)));
  const __m256 lo = lt(m, set(0.70710678f));
  const __m256 f = select(lo, _mm256_sub_ps(_mm256_add_ps(m, m), set(1.0f)),
                          _mm256_sub_ps(m, set(1.0f)));
  __m256 fe = _mm256_cvtepi32_ps(e);
  fe = select(lo, _mm256_sub_ps(fe, set(1.0f)), fe);
  fe = _mm256_sub_ps(fe, _mm256_and_ps(tiny, set(23.0f)));
  const __m256 z = _mm256_mul_ps(f, f);
  __m256 y = set(7.0376836292e-2f);
  y = fma(y, f, set(-1.1514610310e-1f));
  y = fma(y, f, set(1.1676998740e-1f));
  y = fma(y, f, set(-1.2420140846e-1f));
  y = fma(y, f, set(1.4249322787e-1f));
  y = fma(y, f, set(-1.6668057665e-1f));
  y = fma(y, f, set(2.0000714765e-1f));
  y = fma(y, f, set(-2.4999993993e-1f));
  y = fma(y, f, set(3.3333331174e-1f));
  y = _mm256_mul_ps(_mm256_mul_ps(y, f), z);
  y = fma(set(kLn2Lo), fe, y);
  y = _mm256_fnmadd_ps(set(0.5f), z, y);
  __m256 r = _mm256_add_ps(f, y);
  r = fma(set(kLn2Hi), fe, r);
  r = select(_mm256_cmp_ps(x, set(3.40282347e38f), _CMP_GT_OQ), x, r);
  r = select(lt(x, _mm256_setzero_ps()), _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000)), r);
  r = select(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ), set(-__builtin_inff()), r);
  return select(isnan8(x), x, r);
}

NEURITE_INLINE __m256 tanh8(__m256 x) {
  const __m256 a = abs8(x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = set(-5.660337396e-3f);
  p = fma(p, z, set(2.059136331e-2f));
  p = fma(p, z, set(-5.372121558e-2f));
  p = fma(p, z, set(1.333113015e-1f));
  p = fma(p, z, set(-3.333325982e-1f));
  const __m256 small = copysign8(fma(x, _mm256_mul_ps(p, z), x), x);  // tanh(-0) = -0
  const __m256 e = exp8(_mm256_add_ps(a, a));
  const __m256 big =
      copysign8(_mm256_sub_ps(set(1.0f), _mm256_div_ps(set(2.0f), _mm256_add_ps(e, set(1.0f)))), x);
  return select(lt(a, set(0.625f)), small, big);
}

NEURITE_INLINE __m256 sigmoid8(__m256 x) {
  const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), abs8(x)));
  const __m256 num = select(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ), set(1.0f), e);
  return _mm256_div_ps(num, _mm256_add_ps(set(1.0f), e));
}

NEURITE_INLINE __m256 erf_small8(__m256 z) {
  const __m256 z2 = _mm256_mul_ps(z, z);
  __m256 p = set(8.513421199e-05f);
  p = fma(p, z2, set(-8.175722905e-04f));
  p = fma(p, z2, set(5.203867797e-03f));
  p = fma(p, z2, set(-2.686051279e-02f));
  p = fma(p, z2, set(1.128371507e-01f));
  p = fma(p, z2, set(-3.761263490e-01f));
  p = fma(p, z2, set(1.283791661e-01f));
  return fma(z, p, z);
}

NEURITE_INLINE __m256 erfc_scaled8(__m256 z) {
  const __m256 t = _mm256_div_ps(set(2.0f), _mm256_add_ps(set(2.0f), z));
  __m256 p = set(-6.044548377e-02f);
  p = fma(p, t, set(2.932005823e-01f));
  p = fma(p, t, set(-5.069883466e-01f));
  p = fma(p, t, set(3.012430370e-01f));
  p = fma(p, t, set(-4.216273874e-02f));
  p = fma(p, t, set(2.088586688e-01f));
  p = fma(p, t, set(2.416781187e-01f));
  p = fma(p, t, set(2.825508416e-01f));
  p = fma(p, t, set(2.820775807e-01f));
  return _mm256_mul_ps(t, p);
}

// e^{-s a^2} 2^64 with a^2 = h + l exactly (l by FMA); callers scale back last.
constexpr float kTwoM64 = 5.42101086242752217e-20f;  // 2^-64
NEURITE_INLINE __m256 exp_neg_sq_scaled8(__m256 a, float s) {
  const __m256 h = _mm256_mul_ps(a, a);
  const __m256 l = _mm256_fmsub_ps(a, a, h);
  return exp_core8(_mm256_mul_ps(set(-s), h), _mm256_mul_ps(set(-s), l), 64);
}

NEURITE_INLINE __m256 erf8(__m256 x) {
  const __m256 a = abs8(x);
  const __m256 ac = _mm256_min_ps(a, set(10.5f));
  const __m256 big = copysign8(
      _mm256_fnmadd_ps(_mm256_mul_ps(exp_neg_sq_scaled8(ac, 1.0f), set(kTwoM64)),
                       erfc_scaled8(ac), set(1.0f)), x);
  const __m256 r = select(lt(a, set(0.875f)), erf_small8(x), big);
  return select(isnan8(x), x, r);
}

struct PhiParts8 {
  __m256 near0, beyond, phi0, q, g, gs;  // as PhiParts in the baseline
};
NEURITE_INLINE PhiParts8 phi_parts8(__m256 x) {
  const __m256 z = _mm256_mul_ps(x, set(kSqrt1_2));
  const __m256 ac = _mm256_min_ps(abs8(x), set(15.0f));
  const __m256 gs = exp_neg_sq_scaled8(ac, 0.5f);
  return {lt(abs8(z), set(0.5f)), _mm256_cmp_ps(abs8(x), set(15.0f), _CMP_GT_OQ), fma(set(0.5f), erf_small8(z), set(0.5f)),
          _mm256_mul_ps(set(0.5f), erfc_scaled8(_mm256_mul_ps(ac, set(kSqrt1_2)))),
          _mm256_mul_ps(gs, set(kTwoM64)), gs};
}

NEURITE_INLINE __m256 gelu8(__m256 x) {
  const PhiParts8 p = phi_parts8(x);
  const __m256 neg =
      select(p.beyond, _mm256_mul_ps(x, _mm256_setzero_ps()),
             _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(x, p.q), p.gs), set(kTwoM64)));
  const __m256 pos = _mm256_mul_ps(x, _mm256_fnmadd_ps(p.q, p.g, set(1.0f)));
  const __m256 far = select(lt(x, _mm256_setzero_ps()), neg, pos);
  return select(p.near0, _mm256_mul_ps(x, p.phi0), far);
}

NEURITE_INLINE __m256 gelu_grad8(__m256 x) {
  const PhiParts8 p = phi_parts8(x);
  const __m256 xk = _mm256_mul_ps(x, set(kInvSqrt2Pi));
  const __m256 neg =
      select(p.beyond, _mm256_sub_ps(x, x),
             _mm256_mul_ps(_mm256_mul_ps(_mm256_add_ps(p.q, xk), p.gs), set(kTwoM64)));
  const __m256 pos = fma(xk, p.g, _mm256_fnmadd_ps(p.q, p.g, set(1.0f)));
  const __m256 far = select(lt(x, _mm256_setzero_ps()), neg, pos);
  return select(p.near0, fma(xk, p.g, p.phi0), far);
}

NEURITE_INLINE __m256 gelu_tanh8(__m256 x) {
  const __m256 u2 = _mm256_mul_ps(
      x, fma(set(2.0f * kSqrt2OverPi * 0.044715f), _mm256_mul_ps(x, x), set(2.0f * kSqrt2OverPi)));
  return _mm256_mul_ps(x, sigmoid8(u2));
}

template <class F>
NEURITE_INLINE void map(float* y, const float* x, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = lane_mask(n - i);
    _mm256_maskstore_ps(y + i, m, f(_mm256_maskload_ps(x + i, m)));
  }
}

}  // namespace

void vmath_exp__avx2_fma(float* y, const float* x, int64_t n) { map(y, x, n, exp8); }
void vmath_log__avx2_fma(float* y, const float* x, int64_t n) { map(y, x, n, log8); }
void vmath_tanh__avx2_fma(float* y, const float* x, int64_t n) { map(y, x, n, tanh8); }
void vmath_sigmoid__avx2_fma(float* y, const float* x, int64_t n) { map(y, x, n, sigmoid8); }
void vmath_erf__avx2_fma(float* y, const float* x, int64_t n) { map(y, x, n, erf8); }
void vmath_gelu__avx2_fma(float* y, const float* x, int64_t n) { map(y, x, n, gelu8); }
void vmath_gelu_tanh__avx2_fma(float* y, const float* x, int64_t n) { map(y, x, n, gelu_tanh8); }

void vmath_gelu_backward__avx2_fma(float* dx, const float* dy, const float* x, int64_t n) {
  auto grad = [](__m256 g_in, __m256 v) { return _mm256_mul_ps(g_in, gelu_grad8(v)); };
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dx + i, grad(_mm256_loadu_ps(dy + i), _mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = lane_mask(n - i);
    _mm256_maskstore_ps(dx + i, m, grad(_mm256_maskload_ps(dy + i, m), _mm256_maskload_ps(x + i, m)));
  }
}

float vmath_exp_sum_row__avx2_fma(float* y, const float* x, int64_t n, float max) {
  const __m256 vmax = set(max);
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax));
    _mm256_storeu_ps(y + i, v);
    acc = _mm256_add_ps(acc, v);
  }
  if (i < n) {
    const __m256i m = lane_mask(n - i);
    const __m256 v = exp8(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), vmax));
    _mm256_maskstore_ps(y + i, m, v);
    acc = _mm256_add_ps(acc, _mm256_and_ps(v, _mm256_castsi256_ps(m)));
  }
  // ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)), as the baseline
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

#undef NEURITE_INLINE

}  // namespace neurite
