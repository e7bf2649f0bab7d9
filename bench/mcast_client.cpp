#include "mcast_client.hpp"

#include <algorithm>
#include <cstring>

namespace bs::bench {

namespace {

void set_bit(std::vector<uint64_t>& bm, uint64_t b) {
  bm[b / 64] |= uint64_t(1) << (b % 64);
}

// Blocks of a file of n bytes in blocks of blksize (the last one short, maybe empty).
uint64_t blocks_of(size_t n, uint16_t blksize) {
  return n / blksize + 1;
}

}  // namespace

BlockCheck check_block(proto::Bytes expected, uint16_t blksize, uint16_t block, proto::Bytes data) {
  if (block == 0 || blksize == 0 || data.size() > blksize) return BlockCheck::protocol;
  const uint64_t off = uint64_t(block - 1) * blksize;
  if (off > expected.size()) return BlockCheck::too_long;
  const uint64_t want = std::min<uint64_t>(blksize, expected.size() - off);
  if (data.size() > want) return BlockCheck::too_long;
  if (data.size() < want) return BlockCheck::short_file;
  if (!data.empty() && std::memcmp(expected.data() + off, data.data(), data.size()) != 0)
    return BlockCheck::corrupt;
  return BlockCheck::ok;
}

Fail fail_of(BlockCheck c) {
  switch (c) {
    case BlockCheck::ok:
      return Fail::none;
    case BlockCheck::corrupt:
      return Fail::corrupt;
    case BlockCheck::too_long:
      return Fail::too_long;
    case BlockCheck::short_file:
      return Fail::short_file;
    case BlockCheck::protocol:
      return Fail::protocol;
  }
  return Fail::protocol;
}

BlockCheck GroupFrame::check(uint16_t blksize) const {
  for (size_t i = 0; i < sizes_.size(); ++i) {
    if (sizes_[i] == blksize) return verdicts_[i];
    if (sizes_[i] == 0 && !checked_only_) {
      ++compares_;
      sizes_[i] = blksize;
      verdicts_[i] = check_block(expected_, blksize, block_, data_);
      return verdicts_[i];
    }
  }
  if (checked_only_) return BlockCheck::protocol;
  ++compares_;  // more block sizes in one group than remembered: check again
  return check_block(expected_, blksize, block_, data_);
}

// --- RFC 2090 -----------------------------------------------------------------------------

void McastClient::reset(const ClientOptions& o, std::string_view filename, proto::Bytes expected,
                        bool multicast) {
  std::vector<uint64_t> bm = std::move(bitmap_);  // keep the allocation
  *this = McastClient();
  bitmap_ = std::move(bm);
  bitmap_.clear();
  o_ = o;
  filename_ = filename;
  expected_ = expected;
  multicast_ = multicast;
  uni_.reset(o, filename, expected);
}

Action McastClient::start(uint64_t now_us) {
  Action a = uni_.start(now_us);  // ready for a server that answers without multicast
  if (!multicast_) return a;
  state_ = State::requested;
  deadline_us_ = now_us + o_.timeout_us;
  return Action{Action::Kind::rrq, Action::Why::first};
}

McastClient::State McastClient::state() const {
  if (!unicast_mode()) return state_;
  switch (uni_.state()) {
    case TftpClient::State::idle:
      return State::idle;
    case TftpClient::State::requested:
      return multicast_ ? State::unicast : State::requested;
    case TftpClient::State::receiving:
      return State::unicast;
    case TftpClient::State::done:
      return State::done;
    case TftpClient::State::failed:
      return State::failed;
  }
  return State::failed;
}

uint64_t McastClient::deadline_us() const {
  if (unicast_mode()) return uni_.deadline_us();
  return finished() ? 0 : deadline_us_;
}

Action McastClient::failed(Fail f, uint16_t code, bool tell_server) {
  state_ = State::failed;
  fail_ = f;
  if (!tell_server) return {};
  return Action{Action::Kind::error, Action::Why::fail, 0, code};
}

Action McastClient::ack(Action::Why why, uint64_t now_us) {
  ++stats_.acks;
  if (why == Action::Why::timeout) ++stats_.acks_timeout;
  if (why == Action::Why::gap) ++stats_.acks_gap;
  if (why == Action::Why::duplicate) ++stats_.acks_dup;
  if (held_ > contiguous_) ++mstats_.repair_acks;
  if (why != Action::Why::timeout && why != Action::Why::duplicate && pos_acks_ < 255) ++pos_acks_;
  if (why != Action::Why::gap) deadline_us_ = now_us + o_.timeout_us;
  return Action{Action::Kind::ack, why, uint16_t(contiguous_)};
}

Action McastClient::complete(uint64_t now_us) {
  Action a = ack(Action::Why::last, now_us);
  if (master_)
    ++mstats_.done_as_master;
  else
    ++mstats_.done_as_listener;
  state_ = State::done;
  return a;
}

Action McastClient::on_packet(uint16_t server_port, proto::Bytes payload, uint64_t now_us) {
  if (unicast_mode()) return uni_.on_packet(server_port, payload, now_us);
  if (state_ != State::requested && state_ != State::member) return {};
  auto p = proto::parse_tftp(payload);
  if (!p) {
    ++stats_.malformed;
    return {};
  }
  if (state_ == State::requested) {
    switch (p->op) {
      case proto::TftpOp::error:
        error_code_ = p->error_code;
        return failed(Fail::server_error, 0, false);
      case proto::TftpOp::oack:
        if (p->options.multicast) return on_oack(server_port, p->options, now_us);
        [[fallthrough]];
      case proto::TftpOp::data:
        // No multicast (or no options at all): a plain transfer from here on.
        state_ = State::unicast;
        ++mstats_.unicast;
        return uni_.on_packet(server_port, payload, now_us);
      default:
        ++stats_.malformed;
        return {};
    }
  }
  if (server_port != server_port_) {
    ++stats_.strangers;
    return {};
  }
  switch (p->op) {
    case proto::TftpOp::error:
      error_code_ = p->error_code;
      return failed(Fail::server_error, 0, false);
    case proto::TftpOp::oack:
      return member_oack(p->options, now_us);
    default:
      ++stats_.malformed;  // DATA comes to the group, ACKs go to the server
      return {};
  }
}

Action McastClient::on_oack(uint16_t sport, const proto::TftpOptions& got, uint64_t now_us) {
  if (got.blksize && (o_.blksize == 0 || *got.blksize > o_.blksize))
    return failed(Fail::bad_oack, proto::kErrOptionRefused, true);
  if (got.windowsize && (o_.windowsize == 0 || *got.windowsize > o_.windowsize))
    return failed(Fail::bad_oack, proto::kErrOptionRefused, true);
  if (got.tsize) {
    if (!o_.tsize) return failed(Fail::bad_oack, proto::kErrOptionRefused, true);
    if (got.tsize_value != expected_.size())
      return failed(Fail::tsize_mismatch, proto::kErrOptionRefused, true);
  }
  auto m = proto::parse_tftp_multicast(*got.multicast);
  if (!m || !is_multicast(m->addr) || m->port == 0)
    return failed(Fail::bad_oack, proto::kErrOptionRefused, true);
  blksize_ = got.blksize.value_or(proto::kTftpDefaultBlksize);
  window_ = std::max<uint16_t>(got.windowsize.value_or(1), 1);
  nblocks_ = blocks_of(expected_.size(), blksize_);
  if (nblocks_ > 65535) return failed(Fail::protocol, proto::kErrOptionRefused, true);
  bitmap_.assign(nblocks_ / 64 + 1, 0);
  server_port_ = sport;
  group_ = GroupKey{m->addr, m->port};
  state_ = State::member;
  retries_ = 0;
  deadline_us_ = now_us + o_.timeout_us;
  if (!m->master) return {};
  master_ = true;
  ++mstats_.masters;
  window_end_ = contiguous_ + window_;
  return ack(Action::Why::oack, now_us);
}

Action McastClient::member_oack(const proto::TftpOptions& got, uint64_t now_us) {
  auto m = got.multicast ? proto::parse_tftp_multicast(*got.multicast) : std::nullopt;
  if (!m || GroupKey{m->addr, m->port} != group_) {
    ++stats_.strangers;
    return {};
  }
  retries_ = 0;
  deadline_us_ = now_us + o_.timeout_us;
  if (!m->master) {
    if (master_) ++mstats_.demotions;
    master_ = false;
    return {};
  }
  // mc=1 again while master: our ACK to it was lost, answer it again.
  if (master_) return ack(Action::Why::duplicate, now_us);
  master_ = true;
  ++mstats_.masters;
  ++mstats_.promotions;
  pos_acks_ = 0;
  gap_acked_ = false;
  window_end_ = contiguous_ + window_;
  return ack(Action::Why::oack, now_us);
}

Action McastClient::on_group_data(const GroupFrame& f, uint64_t now_us) {
  if (state_ != State::member) return {};
  ++stats_.data_frames;
  ++mstats_.group_frames;
  if (f.sport() != server_port_) {
    ++stats_.strangers;
    return {};
  }
  const uint64_t b = f.block();
  if (!master_) {
    retries_ = 0;  // a listener makes progress while the stream flows
    deadline_us_ = now_us + o_.timeout_us;
  }
  const bool fresh = !holds(b);
  if (fresh) {
    const BlockCheck c = f.check(blksize_);
    if (c != BlockCheck::ok) return failed(fail_of(c), 0, false);
    set_bit(bitmap_, b);
    ++held_;
    bytes_ += f.size();
    if (b > contiguous_ + 1) ++stats_.out_of_order;
    if (b == contiguous_ + 1) {
      while (contiguous_ < nblocks_ && holds(contiguous_ + 1)) ++contiguous_;
      pos_acks_ = 0;
      gap_acked_ = false;
    }
    if (master_) {
      retries_ = 0;
      deadline_us_ = now_us + o_.timeout_us;
    }
    if (contiguous_ == nblocks_) return complete(now_us);
  } else {
    ++stats_.duplicates;
  }
  if (!master_) return {};
  // The window's end (reached in order, or passed by filling a hole): ACK our position.
  if ((contiguous_ >= window_end_ || b == window_end_) && pos_acks_ < 2) {
    Action a = ack(Action::Why::window, now_us);
    window_end_ = contiguous_ + window_;
    return a;
  }
  // A fresh block of this window beyond a hole: report the hole at once (the server goes back
  // there when it hears the same ACK twice). Blocks beyond the window are stale (a stream
  // from before our promotion or a go-back): they report nothing.
  if (fresh && b > contiguous_ + 1 && b <= window_end_ && !gap_acked_ && pos_acks_ < 2) {
    gap_acked_ = true;
    return ack(Action::Why::gap, now_us);
  }
  return {};
}

[[gnu::always_inline]] inline bool McastClient::quiet_frame(const GroupFrame& f, uint64_t now_us) {
  const uint16_t b = f.block();
  if (master_ || state_ != State::member || f.sport() != server_port_ || b == 0 || b > nblocks_)
    return false;
  const bool fresh = !holds(b);
  if (fresh && (held_ + 1 >= nblocks_ || f.check(blksize_) != BlockCheck::ok)) return false;
  ++stats_.data_frames;
  ++mstats_.group_frames;
  retries_ = 0;
  deadline_us_ = now_us + o_.timeout_us;
  if (!fresh) {
    ++stats_.duplicates;
    return true;
  }
  set_bit(bitmap_, b);
  ++held_;
  bytes_ += f.size();
  if (b > contiguous_ + 1) ++stats_.out_of_order;
  if (b == contiguous_ + 1) {
    while (contiguous_ < nblocks_ && holds(contiguous_ + 1)) ++contiguous_;
    pos_acks_ = 0;
    gap_acked_ = false;
  }
  return true;
}

size_t McastClient::on_group_frames(std::span<const GroupFrame> f, uint64_t now_us, Action* a) {
  size_t i = 0;
  *a = Action{};
  while (i < f.size()) {
    if (quiet_frame(f[i], now_us)) {
      ++i;
      continue;
    }
    *a = on_group_data(f[i++], now_us);
    if (a->kind != Action::Kind::none || state_ != State::member) break;
  }
  return i;
}

Action McastClient::on_timeout(uint64_t now_us) {
  if (unicast_mode()) return uni_.on_timeout(now_us);
  if (finished() || state_ == State::idle || now_us < deadline_us_) return {};
  if (++retries_ > o_.max_retries) return failed(Fail::timeout, 0, false);
  if (state_ == State::requested || !master_) {
    // No answer to the RRQ, or a listener that hears nothing: ask again (the server answers a
    // known member with its OACK, mc=0 or 1).
    ++stats_.rrq_resent;
    deadline_us_ = now_us + o_.timeout_us;
    return Action{Action::Kind::rrq, Action::Why::timeout};
  }
  pos_acks_ = 0;
  gap_acked_ = false;
  Action a = ack(Action::Why::timeout, now_us);
  pos_acks_ = 1;
  window_end_ = contiguous_ + window_;
  return a;
}

size_t McastClient::write(const Action& a, proto::MutBytes out) const {
  if (unicast_mode()) return uni_.write(a, out);
  switch (a.kind) {
    case Action::Kind::none:
      return 0;
    case Action::Kind::rrq: {
      proto::TftpOptions o;
      if (o_.blksize) o.blksize = o_.blksize;
      o.tsize = o_.tsize;
      if (o_.windowsize) o.windowsize = o_.windowsize;
      o.multicast = std::string_view();
      return proto::write_tftp_request(out, proto::TftpOp::rrq, filename_, "octet", o);
    }
    case Action::Kind::ack:
      return proto::write_tftp_ack(out, a.block);
    case Action::Kind::error:
      return proto::write_tftp_error(out, a.code, fail_name(fail_));
  }
  return 0;
}

uint16_t McastClient::dest_port(const Action& a) const {
  return a.kind == Action::Kind::rrq ? proto::kTftpPort : server_port();
}

// --- PXE MTFTP ----------------------------------------------------------------------------

void MtftpClient::reset(const ClientOptions& o, const MtftpOptions& m, std::string_view filename,
                        proto::Bytes expected) {
  std::vector<uint64_t> bm = std::move(bitmap_);
  *this = MtftpClient();
  o_ = o;
  m_ = m;
  filename_ = filename;
  expected_ = expected;
  nblocks_ = blocks_of(expected.size(), proto::kTftpDefaultBlksize);
  bitmap_ = std::move(bm);
  bitmap_.assign(nblocks_ / 64 + 1, 0);
}

Action MtftpClient::failed(Fail f) {
  state_ = State::failed;
  fail_ = f;
  return {};
}

Action MtftpClient::start(uint64_t now_us) {
  // Block numbers do not roll over: MTFTP files have fewer than 65536 blocks.
  if (nblocks_ > 65535) return failed(Fail::protocol);
  state_ = State::listening;
  deadline_us_ = now_us + m_.listen_us;
  return {};
}

bool MtftpClient::take(uint16_t block, BlockCheck c, size_t len) {
  if (c != BlockCheck::ok) {
    failed(fail_of(c));
    return false;
  }
  set_bit(bitmap_, block);
  ++held_;
  bytes_ += len;
  return true;
}

Action MtftpClient::listen(uint64_t now_us) {
  state_ = State::listening;
  server_port_ = 0;
  deadline_us_ = now_us + m_.delay_us;
  return {};
}

Action MtftpClient::open(uint64_t now_us) {
  if (++mstats_.opens > o_.max_retries + 1) return failed(Fail::timeout);
  state_ = State::opening;
  server_port_ = 0;
  acked_ = 0;
  retries_ = 0;
  group1_seen_ = false;
  deadline_us_ = now_us + o_.timeout_us;
  return Action{Action::Kind::rrq, Action::Why::first};
}

Action MtftpClient::ack(uint16_t block, Action::Why why, uint64_t now_us) {
  ++stats_.acks;
  if (why == Action::Why::timeout) ++stats_.acks_timeout;
  if (why == Action::Why::duplicate) ++stats_.acks_dup;
  deadline_us_ = now_us + o_.timeout_us;
  return Action{Action::Kind::ack, why, block};
}

Action MtftpClient::on_packet(uint16_t server_port, proto::Bytes payload, uint64_t now_us) {
  if (finished() || state_ == State::idle) return {};
  auto p = proto::parse_tftp(payload);
  if (!p) {
    ++stats_.malformed;
    return {};
  }
  if (p->op == proto::TftpOp::error) {
    if (state_ == State::listening) return {};  // an answer to an old request
    error_code_ = p->error_code;
    return failed(Fail::server_error);
  }
  if (p->op != proto::TftpOp::data || p->block != 1) {
    ++stats_.strangers;
    return {};
  }
  ++stats_.data_frames;
  if (state_ == State::opening) {
    // Our transfer: block 1 to us, from the transfer's server port.
    if (!holds(1)) {
      if (!take(1, check_block(expected_, proto::kTftpDefaultBlksize, 1, p->data), p->data.size()))
        return {};
    } else {
      ++stats_.duplicates;
    }
    state_ = State::receiving;
    server_port_ = server_port;
    retries_ = 0;
    acked_ = 1;
    Action a = ack(1, nblocks_ == 1 ? Action::Why::last : Action::Why::first, now_us);
    if (held_ == nblocks_ && nblocks_ == 1) state_ = State::done;
    return a;
  }
  if (state_ == State::receiving && server_port == server_port_ && acked_ == 1) {
    ++stats_.duplicates;  // block 1 again: our ACK 1 was lost
    return ack(1, Action::Why::duplicate, now_us);
  }
  ++stats_.strangers;
  return {};
}

Action MtftpClient::on_group_data(const GroupFrame& f, uint64_t now_us) {
  if (finished() || state_ == State::idle) return {};
  ++stats_.data_frames;
  ++mstats_.group_frames;
  const uint16_t b = f.block();
  if (!holds(b)) {
    if (!take(b, f.check(proto::kTftpDefaultBlksize), f.size())) return {};
  } else {
    ++stats_.duplicates;
  }
  const bool all = held_ == nblocks_;
  switch (state_) {
    case State::listening:
      deadline_us_ = now_us + m_.delay_us;
      if (all) {
        ++mstats_.done_as_listener;
        state_ = State::done;
      }
      return {};
    case State::opening:
      if (all) {
        ++mstats_.done_as_listener;
        state_ = State::done;
        return {};
      }
      if (b == 1) group1_seen_ = true;
      if (b > 1) {
        // Someone else's transfer is on the group: listen to it.
        ++mstats_.back_to_listen;
        return listen(now_us);
      }
      return {};
    case State::receiving:
      break;
    default:
      return {};
  }
  if (f.sport() != server_port_) {
    ++stats_.strangers;  // another transfer of the same file: kept, not acknowledged
    if (all) {
      ++mstats_.done_as_listener;
      state_ = State::done;
    }
    return {};
  }
  Action a;
  if (b == uint16_t(acked_ + 1)) {
    acked_ = b;
    retries_ = 0;
    a = ack(b, b == nblocks_ ? Action::Why::last : Action::Why::window, now_us);
  } else if (b == acked_) {
    if (b == 1 && !group1_seen_) {
      group1_seen_ = true;  // the group's copy of the block 1 we had unicast
    } else {
      a = ack(b, Action::Why::duplicate, now_us);  // the server resends: our ACK was lost
    }
  } else {
    ++stats_.out_of_order;
  }
  if (all && acked_ == nblocks_) {
    ++mstats_.done_as_master;
    state_ = State::done;
  }
  return a;
}

[[gnu::always_inline]] inline bool MtftpClient::quiet_frame(const GroupFrame& f, uint64_t now_us) {
  const uint16_t b = f.block();
  if (state_ != State::listening || b == 0 || b > nblocks_) return false;
  const bool fresh = !holds(b);
  if (fresh && (held_ + 1 >= nblocks_ || f.check(proto::kTftpDefaultBlksize) != BlockCheck::ok))
    return false;
  ++stats_.data_frames;
  ++mstats_.group_frames;
  deadline_us_ = now_us + m_.delay_us;
  if (!fresh) {
    ++stats_.duplicates;
    return true;
  }
  set_bit(bitmap_, b);
  ++held_;
  bytes_ += f.size();
  return true;
}

size_t MtftpClient::on_group_frames(std::span<const GroupFrame> f, uint64_t now_us, Action* a) {
  size_t i = 0;
  *a = Action{};
  while (i < f.size()) {
    if (quiet_frame(f[i], now_us)) {
      ++i;
      continue;
    }
    *a = on_group_data(f[i++], now_us);
    if (a->kind != Action::Kind::none || finished()) break;
  }
  return i;
}

Action MtftpClient::on_timeout(uint64_t now_us) {
  if (finished() || state_ == State::idle || now_us < deadline_us_) return {};
  switch (state_) {
    case State::listening:
      return open(now_us);
    case State::opening:
      if (++retries_ > o_.max_retries) {
        ++mstats_.back_to_listen;
        return listen(now_us);
      }
      ++stats_.rrq_resent;
      deadline_us_ = now_us + o_.timeout_us;
      return Action{Action::Kind::rrq, Action::Why::timeout};
    case State::receiving:
      if (++retries_ > o_.max_retries) {
        ++mstats_.back_to_listen;
        return listen(now_us);
      }
      return ack(acked_, Action::Why::timeout, now_us);
    default:
      return {};
  }
}

size_t MtftpClient::write(const Action& a, proto::MutBytes out) const {
  switch (a.kind) {
    case Action::Kind::none:
      return 0;
    case Action::Kind::rrq:
      return proto::write_tftp_request(out, proto::TftpOp::rrq, filename_, "octet",
                                       proto::TftpOptions{});
    case Action::Kind::ack:
      return proto::write_tftp_ack(out, a.block);
    case Action::Kind::error:
      return proto::write_tftp_error(out, a.code, fail_name(fail_));
  }
  return 0;
}

uint16_t MtftpClient::dest_port(const Action& a) const {
  return a.kind == Action::Kind::rrq ? m_.server_port : server_port_;
}

}  // namespace bs::bench
