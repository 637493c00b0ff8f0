// Argument checks for every binding function. A binding function reads as a list of these
// checks followed by one kernel call; each check throws a JS TypeError or RangeError that
// names the export and the argument, so nothing a caller passes reaches a kernel unchecked.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "../kernels/strided.h"

namespace neurite {

constexpr int64_t kMaxSafe = 9007199254740991LL;  // 2^53 - 1

template <class T>
struct Buf {
  T* data;
  int64_t length;  // elements
};

// A small list of non-negative integers (a shape or strides), at most kMaxRank long.
struct Dims {
  int64_t v[kMaxRank] = {0};
  int rank = 0;
  int64_t numel() const;  // product; overflow already ruled out by Args::dims
};

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn, size_t count);

  Buf<float> f32(size_t i, const char* name) const;
  Buf<int32_t> i32(size_t i, const char* name) const;
  Buf<uint8_t> u8(size_t i, const char* name) const;
  Buf<uint32_t> u32(size_t i, const char* name) const;
  // Float32Array, Int32Array or Uint32Array: 32-bit elements moved as bits
  Buf<uint32_t> bits32(size_t i, const char* name) const;
  // Any typed array; elem_size says 1 or 4 (other element sizes are refused)
  Buf<void> any(size_t i, const char* name, int* elem_size) const;
  bool is_null(size_t i) const;

  int64_t size(size_t i, const char* name) const;  // integer in [0, 2^53)
  int64_t integer(size_t i, const char* name, int64_t lo, int64_t hi) const;
  double number(size_t i, const char* name) const;
  bool boolean(size_t i, const char* name) const;
  // Array of integers in [0, 2^53) with at most kMaxRank entries; their product must fit too
  Dims dims(size_t i, const char* name) const;
  // Float64Array of element offsets, each in [0, 2^53)
  Buf<double> offsets(size_t i, const char* name) const;

  // Throws RangeError unless `have` >= `need`.
  void need(const char* name, int64_t have, int64_t need) const;
  // Throws RangeError unless `a` and `b` have equal rank.
  void same_rank(const char* name, const Dims& a, const Dims& b) const;
  // Largest element offset + 1 that a strided view of `shape` at `offset` touches (0 if empty).
  int64_t extent(const char* name, const Dims& shape, const Dims& strides, int64_t offset) const;
  // a * b with an overflow check against 2^53.
  int64_t mul(const char* what, int64_t a, int64_t b) const;
  // Throws RangeError unless every index lies in [0, bound).
  void indices_in_range(const char* name, const int32_t* idx, int64_t n, int64_t bound) const;

  [[noreturn]] void type_error(const std::string& msg) const;
  [[noreturn]] void range_error(const std::string& msg) const;

  Napi::Env env() const { return info_.Env(); }

 private:
  napi_value raw(size_t i) const { return info_[i]; }
  void* typed(size_t i, const char* name, napi_typedarray_type want, const char* want_name,
              int64_t* length) const;

  const Napi::CallbackInfo& info_;
  const char* fn_;
};

}  // namespace neurite
