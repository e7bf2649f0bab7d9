// The options of a reply from config (1, 3, 6, 12, 15, 28, 51, 54, 58, 59), option 82 echoed to
// relays, and option 60 for UEFI HTTP boot: write_reply() directly, then through the Server.
#include <gtest/gtest.h>

#include <algorithm>

#include "dataplane/dhcp/reply.hpp"
#include "dataplane/dhcp/server.hpp"
#include "dhcp_request.hpp"

namespace bs::dhcp {
namespace {

using namespace proto;
using snap::BootArch;
using test::ip;
using test::mac;
using test::ParsedReply;
using test::Req;

constexpr Ip4 kServer = ip(10, 77, 0, 1);
const std::vector<uint8_t> kRelayInfo = {1, 4, 'e', 't', 'h', '7', 2, 3, 0xab, 0xcd, 0xef};

snap::Snapshot options_snapshot() {
  snap::Snapshot s;
  s.server_ip = kServer;
  s.lease_seconds = 3600;
  s.boot.files[BootArch::bios] = "pxelinux.0";
  s.boot.files[BootArch::uefi_http] = "http://10.77.0.1/boot/grubx64.efi";
  snap::Pool p;
  p.subnet = ip(10, 77, 0, 0);
  p.prefix = 24;
  p.first = ip(10, 77, 0, 100);
  p.last = ip(10, 77, 0, 200);
  p.router = ip(10, 77, 0, 1);
  p.dns = {ip(10, 77, 0, 53), ip(9, 9, 9, 9)};
  p.domain = "lab.example";
  s.pools.push_back(p);
  snap::Pool relayed;
  relayed.subnet = ip(10, 88, 0, 0);
  relayed.prefix = 24;
  relayed.first = ip(10, 88, 0, 10);
  relayed.last = ip(10, 88, 0, 20);
  relayed.router = ip(10, 88, 0, 1);
  s.pools.push_back(relayed);
  snap::Host h;
  h.mac = mac(0x11);
  h.address = ip(10, 77, 0, 11);
  h.hostname = "node001";
  h.boot = s.boot;
  s.hosts.push_back(h);
  return s;
}

class ReplyOptions : public ::testing::Test {
 protected:
  // write_reply for request r with reply r2; parsed back.
  ParsedReply write(const Req& req, const Reply& r) {
    bytes_ = test::build_request(req);
    auto m = parse_dhcp(Bytes(bytes_.data(), bytes_.size()));
    EXPECT_TRUE(m.ok());
    if (!m.ok()) return {};
    size_t n = write_reply(s_, *m, r, MutBytes(out_.data(), out_.size()));
    EXPECT_GT(n, 0u);
    ParsedReply p = test::parse_reply(out_.data(), n);
    EXPECT_TRUE(p.ok);
    return p;
  }
  Reply offer(const snap::Host* host) {
    Reply r;
    r.type = kOffer;
    r.yiaddr = ip(10, 77, 0, 11);
    r.lease_s = s_.lease_seconds;
    r.pool = &s_.pools[0];
    r.host = host;
    r.boot_file = "pxelinux.0";
    r.server_text = "10.77.0.1";
    return r;
  }

