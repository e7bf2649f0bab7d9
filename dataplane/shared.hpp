// What the service thread and a worker share: rings, the published snapshot, RCU, counters.
// Everything else a worker uses is its own.
#pragma once
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "cache/file_table.hpp"
#include "proto/drop.hpp"
#include "snapshot/snapshot.hpp"

struct rte_ring;
namespace bs::dhcp {
struct JournalLease;
}
struct rte_rcu_qsbr;

namespace bs {

// Single writer (the worker), read by the service thread: relaxed loads and stores, no RMW.
struct Counter {
  std::atomic<uint64_t> v{0};
  void add(uint64_t n = 1) {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get() const { return v.load(std::memory_order_relaxed); }
};

#define BS_WORKER_COUNTERS(X)                                                           \
  X(rx_packets, "frames received on the boot port")                                     \
  X(tx_packets, "frames queued for the boot port (refused ones count as drop tx_full)") \
  X(to_kernel, "frames passed to the exception tap")                                    \
  X(from_kernel, "frames from the exception tap sent on the boot port")                 \
  X(arp_replies, "ARP replies sent for the appliance address")                          \
  X(dhcp_requests, "DHCP messages handled (every type)")                                \
  X(dhcp_discover, "DHCPDISCOVER received")                                             \
  X(dhcp_request, "DHCPREQUEST received")                                               \
  X(dhcp_release, "DHCPRELEASE received")                                               \
  X(dhcp_decline, "DHCPDECLINE received")                                               \
  X(dhcp_inform, "DHCPINFORM received")                                                 \
  X(dhcp_offers, "DHCPOFFER sent")                                                      \
  X(dhcp_acks, "DHCPACK sent")                                                          \
  X(dhcp_naks, "DHCPNAK sent")                                                          \
  X(dhcp_acks_held, "DHCPACKs that waited for their lease record to reach the disk")    \
  X(dhcp_acks_released, "held DHCPACKs sent once their lease record was on disk")       \
  X(dhcp_leases_restored, "leases replayed from the journal into the pool")             \
  X(dhcp_probes, "ARP probes sent for free addresses")                                  \
  X(dhcp_conflicts, "addresses found in use by ARP and quarantined")                    \
  X(dhcp_replies, "DHCP replies sent")                                                  \
  X(tftp_requests, "TFTP read requests")                                                \
  X(tftp_misses, "TFTP requests for missing files (ERROR 1)")                           \
  X(tftp_started, "TFTP transfers started")                                             \
  X(tftp_done, "TFTP transfers completed")                                              \
  X(tftp_failed, "TFTP transfers failed or aborted")                                    \
  X(tftp_data_bytes, "TFTP DATA payload bytes sent (retransmissions included)")         \
  X(tftp_retransmits, "TFTP OACKs and DATA blocks sent again (timeout or go-back)")     \
  X(tftp_data_frames, "TFTP DATA frames sent (retransmissions included)")               \
  X(tftp_tx_deferred, "TFTP DATA frames the port did not take at once (sent later)")    \
  X(tftp_requests_mcast, "TFTP requests served by multicast (RFC 2090 or PXE MTFTP)")   \
  X(tftp_mtftp_ignored, "PXE MTFTP open requests for a file already being sent")        \
  X(tftp_mcast_groups, "multicast transmissions started (a group per file in flight)")  \
  X(tftp_mcast_members, "clients that joined a multicast transmission")                 \
  X(tftp_mcast_done, "multicast members that acknowledged the whole file")              \
  X(tftp_mcast_failed, "multicast members dropped for never answering")                 \
  X(tftp_mcast_promotions, "multicast members promoted to master client")               \
  X(tftp_mcast_demotions, "multicast masters demoted for going silent")                 \
  X(tftp_mcast_data_bytes, "DATA payload bytes sent to multicast groups (repairs too)") \
  X(tftp_mcast_repair_bytes, "DATA payload bytes sent to a group again (repairs)")      \
  X(igmp_sent, "IGMP queries, reports and leaves sent")                                 \
  X(busy_cycles, "TSC cycles of loop iterations that did work")                         \
  X(steered, "frames handed to the worker that owns their client")                      \
  X(idle_sleeps, "idle back-off sleeps")

// One per worker, each on its own cache lines (single writer each); readers sum them.
struct alignas(64) WorkerCounters {
#define BS_X(name, text) Counter name;
  BS_WORKER_COUNTERS(BS_X)
#undef BS_X
  Counter drops[kDropCount];
};

inline constexpr unsigned kMaxWorkers = 8;  // = cache::Blob::kMaxWorkers

struct Shared {
  std::atomic<bool> stop{false};
  std::atomic<const snap::Snapshot*> snapshot{nullptr};  // published by the service (release)
  unsigned workers = 1;                                  // worker lcores running
  rte_ring* events = nullptr;             // workers -> service: Event records (multi-producer)
  rte_ring* load_req = nullptr;           // workers -> service: cache::FileSlot* (multi-producer)
  rte_ring* load_done[kMaxWorkers] = {};  // service -> each worker: cache::FileSlot*
  // Flow steering: frames a worker received for a client another worker owns (steer.hpp).
  rte_ring* steer[kMaxWorkers] = {};
  // The lease journal (lease_feed.hpp): records from the worker, the highest tag on disk and
  // whether the last flush succeeded, from the service; the leases replayed at start, read by
  // the worker when its first snapshot arrives.
  rte_ring* lease_records = nullptr;  // worker -> service: LeaseRecord
  std::atomic<uint64_t> journal_committed{0};
  std::atomic<bool> journal_healthy{true};
  const std::vector<dhcp::JournalLease>* replayed = nullptr;
  rte_rcu_qsbr* rcu = nullptr;  // worker reports quiescent states; service reclaims
  cache::FileTable* files = nullptr;
  WorkerCounters worker_counters[kMaxWorkers];
  WorkerCounters& counters = worker_counters[0];  // the first worker's (and the tests')
  // Sums over the running workers.
  uint64_t total(const Counter WorkerCounters::*c) const {
    uint64_t n = 0;
    for (unsigned i = 0; i < workers; ++i) n += (worker_counters[i].*c).get();
    return n;
  }
  uint64_t total_drops(unsigned reason) const {
    uint64_t n = 0;
    for (unsigned i = 0; i < workers; ++i) n += worker_counters[i].drops[reason].get();
    return n;
  }
  // Waking the service thread when it sleeps: it sets service_sleeping before it blocks; a
  // worker that queued events or load requests and finds the flag set clears it and writes
  // wake_fd (an eventfd), so the idle service thread needs no frequent polling.
  int wake_fd = -1;
  std::atomic<bool> service_sleeping{false};
  void wake_service() {
    // Orders the ring enqueue before the flag load (the service stores the flag, then looks at
    // the rings): without it a store-buffered enqueue could miss a sleeping service.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (service_sleeping.load(std::memory_order_relaxed) &&
        service_sleeping.exchange(false, std::memory_order_seq_cst)) {
      uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof(one));
    }
  }
};

}  // namespace bs
