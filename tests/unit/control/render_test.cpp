// Rendering: substitution, no HTML escaping, shell/awk braces untouched, pxelinux files, menu.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "control/render.hpp"
#include "temp_site.hpp"

namespace bs::control {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Render, SubstitutesVerbatimWithoutEscaping) {
  EXPECT_EQ(render_template("a={{ x }} b={{y}}", {{"x", "1&<2>\"'"}, {"y", "/p?q=1"}}),
            "a=1&<2>\"' b=/p?q=1");
}

TEST(Render, LeavesShellAndAwkBracesAlone) {
  std::string t = "echo ${HOSTNAME} {{ h }}\nawk '{ print $1 }' f\nx=${a:-{b}}\n";
  EXPECT_EQ(render_template(t, {{"h", "n1"}}),
            "echo ${HOSTNAME} n1\nawk '{ print $1 }' f\nx=${a:-{b}}\n");
}

TEST(Render, StandaloneSectionLinesVanish) {
  std::string t = "a\n{{#v}}\nv={{ v }}\n{{/v}}\n{{^v}}\nnone\n{{/v}}\n{{! note }}\nz\n";
  EXPECT_EQ(render_template(t, {{"v", "1"}}), "a\nv=1\nz\n");
  EXPECT_EQ(render_template(t, {}), "a\nnone\nz\n");
}

TEST(Render, PxelinuxPath) {
  auto mac = proto::Mac::parse("52:54:00:AB:CD:EF");
  ASSERT_TRUE(mac);
  EXPECT_EQ(pxelinux_path(*mac), "pxelinux.cfg/01-52-54-00-ab-cd-ef");
}

TEST(Render, InteractiveAppendDropsHostWords) {
  EXPECT_EQ(interactive_append("inst.ks={{kickstart_url}} ip=dhcp console=ttyS0"),
            "ip=dhcp console=ttyS0");
  EXPECT_EQ(interactive_append("{{ x }}"), "");
  EXPECT_EQ(interactive_append("ks={{ kickstart_url }} a  host={{hostname}}.lab b"), "a b");
}

TEST(Render, ShippedSiteHost) {
  config::LoadResult r = config::load(BS_SOURCE_DIR "/conf/bootstorm.toml");
  ASSERT_TRUE(r.config);
  RenderedHost h = render_host(*r.config, r.config->hosts[0]);
  EXPECT_EQ(h.pxelinux_path, "pxelinux.cfg/01-52-54-00-12-34-56");
  EXPECT_NE(h.pxelinux.find("KERNEL centos7/vmlinuz\n"), std::string::npos) << h.pxelinux;
  EXPECT_NE(
      h.pxelinux.find(
          "APPEND initrd=centos7/initrd.img inst.ks=http://10.77.0.1/ks/node001.ks ip=dhcp\n"),
      std::string::npos)
      << h.pxelinux;
  EXPECT_NE(h.pxelinux.find("DEFAULT centos7\n"), std::string::npos);
  EXPECT_EQ(h.boot_bios, "pxelinux.0");
  EXPECT_EQ(h.boot_uefi_x64, "syslinux.efi");
  ASSERT_TRUE(h.has_kickstart);
  EXPECT_EQ(h.kickstart_url, "http://10.77.0.1/ks/node001.ks");
  const std::string& ks = h.kickstart;
  EXPECT_EQ(ks.find("{{"), std::string::npos) << ks;
  EXPECT_EQ(ks.rfind("#version=DEVEL\n", 0), 0u) << ks;  // the comment block left nothing behind
  for (const char* want :
       {"--hostname=node001", "--ip=10.77.0.11", "--netmask=255.255.255.0", "--gateway=10.77.0.1",
        "bootloader --location=mbr --boot-drive=sda\n",
        "clearpart --all --initlabel --drives=sda\n",
        "url --url=http://10.77.0.1/centos7/os/x86_64\n", "rootpw --iscrypted $6$",
        // %post shell and awk reach the installer unchanged:
        "echo \"post-install on ${HOSTNAME}\" >> /etc/motd\n", "awk '{ print $1 }' /proc/loadavg",
        "${nic##*/}", "%end\n"})
    EXPECT_NE(ks.find(want), std::string::npos) << "missing: " << want;
}

TEST(Render, RepoVarSelectsInstallSource) {
  config::LoadResult r = config::load(BS_SOURCE_DIR "/conf/bootstorm.toml");
  ASSERT_TRUE(r.config);
  config::Host host = r.config->hosts[0];
  host.vars["repo"] = "http://mirror/centos/7/os/x86_64";
  std::string ks = render_host(*r.config, host).kickstart;
  EXPECT_NE(ks.find("url --url=http://mirror/centos/7/os/x86_64\n"), std::string::npos);
  EXPECT_EQ(ks.find("url --url=http://10.77.0.1/"), std::string::npos);
}

TEST(Render, KickstartUrlCarriesNonDefaultPort) {
  test::TempSite site;
  config::LoadResult r = site.load(test::issue_with("http_port = 80", "http_port = 8080"));
  ASSERT_TRUE(r.config);
  RenderedHost h = render_host(*r.config, r.config->hosts[0]);
  EXPECT_NE(h.pxelinux.find("inst.ks=http://10.77.0.1:8080/ks/node001.ks "), std::string::npos);
  EXPECT_EQ(h.kickstart, "network --hostname=node001\nclearpart --drives=sda\n");
}

TEST(Render, DefaultMenu) {
  config::LoadResult r = config::load(BS_SOURCE_DIR "/conf/bootstorm.toml");
  ASSERT_TRUE(r.config);
  std::string menu = render_default_menu(*r.config);
  EXPECT_EQ(menu.rfind("DEFAULT local\n", 0), 0u) << menu;
  EXPECT_NE(menu.find("LABEL local\n  MENU LABEL Boot from local disk\n  LOCALBOOT 0\n"),
            std::string::npos);
  EXPECT_NE(menu.find("LABEL centos7\n"), std::string::npos) << menu;
  EXPECT_NE(menu.find("  KERNEL centos7/vmlinuz\n  APPEND initrd=centos7/initrd.img ip=dhcp\n"),
            std::string::npos)
      << menu;
  EXPECT_EQ(menu.find("inst.ks"), std::string::npos);
  EXPECT_NE(menu.find("SAY bootstorm 10.77.0.1:"), std::string::npos);
}

TEST(Render, BuiltinMenuIsTheShippedFile) {
  EXPECT_EQ(slurp(BS_SOURCE_DIR "/conf/pxelinux-default.menu"), kBuiltinDefaultMenu);
}

TEST(Render, ConfiguredMenuIsUsed) {
  test::TempSite site;
  site.write("menu", "DEFAULT x\n{{#profiles}}LABEL {{ name }}-{{ append }}\n{{/profiles}}");
  config::LoadResult r = site.load(std::string("default_menu = \"menu\"\n") + test::kIssueConfig);
  ASSERT_TRUE(r.config);
  EXPECT_EQ(render_default_menu(*r.config), "DEFAULT x\nLABEL centos7-ip=dhcp\n");
}

}  // namespace
}  // namespace bs::control
