// Fixed-size event records: workers push them into a ring instead of formatting log lines.
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>

#include "proto/bytes.hpp"

namespace bs {

#define BS_EVENT_TYPES(X)                                                       \
  X(dhcp_discover, "DHCP discover received")                                    \
  X(dhcp_offer, "DHCP offer sent")                                              \
  X(dhcp_request, "DHCP request received")                                      \
  X(dhcp_ack, "DHCP ack sent (text = boot file)")                               \
  X(dhcp_nak, "DHCP nak sent (text = reason)")                                  \
  X(dhcp_release, "DHCP release received")                                      \
  X(dhcp_decline, "DHCP decline received")                                      \
  X(dhcp_inform, "DHCP inform answered")                                        \
  X(dhcp_no_address, "DHCP request could not be served (text = reason)")        \
  X(dhcp_conflict, "address found in use by ARP (mac = its user), quarantined") \
  X(tftp_start, "TFTP transfer started (text = file, bytes = size)")            \
  X(tftp_done, "TFTP transfer finished (bytes, duration)")                      \
  X(tftp_miss, "TFTP request for a missing file (text = file)")                 \
  X(tftp_denied, "TFTP request refused (code, text = file)")                    \
  X(tftp_failed, "TFTP transfer failed (code, text = file)")

enum class EventType : uint8_t {
#define BS_X(name, text) name,
  BS_EVENT_TYPES(BS_X)
#undef BS_X
      count_
};

const char* event_name(EventType t);

struct Event {
  uint64_t time_ns = 0;  // CLOCK_REALTIME at the worker
  EventType type{};
  uint8_t worker = 0;
  uint16_t code = 0;  // TFTP error code, DHCP arch, ...
  proto::Mac mac;
  uint16_t port = 0;  // client UDP port
  proto::Ip4 ip = 0;  // client address (yiaddr for DHCP)
  uint32_t duration_us = 0;
  uint64_t bytes = 0;
  char text[88] = {};  // file name or reason, NUL-terminated, truncated

  void set_text(std::string_view s) {
    size_t n = s.size() < sizeof(text) - 1 ? s.size() : sizeof(text) - 1;
    if (n) std::memcpy(text, s.data(), n);
    text[n] = 0;
  }
};
static_assert(sizeof(Event) == 128);

// Where a worker's protocol logic reports events (the worker pushes them onto a ring).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(const Event& e) = 0;
};

}  // namespace bs
