// Fused recurrent kernels (RNN, LSTM, GRU): whole-sequence forward and backward.
#pragma once
#include <cstdint>

namespace neurite {}  // namespace neurite
