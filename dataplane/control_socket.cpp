#include "control_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bs {

namespace {
constexpr size_t kMaxLine = 64u << 20;    // a snapshot with many rendered files fits
constexpr size_t kMaxBacklog = 8u << 20;  // output kept for a slow reader
}  // namespace

ControlSocket::~ControlSocket() {
  disconnect();
  if (listen_ >= 0) {
    close(listen_);
    unlink(path_.c_str());
  }
}

bool ControlSocket::listen(const std::string& path, std::string* error) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    *error = path + ": socket path too long";
    return false;
  }
  listen_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_ < 0) {
    *error = std::string("socket: ") + strerror(errno);
    return false;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  unlink(path.c_str());
  if (bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_, 4) != 0) {
    *error = path + ": " + strerror(errno);
    close(listen_);
    listen_ = -1;
    return false;
  }
  chmod(path.c_str(), 0660);
  path_ = path;
  return true;
}

void ControlSocket::disconnect() {
  if (client_ >= 0) close(client_);
  client_ = -1;
  in_.clear();
  out_.clear();
}

bool ControlSocket::flush() {
  bool any = false;
  while (client_ >= 0 && !out_.empty()) {
    ssize_t n = ::send(client_, out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      out_.erase(0, size_t(n));
      any = true;
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      break;
    } else {
      disconnect();
    }
  }
  return any;
}

bool ControlSocket::poll(const LineHandler& on_line) {
  bool any = false;
  int fd = accept4(listen_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    disconnect();  // the newest control process wins
    client_ = fd;
    any = true;
  }
  char buf[65536];
  while (client_ >= 0) {
    ssize_t n = recv(client_, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      any = true;
      in_.append(buf, size_t(n));
      size_t start = 0, nl;
      while ((nl = in_.find('\n', start)) != std::string::npos) {
        on_line(std::string_view(in_).substr(start, nl - start));
        if (client_ < 0) return true;  // the handler may disconnect
        start = nl + 1;
      }
      in_.erase(0, start);
      if (in_.size() > kMaxLine) disconnect();  // a peer that never ends its line
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      break;
    } else {
      disconnect();  // EOF or error: wait for the control process to come back
    }
  }
  return flush() || any;
}

void ControlSocket::send(std::string_view line) {
  if (client_ < 0 || out_.size() + line.size() + 1 > kMaxBacklog) {
    ++dropped_;
    return;
  }
  out_.append(line);
  out_.push_back('\n');
}

}  // namespace bs
