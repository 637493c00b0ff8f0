// Thread pool: a mutex-guarded queue of jobs; each job is a set of chunks claimed through an
// atomic counter by the caller and by whichever workers pick the job up. Idle workers and a
// caller waiting for its last chunk spin for a short while (kSpinSeconds) before sleeping on
// a condition variable: waking a sleeping thread costs tens of microseconds, as much as a
// whole small product (a training step's GEMMs are ~50-200 us).
#include "pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace neurite {
namespace {

constexpr double kSpinSeconds = 100e-6;

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until ready() or about kSpinSeconds have passed; returns ready().
template <typename F>
bool spin_until(F ready) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::duration<double>(kSpinSeconds);
  for (;;) {
    for (int i = 0; i < 32; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
    if (clock::now() >= deadline) return ready();
  }
}

struct Job {
  const std::function<void(int64_t, int64_t)>* fn;
  int64_t n = 0;
  int64_t chunks = 0;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::mutex mu;
  std::condition_variable finished;

  // Runs chunks until none are left; returns when this thread has no more to claim.
  void work() {
    for (;;) {
      int64_t c = next.fetch_add(1);
      if (c >= chunks) return;
      int64_t begin = c * n / chunks, end = (c + 1) * n / chunks;
      (*fn)(begin, end);
      if (done.fetch_add(1) + 1 == chunks) {
        std::lock_guard<std::mutex> lock(mu);
        finished.notify_all();
      }
    }
  }
};

thread_local bool in_pool_chunk = false;

class Pool {
 public:
  Pool() {
    int n = 0;
    if (const char* env = std::getenv("NEURITE_NUM_THREADS")) n = std::atoi(env);
    if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
    threads_.store(std::max(1, std::min(n, 256)));
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      stop_flag_.store(true);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  int threads() const { return threads_.load(); }
  void set_threads(int n) { threads_.store(std::max(1, std::min(n, 256))); }

  void run(const std::shared_ptr<Job>& job, int helpers) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (static_cast<int>(workers_.size()) < helpers)
        workers_.emplace_back([this] { loop(); });
      for (int i = 0; i < helpers; ++i) queue_.push_back(job);
      queued_.fetch_add(helpers);
    }
    cv_.notify_all();
    in_pool_chunk = true;
    job->work();
    in_pool_chunk = false;
    if (spin_until([&] { return job->done.load() == job->chunks; })) return;
    std::unique_lock<std::mutex> lock(job->mu);
    job->finished.wait(lock, [&] { return job->done.load() == job->chunks; });
  }

 private:
  void loop() {
    in_pool_chunk = true;
    for (;;) {
      std::shared_ptr<Job> job;
      spin_until([&] { return queued_.load(std::memory_order_relaxed) > 0 || stop_flag_.load(); });
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (stop_ && queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
        queued_.fetch_sub(1);
      }
      job->work();
    }
  }

  std::atomic<int> threads_{1};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::atomic<int64_t> queued_{0};  // queue_.size(), readable without the lock while spinning
  std::atomic<bool> stop_flag_{false};
  std::vector<std::thread> workers_;
  bool stop_ = false;
};

Pool& pool() {
  // Never destroyed: worker threads may outlive static destruction order at process exit.
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

int num_threads() { return pool().threads(); }
void set_num_threads(int n) { pool().set_threads(n); }

int64_t parallel_chunks(int64_t n, int64_t grain) {
  if (n <= 0) return 0;
  if (grain < 1) grain = 1;
  int64_t by_grain = (n + grain - 1) / grain;
  return std::max<int64_t>(1, std::min<int64_t>(num_threads(), by_grain));
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  int64_t chunks = parallel_chunks(n, grain);
  if (chunks == 0) return;
  if (chunks == 1) {
    fn(0, n);
    return;
  }
  if (in_pool_chunk) {
    // Nested: keep the same chunk boundaries (same numbers), run them here.
    for (int64_t c = 0; c < chunks; ++c) fn(c * n / chunks, (c + 1) * n / chunks);
    return;
  }
  auto job = std::make_shared<Job>();
  job->fn = &fn;
  job->n = n;
  job->chunks = chunks;
  pool().run(job, static_cast<int>(chunks - 1));
}

}  // namespace neurite
