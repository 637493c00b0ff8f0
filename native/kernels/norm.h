// Normalisation kernels (batch, layer, group norm), forward and backward.
#pragma once
#include <cstdint>

namespace neurite {}  // namespace neurite
