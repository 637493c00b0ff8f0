// Tests for the MaxPool2d(2) forward twins of kernels/pool.*: the baseline (SSE2 on x86-64),
// AVX2 and AVX-512 loops against the definition, bit for bit (values compared as bits: -0 is
// not +0, NaN payloads kept), as is the scalar twin: the first maximum in window order, a NaN
// over a number. Every row length 1 .. 20 outputs and some longer, odd and even H and W, 1 to 9
// planes, values from a small set (ties everywhere) with NaN, +-inf and -0 sprinkled in; also
// max_pool2d_backward's offset check. AVX2 and AVX-512 cases are skipped with a message on a
// CPU without them. Prints each failure and "N passed, N failed".
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../kernels/pool.h"
#include "harness.h"

namespace {

using neurite::MaxPool2x2Forward;
using neurite_test::expect;

std::mt19937 g_rng(20261126);

uint32_t bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}

// Values from a small set so that windows tie; one in `special` of them is NaN, +-inf or -0.
std::vector<float> sample(int64_t n, int special) {
  const float inf = std::numeric_limits<float>::infinity();
  const float set[] = {0.f, -0.f, 1.f, -1.f, 0.5f, 2.f, -2.5f, 3.f};
  const float odd[] = {std::nanf(""), -std::nanf("7"), inf, -inf, -0.f};
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) {
    const uint32_t r = g_rng();
    v = special > 0 && r % special == 0 ? odd[(r >> 8) % 5] : set[(r >> 16) % 8];
  }
  return x;
}

// The definition: scan (0,0) (0,1) (1,0) (1,1); a value replaces the best when larger, or
// when it is NaN and the best is not.
void reference(std::vector<float>* y, std::vector<int32_t>* idx, const std::vector<float>& x,
               int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW) {
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        float best = 0.f;
        int64_t at = -1;
        for (int64_t i = 0; i < 2; ++i)
          for (int64_t j = 0; j < 2; ++j) {
            const int64_t k = (2 * oh + i) * W + 2 * ow + j;
            const float v = x[static_cast<size_t>(p * H * W + k)];
            if (at < 0 || v > best || (std::isnan(v) && !std::isnan(best))) best = v, at = k;
          }
        (*y)[static_cast<size_t>((p * OH + oh) * OW + ow)] = best;
        (*idx)[static_cast<size_t>((p * OH + oh) * OW + ow)] = static_cast<int32_t>(at);
      }
}

// The first mismatch of twin f against want, or "".
std::string compare(MaxPool2x2Forward f, const std::vector<float>& x,
                    const std::vector<float>& want_y, const std::vector<int32_t>& want_idx,
                    int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW) {
  // one spare element each side shows writes out of range
  const size_t n = static_cast<size_t>(planes * OH * OW);
  std::vector<float> y(n + 2, -123.f);
  std::vector<int32_t> idx(n + 2, -77);
  f(y.data() + 1, idx.data() + 1, x.data(), planes, H, W, OH, OW);
  if (bits(y[0]) != bits(-123.f) || bits(y[n + 1]) != bits(-123.f) || idx[0] != -77 ||
      idx[n + 1] != -77)
    return "wrote outside y or idx";
  for (size_t i = 0; i < n; ++i)
    if (bits(y[i + 1]) != bits(want_y[i]) || idx[i + 1] != want_idx[i])
      return "output " + std::to_string(i) + ": y " + std::to_string(y[i + 1]) + " idx " +
             std::to_string(idx[i + 1]) + ", want " + std::to_string(want_y[i]) + " idx " +
             std::to_string(want_idx[i]);
  return "";
}

void test_twins() {
  const MaxPool2x2Forward avx512 = neurite::max_pool2x2_forward_avx512();
  const MaxPool2x2Forward avx2 = neurite::max_pool2x2_forward_avx2_fma();
  if (!avx512) std::printf("skip: AVX-512 twin (the CPU or OS lacks AVX-512F)\n");
  if (!avx2) std::printf("skip: AVX2 twin (the CPU lacks AVX2 or FMA)\n");
  std::vector<int64_t> widths;
  for (int64_t w = 2; w <= 41; ++w) widths.push_back(w);
  for (int64_t w : {52, 63, 64, 65, 66, 97}) widths.push_back(w);
  for (int64_t W : widths)
    for (int64_t H : {2, 3, 4, 7, 11})
      for (int64_t planes : {1, 2, 9})
        for (int special : {0, 7}) {
          const int64_t OH = H / 2, OW = W / 2;
          const std::vector<float> x = sample(planes * H * W, special);
          std::vector<float> y(static_cast<size_t>(planes * OH * OW));
          std::vector<int32_t> idx(y.size());
          reference(&y, &idx, x, planes, H, W, OH, OW);
          const std::string name = "H=" + std::to_string(H) + " W=" + std::to_string(W) +
                                   " planes=" + std::to_string(planes) +
                                   (special ? " with NaN/inf/-0" : "");
          std::string e = compare(neurite::max_pool2x2_forward__scalar, x, y, idx, planes, H, W,
                                  OH, OW);
          expect(e.empty(), "scalar twin = definition, " + name, e);
          e = compare(neurite::max_pool2x2_forward_baseline(), x, y, idx, planes, H, W, OH, OW);
          expect(e.empty(), "baseline twin = definition, " + name, e);
          if (avx2) {
            e = compare(avx2, x, y, idx, planes, H, W, OH, OW);
            expect(e.empty(), "avx2 twin = definition, " + name, e);
          }
          if (avx512) {
            e = compare(avx512, x, y, idx, planes, H, W, OH, OW);
            expect(e.empty(), "avx512 twin = definition, " + name, e);
          }
        }
}

void test_backward_offsets() {
  // planes 2, HW 4, P 2
  const float dy[] = {1.f, -0.f, 2.f, 3.f};
  float dx[8];
  const int32_t good[] = {3, -1, 0, 0};
  expect(neurite::max_pool2d_backward(2, 4, 2, dy, good, dx), "backward takes -1 and [0, HW)");
  const float want[] = {0.f, 0.f, 0.f, 1.f, 5.f, 0.f, 0.f, 0.f};
  bool same = true;
  for (int i = 0; i < 8; ++i) same &= bits(dx[i]) == bits(want[i]);
  expect(same, "backward scatters and accumulates, +0 where nothing lands");
  const int32_t high[] = {3, 1, 4, 0}, low[] = {0, 1, 2, -2};
  expect(!neurite::max_pool2d_backward(2, 4, 2, dy, high, dx), "backward refuses offset HW");
  expect(!neurite::max_pool2d_backward(2, 4, 2, dy, low, dx), "backward refuses offset -2");
}

}  // namespace

int main() {
  test_twins();
  test_backward_offsets();
  return neurite_test::finish();
}
