// NEURITE_ASSERT: programmer-error checks inside kernels. Active in debug and test builds
// (NEURITE_DEBUG), compiled out in release. Errors a caller can cause are checked in
// binding/args.h instead and never reach a kernel.
#pragma once
#include <cstdio>
#include <cstdlib>

#ifdef NEURITE_DEBUG
#define NEURITE_ASSERT(cond)                                                         \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: NEURITE_ASSERT(%s) failed\n", __FILE__, __LINE__, \
                   #cond);                                                           \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)
#else
#define NEURITE_ASSERT(cond) ((void)0)
#endif
