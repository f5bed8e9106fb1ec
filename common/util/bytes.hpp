#pragma once
// Little-endian byte writer/reader for proof and message serialization. The reader
// never asserts on its input: every read reports truncation through ok()/error().

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zks::util {

using Bytes = std::vector<uint8_t>;

class ByteWriter {
 public:
  void u8(uint8_t v) { m_out.push_back(v); }
  void u32(uint32_t v) { put_le(v, 4); }
  void u64(uint64_t v) { put_le(v, 8); }
  void raw(std::span<const uint8_t> b) { m_out.insert(m_out.end(), b.begin(), b.end()); }
  // LEB128: 7 bits a byte, low first, the high bit set on every byte but the last.
  void varint(uint64_t v) {
    for (; v >= 0x80; v >>= 7) m_out.push_back(static_cast<uint8_t>(v | 0x80));
    m_out.push_back(static_cast<uint8_t>(v));
  }
  // A signed value zigzagged (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...), then as varint.
  void svarint(int64_t v) { varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  const Bytes& bytes() const { return m_out; }
  Bytes take() { return std::move(m_out); }

 private:
  void put_le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) m_out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  Bytes m_out;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> in) : m_in(in) {}

  bool u8(uint8_t& v) { return get_le(v, 1); }
  bool u32(uint32_t& v) { return get_le(v, 4); }
  bool u64(uint64_t& v) { return get_le(v, 8); }
  bool raw(std::span<uint8_t> out) {
    if (!need(out.size())) return false;
    std::memcpy(out.data(), m_in.data() + m_pos, out.size());
    m_pos += out.size();
    return true;
  }
  // varint()'s encoding, refused when truncated, longer than 10 bytes, over 64 bits or
  // not the shortest (so each value has one encoding).
  bool varint(uint64_t& v) {
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
      if (!need(1)) return false;
      const uint8_t b = m_in[m_pos++];
      if (shift == 63 && b > 1) return false;                // past 64 bits
      if (shift > 0 && b == 0) return false;                  // a trailing zero byte: not the shortest
      x |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        v = x;
        return true;
      }
    }
    return false;
  }
  bool svarint(int64_t& v) {
    uint64_t u = 0;
    if (!varint(u)) return false;
    v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
    return true;
  }
  size_t remaining() const { return m_in.size() - m_pos; }
  size_t position() const { return m_pos; }
  bool at_end() const { return m_pos == m_in.size(); }

 private:
  bool need(size_t n) const { return m_in.size() - m_pos >= n; }
  template <typename T>
  bool get_le(T& v, int n) {
    if (!need(static_cast<size_t>(n))) return false;
    uint64_t x = 0;
    for (int i = 0; i < n; ++i) x |= uint64_t(m_in[m_pos + i]) << (8 * i);
    m_pos += static_cast<size_t>(n);
    v = static_cast<T>(x);
    return true;
  }
  std::span<const uint8_t> m_in;
  size_t m_pos = 0;
};

std::string to_hex(std::span<const uint8_t> b);

}  // namespace zks::util
