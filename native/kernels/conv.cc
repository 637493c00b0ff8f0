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

#include "conv_internal.h"
#include "winograd.h"

namespace neurite {
namespace conv_detail {

// Shared helpers (documented in conv_internal.h).
int64_t col_ld(int64_t P) { return P < 64 ? P + 8 : (P + 31) / 32 * 32 + 16; }

bool is_pointwise(const Conv2dGeom& g) {
  return g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 &&
         g.OH == g.H && g.OW == g.W;
}

int64_t images_per_group(int64_t N, int64_t rows, int64_t cols) {
  const int64_t most = std::max<int64_t>(1, std::min({N, kGroupFloats / (rows * cols),
                                                      kGroupCols / cols}));
  const int64_t groups = ((N + most - 1) / most + 7) / 8 * 8;
  return std::max<int64_t>(1, (N + groups - 1) / groups);
}

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

void sum_bias_slots(const double* parts, int64_t slots, int64_t K, float* db) {
  for (int64_t k = 0; k < K; ++k) {
    double s = 0;
    for (int64_t sl = 0; sl < slots; ++sl) s += parts[sl * K + k];
    db[k] = static_cast<float>(s);
  }
}

int64_t weight_slots(int64_t groups, int64_t WN) {
  const int64_t fit = (int64_t{1} << 22) / std::max<int64_t>(1, WN);
  return std::max<int64_t>(1, std::min({groups, kSlots, fit}));
}

}  // namespace conv_detail

using namespace conv_detail;

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

// Output rows per column tile: the tile's R x (rows * OW) columns stay in L2 between im2col
// and the GEMM that reads them.
constexpr int64_t kTileFloats = int64_t{1} << 16;
int64_t tile_rows(const Conv2dGeom& g, int64_t R) {
  return std::max<int64_t>(1, std::min(g.OH, kTileFloats / std::max<int64_t>(1, R * g.OW)));
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

float* alloc_floats(int64_t n) {
  return n > 0 ? new (std::nothrow) float[static_cast<size_t>(n)] : nullptr;
}
}  // namespace

bool conv2d_forward(const Conv2dGeom& g, const float* x, const float* w, const float* bias,
                    float* y) {
  const int64_t Cg = g.C / g.G, Kg = g.K / g.G, P = g.OH * g.OW;
  const int64_t R = Cg * g.KH * g.KW;  // reduction length
  if (g.N == 0 || g.K == 0 || P == 0) return true;
  // 3x3 stride 1 with enough channels and tiles: Winograd F(4x4, 3x3), 2.25x fewer multiplies
  if (winograd_applicable(g)) return conv2d_forward_winograd(g, x, w, bias, y);
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

// The geometry of the forward convolution that computes g's stride-1 input gradient.
Conv2dGeom as_forward_geom(const Conv2dGeom& g) {
  Conv2dGeom t = g;
  t.C = g.K;
  t.H = g.OH;
  t.W = g.OW;
  t.K = g.C;
  t.OH = g.H;
  t.OW = g.W;
  t.pt = g.dh * (g.KH - 1) - g.pt;
  t.pl = g.dw * (g.KW - 1) - g.pl;
  return t;
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
  const Conv2dGeom t = as_forward_geom(g);
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
  // the forward form runs on Winograd when that applies: fewer multiplies than row columns
  if (as_forward && winograd_applicable(as_forward_geom(g)))
    return backward_input_stride1(g, dy, w, bias, dx);
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

bool conv2d_backward_weight(const Conv2dGeom& g, const float* x, const float* dy, float* dw,
                            float* db) {
  const int64_t Cg = g.C / g.G, Kg = g.K / g.G, P = g.OH * g.OW;
  const int64_t R = Cg * g.KH * g.KW;
  const int64_t WN = g.K * R;  // weight floats
  const bool pointwise = is_pointwise(g);
  if (winograd_weight_applicable(g)) return conv2d_backward_weight_winograd(g, x, dy, dw, db);
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
