// The codecs fed with real captures (tests/data/, made by tests/data/capture.sh).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataplane/proto/dhcp.hpp"
#include "dataplane/proto/tftp.hpp"
#include "frame_builder.hpp"
#include "pcap_frames.hpp"

namespace bs::proto {
namespace {

using test::Frame;
using test::read_pcap;

std::string str(Bytes b) {
  return std::string(b.begin(), b.end());
}

UdpFrame udp(const Frame& f) {
  auto u = parse_udp_frame(Bytes(f.data(), f.size()));
  EXPECT_TRUE(u) << drop_name(u.error());
  return u ? *u : UdpFrame{};
}

TftpPacket tftp(const Frame& f) {
  auto u = udp(f);
  auto t = parse_tftp(u.payload);
  EXPECT_TRUE(t) << drop_name(t.error());
  return t ? *t : TftpPacket{};
}

// Re-creates the frame's headers with write_udp_headers (same addresses, IP id, payload).
Frame rebuild(const UdpFrame& u) {
  UdpAddr a;
  a.src_mac = u.eth.src;
  a.dst_mac = u.eth.dst;
  a.src_ip = u.ip.src;
  a.dst_ip = u.ip.dst;
  a.sport = u.udp.sport;
  a.dport = u.udp.dport;
  return test::udp_frame(a, std::vector<uint8_t>(u.payload.begin(), u.payload.end()), u.ip.id);
}

// The file capture.sh served: `seq 1 1000 | head -c 1700`.
std::string served_file() {
  std::string s;
  for (int i = 1; i <= 1000; ++i) s += std::to_string(i) + "\n";
  return s.substr(0, 1700);
}

TEST(CaptureIpxe, DiscoverFromIpxeRom) {
  const auto frames = read_pcap("ipxe-discover.pcap");
  ASSERT_GE(frames.size(), 2u);
  uint32_t xid = 0;
  uint16_t last_secs = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    SCOPED_TRACE(i);
    const UdpFrame u = udp(frames[i]);
    EXPECT_TRUE(u.eth.dst.is_broadcast());
    EXPECT_EQ(u.eth.src.str(), "52:54:00:12:34:56");
    EXPECT_EQ(u.ip.src, 0u);
    EXPECT_EQ(u.ip.dst, 0xffffffffu);
    EXPECT_EQ(u.udp.sport, kDhcpClientPort);
    EXPECT_EQ(u.udp.dport, kDhcpServerPort);
    EXPECT_NE(u.udp.csum, 0);  // iPXE fills in the UDP checksum, and it verified
    auto m = parse_dhcp(u.payload);
    ASSERT_TRUE(m) << drop_name(m.error());
    EXPECT_EQ(m->type, kDiscover);
    EXPECT_EQ(m->chaddr.str(), "52:54:00:12:34:56");
    EXPECT_FALSE(m->broadcast());
    EXPECT_EQ(m->arch, 0);  // BIOS
    EXPECT_EQ(str(m->vendor_class), "PXEClient:Arch:00000:UNDI:002001");
    EXPECT_TRUE(m->is_pxe());
    EXPECT_EQ(str(m->user_class), "iPXE");
    EXPECT_TRUE(m->ipxe_encap);  // option 175: iPXE's own encapsulated options
    EXPECT_TRUE(m->is_ipxe());
    EXPECT_FALSE(m->is_http_client());
    EXPECT_TRUE(m->relay_agent.empty());  // not relayed
    EXPECT_EQ(m->max_msg_size, 1472);
    // Client id: hardware type 1 + MAC.
    EXPECT_EQ(m->client_id.size(), 7u);
    EXPECT_EQ(m->client_id[0], 1);
    EXPECT_EQ(m->client_id[6], 0x56);
    // UUID (option 97): type 0 + QEMU's -uuid in SMBIOS byte order.
    const std::vector<uint8_t> uuid = {0x00, 0x9e, 0x3a, 0x0c, 0x5f, 0x41, 0x7d, 0x2a, 0x4b,
                                       0x9c, 0x6e, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f};
    EXPECT_EQ(std::vector<uint8_t>(m->uuid.begin(), m->uuid.end()), uuid);
    // Parameter request list asks for the boot options.
    const std::string params = str(m->param_list);
    EXPECT_NE(params.find(char(opt::kTftpServer)), std::string::npos);
    EXPECT_NE(params.find(char(opt::kBootfile)), std::string::npos);
    EXPECT_NE(params.find(char(opt::kVendorSpecific)), std::string::npos);
    EXPECT_FALSE(m->requested_ip);
    EXPECT_FALSE(m->server_id);
    if (i == 0) xid = m->xid;
    EXPECT_EQ(m->xid, xid);  // a retransmission keeps its transaction id
    EXPECT_GE(m->secs, last_secs);
    last_secs = m->secs;
    // iPXE's IPv4/UDP headers (TTL 64, DF clear, TOS 0) are exactly what we write.
    EXPECT_EQ(rebuild(u), frames[i]);
  }
}

TEST(CaptureDhclient, DiscoverFromIscClient) {
  const auto frames = read_pcap("dhclient-discover.pcap");
  ASSERT_GE(frames.size(), 2u);
  uint32_t xid = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    SCOPED_TRACE(i);
    const UdpFrame u = udp(frames[i]);
    EXPECT_EQ(u.ip.ttl, 128);  // dhclient builds its own headers
    EXPECT_EQ(u.ip.tos, 0x10);
    EXPECT_EQ(u.udp.dport, kDhcpServerPort);
    auto m = parse_dhcp(u.payload);
    ASSERT_TRUE(m) << drop_name(m.error());
    EXPECT_EQ(u.payload.size(), 300u);  // BOOTP minimum
    EXPECT_EQ(m->type, kDiscover);
    EXPECT_EQ(m->chaddr.str(), "02:00:00:00:0c:01");
    EXPECT_FALSE(m->is_pxe());
    EXPECT_FALSE(m->is_ipxe());
    EXPECT_FALSE(m->arch);
    EXPECT_TRUE(m->client_id.empty());
    EXPECT_TRUE(m->uuid.empty());
    ASSERT_EQ(m->param_list.size(), 13u);
    EXPECT_EQ(m->param_list[0], opt::kSubnetMask);
    EXPECT_EQ(m->param_list[3], opt::kRouter);
    EXPECT_FALSE(m->hostname.empty());
    if (i == 0) xid = m->xid;
    EXPECT_EQ(m->xid, xid);
    // Our writer's checksum agrees with dhclient's over the same addresses and payload.
    const Frame r = rebuild(u);
    EXPECT_EQ(load16(&r[kEthHeaderLen + kIpv4HeaderLen + 6]), u.udp.csum);
  }
}

