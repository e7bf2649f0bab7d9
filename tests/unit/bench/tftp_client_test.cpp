// The bench's TFTP client state machine (bench/tftp_client.hpp), driven packet by packet with
// server packets made by the proto/ codecs.
#include "bench/tftp_client.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "dataplane/proto/tftp.hpp"

namespace bs::bench {
namespace {

using Kind = Action::Kind;
using Why = Action::Why;

constexpr uint16_t kServerPort = 10042;
constexpr uint64_t kTimeout = 1000;  // us

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 131 + (i >> 8) * 7 + 1);
  return v;
}

class Server {
 public:
  explicit Server(const std::vector<uint8_t>& file, uint16_t blksize)
      : file_(file), blksize_(blksize) {}
  // DATA for block index idx (1-based, 64-bit), block number on the wire rolled over.
  std::vector<uint8_t> data(uint64_t idx) const {
    uint64_t off = (idx - 1) * blksize_;
    size_t len = off >= file_.size() ? 0 : std::min<size_t>(blksize_, file_.size() - off);
    std::vector<uint8_t> p(4 + len);
    proto::write_tftp_data_header(proto::MutBytes(p.data(), 4), uint16_t(idx & 0xffff));
    if (len) std::memcpy(p.data() + 4, file_.data() + off, len);
    return p;
  }
  uint64_t blocks() const { return file_.size() / blksize_ + 1; }

 private:
  const std::vector<uint8_t>& file_;
  uint16_t blksize_;
};

std::vector<uint8_t> oack(const proto::TftpOack& o) {
  std::vector<uint8_t> p(512);
  p.resize(proto::write_tftp_oack(proto::MutBytes(p.data(), p.size()), o));
  return p;
}

std::vector<uint8_t> error(uint16_t code, const char* msg) {
  std::vector<uint8_t> p(512);
  p.resize(proto::write_tftp_error(proto::MutBytes(p.data(), p.size()), code, msg));
  return p;
}

Action feed(TftpClient& c, const std::vector<uint8_t>& p, uint64_t now = 0,
            uint16_t port = kServerPort) {
  return c.on_packet(port, proto::Bytes(p.data(), p.size()), now);
}

Action ack_of(uint16_t block, Why why) {
  return Action{Kind::ack, why, block};
}

struct Fixture : ::testing::Test {
  ClientOptions opts(uint16_t blksize, uint16_t window) {
    ClientOptions o;
    o.blksize = blksize;
    o.windowsize = window;
    o.timeout_us = kTimeout;
    o.max_retries = 3;
    return o;
  }
  // Starts c and answers its RRQ with an OACK of blksize/window/tsize; expects ACK 0.
  void negotiate(TftpClient& c, const std::vector<uint8_t>& file, uint16_t blksize,
                 uint16_t window) {
    c.reset(opts(blksize, window), "f", proto::Bytes(file.data(), file.size()));
    ASSERT_EQ(c.start(0).kind, Kind::rrq);
    proto::TftpOack o;
    o.blksize = blksize;
    o.windowsize = window;
    o.tsize = file.size();
    ASSERT_EQ(feed(c, oack(o)), ack_of(0, Why::oack));
    ASSERT_EQ(c.blksize(), blksize);
    ASSERT_EQ(c.window(), window);
  }
};

TEST_F(Fixture, RequestCarriesTheOptions) {
  auto file = pattern(100);
  TftpClient c;
  c.reset(opts(1468, 16), "boot/vmlinuz", proto::Bytes(file.data(), file.size()));
  Action a = c.start(0);
  ASSERT_EQ(a.kind, Kind::rrq);
  uint8_t buf[600];
  size_t n = c.write(a, proto::MutBytes(buf, sizeof(buf)));
  auto p = proto::parse_tftp(proto::Bytes(buf, n));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->op, proto::TftpOp::rrq);
  EXPECT_EQ(p->filename, "boot/vmlinuz");
  EXPECT_EQ(p->mode, "octet");
  EXPECT_EQ(p->options.blksize, 1468);
  EXPECT_EQ(p->options.windowsize, 16);
  EXPECT_TRUE(p->options.tsize);
}

