// Tier 2 harness: the real Worker driven step by step in-process. Two ring-backed ethdevs (the
// boot port and the exception tap) carry crafted frames in and the worker's frames out; the test
// plays the service thread (pumps the real io_uring Loader between worker iterations).
#pragma once
#include <gtest/gtest.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/cache/file_table.hpp"
#include "dataplane/cache/loader.hpp"
#include "dataplane/events.hpp"
#include "dataplane/port/ethdev.hpp"
#include "dataplane/proto/tftp.hpp"
#include "dataplane/proto/udp.hpp"
#include "dataplane/shared.hpp"
#include "dataplane/snapshot/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace bs::test {

using Frame = std::vector<uint8_t>;

// Process-wide DPDK state: created once by main() (the EAL cannot be initialised twice).
struct World {
  rte_mempool* pool = nullptr;
  rte_mempool* ext_pool = nullptr;  // payload segments of zero-copy DATA (no data room)
  port::PortInfo boot, exception;
  rte_ring* boot_rx = nullptr;  // test -> worker
  rte_ring* boot_tx = nullptr;  // worker -> test
  rte_ring* exc_rx = nullptr;
  rte_ring* exc_tx = nullptr;
};
World& world();
// EAL (in-memory, no hugepages, one lcore), timers, the mbuf pool and both ports. On failure
// returns false with a reason in *error.
bool init_world(const char* argv0, std::string* error);

// Addresses of the test network.
inline constexpr proto::Ip4 ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return proto::Ip4(a) << 24 | proto::Ip4(b) << 16 | proto::Ip4(c) << 8 | d;
}
inline constexpr proto::Ip4 kServerIp = ip4(10, 77, 0, 1);
inline constexpr proto::Ip4 kReservedIp = ip4(10, 77, 0, 50);
inline constexpr proto::Ip4 kClientIp = ip4(10, 77, 0, 120);  // a TFTP client in the pool
inline constexpr proto::Mac kReservedMac{{0x52, 0x54, 0x00, 0x00, 0x00, 0x42}};
inline constexpr proto::Mac kClientMac{{0x52, 0x54, 0x00, 0x00, 0x00, 0x77}};
inline constexpr uint16_t kPortMin = 30000, kPortMax = 30015;
extern const char* const kVirtualPath;  // pxelinux.cfg/01-52-54-00-00-00-42
extern const char* const kVirtualContent;

// Deterministic file content (never periodic at 512 or 1468 bytes).
std::string pattern(size_t n, unsigned seed);

// Frame builders (the project's codecs; checksums correct unless a test breaks them).
Frame udp_frame(const proto::Mac& src_mac, const proto::Mac& dst_mac, proto::Ip4 src,
                proto::Ip4 dst, uint16_t sport, uint16_t dport, const std::vector<uint8_t>& pl);
Frame arp_frame(uint16_t op, const proto::Mac& eth_dst, const proto::Mac& sha, proto::Ip4 spa,
                const proto::Mac& tha, proto::Ip4 tpa);
std::vector<uint8_t> tftp_request(proto::TftpOp op, const std::string& file,
                                  const proto::TftpOptions& o = {});
std::vector<uint8_t> tftp_ack(uint16_t block);

// An OACK's options with their values (parse_tftp keeps only what a server needs of a request).
std::map<std::string, std::string> oack_options(proto::Bytes payload);

// A UDP frame the worker sent, parsed (checksums verified by parse_udp_frame) and copied.
struct Udp {
  bool ok = false;
  proto::UdpFrame f;
  Frame bytes;  // owns the storage f's spans point into
};
Udp parse_udp(const Frame& frame);

// What a TFTP client saw of a whole transfer.
struct Fetched {
  bool ok = false;               // complete (last DATA shorter than blksize, all ACKed)
  std::string data;              // reassembled payload
  uint16_t error_code = 0xffff;  // ERROR received, if any
  uint16_t server_port = 0;      // the transfer port DATA came from
  uint16_t blksize = 512;
  std::map<std::string, std::string> oack;
  unsigned load_requests = 0;  // loads the worker asked the service for during the transfer
  unsigned data_packets = 0;
};

class DataplaneTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // (Re)creates the worker with these limits (the default ones unless a test changes them).
  void start_worker(const tftp::Limits& limits);
  void stop_worker();

  // Frames in: onto the boot port's or the tap's RX ring.
  void send(const Frame& f);
  void send_from_kernel(const Frame& f);
  // Worker iterations.
  void poll(unsigned n = 1);
  // Frames out (dequeued and freed).
  std::vector<Frame> sent();            // boot port
  std::vector<Frame> sent_to_kernel();  // exception tap
  // send + poll + sent
  std::vector<Frame> exchange(const Frame& f, unsigned polls = 1);

  // The service thread's share: load requests the worker queued go to the real Loader, its
  // completions back on load_done. Returns the number of requests taken.
  unsigned pump_loader();
  std::vector<Event> events();
  uint64_t drops(Drop d) const { return shared_->counters.drops[unsigned(d)].get(); }
  uint64_t total_drops() const;
  unsigned pending_load_requests() const;

  // A whole RRQ transfer, from (kClientMac, kClientIp, sport), ACKing every block.
  Fetched fetch(const std::string& file, const proto::TftpOptions& o, uint16_t sport);
  Frame client_udp(uint16_t sport, uint16_t dport, const std::vector<uint8_t>& pl) const;

  std::string root_;
  std::map<std::string, std::string> disk_;  // files written under root_
  snap::Snapshot snap_;
  std::unique_ptr<Shared> shared_;
  std::unique_ptr<cache::FileTable> files_;
  std::unique_ptr<cache::Loader> loader_;
  std::unique_ptr<Worker> worker_;
  WorkerConfig cfg_;
  unsigned mbufs_in_use_before_ = 0;
};

}  // namespace bs::test
