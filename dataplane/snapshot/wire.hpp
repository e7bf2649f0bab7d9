// The control socket: newline-delimited JSON messages over a unix stream socket that the
// dataplane listens on ("<state_dir>/dataplane.sock").
//   control -> dataplane: {"type":"snapshot","snapshot":{...}}
//   dataplane -> control: {"type":"event", ...event fields...}
//                         {"type":"applied","generation":N}
//                         {"type":"rejected","error":"..."}
//                         {"type":"stats", "drops":{reason:count}, "counters":{...}}
#pragma once
#include <optional>
#include <string>

#include "../events.hpp"

namespace bs::wire {

std::string encode_event(const Event& e);  // one line, no trailing newline
std::optional<Event> decode_event(std::string_view json);

}  // namespace bs::wire
