// The site TOML: parse with toml++, then validate everything and collect every error with its
// file:line:col, the dotted key, what is wrong and what would be valid.
#include "config.hpp"

#include <toml++/toml.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config_loader.hpp"

namespace bs::config {

using namespace detail;

std::string ConfigError::str() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
  s += ": ";
  if (!key.empty()) s += key + ": ";
  return s + message;
}

namespace detail {
namespace {

std::optional<std::pair<Ip4, uint8_t>> parse_cidr(std::string_view s) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = proto::parse_ip(s.substr(0, slash));
  std::string_view p = s.substr(slash + 1);
  if (!ip || p.empty() || p.size() > 2) return std::nullopt;
  int prefix = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return std::nullopt;
    prefix = prefix * 10 + (c - '0');
  }
  if (prefix > 32) return std::nullopt;
  return std::pair{*ip, uint8_t(prefix)};
}

// "1h", "30m", "90s", "2d" or plain seconds.
std::optional<uint32_t> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t unit = 1;
  switch (s.back()) {
    case 's':
      unit = 1, s.remove_suffix(1);
      break;
    case 'm':
      unit = 60, s.remove_suffix(1);
      break;
    case 'h':
      unit = 3600, s.remove_suffix(1);
      break;
    case 'd':
      unit = 86400, s.remove_suffix(1);
      break;
    default:
      break;
  }
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + uint64_t(c - '0');
  }
  n *= unit;
  if (n == 0 || n >= 0xffffffffull) return std::nullopt;
  return uint32_t(n);
}

// 1800 -> "30m", 3600 -> "1h", 90 -> "90s": the largest unit that divides it.
std::string duration_str(uint32_t s) {
  if (s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

bool valid_hostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  char prev = '.';
  for (char c : s) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if (alnum || (c == '-' && label > 0)) {
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-' || c == '.'))
      return false;
  return true;
}

}  // namespace

const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date/time";
  }
}

void Loader::check_keys(const toml::table& t, const std::string& prefix,
                        const std::vector<std::string>& valid) {
  for (auto&& [k, v] : t) {
    if (std::find(valid.begin(), valid.end(), std::string(k.str())) == valid.end())
      error(k.source(), key(prefix, std::string(k.str())),
            "unknown key (valid keys" + std::string(prefix.empty() ? "" : " in " + prefix) + ": " +
                join(valid) + ")");
  }
}

const toml::node* Loader::get(const toml::table& t, const std::string& prefix,
                              const std::string& name, bool required) {
  const toml::node* n = t.get(name);
  if (!n && required) error(t.source(), key(prefix, name), "missing (this key is required)");
  return n;
}

std::optional<std::string> Loader::str(const toml::table& t, const std::string& prefix,
                                       const std::string& name, bool required, bool non_empty) {
  const toml::node* n = get(t, prefix, name, required);
  if (!n) return std::nullopt;
  if (!n->is_string()) {
    error(n->source(), key(prefix, name),
          std::string("is ") + type_name(*n) + " (expected a string)");
    return std::nullopt;
  }
  std::string s = n->as_string()->get();
  if (non_empty && s.empty()) {
    error(n->source(), key(prefix, name), "is empty (expected a non-empty string)");
    return std::nullopt;
  }
  return s;
}

std::optional<int64_t> Loader::integer(const toml::table& t, const std::string& prefix,
                                       const std::string& name, int64_t lo, int64_t hi) {
  const toml::node* n = get(t, prefix, name, false);
  if (!n) return std::nullopt;
  std::string range = std::to_string(lo) + ".." + std::to_string(hi);
  if (!n->is_integer()) {
    error(n->source(), key(prefix, name),
          std::string("is ") + type_name(*n) + " (expected an integer " + range + ")");
    return std::nullopt;
  }
  int64_t v = n->as_integer()->get();
  if (v < lo || v > hi) {
    error(n->source(), key(prefix, name),
          std::to_string(v) + " is out of range (valid: " + range + ")");
    return std::nullopt;
  }
  return v;
}

