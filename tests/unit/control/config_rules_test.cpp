// One validation rule per case: the issue's config with one edit must fail with an error at the
// right line, naming the key, saying what is wrong and what would be valid.
#include <gtest/gtest.h>

#include <algorithm>

#include "control/config.hpp"
#include "temp_site.hpp"

namespace bs::config {
namespace {

using test::issue_with;
using test::TempSite;

struct Rule {
  const char* name;
  std::string from, to;
  std::string key;      // expected key of the (first) error
  int delta;            // expected line: the line where `from` was, plus this
  std::string message;  // expected substring of the message
};

class ConfigRule : public testing::TestWithParam<Rule> {};

TEST_P(ConfigRule, IsReported) {
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
  EXPECT_EQ(e.file, site.path("site.toml"));
  EXPECT_EQ(e.line, line) << e.str();
  EXPECT_GT(e.column, 0);
  EXPECT_NE(e.message.find(rule.message), std::string::npos) << e.str();
  std::string prefix = site.path("site.toml") + ":" + std::to_string(line) + ":";
  EXPECT_EQ(e.str().rfind(prefix, 0), 0u) << e.str();
}

const std::string kMac = "mac = \"52:54:00:12:34:56\"";
const std::string kAddr = "address = \"10.77.0.11\"";

INSTANTIATE_TEST_SUITE_P(
    Rules, ConfigRule,
    testing::Values(
        Rule{"BadMac", kMac, "mac = \"52:54:00:12:34\"", "host[0].mac", 0,
             "is not a unicast MAC address (expected six hex pairs"},
        Rule{"MulticastMac", kMac, "mac = \"01:00:5e:00:00:01\"", "host[0].mac", 0, "unicast"},
        Rule{"BadHostIp", kAddr, "address = \"10.77.0.300\"", "host[0].address", 0,
             "is not an IPv4 address"},
        Rule{"HostOutsideSubnet", kAddr, "address = \"10.78.0.11\"", "host[0].address", 0,
             "outside every [[dhcp.pool]] subnet (valid subnets: 10.77.0.0/24)"},
        Rule{"HostIsBroadcast", kAddr, "address = \"10.77.0.255\"", "host[0].address", 0,
             "broadcast"},
        Rule{"HostIsServer", kAddr, "address = \"10.77.0.1\"", "host[0].address", 0,
             "appliance's own address"},
        Rule{"ServerAddressWithoutPrefix", "address = \"10.77.0.1/24\"", "address = \"10.77.0.1\"",
             "server.address", 0, "expected e.g. 10.77.0.1/24"},
        Rule{"SubnetHostBits", "subnet = \"10.77.0.0/24\"", "subnet = \"10.77.0.5/24\"",
             "dhcp.pool[0].subnet", 0, "did you mean 10.77.0.0/24"},
        Rule{"RangeOutsideSubnet", "\"10.77.0.200\"]", "\"10.77.1.200\"]", "dhcp.pool[0].range", 0,
             "not inside subnet 10.77.0.0/24"},
        Rule{"RangeReversed", "[\"10.77.0.100\", \"10.77.0.200\"]",
             "[\"10.77.0.200\", \"10.77.0.100\"]", "dhcp.pool[0].range", 0, "is after last"},
        Rule{"RangeNotTwo", "[\"10.77.0.100\", \"10.77.0.200\"]", "[\"10.77.0.100\"]",
             "dhcp.pool[0].range", 0, "expected two addresses"},
        Rule{"RouterOutsideSubnet", "router = \"10.77.0.1\"", "router = \"10.99.0.1\"",
             "dhcp.pool[0].router", 0, "not inside subnet 10.77.0.0/24"},
        Rule{"UnknownProfile", "profile = \"centos7\"", "profile = \"centos8\"", "host[0].profile",
             0, "unknown profile 'centos8' (defined profiles: centos7)"},
        Rule{"MissingKickstart", "kickstart = \"kickstart/centos7.ks\"",
             "kickstart = \"ks/none.ks\"", "profile[0].kickstart", 0,
             "template file 'ks/none.ks' not found"},
        Rule{"BadLeaseTime", "lease_time = \"1h\"", "lease_time = \"1 hour\"", "dhcp.lease_time", 0,
             "valid: \"30m\", \"1h\", \"90s\", \"2d\" or seconds"},
        Rule{"ZeroLeaseTime", "lease_time = \"1h\"", "lease_time = 0", "dhcp.lease_time", 0,
             "is not a duration"},
        Rule{"EmptyPort", "port = \"net_af_packet0,iface=bs-veth0\"", "port = \"\"", "server.port",
             0, "is empty"},
        Rule{"EmptyTftpRoot", "root = \"tftp\"", "root = \"\"", "tftp.root", 0, "is empty"},
        Rule{"TftpPortBelow1024", "root = \"tftp\"", "root = \"tftp\"\nport_min = 69",
             "tftp.port_min", 1, "out of range (valid: 1024..65535)"},
        Rule{"TftpPortsReversed", "root = \"tftp\"",
             "root = \"tftp\"\nport_min = 30000\nport_max = 20000", "tftp.port_max", 2,
             "below port_min"},
        Rule{"HttpPortZero", "http_port = 80", "http_port = 0", "server.http_port", 0,
             "out of range (valid: 1..65535)"},
        Rule{"HttpPortTooBig", "http_port = 80", "http_port = 70000", "server.http_port", 0,
             "valid: 1..65535"},
        Rule{"WrongType", "hugepages = false", "hugepages = \"no\"", "server.hugepages", 0,
             "is a string (expected true or false)"},
        Rule{"UnknownKeyTypo", "http_port = 80", "http_prot = 80", "server.http_prot", 0,
             "unknown key (valid keys in server: address, port, exception"},
        Rule{"UnknownSection", "[boot]", "[bot]", "bot", 0, "valid keys: server, dhcp, tftp"},
        Rule{"VarShadowsBuiltin", "vars = { disk = \"sda\" }",
             "vars = { disk = \"sda\", hostname = \"x\" }", "host[0].vars.hostname", 0,
             "shadows a built-in placeholder"},
        Rule{"BadHostname", "hostname = \"node001\"", "hostname = \"node_001\"", "host[0].hostname",
             0, "not a valid hostname"},
        Rule{"UnknownPlaceholderInAppend", "ip=dhcp\"", "ip=dhcp console={{ console }}\"",
             "profile[0].append", 0, "unknown placeholder {{ console }} for host node001"}),
    [](const testing::TestParamInfo<Rule>& i) { return std::string(i.param.name); });

TEST(ConfigRules, DuplicateMacAddressAndHostname) {
  TempSite site;
  std::string host =
      std::string(test::kIssueConfig).substr(std::string(test::kIssueConfig).find("[[host]]"));
  LoadResult r = site.load(std::string(test::kIssueConfig) + "\n" + host);
  ASSERT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].key, "host[1].mac");
  EXPECT_NE(
      r.errors[0].message.find(
          "duplicate reservation: 52:54:00:12:34:56 is already reserved by host[0] at line 30"),
      std::string::npos)
      << r.errors[0].str();
  EXPECT_EQ(r.errors[1].key, "host[1].hostname");
  EXPECT_NE(r.errors[1].message.find("duplicate hostname 'node001'"), std::string::npos);
  EXPECT_EQ(r.errors[2].key, "host[1].address");
  EXPECT_NE(r.errors[2].message.find("10.77.0.11 is already reserved by host[0]"),
            std::string::npos);
}

