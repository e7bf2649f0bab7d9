#include "worker.hpp"

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "proto/arp.hpp"
#include "proto/dhcp.hpp"
#include "proto/ethernet.hpp"

namespace bs {

using proto::Bytes;
using proto::MutBytes;

namespace {

constexpr uint16_t kPxeBootServerPort = 4011;  // PXE 2.1: boot-server requests (proxyDHCP)
constexpr uint32_t kNeighbours = 4096;
// Idle back-off: poll for 2 ms after the last frame, then sleep 200 us per idle iteration;
// after 50 ms of quiet 1 ms, after 1 s 5 ms (the idle cost is measured in
// docs/BENCHMARKS.md). Under load the loop never sleeps.
constexpr uint64_t kIdleBeforeSleepUs = 2000;
constexpr uint64_t kDeepIdleUs = 50000;
constexpr uint64_t kDeeperIdleUs = 1000000;
constexpr long kIdleSleepNs = 200000;
constexpr long kDeepIdleSleepNs = 1000000;
constexpr long kDeeperIdleSleepNs = 5000000;

// A TFTP request that carries the RFC 2090 multicast option (a name, any case, NUL-terminated,
// after the file name and mode): it must reach worker 0, which runs the groups.
bool wants_multicast(const uint8_t* p, uint32_t n) {
  static constexpr char kName[] = "multicast";
  constexpr uint32_t kLen = sizeof(kName);  // with the NUL
  for (uint32_t i = 1; i + kLen <= n; ++i) {
    if (p[i - 1] != 0) continue;  // an option name starts after a NUL
    uint32_t k = 0;
    while (k < kLen - 1 && (p[i + k] | 0x20) == kName[k]) ++k;
    if (k == kLen - 1 && p[i + k] == 0) return true;
  }
  return false;
}

Bytes frame_of(const rte_mbuf* m) {
  return {rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m)};
}

uint64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

void count_unsent(rte_mbuf** pkts, uint16_t unsent, void* userdata) {
  auto* drops = static_cast<Counter*>(userdata);
  drops->add(unsent);
  rte_pktmbuf_free_bulk(pkts, unsent);
}

}  // namespace

Worker::Worker(const WorkerConfig& c, Shared& shared)
    : c_(c),
      shared_(shared),
      n_(shared.worker_counters[c.id]),
      dhcp_(*this, c.id),
      lease_feed_(shared),
      acks_(shared.worker_counters[c.id]),
      sessions_(c.tftp_port_min, c.tftp_port_max) {
  tsc_hz_ = rte_get_tsc_hz();
  // Worker 0 owns DHCP; leases are durable only with the journal's ring.
  if (shared.lease_records && c.id == 0) dhcp_.set_observer(&lease_feed_);
  timers_ = std::make_unique<Timer[]>(sessions_.capacity());
  ready_.resize(sessions_.capacity());
  queued_.assign(sessions_.capacity(), 0);
  for (uint32_t i = 0; i < sessions_.capacity(); ++i) {
    rte_timer_init(&timers_[i].tim);
    timers_[i].worker = this;
    timers_[i].index = i;
  }
  if (c.id == 0 && c.mcast.groups > 0) {
    mc_ = std::make_unique<McastSlot[]>(c.mcast.groups);
    for (uint32_t i = 0; i < c.mcast.groups; ++i) {
      rte_timer_init(&mc_[i].tim);
      mc_[i].worker = this;
      mc_[i].index = i;
    }
  }
  std::string name = "bs_neigh_" + std::to_string(c.id);
  rte_hash_parameters hp{};
  hp.name = name.c_str();
  hp.entries = kNeighbours;
  hp.key_len = sizeof(uint32_t);
  hp.socket_id = int(rte_socket_id());
  neighbours_ = rte_hash_create(&hp);
  std::string cname = "bs_tftpcli_" + std::to_string(c.id);
  rte_hash_parameters ch{};
  ch.name = cname.c_str();
  ch.entries = uint32_t(std::max<size_t>(sessions_.capacity(), 64));
  ch.key_len = sizeof(uint32_t);
  ch.socket_id = int(rte_socket_id());
  clients_ = rte_hash_create(&ch);
  tx_port_ =
      static_cast<rte_eth_dev_tx_buffer*>(rte_zmalloc("bs_txb", RTE_ETH_TX_BUFFER_SIZE(kBurst), 0));
  tx_kernel_ =
      static_cast<rte_eth_dev_tx_buffer*>(rte_zmalloc("bs_txk", RTE_ETH_TX_BUFFER_SIZE(kBurst), 0));
  if (!neighbours_ || !clients_ || !tx_port_ || !tx_kernel_) return;
  rte_eth_tx_buffer_init(tx_port_, kBurst);
  rte_eth_tx_buffer_init(tx_kernel_, kBurst);
  // Frames other than DATA (OACK, ERROR, DHCP, ARP) the port did not take wait for the next
  // iteration, ahead of DATA, instead of being dropped: a transfer's OACK must not be lost to
  // other transfers' DATA filling the queue.
  rte_eth_tx_buffer_set_err_callback(
      tx_port_,
      [](rte_mbuf** pkts, uint16_t unsent, void* self) {
        static_cast<Worker*>(self)->hold(pkts, unsent);
      },
      this);
  rte_eth_tx_buffer_set_err_callback(tx_kernel_, count_unsent, &n_.drops[unsigned(Drop::tx_full)]);
  ok_ = true;
}

