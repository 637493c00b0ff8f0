// Softmax and log-softmax over the middle axis of a [outer, D, inner] view, forward and
// backward.
#pragma once
#include <cstdint>

namespace neurite {

//   y [outer, D, inner] out: softmax (or log-softmax when log) of x along D
//   x [outer, D, inner] in
// Any size may be 0 (then nothing is read or written).
void softmax_forward(float* y, const float* x, int64_t outer, int64_t D, int64_t inner,
                     bool log);

//   dx [outer, D, inner] out, may alias dy; dy, y [outer, D, inner] in (y from the forward)
//   softmax:     dx = y * (dy - sum_D(dy * y))
//   log-softmax: dx = dy - exp(y) * sum_D(dy)
void softmax_backward(float* dx, const float* dy, const float* y, int64_t outer, int64_t D,
                      int64_t inner, bool log);

}  // namespace neurite
