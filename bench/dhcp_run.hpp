// Many simulated PXE firmwares (DhcpClient) against a DHCP server, perfdhcp style, and the
// report perfdhcp prints. Pure: frames come in as byte spans (on_frame), go out through a
// FrameSink, and the time is the caller's (poll()).
//
// Clients are MACs: client k is mac_base + k (in the low 24 bits), k < clients (perfdhcp -R).
// An exchange is one DhcpClient's DISCOVER .. ACK (or its failure) with an xid of its own;
// replies go to the exchange their xid names.
//   rate > 0 (perfdhcp's basic scenario): exchanges start at `rate` a second, exchange j on
//     client j % clients (so a MAC may have several under way at a high rate and few clients),
//     until num_request exchanges started or duration_us passed (neither: until stopped).
//   rate == 0 (avalanche): every client starts one exchange at once (starts_per_poll at a time).
// Then the run waits for the exchanges under way, at most exit_wait_us (perfdhcp -W), and ends.
//
// Counted as perfdhcp counts its two exchanges, DO (DISCOVER-OFFER) and RA (REQUEST-ACK):
//   sent      DO: DISCOVER rounds begun (a client's first, and one after each NAK); RA:
//             REQUESTs begun (one per OFFER taken). Retransmissions are `resent`, not sent.
//   received  DO: OFFERs taken; RA: ACKs that bound a client. drops = sent - received.
//   delay     from the round's first DISCOVER (first REQUEST) to the reply: retransmission waits
//             are in it, as in perfdhcp's avalanche.
//   orphans   replies to a client of ours (chaddr in range) that no exchange under way takes:
//             unknown xid, late (the exchange is over), duplicates, OFFERs once requesting.
//   rejected  DO: OFFERs without yiaddr or server id; RA: NAKs (a NAK is not received: a drop,
//             as perfdhcp, which only matches ACKs).
//   non unique  RA: ACKs of an address another client of ours holds.
//   collected   exchanges given up in that phase (the client's timeouts ran out).
// Malformed: frames to UDP port 68 from 67 whose payload is not a BOOTREPLY.
#pragma once
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "dhcp_client.hpp"
#include "tftp_run.hpp"  // FrameSink, kMaxFrame

namespace bs::bench {

struct DhcpRunConfig {
  uint64_t clients = 1;      // distinct MACs, at most 2^24
  double rate = 0;           // exchanges started per second; 0: avalanche
  uint64_t num_request = 0;  // exchanges to start at most (0: no bound; avalanche: clients)
  uint64_t duration_us = 0;  // no exchange starts after this long (0: no bound)
  // After the last start, the wait for the exchanges under way (DhcpClient::kNever: until
  // each is bound or failed). perfdhcp -W.
  uint64_t exit_wait_us = 1000000;
  proto::Mac mac_base{{0x02, 0x62, 0x64, 0, 0, 0}};
  DhcpClientOptions client;         // mac, uuid, xid are set per exchange
  uint32_t starts_per_poll = 1024;  // the burst a late poll may catch up with
  uint64_t seed = 1;                // xids
  uint64_t max_active = 1 << 20;    // exchanges under way at most (a start beyond: skipped)
};

// One exchange type's counters, as perfdhcp's ExchangeStats.
struct XchgStats {
  uint64_t sent = 0, received = 0, orphans = 0, rejected = 0, non_unique = 0, collected = 0;
  uint64_t resent = 0;
  double min_s = 0, max_s = 0, sum_s = 0, sum_sq_s = 0;
  uint64_t drops() const { return sent > received ? sent - received : 0; }
  void delay(double s);
  double avg_s() const { return received ? sum_s / double(received) : 0; }
  double std_s() const;  // perfdhcp's: sqrt(E[d^2] - E[d]^2)
};

struct DhcpRunStats {
  XchgStats discover_offer, request_ack;
  uint64_t malformed = 0;
  uint64_t started = 0, bound = 0, failed = 0;
  std::array<uint64_t, kDhcpFailCount> fails{};
  uint64_t start_skipped = 0;  // max_active reached
  uint64_t frames_rx = 0, frames_tx = 0, tx_no_room = 0;
  uint64_t not_ours = 0;     // DHCP replies for chaddrs outside our range, frames to other MACs
  uint64_t not_dhcp = 0;     // not UDP 67 -> 68 (ARP, ...)
  uint64_t bad_frames = 0;   // IPv4/UDP that does not parse (checksums included)
  uint64_t other_types = 0;  // replies to our clients that are neither OFFER, ACK nor NAK
  uint64_t first_start_us = 0, last_end_us = 0;
};

class DhcpRun {
 public:
  DhcpRun(DhcpRunConfig c, FrameSink& out);