TEST(CaptureTftpHpa, ReadMissAndWrite) {
  const auto frames = read_pcap("tftp-hpa-rrq.pcap");
  ASSERT_EQ(frames.size(), 16u);
  // 0: RRQ hello.txt from the tftp-hpa client (it sends no options).
  const UdpFrame rrq_frame = udp(frames[0]);
  EXPECT_EQ(rrq_frame.udp.dport, kTftpPort);
  const TftpPacket rrq = tftp(frames[0]);
  EXPECT_EQ(rrq.op, TftpOp::rrq);
  EXPECT_EQ(rrq.filename, "hello.txt");
  EXPECT_EQ(rrq.mode, "octet");
  EXPECT_FALSE(rrq.options.blksize);
  EXPECT_FALSE(rrq.options.tsize);
  uint8_t buf[64];
  const size_t n =
      write_tftp_request(MutBytes(buf, sizeof buf), TftpOp::rrq, "hello.txt", "octet", {});
  EXPECT_EQ(str(Bytes(buf, n)), str(rrq_frame.payload));  // byte-identical request
  // 1..8: DATA 1..4 from in.tftpd's transfer port, each ACKed by the client.
  std::string got;
  uint16_t server_port = 0;
  for (uint16_t blk = 1; blk <= 4; ++blk) {
    const Frame& df = frames[2 * blk - 1];
    const UdpFrame du = udp(df);
    if (blk == 1) server_port = du.udp.sport;
    EXPECT_NE(du.udp.sport, kTftpPort);
    EXPECT_EQ(du.udp.sport, server_port);
    EXPECT_EQ(du.udp.dport, rrq_frame.udp.sport);
    const TftpPacket d = tftp(df);
    EXPECT_EQ(d.op, TftpOp::data);
    EXPECT_EQ(d.block, blk);
    EXPECT_EQ(d.data.size(), blk < 4 ? 512u : 1700u - 3 * 512);
    got += str(d.data);
    EXPECT_EQ(rebuild(du), df);  // in.tftpd's headers are what write_udp_headers produces
    const TftpPacket a = tftp(frames[2 * blk]);
    EXPECT_EQ(a.op, TftpOp::ack);
    EXPECT_EQ(a.block, blk);
  }
  EXPECT_EQ(got, served_file());
  // 9, 10: RRQ for a missing file -> ERROR 1.
  const TftpPacket miss = tftp(frames[9]);
  EXPECT_EQ(miss.op, TftpOp::rrq);
  EXPECT_EQ(miss.filename, "missing.bin");
  const TftpPacket err = tftp(frames[10]);
  EXPECT_EQ(err.op, TftpOp::error);
  EXPECT_EQ(err.error_code, kErrNotFound);
  EXPECT_EQ(err.error_msg, "File not found");
  const size_t en = write_tftp_error(MutBytes(buf, sizeof buf), kErrNotFound, "File not found");
  EXPECT_EQ(str(Bytes(buf, en)), str(udp(frames[10]).payload));
  // 12..15: WRQ put.txt, ACK 0, DATA 1, ACK 1.
  const TftpPacket wrq = tftp(frames[12]);
  EXPECT_EQ(wrq.op, TftpOp::wrq);
  EXPECT_EQ(wrq.filename, "put.txt");
  EXPECT_EQ(wrq.mode, "octet");
  EXPECT_EQ(tftp(frames[13]).op, TftpOp::ack);
  EXPECT_EQ(tftp(frames[13]).block, 0);
  const TftpPacket up = tftp(frames[14]);
  EXPECT_EQ(up.op, TftpOp::data);
  EXPECT_EQ(up.block, 1);
  EXPECT_EQ(str(up.data), "uploaded by tftp-hpa\n");
  EXPECT_EQ(tftp(frames[15]).block, 1);
}

