// pool exports: max, average and adaptive pooling 2-D, forward and backward. The 1-D forms are
// H = 1 (lib/ops/pool.ts). Geometry arguments are checked so no index leaves the arrays.
#include "../kernels/pool.h"

#include <string>

#include "args.h"
#include "exports.h"

namespace neurite {
namespace {

// planes, H, W, OH, OW from argument i on; H * W must fit the int32 argmax offsets.
Pool2dGeom plane_dims(const Args& a, size_t i) {
  Pool2dGeom g{};
  g.planes = a.integer(i, "planes", 0, INT32_MAX);
  g.H = a.integer(i + 1, "H", 0, INT32_MAX);
  g.W = a.integer(i + 2, "W", 0, INT32_MAX);
  g.OH = a.integer(i + 3, "OH", 0, INT32_MAX);
  g.OW = a.integer(i + 4, "OW", 0, INT32_MAX);
  if (a.mul("H * W", g.H, g.W) > INT32_MAX)
    a.range_error("H * W must be at most 2^31 - 1, got " + std::to_string(g.H * g.W));
  g.KH = g.KW = g.sh = g.sw = g.dh = g.dw = 1;
  return g;
}

// KH, KW, strideH, strideW, padTop, padBottom, padLeft, padRight from argument i on.
void window(const Args& a, size_t i, Pool2dGeom* g) {
  g->KH = a.integer(i, "KH", 1, INT32_MAX);
  g->KW = a.integer(i + 1, "KW", 1, INT32_MAX);
  g->sh = a.integer(i + 2, "strideH", 1, INT32_MAX);
  g->sw = a.integer(i + 3, "strideW", 1, INT32_MAX);
  g->pt = a.integer(i + 4, "padTop", 0, INT32_MAX);
  g->pb = a.integer(i + 5, "padBottom", 0, INT32_MAX);
  g->pl = a.integer(i + 6, "padLeft", 0, INT32_MAX);
  g->pr = a.integer(i + 7, "padRight", 0, INT32_MAX);
}

int64_t in_len(const Args& a, const Pool2dGeom& g, const char* name) {
  return a.mul(name, g.planes, g.H * g.W);
}
int64_t out_len(const Args& a, const Pool2dGeom& g, const char* name) {
  return a.mul(name, g.planes, a.mul(name, g.OH, g.OW));
}

// maxPool2dForward(y, idx, x, planes, H, W, OH, OW, KH, KW, strideH, strideW, padTop,
//                  padBottom, padLeft, padRight, dilationH, dilationW)
Napi::Value MaxPool2dForward(const Napi::CallbackInfo& info) {
  Args a(info, "maxPool2dForward", 18);
  Pool2dGeom g = plane_dims(a, 3);
  window(a, 8, &g);
  g.dh = a.integer(16, "dilationH", 1, INT32_MAX);
  g.dw = a.integer(17, "dilationW", 1, INT32_MAX);
  Buf<float> y = a.f32(0, "y"), x = a.f32(2, "x");
  Buf<int32_t> idx = a.i32(1, "idx");
  a.need("y", y.length, out_len(a, g, "y"));
  a.need("idx", idx.length, out_len(a, g, "idx"));
  a.need("x", x.length, in_len(a, g, "x"));
  max_pool2d_forward(g, x.data, y.data, idx.data);
  return info.Env().Undefined();
}

// maxPool2dBackward(dx, dy, idx, planes, HW, P): dx[plane] = scatter of dy to idx (-1 skipped)
Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) {
  Args a(info, "maxPool2dBackward", 6);
  int64_t planes = a.integer(3, "planes", 0, INT32_MAX);
  int64_t HW = a.integer(4, "HW", 0, INT32_MAX);
  int64_t P = a.integer(5, "P", 0, INT32_MAX);
  Buf<float> dx = a.f32(0, "dx"), dy = a.f32(1, "dy");
  Buf<int32_t> idx = a.index_array(2, "idx");
  const int64_t n_out = a.mul("dy", planes, P);
  a.need("dx", dx.length, a.mul("dx", planes, HW));
  a.need("dy", dy.length, n_out);
  a.need("idx", idx.length, n_out);
  // the kernel checks the offsets on the pool threads; on failure, find one to name
  if (max_pool2d_backward(planes, HW, P, dy.data, idx.data, dx.data))
    return info.Env().Undefined();
  a.offsets_in_range("idx", idx.data, n_out, HW);
  a.range_error("idx changed while in use");
  return info.Env().Undefined();
}

// avgPool2dForward(y, x, planes, H, W, OH, OW, KH, KW, strideH, strideW, padTop, padBottom,
//                  padLeft, padRight, countIncludePad, divisorOverride (0 = none))
// avgPool2dBackward(dx, dy, <same>)
Napi::Value AvgPool2d(const Napi::CallbackInfo& info, bool backward) {
  const char* fn = backward ? "avgPool2dBackward" : "avgPool2dForward";
  Args a(info, fn, 17);
  Pool2dGeom g = plane_dims(a, 2);
  window(a, 7, &g);
  bool include = a.boolean(15, "countIncludePad");
  int64_t divisor = a.integer(16, "divisorOverride", 0, INT32_MAX);
  Buf<float> out = a.f32(0, backward ? "dx" : "y"), in = a.f32(1, backward ? "dy" : "x");
  if (backward) {
    a.need("dx", out.length, in_len(a, g, "dx"));
    a.need("dy", in.length, out_len(a, g, "dy"));
    avg_pool2d_backward(g, include, divisor, in.data, out.data);
  } else {
    a.need("y", out.length, out_len(a, g, "y"));
    a.need("x", in.length, in_len(a, g, "x"));
    avg_pool2d_forward(g, include, divisor, in.data, out.data);
  }
  return info.Env().Undefined();
}
Napi::Value AvgPool2dForward(const Napi::CallbackInfo& info) { return AvgPool2d(info, false); }
Napi::Value AvgPool2dBackward(const Napi::CallbackInfo& info) { return AvgPool2d(info, true); }

// adaptiveAvgPool2dForward(y, x, planes, H, W, OH, OW)
Napi::Value AdaptiveAvgPool2dForward(const Napi::CallbackInfo& info) {
  Args a(info, "adaptiveAvgPool2dForward", 7);
  Pool2dGeom g = plane_dims(a, 2);
  Buf<float> y = a.f32(0, "y"), x = a.f32(1, "x");
  a.need("y", y.length, out_len(a, g, "y"));
  a.need("x", x.length, in_len(a, g, "x"));
  adaptive_avg_pool2d_forward(g, x.data, y.data);
  return info.Env().Undefined();
}

// adaptiveAvgPool2dBackward(dx, dy, planes, H, W, OH, OW)
Napi::Value AdaptiveAvgPool2dBackward(const Napi::CallbackInfo& info) {
  Args a(info, "adaptiveAvgPool2dBackward", 7);
  Pool2dGeom g = plane_dims(a, 2);
  Buf<float> dx = a.f32(0, "dx"), dy = a.f32(1, "dy");
  a.need("dx", dx.length, in_len(a, g, "dx"));
  a.need("dy", dy.length, out_len(a, g, "dy"));
  adaptive_avg_pool2d_backward(g, dy.data, dx.data);
  return info.Env().Undefined();
}

// adaptiveMaxPool2dForward(y, idx, x, planes, H, W, OH, OW); backward is maxPool2dBackward
Napi::Value AdaptiveMaxPool2dForward(const Napi::CallbackInfo& info) {
  Args a(info, "adaptiveMaxPool2dForward", 8);
  Pool2dGeom g = plane_dims(a, 3);
  Buf<float> y = a.f32(0, "y"), x = a.f32(2, "x");
  Buf<int32_t> idx = a.i32(1, "idx");
  a.need("y", y.length, out_len(a, g, "y"));
  a.need("idx", idx.length, out_len(a, g, "idx"));
  a.need("x", x.length, in_len(a, g, "x"));
  adaptive_max_pool2d_forward(g, x.data, y.data, idx.data);
  return info.Env().Undefined();
}

}  // namespace

void register_pool(Napi::Env env, Napi::Object exports) {
  exports.Set("maxPool2dForward", Napi::Function::New(env, MaxPool2dForward, "maxPool2dForward"));
  exports.Set("maxPool2dBackward",
              Napi::Function::New(env, MaxPool2dBackward, "maxPool2dBackward"));
  exports.Set("avgPool2dForward", Napi::Function::New(env, AvgPool2dForward, "avgPool2dForward"));
  exports.Set("avgPool2dBackward",
              Napi::Function::New(env, AvgPool2dBackward, "avgPool2dBackward"));
  exports.Set("adaptiveAvgPool2dForward",
              Napi::Function::New(env, AdaptiveAvgPool2dForward, "adaptiveAvgPool2dForward"));
  exports.Set("adaptiveAvgPool2dBackward",
              Napi::Function::New(env, AdaptiveAvgPool2dBackward, "adaptiveAvgPool2dBackward"));
  exports.Set("adaptiveMaxPool2dForward",
              Napi::Function::New(env, AdaptiveMaxPool2dForward, "adaptiveMaxPool2dForward"));
}

}  // namespace neurite
