// Elementwise kernels: unary activations and math (forward + backward), broadcast binary
// arithmetic and comparisons, where, casts and fills. Backward rules of binary arithmetic
// are compositions of these forward kernels (lib/ops/elementwise.ts).
#pragma once
#include <cstdint>

namespace neurite {

// Unary op codes; alpha and beta carry the op's scalar options.
enum class Unary : int {
  kNeg = 0,
  kExp = 1,
  kLog = 2,
  kSqrt = 3,
  kRsqrt = 4,
  kAbs = 5,
  kRelu = 6,
  kLeakyRelu = 7,  // alpha = negative slope
  kElu = 8,        // alpha
  kGelu = 9,       // exact, with erf
  kGeluTanh = 10,  // tanh approximation
  kSigmoid = 11,
  kTanh = 12,
  kSoftplus = 13,  // alpha = beta, beta = threshold
  kClamp = 14,     // alpha = min, beta = max (±inf for none); max wins when min > max
  kPowScalar = 15, // alpha = exponent
  kSign = 16,      // 0 for ±0 and NaN, as torch.sign
  kCount = 17
};

//   y, x   [n]  y = f(x); may alias
void unary_forward(Unary op, float* y, const float* x, int64_t n, float alpha, float beta);

//   dx [n] out: dy * f'(x); dy, x, y [n] in (y = f(x) from the forward). dx may alias dy.
void unary_backward(Unary op, float* dx, const float* dy, const float* x, const float* y,
                    int64_t n, float alpha, float beta);

enum class Binary : int {
  kAdd = 0,
  kSub = 1,
  kMul = 2,
  kDiv = 3,
  kPow = 4,
  kMaximum = 5,
  kMinimum = 6,
  kCount = 7
};

enum class Compare : int { kEq = 0, kNe = 1, kLt = 2, kLe = 3, kGt = 4, kGe = 5, kCount = 6 };

// Broadcast binary op. out is contiguous over `shape`; a and b are read through their strides
// (0 on broadcast dims). rank <= kMaxRank. int32 supports every op but kDiv and kPow.
void binary_f32(Binary op, float* out, const float* a, const int64_t* a_strides,
                const float* b, const int64_t* b_strides, const int64_t* shape, int rank);
void binary_i32(Binary op, int32_t* out, const int32_t* a, const int64_t* a_strides,
                const int32_t* b, const int64_t* b_strides, const int64_t* shape, int rank);
// Comparisons write 0 / 1 bytes.
void compare_f32(Compare op, uint8_t* out, const float* a, const int64_t* a_strides,
                 const float* b, const int64_t* b_strides, const int64_t* shape, int rank);
void compare_i32(Compare op, uint8_t* out, const int32_t* a, const int64_t* a_strides,
                 const int32_t* b, const int64_t* b_strides, const int64_t* shape, int rank);

// out = cond ? a : b, broadcast; elements moved as 32-bit patterns (float or int32).
void where_u32(uint32_t* out, const uint8_t* cond, const int64_t* c_strides, const uint32_t* a,
               const int64_t* a_strides, const uint32_t* b, const int64_t* b_strides,
               const int64_t* shape, int rank);

// Casts between float32, int32 and bool (uint8 0/1). float -> int truncates toward zero
// (saturating, NaN -> 0); anything -> bool is (x != 0).
void cast_f32_i32(int32_t* out, const float* x, int64_t n);
void cast_i32_f32(float* out, const int32_t* x, int64_t n);
void cast_u8_f32(float* out, const uint8_t* x, int64_t n);
void cast_u8_i32(int32_t* out, const uint8_t* x, int64_t n);
void cast_f32_u8(uint8_t* out, const float* x, int64_t n);
void cast_i32_u8(uint8_t* out, const int32_t* x, int64_t n);

// out[i] = start + i * step
void fill_arange_f32(float* out, int64_t n, double start, double step);
void fill_arange_i32(int32_t* out, int64_t n, int64_t start, int64_t step);
// n evenly spaced points from start to end inclusive, symmetric as torch.linspace.
void fill_linspace_f32(float* out, int64_t n, double start, double end);

}  // namespace neurite
