// The simulated clients of one TFTP bench run and the frames between them and the server: each
// client slot has its own IPv4 address and MAC, answers ARP for it, and wraps its TftpClient's
// packets in Ethernet/IPv4/UDP; `concurrency` transfers run at a time until `transfers` have
// ended. Timers are each client's deadline, checked a slice at a time (a full sweep every
// sweep_us), so a packet never costs O(clients). Pure: frames come in as byte spans and go out
// through a FrameSink; the DPDK port lives in dpdk_port.hpp.
//
// Multicast (mode multicast: RFC 2090, McastClient; mode mtftp: PXE MTFTP, MtftpClient): a
// frame to a multicast IPv4 address goes to every client joined to that group and UDP port
// (a map from group:port to its members, kept in step with each client's group() after every
// call). The frame is parsed once and its content checked once (GroupFrame); each member
// marks its bitmap. Unicast frames go to the one slot their address names, as always.
#pragma once
#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include "dataplane/proto/bytes.hpp"
#include "dataplane/proto/udp.hpp"
#include "mcast_client.hpp"
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
  // Puts what was sent so far on the wire now, not at the end of the loop's iteration (the ACK
  // of a multicast master paces the whole group). Default: nothing.
  virtual void kick() {}
};
inline constexpr size_t kMaxFrame = 1514;

enum class Mode : uint8_t { unicast, multicast, mtftp };
const char* mode_name(Mode m);

struct RunConfig {
  Mode mode = Mode::unicast;
  MtftpOptions mtftp;  // mode mtftp
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
  // Group frames are checked as they come and handed to the group's masters at once (their
  // ACKs pace the stream), to the listeners up to group_batch at a time, member by member
  // (each listener's bitmap stays in cache), at most group_batch_us late (flush_groups() when
  // idle is better); 1: every member takes each frame at once. Pending frames are handed out
  // before any unicast frame to a client, before a timeout, before a transfer starts and with
  // a group's short last block.
  uint32_t group_batch = 1;
  uint64_t group_batch_us = 1000;
  // A line per TFTP packet to or from a client (unicast DATA only in the multicast modes), group
  // frame and transfer end (debugging; null: none). Times in microseconds.
  std::FILE* trace = nullptr;
};

struct RunStats {
  uint64_t started = 0, completed = 0, failed = 0;
  std::array<uint64_t, kFailCount> fails{};
  std::array<uint64_t, 9> server_error_codes{};  // ERROR codes 0..8 the server sent
  uint64_t bytes_completed = 0;                  // verified bytes of completed transfers
  uint64_t bytes_in_order = 0;                   // verified bytes, every transfer, so far
  uint64_t data_frames = 0;                      // DATA frames to any client, so far
  ClientStats clients;                           // summed over ended transfers
  McastStats mcast;                              // summed over ended transfers
  uint64_t frames_rx = 0, frames_tx = 0;
  uint64_t wire_bytes_rx = 0, wire_bytes_tx = 0;  // Ethernet frames as the port has them (no FCS)
  uint64_t group_frames = 0;                      // DATA frames to a multicast group with members
  uint64_t group_deliveries = 0;  // group frames times the members they were given to
  uint64_t group_malformed = 0;   // group frames that are not TFTP DATA
  uint64_t arp_replies = 0;       // answers for client addresses
  uint64_t bad_frames = 0;        // Ethernet/IPv4/ARP that does not parse
  uint64_t bad_udp = 0;           // UDP length or checksum wrong
  uint64_t udp_checksums = 0;     // UDP checksums verified
  uint64_t not_ours = 0;          // not UDP to a client address from the server (or other ARP)
  uint64_t stale = 0;             // to a client port (or group) no transfer uses now
  uint64_t wrong_mac = 0;         // to a client address but another MAC (processed anyway)
  uint64_t tx_no_room = 0;        // frames not sent: no mbuf or TX queue full
  uint64_t first_start_us = 0;    // first RRQ
  uint64_t last_end_us = 0;       // last transfer ended
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
  // The unicast client of slot k (unicast mode, or a multicast one the server answered unicast).
  const TftpClient& client(uint32_t k) const { return slots_[k].rfc.unicast(); }
  const McastClient& mcast_client(uint32_t k) const { return slots_[k].rfc; }
  const MtftpClient& mtftp_client(uint32_t k) const { return slots_[k].pxe; }
  // Members of group:port now.
  size_t group_members(GroupKey g) const;
  // Hands the pending group frames to the listeners (poll() does it when they waited
  // group_batch_us; best called when nothing came in, while the server answers the master).
  void flush_groups();

 private:
  struct Group {
    std::vector<uint32_t> members;  // slots
    uint16_t blksize = 0;           // the members' block size
    bool mixed = false;             // members with different block sizes: no batching
    bool pending = false;           // frames pending for its listeners
    std::vector<uint32_t> masters;  // the members that take frames at once (while pending)
  };
  struct Slot {
    McastClient rfc;  // unicast and multicast modes
    MtftpClient pxe;  // mtftp mode
    uint64_t start_us = 0;
    uint64_t group = 0;      // GroupKey::key() of the group joined, 0: none
    uint32_t group_pos = 0;  // its index in that group's member list
    uint16_t sport = 0;
    uint16_t generation = 0;
    bool busy = false;
  };
  // Calls f with slot s's client of this run's mode.
  template <class F>
  decltype(auto) with(Slot& s, F&& f) {
    return c_.mode == Mode::mtftp ? f(s.pxe) : f(s.rfc);
  }
  void on_arp(proto::Bytes arp, const proto::Mac& eth_src);
  void on_group(const proto::EthHeader& eth, const proto::Ipv4Header& ip, proto::MutBytes l4,
                uint64_t now_us);
  bool udp_ok(proto::MutBytes l4, const proto::Ipv4Header& ip, proto::UdpHeader& udp);
  void send(size_t len);
  void sync_group(uint32_t k);
  void deliver(uint32_t k, std::span<const GroupFrame> f, uint64_t now_us);
  // The members of a group into members_, masters first; returns how many are masters.
  size_t order_members(const Group& g);
  // Frames to members_ (ordered by order_members), kicking the sink after the masters'.
  void deliver_all(uint64_t key, size_t masters, std::span<const GroupFrame> f, uint64_t now_us);
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
  std::unordered_map<uint64_t, Group> groups_;  // GroupKey::key() -> its members
  std::vector<uint32_t> members_;  // scratch: a group's members while frames are handed out
  // Group frames checked, not yet handed out, with their groups' keys.
  std::vector<GroupFrame> pending_;
  std::vector<uint64_t> pending_group_;
  std::vector<GroupFrame> scratch_;  // the pending frames of one group (when several)
  uint64_t pending_us_ = 0;          // when the last pending frame came
  uint64_t pending_first_us_ = 0;    // when the first did
  RunStats stats_;
  uint64_t now_us_ = 0;  // of the last on_frame() or poll() (the trace's)
  uint64_t next_arp_us_ = 0;
  uint64_t last_sweep_us_ = 0;
  uint64_t sweep_credit_ = 0;  // slots to look at, scaled by sweep_us
  uint32_t cursor_ = 0;
  uint32_t csum_countdown_ = 1;  // frames until the next checksum verification
  uint16_t ip_id_ = 0;
};

}  // namespace bs::bench
