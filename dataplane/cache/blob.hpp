// The immutable bytes of one version of one file, in a mapping of its own.
#pragma once
#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>
#include <string_view>

namespace bs::cache {

struct Blob {
  // Zero-copy DATA: a frame's payload is an external buffer pointing into data, guarded by the
  // shared info of its chunk for the sending worker (DPDK 22.11's refcount is 16 bits and
  // atomic: one per chunk per worker keeps it small and uncontended). Each shared info holds one
  // reference of the blob's own, so it never drops to zero while the blob lives: a frame still
  // in a transmit queue shows as a count above one (in_flight()).
  static constexpr unsigned kMaxWorkers = 8;
  static constexpr uint64_t kChunk = 1u << 20;

  uint8_t* data = nullptr;
  uint64_t size = 0;
  size_t map_len = 0;
  bool huge = false;
  rte_iova_t iova = RTE_BAD_IOVA;  // of data, when DMA may use it (IOVA as VA); else RTE_BAD_IOVA
  rte_mbuf_ext_shared_info* shinfo = nullptr;  // [worker * chunks + chunk]
  uint32_t chunks = 0;
  // Transfers in flight on this blob: incremented when a worker starts one, decremented when it
  // ends. The service thread frees a retired blob only after an RCU grace period, at zero, and
  // once no frame refers to it (in_flight()).
  std::atomic<uint32_t> sessions{0};

  // One's-complement sums of data[0, 64 * i) (16-bit, big-endian lanes), i = 0 .. size / 64,
  // computed once after a load (index_sums()), so a DATA frame's checksum needs only its
  // unaligned ends summed: 3% of the file's size in memory. nullptr: not computed (no memory).
  uint16_t* sums = nullptr;

  // The checksum partial sum of data[off, off + len) as the start of a UDP payload (RFC 1071),
  // from sums when present: equal to proto::csum_partial over those bytes.
  uint32_t payload_sum(uint64_t off, uint32_t len) const;
  void index_sums();  // service thread, before the blob is published

  rte_mbuf_ext_shared_info* ext(unsigned worker, uint64_t offset) const {
    return &shinfo[worker * chunks + offset / kChunk];
  }
  bool in_flight() const;

  // Maps size bytes (at least one page), hugepage-backed when asked and available.
  // Returns nullptr when the mapping fails. Runs on the service thread only.
  static Blob* create(uint64_t size, bool hugepages);
  static Blob* copy_of(std::string_view bytes);
  static void destroy(Blob* b);
};

}  // namespace bs::cache
