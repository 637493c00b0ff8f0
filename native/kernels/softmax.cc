// Softmax with the max subtracted first (stable); rows over D are strided by `inner`. The exp
// pass runs vmath's exp_sum_row on contiguous rows (inner == 1).
#include "softmax.h"

#include <cmath>

#include "../runtime/pool.h"
#include "vmath.h"

namespace neurite {
namespace {

constexpr int64_t kBlock = 256;

// sum_d exp(xs[d * inner] - m) over d < D; writes the terms to ys[d * inner] when ys is not
// null. ys may alias xs. Strided rows (inner > 1) keep the scalar loop: gathering them into a
// buffer for exp_sum_row measured slower. TODO: vectorise them along inner instead.
float exp_sum(float* ys, const float* xs, int64_t D, int64_t inner, float m,
              const VMathKernels& vm) {
  if (inner == 1 && ys) return vm.exp_sum_row(ys, xs, D, m);
  float s = 0;
  if (inner == 1) {
    float buf[kBlock];
    for (int64_t d0 = 0; d0 < D; d0 += kBlock)
      s += vm.exp_sum_row(buf, xs + d0, D - d0 < kBlock ? D - d0 : kBlock, m);
    return s;
  }
  for (int64_t d = 0; d < D; ++d) {
    float v = std::exp(xs[d * inner] - m);
    if (ys) ys[d * inner] = v;
    s += v;
  }
  return s;
}

}  // namespace

void softmax_forward(float* y, const float* x, int64_t outer, int64_t D, int64_t inner,
                     bool log) {
  if (outer == 0 || D == 0 || inner == 0) return;  // nothing to write (outer * inner may overflow)
  const VMathKernels& vm = vmath();
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
      if (log) {
        float ls = m + std::log(exp_sum(nullptr, xs, D, inner, m, vm));
        for (int64_t d = 0; d < D; ++d) ys[d * inner] = xs[d * inner] - ls;
      } else {
        float inv = 1.0f / exp_sum(ys, xs, D, inner, m, vm);
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
