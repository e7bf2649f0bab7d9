// The retransmission timer of a transfer: RFC 6298's estimator (alpha 1/8, beta 1/4, RTO =
// SRTT + 4 RTTVAR), clamped to [min, max], doubling per consecutive timeout. Karn's rule is the
// caller's: it samples only round trips of packets sent once.
#pragma once
#include <algorithm>
#include <cstdint>

namespace bs::tftp {

class Rto {
 public:
  void init(uint64_t initial_us, uint64_t min_us, uint64_t max_us) {
    *this = Rto{};
    min_us_ = std::max<uint64_t>(min_us, 1);
    max_us_ = std::max(max_us, min_us_);
    rto_us_ = std::clamp(initial_us, min_us_, max_us_);
  }
  // The client's own timeout (RFC 2349) as a cap: never wait longer than it asked.
  void cap(uint64_t max_us) {
    max_us_ = std::min(max_us_, max_us);
    min_us_ = std::min(min_us_, max_us_);
    rto_us_ = std::min(rto_us_, max_us_);
  }
  // The client's timeout as the exact interval: no estimation, no backoff.
  void fix(uint64_t us) {
    fixed_ = true;
    rto_us_ = min_us_ = max_us_ = us;
  }
  void sample(uint64_t rtt_us) {
    if (fixed_) return;
    if (srtt_us_ == 0) {  // RFC 6298 2.2
      srtt_us_ = std::max<uint64_t>(rtt_us, 1);
      rttvar_us_ = rtt_us / 2;
    } else {  // 2.3
      const uint64_t diff = srtt_us_ > rtt_us ? srtt_us_ - rtt_us : rtt_us - srtt_us_;
      rttvar_us_ = (3 * rttvar_us_ + diff) / 4;
      srtt_us_ = (7 * srtt_us_ + rtt_us) / 8;
    }
    rto_us_ = std::clamp(srtt_us_ + 4 * rttvar_us_, min_us_, max_us_);
  }
  // The interval after `timeouts` consecutive timeouts: doubled each time, up to the cap.
  uint64_t backed_off(uint32_t timeouts) const {
    if (fixed_) return rto_us_;
    return std::min(max_us_, rto_us_ << std::min<uint32_t>(timeouts, 20));
  }
  uint64_t us() const { return rto_us_; }
  uint64_t srtt_us() const { return srtt_us_; }
  uint64_t max_us() const { return max_us_; }

 private:
  uint64_t rto_us_ = 200000, srtt_us_ = 0, rttvar_us_ = 0;
  uint64_t min_us_ = 2000, max_us_ = 6000000;
  bool fixed_ = false;
};

}  // namespace bs::tftp
