#include "harness.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring_elem.h>
#include <rte_timer.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dataplane/proto/arp.hpp"

namespace bs::test {

namespace fs = std::filesystem;
using proto::Bytes;
using proto::MutBytes;

const char* const kVirtualPath = "pxelinux.cfg/01-52-54-00-00-00-42";
const char* const kVirtualContent =
    "DEFAULT install\nLABEL install\n  KERNEL kernel.img\n  APPEND initrd=initrd.img ks=x\n";

namespace {

constexpr unsigned kRingSize = 1024;

World g_world;

// The ring PMD has a fixed MAC per port (it implements no MAC change); setup_port reads it.
bool make_port(const char* name, rte_ring*& rx, rte_ring*& tx, port::PortInfo& out,
               std::string* error) {
  std::string rxn = std::string(name) + "_rx", txn = std::string(name) + "_tx";
  rx = rte_ring_create(rxn.c_str(), kRingSize, int(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
  tx = rte_ring_create(txn.c_str(), kRingSize, int(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (!rx || !tx) {
    *error = std::string("rte_ring_create: ") + rte_strerror(rte_errno);
    return false;
  }
  int id = rte_eth_from_rings(name, &rx, 1, &tx, 1, rte_socket_id());
  if (id < 0) {
    *error = std::string(name) + ": rte_eth_from_rings: " + rte_strerror(rte_errno);
    return false;
  }
  char devname[RTE_ETH_NAME_MAX_LEN];
  if (rte_eth_dev_get_name_by_port(uint16_t(id), devname) != 0) {
    *error = std::string(name) + ": no name for port " + std::to_string(id);
    return false;
  }
  // The project's own port bring-up (configure, queues, start, MAC and MTU into PortInfo).
  return port::setup_port(devname, g_world.pool, out, error);
}

// Reads a frame out of a (possibly chained) mbuf and frees it.
Frame take(rte_mbuf* m) {
  Frame f(rte_pktmbuf_pkt_len(m));
  const void* p = rte_pktmbuf_read(m, 0, uint32_t(f.size()), f.data());
  if (p != f.data()) std::memcpy(f.data(), p, f.size());
  rte_pktmbuf_free(m);
  return f;
}

std::vector<Frame> drain(rte_ring* r) {
  std::vector<Frame> out;
  void* objs[64];
  unsigned n;
  while ((n = rte_ring_dequeue_burst(r, objs, 64, nullptr)) > 0)
    for (unsigned i = 0; i < n; ++i) out.push_back(take(static_cast<rte_mbuf*>(objs[i])));
  return out;
}

void enqueue(rte_ring* r, const Frame& f) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_world.pool);
  ASSERT_NE(m, nullptr) << "mbuf pool empty";
  char* p = rte_pktmbuf_append(m, uint16_t(f.size()));
  ASSERT_NE(p, nullptr) << "frame of " << f.size() << " bytes does not fit an mbuf";
  if (!f.empty()) std::memcpy(p, f.data(), f.size());
  ASSERT_EQ(rte_ring_enqueue(r, m), 0) << "test RX ring full";
}

rte_ring* ring_elem(const char* name, unsigned esize, unsigned count) {
  return rte_ring_create_elem(name, esize, count, int(rte_socket_id()),
                              RING_F_SP_ENQ | RING_F_SC_DEQ);
}

}  // namespace

World& world() {
  return g_world;
}

bool init_world(const char* argv0, std::string* error) {
  std::vector<std::string> args = {argv0,
                                   "-l",
                                   "0",
                                   "--no-huge",
                                   "-m",
                                   "256",
                                   "--no-pci",
                                   "--no-shconf",
                                   "--no-telemetry",
                                   "--log-level=warning",
                                   "--file-prefix=bsdptest" + std::to_string(getpid())};
  std::string joined;
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
    joined += (joined.empty() ? "" : " ") + a;
  }
  if (rte_eal_init(int(argv.size()), argv.data()) < 0) {
    *error = "rte_eal_init(" + joined + ") failed: " + rte_strerror(rte_errno);
    return false;
  }
  if (int rc = rte_timer_subsystem_init(); rc != 0) {
    *error = std::string("rte_timer_subsystem_init: ") + rte_strerror(-rc);
    return false;
  }
  // No per-lcore cache: rte_mempool_in_use_count() is then exact (the tests check for leaks).
  g_world.pool = rte_pktmbuf_pool_create("dpt_mbufs", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                         int(rte_socket_id()));
  g_world.ext_pool = rte_pktmbuf_pool_create("dpt_ext", 2047, 0, 0, 0, int(rte_socket_id()));
  if (!g_world.pool || !g_world.ext_pool) {
    *error = std::string("rte_pktmbuf_pool_create: ") + rte_strerror(rte_errno);
    return false;
  }
  return make_port("dpt_boot", g_world.boot_rx, g_world.boot_tx, g_world.boot, error) &&
         make_port("dpt_exc", g_world.exc_rx, g_world.exc_tx, g_world.exception, error);
}

std::string pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  uint32_t x = 0x9e3779b9u ^ seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    s[i] = char(x >> 24);
  }
  return s;
}

