// [tftp]: the root, transfer ports, the retransmission timer, windows, caps and the cache size,
// loaded and validated (then [boot], config_boot.cpp); [multicast].
#include "../dataplane/proto/tftp.hpp"
#include "../dataplane/proto/tftp_path.hpp"
#include "config_loader.hpp"

namespace bs::config {
namespace detail {
namespace {

// "512M", "4G", "1T", "100K" (powers of 1024) or plain digits (bytes).
std::optional<uint64_t> parse_size(std::string_view s) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + uint64_t(s[i] - '0');
  }
  if (i == 0) return std::nullopt;
  const std::string_view unit = s.substr(i);
  unsigned shift = 0;
  if (unit == "K" || unit == "KiB")
    shift = 10;
  else if (unit == "M" || unit == "MiB")
    shift = 20;
  else if (unit == "G" || unit == "GiB")
    shift = 30;
  else if (unit == "T" || unit == "TiB")
    shift = 40;
  else if (!unit.empty() && unit != "B")
    return std::nullopt;
  if (shift && v > (UINT64_MAX >> shift)) return std::nullopt;
  return v << shift;
}

}  // namespace

void Loader::load_tftp_boot(const toml::table& root) {
  if (const toml::table* t = section(root, "tftp", true)) {
    Tftp& f = cfg_.tftp;
    check_keys(*t, "tftp",
               {"root", "port_min", "port_max", "retransmit", "retransmit_min", "retransmit_max",
                "retries", "windowsize", "client_timeout", "max_sessions",
                "max_sessions_per_client", "cache_size"});
    if (auto v = str(*t, "tftp", "root", true)) {
      f.root = resolve(*v).string();
      root_src_ = t->get("root")->source();
    }
    auto lo = integer(*t, "tftp", "port_min", 1024, 65535);
    auto hi = integer(*t, "tftp", "port_max", 1024, 65535);
    if (lo) f.port_min = uint16_t(*lo);
    if (hi) f.port_max = uint16_t(*hi);
    if (f.port_min > f.port_max)
      error((t->get("port_max") ? t->get("port_max") : t)->source(), "tftp.port_max",
            std::to_string(f.port_max) + " is below port_min " + std::to_string(f.port_min) +
                " (need port_min <= port_max, within 1024..65535)");
    if (auto v = integer(*t, "tftp", "retransmit", 10, 60000)) f.retransmit_ms = uint32_t(*v);
    if (auto v = integer(*t, "tftp", "retransmit_min", 1, 60000))
      f.retransmit_min_ms = uint32_t(*v);
    if (auto v = integer(*t, "tftp", "retransmit_max", 1, 60000))
      f.retransmit_max_ms = uint32_t(*v);
    if (f.retransmit_min_ms > f.retransmit_max_ms)
      error((t->get("retransmit_max") ? t->get("retransmit_max") : t)->source(),
            "tftp.retransmit_max",
            std::to_string(f.retransmit_max_ms) + " ms is below retransmit_min " +
                std::to_string(f.retransmit_min_ms) +
                " ms (need retransmit_min <= retransmit_max)");
    if (auto v = integer(*t, "tftp", "retries", 1, 100)) f.retries = uint32_t(*v);
    if (auto v = integer(*t, "tftp", "windowsize", 1, 4096)) f.windowsize = uint16_t(*v);
    if (auto v = str(*t, "tftp", "client_timeout", false)) {
      if (*v == "exact" || *v == "cap")
        f.client_timeout_exact = *v == "exact";
      else
        error(t->get("client_timeout")->source(), "tftp.client_timeout",
              "unknown value \"" + *v + "\" (valid: \"cap\", \"exact\")");
    }
    if (const toml::node* n = t->get("cache_size")) {
      std::optional<uint64_t> v;
      if (n->is_integer() && n->as_integer()->get() > 0)
        v = uint64_t(n->as_integer()->get());
      else if (n->is_string())
        v = parse_size(n->as_string()->get());
      if (v && *v >= (1u << 20))
        f.cache_size = *v;
      else
        error(n->source(), "tftp.cache_size",
              "is not a size of at least 1M (valid: \"512M\", \"4G\", or bytes as an integer)");
    }
    if (auto v = integer(*t, "tftp", "max_sessions", 1, 65535)) f.max_sessions = uint32_t(*v);
    if (auto v = integer(*t, "tftp", "max_sessions_per_client", 1, 65535))
      f.max_sessions_per_client = uint32_t(*v);
  }
  load_boot(root);
}