TEST(ConfigRules, UnknownPlaceholderInKickstartNamesTemplateLineAndKnownNames) {
  TempSite site;
  site.write("kickstart/centos7.ks", "network --hostname={{ hostname }}\n\nrootpw {{ root_pw }}\n");
  LoadResult r = site.load(test::kIssueConfig);
  ASSERT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u);
  const ConfigError& e = r.errors[0];
  EXPECT_EQ(e.file, site.path("kickstart/centos7.ks"));
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.column, 8);
  EXPECT_EQ(e.key, "profile[0].kickstart");
  EXPECT_NE(e.message.find("unknown placeholder {{ root_pw }} for host node001"),
            std::string::npos);
  EXPECT_NE(e.message.find(
                "known: address, disk, gateway, hostname, kickstart_url, mac, netmask, server"),
            std::string::npos)
      << e.message;
}

TEST(ConfigRules, PlaceholderInsideAnAbsentSectionIsFine) {
  TempSite site;
  site.write("kickstart/centos7.ks",
             "{{#repo}}\nurl --url={{ repo }}\n{{/repo}}\n{{^repo}}cdrom{{/repo}}\n");
  LoadResult r = site.load(test::kIssueConfig);
  EXPECT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0].str());
}

TEST(ConfigRules, UnbalancedSectionIsAnError) {
  TempSite site;
  site.write("kickstart/centos7.ks", "a\n{{#repo}}\nurl --url={{ repo }}\n");
  LoadResult r = site.load(test::kIssueConfig);
  ASSERT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_NE(r.errors[0].message.find("never closed"), std::string::npos);
}

TEST(ConfigRules, MissingTftpFilesAreWarningsOnly) {
  TempSite site;
  site.write("tftp/pxelinux.0", "x");
  LoadResult r = site.load(test::kIssueConfig);
  ASSERT_TRUE(r.config);
  std::vector<std::string> keys;
  for (auto& w : r.warnings) keys.push_back(w.key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"boot.uefi_x64", "profile[0].kernel", "profile[0].initrd"}));
}

TEST(ConfigRules, ReservationInsideDynamicRangeWarns) {
  TempSite site;
  LoadResult r = site.load(issue_with("address = \"10.77.0.11\"", "address = \"10.77.0.150\""));
  ASSERT_TRUE(r.config);
  bool found = false;
  for (auto& w : r.warnings) found = found || w.key == "host[0].address";
  EXPECT_TRUE(found);
}

TEST(ConfigRules, DefaultMenuWithUnknownPlaceholder) {
  TempSite site;
  site.write("menu", "DEFAULT local\nSAY {{ hostname }}\n");
  LoadResult r = site.load(std::string("default_menu = \"menu\"\n") + test::kIssueConfig);
  ASSERT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, site.path("menu"));
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_NE(r.errors[0].message.find("unknown placeholder {{ hostname }}"), std::string::npos);
}

}  // namespace
}  // namespace bs::config
