// Internals shared by the conv kernels: conv.cc (im2col paths, dispatch, bias) and
// conv_rows.cc (row columns). Work splitting over image groups, reused per-thread buffers,
// blocked copies, and the row-columns entry points; see conv.cc's header for the design.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>

#include "../runtime/pool.h"
#include "conv.h"
#include "gemm.h"

namespace neurite {
namespace conv_detail {

// Copies n floats in blocks of 8 (two vector moves at the baseline ISA, no length-dependent
// prologue or epilogue, no memcpy call; pieces here are often 10-30 floats), reading and
// writing up to 7 floats past the end.
inline void copy_blocks(float* __restrict dst, const float* __restrict src, int64_t n) {
  for (int64_t i = 0; i < n; i += 8)
    for (int64_t u = 0; u < 8; ++u) dst[i + u] = src[i + u];
}

// Zeroes n floats likewise, writing up to 7 zeros past the end.
inline void zero_blocks(float* dst, int64_t n) {
  for (int64_t i = 0; i < n; i += 8)
    for (int64_t u = 0; u < 8; ++u) dst[i + u] = 0.f;
}

// Leading dimension of a column buffer with P columns: at least P + 8 (room for im2col's
// spill, see copy_blocks), and an odd multiple of 16 floats once P is large, so the rows of a
// 16-wide strip the GEMM reads in place fall in different cache sets (P = 1024 rows 4 KiB
// apart all hit one L1 set).
int64_t col_ld(int64_t P);

// 1x1 kernel, stride 1, no padding, same size: the input itself is the column matrix.
bool is_pointwise(const Conv2dGeom& g);

// Image groups: for small images several images share one column buffer [R, imgs * P], so
// each GEMM has a few hundred to a few thousand columns instead of P (a 11x11 output gives
// 121) and the weights are packed once per group, not per image. A group's column buffer
// stays within kGroupFloats (in L2 between im2col and the GEMM) and its GEMM within
// kGroupCols columns. Images too large for a group of one run alone in row tiles.
constexpr int64_t kGroupFloats = int64_t{1} << 18;
constexpr int64_t kGroupCols = 2048;

// Images per group for `cols` columns per image and `rows` column-buffer rows, at most what
// the budget allows, and no more than makes the group count a multiple of 8 (so 1, 2, 4 or 8
// threads share the groups, and kSlots evenly). Depends only on the shape, never on the
// thread count.
int64_t images_per_group(int64_t N, int64_t rows, int64_t cols);

// Calls fn(group, gemm to use) for every group in [0, groups): when there are groups for more
// than one thread, each thread claims groups in turn (a thread that loses its core on a
// shared machine then does fewer) and runs their GEMMs on itself (gemm_serial); else in turn
// with pooled GEMMs. A group's results do not depend on the thread that runs it.
using GemmFn = void (*)(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                        const float*, int64_t, float, float*, int64_t);
template <class Fn>
void run_groups(int64_t groups, Fn fn) {
  const int64_t threads = std::min<int64_t>(groups, num_threads());
  if (threads > 1) {
    std::atomic<int64_t> next{0};
    parallel_for(threads, 1, [&](int64_t, int64_t) {
      for (int64_t i = next.fetch_add(1); i < groups; i = next.fetch_add(1)) fn(i, gemm_serial);
    });
  } else {
    for (int64_t i = 0; i < groups; ++i) fn(i, gemm);
  }
}

// Per-thread scratch that only grows, so repeated calls neither allocate nor page-fault; two
// independent slots. Null when it cannot grow.
float* thread_scratch(int slot, int64_t floats);

// acc[k] += the sum of row k of a (n floats, rows lda apart) for k < rows: 8 float lanes
// (vectorisable), then added in double.
void add_row_sums(const float* a, int64_t lda, int64_t rows, int64_t n, double* acc);

// Slot partials of the bias gradient, summed in slot order into db (see kSlots).
void sum_bias_slots(const double* parts, int64_t slots, int64_t K, float* db);

// Weight gradients are summed over groups into kSlots partials (slot s takes groups
// [s * groups / slots, (s + 1) * groups / slots)), then over the partials in slot order: the
// result depends on the shape only, not on the thread count or timing.
constexpr int64_t kSlots = 8;

// Slots for `groups` groups and WN weight floats: fewer for large weights, so the partials
// (kept per thread) stay within 16 MB; with one slot the groups run in turn on pooled GEMMs,
// which are then large enough to split.
int64_t weight_slots(int64_t groups, int64_t WN);

// Row columns, for stride 1 along W: the column buffer holds, per (c, kh), the padded input
// rows the outputs read, laid out on a wide grid [OH, Wp] with Wp = OW + (KW - 1) * dw. Kernel
// column kw then reads the same buffer shifted by kw * dw, so KW GEMMs of depth Cg*KH replace
// one of depth Cg*KH*KW: the buffer is KW times smaller and built from whole rows instead of
// OW-long pieces. Outputs come out on the wide grid too; the Wp - OW extra columns per row are
// dropped (computing them costs Wp / OW - 1 more multiply-adds, so only when that is small).
struct RowCols {
  bool use;
  int64_t CK;      // reduction depth Cg * KH of each GEMM
  int64_t Wp, S;   // wide row width, columns per image OH * Wp
  int64_t imgs;    // images per group (side by side, S columns each)
  int64_t groups;  // ceil(N / imgs)
  int64_t ld;      // leading dimension of the column buffer and the wide output
};

// The row-columns plan of a convolution (use == false when row columns do not apply).
RowCols row_cols_plan(const Conv2dGeom& g);

// conv2d_forward, conv2d_backward_input and conv2d_backward_weight (with the bias gradient
// when db is not null; bparts: weight_slots(groups, WN) * K zeroed doubles) on row columns.
bool forward_row_cols(const Conv2dGeom& g, const RowCols& p, const float* x, const float* w,
                      const float* bias, float* y);
bool backward_input_row_cols(const Conv2dGeom& g, const RowCols& p, const float* dy,
                             const float* w, const float* bias, float* dx);
bool backward_weight_row_cols(const Conv2dGeom& g, const RowCols& p, const float* x,
                              const float* dy, float* dw, float* db, double* bparts);

}  // namespace conv_detail
}  // namespace neurite
