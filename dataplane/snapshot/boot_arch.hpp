// The boot-loader slots of a snapshot, one per client architecture family that bootstorm serves
// (DHCP option 93; the mapping from option 93 values is dhcp/boot_policy.hpp). The slot names
// are both the TOML keys of [boot] and the JSON keys of the snapshot. Header-only: the config
// loader uses it too.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bs::snap {

enum class BootArch : uint8_t {
  bios,       // option 93 arch 0 (and clients without option 93)
  uefi_ia32,  // arch 6
  uefi_x64,   // arch 7 and 9
  arm64,      // arch 11
  uefi_http,  // arch 16, UEFI x64 HTTP boot (vendor class "HTTPClient"): an http:// URL
};
inline constexpr size_t kBootArchCount = 5;

inline constexpr std::array<std::string_view, kBootArchCount> kBootArchNames = {
    "bios", "uefi_ia32", "uefi_x64", "arm64", "uefi_http"};

inline constexpr std::array<BootArch, kBootArchCount> kBootArchs = {
    BootArch::bios, BootArch::uefi_ia32, BootArch::uefi_x64, BootArch::arm64, BootArch::uefi_http};

inline std::string_view boot_arch_name(BootArch a) {
  return kBootArchNames[size_t(a)];
}

inline std::optional<BootArch> boot_arch_named(std::string_view name) {
  for (size_t i = 0; i < kBootArchCount; ++i)
    if (kBootArchNames[i] == name) return BootArch(i);
  return std::nullopt;
}

// One value per architecture slot.
template <class T>
struct ByArch {
  std::array<T, kBootArchCount> v{};
  T& operator[](BootArch a) { return v[size_t(a)]; }
  const T& operator[](BootArch a) const { return v[size_t(a)]; }
  bool operator==(const ByArch&) const = default;
};

// A boot file per architecture; empty = none for that architecture.
using BootFiles = ByArch<std::string>;

}  // namespace bs::snap
