#pragma once
// Process-wide allocator settings for provers, and the memory a machine has.

#include <cstddef>

namespace zks::util {

// A prover allocates and frees tables of up to tens of MB many times per proof. glibc
// serves those by mmap by default and returns them at free, so every reuse faults in
// and zeroes fresh pages (measured: 10% of the age model's prove time). This keeps
// blocks up to 32 MiB (glibc's ceiling for the mmap threshold) on the heap and stops
// trimming it, so freed memory is reused as is. A process that proves and exits
// (`heap_only`: the CLI, the benchmarks) also takes larger blocks from the heap (no
// mmap: a private proof's tables and codewords are larger): the age model's private
// proof 4.0 to 3.7 s, 25 MB more at its peak (2026-12-07). A daemon (the miner) does
// not: blocks freed inside its heap are never given back, and jobs of different sizes
// would keep its resident memory at its highest. Call once at start-up, before threads.
void tune_allocator_for_proving(bool heap_only);

// The memory this process may use in bytes: the machine's physical memory, or its
// container's limit (cgroup v2 or v1) where lower; 0 where neither can be read.
size_t physical_memory_bytes();

}  // namespace zks::util
