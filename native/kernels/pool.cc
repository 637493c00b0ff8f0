// pool kernels (see pool.h). Each runs over planes on the pool; planes are independent, so
// results never depend on the thread count.
#include "pool.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "../runtime/pool.h"

namespace neurite {
namespace {

// Grain: about 4K output elements per chunk.
int64_t plane_grain(int64_t per_plane) { return 1 + 4096 / (per_plane + 1); }

// avg window [h0, h1) x [w0, w1) clipped to the input, and its divisor.
struct AvgWin {
  int64_t h0, h1, w0, w1;
  float div;
};

AvgWin avg_window(const Pool2dGeom& g, bool include_pad, int64_t override_div, int64_t oh,
                  int64_t ow) {
  int64_t h0 = oh * g.sh - g.pt, w0 = ow * g.sw - g.pl;
  int64_t h1 = std::min(h0 + g.KH, g.H + g.pb), w1 = std::min(w0 + g.KW, g.W + g.pr);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0);
  w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, g.H);
  w1 = std::min(w1, g.W);
  int64_t d = override_div > 0 ? override_div : include_pad ? padded : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, d > 0 ? static_cast<float>(d) : 0.f};
}

inline int64_t start_index(int64_t o, int64_t in, int64_t out) { return (o * in) / out; }
inline int64_t end_index(int64_t o, int64_t in, int64_t out) {
  return ((o + 1) * in + out - 1) / out;
}

// 2 x 2 windows at stride 2 with no padding or dilation, all inside the input (the usual
// MaxPool2d(2)): no bounds checks or window loops.
bool is_max2x2(const Pool2dGeom& g) {
  return g.KH == 2 && g.KW == 2 && g.sh == 2 && g.sw == 2 && g.pt == 0 && g.pl == 0 &&
         g.dh == 1 && g.dw == 1 && 2 * g.OH <= g.H && 2 * g.OW <= g.W;
}

// v replaces best when larger, or NaN over a number (the first maximum wins, NaN first).
inline bool takes(float v, float best) { return v > best || (v != v && best == best); }

// One plane of the 2 x 2 case; same scan order as the general loop: (0,0) (0,1) (1,0) (1,1).
void max2x2_plane(const Pool2dGeom& g, const float* xp, float* yp, int32_t* ip) {
  const int32_t W = static_cast<int32_t>(g.W);
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const float* r0 = xp + 2 * oh * g.W;
    const float* r1 = r0 + g.W;
    float* yr = yp + oh * g.OW;
    int32_t* ir = ip + oh * g.OW;
    const int32_t base = static_cast<int32_t>(2 * oh * g.W);
    for (int64_t ow = 0; ow < g.OW; ++ow) {
      const int32_t i0 = base + static_cast<int32_t>(2 * ow);
      float best = r0[2 * ow];
      int32_t arg = i0;
      float v = r0[2 * ow + 1];
      if (takes(v, best)) best = v, arg = i0 + 1;
      v = r1[2 * ow];
      if (takes(v, best)) best = v, arg = i0 + W;
      v = r1[2 * ow + 1];
      if (takes(v, best)) best = v, arg = i0 + W + 1;
      yr[ow] = best;
      ir[ow] = arg;
    }
  }
}

}  // namespace

void max_pool2d_forward(const Pool2dGeom& g, const float* x, float* y, int32_t* idx) {
  const int64_t P = g.OH * g.OW, HW = g.H * g.W;
  if (is_max2x2(g)) {
    parallel_for(g.planes, plane_grain(P), [&](int64_t begin, int64_t end) {
      for (int64_t pl = begin; pl < end; ++pl)
        max2x2_plane(g, x + pl * HW, y + pl * P, idx + pl * P);
    });
    return;
  }
  parallel_for(g.planes, plane_grain(P), [&](int64_t begin, int64_t end) {
    for (int64_t pl = begin; pl < end; ++pl) {
      const float* xp = x + pl * HW;
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          float best = -std::numeric_limits<float>::infinity();
          int64_t arg = -1;
          for (int64_t i = 0; i < g.KH; ++i) {
            const int64_t ih = oh * g.sh - g.pt + i * g.dh;
            if (ih < 0 || ih >= g.H) continue;
            for (int64_t j = 0; j < g.KW; ++j) {
              const int64_t iw = ow * g.sw - g.pl + j * g.dw;
              if (iw < 0 || iw >= g.W) continue;
              const float v = xp[ih * g.W + iw];
              if (arg < 0 || v > best || (std::isnan(v) && !std::isnan(best))) {
                best = v;
                arg = ih * g.W + iw;
              }
            }
          }
          y[pl * P + oh * g.OW + ow] = arg < 0 ? -std::numeric_limits<float>::infinity() : best;
          idx[pl * P + oh * g.OW + ow] = static_cast<int32_t>(arg);
        }
      }
    }
  });
}

void max_pool2d_backward(int64_t planes, int64_t HW, int64_t P, const float* dy,
                         const int32_t* idx, float* dx) {
  parallel_for(planes, plane_grain(P + HW), [&](int64_t begin, int64_t end) {
    for (int64_t pl = begin; pl < end; ++pl) {
      float* dxp = dx + pl * HW;
      for (int64_t i = 0; i < HW; ++i) dxp[i] = 0.f;
      for (int64_t p = 0; p < P; ++p) {
        const int32_t k = idx[pl * P + p];
        if (k >= 0) dxp[k] += dy[pl * P + p];
      }
    }
  });
}

