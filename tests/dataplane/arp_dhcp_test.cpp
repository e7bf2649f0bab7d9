// ARP and DHCP through the real worker: crafted frames on the boot port, replies parsed back.
#include <rte_ethdev.h>

#include <algorithm>
#include <cstring>

#include "dataplane/proto/arp.hpp"
#include "dataplane/proto/dhcp.hpp"
#include "harness.hpp"
#include "tests/unit/logic/dhcp_request.hpp"

namespace bs::test {
namespace {

using proto::Bytes;

constexpr proto::Ip4 kBroadcastIp = 0xffffffffu;
const char* const kPxeVendor = "PXEClient:Arch:00000:UNDI:002001";

Frame dhcp_frame(const Req& r) {
  return udp_frame(r.mac, proto::kBroadcastMac, 0, kBroadcastIp, proto::kDhcpClientPort,
                   proto::kDhcpServerPort, build_request(r));
}

TEST_F(DataplaneTest, PortsAreTheRingPmdsWithTheirOwnMacs) {
  // PortInfo as the project's setup_port filled it agrees with the ethdev itself.
  for (const port::PortInfo* p : {&world().boot, &world().exception}) {
    rte_ether_addr a;
    ASSERT_EQ(rte_eth_macaddr_get(p->id, &a), 0);
    EXPECT_EQ(std::memcmp(a.addr_bytes, p->mac.b.data(), 6), 0) << p->name;
    uint16_t mtu = 0;
    ASSERT_EQ(rte_eth_dev_get_mtu(p->id, &mtu), 0);
    EXPECT_EQ(mtu, p->mtu);
  }
  EXPECT_EQ(world().boot.mtu, 1500);
  EXPECT_EQ(cfg_.limits.max_blksize, 1468);
  EXPECT_NE(world().boot.id, world().exception.id);
}

TEST_F(DataplaneTest, ArpRequestForTheApplianceIsAnsweredWithThePortMac) {
  const proto::Mac& ours = world().boot.mac;
  auto out = exchange(arp_frame(proto::kArpRequest, proto::kBroadcastMac, kClientMac, kClientIp,
                                proto::Mac{}, kServerIp));
  ASSERT_EQ(out.size(), 1u);
  auto eth = proto::parse_eth(Bytes(out[0].data(), out[0].size()));
  ASSERT_TRUE(eth);
  EXPECT_EQ(eth->dst, kClientMac);
  EXPECT_EQ(eth->src, ours);
  EXPECT_EQ(eth->type, proto::kEtherArp);
  auto arp = proto::parse_arp(Bytes(out[0].data(), out[0].size()).subspan(eth->header_len));
  ASSERT_TRUE(arp);
  EXPECT_EQ(arp->op, proto::kArpReply);
  EXPECT_EQ(arp->sha, ours);
  EXPECT_EQ(arp->spa, kServerIp);
  EXPECT_EQ(arp->tha, kClientMac);
  EXPECT_EQ(arp->tpa, kClientIp);
  EXPECT_EQ(shared_->counters.arp_replies.get(), 1u);
  EXPECT_TRUE(sent_to_kernel().empty());

  // A request for another address: not ours to answer, and not the kernel's either.
  out = exchange(arp_frame(proto::kArpRequest, proto::kBroadcastMac, kClientMac, kClientIp,
                           proto::Mac{}, ip4(10, 77, 0, 99)));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(sent_to_kernel().empty());
  EXPECT_EQ(shared_->counters.arp_replies.get(), 1u);
  EXPECT_EQ(total_drops(), 0u);

  // A reply (the kernel side may be resolving): passed to the tap byte for byte.
  Frame reply = arp_frame(proto::kArpReply, ours, kClientMac, kClientIp, ours, kServerIp);
  out = exchange(reply);
  EXPECT_TRUE(out.empty());
  auto k = sent_to_kernel();
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0], reply);
}

