#pragma once
// Merkle trees on the device, as hash::MerkleTree::from_rows: a leaf is BLAKE2b-256 of
// its row's canonical little-endian words in the MerkleLeaf domain, node i hashes nodes
// 2i and 2i+1 in the MerkleNode domain (the domain is BLAKE2b's personalization,
// "zkslice-hash-v1" then the domain byte). One thread per hash.

#include "backend/cuda/cuda_common.cuh"

namespace zks::backend::cuda_ops::detail {

// nodes: 2 * count digests of 4 words (node 1 is the root, leaves from node count on);
// count a power of two; rows row_words words apart. Device memory.
const char* merkle_tree_device(const uint64_t* rows, size_t row_words, size_t count, uint64_t* nodes);

// A joint tree, as hash::MerkleTree::from_leaves(leaves, joined): nodes as above with the
// leaves set; every level above them is hashed again, and each join's rows (count >>
// height of them, row_words apart, device memory) are joined at its height in order:
// node j there becomes H(MerkleJoin || node || row j). joins is host memory.
struct JoinRows {
  const uint64_t* rows;
  size_t row_words;
  unsigned height;
};
const char* merkle_join_device(uint64_t* nodes, size_t count, const JoinRows* joins, size_t num_joins);

}  // namespace zks::backend::cuda_ops::detail
