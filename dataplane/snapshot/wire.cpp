#include "wire.hpp"

#include <nlohmann/json.hpp>

namespace bs::wire {

using nlohmann::json;

std::string encode_event(const Event& e) {
  json j = {{"type", "event"},
            {"event", event_name(e.type)},
            {"time_ns", e.time_ns},
            {"worker", e.worker},
            {"code", e.code},
            {"mac", e.mac.str()},
            {"ip", proto::ip_str(e.ip)},
            {"port", e.port},
            {"duration_us", e.duration_us},
            {"bytes", e.bytes},
            // File names come from the wire: replace invalid UTF-8 rather than fail to encode.
            {"text", std::string(e.text)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<Event> decode_event(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    Event e;
    std::string name = j.at("event").get<std::string>();
    bool found = false;
    for (unsigned t = 0; t < unsigned(EventType::count_); ++t) {
      if (name == event_name(EventType(t))) {
        e.type = EventType(t);
        found = true;
        break;
      }
    }
    if (!found) return std::nullopt;
    e.time_ns = j.at("time_ns").get<uint64_t>();
    e.worker = j.at("worker").get<uint8_t>();
    e.code = j.at("code").get<uint16_t>();
    auto mac = proto::Mac::parse(j.at("mac").get<std::string>());
    auto ip = proto::parse_ip(j.at("ip").get<std::string>());
    if (!mac || !ip) return std::nullopt;
    e.mac = *mac;
    e.ip = *ip;
    e.port = j.at("port").get<uint16_t>();
    e.duration_us = j.at("duration_us").get<uint32_t>();
    e.bytes = j.at("bytes").get<uint64_t>();
    e.set_text(j.at("text").get<std::string>());
    return e;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace bs::wire