Frame udp_frame(const proto::Mac& src_mac, const proto::Mac& dst_mac, proto::Ip4 src,
                proto::Ip4 dst, uint16_t sport, uint16_t dport, const std::vector<uint8_t>& pl) {
  Frame f(proto::kEthIpUdpLen + pl.size());
  proto::UdpAddr a{src_mac, dst_mac, src, dst, sport, dport};
  uint32_t sum = proto::csum_partial(Bytes(pl.data(), pl.size()));
  EXPECT_EQ(proto::write_udp_headers(MutBytes(f.data(), f.size()), a, uint16_t(pl.size()), sum, 7),
            proto::kEthIpUdpLen);
  std::copy(pl.begin(), pl.end(), f.begin() + proto::kEthIpUdpLen);
  return f;
}

Frame arp_frame(uint16_t op, const proto::Mac& eth_dst, const proto::Mac& sha, proto::Ip4 spa,
                const proto::Mac& tha, proto::Ip4 tpa) {
  Frame f(proto::kEthHeaderLen + proto::kArpLen + 18, 0);  // padded to the 60-byte minimum
  proto::write_eth(MutBytes(f.data(), proto::kEthHeaderLen), eth_dst, sha, proto::kEtherArp);
  proto::write_arp(MutBytes(f.data() + proto::kEthHeaderLen, proto::kArpLen),
                   proto::Arp{op, sha, spa, tha, tpa});
  return f;
}

std::vector<uint8_t> tftp_request(proto::TftpOp op, const std::string& file,
                                  const proto::TftpOptions& o) {
  std::vector<uint8_t> b(600);
  size_t n = proto::write_tftp_request(MutBytes(b.data(), b.size()), op, file, "octet", o);
  EXPECT_GT(n, 0u);
  b.resize(n);
  return b;
}

std::vector<uint8_t> tftp_ack(uint16_t block) {
  std::vector<uint8_t> b(4);
  EXPECT_EQ(proto::write_tftp_ack(MutBytes(b.data(), b.size()), block), 4u);
  return b;
}

std::map<std::string, std::string> oack_options(Bytes p) {
  std::map<std::string, std::string> out;
  if (p.size() < 2 || proto::load16(p.data()) != uint16_t(proto::TftpOp::oack)) return out;
  std::vector<std::string> strs;
  std::string cur;
  for (size_t i = 2; i < p.size(); ++i) {
    if (p[i] == 0) {
      strs.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(char(p[i]));
    }
  }
  for (size_t i = 0; i + 1 < strs.size(); i += 2) out[strs[i]] = strs[i + 1];
  return out;
}

Udp parse_udp(const Frame& frame) {
  Udp u;
  u.bytes = frame;
  auto f = proto::parse_udp_frame(Bytes(u.bytes.data(), u.bytes.size()));
  if (!f) return u;
  u.f = *f;
  u.ok = true;
  return u;
}

// ---- the fixture ---------------------------------------------------------------------------

