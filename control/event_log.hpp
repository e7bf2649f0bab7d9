// Dataplane events as the log lines operators know from ISC dhcpd and tftpd-hpa.
#pragma once
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
