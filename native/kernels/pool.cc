// pool kernels (see pool.h). Each runs over planes on the pool; planes are independent, so
// results never depend on the thread count. The MaxPool2d(2) forward has SIMD twins of its
// scalar loop (x86/pool_sse2.h, pool_avx2_fma.cc, pool_avx512.cc).
#include "pool.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

#include "../runtime/dispatch.h"
#include "../runtime/pool.h"

#if defined(__SSE2__)
#include "x86/pool_sse2.h"  // max_pool2x2_forward__sse2: the x86-64 baseline
#endif

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

}  // namespace

// Same scan order as the general loop: (0,0) (0,1) (1,0) (1,1).
void max_pool2x2_forward__scalar(float* y, int32_t* idx, const float* x, int64_t planes,
                                 int64_t H, int64_t W, int64_t OH, int64_t OW) {
  const int32_t W32 = static_cast<int32_t>(W);
  for (int64_t pl = 0; pl < planes; ++pl) {
    for (int64_t oh = 0; oh < OH; ++oh) {
      const float* r0 = x + (pl * H + 2 * oh) * W;
      const float* r1 = r0 + W;
      float* yr = y + (pl * OH + oh) * OW;
      int32_t* ir = idx + (pl * OH + oh) * OW;
      const int32_t base = static_cast<int32_t>(2 * oh * W);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int32_t i0 = base + static_cast<int32_t>(2 * ow);
        float best = r0[2 * ow];
        int32_t arg = i0;
        float v = r0[2 * ow + 1];
        if (takes(v, best)) best = v, arg = i0 + 1;
        v = r1[2 * ow];
        if (takes(v, best)) best = v, arg = i0 + W32;
        v = r1[2 * ow + 1];
        if (takes(v, best)) best = v, arg = i0 + W32 + 1;
        yr[ow] = best;
        ir[ow] = arg;
      }
    }
  }
}

namespace {

#if defined(__SSE2__)
// The SSE2 loop needs a vector's worth of outputs per row.
void max_pool2x2_forward__baseline(float* y, int32_t* idx, const float* x, int64_t planes,
                                   int64_t H, int64_t W, int64_t OH, int64_t OW) {
  if (OW >= 4) return max_pool2x2_forward__sse2(y, idx, x, planes, H, W, OH, OW);
  max_pool2x2_forward__scalar(y, idx, x, planes, H, W, OH, OW);
}
#else
constexpr MaxPool2x2Forward max_pool2x2_forward__baseline = max_pool2x2_forward__scalar;
#endif

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
// The AVX2 loop needs 8 outputs per row.
void max_pool2x2_forward__avx2_or_baseline(float* y, int32_t* idx, const float* x,
                                           int64_t planes, int64_t H, int64_t W, int64_t OH,
                                           int64_t OW) {
  if (OW >= 8) return max_pool2x2_forward__avx2_fma(y, idx, x, planes, H, W, OH, OW);
  max_pool2x2_forward__baseline(y, idx, x, planes, H, W, OH, OW);
}
#endif

// The twin of the GEMM table's ISA (so NEURITE_ISA caps both).
MaxPool2x2Forward max_pool2x2_forward_twin() {
  static const MaxPool2x2Forward twin = [] {
    const char* isa = ukernels().isa;
    if (std::strcmp(isa, "avx512") == 0 && max_pool2x2_forward_avx512())
      return max_pool2x2_forward_avx512();
    if (std::strcmp(isa, "avx2-fma") == 0 && max_pool2x2_forward_avx2_fma())
      return max_pool2x2_forward_avx2_fma();
    return max_pool2x2_forward_baseline();
  }();
  return twin;
}

}  // namespace

MaxPool2x2Forward max_pool2x2_forward_baseline() { return max_pool2x2_forward__baseline; }
MaxPool2x2Forward max_pool2x2_forward_avx2_fma() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  return cpu_has_avx2_fma() ? max_pool2x2_forward__avx2_or_baseline : nullptr;
#else
  return nullptr;
#endif
}
MaxPool2x2Forward max_pool2x2_forward_avx512() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  return cpu_has_avx512() ? max_pool2x2_forward__avx512 : nullptr;
#else
  return nullptr;
#endif
}

void max_pool2d_forward(const Pool2dGeom& g, const float* x, float* y, int32_t* idx) {
  const int64_t P = g.OH * g.OW, HW = g.H * g.W;
  if (is_max2x2(g)) {
    const MaxPool2x2Forward twin = max_pool2x2_forward_twin();
    parallel_for(g.planes, plane_grain(P), [&](int64_t begin, int64_t end) {
      twin(y + begin * P, idx + begin * P, x + begin * HW, end - begin, g.H, g.W, g.OH, g.OW);
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

bool max_pool2d_backward(int64_t planes, int64_t HW, int64_t P, const float* dy,
                         const int32_t* idx, float* dx) {
  std::atomic<bool> ok{true};
  parallel_for(planes, plane_grain(P + HW), [&](int64_t begin, int64_t end) {
    bool in_range = true;
    for (int64_t pl = begin; pl < end; ++pl) {
      float* dxp = dx + pl * HW;
      for (int64_t i = 0; i < HW; ++i) dxp[i] = 0.f;
      for (int64_t p = pl * P; p < (pl + 1) * P; ++p) {
        const int64_t k = idx[p];
        if (k >= 0 && k < HW) dxp[k] += dy[p];
        else in_range &= k == -1;
      }
    }
    if (!in_range) ok.store(false, std::memory_order_relaxed);
  });
  return ok.load(std::memory_order_relaxed);
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
