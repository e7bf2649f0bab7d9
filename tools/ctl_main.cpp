// bootstorm-ctl: operator commands.
//   check FILE                          validate a site config; every error, exit 2 on any
//   render --config FILE --mac M        what that host gets: boot files, pxelinux config,
//                                       kickstart
//   up --config FILE                    run dataplane and control in the foreground until
//                                       SIGTERM/Ctrl-C
//   leases --config FILE [--json]       the leases on disk (the journal in state_dir)
//   status --config FILE [--json]       the running appliance's counters and drops
//   setup [--config FILE] [--dry-run]   check and prepare the host: hugepages, NIC -> vfio-pci
#include <CLI/CLI.hpp>
#include <cstdio>

#include "../control/config.hpp"
#include "../control/logging.hpp"
#include "../control/render.hpp"
#include "leases.hpp"
#include "setup.hpp"
#include "status.hpp"
#include "supervisor.hpp"

namespace {

using namespace bs;

// Prints warnings and errors; returns the loaded config or nullopt.
std::optional<config::Config> load(const std::string& path) {
  config::LoadResult r = config::load(path);
  for (const auto& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.str().c_str());
  for (const auto& e : r.errors) std::fprintf(stderr, "%s\n", e.str().c_str());
  if (!r.errors.empty()) std::fprintf(stderr, "%s: %zu error(s)\n", path.c_str(), r.errors.size());
  return std::move(r.config);
}

int check(const std::string& path) {
  if (!load(path)) return 2;
  std::printf("ok: %s\n", path.c_str());
  return 0;
}

int render(const std::string& path, const std::string& mac_text) {
  auto cfg = load(path);
  if (!cfg) return 2;
  auto mac = proto::Mac::parse(mac_text);
  if (!mac) {
    std::fprintf(stderr, "'%s' is not a MAC address (expected e.g. 52:54:00:12:34:56)\n",
                 mac_text.c_str());
    return 1;
  }
  const config::Host* host = cfg->find_host(*mac);
  if (!host) {
    std::string known;
    for (const auto& h : cfg->hosts) known += (known.empty() ? "" : ", ") + h.mac.str();
    std::fprintf(stderr,
                 "%s: no [[host]] has mac %s; it would get a pool address and "
                 "pxelinux.cfg/default (reserved: %s)\n",
                 path.c_str(), mac->str().c_str(), known.empty() ? "none" : known.c_str());
    return 1;
  }
  try {
    control::RenderedHost r = control::render_host(*cfg, *host);
    std::printf("host %s (%s) address %s profile %s\n", r.hostname.c_str(), r.mac.c_str(),
                proto::ip_str(host->address).c_str(), host->profile.c_str());
    std::printf("boot file, BIOS (option 93 arch 0): %s\n", r.boot_bios.c_str());
    std::printf("boot file, UEFI x64 (arch 7, 9):    %s\n",
                r.boot_uefi_x64.empty() ? "(none configured)" : r.boot_uefi_x64.c_str());
    std::printf("\n--- %s (TFTP) ---\n%s", r.pxelinux_path.c_str(), r.pxelinux.c_str());
    if (r.has_kickstart)
      std::printf("\n--- %s (HTTP) ---\n%s", r.kickstart_url.c_str(), r.kickstart.c_str());
    else
      std::printf("\n(profile %s has no kickstart)\n", host->profile.c_str());
  } catch (const control::RenderError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  return 0;
}

int up(const std::string& path, int max_restarts) {
  if (!load(path)) return 2;
  control::setup_logging("bootstorm-ctl");
  std::vector<ctl::Child> children = {
      {"bootstorm-dataplane",
       ctl::find_program("dataplane", "bootstorm-dataplane"),
       {"--config", path}},
      {"bootstorm-control", ctl::find_program("control", "bootstorm-control"), {"--config", path}},
  };
  return ctl::supervise(children, max_restarts);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bootstorm-ctl: check, render and run a bootstorm appliance"};
  app.require_subcommand(1);
  std::string check_file, config, mac;
  int max_restarts = 5;

  auto* c = app.add_subcommand("check", "validate a site config; print every error, exit 2 on any");
  c->add_option("FILE", check_file, "site config (TOML)")->required();
  auto* r = app.add_subcommand("render",
                               "print what one host gets: boot files, pxelinux config, kickstart");
  r->add_option("--config", config, "site config (TOML)")->required();
  r->add_option("--mac", mac, "the host's MAC address")->required();
  auto* u = app.add_subcommand(
      "up", "run bootstorm-dataplane and bootstorm-control until SIGTERM/Ctrl-C");
  u->add_option("--config", config, "site config (TOML)")->required();
  u->add_option("--max-restarts", max_restarts, "restarts per child per minute before giving up")
      ->check(CLI::Range(0, 100));
  bool as_json = false;
  auto* l =
      app.add_subcommand("leases", "list the leases on disk (the lease journal in state_dir)");
  l->add_option("--config", config, "site config (TOML): gives state_dir")->required();
  l->add_flag("--json", as_json, "a JSON array instead of a table");
  auto* st = app.add_subcommand(
      "status", "the running appliance's counters and drops by reason (from its /status)");
  st->add_option("--config", config, "site config (TOML): gives the address and HTTP port")
      ->required();
  st->add_flag("--json", as_json, "the raw /status JSON");
  std::string setup_config = "/etc/bootstorm/bootstorm.toml";
  bool dry_run = false;
  auto* s = app.add_subcommand(
      "setup", "check and prepare this host for the dataplane: hugepages, NIC to vfio-pci");
  s->add_option("--config", setup_config, "site config (TOML)")->capture_default_str();
  s->add_flag("--dry-run", dry_run, "print what it would do; change nothing");
  CLI11_PARSE(app, argc, argv);

  if (c->parsed()) return check(check_file);
  if (s->parsed()) {
    auto cfg = load(setup_config);
    return cfg ? ctl::setup(*cfg, dry_run) : 2;
  }
  if (l->parsed()) {
    auto cfg = load(config);
    return cfg ? ctl::list_leases(*cfg, as_json) : 2;
  }
  if (st->parsed()) {
    auto cfg = load(config);
    return cfg ? ctl::show_status(*cfg, as_json) : 2;
  }
  if (r->parsed()) return render(config, mac);
  return up(config, max_restarts);
}
