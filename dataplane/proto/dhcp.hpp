// DHCP (RFC 2131/2132) codec: bounds-checked parsers into views (BOOTREQUESTs for the server,
// BOOTREPLYs for the bench's simulated clients) and a message writer (either op).
#pragma once
#include <optional>

#include "bytes.hpp"
#include "result.hpp"

namespace bs::proto {

inline constexpr uint16_t kDhcpServerPort = 67;
inline constexpr uint16_t kDhcpClientPort = 68;
inline constexpr uint16_t kPxeBootServerPort = 4011;
inline constexpr size_t kBootpFixedLen = 236;  // up to and including 'file'
inline constexpr size_t kDhcpMinLen = 240;     // + magic cookie
inline constexpr uint32_t kDhcpMagic = 0x63825363;
inline constexpr uint16_t kBootpBroadcastFlag = 0x8000;

enum DhcpType : uint8_t {
  kDiscover = 1,
  kOffer = 2,
  kRequest = 3,
  kDecline = 4,
  kAck = 5,
  kNak = 6,
  kRelease = 7,
  kInform = 8,
};
const char* dhcp_type_name(uint8_t t);  // "DHCPDISCOVER", ... or "DHCP?"

namespace opt {
enum : uint8_t {
  kPad = 0,
  kSubnetMask = 1,
  kRouter = 3,
  kDns = 6,
  kHostname = 12,
  kDomainName = 15,
  kBroadcast = 28,
  kVendorSpecific = 43,
  kRequestedIp = 50,
  kLeaseTime = 51,
  kOverload = 52,
  kMessageType = 53,
  kServerId = 54,
  kParamList = 55,
  kMessage = 56,
  kMaxMsgSize = 57,
  kRenewalTime = 58,
  kRebindingTime = 59,
  kVendorClass = 60,
  kClientId = 61,
  kTftpServer = 66,
  kBootfile = 67,
  kUserClass = 77,
  kRelayAgent = 82,
  kClientArch = 93,
  kClientNdi = 94,
  kClientUuid = 97,
  kIpxeEncap = 175,  // iPXE's encapsulated options: sent only by iPXE
  // PXELINUX (RFC 5071)
  kPxelinuxMagic = 208,       // F1:00:74:7E
  kPxelinuxConfigFile = 209,  // the configuration file to load
  kPxelinuxPathPrefix = 210,  // prefix of relative file names
  kPxelinuxRebootTime = 211,  // seconds before rebooting when nothing boots
  kEnd = 255,
};
}  // namespace opt

// A parsed BOOTREQUEST. Spans point into the buffer given to parse_dhcp.
struct DhcpMessage {
  uint8_t op = 0, htype = 0, hlen = 0, hops = 0;
  uint32_t xid = 0;
  uint16_t secs = 0, flags = 0;
  Ip4 ciaddr = 0, yiaddr = 0, siaddr = 0, giaddr = 0;
  Mac chaddr;
  uint8_t type = 0;                 // option 53
  std::optional<Ip4> requested_ip;  // option 50
  std::optional<Ip4> server_id;     // option 54
  std::optional<uint16_t> arch;     // option 93, first entry
  uint16_t max_msg_size = 0;        // option 57, 0 if absent
  Bytes vendor_class, user_class, client_id, uuid, param_list, hostname, relay_agent;
  bool ipxe_encap = false;  // option 175 present
  bool broadcast() const { return flags & kBootpBroadcastFlag; }
  bool is_pxe() const;          // vendor class starts with "PXEClient"
  bool is_http_client() const;  // vendor class starts with "HTTPClient" (UEFI HTTP boot)
  // iPXE: user class (77) "iPXE" (raw as iPXE sends it, or RFC 3004 length-prefixed) or
  // option 175 present.
  bool is_ipxe() const;
};

// Accepts BOOTREQUESTs only (op 1, htype 1, hlen 6), with the magic cookie.
// Honours option overload (52) into 'file' and 'sname'. Pads, unknown options are skipped.
Result<DhcpMessage> parse_dhcp(Bytes payload);

// Fixed part of a BOOTREPLY.
struct DhcpReplyHeader {
  uint32_t xid = 0;
  uint16_t flags = 0;
  Ip4 ciaddr = 0, yiaddr = 0, siaddr = 0, giaddr = 0;
  Mac chaddr;
  std::string_view sname;  // <= 63 bytes, else truncated
  std::string_view file;   // <= 127 bytes, else truncated
};

// Fixed part of a BOOTREQUEST (what a client sends; yiaddr, siaddr, giaddr are 0, sname and
// file empty).
struct DhcpRequestHeader {
  uint32_t xid = 0;
  uint16_t secs = 0, flags = 0;
  Ip4 ciaddr = 0;
  Mac chaddr;
};

// Writes a BOOTREPLY (or, from a DhcpRequestHeader, a BOOTREQUEST): header, magic cookie, then
// options appended with add*(), then finish() appends END and pads to the 300-byte BOOTP
// minimum. finish() returns 0 on overflow.
class DhcpWriter {
 public:
  DhcpWriter(MutBytes out, const DhcpReplyHeader& h);
  DhcpWriter(MutBytes out, const DhcpRequestHeader& h);
  void add(uint8_t code, Bytes value);  // values over 255 bytes are split (RFC 3396)
  void add_str(uint8_t code, std::string_view v);
  void add_u8(uint8_t code, uint8_t v);
  void add_u16(uint8_t code, uint16_t v);
  void add_u32(uint8_t code, uint32_t v);
  void add_ip(uint8_t code, Ip4 v) { add_u32(code, v); }
  size_t finish();

