#!/usr/bin/env bash
# perfdhcp and `bootstorm-bench dhcp` against the same bootstorm, at the same rate and client
# count, one after the other on a fresh server each, printed side by side: exchanges per second,
# packets sent / received / dropped, orphans, OFFER and ACK delays, the client's CPU, the
# server's own drop counters (/status); then the same for an avalanche. Both reports are
# perfdhcp's format, read by bs_perfdhcp_parse.
#
# Usage: sudo BS_LAB_PREFIX=h1 BS_BUILD_DIR=build bench/dhcp-crosscheck.sh [RATE [CLIENTS [SECONDS]]]
#   RATE     exchanges started per second (perfdhcp -r, bootstorm-bench --rate), default 1000
#   CLIENTS  distinct client MACs (perfdhcp -R, bootstorm-bench --clients), default 1000
#   SECONDS  how long exchanges are started (perfdhcp -p, bootstorm-bench --duration), default 10
# Environment (defaults):
#   BS_XC_EXIT_WAIT_US=500000  perfdhcp -W; the bench's --exit-wait is the same time
#   BS_XC_TIMEOUTS=1           the bench's DHCP timeouts in the rate run: one try with 1 s to be
#                              answered, as perfdhcp's basic scenario (no resend, -d 1 s); the
#                              PXE firmware's "4,8,16,32" resends what the server dropped
#   BS_XC_AVALANCHE=1          also both avalanches (CLIENTS clients; the bench with the firmware
#                              timeouts 4,8,16,32, perfdhcp with its own back-off)
#   BS_XC_CLIENT_CPU=0         CPU perfdhcp and the bench are pinned to (taskset)
#   BS_XC_SERVER_CPU=1         CPU bootstorm's other threads join (its worker: the second of the
#                              config's lcores, "0,1" by default: CPU 1)
# Needs a build (BS_BUILD_DIR: bench/bootstorm-bench, the appliance), the lab payload
# (tools/lab/payload) and perfdhcp (tools/setup-deps).
#
# Topology (names from BS_LAB_PREFIX, default bs): bootstorm 10.77.0.1/20 on <p>-veth0 (namespace
# <p>-srv, DPDK net_af_packet), serving 10.77.0.0/20 (pool 10.77.1.0 - 10.77.15.254, the lab's
# wide network); on the lab bridge:
#   perfdhcp         <p>-c0 (10.77.0.50/20), a relay: unicast to the server's port 67, giaddr set
#   bootstorm-bench  <p>-bench (no address), AF_PACKET on <p>-bench: PXE clients broadcasting from
#                    0.0.0.0:68, each with its own MAC; the server answers them at layer 2
# The server's work differs accordingly (relayed plain DHCP against PXE clients with boot options
# in the replies): the comparison is of the two tools' figures on the same server, not of two
# identical loads.
set -euo pipefail
# shellcheck source=../tools/lab/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/lab/lib.sh"
bs_require_root

rate=${1:-1000}
clients=${2:-1000}
seconds=${3:-10}
exit_wait_us=${BS_XC_EXIT_WAIT_US:-500000}
bench_timeouts=${BS_XC_TIMEOUTS:-1}
do_avalanche=${BS_XC_AVALANCHE:-1}
ccpu=${BS_XC_CLIENT_CPU:-0}
scpu=${BS_XC_SERVER_CPU:-1}
client_ip=10.77.0.50
bench_ns=$BS_LAB_PREFIX-bench
bench_if=$BS_LAB_PREFIX-bench
bench=$BS_BUILD_DIR/bench/bootstorm-bench
stamp=$(date +%Y%m%d-%H%M%S)
outdir=$BS_LAB_DIR/bench/dhcp-crosscheck.$BS_LAB_PREFIX.$stamp
results=$outdir.md
work=$(mktemp -d /tmp/bs-dhcp-crosscheck.XXXXXX)
mkdir -p "$outdir"

