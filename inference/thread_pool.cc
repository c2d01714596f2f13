#include "inference/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PARETO_PAUSE() _mm_pause()
#else
#define PARETO_PAUSE() ((void)0)
#endif

namespace pareto::inference {
namespace {
// A waiting thread first spins (the next loop of a forward pass usually starts within
// microseconds), then yields its core for a while (when the machine is oversubscribed the
// thread it waits for may need that core), then sleeps.
constexpr int kSpinIterations = 2000;
constexpr int kYieldIterations = 2000;
}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) {
  for (int i = 1; i < n_threads_; ++i) threads_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void ThreadPool::Work(int worker) {
  for (;;) {
    int task = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (task >= n_tasks_) break;
    (*fn_)(task, worker);
  }
}

void ThreadPool::WorkerLoop(int worker) {
  uint32_t seen = 0;
  for (;;) {
    uint32_t gen = generation_.load(std::memory_order_acquire);
    for (int spin = 0; gen == seen && spin < kSpinIterations; ++spin) {
      PARETO_PAUSE();
      gen = generation_.load(std::memory_order_acquire);
    }
    for (int spin = 0; gen == seen && spin < kYieldIterations; ++spin) {
      std::this_thread::yield();
      gen = generation_.load(std::memory_order_acquire);
    }
    if (gen == seen) {
      generation_.wait(seen, std::memory_order_acquire);
      continue;
    }
    seen = gen;
    if (stop_.load()) return;
    // Join the loop only if the caller has not closed it yet (it closes it once every task
    // is claimed). Announcing first and checking second, both sequentially consistent,
    // means the caller either sees this worker and waits for it, or the worker sees the
    // loop closed and stays out; so a worker that woke late never delays the caller.
    in_work_.fetch_add(1);
    if (closed_generation_.load() != gen) Work(worker);
    in_work_.fetch_sub(1);
  }
}

void ThreadPool::Run(int n_tasks, const std::function<void(int, int)>& fn) {
  if (n_tasks <= 0) return;
  if (n_threads_ == 1 || n_tasks == 1) {
    for (int t = 0; t < n_tasks; ++t) fn(t, 0);
    return;
  }
  fn_ = &fn;
  n_tasks_ = n_tasks;
  next_task_.store(0, std::memory_order_relaxed);
  const uint32_t gen = generation_.fetch_add(1, std::memory_order_release) + 1;
  generation_.notify_all();
  Work(0);
  // Every task is claimed; wait only for workers still running one.
  closed_generation_.store(gen);
  for (int spin = 0; in_work_.load() != 0; ++spin) {
    if (spin < kSpinIterations) {
      PARETO_PAUSE();
    } else {
      std::this_thread::yield();
    }
  }
  fn_ = nullptr;
}

}  // namespace pareto::inference
