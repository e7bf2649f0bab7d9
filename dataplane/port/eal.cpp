#include "eal.hpp"

#include <rte_eal.h>

#include <cctype>
#include <string_view>

namespace bs::port {

namespace {
bool hex_run(std::string_view s, size_t& i, size_t n) {
  for (size_t k = 0; k < n; ++k, ++i)
    if (i >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}
}  // namespace

bool is_pci_address(const std::string& dev) {
  // [dddd:]bb:dd.f, optionally followed by ",devargs".
  std::string_view s(dev);
  s = s.substr(0, s.find(','));
  size_t i = 0;
  if (s.size() > 4 && s[4] == ':' && !(hex_run(s, i, 4) && s[i++] == ':')) return false;
  return hex_run(s, i, 2) && i < s.size() && s[i++] == ':' && hex_run(s, i, 2) && i < s.size() &&
         s[i++] == '.' && i + 1 == s.size() && s[i] >= '0' && s[i] <= '7';
}

std::string device_name(const std::string& dev) {
  std::string name = dev.substr(0, dev.find(','));
  if (is_pci_address(dev) && name.size() == 7) name = "0000:" + name;  // DPDK's canonical form
  return name;
}

std::vector<std::string> eal_args(const config::Server& s, const std::string& prog) {
  // --lcores: "0,1,2" as -l, and also "0@0,1@1,2@1" (several lcores on one CPU).
  std::vector<std::string> a{prog, "--lcores", s.lcores, "--file-prefix=" + s.file_prefix,
                             "--log-level=notice"};
  if (!s.hugepages) {
    // No hugepages: EAL memory comes from ordinary pages; 256 MB covers the mbuf pool and rings.
    a.insert(a.end(), {"--no-huge", "-m", "256"});
  }
  if (is_pci_address(s.port)) {
    a.insert(a.end(), {"-a", s.port});
  } else {
    a.insert(a.end(), {"--no-pci", "--vdev=" + s.port});
  }
  return a;
}

bool init_eal(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& s : args) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  return rte_eal_init(int(args.size()), argv.data()) >= 0;
}

}  // namespace bs::port
