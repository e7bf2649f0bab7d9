// One simulated PXE firmware's DHCP (RFC 2131 as the PXE 2.1 specification has firmware do it):
// DHCPDISCOVER -> DHCPOFFER -> DHCPREQUEST -> DHCPACK, as whole Ethernet/IPv4/UDP frames from
// 0.0.0.0:68 (the machine's MAC) to 255.255.255.255:67. Pure: no I/O and no clock; the caller
// passes the time, sends the frames the calls write and calls on_timeout() once deadline_us()
// has passed.
//
// What it sends, as PXE ROMs do: 53 (type), 57 (max message size 1260), 55 (the PXE parameter
// request list), 97 (client UUID: type 0 + 16 bytes), 93 (client architecture), 94 (UNDI 2.1),
// 60 ("PXEClient:Arch:0000N:UNDI:002001"); the REQUEST adds 50 (the address offered) and 54
// (the server chosen) and carries the same xid. The broadcast flag is off by default (servers
// then answer unicast, to chaddr and yiaddr); replies are accepted however they were addressed.
// secs counts the whole seconds since start(), across retransmissions and NAKs.
//
// Selection: the first OFFER with a yiaddr and a server identifier (54) is taken; OFFERs
// without a yiaddr (a proxyDHCP's PXE offer) or without 54 are counted as unusable and the
// client keeps waiting; later OFFERs are ignored. Replies whose xid or chaddr is not the
// client's are ignored (counted), and so are OFFERs once requesting and ACKs once bound.
//
// Timeouts as the PXE specification's firmware: a DISCOVER unanswered for timeouts_us[0] is
// sent again, then waits timeouts_us[1], ... (default 4, 8, 16, 32 s: four DISCOVERs, failing 60
// s after the first); the REQUEST follows the same schedule from its own start. After the last
// wait the client fails: timeout (no OFFER) or ack_timeout (no ACK). A NAK (from the server
// chosen) sends the client back to DISCOVER with the schedule restarted, at most nak_retries
// times; the NAK after that fails it (nak_loop).
#pragma once
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "dataplane/proto/dhcp.hpp"
#include "dataplane/proto/udp.hpp"

namespace bs::bench {

struct DhcpClientOptions {
  proto::Mac mac;
  std::array<uint8_t, 16> uuid{};  // option 97 (after its type byte 0)
  // Option 93 (RFC 4578): 0 BIOS, 6 EFI IA32, 7 EFI x64 (BC), 9 EFI x64, 11 ARM64, ...; also
  // the N of "PXEClient:Arch:0000N" in option 60.
  uint16_t arch = 0;
  uint32_t xid = 0;        // kept for the whole acquisition (NAKs included)
  bool broadcast = false;  // the BOOTP broadcast flag
  // Waits after each transmission of a DISCOVER (and, from its start, of a REQUEST); one
  // transmission per entry. Empty: one transmission, waiting for ever.
  std::vector<uint64_t> timeouts_us{4000000, 8000000, 16000000, 32000000};
  uint32_t nak_retries = 3;  // NAKs followed by a new DISCOVER; the next one fails the client
};

// What a bound client learnt (from the ACK).
struct DhcpLease {
  proto::Ip4 ip = 0;
  proto::Ip4 server_id = 0;  // option 54 (the server chosen when the ACK has none)
  // Where TFTP goes: siaddr; else option 66 when it is a dotted quad; else server_id.
  proto::Ip4 next_server = 0;
  proto::Ip4 netmask = 0;       // option 1, 0 if absent
  proto::Ip4 router = 0;        // option 3 (the first), 0 if absent
  proto::Mac server_mac;        // the Ethernet source of the ACK
  std::string boot_file;        // option 67, else the file field
  std::string tftp_server;      // option 66 as sent (may be a name), else the sname field
  std::string pxelinux_config;  // option 209
  std::string path_prefix;      // option 210
  bool pxelinux_magic = false;  // option 208 with its magic value
  uint32_t reboot_s = 0;        // option 211, 0 if absent
  uint32_t lease_s = 0;         // option 51, 0 if absent (0xffffffff: infinite)
};

// Why the client failed. Keep dhcp_fail_name() in step.
enum class DhcpFail : uint8_t {
  none,
  timeout,      // no usable OFFER after the last DISCOVER's wait
  ack_timeout,  // no ACK or NAK after the last REQUEST's wait
  nak_loop,     // a NAK after nak_retries restarts
};
inline constexpr unsigned kDhcpFailCount = unsigned(DhcpFail::nak_loop) + 1;
const char* dhcp_fail_name(DhcpFail f);

struct DhcpClientStats {
  uint64_t discovers = 0;    // DISCOVERs sent (first transmissions and retransmissions)
  uint64_t requests = 0;     // REQUESTs sent (likewise)
  uint64_t retransmits = 0;  // of both, sent again on a timeout
  uint64_t offers = 0;       // OFFERs with the client's xid and chaddr (taken or not)
  uint64_t acks = 0;         // ACKs with the client's xid and chaddr (acted on or not)
  uint64_t naks = 0;         // NAKs likewise
  uint64_t unusable = 0;     // OFFERs without yiaddr or server id, ACKs without yiaddr
  uint64_t ignored = 0;      // replies not acted on: another xid or chaddr, another server's
                             // ACK/NAK, an OFFER once requesting, anything once bound, other types
  uint64_t malformed = 0;    // payloads that are not a BOOTREPLY (parse_dhcp_reply)
  uint64_t offer_us = 0;     // first DISCOVER of the round -> the OFFER taken
  uint64_t ack_us = 0;       // first REQUEST -> the ACK
};

class DhcpClient {
 public:
  enum class State : uint8_t { idle, selecting, requesting, bound, failed };
  static constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

