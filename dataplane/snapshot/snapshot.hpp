// The immutable snapshot the control process compiles from the site TOML and pushes to the
// dataplane. Encoded as one JSON document on the control socket (see wire.hpp).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../proto/bytes.hpp"

namespace bs::snap {

struct Pool {
  proto::Ip4 subnet = 0;
  uint8_t prefix = 24;
  proto::Ip4 first = 0, last = 0;  // inclusive range
  proto::Ip4 router = 0;           // 0 = none
  std::vector<proto::Ip4> dns;
  std::string domain;
  proto::Ip4 mask() const { return prefix == 0 ? 0 : ~proto::Ip4(0) << (32 - prefix); }
  bool contains(proto::Ip4 a) const { return (a & mask()) == (subnet & mask()); }
};

struct Host {
  proto::Mac mac;
  proto::Ip4 address = 0;
  std::string hostname;
  std::string boot_bios;      // override, empty = the [boot] default
  std::string boot_uefi_x64;  // override, empty = the [boot] default
};

// A file the dataplane serves from memory (rendered pxelinux configs, menus, iPXE scripts).
struct VirtualFile {
  std::string path;  // relative to the TFTP root, sanitised form
  std::string content;
};

struct Snapshot {
  uint64_t generation = 0;
  proto::Ip4 server_ip = 0;  // appliance address (siaddr, option 54, option 66)
  uint32_t lease_seconds = 3600;
  std::string boot_bios;      // option 93 arch 0
  std::string boot_uefi_x64;  // option 93 arch 7 and 9
  std::vector<Pool> pools;
  std::vector<Host> hosts;
  std::vector<VirtualFile> files;
  std::vector<std::string> preload;  // paths under the TFTP root to load at once (kernels, initrds)

  const Host* find_host(const proto::Mac& m) const;
  const Pool* pool_for(proto::Ip4 a) const;  // the pool whose subnet contains a
};

// JSON, one line, no raw newlines (strings are escaped).
std::string encode(const Snapshot& s);
// Never throws; on error returns nullopt and sets *error.
std::optional<Snapshot> decode(std::string_view json, std::string* error);

}  // namespace bs::snap
