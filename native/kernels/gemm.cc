// GEMM driver after BLIS (Van Zee & van de Geijn, "BLIS: A Framework for Rapidly
// Instantiating BLAS Functionality", ACM TOMS 2015): C is split into blocks claimed by the
// pool's threads; each block loops NC columns / KC depth / MC rows, packing op(B) into NR-wide
// and op(A) into MR-tall panels, and sweeps the microkernel of the UKernels table over them.
// Small products skip what does not pay: tiny ones run as direct loops; with the AVX2 and
// AVX-512 kernels, blocks with few rows read untransposed B in place, blocks with few columns
// or little depth read A in place, and small-M, deep products with transposed B run as
// C^T = op(B)^T op(A)^T; with AVX-512, products at most 16 columns wide run on narrow
// microkernels (24 x 16 rows of C, or 32 x 12 down the columns when A is transposed or N is
// at most 8 to 10). Every path performs the same FMA sequence per element of C, so results
// are bitwise the same for any thread count and any split. Microkernels and AVX2 / AVX-512
// packing live in scalar/ and x86/.
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "../runtime/check.h"
#include "../runtime/dispatch.h"
#include "../runtime/pool.h"

namespace neurite {

namespace {

// Products with M * N * K at or below this run as direct loops: the packed path costs about
// 0.1 us even for 2x2x2 and only wins from about 8x8x8 (measured, AVX2 and SSE2).
constexpr int64_t kSmallMacs = 512;
// Work (multiply-adds) below which a call stays on the calling thread: waking the pool costs
// more than it saves.
constexpr int64_t kParallelMacs = int64_t{1} << 18;

// A 64-byte-aligned scratch block of at least `floats` floats inside `buf`, which only grows.
// Sizes are bounded by the table's MC * KC and KC * NC.
float* grow_aligned(std::vector<float>& buf, int64_t floats) {
  const size_t need = static_cast<size_t>(floats) + 16;
  if (buf.size() < need) std::vector<float>(need).swap(buf);
  const uintptr_t p = reinterpret_cast<uintptr_t>(buf.data());
  return reinterpret_cast<float*>((p + 63) & ~uintptr_t{63});
}

// Per-thread packing buffers, private to the thread that packs into them.
float* pack_a_buffer(int64_t floats) {
  thread_local std::vector<float> buf;
  return grow_aligned(buf, floats);
}
float* pack_b_buffer(int64_t floats) {
  thread_local std::vector<float> buf;
  return grow_aligned(buf, floats);
}

// Runs fn over [0, n) in at most `threads` chunks (inline when threads == 1).
void run_split(int threads, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (threads <= 1 || n <= 1) {
    fn(0, n);
    return;
  }
  parallel_for(n, (n + threads - 1) / threads, fn);
}

// C = beta * C, beta == 0 writes zeros without reading C.
void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < N; ++j) c[j] = 0.0f;
    } else if (beta != 1.0f) {
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
  }
}

// c[0:n] += a * b[0:n]. Restrict parameters and fixed-length blocks let GCC vectorize this
// at -O2 (its cheap cost model skips loops that need alias checks or an epilogue).
void axpy(int64_t n, float a, const float* __restrict b, float* __restrict c) {
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int64_t u = 0; u < 8; ++u) c[j + u] += a * b[j + u];
  for (; j < n; ++j) c[j] += a * b[j];
}

// Direct loops for tiny products, single-threaded. Row-axpy form when rows of B are
// contiguous (vectorizes over j), dot form when B is transposed.
void gemm_small(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                int64_t ldc) {
  const int64_t sa_i = transA ? 1 : lda, sa_p = transA ? lda : 1;
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    const float* a = A + i * sa_i;
    if (!transB) {
      scale_c(1, N, beta, c, ldc);
      for (int64_t p = 0; p < K; ++p) {
        const float ap = alpha * a[p * sa_p];
        axpy(N, ap, B + p * ldb, c);
      }
    } else {
      for (int64_t j = 0; j < N; ++j) {
        const float* b = B + j * ldb;
        float s = 0.0f;
        for (int64_t p = 0; p < K; ++p) s += a[p * sa_p] * b[p];
        c[j] = beta == 0.0f ? alpha * s : alpha * s + beta * c[j];
      }
    }
  }
}