void Loader::load_multicast(const toml::table& root) {
  const toml::table* t = section(root, "multicast", false);
  if (!t) return;
  Multicast& m = cfg_.multicast;
  check_keys(*t, "multicast",
             {"enabled", "addresses", "ports", "ttl", "igmp", "mtftp_port", "mtftp_files",
              "mtftp_listen", "mtftp_delay"});
  if (const toml::node* n = t->get("enabled")) {
    if (n->is_boolean())
      m.enabled = n->as_boolean()->get();
    else
      error(n->source(), "multicast.enabled", "expected true or false");
  }
  if (const toml::node* n = t->get("addresses")) {
    const toml::array* a = n->as_array();
    std::optional<Ip4> first, last;
    if (a && a->size() == 2 && (*a)[0].is_string() && (*a)[1].is_string()) {
      first = proto::parse_ip((*a)[0].as_string()->get());
      last = proto::parse_ip((*a)[1].as_string()->get());
    }
    // 224.0.0.0/24 is the local network control block (IGMP, routing protocols).
    auto usable = [](Ip4 x) { return (x >> 28) == 0xe && (x >> 8) != 0xe00000; };
    if (!first || !last)
      error(n->source(), "multicast.addresses",
            "expected two addresses [\"first\", \"last\"], e.g. [\"239.255.77.1\", "
            "\"239.255.77.254\"]");
    else if (!usable(*first) || !usable(*last))
      error(n->source(), "multicast.addresses",
            ip_str(*first) + " - " + ip_str(*last) +
                " is not a multicast range (valid: 224.0.1.0 - 239.255.255.255; "
                "239.0.0.0/8 is for a site's own use)");
    else if (*first > *last)
      error(n->source(), "multicast.addresses",
            "first address " + ip_str(*first) + " is after last " + ip_str(*last));
    else
      m.first = *first, m.last = *last;
  }
  if (const toml::node* n = t->get("ports")) {
    const toml::array* a = n->as_array();
    const bool ok = a && a->size() == 2 && (*a)[0].is_integer() && (*a)[1].is_integer() &&
                    (*a)[0].as_integer()->get() >= 1024 && (*a)[1].as_integer()->get() <= 65535 &&
                    (*a)[0].as_integer()->get() <= (*a)[1].as_integer()->get();
    if (ok) {
      m.port_min = uint16_t((*a)[0].as_integer()->get());
      m.port_max = uint16_t((*a)[1].as_integer()->get());
    } else {
      error(n->source(), "multicast.ports",
            "expected two ports [first, last] within 1024..65535, first <= last, e.g. "
            "[1760, 1799]");
    }
  }
  if (auto v = integer(*t, "multicast", "ttl", 1, 255)) m.ttl = uint8_t(*v);
  if (auto v = str(*t, "multicast", "igmp", false)) {
    if (*v == "none")
      m.igmp = Igmp::none;
    else if (*v == "query")
      m.igmp = Igmp::query;
    else if (*v == "report")
      m.igmp = Igmp::report;
    else
      error(t->get("igmp")->source(), "multicast.igmp",
            "unknown value \"" + *v + "\" (valid: \"none\", \"query\", \"report\")");
  }
  if (auto v = integer(*t, "multicast", "mtftp_port", 1, 65535)) m.mtftp_port = uint16_t(*v);
  if (auto v = integer(*t, "multicast", "mtftp_listen", 0, 255)) m.mtftp_listen_s = uint8_t(*v);
  if (auto v = integer(*t, "multicast", "mtftp_delay", 0, 255)) m.mtftp_delay_s = uint8_t(*v);
  if (const toml::node* n = t->get("mtftp_files")) {
    const toml::array* a = n->as_array();
    if (!a) {
      error(n->source(), "multicast.mtftp_files",
            "expected a list of paths under [tftp] root, e.g. [\"pxelinux.0\"]");
    } else {
      for (size_t i = 0; i < a->size(); ++i) {
        const std::string k = "multicast.mtftp_files[" + std::to_string(i) + "]";
        const toml::node& e = (*a)[i];
        proto::TftpPath p;
        const std::string v = e.is_string() ? e.as_string()->get() : "";
        const proto::PathError pe =
            v.empty() ? proto::PathError::none : proto::sanitize_tftp_path(v, p);
        if (v.empty())
          error(e.source(), k, "expected a non-empty path under [tftp] root");
        else if (pe != proto::PathError::none)
          error(e.source(), k, "'" + v + "': " + proto::path_error_text(pe));
        else
          m.mtftp_files.emplace_back(p.view());
      }
    }
  }
  // Each MTFTP file has its own group address and port: the first ones of the ranges.
  const uint64_t naddr = uint64_t(m.last) - m.first + 1,
                 nport = uint64_t(m.port_max) - m.port_min + 1;
  const toml::source_region& src = t->source();
  if (m.mtftp_files.size() >= std::min(naddr, nport))
    error(src, "multicast.mtftp_files",
          std::to_string(m.mtftp_files.size()) + " files need as many group addresses and ports, " +
              "and RFC 2090 groups at least one more (have " + std::to_string(naddr) +
              " addresses, " + std::to_string(nport) + " ports)");
  auto clash = [&](uint16_t port) {
    return port == proto::kTftpPort || (port >= cfg_.tftp.port_min && port <= cfg_.tftp.port_max);
  };
  if (clash(m.port_min) || clash(m.port_max) ||
      (m.port_min <= cfg_.tftp.port_min && m.port_max >= cfg_.tftp.port_max))
    error(src, "multicast.ports",
          "overlap port 69 or [tftp] port_min..port_max (" + std::to_string(cfg_.tftp.port_min) +
              ".." + std::to_string(cfg_.tftp.port_max) + "): choose a range apart");
  if (!m.mtftp_files.empty() &&
      (clash(m.mtftp_port) || (m.mtftp_port >= m.port_min && m.mtftp_port <= m.port_max) ||
       m.mtftp_port == 67 || m.mtftp_port == 68 || m.mtftp_port == 4011))
    error(src, "multicast.mtftp_port",
          std::to_string(m.mtftp_port) +
              " is taken (TFTP, DHCP, the transfer ports or the group ports): choose another");
}

}  // namespace detail
}  // namespace bs::config
