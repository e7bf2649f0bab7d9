// The report side of `bootstorm-bench storm` and `bootstorm-bench compare` (issue #7): a summary
// table for a terminal, a side-by-side text comparison, and one self-contained HTML file (inline
// CSS and SVG, no scripts, fonts or anything fetched) with the completion curve, per-phase
// latency percentiles, retransmissions, failures and settings.
//
// Everything reads the storm's JSON document as written by the storm run ("tool": "bootstorm-bench
// storm", "label", "clients", "completed", "makespan_s", "phases", "completion_s", ...). A missing
// key is shown as absent ("-"); a key of the wrong type (a string where a number belongs, ...) is
// shown as absent too and named by check_storm(); nothing here throws on a malformed document.
// Strings from the document (labels come from the command line) are escaped for HTML and have
// their control characters replaced on a terminal.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace bs::bench {

// What is wrong with a storm document. `fatal`: it is not one at all (not a JSON object, another
// tool's report, none of a storm's keys); empty when it is. `warnings`: keys with a value of the
// wrong type or out of range ("phases.dhcp.p50_ms: expected a number, got string"), counts that do
// not add up, ... -- each such value is shown as absent.
struct StormCheck {
  std::string fatal;
  std::vector<std::string> warnings;
};
StormCheck check_storm(const nlohmann::json& run);

// One run as a table for a terminal: counts, makespan, when half / 90% / all of the machines had
// booted, per phase count p50 p90 p99 max mean (ms) retransmits failed, failures, bytes,
// retransmits, injected faults and settings.
void print_storm_summary(std::FILE* f, const nlohmann::json& run);

// One column per run, the first the reference: counts, makespan and `makespan / reference`, boot
// times, per phase p50 p90 p99 max, retransmits, failures, bytes, settings (a '*' marks a setting
// that differs between runs). Works for one run too; "no runs" for none.
std::string compare_text(const std::vector<nlohmann::json>& runs);

// A self-contained HTML page (polyglot: it also parses as XML). One run: its report; two or more:
// the side-by-side comparison, the first run the reference. The completion curve has one
// <polyline class="curve"> per run with completions, a point per completion.
std::string storm_html(const std::vector<nlohmann::json>& runs);

// The runs with their makespan ratios, for `compare --json`:
//   {"tool": "bootstorm-bench compare", "files": [...], "labels": [...], "makespan_ratio": [1, 1.6,
//    null], "runs": [<the documents as given>]}
// ("files" only when given; a ratio is null when a makespan is missing or the reference's is 0.)
nlohmann::json compare_json(const std::vector<nlohmann::json>& runs,
                            const std::vector<std::string>& files = {});

// The makespan of `run` over the reference's; negative when either is missing, or the reference's
// is not positive.
double makespan_ratio(const nlohmann::json& run, const nlohmann::json& reference);

// Text as HTML (element content and quoted attribute values): & < > " ' escaped, invalid UTF-8 and
// control characters (but tab and newline) replaced with U+FFFD.
std::string html_escape(std::string_view s);

}  // namespace bs::bench
