// Loading: the issue's config and the shipped one, values and defaults, TOML syntax errors,
// error formatting, and collecting every error at once.
#include <gtest/gtest.h>

#include "control/config.hpp"
#include "temp_site.hpp"

namespace bs::config {
namespace {

using test::issue_with;
using test::TempSite;

TEST(ConfigLoad, IssueConfigLoadsWithItsMeanings) {
  TempSite site;
  LoadResult r = site.load(test::kIssueConfig);
  ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0].str());
  const Config& c = *r.config;
  EXPECT_EQ(proto::ip_str(c.server.address), "10.77.0.1");
  EXPECT_EQ(c.server.prefix, 24);
  EXPECT_EQ(c.server.port, "net_af_packet0,iface=bs-veth0");
  EXPECT_EQ(c.server.exception, "bs0");
  EXPECT_FALSE(c.server.hugepages);
  EXPECT_EQ(c.server.state_dir, "/var/lib/bootstorm");
  EXPECT_EQ(c.server.http_port, 80);
  EXPECT_EQ(c.dhcp.lease_seconds, 3600u);
  ASSERT_EQ(c.dhcp.pools.size(), 1u);
  EXPECT_EQ(proto::ip_str(c.dhcp.pools[0].subnet), "10.77.0.0");
  EXPECT_EQ(proto::ip_str(c.dhcp.pools[0].first), "10.77.0.100");
  EXPECT_EQ(proto::ip_str(c.dhcp.pools[0].last), "10.77.0.200");
  EXPECT_EQ(proto::ip_str(c.dhcp.pools[0].router), "10.77.0.1");
  EXPECT_EQ(c.tftp.root, site.path("tftp"));  // relative root: relative to the config
  EXPECT_EQ(c.tftp.port_min, 10000);          // defaults from config.hpp
  EXPECT_EQ(c.tftp.port_max, 19999);
  EXPECT_EQ(c.boot.files[snap::BootArch::bios], "pxelinux.0");
  EXPECT_EQ(c.boot.files[snap::BootArch::uefi_x64], "syslinux.efi");
  ASSERT_EQ(c.profiles.size(), 1u);
  EXPECT_EQ(c.profiles[0].kernel, "centos7/vmlinuz");
  EXPECT_EQ(c.profiles[0].kickstart, site.path("kickstart/centos7.ks"));
  ASSERT_EQ(c.hosts.size(), 1u);
  EXPECT_EQ(c.hosts[0].mac.str(), "52:54:00:12:34:56");
  EXPECT_EQ(proto::ip_str(c.hosts[0].address), "10.77.0.11");
  EXPECT_EQ(c.hosts[0].vars.at("disk"), "sda");
  ASSERT_NE(c.find_host(c.hosts[0].mac), nullptr);
  EXPECT_EQ(c.find_host(c.hosts[0].mac)->hostname, "node001");
  // The tftp root does not exist: a warning, not an error.
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_EQ(r.warnings[0].key, "tftp.root");
}

TEST(ConfigLoad, ShippedConfigLoads) {
  LoadResult r = load(BS_SOURCE_DIR "/conf/bootstorm.toml");
  ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0].str());
  EXPECT_EQ(r.config->hosts.size(), 1u);
  EXPECT_TRUE(r.config->default_menu.empty());
}

TEST(ConfigLoad, OptionalKeysAreRead) {
  TempSite site;
  std::string text = test::kIssueConfig;
  text.replace(text.find("http_port = 80"), 14,
               "http_port = 8080\nlcores = \"2,3\"\nfile_prefix = \"bs2\"");
  text.replace(text.find("router = \"10.77.0.1\""), 20,
               "router = \"10.77.0.1\"\ndns = [\"10.77.0.1\", \"9.9.9.9\"]\ndomain = \"lab\"");
  text.replace(
      text.find("root = \"tftp\""), 13,
      "root = \"/abs/tftp\"\nport_min = 20000\nport_max = 20099\nretransmit = 500\nretries = 3");
  LoadResult r = site.load(text);
  ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0].str());
  EXPECT_EQ(r.config->server.http_port, 8080);
  EXPECT_EQ(r.config->server.lcores, "2,3");
  EXPECT_EQ(r.config->server.file_prefix, "bs2");
  ASSERT_EQ(r.config->dhcp.pools[0].dns.size(), 2u);
  EXPECT_EQ(proto::ip_str(r.config->dhcp.pools[0].dns[1]), "9.9.9.9");
  EXPECT_EQ(r.config->dhcp.pools[0].domain, "lab");
  EXPECT_EQ(r.config->tftp.root, "/abs/tftp");
  EXPECT_EQ(r.config->tftp.port_min, 20000);
  EXPECT_EQ(r.config->tftp.port_max, 20099);
  EXPECT_EQ(r.config->tftp.retransmit_ms, 500u);
  EXPECT_EQ(r.config->tftp.retries, 3u);
  EXPECT_EQ(r.config->kickstart_url(r.config->hosts[0]), "http://10.77.0.1:8080/ks/node001.ks");
}

