// bootstorm-bench storm: a whole PXE boot storm (storm_run.hpp) against any server, over an
// AF_PACKET interface or a DPDK port, reported as a summary table, JSON and an HTML page.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "port.hpp"

namespace bs::bench {

struct StormCommand {
  PortSpec port;
  uint32_t clients = 10;
  std::string arrival = "all";  // all | ramp:SECONDS | poisson:PER_SECOND
  std::string mac_base = "02:62:73:00:00:00";
  uint32_t arch = 0;       // PXE client architecture (option 93): 0 BIOS, 7 EFI x64
  uint32_t efi_every = 0;  // every Nth machine is EFI x64 instead
  uint32_t blksize = 1468;
  uint32_t windowsize = 64;
  bool no_tsize = false;
  std::string dhcp_timeouts = "4,8,16,32";  // seconds, the PXE spec's schedule
  // TFTP re-sends as PXELINUX spaces them: 1 s, then 1.5x longer each time up to 16 s, 14 in a
  // row (about 140 s in all before a file fails; PXELINUX's table adds up to about 130 s).
  double tftp_timeout_s = 1;
  double tftp_backoff = 1.5;
  double tftp_max_timeout_s = 16;
  uint32_t tftp_retries = 14;
  double http_timeout_s = 60;
  bool no_kickstart = false;  // a config without an installer URL still counts as a boot
  double loss = 0;            // both ways
  std::string faults;         // both ways: "loss=0.02,dup=0.01,reorder=0.01,delay=1ms,..."
  std::string rx_faults, tx_faults;
  uint64_t seed = 1;
  double max_seconds = 900;
  uint32_t idle_us = 20;  // sleep this long after a run of empty polls (0: busy-poll)
  std::string label;
  std::string json;
  std::string html;
  int progress = -1;  // -1: when stderr is a terminal
};

void add_storm_command(CLI::App& app, StormCommand& cmd);
int run_storm(const StormCommand& cmd, const std::string& prog);

}  // namespace bs::bench
