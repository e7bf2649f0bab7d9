// HttpClients' fetches (http_fetch.hpp): URL parsing, lwIP's start, the http-parser and TCP
// callbacks that drive a fetch and its state, and the public methods (start, poll, finish, ...).
// The netifs and their frames (ARP, the outgoing queue, what on_frame() lets in) are
// http_netif.cpp's.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstring>
#include <future>
#include <random>

#include "http_fetch.hpp"
#include "http_fetch_internal.hpp"

extern "C" {
#include "lwip/init.h"
#include "lwip/priv/tcp_priv.h"
}

namespace bs::bench {

using Fetch = HttpClients::Fetch;
using namespace http_detail;

namespace {

void start_lwip() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::promise<void> ready;
    tcpip_init([](void* arg) { static_cast<std::promise<void>*>(arg)->set_value(); }, &ready);
    ready.get_future().wait();
  });
}

constexpr size_t kProcessNetifs = 250;  // lwIP numbers netifs 0..254; leave room for others

const char* lwip_err_text(err_t e) {
  switch (e) {
    case ERR_ABRT:
      return "connection aborted (lwIP gave up retransmitting)";
    case ERR_RST:
      return "connection reset";
    case ERR_CLSD:
      return "connection closed";
    case ERR_MEM:
      return "out of memory";
    case ERR_BUF:
      return "no buffer (or no free local port)";
    case ERR_RTE:
      return "no route";
    case ERR_USE:
      return "address in use";
    case ERR_CONN:
      return "not connected";
    case ERR_TIMEOUT:
      return "timeout";
    default:
      return "lwIP error";
  }
}

}  // namespace

std::optional<HttpUrl> parse_http_url(std::string_view url, std::string* error) {
  auto fail = [&](const char* why) -> std::optional<HttpUrl> {
    if (error) *error = std::string("bad URL '") + std::string(url) + "': " + why;
    return std::nullopt;
  };
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size()) return fail("not http://");
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(url[i])) != kScheme[i]) return fail("not http://");
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (size_t hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  if (authority.find('@') != std::string_view::npos) return fail("user info is not supported");
  HttpUrl u;
  std::string_view host = authority;
  if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    std::string_view port = authority.substr(colon + 1);
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (port.empty() || ec != std::errc() || p != port.data() + port.size() || v == 0 || v > 65535)
      return fail("bad port");
    u.port = uint16_t(v);
  }
  if (host.empty()) return fail("no host");
  // Dotted quad only: four decimal numbers 0..255.
  uint32_t ip = 0;
  int parts = 0;
  std::string_view h = host;
  while (true) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(h.data(), h.data() + h.size(), v);
    if (ec != std::errc() || p == h.data() || v > 255) return fail("the host is not a dotted quad");
    ip = ip << 8 | v;
    ++parts;
    h = h.substr(size_t(p - h.data()));
    if (h.empty()) break;
    if (h[0] != '.' || parts == 4) return fail("the host is not a dotted quad");
    h = h.substr(1);
  }
  if (parts != 4) return fail("the host is not a dotted quad");
  if (ip == 0 || ip == 0xffffffff || (ip >> 28) == 0xe) return fail("not a unicast address");
  u.ip = ip;
  if (path.empty())
    u.path = "/";
  else if (path[0] != '/')
    u.path = "/" + std::string(path);  // "http://a.b.c.d?x"
  else
    u.path = std::string(path);
  for (char ch : u.path)
    if (static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f)
      return fail("space or control in the path");
  return u;
}

