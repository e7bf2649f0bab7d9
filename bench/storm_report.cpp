#include "storm_report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace bs::bench {

namespace {

using json = nlohmann::json;
using Opt = std::optional<double>;

constexpr const char* kTool = "bootstorm-bench storm";
constexpr const char* kCompareTool = "bootstorm-bench compare";
constexpr size_t kMaxWarnings = 40;

const char* const kKnownPhases[] = {"dhcp",   "bootfile", "config",    "modules",
                                    "kernel", "initrd",   "kickstart", "total"};

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
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
int32_t next_cp(std::string_view s, size_t& i) {
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

void put_utf8(std::string& out, int32_t cp) {
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

bool is_control(int32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

// For a terminal: control characters (ESC among them) and invalid UTF-8 become '?'.
std::string term_safe(std::string_view s) {
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

// Columns a string takes on a terminal (code points; wide characters are not told apart).
size_t columns(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// At most `max` columns, the cut marked with '~'.
std::string clip(const std::string& s, size_t max) {
  if (columns(s) <= max) return s;
  std::string out;
  size_t n = 0;
  for (size_t i = 0; i < s.size() && n + 1 < max;) {
    size_t j = i;
    next_cp(s, j);
    out.append(s, i, j - i);
    i = j;
    ++n;
  }
  return out + "~";
}

// ---- reading the document --------------------------------------------------------------------

const json* field(const json& j, const std::string& key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

Opt num(const json* v) {
  if (!v || !v->is_number()) return std::nullopt;
  const double d = v->get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

std::string dump(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A value as a cell: strings as they are, the rest as JSON.
std::string scalar_text(const json& v) {
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

std::string got(const json& v) {
  return std::string("got ") + v.type_name();
}

// A count or an amount: a finite number, not negative.
Opt read_amount(Run& r, const json& parent, const std::string& key, const std::string& path) {
  const json* v = field(parent, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    r.warn(path + ": expected a number, " + got(*v));
    return std::nullopt;
  }
  Opt d = num(v);
  if (!d || *d < 0) {
    r.warn(path + ": expected a number not below 0, got " + dump(*v));
    return std::nullopt;
  }
  return d;
}

std::string read_string(Run& r, const json& parent, const std::string& key) {
  const json* v = field(parent, key);
  if (!v) return {};
  if (!v->is_string()) {
    r.warn(key + ": expected a string, " + got(*v));
    return {};
  }
  return v->get<std::string>();
}

std::vector<Kv> read_kvs(Run& r, const json& doc, const std::string& key) {
  std::vector<Kv> out;
  const json* v = field(doc, key);
  if (!v) return out;
  if (!v->is_object()) {
    r.warn(key + ": expected an object, " + got(*v));
    return out;
  }
  for (auto it = v->begin(); it != v->end(); ++it)
    out.push_back({it.key(), read_amount(r, *v, it.key(), key + "." + it.key())});
  return out;
}

size_t known_rank(const std::string& phase) {
  for (size_t i = 0; i < std::size(kKnownPhases); ++i)
    if (phase == kKnownPhases[i]) return i;
  return std::size(kKnownPhases);
}

// Phases in the document's phase_order, then the rest (the known ones in boot order, the others
// by name).
std::vector<std::string> phase_names(Run& r, const json& doc, const json* phases) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  if (const json* order = field(doc, "phase_order")) {
    if (!order->is_array()) {
      r.warn("phase_order: expected an array of phase names, " + got(*order));
    } else {
      for (const json& p : *order) {
        if (!p.is_string()) {
          r.warn("phase_order: expected phase names, " + got(p));
          continue;
        }
        if (seen.insert(p.get<std::string>()).second) names.push_back(p.get<std::string>());
      }
    }
  }
  std::vector<std::string> rest;
  if (phases && phases->is_object())
    for (auto it = phases->begin(); it != phases->end(); ++it)
      if (!seen.count(it.key())) rest.push_back(it.key());
  std::stable_sort(rest.begin(), rest.end(), [](const std::string& a, const std::string& b) {
    return known_rank(a) < known_rank(b);
  });
  names.insert(names.end(), rest.begin(), rest.end());
  return names;
}

Run read_run(const json& doc, size_t index) {
  Run r;
  if (!doc.is_object()) {
    r.warn(std::string("expected a JSON object, got ") + doc.type_name());
    r.name = fmt("run %zu", index + 1);
    return r;
  }
  r.label = read_string(r, doc, "label");
  r.started_at = read_string(r, doc, "started_at");
  r.machine = read_string(r, doc, "machine");
  if (const json* t = field(doc, "tool")) {
    if (!t->is_string())
      r.warn("tool: expected a string, " + got(*t));
    else if (t->get<std::string>() != kTool)
      r.warn("tool: \"" + t->get<std::string>() + "\", not \"" + kTool + "\"");
  }
  r.clients = read_amount(r, doc, "clients", "clients");
  r.completed = read_amount(r, doc, "completed", "completed");
  r.failed = read_amount(r, doc, "failed", "failed");
  r.unfinished = read_amount(r, doc, "unfinished", "unfinished");
  r.makespan = read_amount(r, doc, "makespan_s", "makespan_s");

  if (const json* s = field(doc, "settings")) {
    if (!s->is_object())
      r.warn("settings: expected an object, " + got(*s));
    else
      for (auto it = s->begin(); it != s->end(); ++it)
        r.settings.emplace_back(it.key(), scalar_text(it.value()));
  }

  const json* phases = field(doc, "phases");
  if (phases && !phases->is_object()) {
    r.warn("phases: expected an object, " + got(*phases));
    phases = nullptr;
  }
  for (const std::string& name : phase_names(r, doc, phases)) {
    Phase p;
    p.name = name;
    const json* pj = phases ? field(*phases, name) : nullptr;
    if (pj && !pj->is_object()) {
      r.warn("phases." + name + ": expected an object, " + got(*pj));
      pj = nullptr;
    }
    if (pj) {
      const std::string at = "phases." + name + ".";
      p.count = read_amount(r, *pj, "count", at + "count");
      p.p50 = read_amount(r, *pj, "p50_ms", at + "p50_ms");
      p.p90 = read_amount(r, *pj, "p90_ms", at + "p90_ms");
      p.p99 = read_amount(r, *pj, "p99_ms", at + "p99_ms");
      p.max = read_amount(r, *pj, "max_ms", at + "max_ms");
      p.mean = read_amount(r, *pj, "mean_ms", at + "mean_ms");
      p.retransmits = read_amount(r, *pj, "retransmits", at + "retransmits");
      p.failed = read_amount(r, *pj, "failed", at + "failed");
    }
    r.phases.push_back(std::move(p));
  }

  if (const json* c = field(doc, "completion_s")) {
    if (!c->is_array()) {
      r.warn("completion_s: expected an array of seconds, " + got(*c));
    } else {
      size_t bad = 0;
      bool sorted = true;
      for (const json& t : *c) {
        Opt d = num(&t);
        if (!d || *d < 0) {
          ++bad;
          continue;
        }
        if (!r.completion.empty() && *d < r.completion.back()) sorted = false;
        r.completion.push_back(*d);
      }
      if (bad) r.warn(fmt("completion_s: %zu entries are not seconds (left out)", bad));
      if (!sorted) {
        r.warn("completion_s: not sorted (sorted for the report)");
        std::sort(r.completion.begin(), r.completion.end());
      }
    }
  }
  r.failures = read_kvs(r, doc, "failures");
  r.bytes = read_kvs(r, doc, "bytes");
  r.retransmits = read_kvs(r, doc, "retransmits");
  r.faults = read_kvs(r, doc, "faults");
  r.counters = field(doc, "counters");

  if (r.completed && field(doc, "completion_s") && double(r.completion.size()) != *r.completed)
    r.warn(fmt("completion_s: %zu times for %.0f completed machines", r.completion.size(),
               *r.completed));
  if (r.clients && r.completed && r.failed && r.unfinished &&
      *r.completed + *r.failed + *r.unfinished != *r.clients)
    r.warn(fmt("completed %.0f + failed %.0f + unfinished %.0f is not clients %.0f", *r.completed,
               *r.failed, *r.unfinished, *r.clients));
  if (r.warnings_dropped) r.warnings.push_back(fmt("... and %zu more", r.warnings_dropped));
  return r;
}

std::vector<Run> read_runs(const std::vector<json>& docs) {
  std::vector<Run> runs;
  std::set<std::string> names;
  for (size_t i = 0; i < docs.size(); ++i) {
    Run r = read_run(docs[i], i);
    const std::string base = r.label.empty() ? fmt("run %zu", i + 1) : r.label;
    std::string name = base;
    for (size_t k = i + 1; names.count(name); ++k) name = base + fmt(" (%zu)", k);
    names.insert(name);
    r.name = name;
    runs.push_back(std::move(r));
  }
  return runs;
}

// When the ceil(frac * clients)-th machine had booted; absent when it never did.
Opt booted_at(const Run& r, double frac) {
  if (!r.clients || *r.clients <= 0) return std::nullopt;
  const double k = std::ceil(frac * *r.clients - 1e-9);
  if (k < 1 || k > double(r.completion.size())) return std::nullopt;
  return r.completion[size_t(k) - 1];
}

Opt ratio(Opt a, Opt ref) {
  if (!a || !ref || *ref <= 0) return std::nullopt;
  return *a / *ref;
}

Opt kv_get(const std::vector<Kv>& kvs, const std::string& key) {
  for (const Kv& kv : kvs)
    if (kv.key == key) return kv.value;
  return std::nullopt;
}

std::vector<std::string> union_keys(const std::vector<Run>& runs, std::vector<Kv> Run::*member) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const Run& r : runs)
    for (const Kv& kv : r.*member)
      if (seen.insert(kv.key).second) keys.push_back(kv.key);
  return keys;
}

std::vector<std::string> union_phases(const std::vector<Run>& runs) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const Run& r : runs)
    for (const Phase& p : r.phases)
      if (seen.insert(p.name).second) names.push_back(p.name);
  return names;
}

const Phase* find_phase(const Run& r, const std::string& name) {
  for (const Phase& p : r.phases)
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<std::string> union_settings(const std::vector<Run>& runs) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const Run& r : runs)
    for (const auto& kv : r.settings)
      if (seen.insert(kv.first).second) keys.push_back(kv.first);
  return keys;
}

const std::string* setting(const Run& r, const std::string& key) {
  for (const auto& kv : r.settings)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

bool setting_differs(const std::vector<Run>& runs, const std::string& key) {
  const std::string* first = setting(runs[0], key);
  for (const Run& r : runs) {
    const std::string* s = setting(r, key);
    if (bool(s) != bool(first) || (s && *s != *first)) return true;
  }
  return false;
}

// ---- numbers as text -------------------------------------------------------------------------

constexpr const char* kAbsent = "-";

// A count: no decimals when whole.
std::string f_count(Opt v) {
  if (!v) return kAbsent;
  if (*v == std::floor(*v) && std::fabs(*v) < 1e15) return fmt("%.0f", *v);
  return fmt("%.3g", *v);
}

std::string f_ms(Opt v) {
  if (!v) return kAbsent;
  const double a = std::fabs(*v);
  if (a < 1) return fmt("%.3f", *v);
  if (a < 10) return fmt("%.2f", *v);
  if (a < 1000) return fmt("%.1f", *v);
  return fmt("%.0f", *v);
}

std::string f_s(Opt v) {
  if (!v) return kAbsent;
  return fmt("%.3f", *v);
}

std::string f_ratio(Opt v) {
  if (!v) return kAbsent;
  return fmt("%.2fx", *v);
}

std::string f_bytes(Opt v) {
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

double total(const std::vector<Kv>& kvs, bool& any) {
  double t = 0;
  any = false;
  for (const Kv& kv : kvs)
    if (kv.value) {
      t += *kv.value;
      any = true;
    }
  return t;
}

// ---- text tables -----------------------------------------------------------------------------

// Rows of a key and one value per column; a row without values is a heading.
struct TextTable {
  std::vector<std::string> header;  // "" then a title per column
  std::vector<std::vector<std::string>> rows;

  void heading(std::string s) { rows.push_back({std::move(s)}); }
  void row(std::string key, std::vector<std::string> vals) {
    vals.insert(vals.begin(), std::move(key));
    rows.push_back(std::move(vals));
  }

  std::string render() const {
    std::vector<size_t> w(header.size(), 0);
    auto widen = [&](const std::vector<std::string>& r) {
      for (size_t i = 0; i < r.size() && i < w.size(); ++i)
        if (r.size() > 1 || i > 0) w[i] = std::max(w[i], columns(r[i]));
    };
    widen(header);
    for (const auto& r : rows) widen(r);
    std::string out;
    auto line = [&](const std::vector<std::string>& r) {
      std::string l;
      for (size_t i = 0; i < r.size() && i < w.size(); ++i) {
        const size_t pad = w[i] > columns(r[i]) ? w[i] - columns(r[i]) : 0;
        if (i == 0) {
          l += r[i];
          if (r.size() > 1) l.append(pad, ' ');
        } else {
          l += "  ";
          l.append(pad, ' ');
          l += r[i];
        }
      }
      while (!l.empty() && l.back() == ' ') l.pop_back();
      out += l + "\n";
    };
    line(header);
    for (const auto& r : rows) line(r);
    return out;
  }
};

constexpr size_t kMaxColumn = 40;

void add_settings_rows(TextTable& t, const std::vector<Run>& runs) {
  const auto keys = union_settings(runs);
  if (keys.empty()) return;
  t.heading(runs.size() > 1 ? "settings (* differs)" : "settings");
  for (const std::string& k : keys) {
    std::vector<std::string> vals;
    for (const Run& r : runs) {
      const std::string* s = setting(r, k);
      vals.push_back(s ? clip(term_safe(*s), kMaxColumn) : kAbsent);
    }
    const bool diff = runs.size() > 1 && setting_differs(runs, k);
    t.row((diff ? "* " : "  ") + clip(term_safe(k), kMaxColumn), vals);
  }
}

void add_kv_rows(TextTable& t, const std::vector<Run>& runs, std::vector<Kv> Run::*member,
                 const std::string& title, bool as_bytes) {
  const auto keys = union_keys(runs, member);
  if (keys.empty()) return;
  t.heading(title);
  for (const std::string& k : keys) {
    std::vector<std::string> vals;
    for (const Run& r : runs) {
      const Opt v = kv_get(r.*member, k);
      vals.push_back(as_bytes ? f_bytes(v) : f_count(v));
    }
    t.row("  " + clip(term_safe(k), kMaxColumn), vals);
  }
}

// ---- HTML ------------------------------------------------------------------------------------

const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"};
const char* const kDashes[] = {"", "6 3", "2 3", "8 3 2 3"};

std::string colour(size_t i) {
  return kColours[i % std::size(kColours)];
}
std::string dash(size_t i) {
  return kDashes[(i / std::size(kColours)) % std::size(kDashes)];
}

std::string h(std::string_view s) {
  return html_escape(s);
}

// SVG coordinates: one decimal is plenty.
std::string c1(double v) {
  std::string s = fmt("%.1f", v);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  if (s == "-0") s = "0";
  return s;
}

// A tick step of 1, 2 or 5 times a power of ten giving about `target` ticks up to `max`.
double nice_step(double max, int target, bool whole) {
  if (!(max > 0)) return 1;
  const double raw = max / target;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  const double f = raw / mag;
  double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  if (whole && step < 1) step = 1;
  return step;
}

std::string tick_text(double v, double step) {
  const int decimals = std::clamp(int(std::ceil(-std::log10(step) - 1e-9)), 0, 9);
  return fmt("%.*f", decimals, v);
}

struct Axis {
  double max = 1, step = 1;
  // 0, step, 2 step, ... max (a few dozen at most).
  std::vector<double> ticks() const {
    std::vector<double> t;
    const double n = std::min(std::round(max / step), 50.0);
    for (int k = 0; k <= int(n); ++k) t.push_back(k * step);
    return t;
  }
};

Axis make_axis(double data_max, int target, bool whole) {
  Axis a;
  if (!(data_max > 0) || !std::isfinite(data_max)) data_max = 1;
  a.step = nice_step(data_max, target, whole);
  a.max = std::ceil(data_max / a.step - 1e-9) * a.step;
  if (!std::isfinite(a.max) || !std::isfinite(a.step) || a.step <= 0) {
    a.max = data_max;
    a.step = data_max / target;
  }
  if (a.max <= 0) a.max = a.step;
  return a;
}

// A table cell: numbers right-aligned; `cls` adds a class.
std::string td(const std::string& text, const char* cls = nullptr) {
  if (cls) return std::string("<td class=\"") + cls + "\">" + h(text) + "</td>";
  return "<td>" + h(text) + "</td>";
}

std::string swatch(size_t i) {
  std::string style = "border-top-color:" + colour(i);
  if (!dash(i).empty()) style += ";border-top-style:dashed";
  return "<span class=\"sw\" style=\"" + style + "\"></span>";
}

std::string run_th(const Run& r, size_t i) {
  return "<th>" + swatch(i) + h(r.name) + "</th>";
}

const char* kCss =
    "body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Helvetica,Arial,sans-serif;"
    "margin:0 auto;max-width:1100px;padding:12px;color:#222;background:#fff;line-height:1.4}"
    "h1{font-size:1.35em;margin:.2em 0 .4em}"
    "h2{font-size:1.1em;margin:1.4em 0 .5em;border-bottom:1px solid #ddd;padding-bottom:.2em}"
    ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.92em}"
    "th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}"
    "th{font-weight:600;background:#f6f6f6;white-space:normal;overflow-wrap:anywhere}"
    "th:first-child,td:first-child,td.l{text-align:left}"
    "td.l{white-space:normal;overflow-wrap:anywhere;min-width:8em}"
    "tr.group td{border-top:1px solid #ccc}"
    "td.bad{color:#b00020;font-weight:600}"
    "tr.diff td{background:#fff4cc}"
    ".sw{display:inline-block;width:18px;height:0;border-top:3px solid #000;"
    "vertical-align:middle;margin-right:6px}"
    "ul.legend{list-style:none;padding:0;margin:.3em 0;display:flex;flex-wrap:wrap;gap:4px 18px}"
    "figure{margin:0}"
    "svg{display:block;width:100%;height:auto}"
    "svg.curve{max-width:760px}"
    "svg text{font-size:12px;fill:#333}"
    "svg.curve text{font-size:14px}"
    "@media (max-width:600px){svg.curve text{font-size:22px}}"
    ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(270px,1fr));gap:14px}"
    ".note{color:#666;font-size:.9em}"
    ".warn{color:#8a5300}"
    "details summary{cursor:pointer}";

void html_table_open(std::string& o, const std::vector<Run>& runs, const std::string& first) {
  o += "<div class=\"scroll\"><table><thead><tr><th>" + h(first) + "</th>";
  for (size_t i = 0; i < runs.size(); ++i) o += run_th(runs[i], i);
  o += "</tr></thead><tbody>";
}

void html_table_close(std::string& o) {
  o += "</tbody></table></div>";
}

void html_row(std::string& o, const std::string& key, const std::vector<std::string>& vals,
              const char* tr_class = nullptr, const std::vector<bool>* bad = nullptr) {
  o += tr_class ? std::string("<tr class=\"") + tr_class + "\">" : std::string("<tr>");
  o += "<td>" + h(key) + "</td>";
  for (size_t i = 0; i < vals.size(); ++i)
    o += td(vals[i], bad && i < bad->size() && (*bad)[i] ? "bad" : nullptr);
  o += "</tr>";
}

// Booted machines over time: a polyline per run, a point per completion.
void html_completion(std::string& o, const std::vector<Run>& runs) {
  const double W = 640, H = 390, L = 64, R = 18, T = 40, B = 56;
  const double pw = W - L - R, ph = H - T - B;
  double tmax = 0, ymax = 0;
  for (const Run& r : runs) {
    if (r.makespan) tmax = std::max(tmax, *r.makespan);
    if (!r.completion.empty()) tmax = std::max(tmax, r.completion.back());
    if (r.clients) ymax = std::max(ymax, *r.clients);
    ymax = std::max(ymax, double(r.completion.size()));
  }
  const Axis ax = make_axis(tmax, 6, false);
  const Axis ay = make_axis(ymax, 6, true);
  const bool thousands = ay.max >= 10000;  // "10k": tick labels that fit on a phone
  auto X = [&](double t) { return L + t / ax.max * pw; };
  auto Y = [&](double n) { return T + ph - n / ay.max * ph; };

  o += "<ul class=\"legend\">";
  for (size_t i = 0; i < runs.size(); ++i) {
    o += "<li>" + swatch(i) + h(runs[i].name);
    if (runs.size() > 1 && i == 0) o += " <span class=\"note\">(reference)</span>";
    o += "</li>";
  }
  o += "</ul>";
  o += "<figure><svg class=\"curve\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + c1(W) +
       " " + c1(H) + "\" role=\"img\" aria-label=\"machines booted over time\">";
  // grid and ticks
  o += "<g stroke=\"#e4e4e4\" stroke-width=\"1\">";
  for (const double v : ax.ticks())
    o += "<line x1=\"" + c1(X(v)) + "\" y1=\"" + c1(T) + "\" x2=\"" + c1(X(v)) + "\" y2=\"" +
         c1(T + ph) + "\"/>";
  for (const double v : ay.ticks())
    o += "<line x1=\"" + c1(L) + "\" y1=\"" + c1(Y(v)) + "\" x2=\"" + c1(L + pw) + "\" y2=\"" +
         c1(Y(v)) + "\"/>";
  o += "</g><g stroke=\"#555\" stroke-width=\"1\">";
  o += "<line x1=\"" + c1(L) + "\" y1=\"" + c1(T + ph) + "\" x2=\"" + c1(L + pw) + "\" y2=\"" +
       c1(T + ph) + "\"/>";
  o += "<line x1=\"" + c1(L) + "\" y1=\"" + c1(T) + "\" x2=\"" + c1(L) + "\" y2=\"" + c1(T + ph) +
       "\"/>";
  for (const double v : ax.ticks())
    o += "<line x1=\"" + c1(X(v)) + "\" y1=\"" + c1(T + ph) + "\" x2=\"" + c1(X(v)) + "\" y2=\"" +
         c1(T + ph + 5) + "\"/>";
  for (const double v : ay.ticks())
    o += "<line x1=\"" + c1(L - 5) + "\" y1=\"" + c1(Y(v)) + "\" x2=\"" + c1(L) + "\" y2=\"" +
         c1(Y(v)) + "\"/>";
  o += "</g><g text-anchor=\"middle\">";
  for (const double v : ax.ticks())
    o += "<text x=\"" + c1(X(v)) + "\" y=\"" + c1(T + ph + 24) + "\">" + tick_text(v, ax.step) +
         "</text>";
  o += "<text x=\"" + c1(L + pw / 2) + "\" y=\"" + c1(H - 6) +
       "\">time since the first frame (s)</text>";
  o += "</g><g text-anchor=\"end\">";
  for (const double v : ay.ticks())
    o += "<text x=\"" + c1(L - 8) + "\" y=\"" + c1(Y(v) + 5) + "\">" +
         (thousands ? tick_text(v / 1000, ay.step / 1000) + "k" : tick_text(v, ay.step)) +
         "</text>";
  o += "</g><text x=\"4\" y=\"" + c1(T - 14) + "\">machines booted</text>";
  for (size_t i = 0; i < runs.size(); ++i) {
    const Run& r = runs[i];
    if (r.completion.empty()) continue;
    o += "<polyline class=\"curve\" fill=\"none\" stroke=\"" + colour(i) +
         "\" stroke-width=\"2\" stroke-linejoin=\"round\"";
    if (!dash(i).empty()) o += " stroke-dasharray=\"" + dash(i) + "\"";
    o += " points=\"";
    for (size_t k = 0; k < r.completion.size(); ++k) {
      if (k) o += ' ';
      o += c1(X(r.completion[k])) + "," + c1(Y(double(k + 1)));
    }
    o += "\"><title>" + h(r.name) + "</title></polyline>";
  }
  o += "</svg></figure>";
  for (const Run& r : runs)
    if (r.completion.empty())
      o += "<p class=\"note\">" + h(r.name) + ": no completion times, so no curve.</p>";
}

// One small chart per phase: p50, p90, p99, max, a bar per run in each.
void html_phase_bars(std::string& o, const std::vector<Run>& runs,
                     const std::vector<std::string>& phases) {
  const double W = 320, H = 200, L = 50, R = 8, T = 26, B = 24;
  const double pw = W - L - R, ph = H - T - B;
  const char* const kStats[] = {"p50", "p90", "p99", "max"};
  o += "<div class=\"charts\">";
  size_t drawn = 0;
  for (const std::string& name : phases) {
    double vmax = 0;
    bool any = false;
    std::vector<std::array<Opt, 4>> vals;
    for (const Run& r : runs) {
      const Phase* p = find_phase(r, name);
      std::array<Opt, 4> v{};
      if (p) v = {p->p50, p->p90, p->p99, p->max};
      for (const Opt& x : v)
        if (x) {
          any = true;
          vmax = std::max(vmax, *x);
        }
      vals.push_back(v);
    }
    if (!any) continue;
    ++drawn;
    const Axis ay = make_axis(vmax, 4, false);
    auto Y = [&](double v) { return T + ph - v / ay.max * ph; };
    // Ten seconds and more: ticks in seconds, that they fit.
    const bool secs = ay.max >= 10000;
    const double unit = secs ? 1000 : 1;
    o += "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + c1(W) + " " + c1(H) +
         "\" role=\"img\" aria-label=\"" + h(name) + " latency percentiles (ms)\">";
    o += "<text x=\"" + c1(L) + "\" y=\"16\" style=\"font-weight:600\">" + h(name) +
         "</text><text x=\"" + c1(W - R) + "\" y=\"16\" text-anchor=\"end\">" +
         (secs ? "latency (s)" : "latency (ms)") + "</text>";
    o += "<g stroke=\"#e4e4e4\">";
    for (const double v : ay.ticks())
      o += "<line x1=\"" + c1(L) + "\" y1=\"" + c1(Y(v)) + "\" x2=\"" + c1(L + pw) + "\" y2=\"" +
           c1(Y(v)) + "\"/>";
    o += "</g><g text-anchor=\"end\">";
    for (const double v : ay.ticks())
      o += "<text x=\"" + c1(L - 5) + "\" y=\"" + c1(Y(v) + 4) + "\">" +
           tick_text(v / unit, ay.step / unit) + "</text>";
    o += "</g>";
    const double gw = pw / 4;
    const double bw = gw * 0.8 / double(runs.size());
    for (size_t s = 0; s < 4; ++s) {
      const double gx = L + gw * double(s) + gw * 0.1;
      for (size_t i = 0; i < runs.size(); ++i) {
        const Opt v = vals[i][s];
        if (!v) continue;
        const double y = Y(*v);
        o += "<rect x=\"" + c1(gx + bw * double(i)) + "\" y=\"" + c1(y) + "\" width=\"" +
             c1(std::max(bw - 1, 0.5)) + "\" height=\"" + c1(std::max(T + ph - y, 0.0)) +
             "\" fill=\"" + colour(i) + "\"><title>" + h(runs[i].name) + ": " + kStats[s] + " " +
             f_ms(v) + " ms</title></rect>";
      }
      o += "<text x=\"" + c1(L + gw * (double(s) + 0.5)) + "\" y=\"" + c1(H - 7) +
           "\" text-anchor=\"middle\">" + kStats[s] + "</text>";
    }
    o += "<line x1=\"" + c1(L) + "\" y1=\"" + c1(T + ph) + "\" x2=\"" + c1(L + pw) + "\" y2=\"" +
         c1(T + ph) + "\" stroke=\"#555\"/>";
    o += "</svg></figure>";
  }
  o += "</div>";
  if (!drawn) o += "<p class=\"note\">No phase latencies to draw.</p>";
}

void html_phase_table(std::string& o, const std::vector<Run>& runs,
                      const std::vector<std::string>& phases) {
  const bool many = runs.size() > 1;
  o += "<div class=\"scroll\"><table><thead><tr><th>phase</th>";
  if (many) o += "<th>run</th>";
  o += "<th>count</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th>"
       "<th>mean ms</th><th>retransmits</th><th>failed</th></tr></thead><tbody>";
  for (const std::string& name : phases) {
    for (size_t i = 0; i < runs.size(); ++i) {
      const Phase* p = find_phase(runs[i], name);
      const Phase none;
      if (!p) p = &none;
      o += (many && i == 0) ? "<tr class=\"group\">" : "<tr>";
      if (!many || i == 0)
        o += "<td" + std::string(many ? " rowspan=\"" + std::to_string(runs.size()) + "\"" : "") +
             ">" + h(name) + "</td>";
      if (many) o += "<td class=\"l\">" + swatch(i) + h(runs[i].name) + "</td>";
      o += td(f_count(p->count)) + td(f_ms(p->p50)) + td(f_ms(p->p90)) + td(f_ms(p->p99)) +
           td(f_ms(p->max)) + td(f_ms(p->mean)) + td(f_count(p->retransmits)) +
           td(f_count(p->failed), p->failed && *p->failed > 0 ? "bad" : nullptr) + "</tr>";
    }
  }
  html_table_close(o);
}

void html_kv_table(std::string& o, const std::vector<Run>& runs, std::vector<Kv> Run::*member,
                   const std::string& first, bool as_bytes, bool zero_is_good) {
  const auto keys = union_keys(runs, member);
  html_table_open(o, runs, first);
  for (const std::string& k : keys) {
    std::vector<std::string> vals;
    std::vector<bool> bad;
    for (const Run& r : runs) {
      const Opt v = kv_get(r.*member, k);
      vals.push_back(as_bytes ? f_bytes(v) : f_count(v));
      bad.push_back(zero_is_good && v && *v > 0);
    }
    html_row(o, k, vals, nullptr, &bad);
  }
  html_table_close(o);
}

// counters: nested objects flattened to dotted keys.
void flatten(const json& v, const std::string& path, int depth,
             std::vector<std::pair<std::string, std::string>>& out) {
  constexpr size_t kMaxRows = 2000;
  if (out.size() >= kMaxRows) return;
  if (v.is_object() && depth < 6 && !v.empty()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      flatten(it.value(), path.empty() ? it.key() : path + "." + it.key(), depth + 1, out);
    return;
  }
  std::string text;
  if (v.is_array() && v.size() > 16)
    text = fmt("[%zu values]", v.size());
  else
    text = scalar_text(v);
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  out.emplace_back(path.empty() ? "(value)" : path, text);
}

void html_counters(std::string& o, const std::vector<Run>& runs) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  std::vector<std::map<std::string, std::string>> per_run;
  for (const Run& r : runs) {
    std::vector<std::pair<std::string, std::string>> flat;
    if (r.counters) flatten(*r.counters, "", 0, flat);
    std::map<std::string, std::string> m;
    for (auto& kv : flat) {
      if (seen.insert(kv.first).second) keys.push_back(kv.first);
      m.emplace(kv.first, kv.second);
    }
    per_run.push_back(std::move(m));
  }
  if (keys.empty()) return;
  o += "<details><summary>Counters (" + std::to_string(keys.size()) + ")</summary>";
  html_table_open(o, runs, "counter");
  for (const std::string& k : keys) {
    std::vector<std::string> vals;
    for (const auto& m : per_run) {
      auto it = m.find(k);
      vals.push_back(it == m.end() ? kAbsent : it->second);
    }
    html_row(o, k, vals);
  }
  html_table_close(o);
  o += "</details>";
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (size_t i = 0; i < s.size();) {
    const int32_t cp = next_cp(s, i);
    switch (cp) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\t':
      case '\n':
        out += char(cp);
        break;
      default:
        if (cp < 0 || is_control(cp) || cp == 0xFFFE || cp == 0xFFFF)
          put_utf8(out, 0xFFFD);
        else
          put_utf8(out, cp);
    }
  }
  return out;
}

StormCheck check_storm(const json& run) {
  StormCheck c;
  if (!run.is_object()) {
    c.fatal = std::string("not a JSON object (") + run.type_name() + ")";
    return c;
  }
  if (const json* t = field(run, "tool"); t && t->is_string() && t->get<std::string>() != kTool) {
    c.fatal = "a report of \"" + term_safe(t->get<std::string>()) + "\", not of \"" + kTool + "\"";
    return c;
  }
  static const char* const kKeys[] = {"tool",       "clients",     "completed",
                                      "makespan_s", "phases",      "completion_s",
                                      "failures",   "phase_order", "settings"};
  bool any = false;
  for (const char* k : kKeys) any = any || field(run, k);
  if (!any) {
    c.fatal = "none of a storm report's keys (tool, clients, completed, makespan_s, phases, ...)";
    return c;
  }
  Run r = read_run(run, 0);
  c.warnings = std::move(r.warnings);
  return c;
}

double makespan_ratio(const json& run, const json& reference) {
  const Opt a = num(field(run, "makespan_s"));
  const Opt ref = num(field(reference, "makespan_s"));
  const Opt q = ratio(a && *a >= 0 ? a : std::nullopt, ref);
  return q ? *q : -1;
}

void print_storm_summary(std::FILE* f, const json& doc) {
  const Run r = read_runs({doc})[0];
  std::string o;
  o += "storm " + term_safe(r.name);
  if (!r.started_at.empty()) o += ", started " + term_safe(r.started_at);
  if (!r.machine.empty()) o += ", on " + term_safe(r.machine);
  o += "\n";
  o += "clients " + f_count(r.clients) + ": completed " + f_count(r.completed) + ", failed " +
       f_count(r.failed) + ", unfinished " + f_count(r.unfinished) + "\n";
  o += "makespan " + (r.makespan ? f_s(r.makespan) + " s" : std::string(kAbsent));
  o += "; booted: half at " + f_s(booted_at(r, 0.5)) + " s, 90% at " + f_s(booted_at(r, 0.9)) +
       " s, all at " + f_s(booted_at(r, 1.0)) + " s\n";
  if (!r.phases.empty()) {
    TextTable t;
    t.header = {"phase",  "count",   "p50 ms",      "p90 ms", "p99 ms",
                "max ms", "mean ms", "retransmits", "failed"};
    for (const Phase& p : r.phases)
      t.row(clip(term_safe(p.name), kMaxColumn),
            {f_count(p.count), f_ms(p.p50), f_ms(p.p90), f_ms(p.p99), f_ms(p.max), f_ms(p.mean),
             f_count(p.retransmits), f_count(p.failed)});
    o += t.render();
  } else {
    o += "phases: none\n";
  }
  auto kv_line = [&](const char* title, const std::vector<Kv>& kvs, bool as_bytes, bool skip_zero) {
    std::string l;
    size_t zeros = 0;
    for (const Kv& kv : kvs) {
      if (skip_zero && kv.value && *kv.value == 0) {
        ++zeros;
        continue;
      }
      l += (l.empty() ? " " : ", ") + term_safe(kv.key) + " " +
           (as_bytes ? f_bytes(kv.value) : f_count(kv.value));
    }
    if (kvs.empty()) return;
    if (l.empty()) l = " none";
    o += std::string(title) + ":" + l + "\n";
  };
  kv_line("failures", r.failures, false, true);
  kv_line("bytes", r.bytes, true, false);
  kv_line("retransmits", r.retransmits, false, false);
  kv_line("faults injected", r.faults, false, true);
  if (!r.settings.empty()) {
    std::string l;
    for (const auto& kv : r.settings)
      l += (l.empty() ? " " : " ") + term_safe(kv.first) + "=" + term_safe(kv.second);
    o += "settings:" + l + "\n";
  }
  for (const std::string& w : r.warnings) o += "warning: " + term_safe(w) + "\n";
  std::fputs(o.c_str(), f);
}

std::string compare_text(const std::vector<json>& docs) {
  if (docs.empty()) return "no runs\n";
  const std::vector<Run> runs = read_runs(docs);
  TextTable t;
  t.header.push_back("");
  for (size_t i = 0; i < runs.size(); ++i)
    t.header.push_back(clip(term_safe(runs[i].name), kMaxColumn) +
                       (i == 0 && runs.size() > 1 ? " (ref)" : ""));
  auto each = [&](auto f) {
    std::vector<std::string> v;
    for (const Run& r : runs) v.push_back(f(r));
    return v;
  };
  bool any_started = false, any_machine = false;
  for (const Run& r : runs) {
    any_started = any_started || !r.started_at.empty();
    any_machine = any_machine || !r.machine.empty();
  }
  if (any_started)
    t.row("started at", each([](const Run& r) {
            return r.started_at.empty() ? std::string(kAbsent)
                                        : clip(term_safe(r.started_at), kMaxColumn);
          }));
  if (any_machine)
    t.row("machine", each([](const Run& r) {
            return r.machine.empty() ? std::string(kAbsent)
                                     : clip(term_safe(r.machine), kMaxColumn);
          }));
  t.row("clients", each([](const Run& r) { return f_count(r.clients); }));
  t.row("completed", each([](const Run& r) { return f_count(r.completed); }));
  t.row("failed", each([](const Run& r) { return f_count(r.failed); }));
  t.row("unfinished", each([](const Run& r) { return f_count(r.unfinished); }));
  t.row("makespan s", each([](const Run& r) { return f_s(r.makespan); }));
  const Opt ref = runs[0].makespan;
  t.row("makespan / reference",
        each([&](const Run& r) { return f_ratio(ratio(r.makespan, ref)); }));
  t.row("half booted s", each([](const Run& r) { return f_s(booted_at(r, 0.5)); }));
  t.row("90% booted s", each([](const Run& r) { return f_s(booted_at(r, 0.9)); }));
  t.row("all booted s", each([](const Run& r) { return f_s(booted_at(r, 1.0)); }));
  const auto phases = union_phases(runs);
  if (!phases.empty()) {
    t.heading("phase latency (ms), retransmits, failed");
    for (const std::string& name : phases) {
      const std::string n = "  " + clip(term_safe(name), kMaxColumn);
      auto stat = [&](Opt Phase::*m, bool ms) {
        return each([&](const Run& r) {
          const Phase* p = find_phase(r, name);
          return p ? (ms ? f_ms(p->*m) : f_count(p->*m)) : std::string(kAbsent);
        });
      };
      t.row(n + " p50", stat(&Phase::p50, true));
      t.row(n + " p90", stat(&Phase::p90, true));
      t.row(n + " p99", stat(&Phase::p99, true));
      t.row(n + " max", stat(&Phase::max, true));
      t.row(n + " retransmits", stat(&Phase::retransmits, false));
      bool failures = false;
      for (const Run& r : runs)
        if (const Phase* p = find_phase(r, name); p && p->failed && *p->failed > 0) failures = true;
      if (failures) t.row(n + " failed", stat(&Phase::failed, false));
    }
  }
  add_kv_rows(t, runs, &Run::retransmits, "retransmits", false);
  add_kv_rows(t, runs, &Run::failures, "failures", false);
  add_kv_rows(t, runs, &Run::bytes, "bytes", true);
  add_kv_rows(t, runs, &Run::faults, "faults injected", false);
  add_settings_rows(t, runs);
  std::string o = t.render();
  for (const Run& r : runs)
    for (const std::string& w : r.warnings)
      o += "warning: " + term_safe(r.name) + ": " + term_safe(w) + "\n";
  return o;
}

std::string storm_html(const std::vector<json>& docs) {
  const std::vector<Run> runs = read_runs(docs);
  const bool many = runs.size() > 1;
  std::string title;
  if (runs.empty()) {
    title = "Boot storm: no runs";
  } else if (!many) {
    title = "Boot storm: " + runs[0].name;
  } else {
    title = "Boot storm comparison: ";
    for (size_t i = 0; i < runs.size(); ++i) title += (i ? " vs " : "") + runs[i].name;
  }
  std::string o;
  o.reserve(64 * 1024);
  o += "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head>"
       "<meta charset=\"utf-8\"/>"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "style-src 'unsafe-inline'\"/>"
       "<meta name=\"generator\" content=\"bootstorm-bench\"/>";
  o += "<title>" + h(title) + "</title><style>" + kCss + "</style></head><body>\n";
  o += "<h1>" + h(title) + "</h1>\n";
  if (runs.empty()) {
    o += "<p>No runs.</p></body></html>\n";
    return o;
  }

  // Runs
  o += "<div class=\"scroll\"><table><thead><tr><th>run</th><th>started</th><th>machine</th>"
       "</tr></thead><tbody>";
  for (size_t i = 0; i < runs.size(); ++i) {
    const Run& r = runs[i];
    o += "<tr><td>" + swatch(i) + h(r.name) +
         (many && i == 0 ? " <span class=\"note\">(reference)</span>" : "") + "</td>" +
         "<td class=\"l\">" + h(r.started_at.empty() ? kAbsent : r.started_at) + "</td>" +
         "<td class=\"l\">" + h(r.machine.empty() ? kAbsent : r.machine) + "</td></tr>";
  }
  html_table_close(o);

  // Summary
  o += "\n<h2>Summary</h2>";
  html_table_open(o, runs, "");
  auto each = [&](auto f) {
    std::vector<std::string> v;
    for (const Run& r : runs) v.push_back(f(r));
    return v;
  };
  auto bad_if = [&](auto f) {
    std::vector<bool> v;
    for (const Run& r : runs) v.push_back(f(r));
    return v;
  };
  html_row(o, "clients", each([](const Run& r) { return f_count(r.clients); }));
  html_row(o, "completed", each([](const Run& r) { return f_count(r.completed); }));
  {
    auto bad = bad_if([](const Run& r) { return r.failed && *r.failed > 0; });
    html_row(o, "failed", each([](const Run& r) { return f_count(r.failed); }), nullptr, &bad);
  }
  {
    auto bad = bad_if([](const Run& r) { return r.unfinished && *r.unfinished > 0; });
    html_row(o, "unfinished", each([](const Run& r) { return f_count(r.unfinished); }), nullptr,
             &bad);
  }
  html_row(o, "makespan (s)", each([](const Run& r) { return f_s(r.makespan); }));
  if (many) {
    const Opt ref = runs[0].makespan;
    html_row(o, "makespan / reference",
             each([&](const Run& r) { return f_ratio(ratio(r.makespan, ref)); }));
  }
  html_row(o, "half booted (s)", each([](const Run& r) { return f_s(booted_at(r, 0.5)); }));
  html_row(o, "90% booted (s)", each([](const Run& r) { return f_s(booted_at(r, 0.9)); }));
  html_row(o, "all booted (s)", each([](const Run& r) { return f_s(booted_at(r, 1.0)); }));
  html_row(o, "retransmits (all)", each([](const Run& r) {
             bool any = false;
             const double t = total(r.retransmits, any);
             return any ? f_count(t) : std::string(kAbsent);
           }));
  html_row(o, "failures (all)", each([](const Run& r) {
             bool any = false;
             const double t = total(r.failures, any);
             return any ? f_count(t) : std::string(kAbsent);
           }));
  html_table_close(o);

  // Completion curve
  o += "\n<h2>Machines booted over time</h2>";
  html_completion(o, runs);

  // Phases
  const auto phases = union_phases(runs);
  o += "\n<h2>Latency per phase</h2>";
  if (phases.empty()) {
    o += "<p class=\"note\">No phases in the report.</p>";
  } else {
    html_phase_table(o, runs, phases);
    o += "<p class=\"note\">Percentiles per machine, in milliseconds; each chart has its own "
         "scale.</p>";
    html_phase_bars(o, runs, phases);
  }

  // Retransmissions, failures, bytes, faults
  o += "\n<h2>Retransmissions</h2>";
  if (union_keys(runs, &Run::retransmits).empty())
    o += "<p class=\"note\">None reported.</p>";
  else
    html_kv_table(o, runs, &Run::retransmits, "protocol", false, false);
  o += "\n<h2>Failures</h2>";
  if (union_keys(runs, &Run::failures).empty())
    o += "<p class=\"note\">None reported.</p>";
  else
    html_kv_table(o, runs, &Run::failures, "reason", false, true);
  if (!union_keys(runs, &Run::bytes).empty()) {
    o += "\n<h2>Bytes</h2>";
    html_kv_table(o, runs, &Run::bytes, "protocol", true, false);
  }
  if (!union_keys(runs, &Run::faults).empty()) {
    o += "\n<h2>Injected faults</h2>";
    html_kv_table(o, runs, &Run::faults, "fault", false, false);
  }

  // Settings
  o += "\n<h2>Settings</h2>";
  const auto keys = union_settings(runs);
  if (keys.empty()) {
    o += "<p class=\"note\">None reported.</p>";
  } else {
    if (many) o += "<p class=\"note\">Highlighted: differs between runs.</p>";
    html_table_open(o, runs, "setting");
    for (const std::string& k : keys) {
      std::vector<std::string> vals;
      for (const Run& r : runs) {
        const std::string* s = setting(r, k);
        vals.push_back(s ? *s : kAbsent);
      }
      html_row(o, k, vals, many && setting_differs(runs, k) ? "diff" : nullptr);
    }
    html_table_close(o);
  }
  html_counters(o, runs);

  bool any_warning = false;
  for (const Run& r : runs) any_warning = any_warning || !r.warnings.empty();
  if (any_warning) {
    o += "\n<h2>Problems in the reports</h2><ul class=\"warn\">";
    for (const Run& r : runs)
      for (const std::string& w : r.warnings) o += "<li>" + h(r.name) + ": " + h(w) + "</li>";
    o += "</ul>";
  }
  o += "\n<p class=\"note\">bootstorm-bench storm report</p></body></html>\n";
  return o;
}

json compare_json(const std::vector<json>& docs, const std::vector<std::string>& files) {
  const std::vector<Run> runs = read_runs(docs);
  json j = json::object();
  j["tool"] = kCompareTool;
  if (!files.empty()) j["files"] = files;
  json labels = json::array(), ratios = json::array();
  for (const Run& r : runs) {
    labels.push_back(r.name);
    const Opt q = ratio(r.makespan, runs[0].makespan);
    ratios.push_back(q ? json(*q) : json(nullptr));
  }
  j["labels"] = labels;
  j["makespan_ratio"] = ratios;
  j["runs"] = docs;
  return j;
}

}  // namespace bs::bench
