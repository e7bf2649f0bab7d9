// A throw-away site directory for control tests: the issue's config plus a kickstart template.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "control/config.hpp"

namespace bs::test {

// The issue's config, verbatim except for the tftp root (inside the temp dir).
inline const char* kIssueConfig = R"([server]
address = "10.77.0.1/24"
port = "net_af_packet0,iface=bs-veth0"
exception = "bs0"
hugepages = false
state_dir = "/var/lib/bootstorm"
http_port = 80

[dhcp]
lease_time = "1h"
[[dhcp.pool]]
subnet = "10.77.0.0/24"
range = ["10.77.0.100", "10.77.0.200"]
router = "10.77.0.1"

[tftp]
root = "tftp"

[boot]
bios = "pxelinux.0"
uefi_x64 = "syslinux.efi"

[[profile]]
name = "centos7"
kernel = "centos7/vmlinuz"
initrd = "centos7/initrd.img"
append = "inst.ks={{kickstart_url}} ip=dhcp"
kickstart = "kickstart/centos7.ks"

[[host]]
mac = "52:54:00:12:34:56"
hostname = "node001"
address = "10.77.0.11"
profile = "centos7"
vars = { disk = "sda" }
)";

class TempSite {
 public:
  TempSite() {
    char tmpl[] = "/tmp/bs-control-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::filesystem::create_directories(dir_ / "kickstart");
    write("kickstart/centos7.ks",
          "network --hostname={{ hostname }}\nclearpart --drives={{ disk }}\n");
  }
  ~TempSite() { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& rel, const std::string& text) {
    std::filesystem::path p = dir_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  // Writes site.toml with `text` and loads it.
  config::LoadResult load(const std::string& text) {
    return config::load(write("site.toml", text));
  }
  std::string path(const std::string& rel) const { return (dir_ / rel).string(); }

 private:
  std::filesystem::path dir_;
};

// The issue's config with the first occurrence of `from` replaced by `to`.
inline std::string issue_with(const std::string& from, const std::string& to) {
  std::string s = kIssueConfig;
  size_t at = s.find(from);
  if (at == std::string::npos) std::abort();  // a test typo, not a product failure
  return s.replace(at, from.size(), to);
}

}  // namespace bs::test
