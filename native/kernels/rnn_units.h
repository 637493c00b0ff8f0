// The per-step elementwise passes of the fused recurrent kernels (rnn.cc): gate activations,
// state updates and their gradients for units [j0, j1) of one row. Plain loops with no
// intrinsics, compiled three times: in rnn.cc (baseline), x86/rnn_units_avx2_fma.cc and
// x86/rnn_units_avx512.cc, each exporting one RnnUnits table; rnn_units() picks one at load.
// The three give bitwise equal results: the same operations in the same order, rounded after
// each one (fp-contract=off below: GCC fuses a*b+c into an FMA even under -std=c++17). Only a
// NaN result may differ in sign: which NaN an operation passes on depends on operand order,
// and the compiler commutes a + b and a * b as registers suit it.
#pragma once
#include <cstdint>

namespace neurite {

// Pointers are rows of the row-major buffers of rnn.cc; H is the row's unit count, the gates
// of a row are packed with stride H. No aliasing between arguments; only [j0, j1) of each gate
// is read or written.
struct RnnUnits {
  const char* isa;  // "avx512", "avx2-fma" or "baseline"
  // LSTM forward. g [G*H] in: pre-activations, out: activations (i, f, g, o; coupled: f, g, o
  // with i = 1 - f). cp [H] in: c_{t-1}; cn, h [H] out: c_t, o * tanh(c_t).
  // peep [3*H]: w_ci, w_cf, w_co (zeros without peepholes).
  void (*lstm)(float* g, int64_t H, const float* cp, float* cn, float* h, const float* peep,
               int64_t j0, int64_t j1);
  void (*lstm_coupled)(float* g, int64_t H, const float* cp, float* cn, float* h,
                       const float* peep, int64_t j0, int64_t j1);
  // LSTM backward. g [G*H], cp, cn [H] in: the forward's activations and states; dht [H] in:
  // dL/dh_t; dc [H] in: dL/dc_t, out: dL/dc_{t-1}; dG [G*H] out: pre-activation gradients.
  void (*lstm_backward)(const float* g, int64_t H, const float* cp, const float* cn,
                        const float* dht, float* dc, float* dG, const float* peep, int64_t j0,
                        int64_t j1);
  void (*lstm_coupled_backward)(const float* g, int64_t H, const float* cp, const float* cn,
                                const float* dht, float* dc, float* dG, const float* peep,
                                int64_t j0, int64_t j1);
  // GRU (reset after) forward. g [3*H] in: input side with b_ih and b_hr, b_hz, out: r, z, n;
  // gh [3*H] in: h_{t-1} · W_hhᵀ; bhn [H]; hp [H] in: h_{t-1}; a [H] out: W_hn h + b_hn;
  // h [H] out: h_t.
  void (*gru)(float* g, const float* gh, int64_t H, const float* bhn, const float* hp, float* a,
              float* h, int64_t j0, int64_t j1);
  // GRU (reset after) backward. g [3*H], a, hp [H] in (forward); dh [H] in: dL/dh_t, out: its
  // direct part dh ⊙ z; di, dhh [3*H] out: input-side and hidden-side gate gradients.
  void (*gru_backward)(const float* g, const float* a, int64_t H, const float* hp, float* dh,
                       float* di, float* dhh, int64_t j0, int64_t j1);
  // GRU (reset before) forward, first pass: g [3*H] in: pre-activations of r, z (n untouched),
  // out: r, z; hp [H] in: h_{t-1}; rh [H] out: r * h_{t-1}.
  void (*gru_before_rz)(float* g, int64_t H, const float* hp, float* rh, int64_t j0, int64_t j1);
  // Second pass, after W_hn (r * h) was added to n: g [3*H] in: z, pre-activation of n, out: n;
  // hp [H] in; h, out [H] out: h_t.
  void (*gru_before_n)(float* g, int64_t H, const float* hp, float* h, float* out, int64_t j0,
                       int64_t j1);
  // Elman RNN, tanh: h, out [H] out: tanh(a); a [H] in.
  void (*rnn_tanh)(float* h, float* out, const float* a, int64_t j0, int64_t j1);
};

// The table in use: the one named like ukernels().isa ("avx512", "avx2-fma", else the baseline),
// so NEURITE_ISA=avx2 or =baseline switches it too.
const RnnUnits& rnn_units();
// Tables by name, for twin tests: the baseline always exists; AVX2/FMA is null when the CPU
// lacks AVX2 or FMA, AVX-512 when cpu_has_avx512() is false.
const RnnUnits* rnn_units_baseline();
const RnnUnits* rnn_units_avx2_fma();
const RnnUnits* rnn_units_avx512();

// Defined in rnn.cc and x86/rnn_units_{avx2_fma,avx512}.cc; use the accessors above.
extern const RnnUnits kRnnUnitsBaseline;
extern const RnnUnits kRnnUnitsAvx2Fma;
extern const RnnUnits kRnnUnitsAvx512;

// The loops, for the three files that build a table (define NEURITE_RNN_UNITS_IMPL before
// including). They sit in an unnamed namespace, so each file keeps its own copy: a shared inline
// copy could be the one the linker keeps, and baseline code would run AVX-512 instructions.
// The clamps compare; GCC vectorizes them only when it may assume that floating-point operations
// do not trap (results are unchanged: nothing here enables traps).
#ifdef NEURITE_RNN_UNITS_IMPL
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math", "fp-contract=off")
namespace {

// exp for the gates: Cephes' expf polynomial with Cody-Waite reduction, branch-free so the
// loops vectorize (about 2 ulp; inputs clamped to [-87, 88]).
inline float exp_approx(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float t = x * 1.44269504088896341f + magic;  // magic + n, n in the low mantissa bits
  const float n = t - magic;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n from t's bits; unsigned, so a NaN (whose bits are no n) is no undefined behaviour
  uint32_t e;
  __builtin_memcpy(&e, &t, sizeof e);
  e = (e - 0x4b400000u + 127u) << 23;
  float s;
  __builtin_memcpy(&s, &e, sizeof s);
  return p * s;
}

inline float sigmoid(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

inline float tanh_approx(float x) {
  const float e = exp_approx(-2.0f * __builtin_fabsf(x));
  return __builtin_copysignf((1.0f - e) / (1.0f + e), x);
}

template <bool kCoupled>
inline void lstm_units(float* __restrict g, int64_t H, const float* __restrict cp,
                       float* __restrict cn, float* __restrict h, const float* __restrict peep,
                       int64_t j0, int64_t j1) {
  float* gi = kCoupled ? nullptr : g;
  float* gf = kCoupled ? g : g + H;
  float* gg = gf + H;
  float* go = gg + H;
  const float* wci = peep;
  const float* wcf = peep + H;
  const float* wco = peep + 2 * H;
  // One pass per activation. In a single loop a unit's update is a chain of five dependent
  // exps and divisions, longer than the out-of-order window holds, so consecutive vectors
  // hardly overlap (3x slower at every ISA); with one exp per pass several are in flight.
  for (int64_t j = j0; j < j1; ++j) gf[j] = sigmoid(gf[j] + wcf[j] * cp[j]);
  if constexpr (!kCoupled)
    for (int64_t j = j0; j < j1; ++j) gi[j] = sigmoid(gi[j] + wci[j] * cp[j]);
  for (int64_t j = j0; j < j1; ++j) {
    const float i = kCoupled ? 1.0f - gf[j] : gi[j];
    const float gv = tanh_approx(gg[j]);
    gg[j] = gv;
    cn[j] = gf[j] * cp[j] + i * gv;
  }
  for (int64_t j = j0; j < j1; ++j) go[j] = sigmoid(go[j] + wco[j] * cn[j]);
  for (int64_t j = j0; j < j1; ++j) h[j] = go[j] * tanh_approx(cn[j]);
}

template <bool kCoupled>
inline void lstm_units_backward(const float* __restrict g, int64_t H,
                                const float* __restrict cp, const float* __restrict cn,
                                const float* __restrict dht, float* __restrict dc,
                                float* __restrict dG, const float* __restrict peep, int64_t j0,
                                int64_t j1) {
  const float* gi = kCoupled ? nullptr : g;
  const float* gf = kCoupled ? g : g + H;
  const float* gg = gf + H;
  const float* go = gg + H;
  float* dgi = kCoupled ? nullptr : dG;
  float* dgf = kCoupled ? dG : dG + H;
  float* dgg = dgf + H;
  float* dgo = dgg + H;
  const float* wci = peep;
  const float* wcf = peep + H;
  const float* wco = peep + 2 * H;
  for (int64_t j = j0; j < j1; ++j) {
    const float tc = tanh_approx(cn[j]);
    const float o = go[j], f = gf[j], gv = gg[j], c_prev = cp[j];
    const float dpo = dht[j] * tc * o * (1.0f - o);
    const float dcv = dc[j] + dht[j] * o * (1.0f - tc * tc) + dpo * wco[j];
    float i, dpi, dpf;
    if constexpr (kCoupled) {
      i = 1.0f - f;
      dpi = 0.0f;
      dpf = dcv * (c_prev - gv) * f * (1.0f - f);
    } else {
      i = gi[j];
      dpi = dcv * gv * i * (1.0f - i);
      dpf = dcv * c_prev * f * (1.0f - f);
      dgi[j] = dpi;
    }
    dgf[j] = dpf;
    dgg[j] = dcv * i * (1.0f - gv * gv);
    dgo[j] = dpo;
    dc[j] = dcv * f + dpi * wci[j] + dpf * wcf[j];
  }
}

inline void gru_units(float* __restrict g, const float* __restrict gh, int64_t H,
                      const float* __restrict bhn, const float* __restrict hp,
                      float* __restrict a, float* __restrict h, int64_t j0, int64_t j1) {
  // one pass per activation, as in lstm_units
  for (int64_t j = j0; j < j1; ++j) g[j] = sigmoid(g[j] + gh[j]);
  for (int64_t j = j0; j < j1; ++j) g[H + j] = sigmoid(g[H + j] + gh[H + j]);
  for (int64_t j = j0; j < j1; ++j) {
    const float r = g[j], z = g[H + j];
    const float av = gh[2 * H + j] + bhn[j];
    const float nv = tanh_approx(g[2 * H + j] + r * av);
    g[2 * H + j] = nv, a[j] = av;
    h[j] = (1.0f - z) * nv + z * hp[j];
  }
}

inline void gru_units_backward(const float* __restrict g, const float* __restrict a, int64_t H,
                               const float* __restrict hp, float* __restrict dh,
                               float* __restrict di, float* __restrict dhh, int64_t j0,
                               int64_t j1) {
  for (int64_t j = j0; j < j1; ++j) {
    const float r = g[j], z = g[H + j], nv = g[2 * H + j], dv = dh[j];
    const float dpn = dv * (1.0f - z) * (1.0f - nv * nv);
    const float dpz = dv * (hp[j] - nv) * z * (1.0f - z);
    const float dpr = dpn * a[j] * r * (1.0f - r);
    di[j] = dpr, di[H + j] = dpz, di[2 * H + j] = dpn;
    dhh[j] = dpr, dhh[H + j] = dpz, dhh[2 * H + j] = dpn * r;
    dh[j] = dv * z;
  }
}

inline void gru_units_before_rz(float* __restrict g, int64_t H, const float* __restrict hp,
                                float* __restrict rh, int64_t j0, int64_t j1) {
  float* gr = g;
  float* gz = g + H;
  for (int64_t j = j0; j < j1; ++j) {
    const float r = sigmoid(gr[j]);
    gr[j] = r;
    gz[j] = sigmoid(gz[j]);
    rh[j] = r * hp[j];
  }
}

inline void gru_units_before_n(float* __restrict g, int64_t H, const float* __restrict hp,
                               float* __restrict h, float* __restrict out, int64_t j0,
                               int64_t j1) {
  const float* gz = g + H;
  float* gn = g + 2 * H;
  for (int64_t j = j0; j < j1; ++j) {
    const float nv = tanh_approx(gn[j]);
    const float z = gz[j];
    const float hv = (1.0f - z) * nv + z * hp[j];
    gn[j] = nv;
    h[j] = hv, out[j] = hv;
  }
}

inline void rnn_tanh_units(float* __restrict h, float* __restrict out, const float* __restrict a,
                           int64_t j0, int64_t j1) {
  for (int64_t j = j0; j < j1; ++j) h[j] = out[j] = tanh_approx(a[j]);
}

// This file's copies as a table.
constexpr RnnUnits rnn_units_table(const char* isa) {
  return {isa,
          lstm_units<false>,
          lstm_units<true>,
          lstm_units_backward<false>,
          lstm_units_backward<true>,
          gru_units,
          gru_units_backward,
          gru_units_before_rz,
          gru_units_before_n,
          rnn_tanh_units};
}

}  // namespace
#pragma GCC pop_options
#endif  // NEURITE_RNN_UNITS_IMPL

}  // namespace neurite
