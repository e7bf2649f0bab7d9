#include "bytes.hpp"

namespace bs::proto {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Mac::str() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(17, ':');
  for (size_t i = 0; i < 6; ++i) {
    s[i * 3] = kHex[b[i] >> 4];
    s[i * 3 + 1] = kHex[b[i] & 0xf];
  }
  return s;
}

std::optional<Mac> Mac::parse(std::string_view s) {
  if (s.size() != 17) return std::nullopt;
  const char sep = s[2];
  if (sep != ':' && sep != '-') return std::nullopt;
  Mac m;
  for (size_t i = 0; i < 6; ++i) {
    const int hi = hex_value(s[i * 3]);
    const int lo = hex_value(s[i * 3 + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    if (i < 5 && s[i * 3 + 2] != sep) return std::nullopt;
    m.b[i] = uint8_t(hi << 4 | lo);
  }
  return m;
}

std::string ip_str(Ip4 a) {
  std::string s;
  s.reserve(15);
  for (int shift = 24; shift >= 0; shift -= 8) {
    s += std::to_string((a >> shift) & 0xff);
    if (shift) s += '.';
  }
  return s;
}

std::optional<Ip4> parse_ip(std::string_view s) {
  Ip4 out = 0;
  size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= s.size() || s[pos] != '.') return std::nullopt;
      ++pos;
    }
    size_t digits = 0;
    unsigned v = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      v = v * 10 + unsigned(s[pos] - '0');
      ++pos;
      if (++digits > 3) return std::nullopt;
    }
    if (digits == 0 || v > 255) return std::nullopt;
    out = out << 8 | v;
  }
  if (pos != s.size()) return std::nullopt;
  return out;
}

}  // namespace bs::proto
