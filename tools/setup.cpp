#include "setup.hpp"

#include "host.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace bs::ctl {

namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMiB = 1024 * 1024;
// EAL memory besides the image cache: the mbuf pool (16383 mbufs), rings, hash tables, the
// port's descriptor rings. The same budget the dataplane takes with --no-huge (-m 256).
constexpr uint64_t kEalMiB = 256;
constexpr uint64_t kBlobHugeMin = 2 * kMiB;  // cache blobs this size and up are hugepage-backed

using namespace host;

class Setup {
 public:
  Setup(const config::Config& cfg, bool dry_run) : cfg_(cfg), dry_run_(dry_run) {}

  int run() {
    root_ = ::geteuid() == 0;
    acting_ = !dry_run_ && root_;
    std::printf("bootstorm-ctl setup: %s%s\n", cfg_.path.c_str(),
                dry_run_ ? " (dry run: nothing is changed)" : "");
    if (!dry_run_ && !root_)
      problem(
          "setup changes the host (hugepages, NIC binding) and needs root; nothing was "
          "changed, the steps it would take are listed as 'would run'",
          {"sudo bootstorm-ctl setup --config " + cfg_.path});
    tools();
    port();
    hugepages();
    lcores();
    tftp_root();
    network();
    return summary();
  }

 private:
  void section(const std::string& title) { std::printf("\n%s\n", title.c_str()); }
  void say(const std::string& s) { std::printf("  %s\n", s.c_str()); }

  void problem(std::string what, std::vector<std::string> fix) {
    problems_.push_back({std::move(what), std::move(fix)});
    std::printf("  problem %zu: %s\n", problems_.size(), problems_.back().what.c_str());
  }

  // Runs a command that changes the host, or in a dry run says it would. Its output is shown.
  bool act(const std::vector<std::string>& argv) {
    if (!acting_) {
      std::printf("  would run: %s\n", join(argv).c_str());
      ++planned_;
      return true;
    }
    std::printf("  run: %s\n", join(argv).c_str());
    std::fflush(stdout);
    RunResult r = run_cmd(argv);
    std::stringstream ss(r.out);
    std::string line;
    while (std::getline(ss, line)) std::printf("    %s\n", line.c_str());
    if (r.status != 0) std::printf("    (exit status %d)\n", r.status);
    ++done_;
    return r.status == 0;
  }

  void tools() {
    devbind_ = search_path("dpdk-devbind.py");
    hugepages_tool_ = search_path("dpdk-hugepages.py");
    if (devbind_.empty() || hugepages_tool_.empty()) {
      section("DPDK tools");
      problem("DPDK's dpdk-devbind.py and dpdk-hugepages.py are not installed",
              {"apt-get install dpdk"});
    }
    pmds_ = pmd_dir();
  }

  bool pmd_installed(const std::string& kind, const std::string& name) {
    if (pmds_.empty()) return false;
    std::string base = "librte_" + kind + "_" + name + ".so";
    return fs::exists(fs::path(pmds_) / (base + ".23")) || fs::exists(fs::path(pmds_) / base);
  }

  void need_pmd(const std::string& kind, const std::string& name, const std::string& why) {
    if (pmd_installed(kind, name)) return;
    problem(
        "DPDK's " + kind + "_" + name + " driver (" + why + ") is not installed" +
            (pmds_.empty() ? " (no DPDK driver directory /usr/lib/*/dpdk/pmds-*)" : " in " + pmds_),
        {"apt-get install " + pmd_package(kind, name)});
  }

  // ---- the port ---------------------------------------------------------------------------
  void port() {
    section("port: [server] port = \"" + cfg_.server.port + "\"");
    need_pmd("net", "tap", "the exception path to the kernel");
    need_pmd("bus", "vdev", "the exception tap and virtual ports");
    need_pmd("mempool", "ring", "the mbuf pool");
    std::string pci;
    if (is_pci_address(cfg_.server.port, &pci)) {
      need_pmd("bus", "pci", "PCI NICs");
      pci_port(pci);
    } else {
      vdev_port();
    }
  }

