// The recurrent unit passes (kernels/rnn_units.h): the AVX2/FMA and AVX-512 tables against the
// baseline, bitwise, on the same inputs: every function, unit counts around the vector widths
// (1 .. 257) and ranges [j0, j1) with odd starts and ends, over ordinary values and over values
// with NaN, +-inf, +-0, denormals and huge magnitudes mixed in. Also checks that nothing outside
// [j0, j1) is written, and the baseline's forward passes against double precision. A NaN
// result only has to be a NaN (its sign depends on operand order; see g_nan_sign).
// Prints `N passed, N failed`; exit status 1 on any failure.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "../kernels/rnn_units.h"
#include "harness.h"

namespace {

using neurite::RnnUnits;
using neurite_test::expect;

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// NaN results whose sign differs from the baseline's. Which NaN an operation returns when both
// operands are NaN (or an invalid operation meets a NaN input: the default NaN is negative on
// x86) depends on operand order, and the compiler commutes a + b and a * b as register
// allocation suits it; plain C++ cannot pin that down. Counted and printed, not failed.
int64_t g_nan_sign = 0;

// Marks floats a pass must not write: a NaN no arithmetic produces.
const float kSentinel = from_bits(0x7fc5a5a5u);

struct Rng {
  uint64_t s;
  uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(s >> 32);
  }
  float uniform(float lo, float hi) { return lo + (hi - lo) * (next() >> 8) * (1.0f / 16777216); }
};

const float kSpecials[] = {
    std::numeric_limits<float>::quiet_NaN(),
    -std::numeric_limits<float>::quiet_NaN(),
    std::numeric_limits<float>::infinity(),
    -std::numeric_limits<float>::infinity(),
    0.0f,
    -0.0f,
    1e-40f,
    -1e-40f,
    std::numeric_limits<float>::max(),
    -std::numeric_limits<float>::max(),
    1e30f,
    -1e30f,
    100.0f,
    -100.0f,
    88.5f,
    -88.5f,
    87.2f,
    -87.2f,
    44.0f,
    -44.0f,
    9.0f,
    -9.0f,
};

// Ordinary values in [-lim, lim]; with `special`, about one in four from kSpecials.
std::vector<float> values(Rng& rng, size_t n, float lim, bool special) {
  std::vector<float> v(n);
  for (auto& x : v) {
    if (special && rng.next() % 4 == 0) {
      x = kSpecials[rng.next() % (sizeof kSpecials / sizeof kSpecials[0])];
    } else {
      x = rng.uniform(-lim, lim);
    }
  }
  return v;
}

// One argument buffer of a pass: `gates` blocks of H floats; outputs start as kSentinel.
struct Buf {
  const char* name;
  int gates;
  bool output;
  float lim;  // magnitude of the ordinary values
  std::vector<float> v;
};

struct Pass {
  const char* name;
  std::vector<Buf> bufs;  // prototypes: name, gates, output, lim
  std::function<void(const RnnUnits&, std::vector<Buf>&, int64_t H, int64_t j0, int64_t j1)> run;
};

float* p(std::vector<Buf>& b, int i) { return b[static_cast<size_t>(i)].v.data(); }

