#pragma once
#include "bytes.hpp"
#include "result.hpp"

namespace bs::proto {

inline constexpr uint16_t kArpRequest = 1;
inline constexpr uint16_t kArpReply = 2;
inline constexpr size_t kArpLen = 28;

// Ethernet/IPv4 ARP only (htype 1, ptype 0x0800, hlen 6, plen 4).
struct Arp {
  uint16_t op = 0;
  Mac sha;
  Ip4 spa = 0;
  Mac tha;
  Ip4 tpa = 0;
};

Result<Arp> parse_arp(Bytes payload);  // payload = after the Ethernet header
size_t write_arp(MutBytes out, const Arp& a);  // returns 28, or 0 when out is too small

}  // namespace bs::proto
