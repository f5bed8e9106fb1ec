// Merkle tree: construction against an independent reference, single paths, pruned
// multiproofs (exact size), tamper tests and proof serialization.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "hash/merkle.hpp"
#include "util/thread_pool.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::hash::Digest;
using zks::hash::MerkleTree;
using zks::hash::MultiProof;

namespace {

Digest random_digest(std::mt19937_64& rng) {
  Digest d;
  for (auto& b : d) b = static_cast<uint8_t>(rng());
  return d;
}

std::vector<Digest> random_leaves(std::mt19937_64& rng, size_t n) {
  std::vector<Digest> v(n);
  for (auto& d : v) d = random_digest(rng);
  return v;
}

// Heap-layout reference tree built sequentially: node 1 is the root, leaves at [n, 2n).
std::vector<Digest> reference_heap(const std::vector<Digest>& leaves) {
  size_t n = leaves.size();
  std::vector<Digest> heap(2 * n);
  std::copy(leaves.begin(), leaves.end(), heap.begin() + static_cast<std::ptrdiff_t>(n));
  for (size_t i = n - 1; i >= 1; --i) heap[i] = zks::hash::hash_node(heap[2 * i], heap[2 * i + 1]);
  return heap;
}

// The siblings a verifier cannot recompute, in the order it consumes them: level by
// level bottom-up, left to right within a level.
std::vector<size_t> needed_siblings(size_t n, const std::vector<size_t>& indices) {
  std::set<size_t> known;
  for (size_t i : indices) known.insert(n + i);
  std::vector<size_t> needed;
  for (std::set<size_t> level = known; !(level.size() == 1 && *level.begin() == 1);) {
    std::set<size_t> next;
    std::vector<size_t> here;
    for (size_t v : level) {
      if (!level.count(v ^ 1)) here.push_back(v ^ 1);
      next.insert(v / 2);
    }
    std::sort(here.begin(), here.end());
    needed.insert(needed.end(), here.begin(), here.end());
    level = std::move(next);
  }
  return needed;
}

std::vector<Digest> digests_at(const std::vector<Digest>& leaves, const std::vector<size_t>& idx) {
  std::vector<Digest> out;
  for (size_t i : idx) out.push_back(leaves[i]);
  return out;
}

Digest hash_leaf_reference(std::span<const Fp> xs) {
  zks::hash::Hasher h(zks::hash::Domain::MerkleLeaf);
  for (Fp x : xs) h.update_u64(x.value());
  return h.finalize();
}

Digest hash_leaf_reference(std::span<const Fp2> xs) {
  zks::hash::Hasher h(zks::hash::Domain::MerkleLeaf);
  for (const Fp2& x : xs) h.update_u64(x.c0().value()).update_u64(x.c1().value());
  return h.finalize();
}

// A fixed 64-leaf tree and a valid multiproof for tamper tests.
struct OpenedTree {
  std::vector<Digest> leaves;
  MerkleTree tree;
  std::vector<size_t> indices{9, 3, 40, 41, 63, 3};
  std::vector<Digest> claimed;
  MultiProof proof;

  OpenedTree() : OpenedTree(std::mt19937_64(77)) {}
  explicit OpenedTree(std::mt19937_64 rng)
      : leaves(random_leaves(rng, 64)), tree(MerkleTree::from_leaves(leaves)) {
    claimed = digests_at(leaves, indices);
    proof = tree.open_many(indices);
  }
  zks::Status verify() const {
    return zks::hash::verify_many(tree.root(), tree.depth(), indices, claimed, proof);
  }
};

}  // namespace

