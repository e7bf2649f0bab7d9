// The DHCP server end to end over bytes: requests are built, parsed by the codec, handled, and
// the reply bytes are read back with the test's own option walk.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "dataplane/dhcp/server.hpp"
#include "dhcp_request.hpp"

namespace bs::dhcp {
namespace {

using namespace proto;
using test::ip;
using test::mac;
using test::ParsedReply;
using test::Req;

struct Recorder : EventSink {
  std::vector<Event> events;
  void emit(const Event& e) override { events.push_back(e); }
  const Event* last(EventType t) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->type == t) return &*it;
    return nullptr;
  }
  size_t count(EventType t) const {
    return size_t(
        std::count_if(events.begin(), events.end(), [t](const Event& e) { return e.type == t; }));
  }
};

// Records what the server reports; answers bound() with the next tag, or refuses.
struct Journal : LeaseObserver {
  std::vector<Lease> bound_leases, freed_leases;
  std::vector<bool> renewals;
  uint64_t next_tag = 2;
  bool refuse = false;
  uint64_t bound(Lease& l, uint64_t, bool renewal) override {
    bound_leases.push_back(l);
    renewals.push_back(renewal);
    return refuse ? kRefuse : next_tag++;
  }
  void freed(const Lease& l) override { freed_leases.push_back(l); }
};

const Mac kReserved{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
const Mac kReservedInRange{{0x52, 0x54, 0x00, 0x00, 0x00, 0x99}};
constexpr Ip4 kServer = ip(10, 77, 0, 1);

snap::Snapshot lab_snapshot() {
  snap::Snapshot s;
  s.generation = 1;
  s.server_ip = kServer;
  s.dhcp.authoritative = true;
  s.lease_seconds = 3600;
  s.boot.files[snap::BootArch::bios] = "pxelinux.0";
  s.boot.files[snap::BootArch::uefi_x64] = "syslinux.efi";
  snap::Pool p;
  p.subnet = ip(10, 77, 0, 0);
  p.prefix = 24;
  p.first = ip(10, 77, 0, 100);
  p.last = ip(10, 77, 0, 200);
  p.router = ip(10, 77, 0, 1);
  p.dns = {ip(10, 77, 0, 53)};
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
  h.mac = kReserved;
  h.address = ip(10, 77, 0, 11);
  h.hostname = "node001";
  h.boot = s.boot;
  s.hosts.push_back(h);
  snap::Host in_range;
  in_range.mac = kReservedInRange;
  in_range.address = ip(10, 77, 0, 150);
  in_range.hostname = "node150";
  in_range.boot = s.boot;
  in_range.boot.files[snap::BootArch::uefi_x64] = "custom/grubx64.efi";
  s.hosts.push_back(in_range);
  return s;
}

// A /29 where everything is taken but three addresses: network .0, router .1, server .2,
// reservation .3, .4-.6 free, broadcast .7.
snap::Snapshot tiny_snapshot() {
  snap::Snapshot s;
  s.server_ip = ip(10, 9, 0, 2);
  s.dhcp.authoritative = true;
  s.lease_seconds = 600;
  s.boot.files[snap::BootArch::bios] = "pxelinux.0";
  snap::Pool p;
  p.subnet = ip(10, 9, 0, 0);
  p.prefix = 29;
  p.first = ip(10, 9, 0, 0);
  p.last = ip(10, 9, 0, 7);
  p.router = ip(10, 9, 0, 1);
  s.pools.push_back(p);
  snap::Host h;
  h.mac = kReserved;
  h.address = ip(10, 9, 0, 3);
  h.boot = s.boot;
  s.hosts.push_back(h);
  return s;
}

class DhcpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snap_ = lab_snapshot();
    server_.set_snapshot(&snap_);
  }

  // Sends r; returns the parsed reply (ok == false when there was none) and keeps the outcome.
  ParsedReply send(const Req& r, Ip4 src_ip = 0) {
    bytes_ = test::build_request(r);
    auto m = parse_dhcp(Bytes(bytes_.data(), bytes_.size()));
    EXPECT_TRUE(m.ok()) << drop_name(m.error());
    if (!m.ok()) return {};
    std::fill(out_.begin(), out_.end(), 0xee);
    last_ = server_.handle(*m, src_ip, now_, MutBytes(out_.data(), out_.size()));
    if (last_.len == 0) return {};
    EXPECT_LE(last_.len, out_.size());
    ParsedReply p = test::parse_reply(out_.data(), last_.len);
    EXPECT_TRUE(p.ok);
    EXPECT_EQ(p.op, 2);
    EXPECT_EQ(p.xid, r.xid);
    EXPECT_EQ(p.chaddr, r.mac);
    return p;
  }

  ParsedReply discover(const Mac& m, std::optional<uint16_t> arch = std::nullopt) {
    Req r;
    r.type = kDiscover;
    r.mac = m;
    r.arch = arch;
    return send(r);
  }

  // DISCOVER + SELECTING REQUEST; returns the ACK.
  ParsedReply lease_for(const Mac& m) {
    ParsedReply offer = discover(m);
    EXPECT_EQ(offer.type(), kOffer);
    Req r;
    r.type = kRequest;
    r.mac = m;
    r.requested = offer.yiaddr;
    r.server_id = kServer;
    return send(r);
  }

  Recorder events_;
  Server server_{events_, 3};
  snap::Snapshot snap_;
  std::vector<uint8_t> bytes_;
  std::vector<uint8_t> out_ = std::vector<uint8_t>(1500);
  Outcome last_;
  uint64_t now_ = 1000;
};

