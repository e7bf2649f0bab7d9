// AfPacketPort over veth pairs in a network namespace of its own (unshare(CLONE_NEWNET) in the
// test process, as root; skipped otherwise). The peer is a plain AF_PACKET socket (what the
// kernel sees) or a second AfPacketPort. The rates for the record come from the disabled
// tests (--gtest_also_run_disabled_tests --gtest_filter='*Rate*').
#include "bench/afpacket_port.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include "dataplane/proto/ipv4.hpp"

namespace bs::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint16_t kEtherType = 0x88b5;  // IEEE local experimental: only our test frames

bool sh(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

void write_file(const char* path, const char* v) {
  std::ofstream(path) << v;
}

// The namespace and its veth pairs, made once; "" or why the tests cannot run.
const std::string& lab() {
  static const std::string why = []() -> std::string {
    if (geteuid() != 0) return "needs root (a network namespace, veth pairs, AF_PACKET)";
    if (unshare(CLONE_NEWNET) != 0)
      return std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
    // No IPv6 chatter (router solicitations, MLD) on the veths.
    write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
    write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
    if (!sh("ip link set lo up")) return "ip link set lo up failed (is iproute2 installed?)";
    for (const char* p : {"h2a h2b", "h2c h2d", "h2e h2f", "h2g h2h"}) {
      std::string a(p, 3), b(p + 4, 3);
      if (!sh("ip link add " + a + " type veth peer name " + b) ||
          !sh("ip link set " + a + " up") || !sh("ip link set " + b + " up"))
        return "cannot create veth " + a + "/" + b;
    }
    return "";
  }();
  return why;
}

#define NEED_LAB()                             \
  do {                                         \
    if (!lab().empty()) GTEST_SKIP() << lab(); \
  } while (0)

const proto::Mac kMacX{{0x02, 0x68, 0x32, 0, 0, 0x01}};  // neither port's own
const proto::Mac kMacY{{0x02, 0x68, 0x32, 0, 0, 0x02}};

// dst, src, kEtherType, then seq (4 bytes) and a pattern from seq; len >= 18.
size_t make_frame(uint8_t* p, size_t len, const proto::Mac& dst, const proto::Mac& src,
                  uint32_t seq) {
  std::memcpy(p, dst.b.data(), 6);
  std::memcpy(p + 6, src.b.data(), 6);
  proto::store16(p + 12, kEtherType);
  proto::store32(p + 14, seq);
  for (size_t i = 18; i < len; ++i) p[i] = uint8_t(seq * 7 + i);
  return len;
}
// The seq of a test frame with intact contents, or -1 (another frame, or corrupt: counted).
int64_t check_frame(proto::Bytes f, size_t* corrupt = nullptr) {
  if (f.size() < 18 || proto::load16(&f[12]) != kEtherType) return -1;
  const uint32_t seq = proto::load32(&f[14]);
  for (size_t i = 18; i < f.size(); ++i)
    if (f[i] != uint8_t(seq * 7 + i)) {
      if (corrupt) ++*corrupt;
      return -1;
    }
  return seq;
}
size_t len_for(uint32_t seq) {
  return 60 + (seq * 37) % (kMaxFrame - 60 + 1);
}

// A plain AF_PACKET socket on an interface: what the kernel sees and sends.
struct RawSocket {
  int fd = -1;
  int ifindex = 0;
  explicit RawSocket(const char* ifname) {
    fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    ifindex = int(if_nametoindex(ifname));
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex;
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll), 0);
    int v = 1 << 24;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v);
  }
  ~RawSocket() { ::close(fd); }
  bool send(proto::Bytes f) { return ::send(fd, f.data(), f.size(), 0) == ssize_t(f.size()); }
  // Incoming test frames (by seq, in order of arrival) until n came or the timeout.
  std::vector<int64_t> recv(size_t n, double timeout_s, size_t* corrupt) {
    std::vector<int64_t> seqs;
    std::vector<uint8_t> buf(65536);
    const auto until = Clock::now() + std::chrono::duration<double>(timeout_s);
    while (seqs.size() < n && Clock::now() < until) {
      sockaddr_ll from{};
      socklen_t fl = sizeof from;
      ssize_t r = recvfrom(fd, buf.data(), buf.size(), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&from), &fl);
      if (r < 0) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        continue;
      }
      if (from.sll_pkttype == PACKET_OUTGOING) continue;
      int64_t s = check_frame(proto::Bytes(buf.data(), size_t(r)), corrupt);
      if (s >= 0) seqs.push_back(s);
    }
    return seqs;
  }
};