TEST_CASE("merkle: from_leaves matches a reference for 1 to 2^12 leaves", "[hash][merkle]") {
  std::mt19937_64 rng(1);
  for (unsigned k = 0; k <= 12; ++k) {
    size_t n = size_t(1) << k;
    auto leaves = random_leaves(rng, n);
    auto heap = reference_heap(leaves);
    MerkleTree t = MerkleTree::from_leaves(leaves);
    INFO("k = " << k);
    CHECK(t.num_leaves() == n);
    CHECK(t.depth() == k);
    CHECK(t.root() == (n == 1 ? leaves[0] : heap[1]));
    for (size_t i = 0; i < n; ++i) REQUIRE(t.leaf(i) == leaves[i]);
  }
}

TEST_CASE("merkle: hash_leaf is the little-endian encoding in the leaf domain", "[hash][merkle]") {
  std::mt19937_64 rng(2);
  // Lengths around the 1024-byte internal buffer (128 Fp or 64 Fp2) exercise its flush.
  for (size_t len : {0u, 1u, 4u, 16u, 63u, 64u, 65u, 127u, 128u, 129u, 200u, 256u, 300u}) {
    std::vector<Fp> xs(len);
    for (auto& x : xs) x = Fp(rng());
    std::vector<Fp2> ys(len);
    for (auto& y : ys) y = Fp2(Fp(rng()), Fp(rng()));
    INFO("len = " << len);
    CHECK(zks::hash::hash_leaf(std::span<const Fp>(xs)) == hash_leaf_reference(xs));
    CHECK(zks::hash::hash_leaf(std::span<const Fp2>(ys)) == hash_leaf_reference(ys));
  }
  // Edge values are hashed canonically.
  std::vector<Fp> edge{Fp(0), Fp(Fp::P - 1), Fp(Fp::P), Fp(~uint64_t(0))};
  CHECK(zks::hash::hash_leaf(std::span<const Fp>(edge)) == hash_leaf_reference(edge));
  // Different values give different leaves.
  std::vector<Fp> a{Fp(1), Fp(2)}, b{Fp(2), Fp(1)};
  CHECK(zks::hash::hash_leaf(std::span<const Fp>(a)) != zks::hash::hash_leaf(std::span<const Fp>(b)));
}

TEST_CASE("merkle: from_rows and hash_leaves with leaf widths 1 4 16 over Fp and Fp2", "[hash][merkle]") {
  std::mt19937_64 rng(3);
  for (size_t width : {1u, 4u, 16u}) {
    for (size_t rows : {1u, 2u, 64u, 1024u}) {
      INFO("width = " << width << " rows = " << rows);
      std::vector<Fp> xs(width * rows);
      for (auto& x : xs) x = Fp(rng());
      std::vector<Fp2> ys(width * rows);
      for (auto& y : ys) y = Fp2(Fp(rng()), Fp(rng()));

      MerkleTree tx = MerkleTree::from_rows(std::span<const Fp>(xs), width);
      MerkleTree ty = MerkleTree::from_rows(std::span<const Fp2>(ys), width);
      std::vector<Digest> lx(rows), ly(rows);
      for (size_t r = 0; r < rows; ++r) {
        lx[r] = hash_leaf_reference(std::span<const Fp>(xs).subspan(r * width, width));
        ly[r] = hash_leaf_reference(std::span<const Fp2>(ys).subspan(r * width, width));
      }
      CHECK(zks::hash::hash_leaves(std::span<const Fp>(xs), width) == lx);
      CHECK(zks::hash::hash_leaves(std::span<const Fp2>(ys), width) == ly);
      CHECK(tx.num_leaves() == rows);
      CHECK(ty.num_leaves() == rows);
      CHECK(tx.root() == MerkleTree::from_leaves(lx).root());
      CHECK(ty.root() == MerkleTree::from_leaves(ly).root());
      for (size_t r = 0; r < rows; ++r) {
        REQUIRE(tx.leaf(r) == lx[r]);
        REQUIRE(ty.leaf(r) == ly[r]);
      }
    }
  }
}

