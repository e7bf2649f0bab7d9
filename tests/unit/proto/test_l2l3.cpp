// Ethernet, ARP, IPv4 and UDP codecs: hand-made edge cases and writer/parser round trips.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "dataplane/proto/arp.hpp"
#include "frame_builder.hpp"

namespace bs::proto {
namespace {

using test::udp_frame;

std::vector<uint8_t> payload_of(size_t n) {
  std::vector<uint8_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = uint8_t(i * 7 + 3);
  return p;
}

TEST(Ethernet, ParsesUntagged) {
  uint8_t f[60] = {};
  ASSERT_EQ(write_eth(MutBytes(f, sizeof f), kBroadcastMac, Mac{{2, 0, 0, 0, 0, 1}}, kEtherArp),
            14u);
  auto e = parse_eth(Bytes(f, sizeof f));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->dst.is_broadcast());
  EXPECT_EQ(e->src.str(), "02:00:00:00:00:01");
  EXPECT_EQ(e->type, kEtherArp);
  EXPECT_EQ(e->vlan, 0);
  EXPECT_EQ(e->header_len, 14);
}

TEST(Ethernet, ParsesOne8021QTag) {
  uint8_t f[18] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2,    0,   0, 0,
                   0,    1,    0x81, 0x00, 0xa0, 0x64, 0x08, 0x00};  // PCP 5, VID 100, then IPv4
  auto e = parse_eth(Bytes(f, sizeof f));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->vlan, 100);
  EXPECT_EQ(e->type, kEtherIpv4);
  EXPECT_EQ(e->header_len, 18);
  EXPECT_EQ(parse_eth(Bytes(f, 17)).error(), Drop::eth_short);  // tag cut short
}

TEST(Ethernet, ShortFramesAndSmallOutput) {
  uint8_t f[14] = {};
  for (size_t n = 0; n < 14; ++n) EXPECT_EQ(parse_eth(Bytes(f, n)).error(), Drop::eth_short);
  EXPECT_EQ(write_eth(MutBytes(f, 13), Mac{}, Mac{}, kEtherIpv4), 0u);
}

TEST(Arp, RoundTripsAndRejectsOthers) {
  Arp a;
  a.op = kArpRequest;
  a.sha = Mac{{0x52, 0x54, 0, 0x12, 0x34, 0x56}};
  a.spa = 0x0a4d000b;
  a.tpa = 0x0a4d0001;
  uint8_t buf[kArpLen];
  ASSERT_EQ(write_arp(MutBytes(buf, sizeof buf), a), kArpLen);
  EXPECT_EQ(write_arp(MutBytes(buf, kArpLen - 1), a), 0u);
  auto p = parse_arp(Bytes(buf, sizeof buf));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->op, kArpRequest);
  EXPECT_EQ(p->sha, a.sha);
  EXPECT_EQ(p->spa, a.spa);
  EXPECT_TRUE(p->tha.is_zero());
  EXPECT_EQ(p->tpa, a.tpa);
  for (size_t n = 0; n < kArpLen; ++n) EXPECT_EQ(parse_arp(Bytes(buf, n)).error(), Drop::arp_short);
  for (size_t i : {1u, 3u, 4u, 5u}) {  // htype, ptype, hlen, plen
    uint8_t bad[kArpLen];
    std::copy(buf, buf + kArpLen, bad);
    bad[i] ^= 0x10;
    EXPECT_EQ(parse_arp(Bytes(bad, sizeof bad)).error(), Drop::arp_unsupported) << i;
  }
}

// Partial sums are equal when they fold to the same 16-bit checksum (one's complement).
uint16_t folded(uint32_t partial) {
  return csum_fold(partial);
}

TEST(Checksum, Rfc1071Example) {
  const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(folded(csum_partial(Bytes(d, sizeof d))), uint16_t(~0xddf2));
  EXPECT_EQ(csum_fold(0x2ddf0), uint16_t(~0xddf2));
  // An odd trailing byte counts as the high byte of a zero-padded word.
  const uint8_t odd[] = {0x12, 0x34, 0x56};
  EXPECT_EQ(folded(csum_partial(Bytes(odd, 3))), folded(0x1234u + 0x5600u));
  // Sums chain: a split at an even offset gives the same result.
  EXPECT_EQ(folded(csum_partial(Bytes(d + 4, 4), csum_partial(Bytes(d, 4)))), uint16_t(~0xddf2));
}

