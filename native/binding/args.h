// Argument checks for every binding function. A binding function reads as a list of these
// checks followed by one kernel call; each check throws a JS TypeError or RangeError that
// names the export and the argument, so nothing a caller passes reaches a kernel unchecked.
// Reading a JS array (dims) can run a getter, which could detach or shrink a typed array read
// earlier: dims() re-checks those, so a binding may read its arguments in any order.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../kernels/strided.h"

namespace neurite {

constexpr int64_t kMaxSafe = 9007199254740991LL;  // 2^53 - 1

// A number for a message, as JS prints it (near enough): -1, 1.5, 1e+300, NaN, Infinity.
std::string fmt(double v);

template <class T>
struct Buf {
  T* data;
  int64_t length;  // elements
};

// A small list of non-negative integers (a shape or strides), at most kMaxRank long.
struct Dims {
  int64_t v[kMaxRank] = {0};
  int rank = 0;
  // Product of the entries; 2^53 when it would exceed 2^53 - 1, which no array can hold, so
  // need(name, length, numel()) refuses such a shape. (Strides are not multiplied together:
  // a rank-8 view of 4^8 elements has a stride product of 2^56.)
  int64_t numel() const;
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
  // Array of integers in [0, 2^53) with at most kMaxRank entries (a shape or strides)
  Dims dims(size_t i, const char* name) const;
  // Float64Array of element offsets, each an integer in [0, 2^53), copied out: the values
  // checked are the values used even if the array is shared memory another thread writes.
  std::vector<int64_t> offsets(size_t i, const char* name) const;
  // Int32Array of indices for a kernel to read (never to write). If it lives in a
  // SharedArrayBuffer, returns a private copy, so that indices_in_range stays true while the
  // kernel runs even if another thread writes the array.
  Buf<int32_t> index_array(size_t i, const char* name) const;

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
  // Throws RangeError naming the first offset outside [-1, bound) (-1: none, as max pooling's
  // argmax offsets); returns if there is none.
  void offsets_in_range(const char* name, const int32_t* idx, int64_t n, int64_t bound) const;

  [[noreturn]] void type_error(const std::string& msg) const;
  [[noreturn]] void range_error(const std::string& msg) const;

  Napi::Env env() const { return info_.Env(); }

 private:
  napi_value raw(size_t i) const { return info_[i]; }
  void* typed(size_t i, const char* name, napi_typedarray_type want, const char* want_name,
              int64_t* length, napi_value* buffer = nullptr) const;

  // Typed arrays read so far, re-checked after a dims() read may have run JS.
  struct Seen {
    size_t i;
    const char* name;
    void* data;
    size_t length;
  };
  void remember(size_t i, const char* name, void* data, size_t length) const;
  void recheck() const;

  const Napi::CallbackInfo& info_;
  const char* fn_;
  mutable Seen seen_[32];
  mutable int n_seen_ = 0;
  // Private copies handed out by index_array(); moving an inner vector keeps its buffer, so
  // pointers handed out stay valid while the outer vector grows.
  mutable std::vector<std::vector<int32_t>> index_copies_;
};

}  // namespace neurite
