// The seeded generator: xoshiro128++ (Blackman & Vigna) over a 4 x uint32 state that the
// caller owns (lib/random.ts keeps one per JS environment, so workers draw independently).
// Normal draws use Box-Muller on pairs of uniforms.
#pragma once
#include <cstdint>

namespace neurite {

// Fills state[4] from a 64-bit seed through splitmix64.
void rng_seed(uint32_t* state, uint64_t seed);

//   out [n] out; state [4] in/out
void rng_uniform(float* out, int64_t n, uint32_t* state, float low, float high);
void rng_normal(float* out, int64_t n, uint32_t* state, float mean, float std);
// uniform integers in [low, high), high - low in [1, 2^32]
void rng_randint(int32_t* out, int64_t n, uint32_t* state, int64_t low, int64_t high);
// a uniformly random permutation of 0 .. n-1 (Fisher-Yates)
void rng_randperm(int32_t* out, int64_t n, uint32_t* state);

}  // namespace neurite
