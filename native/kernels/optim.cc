// Fused optimizer updates (see optim.h). The per-element code mirrors torch/optim/*.py
// (_single_tensor_* in PyTorch 1.13) line by line; each PyTorch tensor op is one float32
// expression here, in the same order: add(x, alpha) is x0 + alpha*x, addcmul is
// x0 + value*a*b, addcdiv is x0 + value*(a/b).
#include "optim.h"

#include <cmath>
#include <vector>

#include "../runtime/pool.h"

namespace neurite {
namespace {

constexpr int64_t kGrain = 16384;

template <class F>
void each(int64_t n, F f) {
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) f(i);
  });
}

inline float f32(double v) { return static_cast<float>(v); }

}  // namespace

void sgd_step(float* param, float* momentum_buffer, const float* grad, int64_t n,
              const SgdOptions& o) {
  const float wd = f32(o.weight_decay), mom = f32(o.momentum);
  const float damp = f32(1.0 - o.dampening), neg_lr = f32(-o.lr);
  const bool use_wd = o.weight_decay != 0, use_mom = o.momentum != 0;
  each(n, [&](int64_t i) {
    float p = param[i];
    float d = o.maximize ? -grad[i] : grad[i];
    if (use_wd) d = d + wd * p;
    if (use_mom) {
      float buf = o.first ? d : momentum_buffer[i] * mom + damp * d;
      momentum_buffer[i] = buf;
      d = o.nesterov ? d + mom * buf : buf;
    }
    param[i] = p + neg_lr * d;
  });
}

void adam_step(float* param, float* exp_avg, float* exp_avg_sq, float* max_exp_avg_sq,
               const float* grad, int64_t n, const AdamOptions& o) {
  const double bias_correction1 = 1 - std::pow(o.beta1, o.step);
  const double bias_correction2 = 1 - std::pow(o.beta2, o.step);
  const float neg_step_size = f32(-(o.lr / bias_correction1));
  const float bc2_sqrt = f32(std::sqrt(bias_correction2));
  const float b1 = f32(o.beta1), c1 = f32(1 - o.beta1), b2 = f32(o.beta2), c2 = f32(1 - o.beta2);
  const float eps = f32(o.eps), wd = f32(o.weight_decay), decay = f32(1 - o.lr * o.weight_decay);
  const bool use_wd = o.weight_decay != 0;
  each(n, [&](int64_t i) {
    float g = o.maximize ? -grad[i] : grad[i];
    float p = param[i];
    if (o.decoupled) {
      p = p * decay;
    } else if (use_wd) {
      g = g + wd * p;
    }
    float m = exp_avg[i] * b1 + c1 * g;
    float v = exp_avg_sq[i] * b2 + c2 * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    if (o.amsgrad) {
      float mx = max_exp_avg_sq[i];
      mx = (mx >= v || std::isnan(mx)) ? mx : v;  // torch.maximum propagates NaN
      max_exp_avg_sq[i] = mx;
      v = mx;
    }
    float denom = std::sqrt(v) / bc2_sqrt + eps;
    param[i] = p + neg_step_size * (m / denom);
  });
}

void rmsprop_step(float* param, float* square_avg, float* grad_avg, float* momentum_buffer,
                  const float* grad, int64_t n, const RmspropOptions& o) {
  const float alpha = f32(o.alpha), c = f32(1 - o.alpha), eps = f32(o.eps);
  const float wd = f32(o.weight_decay), mom = f32(o.momentum), neg_lr = f32(-o.lr);
  const bool use_wd = o.weight_decay != 0, use_mom = o.momentum > 0;
  each(n, [&](int64_t i) {
    float g = o.maximize ? -grad[i] : grad[i];
    float p = param[i];
    if (use_wd) g = g + wd * p;
    float s = square_avg[i] * alpha + c * g * g;
    square_avg[i] = s;
    float avg;
    if (o.centered) {
      float a = grad_avg[i] * alpha + c * g;
      grad_avg[i] = a;
      avg = std::sqrt(s + -1.0f * a * a);
    } else {
      avg = std::sqrt(s);
    }
    avg = avg + eps;
    if (use_mom) {
      float buf = momentum_buffer[i] * mom + g / avg;
      momentum_buffer[i] = buf;
      param[i] = p + neg_lr * buf;
    } else {
      param[i] = p + neg_lr * (g / avg);
    }
  });
}

void adagrad_step(float* param, float* sum, const float* grad, int64_t n,
                  const AdagradOptions& o) {
  const float neg_clr = f32(-(o.lr / (1 + (o.step - 1) * o.lr_decay)));
  const float eps = f32(o.eps), wd = f32(o.weight_decay);
  const bool use_wd = o.weight_decay != 0;
  each(n, [&](int64_t i) {
    float g = o.maximize ? -grad[i] : grad[i];
    float p = param[i];
    if (use_wd) g = g + wd * p;
    float s = sum[i] + 1.0f * g * g;
    sum[i] = s;
    float std_ = std::sqrt(s) + eps;
    param[i] = p + neg_clr * (g / std_);
  });
}