// Test frames a port receives until n came or the timeout (the RX ring hands over a block when
// it is full or after retire_ms).
std::vector<int64_t> drain(Port& p, size_t n, double timeout_s, size_t* corrupt,
                           size_t* others = nullptr) {
  std::vector<int64_t> seqs;
  proto::MutBytes f[64];
  const auto until = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (seqs.size() < n && Clock::now() < until) {
    size_t k = p.rx(f, 64);
    for (size_t i = 0; i < k; ++i) {
      int64_t s = check_frame(f[i], corrupt);
      if (s >= 0)
        seqs.push_back(s);
      else if (others)
        ++*others;
    }
    if (k == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return seqs;
}

std::vector<int64_t> iota(int64_t from, int64_t n) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(from + i);
  return v;
}

// The interface's promiscuity count (SIOCGIFFLAGS shows only what was set by hand).
int promiscuity(const char* ifname) {
  FILE* f = popen(("ip -d link show " + std::string(ifname) + " 2>/dev/null").c_str(), "r");
  std::string out;
  for (char buf[512]; f && fgets(buf, sizeof buf, f);) out += buf;
  if (f) pclose(f);
  auto at = out.find("promiscuity ");
  return at == std::string::npos ? -1 : std::atoi(out.c_str() + at + 12);
}

short if_flags(const char* ifname) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ifreq r{};
  std::strncpy(r.ifr_name, ifname, IFNAMSIZ - 1);
  ioctl(fd, SIOCGIFFLAGS, &r);
  close(fd);
  return r.ifr_flags;
}

std::unique_ptr<AfPacketPort> open_or_fail(const char* ifname, AfPacketOptions o) {
  std::string error;
  auto p = AfPacketPort::open(ifname, o, &error);
  EXPECT_TRUE(p) << error;
  return p;
}

// Each test with both ring versions.
class AfPacketPortTest : public ::testing::TestWithParam<unsigned> {
 protected:
  AfPacketOptions opts() const {
    AfPacketOptions o;
    o.version = GetParam();
    return o;
  }
};
INSTANTIATE_TEST_SUITE_P(Rings, AfPacketPortTest, ::testing::Values(3u, 2u),
                         [](const auto& info) { return "V" + std::to_string(info.param); });

TEST(AfPacketPort, ErrorsNameTheInterface) {
  NEED_LAB();
  std::string error;
  AfPacketOptions o;
  o.wait_s = 0.05;
  EXPECT_FALSE(AfPacketPort::open("h2-missing", o, &error));
  EXPECT_NE(error.find("h2-missing"), std::string::npos) << error;
  EXPECT_NE(error.find("no such interface"), std::string::npos) << error;

  ASSERT_TRUE(sh("ip link add h2x type veth peer name h2y"));
  EXPECT_FALSE(AfPacketPort::open("h2x", o, &error));
  EXPECT_NE(error.find("h2x: interface is down"), std::string::npos) << error;
  ASSERT_TRUE(sh("ip link set h2x up"));
  EXPECT_FALSE(AfPacketPort::open("h2x", o, &error));
  EXPECT_NE(error.find("h2x: no carrier"), std::string::npos) << error;
  ASSERT_TRUE(sh("ip link set h2y up"));
  EXPECT_TRUE(AfPacketPort::open("h2x", o, &error)) << error;
  sh("ip link del h2x");

  EXPECT_FALSE(AfPacketPort::open("lo", o, &error));
  EXPECT_NE(error.find("lo: not an Ethernet interface"), std::string::npos) << error;
  o.frames = 1;
  EXPECT_FALSE(AfPacketPort::open("h2a", o, &error));
  EXPECT_NE(error.find("h2a: ring frames"), std::string::npos) << error;
}

