#include "host.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <glob.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace bs::ctl::host {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string read_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return trim(line);
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// basename of a symlink's target ("" when it is not a link), e.g. a device's driver.
std::string link_base(const fs::path& p) {
  std::error_code ec;
  fs::path t = fs::read_symlink(p, ec);
  return ec ? std::string() : t.filename().string();
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string search_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  dirs += ":/usr/sbin:/sbin";  // modprobe, also for a non-root PATH
  std::stringstream ss(dirs);
  std::string d;
  while (std::getline(ss, d, ':')) {
    if (d.empty()) continue;
    fs::path p = fs::path(d) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

RunResult run_cmd(const std::vector<std::string>& argv) {
  RunResult r;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    r.out = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execvp(a[0], a.data());
    std::fprintf(stderr, "cannot run %s: %s\n", a[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) r.out.append(buf, size_t(n));
  ::close(fds[0]);
  int status = 0;
  if (pid > 0 && ::waitpid(pid, &status, 0) == pid)
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// The same rule as dataplane/port/eal.cpp (which needs DPDK to link): [dddd:]bb:dd.f[,args].
bool is_pci_address(const std::string& dev, std::string* canonical) {
  std::string s = dev.substr(0, dev.find(','));
  auto hex = [&](size_t from, size_t n) {
    if (from + n > s.size()) return false;
    for (size_t i = from; i < from + n; ++i)
      if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    return true;
  };
  size_t i = 0;
  std::string domain = "0000";
  if (s.size() == 12) {
    if (!hex(0, 4) || s[4] != ':') return false;
    domain = s.substr(0, 4);
    i = 5;
  } else if (s.size() != 7) {
    return false;
  }
  if (!hex(i, 2) || s[i + 2] != ':' || !hex(i + 3, 2) || s[i + 5] != '.' || s[i + 6] < '0' ||
      s[i + 6] > '7')
    return false;
  std::string c = domain + ":" + s.substr(i);
  for (char& ch : c) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  *canonical = c;
  return true;
}

// "0-3,6" -> {0,1,2,3,6}; false for anything else (EAL's "@" and "()" forms).
bool parse_cpu_list(const std::string& text, std::set<int>* out) {
  std::stringstream ss(trim(text));
  std::string part;
  while (std::getline(ss, part, ',')) {
    part = trim(part);
    if (part.empty()) continue;
    size_t dash = part.find('-');
    try {
      size_t used = 0;
      int a = std::stoi(part.substr(0, dash), &used);
      if (used != (dash == std::string::npos ? part.size() : dash)) return false;
      int b = a;
      if (dash != std::string::npos) {
        std::string rest = part.substr(dash + 1);
        b = std::stoi(rest, &used);
        if (used != rest.size()) return false;
      }
      if (a < 0 || b < a || b > 4096) return false;
      for (int c = a; c <= b; ++c) out->insert(c);
    } catch (const std::exception&) {
      return false;
    }
  }
  return true;
}

std::string cpu_list_str(const std::set<int>& s) {
  std::vector<std::string> v;
  for (int c : s) v.push_back(std::to_string(c));
  return join(v, ",");
}

IfUse if_use(const std::string& ifname) {
  IfUse u;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (ifaddrs* a = list; a; a = a->ifa_next) {
      if (!a->ifa_addr || ifname != a->ifa_name) continue;
      char buf[INET6_ADDRSTRLEN] = {};
      if (a->ifa_addr->sa_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf,
                    sizeof buf);
        u.addrs.push_back(buf);
      } else if (a->ifa_addr->sa_family == AF_INET6) {
        auto* a6 = &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr;
        if (IN6_IS_ADDR_LINKLOCAL(a6)) continue;  // every up interface has one
        ::inet_ntop(AF_INET6, a6, buf, sizeof buf);
        u.addrs.push_back(buf);
      }
    }
    ::freeifaddrs(list);
  }
  std::ifstream r4("/proc/net/route");
  std::string line;
  std::getline(r4, line);  // header
  while (std::getline(r4, line)) {
    std::stringstream ss(line);
    std::string iface;
    ss >> iface;
    if (iface == ifname) ++u.routes;
  }
  std::ifstream r6("/proc/net/ipv6_route");
  while (std::getline(r6, line)) {
    std::stringstream ss(line);
    std::vector<std::string> f;
    std::string x;
    while (ss >> x) f.push_back(x);
    // dest, plen, src, plen, next hop, metric, refcnt, use, flags, iface; skip fe80::/10, ff00::/8
    if (f.size() < 10 || f.back() != ifname) continue;
    if (f[0].rfind("fe8", 0) == 0 || f[0].rfind("ff", 0) == 0 || f[0] == std::string(32, '0'))
      continue;
    ++u.routes;
  }
  unsigned long flags =
      std::strtoul(read_line("/sys/class/net/" + ifname + "/flags").c_str(), nullptr, 16);
  u.up = flags & IFF_UP;
  return u;
}

std::vector<std::string> dir_entries(const fs::path& dir) {
  std::vector<std::string> v;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    v.push_back(it->path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> pci_ifaces(const std::string& addr) {
  // /sys/class/net/X resolves to /sys/devices/pci0000:00/<addr>/[virtio2/]net/X.
  std::vector<std::string> v;
  for (const auto& i : dir_entries("/sys/class/net")) {
    std::error_code ec;
    std::string real = fs::canonical(fs::path("/sys/class/net") / i, ec).string();
    if (!ec && real.find("/" + addr + "/") != std::string::npos) v.push_back(i);
  }
  return v;
}

std::vector<Nic> list_nics() {
  std::vector<Nic> nics;
  for (const auto& addr : dir_entries("/sys/bus/pci/devices")) {
    fs::path d = fs::path("/sys/bus/pci/devices") / addr;
    if (read_line(d / "class").rfind("0x02", 0) != 0) continue;
    Nic n;
    n.addr = addr;
    n.driver = link_base(d / "driver");
    n.vendor = read_line(d / "vendor");
    n.device = read_line(d / "device");
    n.ifaces = pci_ifaces(addr);
    for (const auto& i : n.ifaces) {
      IfUse u = if_use(i);
      if (u.in_use()) n.use += (n.use.empty() ? "" : "; ") + i + ": " + u.str();
    }
    nics.push_back(n);
  }
  return nics;
}

// Kernel driver of a NIC -> the DPDK poll-mode driver that takes it over after vfio-pci.
const char* pmd_for_kernel_driver(const std::string& k) {
  static const std::pair<const char*, const char*> table[] = {
      {"ixgbe", "ixgbe"},       {"ixgbevf", "ixgbe"},   {"i40e", "i40e"},
      {"iavf", "iavf"},         {"ice", "ice"},         {"igb", "e1000"},
      {"e1000e", "e1000"},      {"e1000", "e1000"},     {"igc", "igc"},
      {"virtio-pci", "virtio"}, {"vmxnet3", "vmxnet3"}, {"ena", "ena"},
      {"bnxt_en", "bnxt"},      {"qede", "qede"},       {"sfc", "sfc"},
      {"atlantic", "atlantic"}, {"enic", "enic"},       {"nfp", "nfp"},
      {"cxgb4", "cxgbe"},       {"hns3", "hns3"},       {"txgbe", "txgbe"},
      {"ngbe", "ngbe"},         {"gve", "gve"},         {"ionic", "ionic"},
      {"fm10k", "fm10k"},       {"bnx2x", "bnx2x"},     {"thunder-nicvf", "thunderx"},
  };
  for (const auto& [kd, pmd] : table)
    if (k == kd) return pmd;
  return nullptr;
}

// "af_packet" -> "librte-net-af-packet23"; "e1000" -> "librte-net-e1000-23" (Debian's names).
std::string pmd_package(const std::string& kind, std::string name) {
  for (char& c : name)
    if (c == '_') c = '-';
  bool digit = !name.empty() && std::isdigit(static_cast<unsigned char>(name.back()));
  return "librte-" + kind + "-" + name + (digit ? "-23" : "23");
}

// Debian's EAL loads every driver in its PMD directory (RTE_EAL_PMD_PATH) at start.
std::string pmd_dir() {
  glob_t g{};
  std::string dir;
  if (::glob("/usr/lib/*/dpdk/pmds-*", 0, nullptr, &g) == 0 && g.gl_pathc > 0)
    dir = g.gl_pathv[g.gl_pathc - 1];
  ::globfree(&g);
  return dir;
}

}  // namespace bs::ctl::host
