// Fused recurrent kernels (see rnn.h).
#include "rnn.h"

namespace neurite {}  // namespace neurite
