#include "dhcp_cmd.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "dhcp_run.hpp"

namespace bs::bench {
namespace {

std::atomic<int> g_signals{0};
void on_signal(int) {
  g_signals.fetch_add(1);
}

uint64_t now_us() {
  return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

// "4,8,16,32" (seconds, fractions allowed) into microseconds; "" or "0": wait for ever.
bool parse_timeouts(const std::string& s, std::vector<uint64_t>& out, std::string* error) {
  out.clear();
  if (s.empty() || s == "0") return true;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    if (item.empty() || end != item.c_str() + item.size() || !(v > 0) || v > 86400) {
      *error = "--timeouts '" + s + "': seconds separated by commas, e.g. 4,8,16,32";
      return false;
    }
    out.push_back(uint64_t(std::llround(v * 1e6)));
  }
  return true;
}

std::string g(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

// perfdhcp's first line, for this bench.
std::string running_line(const DhcpCommand& c) {
  std::string s = "Running: bootstorm-bench dhcp";
  if (!c.port.interface.empty()) s += " --interface " + c.port.interface;
  if (!c.port.dpdk.empty()) s += " --dpdk " + c.port.dpdk;
  if (c.rate > 0) s += " --rate " + g(c.rate);
  s += " --clients " + std::to_string(c.clients);
  if (c.num_request) s += " --num-request " + std::to_string(c.num_request);
  if (c.duration_s > 0) s += " --duration " + g(c.duration_s);
  if (c.exit_wait_s >= 0) s += " --exit-wait " + g(c.exit_wait_s);
  s += " --timeouts " + (c.timeouts.empty() ? std::string("0") : c.timeouts);
  s += " --arch " + std::to_string(c.arch);
  if (c.broadcast) s += " --broadcast";
  return s + "\n";
}

std::string progress_line(const DhcpRun& run, double t) {
  const DhcpRunStats& s = run.stats();
  char b[256];
  std::snprintf(
      b, sizeof b,
      "t=%.0fs DO %llu/%llu RA %llu/%llu (sent/received) bound %llu failed %llu "
      "active %llu",
      t, (unsigned long long)s.discover_offer.sent, (unsigned long long)s.discover_offer.received,
      (unsigned long long)s.request_ack.sent, (unsigned long long)s.request_ack.received,
      (unsigned long long)s.bound, (unsigned long long)s.failed, (unsigned long long)run.active());
  return b;
}

}  // namespace

void add_dhcp_command(CLI::App& app, DhcpCommand& c) {
  auto* d = app.add_subcommand(
      "dhcp",
      "perfdhcp-style DHCPv4 load from simulated PXE firmwares (DISCOVER, OFFER, REQUEST, ACK "
      "with PXE options and the firmware's timeouts), reported as perfdhcp does; any server");
  add_port_options(*d, c.port);
  d->add_option("-r,--rate", c.rate,
                "4-way exchanges started per second, each on the next client's MAC (perfdhcp "
                "-r); 0: avalanche, every client once, at once (perfdhcp --scenario avalanche)")
      ->check(CLI::Range(0.0, 1e7))
      ->capture_default_str();
  d->add_option("-R,--clients", c.clients, "distinct client MACs (perfdhcp -R)")
      ->check(CLI::Range(uint64_t(1), uint64_t(1) << 24))
      ->capture_default_str();
  d->add_option("-n,--num-request", c.num_request,
                "with --rate: exchanges to start at most (perfdhcp -n; 0: no bound)");
  d->add_option("-p,--duration", c.duration_s,
                "start exchanges for this many seconds (perfdhcp -p; 0: no bound)");
  d->add_option("-W,--exit-wait", c.exit_wait_s,
                "then wait this many seconds for the replies under way (perfdhcp -W, which is "
                "in microseconds); default 1 with --rate, until every client ends in an "
                "avalanche");
  d->add_option("--timeouts", c.timeouts,
                "seconds before each DISCOVER/REQUEST is sent again; after the last the client "
                "fails (PXE spec: 4,8,16,32; a single 1 mimics perfdhcp's basic scenario: one "
                "try, 1 s to answer; 0: wait for ever)")
      ->capture_default_str();
  d->add_option("--nak-retries", c.nak_retries,
                "NAKs a client answers with a new DISCOVER; the next one fails it")
      ->capture_default_str();
  d->add_option("--arch", c.arch, "PXE client architecture, option 93 (0 BIOS, 7 EFI x64)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  d->add_flag("--broadcast", c.broadcast,
              "set the BOOTP broadcast flag (default off: servers answer unicast)");
  d->add_option("--mac-base", c.mac_base, "client k's MAC is this + k (low 24 bits)")
      ->capture_default_str();
  d->add_option("--seed", c.seed, "seed of the xids")->capture_default_str();
  d->add_option("--start-burst", c.starts_per_poll,
                "exchanges started per loop iteration at most (a late loop catches up)")
      ->check(CLI::Range(1, 1 << 24))
      ->capture_default_str();
  d->add_option("--max-seconds", c.max_seconds, "stop and report after this long (0: never)")
      ->capture_default_str();
  d->add_option("--idle-us", c.idle_us, "sleep after a run of empty polls (0: busy-poll)")
      ->capture_default_str();
  d->add_option("--json", c.json, "write the report as JSON to this file");
  d->add_option("--progress", c.progress,
                "live line on stderr: 1 on, 0 off (default: when a terminal)");
}

int run_dhcp(const DhcpCommand& c, const char* argv0) {
  if (c.port.interface.empty() == c.port.dpdk.empty()) {
    std::fprintf(stderr, "dhcp: give --interface IF or --dpdk VDEV\n");
    return 2;
  }
  DhcpRunConfig cfg;
  std::string error;
  cfg.clients = c.clients;
  cfg.rate = c.rate;
  cfg.num_request = c.num_request;
  cfg.duration_us = c.duration_s > 0 ? uint64_t(c.duration_s * 1e6) : 0;
  if (c.exit_wait_s >= 0)
    cfg.exit_wait_us = uint64_t(c.exit_wait_s * 1e6);
  else
    cfg.exit_wait_us = c.rate > 0 ? 1000000 : DhcpClient::kNever;
  auto mac = proto::Mac::parse(c.mac_base);
  if (!mac || (mac->b[0] & 1)) {
    std::fprintf(stderr, "dhcp: --mac-base '%s': a unicast MAC like 02:62:64:00:00:00\n",
                 c.mac_base.c_str());
    return 2;
  }
  cfg.mac_base = *mac;
  if (!parse_timeouts(c.timeouts, cfg.client.timeouts_us, &error)) {
    std::fprintf(stderr, "dhcp: %s\n", error.c_str());
    return 2;
  }
  cfg.client.arch = uint16_t(c.arch);
  cfg.client.broadcast = c.broadcast;
  cfg.client.nak_retries = c.nak_retries;
  cfg.seed = c.seed;
  cfg.starts_per_poll = c.starts_per_poll;

  auto port = open_port(c.port, argv0 ? argv0 : "bootstorm-bench", &error);
  if (!port) {
    std::fprintf(stderr, "dhcp: %s\n", error.c_str());
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  DhcpRun run(cfg, *port);
  const bool progress = c.progress < 0 ? isatty(STDERR_FILENO) : c.progress > 0;
  const uint64_t t0 = now_us();
  uint64_t next_progress = t0 + 1000000;
  bool timed_out = false, interrupted = false;
  uint32_t empty_polls = 0;
  proto::MutBytes frames[64];
  while (!run.finished()) {
    const uint64_t now = now_us();
    const size_t n = port->rx(frames, 64);
    for (size_t i = 0; i < n; ++i) run.on_frame(frames[i], now);
    run.poll(now);
    port->flush();
    if (const int sig = g_signals.load(std::memory_order_relaxed); sig > 0) {
      // The first signal ends the starts (the replies under way are still awaited, as after
      // --duration); a second one stops at once.
      if (!interrupted) {
        interrupted = true;
        run.stop(now);
      }
      if (sig > 1) break;
    }
    if (now >= next_progress) {
      next_progress = now + 1000000;
      if (progress)
        std::fprintf(stderr, "\r%s\x1b[K", progress_line(run, double(now - t0) / 1e6).c_str());
      if (c.max_seconds > 0 && double(now - t0) / 1e6 > c.max_seconds) {
        timed_out = true;
        break;
      }
    }
    if (n == 0 && c.idle_us && ++empty_polls >= 64) {
      std::this_thread::sleep_for(std::chrono::microseconds(c.idle_us));
      empty_polls = 0;
    } else if (n) {
      empty_polls = 0;
    }
  }
  const double wall_s = double(now_us() - t0) / 1e6;
  if (progress) std::fprintf(stderr, "\n");
  if (timed_out) std::fprintf(stderr, "dhcp: stopped after --max-seconds %g\n", c.max_seconds);
  port->flush();

  std::fputs(perfdhcp_report(run, running_line(c)).c_str(), stdout);
  std::fputs(bench_report(run).c_str(), stdout);
  std::fflush(stdout);
  if (!c.json.empty()) {
    nlohmann::json j = dhcp_json(run);
    j["config"] = {{"interface", c.port.interface},
                   {"dpdk", c.port.dpdk},
                   {"rate", c.rate},
                   {"clients", c.clients},
                   {"num_request", c.num_request},
                   {"duration_s", c.duration_s},
                   {"exit_wait_s", cfg.exit_wait_us == DhcpClient::kNever
                                       ? nlohmann::json(nullptr)
                                       : nlohmann::json(double(cfg.exit_wait_us) / 1e6)},
                   {"timeouts_s", c.timeouts},
                   {"nak_retries", c.nak_retries},
                   {"arch", c.arch},
                   {"broadcast", c.broadcast},
                   {"mac_base", c.mac_base},
                   {"seed", c.seed}};
    j["port"] = {
        {"name", port->name()}, {"mac", port->mac().str()}, {"counters", port->counters()}};
    j["bench"] = {{"wall_s", wall_s},
                  {"stopped", timed_out     ? "max_seconds"
                              : interrupted ? "signal"
                                            : ""}};
    std::ofstream out(c.json);
    out << j.dump(2) << "\n";
    if (!out) std::fprintf(stderr, "dhcp: --json %s: cannot write it\n", c.json.c_str());
  }
  const DhcpRunStats& s = run.stats();
  const bool complete = s.discover_offer.drops() == 0 && s.request_ack.drops() == 0 &&
                        s.failed == 0 && run.active() == 0 && s.started > 0;
  return complete ? 0 : 3;
}

}  // namespace bs::bench
