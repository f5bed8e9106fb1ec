#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <malloc.h>
#include <sched.h>
#include <unistd.h>
#include <map>
#include <memory>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>

#include "util/assert.hpp"
#include "util/bytes.hpp"
#include "util/log.hpp"
#include "util/memory.hpp"
#include "util/thread_pool.hpp"

namespace zks::util {

void assert_fail(const char* expr, const char* file, int line, const char* msg) {
  std::fprintf(stderr, "zkslice: assertion failed: %s at %s:%d%s%s\n", expr, file, line,
               msg ? ": " : "", msg ? msg : "");
  std::fflush(stderr);
  std::abort();
}

void tune_allocator_for_proving(bool heap_only) {
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  if (heap_only) mallopt(M_MMAP_MAX, 0);  // glibc still maps where the heap cannot grow
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#else
  (void)heap_only;
#endif
}

size_t physical_memory_bytes() {
  size_t bytes = 0;
#if defined(__linux__)
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) bytes = size_t(pages) * size_t(page);
  // A container's limit, where lower: cgroup v2's memory.max ("max": none), v1's limit.
  for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    if (FILE* f = std::fopen(path, "r")) {
      unsigned long long limit = 0;
      if (std::fscanf(f, "%llu", &limit) == 1 && limit > 0 && (bytes == 0 || limit < bytes)) bytes = size_t(limit);
      std::fclose(f);
    }
  }
#endif
  return bytes;
}

std::string to_hex(std::span<const uint8_t> b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (uint8_t c : b) {
    s.push_back(digits[c >> 4]);
    s.push_back(digits[c & 15]);
  }
  return s;
}

size_t available_cores() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return size_t(CPU_COUNT(&set));
#endif
  return std::max(1u, std::thread::hardware_concurrency());
}

ThreadPool::ThreadPool(size_t threads) {
  if (threads == 0) threads = available_cores();
  for (size_t i = 1; i < threads; ++i) m_workers.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(m_mu);
    m_stop = true;
  }
  m_cv.notify_all();
  for (auto& t : m_workers) t.join();
}

namespace {
// Set on pool workers and on a caller inside parallel_for: nested calls run inline
// instead of queueing behind the tasks that wait for them.
thread_local bool t_in_pool = false;
}  // namespace

void ThreadPool::worker_loop() {
  t_in_pool = true;
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(m_mu);
      m_cv.wait(lock, [this] { return m_stop || !m_tasks.empty(); });
      if (m_stop && m_tasks.empty()) return;
      task = std::move(m_tasks.front());
      m_tasks.pop_front();
    }
    task();
  }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn,
                              size_t min_parallel) {
  if (n == 0) return;
  size_t parts = std::min(size(), n);
  if (parts <= 1 || n < min_parallel || t_in_pool) {
    fn(0, n);
    return;
  }
  std::latch done(static_cast<std::ptrdiff_t>(parts - 1));
  {
    std::lock_guard<std::mutex> lock(m_mu);
    for (size_t i = 1; i < parts; ++i) {
      size_t b = chunk_bound(n, parts, i), e = chunk_bound(n, parts, i + 1);
      m_tasks.emplace_back([&fn, &done, b, e] {
        fn(b, e);
        done.count_down();
      });
    }
  }
  m_cv.notify_all();
  t_in_pool = true;
  fn(0, chunk_bound(n, parts, 1));
  t_in_pool = false;
  done.wait();
}

namespace {
std::mutex g_pool_mu;
std::unique_ptr<ThreadPool> g_pool;
size_t g_pool_threads = 0;
}  // namespace

ThreadPool& ThreadPool::global() {
  std::lock_guard<std::mutex> lock(g_pool_mu);
  if (!g_pool) g_pool = std::make_unique<ThreadPool>(g_pool_threads);
  return *g_pool;
}

void ThreadPool::set_global_threads(size_t threads) {
  std::lock_guard<std::mutex> lock(g_pool_mu);
  g_pool_threads = threads;
  g_pool.reset();
}

}  // namespace zks::util

namespace zks::log {

namespace {
std::mutex g_log_mu;
spdlog::level::level_enum g_level = spdlog::level::info;
}  // namespace

std::shared_ptr<spdlog::logger> get(std::string_view category) {
  std::lock_guard<std::mutex> lock(g_log_mu);
  std::string name(category);
  if (auto l = spdlog::get(name)) return l;
  auto l = spdlog::stderr_color_mt(name);
  l->set_level(g_level);
  l->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  return l;
}

void set_level(std::string_view level) {
  std::lock_guard<std::mutex> lock(g_log_mu);
  g_level = spdlog::level::from_str(std::string(level));
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->set_level(g_level); });
}

}  // namespace zks::log
