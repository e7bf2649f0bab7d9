// Bringing up DPDK's EAL from the [server] section.
#pragma once
#include <string>
#include <vector>

#include "../../control/config.hpp"

namespace bs::port {

// True for "0000:03:00.0" and "03:00.0" (a PCI device); anything else is a vdev string.
bool is_pci_address(const std::string& dev);
// The ethdev name DPDK gives the device: the vdev name before the first ',', or the PCI address.
std::string device_name(const std::string& dev);

// EAL arguments for the config: lcores, file prefix, memory (hugepages or --no-huge) and the
// device (-a PCI or --vdev + --no-pci). argv[0] is prog.
std::vector<std::string> eal_args(const config::Server& s, const std::string& prog);

// rte_eal_init with those arguments; returns false (EAL has logged why) on failure.
bool init_eal(const std::vector<std::string>& args);

}  // namespace bs::port