// Packs rows [i0, i0 + mc) x columns [p0, p0 + kc) of op(A) into MR-tall panels:
// panel r holds dst[r * MR * kc + p * MR + i] = op(A)[i0 + r * MR + i, p0 + p], rows past mc
// zero.
void pack_a(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t p0,
            int64_t kc, int64_t MR, float* dst) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t m = std::min(MR, mc - ir);
    float* d = dst + ir * kc;
    if (transA) {  // op(A)[i, p] = A[p * lda + i]: rows of the panel are contiguous
      for (int64_t p = 0; p < kc; ++p) {
        const float* s = A + (p0 + p) * lda + i0 + ir;
        for (int64_t i = 0; i < m; ++i) d[p * MR + i] = s[i];
        for (int64_t i = m; i < MR; ++i) d[p * MR + i] = 0.0f;
      }
    } else {  // op(A)[i, p] = A[i * lda + p]: MR row streams, interleaved
      const float* s = A + (i0 + ir) * lda + p0;
      for (int64_t p = 0; p < kc; ++p) {
        for (int64_t i = 0; i < m; ++i) d[p * MR + i] = s[i * lda + p];
        for (int64_t i = m; i < MR; ++i) d[p * MR + i] = 0.0f;
      }
    }
  }
}

// Packs rows [p0, p0 + kc) x columns [j0, j0 + nc) of op(B) into NR-wide panels: panel q
// holds dst[q * NR * kc + p * NR + j] = op(B)[p0 + p, j0 + q * NR + j], columns past nc zero.
void pack_b(bool transB, const float* B, int64_t ldb, int64_t p0, int64_t kc, int64_t j0,
            int64_t nc, int64_t NR, float* dst) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int64_t n = std::min(NR, nc - jr);
    float* d = dst + jr * kc;
    if (!transB) {  // op(B)[p, j] = B[p * ldb + j]: rows of the panel are contiguous
      for (int64_t p = 0; p < kc; ++p) {
        const float* s = B + (p0 + p) * ldb + j0 + jr;
        for (int64_t j = 0; j < n; ++j) d[p * NR + j] = s[j];
        for (int64_t j = n; j < NR; ++j) d[p * NR + j] = 0.0f;
      }
    } else {  // op(B)[p, j] = B[j * ldb + p]: NR row streams, interleaved
      const float* s = B + (j0 + jr) * ldb + p0;
      for (int64_t p = 0; p < kc; ++p) {
        for (int64_t j = 0; j < n; ++j) d[p * NR + j] = s[j * ldb + p];
        for (int64_t j = n; j < NR; ++j) d[p * NR + j] = 0.0f;
      }
    }
  }
}

// The depth of the K slices: at most the table's KC, balanced so that no slice is a short
// remainder (K = 784 with KC = 256 gives 4 x 196, not 256 + 256 + 256 + 16). Depends only on K
// and the table, never on the thread split.
int64_t balanced_kc(const UKernels& uk, int64_t K) {
  const int64_t KC = std::max<int64_t>(1, uk.kc);
  const int64_t slices = (K + KC - 1) / KC;
  return (K + slices - 1) / slices;
}

// Blocks with at most this many rows read untransposed B in place instead of packing it (with
// the AVX2 microkernel): each packed element of B would serve only M / MR tiles, and packing
// was ~20% of the time of 32 x 1024 x 256 (measured).
constexpr int64_t kDirectBMaxRows = 96;
// Blocks at most this many columns wide read A in place instead of packing it: each packed
// element of A would serve only N / NR panels (packing A was ~27% of 64 x 128 x 10).
constexpr int64_t kDirectAMaxCols = 64;
// ... and so do blocks of products at most this deep, whatever their width: a 12 x 32 tile is
// then only a few dozen cycles and the packing call a visible part of it (64 x 10 x 128 NN:
// 1.32 -> 1.25 us).
constexpr int64_t kDirectAMaxDepth = 16;
// Whether a block of `rows` x `cols` (depth K) reads A in place. Also a transposed A of at most
// one tile of rows: its k steps are already contiguous runs of those rows, as packed (10 x 64 x
// 128 TN: the copy was ~5% of the product).
bool reads_a_in_place(const UKernels& uk, bool transA, int64_t rows, int64_t cols, int64_t K) {
  return cols <= kDirectAMaxCols || K <= kDirectAMaxDepth || (transA && rows <= uk.mr);
}

