// Tests for kernels/gemm.* and the GEMM microkernels: every result is checked against a
// double-precision reference (large products in O(n^2) through C·t = A·(B·t)). Standalone:
// prints each failure and "N passed, N failed"; exits nonzero on any failure.
#include "../kernels/gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../kernels/ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/pool.h"
#include "harness.h"

namespace {

using neurite::UKernels;


using neurite_test::expect;

std::mt19937 g_rng(20240521);

std::vector<float> random_floats(int64_t n) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(std::max<int64_t>(n, 1)));
  for (float& x : v) x = dist(g_rng);
  return v;
}

constexpr float kSentinel = 1234.5f;  // fills C padding that gemm must not touch
constexpr double kUnit = 1.0 / (1 << 24);  // float unit roundoff
const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

// One gemm problem with stored operands; op(A)[i, p] and op(B)[p, j] by index.
struct Problem {
  bool ta = false, tb = false;
  int64_t M = 0, N = 0, K = 0, lda = 0, ldb = 0, ldc = 0;
  float alpha = 1.0f, beta = 0.0f;
  std::vector<float> A, B, C0;  // C0: C before the call (NaN inside when beta == 0)

  float a(int64_t i, int64_t p) const { return ta ? A[p * lda + i] : A[i * lda + p]; }
  float b(int64_t p, int64_t j) const { return tb ? B[j * ldb + p] : B[p * ldb + j]; }
};

Problem make_problem(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                     float beta, int64_t pad) {
  Problem pr;
  pr.ta = ta, pr.tb = tb, pr.M = M, pr.N = N, pr.K = K, pr.alpha = alpha, pr.beta = beta;
  pr.lda = (ta ? M : K) + pad;
  pr.ldb = (tb ? K : N) + pad;
  pr.ldc = N + pad;
  pr.A = random_floats((ta ? K : M) * pr.lda);
  pr.B = random_floats((tb ? N : K) * pr.ldb);
  pr.C0 = random_floats(M * pr.ldc);
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < pr.ldc; ++j) {
      float& c = pr.C0[i * pr.ldc + j];
      if (j >= N) c = kSentinel;
      else if (beta == 0.0f) c = kNaN;
    }
  }
  return pr;
}

// Reference value and error scale of C[i, j] after the call.
void reference(const Problem& pr, int64_t i, int64_t j, double* value, double* scale) {
  double s = 0.0, s_abs = 0.0;
  for (int64_t p = 0; p < pr.K; ++p) {
    const double t = static_cast<double>(pr.a(i, p)) * pr.b(p, j);
    s += t;
    s_abs += std::fabs(t);
  }
  *value = pr.alpha * s;
  *scale = std::fabs(pr.alpha) * s_abs;
  if (pr.beta != 0.0f) {
    const double c = static_cast<double>(pr.beta) * pr.C0[i * pr.ldc + j];
    *value += c;
    *scale += std::fabs(c);
  }
}

// Runs the problem with `uk` (gemm() when uk is null) and returns the resulting C buffer.
std::vector<float> run(const UKernels* uk, const Problem& pr) {
  std::vector<float> C = pr.C0;
  if (uk) {
    neurite::gemm_with(*uk, pr.ta, pr.tb, pr.M, pr.N, pr.K, pr.alpha, pr.A.data(), pr.lda,
                       pr.B.data(), pr.ldb, pr.beta, C.data(), pr.ldc);
  } else {
    neurite::gemm(pr.ta, pr.tb, pr.M, pr.N, pr.K, pr.alpha, pr.A.data(), pr.lda, pr.B.data(),
                  pr.ldb, pr.beta, C.data(), pr.ldc);
  }
  return C;
}

