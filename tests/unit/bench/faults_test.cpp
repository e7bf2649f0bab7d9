// The bench's own faults: seeded, counted, and each kind doing what it says.
#include "bench/faults.hpp"

#include <gtest/gtest.h>

namespace bs::bench {
namespace {

std::vector<uint8_t> frame(uint8_t tag) {
  return std::vector<uint8_t>(60, tag);
}

TEST(FaultSpec, ParsesAndNamesWhatIsValid) {
  FaultSpec s;
  EXPECT_EQ(
      parse_fault_spec("loss=0.02,dup=1%,reorder=0.5,reorder-by=3ms,delay=2ms,jitter=500us", s),
      "");
  EXPECT_DOUBLE_EQ(s.loss, 0.02);
  EXPECT_DOUBLE_EQ(s.duplicate, 0.01);
  EXPECT_DOUBLE_EQ(s.reorder, 0.5);
  EXPECT_EQ(s.reorder_us, 3000u);
  EXPECT_EQ(s.delay_us, 2000u);
  EXPECT_EQ(s.jitter_us, 500u);
  FaultSpec t;
  EXPECT_NE(parse_fault_spec("los=0.1", t).find("valid are loss"), std::string::npos);
  EXPECT_NE(parse_fault_spec("loss=2", t).find("probability"), std::string::npos);
  EXPECT_NE(parse_fault_spec("delay=5", t).find("us, ms or s"), std::string::npos);
  EXPECT_NE(parse_fault_spec("loss", t).find("key=value"), std::string::npos);
}

TEST(FaultLine, NoFaultsPassEverythingAtOnce) {
  FaultLine l(FaultSpec{}, 1);
  auto f = frame(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(l.push(f, uint64_t(i)), 1u);
  EXPECT_EQ(l.held(), 0u);
  EXPECT_EQ(l.stats().frames, 100u);
}

TEST(FaultLine, LossIsAboutTheRateAndSeeded) {
  FaultSpec s;
  s.loss = 0.02;
  auto run = [&](uint64_t seed) {
    FaultLine l(s, seed);
    auto f = frame(1);
    uint64_t passed = 0;
    for (int i = 0; i < 100000; ++i) passed += l.push(f, 0);
    EXPECT_EQ(passed + l.stats().dropped, 100000u);
    return l.stats().dropped;
  };
  const uint64_t a = run(7);
  EXPECT_EQ(a, run(7));  // same seed, same fate
  EXPECT_NE(a, run(8));
  EXPECT_GT(a, 1700u);
  EXPECT_LT(a, 2300u);
}

TEST(FaultLine, DelayHoldsAndReleasesInOrder) {
  FaultSpec s;
  s.delay_us = 1000;
  FaultLine l(s, 1);
  EXPECT_EQ(l.push(frame(1), 0), 0u);
  EXPECT_EQ(l.push(frame(2), 10), 0u);
  std::vector<uint8_t> out;
  EXPECT_FALSE(l.pop(999, out));
  ASSERT_TRUE(l.pop(1000, out));
  EXPECT_EQ(out[0], 1);
  EXPECT_FALSE(l.pop(1009, out));
  ASSERT_TRUE(l.pop(1010, out));
  EXPECT_EQ(out[0], 2);
  EXPECT_EQ(l.stats().delayed, 2u);
}

TEST(FaultLine, ReorderLetsLaterFramesOvertake) {
  FaultSpec s;
  s.reorder = 1;  // every frame held back...
  s.reorder_us = 100;
  FaultLine l(s, 1);
  EXPECT_EQ(l.push(frame(1), 0), 0u);
  s.reorder = 0;
  FaultLine m(s, 1);
  // ...so a frame sent 50 us later on a clean line arrives first.
  EXPECT_EQ(m.push(frame(2), 50), 1u);
  std::vector<uint8_t> out;
  EXPECT_FALSE(l.pop(99, out));
  EXPECT_TRUE(l.pop(100, out));
  EXPECT_EQ(l.stats().reordered, 1u);
}

TEST(FaultLine, DuplicateDeliversTwice) {
  FaultSpec s;
  s.duplicate = 1;
  s.dup_gap_us = 5;
  FaultLine l(s, 1);
  EXPECT_EQ(l.push(frame(9), 0), 1u);  // once now
  std::vector<uint8_t> out;
  EXPECT_FALSE(l.pop(4, out));
  ASSERT_TRUE(l.pop(5, out));  // and once more
  EXPECT_EQ(out, frame(9));
  EXPECT_EQ(l.stats().duplicated, 1u);
  EXPECT_EQ(l.next_due(), UINT64_MAX);
}

}  // namespace
}  // namespace bs::bench
