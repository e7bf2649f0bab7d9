// The bench's run (bench/tftp_run.hpp): ARP, addressing, transfers end to end through frames,
// slot reuse and the incremental timer sweep, with a fake frame sink and a scripted server.
#include "bench/tftp_run.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "dataplane/proto/arp.hpp"
#include "dataplane/proto/tftp.hpp"
#include "dataplane/proto/udp.hpp"

namespace bs::bench {
namespace {

using proto::Bytes;
using proto::MutBytes;

const proto::Ip4 kServer = *proto::parse_ip("10.77.0.1");
const proto::Ip4 kFirst = *proto::parse_ip("10.77.128.1");
const proto::Mac kServerMac = *proto::Mac::parse("02:00:00:00:00:01");

struct Sink : FrameSink {
  std::vector<std::vector<uint8_t>> sent;
  std::vector<uint8_t> buf = std::vector<uint8_t>(2048);
  bool full = false;
  MutBytes frame() override { return full ? MutBytes() : MutBytes(buf.data(), buf.size()); }
  void send(size_t len) override { sent.emplace_back(buf.begin(), buf.begin() + long(len)); }
};

struct Sent {
  proto::UdpFrame f;
  proto::TftpPacket t;
};
Sent parse(const std::vector<uint8_t>& frame) {
  auto f = proto::parse_udp_frame(Bytes(frame.data(), frame.size()));
  EXPECT_TRUE(f.ok());
  auto t = proto::parse_tftp(f->payload);
  EXPECT_TRUE(t.ok());
  return {*f, *t};
}

// A server frame: UDP from kServer:sport to the client's address and port.
std::vector<uint8_t> from_server(proto::Ip4 to, uint16_t sport, uint16_t dport,
                                 const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> f(proto::kEthIpUdpLen + payload.size());
  std::memcpy(f.data() + proto::kEthIpUdpLen, payload.data(), payload.size());
  proto::UdpAddr a{kServerMac, proto::Mac{}, kServer, to, sport, dport};
  proto::write_udp_headers(MutBytes(f.data(), proto::kEthIpUdpLen), a, uint16_t(payload.size()),
                           proto::csum_partial(Bytes(payload.data(), payload.size())), 1);
  return f;
}

std::vector<uint8_t> data(uint16_t block, const uint8_t* p, size_t n) {
  std::vector<uint8_t> v(4 + n);
  proto::write_tftp_data_header(MutBytes(v.data(), 4), block);
  if (n) std::memcpy(v.data() + 4, p, n);
  return v;
}

RunConfig config(uint64_t transfers, uint32_t concurrency) {
  RunConfig c;
  c.server_ip = kServer;
  c.client_first = kFirst;
  c.transfers = transfers;
  c.concurrency = concurrency;
  c.filename = "f";
  c.client.blksize = 0;  // no options: the server answers the RRQ with DATA 1 (512 bytes)
  c.client.windowsize = 0;
  c.client.tsize = false;
  c.client.timeout_us = 1000;
  c.client.max_retries = 2;
  c.sweep_us = 100;
  return c;
}

TEST(TftpRun, ResolvesTheServerThenSendsRequests) {
  std::vector<uint8_t> file(100, 7);
  Sink out;
  RunConfig rc = config(3, 3);
  rc.starts_per_poll = 2;
  TftpRun run(rc, Bytes(file.data(), file.size()), out);
  run.poll(1);
  ASSERT_EQ(out.sent.size(), 1u);  // ARP who-has 10.77.0.1, nothing else yet
  auto eth = proto::parse_eth(Bytes(out.sent[0].data(), out.sent[0].size()));
  ASSERT_TRUE(eth.ok());
  EXPECT_TRUE(eth->dst.is_broadcast());
  auto req = proto::parse_arp(Bytes(out.sent[0].data() + 14, proto::kArpLen));
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->op, proto::kArpRequest);
  EXPECT_EQ(req->tpa, kServer);
  EXPECT_EQ(req->spa, kFirst);
  run.poll(2);
  EXPECT_EQ(out.sent.size(), 1u);  // not again before arp_interval_us

