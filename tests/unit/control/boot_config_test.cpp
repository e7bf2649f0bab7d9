// Boot configuration: [boot] keys per architecture and for iPXE, per-profile and per-host
// overrides (boot, boot_files), renew/rebind times and the broadcast address, their validation
// errors (file:line:col, key, what would be valid), and what reaches the snapshot and the iPXE
// scripts.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "control/render.hpp"
#include "control/snapshot_build.hpp"
#include "temp_site.hpp"

namespace bs::config {
namespace {

using snap::BootArch;
using test::issue_with;
using test::TempSite;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The issue's site plus a second profile that boots iPXE with an ARM64 override, a host of it,
// and a third host that overrides its boot files and chooses iPXE itself.
const std::string kIpxeSite = std::string(test::kIssueConfig) + R"(
[[profile]]
name = "rocky9"
kernel = "rocky9/vmlinuz"
initrd = "rocky9/initrd.img"
append = "inst.ks={{kickstart_url}} console=ttyS0"
kickstart = "kickstart/centos7.ks"
boot = "ipxe"
boot_files = { arm64 = "rocky9/grubaa64.efi" }

[[host]]
mac = "52:54:00:12:34:57"
hostname = "node002"
address = "10.77.0.12"
profile = "rocky9"
vars = { disk = "vda" }

[[host]]
mac = "52:54:00:12:34:58"
hostname = "node003"
address = "10.77.0.13"
profile = "centos7"
vars = { disk = "vda" }
boot = "ipxe"
boot_files = { bios = "lpxelinux.0", uefi_http = "grub/grubx64.efi" }
)";

const std::string& first_error(const LoadResult& r) {
  static const std::string none;
  return r.errors.empty() ? none : r.errors[0].message;
}

TEST(BootConfig, DefaultsWithoutABootSection) {
  TempSite site;
  std::string text = issue_with("[boot]\nbios = \"pxelinux.0\"\nuefi_x64 = \"syslinux.efi\"\n", "");
  LoadResult r = site.load(text);
  ASSERT_TRUE(r.config) << first_error(r);
  const Boot& b = r.config->boot;
  EXPECT_EQ(b.mode, BootMode::pxe);
  EXPECT_EQ(b.files, (snap::BootFiles{{"pxelinux.0", "", "", "", ""}}));
  // Debian's ipxe package: /usr/lib/ipxe/undionly.kpxe and ipxe.efi.
  EXPECT_EQ(b.ipxe, (snap::BootFiles{{"undionly.kpxe", "", "ipxe.efi", "", "ipxe.efi"}}));
  EXPECT_FALSE(r.config->uses_ipxe());
}

TEST(BootConfig, EveryBootKeyIsRead) {
  TempSite site;
  LoadResult r = site.load(issue_with("uefi_x64 = \"syslinux.efi\"", R"(uefi_x64 = "syslinux.efi"
mode = "ipxe"
uefi_ia32 = "ia32/syslinux.efi"
arm64 = "grubaa64.efi"
uefi_http = "https://mirror.example/grubx64.efi"
ipxe_bios = "ipxe/undionly.kpxe"
ipxe_uefi_ia32 = "ipxe/ipxe-ia32.efi"
ipxe_uefi_x64 = "ipxe/snponly.efi"
ipxe_arm64 = "ipxe/ipxe-arm64.efi")"));
  ASSERT_TRUE(r.config) << first_error(r);
  const Boot& b = r.config->boot;
  EXPECT_EQ(b.mode, BootMode::ipxe);
  EXPECT_EQ(b.files, (snap::BootFiles{{"pxelinux.0", "ia32/syslinux.efi", "syslinux.efi",
                                       "grubaa64.efi", "https://mirror.example/grubx64.efi"}}));
  // ipxe_uefi_http not set: the x64 binary, over HTTP.
  EXPECT_EQ(b.ipxe,
            (snap::BootFiles{{"ipxe/undionly.kpxe", "ipxe/ipxe-ia32.efi", "ipxe/snponly.efi",
                              "ipxe/ipxe-arm64.efi", "ipxe/snponly.efi"}}));
  EXPECT_TRUE(r.config->uses_ipxe());
  // An empty string: no boot file for that architecture.
  r = site.load(issue_with("bios = \"pxelinux.0\"", "bios = \"\"\nipxe_uefi_http = \"x.efi\""));
  ASSERT_TRUE(r.config) << first_error(r);
  EXPECT_EQ(r.config->boot.files[BootArch::bios], "");
  EXPECT_EQ(r.config->boot.ipxe[BootArch::uefi_http], "x.efi");
}

TEST(BootConfig, HostOverridesProfileOverridesBoot) {
  TempSite site;
  LoadResult r = site.load(kIpxeSite);
  ASSERT_TRUE(r.config) << first_error(r);
  const Config& c = *r.config;
  ResolvedBoot unknown = c.boot_for(nullptr);
  EXPECT_EQ(unknown.mode, BootMode::pxe);
  EXPECT_EQ(unknown.files, (snap::BootFiles{{"pxelinux.0", "", "syslinux.efi", "", ""}}));
  ResolvedBoot n1 = c.boot_for(&c.hosts[0]);  // centos7, no overrides
  EXPECT_EQ(n1.mode, BootMode::pxe);
  EXPECT_EQ(n1.files, unknown.files);
  ResolvedBoot n2 = c.boot_for(&c.hosts[1]);  // rocky9: profile says ipxe and arm64
  EXPECT_EQ(n2.mode, BootMode::ipxe);
  EXPECT_EQ(n2.files,
            (snap::BootFiles{{"pxelinux.0", "", "syslinux.efi", "rocky9/grubaa64.efi", ""}}));
  ResolvedBoot n3 = c.boot_for(&c.hosts[2]);  // centos7 profile, host says ipxe + two files
  EXPECT_EQ(n3.mode, BootMode::ipxe);
  EXPECT_EQ(n3.files,
            (snap::BootFiles{{"lpxelinux.0", "", "syslinux.efi", "", "grub/grubx64.efi"}}));
  // A host can go back to pxe from an ipxe profile.
  Host h = c.hosts[1];
  h.boot.mode = BootMode::pxe;
  EXPECT_EQ(c.boot_for(&h).mode, BootMode::pxe);
}

TEST(BootConfig, RenewAndRebindTimes) {
  TempSite site;
  LoadResult r = site.load(test::kIssueConfig);
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->dhcp.renew_seconds(), 1800u);  // defaults: 1/2 and 7/8 of the lease
  EXPECT_EQ(r.config->dhcp.rebind_seconds(), 3150u);
  r = site.load(issue_with("lease_time = \"1h\"",
                           "lease_time = \"1h\"\nrenew_time = \"20m\"\n"
                           "rebind_time = 3000"));
  ASSERT_TRUE(r.config) << first_error(r);
  EXPECT_EQ(r.config->dhcp.renew_seconds(), 1200u);
  EXPECT_EQ(r.config->dhcp.rebind_seconds(), 3000u);
  r = site.load(issue_with("lease_time = \"1h\"", "lease_time = \"1h\"\nrenew_time = \"40m\""));
  ASSERT_TRUE(r.config) << first_error(r);  // 40m < the default rebind 52m30s
  EXPECT_EQ(r.config->dhcp.rebind_seconds(), 3150u);
}

TEST(BootConfig, BroadcastConfigured) {
  TempSite site;
  LoadResult r = site.load(
      issue_with("router = \"10.77.0.1\"", "router = \"10.77.0.1\"\nbroadcast = \"10.77.0.127\""));
  ASSERT_TRUE(r.config) << first_error(r);
  EXPECT_EQ(proto::ip_str(r.config->dhcp.pools[0].broadcast), "10.77.0.127");
}

TEST(BootConfig, Urls) {
  TempSite site;
  LoadResult r = site.load(issue_with("http_port = 80", "http_port = 8080"));
  ASSERT_TRUE(r.config);
  const Config& c = *r.config;
  EXPECT_EQ(c.boot_url("centos7/vmlinuz"), "http://10.77.0.1:8080/boot/centos7/vmlinuz");
  EXPECT_EQ(c.boot_url("/grub/x y#1.efi"), "http://10.77.0.1:8080/boot/grub/x%20y%231.efi");
  EXPECT_EQ(c.boot_url("http://mirror/x.efi"), "http://mirror/x.efi");
  EXPECT_EQ(c.ipxe_script_url(&c.hosts[0]), "http://10.77.0.1:8080/ipxe/node001.ipxe");
  EXPECT_EQ(c.ipxe_script_url(nullptr), "http://10.77.0.1:8080/ipxe/default.ipxe");
}

TEST(BootConfig, MissingBootFilesWarnIpxeBinariesOnlyWhenUsed) {
  TempSite site;
  site.write("tftp/pxelinux.0", "x");
  site.write("tftp/syslinux.efi", "x");
  site.write("tftp/centos7/vmlinuz", "x");
  site.write("tftp/centos7/initrd.img", "x");
  LoadResult r = site.load(test::kIssueConfig);
  ASSERT_TRUE(r.config);
  EXPECT_TRUE(r.warnings.empty()) << r.warnings[0].str();
  r = site.load(issue_with("uefi_x64 = \"syslinux.efi\"",
                           "uefi_x64 = \"syslinux.efi\"\nmode = \"ipxe\"\narm64 = \"a.efi\""));
  ASSERT_TRUE(r.config);
  std::vector<std::string> keys;
  for (auto& w : r.warnings) keys.push_back(w.key);
  // Defaults are reported at the [boot] table; ipxe_uefi_http is ipxe_uefi_x64 here: once.
  EXPECT_EQ(keys, (std::vector<std::string>{"boot.ipxe_bios", "boot.ipxe_uefi_x64", "boot.arm64"}));
}

// One rule per case, like config_rules_test.cpp: the issue's config with one edit.
struct Rule {
  const char* name;
  std::string from, to;
  std::string key;      // expected key of the (first) error
  int delta;            // expected line: the line where `from` was, plus this
  std::string message;  // expected substring of the message
};

class BootRule : public testing::TestWithParam<Rule> {};

TEST_P(BootRule, IsReported) {
  const Rule& rule = GetParam();
  std::string issue = test::kIssueConfig;
  int line = 1 + int(std::count(issue.begin(), issue.begin() + long(issue.find(rule.from)), '\n')) +
             rule.delta;
  TempSite site;
  LoadResult r = site.load(issue_with(rule.from, rule.to));
  ASSERT_FALSE(r.config);
  ASSERT_FALSE(r.errors.empty());
  const ConfigError& e = r.errors[0];
  EXPECT_EQ(e.key, rule.key) << e.str();
  EXPECT_EQ(e.line, line) << e.str();
  EXPECT_GT(e.column, 0);
  EXPECT_NE(e.message.find(rule.message), std::string::npos) << e.str();
  std::string prefix = site.path("site.toml") + ":" + std::to_string(line) + ":" +
                       std::to_string(e.column) + ": " + rule.key + ": ";
  EXPECT_EQ(e.str().rfind(prefix, 0), 0u) << e.str();
}

const std::string kHostProfile = "profile = \"centos7\"\nvars";
const std::string kLease = "lease_time = \"1h\"";

INSTANTIATE_TEST_SUITE_P(
    Rules, BootRule,
    testing::Values(
        Rule{"UnknownArchInBootFiles", kHostProfile,
             "profile = \"centos7\"\nboot_files = { uefi_x86 = \"a.efi\" }\nvars",
             "host[0].boot_files.uefi_x86", 1,
             "unknown architecture (valid: bios, uefi_ia32, uefi_x64, arm64, uefi_http)"},
        Rule{"BootFilesNotATable", kHostProfile,
             "profile = \"centos7\"\nboot_files = \"grubx64.efi\"\nvars", "host[0].boot_files", 1,
             "is a string (expected a table of boot files by architecture, e.g. boot_files = { "
             "uefi_x64 = \"grubx64.efi\" }"},
        Rule{"BadHostBootMode", kHostProfile, "profile = \"centos7\"\nboot = \"http\"\nvars",
             "host[0].boot", 1, "'http' is not a boot mode (valid: \"pxe\""},
        Rule{"BootModeWrongType", kHostProfile, "profile = \"centos7\"\nboot = true\nvars",
             "host[0].boot", 1, "is a boolean (valid: \"pxe\""},
        Rule{"BadProfileBootFile", "kickstart = \"kickstart/centos7.ks\"",
             "kickstart = \"kickstart/centos7.ks\"\nboot_files = { uefi_x64 = \"../../shadow\" }",
             "profile[0].boot_files.uefi_x64", 1, "path escapes the TFTP root"},
        Rule{"BadGlobalMode", "[boot]", "[boot]\nmode = \"ipxe2\"", "boot.mode", 1,
             "'ipxe2' is not a boot mode"},
        Rule{"UnknownBootKey", "uefi_x64 = \"syslinux.efi\"", "uefi_x86 = \"syslinux.efi\"",
             "boot.uefi_x86", 0,
             "unknown key (valid keys in boot: mode, bios, uefi_ia32, uefi_x64, arm64, uefi_http, "
             "ipxe_bios, ipxe_uefi_ia32, ipxe_uefi_x64, ipxe_arm64, ipxe_uefi_http)"},
        Rule{"UrlForBios", "bios = \"pxelinux.0\"", "bios = \"http://10.77.0.1/pxelinux.0\"",
             "boot.bios", 0, "is a URL, which only uefi_http takes"},
        Rule{"BootFileEscapesRoot", "bios = \"pxelinux.0\"", "bios = \"../pxelinux.0\"",
             "boot.bios", 0, "path escapes the TFTP root"},
        Rule{"OtherUrlScheme", "[boot]", "[boot]\nuefi_http = \"tftp://10.77.0.1/x.efi\"",
             "boot.uefi_http", 1, "is a URL of another kind"},
        Rule{"BootFileNotAString", "bios = \"pxelinux.0\"", "bios = 0", "boot.bios", 0,
             "is an integer (expected a path under [tftp] root"},
        Rule{"BootFileTooLong", "bios = \"pxelinux.0\"", "bios = \"" + std::string(200, 'p') + "\"",
             "boot.bios", 0, "is 200 bytes long (a DHCP reply's boot file holds at most 127)"},
        Rule{"RenewNotBelowRebind", kLease,
             kLease + "\nrenew_time = \"50m\"\nrebind_time = \"40m\"", "dhcp.renew_time", 1,
             "50m is not below rebind_time 40m (need renew_time < rebind_time < lease_time"},
        Rule{"RenewEqualsRebind", kLease, kLease + "\nrenew_time = 2000\nrebind_time = 2000",
             "dhcp.renew_time", 1, "is not below rebind_time"},
        Rule{"RebindNotBelowLease", kLease, kLease + "\nrebind_time = \"1h\"", "dhcp.rebind_time",
             1, "1h is not below lease_time 1h"},
        Rule{"RenewNotBelowLease", kLease, kLease + "\nrenew_time = \"2h\"\nrebind_time = \"3h\"",
             "dhcp.rebind_time", 2, "3h is not below lease_time 1h"},
        Rule{"RenewAboveDefaultRebind", kLease, kLease + "\nrenew_time = \"55m\"",
             "dhcp.renew_time", 1,
             "55m is not below rebind_time 3150s (the default, 7/8 of lease_time)"},
        Rule{"RebindBelowDefaultRenew", kLease, kLease + "\nrebind_time = \"20m\"",
             "dhcp.rebind_time", 1,
             "20m is not above renew_time 30m (the default, half of lease_time)"},
        Rule{"BadRenewTime", kLease, kLease + "\nrenew_time = \"soon\"", "dhcp.renew_time", 1,
             "is not a duration"},
        Rule{"UnknownDhcpKey", kLease, kLease + "\nrenewal_time = \"20m\"", "dhcp.renewal_time", 1,
             "unknown key (valid keys in dhcp: lease_time"},
        Rule{"BroadcastOutsideSubnet", "router = \"10.77.0.1\"",
             "router = \"10.77.0.1\"\nbroadcast = \"10.78.0.255\"", "dhcp.pool[0].broadcast", 1,
             "10.78.0.255 is not inside subnet 10.77.0.0/24 (its broadcast address is "
             "10.77.0.255"},
        Rule{"HostNamedDefaultBootsIpxe", "hostname = \"node001\"",
             "hostname = \"default\"\nboot = \"ipxe\"", "host[0].hostname", 0,
             "'default' cannot boot iPXE"}),
    [](const testing::TestParamInfo<Rule>& i) { return std::string(i.param.name); });

TEST(BootConfig, DefaultIpxeMenuWithUnknownPlaceholder) {
  TempSite site;
  site.write("menu.ipxe", "#!ipxe\necho {{ hostname }}\n");
  LoadResult r = site.load(std::string("default_ipxe_menu = \"menu.ipxe\"\n") + test::kIssueConfig);
  ASSERT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, site.path("menu.ipxe"));
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_EQ(r.errors[0].key, "default_ipxe_menu");
  EXPECT_NE(r.errors[0].message.find("unknown placeholder {{ hostname }} (known: server, boot_url"),
            std::string::npos);
  r = site.load(std::string("default_ipxe_menu = \"nope.ipxe\"\n") + test::kIssueConfig);
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.errors[0].key, "default_ipxe_menu");
  EXPECT_NE(r.errors[0].message.find("template file 'nope.ipxe' not found"), std::string::npos);
}

}  // namespace
}  // namespace bs::config

