// A worker lcore: rx burst -> classify -> ARP / DHCP / TFTP (or the exception tap) -> tx.
// Buffer ownership, everywhere in this file: a function that receives an mbuf either sends it
// or frees it; what tx did not take is freed by the tx buffer's callback and counted.
#pragma once
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_timer.h>

#include <array>
#include <memory>
#include <vector>

#include "dhcp/rate_limit.hpp"
#include "dhcp/server.hpp"
#include "events.hpp"
#include "lease_feed.hpp"
#include "port/ethdev.hpp"
#include "proto/tftp.hpp"
#include "proto/udp.hpp"
#include "shared.hpp"
#include "tftp/mcast.hpp"
#include "tftp/session_table.hpp"

namespace bs {

// Multicast TFTP ([multicast]): group i has address first + i and port port_min + i (also the
// server's port of its transfer); the first ones are the PXE MTFTP files' (the snapshot's).
struct McastConfig {
  bool enabled = false;   // RFC 2090 requests get multicast
  proto::Ip4 first = 0;   // group addresses
  uint16_t port_min = 0;  // group ports
  uint16_t groups = 0;    // transmissions at once (0: no multicast at all)
  uint8_t ttl = 1;
  enum class Igmp : uint8_t { none, query, report } igmp = Igmp::none;
  uint16_t mtftp_port = 0;  // PXE MTFTP open requests (0: off)
};

struct WorkerConfig {
  uint8_t id = 0;
  // Queues of the boot port: each worker transmits on its own; a worker without an RX queue of
  // its own (the port has fewer than workers) gets its frames from the others (steering).
  uint8_t workers = 1;
  uint16_t tx_queue = 0;
  uint16_t rx_queue = 0;
  bool has_rx = true;
  port::PortInfo port;       // the boot network
  port::PortInfo exception;  // the tap to the kernel
  rte_mempool* pool = nullptr;
  // Zero-copy DATA: a header mbuf from pool chained to an mbuf from ext_pool (no data room)
  // attached to the cache's bytes. Only for ports with multi-segment TX whose DMA can reach the
  // cache (virtual devices); else payloads are copied into one mbuf.
  rte_mempool* ext_pool = nullptr;
  bool zero_copy = false;
  proto::Ip4 server_ip = 0;
  uint16_t tftp_port_min = 10000, tftp_port_max = 19999;
  tftp::Limits limits;
  uint32_t max_sessions = 0;              // transfers at once per worker (0: one per port)
  uint32_t max_sessions_per_client = 16;  // transfers at once from one client address
  uint64_t netascii_max = 16u << 20;      // largest netascii form served (converted per transfer)
  uint32_t load_timeout_ms = 10000;       // a transfer waiting on the loader gives up after this
  McastConfig mcast;                      // used by worker 0 (multicast frames are steered there)
};

class Worker final : public EventSink {
 public:
  Worker(const WorkerConfig& c, Shared& shared);
  ~Worker() override;
  bool ok() const { return ok_; }
  // The lcore's main loop (attach, poll_once with idle back-off, detach); returns when
  // shared.stop is set.
  int run();
  // One iteration of the loop, for run() and for tests that drive a worker step by step
  // (between attach() and detach(), on an EAL thread). Returns the frames and completions
  // handled.
  unsigned poll_once();
  void attach();  // registers with RCU (thread id = worker id)
  void detach();  // flushes tx and unregisters

  void emit(const Event& e) override;

 private:
  static constexpr uint16_t kBurst = 32;  // frames per rx/tx burst
  struct Timer {
    rte_timer tim;
    Worker* worker;
    uint32_t index;
  };

  // Flow steering with several workers: TFTP frames belong to the worker chosen by a hash of
  // the client's address (its request and the ACKs to its transfer port alike); everything
  // else (DHCP, ARP, the exception path) to worker 0, which owns the leases and the tap.
  unsigned owner(const rte_mbuf* m) const;
  void steer(rte_mbuf* m, unsigned to);
  void handle_frame(rte_mbuf* m);
  void handle_arp(rte_mbuf* m, const proto::EthHeader& eth);
  void handle_dhcp(rte_mbuf* m, const proto::UdpFrame& f);
  void handle_tftp_request(rte_mbuf* m, const proto::UdpFrame& f);
  void handle_tftp_session(rte_mbuf* m, const proto::UdpFrame& f);
  void to_kernel(rte_mbuf* m);
  void drop(rte_mbuf* m, Drop reason);

  // TFTP
  void activate(tftp::Transfer* t, cache::Blob* blob);
  void act(tftp::Transfer* t, tftp::Step step);
  void finish(tftp::Transfer* t, EventType ev, uint16_t code);
  void fail_transfer(tftp::Transfer* t, uint16_t code, std::string_view msg, EventType ev);
  void arm(tftp::Transfer* t, uint64_t deadline_us);
  void arm_session(tftp::Transfer* t);  // the timer follows the session's deadline
  void on_timer(uint32_t index);
  // Transfers with DATA blocks due, served round robin in bursts the port takes whole or in part
  // (what it does not take stays due: backpressure, never a drop).
  void schedule(tftp::Transfer* t);
  unsigned pump();
  rte_mbuf* data_frame(const tftp::Transfer& t, uint64_t block);
  // A DATA frame to a: block `wire` of the file at data, bytes off .. off + len; blob: the cache
  // entry holding them (zero copy and its checksum table), nullptr for bytes of a transfer's own.
  rte_mbuf* data_frame(const proto::UdpAddr& a, const cache::Blob* blob, const uint8_t* data,
                       uint64_t off, uint16_t len, uint16_t wire, uint8_t ttl);
  // Opens a unicast transfer of a file found in the index (a RRQ's checks passed); an ERROR has
  // been sent when it returns a drop reason.
  Drop open_transfer(const tftp::Peer& peer, const proto::TftpPath& path,
                     const proto::TftpOptions& options, bool netascii, cache::FileSlot* slot);
  bool client_open(proto::Ip4 ip);  // counts a transfer of ip; false when over the cap
  void client_close(proto::Ip4 ip);
  void on_loaded(cache::FileSlot* slot);
  static void timer_cb(rte_timer* tim, void* arg);