  // The reply.
  std::vector<uint8_t> f(14 + proto::kArpLen);
  proto::write_eth(MutBytes(f.data(), 14), req->sha, kServerMac, proto::kEtherArp);
  proto::write_arp(MutBytes(f.data() + 14, proto::kArpLen),
                   proto::Arp{proto::kArpReply, kServerMac, kServer, req->sha, req->spa});
  run.on_frame(MutBytes(f.data(), f.size()), 3);
  ASSERT_TRUE(run.server_resolved());
  out.sent.clear();
  run.poll(4);
  ASSERT_EQ(out.sent.size(), 2u);  // starts_per_poll
  run.poll(5);
  ASSERT_EQ(out.sent.size(), 3u);
  for (uint32_t k = 0; k < 3; ++k) {
    Sent s = parse(out.sent[k]);
    EXPECT_EQ(s.t.op, proto::TftpOp::rrq);
    EXPECT_EQ(s.f.ip.src, kFirst + k);
    EXPECT_EQ(s.f.ip.dst, kServer);
    EXPECT_EQ(s.f.udp.dport, proto::kTftpPort);
    EXPECT_EQ(s.f.eth.dst, kServerMac);
    EXPECT_EQ(s.f.eth.src, run.slot_mac(k));
    EXPECT_EQ(s.f.eth.src.b[0] & 3, 2);  // locally administered, unicast
  }
  EXPECT_NE(run.slot_mac(0), run.slot_mac(1));
  EXPECT_EQ(run.stats().started, 3u);
}

TEST(TftpRun, AnswersArpForClientAddressesOnly) {
  std::vector<uint8_t> file(10);
  Sink out;
  RunConfig rc = config(1, 4);
  rc.server_mac = kServerMac;
  TftpRun run(rc, Bytes(file.data(), file.size()), out);
  auto who_has = [&](proto::Ip4 ip) {
    std::vector<uint8_t> f(14 + proto::kArpLen);
    proto::write_eth(MutBytes(f.data(), 14), proto::kBroadcastMac, kServerMac, proto::kEtherArp);
    proto::write_arp(MutBytes(f.data() + 14, proto::kArpLen),
                     proto::Arp{proto::kArpRequest, kServerMac, kServer, proto::Mac{}, ip});
    out.sent.clear();
    run.on_frame(MutBytes(f.data(), f.size()), 1);
  };
  who_has(kFirst);  // concurrency was cut to transfers (1): only slot 0 exists
  ASSERT_EQ(out.sent.size(), 1u);
  auto eth = proto::parse_eth(Bytes(out.sent[0].data(), out.sent[0].size()));
  auto rep = proto::parse_arp(Bytes(out.sent[0].data() + 14, proto::kArpLen));
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(eth->dst, kServerMac);
  EXPECT_EQ(eth->src, run.slot_mac(0));
  EXPECT_EQ(rep->op, proto::kArpReply);
  EXPECT_EQ(rep->sha, run.slot_mac(0));
  EXPECT_EQ(rep->spa, kFirst);
  EXPECT_EQ(rep->tpa, kServer);
  who_has(kFirst + 1);
  EXPECT_TRUE(out.sent.empty());
  who_has(kServer);
  EXPECT_TRUE(out.sent.empty());
  EXPECT_EQ(run.stats().arp_replies, 1u);
}

TEST(TftpRun, TransfersEndToEndAndSlotsAreReused) {
  std::vector<uint8_t> file(700);
  for (size_t i = 0; i < file.size(); ++i) file[i] = uint8_t(i ^ 0x5a);
  Sink out;
  RunConfig rc = config(3, 1);
  rc.server_mac = kServerMac;
  TftpRun run(rc, Bytes(file.data(), file.size()), out);
  uint64_t now = 10;
  std::vector<uint16_t> ports;
  for (int n = 0; n < 3; ++n) {
    out.sent.clear();
    run.poll(now);
    ASSERT_EQ(out.sent.size(), 1u) << n;
    Sent rrq = parse(out.sent[0]);
    ASSERT_EQ(rrq.t.op, proto::TftpOp::rrq);
    ports.push_back(rrq.f.udp.sport);
    const uint16_t tid = uint16_t(20000 + n);
    auto d1 = from_server(kFirst, tid, rrq.f.udp.sport, data(1, file.data(), 512));
    run.on_frame(MutBytes(d1.data(), d1.size()), now + 5);
    Sent ack = parse(out.sent.back());
    EXPECT_EQ(ack.t.op, proto::TftpOp::ack);
    EXPECT_EQ(ack.t.block, 1);
    EXPECT_EQ(ack.f.udp.dport, tid);  // to the server's transfer port
    auto d2 = from_server(kFirst, tid, rrq.f.udp.sport, data(2, file.data() + 512, 188));
    run.on_frame(MutBytes(d2.data(), d2.size()), now + 20);
    EXPECT_EQ(parse(out.sent.back()).t.block, 2);
    now += 100;
  }
  EXPECT_TRUE(run.finished());
  EXPECT_EQ(run.stats().completed, 3u);
  EXPECT_EQ(run.stats().bytes_completed, 3 * file.size());
  EXPECT_EQ(run.stats().data_frames, 6u);
  ASSERT_EQ(run.latencies_us().size(), 3u);
  EXPECT_EQ(run.latencies_us()[0], 20u);
  EXPECT_NE(ports[0], ports[1]);  // a new transfer ID for each transfer of the slot
  EXPECT_NE(ports[1], ports[2]);
}

TEST(TftpRun, IgnoresFramesThatAreNotOurs) {
  std::vector<uint8_t> file(700);
  Sink out;
  RunConfig rc = config(1, 1);
  rc.server_mac = kServerMac;
  TftpRun run(rc, Bytes(file.data(), file.size()), out);
  run.poll(1);
  const uint16_t port = parse(out.sent[0]).f.udp.sport;
  auto stale = from_server(kFirst, 20000, uint16_t(port + 1), data(1, file.data(), 512));
  run.on_frame(MutBytes(stale.data(), stale.size()), 2);
  EXPECT_EQ(run.stats().stale, 1u);
  auto other = from_server(kFirst + 5, 20000, port, data(1, file.data(), 512));
  run.on_frame(MutBytes(other.data(), other.size()), 2);
  EXPECT_EQ(run.stats().not_ours, 1u);
  auto bad = from_server(kFirst, 20000, port, data(1, file.data(), 512));
  bad[proto::kEthIpUdpLen + 10] ^= 0xff;  // payload changed after the checksum
  run.on_frame(MutBytes(bad.data(), bad.size()), 2);
  EXPECT_EQ(run.stats().bad_udp, 1u);
  EXPECT_EQ(run.client(0).blocks(), 0u);
}

TEST(TftpRun, ChecksumsAreVerifiedOneFrameInN) {
  std::vector<uint8_t> file(3 * 512 + 1);
  for (size_t i = 0; i < file.size(); ++i) file[i] = uint8_t(i * 7);
  for (uint32_t every : {0u, 1u, 2u}) {
    Sink out;
    RunConfig rc = config(1, 1);
    rc.server_mac = kServerMac;
    rc.udp_checksum_every = every;
    TftpRun run(rc, Bytes(file.data(), file.size()), out);
    run.poll(1);
    const uint16_t port = parse(out.sent[0]).f.udp.sport;
    // Four frames whose UDP checksum field is wrong (the payloads are right).
    for (uint16_t b = 1; b <= 4; ++b) {
      auto f =
          from_server(kFirst, 20000, port, data(b, file.data() + (b - 1) * 512, b < 4 ? 512 : 1));
      f[proto::kEthIpUdpLen - 1] ^= 0x01;
      run.on_frame(MutBytes(f.data(), f.size()), 2);
    }
    // every 0: none checked, all four taken; 1: all four dropped; 2: frames 1 and 3 dropped.
    const uint64_t checked = every == 0 ? 0 : 4 / every;
    EXPECT_EQ(run.stats().udp_checksums, checked) << every;
    EXPECT_EQ(run.stats().bad_udp, checked) << every;
    EXPECT_EQ(run.client(0).blocks(), every == 0 ? 4u : 0u) << every;  // 2 after a lost 1: gap
  }
}

TEST(TftpRun, SweepFiresTimeoutsAndEndsFailedTransfers) {
  std::vector<uint8_t> file(700);
  Sink out;
  RunConfig rc = config(4, 4);
  rc.server_mac = kServerMac;
  rc.starts_per_poll = 4;
  TftpRun run(rc, Bytes(file.data(), file.size()), out);
  run.poll(1000);  // 4 RRQs, deadlines at 2000
  ASSERT_EQ(out.sent.size(), 4u);
  out.sent.clear();
  for (uint64_t t = 1010; t < 2000; t += 10) run.poll(t);
  EXPECT_TRUE(out.sent.empty());
  for (uint64_t t = 2000; t <= 2200; t += 10) run.poll(t);
  EXPECT_EQ(out.sent.size(), 4u);  // each RRQ re-sent once
  for (uint64_t t = 2210; t <= 5000; t += 10) run.poll(t);
  EXPECT_TRUE(run.finished());
  EXPECT_EQ(run.stats().failed, 4u);
  EXPECT_EQ(run.stats().fails[unsigned(Fail::timeout)], 4u);
  EXPECT_EQ(run.stats().clients.rrq_resent, 8u);  // max_retries 2
}

TEST(TftpRun, NoRoomDelaysTheStart) {
  std::vector<uint8_t> file(10);
  Sink out;
  RunConfig rc = config(2, 2);
  rc.server_mac = kServerMac;
  TftpRun run(rc, Bytes(file.data(), file.size()), out);
  out.full = true;
  run.poll(1);
  EXPECT_EQ(run.stats().started, 0u);
  EXPECT_EQ(run.stats().tx_no_room, 1u);
  out.full = false;
  run.poll(2);
  EXPECT_EQ(run.stats().started, 2u);
  EXPECT_EQ(out.sent.size(), 2u);
}

}  // namespace
}  // namespace bs::bench