Worker::~Worker() {
  // Transfers still in flight give their blobs back, so the cache can reclaim them.
  for (uint32_t i = 0; i < sessions_.capacity(); ++i) {
    tftp::Transfer* t = sessions_.at(i);
    if (t && t->active)
      static_cast<cache::Blob*>(t->user)->sessions.fetch_sub(1, std::memory_order_release);
  }
  for (uint32_t i = 0; i < sessions_.capacity(); ++i) rte_timer_stop_sync(&timers_[i].tim);
  for (uint32_t i = 0; mc_ && i < c_.mcast.groups; ++i) {
    if (mc_[i].open && mc_[i].active) mc_[i].blob->sessions.fetch_sub(1, std::memory_order_release);
    rte_timer_stop_sync(&mc_[i].tim);
  }
  rte_pktmbuf_free_bulk(held_.data(), held_count_);
  rte_hash_free(neighbours_);
  rte_hash_free(clients_);
  rte_free(tx_port_);
  rte_free(tx_kernel_);
}

uint64_t Worker::now_us() const {
  // 128-bit product: cycles * 10^6 overflows 64 bits after ~2 h of TSC uptime at 2.5 GHz.
  return uint64_t(static_cast<unsigned __int128>(rte_get_tsc_cycles()) * 1000000 / tsc_hz_);
}

Event Worker::event(EventType t, const proto::Mac& mac, proto::Ip4 ip) const {
  Event e;
  e.time_ns = realtime_ns();
  e.type = t;
  e.worker = c_.id;
  e.mac = mac;
  e.ip = ip;
  return e;
}

void Worker::emit(const Event& e) {
  if (rte_ring_enqueue_elem(shared_.events, const_cast<Event*>(&e), sizeof(Event)) != 0)
    n_.drops[unsigned(Drop::event_ring_full)].add();
  else
    queued_for_service_ = true;
}

void Worker::adopt_snapshot() {
  const snap::Snapshot* s = shared_.snapshot.load(std::memory_order_acquire);
  if (s != snapshot_) {
    snapshot_ = s;
    dhcp_.set_snapshot(s);
    if (s) dhcp_limits_.configure(s->dhcp.mac_rate, s->dhcp.rate);
    if (s && !leases_restored_ && c_.id == 0) restore_leases();
  }
}

void Worker::restore_leases() {
  leases_restored_ = true;
  if (!shared_.replayed) return;
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  const uint64_t now_unix = uint64_t(ts.tv_sec), now_s = now_us() / 1000000;
  for (const dhcp::JournalLease& j : *shared_.replayed) {
    if (!j.bound || j.expires_unix_s <= now_unix) continue;
    if (dhcp_.restore(j.mac, j.ip, now_s + (j.expires_unix_s - now_unix), kReplayedTag))
      n_.dhcp_leases_restored.add();
  }
}

void Worker::attach() {
  rte_rcu_qsbr_thread_register(shared_.rcu, c_.id);
  rte_rcu_qsbr_thread_online(shared_.rcu, c_.id);
}

