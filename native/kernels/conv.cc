// conv kernels (see conv.h): the GEMM's column operand comes from im2col (rows (c, kh, kw))
// or, at stride 1 along W, from row columns (rows (c, kh) on a wide grid, read by KW shifted
// GEMMs: KW times fewer copies, made of whole rows; see RowCols). Small images go in groups,
// side by side in one L2-sized column buffer, so each GEMM has hundreds to thousands of columns;
// large ones run alone (im2col in row tiles). Threads claim groups, each running its GEMMs on
// itself (gemm_serial) with reused per-thread buffers. The input gradient is the adjoint on row
// columns, a forward convolution with the flipped weight at stride 1, or GEMM + col2im. Weight
// and bias gradients are summed per slot of groups, then over slots in order: results depend
// only on the shape, never on the thread count or timing.
#include "conv.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <new>

#include "../runtime/pool.h"
#include "gemm.h"

namespace neurite {
namespace {

// Output columns [*ow0, *ow1) whose input column ow * sw + off lies in [0, W); the rest read
// zero (any OW is allowed, see conv.h).
inline void valid_cols(int64_t OW, int64_t W, int64_t sw, int64_t off, int64_t* ow0,
                       int64_t* ow1) {
  int64_t a = off >= 0 ? 0 : (-off + sw - 1) / sw;
  int64_t b = W - off <= 0 ? 0 : (W - 1 - off) / sw + 1;
  a = std::min(a, OW);
  b = std::min(std::max(b, a), OW);
  *ow0 = a;
  *ow1 = b;
}

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

// col [Cg*KH*KW, (oh1 - oh0)*OW] (rows ld apart): the columns of output rows [oh0, oh1) from
// the Cg channels of one image at x (one group). Each row is written from left to right and a
// copy may spill up to 7 floats past its segment: into segments written after it (also the
// next image's, when images are side by side in order) or the row's padding (ld >= cols + 8).
void im2col(const Conv2dGeom& g, int64_t Cg, const float* x, int64_t oh0, int64_t oh1,
            float* col, int64_t ld) {
  // copy_blocks may read 7 floats past a segment: only where x has them
  const float* x_end = x + Cg * g.H * g.W;
  for (int64_t c = 0; c < Cg; ++c) {
    const float* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        float* row = col + ((c * g.KH + kh) * g.KW + kw) * ld;
        const int64_t off = kw * g.dw - g.pl;
        int64_t ow0, ow1;
        valid_cols(g.OW, g.W, g.sw, off, &ow0, &ow1);
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          const int64_t ih = oh * g.sh - g.pt + kh * g.dh;
          float* __restrict out = row + (oh - oh0) * g.OW;
          if (ih < 0 || ih >= g.H) {
            for (int64_t ow = 0; ow < g.OW; ++ow) out[ow] = 0.f;
            continue;
          }
          const float* __restrict xr = xc + ih * g.W;
          for (int64_t ow = 0; ow < ow0; ++ow) out[ow] = 0.f;
          if (g.sw == 1) {
            if (ow1 > ow0 && xr + ow1 + off + 8 <= x_end) {
              copy_blocks(out + ow0, xr + ow0 + off, ow1 - ow0);
            } else {
              for (int64_t ow = ow0; ow < ow1; ++ow) out[ow] = xr[ow + off];
            }
          } else {
            for (int64_t ow = ow0; ow < ow1; ++ow) out[ow] = xr[ow * g.sw + off];
          }
          for (int64_t ow = ow1; ow < g.OW; ++ow) out[ow] = 0.f;
        }
      }
    }
  }
}

// x += col2im(col): the adjoint of im2col (rows of col ld apart).
void col2im_acc(const Conv2dGeom& g, int64_t Cg, const float* col, int64_t ld, float* x) {
  for (int64_t c = 0; c < Cg; ++c) {
    float* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const float* row = col + ((c * g.KH + kh) * g.KW + kw) * ld;
        const int64_t off = kw * g.dw - g.pl;
        int64_t ow0, ow1;
        valid_cols(g.OW, g.W, g.sw, off, &ow0, &ow1);
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const int64_t ih = oh * g.sh - g.pt + kh * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          float* __restrict xr = xc + ih * g.W;
          const float* __restrict in = row + oh * g.OW;
          if (g.sw == 1) {
            for (int64_t ow = ow0; ow < ow1; ++ow) xr[ow + off] += in[ow];
          } else {
            for (int64_t ow = ow0; ow < ow1; ++ow) xr[ow * g.sw + off] += in[ow];
          }
        }
      }
    }
  }
}

// Leading dimension of a column buffer with P columns: at least P + 8 (room for im2col's
// spill, see copy_blocks), and an odd multiple of 16 floats once P is large, so the rows of a
// 16-wide strip the GEMM reads in place fall in different cache sets (P = 1024 rows 4 KiB
// apart all hit one L1 set).
int64_t col_ld(int64_t P) { return P < 64 ? P + 8 : (P + 31) / 32 * 32 + 16; }

