#include "stats.hpp"

#include <nlohmann/json.hpp>

namespace bs::control {

using nlohmann::json;

void Stats::connected(bool up) {
  if (up && !connected_.load()) ++connects_;
  connected_ = up;
}

void Stats::rejected(const std::string& error) {
  ++rejections_;
  std::lock_guard lock(mu_);
  last_rejection_ = error;
}

void Stats::event(EventType t) {
  if (t < EventType::count_) ++events_[size_t(t)];
}

void Stats::dataplane_stats(const std::string& text) {
  std::lock_guard lock(mu_);
  dataplane_stats_ = text;
}

std::string Stats::status_json() const {
  json j;
  j["generation"] = {{"built", built_.load()}, {"applied", applied_.load()}};
  j["dataplane"] = {{"connected", connected_.load()},
                    {"connects", connects_.load()},
                    {"rejections", rejections_.load()}};
  json events = json::object();
  for (size_t t = 0; t < events_.size(); ++t) events[event_name(EventType(t))] = events_[t].load();
  j["events"] = events;
  j["http_requests"] = http_requests_.load();
  std::lock_guard lock(mu_);
  if (!last_rejection_.empty()) j["dataplane"]["last_rejection"] = last_rejection_;
  if (!dataplane_stats_.empty()) {
    json s = json::parse(dataplane_stats_, nullptr, false);
    if (!s.is_discarded()) j["dataplane"]["stats"] = s;
  }
  return j.dump(2) + "\n";
}

std::string Stats::metrics() const {
  std::string m;
  auto line = [&m](const std::string& name, const std::string& labels, uint64_t v) {
    m += name + (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(v) + "\n";
  };
  auto head = [&m](const char* name, const char* type, const char* help) {
    m += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  head("bootstorm_events_total", "counter", "Dataplane events received, by type.");
  for (size_t t = 0; t < events_.size(); ++t)
    line("bootstorm_events_total", std::string("type=\"") + event_name(EventType(t)) + "\"",
         events_[t].load());
  head("bootstorm_dataplane_connected", "gauge", "1 while the control socket is connected.");
  line("bootstorm_dataplane_connected", "", connected_.load() ? 1 : 0);
  head("bootstorm_dataplane_connects_total", "counter", "Control socket connections made.");
  line("bootstorm_dataplane_connects_total", "", connects_.load());
  head("bootstorm_snapshot_generation", "gauge", "Snapshot generation built and applied.");
  line("bootstorm_snapshot_generation", "state=\"built\"", built_.load());
  line("bootstorm_snapshot_generation", "state=\"applied\"", applied_.load());
  head("bootstorm_snapshot_rejections_total", "counter", "Snapshots the dataplane rejected.");
  line("bootstorm_snapshot_rejections_total", "", rejections_.load());
  head("bootstorm_http_requests_total", "counter", "HTTP requests served.");
  line("bootstorm_http_requests_total", "", http_requests_.load());
  std::lock_guard lock(mu_);
  json s = dataplane_stats_.empty() ? json() : json::parse(dataplane_stats_, nullptr, false);
  if (s.is_object()) {
    for (const char* group : {"drops", "counters"}) {
      if (!s.contains(group) || !s[group].is_object()) continue;
      std::string name = std::string("bootstorm_dataplane_") + group + "_total";
      head(name.c_str(), "counter", "As last reported by the dataplane.");
      for (auto& [k, v] : s[group].items())
        if (v.is_number_unsigned() || v.is_number_integer())
          line(name, (std::string(group) == "drops" ? "reason=\"" : "name=\"") + k + "\"",
               v.get<uint64_t>());
    }
  }
  return m;
}

}  // namespace bs::control
