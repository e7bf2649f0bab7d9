// TFTP through the real worker and the real io_uring loader: on-demand loads, lock-step DATA/ACK,
// option negotiation, errors, retransmission.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "harness.hpp"

namespace bs::test {
namespace {

using proto::TftpOp;

struct Tftp {
  Udp u;
  proto::TftpPacket p;
};

// Exactly one TFTP packet on the boot port, parsed (fails the test otherwise).
::testing::AssertionResult one_tftp(const std::vector<Frame>& out, Tftp& t) {
  if (out.size() != 1)
    return ::testing::AssertionFailure() << out.size() << " frames sent, expected 1";
  t.u = parse_udp(out[0]);
  if (!t.u.ok) return ::testing::AssertionFailure() << "frame does not parse as UDP";
  auto p = proto::parse_tftp(t.u.f.payload);
  if (!p) return ::testing::AssertionFailure() << "payload does not parse as TFTP";
  t.p = *p;
  return ::testing::AssertionSuccess();
}

std::string str(proto::Bytes b) {
  return std::string(b.begin(), b.end());
}

bool has_event(const std::vector<Event>& ev, EventType t, std::string_view text) {
  return std::any_of(ev.begin(), ev.end(),
                     [&](const Event& e) { return e.type == t && text == e.text; });
}

TEST_F(DataplaneTest, RrqLoadsOnDemandThenServesEveryBlockInLockStep) {
  const std::string& want = disk_["pxelinux.0"];
  ASSERT_EQ(pending_load_requests(), 0u);
  send(client_udp(40001, proto::kTftpPort, tftp_request(TftpOp::rrq, "pxelinux.0")));
  poll();
  // Not in memory yet: no DATA, one load request for the service thread.
  EXPECT_TRUE(sent().empty());
  ASSERT_EQ(pending_load_requests(), 1u);
  poll(3);  // the worker serves others meanwhile; it must not ask twice
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(pending_load_requests(), 1u);
  EXPECT_EQ(pump_loader(), 1u);
  poll();

  Tftp t;
  ASSERT_TRUE(one_tftp(sent(), t));
  const uint16_t tport = t.u.f.udp.sport;
  EXPECT_GE(tport, kPortMin);
  EXPECT_LE(tport, kPortMax);
  EXPECT_EQ(t.u.f.udp.dport, 40001);
  EXPECT_EQ(t.u.f.ip.dst, kClientIp);
  EXPECT_EQ(t.u.f.eth.dst, kClientMac);
  ASSERT_EQ(t.p.op, TftpOp::data);
  EXPECT_EQ(t.p.block, 1);
  EXPECT_EQ(str(t.p.data), want.substr(0, 512));

  ASSERT_TRUE(one_tftp(exchange(client_udp(40001, tport, tftp_ack(1))), t));
  EXPECT_EQ(t.p.block, 2);
  EXPECT_EQ(str(t.p.data), want.substr(512, 512));
  // A duplicate ACK of block 1 sends nothing (no Sorcerer's Apprentice).
  EXPECT_TRUE(exchange(client_udp(40001, tport, tftp_ack(1))).empty());
  ASSERT_TRUE(one_tftp(exchange(client_udp(40001, tport, tftp_ack(2))), t));
  EXPECT_EQ(t.p.block, 3);
  EXPECT_EQ(str(t.p.data), want.substr(1024));  // 276 bytes: the last block
  EXPECT_TRUE(exchange(client_udp(40001, tport, tftp_ack(3))).empty());

  auto ev = events();
  EXPECT_TRUE(has_event(ev, EventType::tftp_start, "pxelinux.0"));
  auto done = std::find_if(ev.begin(), ev.end(),
                           [](const Event& e) { return e.type == EventType::tftp_done; });
  ASSERT_NE(done, ev.end());
  EXPECT_EQ(done->bytes, want.size());
  EXPECT_EQ(shared_->counters.tftp_done.get(), 1u);
  EXPECT_EQ(shared_->counters.tftp_data_bytes.get(), want.size());

  // The session is closed: a late ACK finds none.
  ASSERT_TRUE(one_tftp(exchange(client_udp(40001, tport, tftp_ack(3))), t));
  EXPECT_EQ(t.p.op, TftpOp::error);
  EXPECT_EQ(t.p.error_code, proto::kErrUnknownTid);

  // Now cached: a second client is served at once, byte for byte.
  Fetched again = fetch("pxelinux.0", {}, 40002);
  ASSERT_TRUE(again.ok);
  EXPECT_EQ(again.load_requests, 0u);
  EXPECT_EQ(again.data, want);
  EXPECT_NE(again.server_port, tport) << "a just-freed transfer port was reused at once";
}

TEST_F(DataplaneTest, FileOfExactlyTwoBlocksEndsWithAnEmptyBlock) {
  Fetched f = fetch("two-blocks.bin", {}, 40010);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.load_requests, 1u);
  EXPECT_EQ(f.data_packets, 3u);  // 512 + 512 + 0
  EXPECT_EQ(f.data, disk_["two-blocks.bin"]);

