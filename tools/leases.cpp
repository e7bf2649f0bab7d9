#include "leases.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "../control/config.hpp"
#include "../dataplane/dhcp/journal.hpp"

namespace bs::ctl {

namespace {

std::string local_time(uint64_t unix_s) {
  std::time_t t = std::time_t(unix_s);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace

int list_leases(const config::Config& cfg, bool as_json) {
  const uint64_t now = uint64_t(std::time(nullptr));
  std::vector<dhcp::JournalLease> live;
  dhcp::ReplayStats stats;
  std::string error;
  if (!dhcp::Journal::replay(cfg.server.state_dir, now, &live, &stats, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  std::sort(live.begin(), live.end(),
            [](const dhcp::JournalLease& a, const dhcp::JournalLease& b) { return a.ip < b.ip; });
  auto hostname = [&](const proto::Mac& m) -> std::string {
    const config::Host* h = cfg.find_host(m);
    return h ? h->hostname : std::string();
  };
  if (as_json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& l : live)
      out.push_back({{"mac", l.mac.str()},
                     {"ip", proto::ip_str(l.ip)},
                     {"expires", l.expires_unix_s},
                     {"remaining_s", l.expires_unix_s - now},
                     {"hostname", hostname(l.mac)}});
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("%-17s  %-15s  %-19s  %9s  %s\n", "MAC", "ADDRESS", "EXPIRES", "REMAINING", "HOST");
    for (const auto& l : live)
      std::printf("%-17s  %-15s  %-19s  %8llus  %s\n", l.mac.str().c_str(),
                  proto::ip_str(l.ip).c_str(), local_time(l.expires_unix_s).c_str(),
                  static_cast<unsigned long long>(l.expires_unix_s - now), hostname(l.mac).c_str());
    std::printf("%zu lease(s) in %s/leases.journal\n", live.size(), cfg.server.state_dir.c_str());
  }
  if (stats.corrupt || stats.torn_bytes)
    std::fprintf(stderr,
                 "note: the journal ends in a damaged or partly written record (%llu bytes "
                 "ignored); the dataplane drops it when it next starts\n",
                 static_cast<unsigned long long>(stats.torn_bytes));
  return 0;
}

}  // namespace bs::ctl