void DataplaneTest::SetUp() {
  World& w = world();
  ASSERT_NE(w.pool, nullptr) << "the EAL world was not initialised";
  // Nothing left over from an earlier test.
  drain(w.boot_rx);
  drain(w.exc_rx);
  drain(w.boot_tx);
  drain(w.exc_tx);
  mbufs_in_use_before_ = rte_mempool_in_use_count(w.pool);
  ASSERT_EQ(rte_mempool_in_use_count(w.ext_pool), 0u);

  char tmpl[] = "/tmp/bs-dptest-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr) << strerror(errno);
  root_ = tmpl;
  disk_ = {
      {"pxelinux.0", pattern(1300, 1)},      // 3 blocks of 512: 512, 512, 276
      {"two-blocks.bin", pattern(1024, 2)},  // exactly 2*512: a trailing empty DATA
      {"kernel.img", pattern(5000, 3)},      // 4 blocks of 1468
      {"preloaded.bin", pattern(700, 4)},   {"empty.bin", ""},
  };
  fs::create_directories(root_ + "/pxelinux.cfg");
  for (const auto& [path, content] : disk_) {
    std::ofstream out(root_ + "/" + path, std::ios::binary);
    out.write(content.data(), std::streamsize(content.size()));
    ASSERT_TRUE(out.good()) << path;
  }

  snap_ = snap::Snapshot{};
  snap_.generation = 1;
  snap_.server_ip = kServerIp;
  snap_.dhcp.probe = false;  // no ARP probes among the frames the tests look at
  snap_.boot.files[snap::BootArch::bios] = "pxelinux.0";
  snap_.boot.files[snap::BootArch::uefi_x64] = "grubx64.efi";
  snap::Pool pool;
  pool.subnet = ip4(10, 77, 0, 0);
  pool.prefix = 24;
  pool.first = ip4(10, 77, 0, 100);
  pool.last = ip4(10, 77, 0, 200);
  pool.router = kServerIp;
  snap_.pools.push_back(pool);
  snap::Host host;
  host.mac = kReservedMac;
  host.address = kReservedIp;
  host.hostname = "node42";
  host.boot = snap_.boot;
  snap_.hosts.push_back(host);
  snap_.files.push_back({kVirtualPath, kVirtualContent});
  snap_.preload.push_back("preloaded.bin");

  shared_ = std::make_unique<Shared>();
  shared_->events = ring_elem("dpt_events", sizeof(Event), 1024);
  shared_->load_req = ring_elem("dpt_load_req", sizeof(void*), 256);
  shared_->load_done[0] = ring_elem("dpt_load_done", sizeof(void*), 256);
  ASSERT_TRUE(shared_->events && shared_->load_req && shared_->load_done[0])
      << rte_strerror(rte_errno);
  size_t rcu_size = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
  shared_->rcu = static_cast<rte_rcu_qsbr*>(rte_zmalloc("dpt_rcu", rcu_size, RTE_CACHE_LINE_SIZE));
  ASSERT_NE(shared_->rcu, nullptr);
  ASSERT_EQ(rte_rcu_qsbr_init(shared_->rcu, RTE_MAX_LCORE), 0);

  files_ = std::make_unique<cache::FileTable>(root_, false, shared_->rcu);
  shared_->files = files_.get();
  loader_ = std::make_unique<cache::Loader>(*files_);
  ASSERT_EQ(loader_->init_error(), 0) << "io_uring: " << strerror(-loader_->init_error());
  // As the service does on a snapshot: refresh the index, start the preloads, publish.
  for (cache::FileSlot* slot : files_->refresh(&snap_)) loader_->request(slot);
  shared_->snapshot.store(&snap_, std::memory_order_release);
  std::vector<cache::FileSlot*> done;
  for (int i = 0; i < 2000 && loader_->busy(); ++i) loader_->poll(done, 1000);
  ASSERT_FALSE(loader_->busy()) << "preload did not finish";
  for (cache::FileSlot* s : done)
    ASSERT_EQ(rte_ring_enqueue_elem(shared_->load_done[0], &s, sizeof(void*)), 0);

  cfg_ = WorkerConfig{};
  cfg_.id = 0;
  cfg_.port = w.boot;
  cfg_.exception = w.exception;
  cfg_.pool = w.pool;
  cfg_.ext_pool = w.ext_pool;
  cfg_.server_ip = kServerIp;
  cfg_.tftp_port_min = kPortMin;
  cfg_.tftp_port_max = kPortMax;
  tftp::Limits limits;
  limits.max_blksize = uint16_t(w.boot.mtu - 32);  // as main.cpp: no IP fragments
  // A fixed 2 s timer: long enough that no test step sees a retransmission.
  limits.rto_initial_us = limits.rto_min_us = limits.rto_max_us = 2000000;
  limits.max_retries = 3;
  start_worker(limits);
}

void DataplaneTest::start_worker(const tftp::Limits& limits) {
  stop_worker();
  cfg_.limits = limits;
  worker_ = std::make_unique<Worker>(cfg_, *shared_);
  ASSERT_TRUE(worker_->ok()) << rte_strerror(rte_errno);
  worker_->attach();
}

void DataplaneTest::stop_worker() {
  if (!worker_) return;
  worker_->detach();
  worker_.reset();
}

