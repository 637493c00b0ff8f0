// Reduction exports over [outer, R, inner] views.
#include "../kernels/reduce.h"

#include "args.h"
#include "exports.h"

namespace neurite {
namespace {

struct View3 {
  int64_t outer, R, inner, in_len, out_len;
};

View3 view3(const Args& a, size_t i) {
  View3 v;
  v.outer = a.size(i, "outer");
  v.R = a.size(i + 1, "R");
  v.inner = a.size(i + 2, "inner");
  v.out_len = a.mul("outer * inner", v.outer, v.inner);
  v.in_len = a.mul("outer * R * inner", v.out_len, v.R);
  return v;
}

// reduceSum(out, x, outer, R, inner): Float32Array or Int32Array, both the same type
Napi::Value ReduceSum(const Napi::CallbackInfo& info) {
  Args a(info, "reduceSum", 5);
  View3 v = view3(a, 2);
  bool is_int = info[0].IsTypedArray() &&
                info[0].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array;
  if (is_int) {
    Buf<int32_t> out = a.i32(0, "out"), x = a.i32(1, "x");
    a.need("out", out.length, v.out_len);
    a.need("x", x.length, v.in_len);
    reduce_sum_i32(out.data, x.data, v.outer, v.R, v.inner);
  } else {
    Buf<float> out = a.f32(0, "out"), x = a.f32(1, "x");
    a.need("out", out.length, v.out_len);
    a.need("x", x.length, v.in_len);
    reduce_sum_f32(out.data, x.data, v.outer, v.R, v.inner);
  }
  return info.Env().Undefined();
}

// reduceMax(out, indices: Int32Array | null, x, outer, R, inner, isMin); R >= 1
Napi::Value ReduceMax(const Napi::CallbackInfo& info) {
  Args a(info, "reduceMax", 7);
  View3 v = view3(a, 3);
  if (v.R < 1 && v.out_len > 0) a.range_error("R must be >= 1, got 0");
  bool is_min = a.boolean(6, "isMin");
  int32_t* idx = nullptr;
  if (!a.is_null(1)) {
    Buf<int32_t> ib = a.i32(1, "indices");
    a.need("indices", ib.length, v.out_len);
    idx = ib.data;
  }
  bool is_int = info[0].IsTypedArray() &&
                info[0].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array;
  // out and x are checked even when there is nothing to reduce
  if (is_int) {
    Buf<int32_t> out = a.i32(0, "out"), x = a.i32(2, "x");
    a.need("out", out.length, v.out_len);
    a.need("x", x.length, v.in_len);
    if (v.out_len > 0) reduce_max_i32(out.data, idx, x.data, v.outer, v.R, v.inner, is_min);
  } else {
    Buf<float> out = a.f32(0, "out"), x = a.f32(2, "x");
    a.need("out", out.length, v.out_len);
    a.need("x", x.length, v.in_len);
    if (v.out_len > 0) reduce_max_f32(out.data, idx, x.data, v.outer, v.R, v.inner, is_min);
  }
  return info.Env().Undefined();
}

}  // namespace

void register_reduce(Napi::Env env, Napi::Object exports) {
  exports.Set("reduceSum", Napi::Function::New(env, ReduceSum, "reduceSum"));
  exports.Set("reduceMax", Napi::Function::New(env, ReduceMax, "reduceMax"));
}

}  // namespace neurite
