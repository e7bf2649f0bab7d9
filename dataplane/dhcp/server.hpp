// The authoritative DHCP server (RFC 2131/2132 + PXE): one per worker, pure logic over parsed
// requests; the worker does the framing and sends what handle() writes.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../events.hpp"
#include "../proto/dhcp.hpp"
#include "../proto/drop.hpp"
#include "../snapshot/snapshot.hpp"
#include "lease_pool.hpp"
#include "reply.hpp"

namespace bs::dhcp {

struct Outcome {
  size_t len = 0;  // DHCP payload bytes written into out; 0 = no reply
  ReplyTarget to;
  // Why there is no reply when len == 0. Drop::none with len == 0 means the request was handled
  // and needs no answer (RELEASE, DECLINE).
  Drop drop = Drop::none;
  uint8_t type = 0;       // reply message type (proto::kOffer, kAck, kNak) when len > 0
  uint64_t wait_tag = 0;  // an ACK: send only once the journal has committed this tag (0: now)
};

// Where binding changes are reported: the durable lease journal (lease_feed.hpp in the
// dataplane). A DHCPACK leaves only once the record of its binding is on disk.
class LeaseObserver {
 public:
  static constexpr uint64_t kRefuse = ~uint64_t(0);
  virtual ~LeaseObserver() = default;
  // l was bound, or its binding extended (renewal: the same MAC already held it bound), until
  // l.expires_s (monotonic seconds; now_s is now). Returns the tag the ACK must wait for, 0 to
  // send it at once, or kRefuse when the binding cannot be made durable (no ACK then).
  virtual uint64_t bound(Lease& l, uint64_t now_s, bool renewal) = 0;
  virtual void freed(const Lease& l) = 0;  // release or decline (l as it was)
};

class Server {
 public:
  static constexpr uint32_t kOfferHoldSeconds = 60;
  static constexpr uint32_t kSweepPerTick = 256;

  Server(EventSink& events, uint8_t worker_id);
  // The snapshot outlives its use (the worker keeps it alive). Leases survive a swap (kept by
  // MAC) when still inside a pool; memory for the lease table and bitmaps is reserved here.
  // nullptr: no configuration (requests are dropped; leases are kept for the next snapshot).
  void set_snapshot(const snap::Snapshot* s);
  void set_observer(LeaseObserver* o) { observer_ = o; }
  // One parsed request that arrived on UDP port 67 from src_ip; now_s = monotonic seconds.
  Outcome handle(const proto::DhcpMessage& m, proto::Ip4 src_ip, uint64_t now_s,
                 proto::MutBytes out);
  // A PXE boot-server request (UDP port 4011, a DHCPREQUEST or DHCPINFORM from a client that has
  // its address): a DHCPACK with the boot information only. The worker sends it back to the
  // request's source address, port and MAC.
  Outcome boot_server(const proto::DhcpMessage& m, proto::Ip4 src_ip, proto::MutBytes out);
  // A binding replayed from the lease journal at start (after the first snapshot): false when
  // it no longer fits the configuration (address outside every pool, reserved for another
  // host, or taken).
  bool restore(const proto::Mac& mac, proto::Ip4 ip, uint64_t expires_s, uint64_t disk_tag);
  // ARP conflict detection, ahead of time so that no client waits: every kProbeEveryMs the
  // worker calls probe_tick, which sends (through send(ip)) ARP probes for the next free
  // addresses of the pools on the appliance's own subnet, at most kProbesInFlight at a time;
  // an address nobody claims within kProbeWaitMs counts as clear. arp_seen() is told about
  // every ARP frame: one from an address that is free, offered to another client, or being
  // probed means the address is in use: it is quarantined for a lease time and reported.
  static constexpr uint32_t kProbeEveryMs = 100, kProbeWaitMs = 500, kProbesInFlight = 8,
                            kProbeWindow = 32;
  template <class Send>
  void probe_tick(uint64_t now_ms, Send&& send);
  bool arp_seen(proto::Ip4 spa, const proto::Mac& sha, uint64_t now_s);  // true: a conflict
  uint64_t conflicts() const { return conflicts_; }

