// AVX2/FMA math (see vmath.h). Built with -mavx2 -mfma; self-contained.
#include "../vmath.h"

namespace neurite {}  // namespace neurite
