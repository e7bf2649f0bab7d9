// Internal to the config library: the loader that config.cpp (parsing each section) and
// config_checks.cpp (cross-checks: hosts, files, template placeholders) share.
#pragma once
#include <toml++/toml.h>
#include <filesystem>
#include <string>
#include <vector>

#include "config.hpp"

namespace bs::config::detail {

namespace fs = std::filesystem;
using proto::Ip4;
using proto::ip_str;

inline Ip4 mask_of(uint8_t prefix) {
  return prefix == 0 ? 0 : ~Ip4(0) << (32 - prefix);
}
inline bool in_subnet(Ip4 a, Ip4 net, uint8_t prefix) {
  return (a & mask_of(prefix)) == (net & mask_of(prefix));
}
inline std::string cidr_str(Ip4 net, uint8_t prefix) {
  return ip_str(net) + "/" + std::to_string(prefix);
}

inline std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// "a string", "an integer", ...: for "is <type> (expected ...)" messages.
const char* type_name(const toml::node& n);

struct HostSrc {
  toml::source_region table, mac, hostname, address, profile, vars;
};
struct ProfileSrc {
  toml::source_region table, name, kernel, initrd, append, kickstart;
};
// Where each boot file of a [boot] table or a boot_files table was set (for warnings).
struct BootSrc {
  snap::ByArch<std::optional<toml::source_region>> files;
};

class Loader {
 public:
  explicit Loader(std::string path) : file_(std::move(path)) {}

  LoadResult run();

 private:
  void error(const toml::source_region& r, std::string key, std::string msg) {
    errors_.push_back(
        {file_, int(r.begin.line), int(r.begin.column), std::move(key), std::move(msg)});
  }
  void warn(const toml::source_region& r, std::string key, std::string msg) {
    warnings_.push_back(
        {file_, int(r.begin.line), int(r.begin.column), std::move(key), std::move(msg)});
  }
  void check_keys(const toml::table& t, const std::string& prefix,
                  const std::vector<std::string>& valid);
  const toml::node* get(const toml::table& t, const std::string& prefix, const std::string& name,
                        bool required);
  std::optional<std::string> str(const toml::table& t, const std::string& prefix,
                                 const std::string& name, bool required, bool non_empty = true);
  std::optional<int64_t> integer(const toml::table& t, const std::string& prefix,
                                 const std::string& name, int64_t lo, int64_t hi);
  std::optional<Ip4> ip(const toml::table& t, const std::string& prefix, const std::string& name,
                        bool required);
  const toml::table* section(const toml::table& root, const std::string& name, bool required);
  const toml::array* table_array(const toml::table& t, const std::string& prefix,
                                 const std::string& name);
  std::string key(const std::string& prefix, const std::string& name) {
    return prefix.empty() ? name : prefix + "." + name;
  }
  fs::path resolve(const std::string& p) const {
    fs::path x(p);
    return (x.is_absolute() ? x : dir_ / x).lexically_normal();
  }

  void load_server(const toml::table& root);
  void load_dhcp(const toml::table& root);
  void load_tftp_boot(const toml::table& root);  // config_tftp.cpp: [tftp], then [boot]
  void load_multicast(const toml::table& root);  // config_tftp.cpp
  std::optional<uint32_t> duration(const toml::table& t, const std::string& prefix,
                                   const std::string& name);
  // config_boot.cpp: [boot], and boot / boot_files in a [[profile]] or [[host]].
  void load_boot(const toml::table& root);
  BootOverride load_boot_override(const toml::table& t, const std::string& prefix, BootSrc& src);
  bool boot_value(const toml::node& n, const std::string& key, snap::BootArch a, std::string& out);
  std::optional<BootMode> boot_mode(const toml::node& n, const std::string& key);
  void check_boot_hosts();
  void check_boot_files();
  void check_menu(const std::string& path, const std::string& key,
                  const std::vector<std::string>& known);
  void load_profiles(const toml::table& root);
  void load_hosts(const toml::table& root);
  void check_hosts();
  void check_files();
  void check_placeholders();
  void check_template(const std::string& tfile, int line0, int col0, std::string_view text,
                      const std::string& key, const Profile& p);

  std::string file_;
  fs::path dir_;
  Config cfg_;
  std::vector<ConfigError> errors_, warnings_;
  std::vector<HostSrc> host_src_;
  std::vector<ProfileSrc> profile_src_;
  std::vector<BootSrc> host_boot_src_, profile_boot_src_;
  BootSrc boot_src_, ipxe_src_;
  toml::source_region top_, root_src_;
  bool pools_ok_ = true;
};

}  // namespace bs::config::detail