// Packing routines for a table: the AVX2 / AVX-512 ones with their microkernels, else the plain
// loops (by the table's MR / NR); direct_b and strided are the in-place microkernels when the
// table has them.
struct Packers {
  void (*a)(bool, const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, float*);
  void (*b)(bool, const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, float*);
  void (*direct_b)(int64_t, const float*, const float*, int64_t, float*, int64_t, int64_t, float,
                   float);
  void (*strided)(int64_t, const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t,
                  int64_t, int64_t, float, float);
  void (*narrow)(int64_t, const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t,
                 int64_t, int64_t, float, float);
  void (*columns)(int64_t, const float*, int64_t, const float*, int64_t, int64_t, float*,
                  int64_t, int64_t, int64_t, float, float);
  void (*narrow_b)(const float*, int64_t, int64_t, int64_t, float*);  // transposed B, 16 wide
  void (*columns_a)(const float*, int64_t, int64_t, int64_t, float*);  // A^T, 32-row panels
};

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
void pack_a_avx2(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t p0,
                 int64_t kc, int64_t, float* dst) {
  gemm_pack_a_6__avx2_fma(transA, A, lda, i0, mc, p0, kc, dst);
}
void pack_b_avx2(bool transB, const float* B, int64_t ldb, int64_t p0, int64_t kc, int64_t j0,
                 int64_t nc, int64_t, float* dst) {
  gemm_pack_b_16__avx2_fma(transB, B, ldb, p0, kc, j0, nc, dst);
}
void pack_a_avx512(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t p0,
                   int64_t kc, int64_t, float* dst) {
  gemm_pack_a_12__avx512(transA, A, lda, i0, mc, p0, kc, dst);
}
void pack_b_avx512(bool transB, const float* B, int64_t ldb, int64_t p0, int64_t kc,
                   int64_t j0, int64_t nc, int64_t, float* dst) {
  gemm_pack_b_32__avx512(transB, B, ldb, p0, kc, j0, nc, dst);
}
#endif

Packers packers_for(const UKernels& uk) {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  if (uk.gemm == gemm_ukernel_6x16__avx2_fma && uk.mr == 6 && uk.nr == 16)
    return {pack_a_avx2, pack_b_avx2, gemm_ukernel_6x16_direct_b__avx2_fma,
            gemm_ukernel_6x16_strided__avx2_fma, nullptr, nullptr, nullptr, nullptr};
  if (uk.gemm == gemm_ukernel_12x32__avx512 && uk.mr == 12 && uk.nr == 32)
    return {pack_a_avx512, pack_b_avx512, gemm_ukernel_12x32_direct_b__avx512,
            gemm_ukernel_12x32_strided__avx512, gemm_ukernel_24x16_strided__avx512,
            gemm_ukernel_32x12_columns__avx512, gemm_pack_b_16t__avx512,
            gemm_pack_a_32t__avx512};
#endif
  return {pack_a, pack_b, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
}

// Sequential blocked product of rows [0, M) x columns [0, N) (pointers already offset to the
// block). Every element of C goes through the same operations wherever its block starts (the
// KC slices depend only on K and the table), so results do not depend on how C was split.
void gemm_blocked(const UKernels& uk, bool transA, bool transB, int64_t M, int64_t N,
                  int64_t K, float alpha, const float* A, int64_t lda, const float* B,
                  int64_t ldb, float beta, float* C, int64_t ldc) {
  const int64_t MR = uk.mr, NR = uk.nr;
  const int64_t MC = std::max(MR, uk.mc / MR * MR);
  const int64_t KC = balanced_kc(uk, K);
  const int64_t NC = std::max(NR, uk.nc / NR * NR);
  const Packers pack = packers_for(uk);
  const bool direct_b = pack.direct_b && !transB && M <= kDirectBMaxRows;
  const bool direct_a = pack.strided && reads_a_in_place(uk, transA, M, N, K);
  float* bp = pack_b_buffer(std::min(NC, (N + NR - 1) / NR * NR) * std::min(KC, K));
  float* ap = direct_a ? nullptr
                       : pack_a_buffer(std::min(MC, (M + MR - 1) / MR * MR) * std::min(KC, K));
  const int64_t ars = transA ? 1 : lda, acs = transA ? lda : 1;  // A in place

  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    const int64_t n_panels = (nc + NR - 1) / NR;
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const float beta_pc = pc == 0 ? beta : 1.0f;  // later slices accumulate
      // In place, only a last partial panel is packed (at bp + its offset, as usual).
      const int64_t full = direct_b ? nc / NR * NR : 0;
      if (full < nc) pack.b(transB, B, ldb, pc, kc, jc + full, nc - full, NR, bp + full * kc);
      if (direct_a) {
        for (int64_t q = 0; q < n_panels; ++q) {
          const int64_t jr = q * NR, n = std::min(NR, nc - jr);
          const bool in_place = jr < full;
          const float* bq = in_place ? B + pc * ldb + jc + jr : bp + q * NR * kc;
          for (int64_t ir = 0; ir < M; ir += MR) {
            pack.strided(kc, A + ir * ars + pc * acs, ars, acs, bq, in_place ? ldb : NR,
                         C + ir * ldc + jc + jr, ldc, std::min(MR, M - ir), n, alpha, beta_pc);
          }
        }
        continue;
      }
      for (int64_t ic = 0; ic < M; ic += MC) {
        const int64_t mc = std::min(MC, M - ic);
        pack.a(transA, A, lda, ic, mc, pc, kc, MR, ap);
        // A KC x NR panel of B stays in L1 while the MC x KC block of A streams from L2.
        for (int64_t q = 0; q < n_panels; ++q) {
          const int64_t jr = q * NR, n = std::min(NR, nc - jr);
          float* cq = C + ic * ldc + jc + jr;
          if (jr < full) {
            const float* bq = B + pc * ldb + jc + jr;
            for (int64_t ir = 0; ir < mc; ir += MR)
              pack.direct_b(kc, ap + ir * kc, bq, ldb, cq + ir * ldc, ldc, std::min(MR, mc - ir),
                            alpha, beta_pc);
            continue;
          }
          const float* bq = bp + q * NR * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            uk.gemm(kc, ap + ir * kc, bq, cq + ir * ldc, ldc, std::min(MR, mc - ir), n, alpha,
                    beta_pc);
          }
        }
      }
    }
  }
}

