#include "dpdk_port.hpp"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

namespace bs::bench {

std::vector<std::string> eal_args(const EalSetup& s, const std::string& prog) {
  std::vector<std::string> a{prog};
  if (!s.dpdk.empty() && s.dpdk[0] == '-') {
    std::istringstream in(s.dpdk);
    for (std::string w; in >> w;) a.push_back(w);
    return a;
  }
  // --huge-unlink: the hugepage files go when the process does, even when it is killed (files
  // left in /dev/hugepages keep their pages reserved).
  a.insert(a.end(), {"-l", s.lcores, "--file-prefix=" + s.file_prefix, "--no-pci",
                     "--vdev=" + s.dpdk, "--log-level=notice"});
  // A zero-copy memif client shares its mbuf memory with the server: one file per segment list,
  // which EAL cannot combine with --huge-unlink (those files then stay until removed).
  const bool zero_copy = s.dpdk.find("zero-copy=yes") != std::string::npos;
  if (s.no_huge)
    a.insert(a.end(), {"--no-huge", "-m", "512"});
  else
    a.push_back(zero_copy ? "--single-file-segments" : "--huge-unlink");
  return a;
}

bool eal_init(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& s : args) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  return rte_eal_init(int(args.size()), argv.data()) >= 0;
}

namespace {
bool fail(std::string* error, std::string msg) {
  if (error) *error = std::move(msg);
  return false;
}
}  // namespace

