// Picks microkernels once at load with __builtin_cpu_supports. Only files under kernels/x86/
// are built with -mavx2 -mfma; this file is baseline code and only calls through pointers.
#include "dispatch.h"

#include <cstdlib>
#include <cstring>

namespace neurite {
namespace {

const UKernels kBaseline = {"baseline", gemm_ukernel_4x8__scalar, 4, 8, 128, 256, 2048};

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
const UKernels kAvx2Fma = {"avx2-fma", gemm_ukernel_6x16__avx2_fma, 6, 16, 144, 512, 3072};
#endif

bool detect_avx2_fma() {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

const UKernels* choose() {
  const char* env = std::getenv("NEURITE_ISA");
  bool force_baseline =
      env && (std::strcmp(env, "baseline") == 0 || std::strcmp(env, "scalar") == 0);
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  if (!force_baseline && cpu_has_avx2_fma()) return &kAvx2Fma;
#endif
  (void)force_baseline;
  return &kBaseline;
}

}  // namespace

bool cpu_has_avx2_fma() {
  static const bool has = detect_avx2_fma();
  return has;
}

const UKernels& ukernels() {
  static const UKernels* table = choose();
  return *table;
}

const UKernels* ukernels_baseline() { return &kBaseline; }

const UKernels* ukernels_avx2_fma() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  return cpu_has_avx2_fma() ? &kAvx2Fma : nullptr;
#else
  return nullptr;
#endif
}

}  // namespace neurite
