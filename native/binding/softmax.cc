// Softmax exports over [outer, D, inner] views.
#include "../kernels/softmax.h"

#include "args.h"
#include "exports.h"

namespace neurite {
namespace {

// softmaxForward(y, x, outer, D, inner, log)
Napi::Value SoftmaxForward(const Napi::CallbackInfo& info) {
  Args a(info, "softmaxForward", 6);
  Buf<float> y = a.f32(0, "y"), x = a.f32(1, "x");
  int64_t outer = a.size(2, "outer"), D = a.size(3, "D"), inner = a.size(4, "inner");
  int64_t n = a.mul("outer * D * inner", a.mul("outer * D", outer, D), inner);
  a.need("y", y.length, n);
  a.need("x", x.length, n);
  softmax_forward(y.data, x.data, outer, D, inner, a.boolean(5, "log"));
  return info.Env().Undefined();
}

// softmaxBackward(dx, dy, y, outer, D, inner, log)
Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  Args a(info, "softmaxBackward", 7);
  Buf<float> dx = a.f32(0, "dx"), dy = a.f32(1, "dy"), y = a.f32(2, "y");
  int64_t outer = a.size(3, "outer"), D = a.size(4, "D"), inner = a.size(5, "inner");
  int64_t n = a.mul("outer * D * inner", a.mul("outer * D", outer, D), inner);
  a.need("dx", dx.length, n);
  a.need("dy", dy.length, n);
  a.need("y", y.length, n);
  softmax_backward(dx.data, dy.data, y.data, outer, D, inner, a.boolean(6, "log"));
  return info.Env().Undefined();
}

}  // namespace

void register_softmax(Napi::Env env, Napi::Object exports) {
  exports.Set("softmaxForward", Napi::Function::New(env, SoftmaxForward, "softmaxForward"));
  exports.Set("softmaxBackward", Napi::Function::New(env, SoftmaxBackward, "softmaxBackward"));
}

}  // namespace neurite
