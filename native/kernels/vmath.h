// Vectorised math (exp, log, tanh, sigmoid, GELU) over float arrays: a portable baseline and an
// AVX2/FMA twin, picked once at load (runtime/vmath_dispatch.cc).
#pragma once
#include <cstdint>

namespace neurite {}  // namespace neurite
