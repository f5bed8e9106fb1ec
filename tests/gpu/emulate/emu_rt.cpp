// The host CUDA runtime behind cuda_runtime.h (tests/gpu/emulate.sh builds and runs the
// backend tests with it).
//
// Checks: a block's threads run as fibers (ucontext), each until __syncthreads or its
// end, and a barrier phase ends when every thread has arrived; EMU_THREADS=1 runs them as
// real threads with a std::barrier instead. Device memory is filled with junk (0xA5;
// allocations of 1 GiB and more are mapped on demand and read as zero), shared memory
// too (0x5A) and sized exactly, so AddressSanitizer sees overruns. Copies and memsets
// must lie inside one live allocation and cudaFree must get one, or the process aborts.
// A launch of more than 1024 threads a block or 48 KiB of shared memory sets
// cudaErrorInvalidConfiguration and runs nothing.
// Cannot check: races between streams (everything runs when issued) or within a barrier
// phase; device-only code (__CUDA_ARCH__ branches); performance.
//
// Environment: EMU_THREADS=1 (real threads), EMU_WORKERS=n (host threads that share a
// grid's blocks; default: all cores), EMU_TRACE=1 (print every launch), EMU_NO_GPU=1
// (report no device), EMU_REPORT=0 (no summary at exit).

#include "cuda_runtime.h"

#include <sys/mman.h>
#include <ucontext.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define EMU_ASAN 1
#else
#define EMU_ASAN 0
#endif

thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;
thread_local void* emu_shared_ptr = nullptr;

namespace {

int env_int(const char* name, int dflt) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : dflt;
}

// The emulated device: an H100's limits.
constexpr size_t kDeviceBytes = size_t(80) << 30;
constexpr unsigned long long kMaxThreads = 1024, kMaxShared = 48 * 1024, kMaxGrid = 0x7fffffff;
constexpr size_t kMappedFrom = size_t(1) << 30;  // allocations this large are mmap'ed

thread_local cudaError_t tl_last_error = cudaSuccess;
std::atomic<long> g_launches{0}, g_rejected{0}, g_divergent{0};

}  // namespace

const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
  }
  return "unknown error";
}

cudaError_t cudaGetLastError() { return std::exchange(tl_last_error, cudaSuccess); }
cudaError_t cudaPeekAtLastError() { return tl_last_error; }

cudaError_t cudaGetDeviceCount(int* n) {
  *n = env_int("EMU_NO_GPU", 0) ? 0 : 1;
  return *n ? cudaSuccess : cudaErrorNoDevice;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int device) {
  if (device != 0 || env_int("EMU_NO_GPU", 0)) return cudaErrorInvalidDevice;
  std::memset(p, 0, sizeof *p);
  std::strcpy(p->name, "emulated H100");
  p->totalGlobalMem = kDeviceBytes;
  p->major = 9, p->minor = 0, p->multiProcessorCount = 132, p->maxThreadsPerBlock = int(kMaxThreads);
  p->sharedMemPerBlock = kMaxShared;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : cudaErrorInvalidDevice; }

// ---- Device memory

namespace {

struct Allocation {
  size_t bytes;
  bool mapped;
};
std::mutex g_alloc_mu;
std::map<uintptr_t, Allocation> g_allocs;  // by start address
size_t g_in_use = 0;

// Aborts unless [p, p + n) lies inside one live allocation.
void check_device_range(const void* p, size_t n, const char* what) {
  if (n == 0) return;
  std::lock_guard<std::mutex> lock(g_alloc_mu);
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  auto it = g_allocs.upper_bound(a);
  if (it == g_allocs.begin()) {
    std::fprintf(stderr, "emu: %s of %zu bytes at %p: not device memory\n", what, n, p);
    std::abort();
  }
  --it;
  if (a + n <= it->first + it->second.bytes) return;
  std::fprintf(stderr, "emu: %s of %zu bytes at %p is outside device allocation [%p, +%zu)\n", what, n, p,
               reinterpret_cast<void*>(it->first), it->second.bytes);
  std::abort();
}

}  // namespace

void* emu_alloc(size_t bytes) {
  std::lock_guard<std::mutex> lock(g_alloc_mu);
  if (bytes > kDeviceBytes - g_in_use) return nullptr;
  const bool mapped = bytes >= kMappedFrom;
  void* p;
  if (mapped) {
    p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
  } else {
    p = std::malloc(bytes ? bytes : 1);
    if (!p) return nullptr;
    std::memset(p, 0xA5, bytes);  // cudaMalloc leaves junk
  }
  g_allocs[reinterpret_cast<uintptr_t>(p)] = {bytes, mapped};
  g_in_use += bytes;
  return p;
}

