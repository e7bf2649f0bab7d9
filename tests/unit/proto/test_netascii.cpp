#include <gtest/gtest.h>

#include <string>

#include "dataplane/proto/netascii.hpp"

using namespace bs::proto;

namespace {
std::string encode(const std::string& in) {
  Bytes b(reinterpret_cast<const uint8_t*>(in.data()), in.size());
  std::string out(netascii_size(b), '?');
  uint64_t n = netascii_encode(b, MutBytes(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  EXPECT_EQ(n, out.size());
  return out;
}
}  // namespace

TEST(Netascii, LineFeedBecomesCrLf) {
  EXPECT_EQ(encode("a\nb\n"), std::string("a\r\nb\r\n"));
}

TEST(Netascii, BareCarriageReturnBecomesCrNul) {
  EXPECT_EQ(encode("a\rb"), std::string("a\r\0b", 4));
  // A CR LF pair in the file is two characters: CR NUL CR LF (RFC 764's rules, as tftp-hpa).
  EXPECT_EQ(encode("x\r\n"), std::string("x\r\0\r\n", 5));
}

TEST(Netascii, OtherBytesUnchangedAndEmptyStaysEmpty) {
  EXPECT_EQ(encode(""), "");
  std::string all;
  for (int c = 0; c < 256; ++c)
    if (c != '\n' && c != '\r') all += char(c);
  EXPECT_EQ(encode(all), all);
}

TEST(Netascii, RefusesAShortOutput) {
  const uint8_t in[] = {'a', '\n'};
  uint8_t out[2];
  EXPECT_EQ(netascii_encode(Bytes(in, 2), MutBytes(out, 2)), 0u);
}
