#include "dhcp.hpp"

#include <cstring>

namespace bs::proto {
namespace {

constexpr size_t kSnameOff = 44, kSnameLen = 64;
constexpr size_t kFileOff = 108, kFileLen = 128;
constexpr size_t kBootpMinReply = 300;

bool starts_with(Bytes b, std::string_view s) {
  return b.size() >= s.size() && std::memcmp(b.data(), s.data(), s.size()) == 0;
}

// Records one option's value in m when it is one the dataplane uses and its length is valid
// (invalid lengths are ignored as if the option had not been sent). The first instance wins.
void take_option(DhcpMessage& m, uint8_t code, Bytes v, uint8_t& overload) {
  switch (code) {
    case opt::kMessageType:
      if (v.size() == 1 && m.type == 0) m.type = v[0];
      break;
    case opt::kRequestedIp:
      if (v.size() == 4 && !m.requested_ip) m.requested_ip = load32(v.data());
      break;
    case opt::kServerId:
      if (v.size() == 4 && !m.server_id) m.server_id = load32(v.data());
      break;
    case opt::kClientArch:
      if (v.size() >= 2 && !m.arch) m.arch = load16(v.data());
      break;
    case opt::kMaxMsgSize:
      if (v.size() == 2 && m.max_msg_size == 0) m.max_msg_size = load16(v.data());
      break;
    case opt::kOverload:
      if (v.size() == 1 && v[0] >= 1 && v[0] <= 3 && overload == 0) overload = v[0];
      break;
    case opt::kVendorClass:
      if (m.vendor_class.empty()) m.vendor_class = v;
      break;
    case opt::kUserClass:
      if (m.user_class.empty()) m.user_class = v;
      break;
    case opt::kClientId:
      if (m.client_id.empty()) m.client_id = v;
      break;
    case opt::kClientUuid:
      if (m.uuid.empty()) m.uuid = v;
      break;
    case opt::kParamList:
      if (m.param_list.empty()) m.param_list = v;
      break;
    case opt::kHostname:
      if (m.hostname.empty()) m.hostname = v;
      break;
    case opt::kRelayAgent:
      if (m.relay_agent.empty()) m.relay_agent = v;
      break;
    case opt::kIpxeEncap:
      m.ipxe_encap = true;
      break;
    default:
      break;
  }
}

// Walks one option area, calling take(m, code, value, overload) for each option (take_option
// for a BOOTREQUEST, take_reply_option for a BOOTREPLY). Returns false when an option's length
// runs past the area. Option 52 is honoured only in the options field itself (allow_overload).
template <class Message, class Take>
bool walk_options(Message& m, Bytes area, uint8_t& overload, bool allow_overload, Take take) {
  size_t i = 0;
  while (i < area.size()) {
    const uint8_t code = area[i];
    if (code == opt::kEnd) return true;
    if (code == opt::kPad) {
      ++i;
      continue;
    }
    if (i + 1 >= area.size()) return false;
    const size_t len = area[i + 1];
    if (len > area.size() - i - 2) return false;
    uint8_t ignored = 0;
    take(m, code, area.subspan(i + 2, len), allow_overload ? overload : ignored);
    i += 2 + len;
  }
  return true;  // no END: tolerated, the area simply ends
}

// The fixed part of a BOOTP message (236 bytes) and the magic cookie.
void write_fixed(Writer& w, uint8_t op, uint32_t xid, uint16_t secs, uint16_t flags, Ip4 ciaddr,
                 Ip4 yiaddr, Ip4 siaddr, Ip4 giaddr, const Mac& chaddr, std::string_view sname_in,
                 std::string_view file_in) {
  w.u8(op);
  w.u8(1);  // Ethernet
  w.u8(6);
  w.u8(0);  // hops
  w.u32(xid);
  w.u16(secs);
  w.u16(flags);
  w.u32(ciaddr);
  w.u32(yiaddr);
  w.u32(siaddr);
  w.u32(giaddr);
  w.bytes(Bytes(chaddr.b.data(), chaddr.b.size()));
  w.zeros(16 - chaddr.b.size());
  const std::string_view sname = sname_in.substr(0, kSnameLen - 1);
  w.str(sname);
  w.zeros(kSnameLen - sname.size());
  const std::string_view file = file_in.substr(0, kFileLen - 1);
  w.str(file);
  w.zeros(kFileLen - file.size());
  w.u32(kDhcpMagic);
}

// A fixed-size name field up to its first NUL.
std::string_view field_str(Bytes f) {
  size_t n = 0;
  while (n < f.size() && f[n] != 0) ++n;
  return std::string_view(reinterpret_cast<const char*>(f.data()), n);
}

std::string_view as_str(Bytes b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

// Records one option of a BOOTREPLY in r (as take_option does for requests: invalid lengths
// are ignored, the first valid instance wins).
void take_reply_option(DhcpReply& r, uint8_t code, Bytes v, uint8_t& overload) {
  auto ip = [&](std::optional<Ip4>& o) {
    if (v.size() == 4 && !o) o = load32(v.data());
  };
  auto view = [&](Bytes& o) {
    if (o.empty()) o = v;
  };
  switch (code) {
    case opt::kMessageType:
      if (v.size() == 1 && r.type == 0) r.type = v[0];
      break;
    case opt::kOverload:
      if (v.size() == 1 && v[0] >= 1 && v[0] <= 3 && overload == 0) overload = v[0];
      break;
    case opt::kServerId:
      ip(r.server_id);
      break;
    case opt::kSubnetMask:
      ip(r.subnet_mask);
      break;
    case opt::kRouter:
      if (v.size() >= 4 && v.size() % 4 == 0 && !r.router) r.router = load32(v.data());
      break;
    case opt::kDns:
      if (v.size() >= 4 && v.size() % 4 == 0 && r.dns.empty()) r.dns = v;
      break;
    case opt::kLeaseTime:
      if (v.size() == 4 && !r.lease_time) r.lease_time = load32(v.data());
      break;
    case opt::kVendorSpecific:
      view(r.vendor_specific);
      break;
    case opt::kVendorClass:
      view(r.vendor_class);
      break;
    case opt::kTftpServer:
      view(r.tftp_server);
      break;
    case opt::kBootfile:
      view(r.bootfile);
      break;
    case opt::kMessage:
      view(r.message);
      break;
    case opt::kPxelinuxMagic:
      if (v.size() == 4 && load32(v.data()) == 0xf100747e) r.pxelinux_magic = true;
      break;
    case opt::kPxelinuxConfigFile:
      view(r.pxelinux_config);
      break;
    case opt::kPxelinuxPathPrefix:
      view(r.pxelinux_path_prefix);
      break;
    case opt::kPxelinuxRebootTime:
      if (v.size() == 4 && !r.pxelinux_reboot_s) r.pxelinux_reboot_s = load32(v.data());
      break;
    default:
      break;
  }
}

}  // namespace

const char* dhcp_type_name(uint8_t t) {
  switch (t) {
    case kDiscover:
      return "DHCPDISCOVER";
    case kOffer:
      return "DHCPOFFER";
    case kRequest:
      return "DHCPREQUEST";
    case kDecline:
      return "DHCPDECLINE";
    case kAck:
      return "DHCPACK";
    case kNak:
      return "DHCPNAK";
    case kRelease:
      return "DHCPRELEASE";
    case kInform:
      return "DHCPINFORM";
    default:
      return "DHCP?";
  }
}

bool DhcpMessage::is_pxe() const {
  return starts_with(vendor_class, "PXEClient");
}

bool DhcpMessage::is_http_client() const {
  return starts_with(vendor_class, "HTTPClient");
}

bool DhcpMessage::is_ipxe() const {
  if (ipxe_encap) return true;
  if (user_class.size() == 4 && starts_with(user_class, "iPXE")) return true;
  return user_class.size() == 5 && user_class[0] == 4 && starts_with(user_class.subspan(1), "iPXE");
}

Result<DhcpMessage> parse_dhcp(Bytes p) {
  if (p.size() < kBootpFixedLen) return Drop::dhcp_short;
  DhcpMessage m;
  m.op = p[0];
  m.htype = p[1];
  m.hlen = p[2];
  m.hops = p[3];
  if (m.op != 1) return Drop::dhcp_not_request;
  if (m.htype != 1 || m.hlen != 6) return Drop::dhcp_hw_type;
  if (p.size() < kDhcpMinLen) return Drop::dhcp_short;
  if (load32(p.data() + kBootpFixedLen) != kDhcpMagic) return Drop::dhcp_magic;
  m.xid = load32(p.data() + 4);
  m.secs = load16(p.data() + 8);
  m.flags = load16(p.data() + 10);
  m.ciaddr = load32(p.data() + 12);
  m.yiaddr = load32(p.data() + 16);
  m.siaddr = load32(p.data() + 20);
  m.giaddr = load32(p.data() + 24);
  std::memcpy(m.chaddr.b.data(), p.data() + 28, 6);

  uint8_t overload = 0;
  if (!walk_options(m, p.subspan(kDhcpMinLen), overload, true, take_option))
    return Drop::dhcp_option_overrun;
  // RFC 2131 §4.1 / RFC 3396: 'file' is read before 'sname'.
  if ((overload & 1) &&
      !walk_options(m, p.subspan(kFileOff, kFileLen), overload, false, take_option))
    return Drop::dhcp_option_overrun;
  if ((overload & 2) &&
      !walk_options(m, p.subspan(kSnameOff, kSnameLen), overload, false, take_option))
    return Drop::dhcp_option_overrun;
  if (m.type == 0) return Drop::dhcp_no_type;
  return m;
}

DhcpWriter::DhcpWriter(MutBytes out, const DhcpReplyHeader& h) : w_(out) {
  write_fixed(w_, 2, h.xid, 0, h.flags, h.ciaddr, h.yiaddr, h.siaddr, h.giaddr, h.chaddr, h.sname,
              h.file);  // BOOTREPLY
}

DhcpWriter::DhcpWriter(MutBytes out, const DhcpRequestHeader& h) : w_(out) {
  write_fixed(w_, 1, h.xid, h.secs, h.flags, h.ciaddr, 0, 0, 0, h.chaddr, {}, {});  // BOOTREQUEST
}

void DhcpWriter::add(uint8_t code, Bytes value) {
  // RFC 3396: a value longer than 255 bytes goes out as consecutive instances of the option.
  do {
    const size_t n = value.size() < 255 ? value.size() : 255;
    w_.u8(code);
    w_.u8(uint8_t(n));
    w_.bytes(value.first(n));
    value = value.subspan(n);
  } while (!value.empty());
}

void DhcpWriter::add_str(uint8_t code, std::string_view v) {
  add(code, Bytes(reinterpret_cast<const uint8_t*>(v.data()), v.size()));
}

void DhcpWriter::add_u8(uint8_t code, uint8_t v) {
  add(code, Bytes(&v, 1));
}

void DhcpWriter::add_u32(uint8_t code, uint32_t v) {
  uint8_t b[4];
  store32(b, v);
  add(code, Bytes(b, 4));
}

void DhcpWriter::add_u16(uint8_t code, uint16_t v) {
  uint8_t b[2];
  store16(b, v);
  add(code, Bytes(b, 2));
}

size_t DhcpWriter::finish() {
  w_.u8(opt::kEnd);
  if (w_.size() < kBootpMinReply) w_.zeros(kBootpMinReply - w_.size());
  return w_.ok() ? w_.size() : 0;
}

std::string_view DhcpReply::boot_file() const {
  return bootfile.empty() ? file : as_str(bootfile);
}

std::string_view DhcpReply::server_name() const {
  return tftp_server.empty() ? sname : as_str(tftp_server);
}

Result<DhcpReply> parse_dhcp_reply(Bytes p) {
  if (p.size() < kBootpFixedLen) return Drop::dhcp_short;
  DhcpReply r;
  r.op = p[0];
  r.htype = p[1];
  r.hlen = p[2];
  r.hops = p[3];
  if (r.op != 2) return Drop::dhcp_not_request;  // not a BOOTREPLY
  if (r.htype != 1 || r.hlen != 6) return Drop::dhcp_hw_type;
  if (p.size() < kDhcpMinLen) return Drop::dhcp_short;
  if (load32(p.data() + kBootpFixedLen) != kDhcpMagic) return Drop::dhcp_magic;
  r.xid = load32(p.data() + 4);
  r.secs = load16(p.data() + 8);
  r.flags = load16(p.data() + 10);
  r.ciaddr = load32(p.data() + 12);
  r.yiaddr = load32(p.data() + 16);
  r.siaddr = load32(p.data() + 20);
  r.giaddr = load32(p.data() + 24);
  std::memcpy(r.chaddr.b.data(), p.data() + 28, 6);

  uint8_t overload = 0;
  if (!walk_options(r, p.subspan(kDhcpMinLen), overload, true, take_reply_option))
    return Drop::dhcp_option_overrun;
  const Bytes file = p.subspan(kFileOff, kFileLen), sname = p.subspan(kSnameOff, kSnameLen);
  // RFC 2131 §4.1 / RFC 3396: 'file' is read before 'sname'.
  if ((overload & 1) && !walk_options(r, file, overload, false, take_reply_option))
    return Drop::dhcp_option_overrun;
  if ((overload & 2) && !walk_options(r, sname, overload, false, take_reply_option))
    return Drop::dhcp_option_overrun;
  r.overload = overload;
  if (!(overload & 1)) r.file = field_str(file);
  if (!(overload & 2)) r.sname = field_str(sname);
  if (r.type == 0) return Drop::dhcp_no_type;
  return r;
}

}  // namespace bs::proto
