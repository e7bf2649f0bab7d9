#include "boot_policy.hpp"

namespace bs::dhcp {

using snap::BootArch;

std::optional<BootArch> boot_arch(std::optional<uint16_t> option93) {
  switch (option93.value_or(kArchBios)) {
    case kArchBios:
      return BootArch::bios;
    case kArchUefiIa32:
      return BootArch::uefi_ia32;
    case kArchUefiX64:
    case kArchUefiX64Alt:
      return BootArch::uefi_x64;
    case kArchArm64:
      return BootArch::arm64;
    case kArchUefiX64Http:
      return BootArch::uefi_http;
    default:
      return std::nullopt;
  }
}

BootChoice choose_boot(const snap::Snapshot& s, const snap::Host* host,
                       const proto::DhcpMessage& m) {
  const snap::BootRule& rule = host ? host->boot : s.boot;
  const bool ipxe_client = m.is_ipxe();
  if (rule.ipxe && ipxe_client) return {rule.ipxe_script, false};

  const bool http = m.is_http_client();
  std::optional<BootArch> slot;
  if (http)
    slot =
        !m.arch || *m.arch == kArchUefiX64Http ? std::optional(BootArch::uefi_http) : std::nullopt;
  else
    slot = boot_arch(m.arch);
  if (!slot) return {};

  std::string_view file = rule.files[*slot];
  if (rule.ipxe && !s.ipxe_files[*slot].empty()) file = s.ipxe_files[*slot];
  return {file, http && !file.empty()};
}

}  // namespace bs::dhcp
