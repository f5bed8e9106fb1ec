#pragma once
// Internal: the loop structure shared by the NTT and the multilinear basis change.
// A "pass" at half-size h applies op(a[i], a[i + h], h, j) to every pair (i, i + h)
// with i = g*2h + j, j < h. Passes with 2h <= kBlock run block by block (all of them
// on one cache-resident block before moving on); larger passes run in tiles, several
// levels per trip through memory (tiled_passes).

#include <algorithm>
#include <bit>
#include <cstddef>
#include <vector>

#include "util/thread_pool.hpp"

namespace zks::pcs::detail {

constexpr size_t kBlock = size_t(1) << 12;
constexpr size_t kParallelMin = size_t(1) << 14;

// Levels of half-size top, top/2, ..., top >> (levels - 1), tile by tile. Within a
// segment of 2 top elements, the elements at offsets o + m s (s = top >> (levels - 1),
// m < 2^levels) meet only each other in these levels, so a tile of kTileCols
// consecutive offsets of each of those rows is copied to a contiguous buffer (rows a
// power of two apart would collide in the cache), runs every level there and goes
// back: one trip through memory instead of one per level.
constexpr size_t kTileCols = 64;
constexpr unsigned kTileLevels = 8;

// op(x[c], y[c], h, j0 + c) for c < n; an op with a `run` member does the run itself
// (the NTT's vectorised butterflies).
template <typename T, typename Op>
inline void apply_run(Op& op, T* x, T* y, size_t h, size_t j0, size_t n) {
  if constexpr (requires { op.run(x, y, h, j0, n); }) {
    op.run(x, y, h, j0, n);
  } else {
    for (size_t c = 0; c < n; ++c) op(x[c], y[c], h, j0 + c);
  }
}

template <typename T, typename Op>
void tiled_passes(T* a, size_t n, size_t top, unsigned levels, bool descending, Op& op) {
  const size_t rows = size_t(1) << levels, s = top >> (levels - 1);
  const size_t cols = std::min(s, kTileCols), col_tiles = s / cols, tiles = n / (2 * top) * col_tiles;
  util::ThreadPool::global().parallel_for(tiles, [&](size_t lo, size_t hi) {
    std::vector<T> buf(rows * cols);
    for (size_t k = lo; k < hi; ++k) {
      T* base = a + (k / col_tiles) * 2 * top + (k % col_tiles) * cols;
      const size_t o0 = (k % col_tiles) * cols;
      for (size_t m = 0; m < rows; ++m) std::copy(base + m * s, base + m * s + cols, buf.begin() + std::ptrdiff_t(m * cols));
      for (unsigned step = 0; step < levels; ++step) {
        const unsigned t = descending ? step : levels - 1 - step;
        const size_t h = top >> t, hr = rows >> (t + 1);  // half-size in elements and in rows
        for (size_t m0 = 0; m0 < rows; m0 += 2 * hr)
          for (size_t m = m0; m < m0 + hr; ++m) {
            T* x = buf.data() + m * cols;
            T* y = x + hr * cols;
            apply_run(op, x, y, h, (m - m0) * s + o0, cols);
          }
      }
      for (size_t m = 0; m < rows; ++m) std::copy(buf.begin() + std::ptrdiff_t(m * cols), buf.begin() + std::ptrdiff_t((m + 1) * cols), base + m * s);
    }
  }, n >= kParallelMin ? 1 : SIZE_MAX);
}

template <typename T, typename Op>
void block_passes(T* a, size_t n, size_t block, bool descending, Op& op) {
  // An op with a last_three member does the descending passes h = 4, 2, 1 itself.
  constexpr bool kLastThree = requires { op.last_three(a, n); };
  auto run_block = [&](T* b) {
    if (descending) {
      const size_t stop = kLastThree && block >= 16 ? 8 : 1;
      for (size_t h = block / 2; h >= stop; h /= 2)
        for (size_t g = 0; g < block; g += 2 * h) apply_run(op, b + g, b + g + h, h, 0, h);
      if constexpr (kLastThree)
        if (stop == 8) op.last_three(b, block);
    } else {
      for (size_t h = 1; h < block; h *= 2)
        for (size_t g = 0; g < block; g += 2 * h) apply_run(op, b + g, b + g + h, h, 0, h);
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
  const size_t block = std::min(n, kBlock);
  // The levels above the block (h >= block), in groups of about equal size.
  const unsigned big = static_cast<unsigned>(std::countr_zero(n / block));
  const unsigned groups = (big + kTileLevels - 1) / kTileLevels;
  if (!descending) block_passes(a, n, block, false, op);
  for (unsigned g = 0; g < groups; ++g) {
    // Group g covers levels [first, first + count) counted from the top (h = n/2).
    const unsigned gi = descending ? g : groups - 1 - g;
    const unsigned first = big * gi / groups, count = big * (gi + 1) / groups - first;
    tiled_passes(a, n, (n / 2) >> first, count, descending, op);
  }
  if (descending) block_passes(a, n, block, true, op);
}

}  // namespace zks::pcs::detail
