// The storm's report (bench/storm_report.hpp): the terminal summary, the side-by-side text, the
// HTML page (escaping, one completion polyline per run, well-formedness) and malformed documents.
#include "bench/storm_report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <vector>

namespace bs::bench {
namespace {

using json = nlohmann::json;

json phase(double count, double p50, double p90, double p99, double max, double retrans = 0,
           double failed = 0) {
  return {{"count", count},         {"p50_ms", p50},   {"p90_ms", p90},
          {"p99_ms", p99},          {"max_ms", max},   {"mean_ms", (p50 + p90) / 2},
          {"retransmits", retrans}, {"failed", failed}};
}

// A storm of `clients` machines, completions at 1, 2, ... seconds times `scale`.
json storm(const std::string& label, int clients, int completed, double scale) {
  json j;
  j["tool"] = "bootstorm-bench storm";
  j["label"] = label;
  j["started_at"] = "2026-11-23T10:00:00Z";
  j["machine"] = "lab box";
  j["clients"] = clients;
  j["completed"] = completed;
  j["failed"] = clients - completed;
  j["unfinished"] = 0;
  json c = json::array();
  for (int i = 0; i < completed; ++i) c.push_back(double(i + 1) * scale);
  j["completion_s"] = c;
  j["makespan_s"] = double(completed) * scale + 0.25;
  j["settings"] = {
      {"blksize", 1468}, {"windowsize", 64}, {"arrival", "all"}, {"loss", 0.02}, {"seed", 1}};
  j["phase_order"] = {"dhcp", "bootfile", "kernel", "total"};
  j["phases"] = {{"dhcp", phase(clients, 1.2, 2, 3, 4)},
                 {"bootfile", phase(clients, 10, 20, 30, 40, 3)},
                 {"kernel", phase(completed, 2500, 3000, 3500, 4000, 12, clients - completed)},
                 {"total", phase(completed, 5000, 6000, 7000, 8000)}};
  j["failures"] = {{"tftp_timeout", clients - completed}, {"dhcp_timeout", 0}};
  j["bytes"] = {{"tftp", 123456789}, {"http", 4567}};
  j["retransmits"] = {{"dhcp", 0}, {"tftp", 15}, {"http", 0}};
  j["faults"] = {{"rx_dropped", 7}, {"tx_dropped", 0}};
  j["counters"] = {{"frames", {{"rx", 10}, {"tx", 20}}}, {"arp_replies", 1}};
  return j;
}

std::string summary(const json& run) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  EXPECT_NE(f, nullptr);
  print_storm_summary(f, run);
  std::fclose(f);
  std::string s(buf, len);
  std::free(buf);
  return s;
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The line of `text` that starts with `key` (after spaces).
std::string line_of(const std::string& text, const std::string& key) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string l = text.substr(at, end - at);
    const size_t b = l.find_first_not_of(' ');
    if (b != std::string::npos && l.compare(b, key.size(), key) == 0) return l;
    at = end + 1;
  }
  return {};
}