// Output rows per column tile: the tile's R x (rows * OW) columns stay in L2 between im2col
// and the GEMM that reads them.
constexpr int64_t kTileFloats = int64_t{1} << 16;
int64_t tile_rows(const Conv2dGeom& g, int64_t R) {
  return std::max<int64_t>(1, std::min(g.OH, kTileFloats / std::max<int64_t>(1, R * g.OW)));
}

// 1x1 kernel, stride 1, no padding, same size: the input itself is the column matrix.
bool is_pointwise(const Conv2dGeom& g) {
  return g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 &&
         g.OH == g.H && g.OW == g.W;
}

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
int64_t images_per_group(int64_t N, int64_t rows, int64_t cols) {
  const int64_t most = std::max<int64_t>(1, std::min({N, kGroupFloats / (rows * cols),
                                                      kGroupCols / cols}));
  const int64_t groups = ((N + most - 1) / most + 7) / 8 * 8;
  return std::max<int64_t>(1, (N + groups - 1) / groups);
}

// Images per group for the im2col path, 1 when an image's columns alone exceed the budget or
// P >= kAloneP: such GEMMs are wide enough alone, and grouping would cost a pass over the
// large output (the scatter) or dy (the gather) that writing or reading them in place avoids.
constexpr int64_t kAloneP = 256;
int64_t group_images(const Conv2dGeom& g, int64_t R) {
  const int64_t P = g.OH * g.OW;
  if (P == 0 || R == 0 || P >= kAloneP || R * P > kGroupFloats / 2) return 1;
  return images_per_group(g.N, R, P);
}

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
float* thread_scratch(int slot, int64_t floats) {
  thread_local float* buf[2] = {nullptr, nullptr};
  thread_local int64_t cap[2] = {0, 0};
  if (floats > cap[slot]) {
    delete[] buf[slot];
    buf[slot] = new (std::nothrow) float[static_cast<size_t>(floats)];
    cap[slot] = buf[slot] ? floats : 0;
  }
  return buf[slot];
}

float* alloc_floats(int64_t n) {
  return n > 0 ? new (std::nothrow) float[static_cast<size_t>(n)] : nullptr;
}

// acc[k] += the sum of row k of a (n floats, rows lda apart) for k < rows: 8 float lanes
// (vectorisable), then added in double.
void add_row_sums(const float* a, int64_t lda, int64_t rows, int64_t n, double* acc) {
  for (int64_t k = 0; k < rows; ++k) {
    const float* r = a + k * lda;
    float lane[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
    int64_t p = 0;
    for (; p + 8 <= n; p += 8)
      for (int64_t u = 0; u < 8; ++u) lane[u] += r[p + u];
    double t = 0;
    for (; p < n; ++p) t += r[p];
    for (int64_t u = 0; u < 8; ++u) t += lane[u];
    acc[k] += t;
  }
}

// Slot partials of the bias gradient, summed in slot order into db (see kSlots).
void sum_bias_slots(const double* parts, int64_t slots, int64_t K, float* db) {
  for (int64_t k = 0; k < K; ++k) {
    double s = 0;
    for (int64_t sl = 0; sl < slots; ++sl) s += parts[sl * K + k];
    db[k] = static_cast<float>(s);
  }
}

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

RowCols row_cols_plan(const Conv2dGeom& g) {
  RowCols p{};
  // Wp <= 1.25 OW, written so that nothing overflows for any dims the binding admits
  if (g.sw != 1 || g.KW == 1 || (g.KW - 1) * g.dw > g.OW / 4 || is_pointwise(g)) return p;
  p.CK = g.C / g.G * g.KH;
  p.Wp = g.OW + (g.KW - 1) * g.dw;
  p.S = g.OH * p.Wp;
  p.use = p.CK >= 16 && p.S > 0 && p.S + p.Wp <= kGroupFloats &&
          p.CK <= kGroupFloats / (p.S + p.Wp);
  if (!p.use) return p;
  p.imgs = images_per_group(g.N, p.CK, p.S);
  p.groups = (g.N + p.imgs - 1) / p.imgs;
  p.ld = col_ld(p.imgs * p.S + (g.KW - 1) * g.dw);
  return p;
}

// Image x's rows (Cg channels of one group) at col (rows ld apart): col[(c*KH + kh)*ld +
// oh*Wp + u] = x[c, oh*sh - pt + kh*dh, u - pl], zero outside x. Pieces are written left to
// right in blocks of 8 and spill up to 7 floats into the pieces after them.
void im2row(const Conv2dGeom& g, int64_t Cg, int64_t Wp, const float* x, float* col,
            int64_t ld) {
  const float* x_end = x + Cg * g.H * g.W;
  const int64_t u0 = std::min(g.pl, Wp), u1 = std::max(u0, std::min(Wp, g.pl + g.W));
  for (int64_t c = 0; c < Cg; ++c) {
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      float* row = col + (c * g.KH + kh) * ld;
      // output rows [oa, ob) read input rows inside x; ih0 is the input row of oh = 0
      const int64_t ih0 = kh * g.dh - g.pt;
      const int64_t oa = std::min(g.OH, ih0 >= 0 ? 0 : (-ih0 + g.sh - 1) / g.sh);
      const int64_t ob =
          std::max(oa, std::min(g.OH, g.H - ih0 <= 0 ? 0 : (g.H - 1 - ih0) / g.sh + 1));
      zero_blocks(row, oa * Wp);
      const float* xc = x + c * g.H * g.W;
      if (u0 == 0 && u1 == Wp && Wp == g.W && g.sh == 1 && ob > oa &&
          xc + (ih0 + ob) * g.W + 8 <= x_end) {
        // no horizontal padding: the rows are one contiguous piece of x
        copy_blocks(row + oa * Wp, xc + (ih0 + oa) * g.W, (ob - oa) * Wp);
      } else {
        for (int64_t oh = oa; oh < ob; ++oh) {
          float* out = row + oh * Wp;
          const float* xr = xc + (ih0 + oh * g.sh) * g.W - g.pl;  // xr[u] = x[c, ih, u - pl]
          zero_blocks(out, u0);
          if (xr + u1 + 8 <= x_end) {
            copy_blocks(out + u0, xr + u0, u1 - u0);
          } else {
            for (int64_t u = u0; u < u1; ++u) out[u] = xr[u];
          }
          zero_blocks(out + u1, Wp - u1);
        }
      }
      zero_blocks(row + ob * Wp, (g.OH - ob) * Wp);
    }
  }
}

