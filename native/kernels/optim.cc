// Fused optimizer updates (see optim.h).
#include "optim.h"

namespace neurite {}  // namespace neurite
