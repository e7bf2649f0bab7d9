// bootstorm-dataplane --config FILE: the DPDK process. Brings up EAL on [server] port, creates
// the exception tap, starts one worker lcore and runs the service thread on the main lcore.
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_timer.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <memory>
#include <vector>

#include "../control/config.hpp"
#include "../control/notify.hpp"
#include "cache/loader.hpp"
#include "control_socket.hpp"
#include "port/eal.hpp"
#include "port/ethdev.hpp"
#include "service.hpp"
#include "worker.hpp"

namespace {

bs::Shared* g_shared = nullptr;

void on_signal(int) {
  if (g_shared) g_shared->stop.store(true);
}

int worker_main(void* arg) {
  return static_cast<bs::Worker*>(arg)->run();
}

// Single consumer; single producer unless several workers feed it.
rte_ring* make_ring(const std::string& name, unsigned esize, unsigned count, bool multi_producer) {
  return rte_ring_create_elem(name.c_str(), esize, count, int(rte_socket_id()),
                              (multi_producer ? 0 : RING_F_SP_ENQ) | RING_F_SC_DEQ);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bootstorm-dataplane: the DPDK DHCP/TFTP dataplane"};
  std::string config_path;
  app.add_option("--config", config_path, "site configuration (TOML)")->required();
  CLI11_PARSE(app, argc, argv);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e bootstorm-dataplane: %^%l%$: %v");

  auto loaded = bs::config::load(config_path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) fprintf(stderr, "%s\n", e.str().c_str());
    return 2;
  }
  const bs::config::Config& cfg = *loaded.config;
  std::error_code ec;
  std::filesystem::create_directories(cfg.server.state_dir, ec);
  if (ec) {
    spdlog::error("state_dir {}: {}", cfg.server.state_dir, ec.message());
    return 1;
  }

  // The lease journal first: replayed and compacted before anything is served, and a second
  // dataplane on the same state_dir stops here (the journal is locked).
  std::vector<bs::dhcp::JournalLease> replayed;
  bs::dhcp::ReplayStats replay;
  std::string journal_error;
  bs::dhcp::Journal::Options jo;
  jo.dir = cfg.server.state_dir;
  auto journal =
      bs::dhcp::Journal::open(jo, uint64_t(time(nullptr)), &replayed, &replay, &journal_error);
  if (!journal) {
    spdlog::error("lease journal: {}", journal_error);
    return 1;
  }
  if (!replay.damaged_copy.empty())
    spdlog::error(
        "lease journal: a damaged record ended the replay; the file as it was is kept "
        "as {}",
        replay.damaged_copy);
  spdlog::info("lease journal {}/leases.journal: {} live leases from {} records{}",
               cfg.server.state_dir, replay.live, replay.records,
               replay.corrupt || replay.torn_bytes
                   ? fmt::format(" (replay stopped at a damaged record: {} bytes ignored)",
                                 replay.torn_bytes)
                   : std::string());

