// Internal to the storm report (storm_report.cpp, storm_html.cpp): the storm document read into a
// Run (fields absent or of the wrong type as nullopt, with a warning), UTF-8 helpers (terminal
// safety, code points for escaping), queries over several runs (phase, key and setting unions,
// boot times, ratios) and number formatting. Not part of the public API (storm_report.hpp).
#pragma once
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storm_report.hpp"

namespace bs::bench::storm_report_detail {

using json = nlohmann::json;
using Opt = std::optional<double>;

inline constexpr size_t kMaxWarnings = 40;

inline std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
inline std::string fmt(const char* f, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, f);
  int n = std::vsnprintf(buf, sizeof(buf), f, ap);
  va_end(ap);
  if (n < 0) return {};
  if (size_t(n) < sizeof(buf)) return std::string(buf, size_t(n));
  std::string s(size_t(n) + 1, '\0');
  va_start(ap, f);
  std::vsnprintf(s.data(), s.size(), f, ap);
  va_end(ap);
  s.resize(size_t(n));
  return s;
}

// ---- UTF-8 -----------------------------------------------------------------------------------

// The code point at s[i], advancing i past it; -1 for a byte that starts no valid sequence (i
// advances by one).
inline int32_t next_cp(std::string_view s, size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    ++i;
    return c;
  }
  size_t n;
  int32_t cp, min;
  if ((c & 0xE0) == 0xC0) {
    n = 1, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 2, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 3, cp = c & 0x07, min = 0x10000;
  } else {
    ++i;
    return -1;
  }
  if (i + n >= s.size()) {
    ++i;
    return -1;
  }
  for (size_t k = 1; k <= n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += n + 1;
  return cp;
}

inline void put_utf8(std::string& out, int32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

inline bool is_control(int32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

// For a terminal: control characters (ESC among them) and invalid UTF-8 become '?'.
inline std::string term_safe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const int32_t cp = next_cp(s, i);
    if (cp < 0 || is_control(cp))
      out += '?';
    else
      put_utf8(out, cp);
  }
  return out;
}

// ---- reading the document --------------------------------------------------------------------

inline const json* field(const json& j, const std::string& key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

inline Opt num(const json* v) {
  if (!v || !v->is_number()) return std::nullopt;
  const double d = v->get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

inline std::string dump(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A value as a cell: strings as they are, the rest as JSON.
inline std::string scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt("%.6g", v.get<double>());
  return dump(v);
}

struct Phase {
  std::string name;
  Opt count, p50, p90, p99, max, mean, retransmits, failed;
};

struct Kv {
  std::string key;
  Opt value;
};

struct Run {
  std::string label;  // as given; empty when none
  std::string name;   // shown: the label, "run N" without one, made unique with " (N)"
  std::string started_at, machine;
  Opt clients, completed, failed, unfinished, makespan;
  std::vector<std::pair<std::string, std::string>> settings;
  std::vector<Phase> phases;
  std::vector<double> completion;  // sorted, finite
  std::vector<Kv> failures, bytes, retransmits, faults;
  const json* counters = nullptr;
  std::vector<std::string> warnings;
  size_t warnings_dropped = 0;

  void warn(std::string w) {
    if (warnings.size() < kMaxWarnings)
      warnings.push_back(term_safe(w));
    else
      ++warnings_dropped;
  }
};

// Every document read (a Run with warnings, whatever it holds), named uniquely: the label, "run N"
// without one, " (N)" appended to a repeated name.
std::vector<Run> read_runs(const std::vector<json>& docs);

// ---- queries over runs -----------------------------------------------------------------------

// When the ceil(frac * clients)-th machine had booted; absent when it never did.
inline Opt booted_at(const Run& r, double frac) {
  if (!r.clients || *r.clients <= 0) return std::nullopt;
  const double k = std::ceil(frac * *r.clients - 1e-9);
  if (k < 1 || k > double(r.completion.size())) return std::nullopt;
  return r.completion[size_t(k) - 1];
}

inline Opt ratio(Opt a, Opt ref) {
  if (!a || !ref || *ref <= 0) return std::nullopt;
  return *a / *ref;
}

inline Opt kv_get(const std::vector<Kv>& kvs, const std::string& key) {
  for (const Kv& kv : kvs)
    if (kv.key == key) return kv.value;
  return std::nullopt;
}

inline std::vector<std::string> union_keys(const std::vector<Run>& runs,
                                           std::vector<Kv> Run::*member) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const Run& r : runs)
    for (const Kv& kv : r.*member)
      if (seen.insert(kv.key).second) keys.push_back(kv.key);
  return keys;
}

inline std::vector<std::string> union_phases(const std::vector<Run>& runs) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const Run& r : runs)
    for (const Phase& p : r.phases)
      if (seen.insert(p.name).second) names.push_back(p.name);
  return names;
}

inline const Phase* find_phase(const Run& r, const std::string& name) {
  for (const Phase& p : r.phases)
    if (p.name == name) return &p;
  return nullptr;
}

inline std::vector<std::string> union_settings(const std::vector<Run>& runs) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const Run& r : runs)
    for (const auto& kv : r.settings)
      if (seen.insert(kv.first).second) keys.push_back(kv.first);
  return keys;
}

inline const std::string* setting(const Run& r, const std::string& key) {
  for (const auto& kv : r.settings)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

inline bool setting_differs(const std::vector<Run>& runs, const std::string& key) {
  const std::string* first = setting(runs[0], key);
  for (const Run& r : runs) {
    const std::string* s = setting(r, key);
    if (bool(s) != bool(first) || (s && *s != *first)) return true;
  }
  return false;
}

// ---- numbers as text -------------------------------------------------------------------------

inline constexpr const char* kAbsent = "-";

// A count: no decimals when whole.
inline std::string f_count(Opt v) {
  if (!v) return kAbsent;
  if (*v == std::floor(*v) && std::fabs(*v) < 1e15) return fmt("%.0f", *v);
  return fmt("%.3g", *v);
}

inline std::string f_ms(Opt v) {
  if (!v) return kAbsent;
  const double a = std::fabs(*v);
  if (a < 1) return fmt("%.3f", *v);
  if (a < 10) return fmt("%.2f", *v);
  if (a < 1000) return fmt("%.1f", *v);
  return fmt("%.0f", *v);
}

inline std::string f_s(Opt v) {
  if (!v) return kAbsent;
  return fmt("%.3f", *v);
}

inline std::string f_ratio(Opt v) {
  if (!v) return kAbsent;
  return fmt("%.2fx", *v);
}

inline std::string f_bytes(Opt v) {
  if (!v) return kAbsent;
  std::string s = f_count(v);
  const double b = *v;
  if (b >= 1024.0 * 1024 * 1024)
    s += fmt(" (%.2f GiB)", b / (1024.0 * 1024 * 1024));
  else if (b >= 1024.0 * 1024)
    s += fmt(" (%.1f MiB)", b / (1024.0 * 1024));
  else if (b >= 1024)
    s += fmt(" (%.1f KiB)", b / 1024);
  return s;
}

}  // namespace bs::bench::storm_report_detail