TEST(CaptureTftpdHpa, OptionsNegotiatedWithOack) {
  const auto frames = read_pcap("tftpd-hpa-oack.pcap");
  ASSERT_EQ(frames.size(), 7u);
  const TftpPacket rrq = tftp(frames[0]);
  EXPECT_EQ(rrq.op, TftpOp::rrq);
  EXPECT_EQ(rrq.filename, "hello.txt");
  EXPECT_EQ(rrq.mode, "octet");
  EXPECT_TRUE(rrq.options.tsize);
  EXPECT_EQ(rrq.options.blksize, 1024);
  // in.tftpd's OACK: tsize with the real size, blksize accepted.
  const UdpFrame ou = udp(frames[1]);
  EXPECT_EQ(str(ou.payload), std::string("\0\6tsize\0"
                                         "1700\0blksize\0"
                                         "1024\0",
                                         26));
  const TftpPacket oack = tftp(frames[1]);
  EXPECT_EQ(oack.op, TftpOp::oack);
  EXPECT_EQ(oack.options.blksize, 1024);
  EXPECT_TRUE(oack.options.tsize);
  EXPECT_EQ(tftp(frames[2]).op, TftpOp::ack);
  EXPECT_EQ(tftp(frames[2]).block, 0);  // ACK 0 accepts the OACK
  const TftpPacket d1 = tftp(frames[3]);
  const TftpPacket d2 = tftp(frames[5]);
  EXPECT_EQ(d1.block, 1);
  EXPECT_EQ(d1.data.size(), 1024u);
  EXPECT_EQ(d2.block, 2);
  EXPECT_EQ(d2.data.size(), 1700u - 1024);
  EXPECT_EQ(str(d1.data) + str(d2.data), served_file());
  EXPECT_EQ(tftp(frames[6]).block, 2);
}

TEST(Captures, EveryTruncationOfEveryCapturedFrameFailsCleanly) {
  for (const char* name : {"ipxe-discover.pcap", "dhclient-discover.pcap", "tftp-hpa-rrq.pcap",
                           "tftpd-hpa-oack.pcap"}) {
    for (const Frame& f : read_pcap(name)) {
      auto whole = parse_udp_frame(Bytes(f.data(), f.size()));
      ASSERT_TRUE(whole) << name;
      const size_t end = kEthHeaderLen + whole->ip.total_len;  // ignore Ethernet padding
      for (size_t n = 0; n < end; ++n) {
        Frame cut(f.begin(), f.begin() + n);
        EXPECT_FALSE(parse_udp_frame(Bytes(cut.data(), cut.size()))) << name << " " << n;
      }
      // The payload parsers on every prefix of the payload: no crash, no read past the end.
      const size_t off = size_t(whole->payload.data() - f.data());
      for (size_t n = 0; n <= whole->payload.size(); ++n) {
        Frame cut(f.begin() + off, f.begin() + off + n);
        (void)parse_dhcp(Bytes(cut.data(), cut.size()));
        (void)parse_tftp(Bytes(cut.data(), cut.size()));
      }
    }
  }
}

}  // namespace
}  // namespace bs::proto
