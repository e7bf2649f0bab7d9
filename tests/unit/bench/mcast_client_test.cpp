// The bench's multicast clients (bench/mcast_client.hpp): RFC 2090 (McastClient) and PXE MTFTP
// (MtftpClient), driven packet by packet with server packets made by the proto/ codecs, and
// the run delivering one group frame to many members (bench/tftp_run.hpp).
#include "bench/mcast_client.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "bench/tftp_run.hpp"
#include "dataplane/proto/tftp.hpp"
#include "dataplane/proto/udp.hpp"

namespace bs::bench {
namespace {

using Kind = Action::Kind;
using Why = Action::Why;
using proto::Bytes;
using proto::MutBytes;

constexpr uint16_t kGroupPort = 1760;  // P: the group's port and the server's
constexpr uint64_t kTimeout = 1000;    // us
const proto::Ip4 kGroup = *proto::parse_ip("239.255.77.1");

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 131 + (i >> 8) * 7 + 1);
  return v;
}

// The server side: DATA payloads (TFTP) for blocks of the file.
struct Server {
  const std::vector<uint8_t>& file;
  uint16_t blksize;
  std::vector<uint8_t> data(uint64_t idx) const {
    uint64_t off = (idx - 1) * blksize;
    size_t len = off >= file.size() ? 0 : std::min<size_t>(blksize, file.size() - off);
    std::vector<uint8_t> p(4 + len);
    proto::write_tftp_data_header(MutBytes(p.data(), 4), uint16_t(idx));
    if (len) std::memcpy(p.data() + 4, file.data() + off, len);
    return p;
  }
  uint64_t blocks() const { return file.size() / blksize + 1; }
};

std::vector<uint8_t> oack(const proto::TftpOack& o) {
  std::vector<uint8_t> p(512);
  p.resize(proto::write_tftp_oack(MutBytes(p.data(), p.size()), o));
  return p;
}

std::vector<uint8_t> mc_oack(uint16_t blksize, uint16_t window, uint64_t tsize, bool master) {
  proto::TftpOack o;
  o.blksize = blksize;
  o.windowsize = window;
  o.tsize = tsize;
  o.multicast = proto::TftpMulticast{kGroup, kGroupPort, master};
  return oack(o);
}

Action ack_of(uint16_t block, Why why) {
  return Action{Kind::ack, why, block};
}

// A DATA payload to the group, checked through a GroupFrame as the run does.
struct Group {
  const std::vector<uint8_t>& file;
  Server s;
  Action send(McastClient& c, uint64_t idx, uint64_t now = 0, uint16_t sport = kGroupPort) {
    auto p = s.data(idx);
    auto t = proto::parse_tftp(Bytes(p.data(), p.size()));
    EXPECT_TRUE(t.ok());
    GroupFrame f(Bytes(file.data(), file.size()), sport, t->block, t->data);
    return c.on_group_data(f, now);
  }
};

ClientOptions opts(uint16_t blksize, uint16_t window) {
  ClientOptions o;
  o.blksize = blksize;
  o.windowsize = window;
  o.timeout_us = kTimeout;
  o.max_retries = 3;
  return o;
}

Action feed(McastClient& c, const std::vector<uint8_t>& p, uint64_t now = 0,
            uint16_t port = kGroupPort) {
  return c.on_packet(port, Bytes(p.data(), p.size()), now);
}

TEST(CheckBlock, ComparesLengthAndContent) {
  auto file = pattern(250);
  Bytes f(file.data(), file.size());
  EXPECT_EQ(check_block(f, 100, 1, Bytes(file.data(), 100)), BlockCheck::ok);
  EXPECT_EQ(check_block(f, 100, 3, Bytes(file.data() + 200, 50)), BlockCheck::ok);
  EXPECT_EQ(check_block(f, 100, 3, Bytes(file.data() + 200, 40)), BlockCheck::short_file);
  EXPECT_EQ(check_block(f, 100, 2, Bytes(file.data(), 100)), BlockCheck::corrupt);
  EXPECT_EQ(check_block(f, 100, 4, Bytes()), BlockCheck::too_long);
  EXPECT_EQ(check_block(f, 100, 0, Bytes()), BlockCheck::protocol);
  EXPECT_EQ(check_block(f, 10, 1, Bytes(file.data(), 11)), BlockCheck::protocol);
  auto even = pattern(200);  // a multiple of the block size: an empty last block
  EXPECT_EQ(check_block(Bytes(even.data(), even.size()), 100, 3, Bytes()), BlockCheck::ok);
}

TEST(GroupFrame, ChecksOncePerBlockSize) {
  auto file = pattern(300);
  GroupFrame f(Bytes(file.data(), file.size()), 1, 2, Bytes(file.data() + 100, 100));
  for (int i = 0; i < 200; ++i) EXPECT_EQ(f.check(100), BlockCheck::ok);
  EXPECT_EQ(f.compares(), 1u);
  EXPECT_EQ(f.check(50), BlockCheck::protocol);
  EXPECT_EQ(f.compares(), 2u);
}

TEST(McastClient, RequestAsksForMulticast) {
  auto file = pattern(100);
  McastClient c;
  c.reset(opts(1468, 16), "f", Bytes(file.data(), file.size()));
  Action a = c.start(0);
  ASSERT_EQ(a.kind, Kind::rrq);
  EXPECT_EQ(c.dest_port(a), proto::kTftpPort);
  uint8_t buf[600];
  size_t n = c.write(a, MutBytes(buf, sizeof(buf)));
  auto p = proto::parse_tftp(Bytes(buf, n));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->op, proto::TftpOp::rrq);
  EXPECT_EQ(p->options.blksize, 1468);
  EXPECT_EQ(p->options.windowsize, 16);
  EXPECT_TRUE(p->options.tsize);
  ASSERT_TRUE(p->options.multicast);
  EXPECT_TRUE(p->options.multicast->empty());
}

