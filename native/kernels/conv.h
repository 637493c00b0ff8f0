// 2-D convolution forward and backward via im2col/col2im + GEMM (conv1d is H = 1; the
// transposed convolution is the adjoint: its forward is conv2d_backward_input, its backward
// conv2d_forward and conv2d_backward_weight). Math: y[n, o] = b[o] + sum_{c,kh,kw}
// w[o, c, kh, kw] * x[n, g*Cg + c, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw], zero outside.
#pragma once
#include <cstdint>

#include "pool.h"

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

// y = max_pool2d(conv2d(x, w) + bias) (conv_pool.cc), with idx as max_pool2d_forward gives it
// (offsets in the OH x OW convolution output plane). pool describes the pooling of one
// convolution output plane (H = g.OH, W = g.OW; planes is ignored). The convolution runs a few
// images at a time into a per-thread buffer of about 256 KiB, pooled while in cache: the
// convolution output is never stored (on Winograd's geometries pieces of up to 16 MiB, whole
// batches of small images, go through a buffer kept between calls). Values are those of conv2d_forward then max_pool2d_forward.
// Overwrites y [N, K, POH, POW] and idx; false if a workspace cannot grow.
bool conv2d_maxpool_forward(const Conv2dGeom& g, const Pool2dGeom& pool, const float* x,
                            const float* w, const float* bias, float* y, int32_t* idx);

// The sparse weight gradient applies when groups = 1 and C * KH * KW < kSparseMaxTaps.
constexpr int64_t kSparseMaxTaps = 64;
bool conv2d_maxpool_sparse_applicable(const Conv2dGeom& g);
// dw [K, C, KH, KW] and db [K] (may be null) of conv2d_maxpool_forward from dy [N, K, P2] and
// its idx: each pooled position's gradient times the input patch under the convolution output
// it came from (idx -1 contributes nothing), the pool's scatter and the dense weight gradient
// in one pass over P2 instead of OH * OW positions. Sums per fixed image ranges in double,
// added in order: the result does not depend on the thread count. Overwrites dw and db, unless
// it fails: kNoMemory when a workspace cannot grow, kBadIndex when an idx lies outside
// [-1, OH * OW) (checked as it is read; nothing out of bounds is read, dw and db are not
// written).
enum class SparseGrad { kOk, kNoMemory, kBadIndex };
SparseGrad conv2d_maxpool_backward_weight(const Conv2dGeom& g, int64_t P2, const float* x,
                                          const float* dy, const int32_t* idx, float* dw,
                                          float* db);
// Its inner accumulation, twins in x86/conv_pool_*.cc: acc[k * RP + r] = sum over q < P2 of
// dy[k * P2 + q] * col[idx[k * P2 + q] * RP + r], skipping idx outside [0, plane), for k < K;
// false if one of them was not -1. RP is a multiple of 16.
bool conv_pool_rows__avx2_fma(int64_t RP, int64_t K, int64_t P2, int64_t plane, const float* dy,
                              const int32_t* idx, const float* col, float* acc);
bool conv_pool_rows__avx512(int64_t RP, int64_t K, int64_t P2, int64_t plane, const float* dy,
                            const int32_t* idx, const float* col, float* acc);

// db[c] = sum over n and p of dy[n, c, p], dy [N, C, P]. Overwrites db.
void conv_backward_bias(int64_t N, int64_t C, int64_t P, const float* dy, float* db);

}  // namespace neurite
