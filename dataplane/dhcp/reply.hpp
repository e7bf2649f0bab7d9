// Building DHCP replies: the BOOTREPLY with its options and where it goes (RFC 2131 section
// 4.1). The boot file comes from boot_policy.hpp. Pure functions, no allocation.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "../proto/dhcp.hpp"
#include "../snapshot/snapshot.hpp"
#include "boot_policy.hpp"

namespace bs::dhcp {

// Where the worker sends a reply. dst_mac is all-zero when the reply goes to a relay (giaddr):
// the relay's MAC is not in the DHCP message, so the worker resolves it (ARP / its neighbour
// table) like any other IPv4 next hop.
struct ReplyTarget {
  proto::Mac dst_mac;
  proto::Ip4 dst_ip = 0;
  uint16_t dst_port = proto::kDhcpClientPort;
};

// Giaddr set: to the relay (port 67, MAC unknown). Else a NAK is broadcast; else a client with
// ciaddr gets it unicast there; else the broadcast flag (or no address to send to) broadcasts;
// else unicast to yiaddr at chaddr.
ReplyTarget reply_target(const proto::DhcpMessage& m, uint8_t reply_type, proto::Ip4 ciaddr,
                         proto::Ip4 yiaddr);

// Dotted-quad text into buf (no allocation); returns a view of it.
std::string_view format_ip(proto::Ip4 a, char (&buf)[16]);

struct Reply {
  uint8_t type = 0;  // proto::kOffer, kAck or kNak
  proto::Ip4 ciaddr = 0, yiaddr = 0;
  uint32_t lease_s = 0;  // 0: no lease-time options (DHCPINFORM)
  const snap::Pool* pool = nullptr;
  const snap::Host* host = nullptr;  // hostname (option 12) when set
  std::string_view boot_file;
  bool http_boot = false;        // option 60 "HTTPClient" (UEFI HTTP boot; boot_file is a URL)
  std::string_view server_text;  // option 66: the server address, dotted
  std::string_view message;      // option 56 of a NAK
};

// Writes the BOOTREPLY for request m. OFFER/ACK: 53, 54, [51, 58, 59], 1, 28, 3, 6, 15, 12, 66,
// 67, then 60 "HTTPClient" for an HTTP boot, or for PXE clients 60 "PXEClient", 43 (discovery
// control 8) and 97 echoed; NAK: 53, 54, 56. Every reply to a request that carries option 82
// (relay agent information) echoes it verbatim as the last option (RFC 3046 2.2). T1/T2 are the
// snapshot's renew/rebind seconds when set and below the lease time, else 1/2 and 7/8 of it.
// Kept within max(576, option 57) - 28 bytes (IP + UDP); returns 0 when it does not fit.
size_t write_reply(const snap::Snapshot& s, const proto::DhcpMessage& m, const Reply& r,
                   proto::MutBytes out);

}  // namespace bs::dhcp
