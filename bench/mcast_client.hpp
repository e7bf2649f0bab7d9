// Simulated multicast TFTP clients, in the style of tftp_client.hpp (pure logic, no I/O, no
// DPDK): McastClient speaks RFC 2090 (the "multicast" option) and falls back to a plain
// TftpClient when the server's OACK has no multicast option; MtftpClient speaks PXE MTFTP
// (Intel PXE 2.1: listen, open, lock-step ACKs from the one client that opened).
//
// Group DATA reaches every member of a group, so it is parsed and checked against the expected
// file once per frame: the runner wraps it in a GroupFrame, whose check() compares the bytes
// the first time a block size asks and remembers the verdict (or carries the verdict the
// runner got when the frame came); members only mark a bitmap. on_group_frames() takes a run
// of frames in one call, a listener's frames without building an Action each.
//
// RFC 2090, the client side of the server's stream (dataplane/tftp/mcast.hpp):
// - RRQ to port 69 with the usual options and "multicast" (empty). The OACK (from the group's
//   server port P) names the group A, its port P and whether we are the master (mc=1). Group
//   DATA comes to A:P from P.
// - Only the master ACKs, to P: ACK n says "I hold every block 1..n" (its first hole is n+1).
//   It ACKs at the end of each window (the block at the previous ACK + windowsize, or when its
//   contiguous position passes it), on a gap at once (a block beyond the hole: the hole is
//   reported; the same ACK a second time makes the server go back to the hole), and on
//   timeout. At most two ACKs per position except timeouts and duplicates of the acknowledged
//   block (the server resending a window whose ACK was lost).
// - A listener (mc=0) only collects. When it holds every block it sends ACK(last) and is done
//   (the server removes it without promoting it). Silent for timeout_us it re-sends its RRQ
//   (the server answers a known member with its OACK again).
// - An OACK with mc=1 promotes a listener: it ACKs its contiguous position (0 if none) and the
//   stream repositions there. An OACK with mc=0 demotes a master (it stops ACKing).
// - Files of 65536 blocks or more are not multicast (no rollover): a multicast OACK for one
//   fails the transfer (Fail::protocol).
// - A multicast member never sends ERROR (it would end the transmission for everyone): a
//   corrupt block fails the member silently.
//
// PXE MTFTP (MtftpClient): listens on the group G:CP for listen_us; DATA seen there is
// collected (512-byte blocks) and keeps it listening until delay_us pass without any; holding
// every block (the short last one included) it is done without a word. Otherwise it OPENs: an
// RRQ without options to the server's MTFTP port SP. Block 1 comes unicast (and to the group)
// from the transfer's server port S; the opener ACKs to S each block it receives next
// (lock-step, ACK n = the block just received), re-ACKs a repeat of its last ACK (the server
// resending), and is done when it holds every block. Group DATA for a block > 1 before its own
// block 1 means someone else's transfer is running: back to listening. An opener silent for
// max_retries timeouts goes back to listening too; after max_retries + 1 opens it fails.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "tftp_client.hpp"

namespace bs::bench {

// The verdict on one DATA block against the expected file. Keep fail_of() in step.
enum class BlockCheck : uint8_t { ok, corrupt, too_long, short_file, protocol };
// Block `block` (1-based; 0 is a protocol error) of blksize-byte blocks must be the expected
// bytes at (block - 1) * blksize, and exactly as long as the file leaves there.
BlockCheck check_block(proto::Bytes expected, uint16_t blksize, uint16_t block, proto::Bytes data);
Fail fail_of(BlockCheck c);

// One group DATA frame, parsed once and checked at most once per block size. Or only its
// verdict for one block size, checked when it arrived (a frame whose bytes are gone): then any
// other block size is a protocol error.
class GroupFrame {
 public:
  GroupFrame(proto::Bytes expected, uint16_t sport, uint16_t block, proto::Bytes data)
      : expected_(expected), data_(data), size_(data.size()), sport_(sport), block_(block) {}
  GroupFrame(uint16_t sport, uint16_t block, size_t size, uint16_t blksize, BlockCheck verdict)
      : size_(size), sport_(sport), block_(block), checked_only_(true) {
    sizes_[0] = blksize;
    verdicts_[0] = verdict;
  }
  uint16_t sport() const { return sport_; }
  uint16_t block() const { return block_; }
  size_t size() const { return size_; }
  BlockCheck check(uint16_t blksize) const;
  uint32_t compares() const { return compares_; }  // check_block calls made (tests)

