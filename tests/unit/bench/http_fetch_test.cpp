// The storm's HTTP fetches (bench/http_fetch.hpp) end to end in process: HttpClients' frames go
// through a test wire (which can drop or duplicate every Nth frame, and answers a SYN to a closed
// port with a RST) to a second lwIP netif on the same stack, running a small raw-API HTTP server;
// the server's frames come back to the machine their address names. No sockets, no root; lwIP's
// timers run on its tcpip thread in real time. BS_HTTP_TEST_TRACE=1 prints every TCP segment on
// the wire.
#include "bench/http_fetch.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "dataplane/proto/arp.hpp"
#include "dataplane/proto/ethernet.hpp"
#include "dataplane/proto/ipv4.hpp"

extern "C" {
#include "lwip/etharp.h"
#include "lwip/ip4.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"
}

namespace bs::bench {
namespace {

using proto::Bytes;
using proto::Ip4;
using proto::Mac;
using proto::MutBytes;
using Frame = std::vector<uint8_t>;
using State = HttpClients::Fetch::State;

const Ip4 kServerIp = *proto::parse_ip("10.91.0.1");
const Mac kServerMac = *Mac::parse("02:5e:00:00:00:01");
const Ip4 kMask = *proto::parse_ip("255.255.0.0");
constexpr uint16_t kClosedPort = 81;

Ip4 machine_ip(uint32_t id) {
  return kServerIp + 0x100 + id;
}  // 10.91.1.x
Mac machine_mac(uint32_t id) {
  return Mac{{0x02, 0x62, 0x73, uint8_t(id >> 16), uint8_t(id >> 8), uint8_t(id)}};
}
std::string url(std::string_view path, uint16_t port = 80) {
  return "http://" + proto::ip_str(kServerIp) + (port == 80 ? "" : ":" + std::to_string(port)) +
         std::string(path);
}

struct CoreLock {
  CoreLock() { sys_lock_tcpip_core(); }
  ~CoreLock() { sys_unlock_tcpip_core(); }
};

uint64_t now_us() {
  return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

// HttpClients' sink: the frames the machines sent.
struct Sink : FrameSink {
  std::vector<Frame> sent;
  Frame buf = Frame(2048);
  MutBytes frame() override { return MutBytes(buf.data(), buf.size()); }
  void send(size_t len) override { sent.emplace_back(buf.begin(), buf.begin() + long(len)); }
};

// ---- The server: an lwIP netif of its own on the same stack, an HTTP/1.1 server on port 80 ----
//
// Paths: /size/N (Content-Length N, close after), /keepalive/N (Content-Length N, the server
// does not close), /chunked/N (chunks of 1000), /eof/N (no length: the close ends it),
// /short/N (Content-Length N, N/2 sent, then close), /garbage (not HTTP), /stall (no answer);
// anything else 404 "not found\n". Bodies are 'a' + i % 26.
class Server {
 public:
  struct Conn {
    Server* s = nullptr;
    tcp_pcb* pcb = nullptr;
    Ip4 peer = 0;
    std::string req, resp;
    size_t sent = 0;
    bool close_after = true, answered = false, reset = false;
  };

  Server() {
    CoreLock lock;
    ip4_addr_t a, m, gw;
    a.addr = lwip_htonl(kServerIp);
    m.addr = lwip_htonl(kMask);
    gw.addr = 0;
    EXPECT_NE(netif_add(&nif_, &a, &m, &gw, this, init, ethernet_input), nullptr);
    netif_set_up(&nif_);
    listen_ = tcp_new_ip_type(IPADDR_TYPE_V4);
    tcp_bind_netif(listen_, &nif_);
    EXPECT_EQ(tcp_bind(listen_, IP4_ADDR_ANY, 80), ERR_OK);
    listen_ = tcp_listen(listen_);
    tcp_arg(listen_, this);
    tcp_accept(listen_, on_accept);
  }
  ~Server() {
    CoreLock lock;
    for (auto& c : conns_)
      if (c->pcb) {
        tcp_arg(c->pcb, nullptr);
        tcp_abort(c->pcb);
      }
    tcp_close(listen_);
    // Whatever is left bound to this netif (closing, TIME_WAIT).
    for (tcp_pcb** list : {&tcp_active_pcbs, &tcp_tw_pcbs})
      for (bool again = true; again;) {
        again = false;
        for (tcp_pcb* p = *list; p; p = p->next)
          if (p->netif_idx == netif_get_index(&nif_)) {
            tcp_arg(p, nullptr);
            tcp_err(p, nullptr);
            tcp_abort(p);
            again = true;
            break;
          }
      }
    netif_remove(&nif_);
  }

  void input(const Frame& f) {
    CoreLock lock;
    pbuf* p = pbuf_alloc(PBUF_RAW, u16_t(f.size()), PBUF_RAM);
    pbuf_take(p, f.data(), u16_t(f.size()));
    if (nif_.input(p, &nif_) != ERR_OK) pbuf_free(p);
  }
  std::vector<Frame> take() {
    std::lock_guard g(mu_);
    return std::move(out_);
  }
  void push(Frame f) {
    std::lock_guard g(mu_);
    out_.push_back(std::move(f));
  }
  // The MACs the server sends to (its "ARP table": the test's machines).
  void know(Ip4 ip, const Mac& mac) {
    std::lock_guard g(mu_);
    macs_[ip] = mac;
  }
  // (peer address, path) of every request, and how many connections were reset.
  std::vector<std::pair<Ip4, std::string>> requests() {
    CoreLock lock;
    return requests_;
  }
  int resets() {
    CoreLock lock;
    int n = 0;
    for (auto& c : conns_) n += c->reset;
    return n;
  }

 private:
  static err_t init(struct netif* n) {
    n->name[0] = 's';
    n->name[1] = 'v';
    n->mtu = 1500;
    n->hwaddr_len = 6;
    std::memcpy(n->hwaddr, kServerMac.b.data(), 6);
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    n->output = output;
    n->linkoutput = linkoutput;
    return ERR_OK;
  }
  static err_t output(struct netif* n, pbuf* p, const ip4_addr_t* dst) {
    auto* s = static_cast<Server*>(n->state);
    eth_addr mac;
    {
      std::lock_guard g(s->mu_);
      auto it = s->macs_.find(lwip_ntohl(dst->addr));
      if (it == s->macs_.end()) return ERR_RTE;
      std::memcpy(mac.addr, it->second.b.data(), 6);
    }
    return ethernet_output(n, p, reinterpret_cast<const eth_addr*>(n->hwaddr), &mac, ETHTYPE_IP);
  }
  static err_t linkoutput(struct netif* n, pbuf* p) {
    Frame f(p->tot_len);
    pbuf_copy_partial(p, f.data(), p->tot_len, 0);
    static_cast<Server*>(n->state)->push(std::move(f));
    return ERR_OK;
  }

  static err_t on_accept(void* arg, tcp_pcb* pcb, err_t err) {
    auto* s = static_cast<Server*>(arg);
    if (err != ERR_OK || !pcb) return ERR_VAL;
    auto c = std::make_unique<Conn>();
    c->s = s;
    c->pcb = pcb;
    c->peer = lwip_ntohl(ip_2_ip4(&pcb->remote_ip)->addr);
    tcp_arg(pcb, c.get());
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    s->conns_.push_back(std::move(c));
    return ERR_OK;
  }
  static void on_err(void* arg, err_t err) {
    auto* c = static_cast<Conn*>(arg);
    if (!c) return;
    c->pcb = nullptr;
    if (err == ERR_RST || err == ERR_ABRT) c->reset = true;
  }
  static void close(Conn* c) {
    if (!c->pcb) return;
    tcp_arg(c->pcb, nullptr);
    tcp_recv(c->pcb, nullptr);
    tcp_sent(c->pcb, nullptr);
    tcp_err(c->pcb, nullptr);
    if (tcp_close(c->pcb) != ERR_OK) tcp_abort(c->pcb);
    c->pcb = nullptr;
  }
  static err_t on_recv(void* arg, tcp_pcb* pcb, pbuf* p, err_t) {
    auto* c = static_cast<Conn*>(arg);
    if (!p) {  // the client closed
      close(c);
      return ERR_OK;
    }
    tcp_recved(pcb, p->tot_len);
    if (!c->answered) {
      std::string chunk(p->tot_len, '\0');
      pbuf_copy_partial(p, chunk.data(), p->tot_len, 0);
      c->req += chunk;
    }
    pbuf_free(p);
    if (!c->answered && c->req.find("\r\n\r\n") != std::string::npos) {
      c->answered = true;
      std::string path = c->req.substr(4, c->req.find(' ', 4) - 4);
      c->s->requests_.emplace_back(c->peer, path);
      if (!answer(c, path)) return ERR_OK;  // stall
      send_more(c);
    }
    return ERR_OK;
  }
  static err_t on_sent(void* arg, tcp_pcb*, u16_t) {
    if (arg) send_more(static_cast<Conn*>(arg));
    return ERR_OK;
  }
  static std::string body(size_t n) {
    std::string b(n, '\0');
    for (size_t i = 0; i < n; ++i) b[i] = char('a' + i % 26);
    return b;
  }
  // The response for path into c->resp; false: none (stall).
  static bool answer(Conn* c, const std::string& path) {
    auto arg = [&](std::string_view prefix) -> long {
      return path.rfind(prefix, 0) == 0 ? std::stol(path.substr(prefix.size())) : -1;
    };
    long n;
    if ((n = arg("/size/")) >= 0 || (n = arg("/keepalive/")) >= 0) {
      c->resp =
          "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n" + body(size_t(n));
      c->close_after = path.rfind("/size/", 0) == 0;
    } else if ((n = arg("/chunked/")) >= 0) {
      c->resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
      std::string b = body(size_t(n));
      for (size_t at = 0; at < b.size(); at += 1000) {
        size_t k = std::min<size_t>(1000, b.size() - at);
        char hex[16];
        std::snprintf(hex, sizeof(hex), "%zx\r\n", k);
        c->resp += hex + b.substr(at, k) + "\r\n";
      }
      c->resp += "0\r\n\r\n";
    } else if ((n = arg("/eof/")) >= 0) {
      c->resp = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body(size_t(n));
    } else if ((n = arg("/short/")) >= 0) {
      c->resp = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n" +
                body(size_t(n) / 2);
    } else if (path == "/garbage") {
      c->resp = "<html>not HTTP</html>\r\n\r\n";
    } else if (path == "/stall") {
      return false;
    } else {
      c->resp = "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\nnot found\n";
    }
    return true;
  }
  static void send_more(Conn* c) {
    if (!c->pcb) return;
    while (c->sent < c->resp.size()) {
      size_t room = tcp_sndbuf(c->pcb);
      size_t k = std::min({room, c->resp.size() - c->sent, size_t(0x8000)});
      if (k == 0) break;
      if (tcp_write(c->pcb, c->resp.data() + c->sent, u16_t(k), TCP_WRITE_FLAG_COPY) != ERR_OK)
        break;
      c->sent += k;
    }
    tcp_output(c->pcb);
    if (c->sent == c->resp.size() && c->close_after) close(c);
  }

  struct netif nif_ {};
  tcp_pcb* listen_ = nullptr;
  std::vector<std::unique_ptr<Conn>> conns_;           // core lock
  std::vector<std::pair<Ip4, std::string>> requests_;  // core lock
  std::mutex mu_;
  std::vector<Frame> out_;
  std::map<Ip4, Mac> macs_;
};

// A RST|ACK from kServerIp:kClosedPort for a SYN (what a host without a listener answers).
Frame rst_for(const Frame& syn) {
  const uint8_t* ip = syn.data() + 14;
  size_t ihl = size_t(ip[0] & 0x0f) * 4;
  const uint8_t* t = ip + ihl;
  Frame f(14 + 20 + 20);
  proto::write_eth(MutBytes(f.data(), 14), Mac{{syn[6], syn[7], syn[8], syn[9], syn[10], syn[11]}},
                   kServerMac, proto::kEtherIpv4);
  Ip4 src = proto::load32(ip + 12), dst = proto::load32(ip + 16);
  proto::write_ipv4(MutBytes(f.data() + 14, 20), dst, src, 6, 20, 1);
  uint8_t* r = f.data() + 34;
  proto::store16(r, proto::load16(t + 2));
  proto::store16(r + 2, proto::load16(t));
  proto::store32(r + 4, 0);
  proto::store32(r + 8, proto::load32(t + 4) + 1);
  r[12] = 5 << 4;
  r[13] = 0x14;  // RST|ACK
  uint8_t pseudo[12];
  proto::store32(pseudo, dst);
  proto::store32(pseudo + 4, src);
  pseudo[8] = 0;
  pseudo[9] = 6;
  proto::store16(pseudo + 10, 20);
  uint32_t sum = proto::csum_partial(Bytes(pseudo, 12));
  proto::store16(r + 16, proto::csum_fold(proto::csum_partial(Bytes(r, 20), sum)));
  return f;
}

// The machines, the server and the wire between them.
struct Bench {
  Sink sink;
  HttpClients clients;
  Server server;                           // after clients: lwIP is started by HttpClients
  uint32_t drop_every = 0, dup_every = 0;  // 0: none
  std::function<bool(const Frame&)> drop_to_server;  // true: lose this frame of a machine's
  uint64_t n_to_server = 0, n_to_clients = 0, dropped = 0;
  std::map<Ip4, uint32_t> ids;  // machine address -> id
  std::vector<Frame> from_clients_log;
  bool bad_type = false, bad_mac = false;

  explicit Bench(HttpClients::Options o = {}) : clients(sink, o) {}

  bool start(uint32_t id, std::string_view u, std::string* error = nullptr) {
    std::string e;
    ids[machine_ip(id)] = id;
    server.know(machine_ip(id), machine_mac(id));
    bool ok = clients.start(id, machine_mac(id), machine_ip(id), kMask, u, now_us(), &e);
    if (error) *error = e;
    return ok;
  }

  // Moves frames both ways until done() or limit_s; true when done() held.
  bool run(const std::function<bool()>& done, double limit_s = 15) {
    uint64_t t0 = now_us();
    while (!done()) {
      if (now_us() - t0 > uint64_t(limit_s * 1e6)) return false;
      clients.poll(now_us());
      bool moved = false;
      auto from_clients = std::move(sink.sent);
      sink.sent.clear();
      for (auto& f : from_clients) {
        moved = true;
        from_clients_log.push_back(f);
        check_client_frame(f);
        ++n_to_server;
        bool drop =
            (drop_every && n_to_server % drop_every == 0) || (drop_to_server && drop_to_server(f));
        trace(">", f, drop);
        if (drop) {
          ++dropped;
          continue;
        }
        int copies = dup_every && n_to_server % dup_every == 0 ? 2 : 1;
        for (int k = 0; k < copies; ++k) to_server(f);
      }
      for (auto& f : server.take()) {
        moved = true;
        ++n_to_clients;
        trace("<", f, drop_every && n_to_clients % drop_every == 0);
        if (drop_every && n_to_clients % drop_every == 0) {
          ++dropped;
          continue;
        }
        int copies = dup_every && n_to_clients % dup_every == 0 ? 2 : 1;
        for (int k = 0; k < copies; ++k) to_client(f);
      }
      if (!moved) std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    return true;
  }
  bool run_until_ended(const std::vector<uint32_t>& which, double limit_s = 15) {
    return run(
        [&] {
          for (uint32_t id : which) {
            auto* f = clients.fetch(id);
            if (!f || f->state == State::running) return false;
          }
          return true;
        },
        limit_s);
  }

  void check_client_frame(const Frame& f) {
    uint16_t type = proto::load16(&f[12]);
    if (type != proto::kEtherIpv4 && type != proto::kEtherArp) bad_type = true;
    if (f.size() < 60) bad_type = true;
    Ip4 src = type == proto::kEtherIpv4 ? proto::load32(&f[26]) : proto::load32(&f[28]);
    auto it = ids.find(src);
    if (it == ids.end() ||
        !std::equal(f.begin() + 6, f.begin() + 12, machine_mac(it->second).b.begin()))
      bad_mac = true;
  }
  // One line per TCP segment (BS_HTTP_TEST_TRACE set): time, direction, source, ports, flags.
  static void trace(const char* dir, const Frame& f, bool drop) {
    if (!std::getenv("BS_HTTP_TEST_TRACE") || proto::load16(&f[12]) != proto::kEtherIpv4 ||
        f[23] != 6)
      return;
    const uint8_t* t = &f[14 + size_t(f[14] & 0x0f) * 4];
    size_t len = proto::load16(&f[16]) - size_t(f[14] & 0x0f) * 4 - size_t(t[12] >> 4) * 4;
    std::printf(
        "%8.3f %s %s %u>%u seq %u ack %u fl %02x len %zu%s\n", double(now_us() % 100000000) / 1e6,
        dir, proto::ip_str(proto::load32(&f[26])).c_str(), proto::load16(t), proto::load16(t + 2),
        proto::load32(t + 4), proto::load32(t + 8), t[13], len, drop ? " DROP" : "");
  }
  void to_server(const Frame& f) {
    if (proto::load16(&f[12]) == proto::kEtherIpv4 && f[23] == 6) {
      const uint8_t* t = &f[14 + size_t(f[14] & 0x0f) * 4];
      if (proto::load16(t + 2) == kClosedPort) {
        if ((t[13] & 0x12) == 0x02) server.push(rst_for(f));  // SYN
        return;
      }
    }
    server.input(f);
  }
  void to_client(const Frame& f) {
    uint16_t type = proto::load16(&f[12]);
    Ip4 dst = type == proto::kEtherArp ? proto::load32(&f[38]) : proto::load32(&f[30]);
    auto it = ids.find(dst);
    if (it != ids.end()) clients.on_frame(it->second, Bytes(f.data(), f.size()));
  }
};

int machine_netifs() {
  CoreLock lock;
  int n = 0;
  for (struct netif* n2 = netif_list; n2; n2 = n2->next)
    n += n2->name[0] == 'b' && n2->name[1] == 's';
  return n;
}

class HttpFetch : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_EQ(machine_netifs(), 0) << "netifs left behind"; }
};

TEST(HttpUrl, Parses) {
  std::string e;
  auto u = parse_http_url("http://10.0.0.1/ks/node001.ks", &e);
  ASSERT_TRUE(u) << e;
  EXPECT_EQ(u->ip, *proto::parse_ip("10.0.0.1"));
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->path, "/ks/node001.ks");
  u = parse_http_url("HTTP://192.168.1.254:8080/a?b=c#frag", &e);
  ASSERT_TRUE(u) << e;
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path, "/a?b=c");
  u = parse_http_url("http://1.2.3.4", &e);
  ASSERT_TRUE(u) << e;
  EXPECT_EQ(u->path, "/");
  for (const char* bad :
       {"", "ftp://1.2.3.4/x", "http://server/x", "http://1.2.3/x", "http://1.2.3.4.5/",
        "http://1.2.3.256/", "http://1.2.3.4:0/", "http://1.2.3.4:65536/", "http://1.2.3.4:/",
        "http://u@1.2.3.4/", "http://[::1]/", "http:///x", "http://1.2.3.4/a b", "http://0.0.0.0/",
        "http://224.0.0.1/", "https://1.2.3.4/"}) {
    e.clear();
    EXPECT_FALSE(parse_http_url(bad, &e)) << bad;
    EXPECT_FALSE(e.empty()) << bad;
  }
}

