#include "transcript/soundness.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include "field/goldilocks.hpp"
#include "transcript/transcript.hpp"

namespace zks::transcript {

namespace {
constexpr const char* kNames[] = {"sumcheck", "point", "batching", "lookup", "pcs"};
static_assert(std::size(kNames) == size_t(SoundnessLedger::Check::kCount));
}  // namespace

double inverse_field_size() {
  static const double v = 1.0 / (static_cast<double>(field::Fp::P) * static_cast<double>(field::Fp::P));
  return v;
}

void SoundnessLedger::add(Check c, double error, uint64_t challenges) {
  m_error[size_t(c)] += error;
  m_challenges += challenges;
}

double SoundnessLedger::total() const {
  double s = 0;
  for (double e : m_error) s += e;
  return s;
}

double SoundnessLedger::bits() const {
  const double t = total();
  return t > 0 ? -std::log2(t) : std::numeric_limits<double>::infinity();
}

std::string SoundnessLedger::describe() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f bits (", bits());
  std::string out = buf;
  bool first = true;
  for (size_t i = 0; i < m_error.size(); ++i) {
    if (m_error[i] <= 0) continue;
    std::snprintf(buf, sizeof buf, "%s%s 2^%.1f", first ? "" : ", ", kNames[i], std::log2(m_error[i]));
    out += buf;
    first = false;
  }
  return out + ")";
}

void SoundnessLedger::merge(const SoundnessLedger& o) {
  for (size_t i = 0; i < m_error.size(); ++i) m_error[i] += o.m_error[i];
  m_challenges += o.m_challenges;
}

void charge(Transcript& t, SoundnessLedger::Check c, double error, uint64_t challenges) {
  if (auto* l = t.ledger()) l->add(c, error, challenges);
}

void charge_sumcheck(Transcript& t, unsigned rounds, unsigned degree) {
  charge(t, SoundnessLedger::Check::Sumcheck, double(rounds) * degree * inverse_field_size(), rounds);
}

void charge_point(Transcript& t, unsigned vars) {
  charge(t, SoundnessLedger::Check::Point, double(vars) * inverse_field_size(), vars);
}

void charge_powers(Transcript& t, size_t items) {
  charge(t, SoundnessLedger::Check::Batching, double(items > 0 ? items - 1 : 0) * inverse_field_size(), 1);
}

}  // namespace zks::transcript
