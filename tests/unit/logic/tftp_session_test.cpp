// The TFTP read state machine (lock-step and RFC 7440 windows), driven the way the worker and a
// client drive it: the "wire" below transmits every due block, the client acknowledges.
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

// What the worker does with Step::send_data: puts every due block on the wire, in order.
std::vector<uint64_t> transmit(Session& s, uint64_t now) {
  std::vector<uint64_t> out;
  while (s.has_pending()) {
    out.push_back(s.next_block());
    s.sent(s.next_block(), now);
  }
  return out;
}

// A client that receives blocks in order; lose(index, attempt) drops a block in flight.
// Returns the bytes received. ACKs the last block of each window (or the last in-order block
// when a loss left a gap), as RFC 7440 clients do.
template <class Lose>
std::vector<uint8_t> run(Session& s, Step first, uint64_t& now, Lose lose) {
  std::vector<uint8_t> got;
  Step st = first;
  if (st == Step::send_oack) st = s.on_ack(0, now += 10);
  uint64_t have = 0;  // highest block received in order
  std::vector<uint32_t> attempts(s.blocks() + 2, 0);
  for (int guard = 0; st == Step::send_data && guard < 1000000; ++guard) {
    const std::vector<uint64_t> sent = transmit(s, now);
    for (uint64_t b : sent) {
      if (lose(b, attempts[b]++)) break;  // a gap: the rest of the window is discarded
      if (b != have + 1) continue;        // a block already received
      EXPECT_EQ(s.offset(b), have * s.blksize());
      const uint16_t len = s.length(b);
      EXPECT_LE(len, s.blksize());
      got.insert(got.end(), s.file().data + s.offset(b), s.file().data + s.offset(b) + len);
      have = b;
    }
    now += 10;
    st = s.on_ack(Session::wire(have), now);
    if (st == Step::none) st = s.on_timeout(now = s.deadline_us());  // nothing new: wait
  }
  EXPECT_EQ(st, Step::done);
  EXPECT_EQ(have, s.blocks());
  return got;
}

std::vector<uint8_t> run(Session& s, Step first, uint64_t& now) {
  return run(s, first, now, [](uint64_t, uint32_t) { return false; });
}

class LockStep : public ::testing::TestWithParam<size_t> {};

TEST_P(LockStep, TransfersExactlyTheFile) {
  const size_t n = GetParam();
  std::vector<uint8_t> data = pattern(n);
  Session s;
  uint64_t now = 1000;
  Step st = s.start(proto::TftpOptions{}, File{data.data(), data.size()}, Limits{}, now);
  ASSERT_EQ(st, Step::send_data);  // no options: no OACK, block 1 at once
  EXPECT_EQ(s.windowsize(), 1);
  EXPECT_EQ(s.blksize(), 512);
  EXPECT_EQ(run(s, st, now), data);
  EXPECT_EQ(s.bytes_acked(), n);
  EXPECT_EQ(s.retransmits(), 0u);
  EXPECT_EQ(s.deadline_us(), 0u);  // finished: no timer
}

INSTANTIATE_TEST_SUITE_P(Sizes, LockStep, ::testing::Values(0, 1, 511, 512, 513, 3 * 512));

class Windowed : public ::testing::TestWithParam<std::tuple<size_t, uint16_t>> {};

TEST_P(Windowed, TransfersExactlyTheFile) {
  auto [n, w] = GetParam();
  std::vector<uint8_t> data = pattern(n);
  proto::TftpOptions req;
  req.blksize = 16;
  req.windowsize = w;
  Session s;
  uint64_t now = 1000;
  Step st = s.start(req, File{data.data(), data.size()}, Limits{}, now);
  ASSERT_EQ(st, Step::send_oack);
  EXPECT_EQ(s.windowsize(), w);
  EXPECT_EQ(run(s, st, now), data);
  EXPECT_EQ(s.retransmits(), 0u);
}

INSTANTIATE_TEST_SUITE_P(SizesAndWindows, Windowed,
                         ::testing::Combine(::testing::Values(0, 15, 16, 17, 16 * 64, 1000),
                                            ::testing::Values(1, 2, 7, 64)));

