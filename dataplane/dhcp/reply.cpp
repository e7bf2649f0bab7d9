#include "reply.hpp"

#include <cstring>

namespace bs::dhcp {

using namespace proto;

ReplyTarget reply_target(const DhcpMessage& m, uint8_t reply_type, Ip4 ciaddr, Ip4 yiaddr) {
  const ReplyTarget broadcast{kBroadcastMac, 0xffffffffu, kDhcpClientPort};
  if (m.giaddr != 0) return ReplyTarget{Mac{}, m.giaddr, kDhcpServerPort};
  if (reply_type == kNak) return broadcast;
  if (ciaddr != 0) return ReplyTarget{m.chaddr, ciaddr, kDhcpClientPort};
  if (m.broadcast() || yiaddr == 0) return broadcast;
  return ReplyTarget{m.chaddr, yiaddr, kDhcpClientPort};
}

std::string_view format_ip(Ip4 a, char (&buf)[16]) {
  size_t n = 0;
  for (int shift = 24; shift >= 0; shift -= 8) {
    unsigned v = (a >> shift) & 0xff;
    if (v >= 100) buf[n++] = char('0' + v / 100);
    if (v >= 10) buf[n++] = char('0' + v / 10 % 10);
    buf[n++] = char('0' + v % 10);
    if (shift) buf[n++] = '.';
  }
  return {buf, n};
}

size_t write_reply(const snap::Snapshot& s, const DhcpMessage& m, const Reply& r, MutBytes out) {
  constexpr size_t kIpUdp = 28;
  const size_t max_msg = m.max_msg_size > 576 ? m.max_msg_size : 576;
  if (out.size() > max_msg - kIpUdp) out = out.first(max_msg - kIpUdp);

  const bool nak = r.type == kNak;
  DhcpReplyHeader h;
  h.xid = m.xid;
  h.flags = m.flags;
  if (nak && m.giaddr != 0)
    h.flags |= kBootpBroadcastFlag;  // RFC 2131 4.3.2: the relay broadcasts it
  h.giaddr = m.giaddr;
  h.chaddr = m.chaddr;
  if (!nak) {
    h.ciaddr = r.ciaddr;
    h.yiaddr = r.yiaddr;
    h.siaddr = s.server_ip;
    h.file = r.boot_file;
  }
  DhcpWriter w(out, h);
  w.add_u8(opt::kMessageType, r.type);
  w.add_ip(opt::kServerId, s.server_ip);
  // RFC 3046 2.2: the relay agent information goes back verbatim, as the last option.
  auto finish = [&] {
    if (!m.relay_agent.empty()) w.add(opt::kRelayAgent, m.relay_agent);
    return w.finish();
  };
  if (nak) {
    if (!r.message.empty()) w.add_str(opt::kMessage, r.message);
    return finish();
  }
  if (r.lease_s != 0) {
    uint32_t t1 = r.lease_s / 2, t2 = uint32_t(uint64_t(r.lease_s) * 7 / 8);
    if (s.renew_seconds != 0 && s.renew_seconds < s.rebind_seconds && s.rebind_seconds < r.lease_s)
      t1 = s.renew_seconds, t2 = s.rebind_seconds;
    w.add_u32(opt::kLeaseTime, r.lease_s);
    w.add_u32(opt::kRenewalTime, t1);
    w.add_u32(opt::kRebindingTime, t2);
  }
  if (r.pool) {
    w.add_ip(opt::kSubnetMask, r.pool->mask());
    w.add_ip(opt::kBroadcast, r.pool->broadcast_address());
    if (r.pool->router != 0) w.add_ip(opt::kRouter, r.pool->router);
    if (!r.pool->dns.empty()) {
      uint8_t dns[4 * 63];
      size_t n = 0;
      for (Ip4 a : r.pool->dns) {
        if (n + 4 > sizeof(dns)) break;
        store32(dns + n, a);
        n += 4;
      }
      w.add(opt::kDns, Bytes(dns, n));
    }
    if (!r.pool->domain.empty()) w.add_str(opt::kDomainName, r.pool->domain);
  }
  if (r.host && !r.host->hostname.empty()) w.add_str(opt::kHostname, r.host->hostname);
  w.add_str(opt::kTftpServer, r.server_text);
  if (!r.boot_file.empty()) w.add_str(opt::kBootfile, r.boot_file);
  if (r.http_boot) {
    w.add_str(opt::kVendorClass, "HTTPClient");
  } else if (m.is_pxe()) {
    // PXE 2.1 option 43: for a boot file served by MTFTP, PXE_MTFTP_IP, _CPORT, _SPORT, _TMOUT,
    // _DELAY (sub-options 1-5); then PXE_DISCOVERY_CONTROL = 8 (boot from the DHCP reply's file
    // name, no boot server discovery) and END.
    uint8_t vendor[32];
    size_t n = 0;
    if (const snap::MtftpFile* f = r.boot_file.empty() ? nullptr : s.find_mtftp(r.boot_file)) {
      const uint8_t mt[] = {1,
                            4,
                            uint8_t(f->group >> 24),
                            uint8_t(f->group >> 16),
                            uint8_t(f->group >> 8),
                            uint8_t(f->group),
                            2,
                            2,
                            uint8_t(f->client_port >> 8),
                            uint8_t(f->client_port),
                            3,
                            2,
                            uint8_t(f->server_port >> 8),
                            uint8_t(f->server_port),
                            4,
                            1,
                            f->listen_s,
                            5,
                            1,
                            f->delay_s};
      std::memcpy(vendor, mt, sizeof(mt));
      n = sizeof(mt);
    }
    const uint8_t tail[] = {6, 1, 8, 255};
    std::memcpy(vendor + n, tail, sizeof(tail));
    n += sizeof(tail);
    w.add_str(opt::kVendorClass, "PXEClient");
    w.add(opt::kVendorSpecific, Bytes(vendor, n));
    // PXE 2.1: the client machine identifier is echoed (type 0 + 16-byte UUID).
    if (m.uuid.size() == 17) w.add(opt::kClientUuid, m.uuid);
  }
  return finish();
}

}  // namespace bs::dhcp