TEST_F(Fixture, WindowedTransferAcksEachWindowsLastBlock) {
  auto file = pattern(10 * 100 + 37);  // 10 full blocks and a short one
  Server s(file, 100);
  TftpClient c;
  negotiate(c, file, 100, 4);
  std::vector<uint16_t> acked;
  for (uint64_t i = 1; i <= s.blocks(); ++i) {
    Action a = feed(c, s.data(i), i);
    if (a.kind == Kind::ack) acked.push_back(a.block);
    if (i == s.blocks()) {
      EXPECT_EQ(a, ack_of(11, Why::last));
    }
  }
  EXPECT_EQ(acked, (std::vector<uint16_t>{4, 8, 11}));
  EXPECT_EQ(c.state(), TftpClient::State::done);
  EXPECT_EQ(c.bytes(), file.size());
  EXPECT_EQ(c.stats().data_frames, 11u);
  EXPECT_EQ(c.stats().acks, 4u);  // ACK 0, 4, 8, 11
  EXPECT_EQ(c.deadline_us(), 0u);
}

TEST_F(Fixture, LostDataMidWindowAcksTheLastInOrderBlockOnce) {
  auto file = pattern(16 * 100 + 1);
  Server s(file, 100);
  TftpClient c;
  negotiate(c, file, 100, 8);
  for (uint64_t i = 1; i <= 3; ++i) EXPECT_EQ(feed(c, s.data(i)).kind, Kind::none);
  // Block 4 is lost: 5 is a gap -> ACK 3 once; 6..8 change nothing.
  EXPECT_EQ(feed(c, s.data(5)), ack_of(3, Why::gap));
  for (uint64_t i = 6; i <= 8; ++i) EXPECT_EQ(feed(c, s.data(i)).kind, Kind::none);
  EXPECT_EQ(c.blocks(), 3u);
  // The server restarts the window after 3: 4..11 in order, ACK at 11.
  for (uint64_t i = 4; i <= 10; ++i) EXPECT_EQ(feed(c, s.data(i)).kind, Kind::none) << i;
  EXPECT_EQ(feed(c, s.data(11)), ack_of(11, Why::window));
  EXPECT_EQ(c.stats().out_of_order, 4u);
  EXPECT_EQ(c.stats().acks_gap, 1u);
  for (uint64_t i = 12; i <= s.blocks(); ++i) feed(c, s.data(i));
  EXPECT_EQ(c.state(), TftpClient::State::done);
  EXPECT_EQ(c.bytes(), file.size());
}

TEST_F(Fixture, DuplicateDataIsNotCountedTwice) {
  auto file = pattern(8 * 50 + 10);
  Server s(file, 50);
  TftpClient c;
  negotiate(c, file, 50, 4);
  EXPECT_EQ(feed(c, s.data(1)).kind, Kind::none);
  EXPECT_EQ(feed(c, s.data(2)).kind, Kind::none);
  EXPECT_EQ(feed(c, s.data(2)).kind, Kind::none);  // mid-window duplicate: ignored
  EXPECT_EQ(feed(c, s.data(1)).kind, Kind::none);
  EXPECT_EQ(feed(c, s.data(3)).kind, Kind::none);
  EXPECT_EQ(feed(c, s.data(4)), ack_of(4, Why::window));
  // The ACK of 4 was lost: the server resends 1..4; only its last block is re-ACKed.
  for (uint64_t i = 1; i <= 3; ++i) EXPECT_EQ(feed(c, s.data(i)).kind, Kind::none);
  EXPECT_EQ(feed(c, s.data(4)), ack_of(4, Why::duplicate));
  EXPECT_EQ(c.bytes(), 200u);
  EXPECT_EQ(c.stats().duplicates, 6u);
  EXPECT_EQ(c.stats().acks_dup, 1u);
  for (uint64_t i = 5; i <= s.blocks(); ++i) feed(c, s.data(i));
  EXPECT_EQ(c.state(), TftpClient::State::done);
  EXPECT_EQ(c.bytes(), file.size());
}