TEST(TftpSession, OackNegotiatesEveryOption) {
  std::vector<uint8_t> data = pattern(5000);
  proto::TftpOptions req;
  req.blksize = 9000;
  req.tsize = true;
  req.timeout = 3;
  req.windowsize = 500;
  Limits lim;
  lim.max_blksize = 1468;
  lim.max_windowsize = 64;
  Session s;
  ASSERT_EQ(s.start(req, File{data.data(), data.size()}, lim, 0), Step::send_oack);
  ASSERT_TRUE(s.oack().blksize && s.oack().tsize && s.oack().timeout && s.oack().windowsize);
  EXPECT_EQ(*s.oack().blksize, 1468);  // clamped to what the port carries unfragmented
  EXPECT_EQ(*s.oack().tsize, 5000u);   // exact
  EXPECT_EQ(*s.oack().timeout, 3);
  EXPECT_EQ(*s.oack().windowsize, 64);  // clamped to the configured maximum
  EXPECT_FALSE(s.has_pending());        // nothing before ACK 0

  // Below the RFC 2348 minimum -> 8; windowsize off in config -> not acknowledged.
  req = {};
  req.blksize = 4;
  req.windowsize = 8;
  lim.max_windowsize = 0;
  Session t;
  ASSERT_EQ(t.start(req, File{data.data(), data.size()}, lim, 0), Step::send_oack);
  EXPECT_EQ(*t.oack().blksize, 8);
  EXPECT_FALSE(t.oack().windowsize);
  EXPECT_EQ(t.windowsize(), 1);
}

TEST(TftpSession, AnEmptyFileLeavesTsizeOut) {
  // curl rejects "tsize 0" in an OACK; a server may decline any option (RFC 2347).
  proto::TftpOptions req;
  req.tsize = true;
  Session s;
  EXPECT_EQ(s.start(req, File{nullptr, 0}, Limits{}, 0), Step::send_data);  // no OACK at all
  EXPECT_FALSE(s.oack().tsize);
  req.blksize = 1024;
  Session t;
  ASSERT_EQ(t.start(req, File{nullptr, 0}, Limits{}, 0), Step::send_oack);
  EXPECT_FALSE(t.oack().tsize);
  EXPECT_EQ(*t.oack().blksize, 1024);
}

