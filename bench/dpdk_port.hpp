// The bench's DPDK side: EAL from a vdev string (or full EAL arguments), one port with one RX
// and one TX queue, and mbuf-backed frames (a Port). rx() hands out spans into the mbufs of one
// burst, kept until the next rx() call; rx_mbufs() hands the mbufs themselves (the caller frees
// them). TX keeps what the port did not take for the next flush, up to a bound; beyond it
// frame() has no room.
#pragma once
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>
#include <string>
#include <vector>

#include "port.hpp"

namespace bs::bench {

struct EalSetup {
  // "net_memif0,role=client,socket=..." (a vdev: the other EAL arguments are made up from the
  // fields below), or EAL arguments when it starts with '-' (used as they are, split on spaces).
  std::string dpdk;
  std::string lcores = "0";
  std::string file_prefix = "bs-bench";
  bool no_huge = false;  // --no-huge -m 512 (net_memif needs hugepages)
};
std::vector<std::string> eal_args(const EalSetup& s, const std::string& prog);
bool eal_init(const std::vector<std::string>& args);

class DpdkPort final : public Port {
 public:
  DpdkPort() = default;
  DpdkPort(const DpdkPort&) = delete;
  DpdkPort& operator=(const DpdkPort&) = delete;
  ~DpdkPort() override;

  // The first ethdev: configured and started (retried until wait_s, as a memif client fails to
  // start while its server's socket is missing), then waits for the link. false + *error.
  bool open(unsigned mbufs, double wait_s, std::string* error);
  // Stops and closes the port (and frees the mbufs it holds); then rte_eal_cleanup() when
  // set_eal_cleanup(true) was called (open_port() does: the port owns the EAL then).
  void close();
  void set_eal_cleanup(bool on) { eal_cleanup_ = on; }

  // Single-segment frames as spans into their mbufs, valid until the next rx() (multi-segment
  // ones are counted and dropped).
  size_t rx(proto::MutBytes* frames, size_t n) override;
  // The mbufs of one burst, for the caller to free.
  uint16_t rx_mbufs(rte_mbuf** pkts, uint16_t n);
  proto::MutBytes frame() override;
  void send(size_t len) override;
  // Hands queued frames to the port; what it does not take stays queued.
  void flush() override;

  std::string name() const override { return name_; }
  const proto::Mac& mac() const override { return mac_; }
  // Ours (frames and bytes each way, no room, multi-segment drops, queued) and the ethdev's.
  nlohmann::json counters() const override;
  size_t queued() const { return txq_.size(); }
  rte_eth_stats stats() const;

 private:
  uint16_t id_ = 0;
  bool open_ = false;
  std::string name_;
  proto::Mac mac_;
  rte_mempool* pool_ = nullptr;
  rte_mbuf* cur_ = nullptr;  // the frame last handed out by frame()
  std::vector<rte_mbuf*> txq_;
  std::vector<rte_mbuf*> held_;  // the last rx() burst
  bool eal_cleanup_ = false;
  uint64_t rx_frames_ = 0, rx_bytes_ = 0, rx_multiseg_ = 0;
  uint64_t tx_frames_ = 0, tx_bytes_ = 0, tx_no_room_ = 0;
  static constexpr size_t kTxQueueMax = 8192;
};

}  // namespace bs::bench