// Splits the tile grid (m_tiles MR-rows x n_panels NR-columns) into tm x tn blocks, one per
// thread, each a whole blocked product with private packing: one pool round per call, no
// barriers. A block packs its rows of A and its columns of B, unless it reads them in place
// (see gemm_blocked), so the split minimises the largest block's cost: its multiply-adds
// plus packed elements (weighted as kPackMacs).
void choose_grid(const UKernels& uk, bool transA, bool transB, int threads, int64_t m_tiles,
                 int64_t n_panels, int64_t K, int64_t* tm, int64_t* tn) {
  constexpr double kPackMacs = 8.0;
  const Packers pack = packers_for(uk);
  *tm = *tn = 1;
  double best = -1.0;
  for (int64_t a = 1; a <= std::min<int64_t>(threads, m_tiles); ++a) {
    const int64_t b = std::min<int64_t>(threads / a, n_panels);
    const int64_t rows = (m_tiles + a - 1) / a * uk.mr;
    const int64_t cols = (n_panels + b - 1) / b * uk.nr;
    const bool packs_a = !(pack.strided && reads_a_in_place(uk, transA, rows, cols, K));
    const bool packs_b = !(pack.direct_b && !transB && rows <= kDirectBMaxRows);
    const double cost = double(rows) * double(cols) +
                        kPackMacs * double((packs_a ? rows : 0) + (packs_b ? cols : 0));
    if (best < 0.0 || cost < best) {
      best = cost;
      *tm = a;
      *tn = b;
    }
  }
}

// The blocked product split over `threads` threads. Products below kOversplitMacs are cut
// into kItemsPerThread blocks per thread, claimed dynamically: on a shared machine a thread
// that loses its core then does fewer blocks instead of holding everyone up, and the small
// blocks of small-M / small-N products read A and B in place. Larger products keep one block
// per thread (the least packing; 91% of the 2-thread peak at 1024^3 in a quiet run). Every
// block computes its elements in the same way wherever it runs, so results do not depend on
// timing.
constexpr int64_t kOversplitMacs = int64_t{1} << 28;
constexpr int kItemsPerThread = 3;