  // A new acquisition (idle: nothing sent yet). The options are copied.
  void reset(const DhcpClientOptions& o);

  // Every call that may send writes a whole frame into out and returns its length; 0: nothing
  // to send. A frame that does not fit out (an empty span: no room in the port now) is not
  // written, 0 is returned, and it counts as sent: the retransmission timer will resend it.

  // The first DISCOVER.
  size_t start(uint64_t now_us, proto::MutBytes out);
  // A UDP payload that came to port 68, and the Ethernet source of its frame.
  size_t on_reply(proto::Bytes udp_payload, const proto::Mac& eth_src, uint64_t now_us,
                  proto::MutBytes out);
  // The same with the payload already parsed (a run that looked at it first).
  size_t on_reply(const proto::DhcpReply& r, const proto::Mac& eth_src, uint64_t now_us,
                  proto::MutBytes out);
  // Due when now_us >= deadline_us(); earlier calls do nothing. Resends, or fails the client.
  size_t on_timeout(uint64_t now_us, proto::MutBytes out);

  // kNever when nothing is awaited (idle, bound, failed).
  uint64_t deadline_us() const { return deadline_us_; }
  State state() const { return state_; }
  bool finished() const { return state_ == State::bound || state_ == State::failed; }
  DhcpFail fail() const { return fail_; }
  const DhcpLease& lease() const { return lease_; }
  const DhcpClientStats& stats() const { return stats_; }
  const DhcpClientOptions& options() const { return o_; }
  uint32_t xid() const { return o_.xid; }
  proto::Ip4 offered_ip() const { return offered_ip_; }  // while requesting
  proto::Ip4 chosen_server() const { return server_id_; }
  uint32_t naks() const { return naks_; }

  // The parameter request list (option 55) and vendor class (option 60) it sends.
  static proto::Bytes param_list();
  static std::string vendor_class(uint16_t arch);

 private:
  size_t send_discover(uint64_t now_us, proto::MutBytes out);
  size_t send_request(uint64_t now_us, proto::MutBytes out);
  size_t write(uint8_t type, uint64_t now_us, proto::MutBytes out);
  void arm(uint64_t now_us);  // the deadline after transmission number tries_ (1-based)
  void bind(const proto::DhcpReply& r, const proto::Mac& eth_src, uint64_t now_us);

  DhcpClientOptions o_;
  DhcpLease lease_;
  DhcpClientStats stats_;
  uint64_t start_us_ = 0;    // start(): secs counts from here
  uint64_t round_us_ = 0;    // the first DISCOVER of this round (after start or a NAK)
  uint64_t request_us_ = 0;  // the first REQUEST
  uint64_t deadline_us_ = kNever;
  proto::Ip4 offered_ip_ = 0, server_id_ = 0;
  uint32_t tries_ = 0;  // transmissions of the current message
  uint32_t naks_ = 0;
  uint16_t ip_id_ = 0;
  State state_ = State::idle;
  DhcpFail fail_ = DhcpFail::none;
};

}  // namespace bs::bench