[[ $rate =~ ^[0-9]+$ && $rate -gt 0 ]] || bs_die "RATE must be a positive integer (perfdhcp -r)"
[[ $clients =~ ^[0-9]+$ && $clients -gt 0 ]] || bs_die "CLIENTS must be a positive integer"
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || bs_die "SECONDS must be a positive integer"
command -v perfdhcp >/dev/null || bs_die "perfdhcp missing (kea-admin): sudo tools/setup-deps"
[[ -x $bench ]] || bs_die "$bench not built (meson compile -C $BS_BUILD_DIR)"

cleanup() {
    bs_appliance_stop
    bs_ns_del "$bench_ns"
    ip -n "$BS_NS_CLI" link del "${bench_if}b" 2>/dev/null || true
    "$BS_REPO/tools/lab/net" down >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

say() { printf '[crosscheck] %s\n' "$*" >&2; }

# --- the lab ------------------------------------------------------------------------------
"$BS_REPO/tools/lab/payload" >/dev/null 2>&1 || bs_die "tools/lab/payload failed"
"$BS_REPO/tools/lab/net" down >/dev/null 2>&1 || true
"$BS_REPO/tools/lab/net" up >/dev/null
ip -n "$BS_NS_C0" addr replace "$client_ip/$BS_WIDE_LEN" dev "$BS_C0_IF"
# The bench's namespace: a port of the lab bridge without an address (the simulated clients
# have none yet; the kernel there has nothing to answer).
bs_ns_add "$bench_ns"
ip -n "$BS_NS_CLI" link del "${bench_if}b" 2>/dev/null || true # left by a killed run
bs_veth "$bench_ns" "$bench_if" "$BS_NS_CLI" "${bench_if}b"
ip -n "$BS_NS_CLI" link set "${bench_if}b" master "$BS_BRIDGE"
bs_config_wide "$work/bootstorm.wide.toml"
# Both tools come back to the same MACs several times a second at these rates: bootstorm's
# per-MAC flood limit is off, as in bench/dhcp-perfdhcp.sh.
BS_CONFIG=$work/bootstorm.wide.toml bs_config_variant "$work/bootstorm.toml" \
    's|^\[dhcp\][[:space:]]*$|[dhcp]\nrate_limit_per_mac = 0|'
cp "$work/bootstorm.toml" "$outdir/bootstorm.toml"

# --- the server: a fresh one (no leases) per run --------------------------------------------
bs_starts=0
start_bootstorm() {
    rm -rf "$BS_STATE_DIR"
    mkdir -p "$BS_STATE_DIR"
    bs_starts=$((bs_starts + 1))
    bs_appliance_start "$outdir/bootstorm.$bs_starts.log" "" "$work/bootstorm.toml"
    bs_appliance_wait_ready 60 || bs_die "bootstorm did not come up: $(tail -n 20 "$outdir/bootstorm.$bs_starts.log")"
    local dp cp t
    dp=$(pgrep -f "bootstorm-dataplane --config $work/bootstorm.toml" | head -1)
    cp=$(pgrep -f "bootstorm-control --config $work/bootstorm.toml" | head -1)
    # The worker polls its own lcore; the rest of the appliance joins it on the server CPU, off
    # the client's (as bench/dhcp-perfdhcp.sh does).
    for t in /proc/"$cp"/task/*; do taskset -p -c "$scpu" "${t##*/}" >/dev/null 2>&1 || true; done
    for t in /proc/"$dp"/task/*; do
        [[ $(cat "$t/comm") == rte-worker* ]] || taskset -p -c "$scpu" "${t##*/}" >/dev/null 2>&1 || true
    done
}