std::vector<Pass> passes() {
  std::vector<Pass> ps;
  // LSTM forward: g, cp, cn, h, peep
  for (bool coupled : {false, true}) {
    ps.push_back({coupled ? "lstm_coupled" : "lstm",
                  {{"g", coupled ? 3 : 4, false, 6.0f, {}},
                   {"cp", 1, false, 4.0f, {}},
                   {"cn", 1, true, 0, {}},
                   {"h", 1, true, 0, {}},
                   {"peep", 3, false, 1.0f, {}}},
                  [coupled](const RnnUnits& u, std::vector<Buf>& b, int64_t H, int64_t j0,
                            int64_t j1) {
                    (coupled ? u.lstm_coupled : u.lstm)(p(b, 0), H, p(b, 1), p(b, 2), p(b, 3),
                                                        p(b, 4), j0, j1);
                  }});
  }
  // LSTM backward: g (activations), cp, cn, dht, dc, dG, peep
  for (bool coupled : {false, true}) {
    ps.push_back(
        {coupled ? "lstm_coupled_backward" : "lstm_backward",
         {{"g", coupled ? 3 : 4, false, 1.0f, {}},
          {"cp", 1, false, 4.0f, {}},
          {"cn", 1, false, 4.0f, {}},
          {"dht", 1, false, 2.0f, {}},
          {"dc", 1, false, 2.0f, {}},
          {"dG", coupled ? 3 : 4, true, 0, {}},
          {"peep", 3, false, 1.0f, {}}},
         [coupled](const RnnUnits& u, std::vector<Buf>& b, int64_t H, int64_t j0, int64_t j1) {
           (coupled ? u.lstm_coupled_backward : u.lstm_backward)(
               p(b, 0), H, p(b, 1), p(b, 2), p(b, 3), p(b, 4), p(b, 5), p(b, 6), j0, j1);
         }});
  }
  ps.push_back({"gru",
                {{"g", 3, false, 6.0f, {}},
                 {"gh", 3, false, 4.0f, {}},
                 {"bhn", 1, false, 1.0f, {}},
                 {"hp", 1, false, 1.0f, {}},
                 {"a", 1, true, 0, {}},
                 {"h", 1, true, 0, {}}},
                [](const RnnUnits& u, std::vector<Buf>& b, int64_t H, int64_t j0, int64_t j1) {
                  u.gru(p(b, 0), p(b, 1), H, p(b, 2), p(b, 3), p(b, 4), p(b, 5), j0, j1);
                }});
  ps.push_back({"gru_backward",
                {{"g", 3, false, 1.0f, {}},
                 {"a", 1, false, 4.0f, {}},
                 {"hp", 1, false, 1.0f, {}},
                 {"dh", 1, false, 2.0f, {}},
                 {"di", 3, true, 0, {}},
                 {"dhh", 3, true, 0, {}}},
                [](const RnnUnits& u, std::vector<Buf>& b, int64_t H, int64_t j0, int64_t j1) {
                  u.gru_backward(p(b, 0), p(b, 1), H, p(b, 2), p(b, 3), p(b, 4), p(b, 5), j0, j1);
                }});
  ps.push_back({"gru_before_rz",
                {{"g", 3, false, 6.0f, {}}, {"hp", 1, false, 1.0f, {}}, {"rh", 1, true, 0, {}}},
                [](const RnnUnits& u, std::vector<Buf>& b, int64_t H, int64_t j0, int64_t j1) {
                  u.gru_before_rz(p(b, 0), H, p(b, 1), p(b, 2), j0, j1);
                }});
  ps.push_back({"gru_before_n",
                {{"g", 3, false, 6.0f, {}},
                 {"hp", 1, false, 1.0f, {}},
                 {"h", 1, true, 0, {}},
                 {"out", 1, true, 0, {}}},
                [](const RnnUnits& u, std::vector<Buf>& b, int64_t H, int64_t j0, int64_t j1) {
                  u.gru_before_n(p(b, 0), H, p(b, 1), p(b, 2), p(b, 3), j0, j1);
                }});
  ps.push_back({"rnn_tanh",
                {{"h", 1, true, 0, {}}, {"out", 1, true, 0, {}}, {"a", 1, false, 12.0f, {}}},
                [](const RnnUnits& u, std::vector<Buf>& b, int64_t H, int64_t j0, int64_t j1) {
                  u.rnn_tanh(p(b, 0), p(b, 1), p(b, 2), j0, j1);
                }});
  return ps;
}

std::vector<Buf> inputs(const Pass& pass, int64_t H, bool special, uint64_t seed) {
  Rng rng{seed};
  std::vector<Buf> b = pass.bufs;
  for (auto& x : b) {
    const size_t n = static_cast<size_t>(x.gates * H);
    x.v = x.output ? std::vector<float>(n, kSentinel) : values(rng, n, x.lim, special);
  }
  return b;
}

std::string where(const Pass& pass, const char* isa, int64_t H, int64_t j0, int64_t j1,
                  bool special) {
  char s[160];
  std::snprintf(s, sizeof s, "%s %s H=%lld [%lld, %lld)%s", pass.name, isa,
                static_cast<long long>(H), static_cast<long long>(j0),
                static_cast<long long>(j1), special ? " specials" : "");
  return s;
}

// Runs every pass on `t` and the baseline; results must match bit for bit, and floats outside
// [j0, j1) of every gate block must keep their initial bits.
void check_twin(const RnnUnits& t) {
  const RnnUnits& base = *neurite::rnn_units_baseline();
  const int64_t sizes[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 47, 64, 65, 100, 257};
  uint64_t seed = 1;
  for (const Pass& pass : passes()) {
    for (int64_t H : sizes) {
      std::vector<std::pair<int64_t, int64_t>> ranges = {{0, H}, {0, 0}};
      if (H > 1) ranges.push_back({1, H});
      if (H > 5) ranges.push_back({3, H - 2});
      if (H > 40) ranges.push_back({17, 40});
      for (auto [j0, j1] : ranges) {
        for (bool special : {false, true}) {
          const std::vector<Buf> init = inputs(pass, H, special, ++seed);
          std::vector<Buf> want = init, got = init;
          pass.run(base, want, H, j0, j1);
          pass.run(t, got, H, j0, j1);
          int64_t differ = 0, stray = 0;
          std::string first;
          for (size_t k = 0; k < init.size(); ++k) {
            for (size_t i = 0; i < init[k].v.size(); ++i) {
              const int64_t j = static_cast<int64_t>(i) % H;
              const float a = got[k].v[i], b = want[k].v[i];
              if (bits(a) != bits(b) && std::isnan(a) && std::isnan(b)) {
                ++g_nan_sign;
              } else if (bits(a) != bits(b)) {
                if (differ++ == 0) {
                  char s[120];
                  std::snprintf(s, sizeof s, "%s[%zu]: %08x, baseline %08x", init[k].name, i,
                                bits(got[k].v[i]), bits(want[k].v[i]));
                  first = s;
                }
              }
              if ((j < j0 || j >= j1) && bits(got[k].v[i]) != bits(init[k].v[i])) ++stray;
            }
          }
          const std::string w = where(pass, t.isa, H, j0, j1, special);
          expect(differ == 0, w + " is bitwise the baseline (NaN: any NaN)",
                 std::to_string(differ) + " floats differ, first " + first);
          expect(stray == 0, w + " writes only [j0, j1)",
                 std::to_string(stray) + " floats outside changed");
        }
      }
    }
  }
}

