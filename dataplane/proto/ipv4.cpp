#include "ipv4.hpp"

#include <bit>
#include <cstring>

namespace bs::proto {

static_assert(std::endian::native == std::endian::little,
              "csum_partial sums little-endian native words (amd64, arm64)");

uint32_t csum_partial(Bytes data, uint32_t sum) {
  // The one's-complement sum does not depend on byte order (RFC 1071 2.B): add the data as
  // native 64-bit words with end-around carry, fold to 16 bits, and swap those to big-endian
  // order if the machine is little-endian. 8 bytes per addition: the DATA path sums 1468-byte
  // payloads per frame.
  const uint8_t* p = data.data();
  size_t n = data.size();
  uint64_t acc = 0;
  auto add = [&acc](uint64_t w) {
    acc += w;
    acc += acc < w;  // end-around carry
  };
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    add(w);
  }
  if (n) {
    // The tail, zero-padded, at its place in a native word (as memcpy(&w, p, n) would put it,
    // with fixed-size loads: this runs for every frame's header and payload ends).
    uint64_t w = 0;
    unsigned shift = 0;
    if (n & 4) {
      uint32_t v;
      std::memcpy(&v, p, 4);
      w = v;
      p += 4;
      shift = 32;
    }
    if (n & 2) {
      uint16_t v;
      std::memcpy(&v, p, 2);
      w |= uint64_t(v) << shift;
      p += 2;
      shift += 16;
    }
    if (n & 1) w |= uint64_t(*p) << shift;
    add(w);
  }
  uint64_t f = (acc & 0xffffffff) + (acc >> 32);
  f = (f & 0xffff) + (f >> 16);
  f = (f & 0xffff) + (f >> 16);
  f = (f & 0xffff) + (f >> 16);
  f = ((f & 0xff) << 8) | (f >> 8);  // native (little-endian) lanes to network order
  uint64_t s = uint64_t(sum) + f;
  while (s >> 32) s = (s & 0xffffffff) + (s >> 32);
  return uint32_t(s);
}

uint16_t csum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

Result<Ipv4Header> parse_ipv4(Bytes p) {
  if (p.size() < kIpv4HeaderLen) return Drop::ipv4_short;
  if (p[0] >> 4 != 4) return Drop::ipv4_version;
  Ipv4Header h;
  h.header_len = uint8_t((p[0] & 0x0f) * 4);
  if (h.header_len < kIpv4HeaderLen) return Drop::ipv4_header_length;
  if (p.size() < h.header_len) return Drop::ipv4_short;
  h.tos = p[1];
  h.total_len = load16(p.data() + 2);
  if (h.total_len < h.header_len || h.total_len > p.size()) return Drop::ipv4_total_length;
  if (csum_fold(csum_partial(p.first(h.header_len))) != 0) return Drop::ipv4_checksum;
  h.id = load16(p.data() + 4);
  h.frag = load16(p.data() + 6);
  h.ttl = p[8];
  h.proto = p[9];
  h.src = load32(p.data() + 12);
  h.dst = load32(p.data() + 16);
  return h;
}

size_t write_ipv4(MutBytes out, Ip4 src, Ip4 dst, uint8_t proto, uint16_t payload_len, uint16_t id,
                  uint8_t ttl) {
  if (out.size() < kIpv4HeaderLen || payload_len > 0xffff - kIpv4HeaderLen) return 0;
  uint8_t* p = out.data();
  p[0] = 0x45;
  p[1] = 0;
  store16(p + 2, uint16_t(kIpv4HeaderLen + payload_len));
  store16(p + 4, id);
  store16(p + 6, 0);  // DF clear, not a fragment
  p[8] = ttl;
  p[9] = proto;
  store16(p + 10, 0);
  store32(p + 12, src);
  store32(p + 16, dst);
  store16(p + 10, csum_fold(csum_partial(Bytes(p, kIpv4HeaderLen))));
  return kIpv4HeaderLen;
}

}  // namespace bs::proto
