// Flood limits for the DHCP server: a token bucket per MAC (a direct-mapped table: a MAC that
// collides with another takes the slot over with a full bucket, which is the worst a flood of
// random MACs can get, and is what the global bucket is for) and one bucket for every message
// from MACs without a reservation, so reserved hosts are served whatever the flood. Each bucket
// holds one second of its rate. No allocation after configure().
#pragma once
#include <cstdint>
#include <vector>

#include "../proto/bytes.hpp"

namespace bs::dhcp {

class RateLimiter {
 public:
  enum class Verdict : uint8_t { ok, over_mac, over_global };
  static constexpr uint32_t kMacSlots = 1u << 16;

  // Rates in messages per second; 0 = no limit.
  void configure(uint32_t mac_rate, uint32_t global_rate);
  Verdict allow(const proto::Mac& m, bool reserved, uint64_t now_us);

 private:
  struct Bucket {
    uint64_t key = 0;     // Mac::key() + 1; 0 = empty
    uint64_t tokens = 0;  // in millionths of a message
    uint64_t last_us = 0;
  };
  static bool take(Bucket& b, uint32_t rate, uint64_t now_us);

  uint32_t mac_rate_ = 0, global_rate_ = 0;
  std::vector<Bucket> macs_;
  Bucket global_;
};

}  // namespace bs::dhcp