void Worker::detach() {
  send_held();
  rte_eth_tx_buffer_flush(c_.port.id, c_.tx_queue, tx_port_);
  rte_eth_tx_buffer_flush(c_.exception.id, 0, tx_kernel_);
  rte_rcu_qsbr_thread_offline(shared_.rcu, c_.id);
  rte_rcu_qsbr_thread_unregister(shared_.rcu, c_.id);
}

unsigned Worker::poll_once() {
  const uint64_t start_tsc = rte_get_tsc_cycles();
  rte_rcu_qsbr_quiescent(shared_.rcu, c_.id);
  adopt_snapshot();

  rte_mbuf* pkts[kBurst];
  uint16_t nb = c_.has_rx ? rte_eth_rx_burst(c_.port.id, c_.rx_queue, pkts, kBurst) : 0;
  n_.rx_packets.add(nb);
  for (uint16_t i = 0; i < nb; ++i) {
    if (c_.workers > 1) {
      if (const unsigned o = owner(pkts[i]); o != c_.id) {
        steer(pkts[i], o);
        continue;
      }
    }
    handle_frame(pkts[i]);
  }
  if (c_.workers > 1) {
    const unsigned ns = rte_ring_dequeue_burst(shared_.steer[c_.id], reinterpret_cast<void**>(pkts),
                                               kBurst, nullptr);
    for (unsigned i = 0; i < ns; ++i) handle_frame(pkts[i]);
    nb = uint16_t(nb + ns);
  }

  uint16_t nk = c_.id == 0 ? rte_eth_rx_burst(c_.exception.id, 0, pkts, kBurst) : 0;
  n_.from_kernel.add(nk);
  for (uint16_t i = 0; i < nk; ++i) tx(pkts[i]);

  cache::FileSlot* loaded[kBurst];
  unsigned nl =
      rte_ring_dequeue_burst_elem(shared_.load_done[c_.id], loaded, sizeof(void*), kBurst, nullptr);
  for (unsigned i = 0; i < nl; ++i) on_loaded(loaded[i]);
  for (unsigned i = 0; i < nl; ++i) mc_on_loaded(loaded[i]);

  unsigned na = 0;
  if (acks_.waiting() > 0)
    na = acks_.release(shared_.journal_committed.load(std::memory_order_acquire), now_us(),
                       [this](rte_mbuf* r) { send_dhcp(r, proto::kAck); });

  if (const uint64_t tsc = rte_get_tsc_cycles(); c_.id == 0 && tsc >= next_tick_tsc_) {
    next_tick_tsc_ = tsc + tsc_hz_ / 1000;
    dhcp_.tick(now_us() / 1000000);
    if (tsc >= next_probe_tsc_) {
      next_probe_tsc_ = tsc + tsc_hz_ / 1000 * dhcp::Server::kProbeEveryMs;
      dhcp_.probe_tick(now_us() / 1000, [this](proto::Ip4 ip) { send_arp_probe(ip); });
    }
  }

  rte_timer_manage();
  send_held();
  rte_eth_tx_buffer_flush(c_.port.id, c_.tx_queue, tx_port_);
  // DATA only when the rest has left: multicast groups first (one frame serves many clients).
  const unsigned nd = held_count_ == 0 ? mc_pump() + pump() : 0;
  mc_tick();
  rte_eth_tx_buffer_flush(c_.exception.id, 0, tx_kernel_);
  if (queued_for_service_ | lease_feed_.take_queued()) {
    shared_.wake_service();
    queued_for_service_ = false;
  }
  // ACKs waiting for the journal keep the loop from sleeping: the flush takes microseconds to
  // a few milliseconds.
  const unsigned work =
      nb + nk + nl + na + nd + (acks_.waiting() > 0) + (ready_count_ > 0) + (held_count_ > 0);
  if (work > 0) n_.busy_cycles.add(rte_get_tsc_cycles() - start_tsc);
  return work;
}

int Worker::run() {
  attach();
  uint64_t last_work_us = now_us();
  while (!shared_.stop.load(std::memory_order_relaxed)) {
    unsigned work = poll_once();
    uint64_t now = now_us();
    if (work > 0) {
      last_work_us = now;
    } else if (now - last_work_us > kIdleBeforeSleepUs) {
      // Idle back-off: an idle appliance must not burn a core (or starve a VM beside it).
      rte_rcu_qsbr_thread_offline(shared_.rcu, c_.id);
      uint64_t idle = now - last_work_us;
      timespec ts{0, idle > kDeeperIdleUs ? kDeeperIdleSleepNs
                     : idle > kDeepIdleUs ? kDeepIdleSleepNs
                                          : kIdleSleepNs};
      nanosleep(&ts, nullptr);
      rte_rcu_qsbr_thread_online(shared_.rcu, c_.id);
      n_.idle_sleeps.add();
    }
  }
  detach();
  return 0;
}

