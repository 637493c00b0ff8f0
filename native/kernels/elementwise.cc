// Elementwise kernels. Flat loops over contiguous data split over the pool; broadcast ops go
// through for_each_row (strided.h). Formulas follow PyTorch's definitions (GELU with erf,
// softplus with its linear threshold, ELU's gradient from its output). exp, log, tanh, sigmoid
// and GELU run the vectorised math of vmath.h on each chunk.
#include "elementwise.h"

#include <cmath>
#include <limits>

#include "../runtime/pool.h"
#include "strided.h"
#include "vmath.h"

namespace neurite {
namespace {

constexpr int64_t kGrain = 32768;
constexpr float kSqrt2OverPi = 0.79788456080286535588f;

template <class F>
void flat(int64_t n, F f) {
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) f(i);
  });
}

// y = f(x) over the pool, one vmath call per chunk.
void flat_vm(VMathUnary f, float* y, const float* x, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) { f(y + begin, x + begin, end - begin); });
}

// out[i] = f(a[i]) and out[i] = f(a[i], b[i]) over the pool. f takes loaded values (so a
// select such as `v > 0 ? d : 0` loads both sides unconditionally) and the chunk loops take
// restrict pointers: GCC then vectorises them; a conditional load like `x[i] > 0 ? dy[i] : 0`
// stays a branch, which costs 10x on random signs. out may be a itself (a backward writing
// dx over dy); then the _inplace chunks run, so no restrict pointer is aliased.
template <class F>
void map1_chunk(int64_t n, float* __restrict out, const float* __restrict a, F f) {
  for (int64_t i = 0; i < n; ++i) out[i] = f(a[i]);
}
template <class F>
void map1_chunk_inplace(int64_t n, float* __restrict io, F f) {
  for (int64_t i = 0; i < n; ++i) io[i] = f(io[i]);
}
template <class F>
void map2_chunk(int64_t n, float* __restrict out, const float* __restrict a,
                const float* __restrict b, F f) {
  for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
}
template <class F>
void map2_chunk_inplace(int64_t n, float* __restrict io, const float* __restrict b, F f) {
  for (int64_t i = 0; i < n; ++i) io[i] = f(io[i], b[i]);
}
template <class F>
void map1(int64_t n, float* out, const float* a, F f) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    if (out == a) map1_chunk_inplace(e - b, out + b, f);
    else map1_chunk(e - b, out + b, a + b, f);
  });
}
template <class F>
void map2(int64_t n, float* out, const float* a, const float* b, F f) {
  parallel_for(n, kGrain, [&](int64_t s, int64_t e) {
    if (out == a) map2_chunk_inplace(e - s, out + s, b + s, f);
    else map2_chunk(e - s, out + s, a + s, b + s, f);
  });
}

inline float sigmoidf(float x) {
  return x >= 0 ? 1.0f / (1.0f + std::exp(-x)) : std::exp(x) / (1.0f + std::exp(x));
}

}  // namespace

void unary_forward(Unary op, float* y, const float* x, int64_t n, float alpha, float beta) {
  switch (op) {
    case Unary::kNeg: map1(n, y, x, [](float v) { return -v; }); break;
    case Unary::kExp: flat_vm(vmath().exp, y, x, n); break;
    case Unary::kLog: flat_vm(vmath().log, y, x, n); break;
    case Unary::kSqrt: map1(n, y, x, [](float v) { return std::sqrt(v); }); break;
    case Unary::kRsqrt: map1(n, y, x, [](float v) { return 1.0f / std::sqrt(v); }); break;
    case Unary::kAbs: map1(n, y, x, [](float v) { return std::fabs(v); }); break;
    case Unary::kRelu:  // NaN passes; -0 gives +0
      map1(n, y, x, [](float v) { return (v > 0.0f) | (v != v) ? v : 0.0f; });
      break;
    case Unary::kLeakyRelu:
      map1(n, y, x, [alpha](float v) { return v > 0.0f ? v : v * alpha; });
      break;
    case Unary::kElu:
      flat(n, [&](int64_t i) { y[i] = x[i] > 0 ? x[i] : alpha * std::expm1(x[i]); });
      break;
    case Unary::kGelu: flat_vm(vmath().gelu, y, x, n); break;       // x Phi(x)
    case Unary::kGeluTanh: flat_vm(vmath().gelu_tanh, y, x, n); break;
    case Unary::kSigmoid: flat_vm(vmath().sigmoid, y, x, n); break;
    case Unary::kTanh: flat_vm(vmath().tanh, y, x, n); break;
    case Unary::kSoftplus:
      flat(n, [&](int64_t i) {
        float bx = x[i] * alpha;
        y[i] = bx > beta ? x[i] : std::log1p(std::exp(bx)) / alpha;
      });
      break;
    case Unary::kClamp:
      // min(max(v, lo), hi) as torch.clamp: hi wins when lo > hi; NaN passes
      map1(n, y, x, [alpha, beta](float v) {
        const float lo = v < alpha ? alpha : v;
        const float c = lo > beta ? beta : lo;
        return v != v ? v : c;
      });
      break;
    case Unary::kPowScalar:
      if (alpha == 2.0f) {
        map1(n, y, x, [](float v) { return v * v; });
      } else {
        flat(n, [&](int64_t i) { y[i] = std::pow(x[i], alpha); });
      }
      break;
    case Unary::kSign:
      // (x > 0) - (x < 0) as torch.sign: 0 for ±0 and NaN
      map1(n, y, x, [](float v) { return v > 0 ? 1.0f : (v < 0 ? -1.0f : 0.0f); });
      break;
    case Unary::kCount: break;
  }
}

