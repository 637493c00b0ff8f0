// AVX-512 vectorised math (contract and algorithms in vmath.h): 16 floats per step, the tail
// through masked loads and stores. Twin of x86/vmath_avx2_fma.cc with the same constants, FMAs
// and order, so results are bitwise equal lane by lane; exp_sum_row adds each 16-vector to the
// AVX2 twin's 8 partial sums as two halves, low first, so its sum is bitwise equal too.
// AVX-512F only (no DQ/BW/VL): float and/or go through integer casts, selects through masks.
// Built with -mavx512f -mavx2 -mfma, so it includes nothing that other files could share
// inline code with (the linker might keep the AVX-512 copy).
#include <immintrin.h>

#include <cstdint>

#include "../vmath.h"

namespace neurite {
namespace {

#define NEURITE_INLINE __attribute__((always_inline)) inline

NEURITE_INLINE __m512 set(float v) { return _mm512_set1_ps(v); }
NEURITE_INLINE __m512 fma(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }
NEURITE_INLINE __m512 select(__mmask16 mask, __m512 a, __m512 b) {  // mask ? a : b
  return _mm512_mask_blend_ps(mask, b, a);
}
NEURITE_INLINE __m512 abs16(__m512 x) {
  return _mm512_castsi512_ps(
      _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
}
NEURITE_INLINE __m512 copysign16(__m512 m, __m512 s) {
  const __m512i sign = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_andnot_si512(sign, _mm512_castps_si512(m)),
                                             _mm512_and_si512(sign, _mm512_castps_si512(s))));
}
NEURITE_INLINE __mmask16 isnan16(__m512 x) { return _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q); }
NEURITE_INLINE __mmask16 lt(__m512 a, __m512 b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }

// Lanes [0, n) set (0 <= n <= 16).
NEURITE_INLINE __mmask16 lane_mask(int64_t n) {
  return static_cast<__mmask16>((1u << static_cast<unsigned>(n)) - 1u);
}

constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
constexpr float kSqrt1_2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;
constexpr float kSqrt2OverPi = 0.79788456080286535588f;

// e^(x + lo) 2^k for a tiny correction lo and k >= 0 with x + k ln2 <= 0.
NEURITE_INLINE __m512 exp_core16(__m512 x, __m512 lo, int k) {
  // max/min return their second operand for NaN: clamp x into [-104, 89] with x first, so a NaN
  // becomes a number here and is put back at the end.
  __m512 xc = _mm512_min_ps(_mm512_max_ps(x, set(-104.0f)), set(89.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, set(kLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512i ni = _mm512_cvtps_epi32(n);
  __m512 r = _mm512_fnmadd_ps(n, set(kLn2Hi), xc);
  r = _mm512_add_ps(r, _mm512_fnmadd_ps(n, set(kLn2Lo), lo));
  __m512 p = set(1.9875691500e-4f);
  p = fma(p, r, set(1.3981999507e-3f));
  p = fma(p, r, set(8.3334519073e-3f));
  p = fma(p, r, set(4.1665795894e-2f));
  p = fma(p, r, set(1.6666665459e-1f));
  p = fma(p, r, set(5.0000001201e-1f));
  p = _mm512_add_ps(fma(p, _mm512_mul_ps(r, r), r), set(1.0f));
  const __m512i n1 = _mm512_srai_epi32(ni, 1);
  const __m512i n2 = _mm512_add_epi32(_mm512_sub_epi32(ni, n1), _mm512_set1_epi32(k));
  const __m512i bias = _mm512_set1_epi32(127);
  const __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n1, bias), 23));
  const __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n2, bias), 23));
  const __m512 y = _mm512_mul_ps(_mm512_mul_ps(p, s1), s2);
  return select(isnan16(x), x, y);
}
NEURITE_INLINE __m512 exp16(__m512 x) { return exp_core16(x, _mm512_setzero_ps(), 0); }