TEST_F(Fixture, BlockNumbersRollOverPast65535) {
  const uint16_t blk = 8;
  auto file = pattern(size_t(70000) * blk + 3);
  Server s(file, blk);
  TftpClient c;
  negotiate(c, file, blk, 64);
  uint64_t acks = 0;
  Action last;
  for (uint64_t i = 1; i <= s.blocks(); ++i) {
    last = feed(c, s.data(i));
    if (last.kind == Kind::ack) ++acks;
    if (i == 65535) {
      EXPECT_EQ(c.last_block(), 65535);
    }
    if (i == 65536) {
      EXPECT_EQ(c.last_block(), 0);  // rolled over to 0
    }
  }
  EXPECT_EQ(c.state(), TftpClient::State::done) << fail_name(c.fail());
  EXPECT_EQ(c.bytes(), file.size());
  EXPECT_EQ(c.blocks(), 70001u);
  EXPECT_EQ(last, ack_of(uint16_t(70001 & 0xffff), Why::last));
  EXPECT_EQ(acks, 70001u / 64 + 1);
  EXPECT_EQ(c.stats().duplicates, 0u);
  EXPECT_EQ(c.stats().out_of_order, 0u);
}

TEST_F(Fixture, DuplicateAcrossTheRolloverIsADuplicate) {
  const uint16_t blk = 8;
  auto file = pattern(size_t(65600) * blk);
  Server s(file, blk);
  TftpClient c;
  negotiate(c, file, blk, 1);
  for (uint64_t i = 1; i <= 65537; ++i) ASSERT_EQ(feed(c, s.data(i)).kind, Kind::ack);
  // Block 65535 again (wire 65535, now behind wire 1): a duplicate, not a gap.
  EXPECT_EQ(feed(c, s.data(65535)).kind, Kind::none);
  EXPECT_EQ(c.stats().duplicates, 1u);
  EXPECT_EQ(c.stats().out_of_order, 0u);
  EXPECT_EQ(c.blocks(), 65537u);
}

TEST_F(Fixture, ServerRefusingWindowsizeMeansLockStep) {
  auto file = pattern(3 * 512 + 5);
  Server s(file, 512);
  TftpClient c;
  c.reset(opts(512, 64), "f", proto::Bytes(file.data(), file.size()));
  c.start(0);
  proto::TftpOack o;  // blksize and tsize accepted, windowsize left out
  o.blksize = 512;
  o.tsize = file.size();
  EXPECT_EQ(feed(c, oack(o)), ack_of(0, Why::oack));
  EXPECT_EQ(c.window(), 1);
  EXPECT_EQ(c.tsize(), file.size());
  for (uint64_t i = 1; i <= 3; ++i) EXPECT_EQ(feed(c, s.data(i)), ack_of(uint16_t(i), Why::window));
  EXPECT_EQ(feed(c, s.data(4)), ack_of(4, Why::last));
  EXPECT_EQ(c.state(), TftpClient::State::done);
}

TEST_F(Fixture, ServerWithoutOptionsSendsData) {
  auto file = pattern(700);
  Server s(file, 512);
  TftpClient c;
  c.reset(opts(1468, 64), "f", proto::Bytes(file.data(), file.size()));
  c.start(0);
  EXPECT_EQ(feed(c, s.data(1)), ack_of(1, Why::window));
  EXPECT_EQ(c.blksize(), 512);
  EXPECT_EQ(c.window(), 1);
  EXPECT_EQ(feed(c, s.data(2)), ack_of(2, Why::last));
  EXPECT_EQ(c.state(), TftpClient::State::done);
}

TEST_F(Fixture, OackWithLargerValuesOrWrongTsizeFails) {
  auto file = pattern(1000);
  for (int which = 0; which < 3; ++which) {
    TftpClient c;
    c.reset(opts(512, 8), "f", proto::Bytes(file.data(), file.size()));
    c.start(0);
    proto::TftpOack o;
    o.blksize = which == 0 ? 1024 : 512;
    o.windowsize = which == 1 ? 16 : 8;
    o.tsize = which == 2 ? 999 : 1000;
    Action a = feed(c, oack(o));
    EXPECT_EQ(c.state(), TftpClient::State::failed) << which;
    EXPECT_EQ(c.fail(), which == 2 ? Fail::tsize_mismatch : Fail::bad_oack) << which;
    EXPECT_EQ(a.kind, Kind::error);
    EXPECT_EQ(a.code, proto::kErrOptionRefused);
  }
}

