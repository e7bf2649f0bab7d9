#!/usr/bin/env bash
# Integration: a client behind a real DHCP relay, ISC dhcrelay (Debian's isc-dhcp-relay,
# unpacked, never installed as a service), in its own namespace between the boot network and a
# rack subnet:
#
#   <p>-srv appliance 10.77.0.1 ... bridge in <p>-cli ... <p>-relay  10.77.0.2/24 (upstream leg)
#                                                         dhcrelay
#                                                         <p>-rly1   10.78.0.1/24 (downstream)
#                                                           |
#                                                         <p>-rack   udhcpc
#
# The appliance runs the lab config plus a second pool, 10.78.0.0/24 (range .100-.200, router
# 10.78.0.1). Asserted: the rack client gets a rack address with router 10.78.0.1 and server
# id 10.77.0.1; asking again with the same MAC gives the same address (the appliance holds the
# lease); the appliance's replies go to the relay (10.78.0.1 port 67, at the MAC of the relay's
# boot-network leg), never to a client port; with dhcrelay -a, option 82 comes back.
# TAP output. Usage: dhcp_relay.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tools/lab/tap.sh
source "$(cd "${2:?source dir}" && pwd)/tools/lab/tap.sh"
bs_test_begin "$@"

work=$BS_TEST_WORK
relay_ns=$BS_LAB_PREFIX-relay   # made by bs_peer_add below; its boot-network leg has its name
relay_up=$relay_ns
relay_down=$BS_LAB_PREFIX-rly1
relay_up_ip=10.77.0.2
relay_ip=10.78.0.1             # giaddr
rack_ns=$BS_LAB_PREFIX-rack
rack_if=$BS_LAB_PREFIX-rack
rack_mac=02:42:0a:4e:00:10
rack_mac2=02:42:0a:4e:00:11

# The extra namespaces (and dhcrelay, tcpdump in them) go when the test ends, however it ends:
# bs_test_cleanup runs `net down`, which removes every namespace bs_ns_add recorded.

dhcrelay=$(bs_unpacked isc-dhcp-relay /usr/sbin/dhcrelay 2>"$work/unpack.err") ||
    tap_bail "cannot get dhcrelay (isc-dhcp-relay)" "$(cat "$work/unpack.err")"

# The lab config plus the rack's pool.
bs_config_variant "$work/bootstorm.toml"
cat >>"$work/bootstorm.toml" <<TOML

# dhcp_relay.sh: the rack subnet behind the relay (selected by giaddr $relay_ip)
[[dhcp.pool]]
subnet = "10.78.0.0/24"
range = ["10.78.0.100", "10.78.0.200"]
router = "$relay_ip"
TOML

# The relay: one leg on the boot network (a port of the lab bridge), one on the rack link.
bs_peer_add relay "$relay_up_ip/24"
bs_ns_add "$rack_ns"
bs_veth "$relay_ns" "$relay_down" "$rack_ns" "$rack_if"
ip -n "$relay_ns" addr add "$relay_ip/24" dev "$relay_down"
ip -n "$rack_ns" link set "$rack_if" down
ip -n "$rack_ns" link set "$rack_if" address "$rack_mac"
ip -n "$rack_ns" link set "$rack_if" up
relay_up_mac=$(ip netns exec "$relay_ns" cat "/sys/class/net/$relay_up/address")

bs_test_appliance_up "$work/bootstorm.toml"
before=$(bs_appliance_status || true)

