#!/usr/bin/env bash
# Integration: a scaled-down boot storm (`bootstorm-bench storm`: BS_TEST_STORM_CLIENTS simulated
# PXE machines, default 10, a 256 KiB kernel and a 1 MiB initrd) against bootstorm and against
# dnsmasq (DHCP + TFTP) + busybox httpd, in the storm lab (bench/storm-lab/lib.sh: namespaces
# <p>-srv and <p>-bench joined by a veth, the kernel kept off the bench's end). Asserts: every
# machine completes; the JSON has the interface's fields; the storm's TFTP bytes and transfers
# equal the server's own account (bootstorm: /status counters; dnsmasq: its "sent" log lines,
# each file's size added up); `bootstorm-bench compare` makes an HTML report of both runs.
# Usage: bench_storm.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tools/lab/tap.sh
source "$(cd "${2:?source dir}" && pwd)/tools/lab/tap.sh"

BS_BUILD_DIR=$(cd "${1:?build dir}" && pwd)
BS_REPO=$(cd "$2" && pwd)
BS_TEST_NAME=$(basename "$0" .sh)
BS_TEST_LOGDIR=$BS_BUILD_DIR/meson-logs/lab
# shellcheck source=tools/lab/lib.sh
source "$BS_REPO/tools/lab/lib.sh"
if [[ $(id -u) -ne 0 ]]; then
    echo "1..0 # SKIP needs root (network namespaces): sudo tools/run-tests"
    exit 0
