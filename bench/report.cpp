#include "report.hpp"

#include <algorithm>
#include <cmath>

namespace bs::bench {

Summary summarize(const TftpRun& run) {
  const RunStats& st = run.stats();
  Summary s;
  s.transfers = run.config().transfers;
  s.completed = st.completed;
  s.failed = st.failed;
  s.unfinished = s.transfers - s.completed - s.failed;
  s.bytes = st.bytes_completed;
  s.data_frames = st.data_frames;
  if (st.started && st.last_end_us > st.first_start_us)
    s.makespan_s = double(st.last_end_us - st.first_start_us) / 1e6;
  if (s.makespan_s > 0) {
    s.goodput_gbit_s = double(s.bytes) * 8 / s.makespan_s / 1e9;
    s.goodput_mib_s = double(s.bytes) / s.makespan_s / (1024.0 * 1024.0);
    s.data_mpps = double(s.data_frames) / s.makespan_s / 1e6;
  }
  const auto& lat = run.latencies_us();
  s.latency_ms_p50 = percentile(lat, 50) / 1000;
  s.latency_ms_p99 = percentile(lat, 99) / 1000;
  s.latency_ms_max = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end()) / 1000.0;
  return s;
}

nlohmann::json to_json(const TftpRun& run, const Summary& s, const nlohmann::json& extra) {
  const RunStats& st = run.stats();
  const ClientStats& c = st.clients;
  nlohmann::json fails = nlohmann::json::object();
  for (unsigned i = 1; i < kFailCount; ++i)
    if (st.fails[i]) fails[fail_name(Fail(i))] = st.fails[i];
  nlohmann::json codes = nlohmann::json::object();
  for (size_t i = 0; i < st.server_error_codes.size(); ++i)
    if (st.server_error_codes[i]) codes[std::to_string(i)] = st.server_error_codes[i];
  nlohmann::json j = {
      {"transfers", s.transfers},
      {"completed", s.completed},
      {"failed", s.failed},
      {"unfinished", s.unfinished},
      {"fail_reasons", fails},
      {"server_error_codes", codes},
      {"bytes", s.bytes},
      {"makespan_s", s.makespan_s},
      {"goodput_gbit_s", s.goodput_gbit_s},
      {"goodput_mib_s", s.goodput_mib_s},
      {"data_frames", s.data_frames},
      {"data_mpps", s.data_mpps},
      {"latency_ms",
       {{"p50", s.latency_ms_p50}, {"p99", s.latency_ms_p99}, {"max", s.latency_ms_max}}},
      {"acks",
       {{"sent", c.acks},
        {"retransmitted", c.acks_timeout + c.acks_gap + c.acks_dup},
        {"timeout", c.acks_timeout},
        {"gap", c.acks_gap},
        {"duplicate", c.acks_dup}}},
      {"rrq_resent", c.rrq_resent},
      {"data",
       {{"duplicates", c.duplicates},
        {"out_of_order", c.out_of_order},
        {"strangers", c.strangers},
        {"malformed", c.malformed}}},
      {"frames",
       {{"rx", st.frames_rx},
        {"tx", st.frames_tx},
        {"arp_replies", st.arp_replies},
        {"bad", st.bad_frames},
        {"bad_udp", st.bad_udp},
        {"udp_checksums_verified", st.udp_checksums},
        {"not_ours", st.not_ours},
        {"stale", st.stale},
        {"wrong_mac", st.wrong_mac},
        {"tx_no_room", st.tx_no_room}}},
      {"mode", mode_name(run.config().mode)},
      {"wire_bytes_rx", st.wire_bytes_rx},
      {"wire_bytes_tx", st.wire_bytes_tx},
  };
  if (run.config().mode != Mode::unicast) {
    const McastStats& m = st.mcast;
    j["promotions_seen"] = m.promotions;
    j["repair_acks"] = m.repair_acks;
    j["multicast"] = {
        {"group_frames", st.group_frames},
        {"group_deliveries", st.group_deliveries},
        {"group_malformed", st.group_malformed},
        {"masters", m.masters},
        {"promotions", m.promotions},
        {"demotions", m.demotions},
        {"repair_acks", m.repair_acks},
        {"done_as_master", m.done_as_master},
        {"done_as_listener", m.done_as_listener},
        {"answered_unicast", m.unicast},
        {"opens", m.opens},
        {"back_to_listen", m.back_to_listen},
    };
  }
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  return j;
}