TEST(ConfigLoad, TftpTransferKeys) {
  TempSite site;
  LoadResult r = site.load(
      issue_with("root = \"tftp\"",
                 "root = \"tftp\"\nwindowsize = 32\nretransmit_min = 2\nretransmit_max = 800\n"
                 "client_timeout = \"exact\"\nmax_sessions = 5000\nmax_sessions_per_client = 4\n"
                 "cache_size = \"512M\""));
  ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0].str());
  const config::Tftp& t = r.config->tftp;
  EXPECT_EQ(t.windowsize, 32);
  EXPECT_EQ(t.retransmit_min_ms, 2u);
  EXPECT_EQ(t.retransmit_max_ms, 800u);
  EXPECT_TRUE(t.client_timeout_exact);
  EXPECT_EQ(t.max_sessions, 5000u);
  EXPECT_EQ(t.max_sessions_per_client, 4u);
  EXPECT_EQ(t.cache_size, 512ull << 20);
  // Defaults: window 64, a 2 ms floor, the client's timeout as a cap, no fixed cache size.
  TempSite d;
  LoadResult rd = d.load(test::kIssueConfig);
  ASSERT_TRUE(rd.config);
  EXPECT_EQ(rd.config->tftp.windowsize, 64);
  EXPECT_EQ(rd.config->tftp.retransmit_min_ms, 2u);
  EXPECT_FALSE(rd.config->tftp.client_timeout_exact);
  EXPECT_EQ(rd.config->tftp.cache_size, 0u);
}

TEST(ConfigLoad, TftpTransferKeyErrorsSayWhatIsValid) {
  for (auto [line, want] : std::vector<std::pair<std::string, std::string>>{
           {"client_timeout = \"sometimes\"", "(valid: \"cap\", \"exact\")"},
           {"cache_size = \"12X\"", "tftp.cache_size: is not a size of at least 1M"},
           {"cache_size = 100", "tftp.cache_size: is not a size of at least 1M"},
           {"retransmit_min = 50\nretransmit_max = 10", "need retransmit_min <= retransmit_max"},
           {"windowsize = 0", "tftp.windowsize: 0 is out of range (valid: 1..4096)"}}) {
    TempSite site;
    LoadResult r = site.load(issue_with("root = \"tftp\"", "root = \"tftp\"\n" + line));
    ASSERT_FALSE(r.config) << line;
    ASSERT_FALSE(r.errors.empty());
    EXPECT_NE(r.errors[0].str().find(want), std::string::npos) << r.errors[0].str();
    EXPECT_NE(r.errors[0].str().find(site.path("site.toml") + ":"), std::string::npos);
  }
}

TEST(ConfigLoad, MulticastKeys) {
  TempSite site;
  LoadResult r = site.load(std::string(test::kIssueConfig) +
                           "\n[multicast]\naddresses = [\"239.1.2.10\", \"239.1.2.20\"]\n"
                           "ports = [2000, 2010]\nttl = 4\nigmp = \"query\"\nmtftp_port = 1758\n"
                           "mtftp_files = [\"/pxelinux.0\"]\nmtftp_listen = 2\nmtftp_delay = 3\n");
  ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0].str());
  const config::Multicast& m = r.config->multicast;
  EXPECT_TRUE(m.enabled);
  EXPECT_EQ(proto::ip_str(m.first), "239.1.2.10");
  EXPECT_EQ(proto::ip_str(m.last), "239.1.2.20");
  EXPECT_EQ(m.port_min, 2000);
  EXPECT_EQ(m.port_max, 2010);
  EXPECT_EQ(m.ttl, 4);
  EXPECT_EQ(m.igmp, config::Igmp::query);
  EXPECT_EQ(m.mtftp_port, 1758);
  EXPECT_EQ(m.mtftp_files, std::vector<std::string>{"pxelinux.0"});  // sanitised
  EXPECT_EQ(m.mtftp_listen_s, 2);
  EXPECT_EQ(m.mtftp_delay_s, 3);
  // Defaults: RFC 2090 on, 239.255.77.1-254, ports 1760-1799, no MTFTP files.
  TempSite d;
  LoadResult rd = d.load(test::kIssueConfig);
  ASSERT_TRUE(rd.config);
  EXPECT_TRUE(rd.config->multicast.enabled);
  EXPECT_EQ(proto::ip_str(rd.config->multicast.first), "239.255.77.1");
  EXPECT_EQ(rd.config->multicast.port_min, 1760);
  EXPECT_TRUE(rd.config->multicast.mtftp_files.empty());
}

