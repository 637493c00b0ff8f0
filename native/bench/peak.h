// Peak FMA loops of gemm_bench, one per ISA; each runs `iters` iterations of 12 independent
// vector FMAs (8 floats for AVX2, 16 for AVX-512) and returns a value to keep them live.
#pragma once
#include <cstdint>

namespace neurite_bench {

// peak_avx512.cc, built with -mavx512f: call only when neurite::cpu_has_avx512().
float fma_loop_avx512(int64_t iters);

}  // namespace neurite_bench
