// Indexing kernels: index_select / index_add over the middle axis of [outer, D, inner], and
// gather / scatter_add along one dim of an N-d tensor. Indices are int32 and already checked
// to lie in [0, D) by the binding; the kernels do not check them.
#pragma once
#include <cstdint>

namespace neurite {

//   out [outer, n, inner] out: out[o, j, i] = x[o, idx[j], i]; x [outer, D, inner] in
void index_select_u32(uint32_t* out, const uint32_t* x, int64_t outer, int64_t D, int64_t inner,
                      const int32_t* idx, int64_t n);

//   acc [outer, D, inner] in/out: acc[o, idx[j], i] += src[o, j, i]; src [outer, n, inner]
// Accumulates (repeated indices add up) in a fixed order.
void index_add_f32(float* acc, const float* src, int64_t outer, int64_t D, int64_t inner,
                   const int32_t* idx, int64_t n);

//   out   contiguous, shape idx_shape, out: out[p] = x[p with p[dim] = index[p]]
//   x     read through x_strides (elements); index contiguous, shape idx_shape
void gather_u32(uint32_t* out, const uint32_t* x, const int64_t* x_strides,
                const int32_t* index, const int64_t* idx_shape, int rank, int dim);

//   acc   in/out through acc_strides: acc[p with p[dim] = index[p]] += src[p]
//   src   read through src_strides; index contiguous, shape idx_shape
// Sequential, so repeated indices accumulate in a fixed order.
void scatter_add_f32(float* acc, const int64_t* acc_strides, const float* src,
                     const int64_t* src_strides, const int32_t* index, const int64_t* idx_shape,
                     int rank, int dim);

}  // namespace neurite