TEST(McastClient, MasterPacesTheWholeFile) {
  auto file = pattern(10 * 100 + 37);  // 11 blocks
  Group g{file, Server{file, 100}};
  McastClient c;
  c.reset(opts(100, 4), "f", Bytes(file.data(), file.size()));
  c.start(0);
  EXPECT_EQ(feed(c, mc_oack(100, 4, file.size(), true)), ack_of(0, Why::oack));
  EXPECT_EQ(c.state(), McastClient::State::member);
  EXPECT_TRUE(c.master());
  EXPECT_EQ(c.group(), (GroupKey{kGroup, kGroupPort}));
  EXPECT_EQ(c.dest_port(ack_of(0, Why::oack)), kGroupPort);
  std::vector<uint16_t> acked;
  for (uint64_t i = 1; i <= 11; ++i) {
    Action a = g.send(c, i, i);
    if (a.kind == Kind::ack) acked.push_back(a.block);
    if (i == 11) {
      EXPECT_EQ(a, ack_of(11, Why::last));
    }
  }
  EXPECT_EQ(acked, (std::vector<uint16_t>{4, 8, 11}));
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.bytes(), file.size());
  EXPECT_EQ(c.group().addr, 0u);  // left the group
  EXPECT_EQ(c.mstats().done_as_master, 1u);
  EXPECT_EQ(c.deadline_us(), 0u);
}

TEST(McastClient, ListenerAcksTheLastBlockWhenItHoldsAll) {
  auto file = pattern(5 * 100 + 1);  // 6 blocks
  Group g{file, Server{file, 100}};
  McastClient c;
  c.reset(opts(100, 4), "f", Bytes(file.data(), file.size()));
  c.start(0);
  EXPECT_EQ(feed(c, mc_oack(100, 4, file.size(), false)).kind, Kind::none);
  EXPECT_FALSE(c.master());
  // Joined mid-stream: 4..6 then, from another master's repositioning, 1..3.
  for (uint64_t i : {4, 5, 6, 1, 2}) EXPECT_EQ(g.send(c, i).kind, Kind::none);
  EXPECT_EQ(g.send(c, 5).kind, Kind::none);  // a duplicate
  EXPECT_EQ(c.stats().duplicates, 1u);
  EXPECT_EQ(g.send(c, 3), ack_of(6, Why::last));
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.mstats().done_as_listener, 1u);
  EXPECT_EQ(c.stats().acks, 1u);
}

TEST(McastClient, PromotedWithAHoleAcksItsPosition) {
  auto file = pattern(19 * 100 + 50);  // 20 blocks
  Group g{file, Server{file, 100}};
  McastClient c;
  c.reset(opts(100, 4), "f", Bytes(file.data(), file.size()));
  c.start(0);
  feed(c, mc_oack(100, 4, file.size(), false));
  // Joined at block 3: holds 3..20 once the first master is done.
  for (uint64_t i = 3; i <= 20; ++i) EXPECT_EQ(g.send(c, i).kind, Kind::none);
  EXPECT_EQ(c.contiguous(), 0u);
  // Promoted: ACK 0, the stream repositions at 1.
  EXPECT_EQ(feed(c, mc_oack(100, 4, file.size(), true), 5), ack_of(0, Why::oack));
  EXPECT_TRUE(c.master());
  EXPECT_EQ(c.mstats().promotions, 1u);
  EXPECT_EQ(g.send(c, 1).kind, Kind::none);
  EXPECT_EQ(g.send(c, 2), ack_of(20, Why::last));  // the hole filled: everything held
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.mstats().done_as_master, 1u);
}

TEST(McastClient, PromotedWithAHoleInTheMiddle) {
  auto file = pattern(19 * 100 + 50);  // 20 blocks
  Group g{file, Server{file, 100}};
  McastClient c;
  c.reset(opts(100, 4), "f", Bytes(file.data(), file.size()));
  c.start(0);
  feed(c, mc_oack(100, 4, file.size(), false));
  for (uint64_t i = 1; i <= 20; ++i)
    if (i != 7 && i != 8) g.send(c, i);
  EXPECT_EQ(c.contiguous(), 6u);
  EXPECT_EQ(feed(c, mc_oack(100, 4, file.size(), true)), ack_of(6, Why::oack));
  EXPECT_EQ(c.mstats().repair_acks, 1u);  // it held blocks beyond its hole
  EXPECT_EQ(g.send(c, 7).kind, Kind::none);
  EXPECT_EQ(g.send(c, 8), ack_of(20, Why::last));
}

