#pragma once
// A bounded priority queue of jobs with a fixed pool of workers. Higher priority runs
// first, ties in arrival order. push() refuses when `capacity` jobs are already waiting
// (the caller answers RESOURCE_EXHAUSTED) or after stop(). stop() drops the waiting
// jobs (calling their `dropped`), lets the running ones finish, and joins the workers.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace zks::miner {

class JobQueue {
 public:
  enum class Push { Queued, Full, Stopped };
  // run(queue_ms) proves; dropped() answers a job that will never run. Both answer
  // the job's caller exactly once between them.
  struct Job {
    int priority = 0;
    std::function<void(double queue_ms)> run;
    std::function<void()> dropped;
  };

  JobQueue(size_t workers, size_t capacity);
  ~JobQueue();  // stop()

  Push push(Job job);
  void stop();
  // Told (depth, running) after every change; set before the first push.
  void set_observer(std::function<void(size_t depth, size_t running)> fn) { m_observer = std::move(fn); }

  size_t workers() const { return m_threads.size(); }
  size_t capacity() const { return m_capacity; }
  size_t depth() const;
  size_t in_flight() const;

 private:
  struct Entry {
    Job job;
    uint64_t seq;
    std::chrono::steady_clock::time_point queued;
    bool operator<(const Entry& o) const {  // priority_queue: the "largest" runs first
      return job.priority != o.job.priority ? job.priority < o.job.priority : seq > o.seq;
    }
  };
  void work();
  void notify(size_t depth, size_t running) const {
    if (m_observer) m_observer(depth, running);
  }

  const size_t m_capacity;
  mutable std::mutex m_mu;
  std::condition_variable m_cv;
  std::priority_queue<Entry> m_queue;
  uint64_t m_seq = 0;
  size_t m_running = 0;
  bool m_stopped = false;
  std::vector<std::thread> m_threads;
  std::function<void(size_t, size_t)> m_observer;
};

}  // namespace zks::miner
