// The wire side of HttpClients (http_fetch.hpp): one lwIP netif per machine (added with its
// address and MAC, removed with the pcbs left on it), the frames lwIP emits (IPv4 and ARP only,
// padded, into the shared queue that poll() flushes to the FrameSink, the machine's own
// retransmissions counted), each machine's ARP peer cache with the segments waiting on it, and
// on_frame()'s filter of what the caller hands in (the server's retransmissions counted).
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "http_fetch.hpp"
#include "http_fetch_internal.hpp"

extern "C" {
#include "lwip/ip4.h"
#include "netif/ethernet.h"
}

namespace bs::bench {

using proto::Bytes;
using namespace http_detail;

namespace {

constexpr size_t kMinFrame = 60;  // Ethernet's minimum without the FCS: pad to it
constexpr size_t kArpQueue = 4;   // segments kept per peer while its MAC is unknown

// Every machine's netif by its address (core lock), for the source MAC of a frame lwIP sent out
// another machine's netif: a RST for a segment without a pcb is routed by destination only, so
// it leaves through the first netif on the subnet.
// Never destroyed: lwIP's thread outlives static destruction.
std::unordered_map<proto::Ip4, Conn*>& by_ip() {
  static auto* m = new std::unordered_map<proto::Ip4, Conn*>;
  return *m;
}

// ---- The netif (core lock held) ----

// Frames leave here: IPv4 and ARP only, a gratuitous ARP dropped, padded to 60 bytes, into the
// shared queue; the machine's own retransmissions are counted on the way.
err_t link_output(struct netif* n, pbuf* p) {
  auto* c = static_cast<Conn*>(n->state);
  uint8_t f[kMaxFrame];
  size_t len = p->tot_len;
  if (len < 14 || len > sizeof(f)) return ERR_OK;
  pbuf_copy_partial(p, f, u16_t(len), 0);
  uint16_t type = proto::load16(f + 12);
  if (type == proto::kEtherArp) {
    if (len < 42) return ERR_OK;
    if (proto::load16(f + 20) == 1 && std::memcmp(f + 28, f + 38, 4) == 0) return ERR_OK;  // GARP
  } else if (type == proto::kEtherIpv4) {
    if (len < 34) return ERR_OK;
    size_t ihl = size_t(f[14] & 0x0f) * 4;
    proto::Ip4 src = proto::load32(f + 26);
    Conn* owner = c;
    if (src != c->ip) {  // another machine's segment routed out this netif (see by_ip)
      auto it = by_ip().find(src);
      owner = it == by_ip().end() ? nullptr : it->second;
      if (owner) std::memcpy(f + 6, owner->mac.b.data(), 6);
    }
    if (owner && f[23] == 6 /* TCP */ && len >= 14 + ihl + 20) {
      const uint8_t* t = f + 14 + ihl;
      size_t ip_len = proto::load16(f + 16);
      size_t doff = size_t(t[12] >> 4) * 4;
      uint8_t flags = t[13];
      if (proto::load16(t) == owner->local_port && ip_len >= ihl + doff) {
        uint32_t seq = proto::load32(t + 4);
        uint32_t seglen = uint32_t(ip_len - ihl - doff) + ((flags & 0x02) ? 1 : 0) +
                          ((flags & 0x01) ? 1 : 0);  // data + SYN + FIN
        if (seglen > 0) {
          if (owner->snd_seen && seq_lt(seq, owner->snd_max)) {
            ++owner->live.retransmits_out;
            owner->touch();
          }
          if (!owner->snd_seen || seq_lt(owner->snd_max, seq + seglen))
            owner->snd_max = seq + seglen;
          owner->snd_seen = true;
        }
      }
    }
  } else {
    return ERR_OK;  // IPv6 or anything else stays in
  }
  size_t out_len = std::max(len, kMinFrame);
  if (out_len > len) std::memset(f + len, 0, out_len - len);
  auto* s = c->shared;
  {
    std::lock_guard g(s->mu);
    size_t at = s->frames.size();
    s->frames.resize(at + 2 + out_len);
    proto::store16(&s->frames[at], uint16_t(out_len));
    std::memcpy(&s->frames[at + 2], f, out_len);
  }
  s->any.store(true, std::memory_order_release);
  return ERR_OK;
}

void send_queued(Conn& c, Conn::Peer& pe) {
  auto queue = std::move(pe.queue);
  pe.queue.clear();
  for (pbuf* q : queue) {
    ethernet_output(&c.nif, q, reinterpret_cast<const eth_addr*>(c.nif.hwaddr), &pe.mac,
                    ETHTYPE_IP);
    pbuf_free(q);
  }
}

// netif->output (in place of etharp_output): the next hop is the destination itself.
err_t machine_output(struct netif* n, pbuf* p, const ip4_addr_t* dst) {
  auto* c = static_cast<Conn*>(n->state);
  if (ip4_addr_isbroadcast(dst, n)) {
    return ethernet_output(n, p, reinterpret_cast<const eth_addr*>(n->hwaddr), &ethbroadcast,
                           ETHTYPE_IP);
  }
  if (ip4_addr_ismulticast(dst)) return ERR_RTE;
  Conn::Peer* pe = c->peer(dst->addr);
  if (!pe) {
    c->peers.push_back({});
    pe = &c->peers.back();
    pe->ip = dst->addr;
  }
  if (pe->known) {
    return ethernet_output(n, p, reinterpret_cast<const eth_addr*>(n->hwaddr), &pe->mac,
                           ETHTYPE_IP);
  }
  pbuf* copy = pbuf_clone(PBUF_LINK, PBUF_RAM, p);  // lwIP keeps p for its retransmissions
  if (!copy) return ERR_MEM;
  if (pe->queue.size() >= kArpQueue) {
    pbuf_free(pe->queue.front());
    pe->queue.erase(pe->queue.begin());
  }
  pe->queue.push_back(copy);
  if (pe->asked_ms == 0 || sys_now() - pe->asked_ms >= kArpRetryMs) arp_ask(*c, *pe);
  return ERR_OK;
}

err_t netif_init_fn(struct netif* n) {
  auto* c = static_cast<Conn*>(n->state);
  n->name[0] = 'b';
  n->name[1] = 's';
  n->mtu = 1500;
  n->hwaddr_len = ETH_HWADDR_LEN;
  std::memcpy(n->hwaddr, c->mac.b.data(), ETH_HWADDR_LEN);
  // ETHARP: etharp_input answers requests for the address. No IGMP, no MLD6: no IPv6 at all
  // (output_ip6 stays netif_add's null output, no link-local address is made).
  n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
  n->output = machine_output;
  n->linkoutput = link_output;
  return ERR_OK;
}

}  // namespace

namespace http_detail {

size_t g_netifs = 0;  // netifs of every HttpClients in the process (core lock)

void arp_ask(Conn& c, Conn::Peer& pe) {
  ip4_addr_t a;
  a.addr = pe.ip;
  etharp_request(&c.nif, &a);
  pe.asked_ms = sys_now();
}

bool add_netif(Conn& c, proto::Ip4 netmask) {
  ip4_addr_t a, m, gw;
  a.addr = lwip_htonl(c.ip);
  m.addr = lwip_htonl(netmask);
  gw.addr = 0;
  if (!netif_add(&c.nif, &a, &m, &gw, &c, netif_init_fn, ethernet_input)) return false;
  c.nif_added = true;
  ++g_netifs;
  by_ip()[c.ip] = &c;
  netif_set_up(&c.nif);
  return true;
}

void remove_netif(Conn& c) {
  for (auto& pe : c.peers) {
    for (pbuf* q : pe.queue) pbuf_free(q);
    pe.queue.clear();
  }
  if (c.nif_added) {
    purge_pcbs(&c.nif);
    netif_remove(&c.nif);
    c.nif_added = false;
    --g_netifs;
    auto it = by_ip().find(c.ip);
    if (it != by_ip().end() && it->second == &c) by_ip().erase(it);
  }
}

}  // namespace http_detail

// ---- HttpClients ----

void HttpClients::on_frame(uint32_t id, Bytes frame) {
  auto it = conns_.find(id);
  if (it == conns_.end() || frame.size() < 14 || frame.size() > 0xffff) return;
  Conn& c = *it->second;
  uint16_t type = proto::load16(&frame[12]);
  bool arp = type == proto::kEtherArp;
  if (arp) {
    if (frame.size() < 42) return;
  } else if (type == proto::kEtherIpv4) {
    if (frame.size() < 34 || proto::load32(&frame[30]) != c.ip) return;
  } else {
    return;  // VLAN-tagged, IPv6, ...
  }
  CoreLock lock;
  if (!c.nif_added) return;
  if (arp) {
    // Learn the sender when it is a peer we send to (reply or request alike).
    Conn::Peer* pe = c.peer(lwip_htonl(proto::load32(&frame[28])));
    if (pe) {
      std::memcpy(pe->mac.addr, &frame[22], 6);
      pe->known = true;
      if (!pe->queue.empty()) send_queued(c, *pe);
    }
  } else if (frame[23] == 6 && c.local_port != 0) {
    // The server's retransmissions: a segment that starts below what was already received.
    size_t ihl = size_t(frame[14] & 0x0f) * 4;
    size_t ip_len = proto::load16(&frame[16]);
    if (frame.size() >= 14 + ihl + 20 && ip_len >= ihl + 20) {
      const uint8_t* t = &frame[14 + ihl];
      size_t doff = size_t(t[12] >> 4) * 4;
      uint8_t flags = t[13];
      if (proto::load16(t) == c.url.port && proto::load16(t + 2) == c.local_port &&
          proto::load32(&frame[26]) == c.url.ip && ip_len >= ihl + doff && !(flags & 0x04)) {
        uint32_t seq = proto::load32(t + 4);
        uint32_t seglen =
            uint32_t(ip_len - ihl - doff) + ((flags & 0x02) ? 1 : 0) + ((flags & 0x01) ? 1 : 0);
        if (seglen > 0) {
          if (c.rcv_seen && seq_lt(seq, c.rcv_max)) {
            ++c.live.retransmits_in;
            c.dirty = true;
          }
          if (!c.rcv_seen || seq_lt(c.rcv_max, seq + seglen)) c.rcv_max = seq + seglen;
          c.rcv_seen = true;
        }
      }
    }
  }
  pbuf* p = pbuf_alloc(PBUF_RAW, u16_t(frame.size()), PBUF_RAM);
  if (p) {
    pbuf_take(p, frame.data(), u16_t(frame.size()));
    if (c.nif.input(p, &c.nif) != ERR_OK) pbuf_free(p);
  }
  if (c.close_pending) {
    c.close_pending = false;
    close_pcb(c);  // a RST when tcp_close() fails
  }
  sync(c);
}

void HttpClients::flush_frames() {
  for (;;) {
    if (sending_pos_ >= sending_.size()) {
      sending_.clear();
      sending_pos_ = 0;
      if (!shared_->any.load(std::memory_order_acquire)) return;
      {
        std::lock_guard g(shared_->mu);
        sending_.swap(shared_->frames);
        shared_->any.store(false, std::memory_order_relaxed);
      }
      if (sending_.empty()) return;
    }
    while (sending_pos_ < sending_.size()) {
      size_t len = proto::load16(&sending_[sending_pos_]);
      proto::MutBytes room = out_.frame();
      if (room.empty()) return;  // no room now: the rest goes at the next poll()
      if (room.size() >= len) {
        std::memcpy(room.data(), &sending_[sending_pos_ + 2], len);
        out_.send(len);
      }
      sending_pos_ += 2 + len;
    }
  }
}

}  // namespace bs::bench
