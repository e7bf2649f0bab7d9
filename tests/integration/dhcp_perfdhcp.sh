#!/usr/bin/env bash
# Integration: a DHCP avalanche. perfdhcp (Debian's kea-admin) in the client namespace starts
# 1000 clients at once (--scenario avalanche -R 1000) against the appliance; every one must be
# provisioned (DISCOVER-OFFER and REQUEST-ACK), with no address given twice (-u), the
# appliance must stay up, and its own counters must agree with what perfdhcp saw.
# perfdhcp acts as a relay: giaddr = its own address, sent from port 67; the appliance answers
# it unicast at port 67. The lab's /24 has a 101-address pool, so the appliance runs with the
# wide variant of the lab config (bs_config_wide: 10.77.0.0/20, 3839 addresses).
# TAP output. Usage: dhcp_perfdhcp.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tools/lab/tap.sh
source "$(cd "${2:?source dir}" && pwd)/tools/lab/tap.sh"
bs_test_begin "$@"

work=$BS_TEST_WORK
clients=1000
client_ip=10.77.0.50

command -v perfdhcp >/dev/null || tap_bail "perfdhcp missing (kea-admin): sudo tools/setup-deps"

bs_config_wide "$work/bootstorm.toml"
ip -n "$BS_NS_C0" addr replace "$client_ip/$BS_WIDE_LEN" dev "$BS_C0_IF"
bs_test_appliance_up "$work/bootstorm.toml"
before=$(bs_appliance_status || true)

# -u: perfdhcp checks that no address is handed to two clients. The avalanche resends with
# back-off until every client is served; timeout bounds it if some never are.
rc=0
bs_c0 timeout 60 perfdhcp -4 -l "$client_ip" --scenario avalanche -R "$clients" -u -x e \
    "$BS_SERVER_IP" >"$work/perfdhcp.out" 2>&1 || rc=$?
cp "$work/perfdhcp.out" "$BS_TEST_LOGDIR/$BS_TEST_NAME.perfdhcp.out"
eval "$(bs_perfdhcp_parse "$work/perfdhcp.out")"
report=$(grep -E '^(It took|Requests|Responses|sent packets|received packets|drops:|non unique)' "$work/perfdhcp.out" || true)

tap_is "perfdhcp exit status (0: every exchange completed)" "$rc" "0"
if [[ ${provisioned:-} == "$clients" ]]; then
    tap_ok "avalanche: $clients clients provisioned in ${took_s:-?}s (${resent:-?} resent)"
else
    tap_not_ok "avalanche: $clients clients provisioned" "perfdhcp said:" "$(tail -n 40 "$work/perfdhcp.out")"
fi
tap_is "every DISCOVER answered by an OFFER" "${do_recv:-}/${do_sent:-}" "$clients/$clients"
tap_is "every REQUEST answered by an ACK" "${ra_recv:-}/${ra_sent:-}" "$clients/$clients"
tap_is "no address handed to two clients (perfdhcp -u), no rejected lease" \
    "${do_nonunique:-}/${ra_nonunique:-}/${do_rejected:-}/${ra_rejected:-}" "0/0/0/0"

bs_test_appliance_alive "appliance still running after the avalanche"

# The appliance's own view, once its counters have settled (reported every second).
after=$(bs_appliance_status_settled 20)
[[ -n $after ]] || tap_bail "no /status from the appliance" "$(tail -n 20 "$BS_TEST_APPLIANCE_LOG")"
delta() { echo $(($(bs_status_get "$after" "$@") - $(bs_status_get "$before" "$@"))); }
discovers=$(delta dataplane.stats.counters.dhcp_discover events.dhcp_discover)
offers=$(delta dataplane.stats.counters.dhcp_offers events.dhcp_offer)
requests=$(delta dataplane.stats.counters.dhcp_request events.dhcp_request)
acks=$(delta dataplane.stats.counters.dhcp_acks events.dhcp_ack)
naks=$(delta dataplane.stats.counters.dhcp_naks events.dhcp_nak)
tap_diag "appliance: $discovers DISCOVER, $offers OFFER, $requests REQUEST, $acks ACK, $naks NAK" \
    "perfdhcp: ${sent_total:-?} sent (${resent:-?} resent), ${responses:-?} responses"
# Resent requests reach the appliance too, so it may count more than perfdhcp's 1000 + 1000;
# never fewer, never more than perfdhcp sent in all, and it answered every one it saw.
if ((offers >= clients && acks >= clients)); then
    tap_ok "appliance counted >= $clients OFFERs and ACKs ($offers, $acks)"
else
    tap_not_ok "appliance counted >= $clients OFFERs and ACKs" "offers $offers, acks $acks"
fi
if ((discovers + requests <= ${sent_total:-0})); then
    tap_ok "appliance saw no more requests than perfdhcp sent ($((discovers + requests)) <= ${sent_total:-0})"
else
    tap_not_ok "appliance saw no more requests than perfdhcp sent" "$((discovers + requests)) > ${sent_total:-0}"
fi
tap_is "appliance answered every DISCOVER and REQUEST it counted, no NAK" "$offers/$acks/$naks" "$discovers/$requests/0"
drops=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1] or "{}").get("dataplane",{}).get("stats",{}).get("drops",{}); print(" ".join(f"{k}={v}" for k,v in d.items() if k.startswith("dhcp")))' "$after")
tap_is "no DHCP drop reason counted" "$drops" ""

# The leases on disk (bootstorm-ctl leases, where built): one per client, distinct addresses.
ctl=$BS_BUILD_DIR/tools/bootstorm-ctl
if "$ctl" leases --help >/dev/null 2>&1; then
    if ip netns exec "$BS_NS_SRV" "$ctl" leases --config "$work/bootstorm.toml" --json >"$work/leases.json" 2>"$work/leases.err"; then
        counts=$(python3 -c '
import json, sys
ls = json.load(open(sys.argv[1]))
ls = ls.get("leases", ls) if isinstance(ls, dict) else ls
macs = {l.get("mac") for l in ls}
ips = {l.get("ip", l.get("address")) for l in ls}
print(f"{len(ls)} {len(macs)} {len(ips)}")' "$work/leases.json" 2>&1) || true
        read -r n nmac nip <<<"$counts"
        if [[ ${n:-} =~ ^[0-9]+$ ]] && ((n >= clients && nmac == nip)); then
            tap_ok "bootstorm-ctl leases: $nmac MACs on $nip distinct addresses"
        else
            tap_not_ok "bootstorm-ctl leases: one distinct address per client" "got: $counts" "$(head -c 600 "$work/leases.json")"
        fi
    else
        tap_not_ok "bootstorm-ctl leases --json" "$(cat "$work/leases.err")"
    fi
else
    tap_skip "bootstorm-ctl leases" "not built"
fi

tap_diag "$report"
tap_done