TEST_F(HttpFetch, BadUrlIsAnErrorAndNoNetif) {
  Bench b;
  std::string e;
  EXPECT_FALSE(b.start(1, "http://kickstart.example/ks", &e));
  EXPECT_NE(e.find("dotted quad"), std::string::npos) << e;
  EXPECT_EQ(b.clients.active(), 0u);
  EXPECT_EQ(b.clients.fetch(1), nullptr);
}

// Several machines at once, each from its own address and MAC, bodies of every shape of size.
TEST_F(HttpFetch, ConcurrentGetsFromTheirOwnAddresses) {
  Bench b;
  const std::vector<size_t> sizes = {0, 1, 1460, 1461, 5000, 20000, 65536, 150000};
  std::vector<uint32_t> ids;
  for (uint32_t k = 0; k < sizes.size(); ++k) {
    uint32_t id = 1000 + k * 7;  // any id
    ids.push_back(id);
    ASSERT_TRUE(b.start(id, url("/size/" + std::to_string(sizes[k]))));
    EXPECT_EQ(b.clients.fetch(id)->state, State::running);
  }
  EXPECT_EQ(b.clients.active(), sizes.size());
  ASSERT_TRUE(b.run_until_ended(ids));
  for (uint32_t k = 0; k < sizes.size(); ++k) {
    auto* f = b.clients.fetch(ids[k]);
    EXPECT_EQ(f->state, State::done) << f->error;
    EXPECT_EQ(f->status, 200);
    EXPECT_EQ(f->body_bytes, sizes[k]);
    EXPECT_EQ(f->content_length, int64_t(sizes[k]));
    EXPECT_EQ(f->retransmits, 0u);
    EXPECT_GE(f->end_us, f->start_us);
    EXPECT_TRUE(f->error.empty());
  }
  EXPECT_FALSE(b.bad_type) << "a frame that is not IPv4 or ARP, or shorter than 60 bytes";
  EXPECT_FALSE(b.bad_mac) << "a frame from a machine's address with another MAC";
  // The server saw each request from its machine's address.
  std::set<std::pair<Ip4, std::string>> seen;
  for (auto& r : b.server.requests()) seen.insert(r);
  for (uint32_t k = 0; k < sizes.size(); ++k)
    EXPECT_TRUE(seen.count({machine_ip(ids[k]), "/size/" + std::to_string(sizes[k])})) << k;
  // No gratuitous ARP: every ARP a machine sent is a request for the server.
  for (auto& f : b.from_clients_log)
    if (proto::load16(&f[12]) == proto::kEtherArp) {
      auto a = proto::parse_arp(Bytes(f.data() + 14, f.size() - 14));
      ASSERT_TRUE(a.ok());
      EXPECT_EQ(a->op, proto::kArpRequest);
      EXPECT_EQ(a->tpa, kServerIp);
    }
  // A graceful end: each machine sent its FIN, no RST, neither before finish() nor after (the
  // server closed first: finish() drops the pcb quietly).
  b.run([] { return false; }, 0.05);
  for (uint32_t id : ids) b.clients.finish(id);
  EXPECT_EQ(b.clients.active(), 0u);
  EXPECT_EQ(b.clients.fetch(ids[0]), nullptr);
  b.run([] { return false; }, 0.05);
  std::map<Ip4, int> fins, rsts;
  for (auto& f : b.from_clients_log)
    if (proto::load16(&f[12]) == proto::kEtherIpv4 && f[23] == 6) {
      uint8_t flags = f[14 + size_t(f[14] & 0x0f) * 4 + 13];
      fins[proto::load32(&f[26])] += (flags & 0x01) != 0;
      rsts[proto::load32(&f[26])] += (flags & 0x04) != 0;
    }
  for (uint32_t id : ids) {
    EXPECT_EQ(fins[machine_ip(id)], 1) << id;
    EXPECT_EQ(rsts[machine_ip(id)], 0) << id;
  }
  EXPECT_EQ(b.server.resets(), 0);
}

