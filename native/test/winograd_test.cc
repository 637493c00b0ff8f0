// Tests for kernels/winograd.*: conv2d_forward_winograd against a direct convolution summed
// in double, on odd and even sizes, output sizes that are not multiples of the 4x4 tile, top /
// left padding 0..2 and asymmetric bottom / right padding, batch 1 and several, small and large
// C and K, with and without bias; results must be bitwise the same on 1, 2 and 3 threads.
// Standalone: prints each failure, the error figures and "N passed, N failed"; exits nonzero on
// any failure.
//
// Tolerance: Winograd F(4x4, 3x3) also rounds in its transforms, whose entries reach 8 (A^T)
// and 5/2 (B^T), and the GEMMs sum products that are larger than the direct ones, so its
// float32 error is several times the im2col path's (printed side by side below: ~3-7e-6
// against ~0.5-1.6e-6 at outputs of O(1), C = 64..512). Inputs in [-1, 1] and weights in
// [-1, 1] / sqrt(9C) give outputs of O(1), as in the JS tests, which compare with PyTorch at
// atol 1e-4 + rtol 1e-3. We require |y - ref| <= 2e-5 + 2e-4 |ref|, 5x tighter, about 3x the
// largest error seen, and print the largest errors so the margin stays visible.
#include "../kernels/winograd.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../kernels/conv.h"
#include "../runtime/pool.h"
#include "harness.h"

namespace {

using neurite::Conv2dGeom;

double g_max_abs = 0, g_max_rel = 0;  // over all cases, relative to max(|ref|, 1)

using neurite_test::expect;

std::mt19937 g_rng(20261125);

std::vector<float> uniform(int64_t n, float scale) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(static_cast<size_t>(std::max<int64_t>(n, 1)));
  for (auto& e : v) e = dist(g_rng);
  return v;
}

// Direct convolution in double (3x3, stride 1, groups 1).
std::vector<double> reference(const Conv2dGeom& g, const float* x, const float* w,
                              const float* bias) {
  std::vector<double> y(static_cast<size_t>(g.N * g.K * g.OH * g.OW));
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t k = 0; k < g.K; ++k)
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          double s = bias ? bias[k] : 0.0;
          for (int64_t c = 0; c < g.C; ++c)
            for (int64_t i = 0; i < 3; ++i) {
              const int64_t ih = oh - g.pt + i;
              if (ih < 0 || ih >= g.H) continue;
              for (int64_t j = 0; j < 3; ++j) {
                const int64_t iw = ow - g.pl + j;
                if (iw < 0 || iw >= g.W) continue;
                s += double(w[((k * g.C + c) * 3 + i) * 3 + j]) *
                     double(x[((n * g.C + c) * g.H + ih) * g.W + iw]);
              }
            }
          y[((n * g.K + k) * g.OH + oh) * g.OW + ow] = s;
        }
  return y;
}

Conv2dGeom geom(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t pt, int64_t pl,
                int64_t OH, int64_t OW) {
  return Conv2dGeom{N, C, H, W, K, 3, 3, OH, OW, 1, 1, pt, pl, 1, 1, 1};
}

std::string describe(const Conv2dGeom& g, bool bias) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "N=%lld C=%lld H=%lld W=%lld K=%lld pt=%lld pl=%lld OH=%lld "
                "OW=%lld bias=%d", (long long)g.N, (long long)g.C, (long long)g.H,
                (long long)g.W, (long long)g.K, (long long)g.pt, (long long)g.pl,
                (long long)g.OH, (long long)g.OW, int(bias));
  return buf;
}

const neurite::WinogradKernels* g_wk = nullptr;  // the twin under test