std::optional<Ip4> Loader::ip(const toml::table& t, const std::string& prefix,
                              const std::string& name, bool required) {
  auto s = str(t, prefix, name, required);
  if (!s) return std::nullopt;
  auto a = proto::parse_ip(*s);
  if (!a)
    error(t.get(name)->source(), key(prefix, name),
          "'" + *s + "' is not an IPv4 address (expected dotted quad, e.g. 10.77.0.1)");
  return a;
}

const toml::table* Loader::section(const toml::table& root, const std::string& name,
                                   bool required) {
  const toml::node* n = get(root, "", name, false);
  if (!n) {
    if (required) error(top_, name, "missing section (add a [" + name + "] table)");
    return nullptr;
  }
  if (!n->is_table()) {
    error(n->source(), name,
          std::string("is ") + type_name(*n) + " (expected a [" + name + "] table)");
    return nullptr;
  }
  return n->as_table();
}

const toml::array* Loader::table_array(const toml::table& t, const std::string& prefix,
                                       const std::string& name) {
  const toml::node* n = t.get(name);
  if (!n) return nullptr;
  const toml::array* a = n->as_array();
  bool ok = a != nullptr;
  if (a)
    for (auto& e : *a) ok = ok && e.is_table();
  if (!ok) {
    error(n->source(), key(prefix, name),
          "must be an array of tables (write each entry as [[" + key(prefix, name) + "]])");
    return nullptr;
  }
  return a;
}

void Loader::load_server(const toml::table& root) {
  const toml::table* t = section(root, "server", true);
  if (!t) return;
  Server& s = cfg_.server;
  check_keys(*t, "server",
             {"address", "port", "exception", "hugepages", "state_dir", "http_port", "lcores",
              "file_prefix"});
  if (auto a = str(*t, "server", "address", true)) {
    if (auto c = parse_cidr(*a); c && c->first != 0) {
      s.address = c->first, s.prefix = c->second;
    } else {
      error(t->get("address")->source(), "server.address",
            "'" + *a + "' is not an address with prefix length (expected e.g. 10.77.0.1/24)");
    }
  }
  if (auto v = str(*t, "server", "port", true)) s.port = *v;
  if (auto v = str(*t, "server", "exception", false)) {
    if (v->size() > 15)
      error(t->get("exception")->source(), "server.exception",
            "'" + *v + "' is longer than a Linux interface name may be (15 characters)");
    s.exception = *v;
  }
  if (const toml::node* n = get(*t, "server", "hugepages", false)) {
    if (n->is_boolean())
      s.hugepages = n->as_boolean()->get();
    else
      error(n->source(), "server.hugepages",
            std::string("is ") + type_name(*n) + " (expected true or false)");
  }
  if (auto v = str(*t, "server", "state_dir", false)) s.state_dir = *v;
  if (auto v = integer(*t, "server", "http_port", 1, 65535)) s.http_port = uint16_t(*v);
  if (auto v = str(*t, "server", "lcores", false)) s.lcores = *v;
  if (auto v = str(*t, "server", "file_prefix", false)) s.file_prefix = *v;
}

std::optional<uint32_t> Loader::duration(const toml::table& t, const std::string& prefix,
                                         const std::string& name) {
  const toml::node* n = t.get(name);
  if (!n) return std::nullopt;
  std::optional<uint32_t> d;
  if (n->is_string()) d = parse_duration(n->as_string()->get());
  if (n->is_integer() && n->as_integer()->get() > 0 && n->as_integer()->get() < 0xffffffffll)
    d = uint32_t(n->as_integer()->get());
  if (!d)
    error(n->source(), key(prefix, name),
          "is not a duration (valid: \"30m\", \"1h\", \"90s\", \"2d\" or seconds as an integer)");
  return d;
}