// Checks every element against the reference (bound: a K-term float sum plus alpha and beta
// roundings) and that the padding of C is untouched. Returns "" or the first problem found.
std::string check_full(const Problem& pr, const std::vector<float>& C) {
  for (int64_t i = 0; i < pr.M; ++i) {
    for (int64_t j = 0; j < pr.ldc; ++j) {
      const float got = C[i * pr.ldc + j];
      if (j >= pr.N) {
        if (got != kSentinel) return fmt("padding C[%lld, %lld] overwritten", (long long)i,
                                         (long long)j);
        continue;
      }
      double want, scale;
      reference(pr, i, j, &want, &scale);
      const double tol = (2.0 * pr.K + 8.0) * kUnit * scale + 1e-30;
      if (!(std::fabs(got - want) <= tol)) {
        return fmt("C[%lld, %lld] = %.9g, want %.9g (tol %.3g)", (long long)i, (long long)j,
                   got, want, tol);
      }
    }
  }
  return "";
}

std::string describe(const Problem& pr, const char* isa) {
  return fmt("gemm[%s] ta=%d tb=%d M=%lld N=%lld K=%lld alpha=%g beta=%g lda=%lld ldb=%lld "
             "ldc=%lld",
             isa, pr.ta, pr.tb, (long long)pr.M, (long long)pr.N, (long long)pr.K, pr.alpha,
             pr.beta, (long long)pr.lda, (long long)pr.ldb, (long long)pr.ldc);
}

std::vector<const UKernels*> tables() {
  std::vector<const UKernels*> t = {neurite::ukernels_baseline()};
  if (const UKernels* avx = neurite::ukernels_avx2_fma()) t.push_back(avx);
  if (const UKernels* avx512 = neurite::ukernels_avx512()) t.push_back(avx512);
  return t;
}

// Checks one problem with every table, and that the tables agree with each other.
void check_problem(const Problem& pr) {
  std::vector<std::vector<float>> results;
  for (const UKernels* uk : tables()) {
    results.push_back(run(uk, pr));
    expect(check_full(pr, results.back()).empty(), describe(pr, uk->isa),
           check_full(pr, results.back()));
  }
  // Every table against the baseline (avx2-fma and avx512 also against each other).
  const std::vector<const UKernels*> ts = tables();
  for (size_t x = 0; x < results.size(); ++x) {
    for (size_t y = x + 1; y < results.size(); ++y) {
      bool agree = true;
      for (int64_t i = 0; i < pr.M && agree; ++i) {
        for (int64_t j = 0; j < pr.N && agree; ++j) {
          double want, scale;
          reference(pr, i, j, &want, &scale);
          const double d =
              std::fabs(double(results[x][i * pr.ldc + j]) - results[y][i * pr.ldc + j]);
          agree = d <= 2.0 * (2.0 * pr.K + 8.0) * kUnit * scale + 1e-30;
        }
      }
      expect(agree, describe(pr, (std::string(ts[x]->isa) + " vs " + ts[y]->isa).c_str()));
    }
  }
}

// Microkernels called directly: every m <= MR, n <= NR, beta == 0 over NaN, and only the
// m x n corner of C touched.
void test_microkernels() {
  for (const UKernels* uk : tables()) {
    const int64_t MR = uk->mr, NR = uk->nr, ldc = NR + 3;
    for (int64_t k : {0, 1, 3, 17}) {
      for (int64_t m = 1; m <= MR; ++m) {
        for (int64_t n = 1; n <= NR; ++n) {
          const float combos[3][2] = {{1.0f, 0.0f}, {-0.5f, 1.0f}, {2.0f, 0.25f}};
          for (const auto& ab : combos) {
            const float alpha = ab[0], beta = ab[1];
            std::vector<float> a = random_floats(k * MR), b = random_floats(k * NR);
            for (int64_t p = 0; p < k; ++p) {
              for (int64_t i = m; i < MR; ++i) a[p * MR + i] = 0.0f;
              for (int64_t j = n; j < NR; ++j) b[p * NR + j] = 0.0f;
            }
            std::vector<float> c0 = random_floats((MR + 1) * ldc);
            for (int64_t i = 0; i < MR + 1; ++i)
              for (int64_t j = 0; j < ldc; ++j)
                if (i >= m || j >= n) c0[i * ldc + j] = kSentinel;
                else if (beta == 0.0f) c0[i * ldc + j] = kNaN;
            std::vector<float> c = c0;
            uk->gemm(k, a.data(), b.data(), c.data(), ldc, m, n, alpha, beta);
            std::string err;
            for (int64_t i = 0; i < MR + 1 && err.empty(); ++i) {
              for (int64_t j = 0; j < ldc && err.empty(); ++j) {
                const float got = c[i * ldc + j];
                if (i >= m || j >= n) {
                  if (got != kSentinel) err = fmt("C[%lld, %lld] outside the corner written",
                                                  (long long)i, (long long)j);
                  continue;
                }
                double s = 0, s_abs = 0;
                for (int64_t p = 0; p < k; ++p) {
                  s += double(a[p * MR + i]) * b[p * NR + j];
                  s_abs += std::fabs(double(a[p * MR + i]) * b[p * NR + j]);
                }
                double want = alpha * s, scale = std::fabs(alpha) * s_abs;
                if (beta != 0.0f) {
                  want += double(beta) * c0[i * ldc + j];
                  scale += std::fabs(double(beta) * c0[i * ldc + j]);
                }
                if (!(std::fabs(got - want) <= (2.0 * k + 8.0) * kUnit * scale + 1e-30))
                  err = fmt("C[%lld, %lld] = %.9g, want %.9g", (long long)i, (long long)j, got,
                            want);
              }
            }
            expect(err.empty(),
                   fmt("ukernel[%s] k=%lld m=%lld n=%lld alpha=%g beta=%g", uk->isa,
                       (long long)k, (long long)m, (long long)n, alpha, beta),
                   err);
          }
        }
      }
    }
  }
}

