// Fused recurrent kernels (see rnn.h). Forward: the input projection of all steps is one GEMM
// (bias rows first, beta = 1), then per step one recurrent GEMM onto that step's gates and
// one fused pass (activations, state update, masking by lengths) parallel over rows x units.
// Backward: per step one fused pass and one GEMM for dh_{t-1}; dW_ih, dW_hh, dx and the
// biases are products over all steps at the end, from the gate gradients kept per step.
// The passes with activations are in rnn_units.h, built for each ISA (this file: the baseline
// table); the ones left here clamp with comparisons, which GCC vectorizes only when it may
// assume that floating-point operations do not trap (nothing here enables traps).
#pragma GCC optimize("no-trapping-math")

#include "rnn.h"

#include <algorithm>
#include <cstring>

#include "../runtime/check.h"
#include "../runtime/dispatch.h"
#include "../runtime/pool.h"
#include "gemm.h"
#define NEURITE_RNN_UNITS_IMPL
#include "rnn_units.h"

namespace neurite {
namespace {

// Calls fn(n, j0, j1) for every row n < N and unit block [j0, j1) of [0, H); on the pool when
// the step is large enough to pay for waking it. Blocks of 256 units: the AVX-512 passes then
// run 16 vectors per loop instead of 4 (LSTM forward T=50 N=32 H=256 -4% against 64), and a
// step with N * H >= 4096 still has >= 16 blocks to share.
template <class Fn>
void for_units(int64_t N, int64_t H, const Fn& fn) {
  constexpr int64_t kBlock = 256;
  if (N * H < 4096 || num_threads() == 1) {
    for (int64_t n = 0; n < N; ++n) fn(n, int64_t{0}, H);
    return;
  }
  const int64_t nb = (H + kBlock - 1) / kBlock;
  parallel_for(N * nb, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t n = b / nb, j0 = b % nb * kBlock;
      fn(n, j0, std::min(H, j0 + kBlock));
    }
  });
}

// acc[j] = sum over rows of m[r * ld + j], j < cols (fixed order per column).
void column_sums(const float* m, int64_t rows, int64_t cols, int64_t ld, float* acc) {
  auto run = [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) acc[j] = 0.0f;
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = m + r * ld;
      for (int64_t j = j0; j < j1; ++j) acc[j] += row[j];
    }
  };
  if (rows * cols < 65536) {
    run(0, cols);
    return;
  }
  parallel_for(cols, 64, run);
}

bool has_extra(const RnnConfig& c) {
  return c.mode == kGru || (c.mode == kLstm && (c.flags & kRnnProj));
}

// Forward workspace: gates [T, N, GH] (activations after the pass), hs [T+1, N, P], cs
// [T+1, N, H] (LSTM), extra [T, N, H] (GRU: W_hn h + b_hn, or r * h; LSTM proj: o * tanh(c)),
// consts [3H] (peephole weights or zeros; GRU b_hn or zeros), scratch [N, GH].
// States are stored by time: the state fed into step t is at slot t (forward) or t + 1
// (reverse), the state it makes at t + 1 (forward) or t (reverse).
struct FwdWs {
  float *gates, *hs, *cs, *extra, *consts, *scratch;
};

FwdWs split_forward(const RnnConfig& c, float* ws) {
  const int64_t GH = rnn_gate_count(c) * c.H, TN = c.T * c.N;
  FwdWs w;
  w.gates = ws;
  ws += TN * GH;
  w.hs = ws;
  ws += (c.T + 1) * c.N * c.P;
  w.cs = ws;
  if (c.mode == kLstm) ws += (c.T + 1) * c.N * c.H;
  w.extra = ws;
  if (has_extra(c)) ws += TN * c.H;
  w.consts = ws;
  ws += 3 * c.H;
  w.scratch = ws;
  return w;
}

// Backward scratch: dG [T, N, GH] (pre-activation gate gradients, input side), dG2 [T, N, GH]
// (GRU: hidden side), dhs [T, N, P] (LSTM proj: dL/dh_t), dh [N, P], dc [N, H], tmp [N, max(H, P)].
struct BwdWs {
  float *dG, *dG2, *dhs, *dh, *dc, *tmp;
};

