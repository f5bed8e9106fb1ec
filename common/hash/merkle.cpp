#include "hash/merkle.hpp"

#include <algorithm>
#include <bit>
#include <string>
#include <utility>

#include "util/assert.hpp"
#include "util/thread_pool.hpp"

namespace zks::hash {

namespace {
template <typename F>
Digest hash_leaf_impl(std::span<const F> values) {
  // Canonical little-endian encoding of each element; the count is implied by the
  // tree's leaf width, fixed in the protocol parameters.
  uint8_t buf[16 * 64];
  Hasher h(Domain::MerkleLeaf);
  size_t pos = 0;
  auto put = [&](uint64_t v) {
    for (int b = 0; b < 8; ++b) buf[pos++] = static_cast<uint8_t>(v >> (8 * b));
    if (pos == sizeof buf) h.update({buf, pos}), pos = 0;
  };
  for (const F& x : values) {
    if constexpr (std::is_same_v<F, field::Fp>) {
      put(x.value());
    } else {
      put(x.c0().value());
      put(x.c1().value());
    }
  }
  h.update({buf, pos});
  return h.finalize();
}

template <typename F>
std::vector<Digest> hash_leaves_impl(std::span<const F> data, size_t leaf_width) {
  ZK_ASSERT(leaf_width >= 1 && data.size() % leaf_width == 0);
  size_t n = data.size() / leaf_width;
  std::vector<Digest> leaves(n);
  if (n == 0) return leaves;
  // Field elements are stored as their canonical little-endian words: a row's bytes in
  // memory are its leaf message (hash_leaf's encoding).
  static_assert(sizeof(F) == (std::is_same_v<F, field::Fp> ? 8 : 16));
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  const size_t row = leaf_width * sizeof(F);
  util::ThreadPool::global().parallel_for(n, [&](size_t lo, size_t hi) {
    hash_many(Domain::MerkleLeaf, bytes + lo * row, row, row, hi - lo, leaves.data() + lo);
  }, 256);
  return leaves;
}
}  // namespace

Digest hash_leaf(std::span<const field::Fp> values) { return hash_leaf_impl(values); }
Digest hash_leaf(std::span<const field::Fp2> values) { return hash_leaf_impl(values); }
std::vector<Digest> hash_leaves(std::span<const field::Fp> values, size_t leaf_width) {
  return hash_leaves_impl(values, leaf_width);
}
std::vector<Digest> hash_leaves(std::span<const field::Fp2> values, size_t leaf_width) {
  return hash_leaves_impl(values, leaf_width);
}

std::span<const uint8_t> row_bytes(std::span<const field::Fp> values) {
  static_assert(sizeof(field::Fp) == 8);  // stored as its canonical little-endian word
  return {reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(field::Fp)};
}

namespace {
// nodes[j] = H(MerkleJoin || nodes[j] || row j) for j < count: messages of 32 + row_bytes
// bytes, built and hashed a piece at a time.
void join_rows(Digest* nodes, size_t count, const uint8_t* rows, size_t row_bytes) {
  const size_t len = sizeof(Digest) + row_bytes;
  util::ThreadPool::global().parallel_for(count, [&](size_t lo, size_t hi) {
    std::vector<uint8_t> msgs((hi - lo) * len);
    for (size_t j = lo; j < hi; ++j) {
      uint8_t* m = msgs.data() + (j - lo) * len;
      std::copy(nodes[j].begin(), nodes[j].end(), m);
      std::copy(rows + j * row_bytes, rows + (j + 1) * row_bytes, m + sizeof(Digest));
    }
    hash_many(Domain::MerkleJoin, msgs.data(), len, len, hi - lo, nodes + lo);
  }, 512);
}
}  // namespace

MerkleTree MerkleTree::from_leaves(std::vector<Digest> leaves) { return from_leaves(std::move(leaves), {}); }

MerkleTree MerkleTree::from_leaves(std::vector<Digest> leaves, std::span<const JoinedRows> joined) {
  std::vector<JoinedRows> by_height(joined.begin(), joined.end());  // several at one height in turn
  std::stable_sort(by_height.begin(), by_height.end(),
                   [](const auto& a, const auto& b) { return a.height < b.height; });
  Builder b(std::move(leaves));
  for (const auto& j : by_height) b.join(j);
  return b.finish();
}

MerkleTree::Builder::Builder(std::vector<Digest> leaves) : m_tree(new MerkleTree()) {
  ZK_ASSERT_MSG(!leaves.empty() && std::has_single_bit(leaves.size()),
                "Merkle tree needs a power-of-two number of leaves");
  MerkleTree& t = *m_tree;
  t.m_leaves = leaves.size();
  t.m_depth = static_cast<unsigned>(std::countr_zero(leaves.size()));
  t.m_nodes.resize(2 * t.m_leaves);
  std::copy(leaves.begin(), leaves.end(), t.m_nodes.begin() + t.m_leaves);
}

void MerkleTree::Builder::hash_up_to(unsigned height) {
  MerkleTree& t = *m_tree;
  auto& pool = util::ThreadPool::global();
  for (; m_height < height; ++m_height) {
    // Node i hashes nodes 2i and 2i+1, adjacent in memory: one 64-byte message.
    static_assert(sizeof(Digest) == 32);
    const size_t level = t.m_leaves >> (m_height + 1);
    pool.parallel_for(level, [&](size_t lo, size_t hi) {
      hash_many(Domain::MerkleNode, t.m_nodes[2 * (level + lo)].data(), 64, 64, hi - lo, &t.m_nodes[level + lo]);
    }, 512);
  }
}

void MerkleTree::Builder::join(const JoinedRows& j) {
  MerkleTree& t = *m_tree;
  ZK_ASSERT_MSG(j.height <= t.m_depth && j.height >= m_height && j.row_bytes > 0 &&
                    j.rows.size() == (t.m_leaves >> j.height) * j.row_bytes,
                "joined rows do not fit the tree");
  hash_up_to(j.height);
  join_rows(&t.m_nodes[t.m_leaves >> j.height], t.m_leaves >> j.height, j.rows.data(), j.row_bytes);
}

MerkleTree MerkleTree::Builder::finish() {
  hash_up_to(m_tree->m_depth);
  return std::move(*m_tree);
}

MerkleTree MerkleTree::from_nodes(std::vector<Digest> nodes) {
  ZK_ASSERT_MSG(nodes.size() >= 2 && std::has_single_bit(nodes.size()), "a tree needs 2 L nodes, L a power of two");
  MerkleTree t;
  t.m_leaves = nodes.size() / 2;
  t.m_depth = static_cast<unsigned>(std::countr_zero(t.m_leaves));
  t.m_nodes = std::move(nodes);
  return t;
}

MerkleTree MerkleTree::from_rows(std::span<const field::Fp> data, size_t leaf_width) {
  return from_leaves(hash_leaves(data, leaf_width));
}
MerkleTree MerkleTree::from_rows(std::span<const field::Fp2> data, size_t leaf_width) {
  return from_leaves(hash_leaves(data, leaf_width));
}

std::vector<Digest> MerkleTree::open(size_t index) const {
  ZK_ASSERT(index < m_leaves);
  std::vector<Digest> path;
  for (size_t node = m_leaves + index; node > 1; node /= 2) path.push_back(m_nodes[node ^ 1]);
  return path;
}

namespace {
// Walks the tree bottom-up from the sorted unique leaf positions. At each level a
// node whose sibling is also known needs nothing; otherwise the sibling comes from
// the proof. `sibling(node, out)` supplies it and returns false to abort. A level's
// parents are hashed together: `combine(msgs, count, out)` hashes `count` 64-byte
// messages left || right. `at_level(height, level)` sees each level's known nodes (the
// leaves at height 0) before they are used, and returns false to abort. On success
// `root` holds the digest computed for node 1.
template <typename CombineFn, typename SiblingFn, typename LevelFn>
bool walk_multiproof(std::vector<std::pair<size_t, Digest>> level, CombineFn&& combine,
                     SiblingFn&& sibling, LevelFn&& at_level, Digest& root) {
  std::vector<uint8_t> msgs;
  std::vector<Digest> digests;
  unsigned height = 0;
  if (!at_level(height, level)) return false;
  while (!(level.size() == 1 && level[0].first == 1)) {
    std::vector<std::pair<size_t, Digest>> next;
    next.reserve(level.size());
    msgs.clear();
    auto put = [&](const Digest& d) { msgs.insert(msgs.end(), d.begin(), d.end()); };
    for (size_t i = 0; i < level.size(); ++i) {
      size_t node = level[i].first;
      if ((node & 1) == 0 && i + 1 < level.size() && level[i + 1].first == node + 1) {
        put(level[i].second), put(level[i + 1].second);
        ++i;
      } else {
        Digest sib{};
        if (!sibling(node ^ 1, sib)) return false;
        if (node & 1) put(sib), put(level[i].second);
        else put(level[i].second), put(sib);
      }
      next.emplace_back(node / 2, Digest{});
    }
    digests.resize(next.size());
    combine(msgs.data(), next.size(), digests.data());
    for (size_t k = 0; k < next.size(); ++k) next[k].second = digests[k];
    level = std::move(next);
    if (!at_level(++height, level)) return false;
  }
  root = level[0].second;
  return true;
}

std::vector<size_t> sorted_unique(std::span<const size_t> indices) {
  std::vector<size_t> v(indices.begin(), indices.end());
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}
}  // namespace

std::vector<size_t> MerkleTree::multiproof_nodes(size_t num_leaves, std::span<const size_t> indices) {
  ZK_ASSERT(std::has_single_bit(num_leaves));
  for (size_t idx : indices) ZK_ASSERT(idx < num_leaves);  // also for a one-leaf tree
  std::vector<size_t> nodes;
  if (indices.empty() || num_leaves == 1) return nodes;
  std::vector<std::pair<size_t, Digest>> level;
  for (size_t idx : sorted_unique(indices)) level.emplace_back(num_leaves + idx, Digest{});
  Digest unused;
  walk_multiproof(std::move(level), [](const uint8_t*, size_t, Digest*) {},
                  [&](size_t node, Digest&) {
                    nodes.push_back(node);
                    return true;
                  },
                  [](unsigned, const auto&) { return true; }, unused);
  return nodes;
}

MultiProof MerkleTree::open_many(std::span<const size_t> indices) const {
  MultiProof proof;
  for (size_t node : multiproof_nodes(m_leaves, indices)) proof.nodes.push_back(m_nodes[node]);
  return proof;
}

bool verify_path(const Digest& root, unsigned depth, size_t index, const Digest& leaf,
                 std::span<const Digest> path) {
  if (path.size() != depth || (depth < 64 && index >> depth) != 0) return false;
  Digest cur = leaf;
  for (unsigned i = 0; i < depth; ++i) {
    cur = ((index >> i) & 1) ? hash_node(path[i], cur) : hash_node(cur, path[i]);
  }
  return cur == root;
}

Status verify_many(const Digest& root, unsigned depth, std::span<const size_t> indices,
                   std::span<const Digest> leaves, const MultiProof& proof) {
  return verify_many(root, depth, indices, leaves, proof, {});
}

Status verify_many(const Digest& root, unsigned depth, std::span<const size_t> indices,
                   std::span<const Digest> leaves, const MultiProof& proof,
                   std::span<const JoinedOpening> joined) {
  if (indices.size() != leaves.size()) return make_error("merkle: index and leaf counts differ");
  if (indices.empty()) return make_error("merkle: nothing opened");
  if (depth >= 48) return make_error("merkle: depth " + std::to_string(depth) + " too large");
  for (const auto& j : joined)
    if (j.height > depth || j.row_bytes == 0 || j.rows.size() != j.indices.size() * j.row_bytes)
      return make_error("merkle: joined rows at height " + std::to_string(j.height) + " do not fit the tree");
  size_t n = size_t(1) << depth;
  std::vector<std::pair<size_t, Digest>> level;
  {
    std::vector<std::pair<size_t, Digest>> pairs;
    for (size_t i = 0; i < indices.size(); ++i) {
      if (indices[i] >= n)
        return make_error("merkle: leaf index " + std::to_string(indices[i]) + " out of range");
      pairs.emplace_back(indices[i], leaves[i]);
    }
    std::sort(pairs.begin(), pairs.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < pairs.size(); ++i) {
      if (i > 0 && pairs[i].first == pairs[i - 1].first) {
        if (pairs[i].second != pairs[i - 1].second)
          return make_error("merkle: two different leaves claimed at index " +
                            std::to_string(pairs[i].first));
        continue;
      }
      level.emplace_back(n + pairs[i].first, pairs[i].second);
    }
  }
  // The joined rows at a height must be those of exactly the nodes reached there.
  std::string why;
  std::vector<Digest> reached;
  auto join = [&](unsigned height, std::vector<std::pair<size_t, Digest>>& nodes) {
    for (const auto& j : joined) {
      if (j.height != height) continue;
      bool same = j.indices.size() == nodes.size();
      for (size_t k = 0; same && k < nodes.size(); ++k) same = nodes[k].first - (n >> height) == j.indices[k];
      if (!same) {
        why = "merkle: the rows joined at height " + std::to_string(height) + " are not those the proof reaches";
        return false;
      }
      reached.resize(nodes.size());
      for (size_t k = 0; k < nodes.size(); ++k) reached[k] = nodes[k].second;
      join_rows(reached.data(), reached.size(), j.rows.data(), j.row_bytes);
      for (size_t k = 0; k < nodes.size(); ++k) nodes[k].second = reached[k];
    }
    return true;
  };
  if (depth == 0) {
    if (!join(0, level)) return make_error(why);
    if (!proof.nodes.empty()) return make_error("merkle: unexpected proof nodes");
    return level[0].second == root ? Status{} : Status(make_error("merkle: root mismatch"));
  }
  size_t used = 0;
  Digest computed{};
  auto hash_nodes = [](const uint8_t* msgs, size_t count, Digest* out) {
    hash_many(Domain::MerkleNode, msgs, 64, 64, count, out);
  };
  bool ok = walk_multiproof(std::move(level), hash_nodes, [&](size_t, Digest& out) {
    if (used >= proof.nodes.size()) {
      why = "merkle: proof has too few nodes";
      return false;
    }
    out = proof.nodes[used++];
    return true;
  }, join, computed);
  if (!ok) return make_error(why);
  if (used != proof.nodes.size()) return make_error("merkle: proof has unused nodes");
  if (computed != root) return make_error("merkle: root mismatch");
  return Status{};
}

void MultiProof::write(util::ByteWriter& w) const {
  w.u32(static_cast<uint32_t>(nodes.size()));
  for (const auto& d : nodes) w.raw(d);
}

Result<MultiProof> MultiProof::read(util::ByteReader& r, size_t max_nodes) {
  uint32_t n;
  if (!r.u32(n)) return make_error("merkle proof: node count truncated");
  if (n > max_nodes)
    return make_error("merkle proof: " + std::to_string(n) + " nodes exceeds limit " +
                      std::to_string(max_nodes));
  // Refuse a count the remaining bytes cannot hold before allocating for it: a
  // generous max_nodes must not let a 4-byte message ask for 128 GiB.
  if (r.remaining() / sizeof(Digest) < n)
    return make_error("merkle proof: " + std::to_string(n) + " nodes but only " +
                      std::to_string(r.remaining()) + " bytes left");
  MultiProof p;
  p.nodes.resize(n);
  for (auto& d : p.nodes)
    if (!r.raw(d)) return make_error("merkle proof: node truncated");
  return p;
}

}  // namespace zks::hash