  // Housekeeping, about once a millisecond: expired leases go back to the free lists.
  void tick(uint64_t now_s) { pool_.sweep(now_s, kSweepPerTick); }
  const Lease* lease(const proto::Mac& mac) const { return pool_.find(mac); }
  const LeasePool& leases() const { return pool_; }

 private:
  Outcome discover(const proto::DhcpMessage& m, uint64_t now_s, proto::MutBytes out);
  Outcome request(const proto::DhcpMessage& m, uint64_t now_s, proto::MutBytes out);
  Outcome release(const proto::DhcpMessage& m);
  Outcome decline(const proto::DhcpMessage& m, uint64_t now_s);
  Outcome inform(const proto::DhcpMessage& m, proto::Ip4 src_ip, proto::MutBytes out);
  // proxyDHCP: an OFFER without an address, carrying the boot information, to PXE clients.
  Outcome proxy_offer(const proto::DhcpMessage& m, proto::MutBytes out);
  // A request about a lease we do not know: NAK when authoritative, else ignored.
  Outcome refuse(const proto::DhcpMessage& m, std::string_view why, proto::MutBytes out);

  // Giaddr's pool; else (when by_ciaddr) ciaddr's; else the pool of the server's own subnet.
  int select_pool(const proto::DhcpMessage& m, bool by_ciaddr) const;
  // The lease this client may be ACKed for address a in pool pi: its reservation there, or its
  // current offered/bound lease; nullptr when a is not this client's.
  Lease* record_for(const proto::DhcpMessage& m, int pi, proto::Ip4 a);
  Outcome ack(const proto::DhcpMessage& m, int pi, Lease* l, uint64_t now_s, proto::MutBytes out);
  Outcome nak(const proto::DhcpMessage& m, std::string_view why, proto::MutBytes out);
  Outcome no_reply(Drop d) const {
    Outcome o;
    o.drop = d;
    return o;
  }
  Reply reply_for(const proto::DhcpMessage& m, uint8_t type, const snap::Pool* pool) const;
  void emit(EventType t, const proto::Mac& mac, proto::Ip4 ip, uint16_t code = 0,
            std::string_view text = {});

  EventSink& events_;
  uint8_t worker_;
  const snap::Snapshot* snap_ = nullptr;
  LeaseObserver* observer_ = nullptr;
  LeasePool pool_;
  struct InFlight {
    proto::Ip4 ip;
    uint64_t until_ms;
  };
  InFlight probes_[kProbesInFlight] = {};
  uint32_t n_probes_ = 0;
  uint64_t conflicts_ = 0;
  char server_text_buf_[16] = {};
  std::string_view server_text_;
};

template <class Send>
void Server::probe_tick(uint64_t now_ms, Send&& send) {
  if (!snap_ || !snap_->dhcp.probe || snap_->dhcp.mode != snap::DhcpMode::server) return;
  uint32_t kept = 0;
  for (uint32_t i = 0; i < n_probes_; ++i) {
    Lease* l = pool_.slot(probes_[i].ip);
    if (now_ms < probes_[i].until_ms) {
      probes_[kept++] = probes_[i];
    } else if (l && l->probe == Lease::Probe::sent) {
      l->probe = Lease::Probe::clear;
    }
  }
  n_probes_ = kept;
  const int local = pool_.pool_of(snap_->server_ip);  // ARP reaches the own subnet only
  if (local < 0 || n_probes_ == kProbesInFlight) return;
  Lease* next[kProbesInFlight];
  uint32_t n = pool_.probe_candidates(local, next, kProbesInFlight - n_probes_, kProbeWindow);
  for (uint32_t i = 0; i < n; ++i) {
    next[i]->probe = Lease::Probe::sent;
    probes_[n_probes_++] = InFlight{next[i]->ip, now_ms + kProbeWaitMs};
    send(next[i]->ip);
  }
}

}  // namespace bs::dhcp
