// GEMM micro-benchmark: neurite::gemm next to OpenBLAS's cblas_sgemm (when CMake found it:
// NEURITE_BENCH_OPENBLAS) and peak FMA loops measured in the same run, on 1 and 2 threads:
// an AVX2 loop always, an AVX-512 loop when the CPU has AVX-512F (peak_avx512.cc). Each
// system's %peak is against the peak of the ISA its kernels use (neurite: its dispatch table;
// OpenBLAS: its core type); the "%p512" columns are against the AVX-512 peak.
// Systems are interleaved shape by shape in every round (order alternating); figures are
// medians over rounds, ratios the medians of per-round ratios. Prints a table, then JSON.
//   gemm_bench [--rounds R] [--target SECONDS] [--threads 1,2] [--filter SUBSTR] [--json FILE]
//              [--openblas-core auto|skylakex|haswell]
// --openblas-core: the OpenBLAS kernels forced through OPENBLAS_CORETYPE (auto: SkylakeX when
// the CPU has AVX-512F, else Haswell; an OPENBLAS_CORETYPE already set wins over auto).
// Dev-only: OpenBLAS is a comparison, never a dependency of the library.
#include <immintrin.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../kernels/gemm.h"
#include "../runtime/dispatch.h"
#include "../runtime/pool.h"
#include "peak.h"

#ifdef NEURITE_BENCH_OPENBLAS
#include <cblas.h>
extern "C" char* openblas_get_corename(void);
#endif

namespace {

double now() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Peak loop: 12 independent chains of AVX2 FMAs (enough to cover 4-cycle latency on two
// ports), the same instruction mix as the microkernel's inner loop minus the loads.
__attribute__((target("avx2,fma"), noinline)) float fma_loop(int64_t iters) {
  __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  __m256 c0 = _mm256_set1_ps(0.f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0,
         c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  for (int64_t i = 0; i < iters; ++i) {
    c0 = _mm256_fmadd_ps(x, c0, y);
    c1 = _mm256_fmadd_ps(x, c1, y);
    c2 = _mm256_fmadd_ps(x, c2, y);
    c3 = _mm256_fmadd_ps(x, c3, y);
    c4 = _mm256_fmadd_ps(x, c4, y);
    c5 = _mm256_fmadd_ps(x, c5, y);
    c6 = _mm256_fmadd_ps(x, c6, y);
    c7 = _mm256_fmadd_ps(x, c7, y);
    c8 = _mm256_fmadd_ps(x, c8, y);
    c9 = _mm256_fmadd_ps(x, c9, y);
    c10 = _mm256_fmadd_ps(x, c10, y);
    c11 = _mm256_fmadd_ps(x, c11, y);
    __asm__ volatile("" : "+x"(c0), "+x"(c1), "+x"(c2), "+x"(c3), "+x"(c4), "+x"(c5));
    __asm__ volatile("" : "+x"(c6), "+x"(c7), "+x"(c8), "+x"(c9), "+x"(c10), "+x"(c11));
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                           _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}

// GFLOP/s of a peak loop on `threads` threads running at once (one block of ~target s):
// AVX2 (8 lanes) or AVX-512 (16 lanes, only when neurite::cpu_has_avx512()).
double peak_gflops(int threads, double target, bool avx512) {
  const int64_t iters = static_cast<int64_t>(target * 2.5e8);  // ~12 FMAs/iter at 3 GHz/2
  const int lanes = avx512 ? 16 : 8;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> secs(threads);
  std::vector<std::thread> ts;
  volatile float sink = 0;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load()) {
      }
      const double t0 = now();
      sink = avx512 ? neurite_bench::fma_loop_avx512(iters) : fma_loop(iters);
      secs[t] = now() - t0;
    });
  }
  while (ready.load() < threads) {
  }
  go.store(true);
  for (auto& th : ts) th.join();
  (void)sink;
  const double slowest = *std::max_element(secs.begin(), secs.end());
  return threads * double(iters) * 12 * lanes * 2 / slowest * 1e-9;
}

struct Shape {
  const char* name;
  bool ta, tb;
  int64_t M, N, K;
};

struct Operands {
  std::vector<float> A, B, C;
};