void Loader::load_dhcp(const toml::table& root) {
  const toml::table* t = section(root, "dhcp", true);
  if (!t) return pools_ok_ = false, void();
  check_keys(*t, "dhcp",
             {"lease_time", "renew_time", "rebind_time", "pool", "mode", "authoritative",
              "rate_limit_per_mac", "rate_limit", "probe"});
  if (auto m = str(*t, "dhcp", "mode", false)) {
    if (*m == "proxy" || *m == "server")
      cfg_.dhcp.proxy = *m == "proxy";
    else
      error(t->get("mode")->source(), "dhcp.mode",
            "'" + *m + "' is not a mode (valid: \"server\", the default, hands out addresses; " +
                "\"proxy\" answers PXE clients with boot information only, beside another DHCP " +
                "server)");
  }
  for (auto [name, flag] : {std::pair{"authoritative", &cfg_.dhcp.authoritative},
                            std::pair{"probe", &cfg_.dhcp.probe}}) {
    if (const toml::node* n = t->get(name)) {
      if (n->is_boolean())
        *flag = n->as_boolean()->get();
      else
        error(n->source(), std::string("dhcp.") + name,
              std::string("is ") + type_name(*n) + " (expected true or false)");
    }
  }
  if (auto v = integer(*t, "dhcp", "rate_limit_per_mac", 0, 1000000))
    cfg_.dhcp.mac_rate = uint32_t(*v);
  if (auto v = integer(*t, "dhcp", "rate_limit", 0, 100000000)) cfg_.dhcp.rate = uint32_t(*v);
  bool lease_ok = true;
  if (t->get("lease_time")) {
    auto d = duration(*t, "dhcp", "lease_time");
    if (d) cfg_.dhcp.lease_seconds = *d;
    lease_ok = d.has_value();
  }
  auto renew = duration(*t, "dhcp", "renew_time");
  auto rebind = duration(*t, "dhcp", "rebind_time");
  if (renew) cfg_.dhcp.renew = *renew;
  if (rebind) cfg_.dhcp.rebind = *rebind;
  if (lease_ok && (renew || rebind)) {
    const Dhcp& d = cfg_.dhcp;
    const uint32_t t1 = d.renew_seconds(), t2 = d.rebind_seconds(), lease = d.lease_seconds;
    const std::string rule =
        " (need renew_time < rebind_time < lease_time; by default they are 1/2 and 7/8 of "
        "lease_time)";
    if (rebind && t2 >= lease)
      error(t->get("rebind_time")->source(), "dhcp.rebind_time",
            duration_str(t2) + " is not below lease_time " + duration_str(lease) + rule);
    else if (renew && t1 >= lease)
      error(t->get("renew_time")->source(), "dhcp.renew_time",
            duration_str(t1) + " is not below lease_time " + duration_str(lease) + rule);
    else if (t1 >= t2 && renew)
      error(t->get("renew_time")->source(), "dhcp.renew_time",
            duration_str(t1) + " is not below rebind_time " + duration_str(t2) +
                (rebind ? "" : " (the default, 7/8 of lease_time)") + rule);
    else if (t1 >= t2)
      error(t->get("rebind_time")->source(), "dhcp.rebind_time",
            duration_str(t2) + " is not above renew_time " + duration_str(t1) +
                " (the default, half of lease_time)" + rule);
  }
  const toml::array* pools = table_array(*t, "dhcp", "pool");
  if (!pools && !t->get("pool") && cfg_.dhcp.proxy) return;  // proxy: addresses are not ours
  if (!pools || pools->empty()) {
    if (!pools && !t->get("pool"))
      error(t->source(), "dhcp.pool",
            "missing (add at least one [[dhcp.pool]] with subnet and range)");
    pools_ok_ = false;
    return;
  }
  for (size_t i = 0; i < pools->size(); ++i) {
    const toml::table& pt = *(*pools)[i].as_table();
    std::string k = "dhcp.pool[" + std::to_string(i) + "]";
    check_keys(pt, k, {"subnet", "range", "router", "dns", "domain", "broadcast", "exclude"});
    Pool p;
    bool ok = true;
    if (auto s = str(pt, k, "subnet", true)) {
      auto c = parse_cidr(*s);
      if (!c) {
        error(pt.get("subnet")->source(), k + ".subnet",
              "'" + *s + "' is not a subnet (expected network/prefix, e.g. 10.77.0.0/24)");
        ok = false;
      } else if ((c->first & ~mask_of(c->second)) != 0) {
        error(pt.get("subnet")->source(), k + ".subnet",
              "'" + *s + "' has host bits set (did you mean " +
                  cidr_str(c->first & mask_of(c->second), c->second) + "?)");
        ok = false;
      } else {
        p.subnet = c->first, p.prefix = c->second;
      }
    } else {
      ok = false;
    }
    std::string net = ok ? cidr_str(p.subnet, p.prefix) : "";
    if (const toml::node* r = get(pt, k, "range", true)) {
      const toml::array* a = r->as_array();
      std::optional<Ip4> first, last;
      if (a && a->size() == 2 && (*a)[0].is_string() && (*a)[1].is_string()) {
        first = proto::parse_ip((*a)[0].as_string()->get());
        last = proto::parse_ip((*a)[1].as_string()->get());
      }
      if (!first || !last) {
        error(r->source(), k + ".range",
              "expected two addresses [\"first\", \"last\"], e.g. [\"10.77.0.100\", "
              "\"10.77.0.200\"]");
      } else if (*first > *last) {
        error(r->source(), k + ".range",
              "first address " + ip_str(*first) + " is after last " + ip_str(*last) +
                  " (write the lower address first)");
      } else if (ok && (!in_subnet(*first, p.subnet, p.prefix) ||
                        !in_subnet(*last, p.subnet, p.prefix))) {
        error(r->source(), k + ".range",
              ip_str(*first) + " - " + ip_str(*last) + " is not inside subnet " + net +
                  " (both ends must be in the subnet)");
      } else {
        p.first = *first, p.last = *last;
      }
    }
    if (auto r = ip(pt, k, "router", false)) {
      if (ok && !in_subnet(*r, p.subnet, p.prefix))
        error(pt.get("router")->source(), k + ".router",
              ip_str(*r) + " is not inside subnet " + net + " (a router must be on the subnet)");
      p.router = *r;
    }
    if (const toml::node* d = pt.get("dns")) {
      const toml::array* a = d->as_array();
      bool good = a != nullptr;
      if (a)
        for (auto& e : *a) {
          auto x = e.is_string() ? proto::parse_ip(e.as_string()->get()) : std::nullopt;
          good = good && x.has_value();
          if (x) p.dns.push_back(*x);
        }
      if (!good)
        error(d->source(), k + ".dns", "expected a list of IPv4 addresses, e.g. [\"10.77.0.1\"]");
    }
    if (auto v = str(pt, k, "domain", false)) p.domain = *v;
    if (auto b = ip(pt, k, "broadcast", false)) {
      if (ok && !in_subnet(*b, p.subnet, p.prefix))
        error(pt.get("broadcast")->source(), k + ".broadcast",
              ip_str(*b) + " is not inside subnet " + net + " (its broadcast address is " +
                  ip_str(p.subnet | ~mask_of(p.prefix)) + ", the default)");
      p.broadcast = *b;
    }
    if (const toml::node* x = pt.get("exclude")) {
      // ["10.77.0.150", "10.77.0.160-10.77.0.170"]: addresses or ranges inside the range
      const toml::array* a = x->as_array();
      bool good = a != nullptr;
      if (a)
        for (auto& e : *a) {
          std::optional<Ip4> lo, hi;
          if (auto v = e.value<std::string>()) {
            auto dash = v->find('-');
            lo = proto::parse_ip(v->substr(0, dash));
            hi = dash == std::string::npos ? lo : proto::parse_ip(v->substr(dash + 1));
          }
          if (!lo || !hi || *lo > *hi) {
            good = false;
            continue;
          }
          p.exclude.emplace_back(*lo, *hi);
        }
      if (!good)
        error(x->source(), k + ".exclude",
              "expected a list of addresses or ranges, e.g. [\"10.77.0.150\", "
              "\"10.77.0.160-10.77.0.170\"] (lower address first)");
    }
    if (!ok) pools_ok_ = false;
    cfg_.dhcp.pools.push_back(p);
  }
}

