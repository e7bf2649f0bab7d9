#include "afpacket_port.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "dataplane/proto/ipv4.hpp"

namespace bs::bench {

namespace {

template <class T>
T load_acquire(const T* p) {
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
template <class T>
void store_release(T* p, T v) {
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

// Where the TX ring's frame data starts in a slot (no PACKET_TX_HAS_OFF): after the header.
constexpr size_t kTxDataOff3 = TPACKET_ALIGN(sizeof(tpacket3_hdr));
constexpr size_t kTxDataOff2 = TPACKET_ALIGN(sizeof(tpacket2_hdr));
static_assert(kTxDataOff3 + kMaxFrame <= 2048 && kTxDataOff2 + kMaxFrame <= 2048);

std::string errno_str(int e) {
  return std::strerror(e);
}

// Completes the L4 checksum of an IPv4 UDP or TCP frame the kernel has as CHECKSUM_PARTIAL
// (the field holds the pseudo-header sum; a NIC sums from the L4 header to the end and stores
// the complement). false: not such a frame.
bool complete_checksum(proto::MutBytes f) {
  size_t l3 = 14;
  if (f.size() < l3 + 20) return false;
  uint16_t type = proto::load16(&f[12]);
  if (type == 0x8100 || type == 0x88a8) {
    l3 += 4;
    if (f.size() < l3 + 20) return false;
    type = proto::load16(&f[16]);
  }
  if (type != 0x0800 || f[l3] >> 4 != 4) return false;
  const size_t ihl = size_t(f[l3] & 0x0f) * 4;
  const size_t total = proto::load16(&f[l3 + 2]);
  if (ihl < 20 || total < ihl || l3 + total > f.size()) return false;
  size_t off;
  switch (f[l3 + 9]) {
    case 17:
      off = 6;
      break;
    case 6:
      off = 16;
      break;
    default:
      return false;
  }
  const size_t l4 = l3 + ihl, end = l3 + total;
  if (l4 + off + 2 > end) return false;
  uint16_t c = proto::csum_fold(proto::csum_partial(proto::Bytes(&f[l4], end - l4)));
  if (c == 0) c = 0xffff;
  proto::store16(&f[l4 + off], c);
  return true;
}

// The interface's line of /proc/net/dev (this thread's network namespace).
nlohmann::json interface_stats(const std::string& ifname) {
  std::ifstream in("/proc/self/net/dev");
  for (std::string line; std::getline(in, line);) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto b = line.find_first_not_of(' ');
    if (line.substr(b, colon - b) != ifname) continue;
    std::istringstream s(line.substr(colon + 1));
    uint64_t v[16] = {};
    for (auto& x : v) s >> x;
    return {{"rx_bytes", v[0]}, {"rx_packets", v[1]}, {"rx_errors", v[2]},  {"rx_dropped", v[3]},
            {"tx_bytes", v[8]}, {"tx_packets", v[9]}, {"tx_errors", v[10]}, {"tx_dropped", v[11]}};
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<AfPacketPort> AfPacketPort::open(const std::string& ifname,
                                                 const AfPacketOptions& o, std::string* error) {
  std::unique_ptr<AfPacketPort> p(new AfPacketPort());
  std::string e;
  if (!p->setup(ifname, o, &e)) {
    if (error) *error = ifname + ": " + e;
    return nullptr;
  }
  return p;
}

bool AfPacketPort::setup(const std::string& ifname, const AfPacketOptions& o, std::string* error) {
  auto fail = [&](std::string msg) {
    *error = std::move(msg);
    return false;
  };
  auto sys_fail = [&](const std::string& what) { return fail(what + ": " + errno_str(errno)); };
  ifname_ = ifname;
  if (ifname.empty() || ifname.size() >= IFNAMSIZ)
    return fail("not an interface name (1 to " + std::to_string(IFNAMSIZ - 1) + " characters)");
  if (o.frames < 64 || o.frames > (1u << 20)) return fail("ring frames must be 64 to 1048576");
  if (o.block_kib < 4 || o.block_kib % 4 != 0 || o.block_kib > 4096)
    return fail("ring block size must be a multiple of 4 KiB, 4 to 4096");
  if (o.version != 2 && o.version != 3) return fail("TPACKET version must be 2 or 3");
  version_ = o.version;
  const char* vname = version_ == 3 ? "TPACKET_V3" : "TPACKET_V2";
  tx_data_off_ = version_ == 3 ? kTxDataOff3 : kTxDataOff2;

  // Protocol 0: nothing comes in before the rings are there and the socket is bound.
  fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    if (errno == EPERM || errno == EACCES)
      return fail("AF_PACKET socket: " + errno_str(errno) + ": run as root (or with CAP_NET_RAW)");
    return sys_fail("AF_PACKET socket");
  }
  ifindex_ = int(if_nametoindex(ifname.c_str()));
  if (ifindex_ == 0)
    return fail(
        "no such interface in this network namespace (ip link show; inside the "
        "namespace: ip netns exec NAME ...)");
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
  if (ioctl(fd_, SIOCGIFHWADDR, &ifr) < 0) return sys_fail("SIOCGIFHWADDR");
  if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
    return fail("not an Ethernet interface (ARPHRD " + std::to_string(ifr.ifr_hwaddr.sa_family) +
                ")");
  std::memcpy(mac_.b.data(), ifr.ifr_hwaddr.sa_data, 6);

  int v = version_ == 3 ? TPACKET_V3 : TPACKET_V2;
  if (setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0)
    return sys_fail(std::string("PACKET_VERSION ") + vname);
  // A TX slot the kernel cannot send (bad length) is marked TP_STATUS_WRONG_FORMAT and skipped
  // instead of stopping the ring.
  v = 1;
  if (setsockopt(fd_, SOL_PACKET, PACKET_LOSS, &v, sizeof v) < 0) return sys_fail("PACKET_LOSS");

  // RX: frames * 2 KiB in blocks of block_kib (V2: 2 KiB slots, rx_nr_ counts those).
  rx_block_size_ = size_t(o.block_kib) * 1024;
  const unsigned per_block = unsigned(rx_block_size_ / kSlot);
  const size_t rx_blocks =
      std::max<size_t>(4, (size_t(o.frames) * kSlot + rx_block_size_ - 1) / rx_block_size_);
  tpacket_req3 rq{};
  rq.tp_block_size = unsigned(rx_block_size_);
  rq.tp_block_nr = unsigned(rx_blocks);
  rq.tp_frame_size = unsigned(kSlot);
  rq.tp_frame_nr = per_block * unsigned(rx_blocks);
  if (version_ == 3) {
    rq.tp_retire_blk_tov = std::max(1u, o.retire_ms);
    retire_ms_ = rq.tp_retire_blk_tov;
  }
  if (setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &rq, sizeof rq) < 0)
    return sys_fail(std::string("PACKET_RX_RING ") + vname + " (" + std::to_string(rx_blocks) +
                    " blocks of " + std::to_string(o.block_kib) + " KiB)");
  rx_nr_ = version_ == 3 ? unsigned(rx_blocks) : rq.tp_frame_nr;
  rx_size_ = rx_block_size_ * rx_blocks;

  // TX: fixed 2 KiB slots (TPACKET_V3 TX: Linux >= 4.11, fixed-size slots; the block timer and
  // private area must be zero).
  const unsigned tx_blocks = (o.frames + per_block - 1) / per_block;
  tx_nr_ = tx_blocks * per_block;
  tpacket_req3 tq{};
  tq.tp_block_size = unsigned(rx_block_size_);
  tq.tp_block_nr = tx_blocks;
  tq.tp_frame_size = unsigned(kSlot);
  tq.tp_frame_nr = tx_nr_;
  if (setsockopt(fd_, SOL_PACKET, PACKET_TX_RING, &tq, sizeof tq) < 0)
    return sys_fail(std::string("PACKET_TX_RING ") + vname +
                    (version_ == 3 ? " (this kernel needs >= 4.11)" : ""));
  ring_size_ = rx_size_ + size_t(tx_blocks) * rx_block_size_;
  void* m = mmap(nullptr, ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, 0);
  if (m == MAP_FAILED) {
    ring_size_ = 0;
    return sys_fail("mmap of the rings (" + std::to_string(rx_size_ >> 20) + " MiB RX, " +
                    std::to_string((ring_size_ - rx_size_) >> 20) + " MiB TX)");
  }
  ring_ = static_cast<uint8_t*>(m);
  tx_batch_ = std::clamp(o.tx_batch, 1u, tx_nr_);

  v = 1;
  if (setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &v, sizeof v) < 0)
    return sys_fail("PACKET_IGNORE_OUTGOING");
  if (o.qdisc_bypass) {
    if (setsockopt(fd_, SOL_PACKET, PACKET_QDISC_BYPASS, &v, sizeof v) < 0)
      return sys_fail("PACKET_QDISC_BYPASS");
    qdisc_bypass_ = true;
  }
  // Large enough that the frames the kernel has not freed yet never hold the ring back.
  int sndbuf = int(std::min<size_t>(size_t(tx_nr_) * 4096, 1u << 30));
  if (setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex_;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) return sys_fail("bind");
  packet_mreq mr{};
  mr.mr_ifindex = ifindex_;
  mr.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0)
    return sys_fail("promiscuous mode (PACKET_ADD_MEMBERSHIP)");

