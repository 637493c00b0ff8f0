// Vectorised math (kernels/vmath.h) against double-precision libm: every kernel of the baseline,
// AVX2/FMA and AVX-512 tables over a strided sweep of all float bit patterns, dense ranges and
// special values (NaN, +-inf, +-0, denormals, overflow and underflow thresholds). Reports the max
// error in ulps per kernel and checks the twins agree (AVX2 with the baseline within a few ulp,
// AVX-512 with AVX2 bitwise), the awkward sizes, aliasing and the tail (nothing written past n).
// Prints `N passed, N failed`; exit status 1 on any failure.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "../kernels/vmath.h"
#include "../runtime/dispatch.h"

namespace {

using neurite::VMathKernels;

int passed = 0, failed = 0;
// Results below this are denormal: their error is reported in units of 2^-149, separately.
constexpr double kFltMin = 1.17549435e-38;

void check(bool ok, const char* what) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    std::printf("FAIL %s\n", what);
  }
}

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// |got - want| in units of the float spacing at `scale` (>= the smallest denormal). Inf and NaN
// must match exactly; a result rounded to +-inf counts as +-2^128.
double ulps(float got, double want, double scale) {
  if (std::isnan(want)) return std::isnan(got) ? 0.0 : 1e30;
  if (std::isnan(got)) return 1e30;
  if (want == 0 && got == 0) return std::signbit(want) == std::signbit(got) ? 0.0 : 1e30;
  if (std::isinf(want) || std::isinf(float(want))) return got == float(want) ? 0.0 : 1e30;
  double g = std::isinf(got) ? std::copysign(std::ldexp(1.0, 128), got) : double(got);
  double s = std::fabs(scale);
  s = s > std::numeric_limits<float>::max() ? std::numeric_limits<float>::max() : s;
  int e;
  std::frexp(s, &e);  // s in [2^(e-1), 2^e)
  double ulp = std::ldexp(1.0, (e - 1 < -126 ? -126 : e - 1) - 23);
  return std::fabs(g - want) / ulp;
}

double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double phi(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }

struct Fn {
  const char* name;
  neurite::VMathUnary VMathKernels::*kernel;
  double (*ref)(double);
  double (*scale)(double);  // the magnitude errors are measured against (|ref| unless noted)
  float (*libm)(float);     // libm's float function, for comparison; may be null
  double max_ulp;           // allowed error against the double reference
  // Condition number |x f'(x) / f(x)|, when a float implementation cannot avoid rounding an
  // intermediate of x: 2 cond(x) ulps more are allowed (a 2-ulp change of x). May be null.
  double (*cond)(double);
};

double ref_exp(double x) { return std::exp(x); }
double ref_log(double x) { return std::log(x); }
double ref_tanh(double x) { return std::tanh(x); }
double ref_sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double ref_erf(double x) { return std::erf(x); }
double ref_gelu(double x) { return x * Phi(x); }
double ref_gelu_tanh(double x) {
  double u = std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x);
  return x / (1.0 + std::exp(-2.0 * u));
}
// GELU's gradient Phi + x phi crosses zero near x = -0.75: measure against |Phi| + |x phi|.
double ref_gelu_grad(double x) { return Phi(x) + x * phi(x); }
double scale_gelu_grad(double x) { return Phi(x) + std::fabs(x * phi(x)); }
double cond_gelu_tanh(double x) {
  double h = std::fabs(x) * 1e-7 + 1e-30, f = ref_gelu_tanh(x);
  double d = (ref_gelu_tanh(x + h) - ref_gelu_tanh(x - h)) / (2 * h);
  return f == 0 || !std::isfinite(d) ? 0.0 : std::fabs(x * d / f);
}
double scale_ref_exp(double x) { return std::exp(x); }
double scale_ref_log(double x) { return std::log(x); }
double scale_ref_tanh(double x) { return std::tanh(x); }
double scale_ref_sigmoid(double x) { return ref_sigmoid(x); }
double scale_ref_erf(double x) { return std::erf(x); }
double scale_ref_gelu(double x) { return ref_gelu(x); }
double scale_ref_gelu_tanh(double x) { return ref_gelu_tanh(x); }
float libm_exp(float x) { return std::exp(x); }
float libm_log(float x) { return std::log(x); }
float libm_tanh(float x) { return std::tanh(x); }
float libm_erf(float x) { return std::erf(x); }
// The formula elementwise.cc used before vmath: cancels for x << 0.
float libm_gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678f)); }