// Group n0..n1's row columns at col: images side by side, then (KW-1)*dw zero columns that the
// shifted reads of the last image reach.
void im2row_group(const Conv2dGeom& g, const RowCols& p, const float* x, int64_t gi,
                  int64_t n0, int64_t n1, float* col) {
  const int64_t Cg = g.C / g.G;
  for (int64_t n = n0; n < n1; ++n)
    im2row(g, Cg, p.Wp, x + (n * g.C + gi * Cg) * g.H * g.W, col + (n - n0) * p.S, p.ld);
  const int64_t end = (n1 - n0) * p.S, tail = (g.KW - 1) * g.dw;
  for (int64_t r = 0; r < p.CK; ++r)
    for (int64_t j = end; j < end + tail; ++j) col[r * p.ld + j] = 0.f;
}

// The weight by kernel column: wk [G][KW][Kg, Cg*KH], wk[kw][k, c*KH + kh] = w[k, c, kh, kw].
void split_weight_by_kw(const Conv2dGeom& g, const float* w, float* wk) {
  const int64_t Cg = g.C / g.G, Kg = g.K / g.G, CK = Cg * g.KH;
  for (int64_t gi = 0; gi < g.G; ++gi)
    for (int64_t kw = 0; kw < g.KW; ++kw)
      for (int64_t k = 0; k < Kg; ++k)
        for (int64_t c = 0; c < Cg; ++c)
          for (int64_t kh = 0; kh < g.KH; ++kh)
            wk[((gi * g.KW + kw) * Kg + k) * CK + c * g.KH + kh] =
                w[(((gi * Kg + k) * Cg + c) * g.KH + kh) * g.KW + kw];
}

// dy of images n0..n1 (group gi) on the wide grid: dyb[k*ld + (n - n0)*S + oh*Wp + ow] =
// dy[n, gi*Kg + k, oh, ow], zero for ow in [OW, Wp).
void gather_dy_wide(const Conv2dGeom& g, const RowCols& p, const float* dy, int64_t gi,
                    int64_t n0, int64_t n1, float* dyb) {
  const int64_t Kg = g.K / g.G, P = g.OH * g.OW;
  const float* dy_end = dy + g.N * g.K * P;
  for (int64_t k = 0; k < Kg; ++k)
    for (int64_t n = n0; n < n1; ++n) {
      const float* src = dy + (n * g.K + gi * Kg + k) * P;
      float* dst = dyb + k * p.ld + (n - n0) * p.S;
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        const float* s = src + oh * g.OW;
        float* d = dst + oh * p.Wp;
        if (s + g.OW + 8 <= dy_end) {
          copy_blocks(d, s, g.OW);
        } else {
          for (int64_t ow = 0; ow < g.OW; ++ow) d[ow] = s[ow];
        }
        zero_blocks(d + g.OW, p.Wp - g.OW);
      }
    }
}

// The same, transposed: dyt[((n - n0)*S + oh*Wp + ow)*Kg + k], so that a GEMM reads it in
// place as its untransposed B operand instead of packing it with transposes.
void gather_dy_wide_t(const Conv2dGeom& g, const RowCols& p, const float* dy, int64_t gi,
                      int64_t n0, int64_t n1, float* dyt) {
  const int64_t Kg = g.K / g.G, P = g.OH * g.OW;
  for (int64_t n = n0; n < n1; ++n) {
    const float* src = dy + (n * g.K + gi * Kg) * P;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      float* dst = dyt + ((n - n0) * p.S + oh * p.Wp) * Kg;
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const float* __restrict s = src + oh * g.OW + ow;
        float* __restrict d = dst + ow * Kg;
        for (int64_t k = 0; k < Kg; ++k) d[k] = s[k * P];
      }
      for (int64_t i = g.OW * Kg; i < p.Wp * Kg; ++i) dst[i] = 0.f;
    }
  }
}

