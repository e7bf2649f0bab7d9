// Bounds-checked big-endian access over byte spans, and the small types every codec shares.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace bs::proto {

using Bytes = std::span<const uint8_t>;
using MutBytes = std::span<uint8_t>;

inline uint16_t load16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t load32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline void store16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
inline void store32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

// An Ethernet address.
struct Mac {
  std::array<uint8_t, 6> b{};
  bool operator==(const Mac&) const = default;
  bool is_broadcast() const { return b == std::array<uint8_t, 6>{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}; }
  bool is_zero() const { return b == std::array<uint8_t, 6>{}; }
  uint64_t key() const {
    uint64_t k = 0;
    for (auto x : b) k = k << 8 | x;
    return k;
  }
  // "52:54:00:12:34:56" (lower case, colons).
  std::string str() const;
  // Accepts "52:54:00:12:34:56" and "52-54-00-12-34-56", either case.
  static std::optional<Mac> parse(std::string_view s);
};

inline constexpr Mac kBroadcastMac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

// IPv4 addresses are uint32_t in host byte order everywhere in bootstorm.
using Ip4 = uint32_t;
std::string ip_str(Ip4 a);
std::optional<Ip4> parse_ip(std::string_view s);

// Writes into a fixed span; remembers overflow instead of writing past the end.
class Writer {
 public:
  explicit Writer(MutBytes out) : out_(out) {}
  void u8(uint8_t v) {
    if (room(1)) out_[pos_++] = v;
  }
  void u16(uint16_t v) {
    if (room(2)) store16(&out_[pos_], v), pos_ += 2;
  }
  void u32(uint32_t v) {
    if (room(4)) store32(&out_[pos_], v), pos_ += 4;
  }
  void bytes(Bytes b) {
    if (room(b.size())) {
      for (size_t i = 0; i < b.size(); ++i) out_[pos_ + i] = b[i];
      pos_ += b.size();
    }
  }
  void str(std::string_view s) { bytes(Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size())); }
  void zeros(size_t n) {
    if (room(n)) {
      for (size_t i = 0; i < n; ++i) out_[pos_ + i] = 0;
      pos_ += n;
    }
  }
  size_t size() const { return pos_; }
  bool ok() const { return ok_; }
  uint8_t* at(size_t off) { return &out_[off]; }

 private:
  bool room(size_t n) {
    if (!ok_ || out_.size() - pos_ < n) return ok_ = false;
    return true;
  }
  MutBytes out_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace bs::proto
