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
  std::string name;
};

// Finds the ethdev by name, configures one RX and one TX queue, starts it. Returns false and
// fills *error on failure.
bool setup_port(const std::string& name, rte_mempool* pool, PortInfo& out, std::string* error);

// Creates the exception tap (net_tap, kernel interface iface, MAC = the boot port's MAC), starts
// it and gives the kernel interface address/prefix and IFF_UP.
bool setup_exception(const std::string& iface, const proto::Mac& mac, proto::Ip4 address,
                     uint8_t prefix, rte_mempool* pool, PortInfo& out, std::string* error);

void stop_port(const PortInfo& p);

}  // namespace bs::port