// conv2d_backward_input on row columns (see RowCols), the adjoint of forward_row_cols: per
// kernel column kw, drows[:, j + kw*dw] += wk[kw]^T · dy_wide[:, j] (dy gathered on the wide
// grid, zero in the extra columns), then each dx row sums the KH rows that read it.
bool backward_input_row_cols(const Conv2dGeom& g, const RowCols& p, const float* dy,
                             const float* w, const float* bias, float* dx) {
  const int64_t Cg = g.C / g.G, Kg = g.K / g.G, CK = p.CK;
  float* wk = thread_scratch(1, g.K * CK * g.KW);
  if (!wk) return false;
  split_weight_by_kw(g, w, wk);
  const int64_t rowf = CK * p.ld, dyf = Kg * p.ld, tail = (g.KW - 1) * g.dw;
  const int64_t u0 = std::min(g.pl, p.Wp), u1 = std::max(u0, std::min(p.Wp, g.pl + g.W));
  std::atomic<bool> ok{true};
  run_groups(p.groups, [&](int64_t grp, GemmFn mm) {
    const int64_t n0 = grp * p.imgs, n1 = std::min(g.N, n0 + p.imgs), cols = (n1 - n0) * p.S;
    float* rows = thread_scratch(0, rowf + dyf);
    if (!rows) {
      ok = false;
      return;
    }
    float* dyb = rows + rowf;
    for (int64_t gi = 0; gi < g.G; ++gi) {
      gather_dy_wide(g, p, dy, gi, n0, n1, dyb);
      for (int64_t r = 0; r < CK; ++r)  // columns only the shifted products reach
        for (int64_t j = cols; j < cols + tail; ++j) rows[r * p.ld + j] = 0.f;
      for (int64_t kw = 0; kw < g.KW; ++kw)
        mm(true, false, CK, cols, Kg, 1.f, wk + (gi * g.KW + kw) * Kg * CK, CK, dyb, p.ld,
           kw == 0 ? 0.f : 1.f, rows + kw * g.dw, p.ld);
      // dx[n, c, ih, u - pl] = bias[c] + sum over kh with ih = oh*sh - pt + kh*dh of
      // rows[c*KH + kh][(n - n0)*S + oh*Wp + u], u in [u0, u1)
      for (int64_t n = n0; n < n1; ++n)
        for (int64_t c = 0; c < Cg; ++c) {
          const float v = bias ? bias[gi * Cg + c] : 0.f;
          float* xc = dx + (n * g.C + gi * Cg + c) * g.H * g.W;
          const float* rc = rows + c * g.KH * p.ld + (n - n0) * p.S;
          for (int64_t ih = 0; ih < g.H; ++ih) {
            float* __restrict xr = xc + ih * g.W;
            for (int64_t iw = 0; iw < g.W; ++iw) xr[iw] = v;
            for (int64_t kh = 0; kh < g.KH; ++kh) {
              const int64_t t = ih + g.pt - kh * g.dh;
              if (t < 0 || t % g.sh != 0 || t / g.sh >= g.OH) continue;
              const float* __restrict src = rc + kh * p.ld + t / g.sh * p.Wp;
              for (int64_t u = u0; u < u1; ++u) xr[u - g.pl] += src[u];
            }
          }
        }
    }
  });
  return ok;
}

// conv2d_forward on row columns (see RowCols).
bool forward_row_cols(const Conv2dGeom& g, const RowCols& p, const float* x, const float* w,
                      const float* bias, float* y) {
  const int64_t Kg = g.K / g.G, P = g.OH * g.OW;
  float* wk = thread_scratch(1, g.K * p.CK * g.KW);
  if (!wk) return false;
  split_weight_by_kw(g, w, wk);
  const int64_t colf = p.CK * p.ld, outf = Kg * p.ld;
  std::atomic<bool> ok{true};
  run_groups(p.groups, [&](int64_t grp, GemmFn mm) {
    const int64_t n0 = grp * p.imgs, n1 = std::min(g.N, n0 + p.imgs), cols = (n1 - n0) * p.S;
    float* col = thread_scratch(0, colf + outf);
    if (!col) {
      ok = false;
      return;
    }
    float* out = col + colf;
    for (int64_t gi = 0; gi < g.G; ++gi) {
      im2row_group(g, p, x, gi, n0, n1, col);
      for (int64_t kw = 0; kw < g.KW; ++kw)
        mm(false, false, Kg, cols, p.CK, 1.f, wk + (gi * g.KW + kw) * Kg * p.CK, p.CK,
           col + kw * g.dw, p.ld, kw == 0 ? 0.f : 1.f, out, p.ld);
      // scatter the OW valid columns of each wide row to NCHW, adding the bias
      for (int64_t n = n0; n < n1; ++n)
        for (int64_t k = 0; k < Kg; ++k) {
          const float b = bias ? bias[gi * Kg + k] : 0.f;
          float* yr = y + (n * g.K + gi * Kg + k) * P;
          for (int64_t oh = 0; oh < g.OH; ++oh) {
            const float* __restrict src = out + k * p.ld + (n - n0) * p.S + oh * p.Wp;
            float* __restrict dst = yr + oh * g.OW;
            if ((g.OH - 1 - oh) * g.OW >= 8) {  // blocks of 8, spilling into the next rows
              for (int64_t i = 0; i < g.OW; i += 8)
                for (int64_t u = 0; u < 8; ++u) dst[i + u] = src[i + u] + b;
            } else {
              for (int64_t ow = 0; ow < g.OW; ++ow) dst[ow] = src[ow] + b;
            }
          }
        }
    }
  });
  return ok;
}

}  // namespace