NEURITE_INLINE __m512 log16(__m512 x) {
  const __mmask16 tiny = lt(x, set(1.17549435e-38f));
  const __m512 xs = select(tiny, _mm512_mul_ps(x, set(8388608.0f)), x);
  const __m512i u = _mm512_castps_si512(xs);
  const __m512i e = _mm512_sub_epi32(
      _mm512_and_si512(_mm512_srli_epi32(u, 23), _mm512_set1_epi32(0xff)), _mm512_set1_epi32(126));
  const __m512 m = _mm512_castsi512_ps(_mm512_or_si512(
      _mm512_and_si512(u, _mm512_set1_epi32(0x007fffff)), _mm512_set1_epi32(0x3f000000)));
  const __mmask16 lo = lt(m, set(0.70710678f));
  const __m512 f = select(lo, _mm512_sub_ps(_mm512_add_ps(m, m), set(1.0f)),
                          _mm512_sub_ps(m, set(1.0f)));
  __m512 fe = _mm512_cvtepi32_ps(e);
  fe = select(lo, _mm512_sub_ps(fe, set(1.0f)), fe);
  // +0 where not tiny, as the AVX2 twin's and with an all-zero mask
  fe = _mm512_sub_ps(fe, _mm512_maskz_mov_ps(tiny, set(23.0f)));
  const __m512 z = _mm512_mul_ps(f, f);
  __m512 y = set(7.0376836292e-2f);
  y = fma(y, f, set(-1.1514610310e-1f));
  y = fma(y, f, set(1.1676998740e-1f));
  y = fma(y, f, set(-1.2420140846e-1f));
  y = fma(y, f, set(1.4249322787e-1f));
  y = fma(y, f, set(-1.6668057665e-1f));
  y = fma(y, f, set(2.0000714765e-1f));
  y = fma(y, f, set(-2.4999993993e-1f));
  y = fma(y, f, set(3.3333331174e-1f));
  y = _mm512_mul_ps(_mm512_mul_ps(y, f), z);
  y = fma(set(kLn2Lo), fe, y);
  y = _mm512_fnmadd_ps(set(0.5f), z, y);
  __m512 r = _mm512_add_ps(f, y);
  r = fma(set(kLn2Hi), fe, r);
  r = select(_mm512_cmp_ps_mask(x, set(3.40282347e38f), _CMP_GT_OQ), x, r);
  r = select(lt(x, _mm512_setzero_ps()), _mm512_castsi512_ps(_mm512_set1_epi32(0x7fc00000)), r);
  r = select(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_EQ_OQ), set(-__builtin_inff()), r);
  return select(isnan16(x), x, r);
}

NEURITE_INLINE __m512 tanh16(__m512 x) {
  const __m512 a = abs16(x);
  const __m512 z = _mm512_mul_ps(x, x);
  __m512 p = set(-5.660337396e-3f);
  p = fma(p, z, set(2.059136331e-2f));
  p = fma(p, z, set(-5.372121558e-2f));
  p = fma(p, z, set(1.333113015e-1f));
  p = fma(p, z, set(-3.333325982e-1f));
  const __m512 small = copysign16(fma(x, _mm512_mul_ps(p, z), x), x);  // tanh(-0) = -0
  const __m512 e = exp16(_mm512_add_ps(a, a));
  const __m512 big = copysign16(
      _mm512_sub_ps(set(1.0f), _mm512_div_ps(set(2.0f), _mm512_add_ps(e, set(1.0f)))), x);
  return select(lt(a, set(0.625f)), small, big);
}

NEURITE_INLINE __m512 sigmoid16(__m512 x) {
  const __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), abs16(x)));
  const __m512 num =
      select(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), set(1.0f), e);
  return _mm512_div_ps(num, _mm512_add_ps(set(1.0f), e));
}

NEURITE_INLINE __m512 erf_small16(__m512 z) {
  const __m512 z2 = _mm512_mul_ps(z, z);
  __m512 p = set(8.513421199e-05f);
  p = fma(p, z2, set(-8.175722905e-04f));
  p = fma(p, z2, set(5.203867797e-03f));
  p = fma(p, z2, set(-2.686051279e-02f));
  p = fma(p, z2, set(1.128371507e-01f));
  p = fma(p, z2, set(-3.761263490e-01f));
  p = fma(p, z2, set(1.283791661e-01f));
  return fma(z, p, z);
}

NEURITE_INLINE __m512 erfc_scaled16(__m512 z) {
  const __m512 t = _mm512_div_ps(set(2.0f), _mm512_add_ps(set(2.0f), z));
  __m512 p = set(-6.044548377e-02f);
  p = fma(p, t, set(2.932005823e-01f));
  p = fma(p, t, set(-5.069883466e-01f));
  p = fma(p, t, set(3.012430370e-01f));
  p = fma(p, t, set(-4.216273874e-02f));
  p = fma(p, t, set(2.088586688e-01f));
  p = fma(p, t, set(2.416781187e-01f));
  p = fma(p, t, set(2.825508416e-01f));
  p = fma(p, t, set(2.820775807e-01f));
  return _mm512_mul_ps(t, p);
}

// e^{-s a^2} 2^64 with a^2 = h + l exactly (l by FMA); callers scale back last.
constexpr float kTwoM64 = 5.42101086242752217e-20f;  // 2^-64
NEURITE_INLINE __m512 exp_neg_sq_scaled16(__m512 a, float s) {
  const __m512 h = _mm512_mul_ps(a, a);
  const __m512 l = _mm512_fmsub_ps(a, a, h);
  return exp_core16(_mm512_mul_ps(set(-s), h), _mm512_mul_ps(set(-s), l), 64);
}

NEURITE_INLINE __m512 erf16(__m512 x) {
  const __m512 a = abs16(x);
  const __m512 ac = _mm512_min_ps(a, set(10.5f));
  const __m512 big = copysign16(
      _mm512_fnmadd_ps(_mm512_mul_ps(exp_neg_sq_scaled16(ac, 1.0f), set(kTwoM64)),
                       erfc_scaled16(ac), set(1.0f)), x);
  const __m512 r = select(lt(a, set(0.875f)), erf_small16(x), big);
  return select(isnan16(x), x, r);
}