TEST_F(Fixture, LostAck0IsResentWhenTheOackComesAgain) {
  auto file = pattern(100);
  TftpClient c;
  negotiate(c, file, 64, 4);
  proto::TftpOack o;
  o.blksize = 64;
  o.windowsize = 4;
  o.tsize = 100;
  EXPECT_EQ(feed(c, oack(o)), ack_of(0, Why::duplicate));
}

TEST_F(Fixture, FinalShortAndEmptyBlocks) {
  // A file of whole blocks ends with an empty DATA.
  auto file = pattern(4 * 64);
  Server s(file, 64);
  TftpClient c;
  negotiate(c, file, 64, 2);
  EXPECT_EQ(feed(c, s.data(1)).kind, Kind::none);
  EXPECT_EQ(feed(c, s.data(2)), ack_of(2, Why::window));
  EXPECT_EQ(feed(c, s.data(3)).kind, Kind::none);
  EXPECT_EQ(feed(c, s.data(4)), ack_of(4, Why::window));
  EXPECT_EQ(c.state(), TftpClient::State::receiving);  // all bytes, but no final block yet
  EXPECT_EQ(s.data(5).size(), 4u);
  EXPECT_EQ(feed(c, s.data(5)), ack_of(5, Why::last));
  EXPECT_EQ(c.state(), TftpClient::State::done);
  EXPECT_EQ(c.bytes(), file.size());
}

TEST_F(Fixture, ShortBlockBeforeTheEndFails) {
  auto file = pattern(300);
  TftpClient c;
  negotiate(c, file, 100, 4);
  std::vector<uint8_t> p(4 + 50);
  proto::write_tftp_data_header(proto::MutBytes(p.data(), 4), 1);
  std::memcpy(p.data() + 4, file.data(), 50);
  Action a = feed(c, p);
  EXPECT_EQ(c.fail(), Fail::short_file);
  EXPECT_EQ(a.kind, Kind::error);
}

TEST_F(Fixture, TimeoutReAcksThenGivesUp) {
  auto file = pattern(1000);
  Server s(file, 100);
  TftpClient c;
  negotiate(c, file, 100, 4);                     // ACK 0 at t=0: deadline 1000
  EXPECT_EQ(c.on_timeout(999).kind, Kind::none);  // not due yet
  feed(c, s.data(1), 500);                        // progress: deadline 1500
  EXPECT_EQ(c.on_timeout(1000).kind, Kind::none);
  EXPECT_EQ(c.on_timeout(1500), ack_of(1, Why::timeout));
  EXPECT_EQ(c.on_timeout(2500), ack_of(1, Why::timeout));
  EXPECT_EQ(c.on_timeout(3500), ack_of(1, Why::timeout));
  EXPECT_EQ(c.stats().acks_timeout, 3u);
  EXPECT_EQ(c.state(), TftpClient::State::receiving);
  EXPECT_EQ(c.on_timeout(4500).kind, Kind::none);  // a fourth re-send would exceed retries 3
  EXPECT_EQ(c.state(), TftpClient::State::failed);
  EXPECT_EQ(c.fail(), Fail::timeout);
}

TEST_F(Fixture, ProgressResetsTheRetries) {
  auto file = pattern(1000);
  Server s(file, 100);
  TftpClient c;
  negotiate(c, file, 100, 1);
  uint64_t t = 0;
  for (uint64_t i = 1; i <= 5; ++i) {
    t += kTimeout;
    EXPECT_EQ(c.on_timeout(t).kind, Kind::ack);
    t += kTimeout;
    EXPECT_EQ(c.on_timeout(t).kind, Kind::ack);  // two re-sends, then progress
    feed(c, s.data(i), t);
  }
  EXPECT_EQ(c.state(), TftpClient::State::receiving);
}

TEST_F(Fixture, UnansweredRequestIsResentThenFails) {
  auto file = pattern(10);
  TftpClient c;
  c.reset(opts(512, 4), "f", proto::Bytes(file.data(), file.size()));
  c.start(0);
  for (uint64_t i = 1; i <= 3; ++i)
    EXPECT_EQ(c.on_timeout(i * kTimeout), (Action{Kind::rrq, Why::timeout}));
  EXPECT_EQ(c.stats().rrq_resent, 3u);
  EXPECT_EQ(c.on_timeout(4 * kTimeout).kind, Kind::none);
  EXPECT_EQ(c.fail(), Fail::timeout);
}