 private:
  proto::Bytes expected_, data_;
  size_t size_;
  uint16_t sport_, block_;
  bool checked_only_ = false;
  mutable std::array<uint16_t, 4> sizes_{};  // block sizes checked (0: free)
  mutable std::array<BlockCheck, 4> verdicts_{};
  mutable uint32_t compares_ = 0;
};

// A multicast group and UDP port (addr 0: none).
struct GroupKey {
  proto::Ip4 addr = 0;
  uint16_t port = 0;
  bool operator==(const GroupKey&) const = default;
  uint64_t key() const { return uint64_t(addr) << 16 | port; }
};
inline bool is_multicast(proto::Ip4 a) {
  return (a >> 28) == 0xe;
}

// Multicast counters of one transfer (summed over ended transfers by the run).
struct McastStats {
  uint64_t group_frames = 0;      // group DATA frames delivered to this member
  uint32_t masters = 0;           // OACKs with mc=1 acted on (the first one included)
  uint32_t promotions = 0;        // mc=1 after having been a listener (or after the first OACK)
  uint32_t demotions = 0;         // mc=0 while master
  uint32_t repair_acks = 0;       // RFC 2090: ACKs sent while holding blocks beyond a hole
  uint32_t done_as_master = 0;    // completed acknowledging the last block as master
  uint32_t done_as_listener = 0;  // completed as a listener (RFC 2090: ACK(last); MTFTP: silent)
  uint32_t unicast = 0;           // the server answered without multicast: plain transfer
  uint32_t opens = 0;             // MTFTP: RRQs to the MTFTP port (first sends, not resends)
  uint32_t back_to_listen = 0;    // MTFTP: opened, then listened again (foreign data, silence)
};

class McastClient {
 public:
  enum class State : uint8_t { idle, requested, member, unicast, done, failed };

  // A new transfer; multicast false: a plain TftpClient (unicast()) does all of it.
  void reset(const ClientOptions& o, std::string_view filename, proto::Bytes expected,
             bool multicast = true);
  Action start(uint64_t now_us);
  // A UDP payload to our own port from the server's port server_port.
  Action on_packet(uint16_t server_port, proto::Bytes payload, uint64_t now_us);
  // Group DATA (to group()).
  Action on_group_data(const GroupFrame& f, uint64_t now_us);
  // Group DATA frames in order, until one asks for an action or ends the transfer: returns how
  // many were taken, *a the last one's action. (A loop the compiler can inline into.)
  size_t on_group_frames(std::span<const GroupFrame> f, uint64_t now_us, Action* a);
  Action on_timeout(uint64_t now_us);
  size_t write(const Action& a, proto::MutBytes out) const;
  // Where an action goes: RRQs to port 69, the rest to the server's (group's) port.
  uint16_t dest_port(const Action& a) const;

  State state() const;
  bool finished() const { return state() == State::done || state() == State::failed; }
  bool done() const { return state() == State::done; }
  Fail fail() const { return unicast_mode() ? uni_.fail() : fail_; }
  uint16_t error_code() const { return unicast_mode() ? uni_.error_code() : error_code_; }
  uint64_t deadline_us() const;
  // The group joined (while a member, not finished), else addr 0.
  GroupKey group() const { return state_ == State::member ? group_ : GroupKey{}; }
  bool master() const { return master_; }
  uint16_t server_port() const { return unicast_mode() ? uni_.server_port() : server_port_; }
  uint16_t blksize() const { return unicast_mode() ? uni_.blksize() : blksize_; }
  uint16_t window() const { return unicast_mode() ? uni_.window() : window_; }
  uint64_t bytes() const { return unicast_mode() ? uni_.bytes() : bytes_; }  // verified, held
  uint64_t blocks_total() const { return nblocks_; }
  uint64_t blocks_held() const { return held_; }
  uint64_t contiguous() const { return contiguous_; }
  bool holds(uint64_t block) const {
    return block / 64 < bitmap_.size() && (bitmap_[block / 64] >> (block % 64) & 1) != 0;
  }
  const ClientStats& stats() const { return unicast_mode() ? uni_.stats() : stats_; }
  const McastStats& mstats() const { return mstats_; }
  const TftpClient& unicast() const { return uni_; }

 private:
  bool unicast_mode() const { return state_ == State::unicast || !multicast_; }
  Action on_oack(uint16_t sport, const proto::TftpOptions& got, uint64_t now_us);
  Action member_oack(const proto::TftpOptions& got, uint64_t now_us);
  // A listener's group frame that asks for nothing (neither completes, fails nor comes from a
  // stranger): taken without making an Action (the hot path of a big group); false: not one.
  bool quiet_frame(const GroupFrame& f, uint64_t now_us);
  Action ack(Action::Why why, uint64_t now_us);
  Action complete(uint64_t now_us);
  Action failed(Fail f, uint16_t code, bool tell_server);

