// The worker's TFTP: requests, transfers, the DATA pump and its timers (worker.hpp).
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <new>

#include "proto/netascii.hpp"
#include "proto/tftp_path.hpp"
#include "worker.hpp"

namespace bs {

using proto::Bytes;
using proto::MutBytes;

namespace {

// DATA transmission: a transfer gets at most kQuantum blocks per turn of the round robin, and one
// poll iteration sends at most kMaxDataBursts bursts, so receiving keeps its share of the loop.
constexpr unsigned kQuantum = 16;
constexpr unsigned kMaxDataBursts = 8;

bool mode_ok(std::string_view mode) {
  auto eq = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
    return true;
  };
  return eq(mode, "octet") || eq(mode, "netascii");
}

bool is_netascii(std::string_view mode) {
  return mode.size() == 8 && (mode[0] | 0x20) == 'n';
}

}  // namespace

void Worker::send_tftp_error(const proto::Mac& mac, proto::Ip4 ip, uint16_t sport, uint16_t dport,
                             uint16_t code, std::string_view msg) {
  uint8_t buf[4 + 128 + 1];
  size_t n = proto::write_tftp_error(MutBytes(buf, sizeof(buf)), code,
                                     msg.substr(0, std::min<size_t>(msg.size(), 128)));
  proto::UdpAddr a{c_.port.mac, mac, c_.server_ip, ip, sport, dport};
  send_udp(a, Bytes(buf, n), {});
}

void Worker::handle_tftp_request(rte_mbuf* m, const proto::UdpFrame& f) {
  auto pkt = proto::parse_tftp(f.payload);
  if (!pkt) return drop(m, pkt.error());
  const proto::Mac peer_mac = f.eth.src;
  const proto::Ip4 peer_ip = f.ip.src;
  const uint16_t peer_port = f.udp.sport;
  auto reply_error = [&](uint16_t code, std::string_view msg) {
    send_tftp_error(peer_mac, peer_ip, proto::kTftpPort, peer_port, code, msg);
  };
  // A request answered with an ERROR at once: an event for the log, the ERROR, the frame freed.
  auto refuse = [&](EventType ev, uint16_t code, std::string_view file, std::string_view msg) {
    Event e = event(ev, peer_mac, peer_ip);
    e.port = peer_port;
    e.code = code;
    e.set_text(file);
    emit(e);
    reply_error(code, msg);
    rte_pktmbuf_free(m);
  };
  if (pkt->op == proto::TftpOp::wrq)
    return refuse(EventType::tftp_denied, proto::kErrIllegalOp, pkt->filename,
                  "write requests are not served: read-only appliance");
  if (pkt->op != proto::TftpOp::rrq) return drop(m, Drop::tftp_opcode);
  n_.tftp_requests.add();

  proto::TftpPath path;
  proto::PathError perr = proto::sanitize_tftp_path(pkt->filename, path);
  if (perr != proto::PathError::none)
    return refuse(EventType::tftp_denied, proto::kErrAccess, pkt->filename,
                  proto::path_error_text(perr));
  if (!mode_ok(pkt->mode))
    return refuse(EventType::tftp_denied, proto::kErrIllegalOp, pkt->filename,
                  "unsupported transfer mode");
  const cache::FileIndex* index = shared_.files->index();
  cache::FileSlot* slot = index ? index->find(path.view()) : nullptr;
  if (!slot) {
    // PXELINUX's config search misses several times per boot: answered from the index alone.
    n_.tftp_misses.add();
    return refuse(EventType::tftp_miss, proto::kErrNotFound, path.view(), "File not found");
  }
  slot->last_used_tsc.store(rte_get_tsc_cycles(), std::memory_order_relaxed);
  const tftp::Peer peer{peer_mac, peer_ip, peer_port};
  const bool netascii = is_netascii(pkt->mode);
  // RFC 2090: joins (or opens) the file's group; netascii, and what a group cannot carry, is
  // served unicast (the option is then simply not acknowledged).
  if (pkt->options.multicast && !netascii && mc_request(peer, path, pkt->options, slot)) {
    rte_pktmbuf_free(m);
    return;
  }
  if (const Drop d = open_transfer(peer, path, pkt->options, netascii, slot); d != Drop::none)
    return drop(m, d);
  rte_pktmbuf_free(m);
}

