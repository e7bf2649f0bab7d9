// DHCP codec: hand-made BOOTREQUESTs (options, overload, bounds) and the BOOTREPLY writer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataplane/proto/dhcp.hpp"

namespace bs::proto {
namespace {

// A BOOTREQUEST with the fixed part filled in and the given options after the cookie.
std::vector<uint8_t> request(const std::vector<uint8_t>& options, uint8_t op = 1) {
  // Sized once (GCC 12 warns spuriously about vector::insert after the fixed part).
  std::vector<uint8_t> b(kDhcpMinLen + options.size(), 0);
  std::copy(options.begin(), options.end(), b.begin() + kDhcpMinLen);
  b[0] = op;
  b[1] = 1;
  b[2] = 6;
  store32(&b[4], 0xdeadbeef);
  store16(&b[8], 3);
  store16(&b[10], kBootpBroadcastFlag);
  store32(&b[12], 0x0a4d0063);
  const uint8_t mac[] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  std::copy(mac, mac + 6, &b[28]);
  store32(&b[kBootpFixedLen], kDhcpMagic);
  return b;
}

Result<DhcpMessage> parse(const std::vector<uint8_t>& b) {
  return parse_dhcp(Bytes(b.data(), b.size()));
}

std::string str(Bytes b) {
  return std::string(b.begin(), b.end());
}

const std::vector<uint8_t> kPxeOptions = {
    53, 1, 1,                                                   // DISCOVER
    57, 2, 0x05, 0xc0,                                          // max size 1472
    93, 2, 0,    7,                                             // arch 7 (UEFI x64)
    60, 9, 'P',  'X',  'E',  'C',  'l',  'i',  'e',  'n', 't',  // vendor class
    77, 4, 'i',  'P',  'X',  'E',                               // user class
    50, 4, 10,   77,   0,    11,                                // requested IP
    54, 4, 10,   77,   0,    1,                                 // server id
    61, 7, 1,    0x52, 0x54, 0x00, 0x12, 0x34, 0x56,            // client id
    97, 3, 0,    0xaa, 0xbb,                                    // uuid (short, as sent)
    55, 3, 1,    3,    67,                                      // parameter list
    12, 4, 'n',  'o',  'd',  'e',                               // hostname
    82, 4, 1,    2,    'x',  'y',                               // relay agent
    0,  0,                                                      // pads
    255};

TEST(Dhcp, ParsesFixedFieldsAndOptionsOfInterest) {
  const auto b = request(kPxeOptions);  // the parsed views point into b
  auto m = parse(b);
  ASSERT_TRUE(m) << drop_name(m.error());
  EXPECT_EQ(m->op, 1);
  EXPECT_EQ(m->xid, 0xdeadbeefu);
  EXPECT_EQ(m->secs, 3);
  EXPECT_TRUE(m->broadcast());
  EXPECT_EQ(m->ciaddr, 0x0a4d0063u);
  EXPECT_EQ(m->chaddr.str(), "52:54:00:12:34:56");
  EXPECT_EQ(m->type, kDiscover);
  EXPECT_EQ(m->max_msg_size, 1472);
  EXPECT_EQ(m->arch, 7);
  EXPECT_EQ(m->requested_ip, 0x0a4d000bu);
  EXPECT_EQ(m->server_id, 0x0a4d0001u);
  EXPECT_EQ(str(m->vendor_class), "PXEClient");
  EXPECT_TRUE(m->is_pxe());
  EXPECT_TRUE(m->is_ipxe());
  EXPECT_EQ(m->client_id.size(), 7u);
  EXPECT_EQ(m->uuid.size(), 3u);
  EXPECT_EQ(m->param_list.size(), 3u);
  EXPECT_EQ(m->param_list[2], 67);
  EXPECT_EQ(str(m->hostname), "node");
  EXPECT_EQ(m->relay_agent.size(), 4u);
}

TEST(Dhcp, PlainClientIsNeitherPxeNorIpxe) {
  const auto b = request({53,  1,   3,  60, 8,   'P', 'X', 'E', 'C', 'l', 'i',
                          'e', 'n', 77, 5,  'i', 'P', 'X', 'E', '2', 255});
  auto m = parse(b);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, kRequest);
  EXPECT_FALSE(m->is_pxe());   // "PXEClien" is not "PXEClient"
  EXPECT_FALSE(m->is_ipxe());  // "iPXE2" is not "iPXE"
  EXPECT_FALSE(m->arch);
  EXPECT_FALSE(m->requested_ip);
  EXPECT_EQ(m->max_msg_size, 0);
}

TEST(Dhcp, IpxeByUserClassFormOrOption175) {
  // RFC 3004 user class: a length byte, then the class.
  // (The parsed message views its buffer: each buffer lives as long as its message.)
  const auto b1 = request({53, 1, 1, 77, 5, 4, 'i', 'P', 'X', 'E', 255});
  auto rfc3004 = parse(b1);
  ASSERT_TRUE(rfc3004);
  EXPECT_TRUE(rfc3004->is_ipxe());
  EXPECT_FALSE(rfc3004->ipxe_encap);
  // Option 175 alone (iPXE's encapsulated options), with a sub-option inside.
  const auto b2 = request({53, 1, 1, 175, 3, 0x13, 1, 1, 255});
  auto encap = parse(b2);
  ASSERT_TRUE(encap);
  EXPECT_TRUE(encap->ipxe_encap);
  EXPECT_TRUE(encap->is_ipxe());
  const auto b3 = request({53, 1, 1, 77, 5, 4, 'i', 'P', 'X', 'F', 255});
  auto neither = parse(b3);
  ASSERT_TRUE(neither);
  EXPECT_FALSE(neither->is_ipxe());
}

TEST(Dhcp, UefiHttpClient) {
  const std::string vc = "HTTPClient:Arch:00016:UNDI:003001";
  std::vector<uint8_t> opts = {53, 1, 1, 93, 2, 0, 16, 60, uint8_t(vc.size())};
  opts.insert(opts.end(), vc.begin(), vc.end());
  opts.push_back(255);
  const auto b = request(opts);
  auto m = parse(b);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->is_http_client());
  EXPECT_FALSE(m->is_pxe());
  EXPECT_EQ(m->arch, 16);
  EXPECT_FALSE(parse(request({53, 1, 1, 60, 4, 'H', 'T', 'T', 'P', 255}))->is_http_client());
}