TEST_F(DhcpServerTest, NoSnapshotNoReply) {
  Server s(events_, 0);
  auto bytes = test::build_request(Req{});
  auto m = parse_dhcp(Bytes(bytes.data(), bytes.size()));
  ASSERT_TRUE(m.ok());
  Outcome o = s.handle(*m, 0, now_, MutBytes(out_.data(), out_.size()));
  EXPECT_EQ(o.len, 0u);
  EXPECT_EQ(o.drop, Drop::dhcp_no_snapshot);
}

TEST_F(DhcpServerTest, ReservationHonouredWithFullOptions) {
  ParsedReply p = discover(kReserved);
  ASSERT_EQ(p.type(), kOffer);
  EXPECT_EQ(p.yiaddr, ip(10, 77, 0, 11));
  EXPECT_EQ(p.siaddr, kServer);
  EXPECT_EQ(p.ciaddr, 0u);
  EXPECT_EQ(p.u32(opt::kServerId), kServer);
  EXPECT_EQ(p.u32(opt::kLeaseTime), 3600u);
  EXPECT_EQ(p.u32(opt::kRenewalTime), 1800u);
  EXPECT_EQ(p.u32(opt::kRebindingTime), 3150u);
  EXPECT_EQ(p.u32(opt::kSubnetMask), 0xffffff00u);
  EXPECT_EQ(p.u32(opt::kRouter), ip(10, 77, 0, 1));
  EXPECT_EQ(p.u32(opt::kDns), ip(10, 77, 0, 53));
  EXPECT_EQ(p.str(opt::kDomainName), "lab.example");
  EXPECT_EQ(p.str(opt::kHostname), "node001");
  EXPECT_EQ(p.str(opt::kTftpServer), "10.77.0.1");
  EXPECT_EQ(p.str(opt::kBootfile), "pxelinux.0");
  EXPECT_EQ(p.file, "pxelinux.0");
  EXPECT_FALSE(p.has(opt::kVendorSpecific));  // not a PXE client
  EXPECT_FALSE(p.has(opt::kVendorClass));

  ParsedReply ack = lease_for(kReserved);
  ASSERT_EQ(ack.type(), kAck);
  EXPECT_EQ(ack.yiaddr, ip(10, 77, 0, 11));
  ASSERT_NE(server_.lease(kReserved), nullptr);
  EXPECT_EQ(server_.lease(kReserved)->state, LeaseState::bound);
  EXPECT_EQ(server_.lease(kReserved)->expires_s, now_ + 3600);
}

TEST_F(DhcpServerTest, PoolAddressStablePerMacAndDistinctAcrossMacs) {
  std::set<Ip4> seen;
  for (uint8_t i = 1; i <= 20; ++i) {
    ParsedReply a = discover(mac(i));
    ASSERT_EQ(a.type(), kOffer);
    ParsedReply b = discover(mac(i));  // a retransmitted DISCOVER
    EXPECT_EQ(a.yiaddr, b.yiaddr);
    EXPECT_GE(a.yiaddr, ip(10, 77, 0, 100));
    EXPECT_LE(a.yiaddr, ip(10, 77, 0, 200));
    EXPECT_NE(a.yiaddr, ip(10, 77, 0, 150));  // reserved for another host
    EXPECT_TRUE(seen.insert(a.yiaddr).second);
  }
  ParsedReply ack = lease_for(mac(5));
  ASSERT_EQ(ack.type(), kAck);
  now_ += 100;
  EXPECT_EQ(discover(mac(5)).yiaddr, ack.yiaddr);  // after binding too
  EXPECT_EQ(server_.lease(mac(5))->state, LeaseState::bound);
}

