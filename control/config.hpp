// The site description (TOML), loaded and validated. Both processes read it: the dataplane
// uses [server] and [tftp]; the control process uses all of it.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../dataplane/proto/bytes.hpp"
#include "../dataplane/snapshot/boot_arch.hpp"

namespace bs::config {

// Every user-facing config error: "file:line:col: key: what is wrong (what would be valid)".
struct ConfigError {
  std::string file;
  int line = 0, column = 0;  // 0 = unknown (whole file)
  std::string key;           // dotted, e.g. "host[2].mac"
  std::string message;       // what is wrong and what would be valid
  std::string str() const;
};

struct Server {
  proto::Ip4 address = 0;  // from "10.77.0.1/24"
  uint8_t prefix = 24;
  std::string port;               // DPDK device: PCI address or vdev string
  std::string exception = "bs0";  // kernel interface that gets the address
  bool hugepages = false;
  std::string state_dir = "/var/lib/bootstorm";
  uint16_t http_port = 80;
  std::string lcores = "0,1";             // EAL lcore list: first = service thread, second = worker
  std::string file_prefix = "bootstorm";  // EAL --file-prefix
};

struct Pool {
  proto::Ip4 subnet = 0;
  uint8_t prefix = 24;
  proto::Ip4 first = 0, last = 0;
  proto::Ip4 router = 0;
  std::vector<proto::Ip4> dns;
  std::string domain;
  proto::Ip4 broadcast = 0;  // option 28; 0 = the subnet's broadcast address
  std::vector<std::pair<proto::Ip4, proto::Ip4>> exclude;  // never handed out (inclusive)
};

struct Dhcp {
  uint32_t lease_seconds = 3600;  // from "1h", "30m", "3600s", "3600"
  // Options 58 and 59 (T1, T2); 0 = half and seven eighths of the lease. After loading,
  // renew_seconds() < rebind_seconds() < lease_seconds.
  uint32_t renew = 0, rebind = 0;
  bool proxy = false;          // mode = "proxy": boot information only, no addresses
  bool authoritative = false;  // NAK requests for unknown leases (else ignore them)
  bool probe = true;           // ARP-probe free addresses ahead of use
  uint32_t mac_rate = 10;      // messages per second per MAC; 0 = no limit
  uint32_t rate = 0;           // messages per second from unreserved MACs in all; 0 = no limit
  std::vector<Pool> pools;     // may be empty in proxy mode
  uint32_t renew_seconds() const { return renew ? renew : lease_seconds / 2; }
  uint32_t rebind_seconds() const {
    return rebind ? rebind : uint32_t(uint64_t(lease_seconds) * 7 / 8);
  }
};

struct Tftp {
  std::string root;           // absolute (a relative root is taken relative to the config)
  uint16_t port_min = 10000;  // transfer ports (outside the kernel's ephemeral range)
  uint16_t port_max = 19999;
  uint32_t retransmit_ms = 200;           // retransmission timeout before a round trip is measured
  uint32_t retransmit_min_ms = 2;         // the adaptive timer's floor ...
  uint32_t retransmit_max_ms = 6000;      // ... and cap (consecutive timeouts double it up to this)
  uint32_t retries = 12;                  // timeouts in a row, then ERROR and the session is freed
  uint16_t windowsize = 64;               // RFC 7440: the most a client may negotiate
  bool client_timeout_exact = false;      // client_timeout = "exact" (RFC 2349 interval) or "cap"
  uint32_t max_sessions = 0;              // transfers at once per worker (0: one per port)
  uint32_t max_sessions_per_client = 16;  // transfers at once from one client address
  uint64_t cache_size = 0;                // memory cap of the file cache (0: half the RAM)
};

// [multicast]: RFC 2090 groups and PXE MTFTP. Read by the dataplane at start (a change needs a
// restart); mtftp_files also reach the DHCP server through the snapshot.
enum class Igmp {
  none,    // rely on the switch (flooding, or a querier of its own)
  query,   // act as IGMP querier: general queries keep snooping switches' member tables alive
  report,  // send a membership report for each group in use (a leave when it ends)
};
struct Multicast {
  bool enabled = true;  // answer the RFC 2090 "multicast" option (else such clients get unicast)
  proto::Ip4 first = 0xefff4d01, last = 0xefff4dfe;  // group addresses: 239.255.77.1-254
  uint16_t port_min = 1760, port_max = 1799;         // group ports (the server's port too)
  uint8_t ttl = 1;
  Igmp igmp = Igmp::none;
  uint16_t mtftp_port = 1759;            // PXE MTFTP open requests (only with mtftp_files)
  std::vector<std::string> mtftp_files;  // under [tftp] root; the i-th: first + i, port_min + i
  uint8_t mtftp_listen_s = 1, mtftp_delay_s = 1;  // PXE option 43 sub-options 4 and 5
};

// "pxe": the boot loader of [boot] (or the profile's / host's boot_files) for every firmware.
// "ipxe": a firmware that is not iPXE yet gets the iPXE binary (ipxe_<arch>), and iPXE gets the
// URL of the host's iPXE script (http://<server>/ipxe/<hostname>.ipxe).
enum class BootMode { pxe, ipxe };

// A boot file per architecture (snap::BootArch: bios, uefi_ia32, uefi_x64, arm64, uefi_http).
// Paths are relative to [tftp] root; the uefi_http one is served over HTTP
// (http://<server>/boot/<path>) or is a full http:// or https:// URL.
struct Boot {
  snap::BootFiles files = {{"pxelinux.0", "", "", "", ""}};
  // The iPXE binaries (Debian's ipxe package: /usr/lib/ipxe/undionly.kpxe, ipxe.efi), copied
  // into [tftp] root. ipxe_uefi_http, when not set, is ipxe_uefi_x64 (served over HTTP).
  snap::BootFiles ipxe = {{"undionly.kpxe", "", "ipxe.efi", "", ""}};
  BootMode mode = BootMode::pxe;  // for profiles and hosts that do not set boot, and unknown MACs
};

// A profile's or host's boot choice; unset values inherit (host > profile > [boot]).
struct BootOverride {
  snap::ByArch<std::optional<std::string>> files;  // boot_files = { uefi_x64 = "..." }
  std::optional<BootMode> mode;                    // boot = "pxe" | "ipxe"
};

struct Profile {
  std::string name;
  std::string kernel;     // relative to [tftp] root
  std::string initrd;     // relative to [tftp] root
  std::string append;     // may hold {{kickstart_url}}, {{hostname}}, {{address}}
  std::string kickstart;  // template path, absolute after loading (relative to the config)
  BootOverride boot;
};

struct Host {
  proto::Mac mac;
  std::string hostname;
  proto::Ip4 address = 0;
  std::string profile;
  std::map<std::string, std::string> vars;
  BootOverride boot;
};

// What one host (or a machine without a reservation) boots, overrides applied. Files are as
// configured (paths under [tftp] root, or a URL for uefi_http).
struct ResolvedBoot {
  snap::BootFiles files;
  BootMode mode = BootMode::pxe;
};

struct Config {
  std::string path;  // the file loaded
  std::string dir;   // its directory (templates are relative to it)
  Server server;
  Dhcp dhcp;
  Tftp tftp;
  Multicast multicast;
  Boot boot;
  std::vector<Profile> profiles;
  std::vector<Host> hosts;
  std::string default_menu;  // template for pxelinux.cfg/default (relative to the config), optional
  std::string default_ipxe_menu;  // template for ipxe/default.ipxe (like default_menu), optional