void gemm_packed(const UKernels& uk, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                 float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                 float beta, float* C, int64_t ldc, int threads) {
  if (threads <= 1) {  // one block, without the claim counter (an atomic add costs ~20 cycles)
    gemm_blocked(uk, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  const int64_t MR = uk.mr, NR = uk.nr;
  const int64_t m_tiles = (M + MR - 1) / MR, n_panels = (N + NR - 1) / NR;
  int64_t tm = 1, tn = 1;
  {
    const int items = M * N * K < kOversplitMacs ? threads * kItemsPerThread : threads;
    choose_grid(uk, transA, transB, items, m_tiles, n_panels, K, &tm, &tn);
  }
  std::atomic<int64_t> next{0};
  run_split(threads, std::min<int64_t>(threads, tm * tn), [&](int64_t, int64_t) {
    for (int64_t t = next.fetch_add(1); t < tm * tn; t = next.fetch_add(1)) {
      const int64_t ti = t / tn, tj = t % tn;
      const int64_t r0 = ti * m_tiles / tm * MR, r1 = std::min(M, (ti + 1) * m_tiles / tm * MR);
      const int64_t c0 = tj * n_panels / tn * NR, c1 = std::min(N, (tj + 1) * n_panels / tn * NR);
      if (r0 >= r1 || c0 >= c1) continue;
      gemm_blocked(uk, transA, transB, r1 - r0, c1 - c0, K, alpha,
                   transA ? A + r0 : A + r0 * lda, lda, transB ? B + c0 * ldb : B + c0, ldb,
                   beta, C + r0 * ldc + c0, ldc);
    }
  });
}

// Products at most this many columns wide run on the narrow microkernels when the table has
// them (AVX-512). With transposed A, on the column microkernel (32 rows x 12 columns, vectors
// down the columns of C: every lane busy, A and B in place); with untransposed A and very few
// columns, on the same kernel over 32-row panels of A transposed into a scratch; else on the
// narrow one (one 16-wide accumulator per row, 24 rows): A in place, B in place or, when
// transposed, copied once into 16-wide rows. The 12 x 32 tile would leave at least half of its
// lanes idle and pack B into 32-wide panels.
constexpr int64_t kNarrowCols = 16;
constexpr int64_t kNarrowRows = 24;
constexpr int64_t kColumnsRows = 32, kColumnsCols = 12;
constexpr int64_t kColumnsRowsMin = 24;  // fewest rows of a panel of untransposed A

void gemm_narrow(const UKernels& uk, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                 float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                 float beta, float* C, int64_t ldc, int threads) {
  const Packers pack = packers_for(uk);
  const int64_t KC = balanced_kc(uk, K);  // the slices of the other paths: the same bits
  if (transA && pack.columns) {
    const int64_t bsp = transB ? 1 : ldb, bsj = transB ? ldb : 1;
    const int64_t chunks = (N + kColumnsCols - 1) / kColumnsCols;
    const int64_t tiles = (M + kColumnsRows - 1) / kColumnsRows;
    run_split(threads, tiles, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t r0 = t * kColumnsRows, m = std::min(kColumnsRows, M - r0);
        for (int64_t q = 0; q < chunks; ++q) {
          const int64_t j0 = q * N / chunks, j1 = (q + 1) * N / chunks;
          for (int64_t pc = 0; pc < K; pc += KC) {
            pack.columns(std::min(KC, K - pc), A + pc * lda + r0, lda, B + pc * bsp + j0 * bsj,
                         bsp, bsj, C + r0 * ldc + j0, ldc, m, j1 - j0, alpha,
                         pc == 0 ? beta : 1.0f);
          }
        }
      }
    });
    return;
  }
  // Untransposed A with few columns: rows [0, col_rows) in 32-row panels transposed into a
  // scratch (pack.columns_a) for the column microkernel, which keeps every lane busy where the
  // narrow one uses N of 16, and reads B^T in place. The transpose costs about as much as 5
  // columns of FMAs and the column tile's store a 16 x 16 transpose, so it pays for N <= 8, or
  // N <= 10 with transposed B (which the narrow kernel needs copied), on panels of at least
  // 24 rows and K >= 16 (measured, M = 64: 1.16x at N = 10 NT, 1.13x at N = 8 NN, 0.88x at
  // N = 10 NT with K = 10). The rows left run on the narrow microkernel; both give the same
  // bits.
  const bool columns = !transA && pack.columns_a && N <= (transB ? 10 : 8) && K >= 16;
  const int64_t col_rows =
      !columns ? 0 : M % kColumnsRows >= kColumnsRowsMin ? M : M / kColumnsRows * kColumnsRows;
  const int64_t col_tiles = (col_rows + kColumnsRows - 1) / kColumnsRows;
  const int64_t rest = M - col_rows;
  const float* b = B;
  int64_t bs = ldb;
  if (transB && rest > 0) {  // op(B)[p, j] = B[j * ldb + p]: copied into rows of 16
    float* bp = pack_b_buffer(K * kNarrowCols);
    pack.narrow_b(B, ldb, K, N, bp);
    b = bp;
    bs = kNarrowCols;
  }
  const int64_t ars = transA ? 1 : lda, acs = transA ? lda : 1;
  const int64_t row_tiles = (rest + kNarrowRows - 1) / kNarrowRows;
  run_split(threads, col_tiles + row_tiles, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      if (t < col_tiles) {
        const int64_t bsp = transB ? 1 : ldb, bsj = transB ? ldb : 1;
        const int64_t r0 = t * kColumnsRows, m = std::min(kColumnsRows, M - r0);
        float* ap = pack_a_buffer(kColumnsRows * std::min(KC, K));
        for (int64_t pc = 0; pc < K; pc += KC) {
          const int64_t kc = std::min(KC, K - pc);
          pack.columns_a(A + r0 * lda + pc, lda, m, kc, ap);
          pack.columns(kc, ap, kColumnsRows, B + pc * bsp, bsp, bsj, C + r0 * ldc, ldc, m, N,
                       alpha, pc == 0 ? beta : 1.0f);
        }
        continue;
      }
      const int64_t q = t - col_tiles;
      const int64_t r0 = col_rows + q * rest / row_tiles;
      const int64_t r1 = col_rows + (q + 1) * rest / row_tiles;
      for (int64_t pc = 0; pc < K; pc += KC) {
        pack.narrow(std::min(KC, K - pc), A + r0 * ars + pc * acs, ars, acs, b + pc * bs, bs,
                    C + r0 * ldc, ldc, r1 - r0, N, alpha, pc == 0 ? beta : 1.0f);
      }
    }
  });
}

