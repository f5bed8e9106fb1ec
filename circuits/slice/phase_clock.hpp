#pragma once
// Where a proof's (or its verification's) time, bytes and memory go, by phase, logged at
// debug level ("slice" category): the slice prover's and the private prover's.
#include <sys/resource.h>

#include <chrono>
#include <map>
#include <string>

#include "util/bytes.hpp"
#include "util/log.hpp"

namespace zks::circuits {

// The process's peak resident memory so far, in MB (0 where it cannot be read).
inline double peak_memory_mb() {
  rusage ru{};
  return getrusage(RUSAGE_SELF, &ru) == 0 ? double(ru.ru_maxrss) / 1024.0 : 0.0;  // KB on Linux
}

class PhaseClock {
 public:
  void lap(const std::string& phase) {
    auto now = std::chrono::steady_clock::now();
    m_ms[phase] += std::chrono::duration<double, std::milli>(now - m_last).count();
    m_last = now;
    m_peak_mb[phase] = peak_memory_mb();
    if (m_proof) {
      m_bytes[phase] += m_proof->bytes().size() - m_last_bytes;
      m_last_bytes = m_proof->bytes().size();
    }
  }
  // From here on, laps also count the bytes each phase writes to `proof`.
  void count_bytes(const util::ByteWriter& proof) {
    m_proof = &proof;
    m_last_bytes = proof.bytes().size();
  }
  // Laps `phase` when it goes out of scope.
  struct Scope {
    PhaseClock& clock;
    std::string phase;
    ~Scope() { clock.lap(phase); }
  };
  void log(const char* what) const {
    if (!log::get("slice")->should_log(spdlog::level::debug)) return;
    std::string line;
    for (const auto& [phase, ms] : m_ms) line += fmt::format(" {}={:.1f}", phase, ms);
    ZKS_LOG_DEBUG("slice", "{} phases (ms):{}", what, line);
    line.clear();
    for (const auto& [phase, mb] : m_peak_mb) line += fmt::format(" {}={:.0f}", phase, mb);
    ZKS_LOG_DEBUG("slice", "{} peak memory of the process at each phase's end (MB):{}", what, line);
    if (!m_proof) return;
    line.clear();
    for (const auto& [phase, n] : m_bytes)
      if (n) line += fmt::format(" {}={}", phase, n);
    ZKS_LOG_DEBUG("slice", "{} bytes by phase:{}", what, line);
  }

 private:
  std::chrono::steady_clock::time_point m_last = std::chrono::steady_clock::now();
  std::map<std::string, double> m_ms;
  std::map<std::string, double> m_peak_mb;
  const util::ByteWriter* m_proof = nullptr;
  size_t m_last_bytes = 0;
  std::map<std::string, size_t> m_bytes;
};

}  // namespace zks::circuits
