// stridedCopy: the data-movement export behind every shape op.
#include "../kernels/copy.h"

#include "args.h"
#include "exports.h"

namespace neurite {
namespace {

// stridedCopy(dst, dstOffset, dstStrides, src, srcOffset, srcStrides, shape)
// dst and src hold elements of the same width (1 or 4 bytes) and must not overlap.
Napi::Value StridedCopy(const Napi::CallbackInfo& info) {
  Args a(info, "stridedCopy", 7);
  int dsize = 0, ssize = 0;
  Buf<void> dst = a.any(0, "dst", &dsize);
  int64_t doff = a.size(1, "dstOffset");
  Dims dstr = a.dims(2, "dstStrides");
  Buf<void> src = a.any(3, "src", &ssize);
  int64_t soff = a.size(4, "srcOffset");
  Dims sstr = a.dims(5, "srcStrides");
  Dims shape = a.dims(6, "shape");
  if (dsize != ssize) a.type_error("dst and src must have elements of the same width");
  a.need("dst", dst.length, a.extent("dstStrides", shape, dstr, doff));
  a.need("src", src.length, a.extent("srcStrides", shape, sstr, soff));
  if (shape.numel() == 0) return info.Env().Undefined();
  const char* d0 = static_cast<const char*>(dst.data);
  const char* s0 = static_cast<const char*>(src.data);
  if (d0 < s0 + src.length * ssize && s0 < d0 + dst.length * dsize)
    a.range_error("dst and src must not overlap");
  if (dsize == 4) {
    strided_copy_u32(static_cast<uint32_t*>(dst.data) + doff, dstr.v,
                     static_cast<const uint32_t*>(src.data) + soff, sstr.v, shape.v, shape.rank);
  } else {
    strided_copy_u8(static_cast<uint8_t*>(dst.data) + doff, dstr.v,
                    static_cast<const uint8_t*>(src.data) + soff, sstr.v, shape.v, shape.rank);
  }
  return info.Env().Undefined();
}

}  // namespace

void register_copy(Napi::Env env, Napi::Object exports) {
  exports.Set("stridedCopy", Napi::Function::New(env, StridedCopy, "stridedCopy"));
}

}  // namespace neurite
