// Row columns (see RowCols in conv_internal.h): forward, input gradient (the adjoint) and
// weight gradient of a convolution at stride 1 along W, as KW GEMMs over shifted reads of one
// column buffer of whole input rows.
#include <algorithm>
#include <atomic>

#include "conv_internal.h"

namespace neurite {
namespace conv_detail {

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

namespace {

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
}  // namespace

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

}  // namespace conv_detail
}  // namespace neurite
