// Winograd F(4x4, 3x3) forward (see winograd.h). Per call the weights are transformed once,
// U[xi][k][c] = (G w[k, c] G^T)[xi]. The N * ceil(OH/4) * ceil(OW/4) output tiles are cut
// into blocks of Tb tiles fixed by the geometry; each block, on one thread, transforms its
// 6x6 input tiles into V[xi][c][t] = (B^T d B)[xi], multiplies M[xi] = U[xi] · V[xi] (36
// GEMMs, K x C times C x Tb) and writes y = A^T M A + bias, edge tiles clipped. Transforms
// run kL tiles at a time as plain loops over lanes, which GCC vectorises at the baseline ISA
// (x86/ has AVX2 and AVX-512 twins). Every output element goes through the same operations
// whatever the block's thread, and GEMM columns do not depend on how the product is split,
// so results do not depend on the thread count. The weight gradient (at the end) runs on the
// same input transform, a dy tile transform and 36 GEMMs per block summed over tiles.
#include "winograd.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "../runtime/check.h"
#include "../runtime/dispatch.h"
#include "../runtime/pool.h"
#include "gemm.h"

namespace neurite {
namespace {

constexpr int64_t kXi = 36;  // 6 x 6 transformed points per tile
constexpr int64_t kL = 16;   // tiles transformed together: the vector lanes

// Transforms of F(4x4, 3x3) with interpolation points 0, 1, -1, 2, -1/2, inf: against the
// usual 0, +-1, +-2 they cut the float32 error 2.5-3x (max) and 1.5x (rms), measured on
// C = 64..512 (a Toom-Cook point choice as in Barabasz et al., "Error Analysis and Improving
// the Accuracy of Winograd Convolution for Deep Neural Networks", TOMS 2020), for a denser B^T.
//   B^T = [1  3/2   -2 -3/2    1 0]   G = [    1     0     0]   A^T = [1  1  1 1     1 0]
//         [0   -1 -5/2 -1/2    1 0]       [ -1/3  -1/3  -1/3]         [0  1 -1 2  -1/2 0]
//         [0    1  1/2 -5/2    1 0]       [  1/3  -1/3   1/3]         [0  1  1 4   1/4 0]
//         [0 -1/2   -1  1/2    1 0]       [ 1/15  2/15  4/15]         [0  1 -1 8  -1/8 1]
//         [0    2   -1   -2    1 0]       [-16/15 8/15 -4/15]
//         [0    1  3/2   -2 -3/2 1]       [    0     0     1]

// out[r * os + l] = (B^T in)[r] for the kL lanes l, in[r * is + l].
inline void input_1d(const float* __restrict in, int64_t is, float* __restrict out,
                     int64_t os) {
  for (int64_t l = 0; l < kL; ++l) {
    const float d0 = in[l], d1 = in[is + l], d2 = in[2 * is + l];
    const float d3 = in[3 * is + l], d4 = in[4 * is + l], d5 = in[5 * is + l];
    const float c = d4 - d2, e = d3 - d1;
    out[l] = (d0 + d4) - 2.f * d2 - 1.5f * e;
    out[os + l] = (d4 - d1) - 2.5f * d2 - 0.5f * d3;
    out[2 * os + l] = (d4 + d1) + 0.5f * d2 - 2.5f * d3;
    out[3 * os + l] = c + 0.5f * e;
    out[4 * os + l] = c - 2.f * e;
    out[5 * os + l] = (d1 + d5) - 2.f * d3 + 1.5f * (d2 - d4);
  }
}

// out[r * os + l] = (A^T in)[r], r < 4, for the kL lanes l, in[r * is + l], r < 6.
inline void output_1d(const float* __restrict in, int64_t is, float* __restrict out,
                      int64_t os) {
  for (int64_t l = 0; l < kL; ++l) {
    const float m0 = in[l], m1 = in[is + l], m2 = in[2 * is + l];
    const float m3 = in[3 * is + l], m4 = in[4 * is + l], m5 = in[5 * is + l];
    const float s12 = m1 + m2, d12 = m1 - m2;
    out[l] = m0 + s12 + (m3 + m4);
    out[os + l] = d12 + 2.f * m3 - 0.5f * m4;
    out[2 * os + l] = s12 + 4.f * m3 + 0.25f * m4;
    out[3 * os + l] = d12 + 8.f * m3 - 0.125f * m4 + m5;
  }
}

// o_r[c] = (G (a[c], b[c], e[c])^T)[r] for c < n.
void weight_1d(const float* __restrict a, const float* __restrict b, const float* __restrict e,
               float* __restrict o0, float* __restrict o1, float* __restrict o2,
               float* __restrict o3, float* __restrict o4, float* __restrict o5, int64_t n) {
  for (int64_t c = 0; c < n; ++c) {
    const float s = a[c] + e[c];
    o0[c] = a[c];
    o1[c] = (s + b[c]) * (-1.f / 3);
    o2[c] = (s - b[c]) * (1.f / 3);
    o3[c] = (a[c] + 2.f * b[c] + 4.f * e[c]) * (1.f / 15);
    o4[c] = (16.f * a[c] - 8.f * b[c] + 4.f * e[c]) * (-1.f / 15);
    o5[c] = e[c];
  }
}

// U [36][K][C] (rows ldu apart) = G w[k, c] G^T for k in [k0, k1), w [K, C, 3, 3], vectorised
// over c; scratch holds 27 * C floats.
void transform_weight(int64_t k0, int64_t k1, int64_t K, int64_t C, const float* w, float* U,
                      int64_t ldu, float* scratch) {
  float* wt = scratch;    // [9][C]: w[k, c, e] at e * C + c
  float* t = wt + 9 * C;  // [6][3][C]: G g, per column of g
  for (int64_t k = k0; k < k1; ++k) {
    const float* wk = w + k * C * 9;
    for (int64_t c = 0; c < C; ++c)
      for (int64_t e = 0; e < 9; ++e) wt[e * C + c] = wk[c * 9 + e];
    for (int64_t j = 0; j < 3; ++j) {
      float* tj = t + j * C;
      weight_1d(wt + j * C, wt + (3 + j) * C, wt + (6 + j) * C, tj, tj + 3 * C, tj + 6 * C,
                tj + 9 * C, tj + 12 * C, tj + 15 * C, C);
    }
    for (int64_t i = 0; i < 6; ++i) {
      const float* ti = t + i * 3 * C;
      float* u = U + (i * 6 * K + k) * ldu;
      const int64_t us = K * ldu;
      weight_1d(ti, ti + C, ti + 2 * C, u, u + us, u + 2 * us, u + 3 * us, u + 4 * us, u + 5 * us,
                C);
    }
  }
}

// The weight gradient's transforms. By the trilinearity of the forward's
// y = A^T [(G g G^T) . (B^T d B)] A, the gradient of sum(dy * y) over g is
// G^T [(A dy A^T) . (B^T d B)] G: the same input transform, dy's 4x4 tile taken to 6x6 by A
// (the transpose of the output transform) and the 6x6 sum reduced to 3x3 by G^T.
// out[r * os + l] = (A in)[r], r < 6, for the kL lanes l, in[r * is + l], r < 4.
inline void grad_1d(const float* __restrict in, int64_t is, float* __restrict out,
                    int64_t os) {
  for (int64_t l = 0; l < kL; ++l) {
    const float d0 = in[l], d1 = in[is + l], d2 = in[2 * is + l], d3 = in[3 * is + l];
    const float e = d0 + d2, o = d1 + d3;
    out[l] = d0;
    out[os + l] = e + o;
    out[2 * os + l] = e - o;
    out[3 * os + l] = (d0 + 2.f * d1) + (4.f * d2 + 8.f * d3);
    out[4 * os + l] = (d0 - 0.5f * d1) + (0.25f * d2 - 0.125f * d3);
    out[5 * os + l] = d3;
  }
}

// out[r * os + l] = (G^T in)[r], r < 3, for lanes l < n, in[r * is + l], r < 6.
inline void reduce_1d(const float* __restrict in, int64_t is, float* __restrict out,
                      int64_t os, int64_t n) {
  for (int64_t l = 0; l < n; ++l) {
    const float m0 = in[l], m1 = in[is + l], m2 = in[2 * is + l];
    const float m3 = in[3 * is + l], m4 = in[4 * is + l], m5 = in[5 * is + l];
    const float sm = m1 + m2, d = m2 - m1;
    out[l] = m0 + d * (1.f / 3) + (m3 - 16.f * m4) * (1.f / 15);
    out[os + l] = sm * (-1.f / 3) + (2.f * m3 + 8.f * m4) * (1.f / 15);
    out[2 * os + l] = d * (1.f / 3) + (4.f * m3 - 4.f * m4) * (1.f / 15) + m5;
  }
}

// Tile t of the batch: image n, top-left output position (oh0, ow0).
struct Tile {
  int64_t n, oh0, ow0;
};
inline Tile tile_at(int64_t t, int64_t TW, int64_t TI) {
  const int64_t r = t % TI;
  return {t / TI, r / TW * 4, r % TW * 4};
}

// D [36][K][ld] (matrices ds apart): D[xi][k][t - t0] = (A dy_t A^T)[xi] for the 4x4 tiles of
// dy [N, K, OH, OW] (zero past OH, OW), tiles t0 .. t0 + nt - 1; columns up to nt rounded up
// to kL are written (zero past nt).
}  // namespace

void winograd_grad_block__scalar(const Conv2dGeom& g, const float* dy, int64_t t0, int64_t nt,
                                 float* D, int64_t ld, int64_t ds) {
  const int64_t TW = (g.OW + 3) / 4, TI = (g.OH + 3) / 4 * TW, P = g.OH * g.OW;
  alignas(64) float d[16 * kL];
  alignas(64) float t[24 * kL];
  for (int64_t q = 0; q < nt; q += kL) {
    const int64_t nl = std::min(kL, nt - q);
    int64_t base[kL], rows[kL], cols[kL];
    for (int64_t l = 0; l < nl; ++l) {
      const Tile tl = tile_at(t0 + q + l, TW, TI);
      base[l] = tl.n * g.K * P + tl.oh0 * g.OW + tl.ow0;
      rows[l] = std::min<int64_t>(4, g.OH - tl.oh0);
      cols[l] = std::min<int64_t>(4, g.OW - tl.ow0);
    }
    for (int64_t l = nl; l < kL; ++l) base[l] = rows[l] = cols[l] = 0;
    for (int64_t k = 0; k < g.K; ++k) {
      for (int64_t l = 0; l < kL; ++l) {
        const float* p = dy + base[l] + k * P;
        if (rows[l] == 4 && cols[l] == 4) {
          for (int64_t i = 0; i < 4; ++i)
            for (int64_t j = 0; j < 4; ++j) d[(i * 4 + j) * kL + l] = p[i * g.OW + j];
          continue;
        }
        for (int64_t i = 0; i < 4; ++i)
          for (int64_t j = 0; j < 4; ++j)
            d[(i * 4 + j) * kL + l] = i < rows[l] && j < cols[l] ? p[i * g.OW + j] : 0.f;
      }
      // t = A d (along i), then D = t A^T (along j), written at D[(i * 6 + j)][k][q + l]
      for (int64_t j = 0; j < 4; ++j) grad_1d(d + j * kL, 4 * kL, t + j * kL, 4 * kL);
      float* o = D + k * ld + q;
      for (int64_t i = 0; i < 6; ++i) grad_1d(t + i * 4 * kL, kL, o + i * 6 * ds, ds);
    }
  }
}

namespace {

}  // namespace

void winograd_input_block__scalar(const Conv2dGeom& g, const float* x, int64_t t0, int64_t nt,
                                  float* V, int64_t ld, int64_t vs) {
  const int64_t TW = (g.OW + 3) / 4, TI = (g.OH + 3) / 4 * TW, HW = g.H * g.W;
  alignas(64) float d[kXi * kL];
  alignas(64) float t[kXi * kL];
  for (int64_t q = 0; q < nt; q += kL) {
    const int64_t nl = std::min(kL, nt - q);
    int64_t base[kL], ih0[kL], iw0[kL];
    bool inside[kL];
    for (int64_t l = 0; l < nl; ++l) {
      const Tile tl = tile_at(t0 + q + l, TW, TI);
      ih0[l] = tl.oh0 - g.pt;
      iw0[l] = tl.ow0 - g.pl;
      inside[l] = ih0[l] >= 0 && iw0[l] >= 0 && ih0[l] + 6 <= g.H && iw0[l] + 6 <= g.W;
      base[l] = tl.n * g.C * HW;
    }
    for (int64_t c = 0; c < g.C; ++c) {
      // gather the 6x6 patches, d[(i * 6 + j) * kL + l], zero outside the input
      for (int64_t l = 0; l < kL; ++l) {
        if (l >= nl) {
          for (int64_t e = 0; e < kXi; ++e) d[e * kL + l] = 0.f;
          continue;
        }
        const float* xc = x + base[l] + c * HW;
        if (inside[l]) {
          const float* p = xc + ih0[l] * g.W + iw0[l];
          for (int64_t i = 0; i < 6; ++i)
            for (int64_t j = 0; j < 6; ++j) d[(i * 6 + j) * kL + l] = p[i * g.W + j];
          continue;
        }
        for (int64_t i = 0; i < 6; ++i) {
          const int64_t ih = ih0[l] + i;
          const bool row_in = ih >= 0 && ih < g.H;
          for (int64_t j = 0; j < 6; ++j) {
            const int64_t iw = iw0[l] + j;
            d[(i * 6 + j) * kL + l] = row_in && iw >= 0 && iw < g.W ? xc[ih * g.W + iw] : 0.f;
          }
        }
      }
      // t = B^T d (along i), then V = t B (along j), written at V[(i * 6 + j)][c][q + l]
      for (int64_t j = 0; j < 6; ++j) input_1d(d + j * kL, 6 * kL, t + j * kL, 6 * kL);
      float* v = V + c * ld + q;
      for (int64_t i = 0; i < 6; ++i) input_1d(t + i * 6 * kL, kL, v + i * 6 * vs, vs);
    }
  }
}

void winograd_output_block__scalar(const Conv2dGeom& g, const float* M, int64_t ld, int64_t ms,
                                   int64_t t0, int64_t nt, const float* bias, float* y) {
  const int64_t TW = (g.OW + 3) / 4, TI = (g.OH + 3) / 4 * TW, P = g.OH * g.OW;
  alignas(64) float t[4 * 6 * kL];
  alignas(64) float o[4 * 4 * kL];
  for (int64_t q = 0; q < nt; q += kL) {
    const int64_t nl = std::min(kL, nt - q);
    Tile tl[kL];
    for (int64_t l = 0; l < nl; ++l) tl[l] = tile_at(t0 + q + l, TW, TI);
    for (int64_t k = 0; k < g.K; ++k) {
      const float* m = M + k * ld + q;
      // t = A^T m (along i), then o = t A (along j)
      for (int64_t j = 0; j < 6; ++j) output_1d(m + j * ms, 6 * ms, t + j * kL, 6 * kL);
      for (int64_t i = 0; i < 4; ++i) output_1d(t + i * 6 * kL, kL, o + i * 4 * kL, kL);
      const float b = bias ? bias[k] : 0.f;
      for (int64_t l = 0; l < nl; ++l) {
        float* yp = y + (tl[l].n * g.K + k) * P + tl[l].oh0 * g.OW + tl[l].ow0;
        const int64_t rows = std::min<int64_t>(4, g.OH - tl[l].oh0);
        const int64_t cols = std::min<int64_t>(4, g.OW - tl[l].ow0);
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t j = 0; j < cols; ++j) yp[i * g.OW + j] = o[(i * 4 + j) * kL + l] + b;
      }
    }
  }
}

