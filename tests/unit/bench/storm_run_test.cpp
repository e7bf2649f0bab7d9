// Whole simulated PXE boots against a scripted server: DHCP, TFTP (boot file, ldlinux.c32, the
// config search, modules, kernel, initrd) and the kickstart fetch, on a fake clock, with and
// without the bench's faults.
#include "bench/storm_run.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "dataplane/proto/arp.hpp"
#include "dataplane/proto/dhcp.hpp"
#include "dataplane/proto/ipv4.hpp"
#include "dataplane/proto/tftp.hpp"
#include "dataplane/proto/udp.hpp"

namespace bs::bench {
namespace {

using proto::Bytes;
using proto::MutBytes;

// Frames the run sends, kept for the server.
class Wire final : public FrameSink {
 public:
  MutBytes frame() override { return buf_; }
  void send(size_t len) override { sent.emplace_back(buf_.begin(), buf_.begin() + len); }
  std::vector<std::vector<uint8_t>> sent;

 private:
  std::array<uint8_t, kMaxFrame> buf_{};
};

// Scripted HTTP: a GET succeeds (or gets `status`) as soon as it starts.
class FakeHttp final : public HttpIo {
 public:
  bool start(uint32_t id, const proto::Mac&, proto::Ip4, proto::Ip4, const std::string& url,
             uint64_t, std::string*) override {
    urls[id] = url;
    return true;
  }
  void on_frame(uint32_t, Bytes) override {}
  int state(uint32_t, int* st, uint64_t* bytes, uint32_t* rtx, std::string*) override {
    *st = status;
    *bytes = 1234;
    *rtx = 0;
    return 1;
  }
  void finish(uint32_t id) override { finished.push_back(id); }
  void poll(uint64_t) override {}
  std::map<uint32_t, std::string> urls;
  std::vector<uint32_t> finished;
  int status = 200;
};

const proto::Mac kServerMac{{0x02, 0x53, 0x52, 0x56, 0, 1}};
const proto::Ip4 kServerIp = 0x0a000001;  // 10.0.0.1

// A DHCP + TFTP server in a few lines: leases 10.0.0.100 + n, lock-step TFTP with blksize and
// tsize, ERROR 1 for what it does not have.
class Server {
 public:
  std::map<std::string, std::string> files;
  std::map<std::string, unsigned> requests;  // RRQs per file name
  uint64_t dhcp_seen = 0;
  bool dhcp_silent = false;

  std::vector<std::vector<uint8_t>> handle(Bytes frame) {
    out_.clear();
    auto eth = proto::parse_eth(frame);
    if (!eth) return {};
    if (eth->type == proto::kEtherArp) {
      auto arp = proto::parse_arp(frame.subspan(eth->header_len));
      if (arp && arp->op == proto::kArpRequest && arp->tpa == kServerIp) {
        std::vector<uint8_t> f(proto::kEthHeaderLen + proto::kArpLen);
        proto::write_eth(f, arp->sha, kServerMac, proto::kEtherArp);
        proto::write_arp(MutBytes(f).subspan(proto::kEthHeaderLen),
                         proto::Arp{proto::kArpReply, kServerMac, kServerIp, arp->sha, arp->spa});
        out_.push_back(f);
      }
      return out_;
    }
    auto u = proto::parse_udp_frame(frame);
    if (!u) return {};
    if (u->udp.dport == proto::kDhcpServerPort)
      dhcp(*u);
    else
      tftp(*u);
    return out_;
  }

 private:
  struct Transfer {
    std::string data;
    uint16_t blksize = 512;
    uint16_t port = 0;
  };