TEST(ConfigLoad, MulticastKeyErrorsSayWhatIsValid) {
  for (auto [line, want] : std::vector<std::pair<std::string, std::string>>{
           {"addresses = [\"10.0.0.1\", \"10.0.0.9\"]", "is not a multicast range"},
           {"addresses = [\"224.0.0.5\", \"224.0.0.9\"]", "is not a multicast range"},
           {"addresses = [\"239.0.0.9\", \"239.0.0.1\"]", "is after last"},
           {"ports = [1799, 1760]", "expected two ports [first, last]"},
           {"ports = [10000, 10010]", "overlap port 69 or [tftp] port_min..port_max"},
           {"igmp = \"always\"", "(valid: \"none\", \"query\", \"report\")"},
           {"mtftp_files = [\"../etc/passwd\"]", "multicast.mtftp_files[0]"},
           {"mtftp_files = [\"a\"]\nmtftp_port = 1765", "multicast.mtftp_port: 1765 is taken"},
           {"addresses = [\"239.0.0.1\", \"239.0.0.1\"]\nmtftp_files = [\"a\"]",
            "need as many group addresses and ports"},
           {"colour = 1", "multicast.colour"}}) {
    TempSite site;
    LoadResult r = site.load(std::string(test::kIssueConfig) + "\n[multicast]\n" + line + "\n");
    ASSERT_FALSE(r.config) << line;
    ASSERT_FALSE(r.errors.empty());
    EXPECT_NE(r.errors[0].str().find(want), std::string::npos) << r.errors[0].str();
    EXPECT_NE(r.errors[0].str().find(site.path("site.toml") + ":"), std::string::npos);
  }
}

TEST(ConfigLoad, LeaseTimeFormats) {
  for (auto [text, seconds] : std::vector<std::pair<std::string, uint32_t>>{{"\"30m\"", 1800},
                                                                            {"\"90s\"", 90},
                                                                            {"\"2d\"", 172800},
                                                                            {"\"1h\"", 3600},
                                                                            {"7200", 7200},
                                                                            {"\"600\"", 600}}) {
    TempSite site;
    LoadResult r = site.load(issue_with("lease_time = \"1h\"", "lease_time = " + text));
    ASSERT_TRUE(r.config) << text;
    EXPECT_EQ(r.config->dhcp.lease_seconds, seconds) << text;
  }
}

TEST(ConfigLoad, SyntaxErrorHasLineAndColumn) {
  TempSite site;
  LoadResult r = site.load(issue_with("hugepages = false", "hugepages = fals"));
  ASSERT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 5);
  EXPECT_GT(r.errors[0].column, 0);
  EXPECT_NE(r.errors[0].str().find(site.path("site.toml") + ":5:"), std::string::npos);
  EXPECT_NE(r.errors[0].str().find("not valid TOML"), std::string::npos);
}

TEST(ConfigLoad, MissingFileIsAnError) {
  LoadResult r = load("/nonexistent/bootstorm.toml");
  ASSERT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, "/nonexistent/bootstorm.toml");
}

TEST(ConfigLoad, ErrorStringFormat) {
  ConfigError e{"a.toml", 3, 7, "host[0].mac", "bad (expected x)"};
  EXPECT_EQ(e.str(), "a.toml:3:7: host[0].mac: bad (expected x)");
  ConfigError whole{"a.toml", 0, 0, "", "unreadable"};
  EXPECT_EQ(whole.str(), "a.toml: unreadable");
}

TEST(ConfigLoad, CollectsEveryErrorInFileOrder) {
  TempSite site;
  std::string text = test::kIssueConfig;
  text.replace(text.find("http_port = 80"), 14, "http_port = 0");
  text.replace(text.find("\"52:54:00:12:34:56\""), 19, "\"zz\"");
  text.replace(text.find("profile = \"centos7\""), 19, "profile = \"nope\"");
  LoadResult r = site.load(text);
  ASSERT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].key, "server.http_port");
  EXPECT_EQ(r.errors[1].key, "host[0].mac");
  EXPECT_EQ(r.errors[2].key, "host[0].profile");
  EXPECT_LT(r.errors[0].line, r.errors[1].line);
  EXPECT_LT(r.errors[1].line, r.errors[2].line);
}

}  // namespace
}  // namespace bs::config
