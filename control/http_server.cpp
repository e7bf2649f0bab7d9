#include "http_server.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "../dataplane/proto/tftp_path.hpp"

namespace bs::control {

namespace {

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { ::close(fd); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

void not_found(httplib::Response& res, const std::string& what) {
  res.status = 404;
  res.set_content(what + "\n", "text/plain");
}

// GET /boot/<rel>: a regular file under root, streamed (initrds are large). rel is sanitised like
// a TFTP file name (proto/tftp_path.hpp): '..' may not climb above the root, control characters
// are refused. Symbolic links inside the root are followed, as the TFTP side does.
void serve_boot_file(const std::string& root, const std::string& rel, httplib::Response& res) {
  proto::TftpPath path;
  const proto::PathError e = proto::sanitize_tftp_path(rel, path);
  if (root.empty() || e == proto::PathError::empty) return not_found(res, "no such file");
  if (e != proto::PathError::none) {
    res.status = 403;
    res.set_content(std::string(proto::path_error_text(e)) + "\n", "text/plain");
    return;
  }
  const std::string full = root + "/" + std::string(path.view());
  // O_NONBLOCK: opening a FIFO must not hang the handler; regular files read as usual.
  const int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return not_found(res, "no such file: " + std::string(path.view()));
  auto file = std::make_shared<Fd>(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return not_found(res, "not a file: " + std::string(path.view()));
  res.set_content_provider(
      size_t(st.st_size), "application/octet-stream",
      [file](size_t offset, size_t length, httplib::DataSink& sink) {
        char buf[64 * 1024];
        const ssize_t got = ::pread(file->fd, buf, std::min(length, sizeof buf), off_t(offset));
        return got > 0 && sink.write(buf, size_t(got));  // 0: the file shrank since fstat
      });
}

}  // namespace

HttpServer::HttpServer(HttpContent content, Stats& stats)
    : content_(std::move(content)), stats_(stats), server_(std::make_unique<httplib::Server>()) {
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    // Bind the appliance address even before the dataplane's tap interface holds it.
    setsockopt(sock, IPPROTO_IP, IP_FREEBIND, &yes, sizeof yes);
  });
  server_->Get(R"(/ks/([A-Za-z0-9.-]+)\.ks)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 auto it = content_.kickstarts.find(req.matches[1].str());
                 if (it == content_.kickstarts.end())
                   return not_found(res, "no kickstart for host '" + req.matches[1].str() + "'");
                 res.set_content(it->second, "text/plain");
               });
  server_->Get(R"(/ipxe/([A-Za-z0-9.-]+)\.ipxe)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 auto it = content_.ipxe_scripts.find(req.matches[1].str());
                 if (it == content_.ipxe_scripts.end())
                   return not_found(res, "no iPXE script for '" + req.matches[1].str() + "'");
                 res.set_content(it->second, "text/plain");
               });
  server_->Get(R"(/boot/(.*))", [this](const httplib::Request& req, httplib::Response& res) {
    serve_boot_file(content_.boot_root, req.matches[1].str(), res);
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
                 req.version, res.status, res.body.empty() ? res.content_length_ : res.body.size(),
                 req.get_header_value("User-Agent"));
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