void print_text(std::FILE* f, const TftpRun& run, const Summary& s) {
  const RunStats& st = run.stats();
  const ClientStats& c = st.clients;
  std::fprintf(f, "transfers %llu: completed %llu, failed %llu, unfinished %llu\n",
               (unsigned long long)s.transfers, (unsigned long long)s.completed,
               (unsigned long long)s.failed, (unsigned long long)s.unfinished);
  for (unsigned i = 1; i < kFailCount; ++i)
    if (st.fails[i])
      std::fprintf(f, "  failed (%s): %llu\n", fail_name(Fail(i)), (unsigned long long)st.fails[i]);
  for (size_t i = 0; i < st.server_error_codes.size(); ++i)
    if (st.server_error_codes[i])
      std::fprintf(f, "  server ERROR code %zu: %llu\n", i,
                   (unsigned long long)st.server_error_codes[i]);
  std::fprintf(f, "bytes %llu in %.3f s: goodput %.3f Gbit/s (%.1f MiB/s)\n",
               (unsigned long long)s.bytes, s.makespan_s, s.goodput_gbit_s, s.goodput_mib_s);
  std::fprintf(f, "DATA frames received %llu (%.3f Mpps), duplicates %llu, out of order %llu\n",
               (unsigned long long)s.data_frames, s.data_mpps, (unsigned long long)c.duplicates,
               (unsigned long long)c.out_of_order);
  std::fprintf(f, "latency per transfer: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", s.latency_ms_p50,
               s.latency_ms_p99, s.latency_ms_max);
  std::fprintf(f,
               "ACKs sent %llu; retransmitted %llu (timeout %llu, gap %llu, duplicate %llu); "
               "RRQs re-sent %llu\n",
               (unsigned long long)c.acks,
               (unsigned long long)(c.acks_timeout + c.acks_gap + c.acks_dup),
               (unsigned long long)c.acks_timeout, (unsigned long long)c.acks_gap,
               (unsigned long long)c.acks_dup, (unsigned long long)c.rrq_resent);
  std::fprintf(f,
               "frames rx %llu (UDP checksums verified %llu), tx %llu; ARP replies %llu; ignored: "
               "bad %llu, bad UDP %llu, not ours %llu, stale %llu; TX without room %llu\n",
               (unsigned long long)st.frames_rx, (unsigned long long)st.udp_checksums,
               (unsigned long long)st.frames_tx, (unsigned long long)st.arp_replies,
               (unsigned long long)st.bad_frames, (unsigned long long)st.bad_udp,
               (unsigned long long)st.not_ours, (unsigned long long)st.stale,
               (unsigned long long)st.tx_no_room);
  std::fprintf(f, "mode %s; on the wire: rx %llu bytes, tx %llu bytes (Ethernet frames)\n",
               mode_name(run.config().mode), (unsigned long long)st.wire_bytes_rx,
               (unsigned long long)st.wire_bytes_tx);
  if (run.config().mode != Mode::unicast) {
    const McastStats& m = st.mcast;
    std::fprintf(f,
                 "group DATA frames %llu (given to members %llu, not DATA %llu); masters %u, "
                 "promotions %u, demotions %u, repair ACKs %u; done as master %u, as listener "
                 "%u; answered unicast %u; MTFTP opens %u, back to listening %u\n",
                 (unsigned long long)st.group_frames, (unsigned long long)st.group_deliveries,
                 (unsigned long long)st.group_malformed, m.masters, m.promotions, m.demotions,
                 m.repair_acks, m.done_as_master, m.done_as_listener, m.unicast, m.opens,
                 m.back_to_listen);
  }
}

std::string progress_line(const TftpRun& run, double elapsed_s, uint64_t bytes_delta,
                          uint64_t frames_delta, double interval_s) {
  const RunStats& st = run.stats();
  char buf[200];
  const double gbit = interval_s > 0 ? double(bytes_delta) * 8 / interval_s / 1e9 : 0;
  const double kpps = interval_s > 0 ? double(frames_delta) / interval_s / 1e3 : 0;
  std::snprintf(buf, sizeof(buf),
                "%6.1fs done %llu/%llu failed %llu active %llu  %.2f Gbit/s  %.0f kpps", elapsed_s,
                (unsigned long long)st.completed, (unsigned long long)run.config().transfers,
                (unsigned long long)st.failed, (unsigned long long)run.active(), gbit, kpps);
  return buf;
}

}  // namespace bs::bench