TEST(Dhcp, RejectsWrongHeaders) {
  EXPECT_EQ(parse(request({53, 1, 1, 255}, 2)).error(), Drop::dhcp_not_request);
  auto htype = request({53, 1, 1, 255});
  htype[1] = 6;
  EXPECT_EQ(parse(htype).error(), Drop::dhcp_hw_type);
  auto hlen = request({53, 1, 1, 255});
  hlen[2] = 16;
  EXPECT_EQ(parse(hlen).error(), Drop::dhcp_hw_type);
  auto magic = request({53, 1, 1, 255});
  magic[kBootpFixedLen + 3] = 0x64;
  EXPECT_EQ(parse(magic).error(), Drop::dhcp_magic);
  EXPECT_EQ(parse(request({255})).error(), Drop::dhcp_no_type);
  EXPECT_EQ(parse(request({53, 2, 1, 1, 255})).error(), Drop::dhcp_no_type);  // wrong length
  // A BOOTP message without cookie (236 bytes) is short for DHCP.
  auto bootp = request({});
  bootp.resize(kBootpFixedLen);
  EXPECT_EQ(parse(bootp).error(), Drop::dhcp_short);
}

TEST(Dhcp, OptionOverrunsAreErrors) {
  EXPECT_EQ(parse(request({53, 1, 1, 60, 10, 'P', 'X', 'E'})).error(), Drop::dhcp_option_overrun);
  EXPECT_EQ(parse(request({53, 1, 1, 60})).error(), Drop::dhcp_option_overrun);  // no length
  EXPECT_EQ(parse(request({53, 1})).error(), Drop::dhcp_option_overrun);
  // Options end without END: tolerated.
  EXPECT_TRUE(parse(request({53, 1, 1})));
  // Bytes after END are not options.
  EXPECT_TRUE(parse(request({53, 1, 1, 255, 60, 200})));
}

