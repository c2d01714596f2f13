// ThreadPool: a fixed set of worker threads that run one parallel loop at a time.
//
// Run(n_tasks, fn) calls fn(task, worker) once for every task in [0, n_tasks), spread over
// the calling thread and the workers, and returns when all calls have finished. Tasks are
// claimed dynamically (an atomic counter), so a core stolen by another process slows a loop
// down instead of stalling it behind one static share.
//
// A forward pass runs hundreds of short loops, so workers spin briefly between loops before
// sleeping (futex wait): the wake-up cost of a sleeping thread would dominate small loops.
// One loop at a time: Run must not be called concurrently or from inside a task.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace pareto::inference {

class ThreadPool {
 public:
  // n_threads counts the caller: ThreadPool(1) runs everything on the calling thread.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // fn(task, worker): worker is in [0, size()), distinct among concurrently running calls,
  // so it can index per-thread scratch.
  void Run(int n_tasks, const std::function<void(int task, int worker)>& fn);

 private:
  void WorkerLoop(int worker);
  void Work(int worker);

  int n_threads_;
  std::vector<std::thread> threads_;
  const std::function<void(int, int)>* fn_ = nullptr;
  int n_tasks_ = 0;
  std::atomic<int> next_task_{0};
  std::atomic<int> in_work_{0};  // workers inside the current loop
  std::atomic<uint32_t> generation_{0};
  std::atomic<uint32_t> closed_generation_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace pareto::inference