 private:
  Writer w_;
};

// A parsed BOOTREPLY, as a client reads it: the fixed fields, the options a PXE client and
// PXELINUX use, and the boot file and server names from wherever they are (options, or the
// sname/file fields when not overloaded). Spans and views point into the buffer given to
// parse_dhcp_reply.
struct DhcpReply {
  uint8_t op = 0, htype = 0, hlen = 0, hops = 0;
  uint32_t xid = 0;
  uint16_t secs = 0, flags = 0;
  Ip4 ciaddr = 0, yiaddr = 0, siaddr = 0, giaddr = 0;
  Mac chaddr;
  uint8_t type = 0;                           // option 53
  uint8_t overload = 0;                       // option 52 (1: file, 2: sname, 3: both), 0 if absent
  std::optional<Ip4> server_id;               // 54
  std::optional<Ip4> subnet_mask;             // 1
  std::optional<Ip4> router;                  // 3, the first address
  Bytes dns;                                  // 6: addresses, 4 bytes each (a whole number of them)
  std::optional<uint32_t> lease_time;         // 51, seconds (0xffffffff: infinite)
  Bytes vendor_specific;                      // 43 (PXE: encapsulated options, RFC 4578 / PXE 2.1)
  Bytes vendor_class;                         // 60 ("PXEClient" from a PXE server)
  Bytes tftp_server;                          // 66, as sent (a name or a dotted quad)
  Bytes bootfile;                             // 67
  Bytes message;                              // 56 (a NAK's reason)
  bool pxelinux_magic = false;                // 208 present with F1:00:74:7E
  Bytes pxelinux_config;                      // 209
  Bytes pxelinux_path_prefix;                 // 210
  std::optional<uint32_t> pxelinux_reboot_s;  // 211
  // The sname and file fields up to their first NUL; empty when overloaded (they hold options).
  std::string_view sname, file;
  bool broadcast() const { return flags & kBootpBroadcastFlag; }
  // Option 67 when present, else the file field.
  std::string_view boot_file() const;
  // Option 66 when present, else the sname field.
  std::string_view server_name() const;
};

// Accepts BOOTREPLYs only (op 2, htype 1, hlen 6; op 1 gives dhcp_not_request, which here
// reads "not the op expected"), with the magic cookie and a message type. Honours option
// overload (52): 'file', then 'sname' are walked as options and are not names. Every option is
// length-checked (fixed-size options of another length are ignored as if absent, the first
// valid instance wins; an option running past its area fails with dhcp_option_overrun). Values
// split over several instances (RFC 3396) are not joined: the first instance is taken.
Result<DhcpReply> parse_dhcp_reply(Bytes payload);

}  // namespace bs::proto
