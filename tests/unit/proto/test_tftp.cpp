// TFTP codec: requests with options, DATA/ACK/ERROR/OACK, writers round-tripped through the parser.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataplane/proto/tftp.hpp"

namespace bs::proto {
namespace {

std::vector<uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

Result<TftpPacket> parse(const std::vector<uint8_t>& b) {
  return parse_tftp(Bytes(b.data(), b.size()));
}

using namespace std::string_view_literals;

TEST(Tftp, ParsesRrqWithOptions) {
  const auto b = bytes(
      "\0\1pxelinux.0\0octet\0tsize\0"
      "0\0blksize\0"
      "1432\0"sv);
  auto p = parse(b);  // the views point into b
  ASSERT_TRUE(p) << drop_name(p.error());
  EXPECT_EQ(p->op, TftpOp::rrq);
  EXPECT_EQ(p->filename, "pxelinux.0");
  EXPECT_EQ(p->mode, "octet");
  EXPECT_TRUE(p->options.tsize);
  EXPECT_EQ(p->options.blksize, 1432);
  EXPECT_FALSE(p->options.timeout);
  EXPECT_FALSE(p->options.windowsize);
}

TEST(Tftp, OptionNamesAreCaseInsensitiveAndUnknownOnesIgnored) {
  const auto b = bytes(
      "\0\1f\0OCTET\0BlkSize\0"
      "1468\0TIMEOUT\0"
      "5\0multicast\0\0"
      "WindowSize\0"
      "16\0TSize\0"
      "0\0"sv);
  auto p = parse(b);
  ASSERT_TRUE(p) << drop_name(p.error());
  EXPECT_EQ(p->mode, "OCTET");
  EXPECT_EQ(p->options.blksize, 1468);
  EXPECT_EQ(p->options.timeout, 5);
  EXPECT_EQ(p->options.windowsize, 16);
  EXPECT_TRUE(p->options.tsize);
}

TEST(Tftp, OutOfRangeValuesAreIgnoredAsIfNotSent) {
  struct Case {
    std::string_view name, value;
    bool accepted;
  } cases[] = {
      {"blksize", "7", false},       {"blksize", "8", true},
      {"blksize", "65464", true},    {"blksize", "65465", false},
      {"blksize", "-1", false},      {"blksize", "1x", false},
      {"blksize", "", false},        {"blksize", "99999999999999999999", false},
      {"timeout", "0", false},       {"timeout", "1", true},
      {"timeout", "255", true},      {"timeout", "256", false},
      {"windowsize", "0", false},    {"windowsize", "1", true},
      {"windowsize", "65535", true}, {"windowsize", "65536", false},
      {"tsize", "0", true},          {"tsize", "abc", false},
  };
  for (const auto& c : cases) {
    std::string pkt("\0\1f\0octet\0"sv);
    pkt += c.name;
    pkt += '\0';
    pkt += c.value;
    pkt += '\0';
    const auto b = bytes(pkt);
    auto p = parse(b);
    ASSERT_TRUE(p) << c.name << "=" << c.value;
    bool got = c.name == "blksize"   ? p->options.blksize.has_value()
               : c.name == "timeout" ? p->options.timeout.has_value()
               : c.name == "tsize"   ? p->options.tsize
                                     : p->options.windowsize.has_value();
    EXPECT_EQ(got, c.accepted) << c.name << "=" << c.value;
  }
}

TEST(Tftp, UnterminatedFieldsAreErrors) {
  EXPECT_EQ(parse(bytes("\0\1pxelinux.0"sv)).error(), Drop::tftp_unterminated);
  EXPECT_EQ(parse(bytes("\0\1pxelinux.0\0octet"sv)).error(), Drop::tftp_unterminated);
  EXPECT_EQ(parse(bytes("\0\1f\0octet\0blksize"sv)).error(), Drop::tftp_unterminated);
  EXPECT_EQ(parse(bytes("\0\1f\0octet\0blksize\0"sv)).error(), Drop::tftp_unterminated);
  EXPECT_EQ(parse(bytes("\0\1f\0octet\0blksize\0"
                        "512"sv))
                .error(),
            Drop::tftp_unterminated);
  EXPECT_EQ(parse(bytes("\0\5\0\1File not found"sv)).error(), Drop::tftp_unterminated);
  EXPECT_EQ(parse(bytes("\0\6tsize\0"
                        "1700"sv))
                .error(),
            Drop::tftp_unterminated);
}

TEST(Tftp, ShortAndUnknownOpcodes) {
  EXPECT_EQ(parse({}).error(), Drop::tftp_short);
  EXPECT_EQ(parse({0}).error(), Drop::tftp_short);
  EXPECT_EQ(parse({0, 3, 0}).error(), Drop::tftp_short);
  EXPECT_EQ(parse({0, 4, 0}).error(), Drop::tftp_short);
  EXPECT_EQ(parse({0, 5, 0}).error(), Drop::tftp_short);
  EXPECT_EQ(parse({0, 0, 0, 1}).error(), Drop::tftp_opcode);
  EXPECT_EQ(parse({0, 7, 0, 1}).error(), Drop::tftp_opcode);
  EXPECT_EQ(parse({1, 1, 'f', 0, 'o', 0}).error(), Drop::tftp_opcode);
}

TEST(Tftp, DataAckErrorOack) {
  auto d = parse({0, 3, 0xff, 0xff, 'a', 'b', 'c'});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->op, TftpOp::data);
  EXPECT_EQ(d->block, 65535);
  EXPECT_EQ(d->data.size(), 3u);
  auto empty = parse({0, 3, 0, 9});  // the last block of a file that is a multiple of blksize
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->data.size(), 0u);
  auto a = parse({0, 4, 0, 0});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->op, TftpOp::ack);
  EXPECT_EQ(a->block, 0);
  const auto eb = bytes("\0\5\0\1File not found\0"sv);
  auto e = parse(eb);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->error_code, kErrNotFound);
  EXPECT_EQ(e->error_msg, "File not found");
  const auto ob = bytes(
      "\0\6blksize\0"
      "1408\0tsize\0"
      "8192\0"sv);
  auto o = parse(ob);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->op, TftpOp::oack);
  EXPECT_EQ(o->options.blksize, 1408);
  EXPECT_TRUE(o->options.tsize);
}