  // Up with carrier (a veth has it once its peer is up too).
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.wait_s);
  while (true) {
    ifreq f{};
    std::memcpy(f.ifr_name, ifname.data(), ifname.size());
    if (ioctl(fd_, SIOCGIFFLAGS, &f) < 0) return sys_fail("SIOCGIFFLAGS");
    const bool up = f.ifr_flags & IFF_UP, running = f.ifr_flags & IFF_RUNNING;
    if (up && running) break;
    if (std::chrono::steady_clock::now() >= until) {
      std::ostringstream s;
      s.precision(3);
      s << o.wait_s;
      if (!up)
        return fail("interface is down after " + s.str() + " s (ip link set " + ifname + " up)");
      return fail("no carrier after " + s.str() + " s (a veth: is its peer up?)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

AfPacketPort::~AfPacketPort() {
  if (ring_) munmap(ring_, ring_size_);
  if (fd_ >= 0) ::close(fd_);
}

void AfPacketPort::release_rx() {
  unsigned i = (rx_cur_ + rx_nr_ - rx_done_) % rx_nr_;
  for (; rx_done_ > 0; --rx_done_, i = (i + 1) % rx_nr_) {
    if (version_ == 3) {
      auto* bd = reinterpret_cast<tpacket_block_desc*>(rx_block(i));
      store_release(&bd->hdr.bh1.block_status, uint32_t(TP_STATUS_KERNEL));
    } else {
      auto* h = reinterpret_cast<tpacket2_hdr*>(ring_ + size_t(i) * kSlot);
      store_release(&h->tp_status, uint32_t(TP_STATUS_KERNEL));
    }
  }
}

bool AfPacketPort::take(uint8_t* frame, uint32_t status, uint32_t len, uint32_t snaplen,
                        uint16_t mac_off, proto::MutBytes* out) {
  if (len > kMaxFrame || snaplen < len) {
    ++st_.rx_oversize;
    return false;
  }
  proto::MutBytes f(frame + mac_off, snaplen);
  if (status & TP_STATUS_CSUMNOTREADY) {
    if (complete_checksum(f))
      ++st_.rx_csum_completed;
    else
      ++st_.rx_csum_unknown;
  }
  *out = f;
  ++st_.rx_frames;
  st_.rx_bytes += f.size();
  return true;
}

size_t AfPacketPort::rx(proto::MutBytes* frames, size_t n) {
  release_rx();
  if (version_ == 2) return rx_v2(frames, n);
  size_t got = 0;
  while (got < n) {
    if (rx_left_ == 0) {
      if (rx_done_ >= rx_nr_) break;  // every block is ours until the next call
      auto* bd = reinterpret_cast<tpacket_block_desc*>(rx_block(rx_cur_));
      if (!(load_acquire(&bd->hdr.bh1.block_status) & TP_STATUS_USER)) break;
      ++st_.rx_blocks;
      rx_left_ = bd->hdr.bh1.num_pkts;
      rx_pkt_ = rx_block(rx_cur_) + bd->hdr.bh1.offset_to_first_pkt;
      if (rx_left_ == 0) {  // not expected: a block goes to user space with frames in it
        ++rx_done_;
        rx_cur_ = (rx_cur_ + 1) % rx_nr_;
        continue;
      }
    }
    auto* h = reinterpret_cast<tpacket3_hdr*>(rx_pkt_);
    if (take(rx_pkt_, h->tp_status, h->tp_len, h->tp_snaplen, h->tp_mac, &frames[got])) ++got;
    rx_pkt_ += h->tp_next_offset;
    if (--rx_left_ == 0) {
      ++rx_done_;
      rx_cur_ = (rx_cur_ + 1) % rx_nr_;
    }
  }
  return got;
}

size_t AfPacketPort::rx_v2(proto::MutBytes* frames, size_t n) {
  size_t got = 0;
  while (got < n && rx_done_ < rx_nr_) {
    uint8_t* slot = ring_ + size_t(rx_cur_) * kSlot;
    auto* h = reinterpret_cast<tpacket2_hdr*>(slot);
    const uint32_t status = load_acquire(&h->tp_status);
    if (!(status & TP_STATUS_USER)) break;
    if (take(slot, status, h->tp_len, h->tp_snaplen, h->tp_mac, &frames[got])) ++got;
    ++rx_done_;
    rx_cur_ = (rx_cur_ + 1) % rx_nr_;
  }
  return got;
}

uint32_t* AfPacketPort::tx_status(unsigned i) const {
  uint8_t* slot = tx_slot(i);
  return version_ == 3 ? &reinterpret_cast<tpacket3_hdr*>(slot)->tp_status
                       : &reinterpret_cast<tpacket2_hdr*>(slot)->tp_status;
}

bool AfPacketPort::tx_free(unsigned i) {
  uint32_t* status = tx_status(i);
  const uint32_t s = load_acquire(status);
  if (s == TP_STATUS_AVAILABLE) return true;
  if (s & TP_STATUS_WRONG_FORMAT) {
    ++st_.tx_wrong_format;
    *status = TP_STATUS_AVAILABLE;
    return true;
  }
  return false;
}

proto::MutBytes AfPacketPort::frame() {
  if (tx_queued_ >= tx_nr_ || !tx_free(tx_head_)) {
    flush();
    if (tx_queued_ >= tx_nr_ || !tx_free(tx_head_)) {
      ++st_.tx_ring_full;
      tx_cur_ = false;
      return {};
    }
  }
  tx_cur_ = true;
  return proto::MutBytes(tx_slot(tx_head_) + tx_data_off_, kMaxFrame);
}

void AfPacketPort::send(size_t len) {
  if (!tx_cur_) return;  // frame() gave no room
  tx_cur_ = false;
  len = std::min(len, kMaxFrame);
  if (version_ == 3) {
    auto* h = reinterpret_cast<tpacket3_hdr*>(tx_slot(tx_head_));
    h->tp_len = uint32_t(len);
    h->tp_next_offset = 0;
  } else {
    reinterpret_cast<tpacket2_hdr*>(tx_slot(tx_head_))->tp_len = uint32_t(len);
  }
  store_release(tx_status(tx_head_), uint32_t(TP_STATUS_SEND_REQUEST));
  tx_head_ = (tx_head_ + 1) % tx_nr_;
  ++tx_queued_;
  ++st_.tx_frames;
  st_.tx_bytes += len;
  if (++tx_unflushed_ >= tx_batch_) flush();
}

void AfPacketPort::flush() {
  if (tx_queued_ == 0) return;
  ++st_.tx_flushes;
  tx_unflushed_ = 0;
  // A second try after an error: the first call after the interface was down reports that
  // (the socket's pending error) and sends nothing.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (sendto(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0 || errno == EAGAIN ||
        errno == ENOBUFS)
      break;
    if (errno != EINTR) {
      ++st_.tx_flush_errors;
      st_.tx_last_errno = errno;
    }
  }
  // What the kernel took: the slots from the oldest on that no longer ask to be sent.
  while (tx_queued_ > 0) {
    if (load_acquire(tx_status(tx_kernel_)) == TP_STATUS_SEND_REQUEST) break;
    tx_kernel_ = (tx_kernel_ + 1) % tx_nr_;
    --tx_queued_;
  }
}

void AfPacketPort::read_kernel_stats() const {
  tpacket_stats_v3 s{};
  socklen_t len = sizeof s;
  if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &s, &len) == 0) {
    st_.kernel_packets += s.tp_packets;
    st_.kernel_drops += s.tp_drops;
    st_.kernel_freezes += s.tp_freeze_q_cnt;
  }
}

