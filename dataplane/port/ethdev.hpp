// Ports: the boot-network port and the exception tap.
#pragma once
#include <rte_ether.h>
#include <rte_mempool.h>

#include <cstdint>
#include <string>

#include "../proto/bytes.hpp"

namespace bs::port {

struct PortInfo {
  uint16_t id = 0;
  proto::Mac mac;
  uint16_t mtu = 1500;
  bool multi_seg_tx = false;  // RTE_ETH_TX_OFFLOAD_MULTI_SEGS
  uint16_t rx_queues = 1, tx_queues = 1;
  bool rss = false;  // RX spread over the queues by the device (hash of addresses and ports)
  std::string name;
};

// Finds the ethdev by name, configures up to `queues` RX and TX queues (as many as the device
// has, at least one; RSS over the RX queues when there are several and the device hashes),
// starts it. Returns false and fills *error on failure.
bool setup_port(const std::string& name, rte_mempool* pool, PortInfo& out, std::string* error,
                uint16_t queues = 1);

// Creates the exception tap (net_tap, kernel interface iface, MAC = the boot port's MAC), starts
// it and gives the kernel interface address/prefix and IFF_UP.
bool setup_exception(const std::string& iface, const proto::Mac& mac, proto::Ip4 address,
                     uint8_t prefix, rte_mempool* pool, PortInfo& out, std::string* error);

void stop_port(const PortInfo& p);

}  // namespace bs::port
