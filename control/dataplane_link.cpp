#include "dataplane_link.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "../dataplane/snapshot/wire.hpp"
#include "event_log.hpp"

namespace bs::control {

using nlohmann::json;

namespace {

constexpr size_t kMaxLine = 1 << 20;

bool write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += size_t(n);
  }
  return true;
}

}  // namespace

DataplaneLink::DataplaneLink(std::string socket_path, std::string snapshot_json, std::string via,
                             Stats& stats)
    : path_(std::move(socket_path)),
      hello_("{\"type\":\"snapshot\",\"snapshot\":" + snapshot_json + "}\n"),
      via_(std::move(via)),
      stats_(stats) {}

DataplaneLink::~DataplaneLink() {
  stop();
}

void DataplaneLink::start() {
  thread_ = std::thread([this] { run(); });
}

void DataplaneLink::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void DataplaneLink::handle_line(const std::string& line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    spdlog::warn("dataplane: unreadable message ({} bytes) ignored", line.size());
    return;
  }
  const std::string type = j["type"].get<std::string>();
  if (type == "event") {
    auto e = wire::decode_event(line);
    if (!e) return spdlog::warn("dataplane: malformed event ignored: {}", line.substr(0, 200));
    stats_.event(e->type);
    auto now = LogLimiter::Clock::now();
    if (limiter_.allow(now)) spdlog::info("{}", format_event(*e, via_));
    if (uint64_t n = limiter_.due_report(now))
      spdlog::warn(
          "{} event log lines suppressed (over 200 lines/s); every event is still "
          "counted in /metrics",
          n);
  } else if (type == "applied") {
    uint64_t g = j.value("generation", uint64_t(0));
    stats_.applied(g);
    spdlog::info("dataplane applied snapshot generation {}", g);
  } else if (type == "rejected") {
    std::string err = j.value("error", std::string("(no reason given)"));
    stats_.rejected(err);
    spdlog::error("dataplane rejected the snapshot: {}", err);
  } else if (type == "stats") {
    stats_.dataplane_stats(line);
  } else {
    spdlog::warn("dataplane: unknown message type '{}' ignored", type);
  }
}

bool DataplaneLink::session(int fd) {
  if (!write_all(fd, hello_)) return false;
  spdlog::info("connected to the dataplane at {}; snapshot sent ({} bytes)", path_, hello_.size());
  std::string buf;
  char chunk[65536];
  while (!stopping_) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, 200);
    if (r < 0 && errno != EINTR) return false;
    if (r <= 0) continue;
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    buf.append(chunk, size_t(n));
    size_t start = 0, nl;
    while ((nl = buf.find('\n', start)) != std::string::npos) {
      if (nl > start) handle_line(buf.substr(start, nl - start));
      start = nl + 1;
    }
    buf.erase(0, start);
    if (buf.size() > kMaxLine) {
      spdlog::error("dataplane: message over {} bytes without a newline; reconnecting", kMaxLine);
      return false;
    }
  }
  return true;
}

void DataplaneLink::run() {
  bool reported = false;
  while (!stopping_) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      reported = false;
      stats_.connected(true);
      bool ok = session(fd);
      stats_.connected(false);
      if (!ok) spdlog::warn("dataplane connection at {} closed; reconnecting every second", path_);
    } else if (!reported) {
      spdlog::warn("dataplane not reachable at {} ({}); retrying every second", path_,
                   std::strerror(errno));
      reported = true;
    }
    if (fd >= 0) ::close(fd);
    for (int i = 0; i < 10 && !stopping_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace bs::control
