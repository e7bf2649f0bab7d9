#pragma once
#include "bytes.hpp"
#include "result.hpp"

namespace bs::proto {

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr size_t kIpv4HeaderLen = 20;

struct Ipv4Header {
  uint8_t header_len = 0;  // bytes (20..60)
  uint8_t tos = 0;
  uint16_t total_len = 0;
  uint16_t id = 0;
  uint16_t frag = 0;  // flags + fragment offset field as on the wire
  uint8_t ttl = 0;
  uint8_t proto = 0;
  Ip4 src = 0;
  Ip4 dst = 0;
  bool is_fragment() const { return (frag & 0x3fff) != 0; }  // MF set or offset != 0
};

// Validates version, header length, total length against the buffer and the header checksum.
// Fragments parse successfully (is_fragment()); the caller decides what to do with them.
Result<Ipv4Header> parse_ipv4(Bytes packet);

// One's-complement sum helpers (RFC 1071). partial() returns the 32-bit running sum;
// fold() reduces it to the 16-bit checksum value (already complemented).
uint32_t csum_partial(Bytes data, uint32_t sum = 0);
uint16_t csum_fold(uint32_t sum);

// Writes a 20-byte header (no options, DF clear) with a correct checksum.
size_t write_ipv4(MutBytes out, Ip4 src, Ip4 dst, uint8_t proto, uint16_t payload_len,
                  uint16_t id, uint8_t ttl = 64);

}  // namespace bs::proto