cudaError_t cudaFree(void* p) {
  if (!p) return cudaSuccess;
  std::lock_guard<std::mutex> lock(g_alloc_mu);
  auto it = g_allocs.find(reinterpret_cast<uintptr_t>(p));
  if (it == g_allocs.end()) {
    std::fprintf(stderr, "emu: cudaFree of %p, which is not a live allocation\n", p);
    std::abort();
  }
  if (it->second.mapped)
    munmap(p, it->second.bytes);
  else
    std::free(p);
  g_in_use -= it->second.bytes;
  g_allocs.erase(it);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t n, cudaMemcpyKind kind) {
  if (kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice) check_device_range(dst, n, "cudaMemcpy dst");
  if (kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice) check_device_range(src, n, "cudaMemcpy src");
  if (n) std::memmove(dst, src, n);
  return cudaSuccess;
}

cudaError_t cudaMemset(void* p, int value, size_t n) {
  check_device_range(p, n, "cudaMemset");
  std::memset(p, value, n);
  return cudaSuccess;
}

// ---- Streams and events

struct EmuStream {};
struct EmuEvent {
  std::chrono::steady_clock::time_point at;
  bool recorded = false;
};

cudaError_t cudaStreamCreate(cudaStream_t* s) {
  *s = new EmuStream;
  return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) { return cudaStreamCreate(s); }
cudaError_t cudaStreamDestroy(cudaStream_t s) {
  delete s;
  return cudaSuccess;
}
cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t e, unsigned) {
  return e ? cudaSuccess : cudaErrorInvalidResourceHandle;
}
cudaError_t cudaEventCreate(cudaEvent_t* e) {
  *e = new EmuEvent;
  return cudaSuccess;
}
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned) { return cudaEventCreate(e); }
cudaError_t cudaEventDestroy(cudaEvent_t e) {
  delete e;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t) {
  if (!e) return cudaErrorInvalidResourceHandle;
  e->at = std::chrono::steady_clock::now();
  e->recorded = true;
  return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t e) { return e ? cudaSuccess : cudaErrorInvalidResourceHandle; }
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t stop) {
  if (!start || !stop || !start->recorded || !stop->recorded) return cudaErrorInvalidResourceHandle;
  *ms = std::chrono::duration<float, std::milli>(stop->at - start->at).count();
  return cudaSuccess;
}

// ---- Kernels

namespace {

constexpr size_t kPage = 4096, kStack = 256 << 10;

struct Fiber {
  ucontext_t ctx;
  char* stack = nullptr;  // kStack bytes above a guard page
  bool done = false;
};

// One host thread's share of a launch: the fibers of the block it runs.
struct Worker {
  const std::function<void()>* body;
  std::vector<Fiber> fibers;
  ucontext_t main;
  unsigned cur = 0;
#if EMU_ASAN
  const void* main_bottom = nullptr;
  size_t main_size = 0;
#endif
  explicit Worker(const std::function<void()>* b) : body(b) {}
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() {
    for (auto& f : fibers)
      if (f.stack) munmap(f.stack - kPage, kStack + kPage);
  }
};

thread_local Worker* tl_worker = nullptr;            // fibers
thread_local std::barrier<>* tl_barrier = nullptr;   // EMU_THREADS=1

void fiber_main() {
  Worker& w = *tl_worker;
#if EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &w.main_bottom, &w.main_size);
#endif
  const unsigned me = w.cur;
  (*w.body)();
  w.fibers[me].done = true;
#if EMU_ASAN
  __sanitizer_start_switch_fiber(nullptr, w.main_bottom, w.main_size);
#endif
  setcontext(&w.main);
}

// Runs the block's threads in turn, each to its next __syncthreads (or its end), until
// all have ended.
void run_block_fibers(Worker& w, unsigned threads) {
  if (w.fibers.size() < threads) w.fibers.resize(threads);
  for (unsigned t = 0; t < threads; ++t) {
    Fiber& f = w.fibers[t];
    if (!f.stack) {
      void* m = mmap(nullptr, kStack + kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (m == MAP_FAILED) {
        std::perror("emu: mmap of a fiber stack");
        std::abort();
      }
      mprotect(m, kPage, PROT_NONE);  // guard page
      f.stack = static_cast<char*>(m) + kPage;
    }
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack;
    f.ctx.uc_stack.ss_size = kStack;
    f.ctx.uc_link = nullptr;
    makecontext(&f.ctx, fiber_main, 0);
    f.done = false;
  }
  bool divergent = false;
  for (;;) {
    unsigned waiting = 0, ended = 0;
    for (unsigned t = 0; t < threads; ++t) {
      Fiber& f = w.fibers[t];
      if (f.done) continue;
      w.cur = t;
      threadIdx.x = t;
#if EMU_ASAN
      void* fake = nullptr;
      __sanitizer_start_switch_fiber(&fake, f.stack, kStack);
#endif
      swapcontext(&w.main, &f.ctx);
#if EMU_ASAN
      __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
      ++(f.done ? ended : waiting);
    }
    if (waiting == 0) break;
    if (ended > 0 && !divergent) {
      divergent = true;
      if (g_divergent++ == 0)
        std::fprintf(stderr, "emu: WARNING: some threads of a block ended while others wait at __syncthreads\n");
    }
  }
}

void run_block_threads(const Worker& w, unsigned threads, dim3 block, dim3 grid, void* shared) {
  std::barrier<> bar(threads);
  std::vector<std::thread> ts;
  ts.reserve(threads);
  for (unsigned t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      threadIdx.x = t;
      blockIdx = block;
      blockDim.x = threads;
      gridDim = grid;
      emu_shared_ptr = shared;
      tl_barrier = &bar;
      (*w.body)();
      bar.arrive_and_drop();  // an ended thread no longer holds the others back
    });
  for (auto& t : ts) t.join();
}

}  // namespace

