// Leases and address allocation for the DHCP server. One slot per address of every pool range,
// plus one per reservation outside the ranges. Each range keeps its free addresses in a doubly
// linked list in the order they became free: allocation takes the head in O(1), a freed address
// goes to the tail, so an address stays unused for as long as possible after its holder let it
// go, and a returning client finds it again (previous()). Expired leases return to the list
// through sweep(), a few slots at a time. MAC -> lease, MAC -> reservation and address ->
// reservation indexes are rte_hash tables. All memory is reserved by configure() (when a
// snapshot is applied); nothing else here allocates.
//
// Durability is the journal's business (journal.hpp): Server reports every binding change to a
// LeaseObserver, and Lease::disk_tag says whether the binding is on disk.
#pragma once
#include <cstdint>
#include <vector>

#include "../proto/bytes.hpp"
#include "../snapshot/snapshot.hpp"
#include "key_index.hpp"

namespace bs::dhcp {

// A pool range is served up to this many addresses (a /10); the rest of a larger range is unused.
inline constexpr uint32_t kMaxRangeAddresses = 1u << 22;

enum class LeaseState : uint8_t { free, offered, bound, declined };

struct Lease {
  proto::Mac mac;          // holder; when free, its last holder (zero if none); zero if declined
  proto::Ip4 ip = 0;       // fixed per slot
  uint64_t expires_s = 0;  // monotonic seconds; offered/bound/declined end here
  LeaseState state = LeaseState::free;
  // The journal tag of the first record of the current binding (this MAC at this address); 0
  // when it has none. The binding is on disk once the journal has committed this tag.
  uint64_t disk_tag = 0;
  // ARP probe of a free address (Server::probe_tick): not yet, in flight, or nobody answered.
  enum class Probe : uint8_t { none, sent, clear } probe = Probe::none;
  bool expired(uint64_t now_s) const { return now_s >= expires_s; }
};

class LeasePool {
 public:
  // Lays out the slots for s's pools and reservations and carries over the current leases that
  // still fit: the address is in a pool range (or is the holder's own reservation) and is not
  // reserved for another host or otherwise excluded. Allocates. False when the indexes could
  // not be created (EAL memory exhausted): the pool must not be used then.
  bool configure(const snap::Snapshot& s);

  // Index of the first pool whose subnet contains a, or -1.
  int pool_of(proto::Ip4 a) const;
  const snap::Pool& pool(int i) const { return (*pools_)[size_t(i)]; }
  const snap::Host* host(const proto::Mac& m) const;  // reservation by MAC
  const snap::Host* host_at(proto::Ip4 a) const;      // reservation holding address a

  // The lease a MAC holds (offered or bound; possibly expired but not yet reused), or nullptr.
  Lease* find(const proto::Mac& m);
  const Lease* find(const proto::Mac& m) const;
  // The slot of a pool-range or reserved address, or nullptr.
  Lease* slot(proto::Ip4 a);
  // True for addresses never handed out dynamically: network, broadcast, router, server,
  // reservations, the pool's exclusions.
  bool excluded(proto::Ip4 a) const;

  // The address m held last, if it is free and nobody has held it since (a client that
  // released its lease, or let it expire, and comes back); nullptr otherwise.
  Lease* previous(const proto::Mac& m);
  // The address of pool i that has been free longest, in O(1); when none is, the pool's expired
  // leases are swept first. nullptr when exhausted. The slot comes back free: hold() takes it.
  Lease* allocate(int pool_index, uint64_t now_s);
  // Gives l to m in state st until expires_s; m's other lease, if any, is released.
  void hold(Lease* l, const proto::Mac& m, LeaseState st, uint64_t expires_s);
  void release(Lease* l);
  // A declined address: no holder, not handed out again before until_s.
  void quarantine(Lease* l, uint64_t until_s);
  // Puts back a binding replayed from the journal; false when it does not fit (see
  // Server::restore) or the MAC already holds a lease.
  bool restore(const proto::Mac& m, proto::Ip4 ip, uint64_t expires_s, uint64_t disk_tag);
  // Frees expired leases (offered, bound, declined) for reuse, looking at up to budget slots
  // from a rotating cursor. Returns how many were freed.
  uint32_t sweep(uint64_t now_s, uint32_t budget);
  // Up to max free addresses of pool i not probed yet, among the first `window` of its free
  // list (the next ones allocate() hands out). Returns how many were written to out.
  uint32_t probe_candidates(int pool_index, Lease** out, uint32_t max, uint32_t window);

  size_t slots() const { return slots_.size(); }
  size_t active() const { return active_; }  // offered + bound leases
  uint32_t free_count(int pool_index) const { return ranges_[size_t(pool_index)].free; }

 private:
  static constexpr uint32_t kNone = ~uint32_t(0);
  struct Range {
    proto::Ip4 first = 0;
    uint32_t count = 0;                             // addresses in [first, last]
    uint32_t base = 0;                              // first slot
    uint32_t head = kNone, tail = kNone, free = 0;  // the free list
  };
  uint32_t index_of(const Lease* l) const { return uint32_t(l - slots_.data()); }
  Range* range_of(uint32_t slot);
  void push_free(uint32_t slot);  // at the tail; only range slots that are not excluded
  void unlink(uint32_t slot);     // no-op when not listed
  void forget(uint32_t slot);     // drops the MAC index entry that points at slot, if any

  const std::vector<snap::Pool>* pools_ = nullptr;
  const std::vector<snap::Host>* hosts_ = nullptr;
  std::vector<Range> ranges_;  // parallel to the snapshot's pools
  std::vector<Lease> slots_;   // range slots first, then reservations outside every range
  uint32_t range_slots_ = 0;
  std::vector<uint32_t> next_, prev_;  // free-list links per range slot; prev_ kNone: unlisted
  size_t active_ = 0;
  uint32_t sweep_cursor_ = 0;
  KeyIndex by_mac_;       // MAC key -> slot of its lease, or of its previous (free) address
  KeyIndex host_by_mac_;  // MAC key -> host index
  KeyIndex host_by_ip_;   // address -> host index
  KeyIndex extra_slot_;   // reserved address outside the ranges -> slot
  proto::Ip4 server_ip_ = 0;
};

}  // namespace bs::dhcp