  snap::Snapshot s_ = options_snapshot();
  std::vector<uint8_t> bytes_;
  std::vector<uint8_t> out_ = std::vector<uint8_t>(1500);
};

TEST_F(ReplyOptions, EveryOptionFromConfig) {
  ParsedReply p = write(Req{}, offer(&s_.hosts[0]));
  EXPECT_EQ(p.u32(opt::kSubnetMask), 0xffffff00u);                                  // 1
  EXPECT_EQ(p.u32(opt::kRouter), ip(10, 77, 0, 1));                                 // 3
  EXPECT_EQ(p.opts[opt::kDns], (std::vector<uint8_t>{10, 77, 0, 53, 9, 9, 9, 9}));  // 6
  EXPECT_EQ(p.str(opt::kHostname), "node001");                                      // 12
  EXPECT_EQ(p.str(opt::kDomainName), "lab.example");                                // 15
  EXPECT_EQ(p.u32(opt::kBroadcast), ip(10, 77, 0, 255));                            // 28, computed
  EXPECT_EQ(p.u32(opt::kLeaseTime), 3600u);                                         // 51
  EXPECT_EQ(p.u32(opt::kServerId), kServer);                                        // 54
  EXPECT_EQ(p.u32(opt::kRenewalTime), 1800u);    // 58: half the lease
  EXPECT_EQ(p.u32(opt::kRebindingTime), 3150u);  // 59: 7/8 of it
  EXPECT_EQ(p.opts[opt::kBroadcast].size(), 4u);
  EXPECT_EQ(p.opts[opt::kRenewalTime].size(), 4u);
}

TEST_F(ReplyOptions, HostnameOnlyForReservations) {
  ParsedReply p = write(Req{}, offer(nullptr));
  EXPECT_FALSE(p.has(opt::kHostname));
  s_.hosts[0].hostname.clear();
  EXPECT_FALSE(write(Req{}, offer(&s_.hosts[0])).has(opt::kHostname));
}

TEST_F(ReplyOptions, BroadcastConfiguredOrComputed) {
  s_.pools[0].broadcast = ip(10, 77, 0, 127);
  EXPECT_EQ(write(Req{}, offer(nullptr)).u32(opt::kBroadcast), ip(10, 77, 0, 127));
  s_.pools[0].broadcast = 0;
  s_.pools[0].prefix = 31;  // RFC 3021: no directed broadcast on a /31
  EXPECT_EQ(write(Req{}, offer(nullptr)).u32(opt::kBroadcast), 0xffffffffu);
  s_.pools[0].prefix = 16;
  EXPECT_EQ(write(Req{}, offer(nullptr)).u32(opt::kBroadcast), ip(10, 77, 255, 255));
}

TEST_F(ReplyOptions, RenewAndRebindTimesConfigured) {
  s_.renew_seconds = 600;
  s_.rebind_seconds = 2400;
  ParsedReply p = write(Req{}, offer(nullptr));
  EXPECT_EQ(p.u32(opt::kRenewalTime), 600u);
  EXPECT_EQ(p.u32(opt::kRebindingTime), 2400u);
  // A shorter lease than the configured T2: the configured times would be wrong, so 1/2 and 7/8.
  Reply short_lease = offer(nullptr);
  short_lease.lease_s = 2000;
  p = write(Req{}, short_lease);
  EXPECT_EQ(p.u32(opt::kLeaseTime), 2000u);
  EXPECT_EQ(p.u32(opt::kRenewalTime), 1000u);
  EXPECT_EQ(p.u32(opt::kRebindingTime), 1750u);
  // DHCPINFORM (no lease): no 51, 58, 59.
  Reply inform = offer(nullptr);
  inform.type = kAck;
  inform.lease_s = 0;
  p = write(Req{}, inform);
  EXPECT_FALSE(p.has(opt::kLeaseTime));
  EXPECT_FALSE(p.has(opt::kRenewalTime));
  EXPECT_FALSE(p.has(opt::kRebindingTime));
  EXPECT_TRUE(p.has(opt::kBroadcast));
}

TEST_F(ReplyOptions, RelayAgentInformationEchoedLastInEveryReply) {
  Req relayed;
  relayed.giaddr = ip(10, 88, 0, 1);
  relayed.relay_agent = kRelayInfo;
  relayed.vendor_class = "PXEClient:Arch:00000:UNDI:002001";  // PXE options come before it
  for (uint8_t type : {kOffer, kAck}) {
    Reply r = offer(nullptr);
    r.type = type;
    ParsedReply p = write(relayed, r);
    EXPECT_EQ(p.opts[opt::kRelayAgent], kRelayInfo);
    ASSERT_FALSE(p.order.empty());
    EXPECT_EQ(p.order.back(), opt::kRelayAgent) << "option 82 must be the last option";
    EXPECT_EQ(std::count(p.order.begin(), p.order.end(), opt::kRelayAgent), 1);
  }
  Reply nak;
  nak.type = kNak;
  nak.message = "wrong network";
  ParsedReply p = write(relayed, nak);
  EXPECT_EQ(p.type(), kNak);
  EXPECT_EQ(p.opts[opt::kRelayAgent], kRelayInfo);
  EXPECT_EQ(p.order.back(), opt::kRelayAgent);
}

TEST_F(ReplyOptions, NoRelayAgentInformationWhenNotRelayed) {
  EXPECT_FALSE(write(Req{}, offer(nullptr)).has(opt::kRelayAgent));
  Req relayed_without_82;
  relayed_without_82.giaddr = ip(10, 88, 0, 1);
  EXPECT_FALSE(write(relayed_without_82, offer(nullptr)).has(opt::kRelayAgent));
}

TEST_F(ReplyOptions, HttpBootReplyCarriesHttpClientVendorClass) {
  Req r;
  r.arch = 16;
  r.vendor_class = "HTTPClient:Arch:00016:UNDI:003001";
  Reply rep = offer(nullptr);
  rep.boot_file = "http://10.77.0.1/boot/grubx64.efi";
  rep.http_boot = true;
  ParsedReply p = write(r, rep);
  EXPECT_EQ(p.str(opt::kVendorClass), "HTTPClient");
  EXPECT_EQ(p.str(opt::kBootfile), "http://10.77.0.1/boot/grubx64.efi");
  EXPECT_EQ(p.file, "http://10.77.0.1/boot/grubx64.efi");
  EXPECT_FALSE(p.has(opt::kVendorSpecific));  // PXE discovery control is for PXE clients
}

TEST_F(ReplyOptions, PxeClientsGetMtftpSubOptionsOnlyForMtftpFiles) {
  Req r;
  r.vendor_class = "PXEClient:Arch:00000:UNDI:002001";
  ParsedReply p = write(r, offer(nullptr));
  EXPECT_EQ(p.str(opt::kVendorClass), "PXEClient");
  EXPECT_EQ(p.opts[opt::kVendorSpecific], (std::vector<uint8_t>{6, 1, 8, 255}));
  // pxelinux.0 served by PXE MTFTP: sub-options 1-5 first (PXE 2.1 table 2-1).
  s_.mtftp.push_back({"pxelinux.0", ip(239, 255, 77, 1), 1760, 1759, 2, 3});
  p = write(r, offer(nullptr));
  EXPECT_EQ(p.opts[opt::kVendorSpecific],
            (std::vector<uint8_t>{1,    4,    239, 255, 77, 1, 2, 2, 0x06, 0xe0, 3, 2,
                                  0x06, 0xdf, 4,   1,   2,  5, 1, 3, 6,    1,    8, 255}));
  // Another boot file: no MTFTP.
  Reply other = offer(nullptr);
  other.boot_file = "syslinux.efi";
  p = write(r, other);
  EXPECT_EQ(p.opts[opt::kVendorSpecific], (std::vector<uint8_t>{6, 1, 8, 255}));
}

// The same through the Server: reply_for() fills the boot choice, the reply echoes option 82.
struct NullSink : EventSink {
  void emit(const Event&) override {}
};

class ServerReplyOptions : public ::testing::Test {
 protected:
  void SetUp() override { server_.set_snapshot(&s_); }
  ParsedReply send(const Req& r) {
    bytes_ = test::build_request(r);
    auto m = parse_dhcp(Bytes(bytes_.data(), bytes_.size()));
    EXPECT_TRUE(m.ok());
    if (!m.ok()) return {};
    Outcome o = server_.handle(*m, 0, 1000, MutBytes(out_.data(), out_.size()));
    if (o.len == 0) return {};
    return test::parse_reply(out_.data(), o.len);
  }