void Loader::load_profiles(const toml::table& root) {
  const toml::array* a = table_array(root, "", "profile");
  if (!a) return;
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < a->size(); ++i) {
    const toml::table& t = *(*a)[i].as_table();
    std::string k = "profile[" + std::to_string(i) + "]";
    check_keys(t, k, {"name", "kernel", "initrd", "append", "kickstart", "boot", "boot_files"});
    Profile p;
    ProfileSrc src{t.source(), t.source(), t.source(), t.source(), t.source(), t.source()};
    if (auto v = str(t, k, "name", true)) {
      src.name = t.get("name")->source();
      if (!valid_name(*v))
        error(src.name, k + ".name",
              "'" + *v + "' is not a valid name (letters, digits, '_', '-', '.')");
      else if (seen.count(*v))
        error(src.name, k + ".name",
              "duplicate profile '" + *v + "' (already defined by profile[" +
                  std::to_string(seen[*v]) + "]; names must be unique)");
      seen.emplace(*v, i);
      p.name = *v;
    }
    if (auto v = str(t, k, "kernel", true)) p.kernel = *v, src.kernel = t.get("kernel")->source();
    if (auto v = str(t, k, "initrd", true)) p.initrd = *v, src.initrd = t.get("initrd")->source();
    if (auto v = str(t, k, "append", false, false))
      p.append = *v, src.append = t.get("append")->source();
    if (auto v = str(t, k, "kickstart", false)) {
      src.kickstart = t.get("kickstart")->source();
      fs::path full = resolve(*v);
      std::error_code ec;
      if (!fs::is_regular_file(full, ec))
        error(src.kickstart, k + ".kickstart",
              "template file '" + *v + "' not found (looked for " + full.string() +
                  "; relative paths are relative to the config file's directory)");
      p.kickstart = full.string();
    }
    profile_boot_src_.emplace_back();
    p.boot = load_boot_override(t, k, profile_boot_src_.back());
    cfg_.profiles.push_back(p);
    profile_src_.push_back(src);
  }
}

