// What a simulated PXELINUX does with files: the config search sequence it asks the TFTP
// server for, and what it takes from the config it finds (the modules it loads, the label it
// boots, its kernel, initrds and command line, and the installer's URL on that line). Pure
// string work; the machine (storm_machine.hpp) fetches the files.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/proto/bytes.hpp"

namespace bs::bench {

// The files PXELINUX 6 tries, in its order (doc/pxelinux.txt): pxelinux.cfg/<UUID> (lower-case
// hex, 8-4-4-4-12, bytes in wire order), pxelinux.cfg/01-<mac> (ARP type 1, lower case, dashes),
// the client address in upper-case hex and its 7 shorter prefixes, then pxelinux.cfg/default.
// Each name carries prefix (the boot file's directory, or DHCP option 210). With an all-zero
// UUID, the UUID name is skipped (PXELINUX does when the firmware reports none).
std::vector<std::string> pxelinux_search(const std::array<uint8_t, 16>& uuid, const proto::Mac& mac,
                                         proto::Ip4 ip, std::string_view prefix);

// The directory part of a boot file name ("bios/pxelinux.0" -> "bios/"; "pxelinux.0" -> "").
std::string boot_prefix(std::string_view boot_file);

// The modules a COM32 module needs loaded first (syslinux 6: libcom32.c32, libutil.c32 for the
// menu modules), then the module itself; ldlinux.c32 is loaded by pxelinux.0 and never here.
std::vector<std::string> module_chain(std::string_view module);

// A parsed PXELINUX config, reduced to what a boot does.
struct PxeConfig {
  std::vector<std::string>
      modules;             // COM32 modules it loads (UI, or DEFAULT naming one), deps first
  std::string label;       // the label it boots ("" for a bare DEFAULT kernel line)
  bool localboot = false;  // that label says boot from the local disk
  std::string kernel;      // KERNEL/LINUX of that label
  std::vector<std::string> initrds;  // INITRD, or initrd= in APPEND (comma-separated)
  std::string append;                // the kernel command line as written
  // The installer's config URL from the command line: ks=, inst.ks=, url=, preseed/url=,
  // ds=nocloud-net;s=URL (+ "user-data"); "" when there is none.
  std::string kickstart_url;
  std::vector<std::string> warnings;  // lines not understood (counted, not fatal)
};

// Which label boots, as an unattended PXELINUX picks it: ONTIMEOUT, else the label marked
// MENU DEFAULT (under a menu UI), else the label DEFAULT names, else the first label. A DEFAULT
// that names no label and no module is a kernel command line of its own. Keywords are case
// insensitive; INCLUDE files are not followed (a warning). An empty result (no kernel and no
// localboot) is for the caller to treat as a failed boot.
PxeConfig parse_pxelinux_config(std::string_view text);

// The kickstart URL of a command line (see PxeConfig::kickstart_url).
std::string kickstart_url(std::string_view append);

}  // namespace bs::bench
