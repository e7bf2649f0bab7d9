#include "ipv4.hpp"

namespace bs::proto {

uint32_t csum_partial(Bytes data, uint32_t sum) {
  // Sums 16-bit big-endian words in a 64-bit accumulator, folded back to 32 bits at the end.
  uint64_t s = sum;
  const uint8_t* p = data.data();
  size_t n = data.size();
  while (n >= 2) {
    s += load16(p);
    p += 2;
    n -= 2;
  }
  if (n) s += uint32_t(p[0]) << 8;
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