namespace {

const WinogradKernels kBaseline = {"baseline", winograd_input_block__scalar,
                                   winograd_output_block__scalar, winograd_grad_block__scalar};
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
const WinogradKernels kAvx2Fma = {"avx2-fma", winograd_input_block__avx2_fma,
                                  winograd_output_block__avx2_fma,
                                  winograd_grad_block__avx2_fma};
const WinogradKernels kAvx512 = {"avx512", winograd_input_block__avx512,
                                 winograd_output_block__avx512, winograd_grad_block__avx512};
#endif

// The twin of the GEMM table's ISA (so NEURITE_ISA caps both).
const WinogradKernels* choose() {
  const char* isa = ukernels().isa;
  if (std::strcmp(isa, "avx512") == 0 && winograd_kernels_avx512())
    return winograd_kernels_avx512();
  if (std::strcmp(isa, "avx2-fma") == 0 && winograd_kernels_avx2_fma())
    return winograd_kernels_avx2_fma();
  return &kBaseline;
}

const WinogradKernels& winograd_kernels() {
  static const WinogradKernels* table = choose();
  return *table;
}

// Tiles per block, from the geometry only (never the thread count): the block's V and M,
// 36 * (C + K) * Tb floats, about 512 KiB (measured best: C = K = 64 takes 32 tiles, 9% faster
// than 64 and 20% than 128; C = K = 8 takes 224, 20% faster than 32), a multiple of 16, at
// least 32 (one AVX-512 panel), and at most a quarter of the tiles (rounded up) so that small
// batches still give every thread blocks.
int64_t tile_block(const Conv2dGeom& g, int64_t T) {
  const int64_t cache = (int64_t{1} << 17) / (kXi * (g.C + g.K));
  const int64_t quarter = ((T + 3) / 4 + kL - 1) / kL * kL;
  return std::max<int64_t>(32, std::min<int64_t>({512, cache, quarter})) / kL * kL;
}

// n rounded up to an odd multiple of 16 floats (n a multiple of 16).
int64_t odd16(int64_t n) { return n % 32 == 0 ? n + 16 : n; }

// The calling thread's workspace of at least n floats, 64-byte aligned (so are the rows of V
// and M, and U's when C >= 32: their strides are multiples of 16 floats), kept between calls
// and only grown:
// fresh pages for a large U (36 * K * C floats) cost as much as the GEMMs on small images.
// Null when the allocation fails.
float* workspace(int64_t n) {
  thread_local std::unique_ptr<float[]> buf;
  thread_local int64_t size = 0;
  if (n > size) {
    buf.reset();
    size = 0;
    buf.reset(new (std::nothrow) float[static_cast<size_t>(n + 16)]);
    if (!buf) return nullptr;
    size = n;
  }
  const uintptr_t p = reinterpret_cast<uintptr_t>(buf.get());
  return reinterpret_cast<float*>((p + 63) & ~uintptr_t{63});
}

}  // namespace