std::vector<float> inputs() {
  std::vector<float> v;
  for (uint64_t u = 0; u < (1ull << 32); u += 997) v.push_back(from_bits(uint32_t(u)));
  for (int i = 0; i <= 400000; ++i) v.push_back(-20.0f + 40.0f * float(i) / 400000.0f);
  for (int i = 0; i <= 100000; ++i) v.push_back(-110.0f + 220.0f * float(i) / 100000.0f);
  const float inf = std::numeric_limits<float>::infinity();
  const float special[] = {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(),
                           -std::numeric_limits<float>::quiet_NaN(), 1.0f, -1.0f,
                           std::numeric_limits<float>::min(), std::numeric_limits<float>::denorm_min(),
                           -std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max(),
                           -std::numeric_limits<float>::max(), 88.7228317f, 88.7228394f, 88.72284f,
                           -87.3365479f, -103.972076f, -103.972084f, -104.0f, 89.0f, 0.5f, -0.5f,
                           0.625f, -0.625f, 0.70710677f, -0.70710677f, 0.70710683f, 10.5f, 15.0f,
                           -15.0f, 1e-30f, -1e-30f, 1e30f, -1e30f, 3.92f, -3.92f, 9.0f, -9.0f};
  for (float s : special) {
    v.push_back(s);
    v.push_back(std::nextafter(s, inf));
    v.push_back(std::nextafter(s, -inf));
  }
  return v;
}

// Bit patterns equal at every index (NaNs included); reports the first difference.
bool same_bits(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::memcmp(&a[i], &b[i], 4) != 0) {
      std::printf("  %s: first difference at %zu: %a vs %a\n", what, i, double(a[i]),
                  double(b[i]));
      return false;
    }
  }
  return true;
}