// Awkward sizes: 1, MR±1 and NR±1 of every table (4/8, 6/16, 12/32), primes; all
// transposes, leading dimensions wider than the rows, every alpha/beta combination.
void test_small_sizes() {
  const int64_t dims[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 31, 32, 33, 37, 101};
  const int64_t ks[] = {0, 1, 2, 7, 13, 37, 101};
  const float combos[4][2] = {{1.0f, 0.0f}, {1.0f, 1.0f}, {-1.5f, 0.25f}, {0.5f, -1.0f}};
  int64_t index = 0;
  for (int t = 0; t < 4; ++t) {
    for (int64_t M : dims) {
      for (int64_t N : dims) {
        for (int64_t K : ks) {
          for (const auto& ab : combos) {
            const int64_t pad = (index++ % 3) * 3;
            check_problem(make_problem(t & 1, t & 2, M, N, K, ab[0], ab[1], pad));
          }
        }
      }
    }
  }
}

// Sizes that cross the MC, KC and NC blocks of every table (beta is applied once).
void test_blocked_sizes() {
  const int64_t shapes[][3] = {{150, 40, 300}, {7, 3100, 5},   {300, 70, 600},
                               {130, 2100, 20}, {157, 3200, 7}, {61, 97, 800}};
  for (int t = 0; t < 4; ++t) {
    for (const auto& s : shapes) {
      check_problem(make_problem(t & 1, t & 2, s[0], s[1], s[2], 1.0f, 0.0f, 0));
      check_problem(make_problem(t & 1, t & 2, s[0], s[1], s[2], -0.75f, 0.5f, 5));
    }
  }
}