# run_client NAME NS CMD...: one client run pinned to the client CPU, on a fresh server; its
# output in $outdir/NAME.txt, parsed (bs_perfdhcp_parse) into P_NAME_<field>, plus its CPU
# (% of one core) and wall time.
# The server's view goes in R[NAME.server]: frames its veth carried that the dataplane never
# received (its af_packet ring overflowed), and its drop reasons during the run.
declare -A R
veth_rx() { ip netns exec "$BS_NS_SRV" cat "/sys/class/net/$BS_VETH_SRV/statistics/rx_packets"; }
run_client() {
    local name=$1 ns=$2 tf=$work/time wall u s k val st0 st1 k0 k1 dprx
    shift 2
    start_bootstorm
    st0=$(bs_appliance_status || true)
    k0=$(veth_rx)
    local TIMEFORMAT='%R %U %S'
    { time ip netns exec "$ns" timeout 900 taskset -c "$ccpu" "$@" >"$outdir/$name.txt" 2>&1; } 2>"$tf" || true
    st1=$(bs_appliance_status_settled 10)
    k1=$(veth_rx)
    echo "$st1" >"$outdir/$name.status.json"
    dprx=$(($(bs_status_get "$st1" dataplane.stats.counters.rx_packets) - $(bs_status_get "$st0" dataplane.stats.counters.rx_packets)))
    R[$name.server]="received $dprx of $((k1 - k0)) frames; drops $(python3 -c '
import json, sys
a, b = (json.loads(x or "{}").get("dataplane", {}).get("stats", {}).get("drops", {}) for x in sys.argv[1:3])
print(" ".join(f"{k}={v - a.get(k, 0)}" for k, v in b.items() if v != a.get(k, 0)) or "none")' "$st0" "$st1")"
    bs_appliance_stop
    read -r wall u s < <(tail -n 1 "$tf")
    R[$name.cpu]=$(awk -v u="$u" -v s="$s" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0) ? (u + s) / w * 100 : 0 }')
    R[$name.wall]=$wall
    while IFS="=" read -r k val; do R[$name.$k]=$val; done < <(bs_perfdhcp_parse "$outdir/$name.txt")
    say "$name: $(grep -m1 '^Rate:' "$outdir/$name.txt" || echo 'no report'), client CPU ${R[$name.cpu]}%; server: ${R[$name.server]}"
}

# --- the runs -----------------------------------------------------------------------------
say "rate $rate/s, $clients clients, ${seconds}s; results in $outdir"
w_s=$(awk -v u="$exit_wait_us" 'BEGIN { print u / 1e6 }')
run_client perfdhcp.rate "$BS_NS_C0" perfdhcp -4 -g single -l "$client_ip" \
    -r "$rate" -R "$clients" -p "$seconds" -W "$exit_wait_us" "$BS_SERVER_IP"
run_client bench.rate "$bench_ns" "$bench" dhcp --interface "$bench_if" --progress 0 \
    --rate "$rate" --clients "$clients" --duration "$seconds" --exit-wait "$w_s" \
    --timeouts "$bench_timeouts" --json "$outdir/bench.rate.json"
if [[ $do_avalanche == 1 ]]; then
    run_client perfdhcp.avalanche "$BS_NS_C0" perfdhcp -4 -g single -l "$client_ip" \
        --scenario avalanche -R "$clients" "$BS_SERVER_IP"
    run_client bench.avalanche "$bench_ns" "$bench" dhcp --interface "$bench_if" --progress 0 \
        --clients "$clients" --json "$outdir/bench.avalanche.json"
fi

