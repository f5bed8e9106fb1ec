// The thread pool: its size follows the cores the process may use, and parallel_for
// covers its range exactly once.
#include <catch2/catch.hpp>

#include <atomic>
#include <sched.h>
#include <thread>
#include <vector>

#include "util/thread_pool.hpp"

namespace u = zks::util;

TEST_CASE("available_cores follows the process's CPU affinity", "[util]") {
  cpu_set_t saved;
  REQUIRE(sched_getaffinity(0, sizeof(saved), &saved) == 0);
  CHECK(u::available_cores() == size_t(CPU_COUNT(&saved)));
  CHECK(u::available_cores() <= std::max(1u, std::thread::hardware_concurrency()));
  // Pinned to one of its CPUs (as under taskset or a container's cpuset): one core, and
  // a default-sized pool of one thread.
  int first = 0;
  while (!CPU_ISSET(first, &saved)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  REQUIRE(sched_setaffinity(0, sizeof(one), &one) == 0);
  const size_t pinned = u::available_cores();
  const size_t pool = u::ThreadPool(0).size();
  REQUIRE(sched_setaffinity(0, sizeof(saved), &saved) == 0);
  CHECK(pinned == 1);
  CHECK(pool == 1);
}

TEST_CASE("parallel_for covers its range exactly once", "[util]") {
  u::ThreadPool pool(3);
  for (size_t n : {size_t(0), size_t(1), size_t(4095), size_t(4096), size_t(100000)}) {
    std::vector<std::atomic<int>> seen(n);
    pool.parallel_for(n, [&](size_t lo, size_t hi) {
      for (size_t i = lo; i < hi; ++i) seen[i]++;
    });
    for (size_t i = 0; i < n; ++i) REQUIRE(seen[i] == 1);
  }
}
