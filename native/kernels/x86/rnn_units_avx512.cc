// The recurrent kernels' unit passes (rnn_units.h) built with -mavx512f -mavx2 -mfma: the plain
// loops vectorize 16 wide, selects through mask registers. No FMA is formed (fp-contract=off in
// the header), so the results are bitwise those of the baseline table.
#define NEURITE_RNN_UNITS_IMPL
#include "../rnn_units.h"

namespace neurite {

const RnnUnits kRnnUnitsAvx512 = rnn_units_table("avx512");

}  // namespace neurite