TEST_F(HttpFetch, ChunkedCloseDelimitedAndKeepAliveBodies) {
  Bench b;
  ASSERT_TRUE(b.start(1, url("/chunked/10500")));
  ASSERT_TRUE(b.start(2, url("/eof/7000")));
  ASSERT_TRUE(b.start(3, url("/keepalive/3000")));  // done at Content-Length, server still open
  ASSERT_TRUE(b.run_until_ended({1, 2, 3}));
  auto* f = b.clients.fetch(1);
  EXPECT_EQ(f->state, State::done) << f->error;
  EXPECT_EQ(f->body_bytes, 10500u);
  EXPECT_EQ(f->content_length, -1);
  f = b.clients.fetch(2);
  EXPECT_EQ(f->state, State::done) << f->error;
  EXPECT_EQ(f->body_bytes, 7000u);
  EXPECT_EQ(f->content_length, -1);
  f = b.clients.fetch(3);
  EXPECT_EQ(f->state, State::done) << f->error;
  EXPECT_EQ(f->body_bytes, 3000u);
  EXPECT_EQ(f->content_length, 3000);
}

// The flags of each TCP segment machine id sent, in order ("S", "F", "R", "." for the rest).
std::string machine_flags(const Bench& b, uint32_t id) {
  std::string out;
  for (auto& f : b.from_clients_log)
    if (proto::load16(&f[12]) == proto::kEtherIpv4 && f[23] == 6 &&
        proto::load32(&f[26]) == machine_ip(id)) {
      uint8_t flags = f[14 + size_t(f[14] & 0x0f) * 4 + 13];
      out += flags & 0x04 ? 'R' : flags & 0x02 ? 'S' : flags & 0x01 ? 'F' : '.';
    }
  return out;
}