TEST_CASE("merkle: same data gives the same root whatever the thread count", "[hash][merkle]") {
  std::mt19937_64 rng(4);
  std::vector<Fp> xs(4 * 4096);
  for (auto& x : xs) x = Fp(rng());
  std::vector<Digest> roots;
  for (size_t threads : {1u, 2u, 0u}) {
    zks::util::ThreadPool::set_global_threads(threads);
    roots.push_back(MerkleTree::from_rows(std::span<const Fp>(xs), 4).root());
    roots.push_back(MerkleTree::from_rows(std::span<const Fp>(xs), 4).root());
  }
  zks::util::ThreadPool::set_global_threads(0);
  for (const auto& r : roots) CHECK(r == roots[0]);

  // Any single changed element changes the root.
  for (size_t pos : {size_t(0), size_t(5), xs.size() - 1}) {
    auto ys = xs;
    ys[pos] = ys[pos] + Fp(1);
    CHECK(MerkleTree::from_rows(std::span<const Fp>(ys), 4).root() != roots[0]);
  }
  // The same elements with another leaf width give another root.
  CHECK(MerkleTree::from_rows(std::span<const Fp>(xs), 16).root() != roots[0]);
}

TEST_CASE("merkle: open and verify_path for every leaf of small trees", "[hash][merkle]") {
  std::mt19937_64 rng(5);
  for (unsigned k = 0; k <= 6; ++k) {
    size_t n = size_t(1) << k;
    auto leaves = random_leaves(rng, n);
    MerkleTree t = MerkleTree::from_leaves(leaves);
    INFO("k = " << k);
    for (size_t i = 0; i < n; ++i) {
      auto path = t.open(i);
      REQUIRE(path.size() == k);
      REQUIRE(zks::hash::verify_path(t.root(), k, i, leaves[i], path));

      // Wrong leaf, wrong root, index out of range, wrong depth.
      Digest bad = leaves[i];
      bad[0] ^= 1;
      CHECK_FALSE(zks::hash::verify_path(t.root(), k, i, bad, path));
      Digest bad_root = t.root();
      bad_root[31] ^= 0x80;
      CHECK_FALSE(zks::hash::verify_path(bad_root, k, i, leaves[i], path));
      CHECK_FALSE(zks::hash::verify_path(t.root(), k, i + n, leaves[i], path));
      CHECK_FALSE(zks::hash::verify_path(t.root(), k + 1, i, leaves[i], path));
      // Each changed path node.
      for (size_t j = 0; j < path.size(); ++j) {
        auto p = path;
        p[j][j % 32] ^= 4;
        CHECK_FALSE(zks::hash::verify_path(t.root(), k, i, leaves[i], p));
      }
      // Extra and missing nodes.
      auto longer = path;
      longer.push_back(t.root());
      CHECK_FALSE(zks::hash::verify_path(t.root(), k, i, leaves[i], longer));
      if (k > 0) {
        auto shorter = path;
        shorter.pop_back();
        CHECK_FALSE(zks::hash::verify_path(t.root(), k, i, leaves[i], shorter));
        CHECK_FALSE(zks::hash::verify_path(t.root(), k - 1, i >> 1, leaves[i], shorter));
        // Another index with the same leaf and path.
        CHECK_FALSE(zks::hash::verify_path(t.root(), k, i ^ 1, leaves[i], path));
      }
    }
  }
  // Absurd depths are refused without undefined shifts.
  Digest d{};
  CHECK_FALSE(zks::hash::verify_path(d, 64, 0, d, {}));
  CHECK_FALSE(zks::hash::verify_path(d, 1000, 0, d, {}));
}

