#pragma once
// Process-wide allocator settings for provers, and the memory a machine has.

#include <cstddef>

namespace zks::util {

// A prover allocates and frees tables of up to tens of MB many times per proof. glibc
// serves those by mmap by default and returns them at free, so every reuse faults in
// and zeroes fresh pages (measured: 10% of the age model's prove time). This serves
// every block from the heap (no mmap; glibc's mmap threshold cannot pass 32 MiB, and a
// private proof's tables and codewords are larger) and stops trimming it, so freed
// memory is reused as is: the age model's private proof 4.0 to 3.7 s, 25 MB more at its
// peak (2026-12-07). Call once at start-up, before threads.
void tune_allocator_for_proving();

// The memory this process may use in bytes: the machine's physical memory, or its
// container's limit (cgroup v2 or v1) where lower; 0 where neither can be read.
size_t physical_memory_bytes();

}  // namespace zks::util