  void udp(const proto::Mac& dmac, proto::Ip4 dip, uint16_t sport, uint16_t dport, Bytes payload) {
    std::vector<uint8_t> f(proto::kEthIpUdpLen + payload.size());
    std::memcpy(f.data() + proto::kEthIpUdpLen, payload.data(), payload.size());
    proto::UdpAddr a{kServerMac, dmac, kServerIp, dip, sport, dport};
    proto::write_udp_headers(MutBytes(f).first(proto::kEthIpUdpLen), a, uint16_t(payload.size()),
                             proto::csum_partial(payload), 1);
    out_.push_back(std::move(f));
  }

  void dhcp(const proto::UdpFrame& u) {
    auto m = proto::parse_dhcp(u.payload);
    if (!m) return;
    ++dhcp_seen;
    if (dhcp_silent) return;
    auto& ip = leases_[m->chaddr.key()];
    if (!ip) ip = 0x0a000064 + proto::Ip4(leases_.size());
    std::array<uint8_t, 600> buf{};
    proto::DhcpReplyHeader h;
    h.xid = m->xid;
    h.yiaddr = ip;
    h.siaddr = kServerIp;
    h.chaddr = m->chaddr;
    h.file = "pxelinux.0";
    proto::DhcpWriter w(buf, h);
    w.add_u8(proto::opt::kMessageType, m->type == proto::kDiscover ? proto::kOffer : proto::kAck);
    w.add_ip(proto::opt::kServerId, kServerIp);
    w.add_ip(proto::opt::kSubnetMask, 0xffffff00);
    w.add_u32(proto::opt::kLeaseTime, 3600);
    const size_t n = w.finish();
    udp(m->chaddr, ip, 67, 68, Bytes(buf.data(), n));
  }

  void tftp(const proto::UdpFrame& u) {
    auto p = proto::parse_tftp(u.payload);
    if (!p) return;
    const uint64_t key = uint64_t(u.ip.src) << 16 | u.udp.sport;
    std::array<uint8_t, 1600> buf{};
    if (p->op == proto::TftpOp::rrq) {
      const std::string name(p->filename);
      ++requests[name];
      auto it = files.find(name);
      const uint16_t port = uint16_t(40000 + (next_port_++ % 20000));
      if (it == files.end()) {
        const size_t n = proto::write_tftp_error(buf, proto::kErrNotFound, "not found");
        return udp(u.eth.src, u.ip.src, port, u.udp.sport, Bytes(buf.data(), n));
      }
      Transfer t{it->second, 512, port};
      proto::TftpOack o;
      if (p->options.blksize) o.blksize = t.blksize = std::min<uint16_t>(*p->options.blksize, 1024);
      if (p->options.tsize) o.tsize = t.data.size();
      transfers_[key] = t;
      if (o.blksize || o.tsize) {
        const size_t n = proto::write_tftp_oack(buf, o);
        return udp(u.eth.src, u.ip.src, port, u.udp.sport, Bytes(buf.data(), n));
      }
      return data(u, transfers_[key], 1);
    }
    if (p->op == proto::TftpOp::ack) {
      auto it = transfers_.find(key);
      if (it == transfers_.end()) return;
      if (uint64_t(p->block) * it->second.blksize > it->second.data.size()) return;  // ended
      data(u, it->second, uint16_t(p->block + 1));
    }
  }

  void data(const proto::UdpFrame& u, const Transfer& t, uint16_t block) {
    std::array<uint8_t, 1600> buf{};
    const size_t off = size_t(block - 1) * t.blksize;
    const size_t len = std::min<size_t>(t.blksize, t.data.size() - std::min(off, t.data.size()));
    proto::write_tftp_data_header(buf, block);
    std::memcpy(buf.data() + 4, t.data.data() + off, len);
    udp(u.eth.src, u.ip.src, t.port, u.udp.sport, Bytes(buf.data(), 4 + len));
  }

