#include "memory.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace neurite {

bool tune_malloc() {
  static std::once_flag once;
  static bool applied = false;
  std::call_once(once, [] {
#if defined(__GLIBC__)
    const char* env = std::getenv("NEURITE_MALLOC");
    if (env != nullptr && std::strcmp(env, "system") == 0) return;
    // 32 MiB is glibc's largest mmap threshold on 64-bit; blocks below it come from the heap
    // and are reused. The trim threshold bounds the free memory kept at the heap top.
    applied = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 512 << 20) == 1;
#endif
  });
  return applied;
}

}  // namespace neurite
