// The PXE boot-file policy (dataplane/dhcp/boot_policy.hpp) over parsed requests: every option 93
// architecture, UEFI HTTP boot, the iPXE chain in both directions, host rules and the default
// rule for machines without a reservation.
#include <gtest/gtest.h>

#include "dataplane/dhcp/boot_policy.hpp"
#include "dhcp_request.hpp"

namespace bs::dhcp {
namespace {

using namespace proto;
using snap::BootArch;
using test::mac;
using test::Req;

constexpr const char* kHttpUrl = "http://10.77.0.1/boot/grubx64.efi";
constexpr const char* kIpxeHttpUrl = "http://10.77.0.1/boot/ipxe.efi";
constexpr const char* kScript = "http://10.77.0.1/ipxe/node002.ipxe";
constexpr const char* kDefaultScript = "http://10.77.0.1/ipxe/default.ipxe";

class BootPolicy : public ::testing::Test {
 protected:
  void SetUp() override {
    s_.boot.files = {{"pxelinux.0", "ia32/syslinux.efi", "syslinux.efi", "grubaa64.efi", kHttpUrl}};
    s_.ipxe_files = {{"undionly.kpxe", "", "ipxe.efi", "", kIpxeHttpUrl}};
    plain_.mac = mac(1);
    plain_.hostname = "node001";
    plain_.boot = s_.boot;
    plain_.boot.files[BootArch::uefi_x64] = "custom/grubx64.efi";  // a host override
    ipxe_.mac = mac(2);
    ipxe_.hostname = "node002";
    ipxe_.boot = s_.boot;
    ipxe_.boot.ipxe = true;
    ipxe_.boot.ipxe_script = kScript;
  }

  BootChoice choose(const Req& r, const snap::Host* host) {
    bytes_ = test::build_request(r);
    auto m = parse_dhcp(Bytes(bytes_.data(), bytes_.size()));
    EXPECT_TRUE(m.ok());
    if (!m.ok()) return {};
    return choose_boot(s_, host, *m);
  }
  static Req pxe(std::optional<uint16_t> arch) {
    Req r;
    r.arch = arch;
    char vc[40];
    std::snprintf(vc, sizeof vc, "PXEClient:Arch:%05u:UNDI:002001", unsigned(arch.value_or(0)));
    r.vendor_class = vc;
    return r;
  }
  static Req as_ipxe(Req r) {
    r.user_class = "iPXE";
    r.ipxe_encap = true;
    return r;
  }
  static Req http(std::optional<uint16_t> arch) {
    Req r;
    r.arch = arch;
    r.vendor_class = "HTTPClient:Arch:00016:UNDI:003001";
    return r;
  }