void unary_backward(Unary op, float* dx, const float* dy, const float* x, const float* y,
                    int64_t n, float alpha, float beta) {
  switch (op) {
    case Unary::kNeg: map1(n, dx, dy, [](float d) { return -d; }); break;
    case Unary::kExp: map2(n, dx, dy, y, [](float d, float v) { return d * v; }); break;
    case Unary::kLog: map2(n, dx, dy, x, [](float d, float v) { return d / v; }); break;
    case Unary::kSqrt:
      map2(n, dx, dy, y, [](float d, float v) { return d / (2.0f * v); });
      break;
    case Unary::kRsqrt:
      map2(n, dx, dy, y, [](float d, float v) { return -0.5f * d * v * v * v; });
      break;
    case Unary::kAbs:
      map2(n, dx, dy, x, [](float d, float v) { return v > 0 ? d : (v < 0 ? -d : 0.0f); });
      break;
    case Unary::kRelu: map2(n, dx, dy, x, [](float d, float v) { return v > 0 ? d : 0.0f; }); break;
    case Unary::kLeakyRelu:
      map2(n, dx, dy, x, [alpha](float d, float v) { return v > 0 ? d : d * alpha; });
      break;
    case Unary::kElu:
      flat(n, [&](int64_t i) { dx[i] = x[i] > 0 ? dy[i] : dy[i] * (y[i] + alpha); });
      break;
    case Unary::kGelu: {  // dx = dy * (Phi(x) + x phi(x))
      const auto f = vmath().gelu_backward;
      parallel_for(n, kGrain, [&](int64_t b, int64_t e) { f(dx + b, dy + b, x + b, e - b); });
      break;
    }
    case Unary::kGeluTanh:
      map2(n, dx, dy, x, [](float d, float v) {
        float inner = kSqrt2OverPi * (v + 0.044715f * v * v * v);
        float t = std::tanh(inner);
        float dinner = kSqrt2OverPi * (1.0f + 3.0f * 0.044715f * v * v);
        return d * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * dinner);
      });
      break;
    case Unary::kSigmoid:
      map2(n, dx, dy, y, [](float d, float v) { return d * v * (1.0f - v); });
      break;
    case Unary::kTanh: map2(n, dx, dy, y, [](float d, float v) { return d * (1.0f - v * v); }); break;
    case Unary::kSoftplus:
      flat(n, [&](int64_t i) {
        float bx = x[i] * alpha;
        dx[i] = bx > beta ? dy[i] : dy[i] * sigmoidf(bx);
      });
      break;
    case Unary::kClamp:
      map2(n, dx, dy, x, [alpha, beta](float d, float v) {
        return (v >= alpha && v <= beta) ? d : 0.0f;
      });
      break;
    case Unary::kPowScalar:
      if (alpha == 0.0f) {
        map1(n, dx, dy, [](float) { return 0.0f; });
      } else {
        flat(n, [&](int64_t i) { dx[i] = dy[i] * alpha * std::pow(x[i], alpha - 1.0f); });
      }
      break;
    case Unary::kSign: map1(n, dx, dy, [](float) { return 0.0f; }); break;
    case Unary::kCount: break;
  }
}