TEST(TftpWriter, RequestRoundTrip) {
  TftpOptions opts;
  opts.blksize = 1408;
  opts.tsize = true;
  opts.timeout = 3;
  opts.windowsize = 64;
  uint8_t buf[128];
  const size_t n = write_tftp_request(MutBytes(buf, sizeof buf), TftpOp::rrq,
                                      "pxelinux.cfg/default", "octet", opts);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf + 2), n - 2),
            "pxelinux.cfg/default\0octet\0blksize\0"
            "1408\0tsize\0"
            "0\0timeout\0"
            "3\0"
            "windowsize\0"
            "64\0"sv);
  auto p = parse_tftp(Bytes(buf, n));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->op, TftpOp::rrq);
  EXPECT_EQ(p->filename, "pxelinux.cfg/default");
  EXPECT_EQ(p->options.blksize, 1408);
  EXPECT_TRUE(p->options.tsize);
  EXPECT_EQ(p->options.timeout, 3);
  EXPECT_EQ(p->options.windowsize, 64);
  for (size_t cap = 0; cap < n; ++cap)
    EXPECT_EQ(
        write_tftp_request(MutBytes(buf, cap), TftpOp::rrq, "pxelinux.cfg/default", "octet", opts),
        0u)
        << cap;
  EXPECT_EQ(write_tftp_request(MutBytes(buf, sizeof buf), TftpOp::data, "f", "octet", {}), 0u);
  const size_t w = write_tftp_request(MutBytes(buf, sizeof buf), TftpOp::wrq, "up", "netascii", {});
  ASSERT_EQ(w, 2u + 3 + 9);
  auto q = parse_tftp(Bytes(buf, w));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->op, TftpOp::wrq);
  EXPECT_EQ(q->mode, "netascii");
}

TEST(TftpWriter, OackRoundTrip) {
  TftpOack o;
  o.blksize = 1432;
  o.tsize = 9437184;  // 9 MiB kernel
  uint8_t buf[64];
  const size_t n = write_tftp_oack(MutBytes(buf, sizeof buf), o);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), n),
            "\0\6blksize\0"
            "1432\0tsize\0"
            "9437184\0"sv);
  auto p = parse_tftp(Bytes(buf, n));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->op, TftpOp::oack);
  EXPECT_EQ(p->options.blksize, 1432);
  EXPECT_TRUE(p->options.tsize);
  EXPECT_EQ(p->options.tsize_value, 9437184u);  // the value too (clients check it)
  o.timeout = 2;
  o.windowsize = 8;
  o.tsize = 0;
  const size_t m = write_tftp_oack(MutBytes(buf, sizeof buf), o);
  auto q = parse_tftp(Bytes(buf, m));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->options.timeout, 2);
  EXPECT_EQ(q->options.windowsize, 8);
  EXPECT_EQ(write_tftp_oack(MutBytes(buf, m - 1), o), 0u);
  EXPECT_EQ(write_tftp_oack(MutBytes(buf, sizeof buf), TftpOack{}), 2u);  // no options
}

