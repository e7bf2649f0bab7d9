// The bench's own faults on what the simulated machines receive and send: this kernel has no
// netem, so a lossy, slow or disorderly network is reproduced here. One FaultLine per direction;
// each frame meets, in this order: loss, then a fixed delay plus jitter, then reordering (held
// back reorder_us so the frames after it overtake it), then duplication (a second copy
// dup_gap_us later). Decisions come from a seeded generator: one seed, one run's fate.
#pragma once
#include <cstdint>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "dataplane/proto/bytes.hpp"

namespace bs::bench {

struct FaultSpec {
  double loss = 0;       // probability a frame is dropped
  double duplicate = 0;  // probability a frame arrives twice
  double reorder = 0;    // probability a frame is held back so later ones overtake it
  uint64_t reorder_us = 2000;
  uint64_t dup_gap_us = 100;
  uint64_t delay_us = 0;   // added to every frame
  uint64_t jitter_us = 0;  // + uniform 0..jitter_us (also reorders: frames keep no order)
  bool active() const {
    return loss > 0 || duplicate > 0 || reorder > 0 || delay_us > 0 || jitter_us > 0;
  }
};

// "loss=0.02,dup=0.01,reorder=0.01,delay=5ms,jitter=1ms": keys loss, dup, reorder, reorder-by,
// delay, jitter; probabilities in [0, 1] (or percentages with '%'), times with us/ms/s. Returns
// "" or what is wrong with it.
std::string parse_fault_spec(std::string_view text, FaultSpec& out);

struct FaultStats {
  uint64_t frames = 0, dropped = 0, duplicated = 0, reordered = 0, delayed = 0;
};

class FaultLine {
 public:
  FaultLine(const FaultSpec& s, uint64_t seed);

  // One frame at now_us. Returns how many copies to deliver now, from the caller's buffer
  // (0 or 1); the others are copied and held until pop() releases them.
  unsigned push(proto::Bytes frame, uint64_t now_us);
  // The next held frame due by now_us into out (replacing its content); false when none.
  bool pop(uint64_t now_us, std::vector<uint8_t>& out);
  // When the next held frame is due (UINT64_MAX: none held).
  uint64_t next_due() const { return held_.empty() ? UINT64_MAX : held_.top().due_us; }
  size_t held() const { return held_.size(); }
  const FaultStats& stats() const { return stats_; }
  const FaultSpec& spec() const { return s_; }

 private:
  struct Held {
    uint64_t due_us;
    uint64_t seq;
    std::vector<uint8_t> bytes;
    bool operator>(const Held& o) const {
      return due_us != o.due_us ? due_us > o.due_us : seq > o.seq;
    }
  };
  bool chance(double p) { return p > 0 && uniform_(rng_) < p; }
  void hold(proto::Bytes frame, uint64_t due_us);

  FaultSpec s_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  std::priority_queue<Held, std::vector<Held>, std::greater<Held>> held_;
  uint64_t seq_ = 0;
  FaultStats stats_;
};

}  // namespace bs::bench