namespace {

template <class T, class Out, class F>
void broadcast2(Out* out, const T* a, const int64_t* as, const T* b, const int64_t* bs,
                const int64_t* shape, int rank, F f) {
  int64_t ones[kMaxRank];
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    ones[d] = stride;
    stride *= shape[d];
  }
  const int64_t* strides[3] = {ones, as, bs};
  int64_t sa = rank > 0 ? as[rank - 1] : 0, sb = rank > 0 ? bs[rank - 1] : 0;
  for_each_row<3>(shape, rank, strides, [&](int64_t, const int64_t* offs, int64_t len) {
    Out* o = out + offs[0];
    const T* pa = a + offs[1];
    const T* pb = b + offs[2];
    if (sa == 1 && sb == 1) {
      for (int64_t i = 0; i < len; ++i) o[i] = f(pa[i], pb[i]);
    } else if (sa == 1 && sb == 0) {
      T vb = pb[0];
      for (int64_t i = 0; i < len; ++i) o[i] = f(pa[i], vb);
    } else if (sa == 0 && sb == 1) {
      T va = pa[0];
      for (int64_t i = 0; i < len; ++i) o[i] = f(va, pb[i]);
    } else {
      for (int64_t i = 0; i < len; ++i) o[i] = f(pa[i * sa], pb[i * sb]);
    }
  });
}

template <class T>
T maximum(T x, T y) {
  if (x != x) return x;  // NaN propagates, as torch.maximum
  if (y != y) return y;
  return x > y ? x : y;
}

template <class T>
T minimum(T x, T y) {
  if (x != x) return x;
  if (y != y) return y;
  return x < y ? x : y;
}

template <class T>
void binary(Binary op, T* out, const T* a, const int64_t* as, const T* b, const int64_t* bs,
            const int64_t* shape, int rank) {
  switch (op) {
    case Binary::kAdd: broadcast2(out, a, as, b, bs, shape, rank, [](T x, T y) { return x + y; }); break;
    case Binary::kSub: broadcast2(out, a, as, b, bs, shape, rank, [](T x, T y) { return x - y; }); break;
    case Binary::kMul: broadcast2(out, a, as, b, bs, shape, rank, [](T x, T y) { return x * y; }); break;
    case Binary::kDiv: broadcast2(out, a, as, b, bs, shape, rank, [](T x, T y) { return x / y; }); break;
    case Binary::kPow:
      broadcast2(out, a, as, b, bs, shape, rank, [](T x, T y) { return T(std::pow(x, y)); });
      break;
    case Binary::kMaximum: broadcast2(out, a, as, b, bs, shape, rank, maximum<T>); break;
    case Binary::kMinimum: broadcast2(out, a, as, b, bs, shape, rank, minimum<T>); break;
    case Binary::kCount: break;
  }
}

template <class T>
void compare(Compare op, uint8_t* out, const T* a, const int64_t* as, const T* b,
             const int64_t* bs, const int64_t* shape, int rank) {
  switch (op) {
    case Compare::kEq: broadcast2(out, a, as, b, bs, shape, rank, [](T x, T y) { return uint8_t(x == y); }); break;
    case Compare::kNe: broadcast2(out, a, as, b, bs, shape, rank, [](T x, T y) { return uint8_t(x != y); }); break;
    case Compare::kLt: broadcast2(out, a, as, b, bs, shape, rank, [](T x, T y) { return uint8_t(x < y); }); break;
    case Compare::kLe: broadcast2(out, a, as, b, bs, shape, rank, [](T x, T y) { return uint8_t(x <= y); }); break;
    case Compare::kGt: broadcast2(out, a, as, b, bs, shape, rank, [](T x, T y) { return uint8_t(x > y); }); break;
    case Compare::kGe: broadcast2(out, a, as, b, bs, shape, rank, [](T x, T y) { return uint8_t(x >= y); }); break;
    case Compare::kCount: break;
  }
}

}  // namespace

void binary_f32(Binary op, float* out, const float* a, const int64_t* as, const float* b,
                const int64_t* bs, const int64_t* shape, int rank) {
  binary(op, out, a, as, b, bs, shape, rank);
}

