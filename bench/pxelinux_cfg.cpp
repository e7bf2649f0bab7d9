#include "pxelinux_cfg.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace bs::bench {

namespace {

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = char(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits "KEYWORD rest" at the first blank.
std::pair<std::string, std::string_view> keyword(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
  return {lower(line.substr(0, i)), trim(line.substr(i))};
}

bool is_module(std::string_view name) {
  return name.size() > 4 && lower(name.substr(name.size() - 4)) == ".c32";
}

// The first word of s, and the rest.
std::pair<std::string_view, std::string_view> first_word(std::string_view s) {
  s = trim(s);
  size_t i = 0;
  while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return {s.substr(0, i), trim(s.substr(i))};
}

struct Label {
  std::string name, kernel, append;
  std::vector<std::string> initrds;
  bool localboot = false;
  bool menu_default = false;
};

void split_initrds(std::string_view v, std::vector<std::string>& out) {
  while (!v.empty()) {
    const size_t c = v.find(',');
    auto part = trim(v.substr(0, c));
    if (!part.empty()) out.emplace_back(part);
    if (c == std::string_view::npos) break;
    v.remove_prefix(c + 1);
  }
}

}  // namespace

std::string boot_prefix(std::string_view boot_file) {
  const size_t slash = boot_file.find_last_of('/');
  return slash == std::string_view::npos ? std::string()
                                         : std::string(boot_file.substr(0, slash + 1));
}

std::vector<std::string> pxelinux_search(const std::array<uint8_t, 16>& uuid, const proto::Mac& mac,
                                         proto::Ip4 ip, std::string_view prefix) {
  const std::string dir = std::string(prefix) + "pxelinux.cfg/";
  std::vector<std::string> names;
  if (uuid != std::array<uint8_t, 16>{}) {
    std::string u;
    char hex[3];
    for (size_t i = 0; i < uuid.size(); ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) u += '-';
      std::snprintf(hex, sizeof hex, "%02x", uuid[i]);
      u += hex;
    }
    names.push_back(dir + u);
  }
  char m[21];
  std::snprintf(m, sizeof m, "01-%02x-%02x-%02x-%02x-%02x-%02x", mac.b[0], mac.b[1], mac.b[2],
                mac.b[3], mac.b[4], mac.b[5]);
  names.push_back(dir + m);
  char a[9];
  std::snprintf(a, sizeof a, "%08X", ip);
  for (size_t len = 8; len >= 1; --len) names.push_back(dir + std::string(a, len));
  names.push_back(dir + "default");
  return names;
}

std::vector<std::string> module_chain(std::string_view module) {
  std::vector<std::string> chain;
  const std::string m = lower(module);
  const size_t slash = m.find_last_of('/');
  const std::string base = slash == std::string::npos ? m : m.substr(slash + 1);
  const std::string dir(module.substr(0, slash == std::string::npos ? 0 : slash + 1));
  if (base != "ldlinux.c32" && base != "libcom32.c32") chain.push_back(dir + "libcom32.c32");
  if (base == "menu.c32" || base == "vesamenu.c32") chain.push_back(dir + "libutil.c32");
  if (base != "ldlinux.c32") chain.emplace_back(module);
  return chain;
}

std::string kickstart_url(std::string_view append) {
  std::string_view rest = append;
  while (!rest.empty()) {
    auto [word, after] = first_word(rest);
    if (word.empty()) break;
    rest = after;
    const size_t eq = word.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string key = lower(word.substr(0, eq));
    std::string_view value = word.substr(eq + 1);
    if (key == "ks" || key == "inst.ks" || key == "url" || key == "preseed/url")
      return std::string(value);
    if (key == "ds") {
      // cloud-init's NoCloud: ds=nocloud-net;s=http://host/dir/ (the URL is a directory)
      const size_t s = value.find(";s=");
      if (s == std::string_view::npos) continue;
      std::string url(value.substr(s + 3));
      if (!url.empty() && url.back() != '/') url += '/';
      return url + "user-data";
    }
  }
  return {};
}

