#include "udp.hpp"

namespace bs::proto {
namespace {

uint32_t pseudo_sum(Ip4 src, Ip4 dst, uint16_t udp_len) {
  return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + kProtoUdp + udp_len;
}

}  // namespace

Result<UdpHeader> parse_udp(Bytes l4, Ip4 src, Ip4 dst) {
  if (l4.size() < kUdpHeaderLen) return Drop::udp_short;
  UdpHeader h;
  h.sport = load16(l4.data());
  h.dport = load16(l4.data() + 2);
  h.len = load16(l4.data() + 4);
  h.csum = load16(l4.data() + 6);
  if (h.len < kUdpHeaderLen || h.len > l4.size()) return Drop::udp_length;
  if (h.csum != 0 && csum_fold(csum_partial(l4.first(h.len), pseudo_sum(src, dst, h.len))) != 0)
    return Drop::udp_checksum;
  return h;
}

Result<UdpFrame> parse_udp_frame(Bytes frame) {
  UdpFrame f;
  auto eth = parse_eth(frame);
  if (!eth) return eth.error();
  f.eth = *eth;
  if (f.eth.type != kEtherIpv4) return Drop::eth_not_ipv4;
  Bytes l3 = frame.subspan(f.eth.header_len);
  auto ip = parse_ipv4(l3);
  if (!ip) return ip.error();
  f.ip = *ip;
  if (f.ip.is_fragment()) return Drop::ipv4_fragment;
  if (f.ip.proto != kProtoUdp) return Drop::ipv4_not_udp;
  Bytes l4 = l3.subspan(f.ip.header_len, f.ip.total_len - f.ip.header_len);
  auto udp = parse_udp(l4, f.ip.src, f.ip.dst);
  if (!udp) return udp.error();
  f.udp = *udp;
  f.payload = l4.subspan(kUdpHeaderLen, f.udp.len - kUdpHeaderLen);
  return f;
}

size_t write_udp_headers(MutBytes out, const UdpAddr& a, uint16_t payload_len, uint32_t payload_sum,
                         uint16_t ip_id, uint8_t ttl) {
  if (out.size() < kEthIpUdpLen || payload_len > 0xffff - kIpv4HeaderLen - kUdpHeaderLen) return 0;
  const uint16_t udp_len = uint16_t(kUdpHeaderLen + payload_len);
  if (write_eth(out, a.dst_mac, a.src_mac, kEtherIpv4) == 0) return 0;
  if (write_ipv4(out.subspan(kEthHeaderLen), a.src_ip, a.dst_ip, kProtoUdp, udp_len, ip_id, ttl) ==
      0)
    return 0;
  uint8_t* u = out.data() + kEthHeaderLen + kIpv4HeaderLen;
  store16(u, a.sport);
  store16(u + 2, a.dport);
  store16(u + 4, udp_len);
  store16(u + 6, 0);
  uint32_t sum = csum_partial(Bytes(u, kUdpHeaderLen), pseudo_sum(a.src_ip, a.dst_ip, udp_len));
  // Adding two partial sums needs an end-around carry.
  uint64_t wide = uint64_t(sum) + payload_sum;
  while (wide >> 32) wide = (wide & 0xffffffff) + (wide >> 32);
  sum = uint32_t(wide);
  uint16_t c = csum_fold(sum);
  store16(u + 6, c == 0 ? 0xffff : c);
  return kEthIpUdpLen;
}

}  // namespace bs::proto