TEST_P(AfPacketPortTest, ReceivesFramesForOtherMacsPromiscuous) {
  NEED_LAB();
  EXPECT_EQ(promiscuity("h2a"), 0);
  {
    auto a = open_or_fail("h2a", opts());
    ASSERT_TRUE(a);
    EXPECT_EQ(promiscuity("h2a"), 1);
    ASSERT_FALSE(a->mac() == kMacX);
    RawSocket b("h2b");
    const uint64_t if_rx0 = a->counters()["interface_stats"]["rx_packets"].get<uint64_t>();
    constexpr uint32_t kN = 300;
    uint8_t buf[kMaxFrame];
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < kN; ++i) {
      size_t len = make_frame(buf, len_for(i), kMacX, kMacY, i);
      bytes += len;
      ASSERT_TRUE(b.send(proto::Bytes(buf, len)));
    }
    size_t corrupt = 0, others = 0;
    EXPECT_EQ(drain(*a, kN, 5, &corrupt, &others), iota(0, kN));
    EXPECT_EQ(corrupt, 0u);
    EXPECT_EQ(others, 0u);
    const AfPacketStats& s = a->stats();
    EXPECT_EQ(s.rx_frames, kN);
    EXPECT_EQ(s.rx_bytes, bytes);
    EXPECT_EQ(s.kernel_drops, 0u);
    if (GetParam() == 3) {
      EXPECT_GE(s.rx_blocks, 1u);
    }
    auto j = a->counters();
    EXPECT_EQ(j["rx_frames"], kN);
    EXPECT_EQ(j["interface"], "h2a");
    EXPECT_EQ(j["tx_ring"]["version"], GetParam() == 3 ? "TPACKET_V3" : "TPACKET_V2");
    EXPECT_EQ(j["interface_stats"]["rx_packets"].get<uint64_t>() - if_rx0, kN);
  }
  EXPECT_EQ(promiscuity("h2a"), 0);  // the membership ends with the socket
}

TEST_P(AfPacketPortTest, SendsFramesAndNeverSeesItsOwn) {
  NEED_LAB();
  auto a = open_or_fail("h2a", opts());
  ASSERT_TRUE(a);
  RawSocket b("h2b");
  constexpr uint32_t kN = 500;
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < kN; ++i) {
    proto::MutBytes f = a->frame();
    ASSERT_EQ(f.size(), kMaxFrame);
    size_t len = make_frame(f.data(), len_for(i), i % 2 ? kMacX : proto::kBroadcastMac, kMacY, i);
    bytes += len;
    a->send(len);
  }
  a->flush();
  EXPECT_EQ(a->queued(), 0u);
  size_t corrupt = 0;
  EXPECT_EQ(b.recv(kN, 5, &corrupt), iota(0, kN));
  EXPECT_EQ(corrupt, 0u);
  // Our own frames never come back, while the peer's do.
  size_t others = 0;
  EXPECT_TRUE(drain(*a, 1, 0.05, &corrupt, &others).empty());
  EXPECT_EQ(others, 0u);
  const AfPacketStats& s = a->stats();
  EXPECT_EQ(s.rx_frames, 0u);
  EXPECT_EQ(s.tx_frames, kN);
  EXPECT_EQ(s.tx_bytes, bytes);
  EXPECT_EQ(s.tx_ring_full, 0u);
  EXPECT_EQ(s.tx_flush_errors, 0u);
  EXPECT_EQ(s.tx_wrong_format, 0u);
}