TEST_F(DataplaneTest, DiscoverAndRequestFromAReservedHost) {
  const proto::Mac& ours = world().boot.mac;
  Req d;
  d.type = proto::kDiscover;
  d.mac = kReservedMac;
  d.xid = 0xcafe0001;
  d.arch = 0;
  d.vendor_class = kPxeVendor;
  auto out = exchange(dhcp_frame(d));
  ASSERT_EQ(out.size(), 1u);
  Udp u = parse_udp(out[0]);  // IP header and UDP checksums verified here
  ASSERT_TRUE(u.ok) << "OFFER fails its own codec (checksums, lengths)";
  EXPECT_EQ(u.f.eth.dst, kReservedMac);
  EXPECT_EQ(u.f.eth.src, ours);
  EXPECT_EQ(u.f.ip.src, kServerIp);
  EXPECT_EQ(u.f.ip.dst, kReservedIp);
  EXPECT_EQ(u.f.udp.sport, proto::kDhcpServerPort);
  EXPECT_EQ(u.f.udp.dport, proto::kDhcpClientPort);
  EXPECT_NE(u.f.udp.csum, 0) << "UDP checksum left out";
  ParsedReply offer = parse_reply(u.f.payload.data(), u.f.payload.size());
  ASSERT_TRUE(offer.ok);
  EXPECT_EQ(offer.op, 2);
  EXPECT_EQ(offer.type(), proto::kOffer);
  EXPECT_EQ(offer.xid, d.xid);
  EXPECT_EQ(offer.chaddr, kReservedMac);
  EXPECT_EQ(offer.yiaddr, kReservedIp);
  EXPECT_EQ(offer.siaddr, kServerIp);
  EXPECT_EQ(offer.file, "pxelinux.0");
  EXPECT_EQ(offer.u32(proto::opt::kServerId), kServerIp);
  EXPECT_EQ(offer.u32(proto::opt::kSubnetMask), ip4(255, 255, 255, 0));
  EXPECT_EQ(offer.u32(proto::opt::kRouter), kServerIp);

  Req r = d;
  r.type = proto::kRequest;
  r.requested = kReservedIp;
  r.server_id = kServerIp;
  out = exchange(dhcp_frame(r));
  ASSERT_EQ(out.size(), 1u);
  u = parse_udp(out[0]);
  ASSERT_TRUE(u.ok);
  EXPECT_EQ(u.f.eth.dst, kReservedMac);
  EXPECT_EQ(u.f.ip.dst, kReservedIp);
  ParsedReply ack = parse_reply(u.f.payload.data(), u.f.payload.size());
  ASSERT_TRUE(ack.ok);
  EXPECT_EQ(ack.type(), proto::kAck);
  EXPECT_EQ(ack.yiaddr, kReservedIp);
  EXPECT_EQ(ack.file, "pxelinux.0");
  EXPECT_GT(ack.u32(proto::opt::kLeaseTime), 0u);

  auto ev = events();
  auto it = std::find_if(ev.begin(), ev.end(),
                         [](const Event& e) { return e.type == EventType::dhcp_ack; });
  ASSERT_NE(it, ev.end()) << "no dhcp_ack event";
  EXPECT_EQ(it->mac, kReservedMac);
  EXPECT_EQ(it->ip, kReservedIp);
  EXPECT_STREQ(it->text, "pxelinux.0");
  EXPECT_EQ(shared_->counters.dhcp_requests.get(), 2u);
  EXPECT_EQ(shared_->counters.dhcp_replies.get(), 2u);
  EXPECT_TRUE(sent_to_kernel().empty());
  EXPECT_EQ(total_drops(), 0u);
}

TEST_F(DataplaneTest, DiscoverWithTheBroadcastFlagIsAnsweredByBroadcast) {
  Req d;
  d.type = proto::kDiscover;
  d.mac = kClientMac;  // no reservation: a pool address
  d.flags = proto::kBootpBroadcastFlag;
  d.vendor_class = kPxeVendor;
  auto out = exchange(dhcp_frame(d));
  ASSERT_EQ(out.size(), 1u);
  Udp u = parse_udp(out[0]);
  ASSERT_TRUE(u.ok);
  EXPECT_EQ(u.f.eth.dst, proto::kBroadcastMac);
  EXPECT_EQ(u.f.ip.dst, kBroadcastIp);
  EXPECT_EQ(u.f.udp.dport, proto::kDhcpClientPort);
  ParsedReply offer = parse_reply(u.f.payload.data(), u.f.payload.size());
  ASSERT_TRUE(offer.ok);
  EXPECT_EQ(offer.type(), proto::kOffer);
  EXPECT_GE(offer.yiaddr, ip4(10, 77, 0, 100));
  EXPECT_LE(offer.yiaddr, ip4(10, 77, 0, 200));
  EXPECT_EQ(offer.flags & proto::kBootpBroadcastFlag, proto::kBootpBroadcastFlag);
}

}  // namespace
}  // namespace bs::test
