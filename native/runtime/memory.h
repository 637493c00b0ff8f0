// Process memory settings for large tensor buffers.
#pragma once

namespace neurite {

// Keeps large freed blocks for reuse instead of returning them to the OS at once: glibc
// otherwise maps every block over its (adaptive) mmap threshold afresh and trims the heap
// top, so each new multi-megabyte activation or gradient page-faults on first touch (about
// 1 us per 4 KiB page: more than a memory-bound kernel over it). Sets glibc's mmap threshold
// to 32 MiB and its trim threshold to 512 MiB, once per process, unless NEURITE_MALLOC=system.
// No-op on other C libraries. Returns whether the settings were applied.
bool tune_malloc();

}  // namespace neurite
