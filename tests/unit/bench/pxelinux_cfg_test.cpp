// The PXELINUX side of a simulated machine: the config search sequence and what a config boots.
#include "bench/pxelinux_cfg.hpp"

#include <gtest/gtest.h>

namespace bs::bench {
namespace {

TEST(PxelinuxSearch, FollowsThePxelinuxOrder) {
  // doc/pxelinux.txt's own example: UUID b8945908-d6a6-41a9-611d-74a6ab80b83d, MAC
  // 88:99:aa:bb:cc:dd, address 192.168.2.91 (C0A8025B).
  std::array<uint8_t, 16> uuid{0xb8, 0x94, 0x59, 0x08, 0xd6, 0xa6, 0x41, 0xa9,
                               0x61, 0x1d, 0x74, 0xa6, 0xab, 0x80, 0xb8, 0x3d};
  auto mac = *proto::Mac::parse("88:99:aa:bb:cc:dd");
  auto names = pxelinux_search(uuid, mac, *proto::parse_ip("192.168.2.91"), "");
  const std::vector<std::string> want = {"pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d",
                                         "pxelinux.cfg/01-88-99-aa-bb-cc-dd",
                                         "pxelinux.cfg/C0A8025B",
                                         "pxelinux.cfg/C0A8025",
                                         "pxelinux.cfg/C0A802",
                                         "pxelinux.cfg/C0A80",
                                         "pxelinux.cfg/C0A8",
                                         "pxelinux.cfg/C0A",
                                         "pxelinux.cfg/C0",
                                         "pxelinux.cfg/C",
                                         "pxelinux.cfg/default"};
  EXPECT_EQ(names, want);
}

TEST(PxelinuxSearch, NoUuidAndAPrefix) {
  auto names = pxelinux_search({}, *proto::Mac::parse("02:00:00:00:00:01"),
                               *proto::parse_ip("10.0.0.1"), "bios/");
  ASSERT_EQ(names.size(), 10u);
  EXPECT_EQ(names.front(), "bios/pxelinux.cfg/01-02-00-00-00-00-01");
  EXPECT_EQ(names[1], "bios/pxelinux.cfg/0A000001");
  EXPECT_EQ(names.back(), "bios/pxelinux.cfg/default");
  EXPECT_EQ(boot_prefix("bios/pxelinux.0"), "bios/");
  EXPECT_EQ(boot_prefix("pxelinux.0"), "");
}

TEST(PxelinuxModules, MenuNeedsItsLibraries) {
  EXPECT_EQ(module_chain("menu.c32"),
            (std::vector<std::string>{"libcom32.c32", "libutil.c32", "menu.c32"}));
  EXPECT_EQ(
      module_chain("bios/vesamenu.c32"),
      (std::vector<std::string>{"bios/libcom32.c32", "bios/libutil.c32", "bios/vesamenu.c32"}));
  EXPECT_EQ(module_chain("chain.c32"), (std::vector<std::string>{"libcom32.c32", "chain.c32"}));
  EXPECT_TRUE(module_chain("ldlinux.c32").empty());
}

// The seed write-up's menu (CentOS 7 over PXE), as a site writes it by hand.
TEST(PxelinuxConfig, SeedMenuBootsItsDefaultLabel) {
  const char* text = R"(default vesamenu.c32
timeout 600
menu title CentOS 7
label linux
  menu label ^Install CentOS 7
  kernel vmlinuz
  append initrd=initrd.img inst.stage2=http://192.168.1.1/centos7 inst.ks=http://192.168.1.1/ks.cfg quiet
label check
  menu label Test this ^media & install CentOS 7
  menu default
  kernel vmlinuz
  append initrd=initrd.img rd.live.check quiet
label local
  localboot 0xffff
)";
  auto c = parse_pxelinux_config(text);
  EXPECT_EQ(c.modules, (std::vector<std::string>{"libcom32.c32", "libutil.c32", "vesamenu.c32"}));
  EXPECT_EQ(c.label, "check");  // MENU DEFAULT wins under a menu
  EXPECT_EQ(c.kernel, "vmlinuz");
  EXPECT_EQ(c.initrds, (std::vector<std::string>{"initrd.img"}));
  EXPECT_EQ(c.kickstart_url, "");
  EXPECT_TRUE(c.warnings.empty()) << c.warnings.front();
}

TEST(PxelinuxConfig, OntimeoutAndInitrdLinesAndKickstart) {
  const char* text =
      "UI menu.c32\nONTIMEOUT install\nLABEL local\n LOCALBOOT 0\nLABEL install\n LINUX "
      "images/vmlinuz\n INITRD images/a.img,images/b.img\n APPEND ks=http://10.0.0.1:8080/ks/x "
      "ip=dhcp\n";
  auto c = parse_pxelinux_config(text);
  EXPECT_EQ(c.label, "install");
  EXPECT_FALSE(c.localboot);
  EXPECT_EQ(c.kernel, "images/vmlinuz");
  EXPECT_EQ(c.initrds, (std::vector<std::string>{"images/a.img", "images/b.img"}));
  EXPECT_EQ(c.kickstart_url, "http://10.0.0.1:8080/ks/x");
}

TEST(PxelinuxConfig, LocalbootAndBareDefault) {
  auto c = parse_pxelinux_config("DEFAULT local\nLABEL local\n  LOCALBOOT 0\n");
  EXPECT_TRUE(c.localboot);
  EXPECT_TRUE(c.kernel.empty());
  auto d = parse_pxelinux_config("DEFAULT vmlinuz initrd=i.img url=http://h/preseed.cfg\n");
  EXPECT_EQ(d.kernel, "vmlinuz");
  EXPECT_EQ(d.initrds, (std::vector<std::string>{"i.img"}));
  EXPECT_EQ(d.kickstart_url, "http://h/preseed.cfg");
  // DEFAULT naming a label picks it, whatever the order.
  auto e = parse_pxelinux_config("DEFAULT b\nLABEL a\nKERNEL ka\nLABEL b\nKERNEL kb\n");
  EXPECT_EQ(e.kernel, "kb");
  // Nothing to boot: for the caller to fail.
  EXPECT_TRUE(parse_pxelinux_config("# empty\n\n").kernel.empty());
}

TEST(PxelinuxConfig, UnknownAndIncludeAreWarnings) {
  auto c = parse_pxelinux_config("INCLUDE other.cfg\nFROBNICATE 1\nLABEL a\nKERNEL k\n");
  EXPECT_EQ(c.kernel, "k");
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_NE(c.warnings[0].find("line 1"), std::string::npos);
  EXPECT_NE(c.warnings[1].find("frobnicate"), std::string::npos);
}

TEST(KickstartUrl, EveryInstallerSpelling) {
  EXPECT_EQ(kickstart_url("ks=http://a/ks.cfg"), "http://a/ks.cfg");
  EXPECT_EQ(kickstart_url("quiet inst.ks=http://a/b"), "http://a/b");
  EXPECT_EQ(kickstart_url("auto=true preseed/url=http://a/p.cfg"), "http://a/p.cfg");
  EXPECT_EQ(kickstart_url("autoinstall ds=nocloud-net;s=http://a/ai/"), "http://a/ai/user-data");
  EXPECT_EQ(kickstart_url("ds=nocloud-net;s=http://a/ai"), "http://a/ai/user-data");
  EXPECT_EQ(kickstart_url("quiet splash"), "");
}

}  // namespace
}  // namespace bs::bench
