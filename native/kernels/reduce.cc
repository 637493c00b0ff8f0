// Reductions. Contiguous rows (inner == 1) use 16 independent partial sums so the compiler
// vectorises them; inner > 1 adds whole rows. A full reduction of one long row is split over
// the pool into fixed chunks combined in order.
#include "reduce.h"

#include <vector>

#include "../runtime/pool.h"

namespace neurite {
namespace {

float sum_row(const float* x, int64_t n) {
  float acc[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) acc[j] += x[i + j];
  float s = 0;
  for (; i < n; ++i) acc[i & 15] += x[i];
  for (int j = 0; j < 16; ++j) s += acc[j];
  return s;
}

}  // namespace

void reduce_sum_f32(float* out, const float* x, int64_t outer, int64_t R, int64_t inner) {
  if (outer == 0 || inner == 0) return;  // nothing to write, however large the other size
  if (inner == 1) {
    if (outer == 1 && R >= 65536) {
      int64_t chunks = parallel_chunks(R, 32768);
      std::vector<float> part(static_cast<size_t>(chunks));
      parallel_for(R, 32768, [&](int64_t b, int64_t e) {
        // this chunk's number c satisfies b = floor(c * R / chunks)
        int64_t c = (b * chunks + R - 1) / R;
        part[static_cast<size_t>(c)] = sum_row(x + b, e - b);
      });
      float s = 0;
      for (int64_t c = 0; c < chunks; ++c) s += part[static_cast<size_t>(c)];
      out[0] = s;
      return;
    }
    parallel_for(outer, R >= 4096 ? 1 : 4096 / (R + 1) + 1, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) out[o] = sum_row(x + o * R, R);
    });
    return;
  }
  // inner > 1: split over outer, or over inner columns when outer is small
  if (outer >= num_threads() || inner < 64) {
    parallel_for(outer, 1, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        float* dst = out + o * inner;
        const float* src = x + o * R * inner;
        // R == 0: x holds nothing to read, the sum is 0
        for (int64_t i = 0; i < inner; ++i) dst[i] = R > 0 ? src[i] : 0.0f;
        for (int64_t r = 1; r < R; ++r) {
          const float* row = src + r * inner;
          for (int64_t i = 0; i < inner; ++i) dst[i] += row[i];
        }
      }
    });
  } else {
    for (int64_t o = 0; o < outer; ++o) {
      float* dst = out + o * inner;
      const float* src = x + o * R * inner;
      parallel_for(inner, 1024, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) dst[i] = R > 0 ? src[i] : 0.0f;
        for (int64_t r = 1; r < R; ++r) {
          const float* row = src + r * inner;
          for (int64_t i = b; i < e; ++i) dst[i] += row[i];
        }
      });
    }
  }
}

void reduce_sum_i32(int32_t* out, const int32_t* x, int64_t outer, int64_t R, int64_t inner) {
  parallel_for(outer * inner, 1024, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      int64_t o = k / inner, i = k % inner;
      const int32_t* src = x + o * R * inner + i;
      uint32_t s = 0;  // wraps like int32 arithmetic
      for (int64_t r = 0; r < R; ++r) s += uint32_t(src[r * inner]);
      out[k] = int32_t(s);
    }
  });
}

namespace {

template <class T>
void reduce_max(T* out, int32_t* idx, const T* x, int64_t outer, int64_t R, int64_t inner,
                bool is_min) {
  parallel_for(outer * inner, inner == 1 ? 256 : 1024, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      int64_t o = k / inner, i = k % inner;
      const T* src = x + o * R * inner + i;
      T best = src[0];
      int64_t arg = 0;
      if (!(best != best)) {
        for (int64_t r = 1; r < R; ++r) {
          T v = src[r * inner];
          if (v != v) {
            best = v;
            arg = r;
            break;
          }
          if (is_min ? v < best : v > best) {
            best = v;
            arg = r;
          }
        }
      }
      out[k] = best;
      if (idx) idx[k] = static_cast<int32_t>(arg);
    }
  });
}

}  // namespace

void reduce_max_f32(float* out, int32_t* idx, const float* x, int64_t outer, int64_t R,
                    int64_t inner, bool is_min) {
  reduce_max(out, idx, x, outer, R, inner, is_min);
}

void reduce_max_i32(int32_t* out, int32_t* idx, const int32_t* x, int64_t outer, int64_t R,
                    int64_t inner, bool is_min) {
  reduce_max(out, idx, x, outer, R, inner, is_min);
}

}  // namespace neurite