std::vector<std::string> words(const std::string& l) {
  std::vector<std::string> w;
  std::string cur;
  for (char c : l) {
    if (c == ' ') {
      if (!cur.empty()) w.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) w.push_back(cur);
  return w;
}

// The attribute `name` of every element `<tag ...>`.
std::vector<std::string> attrs(const std::string& html, const std::string& tag,
                               const std::string& name) {
  std::vector<std::string> out;
  const std::string open = "<" + tag + " ";
  for (size_t at = html.find(open); at != std::string::npos; at = html.find(open, at + 1)) {
    const size_t end = html.find('>', at);
    const std::string el = html.substr(at, end - at);
    const size_t a = el.find(" " + name + "=\"");
    if (a == std::string::npos) {
      out.push_back("");
      continue;
    }
    const size_t v = a + name.size() + 3;
    out.push_back(el.substr(v, el.find('"', v) - v));
  }
  return out;
}

// A small XML well-formedness check: elements nest and close, attribute values are quoted, '<'
// and '&' appear only as markup and entities. Empty when fine, else what is wrong and where.
std::string xml_problem(const std::string& s) {
  std::vector<std::string> stack;
  size_t i = 0;
  auto entity_ok = [&](size_t at) {
    const size_t semi = s.find(';', at);
    if (semi == std::string::npos || semi - at > 10) return false;
    const std::string e = s.substr(at + 1, semi - at - 1);
    if (e == "amp" || e == "lt" || e == "gt" || e == "quot" || e == "apos") return true;
    if (e.size() > 1 && e[0] == '#')
      return std::all_of(e.begin() + 1, e.end(), [](char c) { return std::isdigit(c); });
    return false;
  };
  while (i < s.size()) {
    if (s[i] == '&') {
      if (!entity_ok(i)) return "bad entity at " + std::to_string(i);
      ++i;
      continue;
    }
    if (s[i] != '<') {
      ++i;
      continue;
    }
    if (s.compare(i, 4, "<!--") == 0) {
      const size_t e = s.find("-->", i);
      if (e == std::string::npos) return "open comment";
      i = e + 3;
      continue;
    }
    if (s.compare(i, 2, "<!") == 0) {
      i = s.find('>', i) + 1;
      continue;
    }
    const bool closing = s[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    std::string name;
    while (j < s.size() &&
           (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '-' || s[j] == ':'))
      name += s[j++];
    if (name.empty()) return "'<' not starting a tag at " + std::to_string(i);
    bool self = false;
    while (j < s.size() && s[j] != '>') {
      if (s[j] == '"' || s[j] == '\'') {
        const size_t e = s.find(s[j], j + 1);
        if (e == std::string::npos) return "open attribute value";
        for (size_t k = j + 1; k < e; ++k) {
          if (s[k] == '<') return "'<' in an attribute at " + std::to_string(k);
          if (s[k] == '&' && !entity_ok(k))
            return "bad entity in an attribute at " + std::to_string(k);
        }
        j = e + 1;
        continue;
      }
      if (s[j] == '=' && j + 1 < s.size() && s[j + 1] != '"' && s[j + 1] != '\'')
        return "unquoted attribute at " + std::to_string(j);
      if (s[j] == '/' && j + 1 < s.size() && s[j + 1] == '>') self = true;
      if (s[j] == '<') return "'<' inside a tag at " + std::to_string(j);
      ++j;
    }
    if (j >= s.size()) return "open tag " + name;
    if (closing) {
      if (stack.empty() || stack.back() != name)
        return "</" + name + "> closes " + (stack.empty() ? "nothing" : "<" + stack.back() + ">");
      stack.pop_back();
    } else if (!self) {
      stack.push_back(name);
    }
    i = j + 1;
  }
  if (!stack.empty()) return "<" + stack.back() + "> not closed";
  return {};
}

bool have_xmllint() {
  return std::system("command -v xmllint >/dev/null 2>&1") == 0;
}

// xmllint's own verdict (XML mode, as the page is polyglot); its complaints on stderr.
int xmllint(const std::string& html) {
  char path[] = "/tmp/bs-storm-report-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, html.data(), html.size()), ssize_t(html.size()));
  close(fd);
  const int rc = std::system(("xmllint --noout --nonet " + std::string(path)).c_str());
  unlink(path);
  return rc;
}

void expect_well_formed(const std::string& html) {
  EXPECT_EQ(xml_problem(html), "");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  if (have_xmllint()) {
    EXPECT_EQ(xmllint(html), 0);
  }
}

// ---------------------------------------------------------------------------------------------

TEST(StormSummary, Numbers) {
  const std::string s = summary(storm("bootstorm", 200, 198, 0.05));
  EXPECT_NE(s.find("storm bootstorm, started 2026-11-23T10:00:00Z, on lab box"), std::string::npos)
      << s;
  EXPECT_NE(s.find("clients 200: completed 198, failed 2, unfinished 0"), std::string::npos) << s;
  EXPECT_NE(s.find("makespan 10.150 s"), std::string::npos) << s;
  // half of 200 = the 100th completion (5 s), 90% the 180th (9 s), all: never.
  EXPECT_NE(s.find("half at 5.000 s, 90% at 9.000 s, all at - s"), std::string::npos) << s;
  EXPECT_EQ(words(line_of(s, "phase")),
            (std::vector<std::string>{"phase", "count", "p50", "ms", "p90", "ms", "p99", "ms",
                                      "max", "ms", "mean", "ms", "retransmits", "failed"}));
  EXPECT_EQ(
      words(line_of(s, "dhcp")),
      (std::vector<std::string>{"dhcp", "200", "1.20", "2.00", "3.00", "4.00", "1.60", "0", "0"}));
  EXPECT_EQ(words(line_of(s, "kernel")),
            (std::vector<std::string>{"kernel", "198", "2500", "3000", "3500", "4000", "2750", "12",
                                      "2"}));
  // phase_order first
  EXPECT_LT(s.find("dhcp "), s.find("bootfile "));
  EXPECT_LT(s.find("bootfile "), s.find("kernel "));
  EXPECT_LT(s.find("kernel "), s.find("total "));
  EXPECT_NE(s.find("failures: tftp_timeout 2\n"), std::string::npos) << s;
  EXPECT_NE(s.find("bytes: http 4567 (4.5 KiB), tftp 123456789 (117.7 MiB)"), std::string::npos)
      << s;
  EXPECT_NE(s.find("retransmits: dhcp 0, http 0, tftp 15"), std::string::npos) << s;
  EXPECT_NE(s.find("faults injected: rx_dropped 7\n"), std::string::npos) << s;
  EXPECT_NE(s.find("arrival=all"), std::string::npos) << s;
  EXPECT_NE(s.find("blksize=1468"), std::string::npos) << s;
  EXPECT_EQ(s.find("warning"), std::string::npos) << s;
}

TEST(StormSummary, AllBootedAndNoFailures) {
  json j = storm("x", 4, 4, 1);
  const std::string s = summary(j);
  EXPECT_NE(s.find("half at 2.000 s, 90% at 4.000 s, all at 4.000 s"), std::string::npos) << s;
  EXPECT_NE(s.find("failures: none"), std::string::npos) << s;
}

TEST(StormSummary, TerminalEscapesAreDefused) {
  json j = storm("evil\x1b[2J\x07", 2, 2, 1);
  j["settings"]["k\x1b]0;x"] = "v\x1b[31m";
  const std::string s = summary(j);
  EXPECT_EQ(s.find('\x1b'), std::string::npos);
  EXPECT_EQ(s.find('\x07'), std::string::npos);
  EXPECT_NE(s.find("evil?[2J?"), std::string::npos) << s;
  const std::string t = compare_text({j, j});
  EXPECT_EQ(t.find('\x1b'), std::string::npos);
}

TEST(StormCompare, Ratios) {
  const json a = storm("bootstorm", 100, 100, 0.1);  // makespan 10.25
  json b = storm("dnsmasq", 100, 100, 0.2);          // 20.25
  json c = storm("nothing", 100, 0, 1);
  c.erase("makespan_s");
  EXPECT_DOUBLE_EQ(makespan_ratio(a, a), 1.0);
  EXPECT_DOUBLE_EQ(makespan_ratio(b, a), 20.25 / 10.25);
  EXPECT_LT(makespan_ratio(c, a), 0);
  EXPECT_LT(makespan_ratio(a, c), 0);
  json zero = a;
  zero["makespan_s"] = 0;
  EXPECT_LT(makespan_ratio(a, zero), 0);
  json str = a;
  str["makespan_s"] = "10";
  EXPECT_LT(makespan_ratio(str, a), 0);

  const std::string t = compare_text({a, b, c});
  EXPECT_EQ(words(line_of(t, "makespan / reference")),
            (std::vector<std::string>{"makespan", "/", "reference", "1.00x", "1.98x", "-"}))
      << t;
  EXPECT_EQ(words(line_of(t, "makespan s")),
            (std::vector<std::string>{"makespan", "s", "10.250", "20.250", "-"}))
      << t;
  EXPECT_EQ(words(line_of(t, "bootstorm")),
            (std::vector<std::string>{"bootstorm", "(ref)", "dnsmasq", "nothing"}))
      << t;
  EXPECT_EQ(words(line_of(t, "half booted s")),
            (std::vector<std::string>{"half", "booted", "s", "5.000", "10.000", "-"}))
      << t;
  EXPECT_EQ(words(line_of(t, "kernel p99")),
            (std::vector<std::string>{"kernel", "p99", "3500", "3500", "3500"}))
      << t;
  EXPECT_EQ(words(line_of(t, "tftp_timeout")),
            (std::vector<std::string>{"tftp_timeout", "0", "0", "100"}))
      << t;

  const json m = compare_json({a, b, c}, {"a.json", "b.json", "c.json"});
  EXPECT_EQ(m["tool"], "bootstorm-bench compare");
  EXPECT_EQ(m["files"], json({"a.json", "b.json", "c.json"}));
  EXPECT_EQ(m["labels"], json({"bootstorm", "dnsmasq", "nothing"}));
  ASSERT_EQ(m["makespan_ratio"].size(), 3u);
  EXPECT_DOUBLE_EQ(m["makespan_ratio"][0].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(m["makespan_ratio"][1].get<double>(), 20.25 / 10.25);
  EXPECT_TRUE(m["makespan_ratio"][2].is_null());
  EXPECT_EQ(m["runs"].size(), 3u);
  EXPECT_EQ(m["runs"][1], b);
  EXPECT_FALSE(compare_json({a}).contains("files"));
}

TEST(StormCompare, SettingsThatDifferAreMarked) {
  json a = storm("a", 10, 10, 1), b = storm("b", 10, 10, 1);
  b["settings"]["windowsize"] = 1;
  b["settings"]["only_b"] = true;
  const std::string t = compare_text({a, b});
  EXPECT_EQ(words(line_of(t, "* windowsize")),
            (std::vector<std::string>{"*", "windowsize", "64", "1"}))
      << t;
  EXPECT_EQ(words(line_of(t, "* only_b")), (std::vector<std::string>{"*", "only_b", "-", "true"}))
      << t;
  EXPECT_EQ(words(line_of(t, "blksize")), (std::vector<std::string>{"blksize", "1468", "1468"}))
      << t;
}

TEST(StormCompare, NoRunsAndOneRun) {
  EXPECT_EQ(compare_text({}), "no runs\n");
  const std::string t = compare_text({storm("solo", 3, 3, 1)});
  EXPECT_EQ(words(line_of(t, "makespan / reference")),
            (std::vector<std::string>{"makespan", "/", "reference", "1.00x"}));
}

TEST(StormHtml, EscapesEverythingFromTheDocument) {
  const std::string evil = "<script>alert('x')</script>&\"";
  json a = storm(evil, 5, 5, 1);
  a["machine"] = "<img src=x onerror=alert(1)>";
  a["started_at"] = "</title><script>";
  a["settings"]["<b>key</b>"] = "<i>v</i>";
  a["phases"]["<svg onload=alert(1)>"] = phase(5, 1, 2, 3, 4);
  a["failures"]["<script>f"] = 1;
  a["counters"]["<script>c"] = "<script>";
  json b = storm("plain", 5, 5, 2);
  b["phase_order"] = {"dhcp", 7, "<script>"};  // a number: a warning, with the label in it
  const std::string html = storm_html({a, b});
  const std::string low = lower(html);
  EXPECT_EQ(low.find("<script"), std::string::npos);
  EXPECT_EQ(low.find("<img"), std::string::npos);
  EXPECT_EQ(low.find("<svg onload"), std::string::npos);
  EXPECT_EQ(low.find("<b>"), std::string::npos);
  EXPECT_EQ(low.find("<i>"), std::string::npos);
  EXPECT_NE(html.find("&lt;/title&gt;&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"),
            std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("<title>Boot storm comparison: &lt;script&gt;"), std::string::npos);
  // No script can run even so: the page forbids everything but its inline style.
  EXPECT_NE(html.find("content=\"default-src 'none'; style-src 'unsafe-inline'\""),
            std::string::npos);
  EXPECT_EQ(count(html, "http://") + count(html, "https://"),
            count(html, "xmlns=\"http://www.w3.org/"));  // nothing fetched
  expect_well_formed(html);
}

TEST(StormHtml, EscapeFunction) {
  EXPECT_EQ(html_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
  EXPECT_EQ(html_escape("tab\tnl\n"), "tab\tnl\n");
  EXPECT_EQ(html_escape("\x01"), "\xEF\xBF\xBD");
  EXPECT_EQ(html_escape("\xC3\xA9t\xC3\xA9"), "\xC3\xA9t\xC3\xA9");                // été
  EXPECT_EQ(html_escape("\xFF"), "\xEF\xBF\xBD");                                  // not UTF-8
  EXPECT_EQ(html_escape("\xC3"), "\xEF\xBF\xBD");                                  // cut short
  EXPECT_EQ(html_escape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(html_escape("\xF0\x9F\x9A\x80"), "\xF0\x9F\x9A\x80");                  // rocket
}

TEST(StormHtml, OnePolylinePerRunWithAPointPerCompletion) {
  const json a = storm("a", 200, 200, 0.05);
  const json b = storm("b", 200, 150, 0.08);
  const json c = storm("c", 200, 0, 1);  // no completions: no curve, a note
  const std::string html = storm_html({a, b, c});
  const auto points = attrs(html, "polyline", "points");
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(count(html, "<polyline"), 2u);
  const size_t expect[] = {200, 150};
  std::set<std::string> strokes;
  for (size_t i = 0; i < points.size(); ++i) {
    const auto pts = words(points[i]);
    EXPECT_EQ(pts.size(), expect[i]);
    double last_x = -1, last_y = 1e9;
    for (const std::string& p : pts) {
      const size_t comma = p.find(',');
      ASSERT_NE(comma, std::string::npos) << p;
      const double x = std::stod(p.substr(0, comma)), y = std::stod(p.substr(comma + 1));
      EXPECT_GE(x, last_x);  // time goes on
      EXPECT_LE(y, last_y);  // more machines booted: higher up
      EXPECT_GE(x, 0);
      EXPECT_LE(x, 640);
      EXPECT_GE(y, 0);
      EXPECT_LE(y, 370);
      last_x = x, last_y = y;
    }
  }
  for (const std::string& s : attrs(html, "polyline", "stroke")) strokes.insert(s);
  EXPECT_EQ(strokes.size(), 2u);
  EXPECT_NE(html.find("c: no completion times"), std::string::npos);
  // legend, axes with units, ratios against the first
  EXPECT_EQ(count(html, "<ul class=\"legend\">"), 1u);
  EXPECT_NE(html.find("time since the first frame (s)"), std::string::npos);
  EXPECT_NE(html.find("machines booted</text>"), std::string::npos);
  EXPECT_NE(html.find(">200</text>"), std::string::npos);  // y ticks reach the clients
  EXPECT_NE(html.find("makespan / reference"), std::string::npos);
  EXPECT_NE(html.find("<td>1.00x</td><td>1.20x</td><td>0.02x</td>"), std::string::npos);
  // a bar chart per phase, a bar per run and statistic with a value
  EXPECT_EQ(count(html, "<rect "), 4u * 4 * 3);
  expect_well_formed(html);
}

TEST(StormHtml, ManyRunsHaveDistinctLines) {
  std::vector<json> runs;
  for (int i = 0; i < 14; ++i) runs.push_back(storm("r" + std::to_string(i), 3, 3, 1 + i));
  const std::string html = storm_html(runs);
  const auto stroke = attrs(html, "polyline", "stroke");
  const auto dash = attrs(html, "polyline", "stroke-dasharray");
  ASSERT_EQ(stroke.size(), 14u);
  std::set<std::string> looks;
  for (size_t i = 0; i < stroke.size(); ++i) looks.insert(stroke[i] + "/" + dash[i]);
  EXPECT_EQ(looks.size(), 14u);
  expect_well_formed(html);
}

TEST(StormHtml, SingleRunAndNoRuns) {
  const std::string one = storm_html({storm("solo", 10, 10, 1)});
  EXPECT_NE(one.find("<title>Boot storm: solo</title>"), std::string::npos);
  EXPECT_EQ(one.find("makespan / reference"), std::string::npos);
  EXPECT_EQ(count(one, "<polyline"), 1u);
  expect_well_formed(one);
  const std::string none = storm_html({});
  EXPECT_NE(none.find("No runs."), std::string::npos);
  expect_well_formed(none);
}

TEST(StormHtml, DuplicateLabelsAreToldApart) {
  const std::string html = storm_html({storm("same", 3, 3, 1), storm("same", 3, 3, 2)});
  EXPECT_NE(html.find("<title>Boot storm comparison: same vs same (2)</title>"), std::string::npos);
  const json m = compare_json({storm("same", 3, 3, 1), json{{"clients", 3}}});
  EXPECT_EQ(m["labels"], json({"same", "run 2"}));
  const json m3 = compare_json({storm("same", 3, 3, 1), storm("same (2)", 3, 3, 1),
                                storm("same", 3, 3, 1), storm("same", 3, 3, 1)});
  EXPECT_EQ(m3["labels"], json({"same", "same (2)", "same (3)", "same (4)"}));
}

TEST(StormMalformed, CheckNamesWhatIsWrong) {
  EXPECT_NE(check_storm(json::array()).fatal, "");
  EXPECT_NE(check_storm(json(3)).fatal, "");
  EXPECT_NE(check_storm(json(nullptr)).fatal, "");
  EXPECT_NE(check_storm(json::object()).fatal, "");
  EXPECT_NE(check_storm(json{{"name", "x"}, {"version", "1"}}).fatal, "");
  const StormCheck tftp = check_storm(json{{"tool", "bootstorm-bench tftp"}, {"clients", 1}});
  EXPECT_NE(tftp.fatal.find("bootstorm-bench tftp"), std::string::npos);
  const StormCheck good = check_storm(storm("a", 10, 10, 1));
  EXPECT_EQ(good.fatal, "");
  EXPECT_TRUE(good.warnings.empty()) << good.warnings[0];

  json bad = storm("a", 10, 10, 1);
  bad["clients"] = "ten";
  bad["makespan_s"] = -3;
  bad["phases"]["dhcp"]["p50_ms"] = "1.2";
  bad["phases"]["kernel"] = 5;
  bad["completion_s"][2] = "x";
  bad["bytes"] = "lots";
  bad["label"] = 12;
  const StormCheck c = check_storm(bad);
  EXPECT_EQ(c.fatal, "");
  auto has = [&](const std::string& w) {
    for (const std::string& s : c.warnings)
      if (s.find(w) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("clients: expected a number, got string"));
  EXPECT_TRUE(has("makespan_s: expected a number not below 0, got -3"));
  EXPECT_TRUE(has("phases.dhcp.p50_ms: expected a number, got string"));
  EXPECT_TRUE(has("phases.kernel: expected an object, got number"));
  EXPECT_TRUE(has("completion_s: 1 entries are not seconds"));
  EXPECT_TRUE(has("completion_s: 9 times for 10 completed machines"));
  EXPECT_TRUE(has("bytes: expected an object, got string"));
  EXPECT_TRUE(has("label: expected a string, got number"));

  json sum = storm("a", 10, 8, 1);
  sum["failed"] = 0;
  EXPECT_EQ(check_storm(sum).warnings,
            std::vector<std::string>{"completed 8 + failed 0 + unfinished 0 is not clients 10"});

  json unsorted = storm("a", 3, 3, 1);
  unsorted["completion_s"] = {3, 1, 2};
  EXPECT_EQ(check_storm(unsorted).warnings,
            std::vector<std::string>{"completion_s: not sorted (sorted for the report)"});
  const auto pts = words(attrs(storm_html({unsorted}), "polyline", "points").at(0));
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_LT(std::stod(pts[0]), std::stod(pts[2]));
}

TEST(StormMalformed, NothingCrashes) {
  std::vector<json> docs;
  docs.push_back(json::object());
  docs.push_back(json::array({1, 2, 3}));
  docs.push_back(json(nullptr));
  docs.push_back(json("a string"));
  docs.push_back(json{{"tool", "bootstorm-bench storm"}});  // nothing else
  {
    json j = storm("no phases", 10, 10, 1);
    j.erase("phases");
    j.erase("phase_order");
    docs.push_back(j);
  }
  {
    json j = storm("strings", 10, 10, 1);
    j["clients"] = "10";
    j["completed"] = "10";
    j["makespan_s"] = "12.3";
    j["phases"]["dhcp"] = {{"count", "x"},   {"p50_ms", "1"},           {"p90_ms", nullptr},
                           {"p99_ms", true}, {"max_ms", json::array()}, {"failed", json::object()}};
    j["failures"]["tftp_timeout"] = "3";
    j["retransmits"] = json::array({1, 2});
    j["settings"] = "blksize=1468";
    j["phase_order"] = "dhcp";
    docs.push_back(j);
  }
  {
    json j = storm("empty completions", 10, 0, 1);
    j["completion_s"] = json::array();
    docs.push_back(j);
  }
  {
    json j = storm("completions not a list", 10, 10, 1);
    j["completion_s"] = {{"a", 1}};
    docs.push_back(j);
  }
  {
    json j = storm("huge", 10, 10, 1);
    j["clients"] = 1e300;
    j["makespan_s"] = 1e308;
    j["completion_s"] = {0, 1e308};
    j["phases"]["dhcp"]["max_ms"] = 1e308;
    j["bytes"]["tftp"] = 18446744073709551615ull;
    docs.push_back(j);
  }
  {
    json j = storm("largest doubles", 10, 10, 1);
    const double big = std::numeric_limits<double>::max();
    j["clients"] = big;
    j["makespan_s"] = big;
    j["completion_s"] = {1, big / 2, big};
    j["phases"]["dhcp"] = phase(1, big, big, big, big);
    j["phases"]["bootfile"] = phase(1, 1e-300, 2e-300, 3e-300, 4e-300);
    docs.push_back(j);
  }
  {
    json j = storm("zeros", 0, 0, 1);
    j["makespan_s"] = 0;
    j["completion_s"] = {0, 0, 0};
    j["phases"] = {{"dhcp", phase(0, 0, 0, 0, 0)}};
    docs.push_back(j);
  }
  {
    json j = storm("phases with odd content", 10, 10, 1);
    j["phase_order"] = {"dhcp", "absent", "absent", 3};
    j["phases"]["weird"] = json::array();
    j["phases"]["empty"] = json::object();
    j["counters"] = json::array({json::object(), json::array({1, 2})});
    json deep = 1;
    for (int i = 0; i < 50; ++i) deep = json{{"d", deep}};
    j["counters"] = deep;
    docs.push_back(j);
  }
  {
    json j = storm("invalid utf-8 \xFF\xFE built in code", 3, 3, 1);
    j["settings"]["k\xC3"] = "v\xFF";
    docs.push_back(j);
  }
  {
    json j = storm("fractions", 3, 3, 1);
    j["clients"] = 2.5;
    docs.push_back(j);
  }
  for (const json& d : docs) {
    SCOPED_TRACE(d.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 200));
    EXPECT_NO_THROW(check_storm(d));
    std::string s;
    EXPECT_NO_THROW(s = summary(d));
    EXPECT_NO_THROW(compare_text({d}));
    EXPECT_NO_THROW(compare_text({docs[5], d}));
    EXPECT_NO_THROW(
        compare_json({d, docs[5]}).dump(-1, ' ', false, json::error_handler_t::replace));
    std::string html;
    EXPECT_NO_THROW(html = storm_html({d}));
    expect_well_formed(html);
  }
  std::string all;
  EXPECT_NO_THROW(all = storm_html(docs));
  expect_well_formed(all);
  EXPECT_NO_THROW(compare_text(docs));

  // strings where numbers are expected: shown as absent, named as problems
  const std::string s = summary(docs[6]);
  EXPECT_NE(s.find("clients -: completed -"), std::string::npos) << s;
  EXPECT_NE(s.find("makespan -"), std::string::npos) << s;
  EXPECT_EQ(words(line_of(s, "dhcp")),
            (std::vector<std::string>{"dhcp", "-", "-", "-", "-", "-", "-", "-", "-"}))
      << s;
  EXPECT_NE(s.find("warning: phases.dhcp.count: expected a number, got string"), std::string::npos)
      << s;
  EXPECT_NE(all.find("Problems in the reports"), std::string::npos);
  // no phases at all
  EXPECT_NE(summary(docs[5]).find("phases: none"), std::string::npos);
  // empty completion list: no curve, no crash
  EXPECT_EQ(count(storm_html({docs[7]}), "<polyline"), 0u);
  EXPECT_EQ(count(storm_html({docs[8]}), "<polyline"), 0u);
}

TEST(StormHtml, XmllintHtmlParserAcceptsIt) {
  if (!have_xmllint()) GTEST_SKIP() << "xmllint not installed";
  const std::string html = storm_html({storm("a", 50, 50, 0.1), storm("b", 50, 45, 0.2)});
  EXPECT_EQ(xmllint(html), 0);
}

}  // namespace
}  // namespace bs::bench
