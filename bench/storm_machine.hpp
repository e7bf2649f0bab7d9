// One simulated PXE machine of a boot storm, doing what its firmware and PXELINUX do, in order:
//   dhcp      DISCOVER/OFFER/REQUEST/ACK with PXE options (DhcpClient)
//   bootfile  TFTP of the DHCP reply's boot file, then <its directory>/ldlinux.c32
//   config    the PXELINUX search (pxelinux_search(): UUID, 01-<mac>, 8 address prefixes,
//             default); a file-not-found ERROR moves to the next name, the first file found is
//             the config (parse_pxelinux_config())
//   modules   the COM32 modules the config loads, dependencies first (a miss is counted, not
//             fatal: PXELINUX falls back to its command line)
//   kernel    the chosen label's kernel, initrd: its initrds, one after another
//   kickstart HTTP GET of the installer URL on the label's command line (HttpClients)
// A label that says LOCALBOOT ends the boot after the config (an installed machine). TFTP
// goes to the DHCP reply's next server (its MAC resolved with ARP when it is not the DHCP
// server's), each transfer from a fresh client port, as firmware does. Paths in the config are
// relative to the boot file's directory. The content is not known in advance (any server):
// sizes are held to tsize when the server sends one.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/proto/bytes.hpp"
#include "dhcp_client.hpp"
#include "pxelinux_cfg.hpp"
#include "tftp_client.hpp"
#include "tftp_run.hpp"

namespace bs::bench {

enum class Phase : uint8_t { dhcp, bootfile, config, modules, kernel, initrd, kickstart };
inline constexpr size_t kPhases = size_t(Phase::kickstart) + 1;
const char* phase_name(Phase p);

// Why a machine failed to boot. Keep machine_fail_name() in step.
enum class MachineFail : uint8_t {
  none,
  dhcp,              // no lease (DhcpClient::fail() says why)
  no_boot_file,      // the lease names no boot file
  arp,               // the TFTP server's MAC never resolved
  bootfile,          // pxelinux.0 or ldlinux.c32 not fetched
  no_config,         // every name of the search was missing
  config,            // the config could not be fetched (other than missing)
  empty_config,      // no kernel and no LOCALBOOT in the chosen label
  kernel,            // kernel transfer failed
  initrd,            // an initrd transfer failed
  no_kickstart,      // the command line names no installer URL (and one is required)
  kickstart,         // the HTTP GET failed (connection, timeout, malformed)
  kickstart_status,  // the HTTP answer was not 2xx
};
inline constexpr size_t kMachineFails = size_t(MachineFail::kickstart_status) + 1;
const char* machine_fail_name(MachineFail f);

// What a machine needs from the run: frames out, and the HTTP clients.
class MachineIo {
 public:
  virtual ~MachineIo() = default;
  virtual proto::MutBytes frame() = 0;  // room for one frame (empty: none now)
  virtual void send(size_t len) = 0;
  // HttpClients::start() (false + empty error: no room now, try later).
  virtual bool http_start(uint32_t id, const proto::Mac& mac, proto::Ip4 ip, proto::Ip4 mask,
                          const std::string& url, uint64_t now_us, std::string* error) = 0;
  // 0 running, 1 done (status, body bytes, retransmits), -1 failed (error).
  virtual int http_state(uint32_t id, int* status, uint64_t* bytes, uint32_t* retransmits,
                         std::string* error) = 0;
  virtual void http_finish(uint32_t id) = 0;
};

struct MachineOptions {
  DhcpClientOptions dhcp;  // mac, uuid, arch, xid, timeouts
  ClientOptions tftp;      // blksize, windowsize, timeouts (verify is forced off)
  uint64_t arp_timeout_us = 1000000;
  uint32_t arp_retries = 4;
  bool require_kickstart = true;
};

struct MachineStats {
  std::array<uint64_t, kPhases> start_us{}, end_us{};  // 0: phase not reached / not ended
  std::array<uint32_t, kPhases> retransmits{};  // re-sends and recovery requests in the phase
  uint64_t tftp_bytes = 0, http_bytes = 0;      // the files' bytes, in order
  // Every DATA payload byte that reached the machine: duplicates, blocks past a gap, and DATA
  // that came after its transfer ended (stale) included. Equal to what the server sent when the
  // wire lost nothing: the cross-check against the server's own counter.
  uint64_t tftp_received_bytes = 0;
  uint32_t tftp_stale = 0;  // DATA frames for a transfer already ended
  uint32_t tftp_files = 0, config_misses = 0, module_misses = 0;
  uint32_t tftp_strangers = 0, tftp_duplicates = 0;
};

class Machine {
 public:
  void reset(uint32_t id, const MachineOptions& o);
  void start(MachineIo& io, uint64_t now_us);
  // A UDP datagram to this machine (its client port or DHCP's 68), and the frame's Ethernet
  // source.
  void on_udp(MachineIo& io, proto::Ip4 src, uint16_t sport, uint16_t dport, proto::Bytes payload,
              const proto::Mac& eth_src, uint64_t now_us);
  void on_arp_reply(proto::Ip4 spa, const proto::Mac& sha);
  // Timers (DHCP, TFTP, ARP) and the HTTP fetch's progress; due at deadline_us().
  void on_timer(MachineIo& io, uint64_t now_us);
  uint64_t deadline_us() const;

