// Runtime exports: backend info, thread count, the seeded generator and fills.
#include "../kernels/elementwise.h"
#include "../runtime/dispatch.h"
#include "../runtime/memory.h"
#include "../runtime/pool.h"
#include "../runtime/rng.h"
#include "args.h"
#include "exports.h"

#ifndef NEURITE_VERSION
#define NEURITE_VERSION "0.0.0"
#endif

namespace neurite {
namespace {

// backendInfo() -> { version, isa, threads, cpuAvx2Fma, mallocTuned }
Napi::Value BackendInfo(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("version", NEURITE_VERSION);
  o.Set("isa", ukernels().isa);
  o.Set("threads", num_threads());
  o.Set("cpuAvx2Fma", cpu_has_avx2_fma());
  o.Set("mallocTuned", tune_malloc());
  return o;
}

// setNumThreads(n)
Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Args a(info, "setNumThreads", 1);
  set_num_threads(static_cast<int>(a.integer(0, "n", 1, 256)));
  return info.Env().Undefined();
}

Buf<uint32_t> rng_state(const Args& a, size_t i) {
  Buf<uint32_t> s = a.u32(i, "state");
  a.need("state", s.length, 4);
  return s;
}

// rngSeed(state: Uint32Array(4), seed: integer in [0, 2^53))
Napi::Value RngSeed(const Napi::CallbackInfo& info) {
  Args a(info, "rngSeed", 2);
  Buf<uint32_t> s = rng_state(a, 0);
  rng_seed(s.data, static_cast<uint64_t>(a.size(1, "seed")));
  return info.Env().Undefined();
}

// rngUniform(out, n, state, low, high)
Napi::Value RngUniform(const Napi::CallbackInfo& info) {
  Args a(info, "rngUniform", 5);
  Buf<float> out = a.f32(0, "out");
  int64_t n = a.size(1, "n");
  a.need("out", out.length, n);
  Buf<uint32_t> s = rng_state(a, 2);
  rng_uniform(out.data, n, s.data, static_cast<float>(a.number(3, "low")),
              static_cast<float>(a.number(4, "high")));
  return info.Env().Undefined();
}

// rngNormal(out, n, state, mean, std)
Napi::Value RngNormal(const Napi::CallbackInfo& info) {
  Args a(info, "rngNormal", 5);
  Buf<float> out = a.f32(0, "out");
  int64_t n = a.size(1, "n");
  a.need("out", out.length, n);
  Buf<uint32_t> s = rng_state(a, 2);
  rng_normal(out.data, n, s.data, static_cast<float>(a.number(3, "mean")),
             static_cast<float>(a.number(4, "std")));
  return info.Env().Undefined();
}

// rngRandint(out, n, state, low, high) with low < high, high - low <= 2^32
Napi::Value RngRandint(const Napi::CallbackInfo& info) {
  Args a(info, "rngRandint", 5);
  Buf<int32_t> out = a.i32(0, "out");
  int64_t n = a.size(1, "n");
  a.need("out", out.length, n);
  Buf<uint32_t> s = rng_state(a, 2);
  int64_t low = a.integer(3, "low", INT32_MIN, INT32_MAX);
  int64_t high = a.integer(4, "high", low + 1, static_cast<int64_t>(INT32_MAX) + 1);
  rng_randint(out.data, n, s.data, low, high);
  return info.Env().Undefined();
}

// rngRandperm(out, n, state)
Napi::Value RngRandperm(const Napi::CallbackInfo& info) {
  Args a(info, "rngRandperm", 3);
  Buf<int32_t> out = a.i32(0, "out");
  int64_t n = a.integer(1, "n", 0, INT32_MAX);
  a.need("out", out.length, n);
  Buf<uint32_t> s = rng_state(a, 2);
  rng_randperm(out.data, n, s.data);
  return info.Env().Undefined();
}

// fillArange(out: Float32Array | Int32Array, n, start, step)
Napi::Value FillArange(const Napi::CallbackInfo& info) {
  Args a(info, "fillArange", 4);
  int size = 0;
  Buf<void> out = a.any(0, "out", &size);
  int64_t n = a.size(1, "n");
  a.need("out", out.length, n);
  if (info[0].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    int64_t start = a.integer(2, "start", INT32_MIN, INT32_MAX);
    int64_t step = a.integer(3, "step", INT32_MIN, INT32_MAX);
    // every value start + i * step must be an int32; in double, |(n - 1) * step| < 2^84 and
    // is exact below 2^53, so the comparison is right wherever it matters
    double last = static_cast<double>(start) + static_cast<double>(n > 0 ? n - 1 : 0) * step;
    if (last < INT32_MIN || last > INT32_MAX)
      a.range_error("start + (n - 1) * step must be an int32, got " + fmt(last));
    fill_arange_i32(static_cast<int32_t*>(out.data), n, start, step);
  } else if (info[0].As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
    fill_arange_f32(static_cast<float*>(out.data), n, a.number(2, "start"), a.number(3, "step"));
  } else {
    a.type_error("out must be a Float32Array or Int32Array");
  }
  return info.Env().Undefined();
}

// fillLinspace(out: Float32Array, n, start, end)
Napi::Value FillLinspace(const Napi::CallbackInfo& info) {
  Args a(info, "fillLinspace", 4);
  Buf<float> out = a.f32(0, "out");
  int64_t n = a.size(1, "n");
  a.need("out", out.length, n);
  if (n > 0) fill_linspace_f32(out.data, n, a.number(2, "start"), a.number(3, "end"));
  return info.Env().Undefined();
}

}  // namespace

void register_runtime(Napi::Env env, Napi::Object exports) {
  tune_malloc();
  exports.Set("backendInfo", Napi::Function::New(env, BackendInfo, "backendInfo"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("rngSeed", Napi::Function::New(env, RngSeed, "rngSeed"));
  exports.Set("rngUniform", Napi::Function::New(env, RngUniform, "rngUniform"));
  exports.Set("rngNormal", Napi::Function::New(env, RngNormal, "rngNormal"));
  exports.Set("rngRandint", Napi::Function::New(env, RngRandint, "rngRandint"));
  exports.Set("rngRandperm", Napi::Function::New(env, RngRandperm, "rngRandperm"));
  exports.Set("fillArange", Napi::Function::New(env, FillArange, "fillArange"));
  exports.Set("fillLinspace", Napi::Function::New(env, FillLinspace, "fillLinspace"));
}

}  // namespace neurite
