// Fused optimizer updates: one pass over a parameter tensor and its state per step.
// Each kernel follows the single-tensor (foreach=False) code of torch.optim in PyTorch 1.13
// operation by operation: every tensor op rounds to float32, scalar options are cast from
// double to float as PyTorch casts Python scalars, and scalar schedules (bias corrections,
// step sizes) are computed in double as Python computes them. Shared shape for all kernels:
//   param  [n]  in/out
//   grad   [n]  in (never written; weight decay and maximize apply to a local copy)
//   state  [n]  in/out, one buffer per state tensor named as PyTorch's state keys
// Contiguous, no aliasing between buffers. Split over the pool; elements are independent, so
// results do not depend on the thread count.
#pragma once
#include <cstdint>

namespace neurite {

// SGD: g = ±grad + wd·param; buf = first ? g : momentum·buf + (1 − dampening)·g;
// d = momentum == 0 ? g : (nesterov ? g + momentum·buf : buf); param −= lr·d.
// momentum_buffer may be null when momentum == 0. `first` marks the step that creates it.
struct SgdOptions {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize, first;
};
void sgd_step(float* param, float* momentum_buffer, const float* grad, int64_t n,
              const SgdOptions& o);

// Adam / AdamW (decoupled): m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g², v̂ = max(v̂, v) with
// amsgrad; param += −lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps). Adam adds wd·param to g;
// AdamW first scales param by (1 − lr·wd). max_exp_avg_sq may be null unless amsgrad.
// `step` is t after the increment (>= 1).
struct AdamOptions {
  double lr, beta1, beta2, eps, weight_decay, step;
  bool amsgrad, maximize, decoupled;
};
void adam_step(float* param, float* exp_avg, float* exp_avg_sq, float* max_exp_avg_sq,
               const float* grad, int64_t n, const AdamOptions& o);

// RMSprop: s = α·s + (1 − α)·g²; centered: a = α·a + (1 − α)·g, avg = √(s − a²) + eps, else
// avg = √s + eps; momentum > 0: buf = momentum·buf + g/avg, param −= lr·buf; else
// param −= lr·g/avg. grad_avg may be null unless centered, momentum_buffer unless momentum > 0.
struct RmspropOptions {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};
void rmsprop_step(float* param, float* square_avg, float* grad_avg, float* momentum_buffer,
                  const float* grad, int64_t n, const RmspropOptions& o);

// Adagrad: sum += g²; param −= clr · g / (√sum + eps), clr = lr / (1 + (t − 1)·lr_decay).
struct AdagradOptions {
  double lr, lr_decay, eps, weight_decay, step;
  bool maximize;
};
void adagrad_step(float* param, float* sum, const float* grad, int64_t n,
                  const AdagradOptions& o);

// Adadelta: s = ρ·s + (1 − ρ)·g²; δ = √(Δ + eps)/√(s + eps)·g; Δ = ρ·Δ + (1 − ρ)·δ²;
// param −= lr·δ.
struct AdadeltaOptions {
  double lr, rho, eps, weight_decay;
  bool maximize;
};
void adadelta_step(float* param, float* square_avg, float* acc_delta, const float* grad,
                   int64_t n, const AdadeltaOptions& o);

// Adamax: m = β1·m + (1 − β1)·g; u = max(β2·u, |g| + eps); param −= lr/(1 − β1^t) · m/u.
struct AdamaxOptions {
  double lr, beta1, beta2, eps, weight_decay, step;
  bool maximize;
};
void adamax_step(float* param, float* exp_avg, float* exp_inf, const float* grad, int64_t n,
                 const AdamaxOptions& o);

// NAdam (PyTorch 1.13): μ_t = β1(1 − ½·0.96^(t·ψ)), μ_{t+1} likewise; Π = Π·μ_t (float32);
// m, v as Adam; denom = √(v/(1 − β2^t)) + eps;
// param −= lr(1 − μ_t)/(1 − Π) · g/denom + lr·μ_{t+1}/(1 − Π·μ_{t+1}) · m/denom.
// Takes Π before the step and returns it after (PyTorch keeps it as a float32 tensor).
struct NadamOptions {
  double lr, beta1, beta2, eps, weight_decay, momentum_decay, step;
};
float nadam_step(float* param, float* exp_avg, float* exp_avg_sq, const float* grad, int64_t n,
                 float mu_product, const NadamOptions& o);

// Σ|x|^p over x [n] in double (p = 2 squares exactly; p = ∞ gives max |x|, NaN propagating).
// Fixed summation order for a given thread count.
double grad_norm_partial(const float* x, int64_t n, double p);

// x = x·c in float32, in place (clip_grad_norm_'s final multiply).
void grad_scale(float* x, int64_t n, float c);

// x = clamp(x, −c, c) in place (clip_grad_value_); NaN stays NaN.
void grad_clamp(float* x, int64_t n, float c);

}  // namespace neurite
