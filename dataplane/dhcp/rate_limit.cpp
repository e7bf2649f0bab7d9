#include "rate_limit.hpp"

namespace bs::dhcp {

namespace {
constexpr uint64_t kOne = 1000000;  // one message, in bucket units
}

void RateLimiter::configure(uint32_t mac_rate, uint32_t global_rate) {
  if (mac_rate != mac_rate_) macs_.assign(mac_rate ? kMacSlots : 0, Bucket{});
  mac_rate_ = mac_rate;
  if (global_rate != global_rate_) global_ = Bucket{};
  global_rate_ = global_rate;
}

bool RateLimiter::take(Bucket& b, uint32_t rate, uint64_t now_us) {
  const uint64_t cap = uint64_t(rate) * kOne;  // one second's worth
  if (b.last_us == 0) {
    b.tokens = cap;
  } else if (now_us > b.last_us) {
    const uint64_t add = (now_us - b.last_us) * rate;  // us * msgs/s = millionths of a message
    b.tokens = b.tokens + add > cap ? cap : b.tokens + add;
  }
  b.last_us = now_us;
  if (b.tokens < kOne) return false;
  b.tokens -= kOne;
  return true;
}

RateLimiter::Verdict RateLimiter::allow(const proto::Mac& m, bool reserved, uint64_t now_us) {
  if (now_us == 0) now_us = 1;  // 0 marks an unused bucket
  if (mac_rate_) {
    const uint64_t key = m.key() + 1;
    Bucket& b = macs_[(key * 0x9e3779b97f4a7c15ull) >> 48];
    if (b.key != key) b = Bucket{key, 0, 0};
    if (!take(b, mac_rate_, now_us)) return Verdict::over_mac;
  }
  if (global_rate_ && !reserved && !take(global_, global_rate_, now_us))
    return Verdict::over_global;
  return Verdict::ok;
}

}  // namespace bs::dhcp
