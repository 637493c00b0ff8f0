// CPU feature detection and the microkernel table, chosen once per process.
#pragma once
#include "../kernels/ukernels.h"

namespace neurite {

// The table in use: the best the CPU supports (AVX-512, then AVX2/FMA, then the portable
// baseline), capped by NEURITE_ISA: "baseline" or "scalar" force the baseline, "avx2" (or
// "avx2-fma") allows at most AVX2/FMA; anything else (e.g. "auto", "avx512") is no cap.
const UKernels& ukernels();

// Tables by name, for tests that compare them: "baseline" always exists; "avx2-fma" is null
// when the CPU lacks AVX2 or FMA, "avx512" when it lacks AVX-512F (or the OS does not save
// zmm state) or AVX2/FMA.
const UKernels* ukernels_baseline();
const UKernels* ukernels_avx2_fma();
const UKernels* ukernels_avx512();

// Whether the CPU supports AVX2 and FMA (independent of NEURITE_ISA).
bool cpu_has_avx2_fma();
// Whether the CPU and the OS support AVX-512F (and AVX2/FMA; independent of NEURITE_ISA).
bool cpu_has_avx512();

}  // namespace neurite
