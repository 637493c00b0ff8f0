// Indexing exports: indexSelect, indexAdd, gather, scatterAdd. Every index is checked against
// its bound here, so the kernels never see one out of range; index_array copies an index held
// in shared memory first, so another thread cannot change it between the check and the kernel.
#include "../kernels/index.h"

#include "args.h"
#include "exports.h"

namespace neurite {
namespace {

// indexSelect(out, x, outer, D, inner, idx): 32-bit out and x of one type
Napi::Value IndexSelect(const Napi::CallbackInfo& info) {
  Args a(info, "indexSelect", 6);
  Buf<uint32_t> out = a.bits32(0, "out"), x = a.bits32(1, "x");
  int64_t outer = a.size(2, "outer"), D = a.size(3, "D"), inner = a.size(4, "inner");
  Buf<int32_t> idx = a.index_array(5, "idx");
  a.need("x", x.length, a.mul("outer * D * inner", a.mul("outer * D", outer, D), inner));
  a.need("out", out.length,
         a.mul("outer * n * inner", a.mul("outer * n", outer, idx.length), inner));
  a.indices_in_range("idx", idx.data, idx.length, D);
  index_select_u32(out.data, x.data, outer, D, inner, idx.data, idx.length);
  return info.Env().Undefined();
}

// indexAdd(acc, src, outer, D, inner, idx): acc[o, idx[j], i] += src[o, j, i]
Napi::Value IndexAdd(const Napi::CallbackInfo& info) {
  Args a(info, "indexAdd", 6);
  Buf<float> acc = a.f32(0, "acc"), src = a.f32(1, "src");
  int64_t outer = a.size(2, "outer"), D = a.size(3, "D"), inner = a.size(4, "inner");
  Buf<int32_t> idx = a.index_array(5, "idx");
  a.need("acc", acc.length, a.mul("outer * D * inner", a.mul("outer * D", outer, D), inner));
  a.need("src", src.length,
         a.mul("outer * n * inner", a.mul("outer * n", outer, idx.length), inner));
  a.indices_in_range("idx", idx.data, idx.length, D);
  index_add_f32(acc.data, src.data, outer, D, inner, idx.data, idx.length);
  return info.Env().Undefined();
}

Dims contiguous_strides(const Dims& shape) {
  Dims s;
  s.rank = shape.rank;
  int64_t st = 1;
  for (int d = shape.rank - 1; d >= 0; --d) {
    s.v[d] = st;
    st *= shape.v[d];
  }
  return s;
}

// Index shape must fit inside `shape` in every dim but `dim`.
void check_fits(const Args& a, const char* name, const Dims& idx_shape, const Dims& shape,
                int dim) {
  a.same_rank("indexShape", shape, idx_shape);
  for (int d = 0; d < shape.rank; ++d)
    if (d != dim && idx_shape.v[d] > shape.v[d])
      a.range_error(std::string("index size ") + std::to_string(idx_shape.v[d]) + " at dim " +
                    std::to_string(d) + " must be <= " + name + " size " +
                    std::to_string(shape.v[d]));
}

// gather(out, x, xShape, index, indexShape, dim): x, out 32-bit of one type, contiguous
Napi::Value Gather(const Napi::CallbackInfo& info) {
  Args a(info, "gather", 6);
  Buf<uint32_t> out = a.bits32(0, "out"), x = a.bits32(1, "x");
  Dims xs = a.dims(2, "xShape");
  Buf<int32_t> index = a.index_array(3, "index");
  Dims is = a.dims(4, "indexShape");
  int dim = static_cast<int>(a.integer(5, "dim", 0, xs.rank > 0 ? xs.rank - 1 : 0));
  if (xs.rank == 0) a.range_error("xShape must have at least one dim");
  check_fits(a, "x", is, xs, dim);
  int64_t n = is.numel();
  a.need("x", x.length, xs.numel());
  a.need("index", index.length, n);
  a.need("out", out.length, n);
  a.indices_in_range("index", index.data, n, xs.v[dim]);
  Dims st = contiguous_strides(xs);
  gather_u32(out.data, x.data, st.v, index.data, is.v, is.rank, dim);
  return info.Env().Undefined();
}

// scatterAdd(acc, accShape, src, srcShape, index, indexShape, dim): acc and src Float32Array
Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
  Args a(info, "scatterAdd", 7);
  Buf<float> acc = a.f32(0, "acc");
  Dims as = a.dims(1, "accShape");
  Buf<float> src = a.f32(2, "src");
  Dims ss = a.dims(3, "srcShape");
  Buf<int32_t> index = a.index_array(4, "index");
  Dims is = a.dims(5, "indexShape");
  if (as.rank == 0) a.range_error("accShape must have at least one dim");
  int dim = static_cast<int>(a.integer(6, "dim", 0, as.rank - 1));
  check_fits(a, "acc", is, as, dim);
  a.same_rank("srcShape", is, ss);
  for (int d = 0; d < ss.rank; ++d)
    if (is.v[d] > ss.v[d])
      a.range_error("index size " + std::to_string(is.v[d]) + " at dim " + std::to_string(d) +
                    " must be <= src size " + std::to_string(ss.v[d]));
  int64_t n = is.numel();
  a.need("acc", acc.length, as.numel());
  a.need("src", src.length, ss.numel());
  a.need("index", index.length, n);
  a.indices_in_range("index", index.data, n, as.v[dim]);
  Dims ast = contiguous_strides(as), sst = contiguous_strides(ss);
  scatter_add_f32(acc.data, ast.v, src.data, sst.v, index.data, is.v, is.rank, dim);
  return info.Env().Undefined();
}

}  // namespace

void register_index(Napi::Env env, Napi::Object exports) {
  exports.Set("indexSelect", Napi::Function::New(env, IndexSelect, "indexSelect"));
  exports.Set("indexAdd", Napi::Function::New(env, IndexAdd, "indexAdd"));
  exports.Set("gather", Napi::Function::New(env, Gather, "gather"));
  exports.Set("scatterAdd", Napi::Function::New(env, ScatterAdd, "scatterAdd"));
}

}  // namespace neurite