namespace bs::control {
namespace {

using snap::BootArch;

TEST(BootSnapshot, RulesUrlsAndPreload) {
  test::TempSite site;
  config::LoadResult r = site.load(config::kIpxeSite);
  ASSERT_TRUE(r.config) << config::first_error(r);
  Rendered rendered = render_all(*r.config);
  snap::Snapshot s = build_snapshot(*r.config, rendered, 5);
  EXPECT_FALSE(s.boot.ipxe);
  EXPECT_EQ(s.boot.files, (snap::BootFiles{{"pxelinux.0", "", "syslinux.efi", "", ""}}));
  EXPECT_EQ(
      s.ipxe_files,
      (snap::BootFiles{{"undionly.kpxe", "", "ipxe.efi", "", "http://10.77.0.1/boot/ipxe.efi"}}));
  ASSERT_EQ(s.hosts.size(), 3u);
  EXPECT_EQ(s.hosts[0].boot, s.boot);
  EXPECT_TRUE(s.hosts[1].boot.ipxe);
  EXPECT_EQ(s.hosts[1].boot.ipxe_script, "http://10.77.0.1/ipxe/node002.ipxe");
  EXPECT_EQ(s.hosts[1].boot.files[BootArch::arm64], "rocky9/grubaa64.efi");
  EXPECT_TRUE(s.hosts[2].boot.ipxe);
  EXPECT_EQ(s.hosts[2].boot.files[BootArch::bios], "lpxelinux.0");
  // The uefi_http slot is a URL into the TFTP root over HTTP.
  EXPECT_EQ(s.hosts[2].boot.files[BootArch::uefi_http], "http://10.77.0.1/boot/grub/grubx64.efi");
  // TFTP boot loaders (each host's, then iPXE's when it boots iPXE), then kernels and initrds.
  EXPECT_EQ(s.preload, (std::vector<std::string>{
                           "pxelinux.0", "syslinux.efi", "rocky9/grubaa64.efi", "undionly.kpxe",
                           "ipxe.efi", "lpxelinux.0", "centos7/vmlinuz", "centos7/initrd.img",
                           "rocky9/vmlinuz", "rocky9/initrd.img"}));
  // Scripts: the two iPXE hosts and the default one.
  EXPECT_EQ(rendered.ipxe_scripts.size(), 3u);
  EXPECT_EQ(rendered.ipxe_scripts.count("node002"), 1u);
  EXPECT_EQ(rendered.ipxe_scripts.count("node003"), 1u);
  EXPECT_EQ(rendered.ipxe_scripts.count("default"), 1u);
  EXPECT_FALSE(rendered.hosts[0].ipxe);
  EXPECT_TRUE(rendered.hosts[1].ipxe);
  EXPECT_EQ(rendered.hosts[1].ipxe_url, "http://10.77.0.1/ipxe/node002.ipxe");
  EXPECT_EQ(rendered.hosts[2].boot_bios, "lpxelinux.0");  // bootstorm-ctl render shows it
}

TEST(BootSnapshot, DefaultModeIpxeAndTimesReachTheWire) {
  test::TempSite site;
  config::LoadResult r = site.load(test::issue_with(
      "uefi_x64 = \"syslinux.efi\"",
      "uefi_x64 = \"syslinux.efi\"\nmode = \"ipxe\"\nuefi_http = \"grubx64.efi\""));
  ASSERT_TRUE(r.config) << config::first_error(r);
  snap::Snapshot s = build_snapshot(*r.config, render_all(*r.config), 9);
  EXPECT_TRUE(s.boot.ipxe);
  EXPECT_EQ(s.boot.ipxe_script, "http://10.77.0.1/ipxe/default.ipxe");
  EXPECT_EQ(s.boot.files[BootArch::uefi_http], "http://10.77.0.1/boot/grubx64.efi");
  std::string error;
  auto back = snap::decode(snap::encode(s), &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->boot, s.boot);
  EXPECT_EQ(back->ipxe_files, s.ipxe_files);
  EXPECT_EQ(back->renew_seconds, 1800u);
  EXPECT_EQ(back->rebind_seconds, 3150u);
  ASSERT_EQ(back->hosts.size(), 1u);
  EXPECT_EQ(back->hosts[0].boot, s.hosts[0].boot);
  EXPECT_EQ(back->pools[0].broadcast, s.pools[0].broadcast);
}

TEST(BootSnapshot, DecodeRejectsBadBootRules) {
  test::TempSite site;
  config::LoadResult r = site.load(test::kIssueConfig);
  ASSERT_TRUE(r.config);
  const std::string good = snap::encode(build_snapshot(*r.config, render_all(*r.config), 1));
  auto rejected = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at == std::string::npos) return std::string();
    text.replace(at, from.size(), to);
    std::string error;
    EXPECT_FALSE(snap::decode(text, &error)) << to;
    return error;
  };
  EXPECT_NE(rejected("\"uefi_ia32\":\"\"", "\"uefi_x86\":\"\"").find("unknown architecture"),
            std::string::npos);
  EXPECT_NE(rejected("\"arm64\":\"\",", "").find("missing field arm64"), std::string::npos);
  EXPECT_NE(rejected("\"ipxe\":false", "\"ipxe\":true").find("ipxe but no ipxe_script"),
            std::string::npos);
  EXPECT_NE(rejected("\"renew_seconds\":1800", "\"renew_seconds\":3200").find("renew_seconds"),
            std::string::npos);
}

