// Picks the vectorised math kernels once (see kernels/vmath.h), following the GEMM table: the
// AVX2/FMA twin exactly when ukernels() chose AVX2/FMA or AVX-512 (which has no vmath kernels
// of its own), so NEURITE_ISA=baseline switches both.
// Baseline code: it only takes the addresses of the AVX2 functions.
#include "../kernels/vmath.h"

#include <cstring>

#include "dispatch.h"

namespace neurite {
namespace {

const VMathKernels kBaseline = {
    "baseline",          vmath_exp__scalar,       vmath_log__scalar,
    vmath_tanh__scalar,  vmath_sigmoid__scalar,   vmath_erf__scalar,
    vmath_gelu__scalar,  vmath_gelu_tanh__scalar, vmath_gelu_backward__scalar,
    vmath_exp_sum_row__scalar};

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
const VMathKernels kAvx2Fma = {
    "avx2-fma",            vmath_exp__avx2_fma,       vmath_log__avx2_fma,
    vmath_tanh__avx2_fma,  vmath_sigmoid__avx2_fma,   vmath_erf__avx2_fma,
    vmath_gelu__avx2_fma,  vmath_gelu_tanh__avx2_fma, vmath_gelu_backward__avx2_fma,
    vmath_exp_sum_row__avx2_fma};
#endif

const VMathKernels* choose() {
  const VMathKernels* avx2 = vmath_avx2_fma();
  const char* isa = ukernels().isa;
  const bool vector = std::strcmp(isa, "avx2-fma") == 0 || std::strcmp(isa, "avx512") == 0;
  return avx2 && vector ? avx2 : &kBaseline;
}

}  // namespace

const VMathKernels& vmath() {
  static const VMathKernels* table = choose();
  return *table;
}

const VMathKernels* vmath_baseline() { return &kBaseline; }

const VMathKernels* vmath_avx2_fma() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  return cpu_has_avx2_fma() ? &kAvx2Fma : nullptr;
#else
  return nullptr;
#endif
}

}  // namespace neurite