  auto args = bs::port::eal_args(cfg.server, argv[0]);
  if (!bs::port::init_eal(args)) {
    spdlog::error("DPDK EAL initialisation failed (see the EAL messages above)");
    return 1;
  }
  int rc = 1;
  {
    auto shared = std::make_unique<bs::Shared>();
    g_shared = shared.get();
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    rte_timer_subsystem_init();
    if (rte_pdump_init() != 0) spdlog::warn("rte_pdump_init failed: no live capture");
    bs::register_telemetry(shared.get());

    rte_mempool* pool = rte_pktmbuf_pool_create("bs_mbufs", 16383, 256, 0,
                                                RTE_MBUF_DEFAULT_BUF_SIZE, int(rte_socket_id()));
    // Payload segments of zero-copy DATA frames: no data room of their own.
    rte_mempool* ext_pool =
        rte_pktmbuf_pool_create("bs_ext_mbufs", 16383, 256, 0, 0, int(rte_socket_id()));
    bs::port::PortInfo port, exception;
    std::string error;
    // Workers: every lcore after the first (the service thread's), at most kMaxWorkers, and no
    // more than the boot port has TX queues.
    std::vector<unsigned> lcores;
    for (unsigned l = rte_get_next_lcore(-1, 1, 0);
         l < RTE_MAX_LCORE && lcores.size() < bs::kMaxWorkers; l = rte_get_next_lcore(l, 1, 0))
      lcores.push_back(l);
    if (!pool || !ext_pool) {
      spdlog::error("cannot create the mbuf pools: {}", rte_strerror(rte_errno));
    } else if (lcores.empty()) {
      spdlog::error("[server] lcores = \"{}\" gives no worker lcore: list two (e.g. \"0,1\")",
                    cfg.server.lcores);
    } else if (!bs::port::setup_port(bs::port::device_name(cfg.server.port), pool, port, &error,
                                     uint16_t(lcores.size()))) {
      spdlog::error("port {}: {}", cfg.server.port, error);
    } else if (!bs::port::setup_exception(cfg.server.exception, port.mac, cfg.server.address,
                                          cfg.server.prefix, pool, exception, &error)) {
      spdlog::error("exception path: {}", error);
      bs::port::stop_port(port);
    } else {
      spdlog::info("port {} up: mac {}, mtu {}; exception tap {} holds {}/{}", port.name,
                   port.mac.str(), port.mtu, cfg.server.exception,
                   bs::proto::ip_str(cfg.server.address), int(cfg.server.prefix));
      if (port.tx_queues < lcores.size())
        spdlog::warn(
            "{} has {} TX queue(s): {} worker(s) of the {} lcores given (for "
            "net_af_packet, add qpairs=N to [server] port)",
            port.name, port.tx_queues, port.tx_queues, lcores.size());
      lcores.resize(std::min<size_t>(lcores.size(), port.tx_queues));
      const unsigned nw = unsigned(lcores.size());
      shared->workers = nw;
      const bool mp = nw > 1;
      shared->events = make_ring("bs_events", sizeof(bs::Event), 16384, mp);
      shared->load_req = make_ring("bs_load_req", sizeof(void*), 4096, mp);
      bool rings_ok = true;
      for (unsigned w = 0; w < nw; ++w) {
        shared->load_done[w] =
            make_ring("bs_load_done" + std::to_string(w), sizeof(void*), 4096, false);
        rings_ok &= shared->load_done[w] != nullptr;
        if (nw > 1) {
          shared->steer[w] = rte_ring_create(("bs_steer" + std::to_string(w)).c_str(), 4096,
                                             int(rte_socket_id()), RING_F_SC_DEQ);
          rings_ok &= shared->steer[w] != nullptr;
        }
      }
      shared->lease_records = make_ring("bs_leases", sizeof(bs::LeaseRecord), 16384, false);
      shared->replayed = &replayed;
      shared->journal_committed.store(bs::kReplayedTag);
      shared->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      size_t rcu_size = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
      shared->rcu =
          static_cast<rte_rcu_qsbr*>(rte_zmalloc("bs_rcu", rcu_size, RTE_CACHE_LINE_SIZE));
      if (shared->rcu) rte_rcu_qsbr_init(shared->rcu, RTE_MAX_LCORE);

      auto files =
          std::make_unique<bs::cache::FileTable>(cfg.tftp.root, cfg.server.hugepages, shared->rcu);
      shared->files = files.get();
      uint64_t cap = cfg.tftp.cache_size;
      if (cap == 0) cap = uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGESIZE)) / 2;
      files->set_cap(cap);
      spdlog::info("file cache: up to {} MiB of files from disk ([tftp] cache_size{})", cap >> 20,
                   cfg.tftp.cache_size ? "" : ", default: half the RAM");
      bs::cache::Loader loader(*files);
      bs::ControlSocket socket;
      std::string sock_path = cfg.server.state_dir + "/dataplane.sock";