Drop Worker::open_transfer(const tftp::Peer& peer, const proto::TftpPath& path,
                           const proto::TftpOptions& options, bool netascii,
                           cache::FileSlot* slot) {
  auto reply_error = [&](std::string_view msg) {
    send_tftp_error(peer.mac, peer.ip, proto::kTftpPort, peer.port, proto::kErrUndefined, msg);
  };
  const uint64_t now = now_us();
  if (c_.max_sessions != 0 && sessions_.size() >= c_.max_sessions) {
    reply_error("server busy, try again");
    return Drop::tftp_sessions_full;
  }
  if (!client_open(peer.ip)) {
    reply_error("too many transfers from this address, try again");
    return Drop::tftp_client_sessions;
  }
  tftp::Transfer* t = sessions_.open(now);
  if (!t) {
    client_close(peer.ip);
    reply_error("server busy, try again");
    return Drop::tftp_sessions_full;
  }
  t->peer = peer;
  t->path = path;
  t->options = options;
  t->options.multicast.reset();
  t->netascii = netascii;
  t->start_us = now;

  cache::Blob* blob = slot->blob.load(std::memory_order_acquire);
  if (blob) {
    activate(t, blob);
    return Drop::none;
  }
  // Not in memory yet: the loader fetches it while this worker serves other sessions.
  t->user = slot;
  t->active = false;
  if (slot->state.load(std::memory_order_acquire) != cache::SlotState::loading) {
    queued_for_service_ = true;
    if (rte_ring_enqueue_elem(shared_.load_req, &slot, sizeof(void*)) != 0) {
      fail_transfer(t, proto::kErrUndefined, "server busy, try again", EventType::tftp_failed);
      return Drop::none;
    }
  }
  arm(t, now + uint64_t(c_.load_timeout_ms) * 1000);
  return Drop::none;
}

void Worker::activate(tftp::Transfer* t, cache::Blob* blob) {
  blob->sessions.fetch_add(1, std::memory_order_relaxed);
  t->user = blob;
  t->active = true;
  n_.tftp_started.add();
  Event e = event(EventType::tftp_start, t->peer.mac, t->peer.ip);
  e.port = t->peer.port;
  e.bytes = blob->size;
  e.set_text(t->path.view());
  emit(e);
  tftp::File file{blob->data, blob->size};
  if (t->netascii) {
    // Converted per transfer (netascii is for small text files; the limit bounds the memory).
    const uint64_t size = proto::netascii_size(proto::Bytes(blob->data, blob->size));
    if (size > c_.netascii_max) {
      n_.drops[unsigned(Drop::tftp_netascii_too_large)].add();
      return fail_transfer(t, proto::kErrUndefined, "file too large for netascii, use octet",
                           EventType::tftp_failed);
    }
    t->converted.reset(new (std::nothrow) uint8_t[size ? size : 1]);
    if (!t->converted)
      return fail_transfer(t, proto::kErrUndefined, "out of memory", EventType::tftp_failed);
    proto::netascii_encode(proto::Bytes(blob->data, blob->size),
                           proto::MutBytes(t->converted.get(), size));
    file = {t->converted.get(), size};
  }
  act(t, t->session.start(t->options, file, c_.limits, now_us()));
}