  void on_frame(proto::Bytes frame, uint64_t now_us);
  // Timers, then new exchanges. Call once per loop.
  void poll(uint64_t now_us);
  // No more starts: the run waits (exit_wait_us) for the exchanges under way, then finishes.
  void stop(uint64_t now_us);

  bool finished() const { return finished_; }
  bool avalanche() const { return c_.rate <= 0; }
  uint64_t active() const { return active_; }
  const DhcpRunStats& stats() const { return s_; }
  const DhcpRunConfig& config() const { return c_; }
  proto::Mac client_mac(uint64_t k) const;
  // The run's length so far: first start to the last poll (perfdhcp's test period).
  double elapsed_s() const;
  // 4-way exchanges (ACKs) per second of elapsed_s().
  double rate_achieved() const;

 private:
  struct Slot {
    DhcpClient c;
    uint64_t client = 0;
    uint32_t gen = 0;
    bool busy = false;
  };
  struct Timer {
    uint64_t at;
    uint32_t slot, gen;
    bool operator>(const Timer& o) const { return at > o.at; }
  };
  bool is_ours(const proto::Mac& m) const;
  void start_one(uint64_t now_us);
  // Calls call(frame) on a slot's client (frame: room from the sink when may_send, else empty),
  // sends what it wrote, accounts for what the client did (type: the reply's, 0 for a start or
  // a timeout), arms its timer or ends the exchange.
  template <class F>
  void drive(uint32_t slot, uint64_t now_us, uint8_t type, bool may_send, F&& call);
  void account(Slot& s, DhcpClient::State before, const DhcpClientStats& was, uint8_t type);
  void orphan(uint8_t type);
  void end(uint32_t slot, uint64_t now_us);
  uint32_t new_xid();

  DhcpRunConfig c_;
  FrameSink& out_;
  DhcpRunStats s_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  std::unordered_map<uint32_t, uint32_t> by_xid_;    // xid -> slot
  std::unordered_map<proto::Ip4, uint64_t> holder_;  // address -> client bound to it
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  DhcpClientOptions scratch_;
  uint64_t active_ = 0;
  uint64_t launched_ = 0;  // exchanges started or skipped
  uint64_t t0_ = 0, last_us_ = 0, stop_us_ = 0;
  uint64_t rng_;
  bool begun_ = false, stopped_ = false, finished_ = false;
};

// perfdhcp's DHCPv4 report (Kea 2.2's format, which tools/lab/lib.sh's bs_perfdhcp_parse
// reads): rate, malformed packets, DO and RA statistics; after an avalanche, its time and
// totals. `prelude` lines ("Running: ...") come first.
std::string perfdhcp_report(const DhcpRun& run, const std::string& prelude);
// The bench's own lines after it (clients bound and failed by reason, frames); none of them
// starts like a line bs_perfdhcp_parse reads.
std::string bench_report(const DhcpRun& run);
// Everything as JSON: the perfdhcp figures under "do" and "ra" with bs_perfdhcp_parse's names
// (sent recv drops drops_ratio orphans rejected nonunique collected resent; min avg max std in
// ms), "rate", "rate_expected", "malformed", "avalanche" (took_s provisioned sent_total resent
// responses), "clients" and "frames".
nlohmann::json dhcp_json(const DhcpRun& run);

}  // namespace bs::bench
