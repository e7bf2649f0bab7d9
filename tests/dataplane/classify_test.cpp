// Classification: malformed frames are dropped and counted by reason; traffic the dataplane does
// not serve goes to the exception tap unchanged, and the tap's frames go out of the boot port.
#include "dataplane/proto/dhcp.hpp"
#include "harness.hpp"
#include "tests/unit/logic/dhcp_request.hpp"

namespace bs::test {
namespace {

using proto::MutBytes;

// Ethernet + IPv4 (+ an L4 payload given as bytes) from the client to the appliance.
Frame ip_frame(uint8_t proto, const std::vector<uint8_t>& l4) {
  Frame f(proto::kEthHeaderLen + proto::kIpv4HeaderLen + l4.size());
  proto::write_eth(MutBytes(f.data(), proto::kEthHeaderLen), world().boot.mac, kClientMac,
                   proto::kEtherIpv4);
  proto::write_ipv4(MutBytes(f.data() + proto::kEthHeaderLen, proto::kIpv4HeaderLen), kClientIp,
                    kServerIp, proto, uint16_t(l4.size()), 99);
  std::copy(l4.begin(), l4.end(), f.begin() + proto::kEthHeaderLen + proto::kIpv4HeaderLen);
  return f;
}

Frame tcp_syn_to_http() {
  std::vector<uint8_t> tcp(20, 0);
  proto::store16(&tcp[0], 45678);  // sport
  proto::store16(&tcp[2], 80);     // dport
  proto::store32(&tcp[4], 0x01020304);
  tcp[12] = 5 << 4;  // data offset
  tcp[13] = 0x02;    // SYN
  proto::store16(&tcp[14], 64240);
  return ip_frame(proto::kProtoTcp, tcp);
}

Frame icmp_echo() {
  std::vector<uint8_t> icmp = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
  proto::store16(&icmp[2], proto::csum_fold(proto::csum_partial({icmp.data(), icmp.size()})));
  return ip_frame(proto::kProtoIcmp, icmp);
}

Frame valid_discover() {
  Req d;
  d.mac = kClientMac;
  return udp_frame(kClientMac, proto::kBroadcastMac, 0, 0xffffffffu, proto::kDhcpClientPort,
                   proto::kDhcpServerPort, build_request(d));
}

class ClassifyTest : public DataplaneTest {
 protected:
  // Sends f, polls, and expects no frame out on either port and one more drop for reason d only.
  void expect_dropped(const Frame& f, Drop d) {
    const uint64_t before = drops(d), all_before = total_drops();
    send(f);
    poll();
    EXPECT_TRUE(sent().empty()) << drop_name(d);
    EXPECT_TRUE(sent_to_kernel().empty()) << drop_name(d);
    EXPECT_EQ(drops(d), before + 1) << "expected a drop for " << drop_name(d);
    EXPECT_EQ(total_drops(), all_before + 1) << "counted under another reason too";
  }
};

TEST_F(ClassifyTest, MalformedFramesAreDroppedByReason) {
  // An IPv4 header cut short.
  Frame ip = tcp_syn_to_http();
  expect_dropped(Frame(ip.begin(), ip.begin() + proto::kEthHeaderLen + 10), Drop::ipv4_short);

  // A bad IPv4 header checksum.
  Frame badip = valid_discover();
  badip[proto::kEthHeaderLen + 10] ^= 0x5a;
  expect_dropped(badip, Drop::ipv4_checksum);

  // A UDP datagram with a wrong checksum (a TFTP request to the appliance).
  Frame udp = client_udp(41000, proto::kTftpPort, tftp_request(proto::TftpOp::rrq, "pxelinux.0"));
  udp[proto::kEthHeaderLen + proto::kIpv4HeaderLen + 6] ^= 0xff;
  expect_dropped(udp, Drop::udp_checksum);
  EXPECT_EQ(pending_load_requests(), 0u);

  // A DHCP message shorter than the BOOTP header + cookie.
  std::vector<uint8_t> short_dhcp(100, 0);
  short_dhcp[0] = 1;
  expect_dropped(udp_frame(kClientMac, proto::kBroadcastMac, 0, 0xffffffffu, proto::kDhcpClientPort,
                           proto::kDhcpServerPort, short_dhcp),
                 Drop::dhcp_short);

  // A frame for another station's unicast MAC (a valid TFTP request otherwise).
  Frame other = client_udp(41001, proto::kTftpPort, tftp_request(proto::TftpOp::rrq, "pxelinux.0"));
  other[5] ^= 0x01;
  expect_dropped(other, Drop::eth_not_for_us);

  // A frame shorter than an Ethernet header.
  expect_dropped(Frame(ip.begin(), ip.begin() + 9), Drop::eth_short);

  EXPECT_EQ(shared_->counters.dhcp_requests.get(), 0u);
  EXPECT_EQ(shared_->counters.tftp_requests.get(), 0u);
}

TEST_F(ClassifyTest, EveryTruncationOfADiscoverIsDroppedWithoutAReply) {
  Frame full = valid_discover();
  for (size_t n = 0; n < full.size(); ++n) send(Frame(full.begin(), full.begin() + long(n)));
  // 1024 entries in the RX ring; the worker takes 32 per burst.
  poll(unsigned(full.size() / 32 + 2));
  EXPECT_TRUE(sent().empty());
  EXPECT_TRUE(sent_to_kernel().empty());
  EXPECT_EQ(total_drops(), full.size());
  EXPECT_EQ(shared_->counters.rx_packets.get(), full.size());
  // The frame itself is still served.
  EXPECT_EQ(exchange(full).size(), 1u);
}

TEST_F(ClassifyTest, UnservedTrafficGoesToTheKernelUnchanged) {
  const std::vector<Frame> frames = {
      tcp_syn_to_http(),
      icmp_echo(),
      client_udp(41002, 5000, {'h', 'e', 'l', 'l', 'o'}),
  };
  for (const Frame& f : frames) {
    auto out = exchange(f);
    EXPECT_TRUE(out.empty());
    auto k = sent_to_kernel();
    ASSERT_EQ(k.size(), 1u);
    EXPECT_EQ(k[0], f);
  }
  EXPECT_EQ(shared_->counters.to_kernel.get(), frames.size());
  EXPECT_EQ(total_drops(), 0u);

  // The kernel's frames (its TCP answer, say) leave by the boot port byte for byte.
  Frame from_kernel = udp_frame(world().boot.mac, kClientMac, kServerIp, kClientIp, 80, 45678,
                                {'s', 'y', 'n', '-', 'a', 'c', 'k'});
  send_from_kernel(from_kernel);
  poll();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], from_kernel);
  EXPECT_TRUE(sent_to_kernel().empty());
  EXPECT_EQ(shared_->counters.from_kernel.get(), 1u);
}

}  // namespace
}  // namespace bs::test
