// Per-worker TFTP transfer slots: port <-> slot mapping, FIFO reuse, capacity.
#include <gtest/gtest.h>

#include <set>

#include "dataplane/tftp/session_table.hpp"

namespace bs::tftp {
namespace {

TEST(SessionTable, OpenFindCloseAndFull) {
  SessionTable t(50000, 50003);
  EXPECT_EQ(t.capacity(), 4u);
  EXPECT_EQ(t.size(), 0u);
  std::set<uint16_t> ports;
  Transfer* opened[4];
  for (int i = 0; i < 4; ++i) {
    opened[i] = t.open(100 + i);
    ASSERT_NE(opened[i], nullptr);
    EXPECT_EQ(opened[i]->local_port, 50000 + i);  // ascending at first
    EXPECT_EQ(opened[i]->index, uint32_t(i));
    EXPECT_EQ(opened[i]->start_us, uint64_t(100 + i));
    EXPECT_FALSE(opened[i]->active);
    ports.insert(opened[i]->local_port);
  }
  EXPECT_EQ(ports.size(), 4u);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.open(200), nullptr);  // full

  EXPECT_EQ(t.find(50002), opened[2]);
  EXPECT_EQ(t.at(2), opened[2]);
  EXPECT_EQ(t.find(49999), nullptr);
  EXPECT_EQ(t.find(50004), nullptr);
  EXPECT_EQ(t.at(4), nullptr);

  t.close(opened[2]);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.find(50002), nullptr);
  EXPECT_EQ(t.at(2), nullptr);
  t.close(opened[2]);  // twice: no effect
  EXPECT_EQ(t.size(), 3u);
  Transfer* again = t.open(300);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->local_port, 50002);  // the only free one
  EXPECT_EQ(again->start_us, 300u);
}

TEST(SessionTable, JustFreedPortIsNotReusedAtOnce) {
  SessionTable t(7000, 7009);
  Transfer* a = t.open(0);
  Transfer* b = t.open(0);
  EXPECT_EQ(a->local_port, 7000);
  EXPECT_EQ(b->local_port, 7001);
  a->user = &t;
  a->peer.port = 1234;
  t.close(a);
  Transfer* c = t.open(0);
  EXPECT_EQ(c->local_port, 7002);  // not 7000
  std::set<uint16_t> rest;
  for (int i = 0; i < 7; ++i) rest.insert(t.open(0)->local_port);
  EXPECT_EQ(rest.size(), 7u);
  EXPECT_EQ(rest.count(7000), 0u);
  Transfer* last = t.open(0);  // 7000 comes back last
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->local_port, 7000);
  EXPECT_EQ(last, t.find(7000));
  EXPECT_EQ(last->user, nullptr);  // reset on reopen
  EXPECT_EQ(last->peer.port, 0);
  EXPECT_EQ(t.open(0), nullptr);
}

TEST(SessionTable, EmptyRangeHasNoSlots) {
  SessionTable t(10, 9);
  EXPECT_EQ(t.capacity(), 0u);
  EXPECT_EQ(t.open(0), nullptr);
  EXPECT_EQ(t.find(10), nullptr);
}

}  // namespace
}  // namespace bs::tftp