// A burst far beyond the sender's ring (64 slots) and the receiver's (wrapped ten times), the
// receiver drained now and then: in order, intact, nothing dropped; frame() may run out of room
// only when the kernel has not taken the ring yet (counted as such).
TEST_P(AfPacketPortTest, BurstsLargerThanTheRings) {
  NEED_LAB();
  AfPacketOptions small = opts();
  small.frames = 64;
  small.block_kib = 4;
  AfPacketOptions rx = small;
  rx.frames = 2048;  // room for what the kernel may deliver late on a busy machine
  auto a = open_or_fail("h2c", small);
  auto b = open_or_fail("h2d", rx);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->tx_slots(), 64u);
  constexpr uint32_t kN = 20000;
  std::vector<int64_t> got;
  size_t corrupt = 0, no_room = 0;
  proto::MutBytes f[64];
  auto take = [&] {
    for (size_t k; (k = b->rx(f, 64)) > 0;)
      for (size_t i = 0; i < k; ++i) got.push_back(check_frame(f[i], &corrupt));
  };
  for (uint32_t i = 0; i < kN; ++i) {
    proto::MutBytes out = a->frame();
    if (out.empty()) {
      ++no_room;
      take();
      --i;
      continue;
    }
    a->send(make_frame(out.data(), len_for(i), kMacX, kMacY, i));
    if (i % 16 == 15) take();
  }
  a->flush();
  const auto until = Clock::now() + std::chrono::seconds(5);
  while (got.size() < kN && Clock::now() < until) take();
  EXPECT_EQ(got, iota(0, kN));
  EXPECT_EQ(corrupt, 0u);
  EXPECT_EQ(a->stats().tx_ring_full, no_room);
  EXPECT_EQ(a->stats().tx_frames, kN);
  EXPECT_EQ(b->stats().rx_frames, kN);
  EXPECT_EQ(b->stats().kernel_drops, 0u);
  EXPECT_EQ(a->queued(), 0u);
  std::printf(
      "  %u frames through a 64-slot TX ring: frame() had no room %zu times, %llu RX blocks\n", kN,
      no_room, (unsigned long long)b->stats().rx_blocks);
}

// While the interface is down the kernel takes nothing: the ring fills, frame() says so (and
// counts it), and what was queued goes out, complete and in order, once it is up again.
TEST_P(AfPacketPortTest, FullRingIsCountedAndNothingQueuedIsLost) {
  NEED_LAB();
  AfPacketOptions o = opts();
  o.frames = 64;
  auto a = open_or_fail("h2e", o);
  RawSocket b("h2f");
  ASSERT_TRUE(a);
  ASSERT_TRUE(sh("ip link set h2e down"));
  uint32_t sent = 0;
  for (int i = 0; i < 64 + 10; ++i) {
    proto::MutBytes out = a->frame();
    if (out.empty()) continue;
    a->send(make_frame(out.data(), len_for(sent), kMacX, kMacY, sent));
    ++sent;
  }
  a->flush();
  EXPECT_EQ(sent, 64u);
  EXPECT_EQ(a->queued(), 64u);
  EXPECT_EQ(a->stats().tx_ring_full, 10u);
  EXPECT_GE(a->stats().tx_flush_errors, 1u);
  EXPECT_EQ(a->counters()["tx_last_error"], std::strerror(ENETDOWN));
  a->send(100);  // after a frame() without room: ignored
  EXPECT_EQ(a->stats().tx_frames, 64u);
  ASSERT_TRUE(sh("ip link set h2e up"));
  for (auto until = Clock::now() + std::chrono::seconds(5);
       !(if_flags("h2e") & IFF_RUNNING) && Clock::now() < until;)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  a->flush();
  EXPECT_EQ(a->queued(), 0u);
  size_t corrupt = 0;
  EXPECT_EQ(b.recv(64, 5, &corrupt), iota(0, 64));
  EXPECT_EQ(corrupt, 0u);
  // And the ring is usable again.
  proto::MutBytes out = a->frame();
  ASSERT_FALSE(out.empty());
  a->send(make_frame(out.data(), 100, kMacX, kMacY, 64));
  a->flush();
  EXPECT_EQ(b.recv(1, 5, &corrupt), iota(64, 1));
}

