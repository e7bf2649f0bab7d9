#include "storm_machine.hpp"

#include "dataplane/proto/arp.hpp"
#include "dataplane/proto/ethernet.hpp"
#include "dataplane/proto/ipv4.hpp"
#include "dataplane/proto/tftp.hpp"
#include "dataplane/proto/udp.hpp"

namespace bs::bench {

namespace {
constexpr uint16_t kTftpPort = 69;
constexpr uint64_t kHttpRetryUs = 10000;  // no netif free: look again this much later
}  // namespace

const char* phase_name(Phase p) {
  static constexpr const char* kNames[kPhases] = {"dhcp",   "bootfile", "config",   "modules",
                                                  "kernel", "initrd",   "kickstart"};
  return size_t(p) < kPhases ? kNames[size_t(p)] : "?";
}

const char* machine_fail_name(MachineFail f) {
  static constexpr const char* kNames[kMachineFails] = {
      "none",         "dhcp",      "no_boot_file",    "arp",    "bootfile",
      "no_config",    "config",    "empty_config",    "kernel", "initrd",
      "no_kickstart", "kickstart", "kickstart_status"};
  return size_t(f) < kMachineFails ? kNames[size_t(f)] : "?";
}

void Machine::reset(uint32_t id, const MachineOptions& o) {
  *this = Machine();
  id_ = id;
  o_ = o;
  o_.tftp.verify = false;
  // Client ports as firmware picks them: a fresh one per transfer, above the well-known range.
  next_port_ = uint16_t(1024 + (id * 7919u) % 30000);
}

void Machine::enter(Phase p, uint64_t now_us) {
  phase_ = p;
  st_.start_us[size_t(p)] = now_us;
}

void Machine::leave(uint64_t now_us) {
  st_.end_us[size_t(phase_)] = now_us;
}

void Machine::finish(uint64_t now_us) {
  leave(now_us);
  done_ = true;
  end_us_ = now_us;
}

void Machine::failed(MachineFail f, std::string detail, uint64_t now_us) {
  fail_ = f;
  fail_detail_ = std::move(detail);
  end_us_ = now_us;
}

void Machine::send_dhcp(MachineIo& io, size_t (DhcpClient::*step)(uint64_t, proto::MutBytes),
                        uint64_t now_us) {
  proto::MutBytes f = io.frame();
  if (f.empty()) {
    // No room to send: the timer resends it, as after a loss. Still advance the client.
    std::array<uint8_t, kMaxFrame> scratch;
    (dhcp_.*step)(now_us, scratch);
    return;
  }
  if (const size_t n = (dhcp_.*step)(now_us, f)) io.send(n);
}

void Machine::start(MachineIo& io, uint64_t now_us) {
  started_ = true;
  start_us_ = now_us;
  enter(Phase::dhcp, now_us);
  dhcp_.reset(o_.dhcp);
  send_dhcp(io, &DhcpClient::start, now_us);
}

void Machine::on_arp_reply(proto::Ip4 spa, const proto::Mac& sha) {
  if (spa == server_ && server_mac_.is_zero()) server_mac_ = sha;
}

void Machine::send_arp(MachineIo& io, uint64_t now_us) {
  arp_deadline_us_ = now_us + o_.arp_timeout_us;
  ++arp_tries_;
  ++st_.retransmits[size_t(phase_)];
  proto::MutBytes f = io.frame();
  if (f.size() < proto::kEthHeaderLen + proto::kArpLen) return;
  proto::Arp req{proto::kArpRequest, mac(), ip(), proto::Mac{}, server_};
  proto::write_eth(f, proto::kBroadcastMac, mac(), proto::kEtherArp);
  proto::write_arp(f.subspan(proto::kEthHeaderLen), req);
  io.send(proto::kEthHeaderLen + proto::kArpLen);
}

void Machine::after_lease(MachineIo& io, uint64_t now_us) {
  const DhcpLease& l = dhcp_.lease();
  leave(now_us);
  enter(Phase::bootfile, now_us);
  if (l.boot_file.empty()) return failed(MachineFail::no_boot_file, "", now_us);
  server_ = l.next_server ? l.next_server : l.server_id;
  if (server_ == l.server_id) server_mac_ = l.server_mac;
  prefix_ = !l.path_prefix.empty() ? l.path_prefix : boot_prefix(l.boot_file);
  files_ = {l.boot_file, prefix_ + "ldlinux.c32"};
  file_ = 0;
  if (server_mac_.is_zero()) {
    // The first retransmit counted by send_arp() is the request itself.
    --st_.retransmits[size_t(phase_)];
    return send_arp(io, now_us);
  }
  fetch(io, files_[0], now_us);
}

void Machine::emit_tftp(MachineIo& io, const Action& a) {
  if (a.kind == Action::Kind::none) return;
  proto::MutBytes f = io.frame();
  if (f.size() < kMaxFrame) return;  // lost like a frame on the wire: timers recover
  proto::MutBytes payload = f.subspan(proto::kEthIpUdpLen);
  const size_t n = tftp_.write(a, payload);
  if (n == 0) return;
  proto::UdpAddr addr;
  addr.src_mac = mac();
  addr.dst_mac = server_mac_;
  addr.src_ip = ip();
  addr.dst_ip = server_;
  addr.sport = sport_;
  addr.dport = a.kind == Action::Kind::rrq ? kTftpPort : tftp_.server_port();
  proto::write_udp_headers(f.first(proto::kEthIpUdpLen), addr, uint16_t(n),
                           proto::csum_partial(payload.first(n)), ip_id_++);
  io.send(proto::kEthIpUdpLen + n);
}

void Machine::fetch(MachineIo& io, const std::string& name, uint64_t now_us) {
  name_ = name;
  sport_ = next_port_;
  next_port_ = next_port_ >= 65000 ? 1024 : uint16_t(next_port_ + 1);
  tftp_.reset(o_.tftp, name_, {});
  tftp_.keep(phase_ == Phase::config ? &kept_ : nullptr);
  tftp_active_ = true;
  ++st_.tftp_files;
  emit_tftp(io, tftp_.start(now_us));
}

void Machine::start_http(MachineIo& io, uint64_t now_us) {
  std::string error;
  const DhcpLease& l = dhcp_.lease();
  if (io.http_start(id_, mac(), ip(), l.netmask, cfg_.kickstart_url, now_us, &error)) {
    http_started_ = true;
    return;
  }
  if (!error.empty()) return failed(MachineFail::kickstart, error, now_us);
  http_retry_us_ = now_us + kHttpRetryUs;
}

// The next file of this phase, or the next phase.
void Machine::next_file(MachineIo& io, uint64_t now_us) {
  if (++file_ < files_.size()) return fetch(io, files_[file_], now_us);
  leave(now_us);
  file_ = 0;
  switch (phase_) {
    case Phase::bootfile:
      enter(Phase::config, now_us);
      files_ = pxelinux_search(o_.dhcp.uuid, mac(), ip(), prefix_);
      if (!dhcp_.lease().pxelinux_config.empty()) files_ = {dhcp_.lease().pxelinux_config};
      return fetch(io, files_[0], now_us);
    case Phase::config:
      return failed(MachineFail::no_config, files_.back(), now_us);
    case Phase::modules:
      enter(Phase::kernel, now_us);
      files_ = {prefix_ + cfg_.kernel};
      return fetch(io, files_[0], now_us);
    case Phase::kernel:
      enter(Phase::initrd, now_us);
      files_.clear();
      for (const auto& f : cfg_.initrds) files_.push_back(prefix_ + f);
      if (!files_.empty()) return fetch(io, files_[0], now_us);
      return next_file(io, now_us);  // no initrd: straight on
    case Phase::initrd:
      enter(Phase::kickstart, now_us);
      if (cfg_.kickstart_url.empty()) {
        if (o_.require_kickstart) return failed(MachineFail::no_kickstart, cfg_.append, now_us);
        return finish(now_us);
      }
      return start_http(io, now_us);
    default:
      return;
  }
}

void Machine::tftp_ended(MachineIo& io, uint64_t now_us) {
  tftp_active_ = false;
  const ClientStats& cs = tftp_.stats();
  st_.retransmits[size_t(phase_)] += cs.rrq_resent + cs.acks_timeout + cs.acks_gap + cs.acks_dup;
  st_.tftp_strangers += uint32_t(cs.strangers);
  st_.tftp_duplicates += uint32_t(cs.duplicates);
  st_.tftp_bytes += tftp_.bytes();
  st_.tftp_received_bytes += cs.data_bytes;
  const bool missing = tftp_.fail() == Fail::server_error && tftp_.error_code() == 1;
  if (tftp_.state() == TftpClient::State::done) {
    if (phase_ == Phase::config) {
      cfg_ = parse_pxelinux_config(kept_);
      kept_.clear();
      leave(now_us);
      if (cfg_.localboot) return finish(now_us);
      if (cfg_.kernel.empty()) return failed(MachineFail::empty_config, name_, now_us);
      enter(Phase::modules, now_us);
      files_.clear();
      for (const auto& m : cfg_.modules) files_.push_back(prefix_ + m);
      file_ = 0;
      if (!files_.empty()) return fetch(io, files_[0], now_us);
      return next_file(io, now_us);  // no modules: straight on
    }
    return next_file(io, now_us);
  }
  const std::string why =
      std::string(name_) + ": " + fail_name(tftp_.fail()) +
      (tftp_.fail() == Fail::server_error ? " " + std::to_string(tftp_.error_code())
                                          : std::string());
  switch (phase_) {
    case Phase::config:
      if (missing) {
        ++st_.config_misses;
        return next_file(io, now_us);
      }
      return failed(MachineFail::config, why, now_us);
    case Phase::modules:
      ++st_.module_misses;  // PXELINUX carries on with its command line
      return next_file(io, now_us);
    case Phase::bootfile:
      return failed(MachineFail::bootfile, why, now_us);
    case Phase::kernel:
      return failed(MachineFail::kernel, why, now_us);
    case Phase::initrd:
      return failed(MachineFail::initrd, why, now_us);
    default:
      return;
  }
}

void Machine::on_udp(MachineIo& io, proto::Ip4 src, uint16_t sport, uint16_t dport,
                     proto::Bytes payload, const proto::Mac& eth_src, uint64_t now_us) {
  if (phase_ == Phase::dhcp) {
    if (finished()) return;
    if (dport != proto::kDhcpClientPort || sport != proto::kDhcpServerPort) return;
    proto::MutBytes f = io.frame();
    std::array<uint8_t, kMaxFrame> scratch;
    proto::MutBytes out = f.empty() ? proto::MutBytes(scratch) : f;
    const size_t n = dhcp_.on_reply(payload, eth_src, now_us, out);
    if (n && !f.empty()) io.send(n);
    if (dhcp_.state() == DhcpClient::State::bound) return after_lease(io, now_us);
    if (dhcp_.state() == DhcpClient::State::failed)
      return failed(MachineFail::dhcp, dhcp_fail_name(dhcp_.fail()), now_us);
    return;
  }
  if (!tftp_active_ || dport != sport_ || src != server_) {
    // DATA for a transfer that ended (the server resending what came late): counted for the
    // cross-check, like any byte the server sent.
    if (src == server_ && payload.size() >= 4 && proto::load16(payload.data()) == 3) {
      ++st_.tftp_stale;
      st_.tftp_received_bytes += payload.size() - 4;
    }
    return;
  }
  emit_tftp(io, tftp_.on_packet(sport, payload, now_us));
  if (tftp_.finished()) tftp_ended(io, now_us);
}

uint64_t Machine::deadline_us() const {
  if (finished() || !started_) return UINT64_MAX;
  if (phase_ == Phase::dhcp) return dhcp_.deadline_us();
  if (phase_ == Phase::kickstart) return http_started_ ? 0 : http_retry_us_;  // 0: poll it
  if (server_mac_.is_zero()) return arp_deadline_us_;
  return tftp_active_ ? tftp_.deadline_us() : 0;  // resolved, nothing asked yet: now
}

void Machine::on_timer(MachineIo& io, uint64_t now_us) {
  if (finished() || !started_ || now_us < deadline_us()) return;
  if (phase_ == Phase::dhcp) {
    const uint64_t before = dhcp_.stats().retransmits;
    send_dhcp(io, &DhcpClient::on_timeout, now_us);
    st_.retransmits[size_t(Phase::dhcp)] += uint32_t(dhcp_.stats().retransmits - before);
    if (dhcp_.state() == DhcpClient::State::failed)
      return failed(MachineFail::dhcp, dhcp_fail_name(dhcp_.fail()), now_us);
    if (dhcp_.state() == DhcpClient::State::bound) return after_lease(io, now_us);
    return;
  }
  if (phase_ == Phase::kickstart) {
    if (!http_started_) return start_http(io, now_us);
    int status = 0;
    uint64_t bytes = 0;
    uint32_t rtx = 0;
    std::string error;
    const int s = io.http_state(id_, &status, &bytes, &rtx, &error);
    if (s == 0) return;
    st_.http_bytes = bytes;
    st_.retransmits[size_t(Phase::kickstart)] = rtx;
    io.http_finish(id_);
    if (s < 0) return failed(MachineFail::kickstart, error, now_us);
    if (status < 200 || status > 299)
      return failed(MachineFail::kickstart_status, "HTTP " + std::to_string(status), now_us);
    return finish(now_us);
  }
  if (server_mac_.is_zero()) {
    if (arp_tries_ > o_.arp_retries)
      return failed(MachineFail::arp, proto::ip_str(server_), now_us);
    return send_arp(io, now_us);
  }
  if (!tftp_active_) return fetch(io, files_[file_], now_us);  // resolved: the first fetch
  emit_tftp(io, tftp_.on_timeout(now_us));
  if (tftp_.finished()) tftp_ended(io, now_us);
}

}  // namespace bs::bench