// x_shift moves the inputs to [x_shift - 1, x_shift + 1] (1: non-negative, as after a ReLU).
void check(const Conv2dGeom& g, bool with_bias, bool print = false, float x_shift = 0.f) {
  const std::string name = std::string(g_wk->isa) + " " + describe(g, with_bias) +
                           (x_shift != 0.f ? " x in [0, 2]" : "");
  auto x = uniform(g.N * g.C * g.H * g.W, 1.f);
  for (auto& e : x) e += x_shift;
  const auto w = uniform(g.K * g.C * 9, 1.f / std::sqrt(9.f * std::max<int64_t>(g.C, 1)));
  const auto b = uniform(g.K, 0.5f);
  const float* bias = with_bias ? b.data() : nullptr;
  const auto ref = reference(g, x.data(), w.data(), bias);
  const size_t ny = ref.size();
  std::vector<float> y1(ny + 1, NAN), y2(ny + 1, NAN), y3(ny + 1, NAN);
  y1[ny] = y2[ny] = y3[ny] = 12345.f;  // guard: nothing past y is written
  neurite::set_num_threads(1);
  const bool ok1 =
      neurite::conv2d_forward_winograd_with(*g_wk, g, x.data(), w.data(), bias, y1.data());
  neurite::set_num_threads(2);
  const bool ok2 =
      neurite::conv2d_forward_winograd_with(*g_wk, g, x.data(), w.data(), bias, y2.data());
  neurite::set_num_threads(3);
  const bool ok3 =
      neurite::conv2d_forward_winograd_with(*g_wk, g, x.data(), w.data(), bias, y3.data());
  neurite::set_num_threads(2);
  expect(ok1 && ok2 && ok3, name, "returned false");
  expect(y1[ny] == 12345.f && y2[ny] == 12345.f && y3[ny] == 12345.f, name, "wrote past y");
  double max_abs = 0, max_rel = 0, worst = 0;
  size_t bad = ny;
  for (size_t i = 0; i < ny; ++i) {
    const double e = std::fabs(double(y1[i]) - ref[i]);
    if (!(e <= 2e-5 + 2e-4 * std::fabs(ref[i])) && bad == ny) bad = i;
    max_abs = std::max(max_abs, e);
    max_rel = std::max(max_rel, e / std::max(1.0, std::fabs(ref[i])));
    worst = std::max(worst, std::fabs(ref[i]));
  }
  char detail[200] = "";
  if (bad < ny)
    std::snprintf(detail, sizeof detail, "y[%zu] = %.8g, reference %.8g", bad, y1[bad],
                  ref[bad]);
  expect(bad == ny, name, detail);
  expect(std::memcmp(y1.data(), y2.data(), ny * sizeof(float)) == 0 &&
             std::memcmp(y1.data(), y3.data(), ny * sizeof(float)) == 0,
         name, "1, 2 and 3 threads differ");
  g_max_abs = std::max(g_max_abs, max_abs);
  g_max_rel = std::max(g_max_rel, max_rel);
  if (print) {  // with the im2col path's error for scale
    std::vector<float> yd(ny);
    neurite::conv2d_forward(g, x.data(), w.data(), bias, yd.data());
    double direct = 0;
    for (size_t i = 0; i < ny; ++i) direct = std::max(direct, std::fabs(double(yd[i]) - ref[i]));
    std::printf("  %-82s max |err| %.2e  max |err|/max(1,|ref|) %.2e  max |ref| %.2f  im2col "
                "max |err| %.2e\n", name.c_str(), max_abs, max_rel, worst, direct);
  }
}

double g_w_max_rel = 0;  // weight gradient: max |err| / the kernel's largest sum |terms|