// Whether to compute C^T = op(B)^T · op(A)^T instead (into a scratch, transposed back): when B
// is transposed and C has few rows, packing all of op(B) is an 8 x 8-transpose pass over the
// large operand; swapped, that operand is read in place as A and only the small op(A) is
// packed. (Swapping 8 < N < 16 to fill whole tiles did not pay: packing op(A)^T then cost
// more than the idle lanes, measured on 64 x 128 x 10.) Only when K is deep enough that the
// packing saved (K (N - M) floats) outweighs the transposed copy of C there and back (M N):
// 64 x 128 x 10 NT ran at a third of its unswapped speed. Depends only on the shape, never on
// the thread count.
bool swap_pays(const UKernels& uk, bool transB, int64_t M, int64_t N, int64_t K) {
  return transB && M <= kDirectAMaxCols && N >= 2 * M && K * (N - M) > 2 * M * N &&
         packers_for(uk).strided != nullptr;
}

// dst[j * ldd + i] = src[i * lds + j] for i < rows, j < cols, in 16 x 16 blocks so that both
// sides stay in L1 (the plain double loop wrote one float per cache line of the scratch: the
// two transposes of an LSTM step's 32 x 1024 gates took ~12% of the LSTM forward).
void transpose_blocked(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst,
                       int64_t ldd) {
  constexpr int64_t kB = 16;
  for (int64_t i0 = 0; i0 < rows; i0 += kB) {
    const int64_t i1 = std::min(rows, i0 + kB);
    for (int64_t j0 = 0; j0 < cols; j0 += kB) {
      const int64_t j1 = std::min(cols, j0 + kB);
      for (int64_t j = j0; j < j1; ++j)
        for (int64_t i = i0; i < i1; ++i) dst[j * ldd + i] = src[i * lds + j];
    }
  }
}

float* swap_buffer(int64_t floats) {
  thread_local std::vector<float> buf;
  return grow_aligned(buf, floats);
}

