// The parallel loop shared by kernels that work along the middle axis D of an [outer, D, inner]
// view (softmax, max / min with indices): contiguous rows one at a time, strided rows in blocks
// of neighbouring ones, so that every step along D reads a contiguous run.
#pragma once
#include <cstdint>

#include "../runtime/pool.h"

namespace neurite {

// Calls fn(o, i0, w) in parallel: with inner == 1, for every o with i0 = 0, w = 1 (the
// contiguous row x[o * D .. o * D + D)); else for blocks of w <= block neighbouring strided rows
// (x[(o * D + d) * inner + i0 + i] for d < D, i < w). Grains aim at ~16K elements per task.
template <typename F>
void for_row_blocks(int64_t outer, int64_t D, int64_t inner, int64_t block, F fn) {
  constexpr int64_t kTaskElements = 16384;
  if (inner == 1) {
    parallel_for(outer, D >= kTaskElements ? 1 : kTaskElements / D, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) fn(o, int64_t{0}, int64_t{1});
    });
    return;
  }
  const int64_t blocks = (inner + block - 1) / block;
  const int64_t per_task = D * (inner < block ? inner : block);
  parallel_for(outer * blocks, per_task >= kTaskElements ? 1 : kTaskElements / per_task,
               [&](int64_t b, int64_t e) {
                 for (int64_t k = b; k < e; ++k) {
                   const int64_t o = k / blocks, i0 = k % blocks * block;
                   fn(o, i0, inner - i0 < block ? inner - i0 : block);
                 }
               });
}

}  // namespace neurite
