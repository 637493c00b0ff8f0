// Normalisation kernels (see norm.h).
#include "norm.h"

#include <cmath>
#include <limits>

#include "../runtime/check.h"
#include "../runtime/pool.h"

namespace neurite {
namespace {

// Aim for chunks of at least ~32K elements of work.
int64_t grain_for(int64_t per_item) {
  int64_t g = 32768 / (per_item > 0 ? per_item : 1);
  return g < 1 ? 1 : g;
}

// Mean and biased variance (two passes, double) of `count` runs of S floats each, the runs
// `stride` apart starting at p.
void moments(const float* p, int64_t runs, int64_t S, int64_t stride, double* mean,
             double* var) {
  double n = static_cast<double>(runs) * static_cast<double>(S);
  if (n == 0) {  // runs may be huge when S == 0: read nothing
    *mean = 0;
    *var = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  double s = 0;
  for (int64_t r = 0; r < runs; ++r) {
    const float* q = p + r * stride;
    for (int64_t i = 0; i < S; ++i) s += q[i];
  }
  double m = n > 0 ? s / n : 0;
  double v = 0;
  for (int64_t r = 0; r < runs; ++r) {
    const float* q = p + r * stride;
    for (int64_t i = 0; i < S; ++i) {
      double d = q[i] - m;
      v += d * d;
    }
  }
  *mean = m;
  *var = n > 0 ? v / n : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

void batch_norm_forward(float* y, float* mean, float* invstd, float* running_mean,
                        float* running_var, const float* x, const float* weight,
                        const float* bias, int64_t N, int64_t C, int64_t S,
                        bool use_batch_stats, double momentum, double eps) {
  NEURITE_ASSERT(use_batch_stats || (running_mean && running_var));
  const int64_t CS = C * S;
  parallel_for(C, grain_for(N * S), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double m, v;
      if (use_batch_stats) {
        moments(x + c * S, N, S, CS, &m, &v);
        if (running_mean && running_var) {
          double count = static_cast<double>(N) * static_cast<double>(S);
          double unbiased = count > 1 ? v * count / (count - 1)
                                      : std::numeric_limits<double>::quiet_NaN();
          running_mean[c] = static_cast<float>((1 - momentum) * running_mean[c] + momentum * m);
          running_var[c] =
              static_cast<float>((1 - momentum) * running_var[c] + momentum * unbiased);
        }
      } else {
        m = running_mean[c];
        v = running_var[c];
      }
      double is = 1.0 / std::sqrt(v + eps);
      mean[c] = static_cast<float>(m);
      invstd[c] = static_cast<float>(is);
      double scale = (weight ? weight[c] : 1.0) * is;
      double shift = (bias ? bias[c] : 0.0) - m * scale;
      float a = static_cast<float>(scale), b = static_cast<float>(shift);
      for (int64_t n = 0; n < N && S > 0; ++n) {
        const float* xp = x + n * CS + c * S;
        float* yp = y + n * CS + c * S;
        for (int64_t i = 0; i < S; ++i) yp[i] = xp[i] * a + b;
      }
    }
  });
}

void batch_norm_backward(float* dx, float* dweight, float* dbias, const float* dy,
                         const float* x, const float* mean, const float* invstd,
                         const float* weight, int64_t N, int64_t C, int64_t S,
                         bool use_batch_stats) {
  const int64_t CS = C * S;
  const double count = static_cast<double>(N) * static_cast<double>(S);
  parallel_for(C, grain_for(N * S), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const double m = mean[c], is = invstd[c];
      double sum_dy = 0, sum_dy_xhat = 0;
      for (int64_t n = 0; n < N && S > 0; ++n) {
        const float* xp = x + n * CS + c * S;
        const float* gp = dy + n * CS + c * S;
        for (int64_t i = 0; i < S; ++i) {
          sum_dy += gp[i];
          sum_dy_xhat += gp[i] * (xp[i] - m);
        }
      }
      sum_dy_xhat *= is;
      if (dbias) dbias[c] = static_cast<float>(sum_dy);
      if (dweight) dweight[c] = static_cast<float>(sum_dy_xhat);
      if (!dx) continue;
      const double w = weight ? weight[c] : 1.0;
      const double k = w * is;
      if (count == 0) continue;  // dx is empty (N may be huge when S == 0)
      if (!use_batch_stats) {
        for (int64_t n = 0; n < N; ++n) {
          const float* gp = dy + n * CS + c * S;
          float* dp = dx + n * CS + c * S;
          for (int64_t i = 0; i < S; ++i) dp[i] = static_cast<float>(gp[i] * k);
        }
        continue;
      }
      const double mean_dy = sum_dy / count;
      const double mean_dy_xhat = sum_dy_xhat / count;
      for (int64_t n = 0; n < N; ++n) {
        const float* xp = x + n * CS + c * S;
        const float* gp = dy + n * CS + c * S;
        float* dp = dx + n * CS + c * S;
        for (int64_t i = 0; i < S; ++i) {
          double xhat = (xp[i] - m) * is;
          dp[i] = static_cast<float>(k * (gp[i] - mean_dy - xhat * mean_dy_xhat));
        }
      }
    }
  });
}

void layer_norm_forward(float* y, float* mean, float* rstd, const float* x,
                        const float* weight, const float* bias, int64_t M, int64_t D,
                        double eps) {
  parallel_for(M, grain_for(D), [&](int64_t m0, int64_t m1) {
    for (int64_t r = m0; r < m1; ++r) {
      double mu, var;
      moments(x + r * D, 1, D, D, &mu, &var);
      double rs = 1.0 / std::sqrt(var + eps);
      mean[r] = static_cast<float>(mu);
      rstd[r] = static_cast<float>(rs);
      const float* xp = x + r * D;
      float* yp = y + r * D;
      for (int64_t d = 0; d < D; ++d) {
        double v = (xp[d] - mu) * rs;
        if (weight) v *= weight[d];
        if (bias) v += bias[d];
        yp[d] = static_cast<float>(v);
      }
    }
  });
}

