// Winograd micro-benchmark: conv2d_forward (im2col + GEMM) next to conv2d_forward_winograd on
// 3x3 stride-1 shapes, on 1 and 2 threads. Paths are interleaved shape by shape in every round
// (order alternating); figures are medians over rounds. GFLOP/s count the direct convolution's
// 2 * N * K * C * 9 * OH * OW flops for both paths.
//   winograd_bench [--rounds R] [--target SECONDS] [--threads 1,2] [--path 0|1] [--cpu]
// --path 0 or 1 times only the im2col or only the Winograd path (for profiling); --cpu reports
// process CPU time (all threads summed), which a busy machine disturbs less than wall time.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "../kernels/conv.h"
#include "../kernels/winograd.h"
#include "../runtime/pool.h"

namespace {

using neurite::Conv2dGeom;

bool g_cpu_time = false;  // --cpu: process CPU time instead of wall time (all threads summed)

double now() {
  if (g_cpu_time) {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
  }
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Shape {
  std::string name;
  Conv2dGeom g;
};

// Seconds per call: repeats until `target` seconds have passed (at least 2 calls).
template <class F>
double time_call(F f, double target) {
  f();  // warm-up: workspaces, pool threads, caches
  int reps = 0;
  const double t0 = now();
  double t = t0;
  while (reps < 2 || t - t0 < target) {
    f();
    ++reps;
    t = now();
  }
  return (t - t0) / reps;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 7;
  double target = 0.2;
  std::vector<int> threads = {1, 2};
  bool sweep = false;  // --sweep: the threshold and large-channel shapes instead
  int only = -1;  // --path 0: im2col only, 1: Winograd only
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--rounds" && v) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--target" && v) {
      target = std::atof(argv[++i]);
    } else if (a == "--sweep") {
      sweep = true;
    } else if (a == "--cpu") {
      g_cpu_time = true;
    } else if (a == "--path" && v) {
      only = std::atoi(argv[++i]);
    } else if (a == "--threads" && v) {
      threads.clear();
      for (const char* p = argv[++i]; *p;) {
        threads.push_back(std::max(1, std::atoi(p)));
        while (*p && *p != ',') ++p;
        if (*p == ',') ++p;
      }
    } else {
      std::fprintf(stderr, "usage: %s [--rounds R] [--target SECONDS] [--threads 1,2]\n",
                   argv[0]);
      return 2;
    }
  }
  std::vector<Shape> shapes = {
      {"bench N=32 C=K=64 32x32 pad 1", {32, 64, 32, 32, 64, 3, 3, 32, 32, 1, 1, 1, 1, 1, 1, 1}},
      {"LeNet N=64 C=32 K=64 13->11", {64, 32, 13, 13, 64, 3, 3, 11, 11, 1, 1, 0, 0, 1, 1, 1}},
      {"LeNet dx N=64 C=64 K=32 11->13", {64, 64, 11, 11, 32, 3, 3, 13, 13, 1, 1, 2, 2, 1, 1, 1}},
  };
  if (sweep) {  // shapes near winograd_applicable's thresholds, and large channel counts
    shapes.clear();
    // N, C, H (= W), K, padding
    const int64_t sw[][5] = {{32, 8, 16, 8, 1},    {32, 16, 16, 16, 1}, {32, 32, 16, 32, 1},
                             {32, 4, 16, 4, 1},    {32, 4, 16, 64, 1},  {32, 64, 16, 4, 1},
                             {16, 3, 32, 64, 1},   {32, 64, 2, 64, 1},  {32, 64, 3, 64, 1},
                             {32, 64, 4, 64, 1},   {32, 64, 6, 64, 1},  {32, 64, 5, 64, 0},
                             {1, 16, 8, 16, 1},    {1, 64, 32, 64, 1},  {8, 256, 16, 256, 1},
                             {8, 512, 8, 512, 1},  {32, 8, 16, 64, 1},  {32, 16, 16, 64, 1},
                             {32, 64, 16, 8, 1},   {1, 32, 8, 32, 1},   {1, 64, 8, 64, 1},
                             {4, 16, 8, 16, 1},    {1, 16, 16, 16, 1},  {2, 32, 16, 32, 1}};
    for (const auto& v : sw) {
      char name[64];
      std::snprintf(name, sizeof name, "N=%lld C=%lld K=%lld %lldx%lld pad %lld", (long long)v[0],
                    (long long)v[1], (long long)v[3], (long long)v[2], (long long)v[2],
                    (long long)v[4]);
      const int64_t o = v[2] + 2 * v[4] - 2;
      shapes.push_back(
          {name, {v[0], v[1], v[2], v[2], v[3], 3, 3, o, o, 1, 1, v[4], v[4], 1, 1, 1}});
    }
  }
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  struct Data {
    std::vector<float> x, w, b, y;
  };
  std::vector<Data> data(shapes.size());
  for (size_t s = 0; s < shapes.size(); ++s) {
    const Conv2dGeom& g = shapes[s].g;
    data[s].x.resize(g.N * g.C * g.H * g.W);
    data[s].w.resize(g.K * g.C * 9);
    data[s].b.resize(g.K);
    data[s].y.resize(g.N * g.K * g.OH * g.OW);
    for (auto* v : {&data[s].x, &data[s].w, &data[s].b})
      for (auto& e : *v) e = dist(rng);
  }
  // times[s][t][path] over rounds
  std::vector<std::vector<std::vector<std::vector<double>>>> times(
      shapes.size(), std::vector<std::vector<std::vector<double>>>(
                         threads.size(), std::vector<std::vector<double>>(2)));
  for (int r = 0; r < rounds; ++r) {
    for (size_t s = 0; s < shapes.size(); ++s) {
      for (size_t t = 0; t < threads.size(); ++t) {
        neurite::set_num_threads(threads[t]);
        const Conv2dGeom& g = shapes[s].g;
        Data& d = data[s];
        for (int k = 0; k < 2; ++k) {
          const int path = (r + k) % 2;  // alternate which path goes first
          if (only >= 0 && path != only) {
            times[s][t][path].push_back(1.0);
            continue;
          }
          const double sec = time_call(
              [&] {
                if (path == 0)
                  neurite::conv2d_forward(g, d.x.data(), d.w.data(), d.b.data(), d.y.data());
                else
                  neurite::conv2d_forward_winograd(g, d.x.data(), d.w.data(), d.b.data(),
                                                   d.y.data());
              },
              target);
          times[s][t][path].push_back(sec);
        }
      }
    }
  }
  std::printf("%-34s %3s %10s %8s %10s %8s %7s\n", "shape", "thr", "im2col ms", "GFLOP/s",
              "wino ms", "GFLOP/s", "speedup");
  for (size_t s = 0; s < shapes.size(); ++s) {
    const Conv2dGeom& g = shapes[s].g;
    const double flops = 2.0 * g.N * g.K * g.C * 9 * g.OH * g.OW;
    for (size_t t = 0; t < threads.size(); ++t) {
      const double a = median(times[s][t][0]), b = median(times[s][t][1]);
      std::printf("%-34s %3d %10.3f %8.1f %10.3f %8.1f %6.2fx\n", shapes[s].name.c_str(),
                  threads[t], a * 1e3, flops / a * 1e-9, b * 1e3, flops / b * 1e-9, a / b);
    }
  }
  return 0;
}