TEST_F(DhcpServerTest, NeverHandsOutExcludedAddressesAndReportsExhaustion) {
  snap::Snapshot tiny = tiny_snapshot();
  server_.set_snapshot(&tiny);
  std::set<Ip4> got;
  for (uint8_t i = 1; i <= 3; ++i) {
    ParsedReply p = discover(mac(i));
    ASSERT_EQ(p.type(), kOffer) << int(i);
    got.insert(p.yiaddr);
  }
  EXPECT_EQ(got, (std::set<Ip4>{ip(10, 9, 0, 4), ip(10, 9, 0, 5), ip(10, 9, 0, 6)}));
  EXPECT_EQ(discover(kReserved).yiaddr, ip(10, 9, 0, 3));

  EXPECT_FALSE(discover(mac(4)).ok);
  EXPECT_EQ(last_.drop, Drop::dhcp_pool_exhausted);
  const Event* e = events_.last(EventType::dhcp_no_address);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->mac, mac(4));
  EXPECT_STREQ(e->text, drop_text(Drop::dhcp_pool_exhausted));

  // Offers are held for a minute only; expired ones are reused.
  now_ += Server::kOfferHoldSeconds;
  ParsedReply late = discover(mac(4));
  ASSERT_EQ(late.type(), kOffer);
  EXPECT_TRUE(got.count(late.yiaddr));
}

TEST_F(DhcpServerTest, SelectingAnotherServerForgetsTheOffer) {
  ParsedReply offer = discover(mac(1));
  ASSERT_EQ(offer.type(), kOffer);
  ASSERT_NE(server_.lease(mac(1)), nullptr);
  Req r;
  r.type = kRequest;
  r.mac = mac(1);
  r.requested = offer.yiaddr;
  r.server_id = ip(10, 77, 0, 254);
  EXPECT_FALSE(send(r).ok);
  EXPECT_EQ(last_.drop, Drop::dhcp_not_for_us);
  EXPECT_EQ(server_.lease(mac(1)), nullptr);
}

TEST_F(DhcpServerTest, WrongRequestsAreNaked) {
  ParsedReply offer = discover(mac(1));
  Req r;
  r.type = kRequest;
  r.mac = mac(1);
  r.requested = offer.yiaddr + 1;  // not what we offered
  r.server_id = kServer;
  ParsedReply nak = send(r);
  ASSERT_EQ(nak.type(), kNak);
  EXPECT_EQ(nak.yiaddr, 0u);
  EXPECT_EQ(nak.siaddr, 0u);
  EXPECT_EQ(nak.file, "");
  std::set<uint8_t> codes;
  for (auto& [c, v] : nak.opts) codes.insert(c);
  EXPECT_EQ(codes, (std::set<uint8_t>{opt::kMessageType, opt::kServerId, opt::kMessage}));
  EXPECT_EQ(last_.to.dst_ip, 0xffffffffu);
  EXPECT_EQ(last_.to.dst_mac, kBroadcastMac);
  EXPECT_NE(events_.last(EventType::dhcp_nak), nullptr);

  // INIT-REBOOT: wrong network, unknown address, then its own address.
  Req reboot;
  reboot.type = kRequest;
  reboot.mac = mac(2);
  reboot.requested = ip(192, 168, 1, 50);
  EXPECT_EQ(send(reboot).type(), kNak);
  EXPECT_STREQ(events_.last(EventType::dhcp_nak)->text, "wrong network");
  reboot.requested = ip(10, 77, 0, 120);
  EXPECT_EQ(send(reboot).type(), kNak);
  ParsedReply ack = lease_for(mac(2));
  ASSERT_EQ(ack.type(), kAck);
  reboot.requested = ack.yiaddr;
  ParsedReply again = send(reboot);
  EXPECT_EQ(again.type(), kAck);
  EXPECT_EQ(again.yiaddr, ack.yiaddr);

  // A reserved host asking for a pool address is NAKed (it must come back for its reservation).
  Req reserved = reboot;
  reserved.mac = kReserved;
  EXPECT_EQ(send(reserved).type(), kNak);
  reserved.requested = ip(10, 77, 0, 11);
  EXPECT_EQ(send(reserved).yiaddr, ip(10, 77, 0, 11));
}

