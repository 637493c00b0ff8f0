// pool kernels, forward and backward (filled in by the CNN issue).
#pragma once
#include <cstdint>

namespace neurite {}  // namespace neurite