// A UDP datagram from this namespace's own stack crosses the veth with its checksum still to be
// completed (CHECKSUM_PARTIAL); the port completes it. Frames over kMaxFrame are dropped.
TEST_P(AfPacketPortTest, CompletesPartialChecksumsAndDropsOversize) {
  NEED_LAB();
  ASSERT_TRUE(sh("ip link set h2g mtu 4000") && sh("ip link set h2h mtu 4000"));
  ASSERT_TRUE(sh("ip addr replace 10.99.0.2/24 dev h2h"));
  ASSERT_TRUE(sh("ip neigh replace 10.99.0.1 lladdr 02:68:32:00:00:01 dev h2h nud permanent"));
  auto a = open_or_fail("h2g", opts());
  ASSERT_TRUE(a);
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9999);
  to.sin_addr.s_addr = htonl(0x0a630001);
  char payload[333];
  for (size_t i = 0; i < sizeof payload; ++i) payload[i] = char(i * 13);
  ASSERT_EQ(sendto(u, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
            ssize_t(sizeof payload));
  close(u);
  RawSocket b("h2h");
  std::vector<uint8_t> big(3000);
  make_frame(big.data(), big.size(), kMacX, kMacY, 7);
  ASSERT_TRUE(b.send(big));
  uint8_t small[100];
  ASSERT_TRUE(b.send(proto::Bytes(small, make_frame(small, sizeof small, kMacX, kMacY, 8))));

  proto::MutBytes f[16];
  std::vector<std::vector<uint8_t>> frames;
  for (auto until = Clock::now() + std::chrono::seconds(5);
       frames.size() < 2 && Clock::now() < until;) {
    size_t k = a->rx(f, 16);
    for (size_t i = 0; i < k; ++i) frames.emplace_back(f[i].begin(), f[i].end());
  }
  ASSERT_EQ(frames.size(), 2u);
  const auto& d = frames[0];
  ASSERT_EQ(d.size(), 14 + 20 + 8 + sizeof payload);
  ASSERT_EQ(proto::load16(&d[12]), 0x0800);
  ASSERT_EQ(d[14 + 9], 17);
  // Pseudo header + UDP header and payload sum to 0xffff: the checksum is right.
  uint8_t pseudo[12];
  std::memcpy(pseudo, &d[14 + 12], 8);
  pseudo[8] = 0;
  pseudo[9] = 17;
  proto::store16(pseudo + 10, uint16_t(8 + sizeof payload));
  uint32_t sum = proto::csum_partial(proto::Bytes(pseudo, 12));
  sum = proto::csum_partial(proto::Bytes(&d[34], d.size() - 34), sum);
  EXPECT_EQ(proto::csum_fold(sum), 0);
  EXPECT_NE(proto::load16(&d[34 + 6]), 0);
  EXPECT_EQ(0, std::memcmp(&d[42], payload, sizeof payload));
  EXPECT_EQ(check_frame(frames[1]), 8);
  const AfPacketStats& s = a->stats();
  EXPECT_EQ(s.rx_csum_completed, 1u);
  EXPECT_EQ(s.rx_oversize, 1u);
  EXPECT_EQ(s.rx_frames, 2u);
}

// The rates for the record (disabled: timing, not correctness). One thread sends bursts through
// a port on one end of a veth, another receives with a port on the other end; then a ping-pong
// for the round trip (one frame each way, both ports polling).
double env_or(const char* name, double def) {
  const char* v = std::getenv(name);
  return v ? std::atof(v) : def;
}

