// The recurrent kernels' unit passes (rnn_units.h) built with -mavx2 -mfma: the plain loops
// vectorize 8 wide with native blends. No FMA is formed (fp-contract=off in the header), so the
// results are bitwise those of the baseline table.
#define NEURITE_RNN_UNITS_IMPL
#include "../rnn_units.h"

namespace neurite {

const RnnUnits kRnnUnitsAvx2Fma = rnn_units_table("avx2-fma");

}  // namespace neurite