TEST(Checksum, MatchesTheTextbookSumAtEveryLengthAndStart) {
  // The word-at-a-time sum against RFC 1071's 16-bit big-endian loop.
  std::vector<uint8_t> buf(2000);
  uint32_t x = 12345;
  for (auto& b : buf) b = uint8_t((x = x * 1103515245u + 12345u) >> 16);
  std::fill(buf.begin() + 1500, buf.begin() + 1600, 0xff);  // long runs of carries
  for (size_t start : {0u, 1u, 2u, 3u, 7u, 1490u})
    for (size_t len = 0; len + start <= buf.size(); len += (len < 64 ? 1 : 37)) {
      uint64_t ref = 0x1234;  // chained onto an earlier partial sum
      for (size_t i = 0; i + 1 < len; i += 2)
        ref += uint32_t(buf[start + i] << 8 | buf[start + i + 1]);
      if (len & 1) ref += uint32_t(buf[start + len - 1]) << 8;
      while (ref >> 16) ref = (ref & 0xffff) + (ref >> 16);
      EXPECT_EQ(folded(csum_partial(Bytes(buf.data() + start, len), 0x1234)),
                uint16_t(~uint16_t(ref)))
          << "start " << start << " len " << len;
    }
}

TEST(Ipv4, WriteThenParse) {
  uint8_t b[20 + 10] = {};
  ASSERT_EQ(write_ipv4(MutBytes(b, sizeof b), 0x0a000001, 0x0a000002, kProtoUdp, 10, 0x1234), 20u);
  auto h = parse_ipv4(Bytes(b, sizeof b));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->header_len, 20);
  EXPECT_EQ(h->total_len, 30);
  EXPECT_EQ(h->id, 0x1234);
  EXPECT_EQ(h->ttl, 64);
  EXPECT_EQ(h->proto, kProtoUdp);
  EXPECT_EQ(h->src, 0x0a000001u);
  EXPECT_EQ(h->dst, 0x0a000002u);
  EXPECT_EQ(h->frag, 0);  // DF clear
  EXPECT_FALSE(h->is_fragment());
  EXPECT_EQ(write_ipv4(MutBytes(b, 19), 1, 2, kProtoUdp, 0, 0), 0u);
}

TEST(Ipv4, RejectsBadHeaders) {
  std::vector<uint8_t> b(40);
  ASSERT_EQ(write_ipv4(MutBytes(b.data(), b.size()), 1, 2, kProtoUdp, 20, 7), 20u);
  const auto parse = [](const std::vector<uint8_t>& v) {
    return parse_ipv4(Bytes(v.data(), v.size())).error();
  };
  ASSERT_EQ(parse(b), Drop::none);
  for (size_t n = 0; n < 20; ++n)
    EXPECT_EQ(parse_ipv4(Bytes(b.data(), n)).error(), Drop::ipv4_short) << n;
  for (size_t n = 20; n < 40; ++n)  // header complete, total_len beyond the buffer
    EXPECT_EQ(parse_ipv4(Bytes(b.data(), n)).error(), Drop::ipv4_total_length) << n;

  auto v6 = b;
  v6[0] = 0x65;
  test::fix_ip_csum(v6);
  EXPECT_EQ(parse(v6), Drop::ipv4_version);
  auto ihl4 = b;
  ihl4[0] = 0x44;
  EXPECT_EQ(parse(ihl4), Drop::ipv4_header_length);
  auto small_total = b;
  store16(&small_total[2], 19);
  test::fix_ip_csum(small_total);
  EXPECT_EQ(parse(small_total), Drop::ipv4_total_length);
  auto bad_csum = b;
  bad_csum[8] = 63;  // TTL changed, checksum not
  EXPECT_EQ(parse(bad_csum), Drop::ipv4_checksum);
  auto long_ihl = b;  // IHL 15 = 60 bytes, more than the 40-byte buffer
  long_ihl[0] = 0x4f;
  EXPECT_EQ(parse(long_ihl), Drop::ipv4_short);
}