// tables: the baseline, then AVX2/FMA and AVX-512 when the CPU has them.
void sweep(const VMathKernels* const* tables, int ntables, const std::vector<float>& x) {
  const Fn fns[] = {
      {"exp", &VMathKernels::exp, ref_exp, scale_ref_exp, libm_exp, 1.5, nullptr},
      {"log", &VMathKernels::log, ref_log, scale_ref_log, libm_log, 1.5, nullptr},
      {"tanh", &VMathKernels::tanh, ref_tanh, scale_ref_tanh, libm_tanh, 2.5, nullptr},
      {"sigmoid", &VMathKernels::sigmoid, ref_sigmoid, scale_ref_sigmoid, nullptr, 2.5, nullptr},
      {"erf", &VMathKernels::erf, ref_erf, scale_ref_erf, libm_erf, 2.0, nullptr},
      {"gelu", &VMathKernels::gelu, ref_gelu, scale_ref_gelu, libm_gelu, 6.0, nullptr},
      {"gelu_tanh", &VMathKernels::gelu_tanh, ref_gelu_tanh, scale_ref_gelu_tanh, nullptr, 3.0,
       cond_gelu_tanh},
  };
  const int64_t n = int64_t(x.size());
  std::vector<std::vector<float>> ys(ntables, std::vector<float>(n));
  const std::vector<float>& ya = ys[0];
  std::vector<float> ones(n, 1.0f);
  char what[200];
  for (const Fn& f : fns) {
    std::vector<double> want(n), scale(n), allow(n);
    for (int64_t i = 0; i < n; ++i) {
      want[i] = f.ref(double(x[i]));
      scale[i] = std::isfinite(want[i]) ? f.scale(double(x[i])) : want[i];
      allow[i] = f.cond && std::isfinite(want[i]) ? 2.0 * f.cond(double(x[i])) : 0.0;
    }
    if (f.libm) {
      double worst = 0;
      float at = 0;
      for (int64_t i = 0; i < n; ++i) {
        double e = ulps(f.libm(x[i]), want[i], scale[i]);
        if (e > worst) worst = e, at = x[i];
      }
      std::printf("  %-10s libm float    max %.2f ulp at %a\n", f.name, worst, at);
    }
    for (int t = 0; t < ntables; ++t) {
      std::vector<float>& y = ys[t];
      (tables[t]->*f.kernel)(y.data(), x.data(), n);
      double worst = 0, worst_sub = 0;
      float at = 0;
      for (int64_t i = 0; i < n; ++i) {
        double e = ulps(y[i], want[i], scale[i]) - allow[i];
        if (std::fabs(scale[i]) < kFltMin) {
          worst_sub = e > worst_sub ? e : worst_sub;
        } else if (e > worst) {
          worst = e, at = x[i];
        }
      }
      std::printf("  %-10s %-13s denormal results: max error %.2f x 2^-149\n", f.name,
                  tables[t]->isa, worst_sub);
      std::snprintf(what, sizeof what, "%s %s: denormal results within %.2f <= 16 x 2^-149",
                    f.name, tables[t]->isa, worst_sub);
      check(worst_sub <= 16, what);
      std::printf("  %-10s %-13s max %.2f ulp%s at x = %a\n", f.name, tables[t]->isa, worst,
                  f.cond ? " beyond cond(x)" : "", double(at));
      std::snprintf(what, sizeof what, "%s %s: max %.2f ulp <= %.1f", f.name, tables[t]->isa,
                    worst, f.max_ulp);
      check(worst <= f.max_ulp, what);
    }
    if (ntables >= 2) {
      const std::vector<float>& yb = ys[1];
      // Denormal results in units of 2^-149, up to 16; gelu_tanh rounds its steep inner
      // argument differently with FMA (beyond the cond(x) allowance, up to 4); gelu's erfc
      // polynomial in t = 2 / (2 + z) loses ~2 ulp to cancellation, differently with FMA.
      const double tol = f.cond ? 4.0 : (std::strcmp(f.name, "gelu") == 0 ? 8.0 : 2.0);
      double worst = 0, worst_sub = 0;
      for (int64_t i = 0; i < n; ++i) {
        double e = ulps(yb[i], double(ya[i]), scale[i]) - allow[i];
        if (std::isnan(ya[i]) && std::isnan(yb[i])) e = 0;
        double& w = std::fabs(scale[i]) < kFltMin ? worst_sub : worst;
        w = e > w ? e : w;
      }
      std::printf("  %-10s twins agree within %.2f ulp (denormal results %.2f x 2^-149)\n",
                  f.name, worst, worst_sub);
      std::snprintf(what, sizeof what, "%s twins agree: %.2f ulp <= %.0f, denormals %.2f <= 16",
                    f.name, worst, tol, worst_sub);
      check(worst <= tol && worst_sub <= 16, what);
    }
    if (ntables >= 3) {
      std::snprintf(what, sizeof what, "%s avx512 twin equals avx2-fma bitwise", f.name);
      check(same_bits(ys[2], ys[1], what), what);
    }
  }

  // GELU's gradient with dy = 1, measured against |Phi| + |x phi| (it crosses zero).
  for (int t = 0; t < ntables; ++t) {
    std::vector<float>& y = ys[t];
    tables[t]->gelu_backward(y.data(), ones.data(), x.data(), n);
    double worst = 0, worst_sub = 0;
    float at = 0;
    for (int64_t i = 0; i < n; ++i) {
      double w = ref_gelu_grad(x[i]);
      double sc = std::isfinite(w) ? scale_gelu_grad(x[i]) : w;
      double e = ulps(y[i], w, sc);
      if (std::isnan(w) && std::isnan(y[i])) e = 0;
      if (std::fabs(sc) < kFltMin) {
        worst_sub = e > worst_sub ? e : worst_sub;
      } else if (e > worst) {
        worst = e, at = x[i];
      }
    }
    std::printf("  %-10s %-13s denormal results: max error %.2f x 2^-149\n", "gelu_grad",
                tables[t]->isa, worst_sub);
    std::snprintf(what, sizeof what, "gelu_backward %s: denormal results within %.2f <= 16 x "
                  "2^-149", tables[t]->isa, worst_sub);
    check(worst_sub <= 16, what);
    std::printf("  %-10s %-13s max %.2f ulp (of |Phi| + |x phi|) at %a\n", "gelu_grad",
                tables[t]->isa, worst, at);
    std::snprintf(what, sizeof what, "gelu_backward %s: %.2f ulp <= 4", tables[t]->isa, worst);
    check(worst <= 4.0, what);
  }
  if (ntables >= 3) {
    check(same_bits(ys[2], ys[1], "gelu_backward dy=1"),
          "gelu_backward avx512 twin equals avx2-fma bitwise, dy = 1");
    // dy of every sign and magnitude, and the aliased form dx = dy
    std::vector<float> dy(n);
    for (int64_t i = 0; i < n; ++i) dy[i] = x[(i * 7919) % n];
    for (int t = 1; t < 3; ++t) {
      ys[t] = dy;
      tables[t]->gelu_backward(ys[t].data(), ys[t].data(), x.data(), n);
    }
    check(same_bits(ys[2], ys[1], "gelu_backward dy=x[perm]"),
          "gelu_backward avx512 twin equals avx2-fma bitwise, dy of all signs, dx = dy");
  }
}

