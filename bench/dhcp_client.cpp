#include "dhcp_client.hpp"

#include <cstdio>

namespace bs::bench {
namespace {

// What Intel's PXE ROMs ask for (the PXE 2.1 options 128-135 included).
constexpr uint8_t kParamList[] = {1,  2,  3,  4,   5,   6,   11,  12,  13,  15,  16, 17, 18,
                                  22, 23, 28, 40,  41,  42,  43,  50,  51,  54,  58, 59, 60,
                                  66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135};
constexpr uint16_t kMaxMessageSize = 1260;
constexpr uint8_t kUndi[] = {1, 2, 1};  // option 94: UNDI, version 2.1

// Option 60: "PXEClient:Arch:0000N:UNDI:002001" into buf; returns its length.
size_t format_vendor_class(char (&buf)[40], uint16_t arch) {
  const int n = std::snprintf(buf, sizeof buf, "PXEClient:Arch:%05u:UNDI:002001", unsigned(arch));
  return n < 0 ? 0 : size_t(n);
}

std::string to_string(proto::Bytes b) {
  return std::string(b.begin(), b.end());
}

}  // namespace

const char* dhcp_fail_name(DhcpFail f) {
  switch (f) {
    case DhcpFail::none:
      return "none";
    case DhcpFail::timeout:
      return "timeout";
    case DhcpFail::ack_timeout:
      return "ack_timeout";
    case DhcpFail::nak_loop:
      return "nak_loop";
  }
  return "?";
}

proto::Bytes DhcpClient::param_list() {
  return proto::Bytes(kParamList, sizeof kParamList);
}

std::string DhcpClient::vendor_class(uint16_t arch) {
  char buf[40];
  return std::string(buf, format_vendor_class(buf, arch));
}

void DhcpClient::reset(const DhcpClientOptions& o) {
  o_ = o;
  lease_ = DhcpLease{};
  stats_ = DhcpClientStats{};
  start_us_ = round_us_ = request_us_ = 0;
  deadline_us_ = kNever;
  offered_ip_ = server_id_ = 0;
  tries_ = naks_ = 0;
  ip_id_ = uint16_t(o.xid);
  state_ = State::idle;
  fail_ = DhcpFail::none;
}

size_t DhcpClient::start(uint64_t now_us, proto::MutBytes out) {
  start_us_ = now_us;
  return send_discover(now_us, out);
}

void DhcpClient::arm(uint64_t now_us) {
  if (o_.timeouts_us.empty()) {
    deadline_us_ = kNever;
    return;
  }
  const uint64_t wait = o_.timeouts_us[tries_ - 1];
  deadline_us_ = wait > kNever - now_us ? kNever : now_us + wait;
}

size_t DhcpClient::send_discover(uint64_t now_us, proto::MutBytes out) {
  state_ = State::selecting;
  round_us_ = now_us;
  offered_ip_ = server_id_ = 0;
  tries_ = 1;
  arm(now_us);
  ++stats_.discovers;
  return write(proto::kDiscover, now_us, out);
}

size_t DhcpClient::send_request(uint64_t now_us, proto::MutBytes out) {
  state_ = State::requesting;
  request_us_ = now_us;
  tries_ = 1;
  arm(now_us);
  ++stats_.requests;
  return write(proto::kRequest, now_us, out);
}

size_t DhcpClient::write(uint8_t type, uint64_t now_us, proto::MutBytes out) {
  if (out.size() <= proto::kEthIpUdpLen) return 0;
  proto::DhcpRequestHeader h;
  h.xid = o_.xid;
  const uint64_t secs = (now_us - start_us_) / 1000000;
  h.secs = uint16_t(secs > 0xffff ? 0xffff : secs);
  h.flags = o_.broadcast ? proto::kBootpBroadcastFlag : 0;
  h.chaddr = o_.mac;
  proto::MutBytes payload = out.subspan(proto::kEthIpUdpLen);
  proto::DhcpWriter w(payload, h);
  w.add_u8(proto::opt::kMessageType, type);
  if (type == proto::kRequest) {
    w.add_ip(proto::opt::kRequestedIp, offered_ip_);
    w.add_ip(proto::opt::kServerId, server_id_);
  }
  w.add_u16(proto::opt::kMaxMsgSize, kMaxMessageSize);
  w.add(proto::opt::kParamList, param_list());
  uint8_t uuid[17] = {0};  // type 0, then the UUID
  for (size_t i = 0; i < 16; ++i) uuid[i + 1] = o_.uuid[i];
  w.add(proto::opt::kClientUuid, proto::Bytes(uuid, sizeof uuid));
  const uint8_t arch[2] = {uint8_t(o_.arch >> 8), uint8_t(o_.arch)};
  w.add(proto::opt::kClientArch, proto::Bytes(arch, 2));
  w.add(proto::opt::kClientNdi, proto::Bytes(kUndi, sizeof kUndi));
  char vc[40];
  w.add_str(proto::opt::kVendorClass, std::string_view(vc, format_vendor_class(vc, o_.arch)));
  const size_t n = w.finish();
  if (n == 0) return 0;
  proto::UdpAddr a;
  a.src_mac = o_.mac;
  a.dst_mac = proto::kBroadcastMac;
  a.src_ip = 0;
  a.dst_ip = 0xffffffff;
  a.sport = proto::kDhcpClientPort;
  a.dport = proto::kDhcpServerPort;
  const uint32_t sum = proto::csum_partial(payload.first(n));
  if (proto::write_udp_headers(out, a, uint16_t(n), sum, ip_id_++) == 0) return 0;
  return proto::kEthIpUdpLen + n;
}

size_t DhcpClient::on_reply(proto::Bytes udp_payload, const proto::Mac& eth_src, uint64_t now_us,
                            proto::MutBytes out) {
  auto r = proto::parse_dhcp_reply(udp_payload);
  if (!r) {
    ++stats_.malformed;
    return 0;
  }
  return on_reply(*r, eth_src, now_us, out);
}

size_t DhcpClient::on_reply(const proto::DhcpReply& r, const proto::Mac& eth_src, uint64_t now_us,
                            proto::MutBytes out) {
  if (r.xid != o_.xid || !(r.chaddr == o_.mac)) {
    ++stats_.ignored;
    return 0;
  }
  switch (r.type) {
    case proto::kOffer:
      ++stats_.offers;
      if (state_ != State::selecting) break;
      if (r.yiaddr == 0 || !r.server_id) {
        ++stats_.unusable;
        return 0;
      }
      offered_ip_ = r.yiaddr;
      server_id_ = *r.server_id;
      stats_.offer_us = now_us - round_us_;
      return send_request(now_us, out);
    case proto::kAck:
      ++stats_.acks;
      if (state_ != State::requesting || (r.server_id && *r.server_id != server_id_)) break;
      if (r.yiaddr == 0) {
        ++stats_.unusable;
        return 0;
      }
      bind(r, eth_src, now_us);
      return 0;
    case proto::kNak:
      ++stats_.naks;
      if (state_ != State::requesting || (r.server_id && *r.server_id != server_id_)) break;
      if (naks_ >= o_.nak_retries) {
        state_ = State::failed;
        fail_ = DhcpFail::nak_loop;
        deadline_us_ = kNever;
        ++naks_;
        return 0;
      }
      ++naks_;
      return send_discover(now_us, out);
    default:
      break;
  }
  ++stats_.ignored;
  return 0;
}

void DhcpClient::bind(const proto::DhcpReply& r, const proto::Mac& eth_src, uint64_t now_us) {
  state_ = State::bound;
  deadline_us_ = kNever;
  stats_.ack_us = now_us - request_us_;
  DhcpLease& l = lease_;
  l.ip = r.yiaddr;
  l.server_id = r.server_id ? *r.server_id : server_id_;
  l.netmask = r.subnet_mask.value_or(0);
  l.router = r.router.value_or(0);
  l.server_mac = eth_src;
  l.boot_file = std::string(r.boot_file());
  // dnsmasq sends option 67 with a trailing NUL (as some firmware wants it): not part of the name.
  while (!l.boot_file.empty() && l.boot_file.back() == '\0') l.boot_file.pop_back();
  l.tftp_server = std::string(r.server_name());
  l.pxelinux_config = to_string(r.pxelinux_config);
  l.path_prefix = to_string(r.pxelinux_path_prefix);
  l.pxelinux_magic = r.pxelinux_magic;
  l.reboot_s = r.pxelinux_reboot_s.value_or(0);
  l.lease_s = r.lease_time.value_or(0);
  std::optional<proto::Ip4> opt66;
  if (!r.tftp_server.empty()) {
    std::string_view s(reinterpret_cast<const char*>(r.tftp_server.data()), r.tftp_server.size());
    while (!s.empty() && s.back() == '\0') s.remove_suffix(1);  // some servers NUL-terminate
    opt66 = proto::parse_ip(s);
  }
  l.next_server = r.siaddr ? r.siaddr : opt66 ? *opt66 : l.server_id;
}

size_t DhcpClient::on_timeout(uint64_t now_us, proto::MutBytes out) {
  if (now_us < deadline_us_) return 0;
  if (state_ != State::selecting && state_ != State::requesting) return 0;
  if (tries_ >= o_.timeouts_us.size()) {
    fail_ = state_ == State::selecting ? DhcpFail::timeout : DhcpFail::ack_timeout;
    state_ = State::failed;
    deadline_us_ = kNever;
    return 0;
  }
  ++tries_;
  arm(now_us);
  ++stats_.retransmits;
  if (state_ == State::selecting) {
    ++stats_.discovers;
    return write(proto::kDiscover, now_us, out);
  }
  ++stats_.requests;
  return write(proto::kRequest, now_us, out);
}

}  // namespace bs::bench
