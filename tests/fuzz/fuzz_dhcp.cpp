// libFuzzer harness for the DHCP codec: the request parser, then the reply writer over whatever
// parsed (every reply type, with the options a request can make it echo: 82, 97, 175, 57), into
// a buffer of the size the request's option 57 allows, read back by both parsers; and the reply
// parser (the bench's clients) over the input as it is and with its op turned into BOOTREPLY,
// its views checked to lie inside the input. Built and run by run.sh (clang only).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "dataplane/dhcp/reply.hpp"
#include "dataplane/proto/dhcp.hpp"

using namespace bs;

namespace {

snap::Snapshot make_snapshot() {
  snap::Snapshot s;
  s.server_ip = 0x0a4d0001;
  snap::Pool p;
  p.subnet = 0x0a4d0000;
  p.prefix = 24;
  p.first = 0x0a4d0064;
  p.last = 0x0a4d00c8;
  p.router = 0x0a4d0001;
  p.dns = {0x0a4d0001, 0x08080808};
  p.domain = "lab.example";
  s.pools.push_back(p);
  s.boot.files[snap::BootArch::bios] = "pxelinux.0";
  s.boot.files[snap::BootArch::uefi_x64] = "syslinux.efi";
  return s;
}

bool inside(const uint8_t* p, size_t n, const uint8_t* data, size_t size) {
  return n == 0 || (p >= data && p + n <= data + size);
}
bool inside(proto::Bytes b, const uint8_t* data, size_t size) {
  return inside(b.data(), b.size(), data, size);
}
bool inside(std::string_view s, const uint8_t* data, size_t size) {
  return inside(reinterpret_cast<const uint8_t*>(s.data()), s.size(), data, size);
}

// The reply parser over one buffer: whatever it returns views that buffer only.
void check_reply(const uint8_t* data, size_t size) {
  auto r = proto::parse_dhcp_reply(proto::Bytes(data, size));
  if (!r) return;
  if (r->op != 2 || r->type == 0 || r->overload > 3) __builtin_trap();
  for (proto::Bytes b : {r->dns, r->vendor_specific, r->vendor_class, r->tftp_server, r->bootfile,
                         r->message, r->pxelinux_config, r->pxelinux_path_prefix})
    if (!inside(b, data, size)) __builtin_trap();
  if (r->dns.size() % 4) __builtin_trap();
  for (std::string_view s : {r->sname, r->file, r->boot_file(), r->server_name()})
    if (!inside(s, data, size)) __builtin_trap();
  // The fixed fields stop at their first NUL.
  if (r->sname.find('\0') != std::string_view::npos || r->file.find('\0') != std::string_view::npos)
    __builtin_trap();
  if (r->sname.size() > 64 || r->file.size() > 128) __builtin_trap();
  if ((r->overload & 1) && !r->file.empty()) __builtin_trap();
  if ((r->overload & 2) && !r->sname.empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const snap::Snapshot snap = make_snapshot();
  check_reply(data, size);
  if (size > 0) {
    // The same bytes as a BOOTREPLY (most inputs the corpus grows are requests).
    std::vector<uint8_t> flipped(data, data + size);
    flipped[0] = 2;
    check_reply(flipped.data(), flipped.size());
  }
  auto m = proto::parse_dhcp(proto::Bytes(data, size));
  if (!m) return 0;
  (void)m->is_pxe();
  (void)m->is_ipxe();
  (void)m->is_http_client();
  std::vector<uint8_t> out(1500);
  for (uint8_t type : {proto::kOffer, proto::kAck, proto::kNak}) {
    dhcp::Reply r;
    r.type = type;
    r.yiaddr = 0x0a4d0065;
    r.lease_s = type == proto::kNak ? 0 : 3600;
    r.pool = &snap.pools[0];
    const dhcp::BootChoice boot = dhcp::choose_boot(snap, nullptr, *m);
    r.boot_file = boot.file;
    r.http_boot = boot.http;
    r.server_text = "10.77.0.1";
    r.message = "fuzz";
    size_t n = dhcp::write_reply(snap, *m, r, proto::MutBytes(out.data(), out.size()));
    if (n > out.size()) __builtin_trap();
    if (n > 0) {
      // What we wrote is well formed: the reply parser reads it with the type and addresses we
      // wrote; read back as a request (op flipped), it parses too.
      auto rep = proto::parse_dhcp_reply(proto::Bytes(out.data(), n));
      if (!rep || rep->type != type || rep->xid != m->xid || !(rep->chaddr == m->chaddr) ||
          (type != proto::kNak && rep->yiaddr != r.yiaddr))
        __builtin_trap();
      check_reply(out.data(), n);
      out[0] = 1;
      auto back = proto::parse_dhcp(proto::Bytes(out.data(), n));
      if (!back || back->type != type) __builtin_trap();
    }
    (void)dhcp::reply_target(*m, type, m->ciaddr, r.yiaddr);
  }
  // The request writer, echoing what the request carried: what it writes parses as a request
  // with the same fields.
  proto::DhcpRequestHeader h;
  h.xid = m->xid;
  h.secs = m->secs;
  h.flags = m->flags;
  h.ciaddr = m->ciaddr;
  h.chaddr = m->chaddr;
  proto::DhcpWriter w(proto::MutBytes(out.data(), out.size()), h);
  w.add_u8(proto::opt::kMessageType, m->type);
  if (m->max_msg_size) w.add_u16(proto::opt::kMaxMsgSize, m->max_msg_size);
  w.add(proto::opt::kParamList, m->param_list);
  w.add(proto::opt::kClientUuid, m->uuid);
  w.add(proto::opt::kVendorClass, m->vendor_class);
  const size_t n = w.finish();
  if (n > out.size()) __builtin_trap();
  if (n > 0) {
    auto back = proto::parse_dhcp(proto::Bytes(out.data(), n));
    if (!back || back->type != m->type || back->xid != m->xid || back->secs != m->secs ||
        back->flags != m->flags || back->ciaddr != m->ciaddr || !(back->chaddr == m->chaddr) ||
        back->max_msg_size != m->max_msg_size ||
        back->vendor_class.size() != m->vendor_class.size() ||
        (!m->vendor_class.empty() &&
         std::memcmp(back->vendor_class.data(), m->vendor_class.data(), m->vendor_class.size())))
      __builtin_trap();
  }
  return 0;
}
