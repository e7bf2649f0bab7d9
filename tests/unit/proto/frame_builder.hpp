// Builds Ethernet/IPv4/UDP frames with the codecs' own writers (shared by the tests).
#pragma once
#include <cstdint>
#include <vector>

#include "dataplane/proto/udp.hpp"

namespace bs::test {

inline proto::UdpAddr test_addr() {
  proto::UdpAddr a;
  a.src_mac = proto::Mac{{0x02, 0, 0, 0, 0, 0x01}};
  a.dst_mac = proto::Mac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
  a.src_ip = 0x0a4d0001;  // 10.77.0.1
  a.dst_ip = 0x0a4d000b;  // 10.77.0.11
  a.sport = 67;
  a.dport = 68;
  return a;
}

inline std::vector<uint8_t> udp_frame(const proto::UdpAddr& a, const std::vector<uint8_t>& payload,
                                      uint16_t ip_id = 1) {
  std::vector<uint8_t> f(proto::kEthIpUdpLen + payload.size());
  const uint32_t sum = proto::csum_partial(proto::Bytes(payload.data(), payload.size()));
  const size_t n = proto::write_udp_headers(proto::MutBytes(f.data(), f.size()), a,
                                            uint16_t(payload.size()), sum, ip_id);
  if (n != proto::kEthIpUdpLen) return {};
  std::copy(payload.begin(), payload.end(), f.begin() + proto::kEthIpUdpLen);
  return f;
}

// Recomputes the IPv4 header checksum after a test edited the header at frame[ip_off].
inline void fix_ip_csum(std::vector<uint8_t>& f, size_t ip_off = proto::kEthHeaderLen) {
  const size_t hl = (f[ip_off] & 0x0f) * 4u;
  proto::store16(&f[ip_off + 10], 0);
  proto::store16(&f[ip_off + 10],
                 proto::csum_fold(proto::csum_partial(proto::Bytes(&f[ip_off], hl))));
}

}  // namespace bs::test
