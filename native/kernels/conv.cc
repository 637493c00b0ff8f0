// conv kernels (see conv.h).
#include "conv.h"

namespace neurite {}  // namespace neurite
