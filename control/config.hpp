// The site description (TOML), loaded and validated. Both processes read it: the dataplane
// uses [server] and [tftp]; the control process uses all of it.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../dataplane/proto/bytes.hpp"

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
};

struct Dhcp {
  uint32_t lease_seconds = 3600;  // from "1h", "30m", "3600s", "3600"
  std::vector<Pool> pools;
};

struct Tftp {
  std::string root;           // absolute (a relative root is taken relative to the config)
  uint16_t port_min = 10000;  // transfer ports (outside the kernel's ephemeral range)
  uint16_t port_max = 19999;
  uint32_t retransmit_ms = 1000;  // first retransmission timeout
  uint32_t retries = 5;           // then ERROR and the session is freed
};

struct Boot {
  std::string bios = "pxelinux.0";  // relative to [tftp] root
  std::string uefi_x64;
};

struct Profile {
  std::string name;
  std::string kernel;     // relative to [tftp] root
  std::string initrd;     // relative to [tftp] root
  std::string append;     // may hold {{kickstart_url}}, {{hostname}}, {{address}}
  std::string kickstart;  // template path, absolute after loading (relative to the config)
};

struct Host {
  proto::Mac mac;
  std::string hostname;
  proto::Ip4 address = 0;
  std::string profile;
  std::map<std::string, std::string> vars;
};

struct Config {
  std::string path;  // the file loaded
  std::string dir;   // its directory (templates are relative to it)
  Server server;
  Dhcp dhcp;
  Tftp tftp;
  Boot boot;
  std::vector<Profile> profiles;
  std::vector<Host> hosts;
  std::string default_menu;  // template for pxelinux.cfg/default (relative to the config), optional

  const Profile* find_profile(const std::string& name) const;
  const Host* find_host(const proto::Mac& mac) const;
  const Pool* pool_for(proto::Ip4 address) const;  // the pool whose subnet holds address

  // "http://<server address>[:<http_port> unless 80]/ks/<hostname>.ks"
  std::string kickstart_url(const Host& h) const;
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