  Fetched e = fetch("empty.bin", {}, 40011);
  ASSERT_TRUE(e.ok);
  EXPECT_EQ(e.data_packets, 1u);
  EXPECT_TRUE(e.data.empty());
}

TEST_F(DataplaneTest, PreloadedFileNeedsNoLoad) {
  Fetched f = fetch("preloaded.bin", {}, 40012);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.load_requests, 0u);
  EXPECT_EQ(f.data, disk_["preloaded.bin"]);
}

TEST_F(DataplaneTest, BlksizeAndTsizeAreNegotiated) {
  proto::TftpOptions o;
  o.blksize = 1468;
  o.tsize = true;
  Fetched f = fetch("kernel.img", o, 40020);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.oack["blksize"], "1468");
  EXPECT_EQ(f.oack["tsize"], std::to_string(disk_["kernel.img"].size()));
  EXPECT_EQ(f.data_packets, 4u);  // 3 * 1468 + 596
  EXPECT_EQ(f.data, disk_["kernel.img"]);
}

TEST_F(DataplaneTest, BlksizeIsClampedToTheLimit) {
  proto::TftpOptions o;
  o.blksize = 9000;
  send(client_udp(40030, proto::kTftpPort, tftp_request(TftpOp::rrq, "kernel.img", o)));
  poll();
  EXPECT_EQ(pump_loader(), 1u);
  poll();
  auto out = sent();
  Tftp t;
  ASSERT_TRUE(one_tftp(out, t));
  ASSERT_EQ(t.p.op, TftpOp::oack);
  auto opts = oack_options(t.u.f.payload);
  EXPECT_EQ(opts["blksize"], std::to_string(cfg_.limits.max_blksize));
  EXPECT_EQ(opts.count("tsize"), 0u) << "tsize was not asked for";
  ASSERT_TRUE(one_tftp(exchange(client_udp(40030, t.u.f.udp.sport, tftp_ack(0))), t));
  EXPECT_EQ(t.p.op, TftpOp::data);
  EXPECT_EQ(t.p.data.size(), cfg_.limits.max_blksize);
  // A full block fits the port's MTU: no IP fragmentation.
  EXPECT_EQ(t.u.f.ip.total_len, world().boot.mtu);

  // A smaller limit is honoured too (the clamp is limits.max_blksize).
  tftp::Limits small = cfg_.limits;
  small.max_blksize = 1024;
  start_worker(small);
  Fetched f = fetch("kernel.img", o, 40031);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.oack["blksize"], "1024");
  EXPECT_EQ(f.data, disk_["kernel.img"]);
}

