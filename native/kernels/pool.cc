// pool kernels (see pool.h).
#include "pool.h"

namespace neurite {}  // namespace neurite
