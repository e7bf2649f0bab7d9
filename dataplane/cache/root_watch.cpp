#include "root_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace bs::cache {

namespace fs = std::filesystem;

namespace {
constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                           IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB | IN_ONLYDIR;
constexpr size_t kMaxDirs = 20000;
}  // namespace

RootWatch::RootWatch() : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}

RootWatch::~RootWatch() {
  if (fd_ >= 0) close(fd_);
}

void RootWatch::watch_tree(const std::string& root) {
  if (fd_ < 0) return;
  inotify_add_watch(fd_, root.c_str(), kMask);  // an existing watch is just updated
  std::error_code ec;
  size_t dirs = 0;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator() && dirs < kMaxDirs; it.increment(ec)) {
    std::error_code dec;
    if (it->is_directory(dec) && !dec) {
      inotify_add_watch(fd_, it->path().c_str(), kMask);
      ++dirs;
    }
  }
}

bool RootWatch::changed() {
  if (fd_ < 0) return false;
  alignas(inotify_event) char buf[16384];
  bool any = false;
  for (;;) {
    ssize_t n = read(fd_, buf, sizeof(buf));
    if (n > 0) {
      any = true;  // which file does not matter: the rescan compares sizes and times
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return any;  // EAGAIN: drained
  }
}

}  // namespace bs::cache
