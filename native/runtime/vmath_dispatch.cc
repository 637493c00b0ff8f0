// Picks the vectorised math kernels once (see kernels/vmath.h).
#include "../kernels/vmath.h"

namespace neurite {}  // namespace neurite