TEST(TftpSession, WindowsAdvanceOnTheLastBlocksAck) {
  std::vector<uint8_t> data = pattern(10 * 512 - 3);  // 10 blocks
  proto::TftpOptions req;
  req.windowsize = 4;
  Session s;
  ASSERT_EQ(s.start(req, File{data.data(), data.size()}, Limits{}, 0), Step::send_oack);
  ASSERT_EQ(s.on_ack(0, 10), Step::send_data);
  EXPECT_EQ(transmit(s, 10), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(s.on_ack(4, 20), Step::send_data);
  EXPECT_EQ(transmit(s, 20), (std::vector<uint64_t>{5, 6, 7, 8}));
  EXPECT_EQ(s.on_ack(8, 30), Step::send_data);
  EXPECT_EQ(transmit(s, 30), (std::vector<uint64_t>{9, 10}));  // the window ends with the file
  EXPECT_EQ(s.length(10), 509);
  EXPECT_EQ(s.on_ack(10, 40), Step::done);
  EXPECT_EQ(s.bytes_acked(), data.size());
}

// RFC 7440: the client ACKs the last block it got in order; the server resends from the next.
TEST(TftpSession, LossAtEveryPositionOfAWindowResendsFromTheGap) {
  constexpr uint16_t kW = 8;
  std::vector<uint8_t> data = pattern(40 * 512);
  for (uint64_t lost = 1; lost <= kW; ++lost) {
    proto::TftpOptions req;
    req.windowsize = kW;
    Session s;
    ASSERT_EQ(s.start(req, File{data.data(), data.size()}, Limits{}, 0), Step::send_oack);
    ASSERT_EQ(s.on_ack(0, 10), Step::send_data);
    transmit(s, 10);
    if (lost == 1) {
      // Nothing arrived: the client re-ACKs block 0 on its own timeout; that acknowledges
      // nothing new, so the server's timer resends the window from block 1.
      EXPECT_EQ(s.on_ack(0, 20), Step::none);
      EXPECT_EQ(s.on_timeout(s.deadline_us()), Step::send_data);
    } else {
      EXPECT_EQ(s.on_ack(uint16_t(lost - 1), 20), Step::send_data) << lost;
    }
    const std::vector<uint64_t> again = transmit(s, 30);
    ASSERT_FALSE(again.empty());
    EXPECT_EQ(again.front(), lost) << "resend starts at the lost block";
    EXPECT_EQ(again.size(), kW);
    EXPECT_EQ(s.base(), lost);
  }
  // And a whole transfer with a loss at each window position in turn is byte-identical.
  proto::TftpOptions req;
  req.windowsize = kW;
  Session s;
  uint64_t now = 0;
  Step st = s.start(req, File{data.data(), data.size()}, Limits{}, now);
  auto lose = [](uint64_t b, uint32_t attempt) { return attempt == 0 && b % (kW + 1) == 0; };
  EXPECT_EQ(run(s, st, now, lose), data);
  EXPECT_GT(s.retransmits(), 0u);
}

TEST(TftpSession, DuplicateAndStaleAcksNeverResend) {
  std::vector<uint8_t> data = pattern(20 * 512);
  proto::TftpOptions req;
  req.windowsize = 4;
  Session s;
  ASSERT_EQ(s.start(req, File{data.data(), data.size()}, Limits{}, 0), Step::send_oack);
  ASSERT_EQ(s.on_ack(0, 1), Step::send_data);
  transmit(s, 1);
  ASSERT_EQ(s.on_ack(4, 2), Step::send_data);
  transmit(s, 2);
  // Sorcerer's Apprentice: the same ACK again, an older one, ACK 0 again: nothing is sent.
  EXPECT_EQ(s.on_ack(4, 3), Step::none);
  EXPECT_EQ(s.on_ack(2, 3), Step::none);
  EXPECT_EQ(s.on_ack(0, 3), Step::none);
  EXPECT_FALSE(s.has_pending());
  // An ACK for a block never sent is ignored too.
  EXPECT_EQ(s.on_ack(9, 3), Step::none);
  EXPECT_FALSE(s.has_pending());
  EXPECT_EQ(s.retransmits(), 0u);
  EXPECT_EQ(s.base(), 5u);
  // Lock-step: a duplicate ACK of the previous block changes nothing either.
  Session l;
  ASSERT_EQ(l.start(proto::TftpOptions{}, File{data.data(), data.size()}, Limits{}, 0),
            Step::send_data);
  transmit(l, 0);
  ASSERT_EQ(l.on_ack(1, 5), Step::send_data);
  transmit(l, 5);
  EXPECT_EQ(l.on_ack(1, 6), Step::none);
  EXPECT_FALSE(l.has_pending());
}

TEST(TftpSession, TimeoutResendsTheWindowWithBackoffThenFails) {
  std::vector<uint8_t> data = pattern(100 * 512);
  proto::TftpOptions req;
  req.windowsize = 4;
  Limits lim;
  lim.rto_initial_us = 10000;
  lim.rto_min_us = 1000;
  lim.rto_max_us = 50000;
  lim.max_retries = 4;
  Session s;
  ASSERT_EQ(s.start(req, File{data.data(), data.size()}, lim, 0), Step::send_oack);
  // The OACK waits the cap (a client whose ACK 0 was lost resends it on its own timer; atftp
  // aborts on a second OACK), then is resent.
  EXPECT_EQ(s.deadline_us(), 50000u);
  EXPECT_EQ(s.on_timeout(50000), Step::send_oack);
  EXPECT_EQ(s.deadline_us(), 50000u + 50000u);
  ASSERT_EQ(s.on_ack(0, 100000), Step::send_data);
  EXPECT_EQ(s.deadline_us(), 0u);  // not armed until the window has left
  transmit(s, 100000);
  const uint64_t d = s.deadline_us();
  ASSERT_GT(d, 100000u);
  std::vector<uint64_t> intervals;
  uint64_t now = d;
  Step st;
  while ((st = s.on_timeout(now)) == Step::send_data) {
    EXPECT_EQ(transmit(s, now), (std::vector<uint64_t>{1, 2, 3, 4}));  // the whole window
    intervals.push_back(s.deadline_us() - now);
    now = s.deadline_us();
  }
  EXPECT_EQ(st, Step::failed);
  ASSERT_EQ(intervals.size(), 4u);
  for (size_t i = 1; i < intervals.size(); ++i)
    EXPECT_EQ(intervals[i], std::min<uint64_t>(intervals[i - 1] * 2, 50000)) << i;
  EXPECT_EQ(intervals.back(), 50000u);  // capped at rto_max
  EXPECT_EQ(s.retransmits(), 1u + 4 * 4);
  EXPECT_TRUE(s.failed());
  EXPECT_EQ(s.deadline_us(), 0u);
  EXPECT_EQ(s.on_timeout(now + 1000000), Step::none);
  EXPECT_EQ(s.on_ack(4, now), Step::none);
}

TEST(TftpSession, ProgressResetsTheRetryCount) {
  std::vector<uint8_t> data = pattern(50 * 512);
  Limits lim;
  lim.max_retries = 2;
  Session s;
  ASSERT_EQ(s.start(proto::TftpOptions{}, File{data.data(), data.size()}, lim, 0), Step::send_data);
  uint64_t now = 0;
  for (uint16_t b = 1; b <= 10; ++b) {  // two timeouts before every ACK: never fails
    transmit(s, now);
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(s.on_timeout(now = s.deadline_us()), Step::send_data) << b;
      transmit(s, now);
    }
    ASSERT_EQ(s.on_ack(b, ++now), Step::send_data);
  }
}