void layer_norm_backward(float* dx, float* dweight, float* dbias, const float* dy,
                         const float* x, const float* mean, const float* rstd,
                         const float* weight, int64_t M, int64_t D) {
  if (dx) {
    parallel_for(M, grain_for(D), [&](int64_t m0, int64_t m1) {
      for (int64_t r = m0; r < m1; ++r) {
        const float* xp = x + r * D;
        const float* gp = dy + r * D;
        float* dp = dx + r * D;
        const double mu = mean[r], rs = rstd[r];
        double s1 = 0, s2 = 0;  // sum(g), sum(g * xhat) with g = dy * weight
        for (int64_t d = 0; d < D; ++d) {
          double g = weight ? gp[d] * static_cast<double>(weight[d]) : gp[d];
          s1 += g;
          s2 += g * (xp[d] - mu) * rs;
        }
        const double a = D > 0 ? s1 / D : 0, b = D > 0 ? s2 / D : 0;
        for (int64_t d = 0; d < D; ++d) {
          double g = weight ? gp[d] * static_cast<double>(weight[d]) : gp[d];
          double xhat = (xp[d] - mu) * rs;
          dp[d] = static_cast<float>(rs * (g - a - xhat * b));
        }
      }
    });
  }
  if (dweight || dbias) {
    // per column, summed over rows in order: deterministic for any thread count
    parallel_for(D, grain_for(M), [&](int64_t d0, int64_t d1) {
      for (int64_t d = d0; d < d1; ++d) {
        double sw = 0, sb = 0;
        for (int64_t r = 0; r < M; ++r) {
          double g = dy[r * D + d];
          sb += g;
          sw += g * (x[r * D + d] - static_cast<double>(mean[r])) * rstd[r];
        }
        if (dweight) dweight[d] = static_cast<float>(sw);
        if (dbias) dbias[d] = static_cast<float>(sb);
      }
    });
  }
}

void group_norm_forward(float* y, float* mean, float* rstd, const float* x,
                        const float* weight, const float* bias, int64_t N, int64_t C,
                        int64_t S, int64_t G, double eps) {
  NEURITE_ASSERT(G >= 1 && C % G == 0);
  const int64_t Cg = C / G;
  const int64_t len = Cg * S;
  parallel_for(N * G, grain_for(len), [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t g = k % G;
      const float* xp = x + k * len;
      float* yp = y + k * len;
      double mu, var;
      moments(xp, 1, len, len, &mu, &var);
      double rs = 1.0 / std::sqrt(var + eps);
      mean[k] = static_cast<float>(mu);
      rstd[k] = static_cast<float>(rs);
      for (int64_t j = 0; j < Cg && S > 0; ++j) {
        const int64_t c = g * Cg + j;
        double scale = (weight ? weight[c] : 1.0) * rs;
        double shift = (bias ? bias[c] : 0.0) - mu * scale;
        float a = static_cast<float>(scale), b = static_cast<float>(shift);
        for (int64_t i = 0; i < S; ++i) yp[j * S + i] = xp[j * S + i] * a + b;
      }
    }
  });
}

void group_norm_backward(float* dx, float* dweight, float* dbias, const float* dy,
                         const float* x, const float* mean, const float* rstd,
                         const float* weight, int64_t N, int64_t C, int64_t S, int64_t G) {
  NEURITE_ASSERT(G >= 1 && C % G == 0);
  const int64_t Cg = C / G;
  const int64_t len = Cg * S;
  if (dx && len > 0) {  // with len == 0 dx is empty (and Cg may be huge)
    parallel_for(N * G, grain_for(len), [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        const int64_t g = k % G;
        const float* xp = x + k * len;
        const float* gp = dy + k * len;
        float* dp = dx + k * len;
        const double mu = mean[k], rs = rstd[k];
        double s1 = 0, s2 = 0;
        for (int64_t j = 0; j < Cg; ++j) {
          const double w = weight ? weight[g * Cg + j] : 1.0;
          for (int64_t i = 0; i < S; ++i) {
            double gw = gp[j * S + i] * w;
            s1 += gw;
            s2 += gw * (xp[j * S + i] - mu) * rs;
          }
        }
        const double a = len > 0 ? s1 / len : 0, b = len > 0 ? s2 / len : 0;
        for (int64_t j = 0; j < Cg; ++j) {
          const double w = weight ? weight[g * Cg + j] : 1.0;
          for (int64_t i = 0; i < S; ++i) {
            double xhat = (xp[j * S + i] - mu) * rs;
            dp[j * S + i] = static_cast<float>(rs * (gp[j * S + i] * w - a - xhat * b));
          }
        }
      }
    });
  }
  if (dweight || dbias) {
    parallel_for(C, grain_for(N * S), [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        const int64_t g = c / Cg;
        double sw = 0, sb = 0;
        for (int64_t n = 0; n < N && S > 0; ++n) {
          const int64_t k = n * G + g;
          const double mu = mean[k], rs = rstd[k];
          const float* xp = x + (n * C + c) * S;
          const float* gp = dy + (n * C + c) * S;
          for (int64_t i = 0; i < S; ++i) {
            sb += gp[i];
            sw += gp[i] * (xp[i] - mu) * rs;
          }
        }
        if (dweight) dweight[c] = static_cast<float>(sw);
        if (dbias) dbias[c] = static_cast<float>(sb);
      }
    });
  }
}

}  // namespace neurite
