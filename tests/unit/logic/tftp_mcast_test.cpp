// The multicast transmission state machine (dataplane/tftp/mcast.hpp): masters, listeners,
// promotion, repositioning at a new master's hole, sliding windows, go-back once per hole,
// demotion of a silent master, dropping members that never answer, PXE MTFTP's lock-step.
#include <gtest/gtest.h>

#include <vector>

#include "dataplane/tftp/mcast.hpp"

namespace bs::tftp {
namespace {

uint8_t kData[100];

Peer peer(uint32_t n) {
  return Peer{proto::Mac{}, 0x0a4d0000u + n, uint16_t(40000 + n)};
}

Limits limits() {
  Limits l;
  l.rto_initial_us = 1000;
  l.rto_min_us = 1000;
  l.rto_max_us = 64000;
  l.max_retries = 4;
  return l;
}

// Sends everything due; returns the blocks and how many were repairs.
struct Burst {
  std::vector<uint64_t> blocks;
  unsigned repairs = 0;
};
Burst drain(McastGroup& g, uint64_t now) {
  Burst b;
  while (g.has_pending()) {
    const uint64_t i = g.next_block();
    b.blocks.push_back(i);
    b.repairs += g.sent(i, now) ? 1 : 0;
  }
  return b;
}

std::vector<uint64_t> seq(uint64_t a, uint64_t b) {
  std::vector<uint64_t> v;
  for (uint64_t i = a; i <= b; ++i) v.push_back(i);
  return v;
}

// 75 bytes in blocks of 8: blocks 1..10, the last one 3 bytes long.
McastGroup group(bool pxe = false) {
  McastGroup g;
  g.start(File{kData, 75}, 8, pxe, limits());
  return g;
}

TEST(McastGroup, FirstMemberIsMasterAndPacesTheStream) {
  McastGroup g = group();
  EXPECT_EQ(g.blocks(), 10u);
  EXPECT_EQ(g.length(10), 3);
  const Member* a = g.join(peer(1), 1, {}, 0);
  EXPECT_TRUE(g.is_master(a));
  EXPECT_FALSE(g.has_pending());  // waits for the master's ACK 0 to its OACK
  EXPECT_GT(g.deadline_us(), 0u);
  ASSERT_TRUE(g.on_ack(peer(1), 0, 10));
  EXPECT_EQ(drain(g, 20).blocks, std::vector<uint64_t>{1});
  for (uint16_t n = 1; n < 10; ++n) {
    auto out = g.on_ack(peer(1), n, 30 + n);
    ASSERT_TRUE(out);
    EXPECT_FALSE(out->done);
    EXPECT_EQ(drain(g, 30 + n).blocks, std::vector<uint64_t>{uint64_t(n) + 1});
  }
  auto out = g.on_ack(peer(1), 10, 100);
  ASSERT_TRUE(out);
  ASSERT_TRUE(out->done);
  EXPECT_EQ(out->done->ip, peer(1).ip);
  EXPECT_TRUE(out->empty);
  EXPECT_EQ(g.members(), 0u);
}

TEST(McastGroup, ALateMemberGetsTheBeginningWhenPromoted) {
  McastGroup g = group();
  g.join(peer(1), 1, {}, 0);
  g.on_ack(peer(1), 0, 1);
  for (uint16_t n = 1; n <= 4; ++n) {
    drain(g, n);
    g.on_ack(peer(1), n, n);
  }
  const Member* b = g.join(peer(2), 1, {}, 5);  // joins after block 4: it has 5..10 later
  EXPECT_FALSE(g.is_master(b));
  EXPECT_EQ(g.members(), 2u);
  unsigned repairs = 0;
  for (uint16_t n = 5; n <= 9; ++n) {
    repairs += drain(g, n).repairs;
    g.on_ack(peer(1), n, n);
  }
  repairs += drain(g, 10).repairs;
  EXPECT_EQ(repairs, 0u);
  auto out = g.on_ack(peer(1), 10, 11);  // the master is done: b is promoted
  ASSERT_TRUE(out && out->done);
  EXPECT_TRUE(out->oack_master);
  EXPECT_FALSE(out->empty);
  EXPECT_EQ(g.master()->peer.ip, peer(2).ip);
  EXPECT_EQ(g.promotions(), 1u);
  EXPECT_FALSE(g.has_pending());
  g.on_ack(peer(2), 0, 12);  // its hole is block 1
  Burst r = drain(g, 12);
  EXPECT_EQ(r.blocks, std::vector<uint64_t>{1});
  EXPECT_EQ(r.repairs, 1u);
  for (uint16_t n = 1; n <= 3; ++n) {
    g.on_ack(peer(2), n, 12 + n);
    EXPECT_EQ(drain(g, 12 + n).repairs, 1u);
  }
  out = g.on_ack(peer(2), 10, 20);  // block 4 filled its last hole
  ASSERT_TRUE(out && out->done && out->empty);
}

TEST(McastGroup, ListenersLeaveOnTheLastBlockAndAreToldToListenOtherwise) {
  McastGroup g = group();
  g.join(peer(1), 1, {}, 0);
  g.join(peer(2), 1, {}, 0);
  g.join(peer(3), 1, {}, 0);
  EXPECT_EQ(g.join(peer(2), 1, {}, 1), g.join(peer(2), 1, {}, 2));  // a resent request
  EXPECT_EQ(g.members(), 3u);
  auto out = g.on_ack(peer(2), 3, 5);
  ASSERT_TRUE(out && out->listener);
  EXPECT_EQ(out->listener->ip, peer(2).ip);
  out = g.on_ack(peer(3), 10, 6);
  ASSERT_TRUE(out && out->done);
  EXPECT_EQ(out->done->ip, peer(3).ip);
  EXPECT_EQ(g.members(), 2u);
  EXPECT_FALSE(g.on_ack(peer(9), 1, 7));  // not a member
}

TEST(McastGroup, WindowsSlideAndAHoleGoesBackOnce) {
  McastGroup g = group();
  g.join(peer(1), 4, {}, 0);
  g.on_ack(peer(1), 0, 1);
  EXPECT_EQ(drain(g, 2).blocks, seq(1, 4));
  g.on_ack(peer(1), 2, 3);  // progress inside the window: slides, nothing resent
  EXPECT_EQ(drain(g, 3).blocks, seq(5, 6));
  g.on_ack(peer(1), 2, 4);  // the same ACK again: a hole at 3
  Burst r = drain(g, 4);
  EXPECT_EQ(r.blocks, seq(3, 6));
  EXPECT_EQ(r.repairs, 4u);
  g.on_ack(peer(1), 2, 5);  // once per hole
  EXPECT_FALSE(g.has_pending());
  g.on_ack(peer(1), 6, 6);
  EXPECT_EQ(drain(g, 6).blocks, seq(7, 10));
  auto out = g.on_ack(peer(1), 10, 7);
  EXPECT_TRUE(out && out->empty);
}

TEST(McastGroup, LockStepDuplicateAcksResendNothing) {
  McastGroup g = group();
  g.join(peer(1), 1, {}, 0);
  g.on_ack(peer(1), 0, 0);
  drain(g, 0);
  g.on_ack(peer(1), 1, 1);
  EXPECT_EQ(drain(g, 1).blocks, std::vector<uint64_t>{2});
  // Block 2 resent on a (spurious) timeout, the master's ACK 1 was on its way, then its ACK 2.
  g.on_timeout(g.deadline_us());
  EXPECT_EQ(drain(g, 2).blocks, std::vector<uint64_t>{2});
  g.on_ack(peer(1), 2, 3);
  EXPECT_EQ(drain(g, 3).blocks, std::vector<uint64_t>{3});
  // The answer to the resent block 2: ACK 2 again. Nothing is sent again (Sorcerer's Apprentice).
  g.on_ack(peer(1), 2, 4);
  EXPECT_FALSE(g.has_pending());
}

TEST(McastGroup, SilenceResendsTheWindowWithBackoffThenDropsALoneMaster) {
  McastGroup g = group();
  g.join(peer(1), 2, {}, 0);
  g.on_ack(peer(1), 0, 0);
  drain(g, 0);
  const uint64_t d1 = g.deadline_us();
  EXPECT_EQ(d1, 1000u);
  McastOut out = g.on_timeout(d1);
  EXPECT_FALSE(out.dropped);
  EXPECT_EQ(drain(g, d1).blocks, seq(1, 2));
  EXPECT_EQ(g.deadline_us(), d1 + 2000);  // doubled
  uint64_t now = g.deadline_us();
  for (int i = 0; i < 3; ++i) {
    out = g.on_timeout(now);
    drain(g, now);
    now = g.deadline_us();
  }
  out = g.on_timeout(now);
  ASSERT_TRUE(out.dropped);
  EXPECT_TRUE(out.empty);
}

TEST(McastGroup, ASilentMasterIsDemotedAndTheNextOneTakesOver) {
  McastGroup g = group();
  g.join(peer(1), 1, {}, 0);
  g.join(peer(2), 1, {}, 0);
  g.on_ack(peer(1), 0, 0);
  drain(g, 0);
  g.on_ack(peer(1), 1, 1);
  drain(g, 1);  // block 2: the master's ACK never comes
  McastOut out = g.on_timeout(g.deadline_us());
  EXPECT_FALSE(out.listener);  // the first timeout resends
  EXPECT_EQ(drain(g, g.deadline_us()).blocks, std::vector<uint64_t>{2});
  out = g.on_timeout(g.deadline_us());
  ASSERT_TRUE(out.listener);
  EXPECT_EQ(out.listener->ip, peer(1).ip);
  EXPECT_TRUE(out.demoted);
  EXPECT_TRUE(out.oack_master);
  EXPECT_EQ(g.master()->peer.ip, peer(2).ip);
  g.on_ack(peer(2), 2, 100);  // it has 1 and 2
  EXPECT_EQ(drain(g, 100).blocks, std::vector<uint64_t>{3});
  EXPECT_EQ(g.members(), 2u);
}

TEST(McastGroup, PromotedMembersThatNeverAnswerAreRotatedThenDropped) {
  McastGroup g = group();
  g.join(peer(1), 1, {}, 0);
  g.join(peer(2), 1, {}, 0);
  // Neither answers its OACK: they take turns, and each is dropped after max_retries tries.
  uint64_t now = 0;
  unsigned dropped = 0;
  bool empty = false;
  for (int i = 0; i < 100 && !empty; ++i) {
    now = g.deadline_us();
    McastOut out = g.on_timeout(now);
    dropped += out.dropped ? 1 : 0;
    empty = out.empty;
  }
  EXPECT_TRUE(empty);
  EXPECT_EQ(dropped, 2u);
}

TEST(McastGroup, PxeMtftpIsLockStepWithoutOack) {
  McastGroup g = group(true);
  const Member* a = g.join(peer(1), 8, {}, 0);
  EXPECT_TRUE(g.is_master(a));
  EXPECT_EQ(drain(g, 0).blocks, std::vector<uint64_t>{1});  // at once, window 1
  g.on_ack(peer(1), 1, 1);
  EXPECT_EQ(drain(g, 1).blocks, std::vector<uint64_t>{2});
  g.on_ack(peer(1), 1, 2);  // a duplicate: no go-back in lock-step
  EXPECT_FALSE(g.has_pending());
  EXPECT_FALSE(g.on_timeout(g.deadline_us()).dropped);
  EXPECT_EQ(drain(g, 3).blocks, std::vector<uint64_t>{2});
  for (uint16_t n = 2; n < 10; ++n) {
    g.on_ack(peer(1), n, 10 + n);
    drain(g, 10 + n);
  }
  auto done = g.on_ack(peer(1), 10, 30);
  ASSERT_TRUE(done && done->done && done->empty);
}

}  // namespace
}  // namespace bs::tftp