TEST_CASE("merkle: multiproofs verify and are exactly pruned", "[hash][merkle]") {
  std::mt19937_64 rng(6);
  for (unsigned k = 0; k <= 10; ++k) {
    size_t n = size_t(1) << k;
    auto leaves = random_leaves(rng, n);
    auto heap = reference_heap(leaves);
    MerkleTree t = MerkleTree::from_leaves(leaves);

    std::vector<std::vector<size_t>> sets;
    sets.push_back({0});
    sets.push_back({n - 1});
    sets.push_back({rng() % n});
    std::vector<size_t> all(n);
    for (size_t i = 0; i < n; ++i) all[i] = n - 1 - i;  // all leaves, reversed
    sets.push_back(all);
    for (int trial = 0; trial < 12; ++trial) {
      size_t m = 1 + rng() % std::min<size_t>(2 * n, 40);  // duplicates when m is large
      std::vector<size_t> s(m);
      for (auto& i : s) i = rng() % n;
      if (m > 1) s.push_back(s[0]);  // at least one duplicate, unsorted
      sets.push_back(s);
    }

    for (const auto& s : sets) {
      INFO("k = " << k << " |indices| = " << s.size());
      MultiProof proof = t.open_many(s);
      auto claimed = digests_at(leaves, s);
      zks::Status st = zks::hash::verify_many(t.root(), k, s, claimed, proof);
      INFO(st.error());
      REQUIRE(st.ok());

      auto needed = needed_siblings(n, s);
      REQUIRE(proof.nodes.size() == needed.size());
      for (size_t j = 0; j < needed.size(); ++j) REQUIRE(proof.nodes[j] == heap[needed[j]]);
      CHECK(proof.nodes.size() <= size_t(k) * s.size());
      // A single leaf's multiproof is its path.
      if (std::set<size_t>(s.begin(), s.end()).size() == 1) CHECK(proof.nodes == t.open(s[0]));
    }
    // All leaves opened: nothing to send.
    CHECK(t.open_many(all).nodes.empty());
  }
}