  TftpClient uni_;
  ClientOptions o_;
  std::string_view filename_;
  proto::Bytes expected_;
  ClientStats stats_;
  McastStats mstats_;
  std::vector<uint64_t> bitmap_;  // bit b: block b held
  GroupKey group_;
  uint64_t nblocks_ = 0;
  uint64_t held_ = 0;
  uint64_t contiguous_ = 0;  // every block 1..contiguous_ held
  uint64_t window_end_ = 0;  // the master ACKs when a block reaches it
  uint64_t bytes_ = 0;
  uint64_t deadline_us_ = 0;
  uint32_t retries_ = 0;
  uint16_t server_port_ = 0;
  uint16_t blksize_ = proto::kTftpDefaultBlksize;
  uint16_t window_ = 1;
  uint16_t error_code_ = 0;
  uint8_t pos_acks_ = 0;  // ACKs (other than timeouts) sent for the current contiguous_
  bool gap_acked_ = false;
  bool last_ack_is_pos_ = false;  // the last ACK sent names contiguous_
  bool master_ = false;
  bool multicast_ = true;
  State state_ = State::idle;
  Fail fail_ = Fail::none;
};

struct MtftpOptions {
  proto::Ip4 group = 0;          // G
  uint16_t client_port = 1760;   // CP: group DATA's destination port
  uint16_t server_port = 1759;   // SP: where the RRQ goes
  uint64_t listen_us = 1000000;  // listen this long before opening
  uint64_t delay_us = 1000000;   // once data was seen: open after this long without any
};

class MtftpClient {
 public:
  enum class State : uint8_t { idle, listening, opening, receiving, done, failed };

  // o: timeout_us and max_retries are used (no options are asked for: 512-byte blocks).
  void reset(const ClientOptions& o, const MtftpOptions& m, std::string_view filename,
             proto::Bytes expected);
  // Starts listening (nothing to send).
  Action start(uint64_t now_us);
  Action on_packet(uint16_t server_port, proto::Bytes payload, uint64_t now_us);
  Action on_group_data(const GroupFrame& f, uint64_t now_us);
  size_t on_group_frames(std::span<const GroupFrame> f, uint64_t now_us, Action* a);
  Action on_timeout(uint64_t now_us);
  size_t write(const Action& a, proto::MutBytes out) const;
  uint16_t dest_port(const Action& a) const;

  State state() const { return state_; }
  bool finished() const { return state_ == State::done || state_ == State::failed; }
  bool done() const { return state_ == State::done; }
  Fail fail() const { return fail_; }
  uint16_t error_code() const { return error_code_; }
  uint64_t deadline_us() const { return finished() ? 0 : deadline_us_; }
  GroupKey group() const {
    return finished() || state_ == State::idle ? GroupKey{} : GroupKey{m_.group, m_.client_port};
  }
  bool master() const { return state_ == State::receiving; }
  uint16_t server_port() const { return server_port_; }
  uint16_t blksize() const { return proto::kTftpDefaultBlksize; }
  uint16_t window() const { return 1; }
  uint64_t bytes() const { return bytes_; }
  uint64_t blocks_total() const { return nblocks_; }
  uint64_t blocks_held() const { return held_; }
  bool holds(uint64_t block) const {
    return block / 64 < bitmap_.size() && (bitmap_[block / 64] >> (block % 64) & 1) != 0;
  }
  const ClientStats& stats() const { return stats_; }
  const McastStats& mstats() const { return mstats_; }

 private:
  // Checks and marks a block; a failure ends the transfer (fail_ set, returns false).
  bool take(uint16_t block, BlockCheck c, size_t len);
  bool quiet_frame(const GroupFrame& f, uint64_t now_us);  // as McastClient's, listening
  Action open(uint64_t now_us);
  Action listen(uint64_t now_us);
  Action ack(uint16_t block, Action::Why why, uint64_t now_us);
  Action failed(Fail f);

  ClientOptions o_;
  MtftpOptions m_;
  std::string_view filename_;
  proto::Bytes expected_;
  ClientStats stats_;
  McastStats mstats_;
  std::vector<uint64_t> bitmap_;
  uint64_t nblocks_ = 0;
  uint64_t held_ = 0;
  uint64_t bytes_ = 0;
  uint64_t deadline_us_ = 0;
  uint32_t retries_ = 0;
  uint16_t server_port_ = 0;  // S, from the first unicast DATA
  uint16_t acked_ = 0;        // the last block acknowledged (receiving)
  uint16_t error_code_ = 0;
  bool group1_seen_ = false;  // the group's copy of block 1 arrived since opening
  State state_ = State::idle;
  Fail fail_ = Fail::none;
};

}  // namespace bs::bench
