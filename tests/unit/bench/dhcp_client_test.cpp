// The bench's PXE DHCP client (bench/dhcp_client.hpp) against scripted server replies built with
// the proto writer, its frames read back byte by byte with the proto parsers; and the
// many-clients run (bench/dhcp_run.hpp) against a scripted server, with its perfdhcp report.
#include "bench/dhcp_client.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bench/dhcp_run.hpp"
#include "dataplane/proto/dhcp.hpp"
#include "dataplane/proto/udp.hpp"

namespace bs::bench {
namespace {

using proto::Bytes;
using proto::MutBytes;
namespace opt = proto::opt;

constexpr uint64_t kSec = 1000000;
const proto::Mac kMac = *proto::Mac::parse("52:54:00:aa:bb:cc");
const proto::Mac kServerMac = *proto::Mac::parse("02:00:00:00:00:01");
const proto::Mac kOtherServerMac = *proto::Mac::parse("02:00:00:00:00:02");
const proto::Ip4 kServer = *proto::parse_ip("10.77.0.1");
const proto::Ip4 kOtherServer = *proto::parse_ip("10.77.0.2");
const proto::Ip4 kLease = *proto::parse_ip("10.77.0.100");
constexpr uint32_t kXid = 0x12345678;

DhcpClientOptions options(uint16_t arch = 7) {
  DhcpClientOptions o;
  o.mac = kMac;
  for (size_t i = 0; i < 16; ++i) o.uuid[i] = uint8_t(0xa0 + i);
  o.arch = arch;
  o.xid = kXid;
  return o;
}

std::string str(Bytes b) {
  return std::string(b.begin(), b.end());
}

// --- reading what the client sent --------------------------------------------------------

struct Sent {
  proto::UdpFrame f;
  proto::DhcpMessage m;
  std::vector<std::pair<uint8_t, std::vector<uint8_t>>> opts;  // every option, in order
  bool end = false;                                            // END seen
};

// Parses a frame the client wrote: Ethernet/IPv4/UDP (checksums verified) and the BOOTREQUEST,
// and lists its options as they are on the wire.
Sent read_frame(const std::vector<uint8_t>& frame) {
  Sent s;
  auto f = proto::parse_udp_frame(Bytes(frame.data(), frame.size()));
  EXPECT_TRUE(f) << drop_name(f.error());
  if (!f) return s;
  s.f = *f;
  auto m = proto::parse_dhcp(f->payload);
  EXPECT_TRUE(m) << drop_name(m.error());
  if (!m) return s;
  s.m = *m;
  Bytes o = f->payload.subspan(proto::kDhcpMinLen);
  for (size_t i = 0; i < o.size();) {
    if (o[i] == opt::kEnd) {
      s.end = true;
      break;
    }
    if (o[i] == opt::kPad) {
      ++i;
      continue;
    }
    const size_t len = o[i + 1];
    s.opts.emplace_back(
        o[i], std::vector<uint8_t>(o.begin() + long(i + 2), o.begin() + long(i + 2 + len)));
    i += 2 + len;
  }
  return s;
}

std::vector<uint8_t> bytes(std::string_view s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// The options a PXE client sends after 53 (and 50, 54 in a REQUEST), in order.
std::vector<std::pair<uint8_t, std::vector<uint8_t>>> pxe_options(uint16_t arch) {
  std::vector<uint8_t> uuid = {0};
  for (size_t i = 0; i < 16; ++i) uuid.push_back(uint8_t(0xa0 + i));
  const Bytes pl = DhcpClient::param_list();
  char vc[40];
  std::snprintf(vc, sizeof vc, "PXEClient:Arch:%05u:UNDI:002001", unsigned(arch));
  return {{opt::kMaxMsgSize, {0x04, 0xec}},
          {opt::kParamList, std::vector<uint8_t>(pl.begin(), pl.end())},
          {opt::kClientUuid, uuid},
          {opt::kClientArch, {uint8_t(arch >> 8), uint8_t(arch)}},
          {opt::kClientNdi, {1, 2, 1}},
          {opt::kVendorClass, bytes(vc)}};
}

// --- the scripted server -----------------------------------------------------------------

struct ReplySpec {
  uint8_t type = proto::kOffer;
  uint32_t xid = kXid;
  proto::Mac chaddr = kMac;
  proto::Ip4 yiaddr = kLease, siaddr = kServer;
  std::string sname, file = "pxelinux.0";
  std::optional<proto::Ip4> server_id = kServer;
  std::function<void(proto::DhcpWriter&)> more;  // extra options
  uint8_t overload = 0;                          // written by `more` into file/sname
  std::vector<uint8_t> file_area;                // raw 'file' field contents (overload)
};

std::vector<uint8_t> reply(const ReplySpec& r) {
  proto::DhcpReplyHeader h;
  h.xid = r.xid;
  h.yiaddr = r.yiaddr;
  h.siaddr = r.siaddr;
  h.chaddr = r.chaddr;
  h.sname = r.sname;
  h.file = r.file;
  std::vector<uint8_t> b(1024);
  proto::DhcpWriter w(MutBytes(b.data(), b.size()), h);
  w.add_u8(opt::kMessageType, r.type);
  if (r.server_id) w.add_ip(opt::kServerId, *r.server_id);
  if (r.overload) w.add_u8(opt::kOverload, r.overload);
  if (r.more) r.more(w);
  b.resize(w.finish());
  if (!r.file_area.empty()) std::copy(r.file_area.begin(), r.file_area.end(), b.begin() + 108);
  return b;
}

class ClientTest : public ::testing::Test {
 protected:
  DhcpClient c;
  std::vector<uint8_t> buf = std::vector<uint8_t>(kMaxFrame);
  std::vector<uint8_t> last;  // the last frame written

  MutBytes out() { return MutBytes(buf.data(), buf.size()); }
  size_t keep(size_t n) {
    last.assign(buf.begin(), buf.begin() + long(n));
    return n;
  }
  size_t start(uint64_t now, DhcpClientOptions o = options()) {
    c.reset(o);
    return keep(c.start(now, out()));
  }
  size_t on(const ReplySpec& r, uint64_t now, const proto::Mac& src = kServerMac) {
    const auto p = reply(r);
    return keep(c.on_reply(Bytes(p.data(), p.size()), src, now, out()));
  }
  size_t timeout(uint64_t now) { return keep(c.on_timeout(now, out())); }
  // Through DISCOVER and OFFER to the REQUEST (sent at `at`).
  void to_requesting(uint64_t at = 0) {
    ASSERT_GT(start(at), 0u);
    ASSERT_GT(on(ReplySpec{}, at), 0u);
    ASSERT_EQ(c.state(), DhcpClient::State::requesting);
  }
};

TEST_F(ClientTest, DiscoverIsAPxeFirmwaresFrameByteByByte) {
  EXPECT_EQ(c.state(), DhcpClient::State::idle);
  const size_t n = start(5 * kSec);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(c.state(), DhcpClient::State::selecting);
  EXPECT_EQ(c.deadline_us(), 9 * kSec);
  const Sent s = read_frame(last);
  EXPECT_EQ(n, proto::kEthIpUdpLen + s.f.payload.size());
  EXPECT_EQ(s.f.eth.src, kMac);
  EXPECT_TRUE(s.f.eth.dst.is_broadcast());
  EXPECT_EQ(s.f.ip.src, 0u);
  EXPECT_EQ(s.f.ip.dst, 0xffffffffu);
  EXPECT_EQ(s.f.udp.sport, 68);
  EXPECT_EQ(s.f.udp.dport, 67);
  EXPECT_NE(s.f.udp.csum, 0);  // filled in (and verified by the parser)
  EXPECT_EQ(s.m.op, 1);
  EXPECT_EQ(s.m.htype, 1);
  EXPECT_EQ(s.m.hlen, 6);
  EXPECT_EQ(s.m.xid, kXid);
  EXPECT_EQ(s.m.secs, 0);
  EXPECT_EQ(s.m.flags, 0);  // no broadcast flag by default
  EXPECT_EQ(s.m.ciaddr, 0u);
  EXPECT_EQ(s.m.yiaddr, 0u);
  EXPECT_EQ(s.m.siaddr, 0u);
  EXPECT_EQ(s.m.giaddr, 0u);
  EXPECT_EQ(s.m.chaddr, kMac);
  EXPECT_EQ(s.m.type, proto::kDiscover);
  EXPECT_TRUE(s.m.is_pxe());
  EXPECT_EQ(s.m.arch, 7);
  EXPECT_EQ(s.m.max_msg_size, 1260);
  EXPECT_FALSE(s.m.requested_ip);
  EXPECT_FALSE(s.m.server_id);
  // Every option, in order, byte by byte.
  auto want = pxe_options(7);
  want.insert(want.begin(), {opt::kMessageType, {proto::kDiscover}});
  EXPECT_EQ(s.opts, want);
  EXPECT_TRUE(s.end);
  EXPECT_EQ(str(s.m.vendor_class), "PXEClient:Arch:00007:UNDI:002001");
  // The parameter list has what PXE needs.
  for (uint8_t code : {1, 3, 6, 12, 15, 43, 60, 66, 67, 128, 129, 130, 131, 132, 133, 134, 135})
    EXPECT_NE(std::find(s.m.param_list.begin(), s.m.param_list.end(), code), s.m.param_list.end())
        << int(code);
  EXPECT_EQ(c.stats().discovers, 1u);
}

TEST_F(ClientTest, ArchAndBroadcastFlag) {
  auto o = options(0);
  o.broadcast = true;
  ASSERT_GT(start(0, o), 0u);
  const Sent s = read_frame(last);
  EXPECT_TRUE(s.m.broadcast());
  EXPECT_EQ(s.m.arch, 0);
  EXPECT_EQ(str(s.m.vendor_class), "PXEClient:Arch:00000:UNDI:002001");
  EXPECT_EQ(DhcpClient::vendor_class(11), "PXEClient:Arch:00011:UNDI:002001");
}

TEST_F(ClientTest, DoraToBound) {
  ASSERT_GT(start(0), 0u);
  // The OFFER, 3 ms later: a REQUEST for it at once.
  ReplySpec offer;
  offer.more = [](proto::DhcpWriter& w) { w.add_u32(opt::kLeaseTime, 3600); };
  const size_t n = on(offer, 3000);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(c.state(), DhcpClient::State::requesting);
  EXPECT_EQ(c.offered_ip(), kLease);
  EXPECT_EQ(c.chosen_server(), kServer);
  EXPECT_EQ(c.deadline_us(), 3000 + 4 * kSec);  // the REQUEST's own schedule
  EXPECT_EQ(c.stats().offer_us, 3000u);
  const Sent s = read_frame(last);
  EXPECT_EQ(s.f.eth.src, kMac);
  EXPECT_TRUE(s.f.eth.dst.is_broadcast());
  EXPECT_EQ(s.f.ip.src, 0u);
  EXPECT_EQ(s.f.ip.dst, 0xffffffffu);
  EXPECT_EQ(s.m.type, proto::kRequest);
  EXPECT_EQ(s.m.xid, kXid);  // the DISCOVER's
  EXPECT_EQ(s.m.ciaddr, 0u);
  EXPECT_EQ(s.m.requested_ip, kLease);
  EXPECT_EQ(s.m.server_id, kServer);
  auto want = pxe_options(7);
  want.insert(want.begin(), {{opt::kMessageType, {proto::kRequest}},
                             {opt::kRequestedIp, {10, 77, 0, 100}},
                             {opt::kServerId, {10, 77, 0, 1}}});
  EXPECT_EQ(s.opts, want);
  // The ACK, 2 ms after the REQUEST.
  ReplySpec ack;
  ack.type = proto::kAck;
  ack.more = [](proto::DhcpWriter& w) {
    w.add_ip(opt::kSubnetMask, 0xffffff00);
    w.add_ip(opt::kRouter, *proto::parse_ip("10.77.0.254"));
    w.add_u32(opt::kLeaseTime, 7200);
    w.add_str(opt::kBootfile, "bios/pxelinux.0");
  };
  EXPECT_EQ(on(ack, 5000), 0u);  // nothing more to send
  EXPECT_EQ(c.state(), DhcpClient::State::bound);
  EXPECT_TRUE(c.finished());
  EXPECT_EQ(c.deadline_us(), DhcpClient::kNever);
  EXPECT_EQ(c.stats().ack_us, 2000u);
  const DhcpLease& l = c.lease();
  EXPECT_EQ(l.ip, kLease);
  EXPECT_EQ(l.server_id, kServer);
  EXPECT_EQ(l.next_server, kServer);  // siaddr
  EXPECT_EQ(l.netmask, 0xffffff00u);
  EXPECT_EQ(l.router, *proto::parse_ip("10.77.0.254"));
  EXPECT_EQ(l.server_mac, kServerMac);
  EXPECT_EQ(l.boot_file, "bios/pxelinux.0");  // option 67 over the file field
  EXPECT_EQ(l.lease_s, 7200u);
  EXPECT_EQ(c.stats().discovers, 1u);
  EXPECT_EQ(c.stats().requests, 1u);
  EXPECT_EQ(c.stats().offers, 1u);
  EXPECT_EQ(c.stats().acks, 1u);
  EXPECT_EQ(c.stats().retransmits, 0u);
  EXPECT_EQ(c.fail(), DhcpFail::none);
}

TEST_F(ClientTest, LostRepliesFollowThePxeScheduleThenFail) {
  ASSERT_GT(start(0), 0u);
  // DISCOVERs at 0, 4, 12, 28 s (waits 4, 8, 16, 32), failing at 60 s; secs counts.
  const std::vector<std::pair<uint64_t, uint16_t>> resends = {{4, 4}, {12, 12}, {28, 28}};
  for (auto [at, secs] : resends) {
    EXPECT_EQ(c.deadline_us(), at * kSec);
    EXPECT_EQ(timeout(at * kSec - 1), 0u);  // not yet
    ASSERT_GT(timeout(at * kSec), 0u) << at;
    const Sent s = read_frame(last);
    EXPECT_EQ(s.m.type, proto::kDiscover);
    EXPECT_EQ(s.m.xid, kXid);
    EXPECT_EQ(s.m.secs, secs);
  }
  EXPECT_EQ(c.deadline_us(), 60 * kSec);
  EXPECT_EQ(timeout(60 * kSec - 1), 0u);
  EXPECT_EQ(c.state(), DhcpClient::State::selecting);
  EXPECT_EQ(timeout(60 * kSec), 0u);
  EXPECT_EQ(c.state(), DhcpClient::State::failed);
  EXPECT_EQ(c.fail(), DhcpFail::timeout);
  EXPECT_STREQ(dhcp_fail_name(c.fail()), "timeout");
  EXPECT_EQ(c.deadline_us(), DhcpClient::kNever);
  EXPECT_EQ(c.stats().discovers, 4u);
  EXPECT_EQ(c.stats().retransmits, 3u);
  EXPECT_EQ(timeout(100 * kSec), 0u);          // failed stays failed
  EXPECT_EQ(on(ReplySpec{}, 101 * kSec), 0u);  // an OFFER now is too late
  EXPECT_EQ(c.state(), DhcpClient::State::failed);
  EXPECT_EQ(c.stats().ignored, 1u);
}

TEST_F(ClientTest, LostAcksResendTheRequestThenFail) {
  to_requesting(1 * kSec);
  for (uint64_t at : {5, 13, 29}) {
    ASSERT_GT(timeout(at * kSec), 0u);
    const Sent s = read_frame(last);
    EXPECT_EQ(s.m.type, proto::kRequest);
    EXPECT_EQ(s.m.requested_ip, kLease);
    EXPECT_EQ(s.m.secs, at - 1);
  }
  EXPECT_EQ(timeout(61 * kSec), 0u);
  EXPECT_EQ(c.fail(), DhcpFail::ack_timeout);
  EXPECT_EQ(c.stats().requests, 4u);
  EXPECT_EQ(c.stats().retransmits, 3u);
}

TEST_F(ClientTest, AnAckAfterRetransmissionsBindsWithTheWholeDelay) {
  ASSERT_GT(start(0), 0u);
  ASSERT_GT(timeout(4 * kSec), 0u);
  ASSERT_GT(on(ReplySpec{}, 4 * kSec + 500), 0u);
  EXPECT_EQ(c.stats().offer_us, 4 * kSec + 500);  // from the first DISCOVER
  ReplySpec ack;
  ack.type = proto::kAck;
  EXPECT_EQ(on(ack, 4 * kSec + 900), 0u);
  EXPECT_EQ(c.stats().ack_us, 400u);
  EXPECT_EQ(c.state(), DhcpClient::State::bound);
}

TEST_F(ClientTest, CustomScheduleAndOneShot) {
  auto o = options();
  o.timeouts_us = {1 * kSec};
  ASSERT_GT(start(0, o), 0u);
  EXPECT_EQ(c.deadline_us(), 1 * kSec);
  EXPECT_EQ(timeout(1 * kSec), 0u);
  EXPECT_EQ(c.fail(), DhcpFail::timeout);
  EXPECT_EQ(c.stats().discovers, 1u);
  o.timeouts_us = {};  // wait for ever
  ASSERT_GT(start(0, o), 0u);
  EXPECT_EQ(c.deadline_us(), DhcpClient::kNever);
  EXPECT_EQ(timeout(1000 * kSec), 0u);
  EXPECT_EQ(c.state(), DhcpClient::State::selecting);
}

TEST_F(ClientTest, DuplicateOffersAndAcksAreIgnored) {
  to_requesting();
  // A second OFFER (the same server's retransmission, or another server's): ignored.
  ReplySpec other;
  other.server_id = kOtherServer;
  other.yiaddr = kLease + 1;
  EXPECT_EQ(on(ReplySpec{}, 10), 0u);
  EXPECT_EQ(on(other, 11), 0u);
  EXPECT_EQ(c.state(), DhcpClient::State::requesting);
  EXPECT_EQ(c.offered_ip(), kLease);
  EXPECT_EQ(c.stats().offers, 3u);
  EXPECT_EQ(c.stats().ignored, 2u);
  EXPECT_EQ(c.stats().requests, 1u);
  // An ACK (or NAK) from the server not chosen: ignored.
  ReplySpec ack_other;
  ack_other.type = proto::kAck;
  ack_other.server_id = kOtherServer;
  EXPECT_EQ(on(ack_other, 12, kOtherServerMac), 0u);
  ack_other.type = proto::kNak;
  EXPECT_EQ(on(ack_other, 12, kOtherServerMac), 0u);
  EXPECT_EQ(c.state(), DhcpClient::State::requesting);
  EXPECT_EQ(c.stats().ignored, 4u);
  // The ACK, then its duplicate.
  ReplySpec ack;
  ack.type = proto::kAck;
  EXPECT_EQ(on(ack, 20), 0u);
  EXPECT_EQ(c.state(), DhcpClient::State::bound);
  ReplySpec dup = ack;
  dup.yiaddr = kLease + 7;
  EXPECT_EQ(on(dup, 30, kOtherServerMac), 0u);
  EXPECT_EQ(c.lease().ip, kLease);
  EXPECT_EQ(c.lease().server_mac, kServerMac);
  EXPECT_EQ(c.stats().acks, 3u);
  EXPECT_EQ(c.stats().ignored, 5u);
}

TEST_F(ClientTest, WrongXidChaddrAndMalformedAreIgnored) {
  ASSERT_GT(start(0), 0u);
  ReplySpec wrong_xid;
  wrong_xid.xid = kXid + 1;
  ReplySpec wrong_mac;
  wrong_mac.chaddr = kServerMac;
  EXPECT_EQ(on(wrong_xid, 1), 0u);
  EXPECT_EQ(on(wrong_mac, 2), 0u);
  EXPECT_EQ(c.stats().ignored, 2u);
  EXPECT_EQ(c.stats().offers, 0u);
  // Not a BOOTREPLY: a request, garbage.
  const std::vector<uint8_t> junk(100, 0x41);
  EXPECT_EQ(c.on_reply(Bytes(junk.data(), junk.size()), kServerMac, 3, out()), 0u);
  auto req = reply(ReplySpec{});
  req[0] = 1;
  EXPECT_EQ(c.on_reply(Bytes(req.data(), req.size()), kServerMac, 3, out()), 0u);
  EXPECT_EQ(c.stats().malformed, 2u);
  // Types a client does not expect now: ignored.
  ReplySpec ack;
  ack.type = proto::kAck;
  EXPECT_EQ(on(ack, 4), 0u);
  ReplySpec inform;
  inform.type = proto::kInform;
  EXPECT_EQ(on(inform, 4), 0u);
  EXPECT_EQ(c.stats().ignored, 4u);
  EXPECT_EQ(c.state(), DhcpClient::State::selecting);
  // A proxyDHCP offer (no yiaddr) and an offer without server id are unusable; the next
  // proper one is taken.
  ReplySpec proxy;
  proxy.yiaddr = 0;
  proxy.more = [](proto::DhcpWriter& w) { w.add_str(opt::kVendorClass, "PXEClient"); };
  EXPECT_EQ(on(proxy, 5), 0u);
  ReplySpec no_id;
  no_id.server_id.reset();
  EXPECT_EQ(on(no_id, 6), 0u);
  EXPECT_EQ(c.stats().unusable, 2u);
  EXPECT_EQ(c.state(), DhcpClient::State::selecting);
  EXPECT_GT(on(ReplySpec{}, 7), 0u);
  EXPECT_EQ(c.state(), DhcpClient::State::requesting);
  EXPECT_EQ(c.stats().offer_us, 7u);
}

TEST_F(ClientTest, NakRestartsAtDiscoverThenFailsAfterTheBudget) {
  auto o = options();
  o.nak_retries = 2;
  ASSERT_GT(start(0, o), 0u);
  ReplySpec nak;
  nak.type = proto::kNak;
  nak.yiaddr = 0;
  nak.siaddr = 0;
  nak.more = [](proto::DhcpWriter& w) { w.add_str(opt::kMessage, "wrong network"); };
  uint64_t t = 0;
  for (uint32_t round = 1; round <= 2; ++round) {
    t += 2 * kSec;
    ASSERT_GT(on(ReplySpec{}, t), 0u);  // OFFER -> REQUEST
    t += kSec;
    ASSERT_GT(on(nak, t), 0u) << round;  // NAK -> DISCOVER
    EXPECT_EQ(c.state(), DhcpClient::State::selecting);
    EXPECT_EQ(c.deadline_us(), t + 4 * kSec);  // the schedule restarts
    EXPECT_EQ(c.naks(), round);
    const Sent s = read_frame(last);
    EXPECT_EQ(s.m.type, proto::kDiscover);
    EXPECT_EQ(s.m.xid, kXid);
    EXPECT_EQ(s.m.secs, t / kSec);  // counted from start(), NAKs included
  }
  // offer_us counts from the new round's DISCOVER.
  ASSERT_GT(on(ReplySpec{}, t + 1000), 0u);
  EXPECT_EQ(c.stats().offer_us, 1000u);
  EXPECT_EQ(on(nak, t + 2000), 0u);
  EXPECT_EQ(c.state(), DhcpClient::State::failed);
  EXPECT_EQ(c.fail(), DhcpFail::nak_loop);
  EXPECT_EQ(c.stats().naks, 3u);
  EXPECT_EQ(c.stats().discovers, 3u);
  EXPECT_EQ(c.stats().requests, 3u);
  // A NAK while selecting is ignored.
  ASSERT_GT(start(0, o), 0u);
  EXPECT_EQ(on(nak, 1), 0u);
  EXPECT_EQ(c.stats().ignored, 1u);
  EXPECT_EQ(c.state(), DhcpClient::State::selecting);
}

TEST_F(ClientTest, NextServerFromSiaddrThenOption66ThenServerId) {
  struct Case {
    proto::Ip4 siaddr;
    const char* opt66;  // null: absent
    proto::Ip4 want;
  };
  const proto::Ip4 tftp = *proto::parse_ip("10.77.0.9");
  const Case cases[] = {
      {kOtherServer, "10.77.0.9", kOtherServer},  // siaddr first
      {0, "10.77.0.9", tftp},                     // then 66 as a dotted quad
      {0, "tftp.lab", kServer},                   // a name: the server id
      {0, nullptr, kServer},                      // nothing: the server id
  };
  for (const Case& k : cases) {
    to_requesting();
    ReplySpec ack;
    ack.type = proto::kAck;
    ack.siaddr = k.siaddr;
    const std::string name = k.opt66 ? k.opt66 : "";
    if (k.opt66) ack.more = [&](proto::DhcpWriter& w) { w.add_str(opt::kTftpServer, name); };
    EXPECT_EQ(on(ack, 10), 0u);
    ASSERT_EQ(c.state(), DhcpClient::State::bound);
    EXPECT_EQ(c.lease().next_server, k.want) << (k.opt66 ? k.opt66 : "-") << " " << k.siaddr;
    EXPECT_EQ(c.lease().tftp_server, name);
  }
  // A NUL-terminated dotted quad (some servers send one) still counts.
  to_requesting();
  ReplySpec ack;
  ack.type = proto::kAck;
  ack.siaddr = 0;
  ack.more = [](proto::DhcpWriter& w) {
    const char v[] = "10.77.0.9";
    w.add(opt::kTftpServer, Bytes(reinterpret_cast<const uint8_t*>(v), sizeof v));
  };
  on(ack, 10);
  EXPECT_EQ(c.lease().next_server, tftp);
}

TEST_F(ClientTest, BootFileFromAnOverloadedFileField) {
  to_requesting();
  ReplySpec ack;
  ack.type = proto::kAck;
  ack.file = "";
  ack.sname = "";
  ack.overload = 1;  // 'file' holds options
  const std::string bf = "efi64/syslinux.efi";
  ack.file_area = {opt::kBootfile, uint8_t(bf.size())};
  ack.file_area.insert(ack.file_area.end(), bf.begin(), bf.end());
  ack.file_area.push_back(opt::kEnd);
  EXPECT_EQ(on(ack, 10), 0u);
  ASSERT_EQ(c.state(), DhcpClient::State::bound);
  EXPECT_EQ(c.lease().boot_file, bf);
  // Without option 67 nor overload, the file field is the boot file.
  to_requesting();
  ReplySpec plain;
  plain.type = proto::kAck;
  plain.file = "pxelinux.0";
  on(plain, 10);
  EXPECT_EQ(c.lease().boot_file, "pxelinux.0");
}

TEST_F(ClientTest, PxelinuxOptions) {
  to_requesting();
  ReplySpec ack;
  ack.type = proto::kAck;
  ack.more = [](proto::DhcpWriter& w) {
    w.add_u32(opt::kPxelinuxMagic, 0xf100747e);
    w.add_str(opt::kPxelinuxConfigFile, "pxelinux.cfg/rack7");
    w.add_str(opt::kPxelinuxPathPrefix, "http://10.77.0.1/boot/");
    w.add_u32(opt::kPxelinuxRebootTime, 300);
  };
  on(ack, 10);
  ASSERT_EQ(c.state(), DhcpClient::State::bound);
  EXPECT_TRUE(c.lease().pxelinux_magic);
  EXPECT_EQ(c.lease().pxelinux_config, "pxelinux.cfg/rack7");
  EXPECT_EQ(c.lease().path_prefix, "http://10.77.0.1/boot/");
  EXPECT_EQ(c.lease().reboot_s, 300u);
}

TEST_F(ClientTest, NoRoomCountsAsSentAndTheTimerResends) {
  c.reset(options());
  EXPECT_EQ(c.start(0, MutBytes()), 0u);
  EXPECT_EQ(c.state(), DhcpClient::State::selecting);
  EXPECT_EQ(c.stats().discovers, 1u);
  ASSERT_GT(timeout(4 * kSec), 0u);
  EXPECT_EQ(read_frame(last).m.type, proto::kDiscover);
  std::vector<uint8_t> small(200);  // too small for a DHCP message
  EXPECT_EQ(c.on_timeout(12 * kSec, MutBytes(small.data(), small.size())), 0u);
  EXPECT_EQ(c.stats().discovers, 3u);
}

// --- the run ------------------------------------------------------------------------------

struct Sink : FrameSink {
  std::vector<std::vector<uint8_t>> sent;
  std::vector<uint8_t> buf = std::vector<uint8_t>(2048);
  bool full = false;
  MutBytes frame() override { return full ? MutBytes() : MutBytes(buf.data(), buf.size()); }
  void send(size_t len) override { sent.emplace_back(buf.begin(), buf.begin() + long(len)); }
};

// A scripted DHCP server for the run: answers what the run sent, as told.
struct Server {
  bool broadcast = false;  // replies to ff:ff:ff:ff:ff:ff / 255.255.255.255, else unicast
  std::function<bool(const proto::DhcpMessage&)> drop;  // true: no answer
  std::function<proto::Ip4(const proto::DhcpMessage&)> address;
  std::map<uint64_t, proto::Ip4> leases;  // by MAC
  proto::Ip4 next = kLease;
  uint8_t answer_request_with = proto::kAck;

  std::vector<uint8_t> frame_for(const std::vector<uint8_t>& payload, const proto::Mac& chaddr,
                                 proto::Ip4 yiaddr) const {
    proto::UdpAddr a;
    a.src_mac = kServerMac;
    a.dst_mac = broadcast ? proto::kBroadcastMac : chaddr;
    a.src_ip = kServer;
    a.dst_ip = broadcast || yiaddr == 0 ? 0xffffffff : yiaddr;
    a.sport = 67;
    a.dport = 68;
    std::vector<uint8_t> f(proto::kEthIpUdpLen + payload.size());
    const uint32_t sum = proto::csum_partial(Bytes(payload.data(), payload.size()));
    proto::write_udp_headers(MutBytes(f.data(), f.size()), a, uint16_t(payload.size()), sum, 1);
    std::copy(payload.begin(), payload.end(), f.begin() + proto::kEthIpUdpLen);
    return f;
  }
  // The reply frames to the frames the run sent (which are consumed).
  std::vector<std::vector<uint8_t>> answer(Sink& sink) {
    std::vector<std::vector<uint8_t>> out;
    for (const auto& f : sink.sent) {
      auto u = proto::parse_udp_frame(Bytes(f.data(), f.size()));
      if (!u) continue;
      auto m = proto::parse_dhcp(u->payload);
      if (!m || (drop && drop(*m))) continue;
      proto::Ip4 ip;
      if (address) {
        ip = address(*m);
      } else {
        auto [it, fresh] = leases.try_emplace(m->chaddr.key(), next);
        if (fresh) ++next;
        ip = it->second;
      }
      ReplySpec r;
      r.xid = m->xid;
      r.chaddr = m->chaddr;
      r.yiaddr = ip;
      r.type = m->type == proto::kDiscover ? uint8_t(proto::kOffer) : answer_request_with;
      if (r.type == proto::kNak) r.yiaddr = 0;
      out.push_back(frame_for(reply(r), m->chaddr, r.yiaddr));
    }
    sink.sent.clear();
    return out;
  }
};

DhcpRunConfig run_config(uint64_t clients, double rate = 0) {
  DhcpRunConfig c;
  c.clients = clients;
  c.rate = rate;
  c.client.arch = 0;
  c.exit_wait_us = rate > 0 ? 1 * kSec : DhcpClient::kNever;
  return c;
}

// Polls every `step` µs from `t`, the server answering each poll's frames `delay` µs later,
// until the run finishes (or `limit`).
uint64_t drive(DhcpRun& run, Sink& sink, Server& srv, uint64_t t, uint64_t step, uint64_t delay,
               uint64_t limit = 600 * kSec) {
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> wire;  // (due, frame)
  while (!run.finished() && t < limit) {
    for (size_t i = 0; i < wire.size();) {
      if (wire[i].first <= t) {
        run.on_frame(Bytes(wire[i].second.data(), wire[i].second.size()), t);
        wire.erase(wire.begin() + long(i));
      } else {
        ++i;
      }
    }
    run.poll(t);
    for (auto& f : srv.answer(sink)) wire.emplace_back(t + delay, std::move(f));
    t += step;
  }
  return t;
}

TEST(DhcpRun, AvalancheOfDistinctClientsAllBind) {
  for (bool bcast : {false, true}) {
    Sink sink;
    Server srv;
    srv.broadcast = bcast;
    DhcpRun run(run_config(50), sink);
    std::set<uint64_t> macs;
    // Record the DISCOVERs' MACs (each client once).
    run.poll(0);
    ASSERT_EQ(sink.sent.size(), 50u);
    for (const auto& f : sink.sent) macs.insert(read_frame(f).m.chaddr.key());
    EXPECT_EQ(macs.size(), 50u);
    EXPECT_EQ(run.client_mac(0).str(), "02:62:64:00:00:00");
    EXPECT_EQ(run.client_mac(49).str(), "02:62:64:00:00:31");
    drive(run, sink, srv, 0, 1000, 1000);
    ASSERT_TRUE(run.finished());
    const DhcpRunStats& s = run.stats();
    EXPECT_EQ(s.started, 50u);
    EXPECT_EQ(s.bound, 50u) << bcast;
    EXPECT_EQ(s.failed, 0u);
    EXPECT_EQ(s.discover_offer.sent, 50u);
    EXPECT_EQ(s.discover_offer.received, 50u);
    EXPECT_EQ(s.request_ack.sent, 50u);
    EXPECT_EQ(s.request_ack.received, 50u);
    EXPECT_EQ(s.discover_offer.orphans + s.request_ack.orphans, 0u);
    EXPECT_EQ(s.request_ack.non_unique, 0u);
    EXPECT_EQ(s.frames_tx, 100u);
    EXPECT_EQ(s.frames_rx, 100u);
    EXPECT_EQ(s.not_ours, 0u);
    EXPECT_EQ(run.active(), 0u);
    // The OFFER came 1 ms after its DISCOVER, the ACK 1 ms after its REQUEST.
    EXPECT_NEAR(s.discover_offer.min_s, 0.001, 1e-9);
    EXPECT_NEAR(s.discover_offer.max_s, 0.001, 1e-9);
    EXPECT_NEAR(s.request_ack.avg_s(), 0.001, 1e-9);
    EXPECT_NEAR(s.request_ack.std_s(), 0.0, 1e-6);
  }
}

TEST(DhcpRun, AvalancheReportIsPerfdhcps) {
  Sink sink;
  Server srv;
  // The first DISCOVER of client 1 is lost: it is resent at 4 s.
  int discovers_of_1 = 0;
  srv.drop = [&](const proto::DhcpMessage& m) {
    return m.type == proto::kDiscover && m.chaddr.b[5] == 1 && discovers_of_1++ == 0;
  };
  DhcpRun run(run_config(2), sink);
  drive(run, sink, srv, 0, 1000, 2000);
  ASSERT_TRUE(run.finished());
  // Client 0: OFFER 2 ms after DISCOVER at 0; client 1: DISCOVER at 0, again at 4 s, OFFER at
  // 4.002 s (4002 ms from its first DISCOVER). ACKs 2 ms after each REQUEST.
  const std::string want =
      "Running: test\n"
      "Scenario: avalanche.\n"
      "***Rate statistics***\n"
      "Rate: 0.4995 4-way exchanges/second\n"
      "***Malformed Packets***\n"
      "Malformed packets: 0\n"
      "***Statistics for: DISCOVER-OFFER***\n"
      "sent packets: 2\n"
      "received packets: 2\n"
      "drops: 0\n"
      "drops ratio: 0 %\n"
      "orphans: 0\n"
      "rejected leases: 0\n"
      "non unique addresses: 0\n"
      "\n"
      "min delay: 2.000 ms\n"
      "avg delay: 2002.000 ms\n"
      "max delay: 4002.000 ms\n"
      "std deviation: 2000.000 ms\n"
      "collected packets: 0\n"
      "\n"
      "***Statistics for: REQUEST-ACK***\n"
      "sent packets: 2\n"
      "received packets: 2\n"
      "drops: 0\n"
      "drops ratio: 0.000 %\n"
      "orphans: 0\n"
      "rejected leases: 0\n"
      "non unique addresses: 0\n"
      "\n"
      "min delay: 2.000 ms\n"
      "avg delay: 2.000 ms\n"
      "max delay: 2.000 ms\n"
      "std deviation: 0.000 ms\n"
      "collected packets: 0\n"
      "\n"
      "It took 00:00:04.004000 to provision 2 clients. \n"
      "Requests sent + resent: 5\n"
      "Requests resent: 1\n"
      "Responses received: 4\n";
  EXPECT_EQ(perfdhcp_report(run, "Running: test\n"), want);
  const std::string b = bench_report(run);
  EXPECT_NE(b.find("Exchanges: 2 started, 2 bound, 0 failed, 0 unfinished (2 clients)"),
            std::string::npos)
      << b;
  const nlohmann::json j = dhcp_json(run);
  EXPECT_EQ(j["scenario"], "avalanche");
  EXPECT_EQ(j["do"]["sent"], 2);
  EXPECT_EQ(j["do"]["resent"], 1);
  EXPECT_DOUBLE_EQ(j["do"]["max"].get<double>(), 4002.0);
  EXPECT_EQ(j["avalanche"]["provisioned"], 2);
  EXPECT_EQ(j["avalanche"]["sent_total"], 5);
  EXPECT_DOUBLE_EQ(j["avalanche"]["took_s"].get<double>(), 4.004);
}

TEST(DhcpRun, RateModeStartsOnScheduleOnFewMacs) {
  Sink sink;
  Server srv;
  auto c = run_config(3, 1000);  // 1000/s on 3 MACs
  c.num_request = 10;
  DhcpRun run(c, sink);
  std::vector<uint64_t> starts;
  uint64_t t = 0;
  for (; t <= 20000; t += 500) {
    run.poll(t);
    for (const auto& f : sink.sent) {
      const Sent s = read_frame(f);
      ASSERT_EQ(s.m.type, proto::kDiscover);
      starts.push_back(t);
      EXPECT_EQ(s.m.chaddr, run.client_mac((starts.size() - 1) % 3));  // exchange j: client j % 3
    }
    sink.sent.clear();  // the server hears nothing
  }
  // One at 0, then one a millisecond, ten in all.
  ASSERT_EQ(starts.size(), 10u);
  for (size_t j = 0; j < starts.size(); ++j) EXPECT_EQ(starts[j], j * 1000) << j;
  // Nothing answered: after the exit wait (1 s after the last start) the run ends; every
  // DISCOVER is a drop.
  EXPECT_FALSE(run.finished());
  run.poll(9000 + kSec - 1);
  EXPECT_FALSE(run.finished());
  run.poll(9000 + kSec);
  EXPECT_TRUE(run.finished());
  EXPECT_EQ(run.stats().discover_offer.sent, 10u);
  EXPECT_EQ(run.stats().discover_offer.drops(), 10u);
  EXPECT_EQ(run.active(), 10u);
  const std::string r = perfdhcp_report(run, "");
  EXPECT_NE(r.find("Scenario: basic.\n"), std::string::npos);
  EXPECT_NE(r.find("Rate: 0 4-way exchanges/second, expected rate: 1000\n\n"), std::string::npos);
  EXPECT_NE(r.find("drops ratio: 100 %\n"), std::string::npos) << r;
  EXPECT_NE(r.find("min delay: n/a\navg delay: n/a\nmax delay: n/a\nstd deviation: n/a\n"),
            std::string::npos);
  EXPECT_NE(r.find("drops ratio: nan %\n"), std::string::npos);  // RA: nothing sent
}

TEST(DhcpRun, RateModeCountsDropsOrphansAndTheRate) {
  Sink sink;
  Server srv;
  // Every fourth DISCOVER is lost (a drop: the exchange is given up after 1 s, collected).
  int n = 0;
  srv.drop = [&](const proto::DhcpMessage& m) {
    return m.type == proto::kDiscover && n++ % 4 == 3;
  };
  auto c = run_config(100, 100);
  c.duration_us = 1 * kSec;           // 100 exchanges
  c.client.timeouts_us = {1 * kSec};  // perfdhcp-like: one try, 1 s to answer
  DhcpRun run(c, sink);
  const uint64_t end = drive(run, sink, srv, 0, 1000, 3000);
  ASSERT_TRUE(run.finished());
  const DhcpRunStats& s = run.stats();
  EXPECT_EQ(s.discover_offer.sent, 100u);
  EXPECT_EQ(s.discover_offer.received, 75u);
  EXPECT_EQ(s.discover_offer.drops(), 25u);
  EXPECT_EQ(s.discover_offer.collected, 25u);
  EXPECT_EQ(s.fails[unsigned(DhcpFail::timeout)], 25u);
  EXPECT_EQ(s.request_ack.sent, 75u);
  EXPECT_EQ(s.request_ack.received, 75u);
  EXPECT_EQ(s.bound, 75u);
  EXPECT_EQ(run.active(), 0u);
  EXPECT_NEAR(run.elapsed_s(), double(end - 1000) / 1e6, 0.01);
  EXPECT_NEAR(run.rate_achieved(), 75.0 / run.elapsed_s(), 1e-9);
  // Replies after the exchanges ended are orphans: a late OFFER, a duplicate ACK.
  ReplySpec late;
  late.xid = 0xdead;
  late.chaddr = run.client_mac(5);
  run.on_frame(Bytes(srv.frame_for(reply(late), late.chaddr, kLease)), end);
  late.type = proto::kAck;
  run.on_frame(Bytes(srv.frame_for(reply(late), late.chaddr, kLease)), end);
  late.type = proto::kInform;
  run.on_frame(Bytes(srv.frame_for(reply(late), late.chaddr, kLease)), end);
  EXPECT_EQ(run.stats().discover_offer.orphans, 1u);
  EXPECT_EQ(run.stats().request_ack.orphans, 1u);
  EXPECT_EQ(run.stats().other_types, 1u);
  // A reply for a MAC not ours, a frame to another MAC, ARP, junk on port 68.
  late.chaddr = kMac;
  run.on_frame(Bytes(srv.frame_for(reply(late), late.chaddr, kLease)), end);
  auto to_other = srv.frame_for(reply(ReplySpec{}), kMac, kLease);
  run.on_frame(Bytes(to_other), end);
  EXPECT_EQ(run.stats().not_ours, 2u);
  std::vector<uint8_t> arp(60, 0);
  proto::write_eth(MutBytes(arp.data(), arp.size()), proto::kBroadcastMac, kServerMac,
                   proto::kEtherArp);
  run.on_frame(Bytes(arp), end);
  EXPECT_EQ(run.stats().not_dhcp, 1u);
  std::vector<uint8_t> junk(300, 0x55);
  run.on_frame(Bytes(srv.frame_for(junk, run.client_mac(1), kLease)), end);
  EXPECT_EQ(run.stats().malformed, 1u);
}

TEST(DhcpRun, DuplicateRepliesAreOrphansAndNonUniqueAddressesCounted) {
  Sink sink;
  Server srv;
  srv.address = [](const proto::DhcpMessage&) { return kLease; };  // one address for all
  DhcpRun run(run_config(2), sink);
  run.poll(0);
  auto offers = srv.answer(sink);
  ASSERT_EQ(offers.size(), 2u);
  for (const auto& f : offers) run.on_frame(Bytes(f), 100);
  run.on_frame(Bytes(offers[0]), 150);  // the same OFFER again: the client is requesting
  EXPECT_EQ(run.stats().discover_offer.orphans, 1u);
  auto acks = srv.answer(sink);
  ASSERT_EQ(acks.size(), 2u);
  for (const auto& f : acks) run.on_frame(Bytes(f), 200);
  run.on_frame(Bytes(acks[1]), 250);  // the exchange is over: an orphan
  EXPECT_EQ(run.stats().request_ack.orphans, 1u);
  EXPECT_EQ(run.stats().bound, 2u);
  EXPECT_EQ(run.stats().request_ack.non_unique, 1u);
  run.poll(300);
  EXPECT_TRUE(run.finished());
}

TEST(DhcpRun, NaksAreRejectedLeasesAndANewRound) {
  Sink sink;
  Server srv;
  srv.answer_request_with = proto::kNak;
  auto c = run_config(1);
  c.client.nak_retries = 1;
  DhcpRun run(c, sink);
  drive(run, sink, srv, 0, 1000, 1000);
  ASSERT_TRUE(run.finished());
  const DhcpRunStats& s = run.stats();
  EXPECT_EQ(s.discover_offer.sent, 2u);  // the first round and one after the NAK
  EXPECT_EQ(s.discover_offer.received, 2u);
  EXPECT_EQ(s.request_ack.sent, 2u);
  EXPECT_EQ(s.request_ack.received, 0u);
  EXPECT_EQ(s.request_ack.rejected, 2u);
  EXPECT_EQ(s.fails[unsigned(DhcpFail::nak_loop)], 1u);
  EXPECT_EQ(s.failed, 1u);
}

TEST(DhcpRun, NoRoomInTheSinkIsResentByTheTimers) {
  Sink sink;
  Server srv;
  DhcpRun run(run_config(3), sink);
  sink.full = true;
  run.poll(0);
  EXPECT_EQ(run.stats().tx_no_room, 3u);
  EXPECT_EQ(run.stats().frames_tx, 0u);
  sink.full = false;
  drive(run, sink, srv, 1000, 1000, 1000);
  EXPECT_EQ(run.stats().bound, 3u);
  EXPECT_EQ(run.stats().discover_offer.resent, 3u);
  EXPECT_NEAR(run.stats().discover_offer.min_s, 4.001, 1e-9);
}

}  // namespace
}  // namespace bs::bench