void Worker::drop(rte_mbuf* m, Drop reason) {
  n_.drops[unsigned(reason)].add();
  rte_pktmbuf_free(m);
}

void Worker::tx(rte_mbuf* m) {
  n_.tx_packets.add();
  rte_eth_tx_buffer(c_.port.id, c_.tx_queue, tx_port_, m);
}

void Worker::hold(rte_mbuf** pkts, uint16_t n) {
  const uint16_t room = uint16_t(held_.size() - held_count_);
  const uint16_t keep = std::min(n, room);
  std::copy(pkts, pkts + keep, held_.data() + held_count_);
  held_count_ += keep;
  if (keep < n) {
    n_.drops[unsigned(Drop::tx_full)].add(n - keep);
    rte_pktmbuf_free_bulk(pkts + keep, n - keep);
  }
}

void Worker::send_held() {
  if (held_count_ == 0) return;
  const uint16_t sent = rte_eth_tx_burst(c_.port.id, c_.tx_queue, held_.data(), held_count_);
  std::copy(held_.data() + sent, held_.data() + held_count_, held_.data());
  held_count_ = uint16_t(held_count_ - sent);
}

unsigned Worker::owner(const rte_mbuf* m) const {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t len = rte_pktmbuf_data_len(m);
  constexpr uint32_t kEth = proto::kEthHeaderLen;
  if (len < kEth + 20 + 8 || proto::load16(p + 12) != proto::kEtherIpv4) return 0;
  const uint8_t* ip = p + kEth;
  const uint32_t ihl = (ip[0] & 0x0fu) * 4;
  if ((ip[0] >> 4) != 4 || ihl < 20 || len < kEth + ihl + 8) return 0;
  if (ip[9] != proto::kProtoUdp || (proto::load16(ip + 6) & 0x3fff) != 0) return 0;  // fragments
  if (proto::load32(ip + 16) != c_.server_ip) return 0;
  const uint16_t dport = proto::load16(ip + ihl + 2);
  if (mc_owns(dport)) return 0;  // multicast transmissions are worker 0's
  if (dport == proto::kTftpPort && wants_multicast(p + kEth + ihl + 8, len - (kEth + ihl + 8)))
    return 0;
  if (dport != proto::kTftpPort && (dport < c_.tftp_port_min || dport > c_.tftp_port_max)) return 0;
  const uint32_t h = proto::load32(ip + 12) * 2654435761u;  // Fibonacci hash of the client
  return (h >> 16) % c_.workers;
}

void Worker::steer(rte_mbuf* m, unsigned to) {
  if (rte_ring_enqueue(shared_.steer[to], m) != 0) return drop(m, Drop::steer_ring_full);
  n_.steered.add();
}

void Worker::to_kernel(rte_mbuf* m) {
  if (c_.id != 0) return steer(m, 0);  // the tap is worker 0's
  n_.to_kernel.add();
  rte_eth_tx_buffer(c_.exception.id, 0, tx_kernel_, m);
}

void Worker::learn(proto::Ip4 ip, const proto::Mac& mac) {
  if (ip == 0 || mac.is_zero() || mac.is_broadcast()) return;
  rte_hash_add_key_data(neighbours_, &ip, reinterpret_cast<void*>(uintptr_t(mac.key())));
}

bool Worker::neighbour(proto::Ip4 ip, proto::Mac& out) const {
  void* data = nullptr;
  if (rte_hash_lookup_data(neighbours_, &ip, &data) < 0) return false;
  uint64_t k = uintptr_t(data);
  for (int i = 5; i >= 0; --i, k >>= 8) out.b[size_t(i)] = uint8_t(k);
  return true;
}