TEST_F(Fixture, CorruptedContentIsDetected) {
  auto file = pattern(500);
  Server s(file, 100);
  TftpClient c;
  negotiate(c, file, 100, 8);
  feed(c, s.data(1));
  auto bad = s.data(2);
  bad[4 + 37] ^= 0x01;  // one bit of block 2
  Action a = feed(c, bad);
  EXPECT_EQ(c.state(), TftpClient::State::failed);
  EXPECT_EQ(c.fail(), Fail::corrupt);
  EXPECT_EQ(a.kind, Kind::error);
  EXPECT_EQ(c.bytes(), 100u);
  uint8_t buf[128];
  size_t n = c.write(a, proto::MutBytes(buf, sizeof(buf)));
  auto p = proto::parse_tftp(proto::Bytes(buf, n));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->op, proto::TftpOp::error);
  EXPECT_EQ(p->error_msg, "corrupt");
  // Nothing more after failing.
  EXPECT_EQ(feed(c, s.data(3)).kind, Kind::none);
}

TEST_F(Fixture, MoreDataThanTheFileFails) {
  auto file = pattern(150);
  auto bigger = pattern(300);  // the server's file is longer than the expected one
  Server longer(bigger, 100);
  TftpClient c;
  c.reset(opts(100, 4), "f", proto::Bytes(file.data(), file.size()));
  c.start(0);
  proto::TftpOack o;
  o.blksize = 100;
  o.windowsize = 4;
  feed(c, oack(o));
  feed(c, longer.data(1));
  feed(c, longer.data(2));
  EXPECT_EQ(c.fail(), Fail::too_long);
}

TEST_F(Fixture, ServerErrorAndStrangers) {
  auto file = pattern(300);
  Server s(file, 100);
  TftpClient c;
  negotiate(c, file, 100, 4);
  EXPECT_EQ(feed(c, s.data(1), 0, kServerPort + 1).kind, Kind::none);  // another port
  EXPECT_EQ(c.stats().strangers, 1u);
  EXPECT_EQ(c.blocks(), 0u);
  feed(c, error(3, "disk full"));
  EXPECT_EQ(c.fail(), Fail::server_error);
  EXPECT_EQ(c.error_code(), 3);
}

TEST_F(Fixture, FileNotFound) {
  auto file = pattern(10);
  TftpClient c;
  c.reset(opts(512, 4), "missing", proto::Bytes(file.data(), file.size()));
  c.start(0);
  Action a = feed(c, error(1, "File not found"), 0, 20000);
  EXPECT_EQ(a.kind, Kind::none);
  EXPECT_EQ(c.fail(), Fail::server_error);
  EXPECT_EQ(c.error_code(), 1);
}

}  // namespace
}  // namespace bs::bench

namespace bs::bench {
namespace {

// Firmware-like backoff: each re-send in a row waits longer, up to the cap; progress resets it.
TEST(TftpClientBackoff, WaitsGrowUpToTheCapAndResetOnProgress) {
  ClientOptions o;
  o.timeout_us = 1000000;
  o.backoff = 2;
  o.max_timeout_us = 5000000;
  o.max_retries = 10;
  o.verify = false;
  o.blksize = 0;
  o.windowsize = 0;
  o.tsize = false;
  TftpClient c;
  c.reset(o, "f", {});
  c.start(0);
  EXPECT_EQ(c.deadline_us(), 1000000u);
  uint64_t t = c.deadline_us();
  std::vector<uint64_t> waits;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(c.on_timeout(t).kind, Action::Kind::rrq);
    waits.push_back(c.deadline_us() - t);
    t = c.deadline_us();
  }
  EXPECT_EQ(waits, (std::vector<uint64_t>{2000000, 4000000, 5000000, 5000000}));
  // DATA 1 (a full 512-byte block): progress, the next wait is the base again.
  std::vector<uint8_t> data(4 + 512, 'x');
  data[0] = 0, data[1] = 3, data[2] = 0, data[3] = 1;
  c.on_packet(1234, data, t);
  EXPECT_EQ(c.deadline_us(), t + 1000000);
}

}  // namespace
}  // namespace bs::bench
