// Fused recurrent kernels (RNN tanh/ReLU, LSTM and its variants, GRU in both forms): one call
// runs one layer in one direction over the whole sequence, forward or backward (BPTT).
// Equations: PyTorch's torch.nn.RNN/LSTM/GRU docs; peephole LSTM: Gers, Schraudolph &
// Schmidhuber 2002; GRU with reset before the projection: Cho et al. 2014.
#pragma once
#include <cstdint>

namespace neurite {

enum RnnMode : int { kRnnTanh = 0, kRnnRelu = 1, kLstm = 2, kGru = 3 };

// Flags (bits) of a layer-direction.
constexpr int kRnnReverse = 1;     // run t = T-1 .. 0
constexpr int kRnnPeephole = 2;    // LSTM: c feeds i, f (c_{t-1}) and o (c_t) through w_peep
constexpr int kRnnCoupled = 4;     // LSTM: i = 1 - f; gates packed (f, g, o)
constexpr int kRnnResetAfter = 8;  // GRU: n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
constexpr int kRnnProj = 16;       // LSTM: h = (o * tanh(c)) · W_hrᵀ, P = projSize

// Shape block (time-major, row-major):
//   x      [T, N, F]        input
//   h0     [N, P]           initial hidden state (null: zeros); P = H unless kRnnProj
//   c0     [N, H]           initial cell state (LSTM; null: zeros)
//   w_ih   [G·H, F]         input weights, gates packed in PyTorch order
//   w_hh   [G·H, P]         recurrent weights
//   b_ih   [G·H], b_hh [G·H]  biases (null: none)
//   w_hr   [P, H]           projection (kRnnProj)
//   w_peep [3, H]           peephole weights (w_ci, w_cf, w_co) (kRnnPeephole)
//   out    [T, N, P]        h_t, zeros at steps t >= lengths[n]
//   h_n    [N, P], c_n [N, H]  final states (after each sequence's last real step)
//   lengths [N]             valid steps per sequence, each in [0, T] (null: all T)
// G = 1 (RNN), 4 (LSTM), 3 (coupled LSTM: f, g, o), 3 (GRU: r, z, n).
struct RnnConfig {
  int mode;
  int flags;
  int64_t T, N, F, H, P;
};

int64_t rnn_gate_count(const RnnConfig& c);
// Floats of the forward workspace (what backward reads) and of the backward scratch.
int64_t rnn_forward_workspace_floats(const RnnConfig& c);
int64_t rnn_backward_workspace_floats(const RnnConfig& c);
// Floats of dparams: dw_ih [GH·F], dw_hh [GH·P], db_ih [GH], db_hh [GH], then dw_hr [P·H]
// (kRnnProj) and dw_peep [3·H] (kRnnPeephole).
int64_t rnn_param_grad_floats(const RnnConfig& c);

// Whole-sequence forward; fills out, h_n, c_n (LSTM; may be null) and the workspace ws.
void rnn_forward(const RnnConfig& c, const float* x, const int32_t* lengths, const float* h0,
                 const float* c0, const float* w_ih, const float* w_hh, const float* b_ih,
                 const float* b_hh, const float* w_hr, const float* w_peep, float* out,
                 float* h_n, float* c_n, float* ws);

// BPTT from the forward's workspace. dout, dh_n, dc_n may be null (zero); dx, dh0, dc0 may be
// null (not wanted). dparams is written (not accumulated). bws is scratch.
void rnn_backward(const RnnConfig& c, const float* x, const int32_t* lengths, const float* w_ih,
                  const float* w_hh, const float* w_hr, const float* w_peep, const float* ws,
                  const float* dout, const float* dh_n, const float* dc_n, float* dx,
                  float* dh0, float* dc0, float* dparams, float* bws);

}  // namespace neurite
