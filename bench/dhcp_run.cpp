#include "dhcp_run.hpp"

#include <cmath>
#include <cstdio>

namespace bs::bench {
namespace {

uint32_t low24(const proto::Mac& m) {
  return uint32_t(m.b[3]) << 16 | uint32_t(m.b[4]) << 8 | m.b[5];
}

uint64_t splitmix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::string fmt(const char* f, auto... args) {
  char buf[256];
  const int n = std::snprintf(buf, sizeof buf, f, args...);
  return std::string(buf, n < 0 ? 0 : std::min<size_t>(size_t(n), sizeof buf - 1));
}

using ull = unsigned long long;

}  // namespace

void XchgStats::delay(double s) {
  if (received == 0 || s < min_s) min_s = s;
  if (received == 0 || s > max_s) max_s = s;
  sum_s += s;
  sum_sq_s += s * s;
  ++received;
}

double XchgStats::std_s() const {
  if (received == 0) return 0;
  const double avg = avg_s();
  const double var = sum_sq_s / double(received) - avg * avg;
  return var > 0 ? std::sqrt(var) : 0;
}

DhcpRun::DhcpRun(DhcpRunConfig c, FrameSink& out) : c_(std::move(c)), out_(out), rng_(c_.seed) {
  if (c_.clients == 0) c_.clients = 1;
  if (c_.clients > (1u << 24)) c_.clients = 1u << 24;
  scratch_ = c_.client;
}

proto::Mac DhcpRun::client_mac(uint64_t k) const {
  proto::Mac m = c_.mac_base;
  const uint32_t v = (low24(m) + uint32_t(k)) & 0xffffff;
  m.b[3] = uint8_t(v >> 16);
  m.b[4] = uint8_t(v >> 8);
  m.b[5] = uint8_t(v);
  return m;
}

bool DhcpRun::is_ours(const proto::Mac& m) const {
  for (size_t i = 0; i < 3; ++i)
    if (m.b[i] != c_.mac_base.b[i]) return false;
  return ((low24(m) - low24(c_.mac_base)) & 0xffffff) < c_.clients;
}

double DhcpRun::elapsed_s() const {
  return s_.started && last_us_ > s_.first_start_us ? double(last_us_ - s_.first_start_us) / 1e6
                                                    : 0.0;
}

double DhcpRun::rate_achieved() const {
  const double e = elapsed_s();
  return e > 0 ? double(s_.request_ack.received) / e : 0.0;
}

uint32_t DhcpRun::new_xid() {
  for (;;) {
    const uint32_t x = uint32_t(splitmix(rng_));
    if (x != 0 && by_xid_.find(x) == by_xid_.end()) return x;
  }
}

void DhcpRun::stop(uint64_t now_us) {
  if (stopped_) return;
  stopped_ = true;
  stop_us_ = now_us;
}

void DhcpRun::poll(uint64_t now_us) {
  if (now_us > last_us_) last_us_ = now_us;
  if (!begun_) {
    begun_ = true;
    t0_ = now_us;
  }
  while (!timers_.empty() && timers_.top().at <= now_us) {
    const Timer t = timers_.top();
    timers_.pop();
    Slot& s = slots_[t.slot];
    if (!s.busy || s.gen != t.gen || s.c.deadline_us() != t.at) continue;  // stale
    drive(t.slot, now_us, 0, true,
          [&](proto::MutBytes f) { return slots_[t.slot].c.on_timeout(now_us, f); });
  }
  if (!stopped_) {
    const uint64_t planned = avalanche() ? c_.clients : c_.num_request;  // 0: no bound
    if (c_.duration_us && now_us - t0_ >= c_.duration_us) {
      stop(now_us);
    } else {
      uint64_t due;
      if (avalanche()) {
        due = planned;
      } else {
        const double d = c_.rate * double(now_us - t0_) / 1e6;
        due = d >= 1.8e19 ? UINT64_MAX : uint64_t(d) + 1;  // the first at t0
        if (planned && due > planned) due = planned;
      }
      for (uint32_t n = 0; launched_ < due && n < c_.starts_per_poll; ++n) start_one(now_us);
      if (planned && launched_ >= planned) stop(now_us);
    }
  }
  if (stopped_ && !finished_ &&
      (active_ == 0 ||
       (c_.exit_wait_us != DhcpClient::kNever && now_us - stop_us_ >= c_.exit_wait_us)))
    finished_ = true;
}

void DhcpRun::start_one(uint64_t now_us) {
  const uint64_t j = launched_++;
  if (active_ >= c_.max_active) {
    ++s_.start_skipped;
    return;
  }
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = uint32_t(slots_.size());
    slots_.emplace_back();
  }
  const uint64_t k = j % c_.clients;
  scratch_.mac = client_mac(k);
  // A UUID per client: "bsbench" and the MAC.
  scratch_.uuid = {'b', 's', 'b', 'e', 'n', 'c', 'h', 0, 0, 0};
  for (size_t i = 0; i < 6; ++i) scratch_.uuid[10 + i] = scratch_.mac.b[i];
  scratch_.xid = new_xid();
  Slot& s = slots_[slot];
  s.c.reset(scratch_);
  s.client = k;
  s.busy = true;
  by_xid_[scratch_.xid] = slot;
  ++active_;
  if (s_.started++ == 0) s_.first_start_us = now_us;
  drive(slot, now_us, 0, true, [&](proto::MutBytes f) { return slots_[slot].c.start(now_us, f); });
}