  void show_nics(const std::vector<Nic>& nics) {
    if (!devbind_.empty()) {
      RunResult r = run_cmd({devbind_, "--status-dev", "net"});
      say("NICs on this machine (dpdk-devbind.py --status-dev net):");
      std::stringstream ss(r.out);
      std::string line;
      while (std::getline(ss, line))
        if (!trim(line).empty() && line.find("===") == std::string::npos &&
            line.rfind("lspci:", 0) != 0)  // lspci's libkmod noise without /lib/modules
          std::printf("    %s\n", line.c_str());
    } else {
      say("NICs on this machine:");
      for (const auto& n : nics)
        std::printf("    %s %s:%s drv=%s if=%s\n", n.addr.c_str(), n.vendor.c_str(),
                    n.device.c_str(), n.driver.c_str(), join(n.ifaces, ",").c_str());
    }
  }

  void vdev_port() {
    std::string name = cfg_.server.port.substr(0, cfg_.server.port.find(','));
    std::string driver = name;
    while (!driver.empty() && std::isdigit(static_cast<unsigned char>(driver.back())))
      driver.pop_back();
    say("a DPDK virtual device (" + driver +
        "), not a NIC of its own: nothing to bind to vfio-pci.");
    if (driver.rfind("net_", 0) == 0) need_pmd("net", driver.substr(4), "[server] port");
    std::string args = cfg_.server.port.find(',') == std::string::npos
                           ? ""
                           : cfg_.server.port.substr(cfg_.server.port.find(',') + 1);
    std::stringstream ss(args);
    std::string kv;
    while (std::getline(ss, kv, ',')) {
      if (kv.rfind("iface=", 0) != 0) continue;
      std::string iface = kv.substr(6);
      if (!fs::exists("/sys/class/net/" + iface))
        problem("interface " + iface +
                    " (the vdev's iface=) does not exist in this network "
                    "namespace",
                {"in the lab it is created in namespace bs-srv by tools/lab/net up (docs/LAB.md)",
                 "on an appliance, set [server] port to the boot NIC's PCI address instead"});
      else
        say("interface " + iface + " exists.");
    }
    std::vector<Nic> nics = list_nics();
    show_nics(nics);
    std::vector<std::string> spare;
    for (const auto& n : nics)
      if (n.use.empty()) spare.push_back(n.addr);
    if (spare.empty())
      say("No spare NIC here: every network device is in use by the kernel (or there is none). "
          "An appliance needs a NIC of its own on the boot network.");
    else
      say("NIC(s) not in use by the kernel: " + join(spare, ", ") +
          ". To serve a boot network from one, set [server] port to its PCI address and "
          "run setup again.");
    say("To try bootstorm without a spare NIC, use the lab (network namespaces, veths and a "
        "QEMU VM): `sudo tools/demo` in the source tree; see docs/LAB.md.");
  }

