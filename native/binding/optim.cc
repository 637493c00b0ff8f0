// Optimizer exports: one fused update per parameter tensor, plus the gradient-clipping
// helpers. Every export checks that each buffer holds at least n floats; optional state
// buffers (null) are required exactly when the options use them.
#include "../kernels/optim.h"

#include <cmath>

#include "args.h"
#include "exports.h"

namespace neurite {
namespace {

// A required Float32Array of at least n elements.
float* state(const Args& a, size_t i, const char* name, int64_t n) {
  Buf<float> b = a.f32(i, name);
  a.need(name, b.length, n);
  return b.data;
}

// A Float32Array of at least n elements when `used`, else null (anything else is refused).
float* optional_state(const Args& a, size_t i, const char* name, int64_t n, bool used,
                      const char* when) {
  if (!used) {
    if (!a.is_null(i)) a.type_error(std::string(name) + " must be null unless " + when);
    return nullptr;
  }
  if (a.is_null(i)) a.type_error(std::string(name) + " must be a Float32Array when " + when);
  return state(a, i, name, n);
}

double step_count(const Args& a, size_t i) {
  return static_cast<double>(a.integer(i, "step", 1, kMaxSafe));
}

// sgdStep(param, momentumBuffer | null, grad, n, lr, momentum, dampening, weightDecay,
//         nesterov, maximize, first)
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  Args a(info, "sgdStep", 11);
  int64_t n = a.size(3, "n");
  SgdOptions o{a.number(4, "lr"),         a.number(5, "momentum"), a.number(6, "dampening"),
               a.number(7, "weightDecay"), a.boolean(8, "nesterov"), a.boolean(9, "maximize"),
               a.boolean(10, "first")};
  float* param = state(a, 0, "param", n);
  float* buf = optional_state(a, 1, "momentumBuffer", n, o.momentum != 0, "momentum != 0");
  float* grad = state(a, 2, "grad", n);
  sgd_step(param, buf, grad, n, o);
  return info.Env().Undefined();
}

// adamStep(param, expAvg, expAvgSq, maxExpAvgSq | null, grad, n, step, lr, beta1, beta2, eps,
//          weightDecay, amsgrad, maximize, decoupled)
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Args a(info, "adamStep", 15);
  int64_t n = a.size(5, "n");
  AdamOptions o{a.number(7, "lr"),    a.number(8, "beta1"),        a.number(9, "beta2"),
                a.number(10, "eps"),  a.number(11, "weightDecay"), step_count(a, 6),
                a.boolean(12, "amsgrad"), a.boolean(13, "maximize"), a.boolean(14, "decoupled")};
  float* param = state(a, 0, "param", n);
  float* exp_avg = state(a, 1, "expAvg", n);
  float* exp_avg_sq = state(a, 2, "expAvgSq", n);
  float* max_sq = optional_state(a, 3, "maxExpAvgSq", n, o.amsgrad, "amsgrad");
  float* grad = state(a, 4, "grad", n);
  adam_step(param, exp_avg, exp_avg_sq, max_sq, grad, n, o);
  return info.Env().Undefined();
}

// rmspropStep(param, squareAvg, gradAvg | null, momentumBuffer | null, grad, n, lr, alpha,
//             eps, weightDecay, momentum, centered, maximize)
Napi::Value RmspropStep(const Napi::CallbackInfo& info) {
  Args a(info, "rmspropStep", 13);
  int64_t n = a.size(5, "n");
  RmspropOptions o{a.number(6, "lr"),          a.number(7, "alpha"),    a.number(8, "eps"),
                   a.number(9, "weightDecay"), a.number(10, "momentum"), a.boolean(11, "centered"),
                   a.boolean(12, "maximize")};
  float* param = state(a, 0, "param", n);
  float* square_avg = state(a, 1, "squareAvg", n);
  float* grad_avg = optional_state(a, 2, "gradAvg", n, o.centered, "centered");
  float* buf = optional_state(a, 3, "momentumBuffer", n, o.momentum > 0, "momentum > 0");
  float* grad = state(a, 4, "grad", n);
  rmsprop_step(param, square_avg, grad_avg, buf, grad, n, o);
  return info.Env().Undefined();
}

// adagradStep(param, sum, grad, n, step, lr, lrDecay, eps, weightDecay, maximize)
Napi::Value AdagradStep(const Napi::CallbackInfo& info) {
  Args a(info, "adagradStep", 10);
  int64_t n = a.size(3, "n");
  AdagradOptions o{a.number(5, "lr"),          a.number(6, "lrDecay"), a.number(7, "eps"),
                   a.number(8, "weightDecay"), step_count(a, 4),       a.boolean(9, "maximize")};
  float* param = state(a, 0, "param", n);
  float* sum = state(a, 1, "sum", n);
  float* grad = state(a, 2, "grad", n);
  adagrad_step(param, sum, grad, n, o);
  return info.Env().Undefined();
}