void binary_i32(Binary op, int32_t* out, const int32_t* a, const int64_t* as, const int32_t* b,
                const int64_t* bs, const int64_t* shape, int rank) {
  if (op == Binary::kDiv || op == Binary::kPow) return;  // rejected by the binding
  // wrap-around like torch's int arithmetic, without signed-overflow UB
  switch (op) {
    case Binary::kAdd:
      broadcast2(out, a, as, b, bs, shape, rank, [](int32_t x, int32_t y) {
        return int32_t(uint32_t(x) + uint32_t(y));
      });
      break;
    case Binary::kSub:
      broadcast2(out, a, as, b, bs, shape, rank, [](int32_t x, int32_t y) {
        return int32_t(uint32_t(x) - uint32_t(y));
      });
      break;
    case Binary::kMul:
      broadcast2(out, a, as, b, bs, shape, rank, [](int32_t x, int32_t y) {
        return int32_t(uint32_t(x) * uint32_t(y));
      });
      break;
    default: binary(op, out, a, as, b, bs, shape, rank); break;
  }
}

void compare_f32(Compare op, uint8_t* out, const float* a, const int64_t* as, const float* b,
                 const int64_t* bs, const int64_t* shape, int rank) {
  compare(op, out, a, as, b, bs, shape, rank);
}

void compare_i32(Compare op, uint8_t* out, const int32_t* a, const int64_t* as,
                 const int32_t* b, const int64_t* bs, const int64_t* shape, int rank) {
  compare(op, out, a, as, b, bs, shape, rank);
}

void where_u32(uint32_t* out, const uint8_t* cond, const int64_t* cs, const uint32_t* a,
               const int64_t* as, const uint32_t* b, const int64_t* bs, const int64_t* shape,
               int rank) {
  int64_t ones[kMaxRank];
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    ones[d] = stride;
    stride *= shape[d];
  }
  const int64_t* strides[4] = {ones, cs, as, bs};
  int64_t sc = rank > 0 ? cs[rank - 1] : 0;
  int64_t sa = rank > 0 ? as[rank - 1] : 0;
  int64_t sb = rank > 0 ? bs[rank - 1] : 0;
  for_each_row<4>(shape, rank, strides, [&](int64_t, const int64_t* offs, int64_t len) {
    uint32_t* o = out + offs[0];
    const uint8_t* c = cond + offs[1];
    const uint32_t* pa = a + offs[2];
    const uint32_t* pb = b + offs[3];
    for (int64_t i = 0; i < len; ++i) o[i] = c[i * sc] ? pa[i * sa] : pb[i * sb];
  });
}

void cast_f32_i32(int32_t* out, const float* x, int64_t n) {
  flat(n, [&](int64_t i) {
    float v = x[i];
    if (!(v == v)) {
      out[i] = 0;
    } else if (v >= 2147483647.0f) {
      out[i] = std::numeric_limits<int32_t>::max();
    } else if (v <= -2147483648.0f) {
      out[i] = std::numeric_limits<int32_t>::min();
    } else {
      out[i] = static_cast<int32_t>(v);
    }
  });
}
void cast_i32_f32(float* out, const int32_t* x, int64_t n) {
  flat(n, [&](int64_t i) { out[i] = static_cast<float>(x[i]); });
}
void cast_u8_f32(float* out, const uint8_t* x, int64_t n) {
  flat(n, [&](int64_t i) { out[i] = x[i] ? 1.0f : 0.0f; });
}
void cast_u8_i32(int32_t* out, const uint8_t* x, int64_t n) {
  flat(n, [&](int64_t i) { out[i] = x[i] ? 1 : 0; });
}
void cast_f32_u8(uint8_t* out, const float* x, int64_t n) {
  flat(n, [&](int64_t i) { out[i] = x[i] != 0.0f ? 1 : 0; });
}
void cast_i32_u8(uint8_t* out, const int32_t* x, int64_t n) {
  flat(n, [&](int64_t i) { out[i] = x[i] != 0 ? 1 : 0; });
}

void fill_arange_f32(float* out, int64_t n, double start, double step) {
  flat(n, [&](int64_t i) { out[i] = static_cast<float>(start + static_cast<double>(i) * step); });
}

void fill_arange_i32(int32_t* out, int64_t n, int64_t start, int64_t step) {
  flat(n, [&](int64_t i) { out[i] = static_cast<int32_t>(start + i * step); });
}

void fill_linspace_f32(float* out, int64_t n, double start, double end) {
  if (n == 1) {
    out[0] = static_cast<float>(start);
    return;
  }
  double step = (end - start) / static_cast<double>(n - 1);
  int64_t half = n / 2;
  flat(n, [&](int64_t i) {
    out[i] = static_cast<float>(i < half ? start + step * static_cast<double>(i)
                                         : end - step * static_cast<double>(n - 1 - i));
  });
}

}  // namespace neurite
