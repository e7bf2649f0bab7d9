// bootstorm-control --config FILE: load and validate the site, render pxelinux configs and
// kickstarts, push the snapshot to the dataplane (reconnecting as needed), serve HTTP, and run
// until SIGTERM or SIGINT. Exit codes: 0 after a signal, 2 for a config that does not load.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "../dataplane/snapshot/snapshot.hpp"
#include "config.hpp"
#include "dataplane_link.hpp"
#include "http_server.hpp"
#include "logging.hpp"
#include "notify.hpp"
#include "render.hpp"
#include "snapshot_build.hpp"
#include "stats.hpp"

int main(int argc, char** argv) {
  using namespace bs;
  CLI::App app{"bootstorm-control: site config, rendering, HTTP and the dataplane link"};
  std::string path;
  app.add_option("--config", path, "site description (TOML)")->required();
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before any thread starts; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  control::setup_logging("bootstorm-control");
  config::LoadResult loaded = config::load(path);
  for (const auto& w : loaded.warnings) spdlog::warn("{}", w.str());
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.str().c_str());
    std::fprintf(stderr, "%s: %zu error(s); not starting\n", path.c_str(), loaded.errors.size());
    return 2;
  }
  const config::Config& cfg = *loaded.config;
  control::Rendered rendered;
  try {
    rendered = control::render_all(cfg);
  } catch (const control::RenderError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  uint64_t generation = uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  snap::Snapshot snapshot = control::build_snapshot(cfg, rendered, generation);
  spdlog::info("loaded {}: {} pool(s), {} profile(s), {} host(s); snapshot generation {}", path,
               cfg.dhcp.pools.size(), cfg.profiles.size(), cfg.hosts.size(), generation);
  for (const auto& h : rendered.hosts)
    spdlog::info("host {} {}: {}{}", h.hostname, h.mac, h.pxelinux_path,
                 h.has_kickstart ? ", kickstart " + h.kickstart_url : std::string());

  control::Stats stats;
  stats.built(generation);
  control::HttpServer http({rendered.kickstarts, rendered.ipxe_scripts, cfg.tftp.root}, stats);
  http.start(proto::ip_str(cfg.server.address), cfg.server.http_port);
  control::DataplaneLink link(cfg.server.state_dir + "/dataplane.sock", snap::encode(snapshot),
                              cfg.server.exception, stats);
  link.start();

  // Ready for systemd (Type=notify) once HTTP listens; the dataplane link may come later.
  int sig = 0;
  timespec tick{0, 100'000'000};
  while (!http.listening() && (sig = sigtimedwait(&stop_signals, nullptr, &tick)) <= 0) {
  }
  if (sig <= 0) {
    notify("READY=1\nSTATUS=serving kickstarts on http://" + proto::ip_str(cfg.server.address) +
           ":" + std::to_string(cfg.server.http_port));
    while (sigwait(&stop_signals, &sig) != 0) {
    }
  }
  notify("STOPPING=1");
  spdlog::info("received {}; stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  link.stop();
  http.stop();
  spdlog::info("stopped");
  return 0;
}
