// libFuzzer harness for the DHCP codec: the parser, then the reply writer over whatever parsed
// (every reply type, with the options a request can make it echo: 82, 97, 175, 57), into a
// buffer of the size the request's option 57 allows. Built and run by run.sh (clang only).
#include <cstddef>
#include <cstdint>
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const snap::Snapshot snap = make_snapshot();
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
      // What we wrote is well formed: read back as a request (op flipped), it parses, with the
      // message type we wrote.
      out[0] = 1;
      auto back = proto::parse_dhcp(proto::Bytes(out.data(), n));
      if (!back || back->type != type) __builtin_trap();
    }
    (void)dhcp::reply_target(*m, type, m->ciaddr, r.yiaddr);
  }
  return 0;
}