// exp_sum_row of AVX-512 against AVX2, bitwise: the outputs and the sums of rows of every
// length 0..160 and 1001 cut from the sweep's inputs (most sums inf or NaN), with max 20 and
// +inf, then rows of up to 6464 values within [-20, 20].
void exp_sum_row_bitwise(const VMathKernels* avx2, const VMathKernels* avx512,
                         const std::vector<float>& x) {
  const int64_t n = int64_t(x.size());
  std::vector<float> y1(x.size()), y2(x.size()), s1, s2;
  const float maxes[] = {20.0f, std::numeric_limits<float>::infinity()};
  for (float m : maxes) {
    int64_t len = 0;
    for (int64_t i = 0; i < n; i += len) {
      len = len < 160 ? len + 1 : (len == 160 ? 1001 : 0);
      if (i + len > n) len = n - i;
      s1.push_back(avx2->exp_sum_row(y1.data() + i, x.data() + i, len, m));
      s2.push_back(avx512->exp_sum_row(y2.data() + i, x.data() + i, len, m));
    }
  }
  check(same_bits(y2, y1, "exp_sum_row outputs"), "exp_sum_row avx512 outputs equal avx2-fma's");
  // rows of [-20, 20] only: finite, nonzero sums of many terms
  std::vector<float> d(64 * 101);
  for (size_t i = 0; i < d.size(); ++i) d[i] = std::sin(0.913 * double(i)) * 20.0;
  int64_t finite = 0;
  for (int64_t len = 1; len <= 64; ++len) {
    s1.push_back(avx2->exp_sum_row(y1.data(), d.data(), len * 101, 20.0f));
    s2.push_back(avx512->exp_sum_row(y2.data(), d.data(), len * 101, 20.0f));
    finite += std::isfinite(s1.back()) && s1.back() > 0;
  }
  check(finite == 64, "exp_sum_row: rows within [-20, 20] have finite positive sums");
  check(same_bits(s2, s1, "exp_sum_row sums"), "exp_sum_row avx512 sums equal avx2-fma's");
  std::printf("  exp_sum_row  %zu rows compared bitwise\n", s1.size());
}

// Sizes around the vector width, aliasing, nothing written past n, exp_sum_row's sum.
void sizes(const VMathKernels* k) {
  constexpr int64_t kPad = 16;  // a whole vector of the widest twin
  char what[200];
  const int64_t ns[] = {0, 1, 3, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 100, 1001};
  for (int64_t n : ns) {
    std::vector<float> x(n + kPad), y(n + kPad, 12345.0f), dy(n + kPad, 2.0f);
    for (int64_t i = 0; i < n + kPad; ++i) x[i] = std::sin(0.37 * double(i)) * 6.0;
    const neurite::VMathUnary fs[] = {k->exp, k->log, k->tanh, k->sigmoid,
                                      k->erf, k->gelu, k->gelu_tanh};
    bool ok = true;
    for (auto f : fs) {
      f(y.data(), x.data(), n);
      for (int64_t i = n; i < n + kPad; ++i) ok = ok && y[i] == 12345.0f;
      std::vector<float> z(x);
      f(z.data(), z.data(), n);  // in place
      for (int64_t i = 0; i < n; ++i)
        ok = ok && (std::memcmp(&z[i], &y[i], 4) == 0);
    }
    k->gelu_backward(y.data(), dy.data(), x.data(), n);
    for (int64_t i = n; i < n + kPad; ++i) ok = ok && y[i] == 12345.0f;
    double s = k->exp_sum_row(y.data(), x.data(), n, 6.0f), want = 0;
    for (int64_t i = n; i < n + kPad; ++i) ok = ok && y[i] == 12345.0f;
    for (int64_t i = 0; i < n; ++i) {
      want += std::exp(double(x[i]) - 6.0);
      ok = ok && ulps(y[i], std::exp(double(x[i] - 6.0f)), std::exp(double(x[i] - 6.0f))) <= 1.5;
    }
    ok = ok && std::fabs(s - want) <= 1e-6 * want + 1e-30;
    std::snprintf(what, sizeof what, "%s n=%lld: tail untouched, in place = out of place, "
                  "exp_sum_row sum", k->isa, (long long)n);
    check(ok, what);
  }
}

}  // namespace

int main() {
  const VMathKernels* tables[3] = {neurite::vmath_baseline(), neurite::vmath_avx2_fma(),
                                   neurite::vmath_avx512()};
  const int ntables = !tables[1] ? 1 : !tables[2] ? 2 : 3;
  if (!tables[1]) std::printf("skipped: AVX2/FMA twin (CPU lacks AVX2 or FMA)\n");
  if (!tables[2]) std::printf("skipped: AVX-512 twin (CPU or OS lacks AVX-512F)\n");
  const std::vector<float> x = inputs();
  std::printf("%zu inputs\n", x.size());
  sweep(tables, ntables, x);
  if (ntables == 3) exp_sum_row_bitwise(tables[1], tables[2], x);
  for (int t = 0; t < ntables; ++t) sizes(tables[t]);
  // The table in use follows the GEMM table (NEURITE_ISA included); the names are shared.
  char what[200];
  std::snprintf(what, sizeof what, "vmath() is %s like ukernels()", neurite::ukernels().isa);
  check(std::strcmp(neurite::vmath().isa, neurite::ukernels().isa) == 0, what);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