BwdWs split_backward(const RnnConfig& c, float* ws) {
  const int64_t GH = rnn_gate_count(c) * c.H, TN = c.T * c.N;
  BwdWs w;
  w.dG = ws;
  ws += TN * GH;
  w.dG2 = ws;
  if (c.mode == kGru) ws += TN * GH;
  w.dhs = ws;
  if (c.flags & kRnnProj) ws += TN * c.P;
  w.dh = ws;
  ws += c.N * c.P;
  w.dc = ws;
  ws += c.N * c.H;
  w.tmp = ws;
  return w;
}

inline bool active(const int32_t* lengths, int64_t n, int64_t t) {
  return lengths == nullptr || t < lengths[n];
}

void copy_or_zero(float* dst, const float* src, int64_t n) {
  if (src) std::memcpy(dst, src, sizeof(float) * n);
  else std::memset(dst, 0, sizeof(float) * n);
}

}  // namespace

const RnnUnits kRnnUnitsBaseline = rnn_units_table("baseline");

const RnnUnits& rnn_units() {
  // the table named like the GEMM table, so NEURITE_ISA switches both
  static const RnnUnits* table = [] {
    const char* isa = ukernels().isa;
    if (std::strcmp(isa, "avx512") == 0 && rnn_units_avx512()) return rnn_units_avx512();
    if (std::strcmp(isa, "avx2-fma") == 0 && rnn_units_avx2_fma()) return rnn_units_avx2_fma();
    return rnn_units_baseline();
  }();
  return *table;
}

const RnnUnits* rnn_units_baseline() { return &kRnnUnitsBaseline; }

const RnnUnits* rnn_units_avx2_fma() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  return cpu_has_avx2_fma() ? &kRnnUnitsAvx2Fma : nullptr;
#else
  return nullptr;
#endif
}

const RnnUnits* rnn_units_avx512() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  return cpu_has_avx512() ? &kRnnUnitsAvx512 : nullptr;
#else
  return nullptr;
#endif
}

int64_t rnn_gate_count(const RnnConfig& c) {
  if (c.mode == kLstm) return (c.flags & kRnnCoupled) ? 3 : 4;
  if (c.mode == kGru) return 3;
  return 1;
}

int64_t rnn_forward_workspace_floats(const RnnConfig& c) {
  const int64_t GH = rnn_gate_count(c) * c.H, TN = c.T * c.N;
  int64_t n = TN * GH + (c.T + 1) * c.N * c.P + 3 * c.H + c.N * GH;
  if (c.mode == kLstm) n += (c.T + 1) * c.N * c.H;
  if (has_extra(c)) n += TN * c.H;
  return n;
}

int64_t rnn_backward_workspace_floats(const RnnConfig& c) {
  const int64_t GH = rnn_gate_count(c) * c.H, TN = c.T * c.N;
  int64_t n = TN * GH + c.N * c.P + c.N * c.H + c.N * std::max(c.H, c.P);
  if (c.mode == kGru) n += TN * GH;
  if (c.flags & kRnnProj) n += TN * c.P;
  return n;
}

int64_t rnn_param_grad_floats(const RnnConfig& c) {
  const int64_t GH = rnn_gate_count(c) * c.H;
  int64_t n = GH * c.F + GH * c.P + 2 * GH;
  if (c.flags & kRnnProj) n += c.P * c.H;
  if (c.flags & kRnnPeephole) n += 3 * c.H;
  return n;
}

