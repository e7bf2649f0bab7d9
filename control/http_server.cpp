#include "http_server.hpp"

#include <httplib.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>

namespace bs::control {

HttpServer::HttpServer(std::map<std::string, std::string> kickstarts, Stats& stats)
    : kickstarts_(std::move(kickstarts)),
      stats_(stats),
      server_(std::make_unique<httplib::Server>()) {
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    // Bind the appliance address even before the dataplane's tap interface holds it.
    setsockopt(sock, IPPROTO_IP, IP_FREEBIND, &yes, sizeof yes);
  });
  server_->Get(
      R"(/ks/([A-Za-z0-9.-]+)\.ks)", [this](const httplib::Request& req, httplib::Response& res) {
        auto it = kickstarts_.find(req.matches[1].str());
        if (it == kickstarts_.end()) {
          res.status = 404;
          res.set_content("no kickstart for host '" + req.matches[1].str() + "'\n", "text/plain");
          return;
        }
        res.set_content(it->second, "text/plain");
      });
  server_->Get("/status", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(stats_.status_json(), "application/json");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(stats_.metrics(), "text/plain; version=0.0.4");
  });
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) res.set_content(std::to_string(res.status) + "\n", "text/plain");
  });
  server_->set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    stats_.http_request();
    spdlog::info("http {} \"{} {} {}\" {} {} \"{}\"", req.remote_addr, req.method, req.path,
                 req.version, res.status, res.body.size(), req.get_header_value("User-Agent"));
  });
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start(const std::string& address, uint16_t port) {
  thread_ = std::thread([this, address, port] { run(address, port); });
}

void HttpServer::run(std::string address, uint16_t port) {
  bool warned = false;
  while (!stopping_) {
    if (server_->bind_to_port(address, port)) break;
    if (!warned)
      spdlog::warn("http: cannot bind {}:{} ({}); retrying every second", address, port,
                   std::strerror(errno));
    warned = true;
    for (int i = 0; i < 10 && !stopping_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!stopping_) {
    spdlog::info("http: listening on {}:{}", address, port);
    listening_ = true;
    server_->listen_after_bind();
    listening_ = false;
  }
  finished_ = true;
}

void HttpServer::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  // stop() is a no-op until listen_after_bind() is running, so repeat it until the thread ends.
  while (!finished_) {
    server_->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  thread_.join();
}

}  // namespace bs::control
