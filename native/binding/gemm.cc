// GEMM exports: gemm (one product), gemmContiguous (one product of whole contiguous matrices:
// matmul's common case, with half the arguments to read) and gemmBatched (per-batch offsets,
// for broadcast matmul).
#include "../kernels/gemm.h"

#include <vector>

#include "args.h"
#include "exports.h"

namespace neurite {
namespace {

// Elements a rows x cols matrix with leading dimension ld needs past its offset; checks ld.
int64_t matrix_extent(const Args& a, const char* ld_name, int64_t rows, int64_t cols,
                      int64_t ld) {
  if (ld < (cols > 1 ? cols : 1))
    a.range_error(std::string(ld_name) + " must be >= " + std::to_string(cols > 1 ? cols : 1) +
                  ", got " + std::to_string(ld));
  if (rows == 0 || cols == 0) return 0;
  return a.mul(ld_name, rows - 1, ld) + cols;
}

struct GemmDims {
  bool ta, tb;
  int64_t M, N, K;
  int64_t lda, ldb, ldc;
  int64_t a_ext, b_ext, c_ext;
};

GemmDims gemm_dims(const Args& a, size_t i_ta, size_t i_m, size_t i_lda, size_t i_ldb,
                   size_t i_ldc) {
  GemmDims g;
  g.ta = a.boolean(i_ta, "transA");
  g.tb = a.boolean(i_ta + 1, "transB");
  g.M = a.integer(i_m, "M", 0, INT32_MAX);
  g.N = a.integer(i_m + 1, "N", 0, INT32_MAX);
  g.K = a.integer(i_m + 2, "K", 0, INT32_MAX);
  g.lda = a.size(i_lda, "lda");
  g.ldb = a.size(i_ldb, "ldb");
  g.ldc = a.size(i_ldc, "ldc");
  g.a_ext = matrix_extent(a, "lda", g.ta ? g.K : g.M, g.ta ? g.M : g.K, g.lda);
  g.b_ext = matrix_extent(a, "ldb", g.tb ? g.N : g.K, g.tb ? g.K : g.N, g.ldb);
  g.c_ext = matrix_extent(a, "ldc", g.M, g.N, g.ldc);
  return g;
}

void need_at(const Args& a, const char* name, int64_t length, int64_t offset, int64_t extent) {
  if (extent == 0) return;
  if (offset > kMaxSafe - extent) a.range_error(std::string(name) + " offset is too large");
  a.need(name, length, offset + extent);
}

// gemm(transA, transB, M, N, K, alpha, A, aOffset, lda, B, bOffset, ldb, beta, C, cOffset, ldc)
// C = alpha * op(A) * op(B) + beta * C; beta == 0 never reads C.
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Args a(info, "gemm", 16);
  GemmDims g = gemm_dims(a, 0, 2, 8, 11, 15);
  float alpha = static_cast<float>(a.number(5, "alpha"));
  float beta = static_cast<float>(a.number(12, "beta"));
  Buf<float> A = a.f32(6, "A"), B = a.f32(9, "B"), C = a.f32(13, "C");
  int64_t ao = a.size(7, "aOffset"), bo = a.size(10, "bOffset"), co = a.size(14, "cOffset");
  need_at(a, "A", A.length, ao, g.a_ext);
  need_at(a, "B", B.length, bo, g.b_ext);
  need_at(a, "C", C.length, co, g.c_ext);
  if (g.M == 0 || g.N == 0) return info.Env().Undefined();
  gemm(g.ta, g.tb, g.M, g.N, g.K, alpha, A.data + ao, g.lda, B.data + bo, g.ldb, beta,
       C.data + co, g.ldc);
  return info.Env().Undefined();
}

// gemmContiguous(transA, transB, M, N, K, A, B, C): C = op(A) * op(B) for whole contiguous
// row-major matrices (A [M, K] or, with transA, [K, M]; B [K, N] or [N, K]; C [M, N]), offsets
// 0; C is overwritten, never read.
Napi::Value GemmContiguous(const Napi::CallbackInfo& info) {
  Args a(info, "gemmContiguous", 8);
  const bool ta = a.boolean(0, "transA"), tb = a.boolean(1, "transB");
  const int64_t M = a.integer(2, "M", 0, INT32_MAX);
  const int64_t N = a.integer(3, "N", 0, INT32_MAX);
  const int64_t K = a.integer(4, "K", 0, INT32_MAX);
  Buf<float> A = a.f32(5, "A"), B = a.f32(6, "B"), C = a.f32(7, "C");
  a.need("A", A.length, a.mul("A", M, K));
  a.need("B", B.length, a.mul("B", K, N));
  a.need("C", C.length, a.mul("C", M, N));
  if (M == 0 || N == 0) return info.Env().Undefined();
  gemm(ta, tb, M, N, K, 1.0f, A.data, ta ? M : K, B.data, tb ? K : N, 0.0f, C.data, N);
  return info.Env().Undefined();
}

// gemmBatched(transA, transB, M, N, K, alpha, A, aOffsets, lda, B, bOffsets, ldb, beta, C,
//             cOffsets, ldc): one product per entry of the Float64Array offsets (equal lengths)
Napi::Value GemmBatched(const Napi::CallbackInfo& info) {
  Args a(info, "gemmBatched", 16);
  GemmDims g = gemm_dims(a, 0, 2, 8, 11, 15);
  float alpha = static_cast<float>(a.number(5, "alpha"));
  float beta = static_cast<float>(a.number(12, "beta"));
  Buf<float> A = a.f32(6, "A"), B = a.f32(9, "B"), C = a.f32(13, "C");
  std::vector<int64_t> aoff = a.offsets(7, "aOffsets"), boff = a.offsets(10, "bOffsets"),
                       coff = a.offsets(14, "cOffsets");
  int64_t batch = static_cast<int64_t>(coff.size());
  if (static_cast<int64_t>(aoff.size()) != batch || static_cast<int64_t>(boff.size()) != batch)
    a.range_error("aOffsets, bOffsets and cOffsets must have equal lengths, got " +
                  std::to_string(aoff.size()) + ", " + std::to_string(boff.size()) + ", " +
                  std::to_string(batch));
  for (size_t b = 0; b < coff.size(); ++b) {
    need_at(a, "A", A.length, aoff[b], g.a_ext);
    need_at(a, "B", B.length, boff[b], g.b_ext);
    need_at(a, "C", C.length, coff[b], g.c_ext);
  }
  if (g.M == 0 || g.N == 0 || batch == 0) return info.Env().Undefined();
  gemm_batched(batch, g.ta, g.tb, g.M, g.N, g.K, alpha, A.data, aoff.data(), g.lda, B.data,
               boff.data(), g.ldb, beta, C.data, coff.data(), g.ldc);
  return info.Env().Undefined();
}

}  // namespace

void register_gemm(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  exports.Set("gemmContiguous", Napi::Function::New(env, GemmContiguous, "gemmContiguous"));
  exports.Set("gemmBatched", Napi::Function::New(env, GemmBatched, "gemmBatched"));
}

}  // namespace neurite
