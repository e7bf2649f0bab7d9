// The immutable snapshot the control process compiles from the site TOML and pushes to the
// dataplane. Encoded as one JSON document on the control socket (see wire.hpp).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../proto/bytes.hpp"
#include "boot_arch.hpp"

namespace bs::snap {

struct Pool {
  proto::Ip4 subnet = 0;
  uint8_t prefix = 24;
  proto::Ip4 first = 0, last = 0;  // inclusive range
  proto::Ip4 router = 0;           // 0 = none
  std::vector<proto::Ip4> dns;
  std::string domain;
  proto::Ip4 broadcast = 0;  // option 28; 0 = computed from subnet and prefix
  // Address ranges inside [first, last] never handed out (inclusive; a single address is
  // {a, a}).
  std::vector<std::pair<proto::Ip4, proto::Ip4>> exclude;
  proto::Ip4 mask() const { return prefix == 0 ? 0 : ~proto::Ip4(0) << (32 - prefix); }
  bool contains(proto::Ip4 a) const { return (a & mask()) == (subnet & mask()); }
  // The configured broadcast address, else the subnet's (255.255.255.255 for /31 and /32).
  proto::Ip4 broadcast_address() const {
    if (broadcast != 0) return broadcast;
    return prefix >= 31 ? 0xffffffffu : (subnet | ~mask());
  }
};

// How one host (or every machine without a reservation) boots. The control process resolves it
// from [boot], the host's profile and the host, so the dataplane only picks a slot.
struct BootRule {
  BootFiles files;          // boot loader per architecture (uefi_http: a URL); empty = none
  bool ipxe = false;        // chainload iPXE (Snapshot::ipxe_files), then fetch ipxe_script
  std::string ipxe_script;  // http:// URL of the iPXE script; set when ipxe
  bool operator==(const BootRule&) const = default;
};

struct Host {
  proto::Mac mac;
  proto::Ip4 address = 0;
  std::string hostname;
  BootRule boot;  // authoritative for this host (already holds the [boot] defaults)
};

// A file the dataplane serves from memory (rendered pxelinux configs, menus, iPXE scripts).
struct VirtualFile {
  std::string path;  // relative to the TFTP root, sanitised form
  std::string content;
};

// A file served by PXE MTFTP ([multicast] mtftp_files): a client whose boot file it is gets PXE
// option 43 sub-options 1-5 (where to listen, where to ask, how long to wait) in its DHCP reply.
struct MtftpFile {
  std::string path;          // relative to the TFTP root, sanitised form
  proto::Ip4 group = 0;      // PXE_MTFTP_IP
  uint16_t client_port = 0;  // PXE_MTFTP_CPORT (also the server's source port of its DATA)
  uint16_t server_port = 0;  // PXE_MTFTP_SPORT: where open requests go
  uint8_t listen_s = 1;      // PXE_MTFTP_TMOUT: listen this long before opening
  uint8_t delay_s = 1;       // PXE_MTFTP_DELAY: wait this long after a transfer ends, then open
  bool operator==(const MtftpFile&) const = default;
};

// How the DHCP server behaves ([dhcp] in the site config).
enum class DhcpMode : uint8_t {
  server,  // hands out addresses and boot information
  proxy,   // proxyDHCP: boot information only, another server hands out addresses
};
struct DhcpPolicy {
  DhcpMode mode = DhcpMode::server;
  bool authoritative = false;  // NAK requests for leases we do not know (else ignore them)
  bool probe = true;           // ARP-probe free addresses ahead of use; quarantine the ones in use
  uint32_t mac_rate = 10;      // DHCP messages per second per MAC (bursts of as many); 0 = off
  uint32_t rate = 0;  // messages per second from MACs without a reservation, in all; 0 = off
  bool operator==(const DhcpPolicy&) const = default;
};

struct Snapshot {
  uint64_t generation = 0;
  proto::Ip4 server_ip = 0;  // appliance address (siaddr, option 54, option 66)
  uint32_t lease_seconds = 3600;
  DhcpPolicy dhcp;
  // Options 58 and 59 (T1, T2). 0: half and seven eighths of the lease. Otherwise
  // 0 < renew_seconds < rebind_seconds < lease_seconds (decode() checks).
  uint32_t renew_seconds = 0, rebind_seconds = 0;
  BootRule boot;         // machines without a reservation
  BootFiles ipxe_files;  // the iPXE binary per architecture (uefi_http: a URL); empty = none
  std::vector<Pool> pools;
  std::vector<Host> hosts;
  std::vector<VirtualFile> files;
  std::vector<std::string> preload;  // paths under the TFTP root to load at once (kernels, initrds)
  std::vector<MtftpFile> mtftp;

  const MtftpFile* find_mtftp(std::string_view path) const;

  const Host* find_host(const proto::Mac& m) const;
  const Pool* pool_for(proto::Ip4 a) const;  // the pool whose subnet contains a
};

// JSON, one line, no raw newlines (strings are escaped).
std::string encode(const Snapshot& s);
// Never throws; on error returns nullopt and sets *error.
std::optional<Snapshot> decode(std::string_view json, std::string* error);

}  // namespace bs::snap
