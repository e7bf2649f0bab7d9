// The lock-step TFTP read state machine, driven the way a client would drive it.
#include <gtest/gtest.h>

#include <vector>

#include "dataplane/tftp/session.hpp"

namespace bs::tftp {
namespace {

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 7 + 3);
  return v;
}

// Runs a transfer to the end like an honest client: ACK 0 after an OACK, then every block.
// Returns the bytes received; checks block numbers and sizes on the way.
std::vector<uint8_t> run(Session& s, Step first, uint64_t& now) {
  std::vector<uint8_t> got;
  Step st = first;
  if (st == Step::send_oack) st = s.on_ack(0, now += 10);
  uint16_t expect_block = 1;
  uint64_t blocks = 0;
  while (st == Step::send_data) {
    EXPECT_EQ(s.block(), expect_block);
    EXPECT_EQ(s.offset(), blocks * s.blksize());
    EXPECT_LE(s.length(), s.blksize());
    got.insert(got.end(), s.payload(), s.payload() + s.length());
    ++blocks;
    ++expect_block;
    st = s.on_ack(s.block(), now += 10);
  }
  EXPECT_EQ(st, Step::done);
  EXPECT_EQ(blocks, s.blocks());
  return got;
}

class LockStep : public ::testing::TestWithParam<size_t> {};

TEST_P(LockStep, TransfersExactlyTheFile) {
  const uint16_t blk = 512;
  std::vector<uint8_t> data = pattern(GetParam());
  Session s;
  uint64_t now = 5;
  Step st = s.start(proto::TftpOptions{}, File{data.data(), data.size()}, Limits{}, now);
  EXPECT_EQ(st, Step::send_data);  // no options: DATA 1 at once
  EXPECT_EQ(s.blksize(), blk);
  std::vector<uint8_t> got = run(s, st, now);
  EXPECT_EQ(got, data);
  EXPECT_TRUE(s.finished());
  EXPECT_FALSE(s.failed());
  EXPECT_EQ(s.deadline_us(), 0u);
  EXPECT_EQ(s.bytes_sent(), data.size());
  EXPECT_EQ(s.retransmits(), 0u);
  // The final block is the first one shorter than blksize, possibly empty.
  EXPECT_EQ(s.blocks(), data.size() / blk + 1);
  EXPECT_EQ(s.on_ack(s.block(), now), Step::none);  // a late duplicate after the end
}

INSTANTIATE_TEST_SUITE_P(Sizes, LockStep, ::testing::Values(0, 1, 511, 512, 513, 3 * 512));

TEST(TftpSession, OackNegotiatesBlksizeTsizeTimeout) {
  std::vector<uint8_t> data = pattern(10000);
  proto::TftpOptions req;
  req.blksize = 9000;  // above the limit: clamped
  req.tsize = true;
  req.timeout = 3;
  req.windowsize = 16;  // not negotiated yet
  Limits lim;
  lim.max_blksize = 1468;
  Session s;
  uint64_t now = 1000;
  EXPECT_EQ(s.start(req, File{data.data(), data.size()}, lim, now), Step::send_oack);
  ASSERT_TRUE(s.oack().blksize);
  EXPECT_EQ(*s.oack().blksize, 1468);
  ASSERT_TRUE(s.oack().tsize);
  EXPECT_EQ(*s.oack().tsize, 10000u);
  ASSERT_TRUE(s.oack().timeout);
  EXPECT_EQ(*s.oack().timeout, 3);
  EXPECT_FALSE(s.oack().windowsize);
  EXPECT_EQ(s.deadline_us(), now + 3000000);  // the negotiated timeout governs
  EXPECT_EQ(s.on_ack(1, now), Step::none);    // only ACK 0 answers an OACK
  EXPECT_EQ(run(s, Step::send_oack, now), data);
  EXPECT_EQ(s.blksize(), 1468);

  proto::TftpOptions small;
  small.blksize = 1432;
  Session t;
  t.start(small, File{data.data(), data.size()}, lim, 0);
  EXPECT_EQ(*t.oack().blksize, 1432);  // below the limit: as asked
  EXPECT_FALSE(t.oack().tsize);
  EXPECT_EQ(t.deadline_us(), 1000000u);  // Limits::retransmit_ms

  proto::TftpOptions only_window;
  only_window.windowsize = 8;
  Session u;
  EXPECT_EQ(u.start(only_window, File{data.data(), data.size()}, lim, 0), Step::send_data);
  EXPECT_EQ(u.block(), 1);

  proto::TftpOptions probe;  // a size probe of an empty file still gets its OACK
  probe.tsize = true;
  Session v;
  EXPECT_EQ(v.start(probe, File{}, lim, 0), Step::send_oack);
  EXPECT_EQ(*v.oack().tsize, 0u);
}

