// What the control process knows about the running appliance, for GET /status and /metrics:
// the snapshot generations built and applied, the control-socket state, events counted by type,
// and the dataplane's latest "stats" message. Thread-safe (the link thread writes, HTTP reads).
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "../dataplane/events.hpp"

namespace bs::control {

class Stats {
 public:
  void built(uint64_t generation) { built_ = generation; }
  void connected(bool up);
  void applied(uint64_t generation) { applied_ = generation; }
  void rejected(const std::string& error);
  void event(EventType t);
  void http_request() { ++http_requests_; }
  // The dataplane's {"type":"stats",...} message, kept as JSON text (replaced on each message).
  void dataplane_stats(const std::string& json);

  uint64_t event_count(EventType t) const { return events_[size_t(t)].load(); }
  bool is_connected() const { return connected_.load(); }
  uint64_t applied_generation() const { return applied_.load(); }

  std::string status_json() const;  // GET /status
  std::string metrics() const;      // GET /metrics (Prometheus text format 0.0.4)

 private:
  std::array<std::atomic<uint64_t>, size_t(EventType::count_)> events_{};
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> built_{0}, applied_{0}, rejections_{0}, connects_{0}, http_requests_{0};
  mutable std::mutex mu_;
  std::string last_rejection_;
  std::string dataplane_stats_;  // JSON object text, empty until the first message
};

}  // namespace bs::control
