#include <gtest/gtest.h>

#include "dhcp/rate_limit.hpp"

namespace bs::dhcp {
namespace {

using V = RateLimiter::Verdict;

proto::Mac mac(uint8_t a, uint8_t b = 0) {
  return proto::Mac{{2, 0, 0, 0, b, a}};
}

TEST(RateLimiter, PerMacBucketHoldsOneSecondAndRefills) {
  RateLimiter r;
  r.configure(10, 0);
  uint64_t t = 1000000;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(r.allow(mac(1), false, t), V::ok) << i;
  EXPECT_EQ(r.allow(mac(1), false, t), V::over_mac);
  EXPECT_EQ(r.allow(mac(2), false, t), V::ok);  // another MAC has its own bucket
  t += 100000;                                  // 0.1 s: one message back
  EXPECT_EQ(r.allow(mac(1), false, t), V::ok);
  EXPECT_EQ(r.allow(mac(1), false, t), V::over_mac);
  t += 10000000;  // long quiet: full again, but never above one second's worth
  for (int i = 0; i < 10; ++i) EXPECT_EQ(r.allow(mac(1), false, t), V::ok);
  EXPECT_EQ(r.allow(mac(1), false, t), V::over_mac);
}

TEST(RateLimiter, GlobalLimitSparesReservedHosts) {
  RateLimiter r;
  r.configure(0, 100);
  uint64_t t = 5000000;
  int ok = 0;
  for (int i = 0; i < 1000; ++i) ok += r.allow(mac(uint8_t(i), uint8_t(i >> 8)), false, t) == V::ok;
  EXPECT_EQ(ok, 100);  // a flood of random MACs gets one second's worth
  EXPECT_EQ(r.allow(mac(9, 9), false, t), V::over_global);
  EXPECT_EQ(r.allow(mac(9, 9), true, t), V::ok);  // a reservation is always served
}

TEST(RateLimiter, ZeroMeansNoLimit) {
  RateLimiter r;
  r.configure(0, 0);
  for (int i = 0; i < 100000; ++i) ASSERT_EQ(r.allow(mac(1), false, 1), V::ok);
}

}  // namespace
}  // namespace bs::dhcp