// Results with 1 and 2 threads are bitwise equal (and the 2-thread run is still correct).
// The split changes each block's shape and so which operands are packed or read in place,
// and small-M transposed-B products run swapped (C^T = op(B)^T op(A)^T): the training-step
// shapes (M, N, K = 64, 128, 784 / 32, 256, 1024 / 64, 10, 128 and their backward products)
// check that every path gives the same bits.
void test_thread_count() {
  const int64_t shapes[][3] = {{200, 300, 150}, {5, 4000, 64},  {64, 64, 64},
                               {13, 500, 300},  {64, 128, 784}, {128, 784, 64},
                               {32, 256, 1024}, {64, 10, 128},  {97, 130, 33},
                               {131, 67, 401},  {25, 3100, 31}};
  for (const UKernels* uk : tables()) {
    for (int t = 0; t < 4; ++t) {
      for (const auto& s : shapes) {
        const Problem pr = make_problem(t & 1, t & 2, s[0], s[1], s[2], 1.25f, 0.0f, 1);
        neurite::set_num_threads(1);
        const std::vector<float> c1 = run(uk, pr);
        neurite::set_num_threads(2);
        const std::vector<float> c2 = run(uk, pr);
        expect(std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(float)) == 0,
               describe(pr, uk->isa) + " 1 vs 2 threads bitwise");
        expect(check_full(pr, c2).empty(), describe(pr, uk->isa) + " 2 threads",
               check_full(pr, c2));
      }
    }
  }
  // gemm_serial (the dispatched table, calling thread only) gives gemm's bits on 2 threads
  for (int t = 0; t < 4; ++t) {
    for (const auto& s : shapes) {
      const Problem pr = make_problem(t & 1, t & 2, s[0], s[1], s[2], 1.25f, 0.5f, 1);
      neurite::set_num_threads(2);
      const std::vector<float> c2 = run(nullptr, pr);
      std::vector<float> cs = pr.C0;
      neurite::gemm_serial(pr.ta, pr.tb, pr.M, pr.N, pr.K, pr.alpha, pr.A.data(), pr.lda,
                           pr.B.data(), pr.ldb, pr.beta, cs.data(), pr.ldc);
      expect(std::memcmp(c2.data(), cs.data(), cs.size() * sizeof(float)) == 0,
             describe(pr, neurite::ukernels().isa) + " gemm_serial vs gemm bitwise");
    }
  }
}

// Batched forms against one gemm per product. `offsets` picks gemm_batched with a shared A
// (broadcast) and C blocks in reverse order; else gemm_strided_batched with gaps.
void check_batched(bool offsets, int64_t batch, bool ta, bool tb, int64_t M, int64_t N,
                   int64_t K, float alpha, float beta) {
  const int64_t lda = (ta ? M : K) + 2, ldb = (tb ? K : N) + 1, ldc = N + 3;
  const int64_t sizeA = (ta ? K : M) * lda + 5, sizeB = (tb ? N : K) * ldb + 7,
                sizeC = M * ldc + 1;
  const std::vector<float> A = random_floats(sizeA * batch), B = random_floats(sizeB * batch);
  std::vector<float> C0 = random_floats(sizeC * batch);
  if (beta == 0.0f) for (float& c : C0) c = kNaN;
  std::vector<int64_t> a_off(batch), b_off(batch), c_off(batch);
  for (int64_t b = 0; b < batch; ++b) {
    a_off[b] = 0;
    b_off[b] = b * sizeB;
    c_off[b] = (batch - 1 - b) * sizeC;
  }

  // Expected: one gemm per product on the pool.
  std::vector<float> want = C0;
  for (int64_t b = 0; b < batch; ++b) {
    const float* Ab = A.data() + (offsets ? a_off[b] : b * sizeA);
    const float* Bb = B.data() + (offsets ? b_off[b] : b * sizeB);
    float* Cb = want.data() + (offsets ? c_off[b] : b * sizeC);
    neurite::gemm(ta, tb, M, N, K, alpha, Ab, lda, Bb, ldb, beta, Cb, ldc);
  }

  for (int threads : {1, 2}) {
    neurite::set_num_threads(threads);
    std::vector<float> got = C0;
    if (offsets) {
      neurite::gemm_batched(batch, ta, tb, M, N, K, alpha, A.data(), a_off.data(), lda,
                            B.data(), b_off.data(), ldb, beta, got.data(), c_off.data(), ldc);
    } else {
      neurite::gemm_strided_batched(batch, ta, tb, M, N, K, alpha, A.data(), lda, sizeA,
                                    B.data(), ldb, sizeB, beta, got.data(), ldc, sizeC);
    }
    // Bitwise against the per-product calls (NaN payloads compared as bits too: untouched
    // gaps keep theirs).
    const bool same = std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0;
    expect(same, fmt("%s batch=%lld ta=%d tb=%d M=%lld N=%lld K=%lld beta=%g threads=%d",
                     offsets ? "gemm_batched" : "gemm_strided_batched", (long long)batch, ta,
                     tb, (long long)M, (long long)N, (long long)K, beta, threads));
  }
  neurite::set_num_threads(2);

  // And the per-product calls themselves against the reference.
  for (int64_t b = 0; b < batch; ++b) {
    Problem pr;
    pr.ta = ta, pr.tb = tb, pr.M = M, pr.N = N, pr.K = K, pr.alpha = alpha, pr.beta = beta;
    pr.lda = lda, pr.ldb = ldb, pr.ldc = ldc;
    const int64_t ao = offsets ? a_off[b] : b * sizeA, bo = offsets ? b_off[b] : b * sizeB,
                  co = offsets ? c_off[b] : b * sizeC;
    pr.A.assign(A.begin() + ao, A.begin() + ao + sizeA);
    pr.B.assign(B.begin() + bo, B.begin() + bo + sizeB);
    pr.C0.assign(C0.begin() + co, C0.begin() + co + M * ldc);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = N; j < ldc; ++j) pr.C0[i * ldc + j] = kSentinel;
    std::vector<float> got(want.begin() + co, want.begin() + co + M * ldc);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = N; j < ldc; ++j) got[i * ldc + j] = kSentinel;  // gaps checked above
    const std::string err = check_full(pr, got);
    expect(err.empty(), fmt("batched reference b=%lld", (long long)b), err);
  }
}

