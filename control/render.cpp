// Mustache rendering of pxelinux configs, iPXE scripts, the default menus and kickstarts.
#include "render.hpp"

#include <fstream>
#include <kainjow/mustache.hpp>
#include <sstream>

namespace bs::control {

namespace mus = kainjow::mustache;

const char* const kBuiltinDefaultMenu =
    R"({{! pxelinux.cfg/default: what a machine without a [[host]] reservation boots.
    Placeholders: server; inside the profiles section: name, kernel, initrd, append (the profile's
    append line without the words that hold host placeholders such as the kickstart URL). }}
DEFAULT local
PROMPT 1
TIMEOUT 100
SAY bootstorm {{ server }}: this machine has no reservation; booting the local disk in 10 s.
SAY Type a label to install interactively: local{{#profiles}} {{ name }}{{/profiles}}
LABEL local
  MENU LABEL Boot from local disk
  LOCALBOOT 0
{{#profiles}}
LABEL {{ name }}
  MENU LABEL Install {{ name }} (interactive, no kickstart)
  KERNEL {{ kernel }}
  APPEND initrd={{ initrd }} {{ append }}
{{/profiles}}
)";

const char* const kBuiltinDefaultIpxeMenu =
    R"(#!ipxe
{{! ipxe/default.ipxe: what a machine without a [[host]] reservation boots when [boot] mode is
    "ipxe". Placeholders: server, boot_url (the TFTP root over HTTP: http://<server>/boot);
    inside the profiles section: name, kernel, initrd (paths under the TFTP root), kernel_url,
    initrd_url (the same over HTTP), initrd_name (the initrd's file name), append (the profile's
    append line without the words that hold host placeholders such as the kickstart URL). }}
menu bootstorm {{ server }}: this machine has no reservation
item local Boot from local disk
{{#profiles}}
item {{ name }} Install {{ name }} (interactive, no kickstart)
{{/profiles}}
choose --default local --timeout 10000 target || goto local
goto ${target}
:local
exit
{{#profiles}}
:{{ name }}
kernel {{ kernel_url }} initrd={{ initrd_name }} {{ append }}
initrd {{ initrd_url }}
boot
{{/profiles}}
)";

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RenderError(path + ": cannot read template");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Mustache "standalone" tags: a line holding only a section, inverted, close or comment tag
// (and blanks) disappears entirely instead of leaving an empty line behind.
std::string strip_standalone(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    size_t line_end = eol == std::string::npos ? text.size() : eol;
    size_t first = text.find_first_not_of(" \t", pos);
    bool standalone = false;
    size_t skip_to = line_end;
    if (first != std::string::npos && first < line_end && text.compare(first, 2, "{{") == 0 &&
        first + 2 < text.size() &&
        std::string_view("#^/!").find(text[first + 2]) != std::string::npos) {
      size_t close = text.find("}}", first + 2);
      if (close != std::string::npos) {
        size_t after = close + 2;
        size_t eol2 = text.find('\n', after);
        size_t end2 = eol2 == std::string::npos ? text.size() : eol2;
        // A comment may span lines; other tags end on the line they start.
        if ((text[first + 2] == '!' || close < line_end) &&
            text.find_first_not_of(" \t\r", after) >= end2) {
          standalone = true;
          out.append(text, first, after - first);
          skip_to = end2;
        }
      }
    }
    if (!standalone) out.append(text, pos, line_end - pos);
    if (skip_to < text.size() && !standalone) out += '\n';
    pos = skip_to + 1;
  }
  return out;
}

std::string render_data(const std::string& text, const mus::data& d) {
  mus::mustache m(strip_standalone(text));
  if (!m.is_valid()) throw RenderError("template error: " + m.error_message());
  m.set_custom_escape([](const std::string& s) { return s; });
  std::string out = m.render(d);
  if (!m.is_valid()) throw RenderError("template error: " + m.error_message());
  return out;
}

}  // namespace

std::string render_template(const std::string& text,
                            const std::map<std::string, std::string>& values) {
  mus::data d;
  for (const auto& [k, v] : values) d.set(k, v);
  return render_data(text, d);
}

std::string pxelinux_path(const proto::Mac& mac) {
  std::string s = mac.str();
  for (char& c : s)
    if (c == ':') c = '-';
  return "pxelinux.cfg/01-" + s;
}

std::string interactive_append(const std::string& append) {
  // Split on blanks outside {{ tags }} (a tag may hold blanks: "{{ kickstart_url }}").
  std::vector<std::string> words(1);
  bool in_tag = false;
  for (size_t i = 0; i < append.size(); ++i) {
    if (!in_tag && append.compare(i, 2, "{{") == 0) in_tag = true;
    if (in_tag && append.compare(i, 2, "}}") == 0) {
      words.back() += "}}";
      ++i;
      in_tag = false;
    } else if (!in_tag && (append[i] == ' ' || append[i] == '\t')) {
      if (!words.back().empty()) words.emplace_back();
    } else {
      words.back() += append[i];
    }
  }
  std::string out;
  for (const std::string& w : words)
    if (!w.empty() && w.find("{{") == std::string::npos) out += (out.empty() ? "" : " ") + w;
  return out;
}

RenderedHost render_host(const config::Config& cfg, const config::Host& host) {
  const config::Profile* p = cfg.find_profile(host.profile);
  if (!p) throw RenderError("host " + host.hostname + ": unknown profile '" + host.profile + "'");
  auto values = cfg.placeholders(host);
  RenderedHost r;
  r.hostname = host.hostname;
  r.mac = host.mac.str();
  const config::ResolvedBoot boot = cfg.boot_for(&host);
  r.boot_bios = boot.files[snap::BootArch::bios];
  r.boot_uefi_x64 = boot.files[snap::BootArch::uefi_x64];
  r.pxelinux_path = pxelinux_path(host.mac);
  std::string append = render_template(p->append, values);
  r.pxelinux = "# " + r.pxelinux_path + " for " + host.hostname + " (" + values["address"] +
               "), profile " + p->name + "; rendered by bootstorm-control\n" + "DEFAULT " +
               p->name + "\nPROMPT 0\nTIMEOUT 0\n" + "LABEL " + p->name + "\n" + "  KERNEL " +
               p->kernel + "\n" + "  APPEND initrd=" + p->initrd +
               (append.empty() ? "" : " " + append) + "\n";
  if (!p->kickstart.empty()) {
    r.has_kickstart = true;
    r.kickstart_url = cfg.kickstart_url(host);
    r.kickstart = render_template(read_file(p->kickstart), values);
  }
  if (boot.mode == config::BootMode::ipxe) {
    r.ipxe = true;
    r.ipxe_url = cfg.ipxe_script_url(&host);
    r.ipxe_script = render_ipxe_script(cfg, host);
  }
  return r;
}

namespace {

std::string file_name(const std::string& path) {
  size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string render_ipxe_script(const config::Config& cfg, const config::Host& host) {
  const config::Profile* p = cfg.find_profile(host.profile);
  if (!p) throw RenderError("host " + host.hostname + ": unknown profile '" + host.profile + "'");
  auto values = cfg.placeholders(host);
  std::string append = render_template(p->append, values);
  std::string path = "ipxe/" + host.hostname + ".ipxe";
  return "#!ipxe\n# " + path + " for " + host.hostname + " (" + values["address"] + "), profile " +
         p->name + "; rendered by bootstorm-control\n" + "kernel " + cfg.boot_url(p->kernel) +
         " initrd=" + file_name(p->initrd) + (append.empty() ? "" : " " + append) + "\n" +
         "initrd " + cfg.boot_url(p->initrd) + "\nboot\n";
}

std::string render_default_ipxe_menu(const config::Config& cfg) {
  std::string text =
      cfg.default_ipxe_menu.empty() ? kBuiltinDefaultIpxeMenu : read_file(cfg.default_ipxe_menu);
  mus::data d;
  d.set("server", proto::ip_str(cfg.server.address));
  d.set("boot_url", cfg.http_base() + "/boot");
  mus::data list{mus::data::type::list};
  for (const config::Profile& p : cfg.profiles) {
    mus::data item;
    item.set("name", p.name);
    item.set("kernel", p.kernel);
    item.set("initrd", p.initrd);
    item.set("kernel_url", cfg.boot_url(p.kernel));
    item.set("initrd_url", cfg.boot_url(p.initrd));
    item.set("initrd_name", file_name(p.initrd));
    item.set("append", interactive_append(p.append));
    list.push_back(item);
  }
  d.set("profiles", list);
  return render_data(text, d);
}

std::string render_default_menu(const config::Config& cfg) {
  std::string text = cfg.default_menu.empty() ? kBuiltinDefaultMenu : read_file(cfg.default_menu);
  mus::data d;
  d.set("server", proto::ip_str(cfg.server.address));
  mus::data list{mus::data::type::list};
  for (const config::Profile& p : cfg.profiles) {
    mus::data item;
    item.set("name", p.name);
    item.set("kernel", p.kernel);
    item.set("initrd", p.initrd);
    item.set("append", interactive_append(p.append));
    list.push_back(item);
  }
  d.set("profiles", list);
  return render_data(text, d);
}

Rendered render_all(const config::Config& cfg) {
  Rendered out;
  for (const config::Host& h : cfg.hosts) {
    out.hosts.push_back(render_host(cfg, h));
    if (out.hosts.back().has_kickstart) out.kickstarts[h.hostname] = out.hosts.back().kickstart;
    if (out.hosts.back().ipxe) out.ipxe_scripts[h.hostname] = out.hosts.back().ipxe_script;
  }
  out.default_menu = render_default_menu(cfg);
  out.ipxe_scripts.emplace("default", render_default_ipxe_menu(cfg));
  return out;
}

}  // namespace bs::control