// finish() right at the end: a server that closed first is left quietly (the machine's pcb has
// both FINs); one that has not answered the machine's FIN yet gets a RST rather than sending
// its FIN to a machine that is gone.
TEST_F(HttpFetch, FinishRightAfterTheEnd) {
  Bench b;
  ASSERT_TRUE(b.start(1, url("/size/3000")));
  ASSERT_TRUE(b.run_until_ended({1}));
  b.clients.finish(1);
  ASSERT_TRUE(b.start(2, url("/keepalive/3000")));
  ASSERT_TRUE(b.run_until_ended({2}));
  b.clients.finish(2);
  b.run([] { return false; }, 0.05);
  std::string f1 = machine_flags(b, 1), f2 = machine_flags(b, 2);
  EXPECT_EQ(f1.find('R'), std::string::npos) << f1;
  EXPECT_EQ(f1.back(), 'F') << f1;
  EXPECT_EQ(f2.substr(f2.size() - 2), "FR") << f2;
}

TEST_F(HttpFetch, NotFoundIsDoneWithItsStatus) {
  Bench b;
  ASSERT_TRUE(b.start(5, url("/ks/unknown.ks")));
  ASSERT_TRUE(b.run_until_ended({5}));
  auto* f = b.clients.fetch(5);
  EXPECT_EQ(f->state, State::done) << f->error;
  EXPECT_EQ(f->status, 404);
  EXPECT_EQ(f->body_bytes, 10u);
}

