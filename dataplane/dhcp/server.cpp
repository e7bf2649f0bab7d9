#include "server.hpp"

#include <ctime>

namespace bs::dhcp {

using namespace proto;

namespace {

uint64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

bool holds(const Lease* l) {
  return l && (l->state == LeaseState::offered || l->state == LeaseState::bound);
}

}  // namespace

Server::Server(EventSink& events, uint8_t worker_id) : events_(events), worker_(worker_id) {}

void Server::set_snapshot(const snap::Snapshot* s) {
  snap_ = s;
  if (!s) return;
  if (!pool_.configure(*s)) {
    snap_ = nullptr;  // no lease indexes: serve nothing (dropped as dhcp_no_snapshot)
    return;
  }
  server_text_ = format_ip(s->server_ip, server_text_buf_);
}

Outcome Server::handle(const DhcpMessage& m, Ip4 src_ip, uint64_t now_s, MutBytes out) {
  if (!snap_) return no_reply(Drop::dhcp_no_snapshot);
  if (snap_->dhcp.mode == snap::DhcpMode::proxy) {
    if (m.type != kDiscover) return no_reply(Drop::dhcp_proxy_ignored);
    return proxy_offer(m, out);
  }
  switch (m.type) {
    case kDiscover:
      return discover(m, now_s, out);
    case kRequest:
      return request(m, now_s, out);
    case kRelease:
      return release(m);
    case kDecline:
      return decline(m, now_s);
    case kInform:
      return inform(m, src_ip, out);
    default:
      return no_reply(Drop::dhcp_unhandled_type);
  }
}

int Server::select_pool(const DhcpMessage& m, bool by_ciaddr) const {
  if (m.giaddr != 0) return pool_.pool_of(m.giaddr);
  if (by_ciaddr && m.ciaddr != 0) {
    int pi = pool_.pool_of(m.ciaddr);
    if (pi >= 0) return pi;
  }
  return pool_.pool_of(snap_->server_ip);
}

Reply Server::reply_for(const DhcpMessage& m, uint8_t type, const snap::Pool* pool) const {
  Reply r;
  r.type = type;
  r.pool = pool;
  r.host = pool_.host(m.chaddr);
  const BootChoice boot = choose_boot(*snap_, r.host, m);
  r.boot_file = boot.file;
  r.http_boot = boot.http;
  r.server_text = server_text_;
  return r;
}

Outcome Server::discover(const DhcpMessage& m, uint64_t now_s, MutBytes out) {
  emit(EventType::dhcp_discover, m.chaddr, 0, m.arch.value_or(kArchBios));
  const int pi = select_pool(m, false);
  if (pi < 0) {
    emit(EventType::dhcp_no_address, m.chaddr, 0, 0, drop_text(Drop::dhcp_no_pool));
    return no_reply(Drop::dhcp_no_pool);
  }
  const snap::Pool& pool = pool_.pool(pi);
  const snap::Host* host = pool_.host(m.chaddr);
  Lease* l = nullptr;
  if (host && host->address != 0 && pool.contains(host->address)) {
    l = pool_.slot(host->address);  // a reservation always has a slot
  } else if (Lease* cur = pool_.find(m.chaddr);
             cur && pool.contains(cur->ip) && !pool_.excluded(cur->ip)) {
    l = cur;  // the same address again
  } else if (Lease* prev = pool_.previous(m.chaddr);
             prev && pool.contains(prev->ip) && !pool_.excluded(prev->ip)) {
    l = prev;  // its address from before, unused since
  } else {
    l = pool_.allocate(pi, now_s);
  }
  if (!l) {
    emit(EventType::dhcp_no_address, m.chaddr, 0, 0, drop_text(Drop::dhcp_pool_exhausted));
    return no_reply(Drop::dhcp_pool_exhausted);
  }
  // A client that still holds a valid binding keeps it; anything else is held as an offer.
  if (!(l->state == LeaseState::bound && l->mac == m.chaddr && !l->expired(now_s)))
    pool_.hold(l, m.chaddr, LeaseState::offered, now_s + kOfferHoldSeconds);

  Reply r = reply_for(m, kOffer, &pool);
  r.yiaddr = l->ip;
  r.lease_s = snap_->lease_seconds;
  Outcome o;
  o.len = write_reply(*snap_, m, r, out);
  if (o.len == 0) return no_reply(Drop::dhcp_reply_overflow);
  o.type = kOffer;
  o.to = reply_target(m, kOffer, 0, l->ip);
  emit(EventType::dhcp_offer, m.chaddr, l->ip, m.arch.value_or(kArchBios), r.boot_file);
  return o;
}

Lease* Server::record_for(const DhcpMessage& m, int pi, Ip4 a) {
  const snap::Pool& pool = pool_.pool(pi);
  if (!pool.contains(a)) return nullptr;
  const snap::Host* host = pool_.host(m.chaddr);
  if (host && host->address != 0 && pool.contains(host->address))
    return a == host->address ? pool_.slot(a) : nullptr;  // reserved hosts get nothing else here
  Lease* l = pool_.find(m.chaddr);
  return holds(l) && l->ip == a ? l : nullptr;
}

Outcome Server::request(const DhcpMessage& m, uint64_t now_s, MutBytes out) {
  const Ip4 want = m.requested_ip.value_or(m.ciaddr);
  emit(EventType::dhcp_request, m.chaddr, want, m.arch.value_or(kArchBios));
  if (m.server_id) {
    // SELECTING: the client answers one server's offer.
    if (*m.server_id != snap_->server_ip) {
      Lease* l = pool_.find(m.chaddr);
      if (l && l->state == LeaseState::offered) pool_.release(l);
      return no_reply(Drop::dhcp_not_for_us);
    }
    const int pi = select_pool(m, false);
    if (pi < 0) return no_reply(Drop::dhcp_no_pool);
    Lease* l = want != 0 ? record_for(m, pi, want) : nullptr;
    if (!l) return nak(m, "requested address was not offered to this client", out);
    return ack(m, pi, l, now_s, out);
  }
  if (m.requested_ip) {
    // INIT-REBOOT: the client asks to keep an address it had. Authoritative: an address that is
    // not its own on this network (including one unknown to us) is NAKed.
    const int pi = select_pool(m, false);
    if (pi < 0) return no_reply(Drop::dhcp_no_pool);
    if (!pool_.pool(pi).contains(want)) return refuse(m, "wrong network", out);
    Lease* l = record_for(m, pi, want);
    if (!l) return refuse(m, "address not leased to this client", out);
    return ack(m, pi, l, now_s, out);
  }
  if (m.ciaddr != 0) {
    // RENEWING (unicast) or REBINDING (broadcast).
    const int pi = select_pool(m, true);
    if (pi < 0) return no_reply(Drop::dhcp_no_pool);
    Lease* l = record_for(m, pi, m.ciaddr);
    if (!l) return refuse(m, "lease unknown or expired", out);
    return ack(m, pi, l, now_s, out);
  }
  return no_reply(Drop::dhcp_bad_request);
}

Outcome Server::ack(const DhcpMessage& m, int pi, Lease* l, uint64_t now_s, MutBytes out) {
  const bool renewal = l->state == LeaseState::bound && l->mac == m.chaddr;
  pool_.hold(l, m.chaddr, LeaseState::bound, now_s + snap_->lease_seconds);
  uint64_t wait = 0;
  if (observer_) {
    wait = observer_->bound(*l, now_s, renewal);
    if (wait == LeaseObserver::kRefuse) {
      emit(EventType::dhcp_no_address, m.chaddr, l->ip, 0, drop_text(Drop::dhcp_journal_full));
      return no_reply(Drop::dhcp_journal_full);
    }
  }
  Reply r = reply_for(m, kAck, &pool_.pool(pi));
  r.ciaddr = m.ciaddr;
  r.yiaddr = l->ip;
  r.lease_s = snap_->lease_seconds;
  Outcome o;
  o.len = write_reply(*snap_, m, r, out);
  if (o.len == 0) return no_reply(Drop::dhcp_reply_overflow);
  o.type = kAck;
  o.wait_tag = wait;
  o.to = reply_target(m, kAck, m.ciaddr, l->ip);
  emit(EventType::dhcp_ack, m.chaddr, l->ip, m.arch.value_or(kArchBios), r.boot_file);
  return o;
}

bool Server::arp_seen(Ip4 spa, const Mac& sha, uint64_t now_s) {
  if (!snap_ || !snap_->dhcp.probe || snap_->dhcp.mode != snap::DhcpMode::server) return false;
  if (spa == 0 || pool_.excluded(spa)) return false;  // probes (no sender address), our own, routers
  Lease* l = pool_.slot(spa);
  if (!l || l->state == LeaseState::declined) return false;
  const bool held = l->state == LeaseState::offered || l->state == LeaseState::bound;
  if (held && l->mac == sha) return false;          // its holder, announcing itself
  if (l->state == LeaseState::bound) return false;  // bound to another: not ours to take back
  ++conflicts_;
  emit(EventType::dhcp_conflict, sha, spa);
  pool_.quarantine(l, now_s + snap_->lease_seconds);
  return true;
}

bool Server::restore(const Mac& mac, Ip4 ip, uint64_t expires_s, uint64_t disk_tag) {
  if (!snap_) return false;
  return pool_.restore(mac, ip, expires_s, disk_tag);
}

Outcome Server::nak(const DhcpMessage& m, std::string_view why, MutBytes out) {
  Reply r;
  r.type = kNak;
  r.message = why;
  Outcome o;
  o.len = write_reply(*snap_, m, r, out);
  if (o.len == 0) return no_reply(Drop::dhcp_reply_overflow);
  o.type = kNak;
  o.to = reply_target(m, kNak, 0, 0);
  emit(EventType::dhcp_nak, m.chaddr, m.requested_ip.value_or(m.ciaddr), 0, why);
  return o;
}

Outcome Server::refuse(const DhcpMessage& m, std::string_view why, MutBytes out) {
  if (snap_->dhcp.authoritative) return nak(m, why, out);
  return no_reply(Drop::dhcp_not_authoritative);
}

Outcome Server::proxy_offer(const DhcpMessage& m, MutBytes out) {
  emit(EventType::dhcp_discover, m.chaddr, 0, m.arch.value_or(kArchBios));
  Reply r = reply_for(m, kOffer, nullptr);
  if (!m.is_pxe() && !r.http_boot) return no_reply(Drop::dhcp_proxy_not_pxe);
  Outcome o;
  o.len = write_reply(*snap_, m, r, out);
  if (o.len == 0) return no_reply(Drop::dhcp_reply_overflow);
  o.type = kOffer;
  o.to = reply_target(m, kOffer, 0, 0);
  emit(EventType::dhcp_offer, m.chaddr, 0, m.arch.value_or(kArchBios), r.boot_file);
  return o;
}

Outcome Server::boot_server(const DhcpMessage& m, Ip4 src_ip, MutBytes out) {
  if (!snap_) return no_reply(Drop::dhcp_no_snapshot);
  if (m.type != kRequest && m.type != kInform) return no_reply(Drop::dhcp_unhandled_type);
  const Ip4 client = m.ciaddr != 0 ? m.ciaddr : src_ip;
  emit(EventType::dhcp_request, m.chaddr, client, m.arch.value_or(kArchBios));
  Reply r = reply_for(m, kAck, nullptr);
  r.ciaddr = client;
  Outcome o;
  o.len = write_reply(*snap_, m, r, out);
  if (o.len == 0) return no_reply(Drop::dhcp_reply_overflow);
  o.type = kAck;
  o.to.dst_ip = client;  // the worker answers at the request's source MAC and port
  emit(EventType::dhcp_ack, m.chaddr, client, m.arch.value_or(kArchBios), r.boot_file);
  return o;
}

Outcome Server::release(const DhcpMessage& m) {
  emit(EventType::dhcp_release, m.chaddr, m.ciaddr);
  if (m.server_id && *m.server_id != snap_->server_ip) return no_reply(Drop::dhcp_not_for_us);
  Lease* l = pool_.find(m.chaddr);
  if (holds(l) && l->ip == m.ciaddr) {
    const Lease was = *l;
    pool_.release(l);
    if (observer_) observer_->freed(was);
  }
  return no_reply(Drop::none);
}

Outcome Server::decline(const DhcpMessage& m, uint64_t now_s) {
  const Ip4 bad = m.requested_ip.value_or(0);
  emit(EventType::dhcp_decline, m.chaddr, bad);
  if (m.server_id && *m.server_id != snap_->server_ip) return no_reply(Drop::dhcp_not_for_us);
  if (bad == 0) return no_reply(Drop::dhcp_bad_request);
  Lease* l = pool_.find(m.chaddr);
  if (holds(l) && l->ip == bad) {
    const Lease was = *l;
    // A reservation belongs to its host alone: it is freed, not quarantined.
    if (pool_.host_at(bad))
      pool_.release(l);
    else
      pool_.quarantine(l, now_s + snap_->lease_seconds);
    if (observer_) observer_->freed(was);
  }
  return no_reply(Drop::none);
}

Outcome Server::inform(const DhcpMessage& m, Ip4 src_ip, MutBytes out) {
  // RFC 2131 4.3.5: the client has an address already (ciaddr; a client that leaves it out is
  // answered at the packet's source address). No yiaddr, no lease time, no lease check.
  const Ip4 client = m.ciaddr != 0 ? m.ciaddr : src_ip;
  emit(EventType::dhcp_inform, m.chaddr, client);
  int pi = m.giaddr != 0 ? pool_.pool_of(m.giaddr) : pool_.pool_of(client);
  if (pi < 0 && m.giaddr == 0) pi = pool_.pool_of(snap_->server_ip);
  if (pi < 0) return no_reply(Drop::dhcp_no_pool);
  Reply r = reply_for(m, kAck, &pool_.pool(pi));
  r.ciaddr = client;
  Outcome o;
  o.len = write_reply(*snap_, m, r, out);
  if (o.len == 0) return no_reply(Drop::dhcp_reply_overflow);
  o.type = kAck;
  o.to = reply_target(m, kAck, client, 0);
  return o;
}

void Server::emit(EventType t, const Mac& mac, Ip4 ip, uint16_t code, std::string_view text) {
  Event e;
  e.time_ns = realtime_ns();
  e.type = t;
  e.worker = worker_;
  e.code = code;
  e.mac = mac;
  e.ip = ip;
  if (!text.empty()) e.set_text(text);  // set_text would memcpy from a null data()
  events_.emit(e);
}

}  // namespace bs::dhcp
