// Argument checks; see args.h. Messages follow "<export>: <argument> must be <expected>, got
// <actual>".
#include "args.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace neurite {

std::string fmt(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

int64_t Dims::numel() const {
  for (int d = 0; d < rank; ++d)
    if (v[d] == 0) return 0;
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) {
    if (n > kMaxSafe / v[d]) return kMaxSafe + 1;  // more than any array holds
    n *= v[d];
  }
  return n;
}

Args::Args(const Napi::CallbackInfo& info, const char* fn, size_t count) : info_(info), fn_(fn) {
  if (info.Length() < count)
    type_error(std::to_string(count) + " arguments expected, got " +
               std::to_string(info.Length()));
}

void Args::type_error(const std::string& msg) const {
  throw Napi::TypeError::New(info_.Env(), std::string(fn_) + ": " + msg);
}

void Args::range_error(const std::string& msg) const {
  throw Napi::RangeError::New(info_.Env(), std::string(fn_) + ": " + msg);
}

// The getters below check the kind of value themselves (napi_get_typedarray_info refuses
// anything but a typed array, napi_get_value_double a non-number, ...): one N-API call per
// argument instead of a type query first (~15 ns each; gemmContiguous reads 8 arguments).
void* Args::typed(size_t i, const char* name, napi_typedarray_type want, const char* want_name,
                  int64_t* length, napi_value* buffer) const {
  napi_typedarray_type type;
  size_t len = 0;
  void* data = nullptr;
  napi_value ab;
  size_t offset = 0;
  if (napi_get_typedarray_info(info_.Env(), raw(i), &type, &len, &data, &ab, &offset) !=
          napi_ok ||
      type != want)
    type_error(std::string(name) + " must be a " + want_name);
  remember(i, name, data, len);
  if (buffer) *buffer = ab;
  *length = static_cast<int64_t>(len);
  return data;
}

void Args::remember(size_t i, const char* name, void* data, size_t length) const {
  for (int k = 0; k < n_seen_; ++k)
    if (seen_[k].i == i) {
      seen_[k] = {i, name, data, length};
      return;
    }
  // a limit of this file, not of the caller (rnnBackward, the largest, has 15)
  if (n_seen_ == static_cast<int>(sizeof(seen_) / sizeof(seen_[0])))
    range_error("has more typed-array arguments than args.h can track (32)");
  seen_[n_seen_++] = {i, name, data, length};
}

void Args::recheck() const {
  napi_env env = info_.Env();
  for (int k = 0; k < n_seen_; ++k) {
    napi_typedarray_type type;
    size_t len = 0;
    void* data = nullptr;
    napi_value ab;
    size_t offset = 0;
    napi_get_typedarray_info(env, raw(seen_[k].i), &type, &len, &data, &ab, &offset);
    if (data != seen_[k].data || len != seen_[k].length)
      range_error(std::string(seen_[k].name) +
                  " must keep its buffer while the arguments are read, got one detached or "
                  "resized (by a getter?)");
  }
}

Buf<float> Args::f32(size_t i, const char* name) const {
  int64_t n;
  float* p = static_cast<float*>(typed(i, name, napi_float32_array, "Float32Array", &n));
  return {p, n};
}

Buf<int32_t> Args::i32(size_t i, const char* name) const {
  int64_t n;
  int32_t* p = static_cast<int32_t*>(typed(i, name, napi_int32_array, "Int32Array", &n));
  return {p, n};
}

Buf<uint8_t> Args::u8(size_t i, const char* name) const {
  int64_t n;
  uint8_t* p = static_cast<uint8_t*>(typed(i, name, napi_uint8_array, "Uint8Array", &n));
  return {p, n};
}

Buf<uint32_t> Args::u32(size_t i, const char* name) const {
  int64_t n;
  uint32_t* p = static_cast<uint32_t*>(typed(i, name, napi_uint32_array, "Uint32Array", &n));
  return {p, n};
}

Buf<void> Args::any(size_t i, const char* name, int* elem_size) const {
  napi_typedarray_type type;
  size_t len = 0;
  void* data = nullptr;
  napi_value ab;
  size_t offset = 0;
  if (napi_get_typedarray_info(info_.Env(), raw(i), &type, &len, &data, &ab, &offset) != napi_ok)
    type_error(std::string(name) + " must be a typed array");
  switch (type) {
    case napi_float32_array:
    case napi_int32_array:
    case napi_uint32_array: *elem_size = 4; break;
    case napi_uint8_array:
    case napi_int8_array:
    case napi_uint8_clamped_array: *elem_size = 1; break;
    default: type_error(std::string(name) + " must hold 1- or 4-byte elements");
  }
  remember(i, name, data, len);
  return {data, static_cast<int64_t>(len)};
}

Buf<uint32_t> Args::bits32(size_t i, const char* name) const {
  int size = 0;
  Buf<void> b = any(i, name, &size);
  if (size != 4) type_error(std::string(name) + " must be a Float32Array or Int32Array");
  return {static_cast<uint32_t*>(b.data), b.length};
}

bool Args::is_null(size_t i) const {
  napi_valuetype t;
  napi_typeof(info_.Env(), raw(i), &t);
  return t == napi_null || t == napi_undefined;
}

