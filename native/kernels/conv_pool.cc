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

// The same on Winograd's geometries, where pieces are run one after another, each on all
// threads: 16 MiB, whole batches of small images.
constexpr int64_t kWinogradPieceFloats = int64_t{1} << 22;

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

// First ow >= 0 with ow * s + o >= lo (the output columns whose tap column reaches lo).
inline int64_t first_at_least(int64_t lo, int64_t o, int64_t s) {
  const int64_t d = lo - o;
  return d <= 0 ? 0 : (d + s - 1) / s;
}

// col[p * RP + r], r < R, for the OH * OW output positions p of image x: the input under tap
// r = (c * KH + i) * KW + j, zero outside x. Written tap by tap along output rows (plain
// strided stores, no per-element index arithmetic); columns R .. RP - 1 are left alone.
void patches(const Conv2dGeom& g, int64_t RP, const float* x, float* col) {
  const int64_t HW = g.H * g.W;
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    float* crow = col + oh * g.OW * RP;
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t i = 0; i < g.KH; ++i) {
        const int64_t ih = oh * g.sh - g.pt + i * g.dh, r0 = (c * g.KH + i) * g.KW;
        const bool inside = ih >= 0 && ih < g.H;
        const float* xr = x + c * HW + (inside ? ih : 0) * g.W;
        for (int64_t j = 0; j < g.KW; ++j) {
          float* __restrict dst = crow + r0 + j;
          const int64_t o = j * g.dw - g.pl;  // input column of ow = 0
          // output columns [a, b) read inside x: iw = ow * sw + o in [0, W)
          const int64_t a = inside ? std::min(g.OW, first_at_least(0, o, g.sw)) : g.OW;
          const int64_t b = inside ? std::max(a, std::min(g.OW, first_at_least(g.W, o, g.sw))) : g.OW;
          for (int64_t ow = 0; ow < a; ++ow) dst[ow * RP] = 0.f;
          for (int64_t ow = a; ow < b; ++ow) dst[ow * RP] = xr[ow * g.sw + o];
          for (int64_t ow = b; ow < g.OW; ++ow) dst[ow * RP] = 0.f;
        }
      }
  }
}

// acc[k * RP + r] = sum over q of dy[k * P2 + q] * col[idx[k * P2 + q] * RP + r] for the B
// columns r of one block (col and acc point at its first), B a compile-time multiple of 16 so
// the block stays in registers. Returns false if an idx lies outside [-1, plane) (it is
// skipped too: nothing is read out of bounds).
template <int B>
bool rows(int64_t K, int64_t P2, int64_t plane, int64_t RP, const float* dy,
          const int32_t* idx, const float* col, float* acc) {
  bool ok = true;
  for (int64_t k = 0; k < K; ++k) {
    float a[B] = {};
    const float* d = dy + k * P2;
    const int32_t* ix = idx + k * P2;
    for (int64_t q = 0; q < P2; ++q) {
      if (static_cast<uint32_t>(ix[q]) >= static_cast<uint64_t>(plane)) {
        ok = ok && ix[q] == -1;
        continue;
      }
      const float v = d[q];
      const float* row = col + static_cast<int64_t>(ix[q]) * RP;
      for (int r = 0; r < B; ++r) a[r] += v * row[r];
    }
    for (int r = 0; r < B; ++r) acc[k * RP + r] = a[r];
  }
  return ok;
}

// All RP columns (a multiple of 16), 64 at a time.
bool rows_baseline(int64_t RP, int64_t K, int64_t P2, int64_t plane, const float* dy,
                   const int32_t* idx, const float* col, float* acc) {
  bool ok = true;
  for (int64_t r0 = 0; r0 < RP; r0 += 64) {
    const float* c = col + r0;
    float* o = acc + r0;
    switch (std::min<int64_t>(64, RP - r0)) {
      case 16: ok = rows<16>(K, P2, plane, RP, dy, idx, c, o) && ok; break;
      case 32: ok = rows<32>(K, P2, plane, RP, dy, idx, c, o) && ok; break;
      case 48: ok = rows<48>(K, P2, plane, RP, dy, idx, c, o) && ok; break;
      default: ok = rows<64>(K, P2, plane, RP, dy, idx, c, o) && ok; break;
    }
  }
  return ok;
}

using RowsFn = bool (*)(int64_t, int64_t, int64_t, int64_t, const float*, const int32_t*,
                        const float*, float*);

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
    // split the work): as many images at once as fit kWinogradPieceFloats (the whole batch
    // for small images), into a buffer kept between calls
    const int64_t imgs = std::max<int64_t>(
        1, std::min<int64_t>(g.N, kWinogradPieceFloats / std::max<int64_t>(per_image, 1)));
    float* buf = piece_buffer(imgs * per_image);
    if (!buf) return false;
    for (int64_t n0 = 0; n0 < g.N; n0 += imgs) {
      Conv2dGeom s = g;
      s.N = std::min(imgs, g.N - n0);
      if (!conv2d_forward(s, x + n0 * g.C * g.H * g.W, w, bias, buf)) return false;
      Pool2dGeom q = pool;
      q.planes = s.N * g.K;
      max_pool2d_forward(q, buf, y + n0 * g.K * P2, idx + n0 * g.K * P2);
    }
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

SparseGrad conv2d_maxpool_backward_weight(const Conv2dGeom& g, int64_t P2, const float* x,
                                          const float* dy, const int32_t* idx, float* dw,
                                          float* db) {
  const int64_t R = g.C * g.KH * g.KW, RP = (R + 1 + 15) / 16 * 16, plane = g.OH * g.OW;
  const int64_t slots = std::min(g.N, kSparseSlots);
  static const RowsFn accumulate = choose_rows();
  std::unique_ptr<double[]> parts(new (std::nothrow) double[static_cast<size_t>(
      std::max<int64_t>(1, slots * g.K * RP))]());
  if (!parts) return SparseGrad::kNoMemory;
  std::atomic<bool> ok{true}, bad_index{false};
  std::atomic<int64_t> next{0};
  parallel_for(parallel_chunks(slots, 1), 1, [&](int64_t, int64_t) {
    float* col = piece_buffer(plane * RP + g.K * RP);
    if (!col) {
      ok = false;
      return;
    }
    float* acc = col + plane * RP;
    // the columns after the taps: 1 (the bias) then zeros, the same for every image
    for (int64_t p = 0; p < plane; ++p)
      for (int64_t r = R; r < RP; ++r) col[p * RP + r] = r == R ? 1.f : 0.f;
    for (int64_t s = next.fetch_add(1); s < slots; s = next.fetch_add(1)) {
      double* part = parts.get() + s * g.K * RP;
      for (int64_t n = s * g.N / slots; n < (s + 1) * g.N / slots; ++n) {
        patches(g, RP, x + n * g.C * g.H * g.W, col);
        const float* d = dy + n * g.K * P2;
        const int32_t* ix = idx + n * g.K * P2;
        if (!accumulate(RP, g.K, P2, plane, d, ix, col, acc)) bad_index = true;
        for (int64_t e = 0; e < g.K * RP; ++e) part[e] += acc[e];
      }
    }
  });
  if (!ok) return SparseGrad::kNoMemory;
  if (bad_index) return SparseGrad::kBadIndex;
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
  return SparseGrad::kOk;
}

}  // namespace neurite
