// The durable DHCP lease journal: an append-only file in state_dir that a DHCPACK waits for.
//
// File <dir>/leases.journal, all integers big-endian:
//   header (32 bytes): "BSLJ", u16 format version (1), u16 record size (32), u64 creation time
//                      (unix s), 12 zero bytes, u32 CRC32C of bytes 0..27.
//   records (32 bytes each, back to back):
//                      u8 kind (1 = lease v1), u8 flags (bit 0: bound), 6 bytes MAC, u32 IPv4,
//                      u64 expires (unix s), u64 tag (the caller's sequence number; 0 after
//                      compaction), u32 CRC32C of bytes 0..27.
//   CRC32C: Castagnoli over the bytes in order, initial value 0xffffffff, no final xor; the
//   value DPDK's rte_hash_crc(p, 28, 0xffffffff) returns on a little-endian host.
//
// Guarantees:
//  - Records are written by io_uring at an explicit offset, the end of the good data, each
//    batch as one write linked to an fdatasync. committed() advances only when both complete.
//  - A failed or short write or a failed fdatasync never corrupts the file: whatever the
//    attempt left past the good length is cut with ftruncate, the batch stays queued in order
//    and is rewritten after retry_ms; until a flush succeeds healthy() is false and
//    last_error() holds the errno (a short write is continued until the kernel names one).
//    ftruncate is a plain syscall: it runs on that failure path only.
//  - Replay stops at the first torn (partial) or corrupt (bad kind or CRC) record: counted,
//    the rest ignored, never fatal. A header it does not understand (magic, version, record
//    size, CRC) fails open() and leaves the file as it is.
//  - open() replays, then compacts (temp file, fsync, rename, fsync of the directory), so the
//    journal only grows while the process runs. It holds flock(LOCK_EX) on the directory so
//    that a second process cannot replay or write the same journal.
//
// Threading: one thread (the service thread) calls everything except committed(), which any
// thread may read. The dataplane's no-exceptions rule holds; open() allocates, append() and
// pump() do not.
#pragma once
#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../proto/bytes.hpp"

namespace bs::dhcp {

struct JournalLease {  // one record's content
  proto::Mac mac;
  proto::Ip4 ip = 0;
  uint64_t expires_unix_s = 0;  // wall-clock end of the binding
  bool bound = true;            // false: the binding was freed (release, decline, expiry)
};

// records: good records read (superseded ones included); live: leases returned; corrupt:
// full-size records rejected (bad kind or CRC; replay stops at the first, so 0 or 1);
// torn_bytes: bytes ignored from where replay stopped to the end of the file (a partial record
// alone gives torn_bytes > 0 with corrupt == 0); compacted: open() rewrote the file.
struct ReplayStats {
  uint64_t records = 0, live = 0, corrupt = 0, torn_bytes = 0;
  bool compacted = false;
  std::string damaged_copy;  // open(): where the damaged journal was kept (corrupt != 0)
};

// flushes: batches made durable; records, bytes: what they held; errors: failed flush attempts
// (write, fdatasync, ftruncate, submit); enospc: those failing with ENOSPC; retries: flush
// attempts submitted while unhealthy.
struct JournalCounters {
  uint64_t flushes = 0, records = 0, bytes = 0, errors = 0, enospc = 0, retries = 0;
};

class Journal {
 public:
  static constexpr uint32_t kRecordSize = 32;
  static constexpr uint32_t kHeaderSize = 32;
  static constexpr uint16_t kVersion = 1;

  struct Options {
    std::string dir;                 // state_dir; the file is <dir>/leases.journal
    uint32_t max_batch = 512;        // records per write
    uint32_t max_pending = 1 << 16;  // records queued (in memory) before append() refuses
    uint32_t retry_ms = 1000;        // after a failed flush, next attempt after this
  };

