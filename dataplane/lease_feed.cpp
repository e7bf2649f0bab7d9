#include "lease_feed.hpp"

#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <time.h>

namespace bs {

namespace {
uint64_t realtime_s() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec);
}
}  // namespace

bool LeaseFeed::push(const dhcp::JournalLease& r, uint64_t tag) {
  LeaseRecord rec{tag, r};
  if (rte_ring_enqueue_elem(shared_.lease_records, &rec, sizeof(rec)) != 0) return false;
  queued_ = true;
  return true;
}

uint64_t LeaseFeed::bound(dhcp::Lease& l, uint64_t now_s, bool renewal) {
  if (!renewal) l.disk_tag = 0;
  const uint64_t committed = shared_.journal_committed.load(std::memory_order_acquire);
  const bool on_disk = l.disk_tag != 0 && l.disk_tag <= committed;
  dhcp::JournalLease r;
  r.mac = l.mac;
  r.ip = l.ip;
  r.expires_unix_s = realtime_s() + (l.expires_s > now_s ? l.expires_s - now_s : 0);
  r.bound = true;
  // A full ring: a binding already on disk is still renewed (its extension is not durable);
  // a new one is not acknowledged.
  if (!push(r, next_tag_)) return on_disk ? 0 : kRefuse;
  const uint64_t tag = next_tag_++;
  if (l.disk_tag == 0) l.disk_tag = tag;
  // A failed journal (full disk, I/O error) stops new bindings from being acknowledged until it
  // recovers, but renewals of bindings on disk keep working.
  if (on_disk && !shared_.journal_healthy.load(std::memory_order_relaxed)) return 0;
  return tag;
}

void LeaseFeed::freed(const dhcp::Lease& l) {
  dhcp::JournalLease r;
  r.mac = l.mac;
  r.ip = l.ip;
  r.bound = false;
  // Best effort: a lost release only keeps the address reserved for its last holder after a
  // restart, until the recorded lease expires.
  if (push(r, next_tag_)) ++next_tag_;
}

AckGate::~AckGate() {
  for (; count_ > 0; --count_, head_ = (head_ + 1) % kCapacity) rte_pktmbuf_free(q_[head_].m);
}

bool AckGate::hold(rte_mbuf* m, uint64_t tag, uint64_t now_us) {
  if (count_ == kCapacity) {
    rte_pktmbuf_free(m);
    n_.drops[unsigned(Drop::dhcp_ack_gate_full)].add();
    return false;
  }
  q_[(head_ + count_) % kCapacity] = Entry{m, tag, now_us};
  ++count_;
  n_.dhcp_acks_held.add();
  return true;
}

}  // namespace bs