void DataplaneTest::TearDown() {
  stop_worker();
  World& w = world();
  drain(w.boot_rx);
  drain(w.exc_rx);
  drain(w.boot_tx);
  drain(w.exc_tx);
  loader_.reset();
  files_.reset();
  if (shared_) {
    rte_ring_free(shared_->events);
    rte_ring_free(shared_->load_req);
    rte_ring_free(shared_->load_done[0]);
    rte_free(shared_->rcu);
    shared_.reset();
  }
  if (!root_.empty()) {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  // Buffer ownership: every mbuf the test handed the worker was sent or freed.
  EXPECT_EQ(rte_mempool_in_use_count(w.pool), mbufs_in_use_before_) << "mbufs leaked";
  EXPECT_EQ(rte_mempool_in_use_count(w.ext_pool), 0u) << "payload segments leaked";
}

void DataplaneTest::send(const Frame& f) {
  enqueue(world().boot_rx, f);
}
void DataplaneTest::send_from_kernel(const Frame& f) {
  enqueue(world().exc_rx, f);
}

void DataplaneTest::poll(unsigned n) {
  for (unsigned i = 0; i < n; ++i) worker_->poll_once();
}

std::vector<Frame> DataplaneTest::sent() {
  return drain(world().boot_tx);
}
std::vector<Frame> DataplaneTest::sent_to_kernel() {
  return drain(world().exc_tx);
}

std::vector<Frame> DataplaneTest::exchange(const Frame& f, unsigned polls) {
  send(f);
  poll(polls);
  return sent();
}

unsigned DataplaneTest::pending_load_requests() const {
  return rte_ring_count(shared_->load_req);
}

unsigned DataplaneTest::pump_loader() {
  cache::FileSlot* req[64];
  unsigned n = rte_ring_dequeue_burst_elem(shared_->load_req, req, sizeof(void*), 64, nullptr);
  for (unsigned i = 0; i < n; ++i) loader_->request(req[i]);
  std::vector<cache::FileSlot*> done;
  for (int i = 0; i < 2000 && loader_->busy(); ++i) loader_->poll(done, 1000);
  EXPECT_FALSE(loader_->busy()) << "a load did not finish in 2 s";
  for (cache::FileSlot* s : done)
    EXPECT_EQ(rte_ring_enqueue_elem(shared_->load_done[0], &s, sizeof(void*)), 0);
  return n;
}

std::vector<Event> DataplaneTest::events() {
  std::vector<Event> out;
  Event e;
  while (rte_ring_dequeue_elem(shared_->events, &e, sizeof(Event)) == 0) out.push_back(e);
  return out;
}

uint64_t DataplaneTest::total_drops() const {
  uint64_t n = 0;
  for (unsigned i = 0; i < kDropCount; ++i) n += shared_->counters.drops[i].get();
  return n;
}

Frame DataplaneTest::client_udp(uint16_t sport, uint16_t dport,
                                const std::vector<uint8_t>& pl) const {
  return udp_frame(kClientMac, world().boot.mac, kClientIp, kServerIp, sport, dport, pl);
}

Fetched DataplaneTest::fetch(const std::string& file, const proto::TftpOptions& o, uint16_t sport) {
  Fetched r;
  send(client_udp(sport, proto::kTftpPort, tftp_request(proto::TftpOp::rrq, file, o)));
  poll();
  for (int step = 0; step < 10000; ++step) {
    std::vector<Frame> out = sent();
    if (out.empty()) {
      // Waiting on the loader: play the service thread, then let the worker see the completion.
      unsigned n = pump_loader();
      r.load_requests += n;
      poll();
      out = sent();
      if (out.empty()) {
        ADD_FAILURE() << file << ": the worker sent nothing (step " << step << ")";
        return r;
      }
    }
    if (out.size() != 1) {
      ADD_FAILURE() << file << ": " << out.size() << " frames in one lock-step";
      return r;
    }
    Udp u = parse_udp(out[0]);
    if (!u.ok) {
      ADD_FAILURE() << file << ": the worker sent a frame that does not parse";
      return r;
    }
    EXPECT_EQ(u.f.eth.dst, kClientMac);
    EXPECT_EQ(u.f.ip.src, kServerIp);
    EXPECT_EQ(u.f.ip.dst, kClientIp);
    EXPECT_EQ(u.f.udp.dport, sport);
    auto p = proto::parse_tftp(u.f.payload);
    if (!p) {
      ADD_FAILURE() << file << ": unparsable TFTP from the server";
      return r;
    }
    if (r.server_port == 0) r.server_port = u.f.udp.sport;
    if (p->op == proto::TftpOp::error) {
      r.error_code = p->error_code;
      return r;
    }
    EXPECT_EQ(u.f.udp.sport, r.server_port) << "transfer port changed mid-transfer";
    if (p->op == proto::TftpOp::oack) {
      r.oack = oack_options(u.f.payload);
      if (r.oack.count("blksize")) r.blksize = uint16_t(std::stoul(r.oack["blksize"]));
      send(client_udp(sport, r.server_port, tftp_ack(0)));
      poll();
      continue;
    }
    if (p->op != proto::TftpOp::data) {
      ADD_FAILURE() << file << ": unexpected opcode " << unsigned(p->op);
      return r;
    }
    ++r.data_packets;
    EXPECT_EQ(p->block, uint16_t(r.data_packets)) << "blocks out of order";
    r.data.append(reinterpret_cast<const char*>(p->data.data()), p->data.size());
    send(client_udp(sport, r.server_port, tftp_ack(p->block)));
    poll();
    if (p->data.size() < r.blksize) {
      EXPECT_TRUE(sent().empty()) << "frames after the final ACK";
      r.ok = true;
      return r;
    }
  }
  ADD_FAILURE() << file << ": transfer did not end";
  return r;
}

}  // namespace bs::test
