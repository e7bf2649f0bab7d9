#include "snapshot_build.hpp"

#include <algorithm>

namespace bs::control {

snap::Snapshot build_snapshot(const config::Config& cfg, const Rendered& rendered,
                              uint64_t generation) {
  snap::Snapshot s;
  s.generation = generation;
  s.server_ip = cfg.server.address;
  s.lease_seconds = cfg.dhcp.lease_seconds;
  s.boot_bios = cfg.boot.bios;
  s.boot_uefi_x64 = cfg.boot.uefi_x64;
  for (const config::Pool& p : cfg.dhcp.pools)
    s.pools.push_back({p.subnet, p.prefix, p.first, p.last, p.router, p.dns, p.domain});
  for (const config::Host& h : cfg.hosts) {
    snap::Host sh;
    sh.mac = h.mac;
    sh.address = h.address;
    sh.hostname = h.hostname;
    s.hosts.push_back(sh);
  }
  for (const RenderedHost& r : rendered.hosts) s.files.push_back({r.pxelinux_path, r.pxelinux});
  s.files.push_back({"pxelinux.cfg/default", rendered.default_menu});
  auto preload = [&](const std::string& path) {
    if (!path.empty() && std::find(s.preload.begin(), s.preload.end(), path) == s.preload.end())
      s.preload.push_back(path);
  };
  preload(cfg.boot.bios);
  preload(cfg.boot.uefi_x64);
  for (const config::Profile& p : cfg.profiles) {
    preload(p.kernel);
    preload(p.initrd);
  }
  return s;
}

}  // namespace bs::control
