// Convolution followed by max pooling, fused (see conv.h): the forward pools a few images'
// convolution output while it is in cache and never stores it; the weight gradient reads only
// the pooled positions' input patches instead of a mostly zero gradient of the whole
// convolution output.
#include <algorithm>
#include <atomic>
#include <memory>
#include <new>

#include <cstring>

#include "../runtime/dispatch.h"
#include "../runtime/pool.h"
#include "conv.h"
#include "pool.h"
#include "ukernels.h"
#include "winograd.h"

namespace neurite {
namespace {

// A piece's convolution output, about 256 KiB: in L2 when the pool reads it.
constexpr int64_t kPieceFloats = int64_t{1} << 16;

// Image ranges of the sparse weight gradient: fixed, so sums do not depend on the threads.
constexpr int64_t kSparseSlots = 8;

// The calling thread's buffer of at least n floats, kept between calls; null if it cannot grow.
float* piece_buffer(int64_t n) {
  thread_local std::unique_ptr<float[]> buf;
  thread_local int64_t size = 0;
  if (n > size) {
    buf.reset();
    size = 0;
    buf.reset(new (std::nothrow) float[static_cast<size_t>(n)]);
    if (!buf) return nullptr;
    size = n;
  }
  return buf.get();
}

// col[p * RP + r] for the OH * OW output positions p of image x: the input under tap
// r = (c * KH + i) * KW + j (zero outside x), then 1 at r = R (the bias) and zeros up to RP.
// off[r] is tap r's offset from the window origin; windows inside x skip the bounds checks.
void patches(const Conv2dGeom& g, int64_t R, int64_t RP, const int64_t* off, const float* x,
             float* col) {
  const int64_t HW = g.H * g.W;
  const int64_t span_h = (g.KH - 1) * g.dh, span_w = (g.KW - 1) * g.dw;
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const int64_t ih0 = oh * g.sh - g.pt;
    const bool rows_in = ih0 >= 0 && ih0 + span_h < g.H;
    for (int64_t ow = 0; ow < g.OW; ++ow) {
      const int64_t iw0 = ow * g.sw - g.pl;
      float* __restrict row = col + (oh * g.OW + ow) * RP;
      if (rows_in && iw0 >= 0 && iw0 + span_w < g.W) {
        const float* __restrict o = x + ih0 * g.W + iw0;
        for (int64_t r = 0; r < R; ++r) row[r] = o[off[r]];
      } else {
        int64_t r = 0;
        for (int64_t c = 0; c < g.C; ++c)
          for (int64_t i = 0; i < g.KH; ++i) {
            const int64_t ih = ih0 + i * g.dh;
            const bool in_h = ih >= 0 && ih < g.H;
            for (int64_t j = 0; j < g.KW; ++j, ++r) {
              const int64_t iw = iw0 + j * g.dw;
              row[r] = in_h && iw >= 0 && iw < g.W ? x[c * HW + ih * g.W + iw] : 0.f;
            }
          }
      }
      row[R] = 1.f;
      for (int64_t r = R + 1; r < RP; ++r) row[r] = 0.f;
    }
  }
}

// acc[k * RP + r] = sum over q of dy[k * P2 + q] * col[idx[k * P2 + q] * RP + r] (idx -1
// skipped), RP a compile-time multiple of 16 so the row stays in registers.
template <int RP>
void rows(int64_t K, int64_t P2, const float* dy, const int32_t* idx, const float* col,
          float* acc) {
  for (int64_t k = 0; k < K; ++k) {
    float a[RP] = {};
    const float* d = dy + k * P2;
    const int32_t* ix = idx + k * P2;
    for (int64_t q = 0; q < P2; ++q) {
      if (ix[q] < 0) continue;
      const float v = d[q];
      const float* row = col + static_cast<int64_t>(ix[q]) * RP;
      for (int r = 0; r < RP; ++r) a[r] += v * row[r];
    }
    for (int r = 0; r < RP; ++r) acc[k * RP + r] = a[r];
  }
}

void rows_baseline(int64_t RP, int64_t K, int64_t P2, const float* dy, const int32_t* idx,
                   const float* col, float* acc) {
  switch (RP) {
    case 16: rows<16>(K, P2, dy, idx, col, acc); break;
    case 32: rows<32>(K, P2, dy, idx, col, acc); break;
    case 48: rows<48>(K, P2, dy, idx, col, acc); break;
    default: rows<64>(K, P2, dy, idx, col, acc); break;
  }
}

using RowsFn = void (*)(int64_t, int64_t, int64_t, const float*, const int32_t*, const float*,
                        float*);

// The twin of the GEMM table's ISA (so NEURITE_ISA caps it too).
RowsFn choose_rows() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  const char* isa = ukernels().isa;
  if (std::strcmp(isa, "avx512") == 0 && cpu_has_avx512()) return conv_pool_rows__avx512;
  if (std::strcmp(isa, "avx2-fma") == 0 && cpu_has_avx2_fma()) return conv_pool_rows__avx2_fma;
#endif
  return rows_baseline;
}

}  // namespace

