// What machines boot: [boot] (a boot file per client architecture, the iPXE binaries, the
// default mode) and the per-profile / per-host choice (boot = "pxe" | "ipxe", boot_files = {...}),
// loaded and validated; and resolving one host's boot rule and its URLs.
#include <algorithm>

#include "../dataplane/proto/tftp_path.hpp"
#include "config_loader.hpp"

namespace bs::config {

using snap::BootArch;
using snap::kBootArchs;

namespace detail {
namespace {

bool is_url(std::string_view v) {
  return v.starts_with("http://") || v.starts_with("https://");
}

std::string arch_names() {
  std::vector<std::string> v;
  for (BootArch a : kBootArchs) v.emplace_back(snap::boot_arch_name(a));
  return join(v);
}

std::string ipxe_key(BootArch a) {
  return "ipxe_" + std::string(snap::boot_arch_name(a));
}

// The 'file' field of a DHCP reply holds 127 bytes (PXE ROMs read it rather than option 67).
constexpr size_t kMaxBootPath = 127;

}  // namespace

bool Loader::boot_value(const toml::node& n, const std::string& k, BootArch a, std::string& out) {
  const std::string expected =
      a == BootArch::uefi_http
          ? "a path under [tftp] root, served over HTTP, or an http:// URL; \"\" for none"
          : "a path under [tftp] root, e.g. \"pxelinux.0\"; \"\" for none";
  if (!n.is_string()) {
    error(n.source(), k, std::string("is ") + type_name(n) + " (expected " + expected + ")");
    return false;
  }
  const std::string v = n.as_string()->get();
  if (is_url(v)) {
    if (a != BootArch::uefi_http) {
      error(n.source(), k,
            "'" + v + "' is a URL, which only uefi_http takes (the other architectures load " +
                "their boot file over TFTP: give a path under [tftp] root)");
      return false;
    }
    if (std::any_of(v.begin(), v.end(), [](char c) { return uint8_t(c) <= ' ' || c == 0x7f; })) {
      error(n.source(), k, "'" + v + "' holds blanks or control characters (expected a URL)");
      return false;
    }
    out = v;
    return true;
  }
  if (v.find("://") != std::string::npos) {
    error(n.source(), k, "'" + v + "' is a URL of another kind (expected " + expected + ")");
    return false;
  }
  proto::TftpPath p;
  proto::PathError e = v.empty() ? proto::PathError::none : proto::sanitize_tftp_path(v, p);
  if (e != proto::PathError::none) {
    error(n.source(), k,
          "'" + v + "': " + proto::path_error_text(e) + " (expected " + expected + ")");
    return false;
  }
  if (v.size() > kMaxBootPath) {
    error(n.source(), k,
          "is " + std::to_string(v.size()) + " bytes long (a DHCP reply's boot file holds at " +
              "most " + std::to_string(kMaxBootPath) + ")");
    return false;
  }
  out = v;
  return true;
}

std::optional<BootMode> Loader::boot_mode(const toml::node& n, const std::string& k) {
  const std::string valid =
      "valid: \"pxe\" (the boot files by architecture) or \"ipxe\" (chain "
      "to iPXE, then an HTTP iPXE script)";
  if (!n.is_string()) {
    error(n.source(), k, std::string("is ") + type_name(n) + " (" + valid + ")");
    return std::nullopt;
  }
  const std::string v = n.as_string()->get();
  if (v == "pxe") return BootMode::pxe;
  if (v == "ipxe") return BootMode::ipxe;
  error(n.source(), k, "'" + v + "' is not a boot mode (" + valid + ")");
  return std::nullopt;
}

void Loader::load_boot(const toml::table& root) {
  Boot& b = cfg_.boot;
  bool ipxe_http_set = false;
  if (const toml::table* t = section(root, "boot", false)) {
    std::vector<std::string> keys = {"mode"};
    for (BootArch a : kBootArchs) keys.emplace_back(snap::boot_arch_name(a));
    for (BootArch a : kBootArchs) keys.push_back(ipxe_key(a));
    check_keys(*t, "boot", keys);
    for (BootArch a : kBootArchs) boot_src_.files[a] = ipxe_src_.files[a] = t->source();
    if (const toml::node* n = t->get("mode"))
      if (auto m = boot_mode(*n, "boot.mode")) b.mode = *m;
    for (BootArch a : kBootArchs) {
      const std::string name(snap::boot_arch_name(a));
      if (const toml::node* n = t->get(name); n && boot_value(*n, "boot." + name, a, b.files[a]))
        boot_src_.files[a] = n->source();
      if (const toml::node* n = t->get(ipxe_key(a));
          n && boot_value(*n, "boot." + ipxe_key(a), a, b.ipxe[a])) {
        ipxe_src_.files[a] = n->source();
        ipxe_http_set = ipxe_http_set || a == BootArch::uefi_http;
      }
    }
  }
  if (!ipxe_http_set) {
    b.ipxe[BootArch::uefi_http] = b.ipxe[BootArch::uefi_x64];
    ipxe_src_.files[BootArch::uefi_http] = ipxe_src_.files[BootArch::uefi_x64];
  }
}

BootOverride Loader::load_boot_override(const toml::table& t, const std::string& prefix,
                                        BootSrc& src) {
  BootOverride o;
  if (const toml::node* n = t.get("boot")) o.mode = boot_mode(*n, prefix + ".boot");
  const toml::node* n = t.get("boot_files");
  if (!n) return o;
  if (!n->is_table()) {
    error(n->source(), prefix + ".boot_files",
          std::string("is ") + type_name(*n) +
              " (expected a table of boot files by architecture, e.g. boot_files = { uefi_x64 = "
              "\"grubx64.efi\" }; architectures: " +
              arch_names() + ")");
    return o;
  }
  for (auto&& [ak, av] : *n->as_table()) {
    const std::string k = prefix + ".boot_files." + std::string(ak.str());
    auto a = snap::boot_arch_named(ak.str());
    if (!a) {
      error(ak.source(), k, "unknown architecture (valid: " + arch_names() + ")");
      continue;
    }
    std::string v;
    if (boot_value(av, k, *a, v)) {
      o.files[*a] = v;
      src.files[*a] = av.source();
    }
  }
  return o;
}

// A host that boots iPXE is served ipxe/<hostname>.ipxe; ipxe/default.ipxe is the script of
// machines without a reservation.
void Loader::check_boot_hosts() {
  for (size_t i = 0; i < cfg_.hosts.size(); ++i) {
    const Host& h = cfg_.hosts[i];
    if (h.hostname == "default" && cfg_.boot_for(&h).mode == BootMode::ipxe)
      error(host_src_[i].hostname, "host[" + std::to_string(i) + "].hostname",
            "'default' cannot boot iPXE: ipxe/default.ipxe is the script of machines without a "
            "reservation (choose another hostname)");
  }
}

// Boot files that are not under [tftp] root (yet) are warnings, like kernels and initrds.
void Loader::check_boot_files() {
  std::error_code ec;
  auto check = [&](const std::string& rel, const std::string& k,
                   const std::optional<toml::source_region>& r) {
    if (rel.empty() || is_url(rel)) return;
    proto::TftpPath p;
    if (proto::sanitize_tftp_path(rel, p) != proto::PathError::none) return;  // an error already
    if (!fs::exists(fs::path(cfg_.tftp.root) / std::string(p.view()), ec))
      warn(r.value_or(top_), k, rel + " is not (yet) under " + cfg_.tftp.root);
  };
  for (BootArch a : kBootArchs) {
    const std::string name(snap::boot_arch_name(a));
    check(cfg_.boot.files[a], "boot." + name, boot_src_.files[a]);
  }
  if (cfg_.uses_ipxe())
    for (BootArch a : kBootArchs)
      if (a != BootArch::uefi_http || cfg_.boot.ipxe[a] != cfg_.boot.ipxe[BootArch::uefi_x64])
        check(cfg_.boot.ipxe[a], "boot." + ipxe_key(a), ipxe_src_.files[a]);
  auto overrides = [&](const BootOverride& o, const BootSrc& s, const std::string& k) {
    for (BootArch a : kBootArchs)
      if (o.files[a])
        check(*o.files[a], k + ".boot_files." + std::string(snap::boot_arch_name(a)), s.files[a]);
  };
  for (size_t i = 0; i < cfg_.profiles.size(); ++i)
    overrides(cfg_.profiles[i].boot, profile_boot_src_[i], "profile[" + std::to_string(i) + "]");
  for (size_t i = 0; i < cfg_.hosts.size(); ++i)
    overrides(cfg_.hosts[i].boot, host_boot_src_[i], "host[" + std::to_string(i) + "]");
}

}  // namespace detail

namespace {

// RFC 3986 path: unreserved characters and '/' as they are, everything else %XX.
std::string percent_encode_path(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || c == '/') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace

std::string Config::boot_url(const std::string& path) const {
  if (detail::is_url(path)) return path;
  proto::TftpPath p;
  std::string_view rel = path;
  if (proto::sanitize_tftp_path(path, p) == proto::PathError::none) rel = p.view();
  return http_base() + "/boot/" + percent_encode_path(rel);
}

std::string Config::ipxe_script_url(const Host* h) const {
  return http_base() + "/ipxe/" + (h ? h->hostname : std::string("default")) + ".ipxe";
}

ResolvedBoot Config::boot_for(const Host* h) const {
  ResolvedBoot r{boot.files, boot.mode};
  auto apply = [&r](const BootOverride& o) {
    for (BootArch a : kBootArchs)
      if (o.files[a]) r.files[a] = *o.files[a];
    if (o.mode) r.mode = *o.mode;
  };
  if (h) {
    if (const Profile* p = find_profile(h->profile)) apply(p->boot);
    apply(h->boot);
  }
  return r;
}

bool Config::uses_ipxe() const {
  if (boot.mode == BootMode::ipxe) return true;
  for (const Profile& p : profiles)
    if (p.boot.mode == BootMode::ipxe) return true;
  for (const Host& h : hosts)
    if (h.boot.mode == BootMode::ipxe) return true;
  return false;
}

}  // namespace bs::config
