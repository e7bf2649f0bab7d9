#!/usr/bin/env bash
# Integration: durable leases. (1) With the lease journal's flush held back (test hook:
# BOOTSTORM_TEST_HOOKS=1 and <state_dir>/journal.hold), no DHCPACK leaves; once the flush
# completes, it does. (2) The dataplane is killed with SIGKILL in the middle of a perfdhcp
# run; after its restart every address perfdhcp was acknowledged is in the replayed lease table
# and no address is held by two MACs. TAP output.
# Usage: dhcp_journal.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tools/lab/tap.sh
source "$(cd "${2:?source dir}" && pwd)/tools/lab/tap.sh"
bs_test_begin "$@"

work=$BS_TEST_WORK
ctl=$BS_BUILD_DIR/tools/bootstorm-ctl
command -v perfdhcp >/dev/null || tap_bail "perfdhcp missing (Debian package kea-admin: tools/setup-deps)"

# A wider pool than the lab's, so perfdhcp's clients all fit.
config=$work/bootstorm.toml
bs_config_variant "$config" 's|^(range[[:space:]]*=[[:space:]]*)\[[^]]*\]|\1["10.77.0.20", "10.77.0.250"]|'

metric() {  # metric NAME: a dataplane counter, from the control process's /metrics
    bs_c0 curl -s --max-time 2 "http://$BS_SERVER_IP/metrics" |
        sed -n "s/^bootstorm_dataplane_counters_total{name=\"$1\"} //p"
}
wait_metric_at_least() {  # wait_metric_at_least NAME VALUE TIMEOUT_S
    local i v
    for ((i = 0; i < $3 * 5; i++)); do
        v=$(metric "$1")
        [[ -n $v ]] && ((v >= $2)) && return 0
        sleep 0.2
    done
    return 1
}

export BOOTSTORM_TEST_HOOKS=1
bs_test_appliance_up "$config"
# A fixed address beside the DHCP tests: /metrics over HTTP, and perfdhcp's relay address.
ip -n "$BS_NS_C0" addr add 10.77.0.5/24 dev "$BS_C0_IF"

# --- 1. a DHCPACK waits for the flush --------------------------------------------------
cat >"$work/udhcpc.sh" <<'SH'
#!/bin/sh
[ "$1" = bound ] && echo "ip=$ip"
exit 0
SH
chmod +x "$work/udhcpc.sh"
touch "$BS_STATE_DIR/journal.hold"
# No -n: udhcpc keeps trying (select, then discover again) until it has a lease (-q: then quit).
bs_c0 timeout 60 udhcpc -i "$BS_C0_IF" -q -f -t 5 -T 1 -A 1 -s "$work/udhcpc.sh" \
    >"$work/udhcpc.out" 2>"$work/udhcpc.err" &
udhcpc_pid=$!
if wait_metric_at_least dhcp_acks_held 1 10; then
    tap_ok "held flush: the DHCPACK is built and waits for the journal"
else
    tap_not_ok "held flush: the DHCPACK is built and waits for the journal" "dhcp_acks_held=$(metric dhcp_acks_held)"
fi
sleep 2 # more time for a wrong ACK to leave
tap_is "held flush: no DHCPACK has left" "$(metric dhcp_acks)" "0"
if kill -0 "$udhcpc_pid" 2>/dev/null && ! grep -q '^ip=' "$work/udhcpc.out"; then
    tap_ok "held flush: udhcpc is still waiting for its lease"
else
    tap_not_ok "held flush: udhcpc is still waiting for its lease" "$(cat "$work/udhcpc.out" "$work/udhcpc.err")"
fi
rm -f "$BS_STATE_DIR/journal.hold"
rc=0
wait "$udhcpc_pid" || rc=$?
got=$(sed -n 's/^ip=//p' "$work/udhcpc.out")
if ((rc == 0)) && [[ -n $got ]]; then
    tap_ok "flush released: udhcpc gets its lease ($got)"
else
    tap_not_ok "flush released: udhcpc gets its lease" "exit $rc" "$(cat "$work/udhcpc.out" "$work/udhcpc.err")"
fi
wait_metric_at_least dhcp_acks 1 5 || true  # counters reach /metrics once a second
flushes=$(metric journal_flushes)
if [[ -n $flushes ]] && ((flushes >= 1)) && (($(metric dhcp_acks) >= 1)); then
    tap_ok "the ACK left after the flush (journal_flushes=$flushes)"