// The baseline's forward passes against the same formulas in double: the exp approximation
// and the activations stay within a few float ulps of [0, 1] or [-1, 1] quantities.
double sigmoid_d(double x) { return 1.0 / (1.0 + std::exp(-x)); }

void check_accuracy() {
  const RnnUnits& u = *neurite::rnn_units_baseline();
  const int64_t H = 257;
  Rng rng{99};
  const std::vector<float> g0 = values(rng, 4 * H, 12.0f, false);
  const std::vector<float> cp = values(rng, H, 4.0f, false);
  const std::vector<float> peep = values(rng, 3 * H, 1.0f, false);
  const std::vector<float> hp = values(rng, H, 1.0f, false);
  const double tol = 2e-6;

  {  // LSTM: c = f c_prev + i g, h = o tanh(c)
    std::vector<float> g = g0, cn(H), h(H);
    u.lstm(g.data(), H, cp.data(), cn.data(), h.data(), peep.data(), 0, H);
    double err = 0;
    for (int64_t j = 0; j < H; ++j) {
      const double i = sigmoid_d(double(g0[j]) + double(peep[j]) * cp[j]);
      const double f = sigmoid_d(double(g0[H + j]) + double(peep[H + j]) * cp[j]);
      const double gv = std::tanh(double(g0[2 * H + j]));
      const double c = f * cp[j] + i * gv;
      const double o = sigmoid_d(double(g0[3 * H + j]) + double(peep[2 * H + j]) * c);
      err = std::fmax(err, std::fabs(cn[j] - c) / (1.0 + std::fabs(c)));
      err = std::fmax(err, std::fabs(h[j] - o * std::tanh(c)));
      err = std::fmax(err, std::fabs(g[j] - i) + std::fabs(g[H + j] - f));
      err = std::fmax(err, std::fabs(g[2 * H + j] - gv) + std::fabs(g[3 * H + j] - o));
    }
    expect(err < tol, "lstm baseline within 2e-6 of double", "max error " + std::to_string(err));
  }
  {  // GRU (reset after): n = tanh(g_n + r (gh_n + b_hn)), h = (1 - z) n + z h_prev
    std::vector<float> g(g0.begin(), g0.begin() + 3 * H), a(H), h(H);
    const std::vector<float> gh(g0.begin() + H, g0.end());
    u.gru(g.data(), gh.data(), H, peep.data(), hp.data(), a.data(), h.data(), 0, H);
    double err = 0;
    for (int64_t j = 0; j < H; ++j) {
      const double r = sigmoid_d(double(g0[j]) + gh[j]);
      const double z = sigmoid_d(double(g0[H + j]) + gh[H + j]);
      const double av = double(gh[2 * H + j]) + peep[j];
      const double n = std::tanh(double(g0[2 * H + j]) + r * av);
      err = std::fmax(err, std::fabs(h[j] - ((1 - z) * n + z * hp[j])));
      err = std::fmax(err, std::fabs(g[j] - r) + std::fabs(g[H + j] - z));
      err = std::fmax(err, std::fabs(g[2 * H + j] - n) + std::fabs(a[j] - av) / 8);
    }
    expect(err < tol, "gru baseline within 2e-6 of double", "max error " + std::to_string(err));
  }
  {  // tanh over [-12, 12]
    std::vector<float> h(H), out(H);
    u.rnn_tanh(h.data(), out.data(), g0.data(), 0, H);
    double err = 0;
    for (int64_t j = 0; j < H; ++j) err = std::fmax(err, std::fabs(h[j] - std::tanh(g0[j])));
    expect(err < tol && h == out, "rnn_tanh baseline within 2e-6 of double",
           "max error " + std::to_string(err));
  }
}

}  // namespace

int main() {
  check_accuracy();
  const RnnUnits* twins[] = {neurite::rnn_units_avx2_fma(), neurite::rnn_units_avx512()};
  const char* names[] = {"avx2-fma", "avx512"};
  for (int k = 0; k < 2; ++k) {
    if (twins[k]) check_twin(*twins[k]);
    else std::printf("skipped %s: the CPU lacks it\n", names[k]);
  }
  std::printf("NaN results with another sign or payload than the baseline's: %lld\n",
              static_cast<long long>(g_nan_sign));
  std::printf("table in use: %s\n", neurite::rnn_units().isa);
  return neurite_test::finish();
}