  // Replays <dir>/leases.journal if present: the last record per MAC wins; live = bound and
  // expires_unix_s > now_unix (when two live leases hold one address, the later record wins).
  // Then compacts: header + one record per live lease to <dir>/leases.journal.tmp, fsync,
  // rename over the journal, fsync the directory; and keeps that file open for appending with
  // io_uring. Errors (dir missing, not writable, locked by another process, unknown header,
  // io_uring setup) -> nullptr and *error says what and which path. live, stats may be null.
  static std::unique_ptr<Journal> open(const Options& o, uint64_t now_unix,
                                       std::vector<JournalLease>* live, ReplayStats* stats,
                                       std::string* error);
  // The replay part of open() alone: reads <dir>/leases.journal (absent = empty), writes
  // nothing, takes no lock. False only for an unreadable file or an unknown header.
  static bool replay(const std::string& dir, uint64_t now_unix, std::vector<JournalLease>* live,
                     ReplayStats* stats, std::string* error);

  ~Journal();  // waits for an in-flight flush, closes; records still queued are dropped
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Queues a record; tag = the caller's sequence number, strictly increasing across calls and
  // above 0 (committed() == 0 means none; asserted). False (nothing queued) when max_pending
  // records are already queued.
  bool append(const JournalLease& r, uint64_t tag);
  // Non-blocking, called by the service thread's loop: reaps completions, and when no flush
  // is in flight, the queue is not empty, the hold is off and (if unhealthy) the retry time has
  // come, submits ONE batch (up to max_batch records, in order) as a write at the end of the
  // good data linked (IOSQE_IO_LINK) to an fdatasync. Returns true if anything completed or
  // was submitted. Group commit: everything queued while a flush is in flight goes in the next
  // single flush (up to max_batch). now_ms: any monotonic clock, used for retry_ms only.
  bool pump(uint64_t now_ms);

  uint64_t committed() const { return committed_.load(std::memory_order_acquire); }
  bool busy() const { return inflight_ || queued_ > 0; }  // a flush in flight or records queued
  bool healthy() const { return last_error_ == 0; }       // false after a failure until a success
  int last_error() const { return last_error_; }          // errno of that failure, 0 when healthy
  void hold(bool on) { hold_ = on; }  // test hook: while on, pump() submits nothing new
  // eventfd registered with the ring: readable when a completion arrives (pump() drains it).
  int event_fd() const { return event_fd_; }
  const JournalCounters& counters() const { return counters_; }
  uint64_t file_bytes() const { return good_len_; }  // header + durable records
  uint32_t queued() const { return queued_; }

 private:
  Journal() = default;
  void on_cqe(const io_uring_cqe* c);
  bool submit(uint64_t now_ms);
  int submit_write();
  void complete(uint64_t now_ms);
  void fail(int err, uint64_t now_ms);

  Options opt_;
  int fd_ = -1, dir_fd_ = -1, event_fd_ = -1;
  bool ring_ok_ = false;
  io_uring ring_{};
  uint64_t good_len_ = 0;    // bytes durably on disk: everything before this offset is good
  bool dirty_tail_ = false;  // bytes past good_len_ may exist: ftruncate before writing
  // Queue: a ring of encoded records and their tags, max_pending long.
  std::vector<uint8_t> queue_;
  std::vector<uint64_t> tags_;
  uint32_t head_ = 0, queued_ = 0;
  // The flush in flight: batch_n records copied to batch_; written_ bytes of it done so far.
  std::vector<uint8_t> batch_;
  uint32_t batch_n_ = 0, written_ = 0;
  bool inflight_ = false;
  int cqes_pending_ = 0, write_res_ = 0, sync_res_ = 0;
  bool hold_ = false;
  uint64_t retry_at_ms_ = 0;
  int last_error_ = 0;
  uint64_t last_tag_ = 0;
  std::atomic<uint64_t> committed_{0};
  JournalCounters counters_;
};

}  // namespace bs::dhcp
