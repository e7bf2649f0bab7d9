// Test helpers: a tiny BOOTREQUEST writer (the codec only writes replies) and a BOOTREPLY reader
// that walks the options itself, so the tests check the server's bytes independently.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/proto/dhcp.hpp"

namespace bs::test {

struct Req {
  uint8_t type = proto::kDiscover;
  proto::Mac mac;
  uint32_t xid = 0x11223344;
  uint16_t flags = 0;
  proto::Ip4 ciaddr = 0, giaddr = 0;
  std::optional<proto::Ip4> requested, server_id;
  std::optional<uint16_t> arch;
  std::string vendor_class;          // option 60
  std::string user_class;            // option 77
  uint16_t max_size = 0;             // option 57, 0 = absent
  std::vector<uint8_t> uuid;         // option 97
  bool ipxe_encap = false;           // option 175 (iPXE's encapsulated options)
  std::vector<uint8_t> relay_agent;  // option 82, sent last
};

std::vector<uint8_t> build_request(const Req& r);

struct ParsedReply {
  bool ok = false;
  uint8_t op = 0;
  uint32_t xid = 0;
  uint16_t flags = 0;
  proto::Ip4 ciaddr = 0, yiaddr = 0, siaddr = 0, giaddr = 0;
  proto::Mac chaddr;
  std::string file;
  std::map<uint8_t, std::vector<uint8_t>> opts;
  std::vector<uint8_t> order;  // option codes in the order they appear
  bool has(uint8_t code) const { return opts.count(code) != 0; }
  uint8_t type() const { return has(53) ? opts.at(53).at(0) : 0; }
  uint32_t u32(uint8_t code) const;
  std::string str(uint8_t code) const;
};

ParsedReply parse_reply(const uint8_t* p, size_t n);

proto::Mac mac(uint8_t last, uint8_t b4 = 0);
constexpr proto::Ip4 ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return proto::Ip4(a) << 24 | proto::Ip4(b) << 16 | proto::Ip4(c) << 8 | d;
}

}  // namespace bs::test
