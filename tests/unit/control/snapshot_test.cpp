// The snapshot compiled from the site: every field the dataplane needs, and it survives the wire.
#include <gtest/gtest.h>

#include <algorithm>

#include "control/snapshot_build.hpp"
#include "temp_site.hpp"

namespace bs::control {
namespace {

TEST(Snapshot, BuiltFromTheIssueConfig) {
  test::TempSite site;
  config::LoadResult r = site.load(test::kIssueConfig);
  ASSERT_TRUE(r.config);
  Rendered rendered = render_all(*r.config);
  snap::Snapshot s = build_snapshot(*r.config, rendered, 42);
  EXPECT_EQ(s.generation, 42u);
  EXPECT_EQ(proto::ip_str(s.server_ip), "10.77.0.1");
  EXPECT_EQ(s.lease_seconds, 3600u);
  EXPECT_EQ(s.boot.files[snap::BootArch::bios], "pxelinux.0");
  EXPECT_EQ(s.boot.files[snap::BootArch::uefi_x64], "syslinux.efi");
  EXPECT_FALSE(s.boot.ipxe);
  EXPECT_EQ(s.renew_seconds, 1800u);
  EXPECT_EQ(s.rebind_seconds, 3150u);
  ASSERT_EQ(s.pools.size(), 1u);
  EXPECT_EQ(s.pools[0].prefix, 24);
  EXPECT_EQ(proto::ip_str(s.pools[0].first), "10.77.0.100");
  EXPECT_EQ(proto::ip_str(s.pools[0].last), "10.77.0.200");
  EXPECT_EQ(proto::ip_str(s.pools[0].router), "10.77.0.1");
  EXPECT_EQ(proto::ip_str(s.pools[0].broadcast), "10.77.0.255");  // computed
  ASSERT_EQ(s.hosts.size(), 1u);
  EXPECT_EQ(s.hosts[0].mac.str(), "52:54:00:12:34:56");
  EXPECT_EQ(proto::ip_str(s.hosts[0].address), "10.77.0.11");
  EXPECT_EQ(s.hosts[0].hostname, "node001");
  EXPECT_EQ(s.hosts[0].boot, s.boot);  // no overrides: the [boot] rule
  ASSERT_EQ(s.files.size(), 2u);
  EXPECT_EQ(s.files[0].path, "pxelinux.cfg/01-52-54-00-12-34-56");
  EXPECT_EQ(s.files[0].content, rendered.hosts[0].pxelinux);
  EXPECT_EQ(s.files[1].path, "pxelinux.cfg/default");
  EXPECT_NE(s.files[1].content.find("LOCALBOOT 0"), std::string::npos);
  EXPECT_EQ(s.preload, (std::vector<std::string>{"pxelinux.0", "syslinux.efi", "centos7/vmlinuz",
                                                 "centos7/initrd.img"}));
  EXPECT_EQ(rendered.kickstarts.count("node001"), 1u);
}

TEST(Snapshot, RoundTripsThroughTheWireFormat) {
  test::TempSite site;
  config::LoadResult r = site.load(test::kIssueConfig);
  ASSERT_TRUE(r.config);
  snap::Snapshot s = build_snapshot(*r.config, render_all(*r.config), 7);
  std::string text = snap::encode(s);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  std::string error;
  auto back = snap::decode(text, &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->generation, 7u);
  ASSERT_EQ(back->files.size(), 2u);
  EXPECT_EQ(back->files[0].content, s.files[0].content);
  ASSERT_NE(back->find_host(s.hosts[0].mac), nullptr);
  EXPECT_EQ(back->find_host(s.hosts[0].mac)->hostname, "node001");
  EXPECT_TRUE(back->mtftp.empty());
}

TEST(Snapshot, MtftpFilesGetTheFirstGroupsAndSurviveTheWire) {
  test::TempSite site;
  config::LoadResult r = site.load(std::string(test::kIssueConfig) +
                                   "\n[multicast]\nmtftp_files = [\"pxelinux.0\", "
                                   "\"centos7/initrd.img\"]\nmtftp_delay = 4\n");
  ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0].str());
  snap::Snapshot s = build_snapshot(*r.config, render_all(*r.config), 1);
  ASSERT_EQ(s.mtftp.size(), 2u);
  EXPECT_EQ(s.mtftp[1].path, "centos7/initrd.img");
  EXPECT_EQ(proto::ip_str(s.mtftp[1].group), "239.255.77.2");
  EXPECT_EQ(s.mtftp[1].client_port, 1761);
  EXPECT_EQ(s.mtftp[1].server_port, 1759);
  EXPECT_EQ(s.mtftp[1].delay_s, 4);
  std::string error;
  auto back = snap::decode(snap::encode(s), &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->mtftp, s.mtftp);
  ASSERT_NE(back->find_mtftp("pxelinux.0"), nullptr);
  EXPECT_EQ(back->find_mtftp("pxelinux.0")->client_port, 1760);
  EXPECT_EQ(back->find_mtftp("vmlinuz"), nullptr);
}

}  // namespace
}  // namespace bs::control