void adadelta_step(float* param, float* square_avg, float* acc_delta, const float* grad,
                   int64_t n, const AdadeltaOptions& o) {
  const float rho = f32(o.rho), c = f32(1 - o.rho), eps = f32(o.eps);
  const float wd = f32(o.weight_decay), neg_lr = f32(-o.lr);
  const bool use_wd = o.weight_decay != 0;
  each(n, [&](int64_t i) {
    float g = o.maximize ? -grad[i] : grad[i];
    float p = param[i];
    if (use_wd) g = g + wd * p;
    float s = square_avg[i] * rho + c * g * g;
    square_avg[i] = s;
    float std_ = std::sqrt(s + eps);
    float delta = std::sqrt(acc_delta[i] + eps) / std_ * g;
    acc_delta[i] = acc_delta[i] * rho + c * delta * delta;
    param[i] = p + neg_lr * delta;
  });
}

void adamax_step(float* param, float* exp_avg, float* exp_inf, const float* grad, int64_t n,
                 const AdamaxOptions& o) {
  const float neg_clr = f32(-(o.lr / (1 - std::pow(o.beta1, o.step))));
  const float b1 = f32(o.beta1), c1 = f32(1 - o.beta1), b2 = f32(o.beta2);
  const float eps = f32(o.eps), wd = f32(o.weight_decay);
  const bool use_wd = o.weight_decay != 0;
  each(n, [&](int64_t i) {
    float g = o.maximize ? -grad[i] : grad[i];
    float p = param[i];
    if (use_wd) g = g + wd * p;
    float m = exp_avg[i] * b1 + c1 * g;
    exp_avg[i] = m;
    float a = exp_inf[i] * b2, b = std::fabs(g) + eps;
    float u = (a >= b || std::isnan(a)) ? a : b;  // torch.amax propagates NaN
    exp_inf[i] = u;
    param[i] = p + neg_clr * (m / u);
  });
}

float nadam_step(float* param, float* exp_avg, float* exp_avg_sq, const float* grad, int64_t n,
                 float mu_product, const NadamOptions& o) {
  const double bias_correction2 = 1 - std::pow(o.beta2, o.step);
  const double mu = o.beta1 * (1. - 0.5 * std::pow(0.96, o.step * o.momentum_decay));
  const double mu_next = o.beta1 * (1. - 0.5 * std::pow(0.96, (o.step + 1) * o.momentum_decay));
  mu_product = mu_product * f32(mu);                                // float32 tensor *= mu
  const float mu_product_next = mu_product * f32(mu) * f32(mu_next);  // float32 tensor
  const float coef_g = f32(-o.lr * (1. - mu) / (1. - static_cast<double>(mu_product)));
  const float coef_m =
      f32(-o.lr * mu_next / (1. - static_cast<double>(mu_product_next)));
  const float b1 = f32(o.beta1), c1 = f32(1 - o.beta1), b2 = f32(o.beta2), c2 = f32(1 - o.beta2);
  const float bc2 = f32(bias_correction2), eps = f32(o.eps), wd = f32(o.weight_decay);
  const bool use_wd = o.weight_decay != 0;
  each(n, [&](int64_t i) {
    float g = grad[i];
    float p = param[i];
    if (use_wd) g = g + wd * p;
    float m = exp_avg[i] * b1 + c1 * g;
    float v = exp_avg_sq[i] * b2 + c2 * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    float denom = std::sqrt(v / bc2) + eps;
    p = p + coef_g * (g / denom);
    param[i] = p + coef_m * (m / denom);
  });
  return mu_product;
}

double grad_norm_partial(const float* x, int64_t n, double p) {
  const bool inf = std::isinf(p), two = p == 2.0;
  auto part = [&](int64_t b, int64_t e) {
    double acc = 0;
    for (int64_t i = b; i < e; ++i) {
      double a = std::fabs(static_cast<double>(x[i]));
      if (inf) acc = (a > acc || std::isnan(a)) ? a : acc;
      else acc += two ? a * a : std::pow(a, p);
    }
    return acc;
  };
  int64_t chunks = parallel_chunks(n, kGrain);
  if (chunks <= 1) return part(0, n);
  std::vector<double> parts(static_cast<size_t>(chunks));
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    int64_t c = (b * chunks + n - 1) / n;  // b = floor(c * n / chunks)
    parts[static_cast<size_t>(c)] = part(b, e);
  });
  double acc = 0;
  for (double v : parts) {
    if (inf) acc = (v > acc || std::isnan(v)) ? v : acc;
    else acc += v;
  }
  return acc;
}

void grad_scale(float* x, int64_t n, float c) {
  each(n, [&](int64_t i) { x[i] = x[i] * c; });
}

void grad_clamp(float* x, int64_t n, float c) {
  each(n, [&](int64_t i) {
    float v = x[i];
    x[i] = std::isnan(v) ? v : (v < -c ? -c : (v > c ? c : v));
  });
}

}  // namespace neurite
