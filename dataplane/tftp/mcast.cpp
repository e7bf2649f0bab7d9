#include "mcast.hpp"

#include <algorithm>

namespace bs::tftp {

namespace {
// A master silent for this many timeouts in a row (a promoted one: OACKs unanswered) goes to
// the back of the queue when others are waiting; one timeout only resends (a lost block or ACK
// on a lossy link is repaired without changing masters, whose holes differ).
constexpr uint32_t kPromoteTries = 2;
}  // namespace

void McastGroup::start(File f, uint16_t blksize, bool pxe, const Limits& lim) {
  *this = McastGroup{};
  file_ = f;
  blksize_ = blksize;
  pxe_ = pxe;
  max_retries_ = lim.max_retries;
  rto_.init(lim.rto_initial_us, lim.rto_min_us, lim.rto_max_us);
}

uint16_t McastGroup::length(uint64_t index) const {
  if (index == 0) return 0;
  const uint64_t off = offset(index);
  const uint64_t left = off < file_.size ? file_.size - off : 0;
  return uint16_t(std::min<uint64_t>(left, blksize_));
}

Member* McastGroup::find(const Peer& p) {
  for (Member& m : members_)
    if (m.peer.ip == p.ip && m.peer.port == p.port) return &m;
  return nullptr;
}

Member* McastGroup::join(const Peer& p, uint16_t window, const proto::TftpOack& oack,
                         uint64_t now_us) {
  if (Member* m = find(p)) return m;
  members_.push_back(Member{p, pxe_ ? uint16_t(1) : std::max<uint16_t>(window, 1), oack, 0});
  if (members_.size() == 1) {
    if (pxe_) {
      open(1);  // no OACK: block 1 at once
    } else {
      awaiting_ = true;  // its OACK (mc=1) is answered with ACK 0
      retries_ = 0;
      members_.front().attempts = 1;
      deadline_us_ = now_us + rto_.backed_off(0);
    }
  }
  return &members_.back();
}

void McastGroup::open(uint64_t hole) {
  base_ = hole;
  next_ = hole;
  window_end_ = std::min(hole + master()->window - 1, blocks());
  goback_ = 0;
  timed_us_ = 0;
  deadline_us_ = 0;  // armed when the window's last block leaves
}

void McastGroup::promote(McastOut& out, uint64_t now_us) {
  retries_ = 0;
  timed_us_ = 0;
  if (members_.empty()) {
    out.empty = true;
    awaiting_ = false;
    deadline_us_ = 0;
    return;
  }
  awaiting_ = true;
  ++members_.front().attempts;
  ++promotions_;
  out.oack_master = true;
  deadline_us_ = now_us + rto_.backed_off(0);
}

void McastGroup::leave_front(McastOut& out, uint64_t now_us) {
  out.done = members_.front().peer;
  members_.pop_front();
  promote(out, now_us);
}

std::optional<McastOut> McastGroup::on_ack(const Peer& from, uint16_t block, uint64_t now_us) {
  Member* m = find(from);
  if (!m) return std::nullopt;
  McastOut out;
  const uint64_t n = block;
  if (!is_master(m)) {
    if (n >= blocks()) {  // a listener that has everything leaves without its turn
      out.done = m->peer;
      for (auto it = members_.begin(); it != members_.end(); ++it)
        if (&*it == m) {
          members_.erase(it);
          break;
        }
    } else {
      out.listener = m->peer;
    }
    return out;
  }
  m->attempts = 0;
  if (n >= blocks()) {
    if (pxe_) {
      out.done = m->peer;
      members_.clear();
      out.empty = true;
      deadline_us_ = 0;
      return out;
    }
    leave_front(out, now_us);
    return out;
  }
  if (awaiting_) {  // a new master: the stream goes to its hole, wherever that is
    awaiting_ = false;
    retries_ = 0;
    open(n + 1);
    return out;
  }
  if (n + 1 > base_) {
    if (n == window_end_ && timed_us_ != 0) rto_.sample(now_us - timed_us_);
    retries_ = 0;
    base_ = n + 1;
    next_ = std::max(next_, base_);
    window_end_ = std::min(base_ + m->window - 1, blocks());
    // Every block of the new window already on the wire: the timer runs from now.
    deadline_us_ = next_ > window_end_ ? now_us + rto_.backed_off(0) : 0;
    timed_us_ = 0;
  } else if (m->window > 1 && n + 1 == base_ && next_ > base_ && goback_ != base_) {
    // The master reports a hole at base: once per hole. Not in lock-step (and PXE is): there a
    // duplicate ACK is an answer to a resent block, and resending again on it would double
    // the traffic (Sorcerer's Apprentice); the timer recovers.
    goback_ = base_;
    next_ = base_;
    timed_us_ = 0;
    deadline_us_ = 0;
  }
  return out;
}

std::optional<McastOut> McastGroup::leave(const Peer& p, uint64_t now_us) {
  Member* m = find(p);
  if (!m) return std::nullopt;
  McastOut out;
  if (!is_master(m)) {
    for (auto it = members_.begin(); it != members_.end(); ++it)
      if (&*it == m) {
        members_.erase(it);
        break;
      }
    return out;
  }
  members_.pop_front();
  if (pxe_) members_.clear();
  promote(out, now_us);
  return out;
}

bool McastGroup::sent(uint64_t index, uint64_t now_us) {
  const bool repair = index <= sent_hi_;
  if (!repair) sent_hi_ = index;
  if (index >= next_) next_ = index + 1;
  if (index == window_end_) {
    timed_us_ = !repair && retries_ == 0 ? now_us : 0;  // Karn's rule
    deadline_us_ = now_us + rto_.backed_off(retries_);
  }
  return repair;
}

McastOut McastGroup::on_timeout(uint64_t now_us) {
  McastOut out;
  if (members_.empty()) {
    out.empty = true;
    deadline_us_ = 0;
    return out;
  }
  ++retries_;
  timed_us_ = 0;
  Member& m = members_.front();
  if (m.attempts > max_retries_ || (!awaiting_ && retries_ > max_retries_)) {
    out.dropped = m.peer;  // gone: never answered
    members_.pop_front();
    if (pxe_) {
      members_.clear();
      out.empty = true;
      deadline_us_ = 0;
      return out;
    }
    promote(out, now_us);
    return out;
  }
  const bool others = members_.size() > 1 && !pxe_;
  if (others && retries_ >= kPromoteTries) {
    // Silent: to the back of the queue; the next member takes over.
    if (!awaiting_) ++m.attempts;
    out.listener = m.peer;
    out.demoted = true;
    members_.push_back(m);
    members_.pop_front();
    promote(out, now_us);
    return out;
  }
  if (awaiting_) {  // the OACK again
    ++m.attempts;
    out.oack_master = true;
  } else {  // the window again, from the master's hole
    next_ = base_;
  }
  deadline_us_ = now_us + rto_.backed_off(retries_);
  return out;
}

}  // namespace bs::tftp
