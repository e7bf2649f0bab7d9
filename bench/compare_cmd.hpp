// bootstorm-bench compare a.json b.json ... [--html report.html] [--json merged.json]: storm
// reports side by side (the first is the reference, makespans as ratios of its), as text on
// stdout, as one self-contained HTML page, and as one JSON document (bench/storm_report.hpp).
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace bs::bench {

struct CompareCommand {
  std::vector<std::string> files;  // storm reports (or documents `compare --json` wrote)
  std::string html;                // write the HTML report here
  std::string json;                // write the runs and their ratios here
};

void add_compare_command(CLI::App& app, CompareCommand& cmd);
// 0; 1 when a file is missing, not JSON or not a storm report, or an output cannot be written
// (the message on stderr names the file and what is wrong).
int run_compare(const CompareCommand& cmd);

}  // namespace bs::bench
