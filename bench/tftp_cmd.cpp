#include "tftp_cmd.hpp"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iterator>
#include <memory>

#include "report.hpp"

namespace bs::bench {

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop.store(true);
}

constexpr uint16_t kBurst = 64;

// "10.78.0.0/16" -> the first host address and how many follow it (network and broadcast
// excluded).
bool parse_net(const std::string& s, proto::Ip4& first, uint64_t& count) {
  auto slash = s.find('/');
  if (slash == std::string::npos) return false;
  auto ip = proto::parse_ip(s.substr(0, slash));
  int len = -1;
  try {
    len = std::stoi(s.substr(slash + 1));
  } catch (...) {
    return false;
  }
  if (!ip || len < 8 || len > 30) return false;
  const uint32_t mask = ~uint32_t(0) << (32 - len);
  first = (*ip & mask) + 1;
  count = (uint64_t(1) << (32 - len)) - 2;
  return true;
}

// The port as the run's sink, with kick() handing the queued frames to the port at once.
class KickingPort final : public FrameSink {
 public:
  explicit KickingPort(DpdkPort& p) : p_(p) {}
  proto::MutBytes frame() override { return p_.frame(); }
  void send(size_t len) override { p_.send(len); }
  void kick() override { p_.flush(); }

 private:
  DpdkPort& p_;
};

