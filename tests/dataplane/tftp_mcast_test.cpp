// Multicast TFTP through the real worker: an RFC 2090 group (OACKs from the group's port, DATA
// to the group's MAC and address with its TTL, promotion of the next member), IGMP reports and
// leaves with valid checksums, requests the group cannot carry served unicast.
#include <algorithm>
#include <string>
#include <vector>

#include "dataplane/proto/ipv4.hpp"
#include "harness.hpp"

namespace bs::test {
namespace {

using proto::TftpOp;

constexpr proto::Ip4 kGroup = ip4(239, 255, 77, 1);
constexpr uint16_t kGroupPort = 1760;
constexpr proto::Mac kGroupMac{{0x01, 0x00, 0x5e, 0x7f, 0x4d, 0x01}};
constexpr proto::Ip4 kOtherIp = ip4(10, 77, 0, 121);
constexpr proto::Mac kOtherMac{{0x52, 0x54, 0x00, 0x00, 0x00, 0x78}};

proto::TftpOptions multicast() {
  proto::TftpOptions o;
  o.multicast = "";
  o.tsize = true;
  return o;
}

class TftpMcastTest : public DataplaneTest {
 protected:
  void SetUp() override {
    DataplaneTest::SetUp();
    cfg_.mcast.enabled = true;
    cfg_.mcast.first = kGroup;
    cfg_.mcast.port_min = kGroupPort;
    cfg_.mcast.groups = 4;
    cfg_.mcast.ttl = 1;
    cfg_.mcast.igmp = McastConfig::Igmp::report;
    start_worker(cfg_.limits);
  }
  Frame other_udp(uint16_t sport, uint16_t dport, const std::vector<uint8_t>& pl) const {
    return udp_frame(kOtherMac, world().boot.mac, kOtherIp, kServerIp, sport, dport, pl);
  }
  // Frames out after sending f (the loader pumped when the file was not in memory yet).
  std::vector<Frame> request(const Frame& f) {
    send(f);
    poll();
    std::vector<Frame> out = sent();
    if (pump_loader() > 0) {
      poll();
      for (Frame& x : sent()) out.push_back(std::move(x));
    }
    return out;
  }
};

// An IGMPv2 frame: header and message checksums valid; returns {type, group, IP destination}.
struct Igmp {
  bool ok = false;
  uint8_t type = 0;
  proto::Ip4 group = 0, dst = 0;
};
Igmp parse_igmp(const Frame& f) {
  Igmp r;
  if (f.size() < 14 + 24 + 8 || proto::load16(f.data() + 12) != proto::kEtherIpv4) return r;
  const uint8_t* ip = f.data() + 14;
  if (ip[0] != 0x46 || ip[8] != 1 || ip[9] != 2) return r;  // IHL 6 (Router Alert), TTL 1
  if (proto::csum_fold(proto::csum_partial(proto::Bytes(ip, 24))) != 0) return r;
  if (proto::csum_fold(proto::csum_partial(proto::Bytes(ip + 24, 8))) != 0) return r;
  r.ok = ip[20] == 0x94 && ip[21] == 0x04;
  r.type = ip[24];
  r.group = proto::load32(ip + 28);
  r.dst = proto::load32(ip + 16);
  return r;
}

TEST_F(TftpMcastTest, GroupStreamsToTheGroupAndPromotesTheNextMember) {
  const std::string& want = disk_["kernel.img"];  // 5000 bytes: 10 blocks of 512
  std::vector<Frame> out = request(
      client_udp(41001, proto::kTftpPort, tftp_request(TftpOp::rrq, "kernel.img", multicast())));
  ASSERT_EQ(out.size(), 2u);
  Igmp report = parse_igmp(out[0]);
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.type, 0x16);
  EXPECT_EQ(report.group, kGroup);
  EXPECT_EQ(report.dst, kGroup);
  Udp oack = parse_udp(out[1]);
  ASSERT_TRUE(oack.ok);
  EXPECT_EQ(oack.f.udp.sport, kGroupPort);
  EXPECT_EQ(oack.f.udp.dport, 41001);
  auto o = oack_options(oack.f.payload);
  EXPECT_EQ(o["multicast"], "239.255.77.1,1760,1");
  EXPECT_EQ(o["tsize"], "5000");

  // A second client joins: it listens.
  out = request(
      other_udp(42002, proto::kTftpPort, tftp_request(TftpOp::rrq, "kernel.img", multicast())));
  ASSERT_EQ(out.size(), 1u);
  Udp oack2 = parse_udp(out[0]);
  ASSERT_TRUE(oack2.ok);
  EXPECT_EQ(oack2.f.ip.dst, kOtherIp);
  EXPECT_EQ(oack_options(oack2.f.payload)["multicast"], "239.255.77.1,1760,0");