  snap::Snapshot s_ = options_snapshot();
  NullSink sink_;
  Server server_{sink_, 0};
  std::vector<uint8_t> bytes_;
  std::vector<uint8_t> out_ = std::vector<uint8_t>(1500);
};

TEST_F(ServerReplyOptions, RelayedDiscoverAndRequestEchoOption82) {
  Req d;
  d.mac = mac(0x21);
  d.giaddr = ip(10, 88, 0, 1);
  d.relay_agent = kRelayInfo;
  ParsedReply offer = send(d);
  ASSERT_EQ(offer.type(), kOffer);
  EXPECT_EQ(offer.giaddr, ip(10, 88, 0, 1));
  EXPECT_EQ(offer.u32(opt::kBroadcast), ip(10, 88, 0, 255));
  EXPECT_EQ(offer.opts[opt::kRelayAgent], kRelayInfo);
  EXPECT_EQ(offer.order.back(), opt::kRelayAgent);
  Req q = d;
  q.type = kRequest;
  q.requested = offer.yiaddr;
  q.server_id = kServer;
  ParsedReply ack = send(q);
  ASSERT_EQ(ack.type(), kAck);
  EXPECT_EQ(ack.opts[opt::kRelayAgent], kRelayInfo);
  EXPECT_EQ(ack.order.back(), opt::kRelayAgent);
  d.relay_agent.clear();
  EXPECT_FALSE(send(d).has(opt::kRelayAgent));
}

TEST_F(ServerReplyOptions, UefiHttpClientGetsUrlAndVendorClass) {
  Req d;
  d.mac = mac(0x22);
  d.arch = 16;
  d.vendor_class = "HTTPClient:Arch:00016:UNDI:003001";
  ParsedReply offer = send(d);
  ASSERT_EQ(offer.type(), kOffer);
  EXPECT_EQ(offer.str(opt::kVendorClass), "HTTPClient");
  EXPECT_EQ(offer.str(opt::kBootfile), "http://10.77.0.1/boot/grubx64.efi");
  Req reserved;
  reserved.mac = mac(0x11);
  ParsedReply p = send(reserved);
  ASSERT_EQ(p.type(), kOffer);
  EXPECT_EQ(p.str(opt::kHostname), "node001");
  EXPECT_EQ(p.file, "pxelinux.0");
  EXPECT_FALSE(p.has(opt::kVendorClass));
}

}  // namespace
}  // namespace bs::dhcp