  std::string cpu_vendor() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("vendor_id", 0) == 0)
        return line.find("AMD") != std::string::npos ? "amd" : "intel";
    return "";
  }

  void pci_port(const std::string& addr) {
    fs::path dev = fs::path("/sys/bus/pci/devices") / addr;
    if (!fs::exists(dev)) {
      problem("there is no PCI device " + addr + " on this machine",
              {"list the NICs: dpdk-devbind.py --status-dev net",
               "set [server] port in " + cfg_.path + " to the boot NIC's address"});
      show_nics(list_nics());
      say("To try bootstorm without a spare NIC, use the lab: `sudo tools/demo` in the source "
          "tree; see docs/LAB.md.");
      return;
    }
    std::string cls = read_line(dev / "class"), vendor = read_line(dev / "vendor");
    std::string driver = link_base(dev / "driver");
    std::vector<std::string> ifaces = pci_ifaces(addr);
    numa_node_ = std::atoi(read_line(dev / "numa_node").c_str());
    say("PCI " + addr + " " + vendor + ":" + read_line(dev / "device") + ", driver " +
        (driver.empty() ? "(none)" : driver) +
        (ifaces.empty() ? "" : ", interface " + join(ifaces, ",")) +
        (numa_node_ >= 0 ? ", NUMA node " + std::to_string(numa_node_) : ""));
    if (cls.rfind("0x02", 0) != 0) {
      problem(addr + " is not a network controller (PCI class " + cls + ")",
              {"list the NICs: dpdk-devbind.py --status-dev net"});
      return;
    }
    if (vendor == "0x15b3") {  // NVIDIA/Mellanox ConnectX: bifurcated, stays on mlx5_core
      say("an NVIDIA/Mellanox NIC: DPDK drives it through the kernel's mlx5_core (bifurcated "
          "driver); it must not be bound to vfio-pci.");
      need_pmd("net", "mlx5", "ConnectX NICs, with rdma-core");
      return;
    }
    if (driver == "vfio-pci") {
      say("bound to vfio-pci: ready for DPDK.");
      group_check(dev, addr);
      return;
    }
    if (const char* pmd = pmd_for_kernel_driver(driver))
      need_pmd("net", pmd, "for " + driver + " NICs");
    else if (!driver.empty())
      say("kernel driver " + driver +
          ": check that DPDK has a poll-mode driver for this NIC "
          "(https://doc.dpdk.org/guides-22.11/nics/) and that its librte-net-* package is "
          "installed.");

    bool can_bind = !devbind_.empty();
    // 1. The IOMMU: vfio-pci needs one (no-IOMMU mode is unsafe and not supported here).
    if (!fs::exists(dev / "iommu_group")) {
      std::string v = cpu_vendor();
      std::string param = v == "amd"     ? "amd_iommu=on iommu=pt"
                          : v == "intel" ? "intel_iommu=on iommu=pt"
                                         : "iommu.passthrough=1";  // ARM SMMU
      std::string cmdline = read_line("/proc/cmdline");
      problem(
          "the IOMMU is off (" + addr + " has no IOMMU group; /sys/kernel/iommu_groups/ is " +
              (dir_entries("/sys/kernel/iommu_groups").empty() ? "empty" : "not empty") +
              "): vfio-pci cannot give the NIC to DPDK",
          {"enable " +
               std::string(v == "amd"     ? "AMD-Vi (IOMMU)"
                           : v == "intel" ? "VT-d"
                                          : "the SMMU") +
               " in the machine's firmware setup",
           "add " + param + " to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub" +
               (cmdline.find("iommu") != std::string::npos ? " (the kernel command line has "
                                                             "an iommu option already: check it)"
                                                           : "") +
               ", run update-grub and reboot",
           "after the reboot `ls /sys/kernel/iommu_groups/` lists groups; run setup again"});
      can_bind = false;
    } else if (!group_check(dev, addr)) {
      can_bind = false;
    }
    // 2. The vfio-pci module.
    bool loaded = fs::exists("/sys/bus/pci/drivers/vfio-pci");
    if (!loaded) {
      utsname u{};
      ::uname(&u);
      std::string mods = std::string("/lib/modules/") + u.release;
      std::string dep = read_all(mods + "/modules.dep") + read_all(mods + "/modules.builtin");
      if (dep.find("/vfio-pci.ko") == std::string::npos &&
          dep.find("/vfio_pci.ko") == std::string::npos) {
        problem(std::string("the kernel module vfio-pci is not available for kernel ") + u.release,
                {"install and boot Debian's kernel, which builds vfio-pci as a module: "
                 "apt-get install linux-image-amd64"});
        can_bind = false;
      }
    }
    // 3. The kernel must not be using the NIC (dpdk-devbind.py refuses an interface with routes).
    for (const auto& i : ifaces) {
      IfUse u = if_use(i);
      if (!u.in_use()) {
        say("interface " + i + " has no address and no route: it can be taken.");
        continue;
      }
      problem("interface " + i + " (" + addr + ") is in use by the kernel: " + u.str() +
                  ". It may be how this machine is reached; setup does not take it",
              {"if it is your management interface, choose another NIC for [server] port",
               "if it really is the spare boot NIC, remove its configuration (/etc/network/"
               "interfaces, NetworkManager or systemd-networkd), then: ip addr flush dev " +
                   i + " && ip link set " + i + " down; run setup again"});
      can_bind = false;
    }
    if (!can_bind) {
      say("not binding " + addr + " to vfio-pci until the problems above are fixed.");
      return;
    }
    if (!loaded && !act({"modprobe", "vfio-pci"})) {
      problem("modprobe vfio-pci failed (output above)", {"dmesg | tail; modprobe -v vfio-pci"});
      return;
    }
    if (!act({devbind_, "--bind=vfio-pci", addr})) {
      problem("dpdk-devbind.py could not bind " + addr + " to vfio-pci (output above)",
              {"dmesg | tail; dpdk-devbind.py --status-dev net"});
      return;
    }
    if (acting_ && link_base(dev / "driver") != "vfio-pci")
      problem(addr + " is still not bound to vfio-pci after dpdk-devbind.py",
              {"dmesg | tail; dpdk-devbind.py --status-dev net"});
  }

  // vfio gives a whole IOMMU group to one user: every other device in the NIC's group must be
  // bound to vfio-pci too, or have no driver (PCI bridges are fine). False on a problem.
  bool group_check(const fs::path& dev, const std::string& addr) {
    fs::path group = dev / "iommu_group";
    std::string gname = link_base(group);
    bool ok = true;
    for (const auto& other : dir_entries(group / "devices")) {
      if (other == addr) continue;
      fs::path od = fs::path("/sys/bus/pci/devices") / other;
      std::string drv = link_base(od / "driver");
      if (drv.empty() || drv == "vfio-pci" || drv == "pcieport" ||
          read_line(od / "class").rfind("0x0604", 0) == 0)
        continue;
      problem(other + " shares IOMMU group " + gname + " with " + addr + " and is driven by " +
                  drv + "; vfio-pci needs every device of the group",
              {"if it is the NIC's unused second port: dpdk-devbind.py --bind=vfio-pci " + other,
               "otherwise move the NIC to a slot with an IOMMU group of its own "
               "(ls /sys/kernel/iommu_groups/*/devices)"});
      ok = false;
    }
    return ok;
  }

  // ---- hugepages ---------------------------------------------------------------------------
  uint64_t cache_bytes(uint64_t* files) {
    uint64_t total = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator
             it(cfg_.tftp.root, fs::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end; it.increment(ec)) {
      std::error_code e2;
      if (!it->is_regular_file(e2)) continue;
      uint64_t size = it->file_size(e2);
      if (e2 || size < kBlobHugeMin) continue;
      total += (size + kBlobHugeMin - 1) / kBlobHugeMin * kBlobHugeMin;
      ++*files;
    }
    return total;
  }

  void hugepages() {
    section("hugepages: [server] hugepages = " +
            std::string(cfg_.server.hugepages ? "true" : "false"));
    if (!cfg_.server.hugepages) {
      say("the dataplane runs with --no-huge -m " + std::to_string(kEalMiB) +
          " (ordinary memory): nothing to reserve. Set hugepages = true for production "
          "(a NIC's DMA, dpdk-dumpcap, a hugepage-backed image cache).");
      return;
    }
    uint64_t page_kb = 0;
    {
      std::ifstream in("/proc/meminfo");
      std::string line;
      uint64_t mem_kb = 0;
      while (std::getline(in, line)) {
        if (line.rfind("Hugepagesize:", 0) == 0) page_kb = std::stoull(line.substr(13));
        if (line.rfind("MemTotal:", 0) == 0) mem_kb = std::stoull(line.substr(9));
      }
      mem_mib_ = mem_kb / 1024;
    }
    if (page_kb == 0) {
      problem("this kernel has no hugepage support (no Hugepagesize in /proc/meminfo)",
              {"boot Debian's kernel, or set [server] hugepages = false"});
      return;
    }
    uint64_t files = 0;
    uint64_t cache_mib = cache_bytes(&files) / kMiB;
    uint64_t need_mib = kEalMiB + cache_mib;
    uint64_t page_mib = page_kb / 1024 ? page_kb / 1024 : 1;
    uint64_t pages = (need_mib + page_mib - 1) / page_mib;
    need_mib = pages * page_mib;
    say("need " + std::to_string(need_mib) + " MiB = " + std::to_string(pages) + " pages of " +
        std::to_string(page_kb) + " kB: " + std::to_string(kEalMiB) + " MiB for DPDK (mbufs, " +
        "rings, tables) + " + std::to_string(cache_mib) + " MiB image cache (" +
        std::to_string(files) + " file(s) of 2 MiB and more under " + cfg_.tftp.root + ")");
    if (mem_mib_ && need_mib > mem_mib_ * 3 / 4)
      problem("that is more than three quarters of this machine's " + std::to_string(mem_mib_) +
                  " MiB of memory",
              {"add memory, or keep fewer large images under [tftp] root"});
    // Reserve on the NIC's NUMA node when there are several; dpdk-hugepages.py otherwise puts
    // the full count on every node.
    int nodes = 0;
    for (const auto& e : dir_entries("/sys/devices/system/node"))
      if (e.rfind("node", 0) == 0 && std::isdigit(static_cast<unsigned char>(e.back()))) ++nodes;
    std::string size_dir = "hugepages-" + std::to_string(page_kb) + "kB";
    fs::path nr = fs::path("/sys/kernel/mm/hugepages") / size_dir / "nr_hugepages";
    std::vector<std::string> node_args;
    if (nodes > 1 && numa_node_ >= 0) {
      nr = fs::path("/sys/devices/system/node") / ("node" + std::to_string(numa_node_)) /
           "hugepages" / size_dir / "nr_hugepages";
      node_args = {"--node", std::to_string(numa_node_)};
    }
    uint64_t have = std::strtoull(read_line(nr).c_str(), nullptr, 10);
    say("reserved now: " + std::to_string(have) + " pages (" + nr.string() + ")");
    if (have < pages && !hugepages_tool_.empty()) {
      std::vector<std::string> cmd = {hugepages_tool_, "--reserve", std::to_string(need_mib) + "M"};
      cmd.insert(cmd.end(), node_args.begin(), node_args.end());
      act(cmd);
      if (acting_) {
        have = std::strtoull(read_line(nr).c_str(), nullptr, 10);
        if (have < pages)
          problem("only " + std::to_string(have) + " of " + std::to_string(pages) +
                      " hugepages could be reserved (memory is fragmented or short)",
                  {"reserve them at boot: add hugepages=" + std::to_string(pages) +
                       " to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, update-grub, reboot",
                   "or free memory (echo 3 > /proc/sys/vm/drop_caches) and run setup again"});
      }
    }
    bool mounted = read_all("/proc/mounts").find(" hugetlbfs ") != std::string::npos;
    if (mounted)
      say("hugetlbfs is mounted.");
    else if (!hugepages_tool_.empty())
      act({hugepages_tool_, "--mount"});
  }

  // ---- cores -------------------------------------------------------------------------------
  void lcores() {
    section("cores: [server] lcores = \"" + cfg_.server.lcores + "\"");
    std::set<int> want, online, isolated;
    if (!parse_cpu_list(cfg_.server.lcores, &want) || want.empty()) {
      say("not a plain list of cores; left to DPDK's EAL to check.");
      return;
    }
    parse_cpu_list(read_line("/sys/devices/system/cpu/online"), &online);
    parse_cpu_list(read_line("/sys/devices/system/cpu/isolated"), &isolated);
    std::set<int> missing;
    for (int c : want)
      if (!online.count(c)) missing.insert(c);
    if (!missing.empty()) {
      problem("lcore(s) " + cpu_list_str(missing) +
                  " are not online CPUs (online: " + cpu_list_str(online) + ")",
              {"set [server] lcores to two online CPUs, e.g. \"0,1\""});
      return;
    }
    if (want.size() < 2) {
      problem("[server] lcores lists one core; the dataplane needs two (service thread, worker)",
              {"e.g. lcores = \"0,1\""});
      return;
    }
    std::set<int> workers(std::next(want.begin()), want.end());
    std::string w = cpu_list_str(workers);
    bool all_isolated = true;
    for (int c : workers) all_isolated = all_isolated && isolated.count(c);
    say("service thread on CPU " + std::to_string(*want.begin()) + ", worker(s) on " + w + "; " +
        (all_isolated ? "the worker CPU(s) are isolated."
                      : "the worker CPU(s) are not isolated (isolcpus): fine for a lab, see "
                        "docs/OPERATIONS.md for an appliance."));
    if (numa_node_ >= 0) {
      std::set<int> local;
      parse_cpu_list(
          read_line("/sys/devices/system/node/node" + std::to_string(numa_node_) + "/cpulist"),
          &local);
      std::set<int> remote;
      for (int c : workers)
        if (!local.empty() && !local.count(c)) remote.insert(c);
      if (!remote.empty())
        problem("worker CPU(s) " + cpu_list_str(remote) + " are not on the NIC's NUMA node " +
                    std::to_string(numa_node_) + " (its CPUs: " + cpu_list_str(local) + ")",
                {"set [server] lcores to CPUs of node " + std::to_string(numa_node_)});
    }
  }

  // ---- files -------------------------------------------------------------------------------
  void tftp_root() {
    section("TFTP root: " + cfg_.tftp.root);
    std::error_code ec;
    if (!fs::is_directory(cfg_.tftp.root, ec)) {
      problem("[tftp] root " + cfg_.tftp.root + " does not exist",
              {"mkdir -p " + cfg_.tftp.root +
               " and put the boot loader, kernels and initrds "
               "there (docs/OPERATIONS.md, 'The TFTP root')"});
      return;
    }
    uint64_t files = 0;
    std::error_code e2;
    for (fs::recursive_directory_iterator
             it(cfg_.tftp.root, fs::directory_options::skip_permission_denied, e2),
         end;
         !e2 && it != end; it.increment(e2))
      if (it->is_regular_file(ec)) ++files;
    say(std::to_string(files) + " file(s).");
    // The loader's warnings name what a site needs and is not there (boot loaders, kernels,
    // initrds under the root); they were printed above and count as problems here.
    for (const auto& w : config::load(cfg_.path).warnings)
      problem(w.str(), {"put the file under " + cfg_.tftp.root +
                        " (cp f f.tmp && mv f.tmp f; the dataplane serves a new file at once), or "
                        "fix the config; `bootstorm-ctl check " +
                        cfg_.path + "` shows them all"});
  }

  // ---- the boot network's address and the HTTP port ---------------------------------------
  void network() {
    std::string ip = proto::ip_str(cfg_.server.address);
    section("address " + ip + ", exception interface " + cfg_.server.exception + ", HTTP port " +
            std::to_string(cfg_.server.http_port));
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) == 0) {
      for (ifaddrs* a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET) continue;
        char buf[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf,
                    sizeof buf);
        if (ip == buf && cfg_.server.exception != a->ifa_name)
          problem(ip + " is already on interface " + std::string(a->ifa_name) +
                      "; the dataplane puts it on its exception interface " + cfg_.server.exception,
                  {"ip addr del " + ip + " dev " + a->ifa_name +
                   ", or set [server] address to the boot network's own address"});
      }
      ::freeifaddrs(list);
    }
    // A wildcard listener on the HTTP port keeps bootstorm-control from binding the address.
    char port_hex[8];
    std::snprintf(port_hex, sizeof port_hex, "%04X", unsigned(cfg_.server.http_port));
    bool busy = false;
    for (const char* f : {"/proc/net/tcp", "/proc/net/tcp6"}) {
      std::ifstream in(f);
      std::string line;
      std::getline(in, line);
      while (std::getline(in, line)) {
        std::stringstream ss(line);
        std::string sl, local, remote, st;
        ss >> sl >> local >> remote >> st;
        size_t colon = local.find(':');
        if (st != "0A" || colon == std::string::npos || local.substr(colon + 1) != port_hex)
          continue;
        if (local.find_first_not_of('0') == colon) busy = true;  // 0.0.0.0 or ::
      }
    }
    if (busy)
      problem("another program listens on every address on TCP port " +
                  std::to_string(cfg_.server.http_port) + ", so bootstorm-control cannot bind " +
                  ip + ":" + std::to_string(cfg_.server.http_port) + " for kickstarts",
              {"see which: ss -ltnp 'sport = :" + std::to_string(cfg_.server.http_port) + "'",
               "stop it or make it listen on its own address, or set [server] http_port"});
    else
      say("nothing else listens on all addresses on TCP port " +
          std::to_string(cfg_.server.http_port) + ".");
  }

  int summary() {
    std::printf("\n");
    if (problems_.empty()) {
      if (!acting_ && planned_ > 0)
        std::printf("no problems; %d step(s) to take: run `sudo bootstorm-ctl setup --config %s`\n",
                    planned_, cfg_.path.c_str());
      else if (done_ > 0)
        std::printf("no problems: this host is ready for bootstorm-dataplane (%d step(s) taken)\n",
                    done_);
      else
        std::printf("no problems: this host is ready for bootstorm-dataplane\n");
      return 0;
    }
    std::printf("%zu problem(s) to fix:\n", problems_.size());
    int n = 0;
    for (const auto& p : problems_) {
      std::printf("  %d. %s\n", ++n, p.what.c_str());
      for (const auto& f : p.fix) std::printf("     fix: %s\n", f.c_str());
    }
    return 1;
  }

  struct Problem {
    std::string what;
    std::vector<std::string> fix;
  };

  const config::Config& cfg_;
  bool dry_run_, root_ = false, acting_ = false;
  std::string devbind_, hugepages_tool_, pmds_;
  int numa_node_ = -1;
  uint64_t mem_mib_ = 0;
  int planned_ = 0, done_ = 0;
  std::vector<Problem> problems_;
};

}  // namespace

int setup(const config::Config& cfg, bool dry_run) {
  return Setup(cfg, dry_run).run();
}

}  // namespace bs::ctl
