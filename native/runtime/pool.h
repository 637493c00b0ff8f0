// One process-wide thread pool shared by every addon instance (main thread and workers).
// parallel_for splits [0, n) into at most num_threads() chunks whose boundaries depend only
// on n, grain and the thread count, so results never depend on thread timing.
#pragma once
#include <cstdint>
#include <functional>

namespace neurite {

// Number of threads a parallel_for may use (>= 1). Initially NEURITE_NUM_THREADS or the
// number of cores.
int num_threads();
void set_num_threads(int n);

// Calls fn(begin, end) over disjoint chunks covering [0, n), each at least `grain` long
// (except the last). The calling thread takes part; safe to call from several threads at
// once and from inside a chunk (the nested call then runs on the calling thread).
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// The chunk count parallel_for(n, grain, ...) uses; chunk c covers
// [c * n / chunks, (c + 1) * n / chunks).
int64_t parallel_chunks(int64_t n, int64_t grain);

}  // namespace neurite