TEST(McastClient, LostDataAcksTheHoleAtOnceThenAtTheWindowEnd) {
  auto file = pattern(16 * 100 + 1);  // 17 blocks
  Group g{file, Server{file, 100}};
  McastClient c;
  c.reset(opts(100, 8), "f", Bytes(file.data(), file.size()));
  c.start(0);
  EXPECT_EQ(feed(c, mc_oack(100, 8, file.size(), true)), ack_of(0, Why::oack));
  for (uint64_t i = 1; i <= 8; ++i) {
    Action a = g.send(c, i);
    EXPECT_EQ(a.kind, i == 8 ? Kind::ack : Kind::none) << i;
  }
  // Window 9..16: 10 is lost. 11 is beyond the hole: ACK 9 at once.
  EXPECT_EQ(g.send(c, 9).kind, Kind::none);
  EXPECT_EQ(g.send(c, 11), ack_of(9, Why::gap));
  for (uint64_t i = 12; i <= 15; ++i) EXPECT_EQ(g.send(c, i).kind, Kind::none);
  EXPECT_EQ(g.send(c, 16), ack_of(9, Why::window));  // the second ACK 9: go back to 10
  EXPECT_EQ(g.send(c, 17).kind, Kind::none);         // still in flight: no third ACK 9
  EXPECT_EQ(c.stats().acks_gap, 1u);
  EXPECT_EQ(c.mstats().repair_acks, 2u);
  // The server goes back: 10 fills the hole; 11.. are duplicates.
  EXPECT_EQ(g.send(c, 10), ack_of(17, Why::last));
  EXPECT_TRUE(c.done());
}

TEST(McastClient, DuplicatesAreIgnoredAndCounted) {
  auto file = pattern(8 * 100 + 1);  // 9 blocks
  Group g{file, Server{file, 100}};
  McastClient c;
  c.reset(opts(100, 4), "f", Bytes(file.data(), file.size()));
  c.start(0);
  feed(c, mc_oack(100, 4, file.size(), true));
  for (uint64_t i = 1; i <= 3; ++i) g.send(c, i);
  EXPECT_EQ(g.send(c, 2).kind, Kind::none);
  EXPECT_EQ(g.send(c, 4), ack_of(4, Why::window));
  EXPECT_EQ(g.send(c, 4).kind, Kind::none);  // resent window end: no extra ACK
  EXPECT_EQ(c.stats().duplicates, 2u);
  EXPECT_EQ(c.bytes(), 400u);
}

TEST(McastClient, MasterReAcksOnTimeoutThenFails) {
  auto file = pattern(8 * 100 + 1);
  Group g{file, Server{file, 100}};
  McastClient c;
  c.reset(opts(100, 4), "f", Bytes(file.data(), file.size()));
  c.start(0);
  feed(c, mc_oack(100, 4, file.size(), true), 0);
  g.send(c, 1, 10);
  g.send(c, 2, 20);
  EXPECT_EQ(c.deadline_us(), 20 + kTimeout);
  EXPECT_EQ(c.on_timeout(500).kind, Kind::none);  // not yet
  uint64_t t = 20 + kTimeout;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(c.on_timeout(t), ack_of(2, Why::timeout)) << i;
    t += kTimeout;
  }
  EXPECT_EQ(c.on_timeout(t).kind, Kind::none);
  EXPECT_EQ(c.state(), McastClient::State::failed);
  EXPECT_EQ(c.fail(), Fail::timeout);
  EXPECT_EQ(c.stats().acks_timeout, 3u);
}

TEST(McastClient, ListenerResendsItsRequestWhenNothingComes) {
  auto file = pattern(8 * 100 + 1);
  McastClient c;
  c.reset(opts(100, 4), "f", Bytes(file.data(), file.size()));
  c.start(0);
  EXPECT_EQ(c.on_timeout(kTimeout), (Action{Kind::rrq, Why::timeout}));  // RRQ lost
  feed(c, mc_oack(100, 4, file.size(), false), kTimeout + 1);
  Action a = c.on_timeout(2 * kTimeout + 1);
  EXPECT_EQ(a, (Action{Kind::rrq, Why::timeout}));
  uint8_t buf[600];
  auto p = proto::parse_tftp(Bytes(buf, c.write(a, MutBytes(buf, sizeof(buf)))));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->options.multicast);
  // The server answers with the OACK again: progress.
  EXPECT_EQ(feed(c, mc_oack(100, 4, file.size(), false), 2 * kTimeout + 5).kind, Kind::none);
  EXPECT_EQ(c.deadline_us(), 3 * kTimeout + 5);
  EXPECT_EQ(c.stats().rrq_resent, 2u);
}

TEST(McastClient, DemotedMasterStopsAcking) {
  auto file = pattern(8 * 100 + 1);
  Group g{file, Server{file, 100}};
  McastClient c;
  c.reset(opts(100, 2), "f", Bytes(file.data(), file.size()));
  c.start(0);
  feed(c, mc_oack(100, 2, file.size(), true));
  g.send(c, 1);
  EXPECT_EQ(g.send(c, 2), ack_of(2, Why::window));
  EXPECT_EQ(feed(c, mc_oack(100, 2, file.size(), false)).kind, Kind::none);
  EXPECT_FALSE(c.master());
  EXPECT_EQ(c.mstats().demotions, 1u);
  g.send(c, 3);
  EXPECT_EQ(g.send(c, 4).kind, Kind::none);  // a window end, but not ours to ACK
  // The OACK with mc=1 again: promoted, ACKs its position.
  EXPECT_EQ(feed(c, mc_oack(100, 2, file.size(), true)), ack_of(4, Why::oack));
  // And a repeat of it (our ACK lost): answered again.
  EXPECT_EQ(feed(c, mc_oack(100, 2, file.size(), true)), ack_of(4, Why::duplicate));
}

