// The bench's DPDK side: EAL from a vdev string (or full EAL arguments), one port with one RX
// and one TX queue, and mbuf-backed frames for the pure run (a FrameSink). TX keeps what the
// port did not take for the next flush, up to a bound; beyond it frame() has no room.
#pragma once
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tftp_run.hpp"

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

class DpdkPort final : public FrameSink {
 public:
  DpdkPort() = default;
  DpdkPort(const DpdkPort&) = delete;
  DpdkPort& operator=(const DpdkPort&) = delete;
  ~DpdkPort() override;

  // The first ethdev: configured and started (retried until wait_s, as a memif client fails to
  // start while its server's socket is missing), then waits for the link. false + *error.
  bool open(unsigned mbufs, double wait_s, std::string* error);
  void close();

  uint16_t rx(rte_mbuf** pkts, uint16_t n) { return rte_eth_rx_burst(id_, 0, pkts, n); }
  proto::MutBytes frame() override;
  void send(size_t len) override;
  // Hands queued frames to the port; what it does not take stays queued.
  void flush();

  const std::string& name() const { return name_; }
  const proto::Mac& mac() const { return mac_; }
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
  static constexpr size_t kTxQueueMax = 8192;
};

}  // namespace bs::bench