void Worker::act(tftp::Transfer* t, tftp::Step step) {
  switch (step) {
    case tftp::Step::none:
      return;
    case tftp::Step::send_oack: {
      const proto::UdpAddr a{c_.port.mac, t->peer.mac,   c_.server_ip,
                             t->peer.ip,  t->local_port, t->peer.port};
      uint8_t buf[256];
      size_t n = proto::write_tftp_oack(MutBytes(buf, sizeof(buf)), t->session.oack());
      send_udp(a, Bytes(buf, n), {});
      break;
    }
    case tftp::Step::send_data:
      schedule(t);
      break;
    case tftp::Step::done:
      n_.tftp_done.add();
      return finish(t, EventType::tftp_done, 0);
    case tftp::Step::failed:
      return fail_transfer(t, proto::kErrUndefined, "timed out waiting for an acknowledgement",
                           EventType::tftp_failed);
  }
  arm_session(t);
}

void Worker::schedule(tftp::Transfer* t) {
  if (queued_[t->index] || !t->session.has_pending()) return;
  ready_[(ready_head_ + ready_count_) % ready_.size()] = t->index;
  ++ready_count_;
  queued_[t->index] = 1;
}

rte_mbuf* Worker::data_frame(const tftp::Transfer& t, uint64_t block) {
  const tftp::Session& s = t.session;
  const proto::UdpAddr a{c_.port.mac, t.peer.mac,   c_.server_ip,
                         t.peer.ip,   t.local_port, t.peer.port};
  // netascii transfers send their own converted bytes: no cache blob behind them.
  const auto* blob = t.converted ? nullptr : static_cast<const cache::Blob*>(t.user);
  return data_frame(a, blob, s.file().data, s.offset(block), s.length(block),
                    tftp::Session::wire(block), 64);
}

rte_mbuf* Worker::data_frame(const proto::UdpAddr& a, const cache::Blob* blob, const uint8_t* data,
                             uint64_t off, uint16_t len, uint16_t wire, uint8_t ttl) {
  const uint8_t* payload = data + off;
  // Zero copy: the payload stays in the cache, an external buffer chained to the headers.
  const bool ext = c_.zero_copy && blob && len > 0;
  rte_mbuf* m = rte_pktmbuf_alloc(c_.pool);
  rte_mbuf* e = m && ext ? rte_pktmbuf_alloc(c_.ext_pool) : nullptr;
  if (!m || (ext && !e)) {
    rte_pktmbuf_free(m);
    n_.drops[unsigned(Drop::no_mbuf)].add();
    return nullptr;
  }
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t* hdr = p + proto::kEthIpUdpLen;
  proto::write_tftp_data_header(MutBytes(hdr, 4), wire);
  // The payload's checksum sum: from the cache's prefix sums, or from its bytes.
  const uint32_t sum =
      (blob ? blob->payload_sum(off, len) : proto::csum_partial(Bytes(payload, len))) +
      proto::csum_partial(Bytes(hdr, 4));
  proto::write_udp_headers(MutBytes(p, proto::kEthIpUdpLen), a, uint16_t(4 + len), sum, ip_id_++,
                           ttl);
  m->data_len = uint16_t(proto::kEthIpUdpLen + 4 + (ext ? 0 : len));
  m->pkt_len = m->data_len;
  if (!ext) {
    if (len) std::memcpy(hdr + 4, payload, len);
    return m;
  }
  rte_mbuf_ext_shared_info* shinfo = blob->ext(c_.id, off);
  rte_mbuf_ext_refcnt_update(shinfo, 1);
  const rte_iova_t iova = blob->iova == RTE_BAD_IOVA ? RTE_BAD_IOVA : blob->iova + off;
  rte_pktmbuf_attach_extbuf(e, const_cast<uint8_t*>(payload), iova, len, shinfo);
  e->data_len = len;
  e->pkt_len = len;
  rte_pktmbuf_chain(m, e);
  return m;
}

