// Winograd F(4x4, 3x3) convolution forward for 3x3, stride-1, undilated, ungrouped conv2d:
// weight, input-tile and output-tile transforms around 36 GEMMs per block of tiles (Lavin &
// Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016). The im2col path is in
// conv.{h,cc}, which decides when to call this one.
#pragma once
#include <cstdint>

#include "conv.h"

namespace neurite {

// Whether conv2d_forward_winograd handles g and is measured to beat the im2col path: 3x3,
// stride 1, dilation 1, groups 1, C and K >= 16 and at least 64 output positions per image.
bool winograd_applicable(const Conv2dGeom& g);

// y = conv2d(x, w) + bias (bias may be null) for g with KH = KW = 3, sh = sw = dh = dw = 1,
// G = 1; same contract as conv2d_forward (any pt, pl >= 0 and any OH, OW: positions outside
// the input read zero). Overwrites y. Allocates its workspace (about
// 36 * (C + K) * 4 KiB per thread plus 36 * K * C floats); returns false only if that fails
// (y is then unspecified). Runs on the pool; results are bitwise the same for any thread
// count. Safe to call from several threads at once.
bool conv2d_forward_winograd(const Conv2dGeom& g, const float* x, const float* w,
                             const float* bias, float* y);

}  // namespace neurite
