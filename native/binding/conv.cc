// conv exports: conv2dForward, conv2dBackwardInput, conv2dBackwardWeight, convBackwardBias,
// and the fused convolution + max pooling: conv2dMaxPoolForward, conv2dMaxPoolBackwardWeight.
// The first three take the geometry as 16 trailing numbers (see geom()); conv1d and the
// transposed convolution are expressed in these by lib/ops/conv.ts.
#include "../kernels/conv.h"

#include <string>

#include "args.h"
#include "exports.h"

namespace neurite {
namespace {

// N, C, H, W, K, KH, KW, OH, OW, strideH, strideW, padTop, padLeft, dilationH, dilationW,
// groups, read from argument i on, and checked so every index the kernels form stays inside
// the arrays the dims describe.
Conv2dGeom geom(const Args& a, size_t i) {
  Conv2dGeom g;
  g.N = a.integer(i + 0, "N", 0, INT32_MAX);
  g.C = a.integer(i + 1, "C", 0, INT32_MAX);
  g.H = a.integer(i + 2, "H", 0, INT32_MAX);
  g.W = a.integer(i + 3, "W", 0, INT32_MAX);
  g.K = a.integer(i + 4, "K", 0, INT32_MAX);
  g.KH = a.integer(i + 5, "KH", 1, INT32_MAX);
  g.KW = a.integer(i + 6, "KW", 1, INT32_MAX);
  g.OH = a.integer(i + 7, "OH", 0, INT32_MAX);
  g.OW = a.integer(i + 8, "OW", 0, INT32_MAX);
  g.sh = a.integer(i + 9, "strideH", 1, INT32_MAX);
  g.sw = a.integer(i + 10, "strideW", 1, INT32_MAX);
  g.pt = a.integer(i + 11, "padTop", 0, INT32_MAX);
  g.pl = a.integer(i + 12, "padLeft", 0, INT32_MAX);
  g.dh = a.integer(i + 13, "dilationH", 1, INT32_MAX);
  g.dw = a.integer(i + 14, "dilationW", 1, INT32_MAX);
  g.G = a.integer(i + 15, "groups", 1, INT32_MAX);
  if (g.C % g.G != 0 || g.K % g.G != 0)
    a.range_error("groups must divide C = " + std::to_string(g.C) + " and K = " +
                  std::to_string(g.K) + ", got " + std::to_string(g.G));
  // workspace: one column buffer per chunk must be addressable
  a.mul("column buffer", a.mul("column buffer", a.mul("column buffer", g.C / g.G, g.KH), g.KW),
        a.mul("column buffer", g.OH, g.OW));
  return g;
}

int64_t input_len(const Args& a, const Conv2dGeom& g) {
  return a.mul("x", a.mul("x", g.N, g.C), a.mul("x", g.H, g.W));
}
int64_t weight_len(const Args& a, const Conv2dGeom& g) {
  return a.mul("w", a.mul("w", g.K, g.C / g.G), a.mul("w", g.KH, g.KW));
}
int64_t output_len(const Args& a, const Conv2dGeom& g) {
  return a.mul("y", a.mul("y", g.N, g.K), a.mul("y", g.OH, g.OW));
}

void out_of_memory(const Args& a) { a.range_error("workspace could not be allocated"); }

// conv2dForward(y, x, w, bias | null, ...geometry): y = conv2d(x, w) + bias
Napi::Value Conv2dForward(const Napi::CallbackInfo& info) {
  Args a(info, "conv2dForward", 20);
  Conv2dGeom g = geom(a, 4);
  Buf<float> y = a.f32(0, "y"), x = a.f32(1, "x"), w = a.f32(2, "w");
  const float* bias = nullptr;
  if (!a.is_null(3)) {
    Buf<float> b = a.f32(3, "bias");
    a.need("bias", b.length, g.K);
    bias = b.data;
  }
  a.need("y", y.length, output_len(a, g));
  a.need("x", x.length, input_len(a, g));
  a.need("w", w.length, weight_len(a, g));
  if (!conv2d_forward(g, x.data, w.data, bias, y.data)) out_of_memory(a);
  return info.Env().Undefined();
}

// conv2dBackwardInput(dx, dy, w, bias | null, ...geometry): dx = bias + conv2d's input
// gradient for dy (the transposed convolution's forward when bias is given)
Napi::Value Conv2dBackwardInput(const Napi::CallbackInfo& info) {
  Args a(info, "conv2dBackwardInput", 20);
  Conv2dGeom g = geom(a, 4);
  Buf<float> dx = a.f32(0, "dx"), dy = a.f32(1, "dy"), w = a.f32(2, "w");
  const float* bias = nullptr;
  if (!a.is_null(3)) {
    Buf<float> b = a.f32(3, "bias");
    a.need("bias", b.length, g.C);
    bias = b.data;
  }
  a.need("dx", dx.length, input_len(a, g));
  a.need("dy", dy.length, output_len(a, g));
  a.need("w", w.length, weight_len(a, g));
  if (!conv2d_backward_input(g, dy.data, w.data, bias, dx.data)) out_of_memory(a);
  return info.Env().Undefined();
}

// conv2dBackwardWeight(dw, db | null, x, dy, ...geometry): dw = conv2d's weight gradient
// for dy, and db = its bias gradient when given
Napi::Value Conv2dBackwardWeight(const Napi::CallbackInfo& info) {
  Args a(info, "conv2dBackwardWeight", 20);
  Conv2dGeom g = geom(a, 4);
  Buf<float> dw = a.f32(0, "dw"), x = a.f32(2, "x"), dy = a.f32(3, "dy");
  float* db = nullptr;
  if (!a.is_null(1)) {
    Buf<float> b = a.f32(1, "db");
    a.need("db", b.length, g.K);
    db = b.data;
  }
  a.need("dw", dw.length, weight_len(a, g));
  a.need("x", x.length, input_len(a, g));
  a.need("dy", dy.length, output_len(a, g));
  if (!conv2d_backward_weight(g, x.data, dy.data, dw.data, db)) out_of_memory(a);
  return info.Env().Undefined();
}

// convBackwardBias(db, dy, N, C, P): db[c] = sum of dy[n, c, p]
Napi::Value ConvBackwardBias(const Napi::CallbackInfo& info) {
  Args a(info, "convBackwardBias", 5);
  int64_t N = a.integer(2, "N", 0, INT32_MAX), C = a.integer(3, "C", 0, INT32_MAX);
  int64_t P = a.size(4, "P");
  Buf<float> db = a.f32(0, "db"), dy = a.f32(1, "dy");
  a.need("db", db.length, C);
  a.need("dy", dy.length, a.mul("dy", a.mul("dy", N, C), P));
  conv_backward_bias(N, C, P, dy.data, db.data);
  return info.Env().Undefined();
}

// conv2dMaxPoolForward(y, idx, x, w, bias | null, ...geometry, KH, KW, strideH, strideW,
//                      padTop, padBottom, padLeft, padRight, dilationH, dilationW, POH, POW):
// y = max_pool2d(conv2d(x, w) + bias) over the OH x OW convolution output planes, idx the
// argmax offsets in those planes
Napi::Value Conv2dMaxPoolForward(const Napi::CallbackInfo& info) {
  Args a(info, "conv2dMaxPoolForward", 33);
  Conv2dGeom g = geom(a, 5);
  Pool2dGeom p{};
  p.H = g.OH;
  p.W = g.OW;
  p.KH = a.integer(21, "poolKH", 1, INT32_MAX);
  p.KW = a.integer(22, "poolKW", 1, INT32_MAX);
  p.sh = a.integer(23, "poolStrideH", 1, INT32_MAX);
  p.sw = a.integer(24, "poolStrideW", 1, INT32_MAX);
  p.pt = a.integer(25, "poolPadTop", 0, INT32_MAX);
  p.pb = a.integer(26, "poolPadBottom", 0, INT32_MAX);
  p.pl = a.integer(27, "poolPadLeft", 0, INT32_MAX);
  p.pr = a.integer(28, "poolPadRight", 0, INT32_MAX);
  p.dh = a.integer(29, "poolDilationH", 1, INT32_MAX);
  p.dw = a.integer(30, "poolDilationW", 1, INT32_MAX);
  p.OH = a.integer(31, "POH", 0, INT32_MAX);
  p.OW = a.integer(32, "POW", 0, INT32_MAX);
  if (a.mul("OH * OW", g.OH, g.OW) > INT32_MAX)
    a.range_error("OH * OW must be at most 2^31 - 1, got " + std::to_string(g.OH * g.OW));
  Buf<float> y = a.f32(0, "y"), x = a.f32(2, "x"), w = a.f32(3, "w");
  Buf<int32_t> idx = a.i32(1, "idx");
  const float* bias = nullptr;
  if (!a.is_null(4)) {
    Buf<float> b = a.f32(4, "bias");
    a.need("bias", b.length, g.K);
    bias = b.data;
  }
  const int64_t n_out = a.mul("y", a.mul("y", g.N, g.K), a.mul("y", p.OH, p.OW));
  a.need("y", y.length, n_out);
  a.need("idx", idx.length, n_out);
  a.need("x", x.length, input_len(a, g));
  a.need("w", w.length, weight_len(a, g));
  // the piece buffer holds at least one image's convolution output
  output_len(a, g);
  if (!conv2d_maxpool_forward(g, p, x.data, w.data, bias, y.data, idx.data)) out_of_memory(a);
  return info.Env().Undefined();
}

// conv2dMaxPoolBackwardWeight(dw, db | null, x, dy, idx, ...geometry, P2): dw and db of
// conv2dMaxPoolForward from the pooled gradient dy [N, K, P2] and its idx (groups 1 and
// C * KH * KW < 64 only)
Napi::Value Conv2dMaxPoolBackwardWeight(const Napi::CallbackInfo& info) {
  Args a(info, "conv2dMaxPoolBackwardWeight", 22);
  Conv2dGeom g = geom(a, 5);
  const int64_t P2 = a.integer(21, "P2", 0, INT32_MAX);
  if (!conv2d_maxpool_sparse_applicable(g))
    a.range_error("needs groups = 1 and C * KH * KW < " + std::to_string(kSparseMaxTaps) +
                  ", got groups " + std::to_string(g.G) + " and " +
                  std::to_string(g.C * g.KH * g.KW));
  Buf<float> dw = a.f32(0, "dw"), x = a.f32(2, "x"), dy = a.f32(3, "dy");
  Buf<int32_t> idx = a.index_array(4, "idx");
  float* db = nullptr;
  if (!a.is_null(1)) {
    Buf<float> b = a.f32(1, "db");
    a.need("db", b.length, g.K);
    db = b.data;
  }
  const int64_t n_out = a.mul("dy", a.mul("dy", g.N, g.K), P2);
  const int64_t plane = a.mul("OH * OW", g.OH, g.OW);
  a.need("dw", dw.length, weight_len(a, g));
  a.need("x", x.length, input_len(a, g));
  a.need("dy", dy.length, n_out);
  a.need("idx", idx.length, n_out);
  // the kernel checks each offset as it reads it; on a bad one it writes nothing and the scan
  // below names the first
  const SparseGrad r = conv2d_maxpool_backward_weight(g, P2, x.data, dy.data, idx.data, dw.data, db);
  if (r == SparseGrad::kBadIndex) {
    a.offsets_in_range("idx", idx.data, n_out, plane);
    a.range_error("idx changed while in use");
  }
  if (r == SparseGrad::kNoMemory) out_of_memory(a);
  return info.Env().Undefined();
}

}  // namespace

void register_conv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2dForward", Napi::Function::New(env, Conv2dForward, "conv2dForward"));
  exports.Set("conv2dBackwardInput",
              Napi::Function::New(env, Conv2dBackwardInput, "conv2dBackwardInput"));
  exports.Set("conv2dBackwardWeight",
              Napi::Function::New(env, Conv2dBackwardWeight, "conv2dBackwardWeight"));
  exports.Set("convBackwardBias", Napi::Function::New(env, ConvBackwardBias, "convBackwardBias"));
  exports.Set("conv2dMaxPoolForward",
              Napi::Function::New(env, Conv2dMaxPoolForward, "conv2dMaxPoolForward"));
  exports.Set("conv2dMaxPoolBackwardWeight", Napi::Function::New(env, Conv2dMaxPoolBackwardWeight,
                                                                 "conv2dMaxPoolBackwardWeight"));
}

}  // namespace neurite
