#include "event_log.hpp"

#include <algorithm>
#include <cstdio>

namespace bs::control {

namespace {

const char* tftp_error_name(uint16_t code) {
  switch (code) {
    case 0:
      return "not defined";
    case 1:
      return "file not found";
    case 2:
      return "access violation";
    case 3:
      return "disk full";
    case 4:
      return "illegal operation";
    case 5:
      return "unknown transfer ID";
    case 6:
      return "file exists";
    case 7:
      return "no such user";
    case 8:
      return "option negotiation failed";
    default:
      return "unknown error";
  }
}

std::string ms(uint32_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", us / 1000.0);
  return buf;
}

}  // namespace

std::string format_event(const Event& e, const std::string& via) {
  const std::string mac = e.mac.str(), ip = proto::ip_str(e.ip), text = e.text;
  const std::string on = " via " + via;
  switch (e.type) {
    case EventType::dhcp_discover:
      return "DHCPDISCOVER from " + mac + on;
    case EventType::dhcp_offer:
      if (e.ip == 0)  // proxyDHCP: boot information, the address comes from another server
        return "proxyDHCP offer to " + mac + on + (text.empty() ? "" : " (boot file " + text + ")");
      return "DHCPOFFER on " + ip + " to " + mac + on;
    case EventType::dhcp_request:
      return "DHCPREQUEST for " + ip + " from " + mac + on;
    case EventType::dhcp_ack:
      return "DHCPACK on " + ip + " to " + mac + on +
             (text.empty() ? "" : " (boot file " + text + ")");
    case EventType::dhcp_nak:
      return "DHCPNAK on " + ip + " to " + mac + on + (text.empty() ? "" : " (" + text + ")");
    case EventType::dhcp_release:
      return "DHCPRELEASE of " + ip + " from " + mac + on;
    case EventType::dhcp_decline:
      return "DHCPDECLINE of " + ip + " from " + mac + on;
    case EventType::dhcp_inform:
      return "DHCPINFORM from " + ip + " (" + mac + ")" + on;
    case EventType::dhcp_conflict:
      return "address " + ip + " is in use by " + mac + " (ARP); not handing it out for now";
    case EventType::dhcp_no_address:
      return "DHCPDISCOVER from " + mac + on + ": no address (" +
             (text.empty() ? "no free leases" : text) + ")";
    case EventType::tftp_start:
      return "RRQ from " + ip + " filename " + text +
             (e.bytes ? " (" + std::to_string(e.bytes) + " bytes)" : "");
    case EventType::tftp_done:
      return "sent " + text + " to " + ip + " (" + std::to_string(e.bytes) + " bytes in " +
             ms(e.duration_us) + " ms)";
    case EventType::tftp_miss:
      return text + ": file not found (to " + ip + ")";
    case EventType::tftp_denied:
      return text + ": refused, TFTP error " + std::to_string(e.code) + " (" +
             tftp_error_name(e.code) + ") to " + ip;
    case EventType::tftp_failed:
      return text + ": transfer to " + ip + " failed after " + std::to_string(e.bytes) +
             " bytes (" +
             (e.code ? "TFTP error " + std::to_string(e.code) + ", " + tftp_error_name(e.code)
                     : std::string("timed out")) +
             ")";
    default:
      return std::string("unknown event from ") + mac + " " + ip;
  }
}

}  // namespace bs::control

namespace bs::control {

bool LogLimiter::allow(Clock::time_point now) {
  if (last_ != Clock::time_point{}) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  }
  last_ = now;
  if (tokens_ >= 1) {
    tokens_ -= 1;
    return true;
  }
  ++suppressed_;
  return false;
}

uint64_t LogLimiter::due_report(Clock::time_point now) {
  if (suppressed_ == 0 || now - last_report_ < std::chrono::seconds(1)) return 0;
  last_report_ = now;
  uint64_t n = suppressed_;
  suppressed_ = 0;
  return n;
}

}  // namespace bs::control
