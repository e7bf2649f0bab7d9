// Cross-checks that need the whole file loaded: host reservations against pools and profiles,
// files under [tftp] root (warnings), and template placeholders (errors before any rendering).
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "config_loader.hpp"
#include "template_scan.hpp"

namespace bs::config {

const std::vector<std::string> kBuiltinPlaceholders = {
    "hostname", "address", "mac", "kickstart_url", "server", "netmask", "gateway"};

namespace detail {

void Loader::check_hosts() {
  std::map<uint64_t, size_t> by_mac;
  std::map<Ip4, size_t> by_addr;
  std::map<std::string, size_t> by_name;
  std::vector<std::string> nets;
  for (const Pool& p : cfg_.dhcp.pools) nets.push_back(cidr_str(p.subnet, p.prefix));
  std::vector<std::string> profiles;
  for (const Profile& p : cfg_.profiles) profiles.push_back(p.name);
  auto where = [&](size_t j) {
    return "host[" + std::to_string(j) + "] at line " +
           std::to_string(host_src_[j].table.begin.line);
  };
  for (size_t i = 0; i < cfg_.hosts.size(); ++i) {
    const Host& h = cfg_.hosts[i];
    const HostSrc& s = host_src_[i];
    std::string k = "host[" + std::to_string(i) + "]";
    if (!h.mac.is_zero()) {
      auto [it, fresh] = by_mac.emplace(h.mac.key(), i);
      if (!fresh)
        error(s.mac, k + ".mac",
              "duplicate reservation: " + h.mac.str() + " is already reserved by " +
                  where(it->second) + " (each MAC may have one [[host]])");
    }
    if (!h.hostname.empty()) {
      auto [it, fresh] = by_name.emplace(h.hostname, i);
      if (!fresh)
        error(s.hostname, k + ".hostname",
              "duplicate hostname '" + h.hostname + "' (already used by " + where(it->second) +
                  "; hostnames name kickstart URLs and must be unique)");
    }
    if (h.address != 0) {
      auto [it, fresh] = by_addr.emplace(h.address, i);
      if (!fresh)
        error(s.address, k + ".address",
              "duplicate reservation: " + ip_str(h.address) + " is already reserved by " +
                  where(it->second) + " (each address may be reserved once)");
      const Pool* p = cfg_.pool_for(h.address);
      if (pools_ok_ && !p) {
        error(s.address, k + ".address",
              ip_str(h.address) +
                  " is outside every [[dhcp.pool]] subnet (valid subnets: " + join(nets) + ")");
      } else if (p) {
        Ip4 m = mask_of(p->prefix);
        if (p->prefix < 31 && (h.address == (p->subnet & m) || h.address == (p->subnet | ~m)))
          error(s.address, k + ".address",
                ip_str(h.address) + " is the network or broadcast address of " +
                    cidr_str(p->subnet, p->prefix) + " (choose a host address)");
        else if (h.address == cfg_.server.address)
          error(s.address, k + ".address",
                ip_str(h.address) + " is the appliance's own address (server.address)");
        else if (h.address >= p->first && h.address <= p->last && p->first != 0)
          warn(s.address, k + ".address",
               ip_str(h.address) + " lies inside the dynamic range " + ip_str(p->first) + " - " +
                   ip_str(p->last) + "; it is reserved for this host only");
      }
    }
    if (!h.profile.empty() && !cfg_.find_profile(h.profile))
      error(s.profile, k + ".profile",
            "unknown profile '" + h.profile + "' (defined profiles: " +
                (profiles.empty() ? std::string("none; add a [[profile]]") : join(profiles)) + ")");
  }
}

void Loader::check_files() {
  std::error_code ec;
  if (cfg_.tftp.root.empty()) return;
  if (!fs::is_directory(cfg_.tftp.root, ec)) {
    warn(root_src_, "tftp.root",
         cfg_.tftp.root +
             " does not exist yet (kernels, initrds and boot files are served from it)");
    return;
  }
  auto check = [&](const std::string& rel, const std::string& k, const toml::source_region& r) {
    if (!rel.empty() && !fs::exists(fs::path(cfg_.tftp.root) / rel, ec))
      warn(r, k, rel + " is not (yet) under " + cfg_.tftp.root);
  };
  check_boot_files();
  for (size_t i = 0; i < cfg_.profiles.size(); ++i) {
    std::string k = "profile[" + std::to_string(i) + "]";
    check(cfg_.profiles[i].kernel, k + ".kernel", profile_src_[i].kernel);
    check(cfg_.profiles[i].initrd, k + ".initrd", profile_src_[i].initrd);
  }
}

// A variable tag needs a value for every host that renders the template, unless it sits inside
// a {{#section}} whose name the host does not define (then it is never rendered).
void Loader::check_template(const std::string& tfile, int line0, int col0, std::string_view text,
                            const std::string& key, const Profile& p) {
  TemplateScan scan = scan_template(text);
  auto pos = [&](int l, int c) { return std::pair{line0 + l - 1, l == 1 ? col0 + c - 1 : c}; };
  if (!scan.error.empty()) {
    auto [l, c] = pos(scan.error_line, scan.error_column);
    errors_.push_back({tfile, l, c, key, scan.error});
    return;
  }
  for (const TemplateTag& tag : scan.tags) {
    if (tag.kind != TemplateTag::variable) continue;
    std::vector<std::string> missing;
    std::vector<std::string> known;
    for (const Host& h : cfg_.hosts) {
      if (h.profile != p.name) continue;
      auto values = cfg_.placeholders(h);
      bool skipped = false;
      for (auto& [kind, name] : tag.enclosing)
        skipped = skipped || (kind == TemplateTag::section && !values.count(name));
      if (skipped || values.count(tag.name)) continue;
      missing.push_back(h.hostname);
      known.clear();
      for (auto& [n, v] : values) known.push_back(n);
    }
    if (missing.empty()) continue;
    auto [l, c] = pos(tag.line, tag.column);
    errors_.push_back({tfile, l, c, key,
                       "unknown placeholder {{ " + tag.name + " }} for host " + join(missing) +
                           " (known: " + join(known) + "; define it in the host's vars)"});
  }
}

// A menu template (pxelinux.cfg/default, ipxe/default.ipxe) knows a fixed set of placeholders.
void Loader::check_menu(const std::string& path, const std::string& key,
                        const std::vector<std::string>& known) {
  if (path.empty()) return;
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  TemplateScan scan = scan_template(ss.str());
  if (!scan.error.empty())
    errors_.push_back({path, scan.error_line, scan.error_column, key, scan.error});
  for (const TemplateTag& tag : scan.tags)
    if (tag.kind == TemplateTag::variable &&
        std::find(known.begin(), known.end(), tag.name) == known.end())
      errors_.push_back(
          {path, tag.line, tag.column, key,
           "unknown placeholder {{ " + tag.name + " }} (known: " + join(known) + ")"});
}

void Loader::check_placeholders() {
  check_menu(cfg_.default_menu, "default_menu",
             {"server", "profiles", "name", "kernel", "initrd", "append"});
  check_menu(cfg_.default_ipxe_menu, "default_ipxe_menu",
             {"server", "boot_url", "profiles", "name", "kernel", "initrd", "kernel_url",
              "initrd_url", "initrd_name", "append"});
  for (size_t i = 0; i < cfg_.profiles.size(); ++i) {
    const Profile& p = cfg_.profiles[i];
    std::string k = "profile[" + std::to_string(i) + "]";
    const toml::source_region& a = profile_src_[i].append;
    // The append string starts one column after its opening quote.
    check_template(file_, int(a.begin.line), int(a.begin.column) + 1, p.append, k + ".append", p);
    if (p.kickstart.empty()) continue;
    std::ifstream in(p.kickstart, std::ios::binary);
    if (!in) continue;  // reported by load_profiles
    std::stringstream ss;
    ss << in.rdbuf();
    check_template(p.kickstart, 1, 1, ss.str(), k + ".kickstart", p);
  }
}

}  // namespace detail

using namespace detail;

const Profile* Config::find_profile(const std::string& name) const {
  for (const Profile& p : profiles)
    if (p.name == name) return &p;
  return nullptr;
}

const Host* Config::find_host(const proto::Mac& mac) const {
  for (const Host& h : hosts)
    if (h.mac == mac) return &h;
  return nullptr;
}

const Pool* Config::pool_for(Ip4 address) const {
  for (const Pool& p : dhcp.pools)
    if (in_subnet(address, p.subnet, p.prefix)) return &p;
  return nullptr;
}

std::string Config::http_base() const {
  std::string url = "http://" + ip_str(server.address);
  if (server.http_port != 80) url += ":" + std::to_string(server.http_port);
  return url;
}

std::string Config::kickstart_url(const Host& h) const {
  return http_base() + "/ks/" + h.hostname + ".ks";
}

std::map<std::string, std::string> Config::placeholders(const Host& h) const {
  std::map<std::string, std::string> m = h.vars;
  m["hostname"] = h.hostname;
  m["address"] = ip_str(h.address);
  m["mac"] = h.mac.str();
  m["server"] = ip_str(server.address);
  const Profile* p = find_profile(h.profile);
  if (p && !p->kickstart.empty()) m["kickstart_url"] = kickstart_url(h);
  if (const Pool* pool = pool_for(h.address)) {
    m["netmask"] = ip_str(mask_of(pool->prefix));
    if (pool->router != 0) m["gateway"] = ip_str(pool->router);
  }
  return m;
}

}  // namespace bs::config
