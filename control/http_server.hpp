// The control process's HTTP server (cpp-httplib), on the appliance address:
//   GET /ks/<hostname>.ks     the host's rendered kickstart (text/plain), 404 for anything else
//   GET /ipxe/<name>.ipxe     a host's iPXE script, or default.ipxe (text/plain)
//   GET /boot/<path>          a file of the TFTP root, read-only (kernels, initrds and boot
//                             loaders for iPXE and UEFI HTTP boot); the path is sanitised like a
//                             TFTP file name: '..' above the root, control characters: 403
//   GET /status               JSON: generations, dataplane link, event counts
//   GET /metrics              Prometheus text: events by type, link state, generations
// The listening socket gets IP_FREEBIND, so it binds before the dataplane's tap holds the
// address; a failed bind is retried every second. Each request is logged like an access log.
#pragma once
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "stats.hpp"

namespace httplib {
class Server;
}

namespace bs::control {

// What the server serves besides /status and /metrics.
struct HttpContent {
  std::map<std::string, std::string> kickstarts;    // hostname -> kickstart
  std::map<std::string, std::string> ipxe_scripts;  // hostname or "default" -> iPXE script
  std::string boot_root;                            // served at /boot/; empty = not served
};

class HttpServer {
 public:
  HttpServer(HttpContent content, Stats& stats);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts the server thread; returns at once (binding is retried in the thread).
  void start(const std::string& address, uint16_t port);
  void stop();
  bool listening() const { return listening_.load(); }

 private:
  void run(std::string address, uint16_t port);

  HttpContent content_;
  Stats& stats_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> stopping_{false}, listening_{false}, finished_{false};
};

}  // namespace bs::control