TEST(Dhcp, InvalidLengthsAreIgnored) {
  const auto b = request({53, 1, 1, 50, 3, 1, 2, 3, 54, 5, 1, 2, 3, 4, 5, 93, 1, 0, 57, 1, 5, 255});
  auto m = parse(b);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->requested_ip);
  EXPECT_FALSE(m->server_id);
  EXPECT_FALSE(m->arch);
  EXPECT_EQ(m->max_msg_size, 0);
  // Option 93 may list several architectures; the first is used.
  const auto mb = request({53, 1, 1, 93, 4, 0, 9, 0, 7, 255});
  auto multi = parse(mb);
  ASSERT_TRUE(multi);
  EXPECT_EQ(multi->arch, 9);
}

TEST(Dhcp, OptionOverloadReadsFileAndSname) {
  auto b = request({53, 1, 1, 52, 1, 3, 255});
  // 'file' (offset 108) holds option 93; 'sname' (offset 44) holds option 60 and END.
  const uint8_t file_opts[] = {93, 2, 0, 9, 255};
  std::copy(std::begin(file_opts), std::end(file_opts), &b[108]);
  const uint8_t sname_opts[] = {0, 60, 9, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't', 255};
  std::copy(std::begin(sname_opts), std::end(sname_opts), &b[44]);
  auto m = parse(b);
  ASSERT_TRUE(m) << drop_name(m.error());
  EXPECT_EQ(m->arch, 9);
  EXPECT_TRUE(m->is_pxe());
  // Without option 52 the same fields are ignored.
  auto plain = b;
  plain[kDhcpMinLen + 5] = 0;  // overload value 0: invalid, ignored
  auto p = parse(plain);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->arch);
  EXPECT_FALSE(p->is_pxe());
  // Overload 1 reads 'file' only.
  auto file_only = b;
  file_only[kDhcpMinLen + 5] = 1;
  auto f = parse(file_only);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->arch, 9);
  EXPECT_FALSE(f->is_pxe());
  // An option in 'sname' running past its 64 bytes is an overrun, even with room after it.
  auto over = b;
  over[44 + 62] = 60;
  over[44 + 63] = 10;
  std::fill(&over[44], &over[44 + 62], 0);
  EXPECT_EQ(parse(over).error(), Drop::dhcp_option_overrun);
}

TEST(Dhcp, EveryTruncationFailsOrParsesAPrefix) {
  const auto full = request(kPxeOptions);
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + n);
    auto m = parse(cut);
    if (n < kDhcpMinLen + 3) {
      EXPECT_FALSE(m) << n;  // no complete message type option yet
    } else if (m) {
      EXPECT_EQ(m->type, kDiscover) << n;
      EXPECT_EQ(m->xid, 0xdeadbeefu);
    } else {
      EXPECT_EQ(m.error(), Drop::dhcp_option_overrun) << n;
    }
  }
}

TEST(Dhcp, TypeNames) {
  EXPECT_STREQ(dhcp_type_name(kDiscover), "DHCPDISCOVER");
  EXPECT_STREQ(dhcp_type_name(kOffer), "DHCPOFFER");
  EXPECT_STREQ(dhcp_type_name(kRequest), "DHCPREQUEST");
  EXPECT_STREQ(dhcp_type_name(kDecline), "DHCPDECLINE");
  EXPECT_STREQ(dhcp_type_name(kAck), "DHCPACK");
  EXPECT_STREQ(dhcp_type_name(kNak), "DHCPNAK");
  EXPECT_STREQ(dhcp_type_name(kRelease), "DHCPRELEASE");
  EXPECT_STREQ(dhcp_type_name(kInform), "DHCPINFORM");
  EXPECT_STREQ(dhcp_type_name(0), "DHCP?");
  EXPECT_STREQ(dhcp_type_name(9), "DHCP?");
}