  bool started() const { return started_; }
  bool finished() const { return done_ || fail_ != MachineFail::none; }
  bool done() const { return done_; }
  MachineFail fail() const { return fail_; }
  const std::string& fail_detail() const { return fail_detail_; }
  Phase phase() const { return phase_; }
  bool localboot() const { return cfg_.localboot; }
  proto::Ip4 ip() const { return dhcp_.lease().ip; }
  const proto::Mac& mac() const { return o_.dhcp.mac; }
  uint16_t tftp_port() const { return sport_; }
  bool in_http() const { return phase_ == Phase::kickstart && http_started_; }
  const MachineStats& stats() const { return st_; }
  const DhcpClient& dhcp() const { return dhcp_; }
  const PxeConfig& config() const { return cfg_; }
  uint64_t start_us() const { return start_us_; }
  uint64_t end_us() const { return end_us_; }

 private:
  void enter(Phase p, uint64_t now_us);
  void leave(uint64_t now_us);
  void after_lease(MachineIo& io, uint64_t now_us);
  void fetch(MachineIo& io, const std::string& name, uint64_t now_us);
  void emit_tftp(MachineIo& io, const Action& a);
  void send_arp(MachineIo& io, uint64_t now_us);
  void tftp_ended(MachineIo& io, uint64_t now_us);
  void next_file(MachineIo& io, uint64_t now_us);
  void start_http(MachineIo& io, uint64_t now_us);
  void finish(uint64_t now_us);
  void failed(MachineFail f, std::string detail, uint64_t now_us);
  void send_dhcp(MachineIo& io, size_t (DhcpClient::*)(uint64_t, proto::MutBytes), uint64_t now);

  uint32_t id_ = 0;
  MachineOptions o_;
  DhcpClient dhcp_;
  TftpClient tftp_;
  PxeConfig cfg_;
  Phase phase_ = Phase::dhcp;
  std::string prefix_;              // the boot file's directory
  std::vector<std::string> files_;  // what this phase fetches, in order
  size_t file_ = 0;                 // the one being fetched
  std::string name_;                // its name (TftpClient keeps a view)
  std::string kept_;                // the config's text while it is fetched
  proto::Ip4 server_ = 0;           // TFTP server
  proto::Mac server_mac_;
  uint64_t arp_deadline_us_ = 0;
  uint32_t arp_tries_ = 0;
  bool tftp_active_ = false;
  bool http_started_ = false;
  uint64_t http_retry_us_ = 0;  // no netif free: try again then
  uint16_t sport_ = 0, next_port_ = 0;
  uint16_t ip_id_ = 0;
  bool started_ = false, done_ = false;
  MachineFail fail_ = MachineFail::none;
  std::string fail_detail_;
  uint64_t start_us_ = 0, end_us_ = 0;
  MachineStats st_;
};

}  // namespace bs::bench
