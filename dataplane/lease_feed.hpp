// Durable leases from the worker's side: every binding change becomes a journal record on a ring
// to the service thread (which group-commits them, dhcp/journal.hpp), and a DHCPACK waits in an
// AckGate until the record it depends on is on disk (Shared::journal_committed).
//
// Tags: the worker numbers its records 2, 3, ...; tag 1 stands for "replayed from the journal at
// start", so leases restored from disk count as durable at once.
#pragma once
#include <rte_mbuf.h>

#include <cstdint>
#include <memory>

#include "dhcp/journal.hpp"
#include "dhcp/server.hpp"
#include "shared.hpp"

namespace bs {

// One ring element (worker -> service).
struct LeaseRecord {
  uint64_t tag = 0;
  dhcp::JournalLease lease;
};

inline constexpr uint64_t kReplayedTag = 1;

class LeaseFeed final : public dhcp::LeaseObserver {
 public:
  explicit LeaseFeed(Shared& shared) : shared_(shared) {}
  uint64_t bound(dhcp::Lease& l, uint64_t now_s, bool renewal) override;
  void freed(const dhcp::Lease& l) override;
  // Set when a record went onto the ring: the caller wakes the service thread.
  bool take_queued() {
    bool q = queued_;
    queued_ = false;
    return q;
  }

 private:
  bool push(const dhcp::JournalLease& r, uint64_t tag);
  Shared& shared_;
  uint64_t next_tag_ = kReplayedTag + 1;
  bool queued_ = false;
};

// DHCPACKs waiting for their journal record, in tag order (tags only grow). A reply that waited
// longer than kMaxWaitUs is dropped (the client retransmits its REQUEST; the record, once on
// disk, makes the next ACK immediate if the journal has failed since).
class AckGate {
 public:
  static constexpr uint32_t kCapacity = 4096;
  static constexpr uint64_t kMaxWaitUs = 3000000;
  explicit AckGate(WorkerCounters& n) : n_(n), q_(std::make_unique<Entry[]>(kCapacity)) {}
  ~AckGate();
  // Takes m; false (m freed, counted) when the gate is full.
  bool hold(rte_mbuf* m, uint64_t tag, uint64_t now_us);
  // Hands every reply whose record is committed to send(m); drops the ones that waited too long.
  // Returns how many left the gate.
  template <class Send>
  unsigned release(uint64_t committed, uint64_t now_us, Send&& send) {
    unsigned n = 0;
    while (count_ > 0) {
      Entry& e = q_[head_];
      if (e.tag <= committed) {
        send(e.m);
        n_.dhcp_acks_released.add();
      } else if (now_us - e.since_us > kMaxWaitUs) {
        rte_pktmbuf_free(e.m);
        n_.drops[unsigned(Drop::dhcp_ack_not_durable)].add();
      } else {
        break;
      }
      head_ = (head_ + 1) % kCapacity;
      --count_;
      ++n;
    }
    return n;
  }
  uint32_t waiting() const { return count_; }

 private:
  struct Entry {
    rte_mbuf* m;
    uint64_t tag;
    uint64_t since_us;
  };
  WorkerCounters& n_;
  std::unique_ptr<Entry[]> q_;
  uint32_t head_ = 0, count_ = 0;
};

}  // namespace bs
