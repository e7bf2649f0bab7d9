// The immutable bytes of one version of one file, in a mapping of its own.
#pragma once
#include <atomic>
#include <cstdint>
#include <string_view>

namespace bs::cache {

struct Blob {
  uint8_t* data = nullptr;
  uint64_t size = 0;
  size_t map_len = 0;
  bool huge = false;
  // Transfers in flight on this blob: incremented when a worker starts one, decremented when it
  // ends. The service thread frees a retired blob only after an RCU grace period and at zero.
  std::atomic<uint32_t> sessions{0};

  // Maps size bytes (at least one page), hugepage-backed when asked and available.
  // Returns nullptr when the mapping fails. Runs on the service thread only.
  static Blob* create(uint64_t size, bool hugepages);
  static Blob* copy_of(std::string_view bytes);
  static void destroy(Blob* b);
};

}  // namespace bs::cache
