// TFTP beyond lock-step through the real worker: RFC 7440 windows and go-back, zero-copy DATA
// (header mbuf + external buffer in the cache), netascii, the per-client transfer cap.
#include <fstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace bs::test {
namespace {

using proto::TftpOp;

proto::TftpOptions window(uint16_t w) {
  proto::TftpOptions o;
  o.windowsize = w;
  return o;
}

struct Data {
  uint16_t block;
  std::string payload;
  uint16_t sport;
};

// Every frame must be a TFTP DATA; returns them in order.
std::vector<Data> data_frames(const std::vector<Frame>& out) {
  std::vector<Data> d;
  for (const Frame& f : out) {
    Udp u = parse_udp(f);
    EXPECT_TRUE(u.ok) << "a frame that does not parse (UDP checksum included)";
    if (!u.ok) continue;
    auto p = proto::parse_tftp(u.f.payload);
    EXPECT_TRUE(p && p->op == TftpOp::data);
    if (!p || p->op != TftpOp::data) continue;
    d.push_back({p->block, std::string(p->data.begin(), p->data.end()), u.f.udp.sport});
  }
  return d;
}

std::vector<uint16_t> blocks(const std::vector<Data>& d) {
  std::vector<uint16_t> b;
  for (const Data& x : d) b.push_back(x.block);
  return b;
}

class TftpWindowTest : public DataplaneTest {
 protected:
  // RRQ + OACK + ACK 0 for file with these options; returns the server's transfer port.
  uint16_t open(const std::string& file, const proto::TftpOptions& o, uint16_t sport,
                std::map<std::string, std::string>* oack = nullptr) {
    send(client_udp(sport, proto::kTftpPort, tftp_request(TftpOp::rrq, file, o)));
    poll();
    std::vector<Frame> out = sent();
    if (out.empty()) {
      pump_loader();
      poll();
      out = sent();
    }
    EXPECT_EQ(out.size(), 1u);
    if (out.size() != 1) return 0;
    Udp u = parse_udp(out[0]);
    EXPECT_TRUE(u.ok);
    if (oack) *oack = oack_options(u.f.payload);
    return u.f.udp.sport;
  }
};

TEST_F(TftpWindowTest, WindowsAndGoBackFromTheClientsAck) {
  const std::string& want = disk_["kernel.img"];  // 5000 bytes: 10 blocks of 512
  proto::TftpOptions o;
  o.windowsize = 4;
  std::map<std::string, std::string> oack;
  const uint16_t tport = open("kernel.img", o, 41001, &oack);
  ASSERT_NE(tport, 0);
  EXPECT_EQ(oack["windowsize"], "4");

  send(client_udp(41001, tport, tftp_ack(0)));
  poll();
  std::vector<Data> w1 = data_frames(sent());
  EXPECT_EQ(blocks(w1), (std::vector<uint16_t>{1, 2, 3, 4}));
  // The client lost block 3: it ACKs 2, the server goes back to 3.
  send(client_udp(41001, tport, tftp_ack(2)));
  poll();
  std::vector<Data> w2 = data_frames(sent());
  EXPECT_EQ(blocks(w2), (std::vector<uint16_t>{3, 4, 5, 6}));
  // A duplicate of that ACK sends nothing (Sorcerer's Apprentice).
  send(client_udp(41001, tport, tftp_ack(2)));
  poll();
  EXPECT_TRUE(sent().empty());
  send(client_udp(41001, tport, tftp_ack(6)));
  poll();
  std::vector<Data> w3 = data_frames(sent());
  EXPECT_EQ(blocks(w3), (std::vector<uint16_t>{7, 8, 9, 10}));
  std::string got;
  for (const Data& d : w1)
    if (d.block <= 2) got += d.payload;
  for (const Data& d : w2) got += d.payload;
  for (const Data& d : w3) got += d.payload;
  EXPECT_EQ(got, want);
  send(client_udp(41001, tport, tftp_ack(10)));
  poll();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(shared_->counters.tftp_done.get(), 1u);
  EXPECT_EQ(shared_->counters.tftp_retransmits.get(), 2u);  // blocks 3 and 4 again
  EXPECT_EQ(shared_->counters.tftp_data_frames.get(), 12u);
}

TEST_F(TftpWindowTest, ZeroCopyFramesCarryTheCachesBytes) {
  cfg_.zero_copy = true;  // net_ring hands the chained mbufs over as they are
  start_worker(cfg_.limits);
  for (uint16_t blksize : {uint16_t(512), uint16_t(1468), uint16_t(1001)}) {
    proto::TftpOptions o;
    o.blksize = blksize;  // 1001: odd, so payloads start at odd offsets of the cache
    Fetched f = fetch("kernel.img", o, uint16_t(42000 + blksize));
    EXPECT_TRUE(f.ok) << blksize;
    EXPECT_EQ(f.data, disk_["kernel.img"]) << blksize;
  }
  // The frames were freed by the test; no payload segment is left referring to the cache.
  const cache::FileSlot* slot = files_->index()->find("kernel.img");
  ASSERT_NE(slot, nullptr);
  const cache::Blob* blob = slot->blob.load();
  ASSERT_NE(blob, nullptr);
  EXPECT_FALSE(blob->in_flight());
  EXPECT_EQ(rte_mempool_in_use_count(world().ext_pool), 0u);
}

TEST_F(TftpWindowTest, ZeroCopyFrameIsAHeaderChainedToTheCache) {
  cfg_.zero_copy = true;
  start_worker(cfg_.limits);
  const uint16_t tport = open("preloaded.bin", window(2), 41100);
  ASSERT_NE(tport, 0);
  send(client_udp(41100, tport, tftp_ack(0)));
  poll();
  rte_mbuf* m[4];
  ASSERT_EQ(rte_ring_dequeue_burst(world().boot_tx, reinterpret_cast<void**>(m), 4, nullptr), 2u);
  const cache::Blob* blob = files_->index()->find("preloaded.bin")->blob.load();
  EXPECT_TRUE(blob->in_flight());  // frames not yet freed refer to it
  EXPECT_EQ(m[0]->nb_segs, 2);
  EXPECT_TRUE(RTE_MBUF_HAS_EXTBUF(m[0]->next));
  EXPECT_EQ(m[0]->next->buf_addr, static_cast<void*>(blob->data));  // block 1 at offset 0
  EXPECT_EQ(m[1]->next->buf_addr, static_cast<void*>(blob->data + 512));
  rte_pktmbuf_free(m[0]);
  rte_pktmbuf_free(m[1]);
  EXPECT_FALSE(blob->in_flight());
  send(client_udp(41100, tport, tftp_ack(2)));
  poll();
  EXPECT_TRUE(sent().empty());  // 700 bytes: blocks 1 and 2 were all
  EXPECT_EQ(shared_->counters.tftp_done.get(), 1u);
}

TEST_F(TftpWindowTest, NetasciiConvertsLineEndingsAndTsizeCountsThem) {
  const std::string text = "default menu\nlabel a\r\n\tkernel x\n";
  std::string want;
  for (char c : text)
    want += c == '\n'   ? std::string("\r\n")
            : c == '\r' ? std::string("\r\0", 2)
                        : std::string(1, c);
  {
    std::ofstream out(root_ + "/menu.txt", std::ios::binary);
    out << text;
  }
  for (cache::FileSlot* s : files_->refresh(&snap_)) loader_->request(s);
  std::vector<uint8_t> rrq(600);
  proto::TftpOptions o;
  o.tsize = true;
  rrq.resize(proto::write_tftp_request(proto::MutBytes(rrq.data(), rrq.size()), TftpOp::rrq,
                                       "menu.txt", "NetASCII", o));
  send(client_udp(41200, proto::kTftpPort, rrq));
  poll();
  pump_loader();
  poll();
  std::vector<Frame> out = sent();
  ASSERT_EQ(out.size(), 1u);
  Udp u = parse_udp(out[0]);
  ASSERT_TRUE(u.ok);
  auto oack = oack_options(u.f.payload);
  EXPECT_EQ(oack["tsize"], std::to_string(want.size()));
  send(client_udp(41200, u.f.udp.sport, tftp_ack(0)));
  poll();
  std::vector<Data> d = data_frames(sent());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].payload, want);
  send(client_udp(41200, u.f.udp.sport, tftp_ack(1)));
  poll();
  EXPECT_EQ(shared_->counters.tftp_done.get(), 1u);
}

