#include "miner/job_queue.hpp"

namespace zks::miner {

JobQueue::JobQueue(size_t workers, size_t capacity) : m_capacity(capacity) {
  for (size_t i = 0; i < std::max<size_t>(1, workers); ++i) m_threads.emplace_back([this] { work(); });
}

JobQueue::~JobQueue() { stop(); }

JobQueue::Push JobQueue::push(Job job) {
  size_t depth, running;
  {
    std::lock_guard<std::mutex> lock(m_mu);
    if (m_stopped) return Push::Stopped;
    if (m_queue.size() >= m_capacity) return Push::Full;
    m_queue.push(Entry{std::move(job), m_seq++, std::chrono::steady_clock::now()});
    m_cv.notify_one();
    depth = m_queue.size(), running = m_running;
  }
  notify(depth, running);
  return Push::Queued;
}

void JobQueue::work() {
  for (;;) {
    Entry e;
    size_t depth, running;
    {
      std::unique_lock<std::mutex> lock(m_mu);
      m_cv.wait(lock, [this] { return m_stopped || !m_queue.empty(); });
      if (m_stopped) return;  // stop() answers what is still queued
      e = m_queue.top();
      m_queue.pop();
      depth = m_queue.size(), running = ++m_running;
    }
    notify(depth, running);
    double queue_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - e.queued).count();
    e.job.run(queue_ms);
    {
      std::lock_guard<std::mutex> lock(m_mu);
      depth = m_queue.size(), running = --m_running;
    }
    notify(depth, running);
  }
}

void JobQueue::stop() {
  std::vector<Entry> dropped;
  {
    std::lock_guard<std::mutex> lock(m_mu);
    if (m_stopped && m_threads.empty()) return;
    m_stopped = true;
    while (!m_queue.empty()) {
      dropped.push_back(m_queue.top());
      m_queue.pop();
    }
  }
  m_cv.notify_all();
  for (auto& e : dropped)
    if (e.job.dropped) e.job.dropped();
  for (auto& t : m_threads) t.join();  // running jobs finish and answer first
  m_threads.clear();
}

size_t JobQueue::depth() const {
  std::lock_guard<std::mutex> lock(m_mu);
  return m_queue.size();
}

size_t JobQueue::in_flight() const {
  std::lock_guard<std::mutex> lock(m_mu);
  return m_running;
}

}  // namespace zks::miner