TEST_F(HttpFetch, RefusedMalformedAndShortResponsesFail) {
  Bench b;
  ASSERT_TRUE(b.start(1, url("/size/10", kClosedPort)));
  ASSERT_TRUE(b.start(2, url("/garbage")));
  ASSERT_TRUE(b.start(3, url("/short/4000")));
  ASSERT_TRUE(b.run_until_ended({1, 2, 3}));
  auto* f = b.clients.fetch(1);
  EXPECT_EQ(f->state, State::failed);
  EXPECT_EQ(f->error, "connection refused");
  f = b.clients.fetch(2);
  EXPECT_EQ(f->state, State::failed) << f->status << " " << f->body_bytes;
  EXPECT_EQ(f->error.rfind("HPE_", 0), 0u) << f->error;
  f = b.clients.fetch(3);
  EXPECT_EQ(f->state, State::failed);
  EXPECT_EQ(f->status, 200);
  EXPECT_EQ(f->body_bytes, 2000u);
  EXPECT_NE(f->error.find("closed before the end"), std::string::npos) << f->error;
}

// Every 8th frame lost each way: lwIP retransmits, the fetches complete, and count it. (A lost
// segment that fast retransmit does not cover costs lwIP's RTO, 1.5 to 3 s, doubling: kept small
// to stay within seconds.)
TEST_F(HttpFetch, LossIsRetransmittedAndCounted) {
  Bench b;
  b.drop_every = 8;
  std::vector<uint32_t> ids = {1, 2};
  for (uint32_t id : ids) ASSERT_TRUE(b.start(id, url("/size/15000")));
  ASSERT_TRUE(b.run_until_ended(ids, 18));
  EXPECT_GT(b.dropped, 0u);
  for (uint32_t id : ids) {
    auto* f = b.clients.fetch(id);
    EXPECT_EQ(f->state, State::done) << f->error;
    EXPECT_EQ(f->body_bytes, 15000u);
    EXPECT_EQ(f->retransmits, f->retransmits_in + f->retransmits_out);
    EXPECT_GT(f->retransmits, 0u) << id;
  }
}

