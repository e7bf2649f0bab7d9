// The lease table on its own: the hash index, allocation order, exclusions and reclaiming.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "dataplane/dhcp/key_index.hpp"
#include "dataplane/dhcp/lease_pool.hpp"
#include "dhcp_request.hpp"

namespace bs::dhcp {
namespace {

using test::ip;
using test::mac;

TEST(KeyIndex, MatchesAMapUnderRandomInsertAndErase) {
  KeyIndex idx;
  idx.reset(500);
  std::map<uint64_t, uint32_t> ref;
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    uint64_t key = rng() % 700;  // collisions and re-inserts are frequent
    if (rng() % 3 == 0) {
      idx.erase(key);
      ref.erase(key);
    } else if (ref.size() < 500 || ref.count(key)) {
      ASSERT_TRUE(idx.insert(key, uint32_t(i)));
      ref[key] = uint32_t(i);
    } else {
      EXPECT_FALSE(idx.insert(key, 1));  // full at max_entries
    }
    ASSERT_EQ(idx.size(), ref.size());
  }
  for (uint64_t key = 0; key < 700; ++key) {
    const uint32_t* v = idx.find(key);
    auto it = ref.find(key);
    ASSERT_EQ(v != nullptr, it != ref.end()) << key;
    if (v) {
      EXPECT_EQ(*v, it->second);
    }
  }
}

snap::Snapshot pool_snapshot() {
  snap::Snapshot s;
  s.server_ip = ip(10, 1, 0, 1);
  snap::Pool p;
  p.subnet = ip(10, 1, 0, 0);
  p.prefix = 24;
  p.first = ip(10, 1, 0, 0);
  p.last = ip(10, 1, 0, 255);
  p.router = ip(10, 1, 0, 254);
  s.pools.push_back(p);
  snap::Host h;
  h.mac = mac(200);
  h.address = ip(10, 1, 0, 77);
  s.hosts.push_back(h);
  snap::Host outside;  // a reservation outside the range gets its own slot
  outside.mac = mac(201);
  outside.address = ip(10, 2, 0, 5);
  s.hosts.push_back(outside);
  return s;
}

TEST(LeasePool, AllocatesEveryUsableAddressOnceThenReclaimsExpired) {
  snap::Snapshot s = pool_snapshot();
  LeasePool pool;
  pool.configure(s);
  EXPECT_EQ(pool.slots(), 257u);
  std::set<proto::Ip4> got;
  for (int i = 0;; ++i) {
    Lease* l = pool.allocate(0, 100);
    if (!l) break;
    ASSERT_EQ(l->state, LeaseState::free);
    pool.hold(l, mac(uint8_t(i), uint8_t(i >> 8)), LeaseState::bound, 200);
    ASSERT_TRUE(got.insert(l->ip).second);
  }
  // 256 addresses minus network, broadcast, router, server and one reservation.
  EXPECT_EQ(got.size(), 251u);
  for (proto::Ip4 a :
       {ip(10, 1, 0, 0), ip(10, 1, 0, 255), ip(10, 1, 0, 254), ip(10, 1, 0, 1), ip(10, 1, 0, 77)})
    EXPECT_FALSE(got.count(a));
  EXPECT_EQ(pool.active(), 251u);
  EXPECT_EQ(pool.allocate(0, 199), nullptr);
  EXPECT_EQ(pool.free_count(0), 0u);
  Lease* again = pool.allocate(0, 200);  // all expired now: the exhausted pool is swept
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->state, LeaseState::free);
  EXPECT_EQ(pool.active(), 0u);
  EXPECT_EQ(pool.free_count(0), 251u);
}

