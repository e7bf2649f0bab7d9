#!/usr/bin/env bash
# Integration: what is not DHCP/TFTP goes through the dataplane's exception tap to the
# kernel (ARP for the appliance, ICMP, the control process's HTTP): kickstarts over HTTP
# from namespace bs-c0.
# Usage: http_exception.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tools/lab/tap.sh
source "$(cd "${2:?source dir}" && pwd)/tools/lab/tap.sh"
bs_test_begin "$@"

work=$BS_TEST_WORK
srv=$BS_SERVER_IP

ip -n "$BS_NS_C0" addr replace 10.77.0.61/24 dev "$BS_C0_IF"
bs_test_appliance_up

tap_check "ping $srv from bs-c0 (ARP + ICMP through the exception path)" \
    bs_c0 busybox ping -c 2 -W 3 "$srv"

rc=0
code=$(bs_c0 curl -sS --max-time 20 -o "$work/node001.ks" -w '%{http_code}' "http://$srv/ks/node001.ks" 2>"$work/curl.err") || rc=$?
tap_is "GET /ks/node001.ks -> 200" "$rc:$code" "0:200"
ks=$(cat "$work/node001.ks" 2>/dev/null || true)
tap_contains "the kickstart names its host" "$ks" "node001"
tap_contains "the kickstart has the host's disk var" "$ks" "sda"
if [[ $ks == *'{{'* ]]; then tap_not_ok "no unrendered {{placeholders}} left" "$(grep -n '{{' <<<"$ks")"; else
    tap_ok "no unrendered {{placeholders}} left"; fi

code=$(bs_c0 curl -s --max-time 20 -o /dev/null -w '%{http_code}' "http://$srv/ks/no-such-host.ks" || true)
tap_is "GET /ks/no-such-host.ks -> 404" "$code" "404"

bs_test_appliance_alive "appliance still running"
tap_done