# --- side by side -------------------------------------------------------------------------
v() { echo "${R[$1]:-n/a}"; }
pct() { awk -v d="${1:-0}" -v s="${2:-0}" 'BEGIN { if (s > 0) printf "%.3f%%", d * 100 / s; else print "n/a" }'; }
xchg() { # NAME do|ra: "sent / received / drops (ratio)"
    echo "$(v "$1.${2}_sent") / $(v "$1.${2}_recv") / $(v "$1.${2}_drops") ($(pct "${R[$1.${2}_drops]:-0}" "${R[$1.${2}_sent]:-0}"))"
}
delays() { echo "$(v "$1.${2}_min") / $(v "$1.${2}_avg") / $(v "$1.${2}_max") / $(v "$1.${2}_std")"; }
row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }
rev=$(git -C "$BS_REPO" rev-parse --short HEAD 2>/dev/null || echo "?")
{
    echo "## DHCP: perfdhcp and bootstorm-bench side by side ($(date +%Y-%m-%d))"
    echo
    echo '```sh'
    echo "sudo BS_LAB_PREFIX=$BS_LAB_PREFIX BS_BUILD_DIR=$BS_BUILD_DIR bench/dhcp-crosscheck.sh $rate $clients $seconds"
    echo '```'
    echo
    echo "bootstorm $rev, one fresh server per run (wide lab config, rate_limit_per_mac = 0);" \
        "$(perfdhcp -v 2>&1 | head -1 | sed 's/VERSION: /perfdhcp /') in $BS_NS_C0 as a relay at $client_ip;" \
        "bootstorm-bench over AF_PACKET in $bench_ns, PXE clients (arch 0) broadcasting. Both pinned to CPU $ccpu." \
        "Machine: $(nproc) CPUs, kernel $(uname -r)."
    echo
    echo "Rate: -r $rate -R $clients -p $seconds -W $exit_wait_us (bench: --rate $rate --clients $clients --duration $seconds --exit-wait $w_s --timeouts $bench_timeouts)."
    echo
    echo "| | perfdhcp | bootstorm-bench |"
    echo "|---|---|---|"
    row "exchanges/s (ACKs per second of the run)" "$(v perfdhcp.rate.rate)" "$(v bench.rate.rate)"
    row "DISCOVER-OFFER sent / received / drops" "$(xchg perfdhcp.rate 'do')" "$(xchg bench.rate 'do')"
    row "DISCOVER-OFFER orphans" "$(v perfdhcp.rate.do_orphans)" "$(v bench.rate.do_orphans)"
    row "OFFER delay min / avg / max / std (ms)" "$(delays perfdhcp.rate 'do')" "$(delays bench.rate 'do')"
    row "REQUEST-ACK sent / received / drops" "$(xchg perfdhcp.rate 'ra')" "$(xchg bench.rate 'ra')"
    row "REQUEST-ACK orphans" "$(v perfdhcp.rate.ra_orphans)" "$(v bench.rate.ra_orphans)"
    row "ACK delay min / avg / max / std (ms)" "$(delays perfdhcp.rate 'ra')" "$(delays bench.rate 'ra')"
    row "client CPU (% of one core) / wall (s)" "$(v perfdhcp.rate.cpu)% / $(v perfdhcp.rate.wall)" "$(v bench.rate.cpu)% / $(v bench.rate.wall)"
    row "server (dataplane)" "$(v perfdhcp.rate.server)" "$(v bench.rate.server)"
    if [[ $do_avalanche == 1 ]]; then
        echo
        echo "Avalanche: $clients clients, each DORA until answered (perfdhcp --scenario avalanche -R $clients; bench --clients $clients, PXE timeouts 4,8,16,32)."
        echo
        echo "| | perfdhcp | bootstorm-bench |"
        echo "|---|---|---|"
        row "provisioned / time (s)" "$(v perfdhcp.avalanche.provisioned) / $(v perfdhcp.avalanche.took_s)" "$(v bench.avalanche.provisioned) / $(v bench.avalanche.took_s)"
        row "requests sent + resent (resent)" "$(v perfdhcp.avalanche.sent_total) ($(v perfdhcp.avalanche.resent))" "$(v bench.avalanche.sent_total) ($(v bench.avalanche.resent))"
        row "exchanges/s" "$(v perfdhcp.avalanche.rate)" "$(v bench.avalanche.rate)"
        row "OFFER delay min / avg / max / std (ms)" "$(delays perfdhcp.avalanche 'do')" "$(delays bench.avalanche 'do')"
        row "ACK delay min / avg / max / std (ms)" "$(delays perfdhcp.avalanche 'ra')" "$(delays bench.avalanche 'ra')"
        row "client CPU (% of one core) / wall (s)" "$(v perfdhcp.avalanche.cpu)% / $(v perfdhcp.avalanche.wall)" "$(v bench.avalanche.cpu)% / $(v bench.avalanche.wall)"
        row "server (dataplane)" "$(v perfdhcp.avalanche.server)" "$(v bench.avalanche.server)"
    fi
    echo
    echo "\"server\": frames the dataplane received of those its veth carried (the rest overflowed its af_packet ring), and its drop reasons during the run (/status)."
    echo
    echo "Raw outputs, bootstorm logs and /status after each run, the bench's JSON: $outdir/"
} | tee "$results"
