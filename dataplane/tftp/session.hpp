// One TFTP read transfer (RFC 1350; options RFC 2347/2348/2349; windowsize RFC 7440) as a
// state machine. Pure logic: the worker asks it which block to transmit next, reports what it
// actually put on the wire, and owns the timers.
//
// Window: the server may have blocks base()..window_end() outstanding (windowsize of them; one
// for lock-step clients). An ACK for block n inside the window acknowledges everything up to n
// and opens the next window at n + 1; an ACK before the window's end (the client saw a gap or
// timed out) therefore resends from the block after it, go-back-N. An ACK that acknowledges
// nothing new (a duplicate, or the previous window's) is ignored: duplicates never double the
// traffic (Sorcerer's Apprentice, RFC 1123 4.2.3.1). Recovery from silence is the server's own
// retransmission timer.
//
// Timer: adapts to the measured round trip (RFC 6298's estimator, Karn's rule: no sample from a
// retransmitted window), floored at rto_min and capped at rto_max, doubling on each consecutive
// timeout; after max_retries timeouts without progress the session fails. A client that sends
// the timeout option (RFC 2349) gets it acknowledged: with client_timeout_exact the server then
// retransmits exactly every that many seconds; by default the client's value caps the adaptive
// timer instead (the server never waits longer than the client asked, and retransmits sooner
// when the round trip is short).
#pragma once
#include <cstdint>

#include "../proto/tftp.hpp"
#include "rto.hpp"

namespace bs::tftp {

// The bytes being served: immutable, outliving the session (a cache entry, or the session's own
// netascii conversion).
struct File {
  const uint8_t* data = nullptr;
  uint64_t size = 0;
};

struct Limits {
  uint16_t max_blksize = 1468;  // fits a 1500-byte MTU: 1468 + 4 TFTP + 8 UDP + 20 IP
  uint16_t max_windowsize = 64;
  uint32_t rto_initial_us = 200000;  // before the first round-trip sample
  uint32_t rto_min_us = 2000;
  // Above the usual client timeouts (atftp: 5 s): a client that answers a resent block with
  // silence until its own timer fires (atftp after a lost ACK) needs a quiet gap that long.
  uint32_t rto_max_us = 6000000;
  uint32_t max_retries = 12;          // consecutive timeouts without progress, then failed
  bool client_timeout_exact = false;  // RFC 2349 timeout: exact interval (else: a cap)
};

enum class Step : uint8_t {
  none,
  send_oack,
  send_data,  // blocks are due: next_block() while has_pending()
  done,
  failed
};

class Session {
 public:
  // Negotiates options: blksize (clamped to lim.max_blksize, at least 8), tsize (= f.size; not
  // acknowledged for an empty file),
  // timeout (1..255 s), windowsize (clamped to lim.max_windowsize). Returns send_oack if any
  // option was accepted, else send_data (the first window).
  Step start(const proto::TftpOptions& req, File f, const Limits& lim, uint64_t now_us);
  // ACK 0 after the OACK opens the first window; an ACK inside the window opens the next one (or
  // done after the last block); anything else -> none.
  Step on_ack(uint16_t block, uint64_t now_us);
  // Due when now >= deadline_us(): resends the window from base() with the timer doubled
  // (send_data), or the OACK (send_oack: the OACK's timer is always the cap, rto_max);
  // failed after max_retries. A finished session -> none.
  Step on_timeout(uint64_t now_us);

  // Transmission of the window: blocks next_block() .. window_end() are due while has_pending();
  // the worker builds frames for some of them and reports, in order, each one the port took
  // with sent() (a block the port refused is simply not reported: it stays due). When the
  // window's last block leaves, the timer starts.
  bool has_pending() const { return state_ == State::data && next_ <= window_end_; }
  uint64_t next_block() const { return next_; }
  void sent(uint64_t index, uint64_t now_us);

  const proto::TftpOack& oack() const { return oack_; }
  const File& file() const { return file_; }
  static uint16_t wire(uint64_t index) { return uint16_t(index & 0xffff); }  // rolls over to 0
  uint64_t offset(uint64_t index) const { return (index - 1) * blksize_; }
  uint16_t length(uint64_t index) const;  // payload of a block; 0 for the final empty one
  uint64_t blocks() const { return file_.size / blksize_ + 1; }  // the last one is short
  uint64_t base() const { return base_; }                        // first unacknowledged block
  uint64_t window_end() const { return window_end_; }
  uint64_t deadline_us() const { return deadline_us_; }  // when on_timeout is due; 0: no timer
  uint16_t blksize() const { return blksize_; }
  uint16_t windowsize() const { return window_; }
  uint64_t bytes_acked() const { return bytes_acked_; }  // payload bytes the client acknowledged
  uint32_t retransmits() const { return retransmits_; }  // OACKs and DATA blocks sent again
  uint32_t rto_us() const { return uint32_t(rto_.us()); }
  uint32_t srtt_us() const { return uint32_t(rto_.srtt_us()); }
  bool finished() const { return state_ == State::done || state_ == State::failed; }
  bool failed() const { return state_ == State::failed; }

 private:
  enum class State : uint8_t { idle, oack, data, done, failed };
  Step open_window(uint64_t first);

  File file_;
  proto::TftpOack oack_;
  uint64_t base_ = 0;        // first unacknowledged block (1-based, never wraps); 0 in oack
  uint64_t window_end_ = 0;  // last block of the current window
  uint64_t next_ = 1;        // next block to put on the wire
  uint64_t sent_hi_ = 0;     // highest block ever put on the wire
  uint64_t deadline_us_ = 0;
  uint64_t timed_us_ = 0;  // when the timed packet (OACK, window end) left; 0: no valid sample
  Rto rto_;
  uint64_t bytes_acked_ = 0;
  uint32_t max_retries_ = 12;
  uint32_t retries_ = 0;  // consecutive timeouts without progress
  uint32_t retransmits_ = 0;
  uint16_t blksize_ = proto::kTftpDefaultBlksize;
  uint16_t window_ = 1;
  State state_ = State::idle;
};

}  // namespace bs::tftp
