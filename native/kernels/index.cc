// Indexing kernels. index_add parallelises over outer (rows o never collide) and keeps the
// order over j; scatter_add runs on one thread.
#include "index.h"

#include <cstring>

#include "../runtime/pool.h"
#include "strided.h"

namespace neurite {

void index_select_u32(uint32_t* out, const uint32_t* x, int64_t outer, int64_t D, int64_t inner,
                      const int32_t* idx, int64_t n) {
  if (outer == 0 || n == 0 || inner == 0) return;  // nothing to copy (and no grain of 4096/0)
  parallel_for(outer * n, inner >= 4096 ? 1 : 4096 / inner + 1, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      int64_t o = k / n, j = k % n;
      std::memcpy(out + k * inner, x + (o * D + idx[j]) * inner,
                  static_cast<size_t>(inner) * sizeof(uint32_t));
    }
  });
}

void index_add_f32(float* acc, const float* src, int64_t outer, int64_t D, int64_t inner,
                   const int32_t* idx, int64_t n) {
  if (outer == 0 || n == 0 || inner == 0) return;  // nothing to add (outer may be huge)
  if (outer >= 2) {
    parallel_for(outer, 1, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o)
        for (int64_t j = 0; j < n; ++j) {
          float* dst = acc + (o * D + idx[j]) * inner;
          const float* s = src + (o * n + j) * inner;
          for (int64_t i = 0; i < inner; ++i) dst[i] += s[i];
        }
    });
    return;
  }
  // one outer row: split the inner columns instead
  parallel_for(inner, 4096, [&](int64_t b, int64_t e) {
    for (int64_t j = 0; j < n; ++j) {
      float* dst = acc + idx[j] * inner;
      const float* s = src + j * inner;
      for (int64_t i = b; i < e; ++i) dst[i] += s[i];
    }
  });
}

namespace {

// Walks every position p of idx_shape in row-major order: k is p's offset in the contiguous
// index, o0 its offset through s0 with p[dim] left out (the indexed operand), o1 its offset
// through s1 (optional) with every coordinate.
template <class F>
void walk(const int64_t* idx_shape, int rank, const int64_t* s0, const int64_t* s1, int dim,
          F f) {
  int64_t total = 1;
  for (int d = 0; d < rank; ++d) total *= idx_shape[d];
  if (total == 0) return;
  int64_t p[kMaxRank] = {0};
  int64_t o0 = 0, o1 = 0;
  for (int64_t k = 0; k < total; ++k) {
    f(k, o0, o1);
    for (int d = rank - 1; d >= 0; --d) {
      ++p[d];
      if (d != dim) o0 += s0[d];
      if (s1) o1 += s1[d];
      if (p[d] < idx_shape[d]) break;
      if (d != dim) o0 -= p[d] * s0[d];
      if (s1) o1 -= p[d] * s1[d];
      p[d] = 0;
    }
  }
}

}  // namespace

void gather_u32(uint32_t* out, const uint32_t* x, const int64_t* x_strides,
                const int32_t* index, const int64_t* idx_shape, int rank, int dim) {
  int64_t sd = x_strides[dim];
  walk(idx_shape, rank, x_strides, nullptr, dim, [&](int64_t k, int64_t ox, int64_t) {
    out[k] = x[ox + index[k] * sd];
  });
}

void scatter_add_f32(float* acc, const int64_t* acc_strides, const float* src,
                     const int64_t* src_strides, const int32_t* index, const int64_t* idx_shape,
                     int rank, int dim) {
  int64_t sd = acc_strides[dim];
  walk(idx_shape, rank, acc_strides, src_strides, dim, [&](int64_t k, int64_t oa, int64_t os) {
    acc[oa + index[k] * sd] += src[os];
  });
}

}  // namespace neurite
