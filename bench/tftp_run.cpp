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

namespace {

// "OACK mc=239.255.77.1,1760,1", "DATA 17 (1468)", "ACK 3", "ERROR 1", "RRQ f": one packet.
std::string describe(Bytes payload) {
  auto p = proto::parse_tftp(payload);
  if (!p) return "malformed";
  char buf[160];
  switch (p->op) {
    case proto::TftpOp::rrq:
      std::snprintf(buf, sizeof(buf), "RRQ %.*s%s", int(p->filename.size()), p->filename.data(),
                    p->options.multicast ? " multicast" : "");
      break;
    case proto::TftpOp::data:
      std::snprintf(buf, sizeof(buf), "DATA %u (%zu)", p->block, p->data.size());
      break;
    case proto::TftpOp::ack:
      std::snprintf(buf, sizeof(buf), "ACK %u", p->block);
      break;
    case proto::TftpOp::error:
      std::snprintf(buf, sizeof(buf), "ERROR %u %.*s", p->error_code, int(p->error_msg.size()),
                    p->error_msg.data());
      break;
    case proto::TftpOp::oack: {
      std::string_view mc = p->options.multicast.value_or("-");
      std::snprintf(buf, sizeof(buf), "OACK mc=%.*s", int(mc.size()), mc.data());
      break;
    }
    default:
      std::snprintf(buf, sizeof(buf), "op %u", unsigned(p->op));
  }
  return buf;
}

}  // namespace

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::unicast:
      return "unicast";
    case Mode::multicast:
      return "multicast";
    case Mode::mtftp:
      return "mtftp";
  }
  return "?";
}

size_t TftpRun::group_members(GroupKey g) const {
  auto it = groups_.find(g.key());
  return it == groups_.end() ? 0 : it->second.members.size();
}

void TftpRun::send(size_t len) {
  out_.send(len);
  ++stats_.frames_tx;
  stats_.wire_bytes_tx += len;
}

bool TftpRun::udp_ok(MutBytes l4, const proto::Ipv4Header& ip, proto::UdpHeader& udp) {
  // A zero checksum means "not computed" (RFC 768), which the codec then does not verify.
  if (c_.udp_checksum_every != 0 && --csum_countdown_ == 0) {
    csum_countdown_ = c_.udp_checksum_every;
    ++stats_.udp_checksums;
  } else if (l4.size() >= proto::kUdpHeaderLen) {
    l4[6] = l4[7] = 0;
  }
  auto u = proto::parse_udp(l4, ip.src, ip.dst);
  if (!u) {
    ++stats_.bad_udp;
    return false;
  }
  udp = *u;
  return true;
}

void TftpRun::on_frame(MutBytes frame, uint64_t now_us) {
  now_us_ = now_us;
  ++stats_.frames_rx;
  stats_.wire_bytes_rx += frame.size();
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
  MutBytes l4 = l3.subspan(ip->header_len, ip->total_len - ip->header_len);
  if (is_multicast(ip->dst) && c_.mode != Mode::unicast && ip->proto == proto::kProtoUdp &&
      !ip->is_fragment() && ip->src == c_.server_ip)
    return on_group(*eth, *ip, l4, now_us);
  const uint32_t k = ip->dst - c_.client_first;
  if (ip->proto != proto::kProtoUdp || ip->is_fragment() || k >= c_.concurrency ||
      ip->src != c_.server_ip) {
    ++stats_.not_ours;
    return;
  }
  proto::UdpHeader udp;
  if (!udp_ok(l4, *ip, udp)) return;
  flush_groups();  // what came to a group before this frame first (it may end transfers)
  Slot& s = slots_[k];
  if (!s.busy || udp.dport != s.sport) {
    ++stats_.stale;
    return;
  }
  if (eth->dst != slot_mac(k)) ++stats_.wrong_mac;
  Bytes payload = l4.subspan(proto::kUdpHeaderLen, udp.len - proto::kUdpHeaderLen);
  const bool data =
      payload.size() >= 2 && payload[0] == 0 && payload[1] == uint8_t(proto::TftpOp::data);
  if (data) ++stats_.data_frames;
  if (c_.trace && (!data || c_.mode != Mode::unicast))
    std::fprintf(c_.trace, "%llu rx %u from %u: %s\n", (unsigned long long)now_us, k, udp.sport,
                 describe(payload).c_str());
  with(s, [&](auto& c) {
    const uint64_t before = c.bytes();
    Action a = c.on_packet(udp.sport, payload, now_us);
    stats_.bytes_in_order += c.bytes() - before;
    after(k, a, now_us);
  });
}

