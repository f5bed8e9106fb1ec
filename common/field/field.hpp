#pragma once
// Field utilities that do not need to run on a device: batch inversion and the
// canonical byte encoding used by proofs and the transcript.

#include <span>
#include <vector>

#include "field/ext2.hpp"
#include "field/goldilocks.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::field {

// Montgomery's trick: inverts every element with one inversion and 3(n-1)
// multiplications. Zeros stay zero (and do not poison the others).
void batch_inverse(std::span<Fp> xs);
void batch_inverse(std::span<Fp2> xs);

// Canonical encoding: 8 bytes little-endian per base element, c0 then c1 for F_{p^2}.
constexpr size_t kFpBytes = 8;
constexpr size_t kFp2Bytes = 16;

void write(util::ByteWriter& w, Fp x);
void write(util::ByteWriter& w, const Fp2& x);
// Reads refuse truncated input and non-canonical encodings (a value >= p).
Status read(util::ByteReader& r, Fp& x);
Status read(util::ByteReader& r, Fp2& x);

void write_vec(util::ByteWriter& w, std::span<const Fp2> xs);
// Reads a u32 count then the elements; refuses counts above max_len.
Status read_vec(util::ByteReader& r, std::vector<Fp2>& xs, size_t max_len);

}  // namespace zks::field
