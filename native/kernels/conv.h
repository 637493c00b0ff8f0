// 2-D convolution forward and backward via im2col/col2im + GEMM (conv1d is H = 1; the
// transposed convolution is the adjoint: its forward is conv2d_backward_input, its backward
// conv2d_forward and conv2d_backward_weight). Math: y[n, o] = b[o] + sum_{c,kh,kw}
// w[o, c, kh, kw] * x[n, g*Cg + c, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw], zero outside.
#pragma once
#include <cstdint>

namespace neurite {

// Geometry of one conv2d. Shapes:
//   x  [N, C, H, W]        input
//   w  [K, C / G, KH, KW]  weight (K output channels)
//   y  [N, K, OH, OW]      output
// Only the top and left padding enter the index math; bottom/right padding only decide OH
// and OW (the caller's job), so any OH, OW are safe: positions outside the input read zero.
struct Conv2dGeom {
  int64_t N, C, H, W;
  int64_t K, KH, KW;
  int64_t OH, OW;
  int64_t sh, sw;  // stride >= 1
  int64_t pt, pl;  // top and left padding >= 0
  int64_t dh, dw;  // dilation >= 1
  int64_t G;       // groups >= 1, divides C and K
};

// y = conv2d(x, w) + bias (bias may be null). Overwrites y. Returns false when the
// workspace cannot be allocated (y is then unspecified).
bool conv2d_forward(const Conv2dGeom& g, const float* x, const float* w, const float* bias,
                    float* y);

// dx = conv2d's input gradient for dy [N, K, OH, OW]; dx starts from bias[c] per channel when
// bias is given (the transposed convolution's forward), else from zero. Overwrites dx.
bool conv2d_backward_input(const Conv2dGeom& g, const float* dy, const float* w,
                           const float* bias, float* dx);

// dw = sum over the batch of dy ⊗ im2col(x); when db is not null also db [K] = sum of dy over
// n and the output positions (the bias gradient, read while dy is at hand). Overwrites dw, db.
// Results depend only on the shape, not on the thread count.
bool conv2d_backward_weight(const Conv2dGeom& g, const float* x, const float* dy, float* dw,
                            float* db);

// db[c] = sum over n and p of dy[n, c, p], dy [N, C, P]. Overwrites db.
void conv_backward_bias(int64_t N, int64_t C, int64_t P, const float* dy, float* db);

}  // namespace neurite
