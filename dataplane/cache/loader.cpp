#include "loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace bs::cache {

namespace {
constexpr uint32_t kChunk = 1u << 20;  // bytes per read
constexpr unsigned kReadsPerJob = 8;   // reads in flight per file
}  // namespace

Loader::Loader(FileTable& table, unsigned queue_depth) : table_(table) {
  init_error_ = io_uring_queue_init(queue_depth, &ring_, 0);
}

Loader::~Loader() {
  if (init_error_ == 0) io_uring_queue_exit(&ring_);
  for (auto& [slot, j] : jobs_) {
    if (j->fd >= 0) close(j->fd);
    Blob::destroy(j->blob);
    delete j;
  }
}

io_uring_sqe* Loader::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (!s) {  // submission queue full: push what we have and retry once
    io_uring_submit(&ring_);
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

void Loader::request(FileSlot* slot) {
  if (init_error_ != 0 || jobs_.contains(slot)) return;
  io_uring_sqe* s = sqe();
  if (!s) return;  // retried on the worker's next request
  auto* j = new Job{slot, table_.root() + "/" + slot->path};
  jobs_.emplace(slot, j);
  slot->state.store(SlotState::loading, std::memory_order_release);
  io_uring_prep_openat(s, AT_FDCWD, j->abspath.c_str(), O_RDONLY | O_CLOEXEC, 0);
  io_uring_sqe_set_data(s, new Op{j, Op::open, 0, 0});
}

void Loader::submit_reads(Job* j) {
  while (j->inflight < kReadsPerJob && j->next_offset < j->size) {
    io_uring_sqe* s = sqe();
    if (!s) return;  // more are submitted as reads complete
    uint32_t len = uint32_t(std::min<uint64_t>(kChunk, j->size - j->next_offset));
    io_uring_prep_read(s, j->fd, j->blob->data + j->next_offset, len, j->next_offset);
    io_uring_sqe_set_data(s, new Op{j, Op::read, j->next_offset, len});
    j->next_offset += len;
    ++j->inflight;
  }
}

void Loader::finish(Job* j, std::vector<FileSlot*>& done) {
  if (j->fd >= 0) {
    if (io_uring_sqe* s = sqe()) {
      io_uring_prep_close(s, j->fd);
      io_uring_sqe_set_data(s, nullptr);
    } else {
      close(j->fd);
    }
    j->fd = -1;
  }
  if (j->error == 0) {
    j->blob->index_sums();
    table_.install(j->slot, j->blob);
    ++loaded_files_;
    loaded_bytes_ += j->size;
  } else {
    Blob::destroy(j->blob);
    j->slot->error.store(j->error, std::memory_order_relaxed);
    j->slot->state.store(SlotState::failed, std::memory_order_release);
    ++failed_files_;
  }
  done.push_back(j->slot);
  jobs_.erase(j->slot);
  delete j;
}

void Loader::on_cqe(Op* op, int res, std::vector<FileSlot*>& done) {
  Job* j = op->job;
  switch (op->kind) {
    case Op::open: {
      if (res < 0) {
        j->error = -res;
        return finish(j, done);
      }
      j->fd = res;
      struct stat st {};
      if (fstat(j->fd, &st) != 0)
        j->error = errno;
      else if (!S_ISREG(st.st_mode))
        j->error = EISDIR;
      if (j->error != 0) return finish(j, done);
      j->size = uint64_t(st.st_size);
      j->blob = Blob::create(j->size, table_.hugepages());
      if (!j->blob) {
        j->error = ENOMEM;
        return finish(j, done);
      }
      if (j->size == 0) return finish(j, done);
      return submit_reads(j);
    }
    case Op::read: {
      --j->inflight;
      if (res == -EAGAIN || res == -EINTR || (res > 0 && uint32_t(res) < op->len)) {
        // Retry the remainder of this chunk.
        uint32_t got = res > 0 ? uint32_t(res) : 0;
        j->done_bytes += got;
        if (io_uring_sqe* s = sqe()) {
          io_uring_prep_read(s, j->fd, j->blob->data + op->offset + got, op->len - got,
                             op->offset + got);
          io_uring_sqe_set_data(s, new Op{j, Op::read, op->offset + got, op->len - got});
          ++j->inflight;
          return;
        }
        j->error = EBUSY;
      } else if (res < 0) {
        j->error = -res;
      } else if (res == 0) {
        j->error = EIO;  // the file shrank while loading; the next scan sees its new size
      } else {
        j->done_bytes += uint32_t(res);
      }
      if (j->error == 0) submit_reads(j);
      if (j->inflight == 0 && (j->error != 0 || j->done_bytes == j->size)) finish(j, done);
      return;
    }
    case Op::close:
      return;
  }
}

void Loader::poll(std::vector<FileSlot*>& done, unsigned wait_us) {
  if (init_error_ != 0) return;
  io_uring_submit(&ring_);
  io_uring_cqe* cqe = nullptr;
  if (wait_us > 0 && !jobs_.empty()) {
    __kernel_timespec ts{0, long(wait_us) * 1000};
    if (io_uring_wait_cqe_timeout(&ring_, &cqe, &ts) != 0) return;
  }
  unsigned seen = 0;
  while (io_uring_peek_cqe(&ring_, &cqe) == 0) {
    auto* op = static_cast<Op*>(io_uring_cqe_get_data(cqe));
    int res = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    if (op) {
      on_cqe(op, res, done);
      delete op;
    }
    if (++seen >= 256) break;  // let the service loop do other work
  }
  io_uring_submit(&ring_);
}

}  // namespace bs::cache
