// Picks microkernels once at load with __builtin_cpu_supports. Only files under kernels/x86/
// are built with ISA flags (-mavx2 -mfma, -mavx512f); this file is baseline code and only
// calls through pointers.
#include "dispatch.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace neurite {
namespace {

const UKernels kBaseline = {"baseline", gemm_ukernel_4x8__scalar, 4, 8, 128, 256, 2048};

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
const UKernels kAvx2Fma = {"avx2-fma", gemm_ukernel_6x16__avx2_fma, 6, 16, 144, 512, 3072};
// A 12 x 512 panel of A (24 KB) and a 512 x 32 panel of B (64 KB) per microkernel sweep,
// both streamed from L2: MC x KC of A (192 KB) and KC x NC of B (2 MB, the L2 of this CPU's
// cores; the panels in use stay there). Deeper and narrower than the 144 / 384 / 3072 before:
// 1024^2 and 2048^2 went from 0.94x / 0.92x OpenBLAS to 1.00x / 0.98x on one thread, the
// training shapes unchanged (measured interleaved, Emerald Rapids, 2 MB L2).
const UKernels kAvx512 = {"avx512", gemm_ukernel_12x32__avx512, 12, 32, 96, 512, 1024};
#endif

bool detect_avx2_fma() {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

// AVX-512F reported by CPUID and the opmask / zmm state enabled by the OS in XCR0 (bits 1, 2,
// 5, 6, 7). libgcc's __builtin_cpu_supports checks XCR0 too; the explicit check also covers
// runtimes that do not. XGETBV is safe here: AVX2 support implies OSXSAVE.
bool detect_avx512() {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  if (!detect_avx2_fma() || !__builtin_cpu_supports("avx512f")) return false;
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  (void)hi;
  const uint32_t need = (1u << 1) | (1u << 2) | (1u << 5) | (1u << 6) | (1u << 7);
  return (lo & need) == need;
#else
  return false;
#endif
}

const UKernels* choose() {
  const char* env = std::getenv("NEURITE_ISA");
  const bool force_baseline =
      env && (std::strcmp(env, "baseline") == 0 || std::strcmp(env, "scalar") == 0);
  const bool at_most_avx2 =
      env && (std::strcmp(env, "avx2") == 0 || std::strcmp(env, "avx2-fma") == 0);
  if (force_baseline) return &kBaseline;
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  if (!at_most_avx2 && cpu_has_avx512()) return &kAvx512;
  if (cpu_has_avx2_fma()) return &kAvx2Fma;
#endif
  (void)at_most_avx2;
  return &kBaseline;
}

}  // namespace

bool cpu_has_avx2_fma() {
  static const bool has = detect_avx2_fma();
  return has;
}

bool cpu_has_avx512() {
  static const bool has = detect_avx512();
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

const UKernels* ukernels_avx512() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  return cpu_has_avx512() ? &kAvx512 : nullptr;
#else
  return nullptr;
#endif
}

}  // namespace neurite
