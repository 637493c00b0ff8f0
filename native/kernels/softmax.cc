// Softmax with the max subtracted first (stable), in three passes over each row (max; exp and
// sum; scale) that the compiler vectorises, with vmath's exp. Contiguous rows (inner == 1) run
// whole; strided rows (inner > 1) run in blocks of up to kBlock neighbouring rows at once, so
// that every pass reads contiguous runs along inner instead of one float per cache line.
#include "softmax.h"

#include <cmath>

#include "row_blocks.h"
#include "vmath.h"

namespace neurite {
namespace {

constexpr int64_t kBlock = 256;  // rows of a strided block; floats of a scratch run
constexpr int kLanes = 16;       // independent partial maxima / sums (vectorised, no chains)

// max(x[0:n]) for n >= 1, NaNs skipped (a NaN row still ends up NaN: exp(NaN - m) is NaN).
// `v > m ? v : m` is what maxps computes, so the compiler vectorises it exactly.
float row_max(const float* x, int64_t n) {
  float m[kLanes];
  for (int j = 0; j < kLanes; ++j) m[j] = -INFINITY;
  int64_t d = 0;
  for (; d + kLanes <= n; d += kLanes)
    for (int j = 0; j < kLanes; ++j) m[j] = x[d + j] > m[j] ? x[d + j] : m[j];
  float r = -INFINITY;
  for (int j = 0; j < kLanes; ++j) r = m[j] > r ? m[j] : r;
  for (; d < n; ++d) r = x[d] > r ? x[d] : r;
  return r;
}

// sum(a[0:n] * b[0:n]), or sum(a[0:n]) when b is null, in kLanes partial sums.
float row_dot(const float* a, const float* b, int64_t n) {
  float s[kLanes] = {};
  int64_t d = 0;
  if (b) {
    for (; d + kLanes <= n; d += kLanes)
      for (int j = 0; j < kLanes; ++j) s[j] += a[d + j] * b[d + j];
  } else {
    for (; d + kLanes <= n; d += kLanes)
      for (int j = 0; j < kLanes; ++j) s[j] += a[d + j];
  }
  float r = 0;
  for (int j = 0; j < kLanes; ++j) r += s[j];
  for (; d < n; ++d) r += b ? a[d] * b[d] : a[d];
  return r;
}

// A row whose max is -inf is all -inf: subtract 0 instead, so exp gives 0, not NaN.
inline float stable_max(float m) { return std::isinf(m) && m < 0 ? 0.0f : m; }

// One contiguous row of D floats.
void forward_row(float* y, const float* x, int64_t D, bool log, const VMathKernels& vm) {
  const float m = stable_max(row_max(x, D));
  if (log) {
    float tmp[kBlock];
    float s = 0;
    for (int64_t d0 = 0; d0 < D; d0 += kBlock)
      s += vm.exp_sum_row(tmp, x + d0, D - d0 < kBlock ? D - d0 : kBlock, m);
    const float ls = m + std::log(s);
    for (int64_t d = 0; d < D; ++d) y[d] = x[d] - ls;
    return;
  }
  const float inv = 1.0f / vm.exp_sum_row(y, x, D, m);
  for (int64_t d = 0; d < D; ++d) y[d] *= inv;
}

// w <= kBlock neighbouring strided rows: x[d * inner + i] for d < D, i < w.
void forward_block(float* y, const float* x, int64_t D, int64_t inner, int64_t w, bool log,
                   const VMathKernels& vm) {
  float m[kBlock], s[kBlock], tmp[kBlock];
  for (int64_t i = 0; i < w; ++i) m[i] = -INFINITY;
  for (int64_t d = 0; d < D; ++d) {  // NaNs skipped, as in row_max
    const float* xr = x + d * inner;
    for (int64_t i = 0; i < w; ++i) m[i] = xr[i] > m[i] ? xr[i] : m[i];
  }
  for (int64_t i = 0; i < w; ++i) {
    m[i] = stable_max(m[i]);
    s[i] = 0;
  }
  for (int64_t d = 0; d < D; ++d) {
    const float* xr = x + d * inner;
    float* e = log ? tmp : y + d * inner;  // log-softmax needs only the sum
    for (int64_t i = 0; i < w; ++i) e[i] = xr[i] - m[i];
    vm.exp(e, e, w);
    for (int64_t i = 0; i < w; ++i) s[i] += e[i];
  }
  if (log) {
    for (int64_t i = 0; i < w; ++i) s[i] = m[i] + std::log(s[i]);
    for (int64_t d = 0; d < D; ++d) {
      const float* xr = x + d * inner;
      float* yr = y + d * inner;
      for (int64_t i = 0; i < w; ++i) yr[i] = xr[i] - s[i];
    }
    return;
  }
  for (int64_t i = 0; i < w; ++i) s[i] = 1.0f / s[i];
  for (int64_t d = 0; d < D; ++d) {
    float* yr = y + d * inner;
    for (int64_t i = 0; i < w; ++i) yr[i] *= s[i];
  }
}

// One contiguous row of D floats. g may alias dx: each element of g is read before its dx.
void backward_row(float* dx, const float* g, const float* y, int64_t D, bool log,
                  const VMathKernels& vm) {
  if (log) {
    const float s = row_dot(g, nullptr, D);
    float e[kBlock];
    for (int64_t d0 = 0; d0 < D; d0 += kBlock) {
      const int64_t n = D - d0 < kBlock ? D - d0 : kBlock;
      vm.exp(e, y + d0, n);
      for (int64_t d = 0; d < n; ++d) dx[d0 + d] = g[d0 + d] - e[d] * s;
    }
    return;
  }
  const float s = row_dot(g, y, D);
  for (int64_t d = 0; d < D; ++d) dx[d] = y[d] * (g[d] - s);
}

// w <= kBlock neighbouring strided rows, as forward_block.
void backward_block(float* dx, const float* g, const float* y, int64_t D, int64_t inner,
                    int64_t w, bool log, const VMathKernels& vm) {
  float s[kBlock], e[kBlock];
  for (int64_t i = 0; i < w; ++i) s[i] = 0;
  for (int64_t d = 0; d < D; ++d) {
    const float* gr = g + d * inner;
    const float* yr = y + d * inner;
    if (log) {
      for (int64_t i = 0; i < w; ++i) s[i] += gr[i];
    } else {
      for (int64_t i = 0; i < w; ++i) s[i] += gr[i] * yr[i];
    }
  }
  for (int64_t d = 0; d < D; ++d) {
    const float* gr = g + d * inner;
    const float* yr = y + d * inner;
    float* out = dx + d * inner;
    if (log) {
      vm.exp(e, yr, w);
      for (int64_t i = 0; i < w; ++i) out[i] = gr[i] - e[i] * s[i];
    } else {
      for (int64_t i = 0; i < w; ++i) out[i] = yr[i] * (gr[i] - s[i]);
    }
  }
}

}  // namespace

void softmax_forward(float* y, const float* x, int64_t outer, int64_t D, int64_t inner,
                     bool log) {
  if (outer == 0 || D == 0 || inner == 0) return;  // nothing to write (outer * inner may overflow)
  const VMathKernels& vm = vmath();
  for_row_blocks(outer, D, inner, kBlock, [&](int64_t o, int64_t i0, int64_t w) {
    const int64_t at = o * D * inner + i0;
    if (inner == 1) forward_row(y + at, x + at, D, log, vm);
    else forward_block(y + at, x + at, D, inner, w, log, vm);
  });
}

void softmax_backward(float* dx, const float* dy, const float* y, int64_t outer, int64_t D,
                      int64_t inner, bool log) {
  if (outer == 0 || D == 0 || inner == 0) return;  // nothing to write (outer * inner may overflow)
  const VMathKernels& vm = vmath();
  for_row_blocks(outer, D, inner, kBlock, [&](int64_t o, int64_t i0, int64_t w) {
    const int64_t at = o * D * inner + i0;
    if (inner == 1) backward_row(dx + at, dy + at, y + at, D, log, vm);
    else backward_block(dx + at, dy + at, y + at, D, inner, w, log, vm);
  });
}

}  // namespace neurite