TEST_F(DhcpServerTest, RenewingAcksItsOwnLeaseOnly) {
  ParsedReply ack = lease_for(mac(1));
  ASSERT_EQ(ack.type(), kAck);
  now_ += 1800;
  Req renew;
  renew.type = kRequest;
  renew.mac = mac(1);
  renew.ciaddr = ack.yiaddr;
  ParsedReply p = send(renew, ack.yiaddr);
  ASSERT_EQ(p.type(), kAck);
  EXPECT_EQ(p.ciaddr, ack.yiaddr);
  EXPECT_EQ(last_.to.dst_ip, ack.yiaddr);  // unicast to ciaddr
  EXPECT_EQ(last_.to.dst_mac, mac(1));
  EXPECT_EQ(server_.lease(mac(1))->expires_s, now_ + 3600);

  renew.mac = mac(2);  // claims an address that is not its own
  EXPECT_EQ(send(renew, ack.yiaddr).type(), kNak);
  EXPECT_EQ(server_.lease(mac(1))->ip, ack.yiaddr);  // untouched

  Req bad;  // no 54, no 50, no ciaddr
  bad.type = kRequest;
  bad.mac = mac(3);
  EXPECT_FALSE(send(bad).ok);
  EXPECT_EQ(last_.drop, Drop::dhcp_bad_request);
}

TEST_F(DhcpServerTest, ReleaseFreesTheAddress) {
  snap::Snapshot tiny = tiny_snapshot();
  server_.set_snapshot(&tiny);
  Journal journal;
  server_.set_observer(&journal);
  ParsedReply a = discover(mac(1));
  discover(mac(2));
  discover(mac(3));
  Req req;
  req.type = kRequest;
  req.mac = mac(1);
  req.requested = a.yiaddr;
  req.server_id = tiny.server_ip;
  ASSERT_EQ(send(req).type(), kAck);
  ASSERT_EQ(journal.bound_leases.size(), 1u);
  EXPECT_EQ(journal.bound_leases[0].ip, a.yiaddr);
  EXPECT_FALSE(discover(mac(4)).ok);  // full

  Req rel;
  rel.type = kRelease;
  rel.mac = mac(1);
  rel.ciaddr = a.yiaddr;
  rel.server_id = tiny.server_ip;
  EXPECT_FALSE(send(rel).ok);
  EXPECT_EQ(last_.drop, Drop::none);
  EXPECT_EQ(server_.lease(mac(1)), nullptr);
  ASSERT_EQ(journal.freed_leases.size(), 1u);
  EXPECT_EQ(journal.freed_leases[0].mac, mac(1));
  EXPECT_EQ(events_.count(EventType::dhcp_release), 1u);
  EXPECT_EQ(discover(mac(4)).yiaddr, a.yiaddr);
}

TEST_F(DhcpServerTest, AckWaitsForTheJournalTagAndARefusalSendsNoAck) {
  snap::Snapshot tiny = tiny_snapshot();
  server_.set_snapshot(&tiny);
  Journal journal;
  server_.set_observer(&journal);
  ParsedReply offer = discover(mac(1));
  EXPECT_EQ(last_.wait_tag, 0u);  // offers are not journaled
  EXPECT_TRUE(journal.bound_leases.empty());
  Req req;
  req.type = kRequest;
  req.mac = mac(1);
  req.requested = offer.yiaddr;
  req.server_id = tiny.server_ip;
  ASSERT_EQ(send(req).type(), kAck);
  EXPECT_EQ(last_.wait_tag, 2u);
  EXPECT_EQ(journal.renewals.back(), false);  // a new binding

  Req renew;  // RENEWING: same MAC, same address
  renew.type = kRequest;
  renew.mac = mac(1);
  renew.ciaddr = offer.yiaddr;
  ASSERT_EQ(send(renew).type(), kAck);
  EXPECT_EQ(last_.wait_tag, 3u);
  EXPECT_EQ(journal.renewals.back(), true);

  journal.refuse = true;  // the journal cannot take the record: no ACK, counted
  EXPECT_FALSE(send(renew).ok);
  EXPECT_EQ(last_.drop, Drop::dhcp_journal_full);
  EXPECT_EQ(server_.lease(mac(1))->ip, offer.yiaddr);  // the binding is kept for the retry
}

TEST_F(DhcpServerTest, RestoredBindingsKeepTheirAddress) {
  snap::Snapshot tiny = tiny_snapshot();
  server_.set_snapshot(&tiny);
  const Ip4 a = ip(10, 9, 0, 4);  // .0 network, .1 router, .2 server, .3 reserved
  ASSERT_TRUE(server_.restore(mac(7), a, 1000, 1));
  EXPECT_FALSE(server_.restore(mac(8), a, 1000, 1));                   // taken
  EXPECT_FALSE(server_.restore(mac(9), ip(192, 168, 1, 1), 1000, 1));  // in no pool
  EXPECT_FALSE(server_.restore(mac(9), tiny.server_ip, 1000, 1));      // excluded
  EXPECT_EQ(discover(mac(7)).yiaddr, a);  // the returning MAC gets its address back
  EXPECT_NE(discover(mac(8)).yiaddr, a);
}

