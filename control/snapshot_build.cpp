#include "snapshot_build.hpp"

#include <algorithm>

namespace bs::control {

namespace {

using snap::BootArch;
using snap::kBootArchs;

// The uefi_http slot goes out as a URL (the TFTP root over HTTP); the others as TFTP paths.
snap::BootFiles wire_files(const config::Config& cfg, const snap::BootFiles& files) {
  snap::BootFiles out = files;
  std::string& http = out[BootArch::uefi_http];
  if (!http.empty()) http = cfg.boot_url(http);
  return out;
}

snap::BootRule rule_for(const config::Config& cfg, const config::Host* h) {
  const config::ResolvedBoot b = cfg.boot_for(h);
  snap::BootRule r;
  r.files = wire_files(cfg, b.files);
  r.ipxe = b.mode == config::BootMode::ipxe;
  if (r.ipxe) r.ipxe_script = cfg.ipxe_script_url(h);
  return r;
}

}  // namespace

snap::Snapshot build_snapshot(const config::Config& cfg, const Rendered& rendered,
                              uint64_t generation) {
  snap::Snapshot s;
  s.generation = generation;
  s.server_ip = cfg.server.address;
  s.lease_seconds = cfg.dhcp.lease_seconds;
  s.renew_seconds = cfg.dhcp.renew_seconds();
  s.rebind_seconds = cfg.dhcp.rebind_seconds();
  s.dhcp.mode = cfg.dhcp.proxy ? snap::DhcpMode::proxy : snap::DhcpMode::server;
  s.dhcp.authoritative = cfg.dhcp.authoritative;
  s.dhcp.probe = cfg.dhcp.probe;
  s.dhcp.mac_rate = cfg.dhcp.mac_rate;
  s.dhcp.rate = cfg.dhcp.rate;
  s.boot = rule_for(cfg, nullptr);
  s.ipxe_files = wire_files(cfg, cfg.boot.ipxe);
  for (const config::Pool& p : cfg.dhcp.pools) {
    snap::Pool sp;
    sp.subnet = p.subnet;
    sp.prefix = p.prefix;
    sp.first = p.first;
    sp.last = p.last;
    sp.router = p.router;
    sp.dns = p.dns;
    sp.domain = p.domain;
    sp.broadcast = p.broadcast;
    sp.broadcast = sp.broadcast_address();  // option 28: configured, else computed
    sp.exclude = p.exclude;
    s.pools.push_back(sp);
  }
  for (const config::Host& h : cfg.hosts) {
    snap::Host sh;
    sh.mac = h.mac;
    sh.address = h.address;
    sh.hostname = h.hostname;
    sh.boot = rule_for(cfg, &h);
    s.hosts.push_back(sh);
  }
  for (const RenderedHost& r : rendered.hosts) s.files.push_back({r.pxelinux_path, r.pxelinux});
  s.files.push_back({"pxelinux.cfg/default", rendered.default_menu});

  // Boot loaders served over TFTP, then kernels and initrds, are loaded at once.
  auto preload = [&](const std::string& path) {
    if (!path.empty() && std::find(s.preload.begin(), s.preload.end(), path) == s.preload.end())
      s.preload.push_back(path);
  };
  auto preload_rule = [&](const snap::BootRule& r) {
    for (BootArch a : kBootArchs)
      if (a != BootArch::uefi_http) preload(r.files[a]);
    if (r.ipxe)
      for (BootArch a : kBootArchs)
        if (a != BootArch::uefi_http) preload(s.ipxe_files[a]);
  };
  preload_rule(s.boot);
  for (const snap::Host& h : s.hosts) preload_rule(h.boot);
  for (const config::Profile& p : cfg.profiles) {
    preload(p.kernel);
    preload(p.initrd);
  }
  // PXE MTFTP files: the i-th gets the i-th group address and port (config_tftp.cpp checks
  // the ranges hold them).
  const config::Multicast& mc = cfg.multicast;
  for (size_t i = 0; i < mc.mtftp_files.size(); ++i) {
    s.mtftp.push_back({mc.mtftp_files[i], proto::Ip4(mc.first + i), uint16_t(mc.port_min + i),
                       mc.mtftp_port, mc.mtftp_listen_s, mc.mtftp_delay_s});
    preload(mc.mtftp_files[i]);
  }
  return s;
}

}  // namespace bs::control
