// libFuzzer harness over every codec parser (clang only; tests/fuzz/run.sh builds and runs it).
//   BS_FUZZ_SECONDS=60 tests/fuzz/run.sh build .   (artifacts: build/meson-logs/fuzz/)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "dataplane/proto/arp.hpp"
#include "dataplane/proto/dhcp.hpp"
#include "dataplane/proto/netascii.hpp"
#include "dataplane/proto/tftp.hpp"
#include "dataplane/proto/tftp_path.hpp"
#include "dataplane/proto/udp.hpp"

using namespace bs::proto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Bytes b(data, size);
  (void)parse_eth(b);
  (void)parse_arp(b);
  (void)parse_ipv4(b);
  (void)parse_udp(b, 0x0a4d0001, 0x0a4d000b);
  if (auto f = parse_udp_frame(b)) {
    (void)parse_dhcp(f->payload);
    (void)parse_tftp(f->payload);
  }
  (void)parse_dhcp(b);
  if (auto t = parse_tftp(b)) {
    TftpPath p;
    (void)sanitize_tftp_path(t->filename, p);
    // RFC 2090: an OACK's multicast value parses, or is refused; what parses writes back the same.
    if (t->options.multicast)
      if (auto m = parse_tftp_multicast(*t->options.multicast)) {
        TftpOack o;
        o.multicast = *m;
        uint8_t buf[64];
        const size_t n = write_tftp_oack(MutBytes(buf, sizeof buf), o);
        auto back = parse_tftp(Bytes(buf, n));
        if (!back || !back->options.multicast) abort();
        auto again = parse_tftp_multicast(*back->options.multicast);
        if (!again || again->addr != m->addr || again->port != m->port ||
            again->master != m->master)
          abort();
      }
  }
  (void)parse_tftp_multicast(std::string_view(reinterpret_cast<const char*>(data), size));
  TftpPath p;
  (void)sanitize_tftp_path(std::string_view(reinterpret_cast<const char*>(data), size), p);
  // netascii: the size computed ahead is exactly what is written, and no byte is lost.
  std::vector<uint8_t> out(netascii_size(b));
  if (netascii_encode(b, MutBytes(out.data(), out.size())) != out.size() && size > 0) abort();
  if (size > 0 && netascii_encode(b, MutBytes(out.data(), out.size() - 1)) != 0) abort();
  return 0;
}
