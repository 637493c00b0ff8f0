// Fused optimizer updates: one pass over a parameter tensor and its state per step.
#pragma once
#include <cstdint>

namespace neurite {}  // namespace neurite
