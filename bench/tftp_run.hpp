// The simulated clients of one TFTP bench run and the frames between them and the server: each
// client slot has its own IPv4 address and MAC, answers ARP for it, and wraps its TftpClient's
// packets in Ethernet/IPv4/UDP; `concurrency` transfers run at a time until `transfers` have
// ended. Timers are each client's deadline, checked a slice at a time (a full sweep every
// sweep_us), so a packet never costs O(clients). Pure: frames come in as byte spans and go out
// through a FrameSink; the DPDK port lives in dpdk_port.hpp.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/proto/bytes.hpp"
#include "tftp_client.hpp"

namespace bs::bench {

// Where outgoing frames go.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // Room for one frame (at least kMaxFrame bytes), or an empty span when none is free now.
  virtual proto::MutBytes frame() = 0;
  // Sends the first len bytes of the span frame() returned last.
  virtual void send(size_t len) = 0;
};
inline constexpr size_t kMaxFrame = 1514;

struct RunConfig {
  proto::Ip4 server_ip = 0;
  proto::Mac server_mac;        // zero: resolved with ARP before the first request
  proto::Ip4 client_first = 0;  // slot k uses client_first + k
  proto::Mac client_mac_base{{0x02, 0x62, 0x73, 0, 0, 0}};  // slot k: + k in the low 24 bits
  uint64_t transfers = 1;
  uint32_t concurrency = 1;  // slots; each needs an address
  std::string filename;
  ClientOptions client;
  uint32_t starts_per_poll = 32;  // at most this many RRQs per poll(): the start is spread
  uint64_t sweep_us = 10000;      // every client's deadline is looked at once per sweep
  // Verify the UDP checksum of one received frame in this many (1: all, 0: none); contents are
  // always compared with the expected file.
  uint32_t udp_checksum_every = 1;
  uint64_t arp_interval_us = 200000;
};

struct RunStats {
  uint64_t started = 0, completed = 0, failed = 0;
  std::array<uint64_t, kFailCount> fails{};
  std::array<uint64_t, 9> server_error_codes{};  // ERROR codes 0..8 the server sent
  uint64_t bytes_completed = 0;                  // verified bytes of completed transfers
  uint64_t bytes_in_order = 0;                   // verified bytes, every transfer, so far
  uint64_t data_frames = 0;                      // DATA frames to any client, so far
  ClientStats clients;                           // summed over ended transfers
  uint64_t frames_rx = 0, frames_tx = 0;
  uint64_t arp_replies = 0;     // answers for client addresses
  uint64_t bad_frames = 0;      // Ethernet/IPv4/ARP that does not parse
  uint64_t bad_udp = 0;         // UDP length or checksum wrong
  uint64_t udp_checksums = 0;   // UDP checksums verified
  uint64_t not_ours = 0;        // not UDP to a client address from the server (or other ARP)
  uint64_t stale = 0;           // to a client port no transfer uses now
  uint64_t wrong_mac = 0;       // to a client address but another MAC (processed anyway)
  uint64_t tx_no_room = 0;      // frames not sent: no mbuf or TX queue full
  uint64_t first_start_us = 0;  // first RRQ
  uint64_t last_end_us = 0;     // last transfer ended
};

class TftpRun {
 public:
  TftpRun(RunConfig c, proto::Bytes expected, FrameSink& out);

  // One received frame; the span may be modified (the UDP checksum is cleared when not verified).
  void on_frame(proto::MutBytes frame, uint64_t now_us);
  // ARP for the server, new transfers, timers. Call once per loop.
  void poll(uint64_t now_us);

  bool finished() const { return stats_.completed + stats_.failed == c_.transfers; }
  bool server_resolved() const { return !server_mac_.is_zero(); }
  const proto::Mac& server_mac() const { return server_mac_; }
  uint64_t active() const { return stats_.started - stats_.completed - stats_.failed; }
  const RunStats& stats() const { return stats_; }
  const std::vector<uint32_t>& latencies_us() const { return latencies_us_; }
  const RunConfig& config() const { return c_; }
  proto::Ip4 slot_ip(uint32_t k) const { return c_.client_first + k; }
  proto::Mac slot_mac(uint32_t k) const;
  const TftpClient& client(uint32_t k) const { return slots_[k].client; }

 private:
  struct Slot {
    TftpClient client;
    uint64_t start_us = 0;
    uint16_t sport = 0;
    uint16_t generation = 0;
    bool busy = false;
  };
  void on_arp(proto::Bytes arp, const proto::Mac& eth_src);
  bool emit(uint32_t k, const Action& a);
  void after(uint32_t k, const Action& a, uint64_t now_us);
  void end(uint32_t k, uint64_t now_us);
  void start_transfers(uint64_t now_us);
  void sweep(uint64_t now_us);
  void send_arp_request(uint64_t now_us);

  RunConfig c_;
  proto::Bytes expected_;
  FrameSink& out_;
  proto::Mac server_mac_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;  // idle slots, a stack
  std::vector<uint32_t> latencies_us_;
  RunStats stats_;
  uint64_t next_arp_us_ = 0;
  uint64_t last_sweep_us_ = 0;
  uint64_t sweep_credit_ = 0;  // slots to look at, scaled by sweep_us
  uint32_t cursor_ = 0;
  uint32_t csum_countdown_ = 1;  // frames until the next checksum verification
  uint16_t ip_id_ = 0;
};

}  // namespace bs::bench
