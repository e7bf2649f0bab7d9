#pragma once
#include "bytes.hpp"
#include "result.hpp"

namespace bs::proto {

inline constexpr uint16_t kEtherIpv4 = 0x0800;
inline constexpr uint16_t kEtherArp = 0x0806;
inline constexpr uint16_t kEtherVlan = 0x8100;
inline constexpr size_t kEthHeaderLen = 14;

struct EthHeader {
  Mac dst;
  Mac src;
  uint16_t type = 0;      // ethertype after any 802.1Q tag
  uint16_t vlan = 0;      // VLAN id, 0 when untagged
  uint8_t header_len = 0; // 14, or 18 with one 802.1Q tag
};

Result<EthHeader> parse_eth(Bytes frame);
// Writes a 14-byte untagged header; returns 14, or 0 when out is too small.
size_t write_eth(MutBytes out, const Mac& dst, const Mac& src, uint16_t type);

}  // namespace bs::proto