TEST(LeasePool, FreedAddressesAreReusedLeastRecentlyFirstAndRemembered) {
  snap::Snapshot s = pool_snapshot();
  LeasePool pool;
  pool.configure(s);
  Lease* a = pool.allocate(0, 0);
  pool.hold(a, mac(1), LeaseState::bound, 60);
  const proto::Ip4 first = a->ip;
  pool.release(a);
  EXPECT_EQ(pool.find(mac(1)), nullptr);
  EXPECT_EQ(pool.previous(mac(1)), a);  // still unused: the client may come back for it
  // Every other free address (251 usable, minus this one) goes before it.
  for (int i = 0; i < 250; ++i) {
    Lease* l = pool.allocate(0, 0);
    ASSERT_NE(l->ip, first) << i;
    pool.hold(l, mac(uint8_t(10 + i % 200), uint8_t(i / 200 + 1)), LeaseState::bound, 60);
  }
  EXPECT_EQ(pool.previous(mac(1)), a);
  Lease* last = pool.allocate(0, 0);
  EXPECT_EQ(last->ip, first);
  pool.hold(last, mac(99, 9), LeaseState::bound, 60);
  EXPECT_EQ(pool.previous(mac(1)), nullptr);  // taken by someone else now
  EXPECT_EQ(pool.allocate(0, 0), nullptr);
}

TEST(LeasePool, SweepFreesExpiredLeasesAndQuarantines) {
  snap::Snapshot s = pool_snapshot();
  LeasePool pool;
  pool.configure(s);
  Lease* a = pool.allocate(0, 0);
  pool.hold(a, mac(1), LeaseState::offered, 60);
  Lease* b = pool.allocate(0, 0);
  pool.hold(b, mac(2), LeaseState::bound, 100);
  Lease* c = pool.allocate(0, 0);
  pool.quarantine(c, 80);
  const uint32_t free_before = pool.free_count(0);
  EXPECT_EQ(pool.sweep(59, 1000), 0u);
  EXPECT_EQ(pool.sweep(80, 1000), 2u);  // the offer and the quarantine end
  EXPECT_EQ(pool.free_count(0), free_before + 2);
  EXPECT_EQ(pool.find(mac(2)), b);
  EXPECT_EQ(pool.previous(mac(1)), a);
  // A small budget covers the table in several calls.
  uint32_t freed = 0;
  for (int i = 0; i < 4; ++i) freed += pool.sweep(100, 100);
  EXPECT_EQ(freed, 1u);
  EXPECT_EQ(pool.active(), 0u);
}

TEST(LeasePool, CursorRotatesSoAFreedAddressIsNotReusedAtOnce) {
  snap::Snapshot s = pool_snapshot();
  LeasePool pool;
  pool.configure(s);
  Lease* a = pool.allocate(0, 0);
  pool.hold(a, mac(1), LeaseState::offered, 60);
  proto::Ip4 first = a->ip;
  pool.release(a);
  Lease* b = pool.allocate(0, 0);
  EXPECT_NE(b->ip, first);
}

TEST(LeasePool, HoldMovesAMacAndIndexesFindIt) {
  snap::Snapshot s = pool_snapshot();
  LeasePool pool;
  pool.configure(s);
  Lease* a = pool.allocate(0, 0);
  pool.hold(a, mac(1), LeaseState::offered, 60);
  EXPECT_EQ(pool.find(mac(1)), a);
  Lease* r = pool.slot(ip(10, 2, 0, 5));
  ASSERT_NE(r, nullptr);
  pool.hold(r, mac(1), LeaseState::bound, 60);  // one lease per MAC: a is released
  EXPECT_EQ(pool.find(mac(1)), r);
  EXPECT_EQ(a->state, LeaseState::free);
  EXPECT_EQ(pool.host(mac(201))->address, ip(10, 2, 0, 5));
  EXPECT_EQ(pool.host_at(ip(10, 1, 0, 77))->mac, mac(200));
  EXPECT_EQ(pool.host(mac(3)), nullptr);
  EXPECT_EQ(pool.slot(ip(10, 3, 0, 1)), nullptr);
  pool.quarantine(r, 500);
  EXPECT_EQ(pool.find(mac(1)), nullptr);
  EXPECT_EQ(r->state, LeaseState::declined);
}

}  // namespace
}  // namespace bs::dhcp