void test_batched() {
  for (int t = 0; t < 4; ++t) {
    for (bool offsets : {false, true}) {
      check_batched(offsets, 1, t & 1, t & 2, 13, 17, 37, 1.0f, 0.0f);
      check_batched(offsets, 3, t & 1, t & 2, 7, 9, 5, -2.0f, 0.5f);
      check_batched(offsets, 5, t & 1, t & 2, 40, 50, 60, 1.0f, 0.0f);
      check_batched(offsets, 2, t & 1, t & 2, 101, 67, 300, 0.5f, 1.0f);
      check_batched(offsets, 4, t & 1, t & 2, 6, 16, 0, 1.0f, 0.0f);
    }
  }
}

// A large product checked in O(n^2): C·t against A·(B·t) for a random t, plus a sample of
// single entries; also 1 vs 2 threads bitwise.
void test_large(const UKernels* uk, bool ta, bool tb) {
  const int64_t M = 1000, N = 900, K = 1100;
  Problem pr = make_problem(ta, tb, M, N, K, 1.0f, 0.0f, 0);
  const std::string name = describe(pr, uk ? uk->isa : "dispatch");
  neurite::set_num_threads(2);
  const std::vector<float> C = run(uk, pr);

  const std::vector<float> t = random_floats(N);
  std::vector<double> bt(K, 0.0), bt_abs(K, 0.0);
  for (int64_t p = 0; p < K; ++p) {
    for (int64_t j = 0; j < N; ++j) {
      bt[p] += double(pr.b(p, j)) * t[j];
      bt_abs[p] += std::fabs(double(pr.b(p, j)) * t[j]);
    }
  }
  std::string err;
  for (int64_t i = 0; i < M && err.empty(); ++i) {
    double ct = 0.0, abt = 0.0, scale = 0.0;
    for (int64_t j = 0; j < N; ++j) ct += double(C[i * pr.ldc + j]) * t[j];
    for (int64_t p = 0; p < K; ++p) {
      abt += double(pr.a(i, p)) * bt[p];
      scale += std::fabs(double(pr.a(i, p))) * bt_abs[p];
    }
    // Realistic float error is ~1e-8 of scale; one wrong 6x16 tile shifts ct by ~1e-4 of it.
    if (!(std::fabs(ct - abt) <= 1e-5 * scale))
      err = fmt("row %lld: C·t = %.9g, A·(B·t) = %.9g", (long long)i, ct, abt);
  }
  expect(err.empty(), name + " C·t vs A·(B·t)", err);

  std::uniform_int_distribution<int64_t> pick_i(0, M - 1), pick_j(0, N - 1);
  err.clear();
  for (int s = 0; s < 2000 && err.empty(); ++s) {
    const int64_t i = pick_i(g_rng), j = pick_j(g_rng);
    double want, scale;
    reference(pr, i, j, &want, &scale);
    if (!(std::fabs(C[i * pr.ldc + j] - want) <= (2.0 * K + 8.0) * kUnit * scale))
      err = fmt("C[%lld, %lld] = %.9g, want %.9g", (long long)i, (long long)j,
                C[i * pr.ldc + j], want);
  }
  expect(err.empty(), name + " sampled entries", err);

  neurite::set_num_threads(1);
  const std::vector<float> C1 = run(uk, pr);
  neurite::set_num_threads(2);
  expect(std::memcmp(C.data(), C1.data(), C.size() * sizeof(float)) == 0,
         name + " 1 vs 2 threads bitwise");
}