TEST_F(DataplaneTest, RequestErrors) {
  Tftp t;
  // Missing: ERROR 1 at once, from port 69, answered from the index (no load).
  ASSERT_TRUE(one_tftp(
      exchange(client_udp(40040, proto::kTftpPort, tftp_request(TftpOp::rrq, "nothing.bin"))), t));
  EXPECT_EQ(t.p.op, TftpOp::error);
  EXPECT_EQ(t.p.error_code, proto::kErrNotFound);
  EXPECT_EQ(t.u.f.udp.sport, proto::kTftpPort);
  EXPECT_EQ(t.u.f.udp.dport, 40040);
  EXPECT_EQ(pending_load_requests(), 0u);
  EXPECT_EQ(shared_->counters.tftp_misses.get(), 1u);

  ASSERT_TRUE(one_tftp(
      exchange(client_udp(40041, proto::kTftpPort, tftp_request(TftpOp::rrq, "../etc/passwd"))),
      t));
  EXPECT_EQ(t.p.op, TftpOp::error);
  EXPECT_EQ(t.p.error_code, proto::kErrAccess);

  ASSERT_TRUE(one_tftp(
      exchange(client_udp(40042, proto::kTftpPort, tftp_request(TftpOp::wrq, "upload.bin"))), t));
  EXPECT_EQ(t.p.op, TftpOp::error);
  EXPECT_EQ(t.p.error_code, proto::kErrIllegalOp);
  EXPECT_EQ(pending_load_requests(), 0u);

  auto ev = events();
  EXPECT_TRUE(has_event(ev, EventType::tftp_miss, "nothing.bin"));
  EXPECT_TRUE(has_event(ev, EventType::tftp_denied, "../etc/passwd"));
  EXPECT_TRUE(has_event(ev, EventType::tftp_denied, "upload.bin"));
  EXPECT_EQ(shared_->counters.tftp_started.get(), 0u);
}

TEST_F(DataplaneTest, VirtualFileFromTheSnapshot) {
  Fetched f = fetch(kVirtualPath, {}, 40050);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.load_requests, 0u);
  EXPECT_EQ(f.data, kVirtualContent);
}

TEST_F(DataplaneTest, FileThatVanishedBeforeItsLoadGetsError1) {
  // In the index (scanned at set-up) but gone from disk when the loader opens it.
  ASSERT_TRUE(std::filesystem::remove(root_ + "/kernel.img"));
  send(client_udp(40060, proto::kTftpPort, tftp_request(TftpOp::rrq, "kernel.img")));
  poll();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(pump_loader(), 1u);
  poll();
  Tftp t;
  ASSERT_TRUE(one_tftp(sent(), t));
  EXPECT_EQ(t.p.op, TftpOp::error);
  EXPECT_EQ(t.p.error_code, proto::kErrNotFound);
  EXPECT_EQ(t.u.f.udp.dport, 40060);
  EXPECT_EQ(drops(Drop::tftp_file_error), 1u);
  EXPECT_EQ(shared_->counters.tftp_failed.get(), 1u);
}

TEST_F(DataplaneTest, LoadThatNeverCompletesTimesOut) {
  cfg_.load_timeout_ms = 30;
  start_worker(cfg_.limits);
  send(client_udp(40070, proto::kTftpPort, tftp_request(TftpOp::rrq, "kernel.img")));
  poll();
  EXPECT_EQ(pending_load_requests(), 1u);  // the service never answers
  std::vector<Frame> out;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (out.empty() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    poll();
    out = sent();
  }
  Tftp t;
  ASSERT_TRUE(one_tftp(out, t));
  EXPECT_EQ(t.p.op, TftpOp::error);
  EXPECT_EQ(t.p.error_code, proto::kErrUndefined);
  EXPECT_EQ(shared_->counters.tftp_failed.get(), 1u);
  // The late completion finds no transfer waiting and changes nothing.
  EXPECT_EQ(pump_loader(), 1u);
  poll(2);
  EXPECT_TRUE(sent().empty());
}

