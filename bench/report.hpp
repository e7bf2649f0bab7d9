// What a TFTP bench run reports: a summary computed from the run's counters and latencies,
// printed as text, written as JSON, and a one-line progress for a terminal.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "percentile.hpp"
#include "tftp_run.hpp"

namespace bs::bench {

struct Summary {
  uint64_t transfers = 0, completed = 0, failed = 0, unfinished = 0;
  uint64_t bytes = 0;  // verified bytes of completed transfers
  double makespan_s = 0;
  double goodput_gbit_s = 0, goodput_mib_s = 0;
  uint64_t data_frames = 0;
  double data_mpps = 0;
  double latency_ms_p50 = 0, latency_ms_p99 = 0, latency_ms_max = 0;
};

Summary summarize(const TftpRun& run);

// Everything: the summary, failure reasons, the client and frame counters, and `extra` (the
// command's own settings and port counters) under its keys.
nlohmann::json to_json(const TftpRun& run, const Summary& s, const nlohmann::json& extra);
void print_text(std::FILE* f, const TftpRun& run, const Summary& s);
// "done 812/10000 failed 0 active 9188  6.1 Gbit/s  520 kpps" for the live line on stderr.
std::string progress_line(const TftpRun& run, double elapsed_s, uint64_t bytes_delta,
                          uint64_t frames_delta, double interval_s);

}  // namespace bs::bench