void __syncthreads() {
  if (tl_barrier) {
    tl_barrier->arrive_and_wait();
    return;
  }
  Worker* w = tl_worker;
  if (!w) {
    std::fprintf(stderr, "emu: __syncthreads outside a kernel\n");
    std::abort();
  }
  Fiber& f = w->fibers[w->cur];
#if EMU_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, w->main_bottom, w->main_size);
#endif
  swapcontext(&f.ctx, &w->main);
#if EMU_ASAN
  __sanitizer_finish_switch_fiber(fake, &w->main_bottom, &w->main_size);
#endif
}

void emu_run(const EmuCfg& c, const char* name, const std::function<void()>& body) {
  static const bool trace = env_int("EMU_TRACE", 0) != 0;
  static const bool threads_mode = env_int("EMU_THREADS", 0) != 0;
  static const long long nworkers = env_int("EMU_WORKERS", int(std::thread::hardware_concurrency()));
  ++g_launches;
  if (c.block == 0 || c.block > kMaxThreads || c.grid == 0 || c.grid > kMaxGrid || c.shared > kMaxShared) {
    if (g_rejected++ < 20)
      std::fprintf(stderr, "emu: launch of %s REJECTED: grid %llu, block %llu, shared %llu bytes\n", name, c.grid,
                   c.block, c.shared);
    tl_last_error = cudaErrorInvalidConfiguration;
    return;
  }
  if (trace) std::fprintf(stderr, "emu: %s<<<%llu, %llu, %llu>>>\n", name, c.grid, c.block, c.shared);
  const unsigned threads = unsigned(c.block);
  const dim3 grid{unsigned(c.grid)};
  std::atomic<unsigned long long> next{0};
  auto work = [&] {
    Worker w(&body);
    Worker* saved = tl_worker;
    tl_worker = &w;
    gridDim = grid;
    blockDim = dim3{threads};
    for (unsigned long long b; (b = next++) < c.grid;) {
      // A fresh block of exactly the launch's shared memory.
      std::unique_ptr<unsigned char[]> shared(new unsigned char[c.shared]);
      std::memset(shared.get(), 0x5A, c.shared);
      emu_shared_ptr = shared.get();
      blockIdx = dim3{unsigned(b)};
      if (threads_mode && threads > 1)
        run_block_threads(w, threads, blockIdx, grid, shared.get());
      else
        run_block_fibers(w, threads);
    }
    emu_shared_ptr = nullptr;
    tl_worker = saved;
  };
  const long long workers = std::max(1LL, std::min(nworkers, static_cast<long long>(c.grid)));
  std::vector<std::thread> ts;
  for (long long i = 1; i < workers; ++i) ts.emplace_back(work);
  work();
  for (auto& t : ts) t.join();
}

namespace {

struct Report {
  ~Report() {
    if (!env_int("EMU_REPORT", 1)) return;
    std::lock_guard<std::mutex> lock(g_alloc_mu);
    std::fprintf(stderr,
                 "emu: %ld launches, %ld rejected, %ld blocks with threads ended at a barrier, "
                 "%zu device allocations (%zu bytes) live at exit\n",
                 g_launches.load(), g_rejected.load(), g_divergent.load(), g_allocs.size(), g_in_use);
  }
} report;

}  // namespace