  snap::Snapshot s_;
  snap::Host plain_, ipxe_;
  std::vector<uint8_t> bytes_;
};

TEST(BootArchMapping, EveryOption93Value) {
  EXPECT_EQ(boot_arch(std::nullopt), BootArch::bios);  // no option 93: a BIOS PXE ROM
  EXPECT_EQ(boot_arch(0), BootArch::bios);
  EXPECT_EQ(boot_arch(6), BootArch::uefi_ia32);
  EXPECT_EQ(boot_arch(7), BootArch::uefi_x64);
  EXPECT_EQ(boot_arch(9), BootArch::uefi_x64);
  EXPECT_EQ(boot_arch(11), BootArch::arm64);
  EXPECT_EQ(boot_arch(16), BootArch::uefi_http);
  for (uint16_t other : {1, 2, 8, 10, 12, 15, 19, 0xffff}) EXPECT_FALSE(boot_arch(other)) << other;
}

TEST_F(BootPolicy, EachArchitectureGetsItsDefaultBootFile) {
  struct Case {
    std::optional<uint16_t> arch;
    const char* file;
  } cases[] = {{std::nullopt, "pxelinux.0"},
               {0, "pxelinux.0"},
               {6, "ia32/syslinux.efi"},
               {7, "syslinux.efi"},
               {9, "syslinux.efi"},
               {11, "grubaa64.efi"},
               {16, kHttpUrl},
               {2, ""},
               {15, ""}};
  for (const Case& c : cases) {
    BootChoice b = choose(pxe(c.arch), nullptr);
    EXPECT_EQ(b.file, c.file) << c.arch.value_or(999);
    EXPECT_FALSE(b.http) << "option 60 HTTPClient only for HTTP clients";
    // A client that is not a PXE client at all (no option 60) is treated the same.
    Req plain;
    plain.arch = c.arch;
    EXPECT_EQ(choose(plain, nullptr).file, c.file);
  }
}

TEST_F(BootPolicy, HostRuleWinsOverTheDefault) {
  EXPECT_EQ(choose(pxe(7), &plain_).file, "custom/grubx64.efi");
  EXPECT_EQ(choose(pxe(9), &plain_).file, "custom/grubx64.efi");
  EXPECT_EQ(choose(pxe(0), &plain_).file, "pxelinux.0");
  EXPECT_EQ(choose(pxe(7), nullptr).file, "syslinux.efi");
  // A host rule is authoritative: an empty slot there means no boot file, not the default.
  plain_.boot.files[BootArch::arm64].clear();
  EXPECT_EQ(choose(pxe(11), &plain_).file, "");
}

TEST_F(BootPolicy, UefiHttpClientGetsAUrlAndVendorClass) {
  BootChoice b = choose(http(16), nullptr);
  EXPECT_EQ(b.file, kHttpUrl);
  EXPECT_TRUE(b.http);
  b = choose(http(std::nullopt), nullptr);  // HTTPClient without option 93: x64 HTTP boot
  EXPECT_EQ(b.file, kHttpUrl);
  EXPECT_TRUE(b.http);
  // HTTP boot of another architecture (15: x86 UEFI HTTP, 19: ARM64 UEFI HTTP) has no slot.
  for (uint16_t arch : {15, 19, 7}) {
    b = choose(http(arch), nullptr);
    EXPECT_EQ(b.file, "") << arch;
    EXPECT_FALSE(b.http) << arch;
  }
  // No uefi_http boot file configured: nothing, and no HTTPClient vendor class either.
  s_.boot.files[BootArch::uefi_http].clear();
  b = choose(http(16), nullptr);
  EXPECT_EQ(b.file, "");
  EXPECT_FALSE(b.http);
}

TEST_F(BootPolicy, IpxeChainBiosBothDirections) {
  BootChoice rom = choose(pxe(0), &ipxe_);  // the NIC's PXE ROM
  EXPECT_EQ(rom.file, "undionly.kpxe");
  EXPECT_EQ(choose(pxe(std::nullopt), &ipxe_).file, "undionly.kpxe");
  BootChoice chained = choose(as_ipxe(pxe(0)), &ipxe_);  // iPXE, loaded from it, asks again
  EXPECT_EQ(chained.file, kScript);
  EXPECT_FALSE(chained.http);
}

TEST_F(BootPolicy, IpxeChainUefiBothDirections) {
  EXPECT_EQ(choose(pxe(7), &ipxe_).file, "ipxe.efi");
  EXPECT_EQ(choose(pxe(9), &ipxe_).file, "ipxe.efi");
  EXPECT_EQ(choose(as_ipxe(pxe(7)), &ipxe_).file, kScript);
}

TEST_F(BootPolicy, IpxeIsRecognisedByUserClassOrOption175Alone) {
  Req by_user_class = pxe(0);
  by_user_class.user_class = "iPXE";
  EXPECT_EQ(choose(by_user_class, &ipxe_).file, kScript);
  Req rfc3004 = pxe(0);  // RFC 3004 form: a length byte before the class
  rfc3004.user_class = std::string("\x04iPXE", 5);
  EXPECT_EQ(choose(rfc3004, &ipxe_).file, kScript);
  Req by_option_175 = pxe(0);
  by_option_175.ipxe_encap = true;
  EXPECT_EQ(choose(by_option_175, &ipxe_).file, kScript);
  Req other_class = pxe(0);
  other_class.user_class = "iPXE2";
  EXPECT_EQ(choose(other_class, &ipxe_).file, "undionly.kpxe");
}

TEST_F(BootPolicy, IpxeOverUefiHttpBoot) {
  BootChoice b = choose(http(16), &ipxe_);
  EXPECT_EQ(b.file, kIpxeHttpUrl);
  EXPECT_TRUE(b.http);
  EXPECT_EQ(choose(as_ipxe(pxe(7)), &ipxe_).file, kScript);
}

TEST_F(BootPolicy, IpxeWithoutABinaryForTheArchitectureFallsBackToTheBootFile) {
  EXPECT_EQ(choose(pxe(11), &ipxe_).file, "grubaa64.efi");      // no ipxe_arm64
  EXPECT_EQ(choose(pxe(6), &ipxe_).file, "ia32/syslinux.efi");  // no ipxe_uefi_ia32
  EXPECT_EQ(choose(as_ipxe(pxe(11)), &ipxe_).file, kScript);    // iPXE itself: the script
  EXPECT_EQ(choose(as_ipxe(pxe(2)), &ipxe_).file, kScript);     // whatever the architecture
}

TEST_F(BootPolicy, HostsWithoutIpxeGetTheirBootFileWhateverFirmwareAsks) {
  // The e2e VM's iPXE ROM sends options 77 and 175 and must still get pxelinux.0.
  EXPECT_EQ(choose(as_ipxe(pxe(0)), &plain_).file, "pxelinux.0");
  EXPECT_EQ(choose(as_ipxe(pxe(7)), &plain_).file, "custom/grubx64.efi");
  EXPECT_EQ(choose(as_ipxe(pxe(0)), nullptr).file, "pxelinux.0");
}

TEST_F(BootPolicy, DefaultRuleMayChooseIpxeForUnknownMachines) {
  s_.boot.ipxe = true;
  s_.boot.ipxe_script = kDefaultScript;
  EXPECT_EQ(choose(pxe(0), nullptr).file, "undionly.kpxe");
  EXPECT_EQ(choose(as_ipxe(pxe(0)), nullptr).file, kDefaultScript);
  EXPECT_EQ(choose(as_ipxe(pxe(0)), &plain_).file, "pxelinux.0");  // a host rule says pxe
}

}  // namespace
}  // namespace bs::dhcp
