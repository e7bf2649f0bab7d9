#include "arp.hpp"

#include <cstring>

#include "ethernet.hpp"

namespace bs::proto {

Result<Arp> parse_arp(Bytes p) {
  if (p.size() < kArpLen) return Drop::arp_short;
  if (load16(p.data()) != 1 || load16(p.data() + 2) != kEtherIpv4 || p[4] != 6 || p[5] != 4)
    return Drop::arp_unsupported;
  Arp a;
  a.op = load16(p.data() + 6);
  std::memcpy(a.sha.b.data(), p.data() + 8, 6);
  a.spa = load32(p.data() + 14);
  std::memcpy(a.tha.b.data(), p.data() + 18, 6);
  a.tpa = load32(p.data() + 24);
  return a;
}

size_t write_arp(MutBytes out, const Arp& a) {
  if (out.size() < kArpLen) return 0;
  uint8_t* p = out.data();
  store16(p, 1);
  store16(p + 2, kEtherIpv4);
  p[4] = 6;
  p[5] = 4;
  store16(p + 6, a.op);
  std::memcpy(p + 8, a.sha.b.data(), 6);
  store32(p + 14, a.spa);
  std::memcpy(p + 18, a.tha.b.data(), 6);
  store32(p + 24, a.tpa);
  return kArpLen;
}

}  // namespace bs::proto
