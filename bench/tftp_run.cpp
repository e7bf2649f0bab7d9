#include "tftp_run.hpp"

#include <algorithm>

#include "dataplane/proto/arp.hpp"
#include "dataplane/proto/tftp.hpp"
#include "dataplane/proto/udp.hpp"

namespace bs::bench {

using proto::Bytes;
using proto::MutBytes;

TftpRun::TftpRun(RunConfig c, Bytes expected, FrameSink& out)
    : c_(std::move(c)), expected_(expected), out_(out), server_mac_(c_.server_mac) {
  if (c_.concurrency == 0) c_.concurrency = 1;
  if (c_.concurrency > c_.transfers && c_.transfers > 0) c_.concurrency = uint32_t(c_.transfers);
  slots_.resize(c_.concurrency);
  free_.reserve(c_.concurrency);
  for (uint32_t k = c_.concurrency; k-- > 0;) free_.push_back(k);  // slot 0 first
  latencies_us_.reserve(c_.transfers);
}

proto::Mac TftpRun::slot_mac(uint32_t k) const {
  proto::Mac m = c_.client_mac_base;
  uint32_t low = (uint32_t(m.b[3]) << 16 | uint32_t(m.b[4]) << 8 | m.b[5]) + k;
  m.b[3] = uint8_t(low >> 16);
  m.b[4] = uint8_t(low >> 8);
  m.b[5] = uint8_t(low);
  return m;
}

void TftpRun::on_frame(MutBytes frame, uint64_t now_us) {
  ++stats_.frames_rx;
  auto eth = proto::parse_eth(frame);
  if (!eth) {
    ++stats_.bad_frames;
    return;
  }
  if (eth->type == proto::kEtherArp) return on_arp(frame.subspan(eth->header_len), eth->src);
  if (eth->type != proto::kEtherIpv4) {
    ++stats_.not_ours;
    return;
  }
  MutBytes l3 = frame.subspan(eth->header_len);
  auto ip = proto::parse_ipv4(l3);
  if (!ip) {
    ++stats_.bad_frames;
    return;
  }
  const uint32_t k = ip->dst - c_.client_first;
  if (ip->proto != proto::kProtoUdp || ip->is_fragment() || k >= c_.concurrency ||
      ip->src != c_.server_ip) {
    ++stats_.not_ours;
    return;
  }
  MutBytes l4 = l3.subspan(ip->header_len, ip->total_len - ip->header_len);
  // A zero checksum means "not computed" (RFC 768), which the codec then does not verify.
  if (c_.udp_checksum_every != 0 && --csum_countdown_ == 0) {
    csum_countdown_ = c_.udp_checksum_every;
    ++stats_.udp_checksums;
  } else if (l4.size() >= proto::kUdpHeaderLen) {
    l4[6] = l4[7] = 0;
  }
  auto udp = proto::parse_udp(l4, ip->src, ip->dst);
  if (!udp) {
    ++stats_.bad_udp;
    return;
  }
  Slot& s = slots_[k];
  if (!s.busy || udp->dport != s.sport) {
    ++stats_.stale;
    return;
  }
  if (eth->dst != slot_mac(k)) ++stats_.wrong_mac;
  Bytes payload = l4.subspan(proto::kUdpHeaderLen, udp->len - proto::kUdpHeaderLen);
  if (payload.size() >= 2 && payload[0] == 0 && payload[1] == uint8_t(proto::TftpOp::data))
    ++stats_.data_frames;
  const uint64_t before = s.client.bytes();
  Action a = s.client.on_packet(udp->sport, payload, now_us);
  stats_.bytes_in_order += s.client.bytes() - before;
  after(k, a, now_us);
}

void TftpRun::on_arp(Bytes payload, const proto::Mac& eth_src) {
  auto arp = proto::parse_arp(payload);
  if (!arp) {
    ++stats_.bad_frames;
    return;
  }
  // The server's address, from its reply to us or from its own request.
  if (arp->spa == c_.server_ip && server_mac_.is_zero()) server_mac_ = arp->sha;
  const uint32_t k = arp->tpa - c_.client_first;
  if (arp->op != proto::kArpRequest || k >= c_.concurrency) {
    ++stats_.not_ours;
    return;
  }
  MutBytes f = out_.frame();
  if (f.size() < proto::kEthHeaderLen + proto::kArpLen) {
    ++stats_.tx_no_room;
    return;
  }
  const proto::Mac mac = slot_mac(k);
  const proto::Mac to = arp->sha.is_zero() ? eth_src : arp->sha;
  proto::Arp reply{proto::kArpReply, mac, arp->tpa, to, arp->spa};
  proto::write_eth(f, to, mac, proto::kEtherArp);
  proto::write_arp(f.subspan(proto::kEthHeaderLen), reply);
  out_.send(proto::kEthHeaderLen + proto::kArpLen);
  ++stats_.frames_tx;
  ++stats_.arp_replies;
}

bool TftpRun::emit(uint32_t k, const Action& a) {
  if (a.kind == Action::Kind::none) return true;
  MutBytes f = out_.frame();
  if (f.size() < kMaxFrame) {
    ++stats_.tx_no_room;
    return false;
  }
  Slot& s = slots_[k];
  MutBytes payload = f.subspan(proto::kEthIpUdpLen);
  const size_t n = s.client.write(a, payload);
  proto::UdpAddr addr;
  addr.src_mac = slot_mac(k);
  addr.dst_mac = server_mac_;
  addr.src_ip = slot_ip(k);
  addr.dst_ip = c_.server_ip;
  addr.sport = s.sport;
  addr.dport = a.kind == Action::Kind::rrq ? proto::kTftpPort : s.client.server_port();
  proto::write_udp_headers(f.first(proto::kEthIpUdpLen), addr, uint16_t(n),
                           proto::csum_partial(payload.first(n)), ip_id_++);
  out_.send(proto::kEthIpUdpLen + n);
  ++stats_.frames_tx;
  return true;
}

void TftpRun::after(uint32_t k, const Action& a, uint64_t now_us) {
  emit(k, a);  // a frame that found no room is lost like one on the wire: timers recover
  if (slots_[k].client.finished()) end(k, now_us);
}

void TftpRun::end(uint32_t k, uint64_t now_us) {
  Slot& s = slots_[k];
  const TftpClient& c = s.client;
  const ClientStats& cs = c.stats();
  ClientStats& t = stats_.clients;
  t.data_frames += cs.data_frames;
  t.duplicates += cs.duplicates;
  t.out_of_order += cs.out_of_order;
  t.strangers += cs.strangers;
  t.malformed += cs.malformed;
  t.acks += cs.acks;
  t.acks_timeout += cs.acks_timeout;
  t.acks_gap += cs.acks_gap;
  t.acks_dup += cs.acks_dup;
  t.rrq_resent += cs.rrq_resent;
  if (c.state() == TftpClient::State::done) {
    ++stats_.completed;
    stats_.bytes_completed += c.bytes();
    latencies_us_.push_back(uint32_t(std::min<uint64_t>(now_us - s.start_us, UINT32_MAX)));
  } else {
    ++stats_.failed;
    ++stats_.fails[unsigned(c.fail())];
    if (c.fail() == Fail::server_error)
      ++stats_.server_error_codes[std::min<size_t>(c.error_code(), 8)];
  }
  stats_.last_end_us = now_us;
  s.busy = false;
  free_.push_back(k);
}

void TftpRun::send_arp_request(uint64_t now_us) {
  next_arp_us_ = now_us + c_.arp_interval_us;
  MutBytes f = out_.frame();
  if (f.size() < proto::kEthHeaderLen + proto::kArpLen) {
    ++stats_.tx_no_room;
    return;
  }
  const proto::Mac mac = slot_mac(0);
  proto::Arp req{proto::kArpRequest, mac, slot_ip(0), proto::Mac{}, c_.server_ip};
  proto::write_eth(f, proto::kBroadcastMac, mac, proto::kEtherArp);
  proto::write_arp(f.subspan(proto::kEthHeaderLen), req);
  out_.send(proto::kEthHeaderLen + proto::kArpLen);
  ++stats_.frames_tx;
}

void TftpRun::start_transfers(uint64_t now_us) {
  for (uint32_t i = 0; i < c_.starts_per_poll && stats_.started < c_.transfers && !free_.empty();
       ++i) {
    const uint32_t k = free_.back();
    Slot& s = slots_[k];
    s.client.reset(c_.client, c_.filename, expected_);
    ++s.generation;
    // A new source port per transfer of a slot: the server sees a new transfer ID.
    s.sport = uint16_t(1024 + (uint32_t(k) * 7 + s.generation) % 64000);
    if (!emit(k, s.client.start(now_us))) return;  // no room now: the slot stays idle
    free_.pop_back();
    s.busy = true;
    s.start_us = now_us;
    if (stats_.started++ == 0) stats_.first_start_us = now_us;
  }
}

void TftpRun::sweep(uint64_t now_us) {
  // Credit accrues at concurrency slots per sweep_us, so each deadline is looked at about once
  // per sweep whatever the loop's pace; a poll never looks at more than every slot once.
  const uint64_t n = c_.concurrency;
  if (last_sweep_us_ == 0) last_sweep_us_ = now_us;
  sweep_credit_ += (now_us - last_sweep_us_) * n;
  last_sweep_us_ = now_us;
  uint64_t todo = std::min<uint64_t>(sweep_credit_ / std::max<uint64_t>(c_.sweep_us, 1), n);
  sweep_credit_ -= todo * std::max<uint64_t>(c_.sweep_us, 1);
  sweep_credit_ = std::min<uint64_t>(sweep_credit_, n * std::max<uint64_t>(c_.sweep_us, 1));
  for (; todo > 0; --todo) {
    const uint32_t k = cursor_;
    cursor_ = cursor_ + 1 == n ? 0 : cursor_ + 1;
    Slot& s = slots_[k];
    if (!s.busy || now_us < s.client.deadline_us()) continue;
    after(k, s.client.on_timeout(now_us), now_us);
  }
}

void TftpRun::poll(uint64_t now_us) {
  if (server_mac_.is_zero()) {
    if (now_us >= next_arp_us_) send_arp_request(now_us);
    return;
  }
  start_transfers(now_us);
  sweep(now_us);
}

}  // namespace bs::bench
