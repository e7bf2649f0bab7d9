// A boot storm: `clients` simulated PXE machines (storm_machine.hpp) arriving all at once, in a
// ramp or as a Poisson process, each with its own MAC (mac_base + k) and, after DHCP, its own
// address, over one raw-frame link. The run demultiplexes received frames to the machines (by
// destination MAC, or by the DHCP reply's chaddr when broadcast), answers ARP for their
// addresses, hands their TCP to the HTTP clients, applies the bench's faults both ways, and
// keeps the per-phase figures the report is made of. Pure: frames in as spans, out through a
// FrameSink; the port and lwIP live outside (HttpIo adapts the HTTP clients).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "faults.hpp"
#include "storm_machine.hpp"
#include "tftp_run.hpp"

namespace bs::bench {

enum class Arrival : uint8_t { all, ramp, poisson };

struct StormConfig {
  uint32_t clients = 1;
  proto::Mac mac_base{{0x02, 0x62, 0x73, 0, 0, 0}};  // machine k: + k in the low 24 bits
  Arrival arrival = Arrival::all;
  uint64_t ramp_us = 0;     // ramp: machine k arrives at k * ramp_us / clients
  double poisson_rate = 0;  // poisson: arrivals per second
  uint32_t starts_per_poll =
      64;                  // "all": at most this many DISCOVERs per poll (a burst, not a wall)
  MachineOptions machine;  // mac, uuid and xid are set per machine
  uint16_t arch_mix = 0;   // 0: every machine has machine.dhcp.arch; N: every Nth is EFI x64 (7)
  uint64_t seed = 1;
  FaultSpec rx_faults, tx_faults;  // what the machines receive / send
};

// The HTTP side as the run needs it (HttpClients behind it; tests script it).
class HttpIo {
 public:
  virtual ~HttpIo() = default;
  virtual bool start(uint32_t id, const proto::Mac& mac, proto::Ip4 ip, proto::Ip4 mask,
                     const std::string& url, uint64_t now_us, std::string* error) = 0;
  virtual void on_frame(uint32_t id, proto::Bytes frame) = 0;
  virtual int state(uint32_t id, int* status, uint64_t* bytes, uint32_t* retransmits,
                    std::string* error) = 0;
  virtual void finish(uint32_t id) = 0;
  virtual void poll(uint64_t now_us) = 0;
};

struct StormCounters {
  uint64_t frames_rx = 0, frames_tx = 0, bytes_rx = 0, bytes_tx = 0;
  uint64_t bad_frames = 0;   // Ethernet/IPv4/UDP/ARP that does not parse
  uint64_t not_ours = 0;     // to no machine of ours
  uint64_t arp_replies = 0;  // answers for machine addresses
  uint64_t tcp_frames = 0;   // handed to the HTTP clients
  uint64_t tx_no_room = 0;   // frames the sink had no room for (lost; timers recover)
};

// Frames out through the tx faults (or straight through when there are none).
class FaultSink final : public FrameSink {
 public:
  FaultSink(FrameSink& inner, const FaultSpec& s, uint64_t seed) : inner_(inner), line_(s, seed) {}
  proto::MutBytes frame() override;
  void send(size_t len) override;
  void kick() override { inner_.kick(); }
  // Releases the frames held back until now_us; set the time before frames are sent.
  void poll(uint64_t now_us);
  void set_now(uint64_t now_us) { now_us_ = now_us; }
  const FaultLine& line() const { return line_; }
  uint64_t frames() const { return frames_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t no_room() const { return no_room_; }

 private:
  FrameSink& inner_;
  FaultLine line_;
  std::array<uint8_t, kMaxFrame> scratch_{};
  std::vector<uint8_t> held_;
  proto::MutBytes cur_;
  uint64_t now_us_ = 0, frames_ = 0, bytes_ = 0, no_room_ = 0;
};

class StormRun final : private MachineIo {
 public:
  // tx carries the tx faults (its FaultLine is the run's). http may be null (no kickstart).
  StormRun(StormConfig c, FaultSink& tx, HttpIo* http);

  // A received frame, before the rx faults.
  void on_frame(proto::Bytes frame, uint64_t now_us);
  // Arrivals, timers, held frames, the HTTP clients. Call once per loop.
  void poll(uint64_t now_us);

  bool finished() const { return ended_ == c_.clients; }
  uint32_t completed() const { return completed_; }
  uint32_t failed() const { return failed_; }
  uint32_t started() const { return started_; }
  // Machines in each phase now (started, not ended).
  std::array<uint32_t, kPhases> in_phase() const;
  const Machine& machine(uint32_t k) const { return machines_[k]; }
  const StormCounters& counters() const { return cnt_; }
  const FaultLine& rx_faults() const { return rx_; }
  uint64_t first_start_us() const { return first_start_us_; }
  uint64_t last_end_us() const { return last_end_us_; }
  const StormConfig& config() const { return c_; }

  // The report's JSON (schema in storm_report.hpp), at now_us (unfinished machines count as
  // such); settings and port counters are the caller's to add.
  nlohmann::json to_json(uint64_t now_us) const;

 private:
  // MachineIo
  proto::MutBytes frame() override;
  void send(size_t len) override;
  bool http_start(uint32_t id, const proto::Mac& mac, proto::Ip4 ip, proto::Ip4 mask,
                  const std::string& url, uint64_t now_us, std::string* error) override;
  int http_state(uint32_t id, int* status, uint64_t* bytes, uint32_t* retransmits,
                 std::string* error) override;
  void http_finish(uint32_t id) override;

  void deliver(proto::Bytes frame, uint64_t now_us);
  void on_arp(proto::Bytes frame, size_t l2, uint64_t now_us);
  void after(uint32_t k, uint64_t now_us);     // bookkeeping after a machine handled something
  uint32_t by_mac(const proto::Mac& m) const;  // machine index, or UINT32_MAX
  void arrivals(uint64_t now_us);

  StormConfig c_;
  FaultSink& tx_;
  HttpIo* http_;
  FaultLine rx_;
  std::vector<Machine> machines_;
  std::vector<uint64_t> arrive_us_;  // offsets from the first poll
  std::vector<uint8_t> ended_flag_;
  std::unordered_map<proto::Ip4, uint32_t> by_ip_;
  std::vector<uint8_t> rx_scratch_;
  StormCounters cnt_;
  uint64_t t0_us_ = 0;
  bool t0_set_ = false;
  uint32_t next_arrival_ = 0, started_ = 0, ended_ = 0, completed_ = 0, failed_ = 0;
  uint64_t first_start_us_ = 0, last_end_us_ = 0;
  uint64_t last_scan_us_ = 0;
};

}  // namespace bs::bench