TEST_F(TftpWindowTest, AFullTransmitQueueDefersDataAndKeepsControlFramesFirst) {
  // A window larger than the port's queue (net_ring: 1023 frames) and a test that does not
  // drain it: what the port refuses stays due, nothing is dropped or sent twice, and another
  // client's OACK goes out ahead of the waiting DATA.
  const std::string big = pattern(1500 * 512 + 100, 9);
  {
    std::ofstream out(root_ + "/big.bin", std::ios::binary);
    out << big;
  }
  for (cache::FileSlot* sl : files_->refresh(&snap_)) loader_->request(sl);
  cfg_.limits.max_windowsize = 2000;
  start_worker(cfg_.limits);
  const uint16_t tport = open("big.bin", window(1600), 41400);
  ASSERT_NE(tport, 0);
  send(client_udp(41400, tport, tftp_ack(0)));
  poll(40);  // far more than the queue takes
  EXPECT_GT(shared_->counters.tftp_tx_deferred.get(), 0u);
  EXPECT_EQ(drops(Drop::tx_full), 0u);
  // Another client asks for a file with options while the queue is full.
  send(client_udp(41401, proto::kTftpPort, tftp_request(TftpOp::rrq, "preloaded.bin", window(2))));
  poll();
  std::vector<Data> got;
  bool oack_seen = false;
  size_t data_before_oack_check = 0;
  for (int round = 0; round < 100 && got.size() < 1501; ++round) {
    std::vector<Frame> out = sent();  // the queue drains: room for what waited
    for (const Frame& f : out) {
      Udp u = parse_udp(f);
      ASSERT_TRUE(u.ok);
      auto p = proto::parse_tftp(u.f.payload);
      ASSERT_TRUE(p);
      if (p->op == TftpOp::oack) {
        oack_seen = true;
        EXPECT_EQ(u.f.udp.dport, 41401);
        continue;
      }
      ASSERT_EQ(p->op, TftpOp::data);
      got.push_back({p->block, std::string(p->data.begin(), p->data.end()), u.f.udp.sport});
    }
    if (round == 0) data_before_oack_check = got.size();
    if (round == 1) {
      EXPECT_TRUE(oack_seen) << "the OACK waited behind DATA";
    }
    poll();
  }
  EXPECT_TRUE(oack_seen);
  EXPECT_EQ(data_before_oack_check, 1023u);  // the queue was full
  ASSERT_EQ(got.size(), 1501u);              // blocks 1..1501 of the window, once each
  std::string all;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].block, uint16_t(i + 1));
    all += got[i].payload;
  }
  EXPECT_EQ(all, big);
  EXPECT_EQ(shared_->counters.tftp_retransmits.get(), 0u);
  EXPECT_EQ(drops(Drop::tx_full), 0u);
}

