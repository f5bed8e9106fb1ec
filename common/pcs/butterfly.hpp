#pragma once
// Internal: the loop structure shared by the NTT and the multilinear basis change.
// A "pass" at half-size h applies op(a[i], a[i + h], h, j) to every pair (i, i + h)
// with i = g*2h + j, j < h. Passes with 2h <= kBlock run block by block (all of them
// on one cache-resident block before moving on); larger passes run one at a time,
// split over the thread pool by butterfly index.

#include <algorithm>
#include <bit>
#include <cstddef>

#include "util/thread_pool.hpp"

namespace zks::pcs::detail {

constexpr size_t kBlock = size_t(1) << 12;
constexpr size_t kParallelMin = size_t(1) << 14;

template <typename T, typename Op>
void big_pass(T* a, size_t n, size_t h, Op& op) {
  const unsigned lh = static_cast<unsigned>(std::countr_zero(h));
  auto body = [&](size_t lo, size_t hi) {
    for (size_t idx = lo; idx < hi; ++idx) {
      size_t g = idx >> lh, j = idx & (h - 1);
      size_t i = (g << (lh + 1)) + j;
      op(a[i], a[i + h], h, j);
    }
  };
  util::ThreadPool::global().parallel_for(n / 2, body, n >= kParallelMin ? 2 : SIZE_MAX);
}

template <typename T, typename Op>
void block_passes(T* a, size_t n, size_t block, bool descending, Op& op) {
  auto run_block = [&](T* b) {
    if (descending) {
      for (size_t h = block / 2; h >= 1; h /= 2)
        for (size_t g = 0; g < block; g += 2 * h)
          for (size_t j = 0; j < h; ++j) op(b[g + j], b[g + j + h], h, j);
    } else {
      for (size_t h = 1; h < block; h *= 2)
        for (size_t g = 0; g < block; g += 2 * h)
          for (size_t j = 0; j < h; ++j) op(b[g + j], b[g + j + h], h, j);
    }
  };
  util::ThreadPool::global().parallel_for(n / block, [&](size_t lo, size_t hi) {
    for (size_t k = lo; k < hi; ++k) run_block(a + k * block);
  }, n >= kParallelMin ? 2 : SIZE_MAX);
}

// All passes h = n/2, n/4, ..., 1 (descending) or 1, 2, ..., n/2 (ascending).
template <typename T, typename Op>
void butterfly_passes(T* a, size_t n, bool descending, Op op) {
  if (n < 2) return;
  size_t block = std::min(n, kBlock);
  if (descending) {
    for (size_t h = n / 2; 2 * h > block; h /= 2) big_pass(a, n, h, op);
    block_passes(a, n, block, true, op);
  } else {
    block_passes(a, n, block, false, op);
    for (size_t h = block; h < n; h *= 2) big_pass(a, n, h, op);
  }
}

}  // namespace zks::pcs::detail