// adadeltaStep(param, squareAvg, accDelta, grad, n, lr, rho, eps, weightDecay, maximize)
Napi::Value AdadeltaStep(const Napi::CallbackInfo& info) {
  Args a(info, "adadeltaStep", 10);
  int64_t n = a.size(4, "n");
  AdadeltaOptions o{a.number(5, "lr"), a.number(6, "rho"), a.number(7, "eps"),
                    a.number(8, "weightDecay"), a.boolean(9, "maximize")};
  float* param = state(a, 0, "param", n);
  float* square_avg = state(a, 1, "squareAvg", n);
  float* acc_delta = state(a, 2, "accDelta", n);
  float* grad = state(a, 3, "grad", n);
  adadelta_step(param, square_avg, acc_delta, grad, n, o);
  return info.Env().Undefined();
}

// adamaxStep(param, expAvg, expInf, grad, n, step, lr, beta1, beta2, eps, weightDecay,
//            maximize)
Napi::Value AdamaxStep(const Napi::CallbackInfo& info) {
  Args a(info, "adamaxStep", 12);
  int64_t n = a.size(4, "n");
  AdamaxOptions o{a.number(6, "lr"),  a.number(7, "beta1"),        a.number(8, "beta2"),
                  a.number(9, "eps"), a.number(10, "weightDecay"), step_count(a, 5),
                  a.boolean(11, "maximize")};
  float* param = state(a, 0, "param", n);
  float* exp_avg = state(a, 1, "expAvg", n);
  float* exp_inf = state(a, 2, "expInf", n);
  float* grad = state(a, 3, "grad", n);
  adamax_step(param, exp_avg, exp_inf, grad, n, o);
  return info.Env().Undefined();
}

// nadamStep(param, expAvg, expAvgSq, grad, n, step, muProduct, lr, beta1, beta2, eps,
//           weightDecay, momentumDecay) -> muProduct after the step
Napi::Value NadamStep(const Napi::CallbackInfo& info) {
  Args a(info, "nadamStep", 13);
  int64_t n = a.size(4, "n");
  double step = step_count(a, 5);
  double mu_product = a.number(6, "muProduct");
  NadamOptions o{a.number(7, "lr"),           a.number(8, "beta1"),
                 a.number(9, "beta2"),        a.number(10, "eps"),
                 a.number(11, "weightDecay"), a.number(12, "momentumDecay"),
                 step};
  float* param = state(a, 0, "param", n);
  float* exp_avg = state(a, 1, "expAvg", n);
  float* exp_avg_sq = state(a, 2, "expAvgSq", n);
  float* grad = state(a, 3, "grad", n);
  float out = nadam_step(param, exp_avg, exp_avg_sq, grad, n, static_cast<float>(mu_product), o);
  return Napi::Number::New(info.Env(), out);
}

// gradNormPartial(x, n, p) -> sum |x|^p (max |x| when p = Infinity), in double
Napi::Value GradNormPartial(const Napi::CallbackInfo& info) {
  Args a(info, "gradNormPartial", 3);
  int64_t n = a.size(1, "n");
  float* x = state(a, 0, "x", n);
  double p = a.number(2, "p");
  if (!(p > 0)) a.range_error("p must be > 0, got " + std::to_string(p));
  return Napi::Number::New(info.Env(), grad_norm_partial(x, n, p));
}

// gradScale(x, n, c): x *= c in place
Napi::Value GradScale(const Napi::CallbackInfo& info) {
  Args a(info, "gradScale", 3);
  int64_t n = a.size(1, "n");
  float* x = state(a, 0, "x", n);
  grad_scale(x, n, static_cast<float>(a.number(2, "c")));
  return info.Env().Undefined();
}

// gradClamp(x, n, c): x = clamp(x, -c, c) in place, c >= 0
Napi::Value GradClamp(const Napi::CallbackInfo& info) {
  Args a(info, "gradClamp", 3);
  int64_t n = a.size(1, "n");
  float* x = state(a, 0, "x", n);
  double c = a.number(2, "c");
  if (!(c >= 0)) a.range_error("c must be >= 0, got " + std::to_string(c));
  grad_clamp(x, n, static_cast<float>(c));
  return info.Env().Undefined();
}

}  // namespace

void register_optim(Napi::Env env, Napi::Object exports) {
  exports.Set("sgdStep", Napi::Function::New(env, SgdStep, "sgdStep"));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep, "adamStep"));
  exports.Set("rmspropStep", Napi::Function::New(env, RmspropStep, "rmspropStep"));
  exports.Set("adagradStep", Napi::Function::New(env, AdagradStep, "adagradStep"));
  exports.Set("adadeltaStep", Napi::Function::New(env, AdadeltaStep, "adadeltaStep"));
  exports.Set("adamaxStep", Napi::Function::New(env, AdamaxStep, "adamaxStep"));
  exports.Set("nadamStep", Napi::Function::New(env, NadamStep, "nadamStep"));
  exports.Set("gradNormPartial", Napi::Function::New(env, GradNormPartial, "gradNormPartial"));
  exports.Set("gradScale", Napi::Function::New(env, GradScale, "gradScale"));
  exports.Set("gradClamp", Napi::Function::New(env, GradClamp, "gradClamp"));
}

}  // namespace neurite
