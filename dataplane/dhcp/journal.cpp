#include "journal.hpp"

#include <fcntl.h>
#include <rte_crc_sw.h>  // DPDK's table CRC32C: header-only, no EAL symbols (bootstorm-ctl)
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace bs::dhcp {
namespace {

constexpr char kMagic[4] = {'B', 'S', 'L', 'J'};
constexpr uint8_t kKindLease = 1;
constexpr uint8_t kFlagBound = 1;
constexpr uint64_t kWriteOp = 1, kSyncOp = 2;  // user_data of the two linked SQEs
constexpr unsigned kRingDepth = 8;             // one flush is two SQEs

std::string journal_path(const std::string& dir) {
  return dir + "/leases.journal";
}

std::string sys_error(const std::string& what, const std::string& path, int err) {
  return "lease journal: " + what + " " + path + ": " + std::strerror(err);
}

void store64(uint8_t* p, uint64_t v) {
  proto::store32(p, uint32_t(v >> 32));
  proto::store32(p + 4, uint32_t(v));
}
uint64_t load64(const uint8_t* p) {
  return uint64_t(proto::load32(p)) << 32 | proto::load32(p + 4);
}

// CRC32C of the first 28 bytes of a 32-byte header or record, stored in the last 4: the value
// rte_hash_crc(p, 28, 0xffffffff) gives, computed the same way (3 x 8 bytes, then 4, read
// little-endian) but without rte_hash_crc.h, whose constructor needs the EAL library.
uint32_t crc28(const uint8_t* p) {
  auto le = [p](int at, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = v << 8 | p[at + i];
    return v;
  };
  uint32_t crc = 0xffffffffu;
  for (int at = 0; at < 24; at += 8) crc = crc32c_2words(le(at, 8), crc);
  return crc32c_1word(uint32_t(le(24, 4)), crc);
}

void encode_header(uint8_t* p, uint64_t now_unix) {
  std::memset(p, 0, Journal::kHeaderSize);
  std::memcpy(p, kMagic, 4);
  proto::store16(p + 4, Journal::kVersion);
  proto::store16(p + 6, Journal::kRecordSize);
  store64(p + 8, now_unix);
  proto::store32(p + 28, crc28(p));
}

void encode(uint8_t* p, const JournalLease& r, uint64_t tag) {
  p[0] = kKindLease;
  p[1] = r.bound ? kFlagBound : 0;
  std::memcpy(p + 2, r.mac.b.data(), 6);
  proto::store32(p + 8, r.ip);
  store64(p + 12, r.expires_unix_s);
  store64(p + 20, tag);
  proto::store32(p + 28, crc28(p));
}

bool decode(const uint8_t* p, JournalLease* r) {
  if (p[0] != kKindLease || proto::load32(p + 28) != crc28(p)) return false;
  r->bound = (p[1] & kFlagBound) != 0;
  std::memcpy(r->mac.b.data(), p + 2, 6);
  r->ip = proto::load32(p + 8);
  r->expires_unix_s = load64(p + 12);
  return true;
}

// Reads up to n bytes at off; fewer only at end of file. -errno on error.
ssize_t read_at(int fd, uint8_t* buf, size_t n, uint64_t off) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, buf + got, n - got, off_t(off + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -errno;
    if (r == 0) break;
    got += size_t(r);
  }
  return ssize_t(got);
}

int write_all(int fd, const uint8_t* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pwrite(fd, buf + done, n - done, off_t(done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return errno;
    if (r == 0) return EIO;
    done += size_t(r);
  }
  return 0;
}

// Header problems are never repaired: the file may hold leases this build cannot read.
bool check_header(const uint8_t* h, const std::string& path, std::string* error) {
  const char* why = nullptr;
  std::string detail;
  if (std::memcmp(h, kMagic, 4) != 0) {
    why = "is not a bootstorm lease journal (bad magic)";
  } else if (uint16_t v = proto::load16(h + 4); v != Journal::kVersion) {
    why = "has a format version this build does not read";
    detail =
        " (version " + std::to_string(v) + ", supported " + std::to_string(Journal::kVersion) + ")";
  } else if (uint16_t rs = proto::load16(h + 6); rs != Journal::kRecordSize) {
    why = "has an unexpected record size";
    detail = " (" + std::to_string(rs) + ", expected " + std::to_string(Journal::kRecordSize) + ")";
  } else if (proto::load32(h + 28) != crc28(h)) {
    why = "has a corrupt header (checksum mismatch)";
  }
  if (why) {
    *error = "lease journal " + path + " " + why + detail +
             "; left untouched, move it away to start empty";
  }
  return why == nullptr;
}

}  // namespace

bool Journal::replay(const std::string& dir, uint64_t now_unix, std::vector<JournalLease>* live,
                     ReplayStats* stats, std::string* error) {
  std::string scratch;
  if (!error) error = &scratch;
  const std::string path = journal_path(dir);
  ReplayStats st;
  std::vector<JournalLease> out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT) {
    *error = sys_error("cannot open", path, errno);
    return false;
  }
  struct Last {
    JournalLease lease;
    uint64_t seq;
  };
  std::unordered_map<uint64_t, Last> by_mac;  // the last record per MAC
  bool ok = true;
  if (fd >= 0) {
    struct stat sb {};
    if (::fstat(fd, &sb) != 0) {
      *error = sys_error("cannot stat", path, errno);
      ok = false;
    }
    const uint64_t size = ok ? uint64_t(sb.st_size) : 0;
    std::vector<uint8_t> buf(size_t(kRecordSize) * 32768);
    if (size > 0 && size < kHeaderSize) {
      *error = "lease journal " + path + " is shorter than its header (" + std::to_string(size) +
               " bytes); left untouched, move it away to start empty";
      ok = false;
    } else if (size > 0) {
      ssize_t n = read_at(fd, buf.data(), kHeaderSize, 0);
      ok = n == ssize_t(kHeaderSize) && check_header(buf.data(), path, error);
      if (n != ssize_t(kHeaderSize)) *error = sys_error("cannot read", path, n < 0 ? int(-n) : EIO);
    }
    for (uint64_t off = kHeaderSize; ok && off < size;) {
      ssize_t n = read_at(fd, buf.data(), size_t(std::min<uint64_t>(buf.size(), size - off)), off);
      if (n <= 0) {
        *error = sys_error("cannot read", path, n < 0 ? int(-n) : EIO);
        ok = false;
        break;
      }
      size_t i = 0;
      for (; i + kRecordSize <= size_t(n); i += kRecordSize) {
        JournalLease r;
        if (!decode(&buf[i], &r)) break;
        by_mac[r.mac.key()] = Last{r, st.records++};
      }
      off += i;
      if (i < size_t(n)) {  // stopped at a bad record (corrupt) or a partial one (torn)
        if (size - off >= kRecordSize) st.corrupt = 1;
        st.torn_bytes = size - off;
        break;
      }
    }
    ::close(fd);
  }
  if (!ok) return false;
  // Live leases in record order; when two hold one address, the later record wins.
  std::vector<Last> keep;
  for (auto& [key, last] : by_mac) {
    if (last.lease.bound && last.lease.expires_unix_s > now_unix) keep.push_back(last);
  }
  std::sort(keep.begin(), keep.end(), [](const Last& a, const Last& b) { return a.seq > b.seq; });
  std::unordered_set<proto::Ip4> taken;
  for (auto& k : keep) {
    if (taken.insert(k.lease.ip).second) out.push_back(k.lease);
  }
  std::reverse(out.begin(), out.end());
  st.live = out.size();
  if (live) *live = std::move(out);
  if (stats) *stats = st;
  return true;
}

