// Normalisation exports: batch, layer and group norm, forward and backward. Optional buffers
// (weight, bias, running statistics, gradient outputs) are null or a Float32Array holding at
// least the elements the dims require.
#include "../kernels/norm.h"

#include <cmath>
#include <string>

#include "args.h"
#include "exports.h"

namespace neurite {
namespace {

// A Float32Array of at least n elements.
float* buffer(const Args& a, size_t i, const char* name, int64_t n) {
  Buf<float> b = a.f32(i, name);
  a.need(name, b.length, n);
  return b.data;
}

// null, or a Float32Array of at least n elements.
float* optional(const Args& a, size_t i, const char* name, int64_t n) {
  if (a.is_null(i)) return nullptr;
  return buffer(a, i, name, n);
}

double eps_arg(const Args& a, size_t i) {
  double eps = a.number(i, "eps");
  if (!(eps >= 0) || std::isinf(eps)) a.range_error("eps must be a finite number >= 0, got " + fmt(eps));
  return eps;
}

// batchNormForward(y, mean, invstd, runningMean | null, runningVar | null, x, weight | null,
//                  bias | null, N, C, S, useBatchStats, momentum, eps)
Napi::Value BatchNormForward(const Napi::CallbackInfo& info) {
  Args a(info, "batchNormForward", 14);
  int64_t N = a.size(8, "N"), C = a.size(9, "C"), S = a.size(10, "S");
  bool batch = a.boolean(11, "useBatchStats");
  double momentum = a.number(12, "momentum");
  double eps = eps_arg(a, 13);
  int64_t n = a.mul("N * C * S", a.mul("N * C", N, C), S);
  float* y = buffer(a, 0, "y", n);
  float* mean = buffer(a, 1, "mean", C);
  float* invstd = buffer(a, 2, "invstd", C);
  float* rm = optional(a, 3, "runningMean", C);
  float* rv = optional(a, 4, "runningVar", C);
  if ((rm == nullptr) != (rv == nullptr))
    a.type_error("runningMean and runningVar must both be null or both be given");
  if (!batch && !rm) a.type_error("runningMean must be a Float32Array when useBatchStats is false");
  if (batch && rm && !std::isfinite(momentum))
    a.range_error("momentum must be finite, got " + fmt(momentum));
  const float* x = buffer(a, 5, "x", n);
  const float* w = optional(a, 6, "weight", C);
  const float* b = optional(a, 7, "bias", C);
  batch_norm_forward(y, mean, invstd, rm, rv, x, w, b, N, C, S, batch, momentum, eps);
  return info.Env().Undefined();
}

// batchNormBackward(dx | null, dweight | null, dbias | null, dy, x, mean, invstd,
//                   weight | null, N, C, S, useBatchStats)
Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) {
  Args a(info, "batchNormBackward", 12);
  int64_t N = a.size(8, "N"), C = a.size(9, "C"), S = a.size(10, "S");
  bool batch = a.boolean(11, "useBatchStats");
  int64_t n = a.mul("N * C * S", a.mul("N * C", N, C), S);
  float* dx = optional(a, 0, "dx", n);
  float* dw = optional(a, 1, "dweight", C);
  float* db = optional(a, 2, "dbias", C);
  const float* dy = buffer(a, 3, "dy", n);
  const float* x = buffer(a, 4, "x", n);
  const float* mean = buffer(a, 5, "mean", C);
  const float* invstd = buffer(a, 6, "invstd", C);
  const float* w = optional(a, 7, "weight", C);
  batch_norm_backward(dx, dw, db, dy, x, mean, invstd, w, N, C, S, batch);
  return info.Env().Undefined();
}

// layerNormForward(y, mean, rstd, x, weight | null, bias | null, M, D, eps)
Napi::Value LayerNormForward(const Napi::CallbackInfo& info) {
  Args a(info, "layerNormForward", 9);
  int64_t M = a.size(6, "M"), D = a.size(7, "D");
  double eps = eps_arg(a, 8);
  int64_t n = a.mul("M * D", M, D);
  float* y = buffer(a, 0, "y", n);
  float* mean = buffer(a, 1, "mean", M);
  float* rstd = buffer(a, 2, "rstd", M);
  const float* x = buffer(a, 3, "x", n);
  const float* w = optional(a, 4, "weight", D);
  const float* b = optional(a, 5, "bias", D);
  layer_norm_forward(y, mean, rstd, x, w, b, M, D, eps);
  return info.Env().Undefined();
}

// layerNormBackward(dx | null, dweight | null, dbias | null, dy, x, mean, rstd,
//                   weight | null, M, D)
Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  Args a(info, "layerNormBackward", 10);
  int64_t M = a.size(8, "M"), D = a.size(9, "D");
  int64_t n = a.mul("M * D", M, D);
  float* dx = optional(a, 0, "dx", n);
  float* dw = optional(a, 1, "dweight", D);
  float* db = optional(a, 2, "dbias", D);
  const float* dy = buffer(a, 3, "dy", n);
  const float* x = buffer(a, 4, "x", n);
  const float* mean = buffer(a, 5, "mean", M);
  const float* rstd = buffer(a, 6, "rstd", M);
  const float* w = optional(a, 7, "weight", D);
  layer_norm_backward(dx, dw, db, dy, x, mean, rstd, w, M, D);
  return info.Env().Undefined();
}

