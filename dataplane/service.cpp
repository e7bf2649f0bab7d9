#include "service.hpp"

#include <poll.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_telemetry.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lease_feed.hpp"
#include "snapshot/wire.hpp"

namespace bs {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {
constexpr uint32_t kJournalQueue = 1 << 16;  // Journal::Options::max_pending
constexpr auto kStatsEvery = std::chrono::seconds(1);
constexpr auto kRescanEvery = std::chrono::seconds(5);
// When idle the service thread blocks in poll() on its sockets, the inotify descriptor and the
// workers' wake-up eventfd: 0.5 ms at a time for 100 ms after the last activity, then up to
// 100 ms (a worker that queues events or load requests wakes it at once).
constexpr unsigned kIdleSleepUs = 500;
constexpr int kDeepIdleWaitMs = 100;
constexpr auto kDeepIdleAfter = std::chrono::milliseconds(100);

Shared* g_telemetry_shared = nullptr;

int telemetry_counters(const char*, const char*, rte_tel_data* d) {
  if (!g_telemetry_shared) return -1;
  const Shared& sh = *g_telemetry_shared;
  rte_tel_data_start_dict(d);
#define BS_X(name, text) rte_tel_data_add_dict_u64(d, #name, sh.total(&WorkerCounters::name));
  BS_WORKER_COUNTERS(BS_X)
#undef BS_X
  for (unsigned i = 1; i < kDropCount; ++i)
    rte_tel_data_add_dict_u64(d, (std::string("drop_") + drop_name(Drop(i))).c_str(),
                              sh.total_drops(i));
  return 0;
}
}  // namespace

void register_telemetry(Shared* shared) {
  g_telemetry_shared = shared;
  rte_telemetry_register_cmd("/bootstorm/counters", telemetry_counters,
                             "bootstorm worker counters and drops by reason. No parameters");
}

Service::Service(Shared& shared, cache::Loader& loader, ControlSocket& socket,
                 std::string state_dir, dhcp::Journal* journal)
    : shared_(shared),
      loader_(loader),
      socket_(socket),
      state_dir_(std::move(state_dir)),
      journal_(journal) {
  const char* hooks = std::getenv("BOOTSTORM_TEST_HOOKS");
  hold_hook_ = journal_ && hooks && std::string_view(hooks) == "1";
  if (hold_hook_) spdlog::warn("test hooks on: {}/journal.hold holds lease flushes", state_dir_);
}

bool Service::pump_journal() {
  if (!journal_) return false;
  if (hold_hook_ && Clock::now() >= next_hold_check_) {
    journal_->hold(access((state_dir_ + "/journal.hold").c_str(), F_OK) == 0);
    next_hold_check_ = Clock::now() + std::chrono::milliseconds(5);
  }
  // Take records only as far as the journal's queue has room: what stays on the ring is the
  // back-pressure that makes the worker refuse new bindings rather than lose a record.
  bool busy = false;
  LeaseRecord rec[64];
  unsigned n;
  do {
    unsigned room = journal_->queued() < kJournalQueue ? kJournalQueue - journal_->queued() : 0;
    n = rte_ring_dequeue_burst_elem(shared_.lease_records, rec, sizeof(LeaseRecord),
                                    std::min(room, 64u), nullptr);
    for (unsigned i = 0; i < n; ++i) journal_->append(rec[i].lease, rec[i].tag);
    busy |= n > 0;
  } while (n == 64);
  const uint64_t now_ms = uint64_t(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
          .count());
  busy |= journal_->pump(now_ms);
  const uint64_t committed = std::max(journal_->committed(), kReplayedTag);
  shared_.journal_committed.store(committed, std::memory_order_release);
  const bool healthy = journal_->healthy();
  shared_.journal_healthy.store(healthy, std::memory_order_relaxed);
  if (healthy != journal_was_healthy_) {
    if (healthy)
      spdlog::info("lease journal: writing again; new leases are acknowledged");
    else
      spdlog::error(
          "lease journal {}/leases.journal: {}; new leases are not acknowledged until a flush "
          "succeeds (renewals of leases on disk continue)",
          state_dir_, strerror(journal_->last_error()));
    journal_was_healthy_ = healthy;
  }
  return busy;
}

Service::~Service() {
  // Workers have stopped: nothing holds a snapshot any more.
  for (auto& r : retired_) delete r.snapshot;
}

void Service::restore() {
  std::ifstream in(state_dir_ + "/snapshot.json");
  if (!in) {
    refresh_files();  // serve the TFTP root even before any snapshot arrives
    return;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string error;
  auto s = snap::decode(ss.str(), &error);
  if (!s) {
    spdlog::warn("ignoring saved snapshot {}/snapshot.json: {}", state_dir_, error);
    refresh_files();
    return;
  }
  spdlog::info("restored snapshot generation {} from {}", s->generation, state_dir_);
  apply(std::make_unique<snap::Snapshot>(std::move(*s)));
}

void Service::refresh_files() {
  for (cache::FileSlot* slot : shared_.files->refresh(current_.get())) loader_.request(slot);
  watch_.watch_tree(shared_.files->root());  // directories created since the last scan
}

void Service::apply(std::unique_ptr<snap::Snapshot> s) {
  uint64_t gen = s->generation;
  const snap::Snapshot* old = current_.release();
  current_ = std::move(s);
  refresh_files();  // virtual files and preloads of the new snapshot
  shared_.snapshot.store(current_.get(), std::memory_order_release);
  if (old) retired_.push_back({rte_rcu_qsbr_start(shared_.rcu), old});

  // Keep it, so a restarted dataplane serves at once; write-then-rename keeps the old on a crash.
  std::string path = state_dir_ + "/snapshot.json", tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << snap::encode(*current_);
    out.flush();
    if (!out) spdlog::warn("could not save the snapshot to {}", tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    spdlog::warn("could not save the snapshot to {}", path);
  spdlog::info("applied snapshot generation {}: {} pools, {} hosts, {} files", gen,
               current_->pools.size(), current_->hosts.size(), current_->files.size());
  socket_.send(json{{"type", "applied"}, {"generation", gen}}.dump());
}

void Service::on_line(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    socket_.send(json{{"type", "rejected"}, {"error", "not a JSON message with a type"}}.dump());
    return;
  }
  const std::string type = j["type"].get<std::string>();
  if (type == "snapshot" && j.contains("snapshot")) {
    std::string error;
    auto s = snap::decode(j["snapshot"].dump(), &error);
    if (!s) {
      spdlog::error("rejected snapshot: {}", error);
      socket_.send(json{{"type", "rejected"}, {"error", error}}.dump());
      return;
    }
    apply(std::make_unique<snap::Snapshot>(std::move(*s)));
  } else {
    socket_.send(json{{"type", "rejected"}, {"error", "unknown message type " + type}}.dump());
  }
}

unsigned Service::drain_events() {
  Event ev[64];
  unsigned n = rte_ring_dequeue_burst_elem(shared_.events, ev, sizeof(Event), 64, nullptr);
  for (unsigned i = 0; i < n; ++i) socket_.send(wire::encode_event(ev[i]));
  return n;
}

void Service::send_stats() {
  json counters, drops;
#define BS_X(name, text) counters[#name] = shared_.total(&WorkerCounters::name);
  BS_WORKER_COUNTERS(BS_X)
#undef BS_X
  for (unsigned i = 1; i < kDropCount; ++i)
    if (uint64_t v = shared_.total_drops(i)) drops[drop_name(Drop(i))] = v;
  counters["workers"] = shared_.workers;
  if (shared_.workers > 1) {
    for (unsigned w = 0; w < shared_.workers; ++w) {
      const WorkerCounters& c = shared_.worker_counters[w];
      const std::string k = "worker" + std::to_string(w) + "_";
      counters[k + "rx_packets"] = c.rx_packets.get();
      counters[k + "tftp_started"] = c.tftp_started.get();
      counters[k + "tftp_data_frames"] = c.tftp_data_frames.get();
      counters[k + "busy_cycles"] = c.busy_cycles.get();
    }
  }
  counters["cache_bytes"] = shared_.files->cached_bytes();
  counters["cache_cap_bytes"] = shared_.files->cap();
  counters["cache_evictions"] = shared_.files->evictions();
  counters["cache_loaded_files"] = loader_.loaded_files();
  counters["cache_failed_loads"] = loader_.failed_files();
  counters["control_lines_dropped"] = socket_.dropped_lines();
  if (journal_) {
    const dhcp::JournalCounters& j = journal_->counters();
    counters["journal_flushes"] = j.flushes;
    counters["journal_records"] = j.records;
    counters["journal_bytes"] = journal_->file_bytes();
    counters["journal_errors"] = j.errors;
    counters["journal_enospc"] = j.enospc;
    counters["journal_queued"] = journal_->queued();
    counters["journal_healthy"] = journal_->healthy() ? 1 : 0;
  }
  socket_.send(json{{"type", "stats"},
                    {"generation", current_ ? current_->generation : 0},
                    {"counters", counters},
                    {"drops", drops.is_null() ? json::object() : drops}}
                   .dump());
}

void Service::reclaim() {
  shared_.files->reclaim();
  size_t kept = 0;
  for (auto& r : retired_) {
    if (rte_rcu_qsbr_check(shared_.rcu, r.token, false) == 1)
      delete r.snapshot;
    else
      retired_[kept++] = r;
  }
  retired_.resize(kept);
}

void Service::wait_idle(bool deep) {
  shared_.service_sleeping.store(true, std::memory_order_seq_cst);
  // Work queued before the flag was visible would not wake us: look once more.
  if (rte_ring_count(shared_.events) == 0 && rte_ring_count(shared_.load_req) == 0 &&
      (!shared_.lease_records || rte_ring_count(shared_.lease_records) == 0)) {
    pollfd fds[5] = {{shared_.wake_fd, POLLIN, 0},
                     {journal_ ? journal_->event_fd() : -1, POLLIN, 0},
                     {socket_.listen_fd(), POLLIN, 0},
                     {socket_.client_fd(), POLLIN, 0},  // -1 when none: poll() ignores it
                     {watch_.fd(), POLLIN, 0}};
    // Shallow: a worker's wake-up or a journal completion ends the wait at once.
    const timespec shallow{0, long(kIdleSleepUs) * 1000}, deep_wait{0, kDeepIdleWaitMs * 1000000L};
    ::ppoll(fds, deep ? 5 : 2, deep ? &deep_wait : &shallow, nullptr);
  }
  shared_.service_sleeping.store(false, std::memory_order_seq_cst);
  uint64_t count;
  while (read(shared_.wake_fd, &count, sizeof(count)) > 0) {
  }
}

void Service::run() {
  auto next_stats = Clock::now() + kStatsEvery;
  auto next_rescan = Clock::now() + kRescanEvery;
  auto handler = [this](std::string_view line) { on_line(line); };
  auto last_busy = Clock::now();
  while (!shared_.stop.load(std::memory_order_relaxed)) {
    bool busy = pump_journal();  // first: a DHCPACK waits for it
    busy |= socket_.poll(handler);
    busy |= drain_events() > 0;
    busy |= pump_journal();

    cache::FileSlot* req[64];
    unsigned nr = rte_ring_dequeue_burst_elem(shared_.load_req, req, sizeof(void*), 64, nullptr);
    for (unsigned i = 0; i < nr; ++i) loader_.request(req[i]);
    busy |= nr > 0;

    done_.clear();
    loader_.poll(done_, busy || (journal_ && journal_->busy()) ? 0 : kIdleSleepUs);
    for (cache::FileSlot* slot : done_) {
      for (unsigned w = 0; w < shared_.workers; ++w)  // each may have transfers waiting on it
        while (rte_ring_enqueue_elem(shared_.load_done[w], &slot, sizeof(void*)) != 0 &&
               !shared_.stop.load(std::memory_order_relaxed))
          usleep(50);  // the workers drain these rings every iteration
      if (slot->state.load() == cache::SlotState::failed)
        spdlog::warn("loading {} failed: {}", slot->path, strerror(slot->error.load()));
    }
    if (!done_.empty()) {
      if (unsigned n = shared_.files->enforce_cap())
        spdlog::info("cache over its cap of {} MiB: {} file(s) evicted (least recently requested)",
                     shared_.files->cap() >> 20, n);
      busy = true;
    }

    auto now = Clock::now();
    if (now >= next_stats) {
      send_stats();
      reclaim();
      next_stats = now + kStatsEvery;
    }
    if (watch_.changed()) {
      refresh_files();
      busy = true;
      next_rescan = now + kRescanEvery;
    } else if (now >= next_rescan) {
      refresh_files();
      next_rescan = now + kRescanEvery;
    }
    if (busy) last_busy = now;
    // A flush in flight completes within milliseconds: poll for it rather than sleep deeply
    // (its completion also signals the journal's eventfd, which wait_idle() watches).
    const bool journal_busy = journal_ && journal_->busy();
    if (!busy && !loader_.busy()) wait_idle(!journal_busy && now - last_busy > kDeepIdleAfter);
  }
}

}  // namespace bs
