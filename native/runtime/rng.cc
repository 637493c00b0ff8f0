// xoshiro128++: https://prng.di.unimi.it/xoshiro128plusplus.c
#include "rng.h"

#include <cmath>

namespace neurite {
namespace {

inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

inline uint32_t next(uint32_t* s) {
  uint32_t result = rotl(s[0] + s[3], 7) + s[0];
  uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return result;
}

// uniform in [0, 1) with 24 random bits
inline float unit(uint32_t* s) { return static_cast<float>(next(s) >> 8) * (1.0f / 16777216.0f); }

// uniform in (0, 1] in double precision, for Box-Muller's log
inline double unit_open(uint32_t* s) {
  uint64_t hi = next(s) >> 5, lo = next(s) >> 6;  // 53 bits
  return (static_cast<double>(hi * 67108864ull + lo) + 1.0) * (1.0 / 9007199254740992.0);
}

}  // namespace

void rng_seed(uint32_t* state, uint64_t seed) {
  uint64_t z = seed;
  for (int i = 0; i < 2; ++i) {
    z += 0x9e3779b97f4a7c15ull;
    uint64_t x = z;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    state[2 * i] = static_cast<uint32_t>(x);
    state[2 * i + 1] = static_cast<uint32_t>(x >> 32);
  }
  if ((state[0] | state[1] | state[2] | state[3]) == 0) state[0] = 1;
}

void rng_uniform(float* out, int64_t n, uint32_t* state, float low, float high) {
  float span = high - low;
  for (int64_t i = 0; i < n; ++i) {
    float v = low + span * unit(state);
    out[i] = v < high ? v : low;  // rounding may reach high; keep [low, high)
  }
}

void rng_normal(float* out, int64_t n, uint32_t* state, float mean, float std) {
  const double two_pi = 6.283185307179586476925;
  for (int64_t i = 0; i < n; i += 2) {
    double r = std::sqrt(-2.0 * std::log(unit_open(state)));
    double theta = two_pi * unit_open(state);
    out[i] = static_cast<float>(mean + std * r * std::cos(theta));
    if (i + 1 < n) out[i + 1] = static_cast<float>(mean + std * r * std::sin(theta));
  }
}

void rng_randint(int32_t* out, int64_t n, uint32_t* state, int64_t low, int64_t high) {
  uint64_t range = static_cast<uint64_t>(high - low);  // 1 .. 2^32
  for (int64_t i = 0; i < n; ++i) {
    uint64_t v;
    if (range == (1ull << 32)) {
      v = next(state);
    } else {
      // Lemire's nearly divisionless method, unbiased
      uint64_t m = static_cast<uint64_t>(next(state)) * range;
      uint32_t l = static_cast<uint32_t>(m);
      if (l < range) {
        uint32_t t = static_cast<uint32_t>((0x100000000ull - range) % range);
        while (l < t) {
          m = static_cast<uint64_t>(next(state)) * range;
          l = static_cast<uint32_t>(m);
        }
      }
      v = m >> 32;
    }
    out[i] = static_cast<int32_t>(low + static_cast<int64_t>(v));
  }
}

void rng_randperm(int32_t* out, int64_t n, uint32_t* state) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(i);
  for (int64_t i = n - 1; i > 0; --i) {
    int32_t j;
    rng_randint(&j, 1, state, 0, i + 1);
    int32_t t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
}

}  // namespace neurite
