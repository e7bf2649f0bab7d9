#include "lease_pool.hpp"

#include <bit>

namespace bs::dhcp {

namespace {

constexpr uint64_t bit(uint32_t i) {
  return uint64_t(1) << (i % 64);
}

uint32_t range_count(const snap::Pool& p) {
  if (p.last < p.first) return 0;
  uint64_t n = uint64_t(p.last) - p.first + 1;
  return uint32_t(n < kMaxRangeAddresses ? n : kMaxRangeAddresses);
}

}  // namespace

bool LeasePool::configure(const snap::Snapshot& s) {
  // What survives the swap, copied out before the slots are laid out again.
  std::vector<Lease> old;
  old.reserve(slots_.size());
  for (const Lease& l : slots_)
    if (l.state != LeaseState::free) old.push_back(l);

  pools_ = &s.pools;
  hosts_ = &s.hosts;
  server_ip_ = s.server_ip;

  ranges_.assign(s.pools.size(), Range{});
  uint64_t total = 0, words = 0;
  for (size_t i = 0; i < s.pools.size(); ++i) {
    Range& r = ranges_[i];
    r.first = s.pools[i].first;
    r.count = range_count(s.pools[i]);
    r.base = uint32_t(total);
    r.word = uint32_t(words);
    total += r.count;
    words += (uint64_t(r.count) + 63) / 64;
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

  used_.assign(words, 0);
  blocked_.assign(words, 0);
  for (const Range& r : ranges_)
    for (uint32_t k = 0; k < r.count; ++k)
      if (excluded(r.first + k)) blocked_[r.word + k / 64] |= bit(k);

  ok &= by_mac_.reset(slots_.size());
  if (!ok) return false;
  for (const Lease& l : old) {
    Lease* n = slot(l.ip);
    if (!n || n->state != LeaseState::free) continue;
    const snap::Host* owner = host_at(l.ip);
    if (owner ? (l.state == LeaseState::declined || owner->mac != l.mac) : excluded(l.ip)) continue;
    if (l.state == LeaseState::declined) {
      quarantine(n, l.expires_s);
    } else if (!by_mac_.find(l.mac.key())) {
      hold(n, l.mac, l.state, l.expires_s);
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
  const uint32_t* i = by_mac_.find(m.key());
  return i ? &slots_[*i] : nullptr;
}

const Lease* LeasePool::find(const proto::Mac& m) const {
  const uint32_t* i = by_mac_.find(m.key());
  return i ? &slots_[*i] : nullptr;
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
    if (p.prefix < 31 && (a == (p.subnet & p.mask()) || a == (p.subnet | ~p.mask()))) return true;
  }
  return false;
}

const LeasePool::Range* LeasePool::range_of(uint32_t slot) const {
  if (slot >= range_slots_) return nullptr;
  for (const Range& r : ranges_)
    if (slot >= r.base && slot - r.base < r.count) return &r;
  return nullptr;
}

void LeasePool::set_used(uint32_t slot, bool used) {
  const Range* r = range_of(slot);
  if (!r) return;
  uint32_t k = slot - r->base;
  if (used)
    used_[r->word + k / 64] |= bit(k);
  else
    used_[r->word + k / 64] &= ~bit(k);
}

Lease* LeasePool::allocate(int pool_index, uint64_t now_s) {
  if (pool_index < 0 || size_t(pool_index) >= ranges_.size()) return nullptr;
  Range& r = ranges_[size_t(pool_index)];
  if (r.count == 0) return nullptr;
  const uint32_t nwords = (r.count + 63) / 64;
  const uint32_t start = r.cursor % r.count;
  // Word by word from the cursor, wrapping once: the starting word is visited again at the end
  // for the bits before the cursor.
  for (uint32_t step = 0; step <= nwords; ++step) {
    uint32_t w = (start / 64 + step) % nwords;
    uint64_t free = ~(used_[r.word + w] | blocked_[r.word + w]);
    if (w == nwords - 1 && r.count % 64) free &= bit(r.count) - 1;
    if (step == 0) free &= ~uint64_t(0) << (start % 64);
    if (!free) continue;
    uint32_t k = w * 64 + uint32_t(std::countr_zero(free));
    r.cursor = k + 1;
    return &slots_[r.base + k];
  }
  return reclaim_expired(r, now_s);
}

Lease* LeasePool::reclaim_expired(Range& r, uint64_t now_s) {
  for (uint32_t n = 0; n < r.count; ++n) {
    uint32_t k = (r.cursor + n) % r.count;
    if (blocked_[r.word + k / 64] & bit(k)) continue;
    Lease* l = &slots_[r.base + k];
    if (l->state == LeaseState::free || !l->expired(now_s)) continue;
    release(l);
    r.cursor = k + 1;
    return l;
  }
  return nullptr;
}

void LeasePool::hold(Lease* l, const proto::Mac& m, LeaseState st, uint64_t expires_s) {
  const uint32_t idx = index_of(l);
  if (l->state != LeaseState::free && l->mac != m) release(l);
  if (const uint32_t* cur = by_mac_.find(m.key()); cur && *cur != idx) release(&slots_[*cur]);
  l->mac = m;
  l->state = st;
  l->expires_s = expires_s;
  set_used(idx, true);
  by_mac_.insert(m.key(), idx);
}

void LeasePool::release(Lease* l) {
  const uint32_t idx = index_of(l);
  if (l->state == LeaseState::offered || l->state == LeaseState::bound) {
    const uint32_t* cur = by_mac_.find(l->mac.key());
    if (cur && *cur == idx) by_mac_.erase(l->mac.key());
  }
  l->mac = proto::Mac{};
  l->state = LeaseState::free;
  l->expires_s = 0;
  set_used(idx, false);
}

void LeasePool::quarantine(Lease* l, uint64_t until_s) {
  release(l);
  l->state = LeaseState::declined;
  l->expires_s = until_s;
  set_used(index_of(l), true);
}

}  // namespace bs::dhcp
