// Winograd F(4x4, 3x3) convolution forward for 3x3, stride-1, undilated, ungrouped conv2d:
// weight, input-tile and output-tile transforms around 36 GEMMs per block of tiles (Lavin &
// Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016). The im2col path is in
// conv.{h,cc}, which decides when to call this one.
#pragma once
#include <cstdint>

#include "conv.h"

namespace neurite {

// Whether conv2d_forward_winograd handles g and is measured to beat the im2col path: 3x3,
// stride 1, dilation 1, groups 1, C >= 8, K >= 4 and at least 16 output tiles of 4x4 over the
// batch (N * ceil(OH / 4) * ceil(OW / 4) >= 16).
bool winograd_applicable(const Conv2dGeom& g);

// y = conv2d(x, w) + bias (bias may be null) for g with KH = KW = 3, sh = sw = dh = dw = 1,
// G = 1; same contract as conv2d_forward (any pt, pl >= 0 and any OH, OW: positions outside
// the input read zero). Overwrites y. Its workspace, 36 * K * C floats (the transformed
// weights) plus about 36 * (C + K) * 64 floats per pool thread, is kept by the calling thread
// between calls and only grown; returns false only if growing it fails (y is then
// unspecified). Runs on the pool; results are bitwise the same for any thread count. Safe to
// call from several threads at once (each has its own workspace).
bool conv2d_forward_winograd(const Conv2dGeom& g, const float* x, const float* w,
                             const float* bias, float* y);

// The weight (and bias) gradient of conv2d on the same transforms: with D = A dy_t A^T and
// V = B^T d_t B over the output tiles t, dw[k, c] = G^T (sum_t D[k] . V[c]) G, run as 36
// GEMMs per block of tiles (K x C += K x Tb times Tb x C). Applicable where the forward is
// and K * C <= kWeightGradMaxKC (its per-slot sums, 36 * K * C floats, stay small).
constexpr int64_t kWeightGradMaxKC = 128 * 128;
bool winograd_weight_applicable(const Conv2dGeom& g);
// dw [K, C, 3, 3] and db [K] (may be null), both overwritten, from x [N, C, H, W] and
// dy [N, K, OH, OW]; g as for conv2d_forward_winograd. Same workspace, threading and
// determinism contract (its workspace also holds up to 8M floats of slot sums).
bool conv2d_backward_weight_winograd(const Conv2dGeom& g, const float* x, const float* dy,
                                     float* dw, float* db);

// Twins of the tile transforms, the largest cost after the GEMMs: the portable baseline
// (winograd.cc, loops over 16 tiles GCC vectorises at SSE2), AVX2/FMA and AVX-512
// (x86/winograd_avx2_fma.cc, x86/winograd_avx512.cc: gathers and masked stores);
// conv2d_forward_winograd uses the twin of the ISA of ukernels() (so NEURITE_ISA caps both).
// Tile t is image t / TI, tile row t % TI / TW, tile column t % TW, with TW = ceil(OW / 4),
// TI = ceil(OH / 4) * TW; its output rows start at 4 * row, its 6x6 input patch at
// (4 * row - pt, 4 * column - pl), zero outside the input.
//   V  [36][C][ld]  out, matrices vs apart: V[xi][c][t - t0] = (B^T d B)[xi] for tiles
//                   t0 .. t0 + nt - 1; columns up to nt rounded up to 16 may be written
//                   (ld must allow it), the rest are not.
using WinogradInputBlock = void (*)(const Conv2dGeom& g, const float* x, int64_t t0,
                                    int64_t nt, float* V, int64_t ld, int64_t vs);
//   y  [N, K, OH, OW]  out: the tiles t0 .. t0 + nt - 1 of y = A^T m A + bias (bias may be
//                      null), clipped to OH x OW; m from M [36][K][ld] (matrices ms apart),
//                      column t - t0. Columns up to nt rounded up to 16 may be read.
using WinogradOutputBlock = void (*)(const Conv2dGeom& g, const float* M, int64_t ld,
                                     int64_t ms, int64_t t0, int64_t nt, const float* bias,
                                     float* y);
//   D  [36][K][ld]  out, matrices ds apart: D[xi][k][t - t0] = (A dy_t A^T)[xi] for the 4x4
//                   tiles of dy [N, K, OH, OW] (zero past OH x OW); columns up to nt rounded
//                   up to 16 may be written (ld must allow it).
using WinogradGradBlock = void (*)(const Conv2dGeom& g, const float* dy, int64_t t0,
                                   int64_t nt, float* D, int64_t ld, int64_t ds);
struct WinogradKernels {
  const char* isa;  // "avx512", "avx2-fma" or "baseline"
  WinogradInputBlock input;
  WinogradOutputBlock output;
  WinogradGradBlock grad;  // the weight gradient's dy transform
};
// The baseline always exists; AVX2/FMA is null when the CPU lacks AVX2 or FMA, AVX-512 when
// the CPU (or OS) lacks AVX-512F.
const WinogradKernels* winograd_kernels_baseline();
const WinogradKernels* winograd_kernels_avx2_fma();
const WinogradKernels* winograd_kernels_avx512();
// conv2d_forward_winograd with given transforms (tests compare the twins).
bool conv2d_forward_winograd_with(const WinogradKernels& wk, const Conv2dGeom& g,
                                  const float* x, const float* w, const float* bias, float* y);

// conv2d_backward_weight_winograd with given transforms (tests compare the twins).
bool conv2d_backward_weight_winograd_with(const WinogradKernels& wk, const Conv2dGeom& g,
                                          const float* x, const float* dy, float* dw,
                                          float* db);

void winograd_input_block__scalar(const Conv2dGeom& g, const float* x, int64_t t0, int64_t nt,
                                  float* V, int64_t ld, int64_t vs);
void winograd_output_block__scalar(const Conv2dGeom& g, const float* M, int64_t ld, int64_t ms,
                                   int64_t t0, int64_t nt, const float* bias, float* y);
void winograd_grad_block__scalar(const Conv2dGeom& g, const float* dy, int64_t t0, int64_t nt,
                                 float* D, int64_t ld, int64_t ds);
void winograd_grad_block__avx2_fma(const Conv2dGeom& g, const float* dy, int64_t t0,
                                   int64_t nt, float* D, int64_t ld, int64_t ds);
void winograd_grad_block__avx512(const Conv2dGeom& g, const float* dy, int64_t t0, int64_t nt,
                                 float* D, int64_t ld, int64_t ds);
void winograd_input_block__avx2_fma(const Conv2dGeom& g, const float* x, int64_t t0,
                                    int64_t nt, float* V, int64_t ld, int64_t vs);
void winograd_output_block__avx2_fma(const Conv2dGeom& g, const float* M, int64_t ld,
                                     int64_t ms, int64_t t0, int64_t nt, const float* bias,
                                     float* y);
void winograd_input_block__avx512(const Conv2dGeom& g, const float* x, int64_t t0, int64_t nt,
                                  float* V, int64_t ld, int64_t vs);
void winograd_output_block__avx512(const Conv2dGeom& g, const float* M, int64_t ld, int64_t ms,
                                   int64_t t0, int64_t nt, const float* bias, float* y);

}  // namespace neurite
