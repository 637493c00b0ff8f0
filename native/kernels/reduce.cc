// Reductions. Contiguous rows (inner == 1) use 16 independent partial sums so the compiler
// vectorises them; inner > 1 adds whole rows. A full reduction of one long row is split over
// the pool into fixed chunks combined in order.
#include "reduce.h"

#include <vector>

#include "../runtime/pool.h"
#include "row_blocks.h"

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

constexpr int kLanes = 16;
constexpr int64_t kColumns = 256;  // neighbouring columns reduced together when inner > 1

// Whether v replaces best in a max (or min) reduction that keeps the first extreme: a strictly
// better value, or the first NaN (NaN wins, as in PyTorch, and is never replaced). Branch-free
// so that the column loops vectorise.
template <class T>
inline bool replaces(T v, T best, bool is_min) {
  return (is_min ? v < best : v > best) | ((v != v) & (best == best));
}

// One contiguous row: kLanes running extremes over interleaved positions, then combined: the
// extreme value, on ties (and among NaNs) the smallest index, as the sequential scan gives.
template <class T>
void max_row(T* out, int32_t* idx, const T* x, int64_t R, bool is_min) {
  if (R < 1) return;  // callers pass R >= 1
  T best[kLanes];
  int32_t arg[kLanes];
  const int lanes = R < kLanes ? static_cast<int>(R) : kLanes;
  for (int j = 0; j < lanes; ++j) {
    best[j] = x[j];
    arg[j] = j;
  }
  int64_t r = lanes;
  for (; r + kLanes <= R; r += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      const T v = x[r + j];
      const bool take = replaces(v, best[j], is_min);
      best[j] = take ? v : best[j];
      arg[j] = take ? static_cast<int32_t>(r + j) : arg[j];
    }
  }
  for (; r < R; ++r) {  // the tail, on the lane its index falls in
    const int j = static_cast<int>(r % kLanes);
    if (replaces(x[r], best[j], is_min)) {
      best[j] = x[r];
      arg[j] = static_cast<int32_t>(r);
    }
  }
  T b = best[0];
  int32_t a = arg[0];
  for (int j = 1; j < lanes; ++j) {
    if (replaces(best[j], b, is_min) || (best[j] == b && arg[j] < a) ||
        (best[j] != best[j] && b != b && arg[j] < a)) {
      b = best[j];
      a = arg[j];
    }
  }
  *out = b;
  if (idx) *idx = a;
}

// w <= kColumns neighbouring columns x[r * inner + i], i < w, reduced down the R rows.
template <class T>
void max_columns(T* out, int32_t* idx, const T* x, int64_t R, int64_t inner, int64_t w,
                 bool is_min) {
  T best[kColumns];
  int32_t arg[kColumns];
  for (int64_t i = 0; i < w; ++i) {
    best[i] = x[i];
    arg[i] = 0;
  }
  for (int64_t r = 1; r < R; ++r) {
    const T* row = x + r * inner;
    const int32_t rr = static_cast<int32_t>(r);
    for (int64_t i = 0; i < w; ++i) {
      const T v = row[i];
      const bool take = replaces(v, best[i], is_min);
      best[i] = take ? v : best[i];
      arg[i] = take ? rr : arg[i];
    }
  }
  for (int64_t i = 0; i < w; ++i) out[i] = best[i];
  if (idx)
    for (int64_t i = 0; i < w; ++i) idx[i] = arg[i];
}

// Contiguous rows one per item; otherwise items of up to kColumns neighbouring columns, each
// reduced down its R rows, so every row step reads a contiguous run (the column-at-a-time scan
// touched one float per cache line: max over dim 0 of [1024, 1024] ran at 1 GB/s).
template <class T>
void reduce_max(T* out, int32_t* idx, const T* x, int64_t outer, int64_t R, int64_t inner,
                bool is_min) {
  for_row_blocks(outer, R, inner, kColumns, [&](int64_t o, int64_t i0, int64_t w) {
    const int64_t at = o * inner + i0;  // in out and idx
    if (inner == 1) max_row(out + at, idx ? idx + at : nullptr, x + o * R, R, is_min);
    else
      max_columns(out + at, idx ? idx + at : nullptr, x + o * R * inner + i0, R, inner, w,
                  is_min);
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
