// open_port(): an interface name gives an AfPacketPort, a DPDK vdev (or EAL arguments) gives
// the EAL and a DpdkPort that owns it (rte_eal_cleanup() when it closes).
#include <rte_eal.h>

#include "afpacket_port.hpp"
#include "dpdk_port.hpp"
#include "port.hpp"

namespace bs::bench {

void add_port_options(CLI::App& sub, PortSpec& p) {
  auto* itf = sub.add_option("--interface", p.interface,
                             "AF_PACKET on this interface (e.g. a veth in the lab)");
  auto* dp = sub.add_option("--dpdk", p.dpdk,
                            "a DPDK vdev (e.g. net_memif0,role=client,socket=...) or EAL "
                            "arguments starting with '-'");
  itf->excludes(dp);
  sub.add_option("--afpacket-version", p.afpacket_version,
                 "AF_PACKET ring: 2 (each frame handed over at once) or 3 (whole blocks: up to "
                 "1 ms late at low load)")
      ->check(CLI::IsMember({2u, 3u}))
      ->capture_default_str();
  sub.add_option("--lcore", p.lcores, "DPDK: EAL lcore list")->capture_default_str();
  sub.add_option("--file-prefix", p.file_prefix, "DPDK: EAL --file-prefix")->capture_default_str();
  sub.add_flag("--no-huge", p.no_huge, "DPDK: no hugepages");
  sub.add_option("--ring-frames", p.frames, "frames per ring (AF_PACKET) or mbufs (DPDK)")
      ->capture_default_str();
  sub.add_option("--link-wait", p.wait_s, "seconds to wait for the port's link")
      ->capture_default_str();
}

std::unique_ptr<Port> open_port(const PortSpec& spec, const std::string& prog, std::string* error) {
  auto fail = [&](std::string msg) -> std::unique_ptr<Port> {
    if (error) *error = std::move(msg);
    return nullptr;
  };
  if (!spec.interface.empty() && !spec.dpdk.empty())
    return fail("give an interface (AF_PACKET) or a DPDK port (--dpdk), not both");
  if (spec.interface.empty() && spec.dpdk.empty())
    return fail("no port: give an interface (AF_PACKET, e.g. a veth) or a DPDK vdev (--dpdk)");
  if (!spec.interface.empty()) {
    AfPacketOptions o;
    o.frames = spec.frames;
    o.version = spec.afpacket_version;
    o.wait_s = spec.wait_s;
    return AfPacketPort::open(spec.interface, o, error);
  }
  EalSetup eal{spec.dpdk, spec.lcores, spec.file_prefix, spec.no_huge};
  if (!eal_init(eal_args(eal, prog)))
    return fail("DPDK EAL initialisation failed for '" + spec.dpdk +
                "' (see the EAL messages above)");
  auto port = std::make_unique<DpdkPort>();
  port->set_eal_cleanup(true);  // also when open() fails: the EAL goes with the port
  if (!port->open(spec.frames, spec.wait_s, error)) return nullptr;
  return port;
}

}  // namespace bs::bench
