#include "session.hpp"

namespace bs::tftp {

Step Session::start(const proto::TftpOptions& req, File f, const Limits& lim, uint64_t now_us) {
  *this = Session{};
  file_ = f;
  max_retries_ = lim.max_retries;
  rto_us_ = uint64_t(lim.retransmit_ms) * 1000;
  if (req.blksize) {
    uint16_t b = *req.blksize < lim.max_blksize ? *req.blksize : lim.max_blksize;
    if (b < proto::kTftpMinBlksize) b = proto::kTftpMinBlksize;
    blksize_ = b;
    oack_.blksize = b;
  }
  if (req.tsize) oack_.tsize = f.size;
  if (req.timeout && *req.timeout >= 1) {
    oack_.timeout = *req.timeout;
    rto_us_ = uint64_t(*req.timeout) * 1000000;
  }
  if (oack_.blksize || oack_.tsize || oack_.timeout) {
    state_ = State::oack;
    return arm(Step::send_oack, now_us);
  }
  state_ = State::data;
  index_ = 1;
  return arm(Step::send_data, now_us);
}

Step Session::arm(Step s, uint64_t now_us) {
  retries_ = 0;
  deadline_us_ = now_us + rto_us_;
  return s;
}

uint16_t Session::length() const {
  if (index_ == 0) return 0;
  const uint64_t off = offset();
  const uint64_t left = off < file_.size ? file_.size - off : 0;
  return uint16_t(left < blksize_ ? left : blksize_);
}

Step Session::on_ack(uint16_t block, uint64_t now_us) {
  switch (state_) {
    case State::oack:
      if (block != 0) return Step::none;
      state_ = State::data;
      index_ = 1;
      return arm(Step::send_data, now_us);
    case State::data:
      if (block != this->block()) return Step::none;
      bytes_sent_ += length();
      if (index_ == blocks()) {
        state_ = State::done;
        deadline_us_ = 0;
        return Step::done;
      }
      ++index_;
      return arm(Step::send_data, now_us);
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
  ++retransmits_;
  deadline_us_ = now_us + rto_us_;
  return state_ == State::oack ? Step::send_oack : Step::send_data;
}

}  // namespace bs::tftp
