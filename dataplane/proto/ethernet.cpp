#include "ethernet.hpp"

#include <cstring>

namespace bs::proto {

Result<EthHeader> parse_eth(Bytes frame) {
  if (frame.size() < kEthHeaderLen) return Drop::eth_short;
  EthHeader h;
  std::memcpy(h.dst.b.data(), frame.data(), 6);
  std::memcpy(h.src.b.data(), frame.data() + 6, 6);
  h.type = load16(frame.data() + 12);
  h.header_len = kEthHeaderLen;
  if (h.type == kEtherVlan) {
    if (frame.size() < kEthHeaderLen + 4) return Drop::eth_short;
    h.vlan = load16(frame.data() + 14) & 0x0fff;
    h.type = load16(frame.data() + 16);
    h.header_len = kEthHeaderLen + 4;
  }
  return h;
}

size_t write_eth(MutBytes out, const Mac& dst, const Mac& src, uint16_t type) {
  if (out.size() < kEthHeaderLen) return 0;
  std::memcpy(out.data(), dst.b.data(), 6);
  std::memcpy(out.data() + 6, src.b.data(), 6);
  store16(out.data() + 12, type);
  return kEthHeaderLen;
}

}  // namespace bs::proto
