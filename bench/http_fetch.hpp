// The TCP/HTTP side of a storm's simulated PXE machines: after DHCP and TFTP each machine (its own
// MAC and IPv4 address) GETs its kickstart URL. TCP is lwIP's (Debian's liblwip, raw API), one
// lwIP netif per machine with a fetch under way, every pcb bound to its machine's netif
// (tcp_bind_netif: the netifs share one subnet, so routing by address cannot tell them apart);
// the response is parsed by http-parser.
//
// Frames: what lwIP emits for a machine (its TCP segments, its ARP requests and replies) goes into
// a mutex-protected queue, from the caller's thread or from lwIP's tcpip thread (whose timers
// retransmit); poll() copies the queue into the FrameSink. Only IPv4 and ARP leave: the netifs
// have no IPv6 address, and a gratuitous ARP (lwIP's on netif up) is not sent. The caller hands
// on_frame() every ARP frame and every IPv4 frame to the machine's address.
//
// ARP: lwIP's etharp answers requests for the machine's address. The machine resolves the peers it
// sends to itself (etharp_request, then the MAC from the reply or from any ARP frame the peer
// sends), in a small cache of its own rather than lwIP's ARP table: that table is global, ten
// entries in this build (ARP_TABLE_SIZE), and a storm's 250 netifs each resolving the server
// would evict each other's pending entries and the segments queued on them. Every peer is ARPed
// for directly (no gateway: the server is on the machines' subnet).
//
// TCP: the request is "GET <path> HTTP/1.1" with Host and "Connection: close". Each connection
// binds a random local port (lwIP's own port sequence and its ISN, 6510 + ticks, are the same in
// every run of the process: a run soon after another would meet the server's old 4-tuples). At
// the end of the response the machine closes (FIN); finish() then drops the pcb quietly when both
// sides have closed, with a RST when the server has not (or the fetch still runs).
//
// Threads and time: HttpClients' own methods are called from one thread (not concurrently); they
// take lwIP's core lock (LOCK_TCPIP_CORE) themselves, so the caller must not hold it. lwIP is
// started once per process (tcpip_init) and never stopped; its stack is shared by every
// HttpClients of the process (at most 250 netifs in all: lwIP's netif index is 8 bits). lwIP's
// timers (RTO: 3 s before an RTT sample, 1.5 to 3 s after on a LAN, doubling; delayed ACKs
// 250 ms) run on its tcpip thread by the real clock, whatever now_us the caller passes; now_us
// only drives Options::timeout_us and the start/end times.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dataplane/proto/bytes.hpp"
#include "tftp_run.hpp"

namespace bs::bench {

// The parts of a URL a fetch needs: "http://A.B.C.D[:port][/path]" (dotted quad only; the path
// keeps its query, loses its fragment; no path is "/").
struct HttpUrl {
  proto::Ip4 ip = 0;
  uint16_t port = 80;
  std::string path;  // starts with '/'
};
// The URL's parts, or nullopt and *error.
std::optional<HttpUrl> parse_http_url(std::string_view url, std::string* error);

class HttpClients {
 public:
  struct Options {
    uint64_t timeout_us = 60'000'000;  // from start() to the end of the response
    size_t max_netifs = 250;           // at most 250 (and at most 250 in the process)
  };
  HttpClients(FrameSink& out, Options o);  // starts lwIP (once per process)
  ~HttpClients();                          // aborts what runs (RST), removes every netif
  HttpClients(const HttpClients&) = delete;
  HttpClients& operator=(const HttpClients&) = delete;

  // Starts GET of url for machine id (any uint32) with address ip/netmask and MAC mac: adds its
  // netif, queues the SYN (after ARP for the server). false + *error on a bad URL; false with
  // *error empty when no netif is free now (the caller retries later). An id that still has a
  // fetch (even a running one) is finish()ed first. lwIP failing to make the connection (no
  // memory, no port) is a failed fetch, not a false.
  bool start(uint32_t id, const proto::Mac& mac, proto::Ip4 ip, proto::Ip4 netmask,
             std::string_view url, uint64_t now_us, std::string* error);
  // A frame for machine id (TCP to its address, or ARP for it): handed to its netif. Unknown ids,
  // and IPv4 frames that are not to the machine's address, are dropped (lwIP would forward them:
  // this build has IP_FORWARD on).
  void on_frame(uint32_t id, proto::Bytes frame);
  // Sends what lwIP queued (from any thread) through out, checks timeouts and ARP retries
  // (a sweep of every fetch at most every 10 ms). Call often.
  void poll(uint64_t now_us);

  struct Fetch {
    enum class State : uint8_t { idle, running, done, failed };
    State state = State::idle;
    int status = 0;               // HTTP status (done; also failed after the headers)
    uint64_t body_bytes = 0;      // body bytes received (chunked: decoded)
    int64_t content_length = -1;  // Content-Length, -1 without one (chunked, or to the close)
    std::string error;            // failed: why ("connection refused", "timeout", "HPE_...: ...")
    // TCP segments sent twice, either way: retransmits_out + retransmits_in.
    uint32_t retransmits = 0;
    // The machine's own: a segment with data, SYN or FIN that starts below the highest sequence
    // number it had sent (lwIP's RTO and fast retransmissions), seen in its outgoing frames.
    uint32_t retransmits_out = 0;
    // The server's, as the machine sees them: an incoming segment with data, SYN or FIN that
    // starts below the highest sequence number already received (a retransmission after a loss,
    // once later data got through; a spurious retransmission; a duplicated frame).
    uint32_t retransmits_in = 0;
    // start(): its now_us. end_us: the latest now_us passed to start() or poll() when the end was
    // seen (a frame's on_frame() has no time of its own); a timeout: the poll()'s now_us.
    uint64_t start_us = 0, end_us = 0;
  };
  // The fetch of machine id, null when unknown. Changes only inside start/on_frame/poll/finish;
  // the pointer is valid until finish(id) or start(id).
  const Fetch* fetch(uint32_t id) const;
  // Frees its pcb (RST when the connection is still open) and netif; forgets id.
  void finish(uint32_t id);
  size_t active() const;  // machines with a netif (started, not finished)

  struct Conn;  // one machine: its netif, pcb, parser (http_fetch.cpp)

 private:
  void sweep(uint64_t now_us);
  void sync(Conn& c);
  void drop_conn(Conn& c);
  void flush_frames();

  FrameSink& out_;
  Options opt_;
  std::unordered_map<uint32_t, std::unique_ptr<Conn>> conns_;
  uint64_t next_sweep_us_ = 0;

  // What lwIP's side (either thread, core lock held) shares with poll().
  struct Shared {
    std::mutex mu;
    std::vector<uint8_t> frames;       // frames back to back, each after a 2-byte length
    std::atomic<bool> any{false};      // frames not empty
    std::atomic<bool> changed{false};  // a fetch changed (maybe on the tcpip thread): sync it
    std::atomic<uint64_t> now_us{0};   // the latest now_us seen (start, poll): the end's time
  };
  std::unique_ptr<Shared> shared_;
  std::vector<uint8_t> sending_;  // poll()'s copy of shared_->frames
  size_t sending_pos_ = 0;        // where poll() stopped when out had no room
};

}  // namespace bs::bench
