// The service thread (the main lcore): control socket, snapshot application, the io_uring file
// loader, shipping worker events to the control process, periodic rescans and reclamation.
// It may block briefly and allocate; the worker never waits on it except for file loads.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cache/loader.hpp"
#include "cache/root_watch.hpp"
#include "control_socket.hpp"
#include "dhcp/journal.hpp"
#include "shared.hpp"

namespace bs {

class Service {
  using Clock = std::chrono::steady_clock;

 public:
  // journal: the opened lease journal (shared.lease_records feeds it), or nullptr when leases
  // are not durable (in-process tests).
  Service(Shared& shared, cache::Loader& loader, ControlSocket& socket, std::string state_dir,
          dhcp::Journal* journal);
  ~Service();
  // Applies the snapshot saved by the last run, if any (serve before control reconnects).
  void restore();
  void run();  // until shared.stop

 private:
  void on_line(std::string_view line);
  void apply(std::unique_ptr<snap::Snapshot> s);
  void refresh_files();
  unsigned drain_events();
  void send_stats();
  void reclaim();
  void wait_idle(bool deep);
  bool pump_journal();

  Shared& shared_;
  cache::Loader& loader_;
  ControlSocket& socket_;
  std::string state_dir_;
  dhcp::Journal* journal_;
  bool hold_hook_ = false;  // BOOTSTORM_TEST_HOOKS=1: <state_dir>/journal.hold holds flushes
  Clock::time_point next_hold_check_{};
  bool journal_was_healthy_ = true;
  std::unique_ptr<snap::Snapshot> current_;
  struct Retired {
    uint64_t token;
    const snap::Snapshot* snapshot;
  };
  std::vector<Retired> retired_;
  std::vector<cache::FileSlot*> done_;
  cache::RootWatch watch_;
};

// rte_telemetry command "/bootstorm/counters": worker counters and drop reasons.
void register_telemetry(Shared* shared);

}  // namespace bs