bool DpdkPort::open(unsigned mbufs, double wait_s, std::string* error) {
  bool found = false;
  uint16_t id = 0;
  RTE_ETH_FOREACH_DEV(id) {
    found = true;
    break;
  }
  if (!found) return fail(error, "no DPDK port: give a vdev with --dpdk (e.g. net_memif0,...)");
  id_ = id;
  char name[RTE_ETH_NAME_MAX_LEN] = {};
  rte_eth_dev_get_name_by_port(id_, name);
  name_ = name;
  pool_ = rte_pktmbuf_pool_create("bench_mbufs", mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                  int(rte_socket_id()));
  if (!pool_) return fail(error, std::string("mbuf pool: ") + rte_strerror(rte_errno));
  rte_eth_conf conf{};
  if (int rc = rte_eth_dev_configure(id_, 1, 1, &conf); rc != 0)
    return fail(error, name_ + ": configure: " + strerror(-rc));
  uint16_t nrx = 1024, ntx = 1024;
  rte_eth_dev_adjust_nb_rx_tx_desc(id_, &nrx, &ntx);
  int socket = rte_eth_dev_socket_id(id_);
  if (socket < 0) socket = 0;
  if (int rc = rte_eth_rx_queue_setup(id_, 0, nrx, socket, nullptr, pool_); rc != 0)
    return fail(error, name_ + ": rx queue: " + strerror(-rc));
  if (int rc = rte_eth_tx_queue_setup(id_, 0, ntx, socket, nullptr); rc != 0)
    return fail(error, name_ + ": tx queue: " + strerror(-rc));
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  int rc;
  while ((rc = rte_eth_dev_start(id_)) != 0) {
    // A memif client cannot start before its server listens: it does not retry by itself.
    if (std::chrono::steady_clock::now() > until)
      return fail(error, name_ + ": start: " + strerror(-rc) +
                             " (a memif client needs its server's socket: is the dataplane up?)");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  open_ = true;
  rte_eth_link link{};
  while (true) {
    rte_eth_link_get_nowait(id_, &link);
    if (link.link_status == RTE_ETH_LINK_UP) break;
    if (std::chrono::steady_clock::now() > until)
      return fail(error, name_ + ": link still down after " + std::to_string(wait_s) +
                             " s (memif: same id and socket on both sides? server up?)");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  rte_ether_addr a;
  rte_eth_macaddr_get(id_, &a);
  std::memcpy(mac_.b.data(), a.addr_bytes, 6);
  txq_.reserve(kTxQueueMax);
  return true;
}

void DpdkPort::close() {
  if (cur_) rte_pktmbuf_free(cur_);
  cur_ = nullptr;
  if (!txq_.empty()) rte_pktmbuf_free_bulk(txq_.data(), unsigned(txq_.size()));
  txq_.clear();
  if (!held_.empty()) rte_pktmbuf_free_bulk(held_.data(), unsigned(held_.size()));
  held_.clear();
  if (open_) {
    rte_eth_dev_stop(id_);
    rte_eth_dev_close(id_);
    open_ = false;
  }
  if (eal_cleanup_) {
    rte_eal_cleanup();
    eal_cleanup_ = false;
  }
}

DpdkPort::~DpdkPort() {
  close();
}

size_t DpdkPort::rx(proto::MutBytes* frames, size_t n) {
  if (!held_.empty()) rte_pktmbuf_free_bulk(held_.data(), unsigned(held_.size()));
  held_.resize(std::min<size_t>(n, UINT16_MAX));
  if (held_.empty()) return 0;
  const uint16_t got = rte_eth_rx_burst(id_, 0, held_.data(), uint16_t(held_.size()));
  held_.resize(got);
  size_t k = 0;
  for (rte_mbuf* m : held_) {
    if (m->nb_segs != 1) {
      ++rx_multiseg_;
      continue;
    }
    frames[k++] = proto::MutBytes(rte_pktmbuf_mtod(m, uint8_t*), m->data_len);
    ++rx_frames_;
    rx_bytes_ += m->data_len;
  }
  return k;
}

uint16_t DpdkPort::rx_mbufs(rte_mbuf** pkts, uint16_t n) {
  const uint16_t got = rte_eth_rx_burst(id_, 0, pkts, n);
  for (uint16_t i = 0; i < got; ++i) rx_bytes_ += pkts[i]->pkt_len;
  rx_frames_ += got;
  return got;
}

proto::MutBytes DpdkPort::frame() {
  if (txq_.size() >= kTxQueueMax) flush();
  if (txq_.size() >= kTxQueueMax) {
    ++tx_no_room_;
    return {};
  }
  if (!cur_) cur_ = rte_pktmbuf_alloc(pool_);
  if (!cur_) {
    ++tx_no_room_;
    return {};
  }
  return proto::MutBytes(rte_pktmbuf_mtod(cur_, uint8_t*), rte_pktmbuf_tailroom(cur_));
}

void DpdkPort::send(size_t len) {
  if (!cur_) return;  // frame() gave no room
  cur_->data_len = uint16_t(len);
  cur_->pkt_len = uint32_t(len);
  txq_.push_back(cur_);
  cur_ = nullptr;
  if (txq_.size() >= 64) flush();
}

void DpdkPort::flush() {
  if (txq_.empty()) return;
  uint16_t n = uint16_t(std::min<size_t>(txq_.size(), UINT16_MAX));
  // The lengths first: the PMD may free the mbufs it takes at once.
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; ++i) bytes += txq_[i]->pkt_len;
  uint16_t sent = rte_eth_tx_burst(id_, 0, txq_.data(), n);
  if (sent == n) {
    tx_bytes_ += bytes;
  } else {
    for (uint16_t i = sent; i < n; ++i) bytes -= txq_[i]->pkt_len;
    tx_bytes_ += bytes;
  }
  tx_frames_ += sent;
  txq_.erase(txq_.begin(), txq_.begin() + sent);
}

nlohmann::json DpdkPort::counters() const {
  const rte_eth_stats ps = stats();
  return {{"backend", "dpdk"},        {"name", name_},           {"mac", mac_.str()},
          {"rx_frames", rx_frames_},  {"rx_bytes", rx_bytes_},   {"rx_multiseg", rx_multiseg_},
          {"tx_frames", tx_frames_},  {"tx_bytes", tx_bytes_},   {"tx_no_room", tx_no_room_},
          {"tx_queued", txq_.size()}, {"ipackets", ps.ipackets}, {"opackets", ps.opackets},
          {"ibytes", ps.ibytes},      {"obytes", ps.obytes},     {"imissed", ps.imissed},
          {"ierrors", ps.ierrors},    {"oerrors", ps.oerrors},   {"rx_nombuf", ps.rx_nombuf}};
}

rte_eth_stats DpdkPort::stats() const {
  rte_eth_stats s{};
  rte_eth_stats_get(id_, &s);
  return s;
}

}  // namespace bs::bench