DhcpReplyHeader reply_header() {
  DhcpReplyHeader h;
  h.xid = 0x96223b65;
  h.flags = kBootpBroadcastFlag;
  h.yiaddr = 0x0a4d000b;
  h.siaddr = 0x0a4d0001;
  h.chaddr = Mac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
  h.sname = "bootstorm";
  h.file = "pxelinux.0";
  return h;
}

TEST(DhcpWriter, WritesBootReplyThatParsesBack) {
  uint8_t buf[576];
  std::fill(std::begin(buf), std::end(buf), 0xcc);
  DhcpWriter w(MutBytes(buf, sizeof buf), reply_header());
  w.add_u8(opt::kMessageType, kOffer);
  w.add_ip(opt::kServerId, 0x0a4d0001);
  w.add_u32(opt::kLeaseTime, 3600);
  w.add_str(opt::kVendorClass, "PXEClient");
  w.add_str(opt::kBootfile, "pxelinux.0");
  const size_t n = w.finish();
  ASSERT_EQ(n, 300u);  // short reply padded to the BOOTP minimum
  EXPECT_EQ(buf[0], 2);
  EXPECT_EQ(buf[1], 1);
  EXPECT_EQ(buf[2], 6);
  EXPECT_EQ(load32(&buf[16]), 0x0a4d000bu);
  EXPECT_EQ(load32(&buf[20]), 0x0a4d0001u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(&buf[44])), "bootstorm");
  EXPECT_EQ(std::string(reinterpret_cast<char*>(&buf[108])), "pxelinux.0");
  for (size_t i = 44 + 9; i < 108; ++i) EXPECT_EQ(buf[i], 0) << i;  // sname NUL padded
  for (size_t i = 34; i < 44; ++i) EXPECT_EQ(buf[i], 0) << i;       // chaddr padding
  EXPECT_EQ(buf[299], 0);
  EXPECT_EQ(buf[300], 0xcc);  // nothing written past the end
  // The parser only takes requests: flip op and read the options back.
  buf[0] = 1;
  auto m = parse_dhcp(Bytes(buf, n));
  ASSERT_TRUE(m) << drop_name(m.error());
  EXPECT_EQ(m->type, kOffer);
  EXPECT_EQ(m->xid, 0x96223b65u);
  EXPECT_TRUE(m->broadcast());
  EXPECT_EQ(m->server_id, 0x0a4d0001u);
  EXPECT_EQ(m->chaddr.str(), "52:54:00:12:34:56");
  EXPECT_TRUE(m->is_pxe());
}

TEST(DhcpWriter, TruncatesLongNamesAndSplitsLongOptions) {
  auto h = reply_header();
  const std::string long_name(200, 'f');
  h.sname = long_name;
  h.file = long_name;
  uint8_t buf[1024];
  DhcpWriter w(MutBytes(buf, sizeof buf), h);
  w.add_u8(opt::kMessageType, kAck);
  std::vector<uint8_t> big(300, 0x41);
  w.add(opt::kVendorSpecific, Bytes(big.data(), big.size()));
  const size_t n = w.finish();
  ASSERT_EQ(n, 240u + 3 + (2 + 255) + (2 + 45) + 1);
  EXPECT_EQ(buf[44 + 62], 'f');
  EXPECT_EQ(buf[44 + 63], 0);  // sname keeps its NUL
  EXPECT_EQ(buf[108 + 126], 'f');
  EXPECT_EQ(buf[108 + 127], 0);  // file keeps its NUL
  EXPECT_EQ(buf[243], opt::kVendorSpecific);
  EXPECT_EQ(buf[244], 255);
  EXPECT_EQ(buf[243 + 257], opt::kVendorSpecific);
  EXPECT_EQ(buf[243 + 258], 45);
  EXPECT_EQ(buf[n - 1], opt::kEnd);
}