      bs::WorkerConfig wc;
      wc.port = port;
      wc.exception = exception;
      wc.pool = pool;
      wc.ext_pool = ext_pool;
      // Zero copy where the port chains segments and its DMA can reach the cache: virtual
      // devices (net_*). PCI NICs get the copy path until the cache is registered for DMA.
      wc.zero_copy = port.multi_seg_tx && port.name.rfind("net_", 0) == 0;
      spdlog::info("TFTP DATA on {}: {}", port.name,
                   wc.zero_copy ? "zero-copy (header mbuf + external buffer in the cache)"
                                : "copied into one mbuf per frame");
      wc.server_ip = cfg.server.address;
      wc.tftp_port_min = cfg.tftp.port_min;
      wc.tftp_port_max = cfg.tftp.port_max;
      // IPv4 (20) + UDP (8) + TFTP header (4): no IP fragments, ever.
      wc.limits.max_blksize = uint16_t(port.mtu - 32);
      wc.limits.max_windowsize = cfg.tftp.windowsize;
      wc.limits.rto_initial_us = cfg.tftp.retransmit_ms * 1000;
      wc.limits.rto_min_us = cfg.tftp.retransmit_min_ms * 1000;
      wc.limits.rto_max_us = cfg.tftp.retransmit_max_ms * 1000;
      wc.limits.max_retries = cfg.tftp.retries;
      wc.limits.client_timeout_exact = cfg.tftp.client_timeout_exact;
      wc.max_sessions = cfg.tftp.max_sessions;
      wc.max_sessions_per_client = cfg.tftp.max_sessions_per_client;
      {
        const bs::config::Multicast& mc = cfg.multicast;
        const uint64_t groups = std::min<uint64_t>(uint64_t(mc.last) - mc.first + 1,
                                                   uint64_t(mc.port_max) - mc.port_min + 1);
        wc.mcast.enabled = mc.enabled;
        wc.mcast.first = mc.first;
        wc.mcast.port_min = mc.port_min;
        // PXE MTFTP files need their groups even with RFC 2090 off.
        wc.mcast.groups =
            mc.enabled || !mc.mtftp_files.empty() ? uint16_t(std::min<uint64_t>(groups, 1024)) : 0;
        wc.mcast.ttl = mc.ttl;
        wc.mcast.igmp = mc.igmp == bs::config::Igmp::query    ? bs::McastConfig::Igmp::query
                        : mc.igmp == bs::config::Igmp::report ? bs::McastConfig::Igmp::report
                                                              : bs::McastConfig::Igmp::none;
        wc.mcast.mtftp_port = mc.mtftp_files.empty() ? 0 : mc.mtftp_port;
      }

      if (shared->wake_fd < 0) {
        spdlog::error("eventfd: {}", strerror(errno));
      } else if (!shared->events || !shared->load_req || !rings_ok || !shared->lease_records ||
                 !shared->rcu) {
        spdlog::error("cannot create rings: {}", rte_strerror(rte_errno));
      } else if (loader.init_error() != 0) {
        spdlog::error("io_uring: {}", strerror(-loader.init_error()));
      } else if (!socket.listen(sock_path, &error)) {
        spdlog::error("control socket: {}", error);
      } else {
        std::vector<std::unique_ptr<bs::Worker>> workers;
        bool workers_ok = true;
        for (unsigned w = 0; w < nw && workers_ok; ++w) {
          wc.id = uint8_t(w);
          wc.workers = uint8_t(nw);
          wc.tx_queue = uint16_t(w);
          wc.has_rx = w < port.rx_queues;
          wc.rx_queue = wc.has_rx ? uint16_t(w) : 0;
          workers.push_back(std::make_unique<bs::Worker>(wc, *shared));
          workers_ok = workers.back()->ok();
        }
        if (!workers_ok) {
          spdlog::error("worker setup failed: {}", rte_strerror(rte_errno));
        } else {
          bs::Service service(*shared, loader, socket, cfg.server.state_dir, journal.get());
          service.restore();
          for (unsigned w = 0; w < nw; ++w)
            rte_eal_remote_launch(worker_main, workers[w].get(), lcores[w]);
          spdlog::info(
              "serving DHCP and TFTP (root {}) on {} with {} worker(s) ({} RX queue(s){}); "
              "control socket {}",
              cfg.tftp.root, bs::proto::ip_str(cfg.server.address), nw, port.rx_queues,
              nw > 1 ? ", TFTP flows steered by client address" : "", sock_path);
          bs::notify("READY=1\nSTATUS=serving DHCP and TFTP on " + port.name + ", " +
                     bs::proto::ip_str(cfg.server.address));
          service.run();
          bs::notify("STOPPING=1");
          rte_eal_mp_wait_lcore();
          spdlog::info("stopping");
          rc = 0;
        }
      }
      bs::port::stop_port(exception);
      bs::port::stop_port(port);
      rte_free(shared->rcu);
      if (shared->wake_fd >= 0) close(shared->wake_fd);
    }
    g_shared = nullptr;
  }
  rte_eal_cleanup();
  return rc;
}
