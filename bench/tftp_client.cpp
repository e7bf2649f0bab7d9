#include "tftp_client.hpp"

#include <cstring>

namespace bs::bench {

const char* fail_name(Fail f) {
  switch (f) {
    case Fail::none:
      return "none";
    case Fail::timeout:
      return "timeout";
    case Fail::server_error:
      return "server_error";
    case Fail::bad_oack:
      return "bad_oack";
    case Fail::tsize_mismatch:
      return "tsize_mismatch";
    case Fail::corrupt:
      return "corrupt";
    case Fail::too_long:
      return "too_long";
    case Fail::short_file:
      return "short_file";
    case Fail::protocol:
      return "protocol";
  }
  return "?";
}

void TftpClient::reset(const ClientOptions& o, std::string_view filename, proto::Bytes expected) {
  *this = TftpClient();
  o_ = o;
  filename_ = filename;
  expected_ = expected;
}

void TftpClient::keep(std::string* out) {
  kept_ = out;
  if (kept_) kept_->clear();
}

uint64_t TftpClient::timeout_now() const {
  double t = double(o_.timeout_us);
  for (uint32_t i = 0; i < retries_ && o_.backoff > 1; ++i) {
    t *= o_.backoff;
    if (o_.max_timeout_us && t >= double(o_.max_timeout_us)) break;
  }
  if (o_.max_timeout_us && t > double(o_.max_timeout_us)) t = double(o_.max_timeout_us);
  return uint64_t(t);
}

Action TftpClient::start(uint64_t now_us) {
  state_ = State::requested;
  deadline_us_ = now_us + timeout_now();
  return Action{Action::Kind::rrq, Action::Why::first};
}

Action TftpClient::failed(Fail f, uint16_t code, bool tell_server) {
  state_ = State::failed;
  fail_ = f;
  if (!tell_server) return {};
  return Action{Action::Kind::error, Action::Why::fail, 0, code};
}

Action TftpClient::ack(Action::Why why, uint64_t now_us) {
  acked_ = true;
  in_window_ = 0;
  ++stats_.acks;
  if (why == Action::Why::timeout) ++stats_.acks_timeout;
  if (why == Action::Why::gap) ++stats_.acks_gap;
  if (why == Action::Why::duplicate) ++stats_.acks_dup;
  if (why != Action::Why::gap && why != Action::Why::duplicate)
    deadline_us_ = now_us + timeout_now();
  return Action{Action::Kind::ack, why, wire(next_ - 1)};
}

Action TftpClient::on_packet(uint16_t server_port, proto::Bytes payload, uint64_t now_us) {
  if (state_ != State::requested && state_ != State::receiving) return {};
  auto p = proto::parse_tftp(payload);
  if (!p) {
    ++stats_.malformed;
    return {};
  }
  if (state_ == State::requested) {
    server_port_ = server_port;  // the first answer fixes the server's transfer ID
  } else if (server_port != server_port_) {
    ++stats_.strangers;
    return {};
  }
  switch (p->op) {
    case proto::TftpOp::error:
      error_code_ = p->error_code;
      return failed(Fail::server_error, 0, false);
    case proto::TftpOp::oack:
      return on_oack(p->options, now_us);
    case proto::TftpOp::data:
      if (state_ == State::requested) {
        // No OACK: the server ignored the options (RFC 2347): 512-byte blocks, lock-step.
        state_ = State::receiving;
        blksize_ = proto::kTftpDefaultBlksize;
        window_ = 1;
      }
      return on_data(p->block, p->data, now_us);
    default:
      ++stats_.malformed;
      return {};
  }
}

Action TftpClient::on_oack(const proto::TftpOptions& got, uint64_t now_us) {
  if (state_ == State::receiving) {
    // Our ACK 0 was lost and the server sent its OACK again; after DATA it is stale.
    if (next_ != 1) return {};
    return ack(Action::Why::duplicate, now_us);
  }
  // RFC 2347: only options the client asked for, with values no larger than asked (RFC 2348,
  // 7440); anything else ends the transfer with ERROR 8.
  if (got.blksize && (o_.blksize == 0 || *got.blksize > o_.blksize))
    return failed(Fail::bad_oack, proto::kErrOptionRefused, true);
  if (got.windowsize && (o_.windowsize == 0 || *got.windowsize > o_.windowsize))
    return failed(Fail::bad_oack, proto::kErrOptionRefused, true);
  if (got.tsize) {
    tsize_ = got.tsize_value;
    if (!o_.tsize) return failed(Fail::bad_oack, proto::kErrOptionRefused, true);
    if (o_.verify && *tsize_ != expected_.size())
      return failed(Fail::tsize_mismatch, proto::kErrOptionRefused, true);
  }
  blksize_ = got.blksize.value_or(proto::kTftpDefaultBlksize);
  window_ = got.windowsize.value_or(1);
  state_ = State::receiving;
  retries_ = 0;
  return ack(Action::Why::oack, now_us);
}

Action TftpClient::on_data(uint16_t block, proto::Bytes data, uint64_t now_us) {
  ++stats_.data_frames;
  stats_.data_bytes += data.size();
  const int16_t d = int16_t(uint16_t(block - wire(next_)));
  if (d < 0) {
    ++stats_.duplicates;
    // The server resends what we acknowledged: that ACK was lost. Answer the window's last
    // block (or, lock-step, each resend); ignore the rest of a resent window.
    if (acked_ && block == wire(next_ - 1)) return ack(Action::Why::duplicate, now_us);
    return {};
  }
  if (d > 0) {
    ++stats_.out_of_order;
    // A gap: ACK the last in-order block once, so the server restarts the window after it.
    if (!acked_) return ack(Action::Why::gap, now_us);
    return {};
  }
  if (data.size() > blksize_) return failed(Fail::protocol, proto::kErrIllegalOp, true);
  const uint64_t offset = (next_ - 1) * blksize_;
  // Without verify, a tsize offered is the size to hold the data to.
  const uint64_t size = o_.verify ? expected_.size() : tsize_.value_or(UINT64_MAX);
  if (offset + data.size() > size) return failed(Fail::too_long, proto::kErrUndefined, true);
  if (o_.verify && !data.empty() &&
      std::memcmp(expected_.data() + offset, data.data(), data.size()) != 0)
    return failed(Fail::corrupt, proto::kErrUndefined, true);
  if (kept_) kept_->append(reinterpret_cast<const char*>(data.data()), data.size());
  ++next_;
  bytes_ += data.size();
  retries_ = 0;
  acked_ = false;
  deadline_us_ = now_us + timeout_now();
  if (data.size() < blksize_) {
    if (bytes_ != size && (o_.verify || tsize_))
      return failed(Fail::short_file, proto::kErrUndefined, true);
    Action a = ack(Action::Why::last, now_us);
    state_ = State::done;
    return a;
  }
  if (++in_window_ >= window_) return ack(Action::Why::window, now_us);
  return {};
}

Action TftpClient::on_timeout(uint64_t now_us) {
  if (finished() || state_ == State::idle || now_us < deadline_us_) return {};
  if (++retries_ > o_.max_retries) return failed(Fail::timeout, 0, false);
  if (state_ == State::requested) {
    ++stats_.rrq_resent;
    deadline_us_ = now_us + timeout_now();
    return Action{Action::Kind::rrq, Action::Why::timeout};
  }
  return ack(Action::Why::timeout, now_us);
}

size_t TftpClient::write(const Action& a, proto::MutBytes out) const {
  switch (a.kind) {
    case Action::Kind::none:
      return 0;
    case Action::Kind::rrq: {
      proto::TftpOptions o;
      if (o_.blksize) o.blksize = o_.blksize;
      o.tsize = o_.tsize;
      if (o_.windowsize) o.windowsize = o_.windowsize;
      return proto::write_tftp_request(out, proto::TftpOp::rrq, filename_, "octet", o);
    }
    case Action::Kind::ack:
      return proto::write_tftp_ack(out, a.block);
    case Action::Kind::error:
      return proto::write_tftp_error(out, a.code, fail_name(fail_));
  }
  return 0;
}

}  // namespace bs::bench