void TftpRun::on_group(const proto::EthHeader& eth, const proto::Ipv4Header& ip, MutBytes l4,
                       uint64_t now_us) {
  proto::UdpHeader udp;
  if (!udp_ok(l4, ip, udp)) return;
  const uint64_t key = GroupKey{ip.dst, udp.dport}.key();
  auto it = groups_.find(key);
  if (it == groups_.end() || it->second.members.empty()) {
    ++stats_.stale;
    return;
  }
  // RFC 1112: 01:00:5e and the group's low 23 bits.
  const proto::Mac want{
      {0x01, 0x00, 0x5e, uint8_t((ip.dst >> 16) & 0x7f), uint8_t(ip.dst >> 8), uint8_t(ip.dst)}};
  if (eth.dst != want) ++stats_.wrong_mac;
  Bytes payload = l4.subspan(proto::kUdpHeaderLen, udp.len - proto::kUdpHeaderLen);
  auto p = proto::parse_tftp(payload);
  if (!p || p->op != proto::TftpOp::data) {
    ++stats_.group_malformed;
    return;
  }
  ++stats_.data_frames;
  ++stats_.group_frames;
  if (c_.trace)
    std::fprintf(c_.trace, "%llu group %u from %u: DATA %u (%zu)\n", (unsigned long long)now_us,
                 udp.dport, udp.sport, p->block, p->data.size());
  Group& g = it->second;
  if (c_.group_batch > 1 && !g.mixed && g.blksize != 0) {
    // The short last block completes the listeners: no waiting then.
    const bool last = p->data.size() < g.blksize;
    if (!g.pending) {
      // Who takes frames at once until the next flush: masters change only through unicast
      // frames (OACKs), and those flush first.
      g.pending = true;
      g.masters.clear();
      for (uint32_t k : g.members)
        if (with(slots_[k], [](auto& c) { return c.master(); })) g.masters.push_back(k);
    }
    // Checked now (the frame's bytes go when this returns).
    if (pending_.empty()) pending_first_us_ = now_us;
    pending_.emplace_back(udp.sport, p->block, p->data.size(), g.blksize,
                          check_block(expected_, g.blksize, p->block, p->data));
    pending_group_.push_back(key);
    pending_us_ = now_us;
    if (!g.masters.empty()) {
      members_ = g.masters;  // a copy: delivering may end transfers and change the group
      const uint64_t tx = stats_.frames_tx;
      for (uint32_t k : members_) {
        const Slot& s = slots_[k];
        if (s.busy && s.group == key)
          deliver(k, std::span<const GroupFrame>(&pending_.back(), 1), now_us);
      }
      if (stats_.frames_tx != tx) out_.kick();
    }
    if (last || pending_.size() >= c_.group_batch) flush_groups();
    return;
  }
  flush_groups();  // may end transfers, even empty the group
  it = groups_.find(key);
  if (it == groups_.end()) return;
  const GroupFrame f(expected_, udp.sport, p->block, p->data);
  const size_t masters = order_members(it->second);
  deliver_all(key, masters, std::span<const GroupFrame>(&f, 1), now_us);
}

size_t TftpRun::order_members(const Group& g) {
  // Members may leave (or the group's list change) while frames are handed out: a copy.
  members_ = g.members;
  size_t masters = 0;
  for (size_t i = 0; i < members_.size(); ++i)
    if (with(slots_[members_[i]], [](auto& c) { return c.master(); }))
      std::swap(members_[i], members_[masters++]);
  return masters;
}