TEST(DhcpWriter, OverflowGivesZero) {
  for (size_t cap : {0u, 100u, 240u, 299u}) {
    std::vector<uint8_t> buf(cap);
    DhcpWriter w(MutBytes(buf.data(), buf.size()), reply_header());
    w.add_u8(opt::kMessageType, kOffer);
    EXPECT_EQ(w.finish(), 0u) << cap;
  }
  std::vector<uint8_t> buf(300);
  DhcpWriter w(MutBytes(buf.data(), buf.size()), reply_header());
  w.add_u8(opt::kMessageType, kOffer);
  EXPECT_EQ(w.finish(), 300u);
}

// --- BOOTREPLY parser and BOOTREQUEST writer (the bench's simulated clients) ---------------

// A reply: the fixed part of h as DhcpWriter writes it, then `options` as raw bytes after the
// cookie (some tests break them on purpose), padded to 300 bytes.
std::vector<uint8_t> reply(const std::vector<uint8_t>& options,
                           DhcpReplyHeader h = reply_header()) {
  std::vector<uint8_t> b(300);
  DhcpWriter w(MutBytes(b.data(), b.size()), h);
  if (w.finish() != 300) return {};
  b.resize(kDhcpMinLen);  // the END finish() wrote goes
  b.insert(b.end(), options.begin(), options.end());
  if (b.size() < 300) b.resize(300, 0);
  return b;
}

Result<DhcpReply> parse_reply(const std::vector<uint8_t>& b) {
  return parse_dhcp_reply(Bytes(b.data(), b.size()));
}

TEST(DhcpReply, ParsesEveryOptionAClientUses) {
  uint8_t buf[1024];
  DhcpWriter w(MutBytes(buf, sizeof buf), reply_header());
  w.add_u8(opt::kMessageType, kAck);
  w.add_ip(opt::kServerId, 0x0a4d0001);
  w.add_ip(opt::kSubnetMask, 0xffffff00);
  const uint8_t routers[] = {10, 77, 0, 254, 10, 77, 0, 253};
  w.add(opt::kRouter, Bytes(routers, sizeof routers));
  const uint8_t dns[] = {10, 77, 0, 1, 8, 8, 8, 8};
  w.add(opt::kDns, Bytes(dns, sizeof dns));
  w.add_u32(opt::kLeaseTime, 3600);
  const uint8_t pxe[] = {6, 1, 8, 255};  // PXE_DISCOVERY_CONTROL 8
  w.add(opt::kVendorSpecific, Bytes(pxe, sizeof pxe));
  w.add_str(opt::kVendorClass, "PXEClient");
  w.add_str(opt::kTftpServer, "10.77.0.9");
  w.add_str(opt::kBootfile, "syslinux.efi");
  w.add_u32(opt::kPxelinuxMagic, 0xf100747e);
  w.add_str(opt::kPxelinuxConfigFile, "pxelinux.cfg/rack1");
  w.add_str(opt::kPxelinuxPathPrefix, "/boot/");
  w.add_u32(opt::kPxelinuxRebootTime, 30);
  w.add_str(opt::kMessage, "ok");
  const size_t n = w.finish();
  ASSERT_GT(n, 0u);
  auto r = parse_dhcp_reply(Bytes(buf, n));
  ASSERT_TRUE(r) << drop_name(r.error());
  EXPECT_EQ(r->op, 2);
  EXPECT_EQ(r->type, kAck);
  EXPECT_EQ(r->xid, 0x96223b65u);
  EXPECT_TRUE(r->broadcast());
  EXPECT_EQ(r->yiaddr, 0x0a4d000bu);
  EXPECT_EQ(r->siaddr, 0x0a4d0001u);
  EXPECT_EQ(r->chaddr.str(), "52:54:00:12:34:56");
  EXPECT_EQ(r->server_id, 0x0a4d0001u);
  EXPECT_EQ(r->subnet_mask, 0xffffff00u);
  EXPECT_EQ(r->router, 0x0a4d00feu);  // the first router
  EXPECT_EQ(r->dns.size(), 8u);
  EXPECT_EQ(r->lease_time, 3600u);
  EXPECT_EQ(r->vendor_specific.size(), 4u);
  EXPECT_EQ(str(r->vendor_class), "PXEClient");
  EXPECT_EQ(str(r->tftp_server), "10.77.0.9");
  EXPECT_EQ(str(r->bootfile), "syslinux.efi");
  EXPECT_TRUE(r->pxelinux_magic);
  EXPECT_EQ(str(r->pxelinux_config), "pxelinux.cfg/rack1");
  EXPECT_EQ(str(r->pxelinux_path_prefix), "/boot/");
  EXPECT_EQ(r->pxelinux_reboot_s, 30u);
  EXPECT_EQ(str(r->message), "ok");
  EXPECT_EQ(r->overload, 0);
  EXPECT_EQ(r->sname, "bootstorm");
  EXPECT_EQ(r->file, "pxelinux.0");
  // Option 67 wins over the file field, 66 over sname.
  EXPECT_EQ(r->boot_file(), "syslinux.efi");
  EXPECT_EQ(r->server_name(), "10.77.0.9");
}

