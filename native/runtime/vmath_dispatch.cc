// Picks the vectorised math kernels once (see kernels/vmath.h), following the GEMM table: the
// AVX-512 twin exactly when ukernels() chose AVX-512, the AVX2/FMA twin when it chose AVX2/FMA,
// so NEURITE_ISA=avx2 or =baseline switches both.
// Baseline code: it only takes the addresses of the AVX2 and AVX-512 functions.
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
const VMathKernels kAvx512 = {
    "avx512",             vmath_exp__avx512,       vmath_log__avx512,
    vmath_tanh__avx512,   vmath_sigmoid__avx512,   vmath_erf__avx512,
    vmath_gelu__avx512,   vmath_gelu_tanh__avx512, vmath_gelu_backward__avx512,
    vmath_exp_sum_row__avx512};
#endif

const VMathKernels* choose() {
  const char* isa = ukernels().isa;
  const VMathKernels* avx512 = vmath_avx512();
  const VMathKernels* avx2 = vmath_avx2_fma();
  if (avx512 && std::strcmp(isa, "avx512") == 0) return avx512;
  if (avx2 && std::strcmp(isa, "avx2-fma") == 0) return avx2;
  return &kBaseline;
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

const VMathKernels* vmath_avx512() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  return cpu_has_avx512() ? &kAvx512 : nullptr;
#else
  return nullptr;
#endif
}

}  // namespace neurite