unsigned Worker::pump() {
  unsigned frames = 0;
  rte_mbuf* burst[kBurst];
  uint32_t owner[kBurst];
  uint64_t block[kBurst];
  for (unsigned round = 0; round < kMaxDataBursts && ready_count_ > 0; ++round) {
    uint16_t n = 0;
    bool no_mbuf = false;
    // One turn over the queue at most: each transfer adds up to kQuantum consecutive blocks and
    // goes to the back (dropped from the queue at its next turn if nothing is due by then).
    for (size_t turn = ready_count_; turn > 0 && n < kBurst && !no_mbuf; --turn) {
      const uint32_t idx = ready_[ready_head_];
      ready_head_ = (ready_head_ + 1) % ready_.size();
      --ready_count_;
      queued_[idx] = 0;
      tftp::Transfer* t = sessions_.at(idx);
      if (!t || !t->active || !t->session.has_pending()) continue;
      const uint64_t first = t->session.next_block();
      const uint64_t last = std::min(
          {t->session.window_end(), first + kQuantum - 1, first + uint64_t(kBurst - n) - 1});
      for (uint64_t b = first; b <= last; ++b) {
        rte_mbuf* m = data_frame(*t, b);
        if (!m) {
          no_mbuf = true;
          break;
        }
        burst[n] = m;
        owner[n] = idx;
        block[n] = b;
        ++n;
      }
      ready_[(ready_head_ + ready_count_) % ready_.size()] = idx;  // back of the queue
      ++ready_count_;
      queued_[idx] = 1;
    }
    if (n == 0) break;
    const uint16_t sent = rte_eth_tx_burst(c_.port.id, c_.tx_queue, burst, n);
    const uint64_t now = now_us();
    for (uint16_t i = 0; i < sent; ++i) {
      tftp::Transfer* t = sessions_.at(owner[i]);
      const uint32_t resent = t->session.retransmits();
      t->session.sent(block[i], now);
      n_.tftp_retransmits.add(t->session.retransmits() - resent);
      n_.tftp_data_bytes.add(t->session.length(block[i]));
      if (i + 1 == sent || owner[i + 1] != owner[i]) arm_session(t);
    }
    n_.tx_packets.add(sent);
    n_.tftp_data_frames.add(sent);
    frames += sent;
    if (sent < n) {  // the port is full: the rest stays due, for the next iteration
      n_.tftp_tx_deferred.add(n - sent);
      rte_pktmbuf_free_bulk(burst + sent, n - sent);
      break;
    }
    if (no_mbuf) break;
  }
  return frames;
}

void Worker::arm(tftp::Transfer* t, uint64_t deadline_us) {
  uint64_t now = now_us();
  uint64_t wait_us = deadline_us > now ? deadline_us - now : 0;
  uint64_t ticks = wait_us * tsc_hz_ / 1000000;
  t->armed_us = deadline_us;
  rte_timer_reset(&timers_[t->index].tim, ticks, SINGLE, rte_lcore_id(), timer_cb,
                  &timers_[t->index]);
}

void Worker::arm_session(tftp::Transfer* t) {
  // Lazy: a deadline that moved later is found when the timer fires (on_timer re-arms), so a
  // transfer making progress costs no timer operation per block.
  const uint64_t d = t->session.deadline_us();
  if (d == 0) return;
  if (!rte_timer_pending(&timers_[t->index].tim) || d < t->armed_us) arm(t, d);
}

void Worker::timer_cb(rte_timer*, void* arg) {
  auto* tm = static_cast<Timer*>(arg);
  tm->worker->on_timer(tm->index);
}

void Worker::on_timer(uint32_t index) {
  tftp::Transfer* t = sessions_.at(index);
  if (!t) return;
  t->armed_us = 0;
  if (!t->active)
    return fail_transfer(t, proto::kErrUndefined, "file could not be loaded in time",
                         EventType::tftp_failed);
  const uint64_t now = now_us(), d = t->session.deadline_us();
  if (d == 0) return;  // nothing outstanding yet (the window is still being sent)
  if (now < d) return arm(t, d);
  uint32_t before = t->session.retransmits();
  tftp::Step s = t->session.on_timeout(now);
  n_.tftp_retransmits.add(t->session.retransmits() - before);
  act(t, s);
}

