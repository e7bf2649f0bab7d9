// The control side of the control socket: a unix stream client to <state_dir>/dataplane.sock.
// On every (re)connect it sends the snapshot ({"type":"snapshot","snapshot":{...}}\n), then
// reads newline-delimited JSON (dataplane/snapshot/wire.hpp): events become dhcpd/tftpd-style
// log lines and counters, "applied"/"rejected"/"stats" update Stats. Runs on its own thread and
// reconnects every second while the dataplane is away, so neither process needs the other.
#pragma once
#include <atomic>
#include <string>
#include <thread>

#include "event_log.hpp"
#include "stats.hpp"

namespace bs::control {

class DataplaneLink {
 public:
  // snapshot_json: snap::encode(...) output (one JSON object, no newline).
  DataplaneLink(std::string socket_path, std::string snapshot_json, std::string via, Stats& stats);
  ~DataplaneLink();
  DataplaneLink(const DataplaneLink&) = delete;
  DataplaneLink& operator=(const DataplaneLink&) = delete;

  void start();
  void stop();

  // One message from the dataplane (a line without its newline). Public for tests.
  void handle_line(const std::string& line);

 private:
  void run();
  bool session(int fd);  // false when the peer went away

  std::string path_, hello_, via_;
  Stats& stats_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  LogLimiter limiter_;
};

}  // namespace bs::control