void rnn_forward(const RnnConfig& c, const float* x, const int32_t* lengths, const float* h0,
                 const float* c0, const float* w_ih, const float* w_hh, const float* b_ih,
                 const float* b_hh, const float* w_hr, const float* w_peep, float* out,
                 float* h_n, float* c_n, float* ws) {
  const int64_t T = c.T, N = c.N, F = c.F, H = c.H, P = c.P;
  const int64_t GH = rnn_gate_count(c) * H;
  const bool rev = c.flags & kRnnReverse, proj = c.flags & kRnnProj;
  const bool lstm = c.mode == kLstm, gru = c.mode == kGru;
  const bool reset_after = c.flags & kRnnResetAfter;
  FwdWs w = split_forward(c, ws);
  const RnnUnits& units = rnn_units();
  // H == 0 (so P == 0): out, h_n and c_n are empty; nothing to compute however long T x N
  if (N == 0 || H == 0) return;

  // constants: peephole weights or zeros (LSTM), b_hn or zeros (GRU)
  std::memset(w.consts, 0, sizeof(float) * 3 * H);
  if (lstm && (c.flags & kRnnPeephole)) std::memcpy(w.consts, w_peep, sizeof(float) * 3 * H);
  if (gru && reset_after && b_hh) std::memcpy(w.consts, b_hh + 2 * H, sizeof(float) * H);

  // phase 1: gates = bias + x · W_ihᵀ for all steps (b_hh folded in unless GRU's b_hn)
  float* bias = w.scratch;
  for (int64_t j = 0; j < GH; ++j) {
    float b = b_ih ? b_ih[j] : 0.0f;
    if (b_hh && !(gru && reset_after && j >= 2 * H)) b += b_hh[j];
    bias[j] = b;
  }
  const int64_t TN = T * N;
  parallel_for(TN, 256, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) std::memcpy(w.gates + r * GH, bias, sizeof(float) * GH);
  });
  if (TN > 0) gemm(false, true, TN, GH, F, 1.0f, x, F, w_ih, F, 1.0f, w.gates, GH);

  const int64_t first = rev ? T : 0;
  copy_or_zero(w.hs + first * N * P, h0, N * P);
  if (lstm) copy_or_zero(w.cs + first * N * H, c0, N * H);

  // phase 2: the recurrence
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = rev ? T - 1 - s : s;
    const int64_t prev = rev ? t + 1 : t, next = rev ? t : t + 1;
    const float* hp = w.hs + prev * N * P;
    float* hn = w.hs + next * N * P;
    float* g = w.gates + t * N * GH;
    float* o = out + t * N * P;
    float* ex = w.extra + t * N * H;
    if (c.mode == kRnnTanh || c.mode == kRnnRelu) {
      gemm(false, true, N, H, H, 1.0f, hp, H, w_hh, H, 1.0f, g, H);
      const bool relu = c.mode == kRnnRelu;
      for_units(N, H, [&](int64_t n, int64_t j0, int64_t j1) {
        const float* a = g + n * H;
        float* h = hn + n * H;
        float* on = o + n * H;
        if (!active(lengths, n, t)) {
          for (int64_t j = j0; j < j1; ++j) h[j] = hp[n * H + j], on[j] = 0.0f;
        } else if (relu) {
          for (int64_t j = j0; j < j1; ++j) h[j] = on[j] = a[j] > 0.0f ? a[j] : 0.0f;
        } else {
          units.rnn_tanh(h, on, a, j0, j1);
        }
      });
    } else if (lstm) {
      const float* cp = w.cs + prev * N * H;
      float* cn = w.cs + next * N * H;
      gemm(false, true, N, GH, P, 1.0f, hp, P, w_hh, P, 1.0f, g, GH);
      const bool coupled = c.flags & kRnnCoupled;
      for_units(N, H, [&](int64_t n, int64_t j0, int64_t j1) {
        float* cnr = cn + n * H;
        const float* cpr = cp + n * H;
        if (!active(lengths, n, t)) {
          for (int64_t j = j0; j < j1; ++j) cnr[j] = cpr[j];
          if (!proj)
            for (int64_t j = j0; j < j1; ++j) hn[n * H + j] = hp[n * H + j], o[n * H + j] = 0.0f;
          return;
        }
        float* h = proj ? ex + n * H : hn + n * H;
        (coupled ? units.lstm_coupled : units.lstm)(g + n * GH, H, cpr, cnr, h, w.consts, j0, j1);
        if (!proj) std::memcpy(o + n * H + j0, h + j0, sizeof(float) * (j1 - j0));
      });
      if (proj) {
        gemm(false, true, N, P, H, 1.0f, ex, H, w_hr, H, 0.0f, hn, P);
        for (int64_t n = 0; n < N; ++n) {
          if (active(lengths, n, t)) {
            std::memcpy(o + n * P, hn + n * P, sizeof(float) * P);
          } else {
            std::memcpy(hn + n * P, hp + n * P, sizeof(float) * P);
            std::memset(o + n * P, 0, sizeof(float) * P);
          }
        }
      }
    } else if (reset_after) {  // GRU, PyTorch form
      float* gh = w.scratch;
      gemm(false, true, N, GH, H, 1.0f, hp, H, w_hh, H, 0.0f, gh, GH);
      const float* bhn = w.consts;
      for_units(N, H, [&](int64_t n, int64_t j0, int64_t j1) {
        const float* hpr = hp + n * H;
        float* h = hn + n * H;
        float* on = o + n * H;
        if (!active(lengths, n, t)) {
          for (int64_t j = j0; j < j1; ++j) h[j] = hpr[j], on[j] = 0.0f;
          return;
        }
        units.gru(g + n * GH, gh + n * GH, H, bhn, hpr, ex + n * H, h, j0, j1);
        std::memcpy(on + j0, h + j0, sizeof(float) * (j1 - j0));
      });
    } else {  // GRU, original form: n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)
      gemm(false, true, N, 2 * H, H, 1.0f, hp, H, w_hh, H, 1.0f, g, GH);
      for_units(N, H, [&](int64_t n, int64_t j0, int64_t j1) {
        units.gru_before_rz(g + n * GH, H, hp + n * H, ex + n * H, j0, j1);
      });
      gemm(false, true, N, H, H, 1.0f, ex, H, w_hh + 2 * H * H, H, 1.0f, g + 2 * H, GH);
      for_units(N, H, [&](int64_t n, int64_t j0, int64_t j1) {
        const float* hpr = hp + n * H;
        float* h = hn + n * H;
        float* on = o + n * H;
        if (!active(lengths, n, t)) {
          for (int64_t j = j0; j < j1; ++j) h[j] = hpr[j], on[j] = 0.0f;
          return;
        }
        units.gru_before_n(g + n * GH, H, hpr, h, on, j0, j1);
      });
    }
  }

  const int64_t last = rev ? 0 : T;
  if (h_n) std::memcpy(h_n, w.hs + last * N * P, sizeof(float) * N * P);
  if (lstm && c_n) std::memcpy(c_n, w.cs + last * N * H, sizeof(float) * N * H);
}

