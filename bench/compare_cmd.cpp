#include "compare_cmd.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "storm_report.hpp"

namespace bs::bench {

namespace {

using json = nlohmann::json;

bool read_text(const std::string& path, std::string& out, std::string& why) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    why = "is a directory";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    why = "read error";
    return false;
  }
  out = ss.str();
  return true;
}

bool write_text(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    std::fprintf(stderr, "compare: %s: cannot write it: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int err = errno;
  if (std::fclose(f) != 0 || !ok) {
    std::fprintf(stderr, "compare: %s: cannot write it: %s\n", path.c_str(),
                 std::strerror(ok ? errno : err));
    return false;
  }
  return true;
}

// The name a run goes by when its report has no label: the file's name without ".json".
std::string stem(const std::string& path) {
  std::string s = std::filesystem::path(path).filename().string();
  if (s.size() > 5 && s.compare(s.size() - 5, 5, ".json") == 0) s.resize(s.size() - 5);
  return s.empty() ? path : s;
}

// One file's runs: a storm report, or what `compare --json` wrote (its runs, in order).
bool load(const std::string& path, std::vector<json>& runs, std::vector<std::string>& files) {
  std::string text, why;
  if (!read_text(path, text, why)) {
    std::fprintf(stderr, "compare: %s: cannot read it: %s\n", path.c_str(), why.c_str());
    return false;
  }
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    std::fprintf(stderr, "compare: %s: empty, not a storm report\n", path.c_str());
    return false;
  }
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    std::fprintf(stderr, "compare: %s: not JSON: %s\n", path.c_str(), e.what());
    return false;
  }
  std::vector<json> found;
  const auto tool = doc.is_object() ? doc.find("tool") : doc.end();
  if (doc.is_object() && tool != doc.end() && tool->is_string() &&
      tool->get<std::string>() == "bootstorm-bench compare") {
    const auto rs = doc.find("runs");
    if (rs == doc.end() || !rs->is_array() || rs->empty()) {
      std::fprintf(stderr, "compare: %s: a compare document without runs\n", path.c_str());
      return false;
    }
    for (const json& r : *rs) found.push_back(r);
  } else {
    found.push_back(std::move(doc));
  }
  for (size_t i = 0; i < found.size(); ++i) {
    const std::string where =
        found.size() > 1 ? path + " (run " + std::to_string(i + 1) + ")" : path;
    const StormCheck c = check_storm(found[i]);
    if (!c.fatal.empty()) {
      std::fprintf(stderr, "compare: %s: not a storm report: %s\n", where.c_str(), c.fatal.c_str());
      return false;
    }
    for (const std::string& w : c.warnings)
      std::fprintf(stderr, "compare: %s: warning: %s (shown as absent)\n", where.c_str(),
                   w.c_str());
    auto label = found[i].find("label");
    if (label == found[i].end() || !label->is_string() || label->get<std::string>().empty())
      found[i]["label"] = found.size() > 1 ? stem(path) + "#" + std::to_string(i + 1) : stem(path);
    runs.push_back(std::move(found[i]));
    files.push_back(path);
  }
  return true;
}

}  // namespace

void add_compare_command(CLI::App& app, CompareCommand& c) {
  auto* s = app.add_subcommand(
      "compare",
      "storm reports (storm --json) side by side: the first is the reference, makespans as "
      "ratios of its; a table on stdout, optionally an HTML page and a merged JSON document");
  s->add_option("files", c.files,
                "storm reports, the reference first (a document compare --json wrote counts as "
                "its runs)")
      ->required()
      ->expected(1, -1);
  s->add_option("--html", c.html,
                "write a self-contained HTML report (completion curves, phase percentiles, "
                "failures, settings) to this file");
  s->add_option("--json", c.json, "write the runs and their makespan ratios to this file");
}

int run_compare(const CompareCommand& c) {
  if (c.files.empty()) {
    std::fprintf(stderr,
                 "compare: no files: give storm reports (storm --json), the reference "
                 "first\n");
    return 1;
  }
  std::vector<json> runs;
  std::vector<std::string> files;
  for (const std::string& f : c.files)
    if (!load(f, runs, files)) return 1;
  if (runs.size() == 1)
    print_storm_summary(stdout, runs[0]);
  else
    std::fputs(compare_text(runs).c_str(), stdout);
  std::fflush(stdout);
  if (!c.html.empty()) {
    if (!write_text(c.html, storm_html(runs))) return 1;
    std::fprintf(stderr, "compare: wrote %s\n", c.html.c_str());
  }
  if (!c.json.empty()) {
    const std::string text =
        compare_json(runs, files).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    if (!write_text(c.json, text)) return 1;
    std::fprintf(stderr, "compare: wrote %s\n", c.json.c_str());
  }
  return 0;
}

}  // namespace bs::bench