const WinogradKernels* winograd_kernels_baseline() { return &kBaseline; }

const WinogradKernels* winograd_kernels_avx2_fma() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  return cpu_has_avx2_fma() ? &kAvx2Fma : nullptr;
#else
  return nullptr;
#endif
}

const WinogradKernels* winograd_kernels_avx512() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  return cpu_has_avx512() ? &kAvx512 : nullptr;
#else
  return nullptr;
#endif
}

// Measured against the im2col path (native/bench/winograd_bench.cc --sweep, AVX-512, 1 and 2
// threads): 1.1-7x faster for C >= 8, K >= 4 and at least 16 tiles over the batch (the weight
// transform, 36 * K * C floats, is then paid back); slower with fewer tiles (N = 1, 8x8:
// 0.5-0.8x) and no faster at C = 3 (0.9-1.0x: the GEMMs are too shallow). C = 4 gains
// 1.4-3x in a quiet run but lost under load, so it is left out.
bool winograd_applicable(const Conv2dGeom& g) {
  const int64_t tiles = g.N * ((g.OH + 3) / 4) * ((g.OW + 3) / 4);
  return g.KH == 3 && g.KW == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 &&
         g.G == 1 && g.C >= 8 && g.K >= 4 && tiles >= 16;
}

bool conv2d_forward_winograd(const Conv2dGeom& g, const float* x, const float* w,
                             const float* bias, float* y) {
  return conv2d_forward_winograd_with(winograd_kernels(), g, x, w, bias, y);
}