# start_relay LOGFILE [dhcrelay options]: dhcrelay in the foreground (-d), in the background.
relay_pid=
start_relay() {
    local log=$1
    shift
    ip netns exec "$relay_ns" "$dhcrelay" -4 -d "$@" -id "$relay_down" -iu "$relay_up" \
        -pf "$work/dhcrelay.pid" "$BS_SERVER_IP" >"$log" 2>&1 &
    relay_pid=$!
    # ready once it has opened its interfaces ("Listening on ..." for both legs)
    local i
    for ((i = 0; i < 50; i++)); do
        [[ $(grep -c '^Listening on' "$log" 2>/dev/null) -ge 2 ]] && return 0
        kill -0 "$relay_pid" 2>/dev/null || break
        sleep 0.1
    done
    tap_bail "dhcrelay did not start" "$(cat "$log")"
}
stop_relay() {
    [[ -n $relay_pid ]] || return 0
    kill -TERM "$relay_pid" 2>/dev/null || true
    wait "$relay_pid" 2>/dev/null || true
    relay_pid=
}

# Capture what the appliance sends (its port on the bridge) and what reaches the rack link.
cap_pids=()
start_capture() {
    # -Z root: Debian's tcpdump would otherwise drop to user tcpdump before opening the file
    ip netns exec "$BS_NS_CLI" tcpdump -Z root --immediate-mode -i "$BS_VETH_CLI" -n -U -s 0 -w "$work/$1.boot.pcap" \
        'udp and (port 67 or port 68)' 2>"$work/$1.boot.err" &
    cap_pids+=($!)
    ip netns exec "$rack_ns" tcpdump -Z root --immediate-mode -i "$rack_if" -n -U -s 0 -w "$work/$1.rack.pcap" \
        'udp and (port 67 or port 68)' 2>"$work/$1.rack.err" &
    cap_pids+=($!)
    local i
    for ((i = 0; i < 30; i++)); do # until both say "listening on"
        [[ $(cat "$work/$1.boot.err" "$work/$1.rack.err" 2>/dev/null | grep -c 'listening on') -ge 2 ]] && return 0
        sleep 0.1
    done
    tap_bail "tcpdump did not start" "$(cat "$work/$1.boot.err" "$work/$1.rack.err" 2>/dev/null)"
}
stop_capture() {
    sleep 0.5
    local p
    for p in "${cap_pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    for p in "${cap_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    cap_pids=()
}
# appliance_frames NAME: the appliance's DHCP frames on the boot network, one line each (-e: MACs).
appliance_frames() { tcpdump -r "$work/$1.boot.pcap" -n -e 'src host '"$BS_SERVER_IP" 2>/dev/null || true; }

cat >"$work/udhcpc.sh" <<'SH'
#!/bin/sh
[ "$1" = bound ] || exit 0
for v in ip mask subnet router serverid lease siaddr boot_file; do eval "echo $v=\${$v:-}"; done
SH
chmod +x "$work/udhcpc.sh"
field() { sed -n "s/^$1=//p" <<<"$2" | head -n1; }
rack_lease() {
    ip netns exec "$rack_ns" udhcpc -i "$rack_if" -n -q -f -t 6 -T 2 \
        -V 'PXEClient:Arch:00000:UNDI:002001' -x 0x5d:0000 -s "$work/udhcpc.sh" 2>"$work/udhcpc.err"
}
in_rack_range() {
    local last=${1##*.}
    [[ $1 == 10.78.0.* ]] && ((last >= 100 && last <= 200))
}

# 1. a client behind the relay
start_relay "$work/dhcrelay.log"
start_capture one
rc=0
out=$(rack_lease) || rc=$?
stop_capture
if ((rc == 0)); then tap_ok "udhcpc behind the relay gets a lease"; else
    tap_not_ok "udhcpc behind the relay gets a lease" "$(cat "$work/udhcpc.err")" \
        "dhcrelay:" "$(tail -n 20 "$work/dhcrelay.log")"; fi
ip1=$(field ip "$out")
if in_rack_range "$ip1"; then tap_ok "address $ip1 from the rack pool 10.78.0.100-200"; else
    tap_not_ok "address from the rack pool 10.78.0.100-200" "got '$ip1'" "$out"; fi
tap_is "router is the relay's rack address" "$(field router "$out")" "$relay_ip"
tap_is "server identifier is the appliance" "$(field serverid "$out")" "$BS_SERVER_IP"
tap_is "subnet mask /24" "$(field mask "$out")" "24"
tap_is "boot file for a BIOS PXE client" "$(field boot_file "$out")" "pxelinux.0"

frames=$(appliance_frames one)
to_relay=$(grep -c "$BS_SERVER_IP.67 > $relay_ip.67:" <<<"$frames" || true)
to_client=$(grep -c '\.68: ' <<<"$frames" || true)
if ((to_relay >= 2)); then tap_ok "appliance answered the relay: $to_relay frames to $relay_ip:67"; else
    tap_not_ok "appliance answered the relay ($relay_ip:67)" "appliance frames on the boot network:" "$frames"; fi
tap_is "appliance sent nothing to a client port (68)" "$to_client" "0"
macs=$(grep "$BS_SERVER_IP.67 > $relay_ip.67:" <<<"$frames" | awk '{print $4}' | tr -d ',' | sort -u | tr '\n' ' ' || true)
tap_is "replies addressed to the relay's boot-network leg's MAC" "$macs" "$relay_up_mac "
rack=$(tcpdump -r "$work/one.rack.pcap" -n 2>/dev/null || true)
tap_contains "the rack client heard the relay ($relay_ip:67 > :68)" "$rack" "$relay_ip.67 > "

# 2. the same MAC again: the appliance kept the lease
out=$(rack_lease) || true
tap_is "same MAC behind the relay, second DISCOVER: same address" "$(field ip "$out")" "$ip1"

# 3. option 82: dhcrelay -a adds relay agent information (circuit id = its interface); the
# appliance must send it back (RFC 3046), and the relay strips it before the client sees it.
stop_relay
start_relay "$work/dhcrelay-a.log" -a
ip -n "$rack_ns" link set "$rack_if" down
ip -n "$rack_ns" link set "$rack_if" address "$rack_mac2"
ip -n "$rack_ns" link set "$rack_if" up
start_capture two
out=$(rack_lease) || true
stop_capture
ip2=$(field ip "$out")
if in_rack_range "$ip2" && [[ $ip2 != "$ip1" ]]; then tap_ok "with -a: a second MAC gets another rack address ($ip2)"; else
    tap_not_ok "with -a: a second MAC gets another rack address" "got '$ip2' (first: $ip1)" "$(cat "$work/udhcpc.err")"; fi
verbose=$(tcpdump -r "$work/two.boot.pcap" -n -v 2>/dev/null || true)
requests82=$(grep -c "Agent-Information" <<<"$verbose" || true)
replies=$(tcpdump -r "$work/two.boot.pcap" -n -v "src host $BS_SERVER_IP" 2>/dev/null || true)
tap_contains "the relay's requests carry option 82 (circuit id $relay_down)" "$verbose" "Circuit-ID"
if grep -q "Agent-Information" <<<"$replies"; then
    tap_ok "the appliance echoes option 82 to the relay ($requests82 frames with it in all)"
else
    tap_not_ok "the appliance echoes option 82 to the relay" "appliance replies:" "$(head -c 3000 <<<"$replies")"
fi
stop_relay

# The appliance's counters: the relayed exchanges, no DHCP drops.
after=$(bs_appliance_status_settled 20)
delta() { echo $(($(bs_status_get "$after" "$@") - $(bs_status_get "$before" "$@"))); }
acks=$(delta dataplane.stats.counters.dhcp_acks events.dhcp_ack)
if ((acks >= 3)); then tap_ok "appliance counted the 3 relayed ACKs ($acks)"; else
    tap_not_ok "appliance counted the 3 relayed ACKs" "got $acks"; fi
drops=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1] or "{}").get("dataplane",{}).get("stats",{}).get("drops",{}); print(" ".join(f"{k}={v}" for k,v in d.items() if k.startswith("dhcp") or k=="udp_checksum"))' "$after")
tap_is "no DHCP or checksum drop counted" "$drops" ""

bs_test_appliance_alive "appliance still running"
tap_done