void Worker::finish(tftp::Transfer* t, EventType ev, uint16_t code) {
  rte_timer_stop(&timers_[t->index].tim);
  Event e = event(ev, t->peer.mac, t->peer.ip);
  e.port = t->peer.port;
  e.code = code;
  e.set_text(t->path.view());
  e.bytes = t->active ? t->session.bytes_acked() : 0;
  e.duration_us = uint32_t(std::min<uint64_t>(now_us() - t->start_us, UINT32_MAX));
  emit(e);
  if (t->active)
    static_cast<cache::Blob*>(t->user)->sessions.fetch_sub(1, std::memory_order_release);
  t->user = nullptr;
  t->active = false;
  client_close(t->peer.ip);
  sessions_.close(t);
}

bool Worker::client_open(proto::Ip4 ip) {
  void* data = nullptr;
  uintptr_t n = rte_hash_lookup_data(clients_, &ip, &data) >= 0 ? uintptr_t(data) : 0;
  if (n >= c_.max_sessions_per_client) return false;
  return rte_hash_add_key_data(clients_, &ip, reinterpret_cast<void*>(n + 1)) == 0;
}

void Worker::client_close(proto::Ip4 ip) {
  void* data = nullptr;
  if (rte_hash_lookup_data(clients_, &ip, &data) < 0) return;
  const uintptr_t n = uintptr_t(data);
  if (n <= 1)
    rte_hash_del_key(clients_, &ip);
  else
    rte_hash_add_key_data(clients_, &ip, reinterpret_cast<void*>(n - 1));
}

void Worker::fail_transfer(tftp::Transfer* t, uint16_t code, std::string_view msg, EventType ev) {
  n_.tftp_failed.add();
  send_tftp_error(t->peer.mac, t->peer.ip, t->local_port, t->peer.port, code, msg);
  finish(t, ev, code);
}

void Worker::on_loaded(cache::FileSlot* slot) {
  cache::Blob* blob = slot->blob.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < sessions_.capacity(); ++i) {
    tftp::Transfer* t = sessions_.at(i);
    if (!t || t->active || t->user != slot) continue;
    if (blob) {
      rte_timer_stop(&timers_[t->index].tim);
      activate(t, blob);
    } else {
      int err = slot->error.load(std::memory_order_relaxed);
      n_.drops[unsigned(Drop::tftp_file_error)].add();
      if (err == ENOENT)
        fail_transfer(t, proto::kErrNotFound, "File not found", EventType::tftp_miss);
      else if (err == EACCES || err == EISDIR)
        fail_transfer(t, proto::kErrAccess, "access violation", EventType::tftp_failed);
      else
        fail_transfer(t, proto::kErrUndefined, "read error", EventType::tftp_failed);
    }
  }
}

void Worker::handle_tftp_session(rte_mbuf* m, const proto::UdpFrame& f) {
  tftp::Transfer* t = sessions_.find(f.udp.dport);
  if (!t) {
    send_tftp_error(f.eth.src, f.ip.src, f.udp.dport, f.udp.sport, proto::kErrUnknownTid,
                    "unknown transfer ID");
    return drop(m, Drop::tftp_no_session);
  }
  if (t->peer.ip != f.ip.src || t->peer.port != f.udp.sport) {
    // RFC 1350: answer a stranger with ERROR 5 and leave the transfer alone.
    send_tftp_error(f.eth.src, f.ip.src, f.udp.dport, f.udp.sport, proto::kErrUnknownTid,
                    "unknown transfer ID");
    return drop(m, Drop::tftp_wrong_peer);
  }
  auto pkt = proto::parse_tftp(f.payload);
  if (!pkt) return drop(m, pkt.error());
  rte_pktmbuf_free(m);
  switch (pkt->op) {
    case proto::TftpOp::ack:
      if (t->active) act(t, t->session.on_ack(pkt->block, now_us()));
      return;
    case proto::TftpOp::error:
      // The client gave up (ERROR 8 after a tsize probe is the usual, harmless case).
      n_.tftp_failed.add();
      return finish(t, EventType::tftp_failed, pkt->error_code);
    default:
      n_.drops[unsigned(Drop::tftp_opcode)].add();
      return;
  }
}

}  // namespace bs
