#include "session.hpp"

#include <algorithm>

namespace bs::tftp {

Step Session::start(const proto::TftpOptions& req, File f, const Limits& lim, uint64_t now_us) {
  *this = Session{};
  file_ = f;
  max_retries_ = lim.max_retries;
  rto_.init(lim.rto_initial_us, lim.rto_min_us, lim.rto_max_us);
  if (req.blksize) {
    uint16_t b = std::min(*req.blksize, lim.max_blksize);
    blksize_ = std::max(b, proto::kTftpMinBlksize);
    oack_.blksize = blksize_;
  }
  // tsize is exact; for an empty file it is left out of the OACK (RFC 2347 lets a server decline
  // an option): curl rejects "tsize 0" and fails the read of an empty file otherwise.
  if (req.tsize && f.size > 0) oack_.tsize = f.size;
  if (req.timeout && *req.timeout >= 1) {
    oack_.timeout = *req.timeout;
    const uint64_t t = uint64_t(*req.timeout) * 1000000;
    if (lim.client_timeout_exact)
      rto_.fix(t);
    else
      rto_.cap(t);
  }
  if (req.windowsize && lim.max_windowsize > 0) {
    window_ = std::max<uint16_t>(1, std::min(*req.windowsize, lim.max_windowsize));
    oack_.windowsize = window_;
  }
  if (oack_.blksize || oack_.tsize || oack_.timeout || oack_.windowsize) {
    state_ = State::oack;
    timed_us_ = now_us;
    deadline_us_ = now_us + rto_.max_us();  // see on_timeout
    return Step::send_oack;
  }
  return open_window(1);
}

Step Session::open_window(uint64_t first) {
  state_ = State::data;
  base_ = first;
  window_end_ = std::min(first + window_ - 1, blocks());
  next_ = first;
  deadline_us_ = 0;  // armed when the window's last block leaves (sent())
  return Step::send_data;
}

uint16_t Session::length(uint64_t index) const {
  if (index == 0) return 0;
  const uint64_t off = offset(index);
  const uint64_t left = off < file_.size ? file_.size - off : 0;
  return uint16_t(std::min<uint64_t>(left, blksize_));
}

void Session::sent(uint64_t index, uint64_t now_us) {
  const bool fresh = index > sent_hi_;
  if (fresh)
    sent_hi_ = index;
  else
    ++retransmits_;
  if (index >= next_) next_ = index + 1;
  if (index == window_end_) {
    // Karn's rule: only a window end on the wire for the first time, in a window not resent
    // after a timeout, times the round trip.
    timed_us_ = fresh && retries_ == 0 ? now_us : 0;
    deadline_us_ = now_us + rto_.backed_off(retries_);
  }
}

Step Session::on_ack(uint16_t block, uint64_t now_us) {
  switch (state_) {
    case State::oack:
      if (block != 0) return Step::none;
      if (timed_us_ != 0 && retries_ == 0) rto_.sample(now_us - timed_us_);
      timed_us_ = 0;
      retries_ = 0;
      return open_window(1);
    case State::data: {
      // The block the ACK names, among base-1 .. sent_hi (at most 65536 numbers: unambiguous).
      const uint64_t prev = base_ - 1;
      const uint64_t n = prev + uint16_t(block - wire(prev));
      if (n == prev || n > sent_hi_) return Step::none;  // nothing new, or never sent
      bytes_acked_ += std::min(n * blksize_, file_.size) - std::min(prev * blksize_, file_.size);
      if (n == window_end_ && timed_us_ != 0) rto_.sample(now_us - timed_us_);
      timed_us_ = 0;
      retries_ = 0;
      if (n >= blocks()) {
        state_ = State::done;
        deadline_us_ = 0;
        return Step::done;
      }
      return open_window(n + 1);
    }
    default:
      return Step::none;
  }
}

Step Session::on_timeout(uint64_t now_us) {
  if (state_ != State::oack && state_ != State::data) return Step::none;
  if (retries_ >= max_retries_) {
    state_ = State::failed;
    deadline_us_ = 0;
    return Step::failed;
  }
  ++retries_;
  timed_us_ = 0;
  if (state_ == State::oack) {
    // The OACK is resent only at the cap: a lost OACK is recovered sooner by the client, which
    // sends its request again (a new transfer); a lost ACK 0 by the client's own timer, and
    // some clients (atftp) abort on an OACK they already have.
    deadline_us_ = now_us + rto_.max_us();
    ++retransmits_;
    return Step::send_oack;
  }
  deadline_us_ = now_us + rto_.backed_off(retries_);
  next_ = base_;  // the whole window again
  return Step::send_data;
}

}  // namespace bs::tftp