bool conv2d_forward_winograd_with(const WinogradKernels& wk, const Conv2dGeom& g,
                                  const float* x, const float* w, const float* bias, float* y) {
  NEURITE_ASSERT(g.KH == 3 && g.KW == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1);
  NEURITE_ASSERT(g.G == 1 && g.pt >= 0 && g.pl >= 0);
  const int64_t P = g.OH * g.OW;
  if (g.N == 0 || g.K == 0 || P == 0) return true;
  if (g.C == 0) {
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t k = 0; k < g.K; ++k)
        for (int64_t p = 0; p < P; ++p) y[(n * g.K + k) * P + p] = bias ? bias[k] : 0.f;
    return true;
  }
  const int64_t T = g.N * ((g.OH + 3) / 4) * ((g.OW + 3) / 4);
  const int64_t Tb = tile_block(g, T);
  // Rows of V and M, and their 36 matrices, an odd multiple of 16 floats apart: the GEMMs'
  // row strips and the transforms' 36 streams then fall in different cache sets.
  const int64_t ld = odd16(Tb), vs = odd16(g.C * ld), ms = odd16(g.K * ld);
  const int64_t blocks = (T + Tb - 1) / Tb;
  const int64_t chunks = std::max(parallel_chunks(blocks, 1), parallel_chunks(g.K, 1));
  // U's rows likewise when C is large (the GEMMs read U in place, MR rows at a time)
  const int64_t ldu = g.C >= 32 ? odd16((g.C + 15) / 16 * 16) : g.C;
  const int64_t uf = (kXi * g.K * ldu + 15) / 16 * 16, per = kXi * (vs + ms);
  float* ws = workspace(uf + chunks * per);  // per >= 27 * C: the weight scratch fits
  if (!ws) return false;
  float* U = ws;
  const int64_t kchunks = parallel_chunks(g.K, 1);
  parallel_for(g.K, 1, [&](int64_t k0, int64_t k1) {
    const int64_t c = (k0 * kchunks + g.K - 1) / g.K;  // inverse of k0 = c * K / kchunks
    transform_weight(k0, k1, g.K, g.C, w, U, ldu, ws + uf + c * per);
  });
  // Blocks are claimed one at a time by each thread's chunk (workspace slot = chunk): on a
  // shared machine a thread that loses its core then does fewer blocks instead of holding the
  // others up. A block's results do not depend on the thread that computes it.
  std::atomic<int64_t> next{0};
  parallel_for(parallel_chunks(blocks, 1), 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float* V = ws + uf + c * per;
      float* M = V + kXi * vs;
      for (int64_t b = next.fetch_add(1); b < blocks; b = next.fetch_add(1)) {
        const int64_t t0 = b * Tb, nt = std::min(Tb, T - t0);
        wk.input(g, x, t0, nt, V, ld, vs);
        gemm_strided_batched(kXi, false, false, g.K, nt, g.C, 1.f, U, ldu, g.K * ldu, V, ld,
                             vs, 0.f, M, ld, ms);
        wk.output(g, M, ld, ms, t0, nt, bias, y);
      }
    }
  });
  return true;
}


