#include "snapshot.hpp"

#include <nlohmann/json.hpp>

namespace bs::snap {

using nlohmann::json;

const Host* Snapshot::find_host(const proto::Mac& m) const {
  for (const auto& h : hosts)
    if (h.mac == m) return &h;
  return nullptr;
}

const Pool* Snapshot::pool_for(proto::Ip4 a) const {
  for (const auto& p : pools)
    if (p.contains(a)) return &p;
  return nullptr;
}

namespace {

json ips(const std::vector<proto::Ip4>& v) {
  json a = json::array();
  for (auto ip : v) a.push_back(proto::ip_str(ip));
  return a;
}

// Decoding helpers: every access is checked; a failure throws DecodeError, caught in decode().
struct DecodeError {
  std::string what;
};

const json& field(const json& o, const char* key) {
  if (!o.is_object() || !o.contains(key)) throw DecodeError{std::string("missing field ") + key};
  return o.at(key);
}
std::string get_str(const json& o, const char* key) {
  const json& v = field(o, key);
  if (!v.is_string()) throw DecodeError{std::string(key) + " is not a string"};
  return v.get<std::string>();
}
uint64_t get_u64(const json& o, const char* key) {
  const json& v = field(o, key);
  if (!v.is_number_unsigned()) throw DecodeError{std::string(key) + " is not an unsigned number"};
  return v.get<uint64_t>();
}
proto::Ip4 ip_of(const json& v, const char* key) {
  if (!v.is_string()) throw DecodeError{std::string(key) + " is not an address string"};
  auto ip = proto::parse_ip(v.get<std::string>());
  if (!ip) throw DecodeError{std::string(key) + " is not an IPv4 address"};
  return *ip;
}
proto::Ip4 get_ip(const json& o, const char* key) {
  return ip_of(field(o, key), key);
}
const json& get_array(const json& o, const char* key) {
  const json& v = field(o, key);
  if (!v.is_array()) throw DecodeError{std::string(key) + " is not an array"};
  return v;
}
bool get_bool(const json& o, const char* key) {
  const json& v = field(o, key);
  if (!v.is_boolean()) throw DecodeError{std::string(key) + " is not a boolean"};
  return v.get<bool>();
}
uint32_t get_u32(const json& o, const char* key) {
  uint64_t v = get_u64(o, key);
  if (v > 0xffffffffu) throw DecodeError{std::string(key) + " is above 2^32 - 1"};
  return uint32_t(v);
}

// {"bios": "...", "uefi_ia32": "...", ...}: every architecture, nothing else.
json boot_files_json(const BootFiles& f) {
  json o = json::object();
  for (BootArch a : kBootArchs) o[std::string(boot_arch_name(a))] = f[a];
  return o;
}
BootFiles get_boot_files(const json& o, const char* key) {
  const json& v = field(o, key);
  if (!v.is_object()) throw DecodeError{std::string(key) + " is not an object"};
  for (auto it = v.begin(); it != v.end(); ++it)
    if (!boot_arch_named(it.key()))
      throw DecodeError{std::string(key) + ": unknown architecture " + it.key()};
  BootFiles f;
  for (BootArch a : kBootArchs) f[a] = get_str(v, std::string(boot_arch_name(a)).c_str());
  return f;
}

json boot_rule_json(const BootRule& r) {
  return {{"files", boot_files_json(r.files)}, {"ipxe", r.ipxe}, {"ipxe_script", r.ipxe_script}};
}
BootRule get_boot_rule(const json& o, const char* key) {
  const json& v = field(o, key);
  BootRule r;
  r.files = get_boot_files(v, "files");
  r.ipxe = get_bool(v, "ipxe");
  r.ipxe_script = get_str(v, "ipxe_script");
  if (r.ipxe && r.ipxe_script.empty()) throw DecodeError{"boot rule with ipxe but no ipxe_script"};
  return r;
}

}  // namespace

const MtftpFile* Snapshot::find_mtftp(std::string_view path) const {
  for (const MtftpFile& m : mtftp)
    if (m.path == path) return &m;
  return nullptr;
}

std::string encode(const Snapshot& s) {
  json j;
  j["generation"] = s.generation;
  j["server_ip"] = proto::ip_str(s.server_ip);
  j["lease_seconds"] = s.lease_seconds;
  j["renew_seconds"] = s.renew_seconds;
  j["rebind_seconds"] = s.rebind_seconds;
  j["dhcp"] = {{"mode", s.dhcp.mode == DhcpMode::proxy ? "proxy" : "server"},
               {"authoritative", s.dhcp.authoritative},
               {"probe", s.dhcp.probe},
               {"mac_rate", s.dhcp.mac_rate},
               {"rate", s.dhcp.rate}};
  j["boot"] = boot_rule_json(s.boot);
  j["ipxe_files"] = boot_files_json(s.ipxe_files);
  json pools = json::array();
  for (const auto& p : s.pools) {
    pools.push_back({{"subnet", proto::ip_str(p.subnet)},
                     {"prefix", p.prefix},
                     {"first", proto::ip_str(p.first)},
                     {"last", proto::ip_str(p.last)},
                     {"router", proto::ip_str(p.router)},
                     {"dns", ips(p.dns)},
                     {"domain", p.domain},
                     {"broadcast", proto::ip_str(p.broadcast)}});
    json ex = json::array();
    for (const auto& [lo, hi] : p.exclude) ex.push_back({proto::ip_str(lo), proto::ip_str(hi)});
    pools.back()["exclude"] = std::move(ex);
  }
  j["pools"] = std::move(pools);
  json hosts = json::array();
  for (const auto& h : s.hosts) {
    hosts.push_back({{"mac", h.mac.str()},
                     {"address", proto::ip_str(h.address)},
                     {"hostname", h.hostname},
                     {"boot", boot_rule_json(h.boot)}});
  }
  j["hosts"] = std::move(hosts);
  json files = json::array();
  for (const auto& f : s.files) files.push_back({{"path", f.path}, {"content", f.content}});
  j["files"] = std::move(files);
  j["preload"] = s.preload;
  json mtftp = json::array();
  for (const MtftpFile& m : s.mtftp)
    mtftp.push_back({{"path", m.path},
                     {"group", proto::ip_str(m.group)},
                     {"client_port", m.client_port},
                     {"server_port", m.server_port},
                     {"listen_s", m.listen_s},
                     {"delay_s", m.delay_s}});
  j["mtftp"] = std::move(mtftp);
  return j.dump();
}

std::optional<Snapshot> decode(std::string_view text, std::string* error) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    if (error) *error = "snapshot is not a JSON object";
    return std::nullopt;
  }
  try {
    Snapshot s;
    s.generation = get_u64(j, "generation");
    s.server_ip = get_ip(j, "server_ip");
    uint64_t lease = get_u64(j, "lease_seconds");
    if (lease == 0 || lease > 0xffffffffu) throw DecodeError{"lease_seconds out of range"};
    s.lease_seconds = uint32_t(lease);
    s.renew_seconds = get_u32(j, "renew_seconds");
    s.rebind_seconds = get_u32(j, "rebind_seconds");
    if ((s.renew_seconds != 0 || s.rebind_seconds != 0) &&
        !(s.renew_seconds > 0 && s.renew_seconds < s.rebind_seconds &&
          s.rebind_seconds < s.lease_seconds))
      throw DecodeError{"need 0 < renew_seconds < rebind_seconds < lease_seconds (or both 0)"};
    if (!j.contains("dhcp") || !j["dhcp"].is_object()) throw DecodeError{"dhcp missing"};
    const json& d = j["dhcp"];
    const std::string mode = get_str(d, "mode");
    if (mode != "server" && mode != "proxy") throw DecodeError{"dhcp.mode is not server or proxy"};
    s.dhcp.mode = mode == "proxy" ? DhcpMode::proxy : DhcpMode::server;
    s.dhcp.authoritative = get_bool(d, "authoritative");
    s.dhcp.probe = get_bool(d, "probe");
    s.dhcp.mac_rate = get_u32(d, "mac_rate");
    s.dhcp.rate = get_u32(d, "rate");
    s.boot = get_boot_rule(j, "boot");
    s.ipxe_files = get_boot_files(j, "ipxe_files");
    for (const json& p : get_array(j, "pools")) {
      Pool pool;
      pool.subnet = get_ip(p, "subnet");
      uint64_t prefix = get_u64(p, "prefix");
      if (prefix > 32) throw DecodeError{"pool prefix above 32"};
      pool.prefix = uint8_t(prefix);
      pool.first = get_ip(p, "first");
      pool.last = get_ip(p, "last");
      if (pool.first > pool.last) throw DecodeError{"pool first above last"};
      pool.router = get_ip(p, "router");
      for (const json& d : get_array(p, "dns")) pool.dns.push_back(ip_of(d, "dns"));
      pool.domain = get_str(p, "domain");
      pool.broadcast = get_ip(p, "broadcast");
      for (const json& e : get_array(p, "exclude")) {
        if (!e.is_array() || e.size() != 2) throw DecodeError{"pool exclude entry is not a pair"};
        proto::Ip4 lo = ip_of(e[0], "exclude"), hi = ip_of(e[1], "exclude");
        if (lo > hi) throw DecodeError{"pool exclude range runs backwards"};
        pool.exclude.emplace_back(lo, hi);
      }
      s.pools.push_back(std::move(pool));
    }
    for (const json& h : get_array(j, "hosts")) {
      Host host;
      auto mac = proto::Mac::parse(get_str(h, "mac"));
      if (!mac) throw DecodeError{"host mac invalid"};
      host.mac = *mac;
      host.address = get_ip(h, "address");
      host.hostname = get_str(h, "hostname");
      host.boot = get_boot_rule(h, "boot");
      s.hosts.push_back(std::move(host));
    }
    for (const json& f : get_array(j, "files"))
      s.files.push_back({get_str(f, "path"), get_str(f, "content")});
    for (const json& p : get_array(j, "preload")) {
      if (!p.is_string()) throw DecodeError{"preload entry is not a string"};
      s.preload.push_back(p.get<std::string>());
    }
    if (j.contains("mtftp"))  // absent in snapshots of older control processes
      for (const json& m : get_array(j, "mtftp")) {
        MtftpFile f{get_str(m, "path"), get_ip(m, "group"), 0, 0, 1, 1};
        const uint32_t cport = get_u32(m, "client_port"), sport = get_u32(m, "server_port");
        const uint32_t listen = get_u32(m, "listen_s"), delay = get_u32(m, "delay_s");
        if (cport == 0 || cport > 65535 || sport == 0 || sport > 65535 || listen > 255 ||
            delay > 255)
          throw DecodeError{"mtftp entry out of range"};
        f.client_port = uint16_t(cport);
        f.server_port = uint16_t(sport);
        f.listen_s = uint8_t(listen);
        f.delay_s = uint8_t(delay);
        s.mtftp.push_back(std::move(f));
      }
    return s;
  } catch (const DecodeError& e) {
    if (error) *error = e.what;
  } catch (const json::exception& e) {  // defensive: type errors inside nlohmann
    if (error) *error = e.what();
  }
  return std::nullopt;
}

}  // namespace bs::snap
