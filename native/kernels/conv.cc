// conv kernels (see conv.h). Work is split over the batch when it has at least as many images
// as threads (each image's GEMMs then run on its thread), otherwise images run in turn and each
// GEMM uses the pool. Weight gradients are summed per chunk, then over chunks in order, so
// results depend only on the thread count.
#include "conv.h"

#include <cstring>
#include <new>

#include "../runtime/pool.h"
#include "gemm.h"

namespace neurite {
namespace {

// col [Cg*KH*KW, OH*OW] from the Cg channels of one image at x (one group).
void im2col(const Conv2dGeom& g, int64_t Cg, const float* x, float* col) {
  const int64_t P = g.OH * g.OW;
  for (int64_t c = 0; c < Cg; ++c) {
    const float* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        float* row = col + ((c * g.KH + kh) * g.KW + kw) * P;
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const int64_t ih = oh * g.sh - g.pt + kh * g.dh;
          float* out = row + oh * g.OW;
          if (ih < 0 || ih >= g.H) {
            for (int64_t ow = 0; ow < g.OW; ++ow) out[ow] = 0.f;
            continue;
          }
          const float* xr = xc + ih * g.W;
          const int64_t off = kw * g.dw - g.pl;
          if (g.sw == 1 && off >= 0 && off + g.OW <= g.W) {
            std::memcpy(out, xr + off, static_cast<size_t>(g.OW) * sizeof(float));
            continue;
          }
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            const int64_t iw = ow * g.sw + off;
            out[ow] = (iw >= 0 && iw < g.W) ? xr[iw] : 0.f;
          }
        }
      }
    }
  }
}

// x += col2im(col): the adjoint of im2col.
void col2im_acc(const Conv2dGeom& g, int64_t Cg, const float* col, float* x) {
  const int64_t P = g.OH * g.OW;
  for (int64_t c = 0; c < Cg; ++c) {
    float* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const float* row = col + ((c * g.KH + kh) * g.KW + kw) * P;
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const int64_t ih = oh * g.sh - g.pt + kh * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          float* xr = xc + ih * g.W;
          const float* in = row + oh * g.OW;
          const int64_t off = kw * g.dw - g.pl;
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            const int64_t iw = ow * g.sw + off;
            if (iw >= 0 && iw < g.W) xr[iw] += in[ow];
          }
        }
      }
    }
  }
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

int64_t conv2d_col_floats(const Conv2dGeom& g) {
  return (g.C / g.G) * g.KH * g.KW * g.OH * g.OW;
}

bool conv2d_forward(const Conv2dGeom& g, const float* x, const float* w, const float* bias,
                    float* y) {
  const int64_t Cg = g.C / g.G, Kg = g.K / g.G, P = g.OH * g.OW;
  const int64_t R = Cg * g.KH * g.KW;  // reduction length
  const bool pointwise = is_pointwise(g);
  if (g.N == 0 || g.K == 0 || P == 0) return true;
  const int64_t chunks = image_chunks(g), colf = pointwise ? 0 : R * P;
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
        im2col(g, Cg, xg, col);
        gemm(false, false, Kg, P, R, 1.f, wg, R, col, P, 0.f, yg, P);
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

bool conv2d_backward_input(const Conv2dGeom& g, const float* dy, const float* w,
                           const float* bias, float* dx) {
  const int64_t Cg = g.C / g.G, Kg = g.K / g.G, P = g.OH * g.OW, HW = g.H * g.W;
  const int64_t R = Cg * g.KH * g.KW;
  const bool pointwise = is_pointwise(g);
  const int64_t chunks = image_chunks(g), colf = pointwise ? 0 : R * P;
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
        gemm(true, false, R, P, Kg, 1.f, wg, R, dyg, P, 0.f, col, P);
        col2im_acc(g, Cg, col, xg);
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
  // each chunk's workspace: its column buffer, then its partial weight gradient
  const int64_t chunks = image_chunks(g), colf = pointwise ? 0 : R * P, per = colf + WN;
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
      const float* src = xg;
      if (!pointwise) {
        im2col(g, Cg, xg, col);
        src = col;
      }
      gemm(false, true, Kg, R, P, 1.f, dyg, P, src, P, 1.f, part + gi * Kg * R, R);
    }
  });
  // partial sums in chunk order
  for (int64_t c = 0; c < chunks; ++c) {
    const float* part = ws + c * per + colf;
    for (int64_t i = 0; i < WN; ++i) dw[i] += part[i];
  }
  delete[] ws;
  return true;
}

void conv_backward_bias(int64_t N, int64_t C, int64_t P, const float* dy, float* db) {
  for (int64_t c = 0; c < C; ++c) {
    double s = 0;
    for (int64_t n = 0; n < N; ++n) {
      const float* r = dy + (n * C + c) * P;
      for (int64_t p = 0; p < P; ++p) s += r[p];
    }
    db[c] = static_cast<float>(s);
  }
}

}  // namespace neurite