double Args::number(size_t i, const char* name) const {
  double v = 0;
  if (napi_get_value_double(info_.Env(), raw(i), &v) != napi_ok)
    type_error(std::string(name) + " must be a number");
  return v;
}

int64_t Args::integer(size_t i, const char* name, int64_t lo, int64_t hi) const {
  double v = number(i, name);
  if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) || std::floor(v) != v)
    range_error(std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "], got " + fmt(v));
  return static_cast<int64_t>(v);
}

int64_t Args::size(size_t i, const char* name) const { return integer(i, name, 0, kMaxSafe); }

bool Args::boolean(size_t i, const char* name) const {
  bool v = false;
  if (napi_get_value_bool(info_.Env(), raw(i), &v) != napi_ok)
    type_error(std::string(name) + " must be a boolean");
  return v;
}

Dims Args::dims(size_t i, const char* name) const {
  napi_env env = info_.Env();
  bool is = false;
  napi_is_array(env, raw(i), &is);
  if (!is) type_error(std::string(name) + " must be an array of integers");
  uint32_t len = 0;
  napi_get_array_length(env, raw(i), &len);
  if (len > static_cast<uint32_t>(kMaxRank))
    range_error(std::string(name) + " must have at most " + std::to_string(kMaxRank) +
                " entries, got " + std::to_string(len));
  Dims d;
  d.rank = static_cast<int>(len);
  for (uint32_t k = 0; k < len; ++k) {
    napi_value e;
    // a getter may throw: rethrow its exception as this call's
    if (napi_get_element(env, raw(i), k, &e) != napi_ok) throw Napi::Error::New(env);
    napi_valuetype t;
    napi_typeof(env, e, &t);
    double v = -1;
    if (t == napi_number) napi_get_value_double(env, e, &v);
    if (t != napi_number || !(v >= 0 && v <= static_cast<double>(kMaxSafe)) ||
        std::floor(v) != v)
      range_error(std::string(name) + " must hold integers >= 0, got " +
                  (t == napi_number ? fmt(v) : std::string("a non-number")) +
                  " at " + std::to_string(k));
    d.v[k] = static_cast<int64_t>(v);
  }
  // reading elements can run getters (own or on Array.prototype for holes)
  if (len > 0 && n_seen_ > 0) recheck();
  return d;
}

std::vector<int64_t> Args::offsets(size_t i, const char* name) const {
  int64_t n;
  const double* p =
      static_cast<const double*>(typed(i, name, napi_float64_array, "Float64Array", &n));
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    double v = p[k];  // read once
    if (!(v >= 0 && v <= static_cast<double>(kMaxSafe)) || std::floor(v) != v)
      range_error(std::string(name) + " must hold integers >= 0, got " + fmt(v) +
                  " at " + std::to_string(k));
    out[static_cast<size_t>(k)] = static_cast<int64_t>(v);
  }
  return out;
}

Buf<int32_t> Args::index_array(size_t i, const char* name) const {
  int64_t n;
  napi_value ab;
  int32_t* p =
      static_cast<int32_t*>(typed(i, name, napi_int32_array, "Int32Array", &n, &ab));
  bool plain = false;  // false for a SharedArrayBuffer
  napi_is_arraybuffer(info_.Env(), ab, &plain);
  if (plain) return {p, n};
  index_copies_.emplace_back(p, p + n);
  return {index_copies_.back().data(), n};
}

void Args::need(const char* name, int64_t have, int64_t need) const {
  if (have < need)
    range_error(std::string(name) + " must have at least " + std::to_string(need) +
                " elements, got " + std::to_string(have));
}

void Args::same_rank(const char* name, const Dims& a, const Dims& b) const {
  if (a.rank != b.rank)
    range_error(std::string(name) + " must have " + std::to_string(a.rank) + " entries, got " +
                std::to_string(b.rank));
}

int64_t Args::mul(const char* what, int64_t a, int64_t b) const {
  if (a != 0 && b > kMaxSafe / a)
    range_error(std::string(what) + " is too large (" + std::to_string(a) + " x " +
                std::to_string(b) + " elements)");
  return a * b;
}

int64_t Args::extent(const char* name, const Dims& shape, const Dims& strides,
                     int64_t offset) const {
  same_rank(name, shape, strides);
  if (shape.numel() == 0) return 0;
  int64_t last = offset;
  for (int d = 0; d < shape.rank; ++d) {
    int64_t step = mul(name, shape.v[d] - 1, strides.v[d]);
    if (step > kMaxSafe - last) range_error(std::string(name) + " strides reach too far");
    last += step;
  }
  return last + 1;
}

void Args::indices_in_range(const char* name, const int32_t* idx, int64_t n,
                            int64_t bound) const {
  for (int64_t k = 0; k < n; ++k)
    if (idx[k] < 0 || idx[k] >= bound)
      range_error(std::string(name) + " must hold indices in [0, " + std::to_string(bound) +
                  "), got " + std::to_string(idx[k]) + " at " + std::to_string(k));
}

void Args::offsets_in_range(const char* name, const int32_t* idx, int64_t n,
                            int64_t bound) const {
  for (int64_t k = 0; k < n; ++k)
    if (idx[k] < -1 || idx[k] >= bound)
      range_error(std::string(name) + " must hold offsets in [-1, " + std::to_string(bound) +
                  "), got " + std::to_string(idx[k]) + " at " + std::to_string(k));
}

}  // namespace neurite
