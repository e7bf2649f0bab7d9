#include "ethdev.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace bs::port {

namespace {

constexpr uint16_t kRxDesc = 1024;
constexpr uint16_t kTxDesc = 1024;

bool fail(std::string* error, std::string msg) {
  if (error) *error = std::move(msg);
  return false;
}

// Gives a kernel interface an IPv4 address and brings it up (ioctl; no iproute2 needed).
bool set_kernel_address(const std::string& iface, proto::Ip4 addr, uint8_t prefix,
                        std::string* error) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(error, std::string("socket: ") + strerror(errno));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, iface.c_str(), IFNAMSIZ - 1);
  auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = htonl(addr);
  bool ok = ioctl(fd, SIOCSIFADDR, &ifr) == 0;
  std::string what = "SIOCSIFADDR";
  if (ok) {
    sin->sin_addr.s_addr = htonl(prefix == 0 ? 0 : ~uint32_t(0) << (32 - prefix));
    ok = ioctl(fd, SIOCSIFNETMASK, &ifr) == 0;
    what = "SIOCSIFNETMASK";
  }
  if (ok) {
    ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
    what = "SIOCSIFFLAGS";
  }
  int err = errno;
  close(fd);
  if (!ok) return fail(error, iface + ": " + what + ": " + strerror(err));
  return true;
}

}  // namespace

bool setup_port(const std::string& name, rte_mempool* pool, PortInfo& out, std::string* error,
                uint16_t queues) {
  uint16_t id;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0)
    return fail(error, "no DPDK port named '" + name + "' (is the device string right?)");
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(id, &info); rc != 0)
    return fail(error, name + ": rte_eth_dev_info_get: " + strerror(-rc));
  rte_eth_conf conf{};
  conf.txmode.offloads = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
  const uint16_t nrxq = std::max<uint16_t>(1, std::min(queues, info.max_rx_queues));
  const uint16_t ntxq = std::max<uint16_t>(1, std::min(queues, info.max_tx_queues));
  const uint64_t rss_hf = info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
  if (nrxq > 1 && rss_hf != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
  }
  if (int rc = rte_eth_dev_configure(id, nrxq, ntxq, &conf); rc != 0)
    return fail(error, name + ": rte_eth_dev_configure: " + strerror(-rc));
  uint16_t nrx = kRxDesc, ntx = kTxDesc;
  rte_eth_dev_adjust_nb_rx_tx_desc(id, &nrx, &ntx);
  int socket = rte_eth_dev_socket_id(id);
  if (socket < 0) socket = 0;
  for (uint16_t q = 0; q < nrxq; ++q)
    if (int rc = rte_eth_rx_queue_setup(id, q, nrx, socket, nullptr, pool); rc != 0)
      return fail(error, name + ": rx queue " + std::to_string(q) + ": " + strerror(-rc));
  rte_eth_txconf txc = info.default_txconf;
  txc.offloads = conf.txmode.offloads;
  for (uint16_t q = 0; q < ntxq; ++q)
    if (int rc = rte_eth_tx_queue_setup(id, q, ntx, socket, &txc); rc != 0)
      return fail(error, name + ": tx queue " + std::to_string(q) + ": " + strerror(-rc));
  if (int rc = rte_eth_dev_start(id); rc != 0)
    return fail(error, name + ": start: " + strerror(-rc));
  rte_ether_addr mac;
  rte_eth_macaddr_get(id, &mac);
  out.id = id;
  out.name = name;
  std::memcpy(out.mac.b.data(), mac.addr_bytes, 6);
  uint16_t mtu = 1500;
  if (rte_eth_dev_get_mtu(id, &mtu) == 0) out.mtu = mtu;
  out.multi_seg_tx = conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
  out.rx_queues = nrxq;
  out.tx_queues = ntxq;
  out.rss = conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS;
  return true;
}

bool setup_exception(const std::string& iface, const proto::Mac& mac, proto::Ip4 address,
                     uint8_t prefix, rte_mempool* pool, PortInfo& out, std::string* error) {
  std::string name = "net_tap_" + iface;
  std::string devargs = name + ",iface=" + iface + ",mac=" + mac.str();
  if (int rc = rte_dev_probe(devargs.c_str()); rc != 0)
    return fail(error, "creating exception tap '" + devargs + "': " + strerror(-rc));
  if (!setup_port(name, pool, out, error)) return false;
  rte_eth_dev_set_link_up(out.id);
  return set_kernel_address(iface, address, prefix, error);
}

void stop_port(const PortInfo& p) {
  rte_eth_dev_stop(p.id);
  rte_eth_dev_close(p.id);
}

}  // namespace bs::port
