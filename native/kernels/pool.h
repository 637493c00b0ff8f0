// 2-D pooling forward and backward over planes (N * C images of H x W); the 1-D forms are
// H = 1. Window (oh, ow) covers rows oh*sh - pt + i*dh (i < KH) and columns likewise, as
// PyTorch's max_pool2d / avg_pool2d; adaptive windows are [floor(o*In/Out), ceil((o+1)*In/Out)).
#pragma once
#include <cstdint>

namespace neurite {

// Geometry of a pooling window grid. Shapes: x [planes, H, W], y [planes, OH, OW].
struct Pool2dGeom {
  int64_t planes, H, W, OH, OW;
  int64_t KH, KW;  // kernel >= 1
  int64_t sh, sw;  // stride >= 1
  int64_t pt, pb, pl, pr;  // per-side padding >= 0
  int64_t dh, dw;  // dilation >= 1 (max pooling only)
};

// y = max over each window; idx = the argmax's offset ih * W + iw in its plane (the first
// maximum; NaN wins, as PyTorch). A window with no input element gives -inf and index -1.
void max_pool2d_forward(const Pool2dGeom& g, const float* x, float* y, int32_t* idx);

// Twins of max_pool2d_forward's MaxPool2d(2) loop, over planes: 2 x 2 windows at stride 2
// with 2 * OH <= H and 2 * OW <= W; y and idx [planes, OH, OW] as max_pool2d_forward. Scalar;
// baseline (on x86-64 SSE2, x86/pool_sse2.h, for rows of 4 or more outputs; scalar elsewhere);
// AVX2 (x86/pool_avx2_fma.cc, for rows of 8 or more; the baseline on shorter ones; null when
// the CPU lacks AVX2 or FMA); AVX-512 (x86/pool_avx512.cc; null when the CPU or OS lacks
// AVX-512F). Bitwise equal; max_pool2d_forward takes the twin of ukernels()'s ISA (so
// NEURITE_ISA caps both).
using MaxPool2x2Forward = void (*)(float* y, int32_t* idx, const float* x, int64_t planes,
                                   int64_t H, int64_t W, int64_t OH, int64_t OW);
void max_pool2x2_forward__scalar(float* y, int32_t* idx, const float* x, int64_t planes,
                                 int64_t H, int64_t W, int64_t OH, int64_t OW);
void max_pool2x2_forward__avx2_fma(float* y, int32_t* idx, const float* x, int64_t planes,
                                   int64_t H, int64_t W, int64_t OH, int64_t OW);
void max_pool2x2_forward__avx512(float* y, int32_t* idx, const float* x, int64_t planes,
                                 int64_t H, int64_t W, int64_t OH, int64_t OW);
MaxPool2x2Forward max_pool2x2_forward_baseline();
MaxPool2x2Forward max_pool2x2_forward_avx2_fma();
MaxPool2x2Forward max_pool2x2_forward_avx512();

// dx = scatter-add of dy [planes, P] to idx (offsets in [0, HW) or -1, skipped) in dx
// [planes, HW]. Overwrites dx. Serves max and adaptive max pooling. Returns false, dx
// unspecified, if some offset is outside [-1, HW) (checked here, on the pool threads, rather
// than by the caller beforehand).
bool max_pool2d_backward(int64_t planes, int64_t HW, int64_t P, const float* dy,
                         const int32_t* idx, float* dx);

// y = window sum / divisor: divisor_override when > 0, else the window size clipped to the
// padded input (count_include_pad) or to the input. Overwrites y.
void avg_pool2d_forward(const Pool2dGeom& g, bool count_include_pad, int64_t divisor_override,
                        const float* x, float* y);

// The adjoint of avg_pool2d_forward. Overwrites dx.
void avg_pool2d_backward(const Pool2dGeom& g, bool count_include_pad, int64_t divisor_override,
                         const float* dy, float* dx);

// Adaptive pooling to OH x OW (only planes, H, W, OH, OW of g are read). The max form also
// writes argmax offsets for max_pool2d_backward.
void adaptive_avg_pool2d_forward(const Pool2dGeom& g, const float* x, float* y);
void adaptive_avg_pool2d_backward(const Pool2dGeom& g, const float* dy, float* dx);
void adaptive_max_pool2d_forward(const Pool2dGeom& g, const float* x, float* y, int32_t* idx);

}  // namespace neurite
