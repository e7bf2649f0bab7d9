#include "lease_pool.hpp"

#include <utility>

namespace bs::dhcp {

namespace {

uint32_t range_count(const snap::Pool& p) {
  if (p.last < p.first) return 0;
  uint64_t n = uint64_t(p.last) - p.first + 1;
  return uint32_t(n < kMaxRangeAddresses ? n : kMaxRangeAddresses);
}

}  // namespace

bool LeasePool::configure(const snap::Snapshot& s) {
  // What survives the swap, copied out before the slots are laid out again.
  std::vector<Lease> old;
  old.reserve(active_);
  for (const Lease& l : slots_)
    if (l.state != LeaseState::free) old.push_back(l);

  pools_ = &s.pools;
  hosts_ = &s.hosts;
  server_ip_ = s.server_ip;

  ranges_.assign(s.pools.size(), Range{});
  uint64_t total = 0;
  for (size_t i = 0; i < s.pools.size(); ++i) {
    Range& r = ranges_[i];
    r.first = s.pools[i].first;
    r.count = range_count(s.pools[i]);
    r.base = uint32_t(total);
    total += r.count;
  }
  range_slots_ = uint32_t(total);

  bool ok = host_by_mac_.reset(s.hosts.size());
  ok &= host_by_ip_.reset(s.hosts.size());
  ok &= extra_slot_.reset(s.hosts.size());
  for (size_t h = 0; h < s.hosts.size(); ++h) {
    if (!host_by_mac_.find(s.hosts[h].mac.key()))
      host_by_mac_.insert(s.hosts[h].mac.key(), uint32_t(h));
    if (!host_by_ip_.find(s.hosts[h].address)) host_by_ip_.insert(s.hosts[h].address, uint32_t(h));
  }

  slots_.assign(range_slots_, Lease{});
  for (const Range& r : ranges_)
    for (uint32_t k = 0; k < r.count; ++k) slots_[r.base + k].ip = r.first + k;
  for (const snap::Host& h : s.hosts) {
    if (h.address == 0 || slot(h.address)) continue;
    Lease l;
    l.ip = h.address;
    extra_slot_.insert(h.address, uint32_t(slots_.size()));
    slots_.push_back(l);
  }
  active_ = 0;
  sweep_cursor_ = 0;
  next_.assign(range_slots_, kNone);
  prev_.assign(range_slots_, kNone);
  for (uint32_t i = 0; i < range_slots_; ++i) push_free(i);

  ok &= by_mac_.reset(slots_.size());
  if (!ok) return false;
  for (const Lease& l : old) {
    Lease* n = slot(l.ip);
    if (!n || n->state != LeaseState::free) continue;
    const snap::Host* owner = host_at(l.ip);
    if (owner ? (l.state == LeaseState::declined || owner->mac != l.mac) : excluded(l.ip)) continue;
    if (l.state == LeaseState::declined) {
      quarantine(n, l.expires_s);
    } else if (!find(l.mac)) {
      hold(n, l.mac, l.state, l.expires_s);
      n->disk_tag = l.disk_tag;
    }
  }
  return true;
}

int LeasePool::pool_of(proto::Ip4 a) const {
  if (!pools_) return -1;
  for (size_t i = 0; i < pools_->size(); ++i)
    if ((*pools_)[i].contains(a)) return int(i);
  return -1;
}

const snap::Host* LeasePool::host(const proto::Mac& m) const {
  const uint32_t* h = host_by_mac_.find(m.key());
  return h ? &(*hosts_)[*h] : nullptr;
}

const snap::Host* LeasePool::host_at(proto::Ip4 a) const {
  const uint32_t* h = host_by_ip_.find(a);
  return h ? &(*hosts_)[*h] : nullptr;
}

Lease* LeasePool::find(const proto::Mac& m) {
  return const_cast<Lease*>(std::as_const(*this).find(m));
}

const Lease* LeasePool::find(const proto::Mac& m) const {
  const uint32_t* i = by_mac_.find(m.key());
  if (!i) return nullptr;
  const Lease& l = slots_[*i];
  return (l.state == LeaseState::offered || l.state == LeaseState::bound) && l.mac == m ? &l
                                                                                        : nullptr;
}

Lease* LeasePool::slot(proto::Ip4 a) {
  for (const Range& r : ranges_)
    if (a >= r.first && uint64_t(a) - r.first < r.count) return &slots_[r.base + (a - r.first)];
  const uint32_t* i = extra_slot_.find(a);
  return i ? &slots_[*i] : nullptr;
}

bool LeasePool::excluded(proto::Ip4 a) const {
  if (a == 0 || a == server_ip_ || host_at(a)) return true;
  if (!pools_) return false;
  for (const snap::Pool& p : *pools_) {
    if (!p.contains(a)) continue;
    if (a == p.router) return true;
    for (const auto& [lo, hi] : p.exclude)
      if (a >= lo && a <= hi) return true;
    if (p.prefix < 31 && (a == (p.subnet & p.mask()) || a == (p.subnet | ~p.mask()))) return true;
  }
  return false;
}

LeasePool::Range* LeasePool::range_of(uint32_t slot) {
  if (slot >= range_slots_) return nullptr;
  for (Range& r : ranges_)
    if (slot >= r.base && slot - r.base < r.count) return &r;
  return nullptr;
}

void LeasePool::push_free(uint32_t i) {
  Range* r = range_of(i);
  if (!r || prev_[i] != kNone || r->head == i || excluded(slots_[i].ip)) return;
  next_[i] = kNone;
  prev_[i] = r->tail;
  if (r->tail == kNone)
    r->head = i;
  else
    next_[r->tail] = i;
  r->tail = i;
  if (r->head == i) prev_[i] = kNone;
  ++r->free;
}

void LeasePool::unlink(uint32_t i) {
  Range* r = range_of(i);
  if (!r || (prev_[i] == kNone && r->head != i)) return;
  if (prev_[i] == kNone)
    r->head = next_[i];
  else
    next_[prev_[i]] = next_[i];
  if (next_[i] == kNone)
    r->tail = prev_[i];
  else
    prev_[next_[i]] = prev_[i];
  next_[i] = prev_[i] = kNone;
  --r->free;
}

void LeasePool::forget(uint32_t i) {
  const proto::Mac& m = slots_[i].mac;
  if (m.is_zero()) return;
  const uint32_t* cur = by_mac_.find(m.key());
  if (cur && *cur == i) by_mac_.erase(m.key());
}

Lease* LeasePool::allocate(int pool_index, uint64_t now_s) {
  if (pool_index < 0 || size_t(pool_index) >= ranges_.size()) return nullptr;
  Range& r = ranges_[size_t(pool_index)];
  if (r.head == kNone) {
    // Exhausted as far as the list knows: expired leases of this range come back first.
    for (uint32_t k = 0; k < r.count; ++k) {
      Lease& l = slots_[r.base + k];
      if (l.state != LeaseState::free && l.expired(now_s)) release(&l);
    }
    if (r.head == kNone) return nullptr;
  }
  return &slots_[r.head];
}

Lease* LeasePool::previous(const proto::Mac& m) {
  const uint32_t* i = by_mac_.find(m.key());
  if (!i) return nullptr;
  Lease& l = slots_[*i];
  return l.state == LeaseState::free && l.mac == m ? &l : nullptr;
}

void LeasePool::hold(Lease* l, const proto::Mac& m, LeaseState st, uint64_t expires_s) {
  const uint32_t idx = index_of(l);
  const bool active = l->state == LeaseState::offered || l->state == LeaseState::bound;
  if (active && l->mac != m) {
    release(l);  // its holder loses it (an expired lease reclaimed, a reservation enforced)
  }
  if (l->state != LeaseState::offered && l->state != LeaseState::bound) {
    unlink(idx);
    if (l->mac != m) forget(idx);  // the last holder's claim on it ends
    ++active_;
  }
  if (const uint32_t* cur = by_mac_.find(m.key()); cur && *cur != idx) {
    Lease& other = slots_[*cur];
    if (other.mac == m && (other.state == LeaseState::offered || other.state == LeaseState::bound))
      release(&other);  // one lease per MAC
  }
  l->mac = m;
  l->state = st;
  l->expires_s = expires_s;
  by_mac_.insert(m.key(), idx);
}

void LeasePool::release(Lease* l) {
  if (l->state == LeaseState::free) return;
  if (l->state == LeaseState::offered || l->state == LeaseState::bound) --active_;
  l->state = LeaseState::free;
  l->expires_s = 0;
  l->disk_tag = 0;
  l->probe = Lease::Probe::none;
  push_free(index_of(l));  // the MAC stays: it is this address's last holder
}

bool LeasePool::restore(const proto::Mac& m, proto::Ip4 ip, uint64_t expires_s, uint64_t disk_tag) {
  Lease* l = slot(ip);
  if (!l || l->state != LeaseState::free || find(m)) return false;
  const snap::Host* owner = host_at(ip);
  if (owner ? owner->mac != m : excluded(ip)) return false;
  hold(l, m, LeaseState::bound, expires_s);
  l->disk_tag = disk_tag;
  return true;
}

void LeasePool::quarantine(Lease* l, uint64_t until_s) {
  release(l);
  const uint32_t idx = index_of(l);
  unlink(idx);
  forget(idx);
  l->mac = proto::Mac{};
  l->state = LeaseState::declined;
  l->expires_s = until_s;
}

uint32_t LeasePool::probe_candidates(int pool_index, Lease** out, uint32_t max, uint32_t window) {
  uint32_t n = 0;
  const Range& r = ranges_[size_t(pool_index)];
  for (uint32_t i = r.head, k = 0; i != kNone && k < window && n < max; i = next_[i], ++k)
    if (slots_[i].probe == Lease::Probe::none) out[n++] = &slots_[i];
  return n;
}

uint32_t LeasePool::sweep(uint64_t now_s, uint32_t budget) {
  const uint32_t n = uint32_t(slots_.size());
  uint32_t freed = 0;
  for (uint32_t k = 0; k < budget && k < n; ++k) {
    if (sweep_cursor_ >= n) sweep_cursor_ = 0;
    Lease& l = slots_[sweep_cursor_++];
    if (l.state != LeaseState::free && l.expired(now_s)) {
      release(&l);
      ++freed;
    }
  }
  return freed;
}

}  // namespace bs::dhcp
