// bootstorm-ctl setup: checks and prepares the host for bootstorm-dataplane with DPDK's own
// tools (dpdk-hugepages.py, dpdk-devbind.py): reserves and mounts hugepages when [server]
// hugepages = true, binds the NIC named by [server] port (a PCI address) to vfio-pci, and
// checks what would stop the appliance (IOMMU off, vfio-pci missing, the NIC in use by an
// address or a route, lcores, the TFTP root, the HTTP port). Ends with a numbered list of
// problems, each with how to fix it. Idempotent: the dataplane's systemd unit runs it before
// every start, so the reservation and the binding survive a reboot.
#pragma once
#include "../control/config.hpp"

namespace bs::ctl {

// dry_run: print what it would do, change nothing. Returns 0 when nothing is wrong (after the
// changes made, or that a real run would make), 1 when problems remain.
int setup(const config::Config& cfg, bool dry_run);

}  // namespace bs::ctl
