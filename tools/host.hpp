// What bootstorm-ctl setup reads off the host: sysfs and procfs (PCI devices, interfaces,
// routes, CPUs), commands it runs, DPDK's driver directory. Read-only; setup.cpp decides.
#pragma once
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace bs::ctl::host {

namespace fs = std::filesystem;

std::string trim(std::string s);
std::string read_line(const fs::path& p);  // first line, trimmed; "" when unreadable
std::string read_all(const fs::path& p);
// basename of a symlink's target ("" when it is not a link), e.g. a device's driver.
std::string link_base(const fs::path& p);
std::string join(const std::vector<std::string>& v, const char* sep = " ");
std::vector<std::string> dir_entries(const fs::path& dir);  // sorted names; {} when unreadable
// A program in PATH (and /usr/sbin, /sbin); "" when there is none.
std::string search_path(const std::string& name);

struct RunResult {
  int status = -1;  // exit code; 128 + signal; 127 when it could not run
  std::string out;  // stdout and stderr
};

// Runs argv (no shell), waits, returns its exit status and its output.
RunResult run_cmd(const std::vector<std::string>& argv);

// The same rule as dataplane/port/eal.cpp (which needs DPDK to link): [dddd:]bb:dd.f[,args].
// canonical gets "dddd:bb:dd.f" in lower case.
bool is_pci_address(const std::string& dev, std::string* canonical);

// "0-3,6" -> {0,1,2,3,6}; false for anything else (EAL's "@" and "()" forms).
bool parse_cpu_list(const std::string& text, std::set<int>* out);
std::string cpu_list_str(const std::set<int>& s);

// What the kernel does with an interface: global addresses, routes through it, link up.
struct IfUse {
  std::vector<std::string> addrs;
  int routes = 0;
  bool up = false;
  bool in_use() const { return !addrs.empty() || routes > 0; }
  std::string str() const {
    std::string s;
    if (!addrs.empty()) s = "address " + join(addrs, ", ");
    if (routes > 0)
      s += (s.empty() ? "" : "; ") + std::to_string(routes) + " route" + (routes > 1 ? "s" : "");
    return s;
  }
};

IfUse if_use(const std::string& ifname);

// A network-class PCI device and what the kernel does with it.
struct Nic {
  std::string addr, driver, vendor, device;
  std::vector<std::string> ifaces;
  std::string use;  // "" when no interface of it has an address or a route
};

// The kernel interfaces of a PCI device (a virtio NIC's sit one level further down).
std::vector<std::string> pci_ifaces(const std::string& addr);
std::vector<Nic> list_nics();

// Kernel driver of a NIC -> the DPDK poll-mode driver that takes it over after vfio-pci
// (nullptr when not in the table).
const char* pmd_for_kernel_driver(const std::string& k);
// ("net", "af_packet") -> "librte-net-af-packet23"; ("net", "e1000") -> "librte-net-e1000-23".
std::string pmd_package(const std::string& kind, std::string name);
// Debian's EAL loads every driver in its PMD directory (RTE_EAL_PMD_PATH) at start: the
// directory, e.g. /usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0; "" when DPDK is not installed.
std::string pmd_dir();

}  // namespace bs::ctl::host
