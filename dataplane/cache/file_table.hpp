// What the TFTP server can serve: every regular file under the TFTP root plus the snapshot's
// virtual files. Owned by the service thread; the worker reads an immutable FileIndex published
// through an atomic pointer and reclaimed after an RCU grace period (rte_rcu_qsbr).
//
// Ownership rules:
// - FileSlots live as long as the table (one per path ever seen), so a worker may keep a slot
//   pointer across index generations (a transfer waiting on the loader does).
// - A slot's blob is replaced (file changed, new virtual content) by the service thread only; the
//   old blob is freed after a grace period and once no transfer uses it (Blob::sessions).
// - A worker takes a blob with slot->blob.load(acquire) and increments blob->sessions in the same
//   loop iteration, before its next quiescent-state report.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../snapshot/snapshot.hpp"
#include "blob.hpp"

struct rte_rcu_qsbr;

namespace bs::cache {

enum class SlotState : uint8_t { idle, loading, ready, failed };

struct FileSlot {
  std::string path;  // relative to the TFTP root, sanitised form
  bool is_virtual = false;
  uint64_t size = 0;  // on disk at the last scan (virtual: content size)
  int64_t mtime_ns = 0;
  std::atomic<Blob*> blob{nullptr};
  std::atomic<SlotState> state{SlotState::idle};
  std::atomic<int> error{0};  // errno of the last failed load
  // TSC of the last request for this path (worker, relaxed): the cache evicts the least recently
  // requested first.
  std::atomic<uint64_t> last_used_tsc{0};
  bool preload = false;  // preloads are pinned: never evicted
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Immutable once published.
struct FileIndex {
  uint64_t generation = 0;
  std::unordered_map<std::string, FileSlot*, StringHash, std::equal_to<>> by_path;
  FileSlot* find(std::string_view path) const {
    auto it = by_path.find(path);
    return it == by_path.end() ? nullptr : it->second;
  }
};

class FileTable {
 public:
  FileTable(std::string root, bool hugepages, rte_rcu_qsbr* rcu);
  ~FileTable();
  FileTable(const FileTable&) = delete;
  FileTable& operator=(const FileTable&) = delete;

  // Service thread: rescans the root, applies the snapshot's virtual files and preload list, and
  // publishes a new index when anything changed. Returns the slots that should be (re)loaded now
  // (preloads not yet loaded, and loaded files that changed on disk).
  std::vector<FileSlot*> refresh(const snap::Snapshot* snapshot);
  // Service thread: installs a freshly loaded blob (retiring the previous one).
  void install(FileSlot* slot, Blob* blob);
  // Service thread: frees retired indexes and blobs whose grace period has passed.
  void reclaim();

  // Worker: the current index (acquire).
  const FileIndex* index() const { return current_.load(std::memory_order_acquire); }

  // Service thread: the memory cap of files loaded from disk (0: none). Over it, enforce_cap()
  // evicts unpinned files no transfer uses, least recently requested first; a later request
  // loads them again. Pinned (preloads, virtual files) and in-use files stay, so the cap is
  // exceeded rather than a transfer refused when they alone fill it.
  void set_cap(uint64_t bytes) { cap_ = bytes; }
  uint64_t cap() const { return cap_; }
  // Returns the number of files evicted.
  unsigned enforce_cap();
  uint64_t evictions() const { return evictions_; }

  const std::string& root() const { return root_; }
  bool hugepages() const { return hugepages_; }
  uint64_t cached_bytes() const;

 private:
  FileSlot* slot_for(const std::string& path);
  void retire_blob(Blob* b);

  std::string root_;
  bool hugepages_;
  rte_rcu_qsbr* rcu_;
  std::unordered_map<std::string, std::unique_ptr<FileSlot>> slots_;
  std::atomic<const FileIndex*> current_{nullptr};
  uint64_t generation_ = 0;
  std::string last_fingerprint_;
  uint64_t cap_ = 0;
  uint64_t evictions_ = 0;

  struct Retired {
    uint64_t token;
    const FileIndex* index;  // one of these two is set
    Blob* blob;
  };
  std::vector<Retired> retired_;
};

}  // namespace bs::cache