bool conv2d_maxpool_forward(const Conv2dGeom& g, const Pool2dGeom& pool, const float* x,
                            const float* w, const float* bias, float* y, int32_t* idx) {
  const int64_t P2 = pool.OH * pool.OW, per_image = g.K * g.OH * g.OW;
  if (g.N == 0 || g.K == 0 || P2 == 0) return true;
  if (winograd_applicable(g)) {
    // Winograd wants many tiles per call (its weight transform is paid per call, its blocks
    // split the work): the whole batch at once, into a buffer kept between calls
    float* buf = piece_buffer(g.N * per_image);
    if (!buf || !conv2d_forward(g, x, w, bias, buf)) return false;
    Pool2dGeom q = pool;
    q.planes = g.N * g.K;
    max_pool2d_forward(q, buf, y, idx);
    return true;
  }
  const int64_t imgs =
      std::max<int64_t>(1, std::min<int64_t>(g.N, kPieceFloats / std::max<int64_t>(per_image, 1)));
  const int64_t pieces = (g.N + imgs - 1) / imgs;
  std::atomic<bool> ok{true};
  parallel_for(pieces, 1, [&](int64_t p0, int64_t p1) {
    float* buf = piece_buffer(std::max<int64_t>(imgs * per_image, 1));
    if (!buf) {
      ok = false;
      return;
    }
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n0 = p * imgs, n = std::min(imgs, g.N - n0);
      Conv2dGeom s = g;
      s.N = n;
      if (!conv2d_forward(s, x + n0 * g.C * g.H * g.W, w, bias, buf)) {
        ok = false;
        return;
      }
      Pool2dGeom q = pool;
      q.planes = n * g.K;
      max_pool2d_forward(q, buf, y + n0 * g.K * P2, idx + n0 * g.K * P2);
    }
  });
  return ok;
}

bool conv2d_maxpool_sparse_applicable(const Conv2dGeom& g) {
  return g.G == 1 && g.C * g.KH * g.KW < kSparseMaxTaps;
}

bool conv2d_maxpool_backward_weight(const Conv2dGeom& g, int64_t P2, const float* x,
                                    const float* dy, const int32_t* idx, float* dw, float* db) {
  const int64_t R = g.C * g.KH * g.KW, RP = (R + 1 + 15) / 16 * 16, plane = g.OH * g.OW;
  const int64_t slots = std::min(g.N, kSparseSlots);
  static const RowsFn accumulate = choose_rows();
  int64_t off[kSparseMaxTaps];
  for (int64_t c = 0, r = 0; c < g.C; ++c)
    for (int64_t i = 0; i < g.KH; ++i)
      for (int64_t j = 0; j < g.KW; ++j, ++r) off[r] = c * g.H * g.W + i * g.dh * g.W + j * g.dw;
  std::unique_ptr<double[]> parts(new (std::nothrow) double[static_cast<size_t>(
      std::max<int64_t>(1, slots * g.K * RP))]());
  if (!parts) return false;
  std::atomic<bool> ok{true};
  std::atomic<int64_t> next{0};
  parallel_for(parallel_chunks(slots, 1), 1, [&](int64_t, int64_t) {
    float* col = piece_buffer(plane * RP + g.K * RP);
    if (!col) {
      ok = false;
      return;
    }
    float* acc = col + plane * RP;
    for (int64_t s = next.fetch_add(1); s < slots; s = next.fetch_add(1)) {
      double* part = parts.get() + s * g.K * RP;
      for (int64_t n = s * g.N / slots; n < (s + 1) * g.N / slots; ++n) {
        patches(g, R, RP, off, x + n * g.C * g.H * g.W, col);
        const float* d = dy + n * g.K * P2;
        const int32_t* ix = idx + n * g.K * P2;
        accumulate(RP, g.K, P2, d, ix, col, acc);
        for (int64_t e = 0; e < g.K * RP; ++e) part[e] += acc[e];
      }
    }
  });
  if (!ok) return false;
  for (int64_t k = 0; k < g.K; ++k) {
    for (int64_t r = 0; r <= R; ++r) {
      double v = 0.0;
      for (int64_t s = 0; s < slots; ++s) v += parts[(s * g.K + k) * RP + r];
      if (r < R) {
        dw[k * R + r] = static_cast<float>(v);
      } else if (db) {
        db[k] = static_cast<float>(v);
      }
    }
  }
  return true;
}

}  // namespace neurite