// M == 0 / N == 0 touch nothing; K == 0 and alpha == 0 give beta * C without reading A, B.
void test_degenerate() {
  std::vector<float> C = {1.0f, 2.0f, 3.0f, 4.0f};
  neurite::gemm(false, false, 0, 2, 3, 1.0f, nullptr, 3, nullptr, 2, 0.0f, C.data(), 2);
  neurite::gemm(false, false, 2, 0, 3, 1.0f, nullptr, 3, nullptr, 0, 0.0f, C.data(), 2);
  expect(C == std::vector<float>({1.0f, 2.0f, 3.0f, 4.0f}), "M == 0 or N == 0 leaves C");
  neurite::gemm(false, false, 2, 2, 0, 1.0f, nullptr, 0, nullptr, 2, 0.5f, C.data(), 2);
  expect(C == std::vector<float>({0.5f, 1.0f, 1.5f, 2.0f}), "K == 0 scales C by beta");
  std::vector<float> A(4, kNaN), B(4, kNaN);
  neurite::gemm(false, false, 2, 2, 2, 0.0f, A.data(), 2, B.data(), 2, 2.0f, C.data(), 2);
  expect(C == std::vector<float>({1.0f, 2.0f, 3.0f, 4.0f}), "alpha == 0 ignores A and B");
  std::fill(C.begin(), C.end(), kNaN);
  neurite::gemm(false, false, 2, 2, 0, 1.0f, nullptr, 0, nullptr, 2, 0.0f, C.data(), 2);
  expect(C == std::vector<float>(4, 0.0f), "K == 0, beta == 0 writes zeros over NaN");
}

// The AVX-512 packing of untransposed A into 32-row column panels: dst[p * 32 + i] = A[i, p],
// rows past m zero (up to 16, or 32 when m > 16), nothing past them written, only A's m x k
// floats read (the copy of A ends right after them).
void test_pack_a_32t() {
  if (!neurite::ukernels_avx512()) return;
  for (int64_t m = 1; m <= 32; ++m) {
    for (int64_t k : {1, 2, 3, 4, 5, 7, 16, 17, 37}) {
      const int64_t lda = k + (m % 3);
      const std::vector<float> full = random_floats(m * lda);
      const std::vector<float> A(full.begin(), full.begin() + (m - 1) * lda + k);
      std::vector<float> dst(k * 32 + 32, kSentinel);
      neurite::gemm_pack_a_32t__avx512(A.data(), lda, m, k, dst.data());
      const int64_t rows = m > 16 ? 32 : 16;
      std::string err;
      for (int64_t p = 0; p < k + 1 && err.empty(); ++p) {
        for (int64_t i = 0; i < 32 && err.empty(); ++i) {
          const float want = p == k || i >= rows ? kSentinel : i < m ? A[i * lda + p] : 0.0f;
          if (dst[p * 32 + i] != want)
            err = fmt("dst[%lld * 32 + %lld] = %g, want %g", (long long)p, (long long)i,
                      dst[p * 32 + i], want);
        }
      }
      expect(err.empty(), fmt("pack_a_32t m=%lld k=%lld lda=%lld", (long long)m, (long long)k,
                              (long long)lda), err);
    }
  }
}

