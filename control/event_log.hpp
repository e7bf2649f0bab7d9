// Dataplane events as the log lines operators know from ISC dhcpd and tftpd-hpa.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "../dataplane/events.hpp"

namespace bs::control {

// via: the interface name dhcpd would print (the [server] exception interface).
//   dhcp_discover   DHCPDISCOVER from <mac> via <iface>
//   dhcp_offer      DHCPOFFER on <ip> to <mac> via <iface>
//   dhcp_request    DHCPREQUEST for <ip> from <mac> via <iface>
//   dhcp_ack        DHCPACK on <ip> to <mac> via <iface> (boot file <file>)
//   dhcp_nak        DHCPNAK on <ip> to <mac> via <iface> (<reason>)
//   tftp_start      RRQ from <ip> filename <file>
//   tftp_done       sent <file> to <ip> (<bytes> bytes in <ms> ms)
//   tftp_miss       <file>: file not found (to <ip>)
//   ... see event_log.cpp for the rest.
std::string format_event(const Event& e, const std::string& via);

}  // namespace bs::control

namespace bs::control {

// Keeps a storm from flooding the log: a token bucket of `rate` lines per second with a burst
// of `burst`. Events over the limit are still counted (Stats, /metrics); only their lines are
// suppressed, and the number suppressed is reported once per second.
class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  LogLimiter(double rate = 200, double burst = 1000) : rate_(rate), burst_(burst), tokens_(burst) {}
  // True if a line may be written now.
  bool allow(Clock::time_point now);
  // Lines suppressed since the last report, if a report is due (at most once per second);
  // 0 otherwise.
  uint64_t due_report(Clock::time_point now);

 private:
  double rate_, burst_, tokens_;
  Clock::time_point last_{};
  Clock::time_point last_report_{};
  uint64_t suppressed_ = 0;
};

}  // namespace bs::control