bool read_file(const std::string& path, std::vector<uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

void add_tftp_command(CLI::App& app, TftpCommand& c) {
  auto* t = app.add_subcommand(
      "tftp",
      "simulated TFTP clients (RFC 1350, blksize, tsize, windowsize; multicast: RFC 2090 or PXE "
      "MTFTP) over a DPDK port");
  t->add_option("--dpdk", c.eal.dpdk,
                "a vdev, e.g. net_memif0,role=client,socket=/run/bs-tm/memif.sock,"
                "socket-abstract=no; or EAL arguments when it starts with '-'")
      ->required();
  t->add_option("--lcore", c.eal.lcores, "EAL lcore list: the first runs the I/O loop")
      ->capture_default_str();
  t->add_option("--file-prefix", c.eal.file_prefix, "EAL --file-prefix (distinct per process)")
      ->capture_default_str();
  t->add_flag("--no-huge", c.eal.no_huge, "EAL without hugepages (not for net_memif)");
  t->add_option("--server", c.server, "the server's IPv4 address")->capture_default_str();
  t->add_option("--server-mac", c.server_mac, "the server's MAC (default: ask with ARP)");
  t->add_option("--file", c.file, "the file to read, as named in the RRQ")->required();
  t->add_option("--local-copy", c.local_copy, "the same file on disk: every byte is checked")
      ->required();
  t->add_option("--clients", c.clients, "transfers in all")->capture_default_str();
  t->add_option("--concurrency", c.concurrency,
                "transfers at a time, each from its own address (default: all)");
  t->add_option("--blksize", c.blksize, "blksize asked for (0: no option, 512)")
      ->check(CLI::Range(0, 65464))
      ->capture_default_str();
  t->add_option("--windowsize", c.windowsize, "windowsize asked for (0: no option, lock-step)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  t->add_flag("--no-tsize", c.no_tsize, "do not ask for tsize");
  t->add_option("--timeout-ms", c.timeout_ms, "re-ACK (or re-send the RRQ) after this long")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  t->add_option("--retries", c.retries, "re-sends in a row before a transfer fails")
      ->capture_default_str();
  t->add_option("--client-net", c.client_net,
                "client addresses: slot k gets the network's (k+1)th address; MACs are "
                "02:62:73 + k")
      ->capture_default_str();
  t->add_option("--start-burst", c.start_burst, "new RRQs per loop iteration at most")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  t->add_option("--udp-checksum-every", c.udp_checksum_every,
                "verify the UDP checksum of one received frame in N (0: none; contents are "
                "always checked)")
      ->capture_default_str();
  t->add_option("--max-seconds", c.max_seconds, "stop and report after this long (0: never)")
      ->capture_default_str();
  t->add_option("--link-wait", c.link_wait_s, "seconds to wait for the port to come up")
      ->capture_default_str();
  t->add_option("--mbufs", c.mbufs, "mbuf pool size")->capture_default_str();
  t->add_option("--json", c.json, "write the report as JSON to this file");
  t->add_option("--progress", c.progress,
                "live progress line on stderr: 1 on, 0 off (default: when a terminal)");
  auto* mc = t->add_flag("--multicast", c.multicast,
                         "RFC 2090 clients: the RRQ asks for the multicast option (with blksize, "
                         "tsize, windowsize as set); group DATA goes to every member, only the "
                         "master ACKs; a server that answers without multicast is read unicast");
  auto* mt = t->add_flag("--mtftp", c.mtftp,
                         "PXE MTFTP clients: listen on --mtftp-group:--mtftp-client-port, open "
                         "(an RRQ without options to --mtftp-server-port) when nothing comes; "
                         "512-byte blocks, lock-step");
  mc->excludes(mt);
  t->add_option("--mtftp-group", c.mtftp_group, "MTFTP: the group's IPv4 address")
      ->capture_default_str();
  t->add_option("--mtftp-client-port", c.mtftp_client_port,
                "MTFTP: the UDP port group DATA goes to")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  t->add_option("--mtftp-server-port", c.mtftp_server_port, "MTFTP: the server's UDP port")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  t->add_option("--mtftp-listen-ms", c.mtftp_listen_ms, "MTFTP: listen this long before opening")
      ->capture_default_str();
  t->add_option("--mtftp-delay-ms", c.mtftp_delay_ms,
                "MTFTP: once DATA was seen, open after this long without any")
      ->capture_default_str();
  t->add_option("--trace", c.trace,
                "debugging: a line per TFTP packet to or from a client (group DATA included, "
                "unicast DATA only with --multicast or --mtftp), to this file");
}

int run_tftp(const TftpCommand& c, const std::string& prog) {
  std::vector<uint8_t> content;
  if (!read_file(c.local_copy, content)) {
    std::fprintf(stderr, "--local-copy %s: cannot read it\n", c.local_copy.c_str());
    return 2;
  }
  RunConfig rc;
  auto server = proto::parse_ip(c.server);
  if (!server) {
    std::fprintf(stderr, "--server %s: not an IPv4 address\n", c.server.c_str());
    return 2;
  }
  rc.server_ip = *server;
  if (!c.server_mac.empty()) {
    auto m = proto::Mac::parse(c.server_mac);
    if (!m) {
      std::fprintf(stderr, "--server-mac %s: not a MAC (e.g. 52:54:00:12:34:56)\n",
                   c.server_mac.c_str());
      return 2;
    }
    rc.server_mac = *m;
  }
  uint64_t addresses = 0;
  if (!parse_net(c.client_net, rc.client_first, addresses)) {
    std::fprintf(stderr, "--client-net %s: expected an IPv4 network, /8 to /30 (10.78.0.0/16)\n",
                 c.client_net.c_str());
    return 2;
  }
  uint64_t conc = c.concurrency ? c.concurrency : std::min<uint64_t>(c.clients, 65536);
  conc = std::max<uint64_t>(1, std::min<uint64_t>(conc, c.clients));
  if (conc > addresses || conc > (1u << 24)) {
    std::fprintf(stderr, "--concurrency %llu: --client-net %s has %llu addresses\n",
                 (unsigned long long)conc, c.client_net.c_str(), (unsigned long long)addresses);
    return 2;
  }
  rc.transfers = c.clients;
  rc.concurrency = uint32_t(conc);
  rc.filename = c.file;
  rc.client.blksize = uint16_t(c.blksize);
  rc.client.windowsize = uint16_t(c.windowsize);
  rc.client.tsize = !c.no_tsize;
  rc.client.timeout_us = uint64_t(c.timeout_ms) * 1000;
  rc.client.max_retries = c.retries;
  rc.starts_per_poll = c.start_burst;
  rc.udp_checksum_every = c.udp_checksum_every;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> trace(nullptr, std::fclose);
  if (!c.trace.empty()) {
    trace.reset(std::fopen(c.trace.c_str(), "w"));
    if (!trace) {
      std::fprintf(stderr, "--trace %s: cannot write it\n", c.trace.c_str());
      return 2;
    }
    rc.trace = trace.get();
  }
  rc.group_batch = 4 * kBurst;  // group frames: to the masters at once, to the listeners in batches
  rc.mode = c.mtftp ? Mode::mtftp : c.multicast ? Mode::multicast : Mode::unicast;
  if (c.mtftp) {
    auto g = proto::parse_ip(c.mtftp_group);
    if (!g || !is_multicast(*g)) {
      std::fprintf(stderr, "--mtftp-group %s: not an IPv4 multicast address (224.0.0.0/4)\n",
                   c.mtftp_group.c_str());
      return 2;
    }
    rc.mtftp.group = *g;
    rc.mtftp.client_port = uint16_t(c.mtftp_client_port);
    rc.mtftp.server_port = uint16_t(c.mtftp_server_port);
    rc.mtftp.listen_us = uint64_t(c.mtftp_listen_ms) * 1000;
    rc.mtftp.delay_us = uint64_t(c.mtftp_delay_ms) * 1000;
    if (content.size() / proto::kTftpDefaultBlksize + 1 > 65535) {
      std::fprintf(stderr, "--mtftp: %s is too large for MTFTP (65535 blocks of 512 bytes)\n",
                   c.local_copy.c_str());
      return 2;
    }
  }

  auto args = eal_args(c.eal, prog);
  if (!eal_init(args)) {
    std::fprintf(stderr, "DPDK EAL initialisation failed (see the EAL messages above)\n");
    return 1;
  }
  int status = 1;
  {
    DpdkPort port;
    std::string error;
    if (!port.open(c.mbufs, c.link_wait_s, &error)) {
      std::fprintf(stderr, "%s\n", error.c_str());
      port.close();
      rte_eal_cleanup();
      return 1;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    KickingPort sink(port);
    TftpRun run(rc, proto::Bytes(content.data(), content.size()), sink);
    const bool progress = c.progress < 0 ? isatty(STDERR_FILENO) : c.progress > 0;
    const uint64_t hz = rte_get_tsc_hz();
    const uint64_t per_us = std::max<uint64_t>(hz / 1000000, 1);
    const uint64_t t0 = rte_rdtsc();
    uint64_t busy = 0, next_progress = t0 + hz / 2, last_progress = t0;
    uint64_t last_bytes = 0, last_frames = 0;
    bool timed_out = false;
    rte_mbuf* pkts[kBurst];
    while (!run.finished() && !g_stop.load(std::memory_order_relaxed)) {
      const uint64_t t = rte_rdtsc();
      const uint64_t now = t / per_us;
      const uint16_t n = port.rx_mbufs(pkts, kBurst);
      for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        if (m->nb_segs == 1)
          run.on_frame(proto::MutBytes(rte_pktmbuf_mtod(m, uint8_t*), m->data_len), now);
      }
      if (n) rte_pktmbuf_free_bulk(pkts, n);
      if (n == 0) run.flush_groups();  // nothing came: the listeners' share of group frames
      run.poll(now);
      port.flush();
      if (n) busy += rte_rdtsc() - t;
      if (t >= next_progress) {
        if (progress) {
          const RunStats& st = run.stats();
          double dt = double(t - last_progress) / double(hz);
          std::fprintf(
              stderr, "\r%s\x1b[K",
              progress_line(run, double(t - t0) / double(hz), st.bytes_in_order - last_bytes,
                            st.data_frames - last_frames, dt)
                  .c_str());
          last_bytes = st.bytes_in_order;
          last_frames = st.data_frames;
          last_progress = t;
        }
        next_progress = t + hz / 2;
        if (c.max_seconds > 0 && double(t - t0) / double(hz) > c.max_seconds) {
          timed_out = true;
          break;
        }
        if (!run.server_resolved() && double(t - t0) / double(hz) > 10) {
          std::fprintf(stderr, "no ARP reply from %s in 10 s\n", c.server.c_str());
          break;
        }
      }
    }
    const uint64_t elapsed = rte_rdtsc() - t0;
    // The last frames sent (the final ACKs: a multicast group's listeners all finish on the
    // last block and ACK it at once) may still sit in the port's ring: give the server 200 ms
    // to take them before the port closes, dropping whatever comes meanwhile.
    for (const uint64_t end = rte_rdtsc() + hz / 5; rte_rdtsc() < end && !g_stop.load();) {
      const uint16_t n = port.rx_mbufs(pkts, kBurst);
      if (n) rte_pktmbuf_free_bulk(pkts, n);
      port.flush();
    }
    if (progress) std::fprintf(stderr, "\n");
    if (timed_out) std::fprintf(stderr, "stopped after --max-seconds %.0f\n", c.max_seconds);
    port.flush();
    Summary s = summarize(run);
    rte_eth_stats ps = port.stats();
    // What the first client negotiated (a multicast one may have been answered unicast).
    const McastClient& m0 = run.mcast_client(0);
    const uint16_t neg_blksize = c.mtftp ? proto::kTftpDefaultBlksize : m0.blksize();
    const uint16_t neg_window = c.mtftp ? 1 : m0.window();
    nlohmann::json extra = {
        {"config",
         {{"server", c.server},
          {"server_mac", run.server_mac().str()},
          {"file", c.file},
          {"file_bytes", content.size()},
          {"clients", c.clients},
          {"concurrency", conc},
          {"blksize", c.blksize},
          {"windowsize", c.windowsize},
          {"tsize", !c.no_tsize},
          {"timeout_ms", c.timeout_ms},
          {"retries", c.retries},
          {"client_net", c.client_net},
          {"udp_checksum_every", c.udp_checksum_every},
          {"multicast", c.multicast},
          {"mtftp", c.mtftp},
          {"mtftp_group", c.mtftp_group},
          {"mtftp_client_port", c.mtftp_client_port},
          {"mtftp_server_port", c.mtftp_server_port},
          {"mtftp_listen_ms", c.mtftp_listen_ms},
          {"mtftp_delay_ms", c.mtftp_delay_ms},
          {"eal_args", args}}},
        {"negotiated", {{"blksize", neg_blksize}, {"windowsize", neg_window}}},
        {"port",
         {{"name", port.name()},
          {"mac", port.mac().str()},
          {"ipackets", ps.ipackets},
          {"opackets", ps.opackets},
          {"imissed", ps.imissed},
          {"ierrors", ps.ierrors},
          {"oerrors", ps.oerrors},
          {"rx_nombuf", ps.rx_nombuf}}},
        {"bench",
         {{"tsc_hz", hz},
          {"elapsed_s", double(elapsed) / double(hz)},
          {"busy_pct", elapsed ? 100.0 * double(busy) / double(elapsed) : 0.0},
          {"stopped", timed_out       ? "max_seconds"
                      : g_stop.load() ? "signal"
                                      : ""}}},
    };
    print_text(stdout, run, s);
    std::printf("negotiated blksize %u, windowsize %u; bench lcore busy %.0f%% of %.2f s\n",
                neg_blksize, neg_window, elapsed ? 100.0 * double(busy) / double(elapsed) : 0.0,
                double(elapsed) / double(hz));
    if (!c.json.empty()) {
      std::ofstream out(c.json);
      out << to_json(run, s, extra).dump(2) << "\n";
      if (!out) std::fprintf(stderr, "--json %s: cannot write it\n", c.json.c_str());
    }
    status = s.completed == s.transfers ? 0 : 1;
    port.close();
  }
  rte_eal_cleanup();
  return status;
}

}  // namespace bs::bench
