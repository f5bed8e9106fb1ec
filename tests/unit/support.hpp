#pragma once
// Helpers shared by the unit tests.

#include <random>

#include "field/ext2.hpp"

namespace zks::test {

inline field::Fp2 rand2(std::mt19937_64& rng) {
  return field::Fp2(field::Fp(rng()), field::Fp(rng()));
}

}  // namespace zks::test