Operands make_operands(const Shape& s) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  Operands o;
  o.A.resize(s.M * s.K);
  o.B.resize(s.K * s.N);
  o.C.resize(s.M * s.N);
  for (float& x : o.A) x = d(rng);
  for (float& x : o.B) x = d(rng);
  return o;
}

enum System { kNeurite = 0, kOpenBlas = 1, kSystems = 2 };
const char* kSystemNames[kSystems] = {"neurite", "openblas"};

void call(System sys, const Shape& s, Operands& o) {
  const int64_t lda = s.ta ? s.M : s.K, ldb = s.tb ? s.K : s.N;
  if (sys == kNeurite) {
    neurite::gemm(s.ta, s.tb, s.M, s.N, s.K, 1.0f, o.A.data(), lda, o.B.data(), ldb, 0.0f,
                  o.C.data(), s.N);
    return;
  }
#ifdef NEURITE_BENCH_OPENBLAS
  cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans,
              s.M, s.N, s.K, 1.0f, o.A.data(), lda, o.B.data(), ldb, 0.0f, o.C.data(), s.N);
#endif
}

// Seconds per call over one block of `reps` calls.
double time_block(System sys, const Shape& s, Operands& o, int64_t reps) {
  const double t0 = now();
  for (int64_t r = 0; r < reps; ++r) call(sys, s, o);
  return (now() - t0) / reps;
}

}  // namespace

