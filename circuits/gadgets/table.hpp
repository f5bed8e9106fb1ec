#pragma once
// Nonlinear functions by a pair-table lookup (DESIGN.md section 3 "Per-op protocols":
// Relu, Clip, LeakyRelu, Sigmoid, Tanh, Gelu, Erf, Exp, ...; section 8 rules 2 and 9).
//
// y = f(x) entry-wise for x in [in_lo, in_lo + 2^B), B <= 16, where f is given by its
// table T[i] = f(in_lo + i), generated integer-exactly at compile time and bound into
// the model fingerprint by its content hash (the verifier never computes f itself, and
// the prover never supplies T). One LogUp with rows (x, y) against (in_lo + i, T[i]):
// the real entries of the input and output tensors (padded per axis) are looked up;
// the verifier evaluates both table columns' MLEs itself (the first is affine in the
// point, the second costs O(2^B)). The input x and the output y are committed columns
// (y because it is the output of a non-polynomial op, rule 2; x because it is the
// output of the requantization below), so the lookup leaves claims on x, y and the
// multiplicities, all opened in the slice's batched opening.
//
// Several tensors that look into the same table share one lookup (one table tree, one
// multiplicity column): their (x, y) columns are laid side by side (poly::BlockLayout);
// the prover sends each tensor's x and y at the low part of the lookup's point and the
// verifier recombines them into the lookup's witness claims.
//
// A lookup may look into a window of the table instead of the whole of it
// (table_window): 2^b consecutive entries, or 2^b entries listed by their rows. The
// window's rows are rows of the table, so the relation proved is the same whenever
// every input lies in the window, and the table tree, the multiplicity column and the
// verifier's evaluation of T shrink to the window's size. A lookup of a few entries (a
// classifier head's Tanh) then costs a few table rows, not 2^16.

#include <cstdint>
#include <optional>
#include <vector>

#include "circuits/gadgets/claim.hpp"
#include "hash/blake2b.hpp"
#include "lookup/logup.hpp"
#include "poly/padded.hpp"
#include "transcript/transcript.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::circuits {

struct FunctionTable {
  int64_t in_lo = 0;
  std::vector<int64_t> values;  // 2^B entries: values[i] = f(in_lo + i), or f(inputs[i])
  // A selection of another table's rows (table_window with rows): the inputs, strictly
  // increasing; empty for the consecutive inputs in_lo + i.
  std::vector<int64_t> inputs;

  unsigned in_bits() const;
  int64_t input(size_t i) const { return inputs.empty() ? in_lo + int64_t(i) : inputs[i]; }
  std::optional<size_t> row_of(int64_t x) const;  // the row whose input is x
  Status check() const;
  // BLAKE2b over in_lo, the values and the inputs (a long list as the digests of its
  // eight equal chunks).
  hash::Digest content_hash() const;
};

// The rows of a table a lookup looks into: 2^bits consecutive entries from `first`, or,
// when `rows` is not empty, those 2^bits entries (strictly increasing). A lookup of a
// few values spread over the table (a classifier head) takes them as rows.
struct TableWindow {
  unsigned bits = 0;
  uint32_t first = 0;
  std::vector<uint32_t> rows;
  bool operator==(const TableWindow&) const = default;
};
constexpr unsigned kMaxWindowRowBits = 10;  // a row list holds at most 2^10 rows

// The window as a table of its own; fails when the window is not inside the table.
Result<FunctionTable> table_window(const FunctionTable& t, const TableWindow& w);

struct TableShape {
  poly::BlockLayout layout;  // the (input, output) tensors' shapes, one block each
  const FunctionTable* table = nullptr;
  // The whole table `table` is a window of (null: `table` is whole). Its hash is
  // absorbed too, so a proof stays bound to every entry of the model's table, not only
  // to those in the window (what a fingerprint does for sealed models).
  const FunctionTable* whole = nullptr;
  Status check() const;
};

// y from x for one tensor (padded layout); fails, naming the entry, when an input is
// outside the table.
Result<std::vector<Fp>> apply_table(const FunctionTable& table, const poly::PaddedShape& shape,
                                    std::span<const int64_t> x);
// The multiplicities over every block, which the caller commits before the lookup's
// challenges. xs[b] is block b's input table.
Result<std::vector<Fp>> table_multiplicities(const TableShape& s, const std::vector<std::span<const Fp>>& xs);
// The smallest window of s.table holding every real input of the blocks: consecutive
// entries (the lowest such), or the inputs' rows themselves where fewer (up to
// 2^kMaxWindowRowBits, filled up with the lowest unused rows); one entry at 0 when no
// input is real. Fails, naming the entry, when an input is outside the table.
Result<TableWindow> smallest_window(const TableShape& s, const std::vector<std::span<const Fp>>& xs);

struct TableProof {
  lookup::Proof lookup;
  std::vector<Fp2> input_evals, output_evals;  // per block, at the lookup point's low part
  void write(util::ByteWriter& w) const;
  static Result<TableProof> read(util::ByteReader& r, const TableShape& s);
};

struct TableClaims {
  std::vector<EvalClaim> inputs, outputs;  // per block, on x and y
  EvalClaim multiplicities;                // on the committed multiplicities (B variables)
};

struct TableProverOutput {
  TableProof proof;
  TableClaims claims;
};

TableProverOutput prove_table(const TableShape& s, const std::vector<std::span<const Fp>>& xs,
                              const std::vector<std::span<const Fp>>& ys, std::span<const Fp> multiplicities,
                              transcript::Transcript& t);
Result<TableClaims> verify_table(const TableShape& s, const TableProof& proof, transcript::Transcript& t);

}  // namespace zks::circuits