namespace {

// ---- HTTP (http-parser callbacks; core lock held) ----

int on_headers_complete(http_parser* p) {
  auto* c = static_cast<Conn*>(p->data);
  c->live.status = int(p->status_code);
  if ((p->flags & F_CONTENTLENGTH) && !(p->flags & F_CHUNKED) && p->content_length != ULLONG_MAX)
    c->live.content_length = int64_t(p->content_length);
  c->touch();
  return 0;
}
int on_body(http_parser* p, const char*, size_t len) {
  auto* c = static_cast<Conn*>(p->data);
  c->live.body_bytes += len;
  c->touch();
  return 0;
}
int on_message_complete(http_parser* p) {
  auto* c = static_cast<Conn*>(p->data);
  c->complete = true;
  http_parser_pause(p, 1);  // what follows the response is not ours
  return 0;
}
const http_parser_settings kSettings = [] {
  http_parser_settings s{};
  s.on_headers_complete = on_headers_complete;
  s.on_body = on_body;
  s.on_message_complete = on_message_complete;
  return s;
}();

std::string parser_error(const http_parser& p) {
  auto e = HTTP_PARSER_ERRNO(&p);
  return std::string(http_errno_name(e)) + ": " + http_errno_description(e);
}

// ---- TCP (lwIP callbacks; core lock held) ----

void detach(tcp_pcb* pcb) {
  tcp_arg(pcb, nullptr);
  tcp_recv(pcb, nullptr);  // lwIP's tcp_recv_null: drops data, closes on FIN
  tcp_err(pcb, nullptr);
  tcp_sent(pcb, nullptr);
}

}  // namespace

namespace http_detail {

// Hands the pcb to lwIP: a FIN (tcp_close), a RST when that fails. true when it was aborted.
bool close_pcb(Conn& c) {
  tcp_pcb* pcb = c.pcb;
  if (!pcb) return false;
  c.pcb = nullptr;
  detach(pcb);
  if (tcp_close(pcb) == ERR_OK) return false;
  tcp_abort(pcb);
  return true;
}

// Removes every pcb still bound to netif n (closed by us and left to lwIP), so that neither the
// pcb nor its local port outlives the netif: silently once both FINs were sent (CLOSING,
// LAST_ACK, TIME_WAIT), with a RST while the server has not closed yet (FIN_WAIT_1/2: it would
// send its FIN to a machine that is gone, again and again).
void purge_pcbs(struct netif* n) {
  u8_t idx = netif_get_index(n);
  for (tcp_pcb** list : {&tcp_active_pcbs, &tcp_tw_pcbs}) {
    for (bool again = true; again;) {
      again = false;
      for (tcp_pcb* pcb = *list; pcb; pcb = pcb->next) {
        if (pcb->netif_idx == idx) {
          bool quiet = pcb->state == CLOSING || pcb->state == LAST_ACK || pcb->state == TIME_WAIT;
          detach(pcb);
          tcp_abandon(pcb, quiet ? 0 : 1);
          again = true;
          break;
        }
      }
    }
  }
}

}  // namespace http_detail

