// Portable vectorised math (contract and algorithms in vmath.h). Each function is a branch-free
// element formula (selects, no ifs) in a plain loop, so GCC vectorises it at the SSE2 baseline.
// x86/vmath_avx2_fma.cc is its twin: same constants, same steps, FMA where this file rounds twice.
// Sources: Cephes expf/logf (S. Moshier); tanh, erf and erfc polynomials fitted for float32
// (minimax in relative error).
#include <cstdint>
#include <cstring>

#include "../vmath.h"

// The selects below compare NaNs, which may raise FP exceptions; GCC if-converts (and so
// vectorises) them only when it may ignore exception flags, which neurite never reads.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

namespace neurite {
namespace {

inline uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline float fabs1(float x) { return from_bits(bits(x) & 0x7fffffffu); }
inline float copysign1(float m, float s) {
  return from_bits((bits(m) & 0x7fffffffu) | (bits(s) & 0x80000000u));
}

constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;  // kLn2Hi * n is exact
constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
constexpr float kSqrt1_2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;
constexpr float kSqrt2OverPi = 0.79788456080286535588f;

// e^x = 2^n e^r, n = round(x log2 e), |r| <~ ln2/2, e^r by Cephes' degree-6 polynomial. 2^n is
// applied as 2^(n/2) 2^(n - n/2) so results from the denormals to FLT_MAX round once.
// exp_core(x, lo, k) = e^(x + lo) 2^k for a tiny correction lo and k >= 0 with x + k ln2 <= 0.
inline float exp_core(float x, float lo, int32_t k) {
  float xc = x < -104.0f ? -104.0f : x;  // below: 0; above 89: inf. NaN passes both
  xc = xc > 89.0f ? 89.0f : xc;
  const float t = xc * kLog2e + kRound;
  const float n = t - kRound;
  const int32_t ni = static_cast<int32_t>(bits(t) - bits(kRound));
  float r = xc - n * kLn2Hi;
  r = r + (lo - n * kLn2Lo);
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const int32_t n1 = ni >> 1, n2 = ni - n1 + k;
  const float y = p * from_bits(static_cast<uint32_t>(n1 + 127) << 23) *
                  from_bits(static_cast<uint32_t>(n2 + 127) << 23);
  return x != x ? x : y;
}
inline float exp1(float x) { return exp_core(x, 0.0f, 0); }

// ln x = e ln2 + ln(1 + f), x = (1 + f) 2^e with 1 + f in [sqrt(1/2), sqrt(2)) (Cephes logf).
// Denormals are scaled by 2^23 first.
inline float log1(float x) {
  const bool tiny = x < 1.17549435e-38f;
  const float xs = tiny ? x * 8388608.0f : x;
  const uint32_t u = bits(xs);
  const int32_t e = static_cast<int32_t>((u >> 23) & 0xffu) - 126;  // xs = m 2^e, m in [1/2, 1)
  const float m = from_bits((u & 0x007fffffu) | 0x3f000000u);
  const bool lo = m < 0.70710678f;
  const float f = lo ? m + m - 1.0f : m - 1.0f;
  const float fe = static_cast<float>(lo ? e - 1 : e) - (tiny ? 23.0f : 0.0f);
  const float z = f * f;
  float y = 7.0376836292e-2f;
  y = y * f - 1.1514610310e-1f;
  y = y * f + 1.1676998740e-1f;
  y = y * f - 1.2420140846e-1f;
  y = y * f + 1.4249322787e-1f;
  y = y * f - 1.6668057665e-1f;
  y = y * f + 2.0000714765e-1f;
  y = y * f - 2.4999993993e-1f;
  y = y * f + 3.3333331174e-1f;
  y = y * f * z;
  y = y + kLn2Lo * fe;
  y = y - 0.5f * z;
  float r = f + y;
  r = r + kLn2Hi * fe;
  r = x > 3.40282347e38f ? x : r;                                     // +inf
  r = x < 0.0f ? from_bits(0x7fc00000u) : r;                          // NaN
  r = x == 0.0f ? -from_bits(0x7f800000u) : r;                        // -inf
  return x != x ? x : r;
}

// tanh: odd polynomial for |x| < 0.625, else 1 - 2 / (e^{2|x|} + 1) with x's sign.
inline float tanh1(float x) {
  const float a = fabs1(x);
  const float z = x * x;
  float p = -5.660337396e-3f;
  p = p * z + 2.059136331e-2f;
  p = p * z - 5.372121558e-2f;
  p = p * z + 1.333113015e-1f;
  p = p * z - 3.333325982e-1f;
  const float small = copysign1(x + x * (p * z), x);  // keeps tanh(-0) = -0
  const float big = copysign1(1.0f - 2.0f / (exp1(a + a) + 1.0f), x);
  return a < 0.625f ? small : big;
}

// 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below: one exp of -|x|, no overflow.
inline float sigmoid1(float x) {
  const float e = exp1(-fabs1(x));
  return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}

// erf(z) = z + z P(z^2) on |z| <= 0.9.
inline float erf_small(float z) {
  const float z2 = z * z;
  float p = 8.513421199e-05f;
  p = p * z2 - 8.175722905e-04f;
  p = p * z2 + 5.203867797e-03f;
  p = p * z2 - 2.686051279e-02f;
  p = p * z2 + 1.128371507e-01f;
  p = p * z2 - 3.761263490e-01f;
  p = p * z2 + 1.283791661e-01f;
  return z + z * p;
}

// erfc(z) e^{z^2} = t P(t), t = 2 / (2 + z), for 0.5 <= z <= 10.5.
inline float erfc_scaled(float z) {
  const float t = 2.0f / (2.0f + z);
  float p = -6.044548377e-02f;
  p = p * t + 2.932005823e-01f;
  p = p * t - 5.069883466e-01f;
  p = p * t + 3.012430370e-01f;
  p = p * t - 4.216273874e-02f;
  p = p * t + 2.088586688e-01f;
  p = p * t + 2.416781187e-01f;
  p = p * t + 2.825508416e-01f;
  p = p * t + 2.820775807e-01f;
  return t * p;
}

// e^{-s a^2} 2^64 for s = 1 or 1/2 and |a| <= 15, with a^2 = h + l exactly (Dekker's
// product). Scaled by 2^64 so that it stays normal; callers scale back last.
constexpr float kTwoM64 = 5.42101086242752217e-20f;  // 2^-64
inline float exp_neg_sq_scaled(float a, float s) {
  const float h = a * a;
  const float ah = from_bits(bits(a) & 0xfffff000u), al = a - ah;
  const float l = ((ah * ah - h) + 2.0f * ah * al) + al * al;
  return exp_core(-s * h, -s * l, 64);
}

inline float erf1(float x) {
  const float a = fabs1(x);
  const float ac = a < 10.5f ? a : 10.5f;  // erf = +-1 long before; NaN -> 10.5, fixed below
  const float big =
      copysign1(1.0f - (exp_neg_sq_scaled(ac, 1.0f) * kTwoM64) * erfc_scaled(ac), x);
  const float r = a < 0.875f ? erf_small(x) : big;
  return x != x ? x : r;
}

// Pieces of Phi(x), the normal CDF: near 0 (|x| < 1/sqrt2) Phi = 1/2 + erf(x/sqrt2)/2; else
// Phi = q g below 0 and 1 - q g above, q = erfc(|x|/sqrt2) e^{x^2/2} / 2 and g = e^{-x^2/2}: no
// cancellation for x << 0. gs = g 2^64, and products with it come last so tiny results round
// once.
struct PhiParts {
  bool near0, beyond;  // beyond: |x| > 15, where the result rounds to 0 (NaN for -inf)
  float phi0, q, g, gs;
};
inline PhiParts phi_parts(float x) {
  const float z = x * kSqrt1_2;
  const float a = fabs1(x);
  const float ac = a < 15.0f ? a : 15.0f;
  const float gs = exp_neg_sq_scaled(ac, 0.5f);
  return {fabs1(z) < 0.5f, a > 15.0f, 0.5f + 0.5f * erf_small(z), 0.5f * erfc_scaled(ac * kSqrt1_2),
          gs * kTwoM64, gs};
}

inline float gelu1(float x) {
  const PhiParts p = phi_parts(x);
  const float neg = p.beyond ? x * 0.0f : ((x * p.q) * p.gs) * kTwoM64;
  const float far = x < 0.0f ? neg : x * (1.0f - p.q * p.g);
  return p.near0 ? x * p.phi0 : far;
}

// d gelu / dx = Phi(x) + x phi(x), phi(x) = g / sqrt(2 pi).
inline float gelu_grad1(float x) {
  const PhiParts p = phi_parts(x);
  const float xk = x * kInvSqrt2Pi;
  const float neg = p.beyond ? x - x : ((p.q + xk) * p.gs) * kTwoM64;
  const float far = x < 0.0f ? neg : (1.0f - p.q * p.g) + xk * p.g;
  return p.near0 ? p.phi0 + xk * p.g : far;
}

// x / 2 (1 + tanh(u)) = x sigmoid(2u): no cancellation for x << 0.
inline float gelu_tanh1(float x) {
  const float u2 = x * (2.0f * kSqrt2OverPi + (2.0f * kSqrt2OverPi * 0.044715f) * (x * x));
  return x * sigmoid1(u2);
}

}  // namespace

void vmath_exp__scalar(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = exp1(x[i]);
}
void vmath_log__scalar(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = log1(x[i]);
}
void vmath_tanh__scalar(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = tanh1(x[i]);
}
void vmath_sigmoid__scalar(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = sigmoid1(x[i]);
}
void vmath_erf__scalar(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = erf1(x[i]);
}
void vmath_gelu__scalar(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = gelu1(x[i]);
}
void vmath_gelu_tanh__scalar(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = gelu_tanh1(x[i]);
}

void vmath_gelu_backward__scalar(float* dx, const float* dy, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * gelu_grad1(x[i]);
}

float vmath_exp_sum_row__scalar(float* y, const float* x, int64_t n, float max) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) {
      const float v = exp1(x[i + j] - max);
      y[i + j] = v;
      acc[j] += v;
    }
  }
  for (int j = 0; i + j < n; ++j) {
    const float v = exp1(x[i + j] - max);
    y[i + j] = v;
    acc[j] += v;
  }
  return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

}  // namespace neurite
