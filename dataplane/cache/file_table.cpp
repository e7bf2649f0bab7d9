#include "file_table.hpp"

#include <algorithm>

#include <rte_rcu_qsbr.h>

#include <cstring>
#include <filesystem>
#include <system_error>

namespace bs::cache {

namespace fs = std::filesystem;

namespace {
constexpr size_t kMaxFiles = 200000;
constexpr size_t kMaxPath = 255;

bool same_bytes(const Blob* b, std::string_view s) {
  return b && b->size == s.size() && (s.empty() || std::memcmp(b->data, s.data(), s.size()) == 0);
}
}  // namespace

FileTable::FileTable(std::string root, bool hugepages, rte_rcu_qsbr* rcu)
    : root_(std::move(root)), hugepages_(hugepages), rcu_(rcu) {}

FileTable::~FileTable() {
  // Called after the workers have stopped: nothing can hold a pointer any more.
  for (auto& r : retired_) {
    delete r.index;
    Blob::destroy(r.blob);
  }
  delete current_.load();
  for (auto& [path, slot] : slots_) Blob::destroy(slot->blob.load());
}

FileSlot* FileTable::slot_for(const std::string& path) {
  auto& s = slots_[path];
  if (!s) {
    s = std::make_unique<FileSlot>();
    s->path = path;
  }
  return s.get();
}

void FileTable::retire_blob(Blob* b) {
  if (b) retired_.push_back({rte_rcu_qsbr_start(rcu_), nullptr, b});
}

void FileTable::install(FileSlot* slot, Blob* blob) {
  Blob* old = slot->blob.exchange(blob, std::memory_order_acq_rel);
  slot->error.store(0, std::memory_order_relaxed);
  slot->state.store(SlotState::ready, std::memory_order_release);
  retire_blob(old);
}

std::vector<FileSlot*> FileTable::refresh(const snap::Snapshot* snapshot) {
  std::vector<FileSlot*> to_load;
  auto index = std::make_unique<FileIndex>();
  std::string fingerprint;

  // 1. Files on disk.
  std::error_code ec;
  fs::recursive_directory_iterator it(root_, fs::directory_options::skip_permission_denied, ec);
  size_t files = 0;
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto& entry = *it;
    std::error_code fec;
    if (!entry.is_regular_file(fec) || fec) continue;
    std::string rel = entry.path().lexically_relative(root_).generic_string();
    if (rel.empty() || rel.size() > kMaxPath || rel.starts_with("..")) continue;
    if (++files > kMaxFiles) break;
    uint64_t size = entry.file_size(fec);
    if (fec) continue;
    auto mtime = entry.last_write_time(fec);
    if (fec) continue;
    int64_t mtime_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
    FileSlot* slot = slot_for(rel);
    if (slot->is_virtual) continue;  // resolved below
    bool changed = slot->size != size || slot->mtime_ns != mtime_ns;
    slot->size = size;
    slot->mtime_ns = mtime_ns;
    if (changed && slot->blob.load(std::memory_order_relaxed)) to_load.push_back(slot);
    index->by_path.emplace(rel, slot);
    fingerprint += rel + '\0' + std::to_string(size) + '\0' + std::to_string(mtime_ns) + '\n';
  }

  // 2. Virtual files win over files on disk of the same path.
  if (snapshot) {
    for (const auto& vf : snapshot->files) {
      FileSlot* slot = slot_for(vf.path);
      if (!slot->is_virtual) {
        slot->is_virtual = true;
        retire_blob(slot->blob.exchange(nullptr));
      }
      if (!same_bytes(slot->blob.load(std::memory_order_relaxed), vf.content)) {
        Blob* b = Blob::copy_of(vf.content);
        if (!b) continue;  // out of memory: the path stays unserved, counted as a miss
        install(slot, b);
      }
      slot->size = vf.content.size();
      index->by_path.insert_or_assign(vf.path, slot);
      fingerprint += "v:" + vf.path + '\0' +
                     std::to_string(reinterpret_cast<uintptr_t>(slot->blob.load())) + '\n';
    }
  }

  // 3. Paths that vanished give their memory back (a transfer in flight keeps its blob).
  for (auto& [path, slot] : slots_) {
    if (index->by_path.contains(path)) continue;
    if (slot->is_virtual) slot->is_virtual = false;
    slot->size = 0;
    slot->mtime_ns = 0;
    retire_blob(slot->blob.exchange(nullptr));
    slot->state.store(SlotState::idle, std::memory_order_release);
  }

  // 4. Preloads (kernels, initrds, boot loaders).
  if (snapshot) {
    for (const auto& p : snapshot->preload) {
      FileSlot* slot = index->find(p);
      if (!slot || slot->is_virtual) continue;
      slot->preload = true;
      if (!slot->blob.load(std::memory_order_relaxed) &&
          slot->state.load(std::memory_order_relaxed) == SlotState::idle)
        to_load.push_back(slot);
    }
  }

  if (fingerprint != last_fingerprint_ || !current_.load()) {
    last_fingerprint_ = std::move(fingerprint);
    index->generation = ++generation_;
    const FileIndex* old = current_.exchange(index.release(), std::memory_order_acq_rel);
    if (old) retired_.push_back({rte_rcu_qsbr_start(rcu_), old, nullptr});
  }
  return to_load;
}

void FileTable::reclaim() {
  size_t kept = 0;
  for (auto& r : retired_) {
    bool grace = rte_rcu_qsbr_check(rcu_, r.token, false) == 1;
    bool unused =
        !r.blob || (r.blob->sessions.load(std::memory_order_acquire) == 0 && !r.blob->in_flight());
    if (grace && unused) {
      delete r.index;
      Blob::destroy(r.blob);
    } else {
      retired_[kept++] = r;
    }
  }
  retired_.resize(kept);
}

unsigned FileTable::enforce_cap() {
  if (cap_ == 0) return 0;
  uint64_t used = 0;
  std::vector<FileSlot*> candidates;
  for (const auto& [path, slot] : slots_) {
    const Blob* b = slot->blob.load(std::memory_order_relaxed);
    if (!b || slot->is_virtual) continue;
    used += b->size;
    if (!slot->preload && b->sessions.load(std::memory_order_acquire) == 0)
      candidates.push_back(slot.get());
  }
  if (used <= cap_) return 0;
  std::sort(candidates.begin(), candidates.end(), [](const FileSlot* a, const FileSlot* b) {
    return a->last_used_tsc.load(std::memory_order_relaxed) <
           b->last_used_tsc.load(std::memory_order_relaxed);
  });
  unsigned n = 0;
  for (FileSlot* slot : candidates) {
    if (used <= cap_) break;
    Blob* b = slot->blob.exchange(nullptr, std::memory_order_acq_rel);
    if (!b) continue;
    // A worker that took the blob before the exchange keeps it: freed after the grace period.
    slot->state.store(SlotState::idle, std::memory_order_release);
    used -= b->size;
    retire_blob(b);
    ++evictions_;
    ++n;
  }
  return n;
}

uint64_t FileTable::cached_bytes() const {
  uint64_t n = 0;
  for (const auto& [path, slot] : slots_)
    if (const Blob* b = slot->blob.load(std::memory_order_relaxed)) n += b->size;
  return n;
}

}  // namespace bs::cache