fi
clients=${BS_TEST_STORM_CLIENTS:-10}
export BS_STORM_KERNEL_KIB=${BS_TEST_STORM_KERNEL_KIB:-256}
export BS_STORM_INITRD_KIB=${BS_TEST_STORM_INITRD_KIB:-1024}
export BS_STORM_CLIENTS=$clients
# shellcheck source=bench/storm-lab/lib.sh
source "$BS_REPO/bench/storm-lab/lib.sh"
bench=$BS_BUILD_DIR/bench/bootstorm-bench
blksize=1468
mkdir -p "$BS_TEST_LOGDIR"
work=$(mktemp -d "${TMPDIR:-/tmp}/bs-test.XXXXXX")
cleanup() {
    local rc=$?
    set +e
    storm_server_stop
    storm_lab_down
    # the servers' logs and the runs' reports, for a failed run
    rm -rf "${BS_TEST_LOGDIR:?}/$BS_TEST_NAME"
    cp -r "$work" "$BS_TEST_LOGDIR/$BS_TEST_NAME" 2>/dev/null
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT

[[ -x $bench ]] || tap_bail "$bench not built"
"$bench" storm --help >/dev/null 2>&1 || tap_bail "$bench has no 'storm' subcommand"
out=$(storm_tree 2>&1) || tap_bail "the boot tree failed" "$out"
storm_tree 2>/dev/null
storm_lab_down
out=$(storm_lab_up keepoff 2>&1) || tap_bail "the storm lab's network failed" "$out"

# json_get FILE EXPR: a Python expression over the document j (prints its value)
json_get() { python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1; }

# storm NAME: one storm against the running server; its report in $work/NAME.{json,html,txt}.
storm() {
    local name=$1 rc=0
    ip netns exec "$STORM_NS_BENCH" timeout -k 5 150 "$bench" storm --interface "$STORM_IF_BENCH" \
        --clients "$clients" --blksize "$blksize" --windowsize 16 --seed 1 --label "$name" \
        --json "$work/$name.json" --html "$work/$name.html" >"$work/$name.txt" 2>&1 || rc=$?
    if ((rc == 0)); then tap_ok "$name: the storm of $clients machines exits 0"; else
        tap_not_ok "$name: the storm of $clients machines exits 0" "exit $rc" "$(tail -n 25 "$work/$name.txt")"; fi
}

# check_report NAME: the JSON interface (issue #7) and every machine booted.
check_report() {
    local name=$1 j=$work/$1.json got
    if [[ ! -s $j ]]; then
        tap_not_ok "$name: the JSON report exists" "$(tail -n 10 "$work/$name.txt")"
        return
    fi
    got=$(json_get "$j" '[k for k in ("clients", "completed", "failed", "makespan_s", "phases") if k not in j]')
    tap_is "$name: the JSON has clients, completed, failed, makespan_s, phases" "$got" "[]"
    got=$(json_get "$j" '[p + "." + k for p in ("dhcp", "bootfile", "config", "modules", "kernel", "initrd", "kickstart", "total") for k in ("p50_ms", "p99_ms") if not isinstance(j["phases"].get(p, {}).get(k), (int, float))]')
    tap_is "$name: every phase (dhcp ... kickstart, total) has p50_ms and p99_ms" "$got" "[]"
    got=$(json_get "$j" '(j["clients"], j["completed"], j["failed"])')
    tap_is "$name: all $clients machines completed, none failed" "$got" "($clients, $clients, 0)"
    [[ $got == "($clients, $clients, 0)" ]] || tap_diag "failures: $(json_get "$j" 'j.get("failure_examples")')"
    got=$(json_get "$j" 'j["phases"]["kickstart"]["count"]')
    tap_is "$name: every machine fetched its kickstart" "$got" "$clients"
    got=$(json_get "$j" 'j["makespan_s"] > 0')
    tap_is "$name: makespan_s is positive" "$got" "True"
    # each machine read at least the kernel and the initrd
    got=$(json_get "$j" "j['bytes']['tftp'] >= $clients * $(((BS_STORM_KERNEL_KIB + BS_STORM_INITRD_KIB) * 1024))")
    tap_is "$name: bytes.tftp covers $clients kernels and initrds" "$got" "True"
    if [[ -s $work/$name.html ]] && grep -q '<svg' "$work/$name.html"; then tap_ok "$name: --html wrote a report with its charts"; else
        tap_not_ok "$name: --html wrote a report with its charts" "$(head -c 300 "$work/$name.html" 2>/dev/null)"; fi
}

# --- bootstorm ------------------------------------------------------------------------------
storm_server_start bootstorm "$work/servers" 2>"$work/bootstorm-start.err" ||
    tap_bail "bootstorm did not come up" "$(tail -n 20 "$work/bootstorm-start.err")"
tap_ok "bootstorm ready at $STORM_SERVER (pool $STORM_POOL_FIRST - $STORM_POOL_LAST)"
# the counters once the dataplane has reported them
for ((i = 0; i < 20; i++)); do
    bs_appliance_status >"$work/clean-bootstorm.status-0.json" 2>/dev/null || true
    python3 -c 'import json, sys; sys.exit("stats" not in json.load(open(sys.argv[1])).get("dataplane", {}))' \
        "$work/clean-bootstorm.status-0.json" 2>/dev/null && break
    sleep 0.5
done
storm bootstorm
check_report bootstorm
cp "$work/bootstorm.json" "$work/clean-bootstorm.json" 2>/dev/null || true
bs_appliance_status_settled >"$work/clean-bootstorm.status-1.json" 2>/dev/null || true
# settled on the DHCP counters; the TFTP ones: wait until two reports agree
for ((i = 0; i < 20; i++)); do
    a=$(bs_status_get "$(cat "$work/clean-bootstorm.status-1.json")" dataplane.stats.counters.tftp_data_bytes)
    sleep 1.5
    bs_appliance_status >"$work/clean-bootstorm.status-1.json" 2>/dev/null || continue
    [[ $(bs_status_get "$(cat "$work/clean-bootstorm.status-1.json")" dataplane.stats.counters.tftp_data_bytes) == "$a" ]] && break
done
out=$(python3 "$BS_REPO/bench/storm-lab/report.py" --out "$work" --blksize "$blksize" --crosscheck-only clean 2>&1) && rc=0 || rc=$?
tap_diag "$out"
# tftp_data_bytes counts every DATA byte sent, retransmissions included; the storm's
# bytes.tftp_received counts every DATA byte that arrived (duplicates, blocks past a gap, DATA
# after a transfer's end): equal on a lab wire that loses nothing.
if [[ $out == equal:* ]]; then tap_ok "bootstorm: the DATA bytes the storm received equal the server's tftp_data_bytes"
else tap_not_ok "bootstorm: the DATA bytes the storm received equal the server's tftp_data_bytes" "$out"; fi
got=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
c0 = json.load(open(sys.argv[2]))["dataplane"]["stats"]["counters"]
c1 = json.load(open(sys.argv[3]))["dataplane"]["stats"]["counters"]
c = r["counters"]
print(c["tftp_files"] - c["config_misses"] - c["module_misses"], c1["tftp_done"] - c0["tftp_done"])' \
    "$work/bootstorm.json" "$work/clean-bootstorm.status-0.json" "$work/clean-bootstorm.status-1.json" 2>&1 || true)
read -r a b <<<"$got"
tap_is "bootstorm: the storm's TFTP files read (requests less misses) equal the server's tftp_done" "$a" "$b"
bs_test_alive=$(kill -0 "$BS_APPLIANCE_PID" 2>/dev/null && echo yes || echo no)
tap_is "bootstorm: still running after the storm" "$bs_test_alive" yes
storm_server_stop

# --- dnsmasq ---------------------------------------------------------------------------------
storm_server_start dnsmasq "$work/servers" 2>"$work/dnsmasq-start.err" ||
    tap_bail "dnsmasq did not start" "$(tail -n 20 "$work/dnsmasq-start.err")"
tap_ok "dnsmasq + busybox httpd ready at $STORM_SERVER"
storm dnsmasq
check_report dnsmasq
# dnsmasq logs every file it sent ("dnsmasq-tftp[PID]: sent /path to 10.77.x.y"): its own account
sleep 1
got=$(python3 -c '
import json, os, re, sys
r = json.load(open(sys.argv[1]))
n = size = miss = 0
for line in open(sys.argv[2], errors="replace"):
    m = re.search(r"dnsmasq-tftp\[\d+\]: sent (\S+) to ", line)
    if m:
        n += 1
        size += os.path.getsize(m.group(1))
    if re.search(r"dnsmasq-tftp\[\d+\]: file \S+ not found", line):
        miss += 1
c = r["counters"]
m = c["config_misses"] + c["module_misses"]
print(c["tftp_files"] - m, n, r["bytes"]["tftp"], size, m, miss)' \
    "$work/dnsmasq.json" "$work/servers/dnsmasq/dnsmasq.log" 2>&1 || true)
read -r sf dn sb db sm dm <<<"$got"
tap_is "dnsmasq: the storm's TFTP files read (requests less misses) equal dnsmasq's 'sent' log lines" "$sf" "$dn"
tap_is "dnsmasq: the storm's TFTP bytes equal the sizes of the files dnsmasq logged as sent" "$sb" "$db"
tap_is "dnsmasq: the storm's config and module misses equal dnsmasq's 'not found' log lines" "$sm" "$dm"
storm_server_stop

# --- compare ---------------------------------------------------------------------------------
rc=0
out=$("$bench" compare "$work/bootstorm.json" "$work/dnsmasq.json" --html "$work/compare.html" 2>&1) || rc=$?
tap_is "compare: exits 0" "$rc" 0
tap_contains "compare: the table names both runs" "$out" "dnsmasq"
if [[ -s $work/compare.html ]] && grep -q 'bootstorm' "$work/compare.html" && grep -q 'dnsmasq' "$work/compare.html" &&
    [[ $(grep -o '<polyline class="curve"' "$work/compare.html" | wc -l) -ge 2 ]]; then
    tap_ok "compare: --html holds both runs and a completion curve for each"
else
    tap_not_ok "compare: --html holds both runs and a completion curve for each" "$(head -c 500 "$work/compare.html" 2>/dev/null)"
fi
tap_done
