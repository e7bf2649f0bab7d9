// Mac and IPv4 address text forms, the Writer's overflow rule.
#include <gtest/gtest.h>

#include "dataplane/proto/bytes.hpp"

namespace bs::proto {
namespace {

TEST(Mac, FormatsLowerCaseWithColons) {
  const Mac m{{0x52, 0x54, 0x00, 0xAB, 0xcd, 0x0f}};
  EXPECT_EQ(m.str(), "52:54:00:ab:cd:0f");
  EXPECT_EQ(kBroadcastMac.str(), "ff:ff:ff:ff:ff:ff");
  EXPECT_TRUE(kBroadcastMac.is_broadcast());
  EXPECT_TRUE(Mac{}.is_zero());
  EXPECT_EQ(m.key(), 0x525400abcd0fULL);
}

TEST(Mac, ParsesColonsAndDashesEitherCase) {
  const Mac want{{0x52, 0x54, 0x00, 0xab, 0xcd, 0x0f}};
  for (auto s : {"52:54:00:ab:cd:0f", "52-54-00-AB-CD-0F", "52:54:00:Ab:cD:0F"}) {
    auto m = Mac::parse(s);
    ASSERT_TRUE(m) << s;
    EXPECT_EQ(*m, want) << s;
  }
  EXPECT_EQ(Mac::parse(want.str())->str(), want.str());
}

TEST(Mac, RejectsMalformed) {
  for (auto s : {"", "52:54:00:ab:cd", "52:54:00:ab:cd:0f:", "52:54-00:ab:cd:0f", "5254.00ab.cd0f",
                 "52:54:00:ab:cd:0g", "52:54:00:ab:cd:f", " 52:54:00:ab:cd:0f",
                 "52:54:00:ab:cd:0f ", "525400abcd0f00000"}) {
    EXPECT_FALSE(Mac::parse(s)) << s;
  }
}

TEST(Ip, FormatsDottedQuad) {
  EXPECT_EQ(ip_str(0x0a4d0001), "10.77.0.1");
  EXPECT_EQ(ip_str(0), "0.0.0.0");
  EXPECT_EQ(ip_str(0xffffffff), "255.255.255.255");
}

TEST(Ip, ParsesValidAddresses) {
  EXPECT_EQ(parse_ip("10.77.0.1"), 0x0a4d0001u);
  EXPECT_EQ(parse_ip("0.0.0.0"), 0u);
  EXPECT_EQ(parse_ip("255.255.255.255"), 0xffffffffu);
  EXPECT_EQ(parse_ip("192.168.001.010"), 0xc0a8010au);
  for (Ip4 a : {0x01020304u, 0xc0a80101u, 0x7f000001u}) EXPECT_EQ(parse_ip(ip_str(a)), a);
}

TEST(Ip, RejectsMalformed) {
  for (auto s : {"", "1.2.3", "256.1.1.1", "1.2.3.4x", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4.",
                 ".1.2.3.4", "1..2.3", "1.2.3.-4", "1.2.3.0004", "a.b.c.d", "1.2.3.4/24", "1,2,3,4",
                 "4294967296.1.1.1"}) {
    EXPECT_FALSE(parse_ip(s)) << s;
  }
}

TEST(Writer, RemembersOverflowAndWritesNothingPastTheEnd) {
  uint8_t buf[6] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
  Writer w(MutBytes(buf, 5));
  w.u16(0x0102);
  w.u16(0x0304);
  EXPECT_TRUE(w.ok());
  w.u16(0x0506);  // one byte of room left: refused
  EXPECT_FALSE(w.ok());
  w.u8(0x07);  // after an overflow nothing more is written
  EXPECT_EQ(w.size(), 4u);
  EXPECT_EQ(buf[4], 0xee);
  EXPECT_EQ(buf[5], 0xee);
  EXPECT_EQ(load32(buf), 0x01020304u);
}

}  // namespace
}  // namespace bs::proto
