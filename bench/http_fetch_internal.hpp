// Internal to HttpClients (http_fetch.cpp: URLs, HTTP and TCP; http_netif.cpp: the netifs and
// their frames): lwIP's core lock, one machine's state (HttpClients::Conn: netif, pcb, parser,
// ARP peers, the fetch), and the few functions each side calls of the other's. Not part of the
// public API (http_fetch.hpp).
#pragma once
#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "http_fetch.hpp"

// lwIP's headers declare the port's functions (sys_lock_tcpip_core, in lwipopts.h) without
// extern "C" of their own.
extern "C" {
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
}

namespace bs::bench {

namespace http_detail {

// lwIP's core lock: every raw-API call, and everything the callbacks touch, is under it.
struct CoreLock {
  CoreLock() { sys_lock_tcpip_core(); }
  ~CoreLock() { sys_unlock_tcpip_core(); }
  CoreLock(const CoreLock&) = delete;
  CoreLock& operator=(const CoreLock&) = delete;
};

inline constexpr uint32_t kArpRetryMs = 1000;

inline bool seq_lt(uint32_t a, uint32_t b) {
  return int32_t(a - b) < 0;
}

}  // namespace http_detail

// One machine. Everything but pub (and id/ip/mac, fixed) is under lwIP's core lock: lwIP's
// callbacks change it from the caller's thread (inside start/on_frame/poll/finish) or from the
// tcpip thread (timers: retransmissions, and an abort when lwIP gives up).
struct HttpClients::Conn {
  HttpClients::Shared* shared = nullptr;
  uint32_t id = 0;
  proto::Mac mac;
  proto::Ip4 ip = 0;
  HttpUrl url;
  std::string request;

  struct netif nif {};
  bool nif_added = false;
  tcp_pcb* pcb = nullptr;  // ours until closed/aborted (then lwIP's) or freed by lwIP (err)
  uint16_t local_port = 0;
  bool connected = false;

  http_parser parser{};
  bool complete = false;  // the parser saw the end of the response
  // Done inside the recv callback: tcp_close() after the input (see on_recv).
  bool close_pending = false;

  Fetch live;  // lwIP's side
  Fetch pub;   // the caller's copy (fetch()): written only inside the public methods
  bool dirty = false;

  // Retransmission counting from the frames (see Fetch).
  bool snd_seen = false, rcv_seen = false;
  uint32_t snd_max = 0, rcv_max = 0;

  // The peers this machine resolved (the server, normally alone).
  struct Peer {
    uint32_t ip = 0;  // network order, as lwIP keeps it
    eth_addr mac{};
    bool known = false;
    uint32_t asked_ms = 0;
    std::vector<pbuf*> queue;  // copies of the IPv4 packets waiting for the MAC
  };
  std::vector<Peer> peers;

  void touch() {
    dirty = true;
    shared->changed.store(true, std::memory_order_release);
  }
  void fail(std::string why) {
    if (live.state != Fetch::State::running) return;
    live.state = Fetch::State::failed;
    live.error = std::move(why);
    live.end_us = shared->now_us.load(std::memory_order_relaxed);
    touch();
  }
  void done() {
    if (live.state != Fetch::State::running) return;
    live.state = Fetch::State::done;
    live.end_us = shared->now_us.load(std::memory_order_relaxed);
    touch();
  }
  Peer* peer(uint32_t ip_n) {
    for (auto& p : peers)
      if (p.ip == ip_n) return &p;
    return nullptr;
  }
};

namespace http_detail {

using Conn = HttpClients::Conn;

// ---- http_netif.cpp (core lock held) ----

extern size_t g_netifs;  // netifs of every HttpClients in the process

// Adds c's netif (address c.ip/netmask, MAC c.mac) and sets it up; false when netif_add fails.
bool add_netif(Conn& c, proto::Ip4 netmask);
// Frees the segments waiting for ARP and removes c's netif (and the pcbs left on it), if added.
void remove_netif(Conn& c);
// An ARP request for the peer, from c's netif.
void arp_ask(Conn& c, Conn::Peer& pe);

// ---- http_fetch.cpp (core lock held) ----

// Hands c's pcb to lwIP: a FIN (tcp_close), a RST when that fails. true when it was aborted.
bool close_pcb(Conn& c);
// Removes every pcb still bound to netif n (see http_fetch.cpp).
void purge_pcbs(struct netif* n);

}  // namespace http_detail

}  // namespace bs::bench