  std::map<uint64_t, proto::Ip4> leases_;
  std::map<uint64_t, Transfer> transfers_;
  unsigned next_port_ = 0;
  std::vector<std::vector<uint8_t>> out_;
};

const char* kConfig =
    "UI menu.c32\nDEFAULT install\nLABEL install\n KERNEL vmlinuz\n APPEND initrd=initrd.img "
    "ks=http://10.0.0.1:8080/ks/default.cfg\n";

struct Lab {
  Wire wire;
  FakeHttp http;
  Server server;
  std::unique_ptr<FaultSink> tx;
  std::unique_ptr<StormRun> run;
  uint64_t now = 1000000;

  explicit Lab(StormConfig c) {
    server.files = {{"pxelinux.0", std::string(3000, 'p')}, {"ldlinux.c32", std::string(700, 'l')},
                    {"pxelinux.cfg/default", kConfig},      {"libcom32.c32", std::string(600, 'c')},
                    {"libutil.c32", std::string(600, 'u')}, {"menu.c32", std::string(600, 'm')},
                    {"vmlinuz", std::string(5000, 'k')},    {"initrd.img", std::string(9000, 'i')}};
    tx = std::make_unique<FaultSink>(wire, c.tx_faults, c.seed * 2 + 2);
    run = std::make_unique<StormRun>(c, *tx, &http);
  }
  // Frames both ways until quiet, then the clock moves by step_us; until the run ends.
  void go(uint64_t limit_us, uint64_t step_us = 50000) {
    const uint64_t end = now + limit_us;
    while (!run->finished() && now < end) {
      run->poll(now);
      for (int round = 0; round < 100000 && !wire.sent.empty(); ++round) {
        auto sent = std::move(wire.sent);
        wire.sent.clear();
        for (auto& f : sent)
          for (auto& r : server.handle(f)) run->on_frame(r, now);
        run->poll(now);
      }
      now += step_us;
    }
  }
};

StormConfig config(uint32_t clients) {
  StormConfig c;
  c.clients = clients;
  c.machine.tftp.blksize = 1024;
  c.machine.tftp.windowsize = 0;
  c.machine.tftp.timeout_us = 1000000;
  c.machine.tftp.max_retries = 8;
  return c;
}

TEST(StormRun, EveryMachineBootsThroughEveryPhase) {
  Lab lab(config(3));
  lab.go(60'000'000);
  ASSERT_TRUE(lab.run->finished());
  EXPECT_EQ(lab.run->completed(), 3u);
  EXPECT_EQ(lab.run->failed(), 0u);
  // Each machine asked for its UUID, MAC and 8 address names first: 10 misses, then default.
  EXPECT_EQ(lab.server.requests["pxelinux.cfg/default"], 3u);
  EXPECT_EQ(lab.server.requests["pxelinux.cfg/01-02-62-73-00-00-00"], 1u);
  EXPECT_EQ(lab.server.requests["menu.c32"], 3u);
  EXPECT_EQ(lab.server.requests["initrd.img"], 3u);
  for (uint32_t k = 0; k < 3; ++k) {
    EXPECT_EQ(lab.http.urls[k], "http://10.0.0.1:8080/ks/default.cfg");
    const auto& s = lab.run->machine(k).stats();
    EXPECT_EQ(s.config_misses, 10u);
    EXPECT_EQ(s.tftp_bytes, 3000u + 700 + std::strlen(kConfig) + 1800 + 5000 + 9000);
    for (size_t p = 0; p < kPhases; ++p) {
      EXPECT_NE(s.start_us[p], 0u) << phase_name(Phase(p));
      EXPECT_GE(s.end_us[p], s.start_us[p]) << phase_name(Phase(p));
    }
  }
  auto j = lab.run->to_json(lab.now);
  EXPECT_EQ(j["clients"], 3);
  EXPECT_EQ(j["completed"], 3);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["completion_s"].size(), 3u);
  EXPECT_EQ(j["phases"]["kernel"]["count"], 3);
  EXPECT_EQ(j["phase_order"].size(), kPhases + 1);
  EXPECT_EQ(j["counters"]["config_misses"], 30);
  EXPECT_EQ(j["bytes"]["http"], 3 * 1234);
}

TEST(StormRun, LossAndDuplicatesBothWaysStillBoot) {
  StormConfig c = config(4);
  c.rx_faults.loss = c.tx_faults.loss = 0.05;
  c.rx_faults.duplicate = c.tx_faults.duplicate = 0.05;
  c.seed = 3;
  Lab lab(c);
  lab.go(600'000'000);
  ASSERT_TRUE(lab.run->finished());
  EXPECT_EQ(lab.run->completed(), 4u);
  auto j = lab.run->to_json(lab.now);
  EXPECT_GT(j["faults"]["rx_dropped"].get<uint64_t>() + j["faults"]["tx_dropped"].get<uint64_t>(),
            0u);
  EXPECT_GT(j["faults"]["duplicated"].get<uint64_t>(), 0u);
  EXPECT_GT(j["phases"]["total"]["retransmits"].get<uint64_t>(), 0u);
}

TEST(StormRun, DhcpSilenceFailsAfterTheFirmwareSchedule) {
  StormConfig c = config(1);
  Lab lab(c);
  lab.server.dhcp_silent = true;
  lab.go(120'000'000, 100000);
  ASSERT_TRUE(lab.run->finished());
  EXPECT_EQ(lab.run->failed(), 1u);
  EXPECT_EQ(lab.run->machine(0).fail(), MachineFail::dhcp);
  // DISCOVER at 0, then again after 4, 8, 16 s; gives up 32 s after the last: 60 s in all.
  EXPECT_EQ(lab.server.dhcp_seen, 4u);
  const auto& m = lab.run->machine(0);
  EXPECT_GE(m.end_us() - m.start_us(), 60'000'000u);
  EXPECT_LT(m.end_us() - m.start_us(), 61'000'000u);
}

TEST(StormRun, MissingKernelAndMissingConfigFailByName) {
  {
    Lab lab(config(1));
    lab.server.files.erase("vmlinuz");
    lab.go(60'000'000);
    EXPECT_EQ(lab.run->machine(0).fail(), MachineFail::kernel);
    EXPECT_NE(lab.run->machine(0).fail_detail().find("vmlinuz"), std::string::npos);
  }
  {
    Lab lab(config(1));
    lab.server.files.erase("pxelinux.cfg/default");
    lab.go(60'000'000);
    EXPECT_EQ(lab.run->machine(0).fail(), MachineFail::no_config);
    auto j = lab.run->to_json(lab.now);
    EXPECT_EQ(j["failures"]["no_config"], 1);
  }
}

TEST(StormRun, LocalbootEndsAfterTheConfigAndBadStatusFails) {
  {
    Lab lab(config(1));
    lab.server.files["pxelinux.cfg/default"] = "DEFAULT local\nLABEL local\n LOCALBOOT 0\n";
    lab.go(60'000'000);
    EXPECT_EQ(lab.run->completed(), 1u);
    EXPECT_TRUE(lab.run->machine(0).localboot());
    EXPECT_EQ(lab.server.requests["vmlinuz"], 0u);
  }
  {
    Lab lab(config(1));
    lab.http.status = 403;
    lab.go(60'000'000);
    EXPECT_EQ(lab.run->machine(0).fail(), MachineFail::kickstart_status);
  }
}

TEST(StormRun, RampSpreadsArrivals) {
  StormConfig c = config(4);
  c.arrival = Arrival::ramp;
  c.ramp_us = 4'000'000;
  Lab lab(c);
  lab.go(60'000'000, 10000);
  ASSERT_EQ(lab.run->completed(), 4u);
  const uint64_t a = lab.run->machine(0).start_us(), d = lab.run->machine(3).start_us();
  EXPECT_GE(d - a, 3'000'000u);
  EXPECT_LT(d - a, 3'100'000u);
}

}  // namespace
}  // namespace bs::bench