else
    tap_not_ok "the ACK left after the flush" "journal_flushes=$flushes dhcp_acks=$(metric dhcp_acks)"
fi
c0_mac=$(ip netns exec "$BS_NS_C0" cat "/sys/class/net/$BS_C0_IF/address")
tap_contains "bootstorm-ctl leases lists it" "$("$ctl" leases --config "$config" 2>&1)" "$c0_mac  $got"
status=$(ip netns exec "$BS_NS_SRV" "$ctl" status --config "$config" 2>&1 || true)
tap_contains "bootstorm-ctl status shows the held and released ACK" "$status" "dhcp_acks_released"

# --- 2. kill -9 in the middle of a perfdhcp run -----------------------------------------
# perfdhcp acts as a relay from its own address: giaddr = 10.77.0.5, replies to port 67.
bs_c0 timeout 60 perfdhcp -4 -l "$BS_C0_IF" -r 100 -R 200 -p 8 -x l "$BS_SERVER_IP" \
    >"$work/perfdhcp.out" 2>&1 &
perf_pid=$!
sleep 3
dp_pid=$(for p in $(ip netns pids "$BS_NS_SRV"); do
    if [[ $(cat "/proc/$p/comm" 2>/dev/null) == bootstorm-datap* ]]; then echo "$p"; fi
done | head -n1)
if [[ -n $dp_pid ]]; then
    acks_before=$(metric dhcp_acks)
    kill -KILL "$dp_pid"
    tap_ok "SIGKILL to the dataplane (pid $dp_pid) after $acks_before ACKs"
else
    tap_not_ok "SIGKILL to the dataplane" "no bootstorm-dataplane process in $BS_NS_SRV"
fi
rc=0
wait "$perf_pid" || rc=$?
# perfdhcp exits 3 when packets were dropped, which they were while the dataplane restarted.
if ((rc == 0 || rc == 3)) && grep -q 'REQUEST-ACK' "$work/perfdhcp.out"; then
    tap_ok "perfdhcp ran to its end (exit $rc)"
else
    tap_not_ok "perfdhcp ran to its end" "exit $rc" "$(tail -n 30 "$work/perfdhcp.out")"
fi
if wait_metric_at_least dhcp_leases_restored 1 20; then
    tap_ok "the restarted dataplane replayed the journal ($(metric dhcp_leases_restored) leases restored)"
else
    tap_not_ok "the restarted dataplane replayed the journal" "dhcp_leases_restored=$(metric dhcp_leases_restored)" \
        "$(grep -i journal "$BS_TEST_APPLIANCE_LOG" | tail -n 5)"
fi

# Every address perfdhcp got an ACK for (its -x l lines: ",ADDRESS,") against the table.
"$ctl" leases --config "$config" --json >"$work/leases.json"
acked=$(grep -Eo '^,[0-9.]+,' "$work/perfdhcp.out" | tr -d , | sort -u)
n_acked=$(grep -c . <<<"$acked" || true)
echo "$acked" >"$work/acked.txt"
missing=$(python3 - "$work/leases.json" "$work/acked.txt" <<'PY'
import json, sys
have = {l["ip"] for l in json.load(open(sys.argv[1]))}
print(" ".join(ip for ip in open(sys.argv[2]).read().split() if ip not in have))
PY
)
if ((n_acked >= 50)) && [[ -z $missing ]]; then
    tap_ok "all $n_acked addresses perfdhcp was acknowledged are in the replayed lease table"
else
    tap_not_ok "all addresses perfdhcp was acknowledged are in the replayed lease table" \
        "acknowledged: $n_acked" "missing: $missing"
fi
dups=$(python3 - "$work/leases.json" <<'PY'
import collections, json, sys
leases = json.load(open(sys.argv[1]))
for key in ("ip", "mac"):
    for v, n in collections.Counter(l[key] for l in leases).items():
        if n > 1:
            print(key, v, n)
PY
)
tap_is "no address is held by two MACs, no MAC holds two addresses" "$dups" ""
tap_contains "perfdhcp saw no address given to two clients" "$(cat "$work/perfdhcp.out")" "non unique addresses: 0"
bs_test_appliance_alive "appliance still running after the restart"
tap_done