namespace {

void abort_pcb(Conn& c) {
  tcp_pcb* pcb = c.pcb;
  if (!pcb) return;
  c.pcb = nullptr;
  detach(pcb);
  tcp_abort(pcb);
}

void on_err(void* arg, err_t err) {
  auto* c = static_cast<Conn*>(arg);
  if (!c) return;
  c->pcb = nullptr;  // freed by lwIP
  if (err == ERR_RST && !c->connected)
    c->fail("connection refused");
  else if (err == ERR_ABRT && !c->connected)
    c->fail("connection aborted (no answer to the SYN)");
  else
    c->fail(lwip_err_text(err));
}

err_t on_recv(void* arg, tcp_pcb* pcb, pbuf* p, err_t err) {
  auto* c = static_cast<Conn*>(arg);
  if (!c) {  // not reached: detach() clears the callback with the arg
    if (p) {
      tcp_recved(pcb, p->tot_len);
      pbuf_free(p);
    }
    return ERR_OK;
  }
  if (!p) {  // the server's FIN
    if (c->live.state == Fetch::State::running && !c->complete) {
      http_parser_execute(&c->parser, &kSettings, nullptr, 0);  // EOF ends a body without length
      if (!c->complete) {
        auto e = HTTP_PARSER_ERRNO(&c->parser);
        c->fail(e != HPE_OK && e != HPE_PAUSED && e != HPE_INVALID_EOF_STATE
                    ? parser_error(c->parser)
                    : std::string("connection closed before the end of the response"));
      }
    }
    if (c->complete) c->done();
    return close_pcb(*c) ? ERR_ABRT : ERR_OK;
  }
  if (err != ERR_OK) {  // not used by lwIP 2.1
    pbuf_free(p);
    return ERR_OK;
  }
  tcp_recved(pcb, p->tot_len);
  if (c->live.state == Fetch::State::running && !c->complete) {
    for (pbuf* q = p; q && !c->complete; q = q->next) {
      http_parser_execute(&c->parser, &kSettings, static_cast<const char*>(q->payload), q->len);
      auto e = HTTP_PARSER_ERRNO(&c->parser);
      if (!c->complete && e != HPE_OK) {
        c->fail(parser_error(c->parser));
        pbuf_free(p);
        abort_pcb(*c);
        return ERR_ABRT;
      }
    }
  }
  pbuf_free(p);
  if (c->complete && c->live.state == Fetch::State::running) {
    // Closed after the input, not here: when the segment also carries the server's FIN, lwIP
    // opens the window for the FIN only after this callback, and tcp_close() on a window not
    // fully open sends a RST instead of a FIN.
    c->done();
    c->close_pending = true;
  }
  return ERR_OK;
}

err_t on_connected(void* arg, tcp_pcb* pcb, err_t err) {
  auto* c = static_cast<Conn*>(arg);
  if (!c) return ERR_OK;
  if (err != ERR_OK) {  // not used by lwIP 2.1 (errors go to on_err)
    c->fail(lwip_err_text(err));
    abort_pcb(*c);
    return ERR_ABRT;
  }
  c->connected = true;
  err_t e = tcp_write(pcb, c->request.data(), u16_t(c->request.size()), TCP_WRITE_FLAG_COPY);
  if (e == ERR_OK) e = tcp_output(pcb);
  if (e != ERR_OK) {
    c->fail(std::string("sending the request: ") + lwip_err_text(e));
    abort_pcb(*c);
    return ERR_ABRT;
  }
  return ERR_OK;
}

// A random local port. lwIP's own choice (and its ISN, 6510 + ticks) is the same sequence in
// every run of the process: a run soon after another would reuse 4-tuples the server still
// holds (TIME_WAIT, or not closed at all) and get challenge ACKs. Core lock held.
void bind_random_port(tcp_pcb* pcb, const ip_addr_t* local) {
  static std::mt19937 rng{std::random_device{}()};
  for (int k = 0; k < 16; ++k) {
    auto port = u16_t(49152 + rng() % 16384);
    if (tcp_bind(pcb, local, port) == ERR_OK) return;
  }
  tcp_bind(pcb, local, 0);  // lwIP's next free one
}

}  // namespace

// ---- HttpClients ----

HttpClients::HttpClients(FrameSink& out, Options o)
    : out_(out), opt_(o), shared_(std::make_unique<Shared>()) {
  opt_.max_netifs = std::min(opt_.max_netifs, kProcessNetifs);
  start_lwip();
}

HttpClients::~HttpClients() {
  CoreLock lock;
  for (auto& [id, c] : conns_) drop_conn(*c);
  conns_.clear();
}

void HttpClients::drop_conn(Conn& c) {  // core lock held
  abort_pcb(c);
  remove_netif(c);
}