TEST_F(DhcpServerTest, NotAuthoritativeIgnoresUnknownLeases) {
  snap::Snapshot tiny = tiny_snapshot();
  tiny.dhcp.authoritative = false;
  server_.set_snapshot(&tiny);
  Req reboot;  // INIT-REBOOT for an address we never gave out
  reboot.type = kRequest;
  reboot.mac = mac(1);
  reboot.requested = ip(10, 9, 0, 5);
  EXPECT_FALSE(send(reboot).ok);
  EXPECT_EQ(last_.drop, Drop::dhcp_not_authoritative);
  reboot.requested = ip(192, 168, 7, 7);  // another network: not ours to judge either
  EXPECT_FALSE(send(reboot).ok);
  EXPECT_EQ(last_.drop, Drop::dhcp_not_authoritative);
  Req renew;
  renew.type = kRequest;
  renew.mac = mac(1);
  renew.ciaddr = ip(10, 9, 0, 5);
  EXPECT_FALSE(send(renew).ok);
  EXPECT_EQ(last_.drop, Drop::dhcp_not_authoritative);
  EXPECT_EQ(events_.count(EventType::dhcp_nak), 0u);
}

TEST_F(DhcpServerTest, ProxyModeGivesBootInformationWithoutAnAddress) {
  snap::Snapshot tiny = tiny_snapshot();
  tiny.dhcp.mode = snap::DhcpMode::proxy;
  server_.set_snapshot(&tiny);
  Req pxe;
  pxe.mac = mac(1);
  pxe.arch = 0;
  pxe.vendor_class = "PXEClient:Arch:00000:UNDI:002001";
  ParsedReply offer = send(pxe);
  ASSERT_EQ(offer.type(), kOffer);
  EXPECT_EQ(offer.yiaddr, 0u);
  EXPECT_EQ(offer.siaddr, tiny.server_ip);
  EXPECT_EQ(offer.file, "pxelinux.0");
  EXPECT_FALSE(offer.has(51));  // no lease, no subnet options: not ours to give
  EXPECT_FALSE(offer.has(1));
  EXPECT_FALSE(offer.has(3));
  EXPECT_TRUE(offer.has(43));
  EXPECT_EQ(last_.to.dst_ip, 0xffffffffu);
  EXPECT_EQ(server_.leases().active(), 0u);

  Req plain;  // not a PXE client: the network's server answers it
  plain.mac = mac(2);
  EXPECT_FALSE(send(plain).ok);
  EXPECT_EQ(last_.drop, Drop::dhcp_proxy_not_pxe);
  Req req;  // address requests are not ours
  req.type = kRequest;
  req.mac = mac(1);
  req.requested = ip(10, 9, 0, 5);
  req.server_id = ip(10, 9, 0, 9);
  EXPECT_FALSE(send(req).ok);
  EXPECT_EQ(last_.drop, Drop::dhcp_proxy_ignored);
}

TEST_F(DhcpServerTest, BootServerRequestOnPort4011GetsAnAck) {
  snap::Snapshot tiny = tiny_snapshot();
  tiny.dhcp.mode = snap::DhcpMode::proxy;
  server_.set_snapshot(&tiny);
  Req req;
  req.type = kRequest;
  req.mac = mac(1);
  req.ciaddr = ip(10, 9, 0, 5);
  req.arch = 7;
  req.vendor_class = "PXEClient:Arch:00007:UNDI:003016";
  std::vector<uint8_t> wire = test::build_request(req);
  auto m = proto::parse_dhcp(proto::Bytes(wire.data(), wire.size()));
  ASSERT_TRUE(m);
  Outcome o = server_.boot_server(*m, ip(10, 9, 0, 5), MutBytes(out_.data(), out_.size()));
  ASSERT_GT(o.len, 0u);
  ParsedReply ack = test::parse_reply(out_.data(), o.len);
  EXPECT_EQ(ack.type(), kAck);
  EXPECT_EQ(ack.yiaddr, 0u);
  EXPECT_EQ(ack.ciaddr, ip(10, 9, 0, 5));
  EXPECT_EQ(o.to.dst_ip, ip(10, 9, 0, 5));
  EXPECT_FALSE(ack.has(51));
}

