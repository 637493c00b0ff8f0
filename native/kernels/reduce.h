// Reductions over the middle axis of a [outer, R, inner] view: sum, max / min with indices.
// Reductions over several axes are sequences of these (lib/ops/reduce.ts). Summation order is
// fixed for a given thread count, so results are reproducible.
#pragma once
#include <cstdint>

namespace neurite {

//   out [outer, inner] out: sum over R of x[outer, R, inner] (0 when R == 0)
//   x   [outer, R, inner] in
void reduce_sum_f32(float* out, const float* x, int64_t outer, int64_t R, int64_t inner);
void reduce_sum_i32(int32_t* out, const int32_t* x, int64_t outer, int64_t R, int64_t inner);

//   out [outer, inner] out: max (or min when is_min) over R; NaN wins, as in PyTorch
//   idx [outer, inner] out, may be null: index of the first max / min (or first NaN)
// R >= 1.
void reduce_max_f32(float* out, int32_t* idx, const float* x, int64_t outer, int64_t R,
                    int64_t inner, bool is_min);
void reduce_max_i32(int32_t* out, int32_t* idx, const int32_t* x, int64_t outer, int64_t R,
                    int64_t inner, bool is_min);

}  // namespace neurite
