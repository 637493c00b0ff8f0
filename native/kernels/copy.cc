// Strided copy over the row iterator in strided.h; contiguous rows become memcpy, and a copy of
// whole contiguous arrays is one memcpy split over the pool (a single thread reaches ~28 GB/s
// here, two ~40).
#include "copy.h"

#include <cstring>

#include "strided.h"

namespace neurite {
namespace {

// Whether `strides` walk `shape` in row-major order without gaps (dims of size 1 ignored).
bool row_major(const int64_t* strides, const int64_t* shape, int rank) {
  int64_t expect = 1;
  for (int d = rank - 1; d >= 0; --d) {
    if (shape[d] != 1 && strides[d] != expect) return false;
    expect *= shape[d];
  }
  return true;
}

template <class T>
void strided_copy(T* dst, const int64_t* dst_strides, const T* src, const int64_t* src_strides,
                  const int64_t* shape, int rank) {
  if (row_major(dst_strides, shape, rank) && row_major(src_strides, shape, rank)) {
    int64_t n = 1;
    for (int d = 0; d < rank; ++d) n *= shape[d];
    parallel_for(n, (int64_t{1} << 18) / sizeof(T), [&](int64_t b, int64_t e) {
      std::memcpy(dst + b, src + b, static_cast<size_t>(e - b) * sizeof(T));
    });
    return;
  }
  const int64_t* strides[2] = {dst_strides, src_strides};
  int64_t ds = rank > 0 ? dst_strides[rank - 1] : 1;
  int64_t ss = rank > 0 ? src_strides[rank - 1] : 1;
  for_each_row<2>(shape, rank, strides, [&](int64_t, const int64_t* offs, int64_t len) {
    T* d = dst + offs[0];
    const T* s = src + offs[1];
    if (ds == 1 && ss == 1) {
      std::memcpy(d, s, static_cast<size_t>(len) * sizeof(T));
    } else if (ss == 0) {
      for (int64_t i = 0; i < len; ++i) d[i * ds] = s[0];
    } else {
      for (int64_t i = 0; i < len; ++i) d[i * ds] = s[i * ss];
    }
  });
}

}  // namespace

void strided_copy_u32(uint32_t* dst, const int64_t* dst_strides, const uint32_t* src,
                      const int64_t* src_strides, const int64_t* shape, int rank) {
  strided_copy(dst, dst_strides, src, src_strides, shape, rank);
}

void strided_copy_u8(uint8_t* dst, const int64_t* dst_strides, const uint8_t* src,
                     const int64_t* src_strides, const int64_t* shape, int rank) {
  strided_copy(dst, dst_strides, src, src_strides, shape, rank);
}

}  // namespace neurite
