#include "status.hpp"

#include <httplib.h>

#include <cstdio>
#include <nlohmann/json.hpp>

namespace bs::ctl {

int show_status(const config::Config& cfg, bool as_json) {
  const std::string host = proto::ip_str(cfg.server.address);
  httplib::Client cli(host, cfg.server.http_port);
  cli.set_connection_timeout(2);
  cli.set_read_timeout(5);
  auto res = cli.Get("/status");
  if (!res || res->status != 200) {
    std::fprintf(stderr,
                 "cannot read http://%s:%u/status (%s): is the appliance running, and is this "
                 "command run where its address is reachable (its network namespace in the "
                 "lab: ip netns exec bs-srv ...)?\n",
                 host.c_str(), cfg.server.http_port,
                 res ? ("HTTP " + std::to_string(res->status)).c_str()
                     : httplib::to_string(res.error()).c_str());
    return 1;
  }
  if (as_json) {
    std::fputs(res->body.c_str(), stdout);
    return 0;
  }
  nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded()) {
    std::fprintf(stderr, "/status is not JSON\n");
    return 1;
  }
  const auto& dp = j["dataplane"];
  std::printf("dataplane: %s (connects %llu), snapshot applied %llu of %llu built\n",
              dp.value("connected", false) ? "connected" : "NOT connected",
              static_cast<unsigned long long>(dp.value("connects", 0)),
              static_cast<unsigned long long>(j["generation"].value("applied", 0)),
              static_cast<unsigned long long>(j["generation"].value("built", 0)));
  if (!dp.contains("stats")) {
    std::printf("(no counters from the dataplane yet)\n");
    return 0;
  }
  const auto& st = dp["stats"];
  std::printf("\ncounters (non-zero):\n");
  for (const auto& [name, v] : st["counters"].items())
    if (v.is_number() && v.get<uint64_t>() != 0)
      std::printf("  %-28s %llu\n", name.c_str(),
                  static_cast<unsigned long long>(v.get<uint64_t>()));
  std::printf("\ndrops by reason:\n");
  if (st["drops"].empty()) std::printf("  (none)\n");
  for (const auto& [name, v] : st["drops"].items())
    std::printf("  %-28s %llu\n", name.c_str(), static_cast<unsigned long long>(v.get<uint64_t>()));
  return 0;
}

}  // namespace bs::ctl
