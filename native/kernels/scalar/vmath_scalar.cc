// Portable vectorisable math (see vmath.h).
#include "../vmath.h"

namespace neurite {}  // namespace neurite