void Worker::handle_frame(rte_mbuf* m) {
  Bytes frame = frame_of(m);
  auto eth = proto::parse_eth(frame);
  if (!eth) return drop(m, eth.error());
  bool for_us = eth->dst == c_.port.mac || (eth->dst.b[0] & 1);  // ours, broadcast or multicast
  if (!for_us) return drop(m, Drop::eth_not_for_us);
  if (eth->vlan != 0) return to_kernel(m);  // tagged traffic is not served by the dataplane
  if (eth->type == proto::kEtherArp) return handle_arp(m, *eth);
  if (eth->type != proto::kEtherIpv4) return to_kernel(m);

  auto ip = proto::parse_ipv4(frame.subspan(eth->header_len));
  if (!ip) return drop(m, ip.error());
  if (ip->proto != proto::kProtoUdp || ip->is_fragment()) return to_kernel(m);
  auto f = proto::parse_udp_frame(frame);
  if (!f) return drop(m, f.error());

  const uint16_t dport = f->udp.dport;
  if (dport == proto::kDhcpServerPort && (ip->dst == c_.server_ip || ip->dst == 0xffffffffu))
    return handle_dhcp(m, *f);
  if (ip->dst == c_.server_ip) {
    if (dport == kPxeBootServerPort) return handle_dhcp(m, *f);
    if (dport == proto::kTftpPort) return handle_tftp_request(m, *f);
    if (mc_owns(dport)) return handle_mcast_session(m, *f);
    if (dport >= c_.tftp_port_min && dport <= c_.tftp_port_max) return handle_tftp_session(m, *f);
  }
  to_kernel(m);
}

void Worker::handle_arp(rte_mbuf* m, const proto::EthHeader& eth) {
  auto arp = proto::parse_arp(frame_of(m).subspan(eth.header_len));
  if (!arp) return drop(m, arp.error());
  learn(arp->spa, arp->sha);
  if (dhcp_.arp_seen(arp->spa, arp->sha, now_us() / 1000000)) n_.dhcp_conflicts.add();
  if (arp->op == proto::kArpRequest && arp->tpa == c_.server_ip) {
    // Answer in place: the dataplane owns ARP for the appliance address.
    proto::Arp reply{proto::kArpReply, c_.port.mac, c_.server_ip, arp->sha, arp->spa};
    uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
    proto::write_eth(MutBytes(p, proto::kEthHeaderLen), arp->sha, c_.port.mac, proto::kEtherArp);
    proto::write_arp(MutBytes(p + proto::kEthHeaderLen, proto::kArpLen), reply);
    rte_pktmbuf_data_len(m) = proto::kEthHeaderLen + proto::kArpLen;
    rte_pktmbuf_pkt_len(m) = proto::kEthHeaderLen + proto::kArpLen;
    n_.arp_replies.add();
    return tx(m);
  }
  if (arp->op == proto::kArpReply) return to_kernel(m);  // the kernel side may be resolving
  rte_pktmbuf_free(m);  // requests for other addresses: not ours to answer
}

void Worker::send_arp_probe(proto::Ip4 ip) {
  // RFC 5227: who-has ip, from our MAC and no sender address, so no cache learns from it.
  rte_mbuf* m = rte_pktmbuf_alloc(c_.pool);
  if (!m) {
    n_.drops[unsigned(Drop::no_mbuf)].add();
    return;
  }
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  proto::Mac bcast;
  bcast.b.fill(0xff);
  proto::Arp probe{proto::kArpRequest, c_.port.mac, 0, proto::Mac{}, ip};
  proto::write_eth(MutBytes(p, proto::kEthHeaderLen), bcast, c_.port.mac, proto::kEtherArp);
  proto::write_arp(MutBytes(p + proto::kEthHeaderLen, proto::kArpLen), probe);
  m->data_len = proto::kEthHeaderLen + proto::kArpLen;
  m->pkt_len = m->data_len;
  n_.dhcp_probes.add();
  tx(m);
}

void Worker::send_udp(const proto::UdpAddr& a, Bytes head, Bytes tail) {
  rte_mbuf* r = rte_pktmbuf_alloc(c_.pool);
  if (!r) {
    n_.drops[unsigned(Drop::no_mbuf)].add();
    return;
  }
  size_t payload = head.size() + tail.size();
  uint8_t* p = rte_pktmbuf_mtod(r, uint8_t*);
  if (proto::kEthIpUdpLen + payload > rte_pktmbuf_tailroom(r)) {
    rte_pktmbuf_free(r);
    n_.drops[unsigned(Drop::tx_full)].add();
    return;
  }
  uint8_t* body = p + proto::kEthIpUdpLen;
  if (!head.empty()) std::memcpy(body, head.data(), head.size());
  if (!tail.empty()) std::memcpy(body + head.size(), tail.data(), tail.size());
  uint32_t sum = proto::csum_partial(Bytes(body, payload));
  proto::write_udp_headers(MutBytes(p, proto::kEthIpUdpLen), a, uint16_t(payload), sum, ip_id_++);
  r->data_len = uint16_t(proto::kEthIpUdpLen + payload);
  r->pkt_len = r->data_len;
  tx(r);
}

