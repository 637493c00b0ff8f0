// Row iteration over a strided N-d index space, shared by copy, elementwise and where.
// The space has `rank` dims (<= kMaxRank); each operand has its own element strides (>= 0,
// 0 for a broadcast dim). body(row, offs, len) is called once per row of the last dim with
// each operand's offset of the row start; rows are split over the thread pool.
#pragma once
#include <cstdint>

#include "../runtime/pool.h"

namespace neurite {

constexpr int kMaxRank = 8;

template <int NOps, class Body>
void for_each_row(const int64_t* shape, int rank, const int64_t* const* strides, Body body) {
  int64_t len = rank > 0 ? shape[rank - 1] : 1;
  int64_t rows = 1;
  for (int d = 0; d + 1 < rank; ++d) rows *= shape[d];
  if (len == 0 || rows == 0) return;
  int64_t grain = len >= 16384 ? 1 : (16384 + len - 1) / len;
  parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    int64_t idx[kMaxRank] = {0};
    int64_t offs[NOps];
    // multi-index of row `begin` over dims [0, rank - 1)
    int64_t r = begin;
    for (int d = rank - 2; d >= 0; --d) {
      idx[d] = r % shape[d];
      r /= shape[d];
    }
    for (int k = 0; k < NOps; ++k) {
      offs[k] = 0;
      for (int d = 0; d + 1 < rank; ++d) offs[k] += idx[d] * strides[k][d];
    }
    for (int64_t row = begin; row < end; ++row) {
      body(row, offs, len);
      // advance the multi-index by one row
      for (int d = rank - 2; d >= 0; --d) {
        ++idx[d];
        for (int k = 0; k < NOps; ++k) offs[k] += strides[k][d];
        if (idx[d] < shape[d]) break;
        for (int k = 0; k < NOps; ++k) offs[k] -= idx[d] * strides[k][d];
        idx[d] = 0;
      }
    }
  });
}

}  // namespace neurite
