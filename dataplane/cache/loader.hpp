// Loads files into blobs with io_uring on the service thread: openat, large reads in flight in
// parallel, close. Never used from a worker.
#pragma once
#include <liburing.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "file_table.hpp"

namespace bs::cache {

class Loader {
 public:
  explicit Loader(FileTable& table, unsigned queue_depth = 64);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // 0 on success, else -errno from io_uring_queue_init.
  int init_error() const { return init_error_; }

  // Starts loading slot unless a load of it is already in flight.
  void request(FileSlot* slot);
  // Submits queued work and reaps completions without blocking (or waiting up to wait_us when
  // loads are in flight). Appends the slots whose load finished (ready or failed) to done.
  void poll(std::vector<FileSlot*>& done, unsigned wait_us = 0);
  bool busy() const { return !jobs_.empty(); }

  uint64_t loaded_files() const { return loaded_files_; }
  uint64_t loaded_bytes() const { return loaded_bytes_; }
  uint64_t failed_files() const { return failed_files_; }

 private:
  struct Job;
  struct Op {
    Job* job;
    enum Kind : uint8_t { open, read, close } kind;
    uint64_t offset;
    uint32_t len;
  };
  struct Job {
    FileSlot* slot;
    std::string abspath;
    int fd = -1;
    Blob* blob = nullptr;
    uint64_t size = 0;
    uint64_t next_offset = 0;  // next byte to submit
    uint64_t done_bytes = 0;
    unsigned inflight = 0;
    int error = 0;
  };

  io_uring_sqe* sqe();
  void submit_reads(Job* j);
  void on_cqe(Op* op, int res, std::vector<FileSlot*>& done);
  void finish(Job* j, std::vector<FileSlot*>& done);

  FileTable& table_;
  io_uring ring_{};
  int init_error_ = 0;
  std::unordered_map<FileSlot*, Job*> jobs_;
  uint64_t loaded_files_ = 0, loaded_bytes_ = 0, failed_files_ = 0;
};

}  // namespace bs::cache
