// AVX2/FMA twin of the sparse weight gradient's accumulation (conv_pool.cc): rows of RP floats,
// RP / 8 ymm accumulators per output channel, one FMA per pooled position and vector.
#include <immintrin.h>

#include <cstdint>

#include "../conv.h"

namespace neurite {
namespace {

// U accumulator sets (positions q, q + 1, ... in turn) hide the FMA latency.
template <int NV, int U>
bool rows(int64_t K, int64_t P2, int64_t plane, int64_t RP, const float* dy,
          const int32_t* idx, const float* col, float* acc) {
  bool ok = true;
  for (int64_t k = 0; k < K; ++k) {
    __m256 a[U][NV];
    for (int u = 0; u < U; ++u)
      for (int v = 0; v < NV; ++v) a[u][v] = _mm256_setzero_ps();
    const float* d = dy + k * P2;
    const int32_t* ix = idx + k * P2;
    int64_t q = 0;
    for (; q + U <= P2; q += U)
      for (int u = 0; u < U; ++u) {
        if (static_cast<uint32_t>(ix[q + u]) >= static_cast<uint64_t>(plane)) {
          ok = ok && ix[q + u] == -1;
          continue;
        }
        const __m256 s = _mm256_set1_ps(d[q + u]);
        const float* row = col + static_cast<int64_t>(ix[q + u]) * RP;
        for (int v = 0; v < NV; ++v)
          a[u][v] = _mm256_fmadd_ps(s, _mm256_loadu_ps(row + 8 * v), a[u][v]);
      }
    for (; q < P2; ++q) {
      if (static_cast<uint32_t>(ix[q]) >= static_cast<uint64_t>(plane)) {
        ok = ok && ix[q] == -1;
        continue;
      }
      const __m256 s = _mm256_set1_ps(d[q]);
      const float* row = col + static_cast<int64_t>(ix[q]) * RP;
      for (int v = 0; v < NV; ++v) a[0][v] = _mm256_fmadd_ps(s, _mm256_loadu_ps(row + 8 * v), a[0][v]);
    }
    for (int u = 1; u < U; ++u)
      for (int v = 0; v < NV; ++v) a[0][v] = _mm256_add_ps(a[0][v], a[u][v]);
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(acc + k * RP + 8 * v, a[0][v]);
  }
  return ok;
}

}  // namespace

// All RP columns (a multiple of 16), 64 at a time.
bool conv_pool_rows__avx2_fma(int64_t RP, int64_t K, int64_t P2, int64_t plane, const float* dy,
                              const int32_t* idx, const float* col, float* acc) {
  bool ok = true;
  for (int64_t r0 = 0; r0 < RP; r0 += 64) {
    const float* c = col + r0;
    float* o = acc + r0;
    switch ((RP - r0 < 64 ? RP - r0 : 64) / 8) {
      case 2: ok = rows<2, 4>(K, P2, plane, RP, dy, idx, c, o) && ok; break;
      case 4: ok = rows<4, 2>(K, P2, plane, RP, dy, idx, c, o) && ok; break;
      case 6: ok = rows<6, 2>(K, P2, plane, RP, dy, idx, c, o) && ok; break;
      default: ok = rows<8, 1>(K, P2, plane, RP, dy, idx, c, o) && ok; break;
    }
  }
  return ok;
}

}  // namespace neurite
