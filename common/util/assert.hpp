#pragma once
// ZK_ASSERT: always on, for programming errors only. Never use it on input that
// comes from outside the process (proofs, files, RPC payloads): return a Result.

#include <cstdio>
#include <cstdlib>

namespace zks::util {
[[noreturn]] void assert_fail(const char* expr, const char* file, int line, const char* msg);
}  // namespace zks::util

#define ZK_ASSERT(cond)                                                      \
  do {                                                                       \
    if (!(cond)) ::zks::util::assert_fail(#cond, __FILE__, __LINE__, nullptr); \
  } while (0)

#define ZK_ASSERT_MSG(cond, msg)                                            \
  do {                                                                      \
    if (!(cond)) ::zks::util::assert_fail(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)