TEST_CASE("merkle: multiproof tampering is rejected with a reason", "[hash][merkle]") {
  OpenedTree o;
  REQUIRE(o.verify().ok());
  REQUIRE(!o.proof.nodes.empty());

  auto expect_reject = [](const zks::Status& st) {
    CHECK_FALSE(st.ok());
    CHECK_FALSE(st.error().empty());
  };

  SECTION("changed leaf digest") {
    for (size_t i = 0; i < o.claimed.size(); ++i) {
      auto c = o.claimed;
      c[i][7] ^= 1;
      if (o.indices[i] == 3) {  // index 3 is claimed twice: change both copies
        for (size_t j = 0; j < c.size(); ++j)
          if (o.indices[j] == 3) c[j] = c[i];
      }
      expect_reject(zks::hash::verify_many(o.tree.root(), o.tree.depth(), o.indices, c, o.proof));
    }
  }
  SECTION("changed proof node") {
    for (size_t j = 0; j < o.proof.nodes.size(); ++j) {
      auto p = o.proof;
      p.nodes[j][31 - j % 32] ^= 0x10;
      expect_reject(zks::hash::verify_many(o.tree.root(), o.tree.depth(), o.indices, o.claimed, p));
    }
  }
  SECTION("swapped proof nodes") {
    auto p = o.proof;
    std::swap(p.nodes.front(), p.nodes.back());
    expect_reject(zks::hash::verify_many(o.tree.root(), o.tree.depth(), o.indices, o.claimed, p));
  }
  SECTION("extra node") {
    auto p = o.proof;
    p.nodes.push_back(o.tree.root());
    expect_reject(zks::hash::verify_many(o.tree.root(), o.tree.depth(), o.indices, o.claimed, p));
    p = o.proof;
    p.nodes.insert(p.nodes.begin(), o.tree.leaf(0));
    expect_reject(zks::hash::verify_many(o.tree.root(), o.tree.depth(), o.indices, o.claimed, p));
  }
  SECTION("missing node") {
    auto p = o.proof;
    p.nodes.pop_back();
    expect_reject(zks::hash::verify_many(o.tree.root(), o.tree.depth(), o.indices, o.claimed, p));
    p = o.proof;
    p.nodes.erase(p.nodes.begin());
    expect_reject(zks::hash::verify_many(o.tree.root(), o.tree.depth(), o.indices, o.claimed, p));
    expect_reject(zks::hash::verify_many(o.tree.root(), o.tree.depth(), o.indices, o.claimed, MultiProof{}));
  }
  SECTION("index out of range") {
    for (size_t bad : {size_t(64), size_t(65), size_t(127), size_t(1) << 40, ~size_t(0)}) {
      auto idx = o.indices;
      idx[2] = bad;
      expect_reject(zks::hash::verify_many(o.tree.root(), o.tree.depth(), idx, o.claimed, o.proof));
    }
  }
  SECTION("wrong index") {
    // Each opened index moved to every other position (same digest claimed there).
    for (size_t i = 0; i < o.indices.size(); ++i) {
      for (size_t other = 0; other < 64; ++other) {
        if (other == o.indices[i]) continue;
        auto idx = o.indices;
        idx[i] = other;
        auto st = zks::hash::verify_many(o.tree.root(), o.tree.depth(), idx, o.claimed, o.proof);
        INFO("position " << i << " moved to " << other);
        expect_reject(st);
      }
    }
  }
  SECTION("duplicate index with different leaf digests") {
    auto idx = o.indices;
    auto c = o.claimed;
    idx.push_back(40);
    c.push_back(o.tree.leaf(41));
    expect_reject(zks::hash::verify_many(o.tree.root(), o.tree.depth(), idx, c, o.proof));
    // The last entry duplicates index 3: give it another digest.
    c = o.claimed;
    c.back()[0] ^= 1;
    expect_reject(zks::hash::verify_many(o.tree.root(), o.tree.depth(), o.indices, c, o.proof));
  }
  SECTION("wrong root") {
    for (int byte : {0, 15, 31}) {
      Digest r = o.tree.root();
      r[byte] ^= 0x01;
      expect_reject(zks::hash::verify_many(r, o.tree.depth(), o.indices, o.claimed, o.proof));
    }
    expect_reject(zks::hash::verify_many(Digest{}, o.tree.depth(), o.indices, o.claimed, o.proof));
  }
  SECTION("wrong depth") {
    for (unsigned d : {0u, 1u, 5u, 7u, 8u, 47u, 48u, 63u, 64u, 1000u}) {
      INFO("depth " << d);
      expect_reject(zks::hash::verify_many(o.tree.root(), d, o.indices, o.claimed, o.proof));
    }
  }
  SECTION("count mismatch and nothing opened") {
    auto c = o.claimed;
    c.pop_back();
    expect_reject(zks::hash::verify_many(o.tree.root(), o.tree.depth(), o.indices, c, o.proof));
    expect_reject(zks::hash::verify_many(o.tree.root(), o.tree.depth(), {}, {}, o.proof));
    expect_reject(zks::hash::verify_many(o.tree.root(), o.tree.depth(), {}, {}, MultiProof{}));
  }
}

TEST_CASE("merkle: a one-leaf tree opens with an empty proof", "[hash][merkle]") {
  std::mt19937_64 rng(8);
  auto leaves = random_leaves(rng, 1);
  MerkleTree t = MerkleTree::from_leaves(leaves);
  std::vector<size_t> idx{0, 0};
  std::vector<Digest> c{leaves[0], leaves[0]};
  MultiProof p = t.open_many(idx);
  CHECK(p.nodes.empty());
  CHECK(zks::hash::verify_many(t.root(), 0, idx, c, p).ok());

  MultiProof extra{{leaves[0]}};
  CHECK_FALSE(zks::hash::verify_many(t.root(), 0, idx, c, extra).ok());
  Digest other = leaves[0];
  other[3] ^= 1;
  CHECK_FALSE(zks::hash::verify_many(t.root(), 0, std::vector<size_t>{0}, std::vector<Digest>{other}, p).ok());
  CHECK_FALSE(zks::hash::verify_many(t.root(), 0, std::vector<size_t>{1}, std::vector<Digest>{leaves[0]}, p).ok());
  CHECK_FALSE(zks::hash::verify_many(t.root(), 0, idx, std::vector<Digest>{leaves[0], other}, p).ok());
}

