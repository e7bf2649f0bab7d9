#pragma once
#include "ethernet.hpp"
#include "ipv4.hpp"

namespace bs::proto {

inline constexpr size_t kUdpHeaderLen = 8;
inline constexpr size_t kEthIpUdpLen = kEthHeaderLen + kIpv4HeaderLen + kUdpHeaderLen;  // 42

struct UdpHeader {
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint16_t len = 0;  // header + payload
  uint16_t csum = 0;
};

// l4 = bytes after the IPv4 header (exactly total_len - header_len long).
// Verifies the length field and, when non-zero, the checksum over the pseudo header.
Result<UdpHeader> parse_udp(Bytes l4, Ip4 src, Ip4 dst);

// A whole Ethernet/IPv4/UDP frame, parsed; spans point into the frame.
struct UdpFrame {
  EthHeader eth;
  Ipv4Header ip;
  UdpHeader udp;
  Bytes payload;
};
// Fails with the first layer's drop reason; fragments fail with ipv4_fragment.
Result<UdpFrame> parse_udp_frame(Bytes frame);

// Addressing of an outgoing UDP frame.
struct UdpAddr {
  Mac src_mac, dst_mac;
  Ip4 src_ip = 0, dst_ip = 0;
  uint16_t sport = 0, dport = 0;
};

// Writes Ethernet + IPv4 + UDP headers (42 bytes) for a payload of payload_len bytes whose
// one's-complement partial sum is payload_sum (csum_partial over the payload), so the payload
// itself may live elsewhere (an external buffer). The UDP checksum is always filled in.
size_t write_udp_headers(MutBytes out, const UdpAddr& a, uint16_t payload_len, uint32_t payload_sum,
                         uint16_t ip_id, uint8_t ttl = 64);

}  // namespace bs::proto