// The narrow paths of the AVX-512 table (N <= 16: the 24 x 16 narrow microkernel, or the
// 32 x 12 column one when A is transposed or, over packed 32-row panels of A, when N <= 8 or
// 10): row counts around 24 and 32 and panels followed by narrow tiles (33, 56, 60, 97), every
// N from 1 to 17, K across the KC slices, all transposes, padded leading dimensions,
// beta == 0 over NaN. Also bitwise against the 12 x 32 microkernel over the same operands,
// which every other path uses: the narrow forms must perform the same FMA sequence per
// element of C.
void test_narrow_paths() {
  const UKernels* uk = neurite::ukernels_avx512();
  if (!uk) return;
  const int64_t ms[] = {1, 7, 23, 24, 25, 31, 32, 33, 48, 49, 56, 60, 64, 97, 128, 130};
  const int64_t ns[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
  const int64_t ks[] = {1, 10, 16, 64, 128, 1100};
  int64_t index = 0;
  for (int t = 0; t < 4; ++t) {
    for (int64_t M : ms) {
      for (int64_t N : ns) {
        for (int64_t K : ks) {
          const bool plain = index++ % 2 == 0;
          const Problem pr = make_problem(t & 1, t & 2, M, N, K, plain ? 1.0f : -0.75f,
                                          plain ? 0.0f : 0.5f, (index % 3) * 3);
          const std::vector<float> C = run(uk, pr);
          expect(check_full(pr, C).empty(), describe(pr, "avx512 narrow"), check_full(pr, C));
          // One K slice (a single microkernel sweep per tile), and above the 512 multiply-adds
          // that run as direct loops instead.
          if (K > uk->kc || M * N * K <= 512) continue;
          // The 12 x 32 microkernel on op(A) in place and op(B) copied into 32-wide rows.
          std::vector<float> b32(K * 32, 0.0f), ref = pr.C0;
          for (int64_t p = 0; p < K; ++p)
            for (int64_t j = 0; j < N; ++j) b32[p * 32 + j] = pr.b(p, j);
          const int64_t ars = pr.ta ? 1 : pr.lda, acs = pr.ta ? pr.lda : 1;
          for (int64_t i = 0; i < M; i += 12) {
            neurite::gemm_ukernel_12x32_strided__avx512(
                K, pr.A.data() + i * ars, ars, acs, b32.data(), 32, ref.data() + i * pr.ldc,
                pr.ldc, std::min<int64_t>(12, M - i), N, pr.alpha, pr.beta);
          }
          expect(std::memcmp(C.data(), ref.data(), C.size() * sizeof(float)) == 0,
                 describe(pr, "avx512 narrow vs 12x32 bitwise"));
        }
      }
    }
  }
  // Large enough to use both threads: the row tiles split between them, same bits.
  const int64_t big[][3] = {{3000, 10, 200}, {2000, 16, 300}, {1500, 13, 700}, {2020, 8, 150}};
  for (int t = 0; t < 4; ++t) {
    for (const auto& s : big) {
      const Problem pr = make_problem(t & 1, t & 2, s[0], s[1], s[2], 1.25f, 0.0f, 2);
      neurite::set_num_threads(1);
      const std::vector<float> c1 = run(uk, pr);
      neurite::set_num_threads(2);
      const std::vector<float> c2 = run(uk, pr);
      expect(std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(float)) == 0,
             describe(pr, "avx512 narrow") + " 1 vs 2 threads bitwise");
      expect(check_full(pr, c2).empty(), describe(pr, "avx512 narrow 2 threads"),
             check_full(pr, c2));
    }
  }
}

}  // namespace

int main() {
  const UKernels* avx = neurite::ukernels_avx2_fma();
  std::printf("dispatch: %s; threads: %d\n", neurite::ukernels().isa, neurite::num_threads());
  if (!avx) std::printf("skip: avx2-fma tests (CPU lacks AVX2 or FMA); baseline only\n");
  if (!neurite::ukernels_avx512()) std::printf("skip: avx512 tests (CPU or OS lacks AVX-512F)\n");

  test_microkernels();
  test_degenerate();
  test_small_sizes();
  test_blocked_sizes();
  test_thread_count();
  test_pack_a_32t();
  test_narrow_paths();
  test_batched();
  for (const UKernels* uk : tables()) test_large(uk, false, false);
  test_large(nullptr, true, true);
  test_large(nullptr, true, false);

  return neurite_test::finish();
}
