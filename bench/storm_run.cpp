#include "storm_run.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include "dataplane/proto/arp.hpp"
#include "dataplane/proto/dhcp.hpp"
#include "dataplane/proto/ethernet.hpp"
#include "dataplane/proto/ipv4.hpp"
#include "dataplane/proto/udp.hpp"
#include "percentile.hpp"

namespace bs::bench {

using proto::Bytes;
using proto::MutBytes;

namespace {
constexpr uint64_t kScanUs = 200;  // machines' timers are looked at this often
constexpr size_t kChaddrOffset = 28;

uint64_t splitmix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
}  // namespace

// FaultSink ------------------------------------------------------------------------------------

MutBytes FaultSink::frame() {
  if (!line_.spec().active()) return cur_ = inner_.frame();
  return cur_ = MutBytes(scratch_);
}

void FaultSink::send(size_t len) {
  ++frames_;
  bytes_ += len;
  if (!line_.spec().active()) return inner_.send(len);
  if (line_.push(Bytes(scratch_.data(), len), now_us_) == 0) return;
  MutBytes f = inner_.frame();
  if (f.size() < len) {
    ++no_room_;
    return;
  }
  std::memcpy(f.data(), scratch_.data(), len);
  inner_.send(len);
}

void FaultSink::poll(uint64_t now_us) {
  now_us_ = now_us;
  while (line_.pop(now_us, held_)) {
    MutBytes f = inner_.frame();
    if (f.size() < held_.size()) {
      ++no_room_;
      continue;
    }
    std::memcpy(f.data(), held_.data(), held_.size());
    inner_.send(held_.size());
  }
}

// StormRun -------------------------------------------------------------------------------------

StormRun::StormRun(StormConfig c, FaultSink& tx, HttpIo* http)
    : c_(std::move(c)), tx_(tx), http_(http), rx_(c_.rx_faults, c_.seed * 2 + 1) {
  machines_.resize(c_.clients);
  ended_flag_.assign(c_.clients, 0);
  arrive_us_.resize(c_.clients);
  uint64_t sm = c_.seed;
  std::mt19937_64 rng(c_.seed);
  std::exponential_distribution<double> gap(c_.poisson_rate > 0 ? c_.poisson_rate : 1);
  double t = 0;
  for (uint32_t k = 0; k < c_.clients; ++k) {
    MachineOptions o = c_.machine;
    proto::Mac m = c_.mac_base;
    const uint32_t low = (uint32_t(m.b[3]) << 16 | uint32_t(m.b[4]) << 8 | m.b[5]) + k;
    m.b[3] = uint8_t(low >> 16), m.b[4] = uint8_t(low >> 8), m.b[5] = uint8_t(low);
    o.dhcp.mac = m;
    for (size_t i = 0; i < 16; i += 8) {
      const uint64_t r = splitmix(sm);
      std::memcpy(o.dhcp.uuid.data() + i, &r, 8);
    }
    o.dhcp.xid = uint32_t(splitmix(sm));
    if (c_.arch_mix && k % c_.arch_mix == uint32_t(c_.arch_mix - 1)) o.dhcp.arch = 7;
    machines_[k].reset(k, o);
    switch (c_.arrival) {
      case Arrival::all:
        arrive_us_[k] = 0;
        break;
      case Arrival::ramp:
        arrive_us_[k] = c_.ramp_us * k / std::max<uint32_t>(c_.clients, 1);
        break;
      case Arrival::poisson:
        t += gap(rng);
        arrive_us_[k] = uint64_t(t * 1e6);
        break;
    }
  }
}

MutBytes StormRun::frame() {
  MutBytes f = tx_.frame();
  if (f.empty()) ++cnt_.tx_no_room;
  return f;
}

void StormRun::send(size_t len) {
  ++cnt_.frames_tx;
  cnt_.bytes_tx += len;
  tx_.send(len);
}

bool StormRun::http_start(uint32_t id, const proto::Mac& mac, proto::Ip4 ip, proto::Ip4 mask,
                          const std::string& url, uint64_t now_us, std::string* error) {
  if (!http_) {
    *error = "no HTTP client in this run";
    return false;
  }
  return http_->start(id, mac, ip, mask, url, now_us, error);
}

int StormRun::http_state(uint32_t id, int* status, uint64_t* bytes, uint32_t* retransmits,
                         std::string* error) {
  return http_ ? http_->state(id, status, bytes, retransmits, error) : -1;
}

void StormRun::http_finish(uint32_t id) {
  if (http_) http_->finish(id);
}

uint32_t StormRun::by_mac(const proto::Mac& m) const {
  const auto& b = c_.mac_base.b;
  if (m.b[0] != b[0] || m.b[1] != b[1] || m.b[2] != b[2]) return UINT32_MAX;
  const uint32_t base = uint32_t(b[3]) << 16 | uint32_t(b[4]) << 8 | b[5];
  const uint32_t low = uint32_t(m.b[3]) << 16 | uint32_t(m.b[4]) << 8 | m.b[5];
  const uint32_t k = low - base;
  return k < c_.clients ? k : UINT32_MAX;
}

void StormRun::after(uint32_t k, uint64_t now_us) {
  const Machine& m = machines_[k];
  if (m.phase() != Phase::dhcp && m.ip() && !by_ip_.count(m.ip())) by_ip_[m.ip()] = k;
  if (!m.finished() || ended_flag_[k]) return;
  ended_flag_[k] = 1;
  ++ended_;
  if (m.done())
    ++completed_;
  else
    ++failed_;
  last_end_us_ = std::max(last_end_us_, now_us);
}

void StormRun::on_frame(Bytes frame, uint64_t now_us) {
  tx_.set_now(now_us);
  if (!rx_.spec().active() || rx_.push(frame, now_us)) deliver(frame, now_us);
}

void StormRun::on_arp(Bytes frame, size_t l2, uint64_t now_us) {
  (void)now_us;
  auto arp = proto::parse_arp(frame.subspan(l2));
  if (!arp) {
    ++cnt_.bad_frames;
    return;
  }
  if (arp->op == proto::kArpRequest) {
    auto it = by_ip_.find(arp->tpa);
    if (it == by_ip_.end()) {
      ++cnt_.not_ours;
      return;
    }
    const proto::Mac& mac = machines_[it->second].mac();
    MutBytes f = this->frame();
    if (f.size() < proto::kEthHeaderLen + proto::kArpLen) return;
    proto::Arp reply{proto::kArpReply, mac, arp->tpa, arp->sha, arp->spa};
    proto::write_eth(f, arp->sha, mac, proto::kEtherArp);
    proto::write_arp(f.subspan(proto::kEthHeaderLen), reply);
    send(proto::kEthHeaderLen + proto::kArpLen);
    ++cnt_.arp_replies;
    return;
  }
  const uint32_t k = by_mac(arp->tha);
  if (k == UINT32_MAX) {
    ++cnt_.not_ours;
    return;
  }
  machines_[k].on_arp_reply(arp->spa, arp->sha);
  if (machines_[k].in_http() && http_) http_->on_frame(k, frame);
}

void StormRun::deliver(Bytes frame, uint64_t now_us) {
  ++cnt_.frames_rx;
  cnt_.bytes_rx += frame.size();
  auto eth = proto::parse_eth(frame);
  if (!eth) {
    ++cnt_.bad_frames;
    return;
  }
  if (eth->type == proto::kEtherArp) return on_arp(frame, eth->header_len, now_us);
  if (eth->type != proto::kEtherIpv4) {
    ++cnt_.not_ours;
    return;
  }
  Bytes l3 = frame.subspan(eth->header_len);
  auto ip = proto::parse_ipv4(l3);
  if (!ip) {
    ++cnt_.bad_frames;
    return;
  }
  uint32_t k = by_mac(eth->dst);
  if (k == UINT32_MAX) {
    auto it = by_ip_.find(ip->dst);
    if (it != by_ip_.end()) k = it->second;
  }
  Bytes l4 = l3.subspan(ip->header_len, ip->total_len - ip->header_len);
  if (ip->proto == proto::kProtoTcp) {
    if (k == UINT32_MAX || !http_ || !machines_[k].in_http()) {
      ++cnt_.not_ours;
      return;
    }
    ++cnt_.tcp_frames;
    http_->on_frame(k, frame);
    return;
  }
  if (ip->proto != proto::kProtoUdp || ip->is_fragment()) {
    ++cnt_.not_ours;
    return;
  }
  auto udp = proto::parse_udp(l4, ip->src, ip->dst);
  if (!udp) {
    ++cnt_.bad_frames;
    return;
  }
  Bytes payload = l4.subspan(proto::kUdpHeaderLen, udp->len - proto::kUdpHeaderLen);
  // A broadcast DHCP reply names its machine in chaddr.
  if (k == UINT32_MAX && udp->dport == proto::kDhcpClientPort &&
      payload.size() >= kChaddrOffset + 6) {
    proto::Mac ch;
    std::memcpy(ch.b.data(), payload.data() + kChaddrOffset, 6);
    k = by_mac(ch);
  }
  if (k == UINT32_MAX || !machines_[k].started()) {
    ++cnt_.not_ours;
    return;
  }
  machines_[k].on_udp(*this, ip->src, udp->sport, udp->dport, payload, eth->src, now_us);
  after(k, now_us);
}

void StormRun::arrivals(uint64_t now_us) {
  uint32_t n = 0;
  while (next_arrival_ < c_.clients && arrive_us_[next_arrival_] <= now_us - t0_us_ &&
         n < c_.starts_per_poll) {
    const uint32_t k = next_arrival_++;
    if (started_ == 0) first_start_us_ = now_us;
    ++started_;
    ++n;
    machines_[k].start(*this, now_us);
    after(k, now_us);
  }
}

void StormRun::poll(uint64_t now_us) {
  if (!t0_set_) {
    t0_us_ = now_us;
    t0_set_ = true;
  }
  tx_.set_now(now_us);
  while (rx_.pop(now_us, rx_scratch_)) deliver(rx_scratch_, now_us);
  arrivals(now_us);
  if (now_us - last_scan_us_ >= kScanUs) {
    last_scan_us_ = now_us;
    for (uint32_t k = 0; k < next_arrival_; ++k) {
      Machine& m = machines_[k];
      if (m.finished() || now_us < m.deadline_us()) continue;
      m.on_timer(*this, now_us);
      after(k, now_us);
    }
  }
  if (http_) http_->poll(now_us);
  tx_.poll(now_us);
}

std::array<uint32_t, kPhases> StormRun::in_phase() const {
  std::array<uint32_t, kPhases> n{};
  for (uint32_t k = 0; k < next_arrival_; ++k)
    if (!machines_[k].finished()) ++n[size_t(machines_[k].phase())];
  return n;
}

nlohmann::json StormRun::to_json(uint64_t now_us) const {
  using nlohmann::json;
  json j;
  j["clients"] = c_.clients;
  j["completed"] = completed_;
  j["failed"] = failed_;
  j["unfinished"] = c_.clients - completed_ - failed_;
  const uint64_t end = finished() ? last_end_us_ : now_us;
  j["makespan_s"] = started_ ? double(end - first_start_us_) / 1e6 : 0.0;

  json order = json::array();
  json phases = json::object();
  std::array<uint64_t, kPhases> fails_in{};
  std::map<std::string, uint64_t> fails;
  std::map<std::string, std::vector<std::string>> examples;
  uint64_t tftp_bytes = 0, tftp_received = 0, stale = 0, http_bytes = 0, misses = 0,
           module_misses = 0, localboot = 0, files = 0, dups = 0, strangers = 0;
  std::vector<double> completion;
  std::vector<uint32_t> total;
  for (const Machine& m : machines_) {
    const MachineStats& s = m.stats();
    tftp_bytes += s.tftp_bytes;
    tftp_received += s.tftp_received_bytes;
    stale += s.tftp_stale;
    http_bytes += s.http_bytes;
    misses += s.config_misses;
    module_misses += s.module_misses;
    files += s.tftp_files;
    dups += s.tftp_duplicates;
    strangers += s.tftp_strangers;
    if (m.done()) {
      localboot += m.localboot();
      completion.push_back(double(m.end_us() - first_start_us_) / 1e6);
      total.push_back(uint32_t(std::min<uint64_t>(m.end_us() - m.start_us(), UINT32_MAX)));
    }
    if (m.fail() != MachineFail::none) {
      ++fails_in[size_t(m.phase())];
      auto& ex = examples[machine_fail_name(m.fail())];
      ++fails[machine_fail_name(m.fail())];
      if (ex.size() < 3) ex.push_back(m.mac().str() + ": " + m.fail_detail());
    }
  }
  std::sort(completion.begin(), completion.end());
  auto stats = [](std::vector<uint32_t> us, uint64_t retransmits, uint64_t failed) {
    json p;
    p["count"] = us.size();
    double sum = 0;
    for (auto v : us) sum += v;
    p["p50_ms"] = percentile(us, 50) / 1e3;
    p["p90_ms"] = percentile(us, 90) / 1e3;
    p["p99_ms"] = percentile(us, 99) / 1e3;
    p["max_ms"] = percentile(us, 100) / 1e3;
    p["mean_ms"] = us.empty() ? 0.0 : sum / double(us.size()) / 1e3;
    p["retransmits"] = retransmits;
    p["failed"] = failed;
    return p;
  };
  uint64_t rtx_tftp = 0, rtx_all = 0;
  for (size_t p = 0; p < kPhases; ++p) {
    std::vector<uint32_t> us;
    uint64_t rtx = 0;
    for (const Machine& m : machines_) {
      const MachineStats& s = m.stats();
      rtx += s.retransmits[p];
      if (s.start_us[p] && s.end_us[p])
        us.push_back(uint32_t(std::min<uint64_t>(s.end_us[p] - s.start_us[p], UINT32_MAX)));
    }
    const char* name = phase_name(Phase(p));
    order.push_back(name);
    phases[name] = stats(std::move(us), rtx, fails_in[p]);
    rtx_all += rtx;
    if (Phase(p) != Phase::dhcp && Phase(p) != Phase::kickstart) rtx_tftp += rtx;
  }
  order.push_back("total");
  phases["total"] = stats(std::move(total), rtx_all, failed_);
  j["phase_order"] = order;
  j["phases"] = phases;
  j["completion_s"] = completion;
  j["failures"] = fails;
  j["failure_examples"] = examples;
  j["bytes"] = {{"tftp", tftp_bytes}, {"tftp_received", tftp_received}, {"http", http_bytes}};
  j["retransmits"] = {{"dhcp", phases["dhcp"]["retransmits"]},
                      {"tftp", rtx_tftp},
                      {"http", phases["kickstart"]["retransmits"]}};
  const FaultStats& r = rx_.stats();
  const FaultStats& t = tx_.line().stats();
  auto fj = [](const FaultStats& f) {
    return json{{"frames", f.frames},
                {"dropped", f.dropped},
                {"duplicated", f.duplicated},
                {"reordered", f.reordered},
                {"delayed", f.delayed}};
  };
  j["faults"] = {{"rx_dropped", r.dropped},
                 {"tx_dropped", t.dropped},
                 {"duplicated", r.duplicated + t.duplicated},
                 {"reordered", r.reordered + t.reordered},
                 {"delayed", r.delayed + t.delayed}};
  j["faults_by_direction"] = {{"rx", fj(r)}, {"tx", fj(t)}};
  j["counters"] = {{"frames_rx", cnt_.frames_rx},
                   {"frames_tx", cnt_.frames_tx},
                   {"bytes_rx", cnt_.bytes_rx},
                   {"bytes_tx", cnt_.bytes_tx},
                   {"bad_frames", cnt_.bad_frames},
                   {"not_ours", cnt_.not_ours},
                   {"arp_replies", cnt_.arp_replies},
                   {"tcp_frames", cnt_.tcp_frames},
                   {"tx_no_room", cnt_.tx_no_room + tx_.no_room()},
                   {"tftp_files", files},
                   {"config_misses", misses},
                   {"module_misses", module_misses},
                   {"tftp_duplicates", dups},
                   {"tftp_strangers", strangers},
                   {"tftp_stale", stale},
                   {"localboot", localboot}};
  return j;
}

}  // namespace bs::bench
