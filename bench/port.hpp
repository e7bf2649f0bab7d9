// A raw-frame port of the bench, whatever carries it: AF_PACKET with TPACKET_V3 rings on a
// kernel interface (afpacket_port.hpp: any server over a veth in the lab) or a DPDK ethdev
// (dpdk_port.hpp: memif, af_xdp, PCI, past what the kernel path carries). The simulated
// machines own their MACs and addresses; the port only moves frames, single-threaded.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <memory>
#include <string>

#include "dataplane/proto/bytes.hpp"
#include "tftp_run.hpp"

namespace bs::bench {

class Port : public FrameSink {
 public:
  // Up to n received frames into frames[0..ret); their bytes stay valid (and writable) until
  // the next rx() call. Never blocks.
  virtual size_t rx(proto::MutBytes* frames, size_t n) = 0;
  // Puts the frames sent so far on the wire; what the port cannot take now stays queued.
  virtual void flush() = 0;
  void kick() override { flush(); }
  // The port's own MAC (the simulated machines use theirs; some backends need it).
  virtual const proto::Mac& mac() const = 0;
  virtual std::string name() const = 0;
  // The port's own counters (frames and bytes each way, drops, ring or queue full), as JSON.
  virtual nlohmann::json counters() const = 0;
};

// Where the frames go, from the command line: an interface name (AF_PACKET TPACKET_V3), or a
// DPDK vdev string / EAL arguments (DpdkPort, EalSetup::dpdk).
struct PortSpec {
  std::string interface;  // e.g. "bsb-veth0"; mutually exclusive with dpdk
  std::string dpdk;       // e.g. "net_memif0,role=client,socket=/run/bs.sock"
  std::string lcores = "0";
  std::string file_prefix = "bs-bench";
  bool no_huge = false;
  unsigned frames = 8192;  // ring frames (AF_PACKET) or mbufs (DPDK)
  // AF_PACKET ring: TPACKET_V2 (default) hands each frame over at once; TPACKET_V3 hands over
  // whole blocks, a partly filled one only after its 1 ms retire timer (measured: a 1000 us
  // median round trip at low load against 7 us with V2, the same throughput), which would slow
  // lock-step servers and DHCP in the bench's figures.
  unsigned afpacket_version = 2;
  double wait_s = 10;  // for the link (a memif peer may start later)
};
// The port's command-line options (--interface, --dpdk, --afpacket-version, --lcore,
// --file-prefix, --no-huge, --ring-frames, --link-wait) on a subcommand.
void add_port_options(CLI::App& sub, PortSpec& spec);
// Opens the port, or returns null with *error set. prog is argv[0] (EAL's program name).
std::unique_ptr<Port> open_port(const PortSpec& spec, const std::string& prog, std::string* error);

}  // namespace bs::bench
