// Normalisation kernels (see norm.h).
#include "norm.h"

namespace neurite {}  // namespace neurite