  // The master's ACKs pace the stream; DATA goes to the group.
  std::string got;
  for (uint16_t n = 0; n < 10; ++n) {
    out = exchange(client_udp(41001, kGroupPort, tftp_ack(n)));
    ASSERT_EQ(out.size(), 1u) << n;
    Udp d = parse_udp(out[0]);
    ASSERT_TRUE(d.ok);
    EXPECT_EQ(d.f.eth.dst, kGroupMac);
    EXPECT_EQ(d.f.ip.dst, kGroup);
    EXPECT_EQ(d.f.ip.ttl, 1);
    EXPECT_EQ(d.f.udp.sport, kGroupPort);
    EXPECT_EQ(d.f.udp.dport, kGroupPort);
    auto p = proto::parse_tftp(d.f.payload);
    ASSERT_TRUE(p && p->op == TftpOp::data);
    EXPECT_EQ(p->block, n + 1);
    got.append(p->data.begin(), p->data.end());
  }
  EXPECT_EQ(got, want);
  // The master is done: the listener is promoted.
  out = exchange(client_udp(41001, kGroupPort, tftp_ack(10)));
  ASSERT_EQ(out.size(), 1u);
  Udp promo = parse_udp(out[0]);
  ASSERT_TRUE(promo.ok);
  EXPECT_EQ(promo.f.ip.dst, kOtherIp);
  EXPECT_EQ(oack_options(promo.f.payload)["multicast"], "239.255.77.1,1760,1");
  // It had block 1 .. 10 from the stream: it acknowledges the last one, and the group ends.
  out = exchange(other_udp(42002, kGroupPort, tftp_ack(10)));
  ASSERT_EQ(out.size(), 1u);
  Igmp leave = parse_igmp(out[0]);
  EXPECT_TRUE(leave.ok);
  EXPECT_EQ(leave.type, 0x17);
  EXPECT_EQ(leave.dst, ip4(224, 0, 0, 2));
  EXPECT_EQ(shared_->counters.tftp_mcast_data_bytes.get(), 5000u);
  EXPECT_EQ(shared_->counters.tftp_mcast_repair_bytes.get(), 0u);
  EXPECT_EQ(shared_->counters.tftp_mcast_done.get(), 2u);
  EXPECT_EQ(shared_->counters.tftp_mcast_promotions.get(), 1u);
  EXPECT_EQ(shared_->counters.igmp_sent.get(), 2u);
  // The group is closed: its port answers a stranger's ACK with ERROR 5.
  out = exchange(client_udp(41001, kGroupPort, tftp_ack(3)));
  ASSERT_EQ(out.size(), 1u);
  auto e = proto::parse_tftp(parse_udp(out[0]).f.payload);
  ASSERT_TRUE(e && e->op == TftpOp::error);
  EXPECT_EQ(e->error_code, proto::kErrUnknownTid);
}

TEST_F(TftpMcastTest, NetasciiAndNonMembersAreServedUnicast) {
  proto::TftpOptions o = multicast();
  std::vector<Frame> out =
      request(client_udp(41003, proto::kTftpPort, tftp_request(TftpOp::rrq, "kernel.img", o)));
  ASSERT_FALSE(out.empty());
  // netascii: the option is not acknowledged, a transfer port of the unicast range answers.
  std::vector<uint8_t> rrq = tftp_request(TftpOp::rrq, "kernel.img", o);
  const std::string octet = "octet";
  auto it = std::search(rrq.begin(), rrq.end(), octet.begin(), octet.end());
  ASSERT_NE(it, rrq.end());
  const std::string netascii = "netascii";
  rrq.erase(it, it + long(octet.size()));
  rrq.insert(rrq.begin() + (it - rrq.begin()), netascii.begin(), netascii.end());
  out = request(other_udp(42004, proto::kTftpPort, rrq));
  ASSERT_EQ(out.size(), 1u);
  Udp u = parse_udp(out[0]);
  ASSERT_TRUE(u.ok);
  EXPECT_GE(u.f.udp.sport, kPortMin);
  EXPECT_LE(u.f.udp.sport, kPortMax);
  EXPECT_EQ(oack_options(u.f.payload).count("multicast"), 0u);
  // An ACK to the group's port from an address that never joined: dropped and counted.
  out = exchange(other_udp(42005, kGroupPort, tftp_ack(0)));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(drops(Drop::tftp_wrong_peer), 1u);
}

}  // namespace
}  // namespace bs::test