template <class F>
void DhcpRun::drive(uint32_t slot, uint64_t now_us, uint8_t type, bool may_send, F&& call) {
  DhcpClient& c = slots_[slot].c;
  const DhcpClient::State before = c.state();
  const DhcpClientStats was = c.stats();
  const uint64_t deadline = c.deadline_us();
  proto::MutBytes f = may_send ? out_.frame() : proto::MutBytes();
  const size_t len = call(f);
  if (len) {
    out_.send(len);
    ++s_.frames_tx;
  } else if (c.stats().discovers + c.stats().requests > was.discovers + was.requests) {
    ++s_.tx_no_room;  // counted as sent by the client: its timer resends it
  }
  account(slots_[slot], before, was, type);
  if (c.finished()) {
    end(slot, now_us);
  } else if (c.deadline_us() != deadline && c.deadline_us() != DhcpClient::kNever) {
    timers_.push(Timer{c.deadline_us(), slot, slots_[slot].gen});
  }
}

void DhcpRun::orphan(uint8_t type) {
  if (type == proto::kOffer)
    ++s_.discover_offer.orphans;
  else if (type == proto::kAck || type == proto::kNak)
    ++s_.request_ack.orphans;
  else
    ++s_.other_types;
}

void DhcpRun::account(Slot& s, DhcpClient::State before, const DhcpClientStats& was, uint8_t type) {
  using St = DhcpClient::State;
  const DhcpClient& c = s.c;
  const DhcpClientStats& st = c.stats();
  XchgStats& d = s_.discover_offer;
  XchgStats& r = s_.request_ack;
  if (st.ignored > was.ignored) orphan(type);
  if (st.unusable > was.unusable) ++(type == proto::kOffer ? d : r).rejected;
  if (st.retransmits > was.retransmits) ++(before == St::selecting ? d : r).resent;
  const St after = c.state();
  if (before == St::idle && after == St::selecting) {
    ++d.sent;
  } else if (before == St::selecting && after == St::requesting) {
    d.delay(double(st.offer_us) / 1e6);
    ++r.sent;
  } else if (before == St::selecting && after == St::failed) {
    ++d.collected;
  } else if (before == St::requesting && after == St::bound) {
    r.delay(double(st.ack_us) / 1e6);
    const auto [it, fresh] = holder_.try_emplace(c.lease().ip, s.client);
    if (!fresh && it->second != s.client) {
      ++r.non_unique;
      it->second = s.client;
    }
  } else if (before == St::requesting && after == St::selecting) {  // NAK: a new round
    ++r.rejected;
    ++d.sent;
  } else if (before == St::requesting && after == St::failed) {
    ++(c.fail() == DhcpFail::nak_loop ? r.rejected : r.collected);
  }
}

void DhcpRun::end(uint32_t slot, uint64_t now_us) {
  Slot& s = slots_[slot];
  by_xid_.erase(s.c.xid());
  if (s.c.state() == DhcpClient::State::bound) {
    ++s_.bound;
  } else {
    ++s_.failed;
    ++s_.fails[unsigned(s.c.fail())];
  }
  s_.last_end_us = now_us;
  s.busy = false;
  ++s.gen;
  free_.push_back(slot);
  --active_;
}

