// The PXE boot-file policy: which boot file (or URL) a client gets, from its architecture
// (option 93), its vendor class (UEFI HTTP boot), whether it is iPXE already (option 77 / 175)
// and the boot rule of its host. Pure, no allocation: the result views the snapshot.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "../proto/dhcp.hpp"
#include "../snapshot/snapshot.hpp"

namespace bs::dhcp {

// Option 93 client architectures (RFC 4578, IANA "Processor Architecture Types").
inline constexpr uint16_t kArchBios = 0;
inline constexpr uint16_t kArchUefiIa32 = 6;
inline constexpr uint16_t kArchUefiX64 = 7;
inline constexpr uint16_t kArchUefiX64Alt = 9;  // EFI BC (the same firmware family in practice)
inline constexpr uint16_t kArchArm64 = 11;
inline constexpr uint16_t kArchUefiX64Http = 16;

// The snapshot slot for an option 93 value: none (no option 93) and 0 → bios, 6 → uefi_ia32,
// 7 and 9 → uefi_x64, 11 → arm64, 16 → uefi_http; nullopt for every other architecture.
std::optional<snap::BootArch> boot_arch(std::optional<uint16_t> option93);

struct BootChoice {
  std::string_view file;  // 'file' and option 67; empty = no boot file
  bool http = false;      // UEFI HTTP boot: the reply carries option 60 "HTTPClient"
};

// host: the client's reservation, nullptr for machines without one (snapshot's default rule).
//  - A client whose rule chooses iPXE and that is iPXE already gets the rule's script URL,
//    whatever its architecture (so chainloading never loops).
//  - A UEFI HTTP client (vendor class "HTTPClient") uses the uefi_http slot when it sends arch
//    16 or no option 93, else none (no other HTTP architecture has a slot).
//  - A client whose rule chooses iPXE and that is not iPXE yet gets the iPXE binary for its
//    slot; when none is configured for that slot, the rule's boot file instead.
//  - Everyone else gets the rule's boot file for its slot.
BootChoice choose_boot(const snap::Snapshot& s, const snap::Host* host,
                       const proto::DhcpMessage& m);

}  // namespace bs::dhcp
