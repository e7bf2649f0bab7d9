#!/usr/bin/env bash
# Integration: two worker lcores. The boot port gets two queue pairs (net_af_packet qpairs=2:
# the kernel spreads frames over them by flow, so a client's request and its ACKs can arrive on
# different queues), TFTP flows are steered to the worker that owns the client's address, and
# DHCP, ARP and the exception path stay with worker 0. Eight client addresses read files at
# once with curl and atftp; every file must be byte-identical, both workers must have served
# transfers, and DHCP and the kernel path (HTTP) must still work.
# Usage: tftp_workers.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tools/lab/tap.sh
source "$(cd "${2:?source dir}" && pwd)/tools/lab/tap.sh"
bs_test_begin "$@"

work=$BS_TEST_WORK
srv=$BS_SERVER_IP
root=$BS_TFTP_ROOT
file=bs-test-workers.bin

# lcores: the service thread, then two workers; "2@1" shares CPU 1 on a two-CPU machine.
bs_config_variant "$work/workers.toml" \
    's|"net_af_packet0,iface=([^"]*)"|"net_af_packet0,iface=\1,qpairs=2"|' \
    's|^\[server\][[:space:]]*$|[server]\nlcores = "0@0,1@1,2@1"|'
bs_test_appliance_up "$work/workers.toml"
tap_contains "the dataplane started two workers" \
    "$(grep -m1 'serving DHCP and TFTP' "$BS_TEST_APPLIANCE_LOG" || true)" "with 2 worker(s)"

head -c $((2 << 20)) /dev/urandom >"$root/$file"
# The test's exit status goes on to bs_test_cleanup (errexit off, or a failure ends the handler).
trap 'rc=$?; set +e; rm -f "$root/$file"; (exit $rc); bs_test_cleanup' EXIT
# 10.77.0.61..68: the address hash gives four to each worker (61, 62, 65, 66 -> 0).
for i in $(seq 61 68); do ip -n "$BS_NS_C0" addr add "10.77.0.$i/24" dev "$BS_C0_IF"; done
pids=()
for i in $(seq 61 68); do
    bs_c0 timeout 60 curl -sS --interface "10.77.0.$i" --tftp-blksize 1468 \
        -o "$work/curl.$i" "tftp://$srv/$file" >"$work/curl.$i.log" 2>&1 &
    pids+=($!)
done
rc=0; for p in "${pids[@]}"; do wait "$p" || rc=$?; done
bad=0
for i in $(seq 61 68); do cmp -s "$root/$file" "$work/curl.$i" || bad=$((bad + 1)); done
if ((rc == 0 && bad == 0)); then
    tap_ok "8 concurrent curl reads from 8 addresses are byte-identical"
else
    tap_not_ok "8 concurrent curl reads from 8 addresses are byte-identical" "last exit status $rc, $bad differ" \
        "$(cat "$work"/curl.*.log)"
fi
rc=0
out=$(bs_c0 timeout 60 atftp --option "blksize 1468" --option "windowsize 64" -g -r "$file" \
    -l "$work/atftp" "$srv" 2>&1) || rc=$?
if ((rc == 0)) && cmp -s "$root/$file" "$work/atftp"; then tap_ok "atftp windowsize 64: byte-identical"; else
    tap_not_ok "atftp windowsize 64: byte-identical" "exit $rc" "$out"
fi
out=$(bs_c0 timeout 20 udhcpc -i "$BS_C0_IF" -n -q -t 5 -s /bin/true 2>&1 || true)
tap_contains "udhcpc: a lease (DHCP stays with worker 0)" "$out" "obtained from $srv"
code=$(bs_c0 curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://$srv/status" || true)
tap_is "HTTP to the appliance (the exception path) answers" "$code" 200

status=$(bs_appliance_status_settled 5)
w0=$(bs_status_get "$status" dataplane.stats.counters.worker0_tftp_started)
w1=$(bs_status_get "$status" dataplane.stats.counters.worker1_tftp_started)
steered=$(bs_status_get "$status" dataplane.stats.counters.steered)
if ((w0 >= 4 && w1 >= 4)); then
    tap_ok "both workers served transfers (worker 0: $w0, worker 1: $w1)"
else
    tap_not_ok "both workers served transfers (worker 0: $w0, worker 1: $w1)" "$status"
fi
if ((steered > 0)); then tap_ok "frames were steered between workers ($steered)"; else
    tap_not_ok "frames were steered between workers" "steered=$steered"
fi
bs_test_appliance_alive "appliance still running"
tap_done