TEST(McastClient, OackWithoutMulticastFallsBackToUnicast) {
  auto file = pattern(5 * 100 + 3);
  Server s{file, 100};
  McastClient c;
  c.reset(opts(100, 2), "f", Bytes(file.data(), file.size()));
  c.start(0);
  proto::TftpOack o;
  o.blksize = 100;
  o.windowsize = 2;
  o.tsize = file.size();
  EXPECT_EQ(feed(c, oack(o), 0, 30000), ack_of(0, Why::oack));
  EXPECT_EQ(c.state(), McastClient::State::unicast);
  EXPECT_EQ(c.group().addr, 0u);
  EXPECT_EQ(c.server_port(), 30000);
  EXPECT_EQ(c.dest_port(ack_of(0, Why::oack)), 30000);
  std::vector<uint16_t> acked;
  for (uint64_t i = 1; i <= s.blocks(); ++i) {
    Action a = feed(c, s.data(i), i, 30000);
    if (a.kind == Kind::ack) acked.push_back(a.block);
  }
  EXPECT_EQ(acked, (std::vector<uint16_t>{2, 4, 6}));
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.bytes(), file.size());
  EXPECT_EQ(c.mstats().unicast, 1u);
  EXPECT_EQ(c.unicast().blocks(), 6u);
}

TEST(McastClient, DataWithoutOackFallsBackToUnicast) {
  auto file = pattern(300);
  Server s{file, 512};
  McastClient c;
  c.reset(opts(100, 2), "f", Bytes(file.data(), file.size()));
  c.start(0);
  EXPECT_EQ(feed(c, s.data(1), 0, 30001), ack_of(1, Why::last));
  EXPECT_TRUE(c.done());
}

TEST(McastClient, UnicastModeIsAPlainClient) {
  auto file = pattern(300);
  McastClient c;
  c.reset(opts(100, 2), "f", Bytes(file.data(), file.size()), false);
  Action a = c.start(0);
  uint8_t buf[600];
  auto p = proto::parse_tftp(Bytes(buf, c.write(a, MutBytes(buf, sizeof(buf)))));
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->options.multicast);
  EXPECT_EQ(c.state(), McastClient::State::requested);
}

TEST(McastClient, CorruptGroupDataFailsSilently) {
  auto file = pattern(8 * 100 + 1);
  auto other = file;
  other[150] ^= 1;
  Group bad{other, Server{other, 100}};
  McastClient c;
  c.reset(opts(100, 4), "f", Bytes(file.data(), file.size()));
  c.start(0);
  feed(c, mc_oack(100, 4, file.size(), true));
  // The frame is checked against the expected file, not the one it came from.
  auto p = bad.s.data(2);
  GroupFrame f(Bytes(file.data(), file.size()), kGroupPort, 2, Bytes(p.data() + 4, p.size() - 4));
  EXPECT_EQ(c.on_group_data(f, 0).kind, Kind::none);  // no ERROR to the whole group
  EXPECT_EQ(c.state(), McastClient::State::failed);
  EXPECT_EQ(c.fail(), Fail::corrupt);
}

TEST(McastClient, BadOacksAreRefused) {
  auto file = pattern(1000);
  McastClient c;
  c.reset(opts(100, 4), "f", Bytes(file.data(), file.size()));
  c.start(0);
  Action a = feed(c, mc_oack(200, 4, file.size(), true));  // blksize above the one asked
  EXPECT_EQ(a.kind, Kind::error);
  EXPECT_EQ(c.fail(), Fail::bad_oack);
  c.reset(opts(100, 4), "f", Bytes(file.data(), file.size()));
  c.start(0);
  feed(c, mc_oack(100, 4, file.size() + 1, true));
  EXPECT_EQ(c.fail(), Fail::tsize_mismatch);
  // A unicast address as the group.
  c.reset(opts(100, 4), "f", Bytes(file.data(), file.size()));
  c.start(0);
  proto::TftpOack o;
  o.blksize = 100;
  o.multicast = proto::TftpMulticast{*proto::parse_ip("10.0.0.1"), 1760, true};
  feed(c, oack(o));
  EXPECT_EQ(c.fail(), Fail::bad_oack);
  // 65536 blocks or more cannot be multicast.
  std::vector<uint8_t> big(65535 * 8);
  c.reset(opts(8, 4), "f", Bytes(big.data(), big.size()));
  c.start(0);
  feed(c, mc_oack(8, 4, big.size(), true));
  EXPECT_EQ(c.fail(), Fail::protocol);
}

TEST(McastClient, ServerErrorAndStrangers) {
  auto file = pattern(1000);
  Group g{file, Server{file, 100}};
  McastClient c;
  c.reset(opts(100, 4), "f", Bytes(file.data(), file.size()));
  c.start(0);
  feed(c, mc_oack(100, 4, file.size(), false));
  EXPECT_EQ(g.send(c, 1, 0, 999).kind, Kind::none);  // not from the group's port
  EXPECT_EQ(c.stats().strangers, 1u);
  EXPECT_EQ(c.blocks_held(), 0u);
  std::vector<uint8_t> err(64);
  err.resize(proto::write_tftp_error(MutBytes(err.data(), err.size()), 1, "gone"));
  feed(c, err);
  EXPECT_EQ(c.fail(), Fail::server_error);
  EXPECT_EQ(c.error_code(), 1);
}

// --- MTFTP ----------------------------------------------------------------------------------

constexpr uint16_t kS = 40000;  // the MTFTP transfer's server port

struct Mtftp : ::testing::Test {
  std::vector<uint8_t> file = pattern(4 * 512 + 10);  // 5 blocks
  Server s{file, 512};
  MtftpOptions mo() {
    MtftpOptions m;
    m.group = kGroup;
    m.listen_us = 5000;
    m.delay_us = 3000;
    return m;
  }
  Action group(MtftpClient& c, uint64_t idx, uint64_t now, uint16_t sport = kS) {
    auto p = s.data(idx);
    auto t = proto::parse_tftp(Bytes(p.data(), p.size()));
    GroupFrame f(Bytes(file.data(), file.size()), sport, t->block, t->data);
    return c.on_group_data(f, now);
  }
  Action unicast(MtftpClient& c, uint64_t idx, uint64_t now, uint16_t sport = kS) {
    auto p = s.data(idx);
    return c.on_packet(sport, Bytes(p.data(), p.size()), now);
  }
};