std::unique_ptr<Journal> Journal::open(const Options& o, uint64_t now_unix,
                                       std::vector<JournalLease>* live, ReplayStats* stats,
                                       std::string* error) {
  std::string scratch;
  if (!error) error = &scratch;
  if (o.max_batch == 0 || o.max_pending == 0) {
    *error = "lease journal: max_batch and max_pending must be at least 1";
    return nullptr;
  }
  std::unique_ptr<Journal> j(new Journal());
  j->opt_ = o;
  j->dir_fd_ = ::open(o.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (j->dir_fd_ < 0) {
    *error = sys_error("cannot open state_dir", o.dir, errno);
    return nullptr;
  }
  if (::flock(j->dir_fd_, LOCK_EX | LOCK_NB) != 0) {
    *error = errno == EWOULDBLOCK
                 ? "lease journal: state_dir " + o.dir + " is in use by another process"
                 : sys_error("cannot lock state_dir", o.dir, errno);
    return nullptr;
  }
  std::vector<JournalLease> leases;
  ReplayStats st;
  if (!replay(o.dir, now_unix, &leases, &st, error)) return nullptr;

  // Compaction: the live leases to a temp file, made durable, then renamed over the journal.
  // The temp file's descriptor stays open: it is the journal from here on.
  const std::string path = journal_path(o.dir), tmp = path + ".tmp";
  if (st.corrupt) {
    // A damaged record, not just a partial last write: the replay stopped there and compaction
    // would lose what follows it. The old file stays, under another name (a hard link).
    std::string kept = path + ".damaged-" + std::to_string(now_unix);
    if (::link(path.c_str(), kept.c_str()) == 0) st.damaged_copy = std::move(kept);
  }
  std::vector<uint8_t> image(kHeaderSize + leases.size() * kRecordSize);
  encode_header(image.data(), now_unix);
  for (size_t i = 0; i < leases.size(); ++i) {
    encode(&image[kHeaderSize + i * kRecordSize], leases[i], 0);
  }
  j->fd_ = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (j->fd_ < 0) {
    *error = sys_error("cannot create", tmp, errno);
    return nullptr;
  }
  int err = write_all(j->fd_, image.data(), image.size());
  const char* what = "cannot write";
  if (!err && ::fsync(j->fd_) != 0) err = errno, what = "cannot fsync";
  if (!err && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno, what = "cannot rename over";
  if (err) {
    *error = sys_error(what, tmp, err);
    ::unlink(tmp.c_str());
    return nullptr;
  }
  if (::fsync(j->dir_fd_) != 0) {
    *error = sys_error("cannot fsync state_dir", o.dir, errno);
    return nullptr;
  }
  j->good_len_ = image.size();
  st.compacted = true;

  if (int rc = io_uring_queue_init(kRingDepth, &j->ring_, 0); rc < 0) {
    *error = sys_error("io_uring_queue_init failed for", path, -rc);
    return nullptr;
  }
  j->ring_ok_ = true;
  j->event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (j->event_fd_ < 0) {
    *error = sys_error("eventfd failed for", path, errno);
    return nullptr;
  }
  if (int rc = io_uring_register_eventfd(&j->ring_, j->event_fd_); rc < 0) {
    *error = sys_error("io_uring_register_eventfd failed for", path, -rc);
    return nullptr;
  }
  j->queue_.resize(size_t(o.max_pending) * kRecordSize);
  j->tags_.resize(o.max_pending);
  j->batch_.resize(size_t(std::min(o.max_batch, o.max_pending)) * kRecordSize);
  if (live) *live = std::move(leases);
  if (stats) *stats = st;
  return j;
}

Journal::~Journal() {
  if (ring_ok_) {
    if (io_uring_sq_ready(&ring_) > 0) io_uring_submit(&ring_);
    io_uring_cqe* c = nullptr;
    while (cqes_pending_ > 0 && io_uring_sq_ready(&ring_) == 0 &&
           io_uring_wait_cqe(&ring_, &c) == 0) {
      on_cqe(c);
      io_uring_cqe_seen(&ring_, c);
    }
    if (inflight_ && cqes_pending_ == 0) {
      const uint32_t want = batch_n_ * kRecordSize - written_;
      if (write_res_ < 0 || uint32_t(write_res_) != want || sync_res_ < 0) dirty_tail_ = true;
    }
    io_uring_queue_exit(&ring_);
  }
  if (fd_ >= 0) {
    if (dirty_tail_) (void)!::ftruncate(fd_, off_t(good_len_));
    ::close(fd_);
  }
  if (event_fd_ >= 0) ::close(event_fd_);
  if (dir_fd_ >= 0) ::close(dir_fd_);  // releases the flock
}

bool Journal::append(const JournalLease& r, uint64_t tag) {
  if (queued_ >= opt_.max_pending) return false;
  assert(tag > last_tag_ && "journal tags must be strictly increasing and start above 0");
  const uint32_t i = (head_ + queued_) % opt_.max_pending;
  encode(&queue_[size_t(i) * kRecordSize], r, tag);
  tags_[i] = tag;
  last_tag_ = tag;
  ++queued_;
  return true;
}

bool Journal::pump(uint64_t now_ms) {
  bool progress = false;
  uint64_t signalled;  // drained first, so a completion arriving after the peek below re-arms it
  [[maybe_unused]] ssize_t r = ::read(event_fd_, &signalled, sizeof signalled);
  io_uring_cqe* c = nullptr;
  while (io_uring_peek_cqe(&ring_, &c) == 0) {
    on_cqe(c);
    io_uring_cqe_seen(&ring_, c);
    progress = true;
    if (inflight_ && cqes_pending_ == 0) complete(now_ms);
  }
  if (io_uring_sq_ready(&ring_) > 0) io_uring_submit(&ring_);  // a submit that failed earlier
  return submit(now_ms) || progress;
}

void Journal::on_cqe(const io_uring_cqe* c) {
  const uint64_t op = io_uring_cqe_get_data64(c);
  if (op == kWriteOp) write_res_ = c->res;
  if (op == kSyncOp) sync_res_ = c->res;
  if (op == kWriteOp || op == kSyncOp) --cqes_pending_;
}

bool Journal::submit(uint64_t now_ms) {
  if (inflight_ || queued_ == 0 || hold_) return false;
  if (!healthy() && now_ms < retry_at_ms_) return false;
  if (dirty_tail_) {
    if (::ftruncate(fd_, off_t(good_len_)) != 0) {
      fail(errno, now_ms);
      return false;
    }
    dirty_tail_ = false;
  }
  if (!healthy()) ++counters_.retries;
  batch_n_ = std::min({queued_, opt_.max_batch, opt_.max_pending});
  const uint32_t first = std::min(batch_n_, opt_.max_pending - head_);  // up to the ring's end
  std::memcpy(batch_.data(), &queue_[size_t(head_) * kRecordSize], size_t(first) * kRecordSize);
  std::memcpy(&batch_[size_t(first) * kRecordSize], queue_.data(),
              size_t(batch_n_ - first) * kRecordSize);
  written_ = 0;
  inflight_ = true;
  if (int err = submit_write(); err != 0) {
    inflight_ = false;
    fail(err, now_ms);
    return false;
  }
  return true;
}

// Queues the rest of the batch (from written_) at its place after the good data, linked to an
// fdatasync, and submits both. A submit the kernel refuses stays in the SQ ring; pump() retries.
int Journal::submit_write() {
  io_uring_sqe* w = io_uring_get_sqe(&ring_);
  io_uring_sqe* s = w ? io_uring_get_sqe(&ring_) : nullptr;
  if (!s) return EBUSY;  // cannot happen: at most one flush (two SQEs) is ever queued
  io_uring_prep_write(w, fd_, batch_.data() + written_, batch_n_ * kRecordSize - written_,
                      good_len_ + written_);
  w->flags |= IOSQE_IO_LINK;
  io_uring_sqe_set_data64(w, kWriteOp);
  io_uring_prep_fsync(s, fd_, IORING_FSYNC_DATASYNC);
  io_uring_sqe_set_data64(s, kSyncOp);
  write_res_ = sync_res_ = 0;
  cqes_pending_ = 2;
  io_uring_submit(&ring_);
  return 0;
}

// Both CQEs of the flush are in. A short write breaks the link (the fdatasync comes back
// -ECANCELED): the rest is written again from where it stopped, so a real error gets named.
void Journal::complete(uint64_t now_ms) {
  inflight_ = false;
  const uint32_t want = batch_n_ * kRecordSize - written_;
  if (write_res_ < 0) return fail(-write_res_, now_ms);
  if (uint32_t(write_res_) < want) {
    if (write_res_ == 0) return fail(EIO, now_ms);
    written_ += uint32_t(write_res_);
    dirty_tail_ = true;
    inflight_ = true;
    if (int err = submit_write(); err != 0) {
      inflight_ = false;
      fail(err, now_ms);
    }
    return;
  }
  if (sync_res_ < 0) return fail(-sync_res_, now_ms);
  const uint64_t tag = tags_[(head_ + batch_n_ - 1) % opt_.max_pending];
  good_len_ += uint64_t(batch_n_) * kRecordSize;
  head_ = (head_ + batch_n_) % opt_.max_pending;
  queued_ -= batch_n_;
  dirty_tail_ = false;
  last_error_ = 0;
  ++counters_.flushes;
  counters_.records += batch_n_;
  counters_.bytes += uint64_t(batch_n_) * kRecordSize;
  committed_.store(tag, std::memory_order_release);
}

// The batch stays queued; whatever this attempt wrote past the good data is cut off (here if
// possible, else before the next attempt).
void Journal::fail(int err, uint64_t now_ms) {
  ++counters_.errors;
  if (err == ENOSPC) ++counters_.enospc;
  last_error_ = err;
  retry_at_ms_ = now_ms + opt_.retry_ms;
  dirty_tail_ = ::ftruncate(fd_, off_t(good_len_)) != 0;
}

}  // namespace bs::dhcp
