// Recurrent exports: rnnWorkspaceSizes, rnnForward, rnnBackward (one layer in one direction
// over a whole sequence; see kernels/rnn.h for the shapes and flags).
#include "../kernels/rnn.h"

#include <string>

#include "args.h"
#include "exports.h"

namespace neurite {
namespace {

constexpr int kKnownFlags = kRnnReverse | kRnnPeephole | kRnnCoupled | kRnnResetAfter | kRnnProj;

// mode, flags and dims [T, N, F, H, P] at arguments i, i+1, i+2, checked for consistency
// and so that every length the kernel computes stays below 2^53.
RnnConfig config(const Args& a, size_t i) {
  RnnConfig c;
  c.mode = static_cast<int>(a.integer(i, "mode", 0, 3));
  c.flags = static_cast<int>(a.integer(i + 1, "flags", 0, kKnownFlags));
  if (c.flags & ~kKnownFlags) a.range_error("flags must be a combination of 1, 2, 4, 8, 16, got " + std::to_string(c.flags));
  Dims d = a.dims(i + 2, "dims");
  if (d.rank != 5) a.range_error("dims must be [T, N, F, H, P], got " + std::to_string(d.rank) + " entries");
  for (int k = 0; k < 5; ++k)
    if (d.v[k] > INT32_MAX) a.range_error("dims must be at most 2^31 - 1 each");
  c.T = d.v[0], c.N = d.v[1], c.F = d.v[2], c.H = d.v[3], c.P = d.v[4];
  const bool lstm = c.mode == kLstm, gru = c.mode == kGru;
  if (!lstm && (c.flags & (kRnnPeephole | kRnnCoupled | kRnnProj)))
    a.range_error("flags peephole, coupled and proj need mode 2 (LSTM), got mode " + std::to_string(c.mode));
  if (!gru && (c.flags & kRnnResetAfter))
    a.range_error("flag resetAfter needs mode 3 (GRU), got mode " + std::to_string(c.mode));
  if (!(c.flags & kRnnProj) && c.P != c.H)
    a.range_error("P must equal H = " + std::to_string(c.H) + " without proj, got " + std::to_string(c.P));
  if ((c.flags & kRnnProj) && (c.P < 1 || c.P > c.H))
    a.range_error("P must be in [1, H = " + std::to_string(c.H) + "] with proj, got " + std::to_string(c.P));
  // every buffer is at most (T + 1) * N * 8 * (F + H + P + 1) + 16 * (H + P + 1)^2 floats
  const int64_t rows = a.mul("T * N", c.T + 1, c.N + 1);
  a.mul("workspace size", rows, 8 * (c.F + c.H + c.P + 1));
  a.mul("weight size", 16 * (c.H + c.P + 1), c.F + c.H + c.P + 1);
  return c;
}

// Optional Float32Array: null/undefined gives nullptr, else at least `need` elements.
float* opt_f32(const Args& a, size_t i, const char* name, int64_t need) {
  if (a.is_null(i)) return nullptr;
  Buf<float> b = a.f32(i, name);
  a.need(name, b.length, need);
  return b.data;
}

float* req_f32(const Args& a, size_t i, const char* name, int64_t need) {
  Buf<float> b = a.f32(i, name);
  a.need(name, b.length, need);
  return b.data;
}

const int32_t* lengths_arg(const Args& a, size_t i, const RnnConfig& c) {
  if (a.is_null(i)) return nullptr;
  Buf<int32_t> l = a.index_array(i, "lengths");
  a.need("lengths", l.length, c.N);
  for (int64_t n = 0; n < c.N; ++n)
    if (l.data[n] < 0 || l.data[n] > c.T)
      a.range_error("lengths must be in [0, T = " + std::to_string(c.T) + "], got " +
                    std::to_string(l.data[n]) + " at " + std::to_string(n));
  return l.data;
}

// rnnWorkspaceSizes(mode, flags, dims) -> [forward workspace, backward workspace, dparams]
Napi::Value RnnWorkspaceSizes(const Napi::CallbackInfo& info) {
  Args a(info, "rnnWorkspaceSizes", 3);
  RnnConfig c = config(a, 0);
  Napi::Array out = Napi::Array::New(info.Env(), 3);
  out.Set(uint32_t{0}, Napi::Number::New(info.Env(), double(rnn_forward_workspace_floats(c))));
  out.Set(uint32_t{1}, Napi::Number::New(info.Env(), double(rnn_backward_workspace_floats(c))));
  out.Set(uint32_t{2}, Napi::Number::New(info.Env(), double(rnn_param_grad_floats(c))));
  return out;
}

// rnnForward(mode, flags, dims, x, lengths, h0, c0, wIh, wHh, bIh, bHh, wHr, wPeep, out, hN,
//            cN, ws)
Napi::Value RnnForward(const Napi::CallbackInfo& info) {
  Args a(info, "rnnForward", 17);
  RnnConfig c = config(a, 0);
  const int64_t T = c.T, N = c.N, F = c.F, H = c.H, P = c.P;
  const int64_t GH = rnn_gate_count(c) * H;
  const bool lstm = c.mode == kLstm;
  const float* x = req_f32(a, 3, "x", T * N * F);
  const int32_t* lengths = lengths_arg(a, 4, c);
  const float* h0 = opt_f32(a, 5, "h0", N * P);
  const float* c0 = opt_f32(a, 6, "c0", N * H);
  const float* w_ih = req_f32(a, 7, "wIh", GH * F);
  const float* w_hh = req_f32(a, 8, "wHh", GH * P);
  const float* b_ih = opt_f32(a, 9, "bIh", GH);
  const float* b_hh = opt_f32(a, 10, "bHh", GH);
  const float* w_hr = nullptr;
  if (c.flags & kRnnProj) w_hr = req_f32(a, 11, "wHr", P * H);
  const float* w_peep = nullptr;
  if (c.flags & kRnnPeephole) w_peep = req_f32(a, 12, "wPeep", 3 * H);
  float* out = req_f32(a, 13, "out", T * N * P);
  float* h_n = opt_f32(a, 14, "hN", N * P);
  float* c_n = lstm ? opt_f32(a, 15, "cN", N * H) : nullptr;
  float* ws = req_f32(a, 16, "ws", rnn_forward_workspace_floats(c));
  rnn_forward(c, x, lengths, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, w_peep, out, h_n, c_n, ws);
  return info.Env().Undefined();
}

// rnnBackward(mode, flags, dims, x, lengths, wIh, wHh, wHr, wPeep, ws, dOut, dhN, dcN, dx,
//             dh0, dc0, dparams, bws)
Napi::Value RnnBackward(const Napi::CallbackInfo& info) {
  Args a(info, "rnnBackward", 18);
  RnnConfig c = config(a, 0);
  const int64_t T = c.T, N = c.N, F = c.F, H = c.H, P = c.P;
  const int64_t GH = rnn_gate_count(c) * H;
  const bool lstm = c.mode == kLstm;
  const float* x = req_f32(a, 3, "x", T * N * F);
  const int32_t* lengths = lengths_arg(a, 4, c);
  const float* w_ih = req_f32(a, 5, "wIh", GH * F);
  const float* w_hh = req_f32(a, 6, "wHh", GH * P);
  const float* w_hr = nullptr;
  if (c.flags & kRnnProj) w_hr = req_f32(a, 7, "wHr", P * H);
  const float* w_peep = nullptr;
  if (c.flags & kRnnPeephole) w_peep = req_f32(a, 8, "wPeep", 3 * H);
  const float* ws = req_f32(a, 9, "ws", rnn_forward_workspace_floats(c));
  const float* dout = opt_f32(a, 10, "dOut", T * N * P);
  const float* dh_n = opt_f32(a, 11, "dhN", N * P);
  const float* dc_n = lstm ? opt_f32(a, 12, "dcN", N * H) : nullptr;
  float* dx = opt_f32(a, 13, "dx", T * N * F);
  float* dh0 = opt_f32(a, 14, "dh0", N * P);
  float* dc0 = lstm ? opt_f32(a, 15, "dc0", N * H) : nullptr;
  float* dparams = req_f32(a, 16, "dparams", rnn_param_grad_floats(c));
  float* bws = req_f32(a, 17, "bws", rnn_backward_workspace_floats(c));
  rnn_backward(c, x, lengths, w_ih, w_hh, w_hr, w_peep, ws, dout, dh_n, dc_n, dx, dh0, dc0,
               dparams, bws);
  return info.Env().Undefined();
}

}  // namespace

void register_rnn(Napi::Env env, Napi::Object exports) {
  exports.Set("rnnWorkspaceSizes", Napi::Function::New(env, RnnWorkspaceSizes, "rnnWorkspaceSizes"));
  exports.Set("rnnForward", Napi::Function::New(env, RnnForward, "rnnForward"));
  exports.Set("rnnBackward", Napi::Function::New(env, RnnBackward, "rnnBackward"));
}

}  // namespace neurite
