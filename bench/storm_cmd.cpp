#include "storm_cmd.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <thread>

#include "http_fetch.hpp"
#include "storm_report.hpp"
#include "storm_run.hpp"

namespace bs::bench {

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop.store(true);
}

uint64_t now_us() {
  return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

// The HTTP clients as the run sees them.
class HttpAdapter final : public HttpIo {
 public:
  explicit HttpAdapter(HttpClients& h) : h_(h) {}
  bool start(uint32_t id, const proto::Mac& mac, proto::Ip4 ip, proto::Ip4 mask,
             const std::string& url, uint64_t now_us, std::string* error) override {
    return h_.start(id, mac, ip, mask, url, now_us, error);
  }
  void on_frame(uint32_t id, proto::Bytes frame) override { h_.on_frame(id, frame); }
  int state(uint32_t id, int* status, uint64_t* bytes, uint32_t* retransmits,
            std::string* error) override {
    const HttpClients::Fetch* f = h_.fetch(id);
    if (!f) {
      *error = "no such fetch";
      return -1;
    }
    *status = f->status;
    *bytes = f->body_bytes;
    *retransmits = f->retransmits;
    *error = f->error;
    switch (f->state) {
      case HttpClients::Fetch::State::done:
        return 1;
      case HttpClients::Fetch::State::failed:
        return -1;
      default:
        return 0;
    }
  }
  void finish(uint32_t id) override { h_.finish(id); }
  void poll(uint64_t now_us) override { h_.poll(now_us); }

 private:
  HttpClients& h_;
};

bool parse_arrival(const std::string& s, StormConfig& c, std::string* error) {
  auto num = [&](const std::string& v, double& out) {
    try {
      size_t used = 0;
      out = std::stod(v, &used);
      return used == v.size() && out > 0;
    } catch (...) {
      return false;
    }
  };
  double v = 0;
  if (s == "all") {
    c.arrival = Arrival::all;
  } else if (s.rfind("ramp:", 0) == 0 && num(s.substr(5), v)) {
    c.arrival = Arrival::ramp;
    c.ramp_us = uint64_t(v * 1e6);
  } else if (s.rfind("poisson:", 0) == 0 && num(s.substr(8), v)) {
    c.arrival = Arrival::poisson;
    c.poisson_rate = v;
  } else {
    *error = "--arrival '" + s +
             "': valid are all, ramp:SECONDS (evenly over that long) and poisson:RATE "
             "(arrivals per second), with a positive number";
    return false;
  }
  return true;
}

bool parse_timeouts(const std::string& s, std::vector<uint64_t>& out, std::string* error) {
  out.clear();
  size_t pos = 0;
  while (pos <= s.size()) {
    const size_t comma = s.find(',', pos);
    const std::string item =
        s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    double v = 0;
    try {
      size_t used = 0;
      v = std::stod(item, &used);
      if (used != item.size()) v = -1;
    } catch (...) {
      v = -1;
    }
    if (!(v > 0 && v <= 600)) {
      *error = "--dhcp-timeouts '" + s + "': a list of seconds (0 < t <= 600), e.g. 4,8,16,32";
      return false;
    }
    out.push_back(uint64_t(v * 1e6));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return true;
}

std::string utc_now() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string machine_desc() {
  std::string model;
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  return std::to_string(std::thread::hardware_concurrency()) + " cpus, " + model;
}

std::string progress_line(const StormRun& run, double t) {
  const auto n = run.in_phase();
  std::string s = "t=" + std::to_string(int(t)) + "s";
  for (size_t p = 0; p < kPhases; ++p)
    s += std::string(" ") + phase_name(Phase(p)) + " " + std::to_string(n[p]);
  s += " | done " + std::to_string(run.completed()) + " failed " + std::to_string(run.failed()) +
       " of " + std::to_string(run.config().clients);
  return s;
}

}  // namespace

void add_storm_command(CLI::App& app, StormCommand& c) {
  auto* s = app.add_subcommand(
      "storm",
      "a PXE boot storm: N simulated machines each do DHCP (PXE options), TFTP of the boot file, "
      "the PXELINUX config search, its modules, kernel and initrd, then an HTTP GET of the "
      "kickstart URL in the config; works against any server");
  add_port_options(*s, c.port);
  s->add_option("--clients", c.clients, "simulated machines")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  s->add_option("--arrival", c.arrival,
                "all (at once), ramp:SECONDS (evenly over that long), poisson:RATE (per second)")
      ->capture_default_str();
  s->add_option("--mac-base", c.mac_base, "machine k's MAC is this + k (low 24 bits)")
      ->capture_default_str();
  s->add_option("--arch", c.arch, "PXE client architecture, option 93 (0 BIOS, 7 EFI x64)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  s->add_option("--efi-every", c.efi_every, "every Nth machine is EFI x64 (arch 7); 0: none")
      ->capture_default_str();
  s->add_option("--blksize", c.blksize, "TFTP blksize asked for (0: no option, 512)")
      ->check(CLI::Range(0, 65464))
      ->capture_default_str();
  s->add_option("--windowsize", c.windowsize, "TFTP windowsize asked for (0: no option)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  s->add_flag("--no-tsize", c.no_tsize, "do not ask for tsize");
  s->add_option("--dhcp-timeouts", c.dhcp_timeouts,
                "seconds before each DISCOVER/REQUEST is sent again; after the last, the "
                "machine fails (PXE spec: 4,8,16,32)")
      ->capture_default_str();
  s->add_option("--tftp-timeout", c.tftp_timeout_s, "seconds before a TFTP RRQ/ACK is re-sent")
      ->check(CLI::Range(0.001, 600.0))
      ->capture_default_str();
  s->add_option("--tftp-backoff", c.tftp_backoff,
                "each TFTP re-send in a row waits this many times longer than the last")
      ->check(CLI::Range(1.0, 10.0))
      ->capture_default_str();
  s->add_option("--tftp-max-timeout", c.tftp_max_timeout_s, "seconds: the longest TFTP wait")
      ->check(CLI::Range(0.001, 600.0))
      ->capture_default_str();
  s->add_option("--tftp-retries", c.tftp_retries, "TFTP re-sends in a row before a file fails")
      ->capture_default_str();
  s->add_option("--http-timeout", c.http_timeout_s, "seconds for the kickstart GET")
      ->capture_default_str();
  s->add_flag("--no-kickstart", c.no_kickstart,
              "a config whose command line has no installer URL still counts as a boot");
  s->add_option("--loss", c.loss, "drop this fraction of frames both ways (the bench's own)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  s->add_option("--faults", c.faults,
                "faults both ways: loss=P,dup=P,reorder=P,reorder-by=T,delay=T,jitter=T "
                "(P: 0..1 or N%; T: us, ms, s)");
  s->add_option("--rx-faults", c.rx_faults, "faults on what the machines receive (as --faults)");
  s->add_option("--tx-faults", c.tx_faults, "faults on what the machines send (as --faults)");
  s->add_option("--seed", c.seed, "seed of UUIDs, xids, arrivals and faults")
      ->capture_default_str();
  s->add_option("--max-seconds", c.max_seconds, "stop and report after this long")
      ->capture_default_str();
  s->add_option("--idle-us", c.idle_us, "sleep after a run of empty polls (0: busy-poll)")
      ->capture_default_str();
  s->add_option("--label", c.label, "the server's name in the reports");
  s->add_option("--json", c.json, "write the report as JSON to this file");
  s->add_option("--html", c.html, "write a self-contained HTML report to this file");
  s->add_option("--progress", c.progress, "live line on stderr: 1 on, 0 off (default: a terminal)");
}

int run_storm(const StormCommand& c, const std::string& prog) {
  if (c.port.interface.empty() == c.port.dpdk.empty()) {
    std::fprintf(stderr, "storm: give --interface IF or --dpdk VDEV\n");
    return 2;
  }
  StormConfig cfg;
  std::string error;
  cfg.clients = c.clients;
  if (!parse_arrival(c.arrival, cfg, &error)) {
    std::fprintf(stderr, "storm: %s\n", error.c_str());
    return 2;
  }
  auto mac = proto::Mac::parse(c.mac_base);
  if (!mac || (mac->b[0] & 1)) {
    std::fprintf(stderr, "storm: --mac-base '%s': a unicast MAC like 02:62:73:00:00:00\n",
                 c.mac_base.c_str());
    return 2;
  }
  cfg.mac_base = *mac;
  if (!parse_timeouts(c.dhcp_timeouts, cfg.machine.dhcp.timeouts_us, &error)) {
    std::fprintf(stderr, "storm: %s\n", error.c_str());
    return 2;
  }
  cfg.machine.dhcp.arch = uint16_t(c.arch);
  cfg.arch_mix = uint16_t(c.efi_every);
  cfg.machine.tftp.blksize = uint16_t(c.blksize);
  cfg.machine.tftp.windowsize = uint16_t(c.windowsize);
  cfg.machine.tftp.tsize = !c.no_tsize;
  cfg.machine.tftp.timeout_us = uint64_t(c.tftp_timeout_s * 1e6);
  cfg.machine.tftp.max_retries = c.tftp_retries;
  cfg.machine.tftp.backoff = c.tftp_backoff;
  cfg.machine.tftp.max_timeout_us = uint64_t(c.tftp_max_timeout_s * 1e6);
  cfg.machine.require_kickstart = !c.no_kickstart;
  cfg.seed = c.seed;
  FaultSpec both;
  both.loss = c.loss;
  if (!c.faults.empty()) {
    if (auto e = parse_fault_spec(c.faults, both); !e.empty()) {
      std::fprintf(stderr, "storm: --faults: %s\n", e.c_str());
      return 2;
    }
    if (c.loss > 0) both.loss = c.loss;
  }
  cfg.rx_faults = cfg.tx_faults = both;
  if (!c.rx_faults.empty())
    if (auto e = parse_fault_spec(c.rx_faults, cfg.rx_faults); !e.empty()) {
      std::fprintf(stderr, "storm: --rx-faults: %s\n", e.c_str());
      return 2;
    }
  if (!c.tx_faults.empty())
    if (auto e = parse_fault_spec(c.tx_faults, cfg.tx_faults); !e.empty()) {
      std::fprintf(stderr, "storm: --tx-faults: %s\n", e.c_str());
      return 2;
    }

  auto port = open_port(c.port, prog, &error);
  if (!port) {
    std::fprintf(stderr, "storm: %s\n", error.c_str());
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  FaultSink tx(*port, cfg.tx_faults, cfg.seed * 2 + 2);
  HttpClients::Options ho;
  ho.timeout_us = uint64_t(c.http_timeout_s * 1e6);
  HttpClients http(tx, ho);
  HttpAdapter hio(http);
  StormRun run(cfg, tx, &hio);

  const bool progress = c.progress < 0 ? isatty(STDERR_FILENO) : c.progress > 0;
  const uint64_t t0 = now_us();
  const std::string started_at = utc_now();
  uint64_t next_progress = t0 + 1000000;
  uint32_t idle = 0;
  constexpr size_t kBurst = 64;
  proto::MutBytes frames[kBurst];
  while (!run.finished() && !g_stop.load()) {
    const uint64_t now = now_us();
    if (now - t0 > uint64_t(c.max_seconds * 1e6)) break;
    const size_t n = port->rx(frames, kBurst);
    for (size_t i = 0; i < n; ++i) run.on_frame(frames[i], now);
    run.poll(now);
    port->flush();
    if (progress && now >= next_progress) {
      next_progress += 1000000;
      std::fprintf(stderr, "\r%s\033[K", progress_line(run, double(now - t0) / 1e6).c_str());
    }
    if (n == 0 && c.idle_us && ++idle >= 64) {
      std::this_thread::sleep_for(std::chrono::microseconds(c.idle_us));
    } else if (n) {
      idle = 0;
    }
  }
  if (progress)
    std::fprintf(stderr, "\r%s\033[K\n", progress_line(run, double(now_us() - t0) / 1e6).c_str());

  nlohmann::json j = run.to_json(now_us());
  j["tool"] = "bootstorm-bench storm";
  j["label"] = c.label.empty() ? port->name() : c.label;
  j["started_at"] = started_at;
  j["machine"] = machine_desc();
  j["interrupted"] = g_stop.load();
  j["settings"] = {{"clients", c.clients},
                   {"arrival", c.arrival},
                   {"arch", c.arch},
                   {"efi_every", c.efi_every},
                   {"blksize", c.blksize},
                   {"windowsize", c.windowsize},
                   {"tsize", !c.no_tsize},
                   {"dhcp_timeouts_s", c.dhcp_timeouts},
                   {"tftp_timeout_s", c.tftp_timeout_s},
                   {"tftp_retries", c.tftp_retries},
                   {"tftp_backoff", c.tftp_backoff},
                   {"tftp_max_timeout_s", c.tftp_max_timeout_s},
                   {"http_timeout_s", c.http_timeout_s},
                   {"loss", cfg.rx_faults.loss},
                   {"faults", c.faults},
                   {"rx_faults", c.rx_faults},
                   {"tx_faults", c.tx_faults},
                   {"seed", c.seed},
                   {"interface", c.port.interface},
                   {"afpacket_version", c.port.afpacket_version},
                   {"dpdk", c.port.dpdk}};
  j["port"] = port->counters();
  print_storm_summary(stdout, j);
  if (!c.json.empty()) {
    std::ofstream out(c.json);
    out << j.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "storm: cannot write %s\n", c.json.c_str());
      return 1;
    }
  }
  if (!c.html.empty()) {
    std::ofstream out(c.html);
    out << storm_html({j});
    if (!out) {
      std::fprintf(stderr, "storm: cannot write %s\n", c.html.c_str());
      return 1;
    }
  }
  return run.failed() == 0 && run.finished() ? 0 : 1;
}

}  // namespace bs::bench
