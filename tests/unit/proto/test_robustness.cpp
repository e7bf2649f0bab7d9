// Robustness: a deterministic PRNG feeds ~200k random and mutated buffers to every parser.
// Run under ASan+UBSan (meson -Db_sanitize=address,undefined) this catches any overread.
#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "dataplane/proto/arp.hpp"
#include "dataplane/proto/dhcp.hpp"
#include "dataplane/proto/tftp.hpp"
#include "dataplane/proto/tftp_path.hpp"
#include "frame_builder.hpp"
#include "pcap_frames.hpp"

namespace bs::proto {
namespace {

// splitmix64: small, deterministic, good enough to explore byte patterns.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n ? size_t(next() % n) : 0; }

 private:
  uint64_t s_;
};

bool inside(Bytes inner, const std::vector<uint8_t>& outer) {
  if (inner.empty()) return true;
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

// Runs every parser on buf and checks the invariants of whatever parsed.
void feed(const std::vector<uint8_t>& buf, Rng& rng) {
  const Bytes b(buf.data(), buf.size());
  (void)parse_eth(b);
  (void)parse_arp(b);
  if (auto ip = parse_ipv4(b)) {
    ASSERT_LE(ip->total_len, buf.size());
    ASSERT_GE(ip->header_len, 20);
  }
  if (auto u = parse_udp(b, uint32_t(rng.next()), uint32_t(rng.next()))) {
    ASSERT_LE(u->len, buf.size());
  }
  if (auto f = parse_udp_frame(b)) {
    ASSERT_TRUE(inside(f->payload, buf));
    ASSERT_EQ(f->payload.size() + 8, f->udp.len);
  }
  if (auto m = parse_dhcp(b)) {
    ASSERT_NE(m->type, 0);
    for (Bytes s : {m->vendor_class, m->user_class, m->client_id, m->uuid, m->param_list,
                    m->hostname, m->relay_agent})
      ASSERT_TRUE(inside(s, buf));
  }
  if (auto t = parse_tftp(b)) {
    ASSERT_TRUE(inside(t->data, buf));
    if (t->op == TftpOp::rrq || t->op == TftpOp::wrq) {
      ASSERT_LE(t->filename.size() + t->mode.size() + 4, buf.size());
      TftpPath p;
      if (sanitize_tftp_path(t->filename, p) == PathError::none) {
        const std::string_view v = p.view();
        ASSERT_FALSE(v.empty());
        ASSERT_LE(v.size(), kMaxTftpPath);
        ASSERT_NE(v.front(), '/');
        ASSERT_EQ(v.find('\\'), std::string_view::npos);
        ASSERT_EQ(v.find("//"), std::string_view::npos);
        ASSERT_NE(v.substr(0, 3), "../");
        ASSERT_EQ(v.find("/../"), std::string_view::npos);
        ASSERT_NE(v, "..");
        for (char c : v) ASSERT_GE(static_cast<unsigned char>(c), 0x20);
      }
    }
  }
  TftpPath p;
  (void)sanitize_tftp_path(std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()),
                           p);
}

// Seeds: real frames, their payloads, and hand-made packets of each kind.
std::vector<std::vector<uint8_t>> seeds() {
  std::vector<std::vector<uint8_t>> s;
  for (const char* name : {"ipxe-discover.pcap", "dhclient-discover.pcap", "tftp-hpa-rrq.pcap",
                           "tftpd-hpa-oack.pcap"}) {
    for (const auto& f : test::read_pcap(name)) {
      s.push_back(f);
      if (auto u = parse_udp_frame(Bytes(f.data(), f.size())))
        s.emplace_back(u->payload.begin(), u->payload.end());
    }
  }
  uint8_t buf[512];
  TftpOptions o;
  o.blksize = 1408;
  o.tsize = true;
  o.windowsize = 4;
  size_t n = write_tftp_request(MutBytes(buf, sizeof buf), TftpOp::rrq,
                                "/../pxelinux.cfg\\01-52-54-00-12-34-56", "octet", o);
  s.emplace_back(buf, buf + n);
  n = write_tftp_oack(MutBytes(buf, sizeof buf),
                      TftpOack{1432, 12345, 3, 8, TftpMulticast{0xefff4d01, 1760, true}});
  s.emplace_back(buf, buf + n);
  Arp a;
  a.op = kArpReply;
  n = write_arp(MutBytes(buf, sizeof buf), a);
  s.emplace_back(buf, buf + n);
  return s;
}

void mutate(std::vector<uint8_t>& v, Rng& rng) {
  const size_t edits = 1 + rng.below(8);
  for (size_t e = 0; e < edits; ++e) {
    switch (rng.below(6)) {
      case 0:  // flip a bit
        if (!v.empty()) v[rng.below(v.size())] ^= uint8_t(1u << rng.below(8));
        break;
      case 1:  // interesting byte values
        if (!v.empty()) {
          static constexpr uint8_t kVals[] = {0, 1, 0x7f, 0x80, 0xff, '.', '/', '\\', 52, 53};
          v[rng.below(v.size())] = kVals[rng.below(sizeof kVals)];
        }
        break;
      case 2:  // truncate
        v.resize(rng.below(v.size() + 1));
        break;
      case 3:  // insert random bytes
        v.insert(v.begin() + long(rng.below(v.size() + 1)), 1 + rng.below(4), uint8_t(rng.next()));
        break;
      case 4:  // erase a range
        if (!v.empty()) {
          const size_t at = rng.below(v.size());
          v.erase(v.begin() + long(at), v.begin() + long(at + rng.below(v.size() - at + 1)));
        }
        break;
      default:  // overwrite a 16-bit length-like field with a random value
        if (v.size() >= 2) store16(&v[rng.below(v.size() - 1)], uint16_t(rng.next()));
        break;
    }
  }
}

TEST(Robustness, RandomBuffers) {
  Rng rng(0x5eedULL);
  std::vector<uint8_t> buf;
  for (int i = 0; i < 60000; ++i) {
    buf.resize(rng.below(700));
    for (auto& x : buf) x = uint8_t(rng.next());
    // Give some of them plausible heads so the parsers get past their first checks.
    if (buf.size() >= 2 && i % 3 == 0) store16(buf.data(), uint16_t(1 + rng.below(6)));
    if (buf.size() >= 240 && i % 3 == 1) {
      buf[0] = 1, buf[1] = 1, buf[2] = 6;
      store32(&buf[236], kDhcpMagic);
    }
    feed(buf, rng);
    if (HasFatalFailure()) return;
  }
}

TEST(Robustness, MutatedPackets) {
  const auto base = seeds();
  ASSERT_GT(base.size(), 40u);
  Rng rng(0xb007ULL);
  for (int i = 0; i < 140000; ++i) {
    std::vector<uint8_t> v = base[rng.below(base.size())];
    mutate(v, rng);
    v.shrink_to_fit();  // exact-size allocation: ASan flags any read past the end
    feed(v, rng);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace bs::proto
