// bootstorm-bench tftp: many simulated TFTP clients over a DPDK port (net_memif in the lab).
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "dpdk_port.hpp"

namespace bs::bench {

struct TftpCommand {
  EalSetup eal;
  std::string server = "10.77.0.1";
  std::string server_mac;  // empty: ARP
  std::string file;
  std::string local_copy;
  uint64_t clients = 1;
  uint32_t concurrency = 0;  // 0: all clients at once (at most 65536)
  uint32_t blksize = 1468;
  uint32_t windowsize = 64;
  bool no_tsize = false;
  uint32_t timeout_ms = 2000;
  uint32_t retries = 5;
  std::string client_net = "10.78.0.0/16";
  uint32_t start_burst = 32;
  uint32_t udp_checksum_every = 1;
  double max_seconds = 600;
  double link_wait_s = 30;
  unsigned mbufs = 16383;
  std::string json;
  int progress = -1;  // -1: when stderr is a terminal
  // Multicast clients: RFC 2090 (--multicast) or PXE MTFTP (--mtftp and its group, ports and
  // timers).
  bool multicast = false;
  bool mtftp = false;
  std::string mtftp_group = "239.255.77.1";
  uint32_t mtftp_client_port = 1760;
  uint32_t mtftp_server_port = 1759;
  uint32_t mtftp_listen_ms = 1000;
  uint32_t mtftp_delay_ms = 1000;
  std::string trace;  // debugging: a line per packet (see --trace), to this file
};

void add_tftp_command(CLI::App& app, TftpCommand& cmd);
int run_tftp(const TftpCommand& cmd, const std::string& prog);

}  // namespace bs::bench