TEST_F(DhcpServerTest, ArpProbesRunAheadAndAnAddressInUseIsNeverOffered) {
  snap::Snapshot tiny = tiny_snapshot();  // free: .4 .5 .6 (.0 net, .1 router, .2 us, .3 reserved)
  tiny.server_ip = ip(10, 9, 0, 2);
  server_.set_snapshot(&tiny);
  std::vector<Ip4> sent;
  auto send = [&](Ip4 a) { sent.push_back(a); };
  server_.probe_tick(1000, send);
  EXPECT_EQ(sent, (std::vector<Ip4>{ip(10, 9, 0, 4), ip(10, 9, 0, 5), ip(10, 9, 0, 6)}));
  server_.probe_tick(1100, send);  // in flight: not probed twice
  EXPECT_EQ(sent.size(), 3u);

  server_.arp_seen(ip(10, 9, 0, 4), mac(50), now_);  // somebody uses .4
  EXPECT_EQ(server_.conflicts(), 1u);
  EXPECT_EQ(events_.count(EventType::dhcp_conflict), 1u);
  server_.arp_seen(ip(10, 9, 0, 1), mac(51), now_);  // the router: excluded, fine
  server_.arp_seen(0, mac(52), now_);                // a client's own probe: no sender address
  EXPECT_EQ(server_.conflicts(), 1u);
  ParsedReply a = discover(mac(1));
  EXPECT_EQ(a.yiaddr, ip(10, 9, 0, 5));
  server_.arp_seen(ip(10, 9, 0, 5), mac(1), now_);  // its holder announcing itself
  EXPECT_EQ(server_.conflicts(), 1u);
  server_.arp_seen(ip(10, 9, 0, 5), mac(53), now_);  // offered to mac(1), used by another
  EXPECT_EQ(server_.conflicts(), 2u);
  EXPECT_NE(discover(mac(1)).yiaddr, ip(10, 9, 0, 5));

  tiny.dhcp.probe = false;  // switched off: no probes, no conflicts
  sent.clear();
  server_.probe_tick(5000, send);
  server_.arp_seen(ip(10, 9, 0, 6), mac(54), now_);
  EXPECT_TRUE(sent.empty());
  EXPECT_EQ(server_.conflicts(), 2u);
}

TEST_F(DhcpServerTest, DeclineQuarantinesTheAddress) {
  snap::Snapshot tiny = tiny_snapshot();
  server_.set_snapshot(&tiny);
  ParsedReply a = discover(mac(1));
  discover(mac(2));
  discover(mac(3));
  Req dec;
  dec.type = kDecline;
  dec.mac = mac(1);
  dec.requested = a.yiaddr;
  dec.server_id = tiny.server_ip;
  EXPECT_FALSE(send(dec).ok);
  EXPECT_EQ(last_.drop, Drop::none);
  EXPECT_EQ(server_.lease(mac(1)), nullptr);
  EXPECT_EQ(events_.last(EventType::dhcp_decline)->ip, a.yiaddr);

  // The other offers expire, but the declined address stays out until lease_seconds pass.
  now_ += Server::kOfferHoldSeconds;
  std::set<Ip4> got;
  for (uint8_t i = 4; i <= 5; ++i) got.insert(discover(mac(i)).yiaddr);
  EXPECT_FALSE(got.count(a.yiaddr));
  EXPECT_FALSE(discover(mac(6)).ok);
  EXPECT_EQ(last_.drop, Drop::dhcp_pool_exhausted);
  now_ += tiny.lease_seconds;
  EXPECT_EQ(discover(mac(6)).type(), kOffer);
}

TEST_F(DhcpServerTest, InformAcksWithoutLease) {
  Req inf;
  inf.type = kInform;
  inf.mac = mac(7);
  inf.ciaddr = ip(10, 77, 0, 33);
  ParsedReply p = send(inf, inf.ciaddr);
  ASSERT_EQ(p.type(), kAck);
  EXPECT_EQ(p.yiaddr, 0u);
  EXPECT_EQ(p.ciaddr, inf.ciaddr);
  EXPECT_FALSE(p.has(opt::kLeaseTime));
  EXPECT_FALSE(p.has(opt::kRenewalTime));
  EXPECT_EQ(p.u32(opt::kSubnetMask), 0xffffff00u);
  EXPECT_EQ(last_.to.dst_ip, inf.ciaddr);
  EXPECT_EQ(last_.to.dst_mac, mac(7));
  EXPECT_EQ(last_.to.dst_port, kDhcpClientPort);
  EXPECT_EQ(server_.lease(mac(7)), nullptr);
  EXPECT_EQ(events_.count(EventType::dhcp_inform), 1u);
  EXPECT_EQ(events_.count(EventType::dhcp_ack), 0u);
}