bool conv2d_forward(const Conv2dGeom& g, const float* x, const float* w, const float* bias,
                    float* y) {
  const int64_t Cg = g.C / g.G, Kg = g.K / g.G, P = g.OH * g.OW;
  const int64_t R = Cg * g.KH * g.KW;  // reduction length
  if (g.N == 0 || g.K == 0 || P == 0) return true;
  const RowCols rc = row_cols_plan(g);
  if (rc.use) return forward_row_cols(g, rc, x, w, bias, y);
  const bool pointwise = is_pointwise(g);
  const int64_t imgs = pointwise ? 1 : group_images(g, R);
  const int64_t groups = (g.N + imgs - 1) / imgs;
  // one image: row tiles of TH output rows; a group: whole images, GEMM into out [Kg, ld]
  const int64_t TH = imgs > 1 ? g.OH : tile_rows(g, R), ld = col_ld(imgs * TH * g.OW);
  // A short reduction (conv1 of LeNet: R = 9, a large output) takes the bias into the GEMM as
  // a row of ones under the columns and a column of the weight, wb [K, R + 1], instead of a
  // second pass over the output.
  const bool bias_row = bias && imgs == 1 && !pointwise && R > 0 && R < 32;
  const int64_t RB = bias_row ? R + 1 : R;
  float* wb = nullptr;
  if (bias_row) {
    wb = thread_scratch(1, g.K * RB);
    if (!wb) return false;
    for (int64_t k = 0; k < g.K; ++k) {
      for (int64_t r = 0; r < R; ++r) wb[k * RB + r] = w[k * R + r];
      wb[k * RB + R] = bias[k];
    }
  }
  const int64_t colf = pointwise ? 0 : RB * ld, outf = imgs > 1 ? Kg * ld : 0;
  std::atomic<bool> ok{true};
  run_groups(groups, [&](int64_t grp, GemmFn mm) {
    const int64_t n0 = grp * imgs, n1 = std::min(g.N, n0 + imgs), cols = (n1 - n0) * P;
    float* col = colf + outf > 0 ? thread_scratch(0, colf + outf) : nullptr;
    if (colf + outf > 0 && !col) {
      ok = false;
      return;
    }
    float* out = col + colf;
    for (int64_t gi = 0; gi < g.G; ++gi) {
      const float* wg = w + gi * Kg * R;
      const float* bg = bias ? bias + gi * Kg : nullptr;
      if (imgs > 1) {
        for (int64_t n = n0; n < n1; ++n)
          im2col(g, Cg, x + (n * g.C + gi * Cg) * g.H * g.W, 0, g.OH, col + (n - n0) * P, ld);
        mm(false, false, Kg, cols, R, 1.f, wg, R, col, ld, 0.f, out, ld);
        // scatter to NCHW, adding the bias
        for (int64_t n = n0; n < n1; ++n)
          for (int64_t k = 0; k < Kg; ++k) {
            const float* __restrict src = out + k * ld + (n - n0) * P;
            float* __restrict dst = y + (n * g.K + gi * Kg + k) * P;
            const float b = bg ? bg[k] : 0.f;
            for (int64_t p = 0; p < P; ++p) dst[p] = src[p] + b;
          }
        continue;
      }
      const float* xg = x + (n0 * g.C + gi * Cg) * g.H * g.W;
      float* yg = y + (n0 * g.K + gi * Kg) * P;
      if (R == 0) {
        for (int64_t i = 0; i < Kg * P; ++i) yg[i] = 0.f;
      } else if (pointwise) {
        mm(false, false, Kg, P, R, 1.f, wg, R, xg, P, 0.f, yg, P);
      } else {
        for (int64_t oh0 = 0; oh0 < g.OH; oh0 += TH) {
          const int64_t oh1 = std::min(g.OH, oh0 + TH), cols = (oh1 - oh0) * g.OW;
          im2col(g, Cg, xg, oh0, oh1, col, ld);
          if (bias_row) {
            for (int64_t j = 0; j < cols; ++j) col[R * ld + j] = 1.f;
            mm(false, false, Kg, cols, RB, 1.f, wb + gi * Kg * RB, RB, col, ld, 0.f,
               yg + oh0 * g.OW, P);
          } else {
            mm(false, false, Kg, cols, R, 1.f, wg, R, col, ld, 0.f, yg + oh0 * g.OW, P);
          }
        }
      }
      if (bg && !bias_row) {
        for (int64_t k = 0; k < Kg; ++k) {
          float* yr = yg + k * P;
          for (int64_t p = 0; p < P; ++p) yr[p] += bg[k];
        }
      }
    }
  });
  return ok;
}

