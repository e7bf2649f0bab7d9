#include "faults.hpp"

#include <charconv>
#include <cmath>

namespace bs::bench {

namespace {

bool parse_prob(std::string_view v, double& out) {
  const bool pct = !v.empty() && v.back() == '%';
  if (pct) v.remove_suffix(1);
  double x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size() || !std::isfinite(x)) return false;
  if (pct) x /= 100;
  if (x < 0 || x > 1) return false;
  out = x;
  return true;
}

bool parse_time_us(std::string_view v, uint64_t& out) {
  double scale = 1;
  if (v.ends_with("us")) {
    v.remove_suffix(2);
  } else if (v.ends_with("ms")) {
    v.remove_suffix(2), scale = 1e3;
  } else if (v.ends_with("s")) {
    v.remove_suffix(1), scale = 1e6;
  } else {
    return false;
  }
  double x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size() || !std::isfinite(x) || x < 0 || x > 3600)
    return false;
  out = uint64_t(x * scale);
  return true;
}

}  // namespace

std::string parse_fault_spec(std::string_view text, FaultSpec& out) {
  FaultSpec s;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return "'" + std::string(item) +
             "': expected key=value (loss, dup, reorder, reorder-by, delay, jitter)";
    const std::string_view k = item.substr(0, eq), v = item.substr(eq + 1);
    bool ok = true;
    if (k == "loss") {
      ok = parse_prob(v, s.loss);
    } else if (k == "dup") {
      ok = parse_prob(v, s.duplicate);
    } else if (k == "reorder") {
      ok = parse_prob(v, s.reorder);
    } else if (k == "reorder-by") {
      ok = parse_time_us(v, s.reorder_us);
    } else if (k == "delay") {
      ok = parse_time_us(v, s.delay_us);
    } else if (k == "jitter") {
      ok = parse_time_us(v, s.jitter_us);
    } else {
      return "unknown fault '" + std::string(k) +
             "': valid are loss, dup, reorder (probabilities 0..1 or N%), reorder-by, delay, "
             "jitter (times with us, ms or s)";
    }
    if (!ok)
      return "bad value '" + std::string(v) + "' for " + std::string(k) +
             (k == "delay" || k == "jitter" || k == "reorder-by"
                  ? ": a time with us, ms or s (at most 3600 s)"
                  : ": a probability 0..1 or a percentage");
  }
  out = s;
  return {};
}

FaultLine::FaultLine(const FaultSpec& s, uint64_t seed) : s_(s), rng_(seed) {}

void FaultLine::hold(proto::Bytes frame, uint64_t due_us) {
  held_.push(Held{due_us, seq_++, std::vector<uint8_t>(frame.begin(), frame.end())});
}

unsigned FaultLine::push(proto::Bytes frame, uint64_t now_us) {
  ++stats_.frames;
  if (chance(s_.loss)) {
    ++stats_.dropped;
    return 0;
  }
  uint64_t due = now_us + s_.delay_us;
  if (s_.jitter_us) due += uint64_t(uniform_(rng_) * double(s_.jitter_us));
  if (due != now_us) ++stats_.delayed;
  if (chance(s_.reorder)) {
    ++stats_.reordered;
    due += s_.reorder_us;
  }
  const bool dup = chance(s_.duplicate);
  unsigned now = 0;
  if (due == now_us) {
    now = 1;
  } else {
    hold(frame, due);
  }
  if (dup) {
    ++stats_.duplicated;
    hold(frame, due + s_.dup_gap_us);
  }
  return now;
}

bool FaultLine::pop(uint64_t now_us, std::vector<uint8_t>& out) {
  if (held_.empty() || held_.top().due_us > now_us) return false;
  // top() is const: move the bytes out through a const_cast of the vector only (the heap
  // order depends on due_us and seq, which stay).
  out = std::move(const_cast<Held&>(held_.top()).bytes);
  held_.pop();
  return true;
}

}  // namespace bs::bench