TEST_F(Mtftp, ListenOnlyCompletion) {
  MtftpClient c;
  c.reset(opts(0, 0), mo(), "f", Bytes(file.data(), file.size()));
  EXPECT_EQ(c.start(0).kind, Kind::none);
  EXPECT_EQ(c.state(), MtftpClient::State::listening);
  EXPECT_EQ(c.group(), (GroupKey{kGroup, 1760}));
  EXPECT_EQ(c.deadline_us(), 5000u);
  // Someone else's transfer, joined at block 3, then again from 1 (the next opener's).
  for (uint64_t i : {3, 4, 5}) EXPECT_EQ(group(c, i, 100 * i).kind, Kind::none);
  EXPECT_EQ(c.deadline_us(), 500u + 3000);  // delay after the last DATA
  EXPECT_EQ(group(c, 1, 600).kind, Kind::none);
  EXPECT_EQ(group(c, 2, 700).kind, Kind::none);
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.bytes(), file.size());
  EXPECT_EQ(c.mstats().done_as_listener, 1u);
  EXPECT_EQ(c.mstats().opens, 0u);
  EXPECT_EQ(c.stats().acks, 0u);
  EXPECT_EQ(c.group().addr, 0u);
}

TEST_F(Mtftp, ListenTimeoutOpensThenReceivesLockStep) {
  MtftpClient c;
  c.reset(opts(0, 0), mo(), "f", Bytes(file.data(), file.size()));
  c.start(0);
  EXPECT_EQ(c.on_timeout(4999).kind, Kind::none);
  Action a = c.on_timeout(5000);
  ASSERT_EQ(a, (Action{Kind::rrq, Why::first}));
  EXPECT_EQ(c.dest_port(a), 1759);
  uint8_t buf[600];
  auto p = proto::parse_tftp(Bytes(buf, c.write(a, MutBytes(buf, sizeof(buf)))));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->op, proto::TftpOp::rrq);
  EXPECT_EQ(p->mode, "octet");
  EXPECT_FALSE(p->options.blksize);
  EXPECT_FALSE(p->options.tsize);
  EXPECT_FALSE(p->options.multicast);
  EXPECT_EQ(c.state(), MtftpClient::State::opening);
  // Block 1 unicast, and its copy to the group.
  EXPECT_EQ(unicast(c, 1, 5100), ack_of(1, Why::first));
  EXPECT_EQ(c.dest_port(ack_of(1, Why::first)), kS);
  EXPECT_EQ(group(c, 1, 5101).kind, Kind::none);
  for (uint64_t i = 2; i <= 4; ++i)
    EXPECT_EQ(group(c, i, 5100 + i), ack_of(uint16_t(i), Why::window));
  EXPECT_EQ(group(c, 4, 5200), ack_of(4, Why::duplicate));  // our ACK 4 was lost
  EXPECT_EQ(group(c, 5, 5300), ack_of(5, Why::last));
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.bytes(), file.size());
  EXPECT_EQ(c.mstats().opens, 1u);
  EXPECT_EQ(c.mstats().done_as_master, 1u);
}

TEST_F(Mtftp, OpenerHoldingBlocksStillAcksToTheEnd) {
  MtftpClient c;
  c.reset(opts(0, 0), mo(), "f", Bytes(file.data(), file.size()));
  c.start(0);
  group(c, 4, 10);
  group(c, 5, 20);  // the end of someone's transfer; then nothing for delay_us
  EXPECT_EQ(c.on_timeout(3020).kind, Kind::rrq);
  EXPECT_EQ(unicast(c, 1, 3100), ack_of(1, Why::first));
  EXPECT_EQ(group(c, 2, 3200), ack_of(2, Why::window));
  EXPECT_EQ(group(c, 3, 3300), ack_of(3, Why::window));
  EXPECT_FALSE(c.done());  // holds everything, but the transfer runs to its last block
  EXPECT_EQ(group(c, 4, 3400), ack_of(4, Why::window));
  EXPECT_EQ(group(c, 5, 3500), ack_of(5, Why::last));
  EXPECT_TRUE(c.done());
}

TEST_F(Mtftp, ForeignGroupDataAfterOpeningMeansListen) {
  MtftpClient c;
  c.reset(opts(0, 0), mo(), "f", Bytes(file.data(), file.size()));
  c.start(0);
  EXPECT_EQ(c.on_timeout(5000).kind, Kind::rrq);
  EXPECT_EQ(group(c, 1, 5010, 41000).kind, Kind::none);  // block 1 to the group: ambiguous
  EXPECT_EQ(c.state(), MtftpClient::State::opening);
  EXPECT_EQ(group(c, 2, 5020, 41000).kind, Kind::none);  // someone else's transfer
  EXPECT_EQ(c.state(), MtftpClient::State::listening);
  EXPECT_EQ(c.mstats().back_to_listen, 1u);
  EXPECT_EQ(c.deadline_us(), 5020u + 3000);
  // Our own block 1 arriving late is not for a listener.
  EXPECT_EQ(unicast(c, 1, 5030).kind, Kind::none);
  for (uint64_t i = 3; i <= 5; ++i) EXPECT_EQ(group(c, i, 5030 + i, 41000).kind, Kind::none);
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.stats().acks, 0u);
}