struct PhiParts16 {
  __mmask16 near0, beyond;  // as PhiParts in the baseline
  __m512 phi0, q, g, gs;
};
NEURITE_INLINE PhiParts16 phi_parts16(__m512 x) {
  const __m512 z = _mm512_mul_ps(x, set(kSqrt1_2));
  const __m512 ac = _mm512_min_ps(abs16(x), set(15.0f));
  const __m512 gs = exp_neg_sq_scaled16(ac, 0.5f);
  return {lt(abs16(z), set(0.5f)), _mm512_cmp_ps_mask(abs16(x), set(15.0f), _CMP_GT_OQ),
          fma(set(0.5f), erf_small16(z), set(0.5f)),
          _mm512_mul_ps(set(0.5f), erfc_scaled16(_mm512_mul_ps(ac, set(kSqrt1_2)))),
          _mm512_mul_ps(gs, set(kTwoM64)), gs};
}

NEURITE_INLINE __m512 gelu16(__m512 x) {
  const PhiParts16 p = phi_parts16(x);
  const __m512 neg =
      select(p.beyond, _mm512_mul_ps(x, _mm512_setzero_ps()),
             _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(x, p.q), p.gs), set(kTwoM64)));
  const __m512 pos = _mm512_mul_ps(x, _mm512_fnmadd_ps(p.q, p.g, set(1.0f)));
  const __m512 far = select(lt(x, _mm512_setzero_ps()), neg, pos);
  return select(p.near0, _mm512_mul_ps(x, p.phi0), far);
}

NEURITE_INLINE __m512 gelu_grad16(__m512 x) {
  const PhiParts16 p = phi_parts16(x);
  const __m512 xk = _mm512_mul_ps(x, set(kInvSqrt2Pi));
  const __m512 neg =
      select(p.beyond, _mm512_sub_ps(x, x),
             _mm512_mul_ps(_mm512_mul_ps(_mm512_add_ps(p.q, xk), p.gs), set(kTwoM64)));
  const __m512 pos = fma(xk, p.g, _mm512_fnmadd_ps(p.q, p.g, set(1.0f)));
  const __m512 far = select(lt(x, _mm512_setzero_ps()), neg, pos);
  return select(p.near0, fma(xk, p.g, p.phi0), far);
}

NEURITE_INLINE __m512 gelu_tanh16(__m512 x) {
  const __m512 u2 = _mm512_mul_ps(
      x, fma(set(2.0f * kSqrt2OverPi * 0.044715f), _mm512_mul_ps(x, x), set(2.0f * kSqrt2OverPi)));
  return _mm512_mul_ps(x, sigmoid16(u2));
}

template <class F>
NEURITE_INLINE void map(float* y, const float* x, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = lane_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

// acc += the low 8 lanes of v, then the high 8: the AVX2 twin's order over 8-float steps.
NEURITE_INLINE __m256 add_halves(__m256 acc, __m512 v) {
  acc = _mm256_add_ps(acc, _mm512_castps512_ps256(v));
  return _mm256_add_ps(acc, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

}  // namespace

void vmath_exp__avx512(float* y, const float* x, int64_t n) { map(y, x, n, exp16); }
void vmath_log__avx512(float* y, const float* x, int64_t n) { map(y, x, n, log16); }
void vmath_tanh__avx512(float* y, const float* x, int64_t n) { map(y, x, n, tanh16); }
void vmath_sigmoid__avx512(float* y, const float* x, int64_t n) { map(y, x, n, sigmoid16); }
void vmath_erf__avx512(float* y, const float* x, int64_t n) { map(y, x, n, erf16); }
void vmath_gelu__avx512(float* y, const float* x, int64_t n) { map(y, x, n, gelu16); }
void vmath_gelu_tanh__avx512(float* y, const float* x, int64_t n) { map(y, x, n, gelu_tanh16); }

void vmath_gelu_backward__avx512(float* dx, const float* dy, const float* x, int64_t n) {
  auto grad = [](__m512 g_in, __m512 v) { return _mm512_mul_ps(g_in, gelu_grad16(v)); };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(dx + i, grad(_mm512_loadu_ps(dy + i), _mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = lane_mask(n - i);
    _mm512_mask_storeu_ps(dx + i, m,
                          grad(_mm512_maskz_loadu_ps(m, dy + i), _mm512_maskz_loadu_ps(m, x + i)));
  }
}

float vmath_exp_sum_row__avx512(float* y, const float* x, int64_t n, float max) {
  const __m512 vmax = set(max);
  // The 8 partial sums of the AVX2 twin (lane j adds x[i] with i % 8 == j, in order). Adding a
  // tail's zeroed lanes leaves them unchanged: the sums start at +0 and exp is >= +0 or NaN.
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), vmax));
    _mm512_storeu_ps(y + i, v);
    acc = add_halves(acc, v);
  }
  if (i < n) {
    const __mmask16 m = lane_mask(n - i);
    const __m512 v = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vmax));
    _mm512_mask_storeu_ps(y + i, m, v);
    acc = add_halves(acc, _mm512_maskz_mov_ps(m, v));
  }
  // ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)), as the other twins
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

#undef NEURITE_INLINE

}  // namespace neurite