// The machine's first SYN lost: lwIP sends it again (its initial RTO, 3 s), counted as the
// machine's own retransmission.
TEST_F(HttpFetch, LostSynIsCountedAsTheMachinesRetransmission) {
  Bench b;
  int syns = 0;
  b.drop_to_server = [&](const Frame& f) {
    bool syn = proto::load16(&f[12]) == proto::kEtherIpv4 && f[23] == 6 &&
               (f[14 + size_t(f[14] & 0x0f) * 4 + 13] & 0x12) == 0x02;
    return syn && ++syns == 1;
  };
  ASSERT_TRUE(b.start(1, url("/size/3000")));
  ASSERT_TRUE(b.run_until_ended({1}, 10));
  auto* f = b.clients.fetch(1);
  EXPECT_EQ(f->state, State::done) << f->error;
  EXPECT_EQ(f->body_bytes, 3000u);
  EXPECT_EQ(syns, 2);
  EXPECT_EQ(f->retransmits_out, 1u);
  EXPECT_EQ(f->retransmits_in, 0u);
  EXPECT_EQ(f->retransmits, 1u);
}

// Every 3rd frame twice: lwIP drops the copies, the bodies are counted once.
TEST_F(HttpFetch, DuplicatedFramesAreHarmless) {
  Bench b;
  b.dup_every = 3;
  std::vector<uint32_t> ids = {1, 2, 3};
  for (uint32_t id : ids) ASSERT_TRUE(b.start(id, url("/size/30000")));
  ASSERT_TRUE(b.run_until_ended(ids));
  for (uint32_t id : ids) {
    auto* f = b.clients.fetch(id);
    EXPECT_EQ(f->state, State::done) << f->error;
    EXPECT_EQ(f->body_bytes, 30000u);
    EXPECT_GT(f->retransmits_in, 0u);  // a duplicate looks like the server's retransmission
  }
}