TEST(TftpSession, TimerAdaptsToTheRoundTrip) {
  std::vector<uint8_t> data = pattern(200 * 512);
  Limits lim;
  lim.rto_initial_us = 200000;
  lim.rto_min_us = 100;
  lim.rto_max_us = 1000000;
  Session s;
  ASSERT_EQ(s.start(proto::TftpOptions{}, File{data.data(), data.size()}, lim, 0), Step::send_data);
  EXPECT_EQ(s.rto_us(), 200000u);
  uint64_t now = 0;
  for (uint16_t b = 1; b <= 50; ++b) {  // a steady 300 us round trip
    transmit(s, now);
    now += 300;
    ASSERT_EQ(s.on_ack(b, now), Step::send_data);
  }
  EXPECT_EQ(s.srtt_us(), 300u);
  EXPECT_GE(s.rto_us(), 300u);
  EXPECT_LT(s.rto_us(), 1000u);  // milliseconds at most, not the initial 200 ms
  transmit(s, now);
  EXPECT_EQ(s.deadline_us(), now + s.rto_us());

  // The floor holds: with rto_min 5 ms a 300 us round trip still waits 5 ms.
  lim.rto_min_us = 5000;
  Session f;
  ASSERT_EQ(f.start(proto::TftpOptions{}, File{data.data(), data.size()}, lim, 0), Step::send_data);
  now = 0;
  for (uint16_t b = 1; b <= 20; ++b) {
    transmit(f, now);
    now += 300;
    ASSERT_EQ(f.on_ack(b, now), Step::send_data);
  }
  EXPECT_EQ(f.rto_us(), 5000u);
}

TEST(TftpSession, KarnsRuleNoSampleFromARetransmission) {
  std::vector<uint8_t> data = pattern(20 * 512);
  Limits lim;
  lim.rto_initial_us = 10000;
  lim.rto_min_us = 100;
  Session s;
  ASSERT_EQ(s.start(proto::TftpOptions{}, File{data.data(), data.size()}, lim, 0), Step::send_data);
  transmit(s, 0);
  ASSERT_EQ(s.on_timeout(10000), Step::send_data);
  transmit(s, 10000);
  // The ACK may answer either copy: no sample, the estimator stays unset.
  ASSERT_EQ(s.on_ack(1, 10050), Step::send_data);
  EXPECT_EQ(s.srtt_us(), 0u);
  transmit(s, 10050);
  ASSERT_EQ(s.on_ack(2, 10450), Step::send_data);
  EXPECT_EQ(s.srtt_us(), 400u);  // the next clean exchange is measured
}