TEST(TftpMulticast, RequestOptionAndOackValueRoundTrip) {
  TftpOptions req;
  req.blksize = 1428;
  req.multicast = "";
  uint8_t buf[128];
  size_t n = write_tftp_request(MutBytes(buf, sizeof buf), TftpOp::rrq, "initrd.img", "octet", req);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), n),
            "\0\1initrd.img\0octet\0blksize\0"
            "1428\0multicast\0\0"sv);
  auto p = parse_tftp(Bytes(buf, n));
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->options.multicast);
  EXPECT_EQ(*p->options.multicast, "");
  // Without the option: absent; the name is case-insensitive.
  auto q = parse(bytes("\0\1f\0octet\0MultiCast\0\0"sv));
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->options.multicast);
  EXPECT_FALSE(parse(bytes("\0\1f\0octet\0"sv))->options.multicast);

  TftpOack o;
  o.tsize = 100;
  o.multicast = TftpMulticast{0xefff4d07, 1761, true};  // 239.255.77.7
  n = write_tftp_oack(MutBytes(buf, sizeof buf), o);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), n),
            "\0\6tsize\0"
            "100\0multicast\0"
            "239.255.77.7,1761,1\0"sv);
  auto r = parse_tftp(Bytes(buf, n));
  ASSERT_TRUE(r && r->options.multicast);
  auto m = parse_tftp_multicast(*r->options.multicast);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->addr, 0xefff4d07u);
  EXPECT_EQ(m->port, 1761);
  EXPECT_TRUE(m->master);
  o.multicast->master = false;
  n = write_tftp_oack(MutBytes(buf, sizeof buf), o);
  EXPECT_FALSE(parse_tftp_multicast(*parse_tftp(Bytes(buf, n))->options.multicast)->master);
}

TEST(TftpMulticast, MalformedValuesAreRejected) {
  for (std::string_view v :
       {""sv, ",,1"sv, "239.255.77.1,1760"sv, "239.255.77.1,1760,2"sv, "239.255.77.1,0,1"sv,
        "239.255.77.1,65536,1"sv, "239.255.77,1760,1"sv, "239.255.77.1.1,1760,1"sv,
        "239.255.77.256,1760,1"sv, "239.255.77.1,1760,1,"sv, "239.255.77.1,17a0,1"sv, "a,b,c"sv})
    EXPECT_FALSE(parse_tftp_multicast(v)) << v;
  EXPECT_TRUE(parse_tftp_multicast("224.0.0.251,1,0"));
}

TEST(TftpWriter, DataAckErrorRoundTrip) {
  uint8_t buf[64];
  ASSERT_EQ(write_tftp_data_header(MutBytes(buf, sizeof buf), 513), 4u);
  EXPECT_EQ(parse_tftp(Bytes(buf, 4))->block, 513);
  EXPECT_EQ(parse_tftp(Bytes(buf, 4))->op, TftpOp::data);
  EXPECT_EQ(write_tftp_data_header(MutBytes(buf, 3), 1), 0u);
  ASSERT_EQ(write_tftp_ack(MutBytes(buf, sizeof buf), 0), 4u);
  EXPECT_EQ(parse_tftp(Bytes(buf, 4))->op, TftpOp::ack);
  EXPECT_EQ(write_tftp_ack(MutBytes(buf, 3), 1), 0u);
  const size_t n = write_tftp_error(MutBytes(buf, sizeof buf), kErrAccess, "Access violation");
  ASSERT_EQ(n, 4u + 16 + 1);
  auto e = parse_tftp(Bytes(buf, n));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->error_code, kErrAccess);
  EXPECT_EQ(e->error_msg, "Access violation");
  EXPECT_EQ(write_tftp_error(MutBytes(buf, n - 1), kErrAccess, "Access violation"), 0u);
  // An embedded NUL cannot end up inside the message field.
  const size_t c = write_tftp_error(MutBytes(buf, sizeof buf), 0, "bad\0tail"sv);
  EXPECT_EQ(parse_tftp(Bytes(buf, c))->error_msg, "bad");
}

TEST(Tftp, EveryTruncationOfARequestFailsOrParsesAPrefix) {
  const auto full = bytes(
      "\0\1pxelinux.0\0octet\0tsize\0"
      "0\0blksize\0"
      "1408\0"sv);
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + n);
    auto p = parse(cut);
    if (!p) continue;  // short or unterminated
    // Only cuts right after a complete name/value pair may parse.
    EXPECT_EQ(p->filename, "pxelinux.0") << n;
    EXPECT_EQ(p->mode, "octet") << n;
    EXPECT_TRUE(n == 19 || n == 27) << n;
  }
  EXPECT_TRUE(parse(full));
}

}  // namespace
}  // namespace bs::proto