TEST(DhcpReply, NamesFromTheFixedFieldsWithoutOptions) {
  const auto b = reply({53, 1, kOffer, 255});
  auto r = parse_reply(b);
  ASSERT_TRUE(r) << drop_name(r.error());
  EXPECT_EQ(r->type, kOffer);
  EXPECT_EQ(r->boot_file(), "pxelinux.0");
  EXPECT_EQ(r->server_name(), "bootstorm");
  EXPECT_FALSE(r->server_id);
  EXPECT_FALSE(r->lease_time);
  EXPECT_FALSE(r->router);
  EXPECT_FALSE(r->pxelinux_magic);
  EXPECT_FALSE(r->pxelinux_reboot_s);
  // A name filling its whole field (no NUL) stops at the field's end.
  auto full = b;
  std::fill(&full[108], &full[108 + 128], 'x');
  std::fill(&full[44], &full[44 + 64], 'y');
  auto f = parse_reply(full);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->file, std::string(128, 'x'));
  EXPECT_EQ(f->sname, std::string(64, 'y'));
}

TEST(DhcpReply, OverloadReadsFileThenSnameAsOptions) {
  auto b = reply({53, 1, kAck, 52, 1, 3, 255});
  std::fill(&b[44], &b[108 + 128], 0);
  // 'file' holds option 67 (and a message type that must not override the first); 'sname'
  // holds option 66 and a second 67 (the first instance, from 'file', wins).
  const uint8_t file_opts[] = {67, 7, 'b', 'o', 'o', 't', '.', 'e', 'f', 53, 1, kNak, 255};
  std::copy(std::begin(file_opts), std::end(file_opts), &b[108]);
  const uint8_t sname_opts[] = {0, 66, 4, 't', 'f', 't', 'p', 67, 3, 'x', 'y', 'z', 255};
  std::copy(std::begin(sname_opts), std::end(sname_opts), &b[44]);
  auto r = parse_reply(b);
  ASSERT_TRUE(r) << drop_name(r.error());
  EXPECT_EQ(r->overload, 3);
  EXPECT_EQ(r->type, kAck);
  EXPECT_EQ(str(r->bootfile), "boot.ef");
  EXPECT_EQ(str(r->tftp_server), "tftp");
  EXPECT_TRUE(r->file.empty());  // the fields hold options, not names
  EXPECT_TRUE(r->sname.empty());
  EXPECT_EQ(r->boot_file(), "boot.ef");
  EXPECT_EQ(r->server_name(), "tftp");
  // Overload 1: 'file' only; 'sname' is a name again (its first byte is a pad: empty name).
  auto file_only = b;
  file_only[kDhcpMinLen + 5] = 1;
  auto f = parse_reply(file_only);
  ASSERT_TRUE(f);
  EXPECT_EQ(str(f->bootfile), "boot.ef");
  EXPECT_TRUE(f->tftp_server.empty());
  EXPECT_EQ(f->sname, "");
  // Overload 2: 'sname' only; 'file' is a name (its bytes up to the first NUL).
  auto sname_only = b;
  sname_only[kDhcpMinLen + 5] = 2;
  auto s2 = parse_reply(sname_only);
  ASSERT_TRUE(s2);
  EXPECT_EQ(str(s2->bootfile), "xyz");
  EXPECT_EQ(s2->file, std::string("C\x07"
                                  "boot.ef5\x01\x06\xff",
                                  13));
  // Option 52 inside an overloaded field is not honoured.
  auto nested = reply({53, 1, kAck, 52, 1, 1, 255});
  std::fill(&nested[44], &nested[108 + 128], 0);
  const uint8_t nested_opts[] = {52, 1, 2, 255};
  std::copy(std::begin(nested_opts), std::end(nested_opts), &nested[108]);
  const uint8_t sname_junk[] = {66, 60};  // would overrun if walked
  std::copy(std::begin(sname_junk), std::end(sname_junk), &nested[44]);
  auto n = parse_reply(nested);
  ASSERT_TRUE(n) << drop_name(n.error());
  EXPECT_EQ(n->overload, 1);
  // An option in 'file' running past its 128 bytes is an overrun.
  auto over = reply({53, 1, kAck, 52, 1, 1, 255});
  std::fill(&over[108], &over[108 + 128], 0);
  over[108 + 126] = 67;
  over[108 + 127] = 5;
  EXPECT_EQ(parse_reply(over).error(), Drop::dhcp_option_overrun);
}