bool HttpClients::start(uint32_t id, const proto::Mac& mac, proto::Ip4 ip, proto::Ip4 netmask,
                        std::string_view url, uint64_t now_us, std::string* error) {
  if (error) error->clear();
  std::string why;
  auto u = parse_http_url(url, &why);
  if (!u) {
    if (error) *error = why;
    return false;
  }
  if (conns_.count(id)) finish(id);
  shared_->now_us.store(now_us, std::memory_order_relaxed);

  auto c = std::make_unique<Conn>();
  c->shared = shared_.get();
  c->id = id;
  c->mac = mac;
  c->ip = ip;
  c->url = *u;
  c->request = "GET " + u->path + " HTTP/1.1\r\nHost: " + proto::ip_str(u->ip) +
               (u->port == 80 ? "" : ":" + std::to_string(u->port)) +
               "\r\nUser-Agent: bootstorm-bench\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  http_parser_init(&c->parser, HTTP_RESPONSE);
  c->parser.data = c.get();
  c->live.state = Fetch::State::running;
  c->live.start_us = now_us;

  CoreLock lock;
  if (conns_.size() >= opt_.max_netifs || g_netifs >= kProcessNetifs) return false;
  if (!add_netif(*c, netmask)) {
    if (error) *error = "netif_add failed";
    return false;
  }

  Conn& cr = *c;
  conns_.emplace(id, std::move(c));
  tcp_pcb* pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
  if (!pcb) {
    cr.fail("tcp_new failed");
  } else {
    cr.pcb = pcb;
    tcp_bind_netif(pcb, &cr.nif);
    tcp_arg(pcb, &cr);
    tcp_recv(pcb, on_recv);
    tcp_err(pcb, on_err);
    ip_addr_t local;
    ip_addr_set_ip4_u32_val(local, lwip_htonl(ip));
    bind_random_port(pcb, &local);
    ip_addr_t server;
    ip_addr_set_ip4_u32_val(server, lwip_htonl(u->ip));
    err_t e = tcp_connect(pcb, &server, u->port, on_connected);
    if (e != ERR_OK) {
      cr.fail(std::string("connect: ") + lwip_err_text(e));
      abort_pcb(cr);
    } else {
      cr.local_port = pcb->local_port;
    }
  }
  cr.dirty = true;
  sync(cr);
  return true;
}

void HttpClients::sync(Conn& c) {  // core lock held
  if (!c.dirty) return;
  c.dirty = false;
  c.live.retransmits = c.live.retransmits_out + c.live.retransmits_in;
  c.pub = c.live;
}

void HttpClients::sweep(uint64_t now_us) {  // core lock held
  uint32_t now_ms = sys_now();
  for (auto& [id, cp] : conns_) {
    Conn& c = *cp;
    if (c.live.state == Fetch::State::running && now_us - c.live.start_us >= opt_.timeout_us) {
      c.fail("timeout after " + std::to_string(opt_.timeout_us / 1000) + " ms" +
             (c.connected ? "" : " (not connected)"));
      abort_pcb(c);
    }
    if (c.close_pending) {  // not reached: on_frame() closes it
      c.close_pending = false;
      close_pcb(c);
    }
    for (auto& pe : c.peers)
      if (!pe.known && !pe.queue.empty() && now_ms - pe.asked_ms >= kArpRetryMs) arp_ask(c, pe);
  }
}

void HttpClients::poll(uint64_t now_us) {
  shared_->now_us.store(now_us, std::memory_order_relaxed);
  bool changed = shared_->changed.exchange(false, std::memory_order_acq_rel);
  bool sweep_due = now_us >= next_sweep_us_;
  if (changed || sweep_due) {
    CoreLock lock;
    if (sweep_due) {
      sweep(now_us);
      next_sweep_us_ = now_us + 10'000;
    }
    for (auto& [id, c] : conns_) sync(*c);
  }
  flush_frames();
}
const Fetch* HttpClients::fetch(uint32_t id) const {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : &it->second->pub;
}

void HttpClients::finish(uint32_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  {
    CoreLock lock;
    drop_conn(*it->second);
  }
  conns_.erase(it);
}

size_t HttpClients::active() const {
  return conns_.size();
}

}  // namespace bs::bench