void DhcpRun::on_frame(proto::Bytes frame, uint64_t now_us) {
  if (now_us > last_us_) last_us_ = now_us;
  ++s_.frames_rx;
  auto eth = proto::parse_eth(frame);
  if (!eth) {
    ++s_.bad_frames;
    return;
  }
  if (eth->type != proto::kEtherIpv4) {
    ++s_.not_dhcp;
    return;
  }
  if (!eth->dst.is_broadcast() && !is_ours(eth->dst)) {
    ++s_.not_ours;
    return;
  }
  auto u = proto::parse_udp_frame(frame);
  if (!u) {
    if (u.error() == Drop::ipv4_not_udp)
      ++s_.not_dhcp;
    else
      ++s_.bad_frames;
    return;
  }
  if (u->udp.sport != proto::kDhcpServerPort || u->udp.dport != proto::kDhcpClientPort) {
    ++s_.not_dhcp;
    return;
  }
  auto r = proto::parse_dhcp_reply(u->payload);
  if (!r) {
    ++s_.malformed;
    return;
  }
  if (!is_ours(r->chaddr)) {
    ++s_.not_ours;
    return;
  }
  const auto it = by_xid_.find(r->xid);
  if (it == by_xid_.end()) {
    orphan(r->type);
    return;
  }
  const uint32_t slot = it->second;
  const bool may_send = r->type == proto::kOffer || r->type == proto::kNak;
  drive(slot, now_us, r->type, may_send,
        [&](proto::MutBytes f) { return slots_[slot].c.on_reply(*r, u->eth.src, now_us, f); });
}

// --- reports ----------------------------------------------------------------------------

namespace {

// Kea 2.2's printMainStats: the first exchange's drops ratio in the stream's default format,
// the second's after printRTTStats left it at fixed, 3 decimals.
void main_stats(std::string& o, const XchgStats& x, bool fixed3) {
  o += fmt("sent packets: %llu\n", ull(x.sent));
  o += fmt("received packets: %llu\n", ull(x.received));
  o += fmt("drops: %llu\n", ull(x.drops()));
  if (x.sent == 0)
    o += "drops ratio: nan %\n";
  else
    o += fmt(fixed3 ? "drops ratio: %.3f %%\n" : "drops ratio: %.6g %%\n",
             100.0 * double(x.drops()) / double(x.sent));
  o += fmt("orphans: %llu\n", ull(x.orphans));
  o += fmt("rejected leases: %llu\n", ull(x.rejected));
  o += fmt("non unique addresses: %llu\n", ull(x.non_unique));
}

void rtt_stats(std::string& o, const XchgStats& x) {
  if (x.received == 0) {
    o += "min delay: n/a\navg delay: n/a\nmax delay: n/a\nstd deviation: n/a\n";
  } else {
    o += fmt("min delay: %.3f ms\n", x.min_s * 1e3);
    o += fmt("avg delay: %.3f ms\n", x.avg_s() * 1e3);
    o += fmt("max delay: %.3f ms\n", x.max_s * 1e3);
    o += fmt("std deviation: %.3f ms\n", x.std_s() * 1e3);
  }
  o += fmt("collected packets: %llu\n", ull(x.collected));
}

// "00:00:02.014604"
std::string hms(uint64_t us) {
  return fmt("%02llu:%02llu:%02llu.%06llu", ull(us / 3600000000ull), ull(us / 60000000 % 60),
             ull(us / 1000000 % 60), ull(us % 1000000));
}

uint64_t took_us(const DhcpRunStats& s) {
  return s.last_end_us > s.first_start_us ? s.last_end_us - s.first_start_us : 0;
}

nlohmann::json xchg_json(const XchgStats& x) {
  nlohmann::json j = {{"sent", x.sent},           {"recv", x.received},
                      {"drops", x.drops()},       {"orphans", x.orphans},
                      {"rejected", x.rejected},   {"nonunique", x.non_unique},
                      {"collected", x.collected}, {"resent", x.resent}};
  j["drops_ratio"] =
      x.sent ? nlohmann::json(100.0 * double(x.drops()) / double(x.sent)) : nlohmann::json(nullptr);
  if (x.received) {
    j["min"] = x.min_s * 1e3;
    j["avg"] = x.avg_s() * 1e3;
    j["max"] = x.max_s * 1e3;
    j["std"] = x.std_s() * 1e3;
  } else {
    j["min"] = j["avg"] = j["max"] = j["std"] = nullptr;
  }
  return j;
}

}  // namespace

