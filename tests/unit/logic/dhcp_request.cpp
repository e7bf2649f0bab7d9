#include "dhcp_request.hpp"

namespace bs::test {

using namespace proto;

namespace {

void put32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
  store32(v.data() + at, x);
}

void option(std::vector<uint8_t>& v, uint8_t code, const std::vector<uint8_t>& val) {
  v.push_back(code);
  v.push_back(uint8_t(val.size()));
  v.insert(v.end(), val.begin(), val.end());
}

std::vector<uint8_t> be32(uint32_t x) {
  return {uint8_t(x >> 24), uint8_t(x >> 16), uint8_t(x >> 8), uint8_t(x)};
}

}  // namespace

std::vector<uint8_t> build_request(const Req& r) {
  std::vector<uint8_t> v(kDhcpMinLen, 0);
  v[0] = 1;  // BOOTREQUEST
  v[1] = 1;
  v[2] = 6;
  put32(v, 4, r.xid);
  store16(v.data() + 10, r.flags);
  put32(v, 12, r.ciaddr);
  put32(v, 24, r.giaddr);
  for (int i = 0; i < 6; ++i) v[28 + i] = r.mac.b[i];
  put32(v, 236, kDhcpMagic);
  option(v, opt::kMessageType, {r.type});
  if (r.requested) option(v, opt::kRequestedIp, be32(*r.requested));
  if (r.server_id) option(v, opt::kServerId, be32(*r.server_id));
  if (r.arch) option(v, opt::kClientArch, {uint8_t(*r.arch >> 8), uint8_t(*r.arch)});
  if (!r.vendor_class.empty())
    option(v, opt::kVendorClass,
           std::vector<uint8_t>(r.vendor_class.begin(), r.vendor_class.end()));
  if (!r.user_class.empty())
    option(v, opt::kUserClass, std::vector<uint8_t>(r.user_class.begin(), r.user_class.end()));
  if (r.max_size) option(v, opt::kMaxMsgSize, {uint8_t(r.max_size >> 8), uint8_t(r.max_size)});
  if (!r.uuid.empty()) option(v, opt::kClientUuid, r.uuid);
  option(v, opt::kParamList, {1, 3, 6, 12, 15, 43, 60, 66, 67});
  if (r.ipxe_encap) option(v, opt::kIpxeEncap, {0x13, 1, 1});  // one sub-option (HTTP: 1)
  if (!r.relay_agent.empty()) option(v, opt::kRelayAgent, r.relay_agent);
  v.push_back(opt::kEnd);
  while (v.size() < 300) v.push_back(0);
  return v;
}

ParsedReply parse_reply(const uint8_t* p, size_t n) {
  ParsedReply r;
  if (n < kDhcpMinLen || load32(p + 236) != kDhcpMagic) return r;
  r.op = p[0];
  r.xid = load32(p + 4);
  r.flags = load16(p + 10);
  r.ciaddr = load32(p + 12);
  r.yiaddr = load32(p + 16);
  r.siaddr = load32(p + 20);
  r.giaddr = load32(p + 24);
  for (int i = 0; i < 6; ++i) r.chaddr.b[i] = p[28 + i];
  for (size_t i = 108; i < 236 && p[i]; ++i) r.file.push_back(char(p[i]));
  size_t i = kDhcpMinLen;
  while (i < n) {
    uint8_t code = p[i++];
    if (code == opt::kPad) continue;
    if (code == opt::kEnd) {
      r.ok = true;
      break;
    }
    if (i >= n || i + 1 + p[i] > n) return r;
    uint8_t len = p[i++];
    r.order.push_back(code);
    auto& val = r.opts[code];  // RFC 3396: repeated options concatenate
    val.insert(val.end(), p + i, p + i + len);
    i += len;
  }
  return r;
}

uint32_t ParsedReply::u32(uint8_t code) const {
  auto it = opts.find(code);
  return it == opts.end() || it->second.size() < 4 ? 0 : load32(it->second.data());
}

std::string ParsedReply::str(uint8_t code) const {
  auto it = opts.find(code);
  return it == opts.end() ? std::string() : std::string(it->second.begin(), it->second.end());
}

Mac mac(uint8_t last, uint8_t b4) {
  return Mac{{0x52, 0x54, 0x00, 0x00, b4, last}};
}

}  // namespace bs::test
