// Softmax with the max subtracted first (stable); rows over D are strided by `inner`.
#include "softmax.h"

#include <cmath>

#include "../runtime/pool.h"

namespace neurite {

void softmax_forward(float* y, const float* x, int64_t outer, int64_t D, int64_t inner,
                     bool log) {
  if (outer == 0 || D == 0 || inner == 0) return;  // nothing to write (outer * inner may overflow)
  parallel_for(outer * inner, D >= 1024 ? 1 : 1024 / (D + 1) + 1, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      int64_t o = k / inner, i = k % inner;
      const float* xs = x + o * D * inner + i;
      float* ys = y + o * D * inner + i;
      // pass 1: row max
      float m = -INFINITY;
      for (int64_t d = 0; d < D; ++d) m = std::fmax(m, xs[d * inner]);
      if (std::isinf(m) && m < 0) m = 0;  // all -inf: keep exp(-inf) = 0 without NaN
      // pass 2: exp, sum
      float s = 0;
      if (log) {
        for (int64_t d = 0; d < D; ++d) s += std::exp(xs[d * inner] - m);
        float ls = m + std::log(s);
        for (int64_t d = 0; d < D; ++d) ys[d * inner] = xs[d * inner] - ls;
      } else {
        for (int64_t d = 0; d < D; ++d) {
          float v = std::exp(xs[d * inner] - m);
          ys[d * inner] = v;
          s += v;
        }
        float inv = 1.0f / s;
        for (int64_t d = 0; d < D; ++d) ys[d * inner] *= inv;
      }
    }
  });
}

void softmax_backward(float* dx, const float* dy, const float* y, int64_t outer, int64_t D,
                      int64_t inner, bool log) {
  if (outer == 0 || D == 0 || inner == 0) return;  // nothing to write (outer * inner may overflow)
  parallel_for(outer * inner, D >= 1024 ? 1 : 1024 / (D + 1) + 1, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      int64_t o = k / inner, i = k % inner;
      int64_t base = o * D * inner + i;
      const float* g = dy + base;
      const float* ys = y + base;
      float* out = dx + base;
      float s = 0;
      if (log) {
        for (int64_t d = 0; d < D; ++d) s += g[d * inner];
        for (int64_t d = 0; d < D; ++d) out[d * inner] = g[d * inner] - std::exp(ys[d * inner]) * s;
      } else {
        for (int64_t d = 0; d < D; ++d) s += g[d * inner] * ys[d * inner];
        for (int64_t d = 0; d < D; ++d) out[d * inner] = ys[d * inner] * (g[d * inner] - s);
      }
    }
  });
}

}  // namespace neurite