void Worker::handle_dhcp(rte_mbuf* m, const proto::UdpFrame& f) {
  auto msg = proto::parse_dhcp(f.payload);
  if (!msg) return drop(m, msg.error());
  const uint64_t now = now_us();
  switch (dhcp_limits_.allow(msg->chaddr, dhcp_.leases().host(msg->chaddr) != nullptr, now)) {
    case dhcp::RateLimiter::Verdict::over_mac:
      return drop(m, Drop::dhcp_rate_mac);
    case dhcp::RateLimiter::Verdict::over_global:
      return drop(m, Drop::dhcp_rate_global);
    case dhcp::RateLimiter::Verdict::ok:
      break;
  }
  n_.dhcp_requests.add();
  switch (msg->type) {
    case proto::kDiscover:
      n_.dhcp_discover.add();
      break;
    case proto::kRequest:
      n_.dhcp_request.add();
      break;
    case proto::kRelease:
      n_.dhcp_release.add();
      break;
    case proto::kDecline:
      n_.dhcp_decline.add();
      break;
    case proto::kInform:
      n_.dhcp_inform.add();
      break;
    default:
      break;
  }
  rte_mbuf* r = rte_pktmbuf_alloc(c_.pool);
  if (!r) return drop(m, Drop::no_mbuf);
  uint8_t* p = rte_pktmbuf_mtod(r, uint8_t*);
  size_t room = std::min<size_t>(rte_pktmbuf_tailroom(r), c_.port.mtu + proto::kEthHeaderLen);
  MutBytes out(p + proto::kEthIpUdpLen, room - proto::kEthIpUdpLen);
  uint64_t now_s = now / 1000000;
  const bool boot_server = f.udp.dport == kPxeBootServerPort;
  dhcp::Outcome o = boot_server ? dhcp_.boot_server(*msg, f.ip.src, out)
                                : dhcp_.handle(*msg, f.ip.src, now_s, out);
  if (o.len == 0) {
    rte_pktmbuf_free(r);
    if (o.drop != Drop::none) return drop(m, o.drop);
    return rte_pktmbuf_free(m);  // handled, nothing to answer (RELEASE, DECLINE)
  }
  proto::UdpAddr a;
  a.src_mac = c_.port.mac;
  a.dst_mac = o.to.dst_mac;
  if (boot_server)
    a.dst_mac = f.eth.src;  // back where the request came from, port and all
  else if (a.dst_mac.is_zero() && !neighbour(o.to.dst_ip, a.dst_mac))
    a.dst_mac = f.eth.src;  // a relay: its frame came from it
  a.src_ip = c_.server_ip;
  a.dst_ip = o.to.dst_ip;
  a.sport = boot_server ? kPxeBootServerPort : proto::kDhcpServerPort;
  a.dport = boot_server ? f.udp.sport : o.to.dst_port;
  uint32_t sum = proto::csum_partial(Bytes(out.data(), o.len));
  proto::write_udp_headers(MutBytes(p, proto::kEthIpUdpLen), a, uint16_t(o.len), sum, ip_id_++);
  r->data_len = uint16_t(proto::kEthIpUdpLen + o.len);
  r->pkt_len = r->data_len;
  rte_pktmbuf_free(m);
  if (o.wait_tag > shared_.journal_committed.load(std::memory_order_acquire)) {
    acks_.hold(r, o.wait_tag, now);
    return;
  }
  send_dhcp(r, o.type);
}

void Worker::send_dhcp(rte_mbuf* r, uint8_t type) {
  n_.dhcp_replies.add();
  if (type == proto::kOffer) n_.dhcp_offers.add();
  if (type == proto::kAck) n_.dhcp_acks.add();
  if (type == proto::kNak) n_.dhcp_naks.add();
  tx(r);
}

}  // namespace bs