namespace {

// At stride 1 the input gradient is itself a convolution: dx[c, ih, iw] = sum over k, i, j of
// w[k, c, KH-1-i, KW-1-j] * dy[k, ih - pt' + i*dh, iw - pl' + j*dw] with pt' = dh*(KH-1) - pt
// (likewise pl'), zero outside dy. Run as conv2d_forward with the flipped, transposed weight
// wf [G][Cg, Kg, KH, KW]: im2col + GEMM instead of GEMM + col2im, and the column buffer is
// read where it was written. Needs pt' and pl' >= 0.
bool stride1_as_forward(const Conv2dGeom& g) {
  return g.sh == 1 && g.sw == 1 && g.pt <= g.dh * (g.KH - 1) && g.pl <= g.dw * (g.KW - 1) &&
         !is_pointwise(g);
}

bool backward_input_stride1(const Conv2dGeom& g, const float* dy, const float* w,
                            const float* bias, float* dx) {
  const int64_t Cg = g.C / g.G, Kg = g.K / g.G, KK = g.KH * g.KW;
  float* wf = alloc_floats(g.K * Cg * KK);
  if (g.K * Cg * KK > 0 && !wf) return false;
  for (int64_t gi = 0; gi < g.G; ++gi)
    for (int64_t k = 0; k < Kg; ++k)
      for (int64_t c = 0; c < Cg; ++c) {
        const float* src = w + ((gi * Kg + k) * Cg + c) * KK;
        float* dst = wf + ((gi * Cg + c) * Kg + k) * KK;
        for (int64_t i = 0; i < KK; ++i) dst[KK - 1 - i] = src[i];
      }
  Conv2dGeom t = g;
  t.C = g.K;
  t.H = g.OH;
  t.W = g.OW;
  t.K = g.C;
  t.OH = g.H;
  t.OW = g.W;
  t.pt = g.dh * (g.KH - 1) - g.pt;
  t.pl = g.dw * (g.KW - 1) - g.pl;
  const bool ok = conv2d_forward(t, dy, wf, bias, dx);
  delete[] wf;
  return ok;
}

}  // namespace

bool conv2d_backward_input(const Conv2dGeom& g, const float* dy, const float* w,
                           const float* bias, float* dx) {
  // Row columns unless the forward form does as little work: it computes every input position
  // from a padded dy, so it wins when dy is about as large as dx ('same' padding).
  const bool as_forward = stride1_as_forward(g);
  if (g.N > 0 && g.K > 0 && g.OH * g.OW > 0 && (!as_forward || 10 * g.OH * g.OW < 9 * g.H * g.W)) {
    const RowCols rc = row_cols_plan(g);
    if (rc.use) return backward_input_row_cols(g, rc, dy, w, bias, dx);
  }
  if (as_forward) return backward_input_stride1(g, dy, w, bias, dx);
  const int64_t Cg = g.C / g.G, Kg = g.K / g.G, P = g.OH * g.OW, HW = g.H * g.W;
  const int64_t R = Cg * g.KH * g.KW;
  const bool pointwise = is_pointwise(g);
  const int64_t ld = col_ld(P);
  const int64_t colf = pointwise ? 0 : R * ld;
  std::atomic<bool> ok{true};
  run_groups(g.N, [&](int64_t n, GemmFn mm) {
    for (int64_t c = 0; c < g.C; ++c) {
      float* xc = dx + (n * g.C + c) * HW;
      const float v = bias ? bias[c] : 0.f;
      for (int64_t i = 0; i < HW; ++i) xc[i] = v;
    }
    if (P == 0 || Kg == 0 || R == 0) return;
    float* col = colf > 0 ? thread_scratch(0, colf) : nullptr;
    if (colf > 0 && !col) {
      ok = false;
      return;
    }
    for (int64_t gi = 0; gi < g.G; ++gi) {
      float* xg = dx + (n * g.C + gi * Cg) * HW;
      const float* dyg = dy + (n * g.K + gi * Kg) * P;
      const float* wg = w + gi * Kg * R;
      if (pointwise) {
        mm(true, false, R, P, Kg, 1.f, wg, R, dyg, P, 1.f, xg, P);
      } else {
        mm(true, false, R, P, Kg, 1.f, wg, R, dyg, P, 0.f, col, ld);
        col2im_acc(g, Cg, col, ld, xg);
      }
    }
  });
  return ok;
}