void avg_pool2d_forward(const Pool2dGeom& g, bool count_include_pad, int64_t divisor_override,
                        const float* x, float* y) {
  const int64_t P = g.OH * g.OW, HW = g.H * g.W;
  parallel_for(g.planes, plane_grain(P), [&](int64_t begin, int64_t end) {
    for (int64_t pl = begin; pl < end; ++pl) {
      const float* xp = x + pl * HW;
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const AvgWin w = avg_window(g, count_include_pad, divisor_override, oh, ow);
          float s = 0.f;
          for (int64_t ih = w.h0; ih < w.h1; ++ih)
            for (int64_t iw = w.w0; iw < w.w1; ++iw) s += xp[ih * g.W + iw];
          y[pl * P + oh * g.OW + ow] = w.div > 0 ? s / w.div : 0.f;
        }
      }
    }
  });
}

void avg_pool2d_backward(const Pool2dGeom& g, bool count_include_pad, int64_t divisor_override,
                         const float* dy, float* dx) {
  const int64_t P = g.OH * g.OW, HW = g.H * g.W;
  parallel_for(g.planes, plane_grain(P + HW), [&](int64_t begin, int64_t end) {
    for (int64_t pl = begin; pl < end; ++pl) {
      float* dxp = dx + pl * HW;
      for (int64_t i = 0; i < HW; ++i) dxp[i] = 0.f;
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const AvgWin w = avg_window(g, count_include_pad, divisor_override, oh, ow);
          if (!(w.div > 0)) continue;
          const float v = dy[pl * P + oh * g.OW + ow] / w.div;
          for (int64_t ih = w.h0; ih < w.h1; ++ih)
            for (int64_t iw = w.w0; iw < w.w1; ++iw) dxp[ih * g.W + iw] += v;
        }
      }
    }
  });
}

void adaptive_avg_pool2d_forward(const Pool2dGeom& g, const float* x, float* y) {
  const int64_t P = g.OH * g.OW, HW = g.H * g.W;
  parallel_for(g.planes, plane_grain(P), [&](int64_t begin, int64_t end) {
    for (int64_t pl = begin; pl < end; ++pl) {
      const float* xp = x + pl * HW;
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        const int64_t h0 = start_index(oh, g.H, g.OH), h1 = end_index(oh, g.H, g.OH);
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const int64_t w0 = start_index(ow, g.W, g.OW), w1 = end_index(ow, g.W, g.OW);
          float s = 0.f;
          for (int64_t ih = h0; ih < h1; ++ih)
            for (int64_t iw = w0; iw < w1; ++iw) s += xp[ih * g.W + iw];
          const int64_t n = (h1 - h0) * (w1 - w0);
          y[pl * P + oh * g.OW + ow] = n > 0 ? s / static_cast<float>(n) : 0.f;
        }
      }
    }
  });
}

void adaptive_avg_pool2d_backward(const Pool2dGeom& g, const float* dy, float* dx) {
  const int64_t P = g.OH * g.OW, HW = g.H * g.W;
  parallel_for(g.planes, plane_grain(P + HW), [&](int64_t begin, int64_t end) {
    for (int64_t pl = begin; pl < end; ++pl) {
      float* dxp = dx + pl * HW;
      for (int64_t i = 0; i < HW; ++i) dxp[i] = 0.f;
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        const int64_t h0 = start_index(oh, g.H, g.OH), h1 = end_index(oh, g.H, g.OH);
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const int64_t w0 = start_index(ow, g.W, g.OW), w1 = end_index(ow, g.W, g.OW);
          const int64_t n = (h1 - h0) * (w1 - w0);
          if (n == 0) continue;
          const float v = dy[pl * P + oh * g.OW + ow] / static_cast<float>(n);
          for (int64_t ih = h0; ih < h1; ++ih)
            for (int64_t iw = w0; iw < w1; ++iw) dxp[ih * g.W + iw] += v;
        }
      }
    }
  });
}

void adaptive_max_pool2d_forward(const Pool2dGeom& g, const float* x, float* y, int32_t* idx) {
  const int64_t P = g.OH * g.OW, HW = g.H * g.W;
  parallel_for(g.planes, plane_grain(P), [&](int64_t begin, int64_t end) {
    for (int64_t pl = begin; pl < end; ++pl) {
      const float* xp = x + pl * HW;
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        const int64_t h0 = start_index(oh, g.H, g.OH), h1 = end_index(oh, g.H, g.OH);
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const int64_t w0 = start_index(ow, g.W, g.OW), w1 = end_index(ow, g.W, g.OW);
          float best = -std::numeric_limits<float>::infinity();
          int64_t arg = -1;
          for (int64_t ih = h0; ih < h1; ++ih) {
            for (int64_t iw = w0; iw < w1; ++iw) {
              const float v = xp[ih * g.W + iw];
              if (arg < 0 || v > best || (std::isnan(v) && !std::isnan(best))) {
                best = v;
                arg = ih * g.W + iw;
              }
            }
          }
          y[pl * P + oh * g.OW + ow] = best;
          idx[pl * P + oh * g.OW + ow] = static_cast<int32_t>(arg);
        }
      }
    }
  });
}

}  // namespace neurite
