// Strided copy: the one data-movement kernel behind transpose, permute, expand, narrow, cat,
// stack and split. Elements are moved as raw bits, so it serves every dtype of that width.
#pragma once
#include <cstdint>

namespace neurite {

//   dst  strided view over `shape` with dst_strides (elements, >= 0), out
//   src  strided view over `shape` with src_strides (elements, >= 0; 0 broadcasts), in
// dst and src must not overlap. rank <= kMaxRank.
void strided_copy_u32(uint32_t* dst, const int64_t* dst_strides, const uint32_t* src,
                      const int64_t* src_strides, const int64_t* shape, int rank);
void strided_copy_u8(uint8_t* dst, const int64_t* dst_strides, const uint8_t* src,
                     const int64_t* src_strides, const int64_t* shape, int rank);

}  // namespace neurite
