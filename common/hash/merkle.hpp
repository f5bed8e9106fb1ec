#pragma once
// Binary Merkle tree over BLAKE2b-256 with separate leaf and node domains. A leaf may
// hold several field elements (Basefold packs a coset of codeword values per leaf).
// Multi-openings send each sibling digest at most once and never a node the verifier
// can recompute from the opened leaves (a pruned multiproof).
//
// One tree may commit to several codewords of different lengths (a mixed-height tree,
// as in Plonky3's MMCS): the rows of a codeword with 2^-h as many rows as the largest
// has leaves are joined at height h, node j there becoming H(MerkleJoin || node || row j)
// (the row's bytes themselves: a 64-byte row and the node take one compression). A query
// that opens leaf i of the largest opens row i >> h of the other, and its path serves
// both: the other codeword's rows cost no siblings of their own.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "field/ext2.hpp"
#include "hash/blake2b.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::hash {

Digest hash_leaf(std::span<const field::Fp> values);
Digest hash_leaf(std::span<const field::Fp2> values);
// hash_leaf of each row of `leaf_width` consecutive values, several rows at a time
// (hash_many), in parallel when there are many.
std::vector<Digest> hash_leaves(std::span<const field::Fp> values, size_t leaf_width);
std::vector<Digest> hash_leaves(std::span<const field::Fp2> values, size_t leaf_width);

// Rows of another codeword, joined at `height`: leaves >> height rows of row_bytes each,
// one after the other (field elements as hash_leaf encodes them).
struct JoinedRows {
  unsigned height = 0;
  std::span<const uint8_t> rows;
  size_t row_bytes = 0;
};
// The verifier's side: the joined rows a multiproof reaches, at sorted distinct indices
// (those of the opened leaves shifted by `height`), `rows` holding them in that order.
struct JoinedOpening {
  unsigned height = 0;
  std::span<const size_t> indices;
  std::span<const uint8_t> rows;
  size_t row_bytes = 0;
};
// A span of field elements as the bytes hash_leaf hashes (their canonical little-endian words).
std::span<const uint8_t> row_bytes(std::span<const field::Fp> values);

struct MultiProof {
  std::vector<Digest> nodes;  // sibling digests in the order the verifier consumes them

  void write(util::ByteWriter& w) const;
  static Result<MultiProof> read(util::ByteReader& r, size_t max_nodes);
};

class MerkleTree {
 public:
  // Leaves must be a power of two in number (at least one).
  static MerkleTree from_leaves(std::vector<Digest> leaves);
  // A mixed-height tree: `joined` in order, several at one height applied in turn.
  static MerkleTree from_leaves(std::vector<Digest> leaves, std::span<const JoinedRows> joined);
  // The same tree with the joined rows given one codeword at a time (each can be freed
  // before the next is made): join() in order of non-decreasing height, then finish().
  class Builder {
   public:
    explicit Builder(std::vector<Digest> leaves);
    void join(const JoinedRows& rows);
    MerkleTree finish();

   private:
    void hash_up_to(unsigned height);  // the levels above the current one, up to `height`
    std::unique_ptr<MerkleTree> m_tree;
    unsigned m_height = 0;
  };
  // Rows of `leaf_width` consecutive elements, one leaf per row.
  static MerkleTree from_rows(std::span<const field::Fp> data, size_t leaf_width);
  static MerkleTree from_rows(std::span<const field::Fp2> data, size_t leaf_width);
  // A tree whose every node was computed elsewhere (the GPU), in this class's heap
  // layout: 2 L digests, node 1 the root, leaves from node L on (node 0 unused).
  static MerkleTree from_nodes(std::vector<Digest> nodes);

  const Digest& root() const { return m_nodes[1]; }
  size_t num_leaves() const { return m_leaves; }
  unsigned depth() const { return m_depth; }
  const Digest& leaf(size_t i) const { return m_nodes[m_leaves + i]; }

  // The sibling path of one leaf, bottom-up (depth() digests).
  std::vector<Digest> open(size_t index) const;
  // A pruned multiproof for a set of leaves (any order, duplicates allowed).
  MultiProof open_many(std::span<const size_t> indices) const;
  // The heap positions of the nodes open_many sends, in its order, for a tree of
  // num_leaves leaves (a power of two): for a tree held elsewhere (on the GPU).
  static std::vector<size_t> multiproof_nodes(size_t num_leaves, std::span<const size_t> indices);

 private:
  // Heap layout: node 1 is the root, node i has children 2i and 2i+1, leaves at
  // [m_leaves, 2 m_leaves).
  std::vector<Digest> m_nodes;
  size_t m_leaves = 0;
  unsigned m_depth = 0;
};

// Recomputes the root from one leaf and its path; false on any mismatch.
bool verify_path(const Digest& root, unsigned depth, size_t index, const Digest& leaf,
                 std::span<const Digest> path);
// Checks a multiproof. leaves[i] is the digest claimed for indices[i]; duplicate
// indices must claim the same digest. Rejects indices out of range, a proof with too
// few or too many nodes, and a root mismatch, with the reason.
Status verify_many(const Digest& root, unsigned depth, std::span<const size_t> indices,
                   std::span<const Digest> leaves, const MultiProof& proof);
// The same for a mixed-height tree: at each joined height the nodes the proof reaches
// must be exactly joined.indices, each with a row (else the proof is refused, with the
// reason).
Status verify_many(const Digest& root, unsigned depth, std::span<const size_t> indices,
                   std::span<const Digest> leaves, const MultiProof& proof,
                   std::span<const JoinedOpening> joined);

}  // namespace zks::hash
