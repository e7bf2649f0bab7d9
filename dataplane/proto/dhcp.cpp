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

// Walks one option area. Returns false when an option's length runs past the area.
// Option 52 is honoured only in the options field itself (allow_overload).
bool walk_options(DhcpMessage& m, Bytes area, uint8_t& overload, bool allow_overload) {
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
    take_option(m, code, area.subspan(i + 2, len), allow_overload ? overload : ignored);
    i += 2 + len;
  }
  return true;  // no END: tolerated, the area simply ends
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
  if (!walk_options(m, p.subspan(kDhcpMinLen), overload, true)) return Drop::dhcp_option_overrun;
  // RFC 2131 §4.1 / RFC 3396: 'file' is read before 'sname'.
  if ((overload & 1) && !walk_options(m, p.subspan(kFileOff, kFileLen), overload, false))
    return Drop::dhcp_option_overrun;
  if ((overload & 2) && !walk_options(m, p.subspan(kSnameOff, kSnameLen), overload, false))
    return Drop::dhcp_option_overrun;
  if (m.type == 0) return Drop::dhcp_no_type;
  return m;
}

DhcpWriter::DhcpWriter(MutBytes out, const DhcpReplyHeader& h) : w_(out) {
  w_.u8(2);  // BOOTREPLY
  w_.u8(1);  // Ethernet
  w_.u8(6);
  w_.u8(0);  // hops
  w_.u32(h.xid);
  w_.u16(0);  // secs
  w_.u16(h.flags);
  w_.u32(h.ciaddr);
  w_.u32(h.yiaddr);
  w_.u32(h.siaddr);
  w_.u32(h.giaddr);
  w_.bytes(Bytes(h.chaddr.b.data(), h.chaddr.b.size()));
  w_.zeros(16 - h.chaddr.b.size());
  const std::string_view sname = h.sname.substr(0, kSnameLen - 1);
  w_.str(sname);
  w_.zeros(kSnameLen - sname.size());
  const std::string_view file = h.file.substr(0, kFileLen - 1);
  w_.str(file);
  w_.zeros(kFileLen - file.size());
  w_.u32(kDhcpMagic);
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

size_t DhcpWriter::finish() {
  w_.u8(opt::kEnd);
  if (w_.size() < kBootpMinReply) w_.zeros(kBootpMinReply - w_.size());
  return w_.ok() ? w_.size() : 0;
}

}  // namespace bs::proto
