// One multicast transmission of a file: RFC 2090 (the "multicast" option) or PXE MTFTP (Intel
// PXE 2.1). Pure logic, like Session: the worker sends what it is told and reports what left.
//
// The stream: DATA goes to the group; one member at a time, the master, paces it with its ACKs.
// An ACK n from the master says it holds every block up to n (its first hole is n + 1): the
// stream continues at n + 1 with a window of the master's windowsize, sliding (blocks of the
// window already sent are not sent again). The same ACK twice while blocks beyond n + 1 are on
// the wire reports a hole at n + 1: the stream goes back there, once per hole. Silence for the
// retransmission timeout sends the window again from the master's hole, doubling the timer.
//
// Members (RFC 2090): the first to join is the master; the others listen. When the master
// acknowledges the last block it leaves and the next member is promoted (an OACK with mc=1);
// its first ACK repositions the stream at its own hole, wherever that is, so a member that
// joined mid-transfer gets the beginning then, and each missed block is sent once for everyone
// still missing it. A master silent for two timeouts in a row (the first one resends) is
// demoted (an OACK with mc=0, to the back of the queue) so one slow or lossy member cannot
// stall the rest; a promoted member that never
// answers, or a master alone and silent, is dropped after max_retries timeouts. A listener
// that ACKs the last block leaves at once; any other ACK from a listener is answered with an
// OACK with mc=0. The transmission ends when no member is left.
//
// PXE MTFTP: the member is the client that opened the transfer, alone; no OACK (no options),
// lock-step (each ACK names the block it just received), block 1 also sent to the member
// itself; it ends when the member acknowledges the last block or times out.
//
// Block numbers do not roll over: a file has at most kMaxBlocks blocks (the clients keep one
// bit per block; the worker serves larger files unicast).
#pragma once
#include <cstdint>
#include <deque>
#include <optional>

#include "rto.hpp"
#include "session.hpp"
#include "session_table.hpp"

namespace bs::tftp {

inline constexpr uint64_t kMaxBlocks = 65535;

struct Member {
  Peer peer;
  uint16_t window = 1;    // its windowsize (1: none negotiated)
  proto::TftpOack oack;   // the options it was told (multicast: set by the worker)
  uint32_t attempts = 0;  // OACKs with mc=1 sent since its last ACK (promotion attempts)
};

// What the worker does after a call: send an OACK with mc=1 to master(), an OACK with mc=0 to
// `listener`, DATA (has_pending()), log a member that finished or was dropped, close the group.
struct McastOut {
  bool oack_master = false;
  std::optional<Peer> listener;
  std::optional<Peer> done;     // acknowledged the whole file
  std::optional<Peer> dropped;  // never answered: gone
  bool demoted = false;         // the master changed because the old one went silent
  bool empty = false;           // no member left: the transmission is over
};

class McastGroup {
 public:
  // A new transmission of f in blocks of blksize (f must have at most kMaxBlocks blocks).
  void start(File f, uint16_t blksize, bool pxe, const Limits& lim);
  // A member joins (an RRQ). Returns it; the first one is the master (the caller sends its OACK:
  // mc=1 when is_master(), else mc=0). A member already in the group (a resent request) is
  // returned as it is.
  Member* join(const Peer& p, uint16_t window, const proto::TftpOack& oack, uint64_t now_us);
  // An ACK from `from` (ip and port). Ignored (nullopt) unless from a member.
  std::optional<McastOut> on_ack(const Peer& from, uint16_t block, uint64_t now_us);
  // Due when now >= deadline_us().
  McastOut on_timeout(uint64_t now_us);
  // A member gave up (it sent ERROR): it leaves; a master's turn passes to the next member.
  std::optional<McastOut> leave(const Peer& p, uint64_t now_us);

  // Transmission: blocks next_block() .. window_end() are due while has_pending(); report each
  // block the port took with sent() (true: it was sent before, a repair).
  bool has_pending() const { return !awaiting_ && !members_.empty() && next_ <= window_end_; }
  uint64_t next_block() const { return next_; }
  bool sent(uint64_t index, uint64_t now_us);

  const Member* master() const { return members_.empty() ? nullptr : &members_.front(); }
  const Member* member(const Peer& p) const { return const_cast<McastGroup*>(this)->find(p); }
  bool is_master(const Member* m) const { return m == master(); }
  bool pxe() const { return pxe_; }
  size_t members() const { return members_.size(); }
  const File& file() const { return file_; }
  uint64_t offset(uint64_t index) const { return (index - 1) * blksize_; }
  uint16_t length(uint64_t index) const;
  uint64_t blocks() const { return file_.size / blksize_ + 1; }
  uint16_t blksize() const { return blksize_; }
  uint64_t base() const { return base_; }
  uint64_t window_end() const { return window_end_; }
  uint64_t deadline_us() const { return deadline_us_; }
  uint32_t promotions() const { return promotions_; }

 private:
  Member* find(const Peer& p);
  void open(uint64_t hole);                   // the stream continues at block hole
  void promote(McastOut& out, uint64_t now);  // the front member becomes master (or empty)
  void leave_front(McastOut& out, uint64_t now);

  File file_;
  std::deque<Member> members_;  // front: the master
  Rto rto_;
  uint64_t base_ = 1;        // the master's first hole
  uint64_t window_end_ = 0;  // last block of the current window
  uint64_t next_ = 1;        // next block to put on the wire
  uint64_t sent_hi_ = 0;     // highest block ever sent: below it, a block is a repair
  uint64_t goback_ = 0;      // the last hole gone back to (+1, 0: none)
  uint64_t deadline_us_ = 0;
  uint64_t timed_us_ = 0;  // when the timed window end left (0: no valid sample)
  uint32_t retries_ = 0;   // timeouts in a row without an ACK
  uint32_t max_retries_ = 12;
  uint32_t promotions_ = 0;
  uint16_t blksize_ = proto::kTftpDefaultBlksize;
  bool awaiting_ = false;  // the master was promoted and has not ACKed yet
  bool pxe_ = false;
};

}  // namespace bs::tftp