TEST_F(DataplaneTest, PacketsToATransferPortWithoutSessionGetError5) {
  Tftp t;
  ASSERT_TRUE(one_tftp(exchange(client_udp(40080, kPortMin + 3, tftp_ack(1))), t));
  EXPECT_EQ(t.p.op, TftpOp::error);
  EXPECT_EQ(t.p.error_code, proto::kErrUnknownTid);
  EXPECT_EQ(t.u.f.udp.sport, kPortMin + 3);
  EXPECT_EQ(t.u.f.udp.dport, 40080);
  EXPECT_EQ(drops(Drop::tftp_no_session), 1u);

  // A stranger on a live transfer's port gets ERROR 5; the transfer goes on undisturbed.
  send(client_udp(40081, proto::kTftpPort, tftp_request(TftpOp::rrq, "preloaded.bin")));
  poll();
  ASSERT_TRUE(one_tftp(sent(), t));
  ASSERT_EQ(t.p.op, TftpOp::data);
  const uint16_t tport = t.u.f.udp.sport;
  ASSERT_TRUE(one_tftp(exchange(client_udp(40999, tport, tftp_ack(1))), t));
  EXPECT_EQ(t.p.error_code, proto::kErrUnknownTid);
  EXPECT_EQ(t.u.f.udp.dport, 40999);
  EXPECT_EQ(drops(Drop::tftp_wrong_peer), 1u);
  ASSERT_TRUE(one_tftp(exchange(client_udp(40081, tport, tftp_ack(1))), t));
  EXPECT_EQ(t.p.op, TftpOp::data);
  EXPECT_EQ(t.p.block, 2);
}

TEST_F(DataplaneTest, DataIsRetransmittedThenTheTransferFails) {
  tftp::Limits fast = cfg_.limits;
  fast.rto_initial_us = fast.rto_min_us = fast.rto_max_us = 20000;  // a fixed 20 ms
  fast.max_retries = 3;
  start_worker(fast);
  send(client_udp(40090, proto::kTftpPort, tftp_request(TftpOp::rrq, "preloaded.bin")));
  poll();
  Tftp first;
  ASSERT_TRUE(one_tftp(sent(), first));
  ASSERT_EQ(first.p.op, TftpOp::data);
  const uint16_t tport = first.u.f.udp.sport;

  // No ACK: let the clock run and collect what the timer sends.
  std::vector<Frame> out;
  auto start = std::chrono::steady_clock::now();
  auto until = start + std::chrono::seconds(3);
  bool error_seen = false;
  while (!error_seen && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    poll();
    for (Frame& f : sent()) {
      Tftp t;
      ASSERT_TRUE(one_tftp({f}, t));
      error_seen = t.p.op == TftpOp::error;
      out.push_back(std::move(f));
    }
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(error_seen) << "the transfer never failed";
  ASSERT_EQ(out.size(), fast.max_retries + 1u);  // DATA 1 again max_retries times, then ERROR
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    Tftp t;
    ASSERT_TRUE(one_tftp({out[i]}, t));
    EXPECT_EQ(t.p.op, TftpOp::data);
    EXPECT_EQ(t.p.block, 1);
    EXPECT_EQ(str(t.p.data), str(first.p.data));
    EXPECT_EQ(t.u.f.udp.sport, tport);
  }
  Tftp err;
  ASSERT_TRUE(one_tftp({out.back()}, err));
  EXPECT_EQ(err.p.error_code, proto::kErrUndefined);
  EXPECT_EQ(err.u.f.udp.sport, tport);
  EXPECT_EQ(err.u.f.udp.dport, 40090);
  // (max_retries + 1) timeouts of 20 ms each at the least.
  EXPECT_GE(elapsed, std::chrono::milliseconds(20 * (fast.max_retries + 1)));
  EXPECT_EQ(shared_->counters.tftp_retransmits.get(), fast.max_retries);
  EXPECT_EQ(shared_->counters.tftp_failed.get(), 1u);
  EXPECT_TRUE(has_event(events(), EventType::tftp_failed, "preloaded.bin"));

  // The session is gone.
  Tftp t;
  ASSERT_TRUE(one_tftp(exchange(client_udp(40090, tport, tftp_ack(1))), t));
  EXPECT_EQ(t.p.op, TftpOp::error);
  EXPECT_EQ(t.p.error_code, proto::kErrUnknownTid);
  EXPECT_EQ(drops(Drop::tftp_no_session), 1u);
}

}  // namespace
}  // namespace bs::test
