// Turns a loaded Config into the text the appliance serves: per host a pxelinux config
// (pxelinux.cfg/01-<mac>), a kickstart and (hosts that boot iPXE) an iPXE script, plus
// pxelinux.cfg/default and ipxe/default.ipxe for machines without a reservation. Templates are
// Mustache ({{ name }}), rendered without HTML escaping.
#pragma once
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "config.hpp"

namespace bs::control {

// Rendering failed (a template vanished or changed after the config was loaded).
struct RenderError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RenderedHost {
  std::string hostname;
  std::string mac;            // "52:54:00:12:34:56"
  std::string boot_bios;      // boot file for option 93 arch 0 (profile and host overrides applied)
  std::string boot_uefi_x64;  // boot file for arch 7 and 9 (empty = none)
  std::string pxelinux_path;  // "pxelinux.cfg/01-52-54-00-12-34-56"
  std::string pxelinux;       // its content
  std::string kickstart_url;  // empty when the profile has no kickstart
  std::string kickstart;      // rendered kickstart (empty when none)
  bool has_kickstart = false;
  bool ipxe = false;        // the host boots iPXE (boot = "ipxe")
  std::string ipxe_url;     // http://<server>/ipxe/<hostname>.ipxe (when ipxe)
  std::string ipxe_script;  // its content (when ipxe)
};

struct Rendered {
  std::vector<RenderedHost> hosts;                // in config order
  std::string default_menu;                       // pxelinux.cfg/default
  std::map<std::string, std::string> kickstarts;  // hostname -> kickstart (served at /ks/)
  // hostname -> iPXE script for the hosts that boot iPXE, and "default" -> the script of machines
  // without a reservation (served at /ipxe/<name>.ipxe).
  std::map<std::string, std::string> ipxe_scripts;
};

// Used when the config sets no default_menu; identical to conf/pxelinux-default.menu.
extern const char* const kBuiltinDefaultMenu;
// Used when the config sets no default_ipxe_menu; identical to conf/ipxe-default.ipxe.
extern const char* const kBuiltinDefaultIpxeMenu;

// Mustache without HTML escaping: values are inserted verbatim.
std::string render_template(const std::string& text,
                            const std::map<std::string, std::string>& values);
// "pxelinux.cfg/01-" + MAC with dashes, lower case.
std::string pxelinux_path(const proto::Mac& mac);
// A profile's append line with every word that holds a placeholder removed (the menu entry
// for hosts without a reservation has no kickstart URL, hostname or address).
std::string interactive_append(const std::string& append);

RenderedHost render_host(const config::Config& cfg, const config::Host& host);
std::string render_default_menu(const config::Config& cfg);
// "#!ipxe", then kernel (from <server>/boot/, with initrd=<initrd file name> and the rendered
// append line), initrd, boot.
std::string render_ipxe_script(const config::Config& cfg, const config::Host& host);
std::string render_default_ipxe_menu(const config::Config& cfg);
Rendered render_all(const config::Config& cfg);  // throws RenderError

}  // namespace bs::control