void TftpRun::deliver_all(uint64_t key, size_t masters, std::span<const GroupFrame> f,
                          uint64_t now_us) {
  const uint64_t tx = stats_.frames_tx;
  for (size_t i = 0; i < members_.size(); ++i) {
    // The masters' ACKs leave before the listeners take the frames.
    if (i == masters && stats_.frames_tx != tx) out_.kick();
    const uint32_t k = members_[i];
    const Slot& s = slots_[k];
    if (s.busy && s.group == key) deliver(k, f, now_us);
  }
}

void TftpRun::deliver(uint32_t k, std::span<const GroupFrame> f, uint64_t now_us) {
  Slot& s = slots_[k];
  const uint64_t key = s.group;
  with(s, [&](auto& c) {
    // Most frames change nothing but a bitmap; a member leaves its group only when done.
    while (!f.empty() && s.busy && s.group == key) {
      const uint64_t before = c.bytes();
      Action a;
      const size_t n = c.on_group_frames(f, now_us, &a);
      stats_.group_deliveries += n;
      stats_.bytes_in_order += c.bytes() - before;
      f = f.subspan(n);
      if (a.kind != Action::Kind::none || c.finished()) after(k, a, now_us);
    }
  });
}

void TftpRun::flush_groups() {
  if (pending_.empty()) return;
  // Usually one group: member by member, every pending frame of its group in order.
  for (size_t i = 0; i < pending_.size(); ++i) {
    const uint64_t key = pending_group_[i];
    bool seen = false;
    for (size_t j = 0; j < i && !seen; ++j) seen = pending_group_[j] == key;
    if (seen) continue;
    auto it = groups_.find(key);
    if (it == groups_.end()) continue;
    std::span<const GroupFrame> frames(pending_);
    if (std::any_of(pending_group_.begin(), pending_group_.end(),
                    [&](uint64_t g) { return g != key; })) {
      scratch_.clear();
      for (size_t j = i; j < pending_.size(); ++j)
        if (pending_group_[j] == key) scratch_.push_back(pending_[j]);
      frames = scratch_;
    }
    // The listeners: the masters had them at once.
    Group& g = it->second;
    g.pending = false;
    members_.clear();
    for (uint32_t k : g.members)
      if (std::find(g.masters.begin(), g.masters.end(), k) == g.masters.end())
        members_.push_back(k);
    deliver_all(key, 0, frames, std::max(now_us_, pending_us_));  // when they take them
  }
  pending_.clear();
  pending_group_.clear();
}

void TftpRun::sync_group(uint32_t k) {
  Slot& s = slots_[k];
  const GroupKey g = with(s, [](auto& c) { return c.group(); });
  const uint64_t key = g.addr == 0 ? 0 : g.key();
  if (key == s.group) return;
  if (s.group != 0) {
    Group& g = groups_[s.group];
    const uint32_t last = g.members.back();
    g.members[s.group_pos] = last;
    slots_[last].group_pos = s.group_pos;
    g.members.pop_back();
    if (g.members.empty()) groups_.erase(s.group);
  }
  s.group = key;
  if (key != 0) {
    Group& g = groups_[key];
    const uint16_t b = with(s, [](auto& c) { return c.blksize(); });
    if (g.blksize == 0) g.blksize = b;
    if (g.blksize != b) g.mixed = true;
    s.group_pos = uint32_t(g.members.size());
    g.members.push_back(k);
  }
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
  send(proto::kEthHeaderLen + proto::kArpLen);
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
  const size_t n = with(s, [&](auto& c) { return c.write(a, payload); });
  proto::UdpAddr addr;
  addr.src_mac = slot_mac(k);
  addr.dst_mac = server_mac_;
  addr.src_ip = slot_ip(k);
  addr.dst_ip = c_.server_ip;
  addr.sport = s.sport;
  addr.dport = with(s, [&](auto& c) { return c.dest_port(a); });
  proto::write_udp_headers(f.first(proto::kEthIpUdpLen), addr, uint16_t(n),
                           proto::csum_partial(payload.first(n)), ip_id_++);
  send(proto::kEthIpUdpLen + n);
  if (c_.trace)
    std::fprintf(c_.trace, "%llu tx %u to %u: %s\n", (unsigned long long)now_us_, k, addr.dport,
                 describe(payload.first(n)).c_str());
  return true;
}

