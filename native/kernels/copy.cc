// Strided copy over the row iterator in strided.h; contiguous rows become memcpy.
#include "copy.h"

#include <cstring>

#include "strided.h"

namespace neurite {
namespace {

template <class T>
void strided_copy(T* dst, const int64_t* dst_strides, const T* src, const int64_t* src_strides,
                  const int64_t* shape, int rank) {
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