TEST(TftpSession, ClientTimeoutCapsTheTimerOrGovernsExactly) {
  std::vector<uint8_t> data = pattern(20 * 512);
  proto::TftpOptions req;
  req.timeout = 1;
  Limits lim;
  lim.rto_initial_us = 200000;
  lim.rto_max_us = 5000000;
  lim.max_retries = 10;
  // Default: the client's 1 s caps the backoff (the OACK waits the cap); DATA starts at 200 ms.
  Session cap;
  ASSERT_EQ(cap.start(req, File{data.data(), data.size()}, lim, 0), Step::send_oack);
  EXPECT_EQ(*cap.oack().timeout, 1);
  EXPECT_EQ(cap.deadline_us(), 1000000u);
  ASSERT_EQ(cap.on_timeout(1000000), Step::send_oack);  // no sample: Karn
  ASSERT_EQ(cap.on_ack(0, 1000100), Step::send_data);
  transmit(cap, 1000100);
  EXPECT_EQ(cap.deadline_us(), 1000100u + 200000u);
  uint64_t now = 0;
  for (int i = 0; i < 6; ++i) ASSERT_EQ(cap.on_timeout(now = cap.deadline_us()), Step::send_data);
  EXPECT_EQ(cap.deadline_us() - now, 1000000u);
  // "exact": every retransmission exactly the client's interval, RFC 2349.
  lim.client_timeout_exact = true;
  Session ex;
  ASSERT_EQ(ex.start(req, File{data.data(), data.size()}, lim, 0), Step::send_oack);
  EXPECT_EQ(ex.deadline_us(), 1000000u);
  ASSERT_EQ(ex.on_timeout(1000000), Step::send_oack);
  EXPECT_EQ(ex.deadline_us(), 2000000u);
  ASSERT_EQ(ex.on_ack(0, 2000100), Step::send_data);
  transmit(ex, 2000100);
  EXPECT_EQ(ex.deadline_us(), 3000100u);
}

TEST(TftpSession, BlockNumbersRollOverPast65535) {
  // blksize 8 and more than 65536 blocks: the wire number wraps to 0 and keeps counting.
  constexpr size_t kSize = 65536 * 8 + 8 * 100 + 3;
  static std::vector<uint8_t> data = pattern(kSize);
  for (uint16_t w : {uint16_t(1), uint16_t(64)}) {
    proto::TftpOptions req;
    req.blksize = 8;
    req.windowsize = w;
    Session s;
    uint64_t now = 0;
    ASSERT_EQ(s.start(req, File{data.data(), data.size()}, Limits{}, now), Step::send_oack);
    Step st = s.on_ack(0, ++now);
    uint64_t have = 0;
    bool saw_zero = false;
    while (st == Step::send_data) {
      for (uint64_t b : transmit(s, now)) {
        ASSERT_EQ(b, have + 1);
        ASSERT_EQ(s.offset(b), (b - 1) * 8);
        if (b == 65536) {
          EXPECT_EQ(Session::wire(b), 0);
          saw_zero = true;
        }
        have = b;
      }
      if (s.base() > 65536 && s.base() <= 65536u + 2u * w) {
        // Past the wrap, the ACKs of the blocks before it are stale.
        EXPECT_EQ(s.on_ack(65535, ++now), Step::none);
        EXPECT_EQ(s.on_ack(65534, ++now), Step::none);
      }
      st = s.on_ack(Session::wire(have), ++now);
    }
    EXPECT_TRUE(saw_zero) << w;
    EXPECT_EQ(st, Step::done);
    EXPECT_EQ(have, kSize / 8 + 1);
    EXPECT_EQ(s.bytes_acked(), kSize);
  }
}

}  // namespace
}  // namespace bs::tftp