namespace {

// Weight gradients are summed over groups into kSlots partials (slot s takes groups
// [s * groups / slots, (s + 1) * groups / slots)), then over the partials in slot order: the
// result depends on the shape only, not on the thread count or timing.
constexpr int64_t kSlots = 8;

// Slots for `groups` groups and WN weight floats: fewer for large weights, so the partials
// (kept per thread) stay within 16 MB; with one slot the groups run in turn on pooled GEMMs,
// which are then large enough to split.
int64_t weight_slots(int64_t groups, int64_t WN) {
  const int64_t fit = (int64_t{1} << 22) / std::max<int64_t>(1, WN);
  return std::max<int64_t>(1, std::min({groups, kSlots, fit}));
}

// conv2d_backward_weight on row columns (see RowCols): per kernel column kw, dw[:, :, :, kw]
// = dy_wide · rows shifted by kw * dw, with dy gathered on the wide grid (zero in the extra
// columns). A partial is held as [G][KW][Cg*KH, Kg] when Cg*KH > Kg (the long side as the
// GEMM's M, the column buffer read in place), else [G][KW][Kg, Cg*KH].
bool backward_weight_row_cols(const Conv2dGeom& g, const RowCols& p, const float* x,
                              const float* dy, float* dw, float* db, double* bparts) {
  const int64_t Cg = g.C / g.G, Kg = g.K / g.G, KK = g.KH * g.KW;
  const int64_t WN = g.K * Cg * KK, CK = p.CK;
  const int64_t slots = weight_slots(p.groups, WN);
  const bool transposed = CK > Kg;
  // dy gathered transposed, [cols, Kg], when the GEMM then reads it in place (the GEMM reads
  // untransposed B in place for at most 96 rows, gemm.cc): saves packing it with transposes
  const bool dy_t = transposed && CK <= 96;
  float* parts = thread_scratch(1, slots * WN);
  if (!parts) return false;
  for (int64_t i = 0; i < slots * WN; ++i) parts[i] = 0.f;
  const int64_t colf = CK * p.ld, dyf = Kg * std::max(p.ld, p.imgs * p.S);
  std::atomic<bool> ok{true};
  run_groups(slots, [&](int64_t slot, GemmFn mm) {
    float* col = thread_scratch(0, colf + dyf);
    if (!col) {
      ok = false;
      return;
    }
    float* dyb = col + colf;
    for (int64_t grp = slot * p.groups / slots; grp < (slot + 1) * p.groups / slots; ++grp) {
      const int64_t n0 = grp * p.imgs, n1 = std::min(g.N, n0 + p.imgs), cols = (n1 - n0) * p.S;
      for (int64_t gi = 0; gi < g.G; ++gi) {
        im2row_group(g, p, x, gi, n0, n1, col);
        if (dy_t) {
          gather_dy_wide_t(g, p, dy, gi, n0, n1, dyb);
          if (db)
            for (int64_t n = n0; n < n1; ++n)
              add_row_sums(dy + (n * g.K + gi * Kg) * g.OH * g.OW, g.OH * g.OW, Kg,
                           g.OH * g.OW, bparts + slot * g.K + gi * Kg);
        } else {
          gather_dy_wide(g, p, dy, gi, n0, n1, dyb);
          if (db) add_row_sums(dyb, p.ld, Kg, cols, bparts + slot * g.K + gi * Kg);
        }
        for (int64_t kw = 0; kw < g.KW; ++kw) {
          float* pk = parts + slot * WN + (gi * g.KW + kw) * Kg * CK;
          if (dy_t) {
            mm(false, false, CK, Kg, cols, 1.f, col + kw * g.dw, p.ld, dyb, Kg, 1.f, pk, Kg);
          } else if (transposed) {
            mm(false, true, CK, Kg, cols, 1.f, col + kw * g.dw, p.ld, dyb, p.ld, 1.f, pk, Kg);
          } else {
            mm(false, true, Kg, CK, cols, 1.f, dyb, p.ld, col + kw * g.dw, p.ld, 1.f, pk, CK);
          }
        }
      }
    }
  });
  if (!ok) return false;
  for (int64_t i = 0; i < WN; ++i) dw[i] = 0.f;
  for (int64_t sl = 0; sl < slots; ++sl)
    for (int64_t gi = 0; gi < g.G; ++gi)
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const float* pk = parts + sl * WN + (gi * g.KW + kw) * Kg * CK;
        for (int64_t k = 0; k < Kg; ++k)
          for (int64_t r = 0; r < CK; ++r)  // r = c * KH + kh
            dw[(gi * Kg + k) * Cg * KK + r * g.KW + kw] += transposed ? pk[r * Kg + k]
                                                                       : pk[k * CK + r];
      }
  if (db) sum_bias_slots(bparts, slots, g.K, db);
  return true;
}

}  // namespace