TEST(DhcpReply, RejectsWhatIsNotABootReply) {
  EXPECT_EQ(parse_dhcp_reply(Bytes(request({53, 1, 1, 255}))).error(), Drop::dhcp_not_request);
  auto htype = reply({53, 1, kOffer, 255});
  htype[1] = 6;
  EXPECT_EQ(parse_reply(htype).error(), Drop::dhcp_hw_type);
  auto magic = reply({53, 1, kOffer, 255});
  magic[kBootpFixedLen] = 0;
  EXPECT_EQ(parse_reply(magic).error(), Drop::dhcp_magic);
  EXPECT_EQ(parse_reply(reply({255})).error(), Drop::dhcp_no_type);
  EXPECT_EQ(parse_reply(reply({53, 2, 2, 2, 255})).error(), Drop::dhcp_no_type);
  EXPECT_EQ(parse_reply(reply({53, 1, kOffer, 67, 200, 'x'})).error(), Drop::dhcp_option_overrun);
  auto bootp = reply({});
  bootp.resize(kBootpFixedLen);
  EXPECT_EQ(parse_reply(bootp).error(), Drop::dhcp_short);
  // The request parser still refuses replies.
  EXPECT_EQ(parse(reply({53, 1, kOffer, 255})).error(), Drop::dhcp_not_request);
}

TEST(DhcpReply, InvalidLengthsAreIgnored) {
  const auto b = reply({53,  1, kOffer,                         // OFFER
                        54,  3, 1,      2,   3,                 // server id: short
                        1,   5, 255,    255, 255,  0,    0,     // mask: long
                        3,   6, 1,      2,   3,    4,    5, 6,  // router: not a multiple of 4
                        6,   2, 8,      8,                      // DNS: short
                        51,  2, 0,      60,                     // lease: short
                        208, 4, 0xf1,   0,   0x74, 0x7f,        // PXELINUX magic: wrong value
                        211, 2, 0,      30,                     // reboot time: short
                        54,  4, 10,     77,  0,    1,  // a valid server id after the bad one
                        255});
  auto r = parse_reply(b);
  ASSERT_TRUE(r) << drop_name(r.error());
  EXPECT_EQ(r->server_id, 0x0a4d0001u);  // the first valid instance
  EXPECT_FALSE(r->subnet_mask);
  EXPECT_FALSE(r->router);
  EXPECT_TRUE(r->dns.empty());
  EXPECT_FALSE(r->lease_time);
  EXPECT_FALSE(r->pxelinux_magic);
  EXPECT_FALSE(r->pxelinux_reboot_s);
}