// conv2d_backward_weight_winograd against sums in double: dw[k, c, i, j] = sum over n, oh, ow
// of dy[n, k, oh, ow] * x[n, c, oh - pt + i, ow - pl + j], db[k] = sum of dy[., k]. dw sums
// N * OH * OW products, and the transforms mix the 9 sums of a kernel, so the bound scales
// with the largest sum of magnitudes |terms| among those 9: |err| <= 1e-6 + 2e-5 |terms|.
void check_weight(const Conv2dGeom& g, bool with_bias) {
  const std::string name = std::string(g_wk->isa) + " weight gradient " + describe(g, with_bias);
  const int64_t P = g.OH * g.OW, nw = g.K * g.C * 9;
  const auto x = uniform(g.N * g.C * g.H * g.W, 1.f);
  const auto dy = uniform(g.N * g.K * P, 1.f);
  std::vector<double> ref(static_cast<size_t>(nw)), mag(static_cast<size_t>(nw)), rb(g.K);
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t k = 0; k < g.K; ++k)
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const double d = dy[((n * g.K + k) * g.OH + oh) * g.OW + ow];
          rb[k] += d;
          for (int64_t c = 0; c < g.C; ++c)
            for (int64_t i = 0; i < 3; ++i) {
              const int64_t ih = oh - g.pt + i;
              if (ih < 0 || ih >= g.H) continue;
              for (int64_t j = 0; j < 3; ++j) {
                const int64_t iw = ow - g.pl + j;
                if (iw < 0 || iw >= g.W) continue;
                const double t = d * x[((n * g.C + c) * g.H + ih) * g.W + iw];
                ref[((k * g.C + c) * 3 + i) * 3 + j] += t;
                mag[((k * g.C + c) * 3 + i) * 3 + j] += std::fabs(t);
              }
            }
        }
  std::vector<float> w[3], b[3];
  bool ok = true;
  for (int th = 1; th <= 3; ++th) {
    w[th - 1].assign(nw + 1, NAN);
    b[th - 1].assign(g.K + 1, NAN);
    w[th - 1][nw] = b[th - 1][g.K] = 12345.f;  // guards
    neurite::set_num_threads(th);
    ok = neurite::conv2d_backward_weight_winograd_with(*g_wk, g, x.data(), dy.data(),
                                                       w[th - 1].data(),
                                                       with_bias ? b[th - 1].data() : nullptr) &&
         ok;
  }
  neurite::set_num_threads(2);
  expect(ok, name, "returned false");
  expect(w[0][nw] == 12345.f && w[1][nw] == 12345.f && w[2][nw] == 12345.f &&
             b[0][g.K] == 12345.f && b[1][g.K] == 12345.f && b[2][g.K] == 12345.f,
         name, "wrote past dw or db");
  int64_t bad = -1;
  for (int64_t i = 0; i < nw; ++i) {
    // the transforms mix a kernel's 9 sums: scale by the largest of them
    double scale = 0;
    for (int64_t r = i / 9 * 9; r < i / 9 * 9 + 9; ++r) scale = std::max(scale, mag[r]);
    const double e = std::fabs(double(w[0][i]) - ref[i]);
    if (!(e <= 1e-6 + 2e-5 * scale) && bad < 0) bad = i;
    if (scale > 0) g_w_max_rel = std::max(g_w_max_rel, e / scale);
  }
  char detail[200] = "";
  if (bad >= 0)
    std::snprintf(detail, sizeof detail, "dw[%lld] = %.8g, reference %.8g (|terms| %.4g)",
                  (long long)bad, w[0][bad], ref[bad], mag[bad]);
  expect(bad < 0, name, detail);
  if (with_bias) {
    int64_t badb = -1;
    for (int64_t k = 0; k < g.K; ++k)
      if (!(std::fabs(b[0][k] - rb[k]) <= 1e-5 * (1 + g.N * P)) && badb < 0) badb = k;
    expect(badb < 0, name, "db differs from the sum of dy");
  }
  expect(std::memcmp(w[0].data(), w[1].data(), nw * sizeof(float)) == 0 &&
             std::memcmp(w[0].data(), w[2].data(), nw * sizeof(float)) == 0 &&
             (!with_bias || (std::memcmp(b[0].data(), b[1].data(), g.K * sizeof(float)) == 0 &&
                             std::memcmp(b[0].data(), b[2].data(), g.K * sizeof(float)) == 0)),
         name, "1, 2 and 3 threads differ");
}

