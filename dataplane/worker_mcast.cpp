// The worker's multicast TFTP (worker.hpp): RFC 2090 groups and PXE MTFTP transfers. Worker 0
// serves them all (owner() steers their frames there), one slot per group port; the stream
// logic is tftp::McastGroup's.
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <algorithm>
#include <cstring>

#include "proto/ethernet.hpp"
#include "proto/ipv4.hpp"
#include "worker.hpp"

namespace bs {

using proto::Bytes;
using proto::MutBytes;

namespace {

constexpr unsigned kMcastQuantum = 32;            // DATA blocks per group per poll iteration
constexpr uint64_t kIgmpQueryEveryUs = 60000000;  // general queries while groups are open
constexpr uint8_t kIgmpQuery = 0x11, kIgmpReportV2 = 0x16, kIgmpLeave = 0x17;
constexpr proto::Ip4 kAllHosts = 0xe0000001, kAllRouters = 0xe0000002;

proto::Mac group_mac(proto::Ip4 g) {  // RFC 1112 6.4: 01:00:5e + the low 23 bits
  return proto::Mac{{0x01, 0x00, 0x5e, uint8_t((g >> 16) & 0x7f), uint8_t(g >> 8), uint8_t(g)}};
}

uint16_t negotiated_blksize(const proto::TftpOptions& o, const tftp::Limits& lim) {
  if (!o.blksize) return proto::kTftpDefaultBlksize;
  return std::max(std::min(*o.blksize, lim.max_blksize), proto::kTftpMinBlksize);
}

}  // namespace

void Worker::mc_timer_cb(rte_timer*, void* arg) {
  auto* g = static_cast<McastSlot*>(arg);
  g->worker->mc_on_timer(*g);
}

bool Worker::mc_request(const tftp::Peer& peer, const proto::TftpPath& path,
                        const proto::TftpOptions& options, cache::FileSlot* slot) {
  if (!c_.mcast.enabled || !mc_) return false;
  const uint16_t blksize = negotiated_blksize(options, c_.limits);
  cache::Blob* blob = slot->blob.load(std::memory_order_acquire);
  if (blob && blob->size / blksize + 1 > tftp::kMaxBlocks) return false;
  PendingJoin j{peer, options};
  j.options.multicast.reset();
  // The file's group for this block size, if one is running (or loading).
  for (uint32_t i = 0; i < c_.mcast.groups; ++i) {
    McastSlot& g = mc_[i];
    if (g.open && !g.pxe && g.blksize == blksize && g.path.view() == path.view()) {
      n_.tftp_requests_mcast.add();
      if (g.active)
        mc_join(g, j);
      else
        g.pending.push_back(j);
      return true;
    }
  }
  // A new group, on a port the PXE MTFTP files do not use.
  const snap::Snapshot* s = snapshot_;
  for (uint32_t i = 0; i < c_.mcast.groups; ++i) {
    const uint16_t port = uint16_t(c_.mcast.port_min + i);
    if (mc_[i].open) continue;
    bool mtftp = false;
    if (s)
      for (const snap::MtftpFile& f : s->mtftp) mtftp |= f.client_port == port;
    if (mtftp) continue;
    McastSlot* g = mc_open(i, c_.mcast.first + i, path, blksize, false, slot);
    if (!g) return false;
    n_.tftp_requests_mcast.add();
    if (g->active)
      mc_join(*g, j);
    else
      g->pending.push_back(j);
    return true;
  }
  return false;  // every group busy: unicast
}

void Worker::handle_mtftp_request(rte_mbuf* m, const proto::UdpFrame& f) {
  auto pkt = proto::parse_tftp(f.payload);
  if (!pkt) return drop(m, pkt.error());
  if (pkt->op != proto::TftpOp::rrq) return drop(m, Drop::tftp_opcode);
  n_.tftp_requests.add();
  const tftp::Peer peer{f.eth.src, f.ip.src, f.udp.sport};
  auto refuse = [&](uint16_t code, std::string_view msg) {
    send_tftp_error(peer.mac, peer.ip, c_.mcast.mtftp_port, peer.port, code, msg);
    rte_pktmbuf_free(m);
  };
  proto::TftpPath path;
  const proto::PathError perr = proto::sanitize_tftp_path(pkt->filename, path);
  if (perr != proto::PathError::none)
    return refuse(proto::kErrAccess, proto::path_error_text(perr));
  const snap::MtftpFile* mf = snapshot_ ? snapshot_->find_mtftp(path.view()) : nullptr;
  const uint32_t index = mf ? uint32_t(mf->client_port - c_.mcast.port_min) : 0;
  if (!mf || mf->client_port < c_.mcast.port_min || index >= c_.mcast.groups)
    return refuse(proto::kErrNotFound, "not served by MTFTP");
  McastSlot& g = mc_[index];
  if (g.open) {
    // PXE 2.1: the file is on its way to the group already; the client listens instead.
    n_.tftp_mtftp_ignored.add();
    rte_pktmbuf_free(m);
    return;
  }
  const cache::FileIndex* fi = shared_.files->index();
  cache::FileSlot* slot = fi ? fi->find(path.view()) : nullptr;
  if (!slot) {
    n_.tftp_misses.add();
    return refuse(proto::kErrNotFound, "File not found");
  }
  slot->last_used_tsc.store(rte_get_tsc_cycles(), std::memory_order_relaxed);
  cache::Blob* blob = slot->blob.load(std::memory_order_acquire);
  if (blob && blob->size / proto::kTftpDefaultBlksize + 1 > tftp::kMaxBlocks)
    return refuse(proto::kErrUndefined, "file too large for MTFTP (65535 blocks of 512 bytes)");
  McastSlot* s = mc_open(index, mf->group, path, proto::kTftpDefaultBlksize, true, slot);
  if (!s) return refuse(proto::kErrUndefined, "server busy, try again");
  n_.tftp_requests_mcast.add();
  const PendingJoin j{peer, {}};
  if (s->active)
    mc_join(*s, j);
  else
    s->pending.push_back(j);
  rte_pktmbuf_free(m);
}

Worker::McastSlot* Worker::mc_open(uint32_t index, proto::Ip4 addr, const proto::TftpPath& path,
                                   uint16_t blksize, bool pxe, cache::FileSlot* slot) {
  McastSlot& g = mc_[index];
  g.open = true;
  g.active = false;
  g.pxe = pxe;
  g.addr = addr;
  g.port = uint16_t(c_.mcast.port_min + index);
  g.blksize = blksize;
  g.path = path;
  g.file_slot = slot;
  g.blob = nullptr;
  g.pending.clear();
  g.start_us = now_us();
  ++mc_open_;
  n_.tftp_mcast_groups.add();
  if (c_.mcast.igmp == McastConfig::Igmp::report) send_igmp(kIgmpReportV2, g.addr, g.addr);
  if (c_.mcast.igmp == McastConfig::Igmp::query && mc_open_ == 1) next_igmp_us_ = 0;
  cache::Blob* blob = slot->blob.load(std::memory_order_acquire);
  if (blob) {
    mc_start(g, blob);
    return &g;
  }
  if (slot->state.load(std::memory_order_acquire) != cache::SlotState::loading) {
    queued_for_service_ = true;
    if (rte_ring_enqueue_elem(shared_.load_req, &slot, sizeof(void*)) != 0) {
      --mc_open_;
      g.open = false;
      return nullptr;
    }
  }
  g.armed_us = now_us() + uint64_t(c_.load_timeout_ms) * 1000;
  rte_timer_reset(&g.tim, uint64_t(c_.load_timeout_ms) * tsc_hz_ / 1000, SINGLE, rte_lcore_id(),
                  mc_timer_cb, &g);
  return &g;
}

void Worker::mc_start(McastSlot& g, cache::Blob* blob) {
  blob->sessions.fetch_add(1, std::memory_order_relaxed);
  g.blob = blob;
  g.active = true;
  g.group.start(tftp::File{blob->data, blob->size}, g.blksize, g.pxe, c_.limits);
  std::vector<PendingJoin> pending;
  pending.swap(g.pending);
  for (const PendingJoin& j : pending) mc_join(g, j);
}

void Worker::mc_join(McastSlot& g, const PendingJoin& j) {
  proto::TftpOack o;
  if (!g.pxe) {
    if (j.options.blksize) o.blksize = g.blksize;
    if (j.options.tsize && g.blob->size > 0) o.tsize = g.blob->size;
    if (j.options.windowsize && c_.limits.max_windowsize > 0)
      o.windowsize =
          std::max<uint16_t>(1, std::min(*j.options.windowsize, c_.limits.max_windowsize));
  }
  const size_t before = g.group.members();
  const tftp::Member* m = g.group.join(j.peer, o.windowsize.value_or(1), o, now_us());
  if (g.group.members() > before) {
    n_.tftp_mcast_members.add();
    Event e = event(EventType::tftp_start, j.peer.mac, j.peer.ip);
    e.port = j.peer.port;
    e.bytes = g.blob->size;
    e.set_text(g.path.view());
    emit(e);
  }
  if (!g.pxe) mc_send_oack(g, *m, g.group.is_master(m));
  mc_arm(g);
}

void Worker::mc_send_oack(McastSlot& g, const tftp::Member& m, bool master) {
  proto::TftpOack o = m.oack;
  o.multicast = proto::TftpMulticast{g.addr, g.port, master};
  uint8_t buf[256];
  const size_t n = proto::write_tftp_oack(MutBytes(buf, sizeof(buf)), o);
  const proto::UdpAddr a{c_.port.mac, m.peer.mac, c_.server_ip, m.peer.ip, g.port, m.peer.port};
  send_udp(a, Bytes(buf, n), {});
}

void Worker::mc_apply(McastSlot& g, const tftp::McastOut& out) {
  auto log = [&](const tftp::Peer& p, EventType ev, uint16_t code) {
    Event e = event(ev, p.mac, p.ip);
    e.port = p.port;
    e.code = code;
    e.set_text(g.path.view());
    e.bytes = ev == EventType::tftp_done ? g.blob->size : 0;
    emit(e);
  };
  if (out.done) {
    n_.tftp_mcast_done.add();
    n_.tftp_done.add();
    log(*out.done, EventType::tftp_done, 0);
  }
  if (out.dropped) {
    n_.tftp_mcast_failed.add();
    n_.tftp_failed.add();
    send_tftp_error(out.dropped->mac, out.dropped->ip, g.port, out.dropped->port,
                    proto::kErrUndefined, "timed out waiting for an acknowledgement");
    log(*out.dropped, EventType::tftp_failed, proto::kErrUndefined);
  }
  if (out.listener)  // told to listen: it is not (or no longer) the master
    if (const tftp::Member* l = g.group.member(*out.listener)) mc_send_oack(g, *l, false);
  if (out.demoted) n_.tftp_mcast_demotions.add();
  if (out.oack_master && g.group.master()) {
    n_.tftp_mcast_promotions.add();
    mc_send_oack(g, *g.group.master(), true);
  }
  if (out.empty) return mc_close(g);
  mc_arm(g);
}

void Worker::mc_close(McastSlot& g) {
  rte_timer_stop(&g.tim);
  g.armed_us = 0;
  if (g.active) g.blob->sessions.fetch_sub(1, std::memory_order_release);
  if (c_.mcast.igmp == McastConfig::Igmp::report) send_igmp(kIgmpLeave, g.addr, kAllRouters);
  g.blob = nullptr;
  g.active = false;
  g.open = false;
  g.pending.clear();
  --mc_open_;
}

void Worker::mc_arm(McastSlot& g) {
  const uint64_t d = g.group.deadline_us();
  if (d == 0) return;
  if (rte_timer_pending(&g.tim) && d >= g.armed_us) return;  // lazy, as arm_session
  const uint64_t now = now_us();
  g.armed_us = d;
  rte_timer_reset(&g.tim, (d > now ? d - now : 0) * tsc_hz_ / 1000000, SINGLE, rte_lcore_id(),
                  mc_timer_cb, &g);
}

void Worker::mc_on_timer(McastSlot& g) {
  g.armed_us = 0;
  if (!g.open) return;
  if (!g.active) {  // the loader did not deliver in time
    for (const PendingJoin& j : g.pending)
      send_tftp_error(j.peer.mac, j.peer.ip, g.pxe ? c_.mcast.mtftp_port : uint16_t(g.port),
                      j.peer.port, proto::kErrUndefined, "file could not be loaded in time");
    n_.tftp_failed.add(g.pending.size());
    return mc_close(g);
  }
  const uint64_t now = now_us(), d = g.group.deadline_us();
  if (d == 0) return;
  if (now < d) return mc_arm(g);
  mc_apply(g, g.group.on_timeout(now));
}

void Worker::mc_on_loaded(cache::FileSlot* slot) {
  if (!mc_) return;
  for (uint32_t i = 0; i < c_.mcast.groups; ++i) {
    McastSlot& g = mc_[i];
    if (!g.open || g.active || g.file_slot != slot) continue;
    rte_timer_stop(&g.tim);
    cache::Blob* blob = slot->blob.load(std::memory_order_acquire);
    std::vector<PendingJoin> pending;
    if (!blob || blob->size / g.blksize + 1 > tftp::kMaxBlocks) {
      // Not loadable, or too large for a group: each request is served (or refused) unicast.
      pending.swap(g.pending);
      mc_close(g);
      for (const PendingJoin& j : pending) {
        if (g.pxe) {
          send_tftp_error(j.peer.mac, j.peer.ip, c_.mcast.mtftp_port, j.peer.port,
                          proto::kErrUndefined, blob ? "file too large for MTFTP" : "read error");
          continue;
        }
        open_transfer(j.peer, g.path, j.options, false, slot);
      }
      continue;
    }
    mc_start(g, blob);
  }
}

void Worker::handle_mcast_session(rte_mbuf* m, const proto::UdpFrame& f) {
  if (!mc_) return drop(m, Drop::tftp_no_session);  // steered to worker 0: not reached
  const uint16_t dport = f.udp.dport;
  if (dport == c_.mcast.mtftp_port) return handle_mtftp_request(m, f);
  McastSlot& g = mc_[dport - c_.mcast.port_min];
  if (!g.open || !g.active) {
    send_tftp_error(f.eth.src, f.ip.src, dport, f.udp.sport, proto::kErrUnknownTid,
                    "unknown transfer ID");
    return drop(m, Drop::tftp_no_session);
  }
  auto pkt = proto::parse_tftp(f.payload);
  if (!pkt) return drop(m, pkt.error());
  const tftp::Peer from{f.eth.src, f.ip.src, f.udp.sport};
  std::optional<tftp::McastOut> out;
  if (pkt->op == proto::TftpOp::ack) {
    out = g.group.on_ack(from, pkt->block, now_us());
  } else if (pkt->op == proto::TftpOp::error) {
    out = g.group.leave(from, now_us());
    if (out) {
      n_.tftp_failed.add();
      Event e = event(EventType::tftp_failed, from.mac, from.ip);
      e.port = from.port;
      e.code = pkt->error_code;
      e.set_text(g.path.view());
      emit(e);
    }
  } else {
    return drop(m, Drop::tftp_opcode);
  }
  if (!out) return drop(m, Drop::tftp_wrong_peer);  // not a member
  rte_pktmbuf_free(m);
  mc_apply(g, *out);
}

unsigned Worker::mc_pump() {
  if (mc_open_ == 0) return 0;
  unsigned frames = 0;
  for (uint32_t i = 0; i < c_.mcast.groups; ++i) {
    McastSlot& g = mc_[i];
    if (!g.open || !g.active || !g.group.has_pending()) continue;
    rte_mbuf* burst[kMcastQuantum + 1];
    uint64_t block[kMcastQuantum + 1];  // 0: the unicast copy of block 1
    uint16_t n = 0;
    const uint64_t first = g.group.next_block();
    const uint64_t last = std::min(g.group.window_end(), first + kMcastQuantum - 1);
    const tftp::File& file = g.group.file();
    // PXE MTFTP: block 1 also to the client that opened the transfer, ahead of the group's copy
    // (atftp's client takes group DATA before its own block 1 for someone else's transfer).
    if (g.pxe && first == 1 && g.group.master()) {
      const tftp::Peer& p = g.group.master()->peer;
      const proto::UdpAddr to_peer{c_.port.mac, p.mac, c_.server_ip, p.ip, g.port, p.port};
      if (rte_mbuf* u = data_frame(to_peer, g.blob, file.data, 0, g.group.length(1), 1, 64)) {
        burst[n] = u;
        block[n++] = 0;
      }
    }
    const proto::UdpAddr to_group{c_.port.mac, group_mac(g.addr), c_.server_ip, g.addr, g.port,
                                  g.port};
    for (uint64_t b = first; b <= last; ++b) {
      rte_mbuf* mb = data_frame(to_group, g.blob, file.data, g.group.offset(b), g.group.length(b),
                                tftp::Session::wire(b), c_.mcast.ttl);
      if (!mb) break;
      burst[n] = mb;
      block[n++] = b;
    }
    if (n == 0) break;
    const uint16_t sent = rte_eth_tx_burst(c_.port.id, c_.tx_queue, burst, n);
    const uint64_t now = now_us();
    for (uint16_t k = 0; k < sent; ++k) {
      const uint16_t len = g.group.length(block[k] ? block[k] : 1);
      n_.tftp_data_bytes.add(len);
      if (block[k] == 0) continue;
      if (g.group.sent(block[k], now)) {
        n_.tftp_mcast_repair_bytes.add(len);
        n_.tftp_retransmits.add();
      }
      n_.tftp_mcast_data_bytes.add(len);
    }
    n_.tx_packets.add(sent);
    n_.tftp_data_frames.add(sent);
    frames += sent;
    if (sent < n) {
      n_.tftp_tx_deferred.add(n - sent);
      rte_pktmbuf_free_bulk(burst + sent, n - sent);
    }
    mc_arm(g);
  }
  return frames;
}

void Worker::mc_tick() {
  if (c_.mcast.igmp != McastConfig::Igmp::query || mc_open_ == 0) return;
  const uint64_t now = now_us();
  if (now < next_igmp_us_) return;
  next_igmp_us_ = now + kIgmpQueryEveryUs;
  send_igmp(kIgmpQuery, 0, kAllHosts);
}

void Worker::send_igmp(uint8_t type, proto::Ip4 group, proto::Ip4 dst) {
  // IGMPv2 (RFC 2236): IPv4 with the Router Alert option (RFC 2113), TTL 1, 8-byte message.
  rte_mbuf* m = rte_pktmbuf_alloc(c_.pool);
  if (!m) {
    n_.drops[unsigned(Drop::no_mbuf)].add();
    return;
  }
  constexpr size_t kIp = 24, kIgmp = 8;
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  proto::write_eth(MutBytes(p, proto::kEthHeaderLen), group_mac(dst), c_.port.mac,
                   proto::kEtherIpv4);
  uint8_t* ip = p + proto::kEthHeaderLen;
  const uint8_t hdr[kIp] = {0x46,
                            0xc0,
                            0,
                            kIp + kIgmp,
                            uint8_t(ip_id_ >> 8),
                            uint8_t(ip_id_),
                            0,
                            0,
                            1,
                            2,
                            0,
                            0,
                            uint8_t(c_.server_ip >> 24),
                            uint8_t(c_.server_ip >> 16),
                            uint8_t(c_.server_ip >> 8),
                            uint8_t(c_.server_ip),
                            uint8_t(dst >> 24),
                            uint8_t(dst >> 16),
                            uint8_t(dst >> 8),
                            uint8_t(dst),
                            0x94,
                            0x04,
                            0,
                            0};
  ++ip_id_;
  std::memcpy(ip, hdr, kIp);
  proto::store16(ip + 10, proto::csum_fold(proto::csum_partial(Bytes(ip, kIp))));
  uint8_t* g = ip + kIp;
  const uint8_t msg[kIgmp] = {type,
                              uint8_t(type == kIgmpQuery ? 100 : 0),
                              0,
                              0,
                              uint8_t(group >> 24),
                              uint8_t(group >> 16),
                              uint8_t(group >> 8),
                              uint8_t(group)};
  std::memcpy(g, msg, kIgmp);
  proto::store16(g + 2, proto::csum_fold(proto::csum_partial(Bytes(g, kIgmp))));
  m->data_len = uint16_t(proto::kEthHeaderLen + kIp + kIgmp);
  m->pkt_len = m->data_len;
  n_.igmp_sent.add();
  tx(m);
}

}  // namespace bs
