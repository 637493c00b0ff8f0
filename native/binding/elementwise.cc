// Elementwise exports: unary forward/backward, broadcast binary and compare, where, cast.
#include "../kernels/elementwise.h"

#include "args.h"
#include "exports.h"

namespace neurite {
namespace {

// unaryForward(op, y, x, n, alpha, beta)
Napi::Value UnaryForward(const Napi::CallbackInfo& info) {
  Args a(info, "unaryForward", 6);
  auto op = static_cast<Unary>(a.integer(0, "op", 0, static_cast<int>(Unary::kCount) - 1));
  Buf<float> y = a.f32(1, "y");
  Buf<float> x = a.f32(2, "x");
  int64_t n = a.size(3, "n");
  a.need("y", y.length, n);
  a.need("x", x.length, n);
  unary_forward(op, y.data, x.data, n, static_cast<float>(a.number(4, "alpha")),
                static_cast<float>(a.number(5, "beta")));
  return info.Env().Undefined();
}

// unaryBackward(op, dx, dy, x, y, n, alpha, beta)
Napi::Value UnaryBackward(const Napi::CallbackInfo& info) {
  Args a(info, "unaryBackward", 8);
  auto op = static_cast<Unary>(a.integer(0, "op", 0, static_cast<int>(Unary::kCount) - 1));
  Buf<float> dx = a.f32(1, "dx");
  Buf<float> dy = a.f32(2, "dy");
  Buf<float> x = a.f32(3, "x");
  Buf<float> y = a.f32(4, "y");
  int64_t n = a.size(5, "n");
  a.need("dx", dx.length, n);
  a.need("dy", dy.length, n);
  a.need("x", x.length, n);
  a.need("y", y.length, n);
  unary_backward(op, dx.data, dy.data, x.data, y.data, n,
                 static_cast<float>(a.number(6, "alpha")),
                 static_cast<float>(a.number(7, "beta")));
  return info.Env().Undefined();
}

enum class ElemType { kF32, kI32, kU8, kOther };

ElemType elem_type(const Napi::Value& v) {
  if (!v.IsTypedArray()) return ElemType::kOther;
  switch (v.As<Napi::TypedArray>().TypedArrayType()) {
    case napi_float32_array: return ElemType::kF32;
    case napi_int32_array: return ElemType::kI32;
    case napi_uint8_array: return ElemType::kU8;
    default: return ElemType::kOther;
  }
}

// Checks a broadcast operand: same type as `want`, strides of the out rank, in bounds.
void check_operand(const Args& a, const char* name, const char* strides_name, int64_t length,
                   const Dims& shape, const Dims& strides) {
  a.need(name, length, a.extent(strides_name, shape, strides, 0));
}

// binary(op, out, a, aStrides, b, bStrides, shape): out contiguous over shape.
// Float32Array or Int32Array, all three the same type; Int32Array refuses div and pow.
Napi::Value BinaryOp(const Napi::CallbackInfo& info) {
  Args a(info, "binary", 7);
  auto op = static_cast<Binary>(a.integer(0, "op", 0, static_cast<int>(Binary::kCount) - 1));
  ElemType t = elem_type(info[1]);
  if (t != ElemType::kF32 && t != ElemType::kI32)
    a.type_error("out must be a Float32Array or Int32Array");
  if (elem_type(info[2]) != t || elem_type(info[4]) != t)
    a.type_error("a and b must be typed arrays of the same type as out");
  Dims as = a.dims(3, "aStrides"), bs = a.dims(5, "bStrides"), shape = a.dims(6, "shape");
  if (t == ElemType::kF32) {
    Buf<float> out = a.f32(1, "out"), x = a.f32(2, "a"), y = a.f32(4, "b");
    a.need("out", out.length, shape.numel());
    check_operand(a, "a", "aStrides", x.length, shape, as);
    check_operand(a, "b", "bStrides", y.length, shape, bs);
    binary_f32(op, out.data, x.data, as.v, y.data, bs.v, shape.v, shape.rank);
  } else {
    if (op == Binary::kDiv || op == Binary::kPow)
      a.type_error("op must not be div or pow for Int32Array operands");
    Buf<int32_t> out = a.i32(1, "out"), x = a.i32(2, "a"), y = a.i32(4, "b");
    a.need("out", out.length, shape.numel());
    check_operand(a, "a", "aStrides", x.length, shape, as);
    check_operand(a, "b", "bStrides", y.length, shape, bs);
    binary_i32(op, out.data, x.data, as.v, y.data, bs.v, shape.v, shape.rank);
  }
  return info.Env().Undefined();
}

// compare(op, out: Uint8Array, a, aStrides, b, bStrides, shape); a and b Float32Array or
// Int32Array of one type.
Napi::Value CompareOp(const Napi::CallbackInfo& info) {
  Args a(info, "compare", 7);
  auto op = static_cast<Compare>(a.integer(0, "op", 0, static_cast<int>(Compare::kCount) - 1));
  Buf<uint8_t> out = a.u8(1, "out");
  ElemType t = elem_type(info[2]);
  if ((t != ElemType::kF32 && t != ElemType::kI32) || elem_type(info[4]) != t)
    a.type_error("a and b must both be Float32Array or both Int32Array");
  Dims as = a.dims(3, "aStrides"), bs = a.dims(5, "bStrides"), shape = a.dims(6, "shape");
  a.need("out", out.length, shape.numel());
  if (t == ElemType::kF32) {
    Buf<float> x = a.f32(2, "a"), y = a.f32(4, "b");
    check_operand(a, "a", "aStrides", x.length, shape, as);
    check_operand(a, "b", "bStrides", y.length, shape, bs);
    compare_f32(op, out.data, x.data, as.v, y.data, bs.v, shape.v, shape.rank);
  } else {
    Buf<int32_t> x = a.i32(2, "a"), y = a.i32(4, "b");
    check_operand(a, "a", "aStrides", x.length, shape, as);
    check_operand(a, "b", "bStrides", y.length, shape, bs);
    compare_i32(op, out.data, x.data, as.v, y.data, bs.v, shape.v, shape.rank);
  }
  return info.Env().Undefined();
}

// where(out, cond: Uint8Array, cStrides, a, aStrides, b, bStrides, shape); out, a, b 32-bit
Napi::Value Where(const Napi::CallbackInfo& info) {
  Args a(info, "where", 8);
  Buf<uint32_t> out = a.bits32(0, "out");
  Buf<uint8_t> cond = a.u8(1, "cond");
  Dims cs = a.dims(2, "condStrides");
  Buf<uint32_t> x = a.bits32(3, "a");
  Dims as = a.dims(4, "aStrides");
  Buf<uint32_t> y = a.bits32(5, "b");
  Dims bs = a.dims(6, "bStrides");
  Dims shape = a.dims(7, "shape");
  a.need("out", out.length, shape.numel());
  check_operand(a, "cond", "condStrides", cond.length, shape, cs);
  check_operand(a, "a", "aStrides", x.length, shape, as);
  check_operand(a, "b", "bStrides", y.length, shape, bs);
  where_u32(out.data, cond.data, cs.v, x.data, as.v, y.data, bs.v, shape.v, shape.rank);
  return info.Env().Undefined();
}

// cast(out, x, n): between Float32Array, Int32Array and Uint8Array (bool)
Napi::Value Cast(const Napi::CallbackInfo& info) {
  Args a(info, "cast", 3);
  ElemType to = elem_type(info[0]), from = elem_type(info[1]);
  if (to == ElemType::kOther) a.type_error("out must be a Float32Array, Int32Array or Uint8Array");
  if (from == ElemType::kOther) a.type_error("x must be a Float32Array, Int32Array or Uint8Array");
  int64_t n = a.size(2, "n");
  int s0 = 0, s1 = 0;
  Buf<void> out = a.any(0, "out", &s0);
  Buf<void> x = a.any(1, "x", &s1);
  a.need("out", out.length, n);
  a.need("x", x.length, n);
  if (to == from) {
    a.type_error("out and x must differ in type");
  } else if (from == ElemType::kF32 && to == ElemType::kI32) {
    cast_f32_i32(static_cast<int32_t*>(out.data), static_cast<const float*>(x.data), n);
  } else if (from == ElemType::kI32 && to == ElemType::kF32) {
    cast_i32_f32(static_cast<float*>(out.data), static_cast<const int32_t*>(x.data), n);
  } else if (from == ElemType::kU8 && to == ElemType::kF32) {
    cast_u8_f32(static_cast<float*>(out.data), static_cast<const uint8_t*>(x.data), n);
  } else if (from == ElemType::kU8 && to == ElemType::kI32) {
    cast_u8_i32(static_cast<int32_t*>(out.data), static_cast<const uint8_t*>(x.data), n);
  } else if (from == ElemType::kF32 && to == ElemType::kU8) {
    cast_f32_u8(static_cast<uint8_t*>(out.data), static_cast<const float*>(x.data), n);
  } else {
    cast_i32_u8(static_cast<uint8_t*>(out.data), static_cast<const int32_t*>(x.data), n);
  }
  return info.Env().Undefined();
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("unaryForward", Napi::Function::New(env, UnaryForward, "unaryForward"));
  exports.Set("unaryBackward", Napi::Function::New(env, UnaryBackward, "unaryBackward"));
  exports.Set("binary", Napi::Function::New(env, BinaryOp, "binary"));
  exports.Set("compare", Napi::Function::New(env, CompareOp, "compare"));
  exports.Set("where", Napi::Function::New(env, Where, "where"));
  exports.Set("cast", Napi::Function::New(env, Cast, "cast"));
}

}  // namespace neurite