void TftpRun::after(uint32_t k, const Action& a, uint64_t now_us) {
  emit(k, a);  // a frame that found no room is lost like one on the wire: timers recover
  sync_group(k);
  if (with(slots_[k], [](auto& c) { return c.finished(); })) end(k, now_us);
}

void TftpRun::end(uint32_t k, uint64_t now_us) {
  Slot& s = slots_[k];
  with(s, [&](auto& c) {
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
    const McastStats& ms = c.mstats();
    McastStats& m = stats_.mcast;
    m.group_frames += ms.group_frames;
    m.masters += ms.masters;
    m.promotions += ms.promotions;
    m.demotions += ms.demotions;
    m.repair_acks += ms.repair_acks;
    m.done_as_master += ms.done_as_master;
    m.done_as_listener += ms.done_as_listener;
    m.unicast += ms.unicast;
    m.opens += ms.opens;
    m.back_to_listen += ms.back_to_listen;
    if (c.done()) {
      ++stats_.completed;
      stats_.bytes_completed += c.bytes();
      latencies_us_.push_back(uint32_t(std::min<uint64_t>(now_us - s.start_us, UINT32_MAX)));
    } else {
      ++stats_.failed;
      ++stats_.fails[unsigned(c.fail())];
      if (c.fail() == Fail::server_error)
        ++stats_.server_error_codes[std::min<size_t>(c.error_code(), 8)];
    }
  });
  if (c_.trace)
    std::fprintf(c_.trace, "%llu end %u: %s\n", (unsigned long long)now_us, k,
                 with(s, [](auto& c) { return c.done() ? "done" : fail_name(c.fail()); }));
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
  send(proto::kEthHeaderLen + proto::kArpLen);
}

void TftpRun::start_transfers(uint64_t now_us) {
  for (uint32_t i = 0; i < c_.starts_per_poll && stats_.started < c_.transfers && !free_.empty();
       ++i) {
    const uint32_t k = free_.back();
    Slot& s = slots_[k];
    if (c_.mode == Mode::mtftp)
      s.pxe.reset(c_.client, c_.mtftp, c_.filename, expected_);
    else
      s.rfc.reset(c_.client, c_.filename, expected_, c_.mode == Mode::multicast);
    ++s.generation;
    // A new source port per transfer of a slot: the server sees a new transfer ID.
    s.sport = uint16_t(1024 + (uint32_t(k) * 7 + s.generation) % 64000);
    const Action a = with(s, [&](auto& c) { return c.start(now_us); });
    if (!emit(k, a)) return;  // no room now: the slot stays idle
    free_.pop_back();
    s.busy = true;
    s.start_us = now_us;
    if (stats_.started++ == 0) stats_.first_start_us = now_us;
    sync_group(k);  // an MTFTP client listens from the start
    if (with(s, [](auto& c) { return c.finished(); })) end(k, now_us);
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
    if (!s.busy || now_us < with(
                                s, [](auto& c) { return c.deadline_us(); }))
      continue;
    if (!pending_.empty()) {
      flush_groups();  // a listener's deadline moves with the frames it has not taken yet
      if (!s.busy) continue;
    }
    with(s, [&](auto& c) {
      if (now_us >= c.deadline_us()) after(k, c.on_timeout(now_us), now_us);
    });
  }
}

void TftpRun::poll(uint64_t now_us) {
  now_us_ = now_us;
  if (!pending_.empty() && (now_us - pending_first_us_ >= c_.group_batch_us ||
                            (stats_.started < c_.transfers && !free_.empty())))
    flush_groups();  // the listeners' frames, late enough; or before a member joins
  if (server_mac_.is_zero()) {
    if (now_us >= next_arp_us_) send_arp_request(now_us);
    return;
  }
  start_transfers(now_us);
  sweep(now_us);
}

}  // namespace bs::bench
