#pragma once
// A fixed pool of worker threads for the prover's hot loops. parallel_for splits a
// range into contiguous chunks (one per worker by default) and blocks until all are
// done; small ranges run inline so tiny instances pay no synchronisation.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace zks::util {

// The cores this process may run on: its CPU affinity where the system has one (a
// miner started under taskset or in a container with a cpuset gets what it was given,
// not the machine's count), else the hardware concurrency; at least 1.
size_t available_cores();

class ThreadPool {
 public:
  explicit ThreadPool(size_t threads);  // 0 = available_cores()
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return m_workers.size() + 1; }  // the caller works too

  // Calls fn(begin, end) over [0, n) in at most size() chunks. Runs inline when
  // n < min_parallel or the pool has one thread.
  void parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn,
                    size_t min_parallel = 1 << 12);

  // The process-wide pool, sized by set_global_threads() or available_cores().
  static ThreadPool& global();
  static void set_global_threads(size_t threads);

 private:
  void worker_loop();

  std::vector<std::thread> m_workers;
  std::deque<std::function<void()>> m_tasks;
  std::mutex m_mu;
  std::condition_variable m_cv;
  bool m_stop = false;
};

// Splits [0, n) into `parts` nearly equal chunks; chunk i is [bounds(i), bounds(i+1)).
inline size_t chunk_bound(size_t n, size_t parts, size_t i) { return n * i / parts; }

}  // namespace zks::util