TEST(AfPacketPort, DISABLED_Rate) {
  NEED_LAB();
  AfPacketOptions o;
  o.version = unsigned(env_or("H2_VERSION", o.version));
  o.block_kib = unsigned(env_or("H2_BLOCK_KIB", o.block_kib));
  o.retire_ms = unsigned(env_or("H2_RETIRE_MS", o.retire_ms));
  o.qdisc_bypass = env_or("H2_BYPASS", 0) != 0;
  o.tx_batch = unsigned(env_or("H2_TX_BATCH", o.tx_batch));
  const double seconds = env_or("H2_SECONDS", 2);
  std::printf("  TPACKET_V%u, block %u KiB, retire %u ms, qdisc bypass %d, tx batch %u\n",
              o.version, o.block_kib, o.retire_ms, int(o.qdisc_bypass), o.tx_batch);
  for (size_t len : {60, 1514}) {
    auto a = open_or_fail("h2a", o);
    auto b = open_or_fail("h2b", o);
    ASSERT_TRUE(a && b);
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> received{0};
    std::thread rxt([&] {
      proto::MutBytes f[256];
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        size_t k = b->rx(f, 256);
        for (size_t i = 0; i < k; ++i) n += f[i][14];  // touch the frame
        received.fetch_add(k, std::memory_order_relaxed);
      }
      (void)n;
    });
    const auto t0 = Clock::now();
    const auto until = t0 + std::chrono::duration<double>(seconds);
    uint64_t sent = 0;
    while (Clock::now() < until) {
      for (int i = 0; i < 256; ++i) {
        proto::MutBytes out = a->frame();
        if (out.empty()) break;
        a->send(make_frame(out.data(), len, kMacX, kMacY, uint32_t(sent)));
        ++sent;
      }
      a->flush();
    }
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop = true;
    rxt.join();
    const AfPacketStats& sa = a->stats();
    const AfPacketStats& sb = b->stats();
    auto ifs = a->counters()["interface_stats"];
    std::printf(
        "  %4zu B: sent %.0f frames/s (%.2f Gbit/s), received %.0f frames/s; ring full %llu, "
        "receiver drops %llu, freezes %llu, veth tx_dropped %llu\n",
        len, double(sent) / dt, double(sent) * double(len) * 8 / dt / 1e9,
        double(received.load()) / dt, (unsigned long long)sa.tx_ring_full,
        (unsigned long long)sb.kernel_drops, (unsigned long long)sb.kernel_freezes,
        (unsigned long long)ifs["tx_dropped"].get<uint64_t>());
  }
  // Ping-pong in one thread: a frame from a to b, b answers it, a takes the answer.
  {
    auto a = open_or_fail("h2a", o);
    auto b = open_or_fail("h2b", o);
    ASSERT_TRUE(a && b);
    const int kRounds = int(env_or("H2_ROUNDS", 2000));
    std::vector<double> rtt;
    proto::MutBytes f[64];
    auto wait_for = [&](Port& p, uint32_t seq, Clock::time_point t0) {
      while (Clock::now() - t0 < std::chrono::seconds(1)) {
        size_t k = p.rx(f, 64);
        for (size_t i = 0; i < k; ++i)
          if (check_frame(f[i]) == seq) return true;
      }
      return false;
    };
    for (int r = 0; r < kRounds; ++r) {
      const auto t = Clock::now();
      proto::MutBytes out = a->frame();
      a->send(make_frame(out.data(), 60, kMacX, kMacY, uint32_t(2 * r)));
      a->flush();
      ASSERT_TRUE(wait_for(*b, uint32_t(2 * r), t));
      out = b->frame();
      b->send(make_frame(out.data(), 60, kMacY, kMacX, uint32_t(2 * r + 1)));
      b->flush();
      ASSERT_TRUE(wait_for(*a, uint32_t(2 * r + 1), t));
      rtt.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
    }
    std::sort(rtt.begin(), rtt.end());
    std::printf(
        "  ping-pong of one 60 B frame: round trip median %.0f us, p90 %.0f us, max %.0f "
        "us (%d rounds)\n",
        rtt[rtt.size() / 2], rtt[rtt.size() * 9 / 10], rtt.back(), kRounds);
  }
}

}  // namespace
}  // namespace bs::bench
