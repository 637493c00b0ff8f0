// conv kernels (see conv.h). im2col fills a column tile of a few output rows at a time (rows
// padded against cache-set aliasing) so the GEMM reads it from L2; at stride 1 the input
// gradient runs as a forward convolution with the flipped weight. Work is split over the batch when it has at least as many images
// as threads (each image's GEMMs then run on its thread), otherwise images run in turn and each
// GEMM uses the pool. Weight gradients are summed per chunk, then over chunks in order, so
// results depend only on the thread count.
#include "conv.h"

#include <algorithm>
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

// col [Cg*KH*KW, (oh1 - oh0)*OW] (rows ld apart): the columns of output rows [oh0, oh1) from
// the Cg channels of one image at x (one group).
void im2col(const Conv2dGeom& g, int64_t Cg, const float* x, int64_t oh0, int64_t oh1,
            float* col, int64_t ld) {
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
          if (g.sw == 1) {  // a plain loop: rows are often too short for a memcpy call to pay
            for (int64_t ow = ow0; ow < ow1; ++ow) out[ow] = xr[ow + off];
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

// Leading dimension of a column buffer with P columns: an odd multiple of 16 floats once P is
// large, so the rows of a 16-wide strip the GEMM reads in place fall in different cache sets
// (P = 1024 rows 4 KiB apart all hit one L1 set).
int64_t col_ld(int64_t P) { return P < 64 ? P : (P + 31) / 32 * 32 + 16; }

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

// Chunks the batch is split into: one per thread when there are at least as many images as
// threads (each image's GEMMs then run serially on its thread), else 1 (GEMMs use the pool).
int64_t image_chunks(const Conv2dGeom& g) {
  return (g.N > 1 && g.N >= num_threads()) ? parallel_chunks(g.N, 1) : 1;
}

// Calls fn(n, chunk) for every image n; chunk c covers [c * N / chunks, (c + 1) * N / chunks).
template <class Fn>
void run_images(const Conv2dGeom& g, int64_t chunks, Fn fn) {
  if (chunks == 1) {
    for (int64_t n = 0; n < g.N; ++n) fn(n, 0);
    return;
  }
  parallel_for(g.N, 1, [&](int64_t begin, int64_t end) {
    const int64_t c = (begin * chunks + g.N - 1) / g.N;  // inverse of begin = c * N / chunks
    for (int64_t n = begin; n < end; ++n) fn(n, c);
  });
}

float* alloc_floats(int64_t n) {
  return n > 0 ? new (std::nothrow) float[static_cast<size_t>(n)] : nullptr;
}

}  // namespace

bool conv2d_forward(const Conv2dGeom& g, const float* x, const float* w, const float* bias,
                    float* y) {
  const int64_t Cg = g.C / g.G, Kg = g.K / g.G, P = g.OH * g.OW;
  const int64_t R = Cg * g.KH * g.KW;  // reduction length
  const bool pointwise = is_pointwise(g);
  if (g.N == 0 || g.K == 0 || P == 0) return true;
  const int64_t TH = tile_rows(g, R), ld = col_ld(TH * g.OW);
  const int64_t chunks = image_chunks(g), colf = pointwise ? 0 : R * ld;
  float* ws = alloc_floats(chunks * colf);
  if (colf > 0 && !ws) return false;
  run_images(g, chunks, [&](int64_t n, int64_t c) {
    float* col = ws ? ws + c * colf : nullptr;
    for (int64_t gi = 0; gi < g.G; ++gi) {
      const float* xg = x + (n * g.C + gi * Cg) * g.H * g.W;
      float* yg = y + (n * g.K + gi * Kg) * P;
      const float* wg = w + gi * Kg * R;
      if (R == 0) {
        for (int64_t i = 0; i < Kg * P; ++i) yg[i] = 0.f;
      } else if (pointwise) {
        gemm(false, false, Kg, P, R, 1.f, wg, R, xg, P, 0.f, yg, P);
      } else {
        for (int64_t oh0 = 0; oh0 < g.OH; oh0 += TH) {
          const int64_t oh1 = std::min(g.OH, oh0 + TH);
          im2col(g, Cg, xg, oh0, oh1, col, ld);
          gemm(false, false, Kg, (oh1 - oh0) * g.OW, R, 1.f, wg, R, col, ld, 0.f,
               yg + oh0 * g.OW, P);
        }
      }
      if (bias) {
        for (int64_t k = 0; k < Kg; ++k) {
          const float b = bias[gi * Kg + k];
          float* yr = yg + k * P;
          for (int64_t p = 0; p < P; ++p) yr[p] += b;
        }
      }
    }
  });
  delete[] ws;
  return true;
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
  if (stride1_as_forward(g)) return backward_input_stride1(g, dy, w, bias, dx);
  const int64_t Cg = g.C / g.G, Kg = g.K / g.G, P = g.OH * g.OW, HW = g.H * g.W;
  const int64_t R = Cg * g.KH * g.KW;
  const bool pointwise = is_pointwise(g);
  const int64_t ld = col_ld(P);
  const int64_t chunks = image_chunks(g), colf = pointwise ? 0 : R * ld;
  const bool work = g.N > 0 && P > 0 && Kg > 0 && R > 0;
  float* ws = work ? alloc_floats(chunks * colf) : nullptr;
  if (work && colf > 0 && !ws) return false;
  run_images(g, chunks, [&](int64_t n, int64_t ch) {
    float* col = ws ? ws + ch * colf : nullptr;
    for (int64_t c = 0; c < g.C; ++c) {
      float* xc = dx + (n * g.C + c) * HW;
      const float v = bias ? bias[c] : 0.f;
      for (int64_t i = 0; i < HW; ++i) xc[i] = v;
    }
    if (P == 0 || Kg == 0 || R == 0) return;
    for (int64_t gi = 0; gi < g.G; ++gi) {
      float* xg = dx + (n * g.C + gi * Cg) * HW;
      const float* dyg = dy + (n * g.K + gi * Kg) * P;
      const float* wg = w + gi * Kg * R;
      if (pointwise) {
        gemm(true, false, R, P, Kg, 1.f, wg, R, dyg, P, 1.f, xg, P);
      } else {
        gemm(true, false, R, P, Kg, 1.f, wg, R, dyg, P, 0.f, col, ld);
        col2im_acc(g, Cg, col, ld, xg);
      }
    }
  });
  delete[] ws;
  return true;
}

bool conv2d_backward_weight(const Conv2dGeom& g, const float* x, const float* dy, float* dw) {
  const int64_t Cg = g.C / g.G, Kg = g.K / g.G, P = g.OH * g.OW;
  const int64_t R = Cg * g.KH * g.KW;
  const int64_t WN = g.K * R;  // weight floats
  const bool pointwise = is_pointwise(g);
  for (int64_t i = 0; i < WN; ++i) dw[i] = 0.f;
  if (g.N == 0 || P == 0 || WN == 0) return true;
  // Each chunk sums its images' products into a private partial. When R > Kg the partial is
  // held transposed, [G, R, Kg] = col · dy^T, so the long side is the GEMM's M and the column
  // buffer is read in place; otherwise as dw, [G, Kg, R] = dy · col^T.
  const bool transposed = R > Kg;
  const int64_t TH = pointwise ? g.OH : tile_rows(g, R);
  const int64_t ld = pointwise ? P : col_ld(TH * g.OW);
  // each chunk's workspace: its column buffer, then its partial weight gradient
  const int64_t chunks = image_chunks(g), colf = pointwise ? 0 : R * ld, per = colf + WN;
  float* ws = alloc_floats(chunks * per);
  if (!ws) return false;
  for (int64_t c = 0; c < chunks; ++c)
    for (int64_t i = 0; i < WN; ++i) ws[c * per + colf + i] = 0.f;
  run_images(g, chunks, [&](int64_t n, int64_t c) {
    float* col = ws + c * per;
    float* part = col + colf;
    for (int64_t gi = 0; gi < g.G; ++gi) {
      const float* xg = x + (n * g.C + gi * Cg) * g.H * g.W;
      const float* dyg = dy + (n * g.K + gi * Kg) * P;
      float* pg = part + gi * Kg * R;
      for (int64_t oh0 = 0; oh0 < g.OH; oh0 += TH) {
        const int64_t oh1 = std::min(g.OH, oh0 + TH), Pt = (oh1 - oh0) * g.OW;
        const float* src = xg;
        if (!pointwise) {
          im2col(g, Cg, xg, oh0, oh1, col, ld);
          src = col;
        }
        const float* dyt = dyg + oh0 * g.OW;
        if (transposed) {
          gemm(false, true, R, Kg, Pt, 1.f, src, ld, dyt, P, 1.f, pg, Kg);
        } else {
          gemm(false, true, Kg, R, Pt, 1.f, dyt, P, src, ld, 1.f, pg, R);
        }
      }
    }
  });
  // partial sums in chunk order
  for (int64_t c = 0; c < chunks; ++c) {
    const float* part = ws + c * per + colf;
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
  delete[] ws;
  return true;
}

// Row sums in 8 float lanes (vectorisable), rows added in double, in a fixed order.
void conv_backward_bias(int64_t N, int64_t C, int64_t P, const float* dy, float* db) {
  for (int64_t c = 0; c < C; ++c) {
    double s = 0;
    for (int64_t n = 0; n < N; ++n) {
      const float* r = dy + (n * C + c) * P;
      float lane[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
      int64_t p = 0;
      for (; p + 8 <= P; p += 8)
        for (int64_t u = 0; u < 8; ++u) lane[u] += r[p + u];
      double t = 0;
      for (; p < P; ++p) t += r[p];
      for (int64_t u = 0; u < 8; ++u) t += lane[u];
      s += t;
    }
    db[c] = static_cast<float>(s);
  }
}

}  // namespace neurite
