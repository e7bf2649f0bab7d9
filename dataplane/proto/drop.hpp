// Drop reasons are data: one table, counted per worker, never logged per packet.
#pragma once
#include <cstdint>

namespace bs {

#define BS_DROP_REASONS(X)                                                                     \
  X(none, "not dropped")                                                                       \
  X(eth_short, "frame shorter than an Ethernet header")                                        \
  X(eth_not_ipv4, "ethertype is not IPv4 (where an IPv4 packet was expected)")                 \
  X(arp_short, "ARP packet truncated")                                                         \
  X(arp_unsupported, "ARP for a hardware/protocol type other than Ethernet/IPv4")              \
  X(ipv4_short, "IPv4 header truncated")                                                       \
  X(ipv4_version, "IP version is not 4")                                                       \
  X(ipv4_header_length, "IPv4 header length field invalid")                                    \
  X(ipv4_total_length, "IPv4 total length exceeds the frame or header")                        \
  X(ipv4_checksum, "IPv4 header checksum wrong")                                               \
  X(ipv4_fragment, "IPv4 fragment (not reassembled)")                                          \
  X(ipv4_not_udp, "IPv4 protocol is not UDP (where UDP was expected)")                         \
  X(udp_short, "UDP header truncated")                                                         \
  X(udp_length, "UDP length field invalid")                                                    \
  X(udp_checksum, "UDP checksum wrong")                                                        \
  X(dhcp_short, "DHCP message shorter than the BOOTP header")                                  \
  X(dhcp_not_request, "BOOTP op is not BOOTREQUEST")                                           \
  X(dhcp_hw_type, "DHCP hardware type/length is not Ethernet")                                 \
  X(dhcp_magic, "DHCP magic cookie missing")                                                   \
  X(dhcp_option_overrun, "DHCP option runs past the end of the message")                       \
  X(dhcp_no_type, "DHCP message type option missing or invalid")                               \
  X(dhcp_unhandled_type, "DHCP message type not served")                                       \
  X(dhcp_no_pool, "no pool for the client's subnet")                                           \
  X(dhcp_pool_exhausted, "pool has no free address")                                           \
  X(dhcp_not_for_us, "DHCPREQUEST selects another server")                                     \
  X(dhcp_no_snapshot, "no configuration snapshot yet")                                         \
  X(tftp_short, "TFTP packet truncated")                                                       \
  X(tftp_opcode, "TFTP opcode invalid")                                                        \
  X(tftp_unterminated, "TFTP string field not NUL-terminated")                                 \
  X(tftp_bad_option, "TFTP option value invalid")                                              \
  X(tftp_no_session, "TFTP packet for no session")                                             \
  X(tftp_wrong_peer, "TFTP packet from a peer other than the session's")                       \
  X(tftp_sessions_full, "TFTP session table full")                                             \
  X(tftp_client_sessions, "TFTP request over the per-client transfer cap")                     \
  X(tftp_netascii_too_large, "TFTP netascii request for a file over the conversion limit")     \
  X(eth_not_for_us, "unicast frame for another station")                                       \
  X(tftp_file_error, "TFTP file could not be loaded")                                          \
  X(tx_full, "transmit queue full")                                                            \
  X(steer_ring_full, "frame for another worker, its steering ring full")                      \
  X(no_mbuf, "mbuf pool empty")                                                                \
  X(dhcp_bad_request, "DHCPREQUEST/DECLINE without the address it is about")                   \
  X(dhcp_reply_overflow, "DHCP reply does not fit the client's maximum message size")          \
  X(dhcp_journal_full, "DHCPACK refused: the lease journal cannot take the record")            \
  X(dhcp_ack_not_durable, "DHCPACK dropped: its lease was not on disk within 3 s")             \
  X(dhcp_ack_gate_full, "DHCPACK dropped: too many ACKs waiting for the journal")              \
  X(dhcp_not_authoritative, "request for a lease we do not know, ignored (not authoritative)") \
  X(dhcp_proxy_not_pxe, "proxy mode: not a PXE client (the network's DHCP server answers)")    \
  X(dhcp_proxy_ignored, "proxy mode: address business of the network's DHCP server")           \
  X(dhcp_rate_mac, "DHCP message over the per-MAC rate limit")                                 \
  X(dhcp_rate_global, "DHCP message over the global rate limit (unreserved MACs)")             \
  X(event_ring_full, "event ring full (event lost)")

enum class Drop : uint8_t {
#define BS_X(name, text) name,
  BS_DROP_REASONS(BS_X)
#undef BS_X
      count_
};

inline constexpr const char* drop_name(Drop d) {
  switch (d) {
#define BS_X(name, text) \
  case Drop::name:       \
    return #name;
    BS_DROP_REASONS(BS_X)
#undef BS_X
    default:
      return "?";
  }
}

inline constexpr const char* drop_text(Drop d) {
  switch (d) {
#define BS_X(name, text) \
  case Drop::name:       \
    return text;
    BS_DROP_REASONS(BS_X)
#undef BS_X
    default:
      return "?";
  }
}

inline constexpr unsigned kDropCount = static_cast<unsigned>(Drop::count_);

}  // namespace bs
