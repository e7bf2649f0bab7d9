// EAL arguments from [server]: device kind, ethdev name, memory mode.
#include <gtest/gtest.h>

#include <algorithm>

#include "port/eal.hpp"

namespace bs::port {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(EalArgs, PciAddressesAndVdevsAreTold) {
  EXPECT_TRUE(is_pci_address("0000:03:00.0"));
  EXPECT_TRUE(is_pci_address("03:00.1"));
  EXPECT_TRUE(is_pci_address("0000:af:1f.7,rxq_pkt_split=1"));
  EXPECT_FALSE(is_pci_address("net_af_packet0,iface=bs-veth0"));
  EXPECT_FALSE(is_pci_address("0000:03:00.8"));
  EXPECT_FALSE(is_pci_address("03:00"));
  EXPECT_FALSE(is_pci_address("0000:03:00.0x"));
  EXPECT_FALSE(is_pci_address("000g:03:00.0"));
  EXPECT_FALSE(is_pci_address(""));
}

TEST(EalArgs, DeviceNameIsWhatDpdkCallsThePort) {
  EXPECT_EQ(device_name("net_af_packet0,iface=bs-veth0,framecnt=4096"), "net_af_packet0");
  EXPECT_EQ(device_name("03:00.0"), "0000:03:00.0");
  EXPECT_EQ(device_name("0000:03:00.0,foo=1"), "0000:03:00.0");
}

TEST(EalArgs, VdevWithoutHugepages) {
  config::Server s;
  s.port = "net_af_packet0,iface=bs-veth0";
  s.lcores = "0,1";
  s.file_prefix = "lab";
  auto a = eal_args(s, "prog");
  EXPECT_EQ(a.front(), "prog");
  EXPECT_TRUE(has(a, "--no-huge"));
  EXPECT_TRUE(has(a, "--no-pci"));
  EXPECT_TRUE(has(a, "--vdev=net_af_packet0,iface=bs-veth0"));
  EXPECT_TRUE(has(a, "--file-prefix=lab"));
  EXPECT_TRUE(has(a, "0,1"));
}

TEST(EalArgs, PciWithHugepages) {
  config::Server s;
  s.port = "0000:03:00.0";
  s.hugepages = true;
  auto a = eal_args(s, "prog");
  EXPECT_FALSE(has(a, "--no-huge"));
  EXPECT_FALSE(has(a, "--no-pci"));
  auto it = std::find(a.begin(), a.end(), "-a");
  ASSERT_NE(it, a.end());
  EXPECT_EQ(*(it + 1), "0000:03:00.0");
}

}  // namespace
}  // namespace bs::port
