// One simulated TFTP client reading one file: RRQ, OACK (blksize, tsize, windowsize), DATA and
// ACK as RFC 1350, 2347-2349 and 7440 describe them, checking every byte it receives against
// the content it expects. Pure logic, no I/O and no DPDK: the caller sends what the returned
// Action asks for (write() renders it) and calls on_timeout() when deadline_us() has passed.
//
// Windowing (RFC 7440): the client ACKs the last block of each window (and the final, short
// block at once). A block from the future (a gap: something was lost) makes it ACK the last
// in-order block, once, so the server restarts the window there; a duplicate of the last block
// it already acknowledged (the server retransmitting because that ACK was lost) is re-ACKed;
// other duplicates are ignored. Without progress for timeout_us it re-sends its last packet
// (RRQ or ACK), up to max_retries times in a row, then gives up. Block numbers roll over past
// 65535 to 0; positions are kept as 64-bit counts, never as wire numbers.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/proto/tftp.hpp"

namespace bs::bench {

struct ClientOptions {
  uint16_t blksize = 1468;        // requested; 0 = not requested (512-byte blocks)
  uint16_t windowsize = 64;       // requested; 0 = not requested (lock-step)
  bool tsize = true;              // request tsize and check it against the expected size
  uint64_t timeout_us = 2000000;  // re-send after this long without progress
  uint32_t max_retries = 5;       // re-sends in a row before the transfer fails
  // Each re-send in a row waits backoff times longer than the one before, up to max_timeout_us
  // (firmware backs off: PXELINUX waits about two minutes in all before it gives up on a file).
  double backoff = 1;
  uint64_t max_timeout_us = 0;  // 0: no cap
  // false: the content is not known in advance (a storm against any server): nothing is
  // compared, tsize (when offered) is the size the data must have, and keep() may collect it.
  bool verify = true;
};

// Why a transfer failed. Keep fail_name() in step.
enum class Fail : uint8_t {
  none,
  timeout,         // max_retries re-sends without progress
  server_error,    // the server sent ERROR (error_code())
  bad_oack,        // an option the client did not ask for, or a value above the one asked for
  tsize_mismatch,  // the OACK's tsize differs from the expected file size
  corrupt,         // a DATA block differs from the expected content
  too_long,        // more data than the expected file holds
  short_file,      // the final block came before the whole file
  protocol,        // a DATA block longer than the block size
};
inline constexpr unsigned kFailCount = unsigned(Fail::protocol) + 1;
const char* fail_name(Fail f);

// What the client wants sent. Why says what triggered it (for counters and tests).
struct Action {
  enum class Kind : uint8_t { none, rrq, ack, error };
  enum class Why : uint8_t { first, window, last, gap, duplicate, oack, timeout, fail };
  Kind kind = Kind::none;
  Why why = Why::first;
  uint16_t block = 0;  // ACK: the block acknowledged (wire number)
  uint16_t code = 0;   // ERROR: the code sent
  bool operator==(const Action&) const = default;
};

// Counters of one transfer (added into the run's totals when it ends).
struct ClientStats {
  uint64_t data_frames = 0;   // DATA packets received (duplicates and out-of-order included)
  uint64_t data_bytes = 0;    // their payload bytes (what the server sent that arrived)
  uint64_t duplicates = 0;    // DATA for blocks already received
  uint64_t out_of_order = 0;  // DATA beyond the next expected block (a gap)
  uint64_t strangers = 0;     // packets from another server port than the transfer's
  uint64_t malformed = 0;     // payloads that are not TFTP
  uint32_t acks = 0;          // ACKs sent, all kinds
  uint32_t acks_timeout = 0;  // ACKs re-sent because nothing came for timeout_us
  uint32_t acks_gap = 0;      // ACKs of the last in-order block on a gap
  uint32_t acks_dup = 0;      // ACKs re-sent on a duplicate (the server missed our ACK)
  uint32_t rrq_resent = 0;    // RRQs re-sent on timeout
};

class TftpClient {
 public:
  enum class State : uint8_t { idle, requested, receiving, done, failed };

  // A new transfer of filename whose content must be expected (both outlive the client).
  void reset(const ClientOptions& o, std::string_view filename, proto::Bytes expected);
  // Without verify: appends the data received in order to *out (cleared here; null: not kept).
  void keep(std::string* out);
  // Sends the RRQ.
  Action start(uint64_t now_us);
  // A UDP payload from the server's port server_port.
  Action on_packet(uint16_t server_port, proto::Bytes payload, uint64_t now_us);
  // Due when now_us >= deadline_us(); earlier calls do nothing.
  Action on_timeout(uint64_t now_us);
  // The TFTP payload of a (non-none) action; returns its length, 0 when out is too small.
  size_t write(const Action& a, proto::MutBytes out) const;

  State state() const { return state_; }
  bool finished() const { return state_ == State::done || state_ == State::failed; }
  Fail fail() const { return fail_; }
  uint16_t error_code() const { return error_code_; }  // with Fail::server_error
  uint64_t deadline_us() const { return finished() ? 0 : deadline_us_; }
  uint16_t server_port() const { return server_port_; }  // 0 until the server answered
  uint16_t blksize() const { return blksize_; }          // negotiated
  uint16_t window() const { return window_; }            // negotiated; 1 = lock-step
  std::optional<uint64_t> tsize() const { return tsize_; }
  uint64_t bytes() const { return bytes_; }      // verified, in order
  uint64_t blocks() const { return next_ - 1; }  // blocks received in order
  uint16_t last_block() const { return wire(next_ - 1); }
  const ClientStats& stats() const { return stats_; }

 private:
  static uint16_t wire(uint64_t index) { return uint16_t(index & 0xffff); }
  Action on_data(uint16_t block, proto::Bytes data, uint64_t now_us);
  Action on_oack(const proto::TftpOptions& got, uint64_t now_us);
  Action ack(Action::Why why, uint64_t now_us);
  Action failed(Fail f, uint16_t code, bool tell_server);
  uint64_t timeout_now() const;  // the wait after retries_ re-sends in a row

  ClientOptions o_;
  std::string_view filename_;
  proto::Bytes expected_;
  std::string* kept_ = nullptr;
  std::optional<uint64_t> tsize_;
  ClientStats stats_;
  uint64_t next_ = 1;  // index of the next block expected (1-based, never wraps)
  uint64_t bytes_ = 0;
  uint64_t deadline_us_ = 0;
  uint32_t retries_ = 0;    // re-sends in a row without progress
  uint16_t in_window_ = 0;  // in-order blocks since the last ACK sent
  uint16_t server_port_ = 0;
  uint16_t blksize_ = 512;
  uint16_t window_ = 1;
  uint16_t error_code_ = 0;
  bool acked_ = false;  // the last ACK sent acknowledges the current position
  State state_ = State::idle;
  Fail fail_ = Fail::none;
};

}  // namespace bs::bench
