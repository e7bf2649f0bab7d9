// [tftp]: the root, transfer ports, the retransmission timer, windows, caps and the cache size,
// loaded and validated (then [boot], config_boot.cpp).
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

}  // namespace detail
}  // namespace bs::config
