// Leases and address allocation for the DHCP server. One slot per address of every pool range,
// plus one per reservation outside the ranges; a free-address bitmap per pool with a rotating
// cursor; MAC -> lease, MAC -> reservation and address -> reservation indexes. All memory is
// reserved by configure() (when a snapshot is applied); nothing else here allocates.
//
// Leases live in memory only for now. Durability (the append-only journal that a DHCPACK must
// wait for) is a later issue; Server reports every binding change to a LeaseObserver, which is
// where that journal will hook in.
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
  proto::Mac mac;          // holder (meaningless when free or declined)
  proto::Ip4 ip = 0;       // fixed per slot
  uint64_t expires_s = 0;  // monotonic seconds; offered/bound/declined end here
  LeaseState state = LeaseState::free;
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
  // reservations.
  bool excluded(proto::Ip4 a) const;

  // A free address of pool i: first a never-used or released one (bitmap scan from a rotating
  // cursor, 64 addresses per step); when there is none, an expired lease is reclaimed (a linear
  // scan, only when the pool looks full). nullptr when exhausted. The slot comes back free.
  Lease* allocate(int pool_index, uint64_t now_s);
  // Gives l to m in state st until expires_s; m's other lease, if any, is released.
  void hold(Lease* l, const proto::Mac& m, LeaseState st, uint64_t expires_s);
  void release(Lease* l);
  // A declined address: no holder, not handed out again before until_s.
  void quarantine(Lease* l, uint64_t until_s);

  size_t slots() const { return slots_.size(); }
  size_t active() const { return by_mac_.size(); }  // offered + bound leases

 private:
  struct Range {
    proto::Ip4 first = 0;
    uint32_t count = 0;  // addresses in [first, last]
    uint32_t base = 0;   // first slot
    uint32_t word = 0;   // first bitmap word
    uint32_t cursor = 0;
  };
  uint32_t index_of(const Lease* l) const { return uint32_t(l - slots_.data()); }
  const Range* range_of(uint32_t slot) const;
  void set_used(uint32_t slot, bool used);
  Lease* reclaim_expired(Range& r, uint64_t now_s);

  const std::vector<snap::Pool>* pools_ = nullptr;
  const std::vector<snap::Host>* hosts_ = nullptr;
  std::vector<Range> ranges_;  // parallel to the snapshot's pools
  std::vector<Lease> slots_;   // range slots first, then reservations outside every range
  uint32_t range_slots_ = 0;
  std::vector<uint64_t> used_;     // per range slot: not free
  std::vector<uint64_t> blocked_;  // per range slot: excluded()
  KeyIndex by_mac_;                // MAC key -> slot of its lease
  KeyIndex host_by_mac_;           // MAC key -> host index
  KeyIndex host_by_ip_;            // address -> host index
  KeyIndex extra_slot_;            // reserved address outside the ranges -> slot
  proto::Ip4 server_ip_ = 0;
};

}  // namespace bs::dhcp