TEST_F(DhcpServerTest, BootFileByArchitectureAndHostOverride) {
  struct Case {
    std::optional<uint16_t> arch;
    const char* file;
  } cases[] = {{std::nullopt, "pxelinux.0"},
               {0, "pxelinux.0"},
               {7, "syslinux.efi"},
               {9, "syslinux.efi"},
               {11, ""}};
  for (const Case& c : cases) {
    ParsedReply p = discover(mac(1), c.arch);
    ASSERT_EQ(p.type(), kOffer);
    EXPECT_EQ(p.file, c.file) << c.arch.value_or(999);
    EXPECT_EQ(p.str(opt::kBootfile), c.file);
    EXPECT_EQ(p.has(opt::kBootfile), *c.file != 0);
    EXPECT_NE(p.yiaddr, 0u);  // other architectures still get an address
  }
  EXPECT_EQ(discover(kReservedInRange, 7).file, "custom/grubx64.efi");
  EXPECT_EQ(discover(kReservedInRange, 0).file, "pxelinux.0");
  EXPECT_EQ(discover(kReservedInRange, 9).yiaddr, ip(10, 77, 0, 150));
}

TEST_F(DhcpServerTest, PxeOptionsOnlyForPxeClients) {
  Req r;
  r.mac = mac(1);
  r.arch = 0;
  r.vendor_class = "PXEClient:Arch:00000:UNDI:002001";
  r.user_class = "iPXE";  // iPXE gets the configured boot file like any PXE client
  r.uuid = std::vector<uint8_t>(17, 0x5a);
  r.uuid[0] = 0;
  ParsedReply p = send(r);
  ASSERT_EQ(p.type(), kOffer);
  EXPECT_EQ(p.str(opt::kVendorClass), "PXEClient");
  EXPECT_EQ(p.opts[opt::kVendorSpecific], (std::vector<uint8_t>{6, 1, 8, 255}));
  EXPECT_EQ(p.opts[opt::kClientUuid], r.uuid);
  EXPECT_EQ(p.file, "pxelinux.0");

  r.vendor_class = "udhcp 1.35.0";
  r.user_class.clear();
  r.uuid.clear();
  ParsedReply q = send(r);
  ASSERT_EQ(q.type(), kOffer);
  EXPECT_FALSE(q.has(opt::kVendorClass));
  EXPECT_FALSE(q.has(opt::kVendorSpecific));
}

TEST_F(DhcpServerTest, AddressingFollowsRfc2131) {
  ParsedReply p = discover(mac(1));  // no broadcast flag: unicast to yiaddr at chaddr
  EXPECT_EQ(last_.to.dst_ip, p.yiaddr);
  EXPECT_EQ(last_.to.dst_mac, mac(1));
  EXPECT_EQ(last_.to.dst_port, kDhcpClientPort);

  Req b;
  b.mac = mac(2);
  b.flags = kBootpBroadcastFlag;
  ParsedReply q = send(b);
  EXPECT_EQ(q.flags, kBootpBroadcastFlag);
  EXPECT_EQ(last_.to.dst_ip, 0xffffffffu);
  EXPECT_EQ(last_.to.dst_mac, kBroadcastMac);

  Req relayed;
  relayed.mac = mac(3);
  relayed.giaddr = ip(10, 88, 0, 1);
  ParsedReply r = send(relayed);
  ASSERT_EQ(r.type(), kOffer);
  EXPECT_GE(r.yiaddr, ip(10, 88, 0, 10));  // from the relay's pool
  EXPECT_LE(r.yiaddr, ip(10, 88, 0, 20));
  EXPECT_EQ(r.giaddr, relayed.giaddr);
  EXPECT_EQ(r.u32(opt::kRouter), ip(10, 88, 0, 1));
  EXPECT_EQ(last_.to.dst_ip, relayed.giaddr);
  EXPECT_EQ(last_.to.dst_port, kDhcpServerPort);
  EXPECT_TRUE(last_.to.dst_mac.is_zero());

  Req relay_nak;
  relay_nak.type = kRequest;
  relay_nak.mac = mac(3);
  relay_nak.giaddr = relayed.giaddr;
  relay_nak.requested = ip(10, 77, 0, 120);  // wrong network for that relay
  ParsedReply n = send(relay_nak);
  EXPECT_EQ(n.type(), kNak);
  EXPECT_EQ(n.flags & kBootpBroadcastFlag, kBootpBroadcastFlag);
  EXPECT_EQ(last_.to.dst_ip, relayed.giaddr);

  Req unknown_relay;
  unknown_relay.mac = mac(4);
  unknown_relay.giaddr = ip(172, 16, 0, 1);
  EXPECT_FALSE(send(unknown_relay).ok);
  EXPECT_EQ(last_.drop, Drop::dhcp_no_pool);
}