void run_cases() {
  // sizes and paddings: odd / even, output sizes off the tile grid, 'same', 'valid', the
  // backward-input form (pt = pl = 2, output larger than the input), asymmetric padding
  for (int64_t H : {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13}) {
    for (int64_t W : {1, 3, 4, 6, 10, 13}) {
      for (int64_t p : {0, 1, 2}) {
        for (int64_t pb : {0, 1, 2}) {
          const int64_t OH = H + p + pb - 2, OW = W + p + pb - 2;
          if (OH < 1 || OW < 1) continue;
          const Conv2dGeom g = geom(1 + (H + W) % 3, 2 + W % 3, H, W, 3 + H % 2, p, p, OH, OW);
          check(g, (H + p) % 2);
          check_weight(g, (H + pb) % 2);
        }
      }
    }
  }
  // unequal top and left padding, odd channel counts, blocks spanning images
  check(geom(3, 5, 9, 14, 7, 0, 2, 9, 14), true);
  check(geom(2, 17, 15, 12, 19, 2, 1, 14, 11), false);
  check(geom(5, 16, 13, 13, 32, 1, 1, 13, 13), true);
  check(geom(64, 32, 13, 13, 64, 0, 0, 11, 11), true);   // LeNet conv2
  check(geom(64, 64, 11, 11, 32, 2, 2, 13, 13), false);  // its input gradient
  check(geom(4, 64, 32, 32, 64, 1, 1, 32, 32), true);    // the bench shape, small batch
  check(geom(1, 1, 6, 6, 1, 0, 0, 4, 4), false);
  check(geom(2, 9, 7, 8, 5, 4, 3, 13, 9), true);    // padding beyond the kernel: zero tiles
  check(geom(3, 8, 12, 11, 6, 1, 0, 5, 7), false);  // output cropped well inside the input
  check(geom(2, 0, 5, 5, 3, 1, 1, 5, 5), true);  // C = 0: bias only
  // the weight gradient on shapes with many tiles, slots and blocks
  check_weight(geom(64, 32, 13, 13, 64, 0, 0, 11, 11), true);  // LeNet conv2
  check_weight(geom(4, 64, 32, 32, 64, 1, 1, 32, 32), true);   // the bench shape, small batch
  check_weight(geom(3, 5, 9, 14, 7, 0, 2, 9, 14), true);
  check_weight(geom(2, 17, 15, 12, 19, 2, 1, 14, 11), false);
  check_weight(geom(2, 9, 7, 8, 5, 4, 3, 13, 9), true);    // padding beyond the kernel
  check_weight(geom(3, 8, 12, 11, 6, 1, 0, 5, 7), false);  // output cropped inside the input
  check_weight(geom(2, 0, 5, 5, 3, 1, 1, 5, 5), true);     // C = 0: db only
  check_weight(geom(2, 8, 0, 5, 3, 0, 0, 0, 3), true);     // no output rows: zeros
  // accuracy at O(1) values as C grows
  std::printf("%s accuracy (inputs in [-1, 1], weights in [-1, 1] / sqrt(9C)):\n", g_wk->isa);
  for (int64_t C : {64, 128, 256, 512})
    check(geom(2, C, 16, 16, 32, 1, 1, 16, 16), true, true);
  for (int64_t C : {64, 512}) check(geom(2, C, 16, 16, 32, 1, 1, 16, 16), true, true, 1.f);
}

}  // namespace

int main() {
  g_wk = neurite::winograd_kernels_baseline();
  run_cases();
  g_wk = neurite::winograd_kernels_avx2_fma();
  if (g_wk) {
    run_cases();
  } else {
    std::printf("skipped the AVX2/FMA transforms: the CPU lacks AVX2 or FMA\n");
  }
  g_wk = neurite::winograd_kernels_avx512();
  if (g_wk) {
    run_cases();
  } else {
    std::printf("skipped the AVX-512 transforms: the CPU lacks AVX-512F\n");
  }
  // the public entry point picks a twin and gives the same numbers as that twin
  {
    const Conv2dGeom g = geom(3, 16, 10, 9, 16, 1, 1, 10, 9);
    const auto x = uniform(g.N * g.C * g.H * g.W, 1.f), w = uniform(g.K * g.C * 9, 0.1f);
    std::vector<float> a(g.N * g.K * g.OH * g.OW), b(a.size()), c(a.size()), d(a.size());
    neurite::conv2d_forward_winograd(g, x.data(), w.data(), nullptr, a.data());
    neurite::conv2d_forward_winograd_with(*neurite::winograd_kernels_baseline(), g, x.data(),
                                          w.data(), nullptr, b.data());
    if (const auto* k = neurite::winograd_kernels_avx2_fma())
      neurite::conv2d_forward_winograd_with(*k, g, x.data(), w.data(), nullptr, c.data());
    if (const auto* k = neurite::winograd_kernels_avx512())
      neurite::conv2d_forward_winograd_with(*k, g, x.data(), w.data(), nullptr, d.data());
    const size_t bytes = a.size() * sizeof(float);
    expect(std::memcmp(a.data(), b.data(), bytes) == 0 ||
               std::memcmp(a.data(), c.data(), bytes) == 0 ||
               std::memcmp(a.data(), d.data(), bytes) == 0,
           "conv2d_forward_winograd matches one of the twins");
  }
  std::printf("max |err| %.2e, max |err| / max(1, |ref|) %.2e over all cases\n", g_max_abs,
              g_max_rel);
  std::printf("weight gradient: max |err| / the kernel's largest sum |terms| %.2e over all cases\n",
              g_w_max_rel);
  return neurite_test::finish();
}
