// The HTML side of the storm report (storm_report.hpp): storm_html()'s self-contained page (inline
// CSS and SVG: the completion curve, per-phase latency tables and bar charts, retransmissions,
// failures, bytes, faults, settings and counters) and html_escape(). The runs are read by
// storm_report.cpp (storm_report_internal.hpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "storm_report.hpp"
#include "storm_report_internal.hpp"

namespace bs::bench {

using namespace storm_report_detail;

namespace {

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

}  // namespace bs::bench