TEST_F(HttpFetch, TimeoutAbortsTheConnection) {
  Bench b(HttpClients::Options{.timeout_us = 300'000, .max_netifs = 250});
  ASSERT_TRUE(b.start(1, url("/stall")));
  uint64_t t0 = now_us();
  ASSERT_TRUE(b.run_until_ended({1}));
  auto* f = b.clients.fetch(1);
  EXPECT_EQ(f->state, State::failed);
  EXPECT_EQ(f->error.rfind("timeout", 0), 0u) << f->error;
  EXPECT_GE(now_us() - t0, 300'000u);
  EXPECT_GE(f->end_us - f->start_us, 300'000u);
  // The RST reached the server.
  EXPECT_TRUE(b.run([&] { return b.server.resets() == 1; }, 2));
}

// No more netifs than max_netifs: start() says "later" (false, no error) until finish().
TEST_F(HttpFetch, MaxNetifsAreReusedAfterFinish) {
  Bench b(HttpClients::Options{.timeout_us = 60'000'000, .max_netifs = 2});
  std::string e = "x";
  ASSERT_TRUE(b.start(1, url("/size/100"), &e));
  ASSERT_TRUE(b.start(2, url("/size/200"), &e));
  EXPECT_FALSE(b.start(3, url("/size/300"), &e));
  EXPECT_TRUE(e.empty()) << e;
  EXPECT_EQ(b.clients.active(), 2u);
  EXPECT_EQ(b.clients.fetch(3), nullptr);
  ASSERT_TRUE(b.run_until_ended({1, 2}));
  EXPECT_EQ(b.clients.active(), 2u);  // done, still holding the netif until finish()
  EXPECT_FALSE(b.start(3, url("/size/300"), &e));
  b.clients.finish(1);
  b.clients.finish(77);  // unknown: nothing
  EXPECT_EQ(b.clients.active(), 1u);
  ASSERT_TRUE(b.start(3, url("/size/300"), &e)) << e;
  ASSERT_TRUE(b.run_until_ended({3}));
  EXPECT_EQ(b.clients.fetch(3)->state, State::done);
  EXPECT_EQ(b.clients.fetch(3)->body_bytes, 300u);
  // Round after round through the same two netif slots.
  for (uint32_t round = 0; round < 5; ++round) {
    b.clients.finish(2);
    b.clients.finish(3);
    ASSERT_TRUE(b.start(2, url("/size/1000"), &e)) << e;
    ASSERT_TRUE(b.start(3, url("/chunked/2000"), &e)) << e;
    ASSERT_TRUE(b.run_until_ended({2, 3}));
    EXPECT_EQ(b.clients.fetch(2)->body_bytes, 1000u);
    EXPECT_EQ(b.clients.fetch(3)->body_bytes, 2000u);
  }
  // start() on an id with a fetch finishes it first.
  ASSERT_TRUE(b.start(3, url("/size/5"), &e)) << e;
  EXPECT_EQ(b.clients.fetch(3)->state, State::running);
  ASSERT_TRUE(b.run_until_ended({3}));
  EXPECT_EQ(b.clients.fetch(3)->body_bytes, 5u);
  EXPECT_EQ(b.clients.active(), 2u);
}

// The machine's netif answers ARP for its address (lwIP's etharp), with its MAC.
TEST_F(HttpFetch, AnswersArpForItsAddress) {
  Bench b;
  ASSERT_TRUE(b.start(9, url("/stall")));
  b.clients.poll(now_us());
  b.sink.sent.clear();
  Frame req(60, 0);
  proto::write_eth(MutBytes(req.data(), 14), proto::kBroadcastMac, kServerMac, proto::kEtherArp);
  proto::Arp a{proto::kArpRequest, kServerMac, kServerIp, Mac{}, machine_ip(9)};
  proto::write_arp(MutBytes(req.data() + 14, 28), a);
  b.clients.on_frame(9, Bytes(req.data(), req.size()));
  b.clients.poll(now_us());
  bool replied = false;
  for (auto& f : b.sink.sent) {
    if (proto::load16(&f[12]) != proto::kEtherArp) continue;
    auto r = proto::parse_arp(Bytes(f.data() + 14, f.size() - 14));
    ASSERT_TRUE(r.ok());
    if (r->op != proto::kArpReply) continue;
    replied = true;
    EXPECT_EQ(r->sha, machine_mac(9));
    EXPECT_EQ(r->spa, machine_ip(9));
    EXPECT_EQ(r->tha, kServerMac);
    EXPECT_EQ(r->tpa, kServerIp);
    EXPECT_TRUE(std::equal(f.begin(), f.begin() + 6, kServerMac.b.begin()));
  }
  EXPECT_TRUE(replied);
  // A frame to another address, or for an unknown id, goes nowhere.
  b.clients.on_frame(12345, Bytes(req.data(), req.size()));
}

}  // namespace
}  // namespace bs::bench
