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

}  // namespace

std::string encode(const Snapshot& s) {
  json j;
  j["generation"] = s.generation;
  j["server_ip"] = proto::ip_str(s.server_ip);
  j["lease_seconds"] = s.lease_seconds;
  j["boot_bios"] = s.boot_bios;
  j["boot_uefi_x64"] = s.boot_uefi_x64;
  json pools = json::array();
  for (const auto& p : s.pools) {
    pools.push_back({{"subnet", proto::ip_str(p.subnet)},
                     {"prefix", p.prefix},
                     {"first", proto::ip_str(p.first)},
                     {"last", proto::ip_str(p.last)},
                     {"router", proto::ip_str(p.router)},
                     {"dns", ips(p.dns)},
                     {"domain", p.domain}});
  }
  j["pools"] = std::move(pools);
  json hosts = json::array();
  for (const auto& h : s.hosts) {
    hosts.push_back({{"mac", h.mac.str()},
                     {"address", proto::ip_str(h.address)},
                     {"hostname", h.hostname},
                     {"boot_bios", h.boot_bios},
                     {"boot_uefi_x64", h.boot_uefi_x64}});
  }
  j["hosts"] = std::move(hosts);
  json files = json::array();
  for (const auto& f : s.files) files.push_back({{"path", f.path}, {"content", f.content}});
  j["files"] = std::move(files);
  j["preload"] = s.preload;
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
    s.boot_bios = get_str(j, "boot_bios");
    s.boot_uefi_x64 = get_str(j, "boot_uefi_x64");
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
      s.pools.push_back(std::move(pool));
    }
    for (const json& h : get_array(j, "hosts")) {
      Host host;
      auto mac = proto::Mac::parse(get_str(h, "mac"));
      if (!mac) throw DecodeError{"host mac invalid"};
      host.mac = *mac;
      host.address = get_ip(h, "address");
      host.hostname = get_str(h, "hostname");
      host.boot_bios = get_str(h, "boot_bios");
      host.boot_uefi_x64 = get_str(h, "boot_uefi_x64");
      s.hosts.push_back(std::move(host));
    }
    for (const json& f : get_array(j, "files"))
      s.files.push_back({get_str(f, "path"), get_str(f, "content")});
    for (const json& p : get_array(j, "preload")) {
      if (!p.is_string()) throw DecodeError{"preload entry is not a string"};
      s.preload.push_back(p.get<std::string>());
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
