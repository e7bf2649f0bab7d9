// Notices changes under the TFTP root (inotify on every directory) so the service thread
// rescans at once: a file copied into the root is servable a moment later, without waiting for
// the periodic rescan, and misses keep being answered from the index alone.
#pragma once
#include <string>

namespace bs::cache {

class RootWatch {
 public:
  RootWatch();
  ~RootWatch();
  RootWatch(const RootWatch&) = delete;
  RootWatch& operator=(const RootWatch&) = delete;

  // (Re)adds a watch on root and every directory below it; safe to call after every rescan.
  void watch_tree(const std::string& root);
  // Drains pending events without blocking; true if anything under the root changed.
  bool changed();
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace bs::cache