void Loader::load_hosts(const toml::table& root) {
  const toml::array* a = table_array(root, "", "host");
  if (!a) return;
  for (size_t i = 0; i < a->size(); ++i) {
    const toml::table& t = *(*a)[i].as_table();
    std::string k = "host[" + std::to_string(i) + "]";
    check_keys(t, k, {"mac", "hostname", "address", "profile", "vars", "boot", "boot_files"});
    Host h;
    HostSrc src{t.source(), t.source(), t.source(), t.source(), t.source(), t.source()};
    auto at = [&](const char* name) { return t.get(name)->source(); };
    if (auto v = str(t, k, "mac", true)) {
      src.mac = at("mac");
      if (auto m = proto::Mac::parse(*v);
          m && !m->is_zero() && !m->is_broadcast() && !(m->b[0] & 1))
        h.mac = *m;
      else
        error(
            src.mac, k + ".mac",
            "'" + *v +
                "' is not a unicast MAC address (expected six hex pairs, e.g. 52:54:00:12:34:56)");
    }
    if (auto v = str(t, k, "hostname", true)) {
      src.hostname = at("hostname");
      if (!valid_hostname(*v))
        error(src.hostname, k + ".hostname",
              "'" + *v +
                  "' is not a valid hostname (letters, digits and '-', labels separated by '.')");
      h.hostname = *v;
    }
    if (auto v = ip(t, k, "address", true)) h.address = *v, src.address = at("address");
    if (auto v = str(t, k, "profile", true)) h.profile = *v, src.profile = at("profile");
    if (const toml::node* n = t.get("vars")) {
      src.vars = n->source();
      if (!n->is_table()) {
        error(n->source(), k + ".vars",
              std::string("is ") + type_name(*n) +
                  " (expected a table, e.g. vars = { disk = \"sda\" })");
      } else {
        for (auto&& [vk, vv] : *n->as_table()) {
          std::string name(vk.str()), kk = k + ".vars." + name;
          if (!valid_name(name))
            error(vk.source(), kk, "is not a placeholder name (letters, digits, '_', '-', '.')");
          else if (std::find(kBuiltinPlaceholders.begin(), kBuiltinPlaceholders.end(), name) !=
                   kBuiltinPlaceholders.end())
            error(vk.source(), kk,
                  "shadows a built-in placeholder (built-ins: " + join(kBuiltinPlaceholders) + ")");
          else if (vv.is_string())
            h.vars[name] = vv.as_string()->get();
          else if (vv.is_integer())
            h.vars[name] = std::to_string(vv.as_integer()->get());
          else if (vv.is_boolean())
            h.vars[name] = vv.as_boolean()->get() ? "true" : "false";
          else
            error(vv.source(), kk, std::string("is ") + type_name(vv) + " (expected a string)");
        }
      }
    }
    host_boot_src_.emplace_back();
    h.boot = load_boot_override(t, k, host_boot_src_.back());
    cfg_.hosts.push_back(h);
    host_src_.push_back(src);
  }
}

