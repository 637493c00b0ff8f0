// CPU feature detection and the microkernel table, chosen once per process.
#pragma once
#include "../kernels/ukernels.h"

namespace neurite {

// The table in use: AVX2/FMA kernels when the CPU has both and NEURITE_ISA does not ask for
// the baseline ("baseline" or "scalar"), else the portable baseline.
const UKernels& ukernels();

// Tables by name, for tests that compare the two: "baseline" always exists; "avx2-fma" is
// null when the CPU lacks AVX2 or FMA.
const UKernels* ukernels_baseline();
const UKernels* ukernels_avx2_fma();

// Whether the CPU supports AVX2 and FMA (independent of NEURITE_ISA).
bool cpu_has_avx2_fma();

}  // namespace neurite