TEST(IpxeScript, PerHost) {
  test::TempSite site;
  config::LoadResult r = site.load(config::kIpxeSite);
  ASSERT_TRUE(r.config) << config::first_error(r);
  EXPECT_EQ(render_ipxe_script(*r.config, r.config->hosts[1]),
            "#!ipxe\n"
            "# ipxe/node002.ipxe for node002 (10.77.0.12), profile rocky9; rendered by "
            "bootstorm-control\n"
            "kernel http://10.77.0.1/boot/rocky9/vmlinuz initrd=initrd.img "
            "inst.ks=http://10.77.0.1/ks/node002.ks console=ttyS0\n"
            "initrd http://10.77.0.1/boot/rocky9/initrd.img\n"
            "boot\n");
}

TEST(IpxeScript, DefaultMenuListsProfiles) {
  test::TempSite site;
  config::LoadResult r = site.load(config::kIpxeSite);
  ASSERT_TRUE(r.config);
  std::string menu = render_default_ipxe_menu(*r.config);
  EXPECT_EQ(menu.rfind("#!ipxe\nmenu bootstorm 10.77.0.1: this machine has no reservation\n", 0),
            0u)
      << menu;
  EXPECT_EQ(menu.find("{{"), std::string::npos) << menu;
  for (const char* want : {"item local Boot from local disk\n",
                           "item centos7 Install centos7 (interactive, no kickstart)\n",
                           "item rocky9 Install rocky9 (interactive, no kickstart)\n",
                           "choose --default local --timeout 10000 target || goto local\n"
                           "goto ${target}\n:local\nexit\n",
                           ":centos7\nkernel http://10.77.0.1/boot/centos7/vmlinuz "
                           "initrd=initrd.img ip=dhcp\n"
                           "initrd http://10.77.0.1/boot/centos7/initrd.img\nboot\n",
                           ":rocky9\nkernel http://10.77.0.1/boot/rocky9/vmlinuz "
                           "initrd=initrd.img console=ttyS0\n"})
    EXPECT_NE(menu.find(want), std::string::npos) << "missing: " << want << "\n" << menu;
}

TEST(IpxeScript, BuiltinDefaultIsTheShippedFile) {
  EXPECT_EQ(config::slurp(BS_SOURCE_DIR "/conf/ipxe-default.ipxe"), kBuiltinDefaultIpxeMenu);
}

TEST(IpxeScript, ConfiguredDefaultMenuIsUsed) {
  test::TempSite site;
  site.write("menu.ipxe",
             "#!ipxe\n{{#profiles}}chain {{ boot_url }}/{{ kernel }} "
             "{{ initrd_name }}\n{{/profiles}}");
  config::LoadResult r =
      site.load(std::string("default_ipxe_menu = \"menu.ipxe\"\n") + test::kIssueConfig);
  ASSERT_TRUE(r.config) << config::first_error(r);
  EXPECT_EQ(render_default_ipxe_menu(*r.config),
            "#!ipxe\nchain http://10.77.0.1/boot/centos7/vmlinuz initrd.img\n");
}

}  // namespace
}  // namespace bs::control
