// bootstorm-bench dhcp: perfdhcp-style DHCPv4 load from simulated PXE firmwares (dhcp_run.hpp)
// over an AF_PACKET interface or a DPDK port, against any server; reported as perfdhcp reports
// (the same lines, so tools/lab/lib.sh's bs_perfdhcp_parse reads both), and as JSON.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "port.hpp"

namespace bs::bench {

struct DhcpCommand {
  PortSpec port;
  double rate = 0;           // 4-way exchanges started per second (perfdhcp -r); 0: avalanche
  uint64_t clients = 1;      // distinct MACs (perfdhcp -R)
  uint64_t num_request = 0;  // exchanges to start at most (perfdhcp -n); 0: no bound
  double duration_s = 0;     // start exchanges for this long (perfdhcp -p); 0: no bound
  double exit_wait_s = -1;   // then wait this long for replies (perfdhcp -W, in seconds);
                             // -1: 1 s with --rate, until every client ends in an avalanche
  std::string timeouts = "4,8,16,32";  // seconds: the PXE firmware's retransmission schedule
  uint32_t nak_retries = 3;
  uint32_t arch = 0;  // option 93
  bool broadcast = false;
  std::string mac_base = "02:62:64:00:00:00";
  uint64_t seed = 1;  // xids
  uint32_t starts_per_poll = 1024;
  double max_seconds = 0;  // stop and report after this long (0: never)
  uint32_t idle_us = 20;   // sleep after a run of empty polls (0: busy-poll)
  std::string json;
  int progress = -1;  // -1: when stderr is a terminal
};

void add_dhcp_command(CLI::App& app, DhcpCommand& cmd);
// 0: every exchange completed; 3: some did not (perfdhcp's code); 1: the port failed; 2: usage.
int run_dhcp(const DhcpCommand& cmd, const char* argv0);

}  // namespace bs::bench