TEST_F(DhcpServerTest, EventsCarryTheBootStory) {
  Req r;
  r.mac = mac(9);
  r.arch = 7;
  ParsedReply offer = send(r);
  r.type = kRequest;
  r.requested = offer.yiaddr;
  r.server_id = kServer;
  send(r);
  ASSERT_EQ(events_.events.size(), 4u);
  const Event& d = events_.events[0];
  EXPECT_EQ(d.type, EventType::dhcp_discover);
  EXPECT_EQ(d.mac, mac(9));
  EXPECT_EQ(d.code, 7);
  EXPECT_EQ(d.worker, 3);
  EXPECT_GT(d.time_ns, 1600000000ull * 1000000000ull);  // wall clock, not monotonic
  const Event& o = events_.events[1];
  EXPECT_EQ(o.type, EventType::dhcp_offer);
  EXPECT_EQ(o.ip, offer.yiaddr);
  EXPECT_STREQ(o.text, "syslinux.efi");
  EXPECT_EQ(events_.events[2].type, EventType::dhcp_request);
  EXPECT_EQ(events_.events[2].ip, offer.yiaddr);
  const Event& a = events_.events[3];
  EXPECT_EQ(a.type, EventType::dhcp_ack);
  EXPECT_EQ(a.ip, offer.yiaddr);
  EXPECT_EQ(a.mac, mac(9));
  EXPECT_STREQ(a.text, "syslinux.efi");
}

TEST_F(DhcpServerTest, ReplyFitsTheClientsMaximumSize) {
  snap_.hosts[0].hostname = std::string(200, 'h');
  snap_.pools[0].domain = std::string(200, 'd');
  snap_.hosts[0].boot.files[snap::BootArch::bios] = std::string(120, 'f');
  server_.set_snapshot(&snap_);
  EXPECT_FALSE(discover(kReserved).ok);  // > 576 - 28 bytes
  EXPECT_EQ(last_.drop, Drop::dhcp_reply_overflow);
  Req big;
  big.mac = kReserved;
  big.max_size = 1400;
  ParsedReply p = send(big);
  ASSERT_EQ(p.type(), kOffer);
  EXPECT_GT(last_.len, 548u);
  EXPECT_LE(last_.len, 1400u - 28u);
  EXPECT_EQ(p.str(opt::kHostname).size(), 200u);
  EXPECT_EQ(discover(mac(1)).type(), kOffer);  // an ordinary reply fits 548
  EXPECT_LE(last_.len, 548u);
}

TEST_F(DhcpServerTest, LeasesSurviveASnapshotSwapWhileStillInAPool) {
  ParsedReply a = lease_for(mac(1));
  ParsedReply b = lease_for(mac(2));
  ASSERT_EQ(a.type(), kAck);
  ASSERT_EQ(b.type(), kAck);
  snap::Snapshot next = lab_snapshot();
  next.generation = 2;
  snap::Host newcomer;  // b's address is now reserved for someone else
  newcomer.mac = mac(77);
  newcomer.address = b.yiaddr;
  next.hosts.push_back(newcomer);
  server_.set_snapshot(&next);
  ASSERT_NE(server_.lease(mac(1)), nullptr);
  EXPECT_EQ(server_.lease(mac(1))->ip, a.yiaddr);
  EXPECT_EQ(server_.lease(mac(1))->state, LeaseState::bound);
  EXPECT_EQ(server_.lease(mac(2)), nullptr);
  EXPECT_EQ(discover(mac(1)).yiaddr, a.yiaddr);
  EXPECT_NE(discover(mac(2)).yiaddr, b.yiaddr);

  snap::Snapshot moved = lab_snapshot();  // the range moves away from a's address
  moved.pools[0].first = ip(10, 77, 0, 210);
  moved.pools[0].last = ip(10, 77, 0, 220);
  server_.set_snapshot(&moved);
  EXPECT_EQ(server_.lease(mac(1)), nullptr);
}

TEST_F(DhcpServerTest, UnservedTypesAreDropped) {
  Req r;
  r.type = kOffer;
  r.mac = mac(1);
  EXPECT_FALSE(send(r).ok);
  EXPECT_EQ(last_.drop, Drop::dhcp_unhandled_type);
}

}  // namespace
}  // namespace bs::dhcp