TEST_CASE("merkle: MultiProof serialization round trip and refusals", "[hash][merkle]") {
  OpenedTree o;
  zks::util::ByteWriter w;
  o.proof.write(w);
  const auto bytes = w.bytes();
  REQUIRE(bytes.size() == 4 + 32 * o.proof.nodes.size());

  SECTION("round trip") {
    zks::util::ByteReader r(bytes);
    auto back = MultiProof::read(r, o.proof.nodes.size());
    REQUIRE(back.ok());
    CHECK(back->nodes == o.proof.nodes);
    CHECK(r.at_end());
    CHECK(zks::hash::verify_many(o.tree.root(), o.tree.depth(), o.indices, o.claimed, *back).ok());

    MultiProof empty;
    zks::util::ByteWriter we;
    empty.write(we);
    zks::util::ByteReader re(we.bytes());
    auto e = MultiProof::read(re, 0);
    REQUIRE(e.ok());
    CHECK(e->nodes.empty());
  }
  SECTION("every truncation is refused") {
    for (size_t len = 0; len < bytes.size(); ++len) {
      zks::util::ByteReader r(std::span<const uint8_t>(bytes).first(len));
      auto back = MultiProof::read(r, 1 << 20);
      INFO("length " << len);
      CHECK_FALSE(back.ok());
    }
  }
  SECTION("more nodes than the limit are refused") {
    zks::util::ByteReader r(bytes);
    CHECK_FALSE(MultiProof::read(r, o.proof.nodes.size() - 1).ok());
  }
  SECTION("an absurd node count is refused without allocating it") {
    zks::util::ByteWriter bw;
    bw.u32(0xFFFFFFFFu);
    bw.raw(o.tree.root());
    for (size_t limit : {size_t(1) << 20, size_t(0xFFFFFFFFu), ~size_t(0)}) {
      zks::util::ByteReader r(bw.bytes());
      auto back = MultiProof::read(r, limit);
      CHECK_FALSE(back.ok());
    }
  }
}

namespace {
// H(MerkleJoin || node || row) by hand, for the reference.
Digest reference_join(const Digest& node, std::span<const uint8_t> row) {
  std::vector<uint8_t> m(node.begin(), node.end());
  m.insert(m.end(), row.begin(), row.end());
  return zks::hash::hash(zks::hash::Domain::MerkleJoin, m);
}
std::vector<uint8_t> random_bytes(std::mt19937_64& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}
}  // namespace

