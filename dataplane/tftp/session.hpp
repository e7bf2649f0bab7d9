// One TFTP read transfer as a lock-step state machine (RFC 1350; options RFC 2347/2348/2349).
// Pure logic: the worker sends what the returned Step asks for and owns the timers.
#pragma once
#include <cstdint>

#include "../proto/tftp.hpp"

namespace bs::tftp {

// The file being served: immutable bytes that outlive the session (a cache entry).
struct File {
  const uint8_t* data = nullptr;
  uint64_t size = 0;
};

struct Limits {
  uint16_t max_blksize = 1468;  // fits a 1500-byte MTU: 1468 + 4 TFTP + 8 UDP + 20 IP
  uint32_t retransmit_ms = 1000;
  uint32_t max_retries = 5;
};

enum class Step : uint8_t { none, send_oack, send_data, done, failed };

class Session {
 public:
  // Negotiates options: blksize (clamped to lim.max_blksize), tsize (= f.size), timeout (1..255 s,
  // when present it governs retransmission, RFC 2349). windowsize is not negotiated yet: it is
  // left out of the OACK. Returns send_oack if any option was accepted, else send_data (block 1).
  Step start(const proto::TftpOptions& req, File f, const Limits& lim, uint64_t now_us);
  // ACK 0 after the OACK -> block 1; ACK of the current block -> the next, or done after the last;
  // any other ACK (stale, duplicate) -> none: a duplicate never triggers a resend (Sorcerer's
  // Apprentice, RFC 1123 4.2.3.1).
  Step on_ack(uint16_t block, uint64_t now_us);
  // Resends the OACK or the current block; after max_retries resends -> failed. The caller
  // decides when it is due (deadline_us()); a finished session -> none.
  Step on_timeout(uint64_t now_us);

  const proto::TftpOack& oack() const { return oack_; }
  const File& file() const { return file_; }
  uint16_t block() const { return uint16_t(index_ & 0xffff); }  // wire number of the DATA now
  uint64_t block_index() const { return index_; }               // 1-based, never wraps
  uint64_t offset() const { return index_ == 0 ? 0 : (index_ - 1) * blksize_; }
  uint16_t length() const;  // payload of block(); 0 for the final empty block
  const uint8_t* payload() const { return file_.data ? file_.data + offset() : nullptr; }
  uint64_t deadline_us() const { return deadline_us_; }  // when on_timeout is due; 0 if finished
  uint16_t blksize() const { return blksize_; }
  uint64_t bytes_sent() const { return bytes_sent_; }  // payload bytes the client acknowledged
  uint32_t retransmits() const { return retransmits_; }
  bool finished() const { return state_ == State::done || state_ == State::failed; }
  bool failed() const { return state_ == State::failed; }
  uint64_t blocks() const { return file_.size / blksize_ + 1; }  // the last one is short

 private:
  enum class State : uint8_t { idle, oack, data, done, failed };
  Step arm(Step s, uint64_t now_us);

  File file_;
  proto::TftpOack oack_;
  uint64_t index_ = 0;  // block being sent; 0 while the OACK is outstanding
  uint64_t deadline_us_ = 0;
  uint64_t rto_us_ = 1000000;
  uint64_t bytes_sent_ = 0;
  uint32_t max_retries_ = 5;
  uint32_t retries_ = 0;  // resends of the packet now outstanding
  uint32_t retransmits_ = 0;
  uint16_t blksize_ = proto::kTftpDefaultBlksize;
  State state_ = State::idle;
};

}  // namespace bs::tftp