// One product; may use the pool when allow_threads and the product is large enough.
void gemm_one(const UKernels& uk, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
              float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
              float beta, float* C, int64_t ldc, bool allow_threads) {
  NEURITE_ASSERT(M >= 0 && N >= 0 && K >= 0);
  NEURITE_ASSERT(ldc >= N && lda >= (transA ? M : K) && ldb >= (transB ? K : N));
  if (M == 0 || N == 0) return;
  NEURITE_ASSERT(C != nullptr);
  if (K == 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  NEURITE_ASSERT(A != nullptr && B != nullptr);
  NEURITE_ASSERT(uk.mr >= 1 && uk.nr >= 1 && uk.gemm != nullptr);
  const int64_t macs = M * N * K;
  if (macs <= kSmallMacs) {
    gemm_small(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  const int threads = allow_threads && macs >= kParallelMacs ? num_threads() : 1;
  if (N <= kNarrowCols && packers_for(uk).narrow != nullptr) {
    gemm_narrow(uk, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, threads);
    return;
  }
  if (swap_pays(uk, transB, M, N, K)) {
    // T = C^T [N, M]; the microkernel applies beta to T exactly as it would to C, so the
    // result is bitwise that of the unswapped product.
    float* T = swap_buffer(N * M);
    if (beta != 0.0f) transpose_blocked(C, ldc, M, N, T, M);
    gemm_packed(uk, !transB, !transA, N, M, K, alpha, B, ldb, A, lda, beta, T, M, threads);
    transpose_blocked(T, M, N, M, C, ldc);
    return;
  }
  gemm_packed(uk, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, threads);
}

// Shared by both batched forms: product b's operands start at off[b] when off is given, else
// at b * stride. Whole products go to threads when there are at least as many as threads.
void gemm_batched_any(int64_t batch, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                      float alpha, const float* A, const int64_t* a_off, int64_t strideA,
                      int64_t lda, const float* B, const int64_t* b_off, int64_t strideB,
                      int64_t ldb, float beta, float* C, const int64_t* c_off, int64_t strideC,
                      int64_t ldc) {
  NEURITE_ASSERT(batch >= 0);
  if (batch == 0 || M == 0 || N == 0) return;
  const UKernels& uk = ukernels();
  auto one = [&](int64_t b, bool allow_threads) {
    const float* Ab = A + (a_off ? a_off[b] : b * strideA);
    const float* Bb = B + (b_off ? b_off[b] : b * strideB);
    float* Cb = C + (c_off ? c_off[b] : b * strideC);
    gemm_one(uk, transA, transB, M, N, K, alpha, Ab, lda, Bb, ldb, beta, Cb, ldc,
             allow_threads);
  };
  const int threads = num_threads();
  const int64_t macs = batch * M * N * std::max<int64_t>(K, 1);
  if (threads > 1 && batch >= threads && macs >= kParallelMacs) {
    parallel_for(batch, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) one(b, false);
    });
  } else {
    for (int64_t b = 0; b < batch; ++b) one(b, true);
  }
}

}  // namespace

void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
          const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
          int64_t ldc) {
  gemm_one(ukernels(), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, true);
}

void gemm_serial(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                 const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                 int64_t ldc) {
  gemm_one(ukernels(), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, false);
}

void gemm_with(const UKernels& uk, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
               float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
               float beta, float* C, int64_t ldc) {
  gemm_one(uk, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, true);
}

void gemm_strided_batched(int64_t batch, bool transA, bool transB, int64_t M, int64_t N,
                          int64_t K, float alpha, const float* A, int64_t lda, int64_t strideA,
                          const float* B, int64_t ldb, int64_t strideB, float beta, float* C,
                          int64_t ldc, int64_t strideC) {
  gemm_batched_any(batch, transA, transB, M, N, K, alpha, A, nullptr, strideA, lda, B, nullptr,
                   strideB, ldb, beta, C, nullptr, strideC, ldc);
}

void gemm_batched(int64_t batch, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                  float alpha, const float* A, const int64_t* a_off, int64_t lda,
                  const float* B, const int64_t* b_off, int64_t ldb, float beta, float* C,
                  const int64_t* c_off, int64_t ldc) {
  NEURITE_ASSERT(batch == 0 || (a_off != nullptr && b_off != nullptr && c_off != nullptr));
  gemm_batched_any(batch, transA, transB, M, N, K, alpha, A, a_off, 0, lda, B, b_off, 0, ldb,
                   beta, C, c_off, 0, ldc);
}

}  // namespace neurite