TEST(Ipv4, HeaderWithOptionsAndFragments) {
  // IHL 6: one 4-byte option (NOPs), then 4 bytes of payload.
  std::vector<uint8_t> b(28);
  ASSERT_EQ(write_ipv4(MutBytes(b.data(), b.size()), 1, 2, kProtoUdp, 8, 7), 20u);
  b.insert(b.begin() + 20, {1, 1, 1, 1});
  b.resize(28);
  b[0] = 0x46;
  store16(&b[2], 28);
  test::fix_ip_csum(b, 0);
  auto h = parse_ipv4(Bytes(b.data(), b.size()));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->header_len, 24);
  for (uint16_t frag : {0x2000, 0x0001, 0x1fff}) {  // MF, offset 1, max offset
    store16(&b[6], frag);
    test::fix_ip_csum(b, 0);
    auto f = parse_ipv4(Bytes(b.data(), b.size()));
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->is_fragment()) << frag;
  }
  store16(&b[6], 0x4000);  // DF alone is not a fragment
  test::fix_ip_csum(b, 0);
  EXPECT_FALSE(parse_ipv4(Bytes(b.data(), b.size()))->is_fragment());
}

TEST(Udp, WriterOutputParsesBackWithChecksumVerified) {
  for (size_t n : {0u, 1u, 2u, 7u, 300u, 513u, 1432u}) {
    const auto payload = payload_of(n);
    const auto f = udp_frame(test::test_addr(), payload, uint16_t(n));
    ASSERT_EQ(f.size(), kEthIpUdpLen + n);
    auto u = parse_udp_frame(Bytes(f.data(), f.size()));
    ASSERT_TRUE(u) << n << ": " << drop_name(u.error());
    EXPECT_NE(u->udp.csum, 0);
    EXPECT_EQ(u->eth.dst, test::test_addr().dst_mac);
    EXPECT_EQ(u->eth.src, test::test_addr().src_mac);
    EXPECT_EQ(u->ip.src, 0x0a4d0001u);
    EXPECT_EQ(u->ip.dst, 0x0a4d000bu);
    EXPECT_EQ(u->ip.id, n);
    EXPECT_EQ(u->udp.sport, 67);
    EXPECT_EQ(u->udp.dport, 68);
    EXPECT_EQ(u->udp.len, 8 + n);
    ASSERT_EQ(u->payload.size(), n);
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), u->payload.begin()));
  }
}

TEST(Udp, ZeroChecksumIsSentAsAllOnes) {
  // Choose the last payload word so that the UDP checksum computes to 0x0000.
  std::vector<uint8_t> payload = {0, 0};
  auto f = udp_frame(test::test_addr(), payload);
  const uint16_t c = load16(&f[kEthHeaderLen + kIpv4HeaderLen + 6]);
  // With payload word w, the checksum is ~(S + w); w = ~S... makes S + w = 0xffff -> 0.
  const uint16_t w = uint16_t(c);  // c = ~S (folded), so S + c = 0xffff
  store16(payload.data(), w);
  f = udp_frame(test::test_addr(), payload);
  EXPECT_EQ(load16(&f[kEthHeaderLen + kIpv4HeaderLen + 6]), 0xffff);
  EXPECT_TRUE(parse_udp_frame(Bytes(f.data(), f.size())));
}

TEST(Udp, PaddingBeyondUdpLengthIsIgnored) {
  const auto payload = payload_of(5);
  auto f = udp_frame(test::test_addr(), payload);
  f.resize(60, 0);  // Ethernet minimum frame: padding after the IP packet
  auto u = parse_udp_frame(Bytes(f.data(), f.size()));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->payload.size(), 5u);
  // Padding inside the IP packet but beyond the UDP length is allowed too.
  auto g = udp_frame(test::test_addr(), payload);
  g.insert(g.end(), {0, 0, 0});
  store16(&g[kEthHeaderLen + 2], uint16_t(g.size() - kEthHeaderLen));
  test::fix_ip_csum(g);
  auto v = parse_udp_frame(Bytes(g.data(), g.size()));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->payload.size(), 5u);
}