int64_t groups_arg(const Args& a, size_t i, int64_t C) {
  int64_t G = a.integer(i, "G", 1, kMaxSafe);
  if (C % G != 0)
    a.range_error("G must divide C = " + std::to_string(C) + ", got " + std::to_string(G));
  return G;
}

// groupNormForward(y, mean, rstd, x, weight | null, bias | null, N, C, S, G, eps)
Napi::Value GroupNormForward(const Napi::CallbackInfo& info) {
  Args a(info, "groupNormForward", 11);
  int64_t N = a.size(6, "N"), C = a.size(7, "C"), S = a.size(8, "S");
  int64_t G = groups_arg(a, 9, C);
  double eps = eps_arg(a, 10);
  int64_t n = a.mul("N * C * S", a.mul("N * C", N, C), S);
  int64_t ng = a.mul("N * G", N, G);
  float* y = buffer(a, 0, "y", n);
  float* mean = buffer(a, 1, "mean", ng);
  float* rstd = buffer(a, 2, "rstd", ng);
  const float* x = buffer(a, 3, "x", n);
  const float* w = optional(a, 4, "weight", C);
  const float* b = optional(a, 5, "bias", C);
  group_norm_forward(y, mean, rstd, x, w, b, N, C, S, G, eps);
  return info.Env().Undefined();
}

// groupNormBackward(dx | null, dweight | null, dbias | null, dy, x, mean, rstd,
//                   weight | null, N, C, S, G)
Napi::Value GroupNormBackward(const Napi::CallbackInfo& info) {
  Args a(info, "groupNormBackward", 12);
  int64_t N = a.size(8, "N"), C = a.size(9, "C"), S = a.size(10, "S");
  int64_t G = groups_arg(a, 11, C);
  int64_t n = a.mul("N * C * S", a.mul("N * C", N, C), S);
  int64_t ng = a.mul("N * G", N, G);
  float* dx = optional(a, 0, "dx", n);
  float* dw = optional(a, 1, "dweight", C);
  float* db = optional(a, 2, "dbias", C);
  const float* dy = buffer(a, 3, "dy", n);
  const float* x = buffer(a, 4, "x", n);
  const float* mean = buffer(a, 5, "mean", ng);
  const float* rstd = buffer(a, 6, "rstd", ng);
  const float* w = optional(a, 7, "weight", C);
  group_norm_backward(dx, dw, db, dy, x, mean, rstd, w, N, C, S, G);
  return info.Env().Undefined();
}

}  // namespace

void register_norm(Napi::Env env, Napi::Object exports) {
  exports.Set("batchNormForward", Napi::Function::New(env, BatchNormForward, "batchNormForward"));
  exports.Set("batchNormBackward", Napi::Function::New(env, BatchNormBackward, "batchNormBackward"));
  exports.Set("layerNormForward", Napi::Function::New(env, LayerNormForward, "layerNormForward"));
  exports.Set("layerNormBackward", Napi::Function::New(env, LayerNormBackward, "layerNormBackward"));
  exports.Set("groupNormForward", Napi::Function::New(env, GroupNormForward, "groupNormForward"));
  exports.Set("groupNormBackward", Napi::Function::New(env, GroupNormBackward, "groupNormBackward"));
}

}  // namespace neurite