PxeConfig parse_pxelinux_config(std::string_view text) {
  PxeConfig cfg;
  std::vector<Label> labels;
  std::string default_value, ontimeout, ui;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    auto [kw, value] = keyword(line);
    Label* cur = labels.empty() ? nullptr : &labels.back();
    if (kw == "label") {
      labels.push_back(Label{std::string(value), {}, {}, {}, false, false});
    } else if (kw == "default") {
      default_value = std::string(value);
    } else if (kw == "ui") {
      ui = std::string(first_word(value).first);
    } else if (kw == "ontimeout") {
      ontimeout = std::string(value);
    } else if ((kw == "kernel" || kw == "linux" || kw == "com32") && cur) {
      cur->kernel = std::string(value);
    } else if (kw == "append" && cur) {
      cur->append = std::string(value);
    } else if (kw == "initrd" && cur) {
      split_initrds(value, cur->initrds);
    } else if (kw == "localboot" && cur) {
      cur->localboot = true;
    } else if (kw == "menu") {
      auto [sub, rest] = first_word(value);
      if (lower(sub) == "default" && cur) cur->menu_default = true;
      if (lower(sub) == "include")
        cfg.warnings.push_back("line " + std::to_string(line_no) + ": MENU INCLUDE not followed");
    } else if (kw == "include") {
      cfg.warnings.push_back("line " + std::to_string(line_no) + ": INCLUDE not followed");
    } else if (kw == "prompt" || kw == "timeout" || kw == "totaltimeout" || kw == "noescape" ||
               kw == "allowoptions" || kw == "say" || kw == "display" || kw == "serial" ||
               kw == "ipappend" || kw == "sysappend" || kw == "text" || kw == "endtext" ||
               kw == "f1" || kw == "implicit" || kw == "path" || kw == "font" || kw == "kbdmap" ||
               kw == "console" || kw == "nocomplete" || kw == "onerror") {
      // No effect on which files an unattended boot fetches.
    } else {
      cfg.warnings.push_back("line " + std::to_string(line_no) + ": '" + kw + "' not understood");
    }
  }

  // Modules: UI first, or a DEFAULT that names one (old style "DEFAULT menu.c32").
  std::string menu = ui;
  auto [def_word, def_rest] = first_word(default_value);
  if (menu.empty() && is_module(def_word)) menu = std::string(def_word);
  if (!menu.empty()) cfg.modules = module_chain(menu);

  auto find = [&](std::string_view name) -> const Label* {
    for (const auto& l : labels)
      if (lower(l.name) == lower(name)) return &l;
    return nullptr;
  };
  const Label* pick = nullptr;
  if (!ontimeout.empty()) pick = find(first_word(ontimeout).first);
  if (!pick && !menu.empty())
    for (const auto& l : labels)
      if (l.menu_default) pick = pick ? pick : &l;
  if (!pick && !def_word.empty() && !is_module(def_word)) {
    pick = find(def_word);
    if (!pick) {  // DEFAULT names no label: it is a kernel and its command line
      cfg.kernel = std::string(def_word);
      cfg.append = std::string(def_rest);
    }
  }
  if (!pick && cfg.kernel.empty() && !labels.empty()) pick = &labels.front();
  if (pick) {
    cfg.label = pick->name;
    cfg.localboot = pick->localboot;
    cfg.kernel = pick->kernel;
    cfg.append = pick->append;
    cfg.initrds = pick->initrds;
  }
  // initrd= on the command line (PXELINUX takes it from there too).
  for (std::string_view rest = cfg.append; !rest.empty();) {
    auto [word, after] = first_word(rest);
    if (word.empty()) break;
    rest = after;
    if (lower(word.substr(0, std::min<size_t>(word.size(), 7))) == "initrd=")
      split_initrds(word.substr(7), cfg.initrds);
  }
  cfg.kickstart_url = kickstart_url(cfg.append);
  return cfg;
}

}  // namespace bs::bench