TEST(TftpSession, DuplicateAckIsIgnored) {
  std::vector<uint8_t> data = pattern(2000);
  Session s;
  uint64_t now = 0;
  ASSERT_EQ(s.start({}, File{data.data(), data.size()}, Limits{}, now), Step::send_data);
  EXPECT_EQ(s.on_ack(1, now += 1), Step::send_data);
  EXPECT_EQ(s.block(), 2);
  uint64_t deadline = s.deadline_us();
  EXPECT_EQ(s.on_ack(1, now += 1), Step::none);  // Sorcerer's Apprentice: no resend
  EXPECT_EQ(s.on_ack(0, now += 1), Step::none);
  EXPECT_EQ(s.on_ack(7, now += 1), Step::none);
  EXPECT_EQ(s.block(), 2);
  EXPECT_EQ(s.deadline_us(), deadline);  // nor a new timer
  EXPECT_EQ(s.on_ack(2, now += 1), Step::send_data);
  EXPECT_EQ(s.block(), 3);
  EXPECT_EQ(s.bytes_sent(), 1024u);
}

TEST(TftpSession, TimeoutResendsThenFails) {
  std::vector<uint8_t> data = pattern(3000);
  Limits lim;
  lim.retransmit_ms = 100;
  lim.max_retries = 3;
  proto::TftpOptions req;
  req.tsize = true;
  Session s;
  uint64_t now = 0;
  ASSERT_EQ(s.start(req, File{data.data(), data.size()}, lim, now), Step::send_oack);
  EXPECT_EQ(s.on_timeout(now = s.deadline_us()), Step::send_oack);  // the OACK again
  EXPECT_EQ(s.deadline_us(), now + 100000);
  EXPECT_EQ(s.on_ack(0, now += 10), Step::send_data);
  EXPECT_EQ(s.block(), 1);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(s.on_timeout(now = s.deadline_us()), Step::send_data);
    EXPECT_EQ(s.block(), 1);  // the same block
  }
  EXPECT_EQ(s.retransmits(), 4u);
  EXPECT_EQ(s.on_ack(1, now += 10), Step::send_data);  // progress resets the retry count
  for (int i = 0; i < 3; ++i) EXPECT_EQ(s.on_timeout(now = s.deadline_us()), Step::send_data);
  EXPECT_EQ(s.on_timeout(now = s.deadline_us()), Step::failed);
  EXPECT_TRUE(s.finished());
  EXPECT_TRUE(s.failed());
  EXPECT_EQ(s.deadline_us(), 0u);
  EXPECT_EQ(s.on_timeout(now + 1000000), Step::none);
  EXPECT_EQ(s.on_ack(2, now), Step::none);
}

TEST(TftpSession, BlockNumbersRollOverPast65535) {
  // blksize 8 and more than 65536 blocks: the wire number wraps to 0 and keeps counting.
  constexpr size_t kSize = 65536 * 8 + 8 * 100 + 3;
  static std::vector<uint8_t> data = pattern(kSize);
  proto::TftpOptions req;
  req.blksize = 8;
  Session s;
  uint64_t now = 0;
  ASSERT_EQ(s.start(req, File{data.data(), data.size()}, Limits{}, now), Step::send_oack);
  Step st = s.on_ack(0, ++now);
  uint64_t n = 0;
  bool saw_zero = false;
  while (st == Step::send_data) {
    ++n;
    ASSERT_EQ(s.block(), uint16_t(n));
    ASSERT_EQ(s.offset(), (n - 1) * 8);
    ASSERT_EQ(s.payload()[0], data[s.offset()]);
    if (n == 65536) {
      EXPECT_EQ(s.block(), 0);
      saw_zero = true;
      EXPECT_EQ(s.on_ack(65535, ++now), Step::none);  // the previous block's ACK is stale
    }
    st = s.on_ack(s.block(), ++now);
  }
  EXPECT_TRUE(saw_zero);
  EXPECT_EQ(st, Step::done);
  EXPECT_EQ(n, kSize / 8 + 1);
  EXPECT_EQ(s.bytes_sent(), kSize);
}

}  // namespace
}  // namespace bs::tftp