void rnn_backward(const RnnConfig& c, const float* x, const int32_t* lengths, const float* w_ih,
                  const float* w_hh, const float* w_hr, const float* w_peep, const float* ws,
                  const float* dout, const float* dh_n, const float* dc_n, float* dx,
                  float* dh0, float* dc0, float* dparams, float* bws) {
  (void)w_peep;  // the forward kept a copy in its workspace (zeros without peepholes)
  const int64_t T = c.T, N = c.N, F = c.F, H = c.H, P = c.P, TN = T * N;
  const int64_t GH = rnn_gate_count(c) * H;
  const bool rev = c.flags & kRnnReverse, proj = c.flags & kRnnProj;
  const bool lstm = c.mode == kLstm, gru = c.mode == kGru;
  const bool reset_after = c.flags & kRnnResetAfter, coupled = c.flags & kRnnCoupled;
  // the forward workspace is only read
  const FwdWs w = split_forward(c, const_cast<float*>(ws));
  BwdWs b = split_backward(c, bws);
  const RnnUnits& units = rnn_units();
  float* dw_ih = dparams;
  float* dw_hh = dw_ih + GH * F;
  float* db_ih = dw_hh + GH * P;
  float* db_hh = db_ih + GH;
  float* dw_hr = db_hh + GH;
  float* dw_peep = dw_hr + (proj ? P * H : 0);
  if (H == 0) {
    // no state: x does not reach any output, and every parameter is empty
    if (dx) std::memset(dx, 0, sizeof(float) * static_cast<size_t>(TN * F));
    std::memset(dparams, 0, sizeof(float) * rnn_param_grad_floats(c));
    return;
  }
  if (N == 0) {
    std::memset(dparams, 0, sizeof(float) * rnn_param_grad_floats(c));
    return;
  }

  copy_or_zero(b.dh, dh_n, N * P);
  if (lstm) copy_or_zero(b.dc, dc_n, N * H);

  for (int64_t s = T - 1; s >= 0; --s) {
    const int64_t t = rev ? T - 1 - s : s;
    const int64_t prev = rev ? t + 1 : t, next = rev ? t : t + 1;
    const float* hp = w.hs + prev * N * P;
    const float* hn = w.hs + next * N * P;
    const float* g = w.gates + t * N * GH;
    const float* ex = w.extra + t * N * H;
    float* dG = b.dG + t * N * GH;
    float* dh = b.dh;
    // dL/dh_t = carried + this step's output gradient (active rows only)
    for (int64_t n = 0; n < N; ++n) {
      if (!active(lengths, n, t)) continue;
      if (dout) {
        const float* d = dout + (t * N + n) * P;
        for (int64_t j = 0; j < P; ++j) dh[n * P + j] += d[j];
      }
    }
    if (c.mode == kRnnTanh || c.mode == kRnnRelu) {
      const bool relu = c.mode == kRnnRelu;
      for_units(N, H, [&](int64_t n, int64_t j0, int64_t j1) {
        float* dgr = dG + n * H;
        if (!active(lengths, n, t)) {
          for (int64_t j = j0; j < j1; ++j) dgr[j] = 0.0f;
          return;
        }
        const float* h = hn + n * H;
        float* d = dh + n * H;
        for (int64_t j = j0; j < j1; ++j) {
          dgr[j] = relu ? (h[j] > 0.0f ? d[j] : 0.0f) : d[j] * (1.0f - h[j] * h[j]);
          d[j] = 0.0f;
        }
      });
      gemm(false, false, N, H, H, 1.0f, dG, H, w_hh, H, 1.0f, dh, H);
    } else if (lstm) {
      const float* cp = w.cs + prev * N * H;
      const float* cn = w.cs + next * N * H;
      const float* dht = dh;
      if (proj) {
        float* dhs = b.dhs + t * N * P;
        gemm(false, false, N, H, P, 1.0f, dh, P, w_hr, H, 0.0f, b.tmp, H);
        for (int64_t n = 0; n < N; ++n) {
          if (active(lengths, n, t)) {
            std::memcpy(dhs + n * P, dh + n * P, sizeof(float) * P);
            std::memset(dh + n * P, 0, sizeof(float) * P);
          } else {
            std::memset(dhs + n * P, 0, sizeof(float) * P);
          }
        }
        dht = b.tmp;
      }
      for_units(N, H, [&](int64_t n, int64_t j0, int64_t j1) {
        float* dgr = dG + n * GH;
        if (!active(lengths, n, t)) {
          for (int64_t k = 0; k < GH / H; ++k)
            for (int64_t j = j0; j < j1; ++j) dgr[k * H + j] = 0.0f;
          return;
        }
        (coupled ? units.lstm_coupled_backward : units.lstm_backward)(
            g + n * GH, H, cp + n * H, cn + n * H, dht + n * H, b.dc + n * H, dgr, w.consts, j0,
            j1);
        if (!proj)
          for (int64_t j = j0; j < j1; ++j) dh[n * H + j] = 0.0f;
      });
      gemm(false, false, N, P, GH, 1.0f, dG, GH, w_hh, P, 1.0f, dh, P);
    } else if (reset_after) {
      float* dG2 = b.dG2 + t * N * GH;
      for_units(N, H, [&](int64_t n, int64_t j0, int64_t j1) {
        float* di = dG + n * GH;
        float* dhh = dG2 + n * GH;
        if (!active(lengths, n, t)) {
          for (int64_t k = 0; k < 3; ++k)
            for (int64_t j = j0; j < j1; ++j) di[k * H + j] = 0.0f, dhh[k * H + j] = 0.0f;
          return;
        }
        units.gru_backward(g + n * GH, ex + n * H, H, hp + n * H, dh + n * H, di, dhh, j0, j1);
      });
      gemm(false, false, N, H, GH, 1.0f, dG2, GH, w_hh, H, 1.0f, dh, H);
    } else {
      for_units(N, H, [&](int64_t n, int64_t j0, int64_t j1) {
        float* di = dG + n * GH;
        if (!active(lengths, n, t)) {
          for (int64_t k = 0; k < 3; ++k)
            for (int64_t j = j0; j < j1; ++j) di[k * H + j] = 0.0f;
          return;
        }
        const float* gz = g + n * GH + H;
        const float* gn = gz + H;
        const float* hpr = hp + n * H;
        float* d = dh + n * H;
        for (int64_t j = j0; j < j1; ++j) {
          const float z = gz[j], nv = gn[j], dv = d[j];
          di[2 * H + j] = dv * (1.0f - z) * (1.0f - nv * nv);
          di[H + j] = dv * (hpr[j] - nv) * z * (1.0f - z);
          d[j] = dv * z;
        }
      });
      float* da = b.tmp;
      gemm(false, false, N, H, H, 1.0f, dG + 2 * H, GH, w_hh + 2 * H * H, H, 0.0f, da, H);
      for_units(N, H, [&](int64_t n, int64_t j0, int64_t j1) {
        if (!active(lengths, n, t)) return;
        float* di = dG + n * GH;
        const float* gr = g + n * GH;
        const float* hpr = hp + n * H;
        const float* dan = da + n * H;
        float* d = dh + n * H;
        for (int64_t j = j0; j < j1; ++j) {
          const float r = gr[j];
          di[j] = dan[j] * hpr[j] * r * (1.0f - r);
          d[j] += dan[j] * r;
        }
      });
      gemm(false, false, N, H, 2 * H, 1.0f, dG, GH, w_hh, H, 1.0f, dh, H);
    }
  }

  if (dh0) std::memcpy(dh0, b.dh, sizeof(float) * N * P);
  if (lstm && dc0) std::memcpy(dc0, b.dc, sizeof(float) * N * H);

  // products over all steps
  const float* hprev = w.hs + (rev ? N * P : 0);  // [T, N, P]: the state fed into step t
  gemm(true, false, GH, F, TN, 1.0f, b.dG, GH, x, F, 0.0f, dw_ih, F);
  if (dx) gemm(false, false, TN, F, GH, 1.0f, b.dG, GH, w_ih, F, 0.0f, dx, F);
  column_sums(b.dG, TN, GH, GH, db_ih);
  if (gru && reset_after) {
    gemm(true, false, GH, H, TN, 1.0f, b.dG2, GH, hprev, H, 0.0f, dw_hh, H);
    column_sums(b.dG2, TN, GH, GH, db_hh);
  } else {
    if (gru) {
      gemm(true, false, 2 * H, H, TN, 1.0f, b.dG, GH, hprev, H, 0.0f, dw_hh, H);
      gemm(true, false, H, H, TN, 1.0f, b.dG + 2 * H, GH, w.extra, H, 0.0f, dw_hh + 2 * H * H,
           H);
    } else {
      gemm(true, false, GH, P, TN, 1.0f, b.dG, GH, hprev, P, 0.0f, dw_hh, P);
    }
    std::memcpy(db_hh, db_ih, sizeof(float) * GH);
  }
  if (proj) gemm(true, false, P, H, TN, 1.0f, b.dhs, P, w.extra, H, 0.0f, dw_hr, H);
  if (c.flags & kRnnPeephole) {
    // dw_ci = Σ dpre_i · c_{t-1}, dw_cf = Σ dpre_f · c_{t-1}, dw_co = Σ dpre_o · c_t
    const int64_t off_i = 0, off_f = coupled ? 0 : H, off_o = coupled ? 2 * H : 3 * H;
    parallel_for(H, 64, [&](int64_t j0, int64_t j1) {
      for (int64_t j = j0; j < j1; ++j) dw_peep[j] = dw_peep[H + j] = dw_peep[2 * H + j] = 0.0f;
      for (int64_t t = 0; t < T; ++t) {
        const float* cp = w.cs + (rev ? t + 1 : t) * N * H;
        const float* cn = w.cs + (rev ? t : t + 1) * N * H;
        for (int64_t n = 0; n < N; ++n) {
          const float* d = b.dG + (t * N + n) * GH;
          for (int64_t j = j0; j < j1; ++j) {
            if (!coupled) dw_peep[j] += d[off_i + j] * cp[n * H + j];
            dw_peep[H + j] += d[off_f + j] * cp[n * H + j];
            dw_peep[2 * H + j] += d[off_o + j] * cn[n * H + j];
          }
        }
      }
    });
  }
}

}  // namespace neurite