LoadResult Loader::run() {
  LoadResult out;
  dir_ = fs::absolute(fs::path(file_)).parent_path();
  toml::table root;
  try {
    root = toml::parse_file(file_);
  } catch (const toml::parse_error& e) {
    out.errors.push_back({file_, int(e.source().begin.line), int(e.source().begin.column), "",
                          std::string(e.description()) + " (not valid TOML)"});
    return out;
  }
  top_ = root.source();
  top_.begin = {1, 1};
  root_src_ = top_;
  cfg_.path = file_;
  cfg_.dir = dir_.string();
  check_keys(root, "",
             {"server", "dhcp", "tftp", "multicast", "boot", "profile", "host", "default_menu",
              "default_ipxe_menu"});
  load_server(root);
  load_dhcp(root);
  load_tftp_boot(root);
  load_multicast(root);
  load_profiles(root);
  load_hosts(root);
  for (auto [name, out] : {std::pair{"default_menu", &cfg_.default_menu},
                           std::pair{"default_ipxe_menu", &cfg_.default_ipxe_menu}}) {
    auto v = str(root, "", name, false);
    if (!v) continue;
    fs::path full = resolve(*v);
    std::error_code ec;
    if (!fs::is_regular_file(full, ec))
      error(root.get(name)->source(), name,
            "template file '" + *v + "' not found (looked for " + full.string() +
                "; relative paths are relative to the config file's directory)");
    *out = full.string();
  }
  check_hosts();
  check_boot_hosts();
  check_files();
  if (errors_.empty()) check_placeholders();
  auto order = [&](const ConfigError& a, const ConfigError& b) {
    bool ma = a.file == file_, mb = b.file == file_;
    if (ma != mb) return ma;
    return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
  };
  std::stable_sort(errors_.begin(), errors_.end(), order);
  std::stable_sort(warnings_.begin(), warnings_.end(), order);
  out.errors = std::move(errors_);
  out.warnings = std::move(warnings_);
  if (out.errors.empty()) out.config = std::move(cfg_);
  return out;
}

}  // namespace detail

LoadResult load(const std::string& path) {
  return Loader(path).run();
}

}  // namespace bs::config
