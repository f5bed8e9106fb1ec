#pragma once
// Process-wide allocator settings for provers, and the memory a machine has.

#include <cstddef>

namespace zks::util {

// A prover allocates and frees tables of up to tens of MB many times per proof. glibc
// serves those by mmap by default and returns them at free, so every reuse faults in
// and zeroes fresh pages (measured: 10% of the age model's prove time). This keeps
// blocks up to 32 MiB (glibc's ceiling for the mmap threshold) on the heap and stops
// trimming it, so freed memory is reused as is. Call once at start-up, before threads.
void tune_allocator_for_proving();

// The memory this process may use in bytes: the machine's physical memory, or its
// container's limit (cgroup v2 or v1) where lower; 0 where neither can be read.
size_t physical_memory_bytes();

}  // namespace zks::util