TEST_F(Mtftp, StreamEndingWithHolesReopens) {
  MtftpClient c;
  c.reset(opts(0, 0), mo(), "f", Bytes(file.data(), file.size()));
  c.start(0);
  group(c, 1, 100);
  group(c, 2, 200);
  group(c, 4, 400);  // 3 lost, 5 lost: the stream ended
  EXPECT_EQ(c.on_timeout(3399).kind, Kind::none);
  EXPECT_EQ(c.on_timeout(3400).kind, Kind::rrq);
  EXPECT_EQ(unicast(c, 1, 3500), ack_of(1, Why::first));
  EXPECT_EQ(group(c, 1, 3501).kind, Kind::none);
  EXPECT_EQ(group(c, 2, 3600), ack_of(2, Why::window));
  EXPECT_EQ(group(c, 3, 3700), ack_of(3, Why::window));
  EXPECT_EQ(group(c, 4, 3800), ack_of(4, Why::window));
  EXPECT_EQ(group(c, 5, 3900), ack_of(5, Why::last));
  EXPECT_TRUE(c.done());
}

TEST_F(Mtftp, TimeoutsResendThenListenThenFail) {
  MtftpClient c;
  ClientOptions o = opts(0, 0);
  o.max_retries = 1;
  c.reset(o, mo(), "f", Bytes(file.data(), file.size()));
  c.start(0);
  uint64_t t = 5000;
  EXPECT_EQ(c.on_timeout(t), (Action{Kind::rrq, Why::first}));
  t += kTimeout;
  EXPECT_EQ(c.on_timeout(t), (Action{Kind::rrq, Why::timeout}));
  t += kTimeout;
  EXPECT_EQ(c.on_timeout(t).kind, Kind::none);  // back to listening
  EXPECT_EQ(c.state(), MtftpClient::State::listening);
  t += 3000;
  EXPECT_EQ(c.on_timeout(t), (Action{Kind::rrq, Why::first}));  // the second open
  EXPECT_EQ(unicast(c, 1, t + 1), ack_of(1, Why::first));
  t += 1 + kTimeout;
  EXPECT_EQ(c.on_timeout(t), ack_of(1, Why::timeout));
  t += kTimeout;
  EXPECT_EQ(c.on_timeout(t).kind, Kind::none);  // listening again
  t += 3000;
  EXPECT_EQ(c.on_timeout(t).kind, Kind::none);  // a third open is one too many
  EXPECT_EQ(c.state(), MtftpClient::State::failed);
  EXPECT_EQ(c.fail(), Fail::timeout);
  EXPECT_EQ(c.mstats().opens, 3u);
}

TEST_F(Mtftp, CorruptDataAndServerError) {
  MtftpClient c;
  c.reset(opts(0, 0), mo(), "f", Bytes(file.data(), file.size()));
  c.start(0);
  auto p = s.data(2);
  p[10] ^= 0x40;
  GroupFrame f(Bytes(file.data(), file.size()), kS, 2, Bytes(p.data() + 4, p.size() - 4));
  c.on_group_data(f, 1);
  EXPECT_EQ(c.fail(), Fail::corrupt);
  c.reset(opts(0, 0), mo(), "f", Bytes(file.data(), file.size()));
  c.start(0);
  c.on_timeout(5000);
  std::vector<uint8_t> err(64);
  err.resize(proto::write_tftp_error(MutBytes(err.data(), err.size()), 2, "no"));
  c.on_packet(kS, Bytes(err.data(), err.size()), 5001);
  EXPECT_EQ(c.fail(), Fail::server_error);
  EXPECT_EQ(c.error_code(), 2);
}

// --- The run: one group frame, many members ---------------------------------------------------

const proto::Ip4 kServer = *proto::parse_ip("10.77.0.1");
const proto::Ip4 kFirst = *proto::parse_ip("10.77.128.1");
const proto::Mac kServerMac = *proto::Mac::parse("02:00:00:00:00:01");

struct Sink : FrameSink {
  std::vector<std::vector<uint8_t>> sent;
  std::vector<uint8_t> buf = std::vector<uint8_t>(2048);
  std::vector<size_t> kicks;  // sent.size() at each kick()
  MutBytes frame() override { return MutBytes(buf.data(), buf.size()); }
  void send(size_t len) override { sent.emplace_back(buf.begin(), buf.begin() + long(len)); }
  void kick() override { kicks.push_back(sent.size()); }
};

std::vector<uint8_t> frame_to(proto::Ip4 dst, const proto::Mac& dmac, uint16_t sport,
                              uint16_t dport, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> f(proto::kEthIpUdpLen + payload.size());
  std::memcpy(f.data() + proto::kEthIpUdpLen, payload.data(), payload.size());
  proto::UdpAddr a{kServerMac, dmac, kServer, dst, sport, dport};
  proto::write_udp_headers(MutBytes(f.data(), proto::kEthIpUdpLen), a, uint16_t(payload.size()),
                           proto::csum_partial(Bytes(payload.data(), payload.size())), 1);
  return f;
}