bool conv2d_backward_weight(const Conv2dGeom& g, const float* x, const float* dy, float* dw,
                            float* db) {
  const int64_t Cg = g.C / g.G, Kg = g.K / g.G, P = g.OH * g.OW;
  const int64_t R = Cg * g.KH * g.KW;
  const int64_t WN = g.K * R;  // weight floats
  const bool pointwise = is_pointwise(g);
  for (int64_t i = 0; i < WN; ++i) dw[i] = 0.f;
  if (db && (g.N == 0 || WN == 0 || P == 0)) conv_backward_bias(g.N, g.K, P, dy, db);
  if (g.N == 0 || P == 0 || WN == 0) return true;
  const RowCols rc = row_cols_plan(g);
  const int64_t imgs = pointwise || rc.use ? 1 : group_images(g, R);
  const int64_t groups = rc.use ? rc.groups : (g.N + imgs - 1) / imgs;
  // the bias gradient's slot partials
  std::unique_ptr<double[]> bparts;
  if (db) {
    bparts.reset(new (std::nothrow) double[static_cast<size_t>(weight_slots(groups, WN) * g.K)]());
    if (!bparts) return false;
  }
  if (rc.use) return backward_weight_row_cols(g, rc, x, dy, dw, db, bparts.get());
  // Groups are summed into kSlots partials. When R > Kg a partial is held transposed,
  // [G, R, Kg] = col · dy^T, so the long side is the GEMM's M and the column buffer is read in
  // place; otherwise as dw, [G, Kg, R] = dy · col^T.
  const int64_t slots = weight_slots(groups, WN);
  const bool transposed = R > Kg;
  const int64_t TH = imgs > 1 || pointwise ? g.OH : tile_rows(g, R);
  const int64_t ld = pointwise ? P : col_ld(imgs * TH * g.OW);
  // per thread: the column buffer, then (groups) dy of the group gathered as [Kg, ld]
  const int64_t colf = pointwise ? 0 : R * ld, dyf = imgs > 1 ? Kg * ld : 0;
  float* parts = thread_scratch(1, slots * WN);
  if (!parts) return false;
  for (int64_t i = 0; i < slots * WN; ++i) parts[i] = 0.f;
  std::atomic<bool> ok{true};
  run_groups(slots, [&](int64_t slot, GemmFn mm) {
    float* col = colf + dyf > 0 ? thread_scratch(0, colf + dyf) : nullptr;
    if (colf + dyf > 0 && !col) {
      ok = false;
      return;
    }
    float* dyb = col + colf;
    float* part = parts + slot * WN;
    for (int64_t grp = slot * groups / slots; grp < (slot + 1) * groups / slots; ++grp) {
      const int64_t n0 = grp * imgs, n1 = std::min(g.N, n0 + imgs);
      for (int64_t gi = 0; gi < g.G; ++gi) {
        float* pg = part + gi * Kg * R;
        if (imgs > 1) {
          for (int64_t n = n0; n < n1; ++n) {
            im2col(g, Cg, x + (n * g.C + gi * Cg) * g.H * g.W, 0, g.OH, col + (n - n0) * P, ld);
            for (int64_t k = 0; k < Kg; ++k) {
              const float* __restrict src = dy + (n * g.K + gi * Kg + k) * P;
              float* __restrict dst = dyb + k * ld + (n - n0) * P;
              for (int64_t p = 0; p < P; ++p) dst[p] = src[p];
            }
          }
          const int64_t cols = (n1 - n0) * P;
          if (db) add_row_sums(dyb, ld, Kg, cols, bparts.get() + slot * g.K + gi * Kg);
          if (transposed) {
            mm(false, true, R, Kg, cols, 1.f, col, ld, dyb, ld, 1.f, pg, Kg);
          } else {
            mm(false, true, Kg, R, cols, 1.f, dyb, ld, col, ld, 1.f, pg, R);
          }
          continue;
        }
        const float* xg = x + (n0 * g.C + gi * Cg) * g.H * g.W;
        const float* dyg = dy + (n0 * g.K + gi * Kg) * P;
        if (db) add_row_sums(dyg, P, Kg, P, bparts.get() + slot * g.K + gi * Kg);
        for (int64_t oh0 = 0; oh0 < g.OH; oh0 += TH) {
          const int64_t oh1 = std::min(g.OH, oh0 + TH), Pt = (oh1 - oh0) * g.OW;
          const float* src = xg;
          if (!pointwise) {
            im2col(g, Cg, xg, oh0, oh1, col, ld);
            src = col;
          }
          const float* dyt = dyg + oh0 * g.OW;
          if (transposed) {
            mm(false, true, R, Kg, Pt, 1.f, src, ld, dyt, P, 1.f, pg, Kg);
          } else {
            mm(false, true, Kg, R, Pt, 1.f, dyt, P, src, ld, 1.f, pg, R);
          }
        }
      }
    }
  });
  if (!ok) return false;
  // partial sums in slot order
  for (int64_t c = 0; c < slots; ++c) {
    const float* part = parts + c * WN;
    if (!transposed) {
      for (int64_t i = 0; i < WN; ++i) dw[i] += part[i];
      continue;
    }
    for (int64_t gi = 0; gi < g.G; ++gi) {
      const float* pg = part + gi * Kg * R;
      float* dwg = dw + gi * Kg * R;
      for (int64_t r = 0; r < R; ++r)
        for (int64_t k = 0; k < Kg; ++k) dwg[k * R + r] += pg[r * Kg + k];
    }
  }
  if (db) sum_bias_slots(bparts.get(), slots, g.K, db);
  return true;
}

// Channels are split over the pool; each channel's rows are summed as in add_row_sums, in
// order, so the result is the same on any thread.
void conv_backward_bias(int64_t N, int64_t C, int64_t P, const float* dy, float* db) {
  // channels per chunk: about 64K floats of dy (the dims may be huge when C == 0)
  constexpr int64_t kChunkFloats = int64_t{1} << 16;
  const bool small = N > 0 && P > 0 && N < kChunkFloats && P < kChunkFloats / N;
  const int64_t grain = small ? kChunkFloats / (N * P) : 1;
  parallel_for(C, grain, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double s = 0;
      for (int64_t n = 0; n < N; ++n) add_row_sums(dy + (n * C + c) * P, P, 1, P, &s);
      db[c] = static_cast<float>(s);
    }
  });
}

}  // namespace neurite