TEST(DhcpReply, EveryTruncationFailsOrParsesAPrefix) {
  const std::vector<uint8_t> opts = {53,  1,   kOffer, 54,  4,   10,  77,  0,   1,   51,  4,
                                     0,   0,   14,     16,  67,  10,  'p', 'x', 'e', 'l', 'i',
                                     'n', 'u', 'x',    '.', '0', 209, 3,   'c', 'f', 'g', 255};
  auto full = reply(opts);
  full.resize(kDhcpMinLen + opts.size());
  for (size_t n = 0; n <= full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + long(n));
    auto r = parse_reply(cut);
    if (n < kDhcpMinLen + 3) {
      EXPECT_FALSE(r) << n;
    } else if (r) {
      EXPECT_EQ(r->type, kOffer) << n;
      EXPECT_EQ(r->xid, 0x96223b65u);
    } else {
      EXPECT_EQ(r.error(), Drop::dhcp_option_overrun) << n;
    }
  }
  auto r = parse_reply(full);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->lease_time, 3600u);
  EXPECT_EQ(str(r->pxelinux_config), "cfg");
}

TEST(DhcpWriter, WritesBootRequestThatParsesBack) {
  DhcpRequestHeader h;
  h.xid = 0x01020304;
  h.secs = 12;
  h.flags = kBootpBroadcastFlag;
  h.chaddr = Mac{{0x02, 0x62, 0x73, 0, 0, 7}};
  uint8_t buf[600];
  std::fill(std::begin(buf), std::end(buf), 0xcc);
  DhcpWriter w(MutBytes(buf, sizeof buf), h);
  w.add_u8(opt::kMessageType, kDiscover);
  w.add_u16(opt::kMaxMsgSize, 1260);
  const uint8_t arch[] = {0, 7};
  w.add(opt::kClientArch, Bytes(arch, 2));
  w.add_str(opt::kVendorClass, "PXEClient:Arch:00007:UNDI:003016");
  const size_t n = w.finish();
  ASSERT_EQ(n, 300u);
  EXPECT_EQ(buf[0], 1);
  EXPECT_EQ(buf[1], 1);
  EXPECT_EQ(buf[2], 6);
  EXPECT_EQ(buf[3], 0);
  EXPECT_EQ(load16(&buf[8]), 12);
  for (size_t i = 12; i < 28; ++i) EXPECT_EQ(buf[i], 0) << i;   // ciaddr..giaddr
  for (size_t i = 34; i < 236; ++i) EXPECT_EQ(buf[i], 0) << i;  // chaddr pad, sname, file
  EXPECT_EQ(buf[300], 0xcc);
  auto m = parse_dhcp(Bytes(buf, n));
  ASSERT_TRUE(m) << drop_name(m.error());
  EXPECT_EQ(m->op, 1);
  EXPECT_EQ(m->type, kDiscover);
  EXPECT_EQ(m->xid, 0x01020304u);
  EXPECT_EQ(m->secs, 12);
  EXPECT_TRUE(m->broadcast());
  EXPECT_EQ(m->max_msg_size, 1260);
  EXPECT_EQ(m->arch, 7);
  EXPECT_EQ(m->chaddr.str(), "02:62:73:00:00:07");
  EXPECT_TRUE(m->is_pxe());
  EXPECT_FALSE(parse_dhcp_reply(Bytes(buf, n)));  // a request is not a reply
  std::vector<uint8_t> small(239);
  DhcpWriter ws(MutBytes(small.data(), small.size()), h);
  EXPECT_EQ(ws.finish(), 0u);
}

}  // namespace
}  // namespace bs::proto