TEST(Udp, RejectsBadLengthAndChecksum) {
  const auto f = udp_frame(test::test_addr(), payload_of(20));
  const size_t u = kEthHeaderLen + kIpv4HeaderLen;
  const auto parse = [](const std::vector<uint8_t>& v) {
    return parse_udp_frame(Bytes(v.data(), v.size())).error();
  };
  auto bad = f;
  bad[u + 8] ^= 1;  // payload bit flipped
  EXPECT_EQ(parse(bad), Drop::udp_checksum);
  auto nocsum = bad;  // checksum 0 means "not computed": accepted
  store16(&nocsum[u + 6], 0);
  EXPECT_EQ(parse(nocsum), Drop::none);
  for (uint16_t len : {0, 7, 29}) {
    auto l = f;
    store16(&l[u + 4], len);
    EXPECT_EQ(parse(l), Drop::udp_length) << len;
  }
  // IP total length shorter than a UDP header.
  auto tiny = f;
  store16(&tiny[kEthHeaderLen + 2], 20 + 7);
  test::fix_ip_csum(tiny);
  EXPECT_EQ(parse(tiny), Drop::udp_short);
  // Direct parse_udp on a short l4.
  EXPECT_EQ(parse_udp(Bytes(&f[u], 7), 1, 2).error(), Drop::udp_short);
}

TEST(Udp, FrameLayersAndReasons) {
  const auto f = udp_frame(test::test_addr(), payload_of(10));
  const auto parse = [](const std::vector<uint8_t>& v) {
    return parse_udp_frame(Bytes(v.data(), v.size())).error();
  };
  auto arp = f;
  store16(&arp[12], kEtherArp);
  EXPECT_EQ(parse(arp), Drop::eth_not_ipv4);
  auto tcp = f;
  tcp[kEthHeaderLen + 9] = kProtoTcp;
  test::fix_ip_csum(tcp);
  EXPECT_EQ(parse(tcp), Drop::ipv4_not_udp);
  auto frag = f;
  store16(&frag[kEthHeaderLen + 6], 0x2000);
  test::fix_ip_csum(frag);
  EXPECT_EQ(parse(frag), Drop::ipv4_fragment);
  // The same frame with an 802.1Q tag inserted parses with vlan set.
  auto tagged = f;
  tagged.insert(tagged.begin() + 12, {0x81, 0x00, 0x00, 0x2a});
  auto t = parse_udp_frame(Bytes(tagged.data(), tagged.size()));
  ASSERT_TRUE(t) << drop_name(t.error());
  EXPECT_EQ(t->eth.vlan, 42);
  EXPECT_EQ(t->payload.size(), 10u);
}

TEST(Udp, EveryTruncationFailsCleanly) {
  const auto f = udp_frame(test::test_addr(), payload_of(33));
  for (size_t n = 0; n < f.size(); ++n) {
    std::vector<uint8_t> cut(f.begin(), f.begin() + n);  // own allocation: ASan sees overreads
    auto u = parse_udp_frame(Bytes(cut.data(), cut.size()));
    EXPECT_FALSE(u) << n;
  }
}

TEST(Udp, WriterRefusesSmallBuffersAndHugePayloads) {
  uint8_t b[kEthIpUdpLen];
  EXPECT_EQ(write_udp_headers(MutBytes(b, kEthIpUdpLen - 1), test::test_addr(), 0, 0, 0), 0u);
  EXPECT_EQ(write_udp_headers(MutBytes(b, kEthIpUdpLen), test::test_addr(), 65508, 0, 0), 0u);
  EXPECT_EQ(write_udp_headers(MutBytes(b, kEthIpUdpLen), test::test_addr(), 65507, 0, 0),
            kEthIpUdpLen);
}

}  // namespace
}  // namespace bs::proto