TEST_CASE("merkle: a mixed-height tree matches a reference and opens every codeword with one path",
          "[hash][merkle]") {
  std::mt19937_64 rng(31);
  const size_t n = 256;
  const auto big = random_leaves(rng, n);
  // Codewords of 1/4, 1/4 (the same height twice), 1/64 and 1/256 the rows, and one as
  // long; rows of 64 bytes (one compression with the node), 128 and 8.
  const std::vector<std::pair<unsigned, size_t>> shapes = {{2, 64}, {2, 128}, {6, 64}, {8, 8}, {0, 64}};
  std::vector<std::vector<uint8_t>> data;
  std::vector<zks::hash::JoinedRows> joined;
  for (const auto& [h, bytes] : shapes) data.push_back(random_bytes(rng, (n >> h) * bytes));
  for (size_t k = 0; k < shapes.size(); ++k) joined.push_back({shapes[k].first, data[k], shapes[k].second});
  auto row = [&](size_t k, size_t i) { return std::span<const uint8_t>(data[k]).subspan(i * shapes[k].second, shapes[k].second); };
  const MerkleTree tree = MerkleTree::from_leaves(big, joined);
  {
    std::vector<Digest> heap(2 * n);
    std::copy(big.begin(), big.end(), heap.begin() + std::ptrdiff_t(n));
    auto join = [&](unsigned h) {
      for (size_t k = 0; k < shapes.size(); ++k)
        if (shapes[k].first == h)
          for (size_t i = 0; i < (n >> h); ++i) heap[(n >> h) + i] = reference_join(heap[(n >> h) + i], row(k, i));
    };
    join(0);
    for (unsigned h = 1; h <= 8; ++h) {
      for (size_t i = n >> h; i < (n >> (h - 1)); ++i) heap[i] = zks::hash::hash_node(heap[2 * i], heap[2 * i + 1]);
      join(h);
    }
    CHECK(tree.root() == heap[1]);
    CHECK(tree.root() != MerkleTree::from_leaves(big).root());
  }
  const std::vector<size_t> idx = {3, 17, 18, 200, 255};
  const MultiProof proof = tree.open_many(idx);
  CHECK(proof.nodes.size() == MerkleTree::from_leaves(big).open_many(idx).nodes.size());
  std::vector<Digest> leaves;
  for (size_t i : idx) leaves.push_back(big[i]);
  // Each joined codeword's rows at the opened indices shifted by its height.
  std::vector<std::vector<size_t>> at(shapes.size());
  std::vector<std::vector<uint8_t>> rows(shapes.size());
  auto openings = [&]() {
    std::vector<zks::hash::JoinedOpening> o;
    for (size_t k = 0; k < shapes.size(); ++k) o.push_back({shapes[k].first, at[k], rows[k], shapes[k].second});
    return o;
  };
  for (size_t k = 0; k < shapes.size(); ++k) {
    for (size_t i : idx) at[k].push_back(i >> shapes[k].first);
    at[k].erase(std::unique(at[k].begin(), at[k].end()), at[k].end());
    for (size_t i : at[k]) rows[k].insert(rows[k].end(), row(k, i).begin(), row(k, i).end());
  }
  CHECK(zks::hash::verify_many(tree.root(), 8, idx, leaves, proof, openings()).ok());
  // Without the joined rows, or with any byte of one changed, one missing or extra, it fails.
  CHECK_FALSE(zks::hash::verify_many(tree.root(), 8, idx, leaves, proof).ok());
  for (size_t k = 0; k < shapes.size(); ++k) {
    for (size_t e = 0; e < rows[k].size(); e += 7) {
      rows[k][e] ^= 1;
      CHECK_FALSE(zks::hash::verify_many(tree.root(), 8, idx, leaves, proof, openings()).ok());
      rows[k][e] ^= 1;
    }
    const auto saved_at = at[k];
    const auto saved_rows = rows[k];
    at[k].pop_back(), rows[k].resize(rows[k].size() - shapes[k].second);
    auto st = zks::hash::verify_many(tree.root(), 8, idx, leaves, proof, openings());
    CHECK_FALSE(st.ok());
    CHECK_THAT(st.error(), Catch::Contains("not those the proof reaches"));
    at[k] = saved_at, rows[k] = saved_rows;
    rows[k].pop_back();  // a row cut short
    CHECK_THAT(zks::hash::verify_many(tree.root(), 8, idx, leaves, proof, openings()).error(),
               Catch::Contains("do not fit"));
    rows[k] = saved_rows;
  }
  CHECK(zks::hash::verify_many(tree.root(), 8, idx, leaves, proof, openings()).ok());
  auto swapped = openings();
  std::swap(swapped[0], swapped[1]);  // two codewords at one height: order matters
  CHECK_FALSE(zks::hash::verify_many(tree.root(), 8, idx, leaves, proof, swapped).ok());
  auto wrong_height = openings();
  wrong_height[2].height = 5;
  CHECK_FALSE(zks::hash::verify_many(tree.root(), 8, idx, leaves, proof, wrong_height).ok());
  wrong_height[2].height = 9;
  CHECK_FALSE(zks::hash::verify_many(tree.root(), 8, idx, leaves, proof, wrong_height).ok());
}
