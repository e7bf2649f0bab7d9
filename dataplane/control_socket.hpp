// The dataplane's end of the control socket: a unix stream socket carrying newline-delimited
// JSON (see snapshot/wire.hpp). One control process at a time; a new connection replaces the old.
// Non-blocking, polled by the service thread.
#pragma once
#include <functional>
#include <string>

namespace bs {

class ControlSocket {
 public:
  using LineHandler = std::function<void(std::string_view line)>;
  ~ControlSocket();
  // Listens on path (a stale socket file is replaced). Returns false and sets *error.
  bool listen(const std::string& path, std::string* error);
  // Accepts, reads whole lines (calling on_line for each), flushes pending output.
  // Returns true if anything happened.
  bool poll(const LineHandler& on_line);
  // Queues one line (a newline is appended). Dropped, and counted, when no control process is
  // connected or it is not reading (the backlog is bounded).
  void send(std::string_view line);
  bool connected() const { return client_ >= 0; }
  uint64_t dropped_lines() const { return dropped_; }
  int listen_fd() const { return listen_; }
  int client_fd() const { return client_; }

 private:
  void disconnect();
  bool flush();

  int listen_ = -1;
  int client_ = -1;
  std::string path_;
  std::string in_, out_;
  uint64_t dropped_ = 0;
};

}  // namespace bs