const AfPacketStats& AfPacketPort::stats() const {
  read_kernel_stats();
  return st_;
}

nlohmann::json AfPacketPort::counters() const {
  const AfPacketStats& s = stats();
  return {
      {"backend", "af_packet"},
      {"interface", ifname_},
      {"mac", mac_.str()},
      {"rx_ring",
       version_ == 3
           ? nlohmann::json{{"version", "TPACKET_V3"},
                            {"blocks", rx_nr_},
                            {"block_bytes", rx_block_size_},
                            {"retire_ms", retire_ms_}}
           : nlohmann::json{{"version", "TPACKET_V2"}, {"slots", rx_nr_}, {"slot_bytes", kSlot}}},
      {"tx_ring",
       {{"version", version_ == 3 ? "TPACKET_V3" : "TPACKET_V2"},
        {"slots", tx_nr_},
        {"slot_bytes", kSlot}}},
      {"qdisc_bypass", qdisc_bypass_},
      {"rx_frames", s.rx_frames},
      {"rx_bytes", s.rx_bytes},
      {"rx_oversize", s.rx_oversize},
      {"rx_csum_completed", s.rx_csum_completed},
      {"rx_csum_unknown", s.rx_csum_unknown},
      {"rx_blocks", s.rx_blocks},
      {"tx_frames", s.tx_frames},
      {"tx_bytes", s.tx_bytes},
      {"tx_ring_full", s.tx_ring_full},
      {"tx_queued", tx_queued_},
      {"tx_wrong_format", s.tx_wrong_format},
      {"tx_flushes", s.tx_flushes},
      {"tx_flush_errors", s.tx_flush_errors},
      {"tx_last_error", s.tx_last_errno ? errno_str(s.tx_last_errno) : ""},
      {"kernel_packets", s.kernel_packets},
      {"kernel_drops", s.kernel_drops},
      {"kernel_freezes", s.kernel_freezes},
      {"interface_stats", interface_stats(ifname_)},
  };
}

}  // namespace bs::bench