// Measured against the row-column path (native/bench/winograd_bench.cc): see winograd.h.
bool winograd_weight_applicable(const Conv2dGeom& g) {
  return winograd_applicable(g) && g.K * g.C <= kWeightGradMaxKC;
}

bool conv2d_backward_weight_winograd(const Conv2dGeom& g, const float* x, const float* dy,
                                     float* dw, float* db) {
  return conv2d_backward_weight_winograd_with(winograd_kernels(), g, x, dy, dw, db);
}

// Tiles are cut into blocks of Tb; the blocks into `slots` runs of consecutive blocks, each
// summing its 36 products M[xi] += D[xi] · V[xi]^T (K x C) and its bias partial on one thread;
// slots are then added in order. Slot count and block size follow from the geometry alone,
// so the result is bitwise the same for any thread count.
bool conv2d_backward_weight_winograd_with(const WinogradKernels& wk, const Conv2dGeom& g,
                                          const float* x, const float* dy, float* dw,
                                          float* db) {
  NEURITE_ASSERT(g.KH == 3 && g.KW == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1);
  NEURITE_ASSERT(g.G == 1 && g.pt >= 0 && g.pl >= 0);
  const int64_t KC = g.K * g.C;
  const int64_t T = g.N * ((g.OH + 3) / 4) * ((g.OW + 3) / 4);
  if (T == 0 || KC == 0) {  // no tiles or no weights: dw is empty or zero, db sums dy
    for (int64_t i = 0; i < 9 * KC; ++i) dw[i] = 0.f;
    const int64_t P = g.OH * g.OW;
    if (db)
      for (int64_t k = 0; k < g.K; ++k) {
        double v = 0.0;
        for (int64_t n = 0; n < g.N; ++n)
          for (int64_t p = 0; p < P; ++p) v += dy[(n * g.K + k) * P + p];
        db[k] = static_cast<float>(v);
      }
    return true;
  }
  // blocks of V and D, 36 * (C + K) * Tb floats, about 2 MiB: the GEMMs' depth is Tb (measured
  // on C, K = 32..128: 1 MiB is as fast on LeNet's 32 -> 64, 20% slower at 128 -> 128)
  const int64_t cache = (int64_t{1} << 19) / (kXi * (g.C + g.K));
  const int64_t Tb = std::max<int64_t>(32, std::min<int64_t>(256, cache)) / kL * kL;
  const int64_t blocks = (T + Tb - 1) / Tb;
  // each slot holds 36 * K * C floats: at most 4 slots (8 sum slower, with no better balance on
  // 2 threads) and 8M floats in all
  const int64_t ms = (KC + 15) / 16 * 16 + 16;
  const int64_t slots = std::max<int64_t>(
      1, std::min<int64_t>({blocks, 4, (int64_t{1} << 23) / (kXi * ms)}));
  const int64_t ld = odd16(Tb), vs = odd16(g.C * ld), ds = odd16(g.K * ld);
  const int64_t chunks = parallel_chunks(slots, 1), per = kXi * (vs + ds);
  const int64_t mf = slots * kXi * ms;
  const int64_t bf = db ? (slots * g.K * 2 + 15) / 16 * 16 : 0;  // bias partials: doubles
  float* ws = workspace(mf + bf + chunks * per);
  if (!ws) return false;
  float* Ms = ws;
  double* bparts = reinterpret_cast<double*>(ws + mf);  // mf is a multiple of 16 floats
  std::atomic<int64_t> next{0};
  parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float* V = ws + mf + bf + c * per;
      float* D = V + kXi * vs;
      for (int64_t s = next.fetch_add(1); s < slots; s = next.fetch_add(1)) {
        float* M = Ms + s * kXi * ms;
        double* bs = db ? bparts + s * g.K : nullptr;
        if (bs)
          for (int64_t k = 0; k < g.K; ++k) bs[k] = 0.0;
        const int64_t b0 = s * blocks / slots, b1 = (s + 1) * blocks / slots;
        for (int64_t b = b0; b < b1; ++b) {
          const int64_t t0 = b * Tb, nt = std::min(Tb, T - t0);
          wk.input(g, x, t0, nt, V, ld, vs);
          wk.grad(g, dy, t0, nt, D, ld, ds);
          gemm_strided_batched(kXi, false, true, g.K, g.C, nt, 1.f, D, ld, ds, V, ld, vs,
                               b == b0 ? 0.f : 1.f, M, g.C, ms);
          // (A dy A^T)[1][1] is the sum of the tile: the bias gradient
          if (bs)
            for (int64_t k = 0; k < g.K; ++k) {
              const float* r = D + 7 * ds + k * ld;
              float acc = 0.f;
              for (int64_t t = 0; t < nt; ++t) acc += r[t];
              bs[k] += acc;
            }
        }
      }
    }
  });
  // dw[k, c] = G^T (sum over slots of M[.][k, c]) G, kE pairs (k, c) at a time
  constexpr int64_t kE = 64;
  parallel_for((KC + kE - 1) / kE, 1, [&](int64_t b0, int64_t b1) {
    alignas(64) float m[kXi * kE], t[18 * kE], o[9 * kE];
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t e0 = b * kE, ne = std::min(kE, KC - e0);
      for (int64_t xi = 0; xi < kXi; ++xi) {
        float* __restrict mx = m + xi * kE;
        const float* __restrict m0 = Ms + xi * ms + e0;
        for (int64_t e = 0; e < ne; ++e) mx[e] = m0[e];
        for (int64_t sl = 1; sl < slots; ++sl) {
          const float* __restrict ms_ = Ms + (sl * kXi + xi) * ms + e0;
          for (int64_t e = 0; e < ne; ++e) mx[e] += ms_[e];
        }
      }
      // t[u][j] = (G^T m[., j])[u], then o[u][v] = (G^T t[u][.])[v]
      for (int64_t j = 0; j < 6; ++j) reduce_1d(m + j * kE, 6 * kE, t + j * kE, 6 * kE, ne);
      for (int64_t u = 0; u < 3; ++u) reduce_1d(t + u * 6 * kE, kE, o + u * 3 * kE, kE, ne);
      for (int64_t e = 0; e < ne; ++e)
        for (int64_t r = 0; r < 9; ++r) dw[(e0 + e) * 9 + r] = o[r * kE + e];
    }
  });
  if (db)
    for (int64_t k = 0; k < g.K; ++k) {
      double v = 0.0;
      for (int64_t s = 0; s < slots; ++s) v += bparts[s * g.K + k];
      db[k] = static_cast<float>(v);
    }
  return true;
}

}  // namespace neurite