  // Multicast (worker_mcast.cpp): RFC 2090 groups and PXE MTFTP transfers, one slot per group
  // port.
  struct PendingJoin {  // a request that waits for the file to be loaded
    tftp::Peer peer;
    proto::TftpOptions options;  // options.multicast cleared (it pointed into the frame)
  };
  struct McastSlot {
    Worker* worker = nullptr;
    uint32_t index = 0;
    rte_timer tim;
    uint64_t armed_us = 0;
    bool open = false;
    bool active = false;  // loaded and started (else waiting for the loader)
    bool pxe = false;
    proto::Ip4 addr = 0;
    uint16_t port = 0;
    uint16_t blksize = 0;
    proto::TftpPath path;
    cache::FileSlot* file_slot = nullptr;
    cache::Blob* blob = nullptr;
    tftp::McastGroup group;
    std::vector<PendingJoin> pending;
    uint64_t start_us = 0;
  };
  // A RRQ with the multicast option for a file of the index: true when it joined (or will join)
  // a group; false: serve it unicast.
  bool mc_request(const tftp::Peer& peer, const proto::TftpPath& path,
                  const proto::TftpOptions& options, cache::FileSlot* slot);
  void handle_mtftp_request(rte_mbuf* m, const proto::UdpFrame& f);
  void handle_mcast_session(rte_mbuf* m, const proto::UdpFrame& f);
  McastSlot* mc_open(uint32_t index, proto::Ip4 addr, const proto::TftpPath& path, uint16_t blksize,
                     bool pxe, cache::FileSlot* slot);
  void mc_start(McastSlot& g, cache::Blob* blob);  // the file is in memory: joins proceed
  void mc_join(McastSlot& g, const PendingJoin& j);
  void mc_apply(McastSlot& g, const tftp::McastOut& out);
  void mc_send_oack(McastSlot& g, const tftp::Member& m, bool master);
  void mc_close(McastSlot& g);
  void mc_arm(McastSlot& g);
  void mc_on_timer(McastSlot& g);
  static void mc_timer_cb(rte_timer* tim, void* arg);
  void mc_on_loaded(cache::FileSlot* slot);
  unsigned mc_pump();
  void mc_tick();
  void send_igmp(uint8_t type, proto::Ip4 group, proto::Ip4 dst);
  bool mc_owns(uint16_t dport) const {
    return c_.mcast.groups != 0 &&
           ((dport >= c_.mcast.port_min && dport < uint32_t(c_.mcast.port_min) + c_.mcast.groups) ||
            (c_.mcast.mtftp_port != 0 && dport == c_.mcast.mtftp_port));
  }

  // Sending
  void send_udp(const proto::UdpAddr& a, proto::Bytes head, proto::Bytes tail);
  void send_tftp_error(const proto::Mac& mac, proto::Ip4 ip, uint16_t sport, uint16_t dport,
                       uint16_t code, std::string_view msg);
  void tx(rte_mbuf* m);
  void hold(rte_mbuf** pkts, uint16_t n);  // frames the boot port refused: sent next iteration
  void send_held();
  void learn(proto::Ip4 ip, const proto::Mac& mac);
  bool neighbour(proto::Ip4 ip, proto::Mac& out) const;
  void adopt_snapshot();
  void restore_leases();
  void send_dhcp(rte_mbuf* r, uint8_t type);
  void send_arp_probe(proto::Ip4 ip);
  Event event(EventType t, const proto::Mac& mac, proto::Ip4 ip) const;

  uint64_t now_us() const;

  WorkerConfig c_;
  Shared& shared_;
  WorkerCounters& n_;
  bool ok_ = false;
  dhcp::Server dhcp_;
  dhcp::RateLimiter dhcp_limits_;
  LeaseFeed lease_feed_;
  AckGate acks_;
  bool leases_restored_ = false;
  tftp::SessionTable sessions_;
  std::unique_ptr<Timer[]> timers_;  // one per session slot
  std::vector<uint32_t> ready_;      // ring of transfer slots with blocks due
  std::vector<uint8_t> queued_;      // per slot: in ready_ (each slot at most once)
  size_t ready_head_ = 0, ready_count_ = 0;
  rte_hash* clients_ = nullptr;      // client address -> transfers open
  std::unique_ptr<McastSlot[]> mc_;  // c_.mcast.groups slots (worker 0)
  uint32_t mc_open_ = 0;             // slots open
  uint64_t next_igmp_us_ = 0;        // the next IGMP general query (igmp = query)
  const snap::Snapshot* snapshot_ = nullptr;
  rte_hash* neighbours_ = nullptr;
  rte_eth_dev_tx_buffer* tx_port_ = nullptr;
  rte_eth_dev_tx_buffer* tx_kernel_ = nullptr;
  std::array<rte_mbuf*, 512> held_{};  // refused by the boot port, oldest first
  uint16_t held_count_ = 0;
  uint16_t ip_id_ = 0;
  bool queued_for_service_ = false;  // events or load requests queued this iteration
  uint64_t tsc_hz_ = 0;
  uint64_t next_tick_tsc_ = 0;   // DHCP housekeeping, once a millisecond
  uint64_t next_probe_tsc_ = 0;  // DHCP ARP probes
};

}  // namespace bs