TEST(McastRun, GroupFramesReachEveryMemberAndAreCheckedOnce) {
  auto file = pattern(3 * 100 + 7);  // 4 blocks
  Server s{file, 100};
  Sink out;
  RunConfig rc;
  rc.mode = Mode::multicast;
  rc.server_ip = kServer;
  rc.server_mac = kServerMac;
  rc.client_first = kFirst;
  rc.transfers = 5;
  rc.concurrency = 5;
  rc.filename = "f";
  rc.client = opts(100, 4);
  TftpRun run(rc, Bytes(file.data(), file.size()), out);
  run.poll(1);
  ASSERT_EQ(out.sent.size(), 5u);
  const proto::Mac gmac{{0x01, 0x00, 0x5e, 0x7f, 77, 1}};
  for (uint32_t k = 0; k < 5; ++k) {
    auto f = proto::parse_udp_frame(Bytes(out.sent[k].data(), out.sent[k].size()));
    ASSERT_TRUE(f.ok());
    auto o = frame_to(kFirst + k, run.slot_mac(k), kGroupPort, f->udp.sport,
                      mc_oack(100, 4, file.size(), k == 0));
    run.on_frame(MutBytes(o.data(), o.size()), 2);
  }
  EXPECT_EQ(run.group_members(GroupKey{kGroup, kGroupPort}), 5u);
  ASSERT_EQ(out.sent.size(), 6u);  // the master's ACK 0
  out.sent.clear();
  for (uint64_t i = 1; i <= 4; ++i) {
    auto f = frame_to(kGroup, gmac, kGroupPort, kGroupPort, s.data(i));
    run.on_frame(MutBytes(f.data(), f.size()), 10 + i);
  }
  EXPECT_TRUE(run.finished());
  EXPECT_EQ(run.stats().completed, 5u);
  EXPECT_EQ(run.stats().group_frames, 4u);
  EXPECT_EQ(run.stats().group_deliveries, 20u);
  EXPECT_EQ(run.stats().wrong_mac, 0u);
  EXPECT_EQ(run.stats().bytes_completed, 5 * file.size());
  EXPECT_EQ(run.stats().mcast.done_as_master, 1u);
  EXPECT_EQ(run.stats().mcast.done_as_listener, 4u);
  EXPECT_EQ(run.group_members(GroupKey{kGroup, kGroupPort}), 0u);
  // Each member ACKed the last block: the master as master, the others to leave.
  ASSERT_EQ(out.sent.size(), 5u);
  for (auto& fr : out.sent) {
    auto f = proto::parse_udp_frame(Bytes(fr.data(), fr.size()));
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->udp.dport, kGroupPort);
    auto t = proto::parse_tftp(f->payload);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->op, proto::TftpOp::ack);
    EXPECT_EQ(t->block, 4);
  }
  EXPECT_GT(run.stats().wire_bytes_rx, 4 * (proto::kEthIpUdpLen + 100));
  EXPECT_GT(run.stats().wire_bytes_tx, 10 * proto::kEthIpUdpLen);
}

TEST(McastRun, MtftpClientsListenFromTheStartAndOpenToTheServerPort) {
  std::vector<uint8_t> file = pattern(600);  // 2 blocks of 512
  Server s{file, 512};
  Sink out;
  RunConfig rc;
  rc.mode = Mode::mtftp;
  rc.mtftp.group = kGroup;
  rc.mtftp.listen_us = 1000;
  rc.mtftp.delay_us = 1000;
  rc.server_ip = kServer;
  rc.server_mac = kServerMac;
  rc.client_first = kFirst;
  rc.transfers = 3;
  rc.concurrency = 3;
  rc.filename = "f";
  rc.client = opts(0, 0);
  rc.sweep_us = 100;
  TftpRun run(rc, Bytes(file.data(), file.size()), out);
  run.poll(1);
  EXPECT_TRUE(out.sent.empty());
  EXPECT_EQ(run.group_members(GroupKey{kGroup, 1760}), 3u);
  // Listening: the end of someone's transfer, then nothing.
  const proto::Mac gmac{{0x01, 0x00, 0x5e, 0x7f, 77, 1}};
  auto d2 = frame_to(kGroup, gmac, kS, 1760, s.data(2));
  run.on_frame(MutBytes(d2.data(), d2.size()), 10);
  for (uint64_t t = 20; t < 1000; t += 50) run.poll(t);
  EXPECT_TRUE(out.sent.empty());  // delay_us after block 2
  for (uint64_t t = 1000; t < 2500 && out.sent.size() < 3; t += 50) run.poll(t);
  ASSERT_EQ(out.sent.size(), 3u);  // all three open
  auto f = proto::parse_udp_frame(Bytes(out.sent[0].data(), out.sent[0].size()));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->udp.dport, 1759);
  // The server serves the first: block 1 to it and the group. Its ACK 1; the others see block
  // 1 (ambiguous) and then complete from the group.
  const uint32_t k = f->ip.src - kFirst;
  auto u1 = frame_to(f->ip.src, run.slot_mac(k), kS, f->udp.sport, s.data(1));
  run.on_frame(MutBytes(u1.data(), u1.size()), 2600);
  EXPECT_EQ(run.mtftp_client(k).state(), MtftpClient::State::receiving);
  ASSERT_EQ(out.sent.size(), 4u);  // ACK 1
  auto g1 = frame_to(kGroup, gmac, kS, 1760, s.data(1));
  run.on_frame(MutBytes(g1.data(), g1.size()), 2601);
  EXPECT_EQ(run.stats().completed, 2u);  // the two listeners: they hold 1 and 2
  auto g2 = frame_to(kGroup, gmac, kS, 1760, s.data(2));
  run.on_frame(MutBytes(g2.data(), g2.size()), 2700);
  EXPECT_TRUE(run.finished());
  EXPECT_EQ(run.stats().completed, 3u);
  EXPECT_EQ(run.stats().mcast.opens, 3u);
}