std::string perfdhcp_report(const DhcpRun& run, const std::string& prelude) {
  const DhcpRunStats& s = run.stats();
  std::string o = prelude;
  o += run.avalanche() ? "Scenario: avalanche.\n" : "Scenario: basic.\n";
  o += "***Rate statistics***\n";
  if (run.avalanche())
    o += fmt("Rate: %.6g 4-way exchanges/second\n", run.rate_achieved());
  else
    o += fmt("Rate: %.6g 4-way exchanges/second, expected rate: %.6g\n\n", run.rate_achieved(),
             run.config().rate);
  o += "***Malformed Packets***\n";
  o += fmt("Malformed packets: %llu\n", ull(s.malformed));
  o += "***Statistics for: DISCOVER-OFFER***\n";
  main_stats(o, s.discover_offer, false);
  o += "\n";
  rtt_stats(o, s.discover_offer);
  o += "\n***Statistics for: REQUEST-ACK***\n";
  main_stats(o, s.request_ack, true);
  o += "\n";
  rtt_stats(o, s.request_ack);
  o += "\n";
  if (run.avalanche()) {
    const XchgStats &d = s.discover_offer, &r = s.request_ack;
    o += fmt("It took %s to provision %llu clients. \n", hms(took_us(s)).c_str(), ull(s.bound));
    o += fmt("Requests sent + resent: %llu\n", ull(d.sent + r.sent + d.resent + r.resent));
    o += fmt("Requests resent: %llu\n", ull(d.resent + r.resent));
    o += fmt("Responses received: %llu\n", ull(d.received + r.received));
  }
  return o;
}

std::string bench_report(const DhcpRun& run) {
  const DhcpRunStats& s = run.stats();
  std::string o = "***bootstorm-bench***\n";
  o += fmt("Exchanges: %llu started, %llu bound, %llu failed", ull(s.started), ull(s.bound),
           ull(s.failed));
  for (unsigned i = 1; i < kDhcpFailCount; ++i)
    if (s.fails[i]) o += fmt(", %s %llu", dhcp_fail_name(DhcpFail(i)), ull(s.fails[i]));
  o += fmt(", %llu unfinished", ull(run.active()));
  if (s.start_skipped) o += fmt(", %llu not started (max_active)", ull(s.start_skipped));
  o += fmt(" (%llu clients)\n", ull(run.config().clients));
  o += fmt("Retransmissions: DISCOVER %llu, REQUEST %llu\n", ull(s.discover_offer.resent),
           ull(s.request_ack.resent));
  o +=
      fmt("Frames: %llu received, %llu sent, %llu not sent (no room); received: %llu for other "
          "machines, %llu not DHCP replies, %llu broken, %llu other DHCP types\n",
          ull(s.frames_rx), ull(s.frames_tx), ull(s.tx_no_room), ull(s.not_ours), ull(s.not_dhcp),
          ull(s.bad_frames), ull(s.other_types));
  o += fmt("Elapsed: %.3f s\n", run.elapsed_s());
  return o;
}

nlohmann::json dhcp_json(const DhcpRun& run) {
  const DhcpRunStats& s = run.stats();
  const DhcpRunConfig& c = run.config();
  nlohmann::json fails = nlohmann::json::object();
  for (unsigned i = 1; i < kDhcpFailCount; ++i) fails[dhcp_fail_name(DhcpFail(i))] = s.fails[i];
  nlohmann::json j = {
      {"scenario", run.avalanche() ? "avalanche" : "basic"},
      {"rate", run.rate_achieved()},
      {"rate_expected", c.rate},
      {"elapsed_s", run.elapsed_s()},
      {"malformed", s.malformed},
      {"do", xchg_json(s.discover_offer)},
      {"ra", xchg_json(s.request_ack)},
      {"clients",
       {{"clients", c.clients},
        {"started", s.started},
        {"bound", s.bound},
        {"failed", s.failed},
        {"fails", fails},
        {"unfinished", run.active()},
        {"start_skipped", s.start_skipped}}},
      {"frames",
       {{"rx", s.frames_rx},
        {"tx", s.frames_tx},
        {"tx_no_room", s.tx_no_room},
        {"not_ours", s.not_ours},
        {"not_dhcp", s.not_dhcp},
        {"bad", s.bad_frames},
        {"other_types", s.other_types}}},
  };
  if (run.avalanche()) {
    const XchgStats &d = s.discover_offer, &r = s.request_ack;
    j["avalanche"] = {{"took_s", double(took_us(s)) / 1e6},
                      {"provisioned", s.bound},
                      {"sent_total", d.sent + r.sent + d.resent + r.resent},
                      {"resent", d.resent + r.resent},
                      {"responses", d.received + r.received}};
  }
  return j;
}

}  // namespace bs::bench