int main(int argc, char** argv) {
  std::string openblas_core_opt = "auto";
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--openblas-core") openblas_core_opt = argv[i + 1];
  std::transform(openblas_core_opt.begin(), openblas_core_opt.end(), openblas_core_opt.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (openblas_core_opt != "auto" && openblas_core_opt != "skylakex" &&
      openblas_core_opt != "haswell") {
    std::fprintf(stderr, "gemm_bench: --openblas-core must be auto, skylakex or haswell\n");
    return 2;
  }
  const bool has_avx512 = neurite::cpu_has_avx512();
#ifdef NEURITE_BENCH_OPENBLAS
  // OpenBLAS workers spin ~2^28 cycles after each call and would steal the second core from
  // the next neurite block; a short timeout makes the interleaving fair. Debian's DYNAMIC_ARCH
  // build (0.3.21) does not know recent Xeons and falls back to its SSE3 "Prescott" kernels;
  // force its best kernels for the CPU: AVX-512 "SkylakeX" when it has AVX-512F, else AVX2
  // "Haswell" (--openblas-core chooses). Both are read at load time, so re-exec once.
  {
    std::string want;
    if (openblas_core_opt == "skylakex") want = "SkylakeX";
    else if (openblas_core_opt == "haswell") want = "Haswell";
    else if (const char* e = std::getenv("OPENBLAS_CORETYPE")) want = e;
    else want = has_avx512 ? "SkylakeX" : "Haswell";
    const char* cur = std::getenv("OPENBLAS_CORETYPE");
    if (!std::getenv("OPENBLAS_THREAD_TIMEOUT") || !cur || want != cur) {
      setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
      setenv("OPENBLAS_CORETYPE", want.c_str(), 1);
      execv("/proc/self/exe", argv);
    }
  }
#endif
  int rounds = 7;
  double target = 0.05;
  std::vector<int> thread_counts = {1, 2};
  std::string filter, json_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--rounds" && v) rounds = std::max(1, std::atoi(argv[++i]));
    else if (a == "--target" && v) target = std::atof(argv[++i]);
    else if (a == "--filter" && v) filter = argv[++i];
    else if (a == "--json" && v) json_path = argv[++i];
    else if (a == "--openblas-core" && v) ++i;  // read above
    else if (a == "--threads" && v) {
      thread_counts.clear();
      for (const char* p = argv[++i]; *p;) {
        thread_counts.push_back(std::max(1, std::atoi(p)));
        while (*p && *p != ',') ++p;
        if (*p == ',') ++p;
      }
    } else {
      std::fprintf(stderr,
                   "usage: gemm_bench [--rounds R] [--target S] [--threads 1,2] "
                   "[--filter SUBSTR] [--json FILE] [--openblas-core auto|skylakex|haswell]\n");
      return 2;
    }
  }

  // Square sizes, then the products of a training step: for each linear layer Y = X·Wᵀ with
  // X [N, F] and W [O, F]: forward NT, dX = dY·W (NN) and dW = dYᵀ·X (TN); plus the NN form
  // of each forward shape (M x K x N as the issue writes them). "mm" rows: the backward of
  // matmul(X [64, 128], W [128, 10]): dX = dY·Wᵀ (NT), dW = Xᵀ·dY (TN).
  const Shape all[] = {
      {"sq256", false, false, 256, 256, 256},
      {"sq512", false, false, 512, 512, 512},
      {"sq1024", false, false, 1024, 1024, 1024},
      {"sq2048", false, false, 2048, 2048, 2048},
      {"64x784x128", false, false, 64, 128, 784},
      {"64x784x128 fwd NT", false, true, 64, 128, 784},
      {"64x128x784 dX NN", false, false, 64, 784, 128},
      {"128x64x784 dW TN", true, false, 128, 784, 64},
      {"64x128x10", false, false, 64, 10, 128},
      {"64x128x10 fwd NT", false, true, 64, 10, 128},
      {"64x10x128 dX NN", false, false, 64, 128, 10},
      {"10x64x128 dW TN", true, false, 10, 128, 64},
      {"64x10x128 mm dX NT", false, true, 64, 128, 10},
      {"128x64x10 mm dW TN", true, false, 128, 10, 64},
      {"32x1024x256", false, false, 32, 256, 1024},
      {"32x1024x256 fwd NT", false, true, 32, 256, 1024},
      {"32x256x1024 dX NN", false, false, 32, 1024, 256},
      {"256x32x1024 dW TN", true, false, 256, 1024, 32},
  };
  std::vector<Shape> shapes;
  for (const Shape& s : all)
    if (filter.empty() || std::string(s.name).find(filter) != std::string::npos)
      shapes.push_back(s);
  std::vector<Operands> ops;
  for (const Shape& s : shapes) ops.push_back(make_operands(s));

#ifdef NEURITE_BENCH_OPENBLAS
  const int n_sys = 2;
#else
  const int n_sys = 1;
#endif
#ifdef NEURITE_BENCH_OPENBLAS
  const std::string openblas = openblas_get_corename();
#else
  const std::string openblas = "none";
#endif
  // Which peak each system's %peak uses: the widest ISA of its kernels.
  const std::string isa = neurite::ukernels().isa;
  const bool neurite_512 = isa == "avx512";
  std::string ob_lower = openblas;
  std::transform(ob_lower.begin(), ob_lower.end(), ob_lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  const bool openblas_512 = has_avx512 && (ob_lower.find("skylakex") != std::string::npos ||
                                           ob_lower.find("cooperlake") != std::string::npos ||
                                           ob_lower.find("sapphire") != std::string::npos);
  std::printf("# gemm_bench: neurite isa %s, %d rounds, %.3f s blocks\n", isa.c_str(), rounds,
              target);
#ifdef NEURITE_BENCH_OPENBLAS
  std::printf("# openblas core: %s (forced with OPENBLAS_CORETYPE=%s, --openblas-core %s%s)\n",
              openblas.c_str(), std::getenv("OPENBLAS_CORETYPE"), openblas_core_opt.c_str(),
              openblas_core_opt == "auto" ? (has_avx512 ? ": CPU has avx512f" : ": no avx512f")
                                          : "");
#endif
  std::printf("# %%peak: of the %s peak for neurite, of the %s peak for openblas; %%p512: of "
              "the AVX-512 peak\n",
              neurite_512 ? "AVX-512" : "AVX2", openblas_512 ? "AVX-512" : "AVX2");

  std::string json = "{\"isa\":\"" + isa + "\",\"openblas_core\":\"" + openblas +
                     "\",\"results\":[";
  bool first_json = true;
  for (int threads : thread_counts) {
    neurite::set_num_threads(threads);
#ifdef NEURITE_BENCH_OPENBLAS
    openblas_set_num_threads(threads);
#endif
    // Calibrate reps per block on each system; warm up pools and packing buffers.
    std::vector<std::vector<int64_t>> reps(shapes.size(), std::vector<int64_t>(n_sys));
    for (size_t i = 0; i < shapes.size(); ++i) {
      for (int sys = 0; sys < n_sys; ++sys) {
        call(System(sys), shapes[i], ops[i]);
        double t = time_block(System(sys), shapes[i], ops[i], 1);
        int64_t r = 1;
        while (t * r < target * 0.25 && r < (int64_t{1} << 20)) {
          r *= 4;
          t = time_block(System(sys), shapes[i], ops[i], r);
        }
        reps[i][sys] = std::max<int64_t>(1, static_cast<int64_t>(target / std::max(t, 1e-9)));
      }
    }
    std::vector<double> peaks, peaks512;
    std::vector<std::vector<std::vector<double>>> secs(
        shapes.size(), std::vector<std::vector<double>>(n_sys));
    std::vector<std::vector<double>> ratios(shapes.size());
    for (int r = 0; r < rounds; ++r) {
      peaks.push_back(peak_gflops(threads, target, false));
      if (has_avx512) peaks512.push_back(peak_gflops(threads, target, true));
      for (size_t i = 0; i < shapes.size(); ++i) {
        double t[kSystems] = {};
        for (int q = 0; q < n_sys; ++q) {
          const int sys = r % 2 == 0 ? q : n_sys - 1 - q;
          t[sys] = time_block(System(sys), shapes[i], ops[i], reps[i][sys]);
          secs[i][sys].push_back(t[sys]);
        }
        if (n_sys == 2) ratios[i].push_back(t[kOpenBlas] / t[kNeurite]);
      }
    }
    const double peak = median(peaks);
    const double peak512 = has_avx512 ? median(peaks512) : 0.0;
    const double peak_n = neurite_512 ? peak512 : peak, peak_o = openblas_512 ? peak512 : peak;
    // %p512 falls back to the AVX2 peak on a CPU without AVX-512.
    const double peak_w = has_avx512 ? peak512 : peak;
    std::printf("\nthreads %d: peak FMA loop AVX2 %.1f GFLOP/s (min %.1f, max %.1f)", threads,
                peak, *std::min_element(peaks.begin(), peaks.end()),
                *std::max_element(peaks.begin(), peaks.end()));
    if (has_avx512)
      std::printf(", AVX-512 %.1f GFLOP/s (min %.1f, max %.1f)", peak512,
                  *std::min_element(peaks512.begin(), peaks512.end()),
                  *std::max_element(peaks512.begin(), peaks512.end()));
    std::printf("\n%-22s %10s %7s %7s %10s %7s %7s %9s\n", "shape (M x K x N)", "neurite",
                "%peak", "%p512", "openblas", "%peak", "%p512", "speedup");
    for (size_t i = 0; i < shapes.size(); ++i) {
      const Shape& s = shapes[i];
      const double flops = 2.0 * s.M * s.N * s.K;
      const double gn = flops / median(secs[i][kNeurite]) * 1e-9;
      const double go = n_sys == 2 ? flops / median(secs[i][kOpenBlas]) * 1e-9 : 0.0;
      const double ratio = n_sys == 2 ? median(ratios[i]) : 0.0;
      std::printf("%-22s %10.1f %6.1f%% %6.1f%% %10.1f %6.1f%% %6.1f%% %8.2fx\n", s.name, gn,
                  100 * gn / peak_n, 100 * gn / peak_w, go, 100 * go / peak_o, 100 * go / peak_w,
                  ratio);
      char buf[768];
      std::snprintf(buf, sizeof buf,
                    "%s{\"threads\":%d,\"shape\":\"%s\",\"M\":%lld,\"N\":%lld,\"K\":%lld,"
                    "\"transA\":%s,\"transB\":%s,\"peak_gflops\":%.2f,\"peak_avx2_gflops\":%.2f,"
                    "\"peak_avx512_gflops\":%.2f,\"neurite_peak_gflops\":%.2f,"
                    "\"openblas_peak_gflops\":%.2f,\"neurite_gflops\":%.2f,"
                    "\"openblas_gflops\":%.2f,\"neurite_over_openblas\":%.3f}",
                    first_json ? "" : ",", threads, s.name, (long long)s.M, (long long)s.N,
                    (long long)s.K, s.ta ? "true" : "false", s.tb ? "true" : "false", peak_n,
                    peak, peak512, peak_n, peak_o, gn, go, ratio);
      json += buf;
      first_json = false;
    }
  }
  json += "]}";
  std::printf("\nJSON %s\n", json.c_str());
  if (!json_path.empty()) {
    if (FILE* f = std::fopen(json_path.c_str(), "w")) {
      std::fprintf(f, "%s\n", json.c_str());
      std::fclose(f);
    }
  }
  return 0;
}