TEST(McastRun, BatchedGroupFramesGoToTheMasterFirst) {
  auto file = pattern(7 * 100 + 7);  // 8 blocks
  Server s{file, 100};
  Sink out;
  RunConfig rc;
  rc.mode = Mode::multicast;
  rc.server_ip = kServer;
  rc.server_mac = kServerMac;
  rc.client_first = kFirst;
  rc.transfers = 4;
  rc.concurrency = 4;
  rc.filename = "f";
  rc.client = opts(100, 4);
  rc.group_batch = 4;
  rc.group_batch_us = 3;
  TftpRun run(rc, Bytes(file.data(), file.size()), out);
  run.poll(1);
  ASSERT_EQ(out.sent.size(), 4u);
  const uint32_t master = 2;  // not the first slot: the run finds it
  for (uint32_t k = 0; k < 4; ++k) {
    auto f = proto::parse_udp_frame(Bytes(out.sent[k].data(), out.sent[k].size()));
    ASSERT_TRUE(f.ok());
    auto o = frame_to(kFirst + k, run.slot_mac(k), kGroupPort, f->udp.sport,
                      mc_oack(100, 4, file.size(), k == master));
    run.on_frame(MutBytes(o.data(), o.size()), 2);
  }
  out.sent.clear();
  const proto::Mac gmac{{0x01, 0x00, 0x5e, 0x7f, 77, 1}};
  auto send = [&](uint64_t i, uint64_t now) {
    auto f = frame_to(kGroup, gmac, kGroupPort, kGroupPort, s.data(i));
    run.on_frame(MutBytes(f.data(), f.size()), now);
    std::fill(f.begin(), f.end(), 0);  // the bytes are gone once on_frame returns
  };
  for (uint64_t i = 1; i <= 3; ++i) send(i, 10 + i);
  EXPECT_EQ(run.stats().group_frames, 3u);
  EXPECT_EQ(run.stats().group_deliveries, 3u);  // to the master at once, pending for the rest
  EXPECT_TRUE(out.kicks.empty());
  send(4, 14);  // the master's window end; the batch is full: handed out
  EXPECT_EQ(run.stats().group_deliveries, 16u);
  ASSERT_EQ(out.sent.size(), 1u);  // the master's ACK 4, kicked before the listeners got theirs
  EXPECT_EQ(out.kicks, (std::vector<size_t>{1}));
  auto a = proto::parse_udp_frame(Bytes(out.sent[0].data(), out.sent[0].size()));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ip.src, kFirst + master);
  for (uint64_t i = 5; i <= 7; ++i) send(i, 10 + i);
  EXPECT_EQ(run.stats().completed, 0u);
  EXPECT_EQ(run.stats().group_deliveries, 19u);
  run.poll(17);  // not group_batch_us yet
  EXPECT_EQ(run.stats().group_deliveries, 19u);
  run.poll(20);  // poll() hands out what waited long enough
  EXPECT_EQ(run.stats().group_deliveries, 28u);
  send(8, 21);  // the short last block: handed to everyone at once
  EXPECT_TRUE(run.finished());
  EXPECT_EQ(run.stats().completed, 4u);
  EXPECT_EQ(run.stats().bytes_completed, 4 * file.size());
  EXPECT_EQ(run.stats().mcast.done_as_master, 1u);
}

TEST(McastRun, PendingFramesGoOutBeforeAUnicastFrame) {
  auto file = pattern(7 * 100 + 7);  // 8 blocks
  Server s{file, 100};
  Sink out;
  RunConfig rc;
  rc.mode = Mode::multicast;
  rc.server_ip = kServer;
  rc.server_mac = kServerMac;
  rc.client_first = kFirst;
  rc.transfers = 2;
  rc.concurrency = 2;
  rc.filename = "f";
  rc.client = opts(100, 4);
  rc.group_batch = 64;
  TftpRun run(rc, Bytes(file.data(), file.size()), out);
  run.poll(1);
  std::vector<uint16_t> ports;
  for (uint32_t k = 0; k < 2; ++k) {
    auto f = proto::parse_udp_frame(Bytes(out.sent[k].data(), out.sent[k].size()));
    ports.push_back(f->udp.sport);
    auto o = frame_to(kFirst + k, run.slot_mac(k), kGroupPort, ports[k],
                      mc_oack(100, 4, file.size(), k == 0));
    run.on_frame(MutBytes(o.data(), o.size()), 2);
  }
  const proto::Mac gmac{{0x01, 0x00, 0x5e, 0x7f, 77, 1}};
  for (uint64_t i = 3; i <= 7; ++i) {
    auto f = frame_to(kGroup, gmac, kGroupPort, kGroupPort, s.data(i));
    run.on_frame(MutBytes(f.data(), f.size()), 10);
  }
  EXPECT_EQ(run.stats().group_deliveries, 5u);  // the master's; its gap ACK 0 (1 and 2 lost)
  EXPECT_EQ(out.sent.size(), 4u);               // RRQ, RRQ, the master's ACK 0, then its gap ACK 0
  // Slot 1 is promoted: it must take blocks 3..7 first.
  out.sent.clear();
  auto o = frame_to(kFirst + 1, run.slot_mac(1), kGroupPort, ports[1],
                    mc_oack(100, 4, file.size(), true));
  run.on_frame(MutBytes(o.data(), o.size()), 11);
  EXPECT_EQ(run.stats().group_deliveries, 10u);
  ASSERT_EQ(out.sent.size(), 1u);  // slot 1's ACK 0
  auto a = proto::parse_udp_frame(Bytes(out.sent[0].data(), out.sent[0].size()));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ip.src, kFirst + 1);
  EXPECT_EQ(run.mcast_client(1).blocks_held(), 5u);
  EXPECT_TRUE(run.mcast_client(1).master());
}

}  // namespace
}  // namespace bs::bench
