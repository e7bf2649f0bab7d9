// The text side of the storm report (storm_report.hpp): the storm document read and checked
// (read_runs, check_storm), the summary of one run for a terminal, the side-by-side text
// comparison and `compare --json`. The HTML page is storm_html.cpp's; the helpers both share are
// in storm_report_internal.hpp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>

#include "storm_report.hpp"
#include "storm_report_internal.hpp"

namespace bs::bench {

using namespace storm_report_detail;

namespace {

constexpr const char* kTool = "bootstorm-bench storm";
constexpr const char* kCompareTool = "bootstorm-bench compare";

const char* const kKnownPhases[] = {"dhcp",   "bootfile", "config",    "modules",
                                    "kernel", "initrd",   "kickstart", "total"};

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

}  // namespace

namespace storm_report_detail {

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

}  // namespace storm_report_detail

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