TEST_F(TftpWindowTest, PerClientCapAnswersWithAnError) {
  cfg_.max_sessions_per_client = 1;
  start_worker(cfg_.limits);
  const uint16_t tport = open("kernel.img", window(2), 41300);
  ASSERT_NE(tport, 0);
  // A second transfer from the same address while the first is open: ERROR, counted.
  send(client_udp(41301, proto::kTftpPort, tftp_request(TftpOp::rrq, "preloaded.bin")));
  poll();
  std::vector<Frame> out = sent();
  ASSERT_EQ(out.size(), 1u);
  Udp u = parse_udp(out[0]);
  auto p = proto::parse_tftp(u.f.payload);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->op, TftpOp::error);
  EXPECT_EQ(drops(Drop::tftp_client_sessions), 1u);
  // The first one ends (the client gives up with an ERROR): the address may open another.
  std::vector<uint8_t> err(64);
  err.resize(proto::write_tftp_error(proto::MutBytes(err.data(), err.size()), 0, "bye"));
  send(client_udp(41300, tport, err));
  poll();
  Fetched f = fetch("preloaded.bin", proto::TftpOptions{}, 41302);
  EXPECT_TRUE(f.ok);
  EXPECT_EQ(f.data, disk_["preloaded.bin"]);
}

}  // namespace
}  // namespace bs::test
