// Vectorised math over float arrays: exp, log, tanh, sigmoid, erf, GELU (both forms), GELU's
// gradient and softmax's fused exp-and-sum. Three twins with the same algorithms: the portable
// baseline (scalar/vmath_scalar.cc, plain loops the compiler vectorises at SSE2), AVX2/FMA
// (x86/vmath_avx2_fma.cc) and AVX-512 (x86/vmath_avx512.cc, the AVX2 twin's operations 16 wide:
// bitwise the same results). runtime/vmath_dispatch.cc picks one table at load.
// Algorithms: Cephes-style range reduction + polynomials (exp, log, tanh near 0); erf near 0 and
// erfc(z) = exp(-z^2) t P(t), t = 2 / (2 + z), fitted by minimax to float32; exp(-x^2) uses the
// exact product x^2 = h + l so the tails keep their relative accuracy. Within ~2 ulp of libm
// over the whole float range; NaN, +-inf, -0, denormals and overflow behave as libm's.
#pragma once
#include <cstdint>

namespace neurite {

//   y, x [n]  y = f(x); may alias (each element is read before it is written). n >= 0.
using VMathUnary = void (*)(float* y, const float* x, int64_t n);

struct VMathKernels {
  const char* isa;       // "avx512", "avx2-fma" or "baseline"
  VMathUnary exp;        // e^x
  VMathUnary log;        // ln x (NaN for x < 0, -inf for +-0)
  VMathUnary tanh;
  VMathUnary sigmoid;    // 1 / (1 + e^-x)
  VMathUnary erf;
  VMathUnary gelu;       // x Phi(x) = x/2 (1 + erf(x / sqrt 2)); exact form, accurate for x << 0
  VMathUnary gelu_tanh;  // x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  //   dx [n] out: dy * (Phi(x) + x phi(x)); dy, x [n] in. dx may alias dy.
  void (*gelu_backward)(float* dx, const float* dy, const float* x, int64_t n);
  //   y [n] out: exp(x - max); x [n] in; returns sum(y) (8 interleaved partial sums combined
  //   pairwise, the same order in all twins). y may alias x.
  float (*exp_sum_row)(float* y, const float* x, int64_t n, float max);
};

// The table in use: the one named like ukernels().isa ("avx512", "avx2-fma", else the baseline),
// so NEURITE_ISA=avx2 or =baseline switches it too.
const VMathKernels& vmath();
// Tables by name, for twin tests: the baseline always exists; AVX2/FMA is null when the CPU
// lacks AVX2 or FMA, AVX-512 when cpu_has_avx512() is false.
const VMathKernels* vmath_baseline();
const VMathKernels* vmath_avx2_fma();
const VMathKernels* vmath_avx512();

void vmath_exp__scalar(float* y, const float* x, int64_t n);
void vmath_log__scalar(float* y, const float* x, int64_t n);
void vmath_tanh__scalar(float* y, const float* x, int64_t n);
void vmath_sigmoid__scalar(float* y, const float* x, int64_t n);
void vmath_erf__scalar(float* y, const float* x, int64_t n);
void vmath_gelu__scalar(float* y, const float* x, int64_t n);
void vmath_gelu_tanh__scalar(float* y, const float* x, int64_t n);
void vmath_gelu_backward__scalar(float* dx, const float* dy, const float* x, int64_t n);
float vmath_exp_sum_row__scalar(float* y, const float* x, int64_t n, float max);

void vmath_exp__avx2_fma(float* y, const float* x, int64_t n);
void vmath_log__avx2_fma(float* y, const float* x, int64_t n);
void vmath_tanh__avx2_fma(float* y, const float* x, int64_t n);
void vmath_sigmoid__avx2_fma(float* y, const float* x, int64_t n);
void vmath_erf__avx2_fma(float* y, const float* x, int64_t n);
void vmath_gelu__avx2_fma(float* y, const float* x, int64_t n);
void vmath_gelu_tanh__avx2_fma(float* y, const float* x, int64_t n);
void vmath_gelu_backward__avx2_fma(float* dx, const float* dy, const float* x, int64_t n);
float vmath_exp_sum_row__avx2_fma(float* y, const float* x, int64_t n, float max);

void vmath_exp__avx512(float* y, const float* x, int64_t n);
void vmath_log__avx512(float* y, const float* x, int64_t n);
void vmath_tanh__avx512(float* y, const float* x, int64_t n);
void vmath_sigmoid__avx512(float* y, const float* x, int64_t n);
void vmath_erf__avx512(float* y, const float* x, int64_t n);
void vmath_gelu__avx512(float* y, const float* x, int64_t n);
void vmath_gelu_tanh__avx512(float* y, const float* x, int64_t n);
void vmath_gelu_backward__avx512(float* dx, const float* dy, const float* x, int64_t n);
float vmath_exp_sum_row__avx512(float* y, const float* x, int64_t n, float max);

}  // namespace neurite