  const Profile* find_profile(const std::string& name) const;
  const Host* find_host(const proto::Mac& mac) const;
  const Pool* pool_for(proto::Ip4 address) const;  // the pool whose subnet holds address

  // "http://<server address>[:<http_port> unless 80]"
  std::string http_base() const;
  // http_base() + "/ks/<hostname>.ks"
  std::string kickstart_url(const Host& h) const;
  // http_base() + "/boot/<path>" (the TFTP root over HTTP, path percent-encoded); a path that
  // is an http:// or https:// URL already is returned as it is.
  std::string boot_url(const std::string& path) const;
  // http_base() + "/ipxe/<hostname>.ipxe", or "/ipxe/default.ipxe" for h == nullptr.
  std::string ipxe_script_url(const Host* h) const;
  // The boot rule of h (nullptr: machines without a reservation): host, then its profile,
  // then [boot].
  ResolvedBoot boot_for(const Host* h) const;
  // Whether any host, profile or [boot] chooses iPXE.
  bool uses_ipxe() const;
  // Every placeholder value a host's templates may use: the built-ins (see kBuiltinPlaceholders;
  // kickstart_url only when its profile has a kickstart, gateway only when its pool has a
  // router) plus the host's vars.
  std::map<std::string, std::string> placeholders(const Host& h) const;
};

// hostname, address, mac, kickstart_url, server (appliance IP), netmask, gateway.
extern const std::vector<std::string> kBuiltinPlaceholders;

struct LoadResult {
  std::optional<Config> config;       // set only when errors is empty
  std::vector<ConfigError> errors;    // every error found, in file order
  std::vector<ConfigError> warnings;  // e.g. kernels not (yet) under [tftp] root
};

// Parses, validates, and checks that referenced files exist (kickstart templates; kernels,
// initrds and boot files under [tftp] root are warned about, not errors, since a lab may
// populate the root after the check).
LoadResult load(const std::string& path);

}  // namespace bs::config
