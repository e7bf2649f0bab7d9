#!/usr/bin/env bash
# DHCP under perfdhcp: bootstorm, ISC Kea and dnsmasq one after the other, in one run, on the
# same lab wire, from the same client. docs/BENCHMARKS.md ("DHCP: perfdhcp") quotes its output.
#
# Usage: sudo BS_BUILD_DIR=build bench/dhcp-perfdhcp.sh [RATE_SECONDS (default 30)]
# Environment (defaults):
#   BS_BENCH_SERVERS="bootstorm kea dnsmasq"  which servers, in this order
#   BS_BENCH_CLIENTS=1000       perfdhcp -R: simulated clients (avalanche and rate runs)
#   BS_BENCH_PROBE_SECONDS=10   length of each probe of the rate search (Kea passed 3 s probes
#                               at rates where its 30 s runs then failed)
#   BS_BENCH_START_RATE=1000    first probe; doubled while probes pass, then bisected
#   BS_BENCH_MAX_RATE=256000    the search stops there
#   BS_BENCH_MAX_DROP_PCT=0.1   a run passes with fewer drops than this (% of packets sent)
#   BS_BENCH_FINAL_TRIES=6      final runs: the search's rate, then 10% less each time it fails
#   BS_BENCH_PERFDHCP_CPU=0     CPU perfdhcp is pinned to (taskset)
#   BS_BENCH_SERVER_CPU=1       CPU Kea and dnsmasq are pinned to; bootstorm's worker lcore is
#                               the second of [server] lcores (default "0,1": CPU 1)
#   BS_BENCH_PERFDHCP_THREADS=single   perfdhcp -g (single: one core for it is all it has)
#   BS_BENCH_DNSMASQ_PING=1     also an avalanche of dnsmasq with its default ICMP ping check
#                               (the main dnsmasq runs use --no-ping)
#   BS_BENCH_SPLIT=0            1: leave the dataplane's service thread on the first lcore (CPU 0,
#                               perfdhcp's) instead of moving it to the server CPU
#   BS_BENCH_NICE=0             nice value for perfdhcp and every server process (e.g. -10 on a
#                               machine other people's builds keep busy; the report says so)
# Needs a build (BS_BUILD_DIR), the lab payload (tools/lab/payload), perfdhcp and dnsmasq
# (tools/setup-deps); Kea's kea-dhcp4 is unpacked from its package, never installed.
#
# Topology (names from BS_LAB_PREFIX, default bs): perfdhcp in <p>-c0 (10.77.0.50/20) acts as a
# relay (giaddr = its address, port 67); the servers hang off the lab bridge one at a time:
#   bootstorm  10.77.0.1  DPDK net_af_packet on <p>-veth0 (namespace <p>-srv)
#   Kea, dnsmasq 10.77.0.2  kernel UDP on a veth (namespace <p>-peer)
# All three serve 10.77.0.0/20 from the pool 10.77.1.0 - 10.77.15.254 with router 10.77.0.1.
set -euo pipefail
# shellcheck source=../tools/lab/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/lab/lib.sh"
bs_require_root

rate_seconds=${1:-30}
servers=${BS_BENCH_SERVERS:-bootstorm kea dnsmasq}
clients=${BS_BENCH_CLIENTS:-1000}
probe_s=${BS_BENCH_PROBE_SECONDS:-10}
start_rate=${BS_BENCH_START_RATE:-1000}
max_rate=${BS_BENCH_MAX_RATE:-256000}
max_drop=${BS_BENCH_MAX_DROP_PCT:-0.1}
pcpu=${BS_BENCH_PERFDHCP_CPU:-0}
scpu=${BS_BENCH_SERVER_CPU:-1}
pthreads=${BS_BENCH_PERFDHCP_THREADS:-single}
dnsmasq_ping=${BS_BENCH_DNSMASQ_PING:-1}
nice_val=${BS_BENCH_NICE:-0}
final_tries=${BS_BENCH_FINAL_TRIES:-6}
client_ip=10.77.0.50
peer_ip=10.77.0.2
stamp=$(date +%Y%m%d-%H%M%S)
outdir=$BS_LAB_DIR/bench/dhcp-perfdhcp.$BS_LAB_PREFIX.$stamp
results=$outdir.md
work=$(mktemp -d /tmp/bs-bench-dhcp.XXXXXX)
mkdir -p "$outdir"

command -v perfdhcp >/dev/null || bs_die "perfdhcp missing (kea-admin): sudo tools/setup-deps"
command -v dnsmasq >/dev/null || bs_die "dnsmasq missing (dnsmasq-base): sudo tools/setup-deps"
kea=$(bs_unpacked kea-dhcp4-server /usr/sbin/kea-dhcp4 kea-common)
peer_pid=

cleanup() {
    stop_peer
    bs_appliance_stop
    bs_ns_del "$BS_LAB_PREFIX-peer"
    "$BS_REPO/tools/lab/net" down >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

say() { printf '[bench] %s\n' "$*" >&2; }

# --- the lab ------------------------------------------------------------------------------
"$BS_REPO/tools/lab/payload" >/dev/null 2>&1 || bs_die "tools/lab/payload failed"
"$BS_REPO/tools/lab/net" down >/dev/null 2>&1 || true
"$BS_REPO/tools/lab/net" up >/dev/null
ip -n "$BS_NS_C0" addr replace "$client_ip/$BS_WIDE_LEN" dev "$BS_C0_IF"
bs_peer_add peer "$peer_ip/$BS_WIDE_LEN"
bs_config_wide "$work/bootstorm.wide.toml"
# perfdhcp's 1000 clients come back several times a second each at these rates, which is what
# bootstorm's per-MAC flood limit (rate_limit_per_mac, default 10 messages/s) exists to stop:
# off here, as Kea and dnsmasq have no such limit. (The lab's BS_CONFIG becomes the wide one.)
BS_CONFIG=$work/bootstorm.wide.toml bs_config_variant "$work/bootstorm.toml" \
    's|^\[dhcp\][[:space:]]*$|[dhcp]\nrate_limit_per_mac = 0|'
lcores=$(sed -nE 's/^lcores[[:space:]]*=[[:space:]]*"([^"]*)".*/\1/p' "$work/bootstorm.toml")
lcores=${lcores:-0,1}

# --- the servers --------------------------------------------------------------------------
# Each start gives a server with no leases; *_pids lists the processes whose CPU time counts.
server_ip() { [[ $1 == bootstorm ]] && echo "$BS_SERVER_IP" || echo "$peer_ip"; }

start_bootstorm() {
    rm -rf "$BS_STATE_DIR"
    mkdir -p "$BS_STATE_DIR"
    bs_starts=$((${bs_starts:-0} + 1))
    bs_appliance_start "$outdir/bootstorm.$bs_starts.log" "" "$work/bootstorm.toml"
    bs_appliance_wait_ready 60 || bs_die "bootstorm did not come up: $(tail -n 20 "$outdir/bootstorm.$bs_starts.log")"
    local dp cp
    dp=$(pgrep -f "bootstorm-dataplane --config $work/bootstorm.toml" | head -1)
    cp=$(pgrep -f "bootstorm-control --config $work/bootstorm.toml" | head -1)
    # The worker polls its lcore (the second of lcores: the server CPU by default). The rest of
    # the appliance joins it there, as Kea and dnsmasq run whole on theirs: the control process
    # and the dataplane's other threads, which EAL put on the first lcore (perfdhcp's CPU), where
    # the service thread (journal, events) would take perfdhcp's time (BS_BENCH_SPLIT=1 leaves
    # them there). io_uring's workers, started later, inherit the service thread's CPU.
    local t
    for t in /proc/"$cp"/task/*; do taskset -p -c "$scpu" "${t##*/}" >/dev/null 2>&1 || true; done
    if [[ ${BS_BENCH_SPLIT:-0} != 1 ]]; then
        for t in /proc/"$dp"/task/*; do
            [[ $(cat "$t/comm") == rte-worker* ]] || taskset -p -c "$scpu" "${t##*/}" >/dev/null 2>&1 || true
        done
    fi
    bs_dp=$dp bs_cp=$cp
    # renice per thread: setpriority() on a pid changes only that thread.
    for t in /proc/"$dp"/task/* /proc/"$cp"/task/*; do renice -n "$nice_val" -p "${t##*/}" >/dev/null 2>&1 || true; done
    server_pids="$dp $cp"
}

start_kea() {
    local d=$work/kea
    rm -rf "$d"
    mkdir -p "$d"
    cat >"$d/kea-dhcp4.json" <<JSON
{ "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$BS_PEER_IF" ], "dhcp-socket-type": "udp" },
    "lease-database": { "type": "memfile", "persist": true, "name": "$d/kea-leases4.csv" },
    "valid-lifetime": 3600, "renew-timer": 1800, "rebind-timer": 3150,
    "subnet4": [ { "id": 1, "subnet": "10.77.0.0/$BS_WIDE_LEN",
        "pools": [ { "pool": "$BS_WIDE_FIRST - $BS_WIDE_LAST" } ],
        "option-data": [ { "name": "routers", "data": "$BS_SERVER_IP" } ] } ],
    "loggers": [ { "name": "kea-dhcp4", "severity": "WARN",
        "output_options": [ { "output": "$d/kea-dhcp4.log" } ] } ]
} }
JSON
    cp "$d/kea-dhcp4.json" "$outdir/kea-dhcp4.json"
    KEA_PIDFILE_DIR=$d KEA_LOCKFILE_DIR=$d KEA_LFC_EXECUTABLE=/usr/sbin/kea-lfc \
        ip netns exec "$BS_PEER_NS" nice -n "$nice_val" taskset -c "$scpu" "$kea" -c "$d/kea-dhcp4.json" \
        >>"$outdir/kea.log" 2>&1 </dev/null &
    peer_pid=$!
    wait_port67 kea
    server_pids=$peer_pid
}

# start_dnsmasq [ping]: DHCP only (--port=0: no DNS), lease file in the work dir, no per-lease
# log lines (--quiet-dhcp), lease-max above the pool; without "ping", --no-ping.
start_dnsmasq() {
    local d=$work/dnsmasq ping=()
    [[ ${1:-} == ping ]] || ping=(--no-ping)
    rm -rf "$d"
    mkdir -p "$d"
    ip netns exec "$BS_PEER_NS" nice -n "$nice_val" taskset -c "$scpu" dnsmasq --keep-in-foreground --conf-file=/dev/null \
        --port=0 --interface="$BS_PEER_IF" --bind-interfaces --user=root --group=root \
        --dhcp-range="$BS_WIDE_FIRST,$BS_WIDE_LAST,255.255.240.0,1h" --dhcp-option=3,"$BS_SERVER_IP" \
        --dhcp-leasefile="$d/dnsmasq.leases" --dhcp-lease-max=4096 --pid-file="$d/dnsmasq.pid" \
        --quiet-dhcp --log-facility=- "${ping[@]}" >>"$outdir/dnsmasq.log" 2>&1 </dev/null &
    peer_pid=$!
    wait_port67 dnsmasq
    server_pids=$peer_pid
}

wait_port67() {
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$peer_pid" 2>/dev/null || bs_die "$1 exited: $(tail -n 20 "$outdir/$1.log")"
        ip netns exec "$BS_PEER_NS" ss -Hlun 'sport = :67' | grep -q . && return 0
        sleep 0.1
    done
    bs_die "$1 does not listen on port 67: $(tail -n 20 "$outdir/$1.log")"
}

stop_peer() {
    if [[ -n $peer_pid ]]; then
        kill -TERM "$peer_pid" 2>/dev/null || true
        wait "$peer_pid" 2>/dev/null || true
        peer_pid=
    fi
}
start_server() {
    case $1 in
    bootstorm) start_bootstorm ;;
    kea) start_kea ;;
    dnsmasq) start_dnsmasq "${2:-}" ;;
    esac
}
stop_server() { if [[ $1 == bootstorm ]]; then bs_appliance_stop; else stop_peer; fi; }

# --- measuring ----------------------------------------------------------------------------
cpu_ticks() { # summed utime + stime of the given pids (all their threads)
    local p t=0
    for p in "$@"; do
        [[ -r /proc/$p/stat ]] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
    echo "$t"
}
rcvbuf_errors() { # UDP receive-buffer overflows in namespace $1 (default the client's)
    ip netns exec "${1:-$BS_NS_C0}" awk '/^Udp:/ { if (h) print $6; h = 1 }' /proc/net/snmp
}
thread_ticks() { # "tid:name ticks" for every thread of the given pids, sorted (for join)
    local p t
    for p in "$@"; do
        for t in /proc/"$p"/task/*; do
            [[ -r $t/stat ]] && echo "${t##*/}:$(tr ' ' _ <"$t/comm") $(awk '{print $14 + $15}' "$t/stat")"
        done
    done | sort
}
busy_ticks() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
hz=$(getconf CLK_TCK)

# run_perfdhcp NAME SERVER ARGS...: perfdhcp pinned to its CPU; its output in $outdir/NAME.txt,
# parsed into the shell (bs_perfdhcp_parse), plus wall, pcpu (perfdhcp's CPU, % of one core),
# scpu (the server's), rcvbuf (client socket overflows during the run).
run_perfdhcp() {
    local name=$1 srv=$2 t0 t1 r0 r1 s0 s1 b0 b1 tf
    shift 2
    tf=$work/time
    r0=$(rcvbuf_errors)
    s0=$(rcvbuf_errors "$BS_PEER_NS")
    b0=$(busy_ticks)
    # shellcheck disable=SC2086  # a list of pids
    t0=$(cpu_ticks $server_pids)
    local TIMEFORMAT='%R %U %S'
    { time ip netns exec "$BS_NS_C0" timeout 600 nice -n "$nice_val" taskset -c "$pcpu" perfdhcp -4 -g "$pthreads" \
        -l "$client_ip" "$@" "$srv" >"$outdir/$name.txt" 2>&1; } 2>"$tf" || true
    # shellcheck disable=SC2086
    t1=$(cpu_ticks $server_pids)
    b1=$(busy_ticks)
    r1=$(rcvbuf_errors)
    s1=$(rcvbuf_errors "$BS_PEER_NS")
    unset rate rate_expected do_sent do_recv do_drops do_min do_avg do_max do_std \
        ra_sent ra_recv ra_drops ra_min ra_avg ra_max ra_std took_s provisioned sent_total resent
    eval "$(bs_perfdhcp_parse "$outdir/$name.txt")"
    read -r wall pu ps < <(tail -n 1 "$tf")
    pcpu_pct=$(awk -v u="$pu" -v s="$ps" -v w="$wall" 'BEGIN { printf "%.0f", (u + s) / w * 100 }')
    scpu_pct=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v w="$wall" 'BEGIN { printf "%.0f", d / hz / w * 100 }')
    # The rest of the machine: busy CPU time neither perfdhcp's nor the server's (other users'
    # processes, and the kernel's network path run in softirq), % of one core.
    rest_pct=$(awk -v b=$((b1 - b0)) -v hz="$hz" -v w="$wall" -v p="$pcpu_pct" -v s="$scpu_pct" \
        'BEGIN { r = b / hz / w * 100 - p - s; printf "%.0f", r < 0 ? 0 : r }')
    rcvbuf=$((r1 - r0))
    srv_rcvbuf=$((s1 - s0)) # Kea's and dnsmasq's socket (bootstorm has none: DPDK)
}

# probe RATE SECONDS NAME: one rate run; sets pass (1/0), drop_pct, done_rate (ACKs per second
# of the run), short (1 when perfdhcp sent under 95% of the DISCOVERs asked for).
veth_rx() { ip netns exec "$BS_NS_SRV" cat "/sys/class/net/$BS_VETH_SRV/statistics/rx_packets"; }
probe() {
    local r=$1 s=$2 name=$3 st0='' st1 k0=0 k1
    if [[ $cur == bootstorm ]]; then st0=$(bs_appliance_status || true); k0=$(veth_rx); fi
    run_perfdhcp "$name" "$(server_ip "$cur")" -r "$r" -R "$clients" -p "$s" -W 500000
    local sent=$((${do_sent:-0} + ${ra_sent:-0})) drops=$((${do_drops:-0} + ${ra_drops:-0}))
    drop_pct=$(awk -v d="$drops" -v s="$sent" 'BEGIN { printf "%.3f", s ? d * 100 / s : 100 }')
    done_rate=$(awk -v a="${ra_recv:-0}" -v s="$s" 'BEGIN { printf "%.0f", a / s }')
    short=$(awk -v n="${do_sent:-0}" -v r="$r" -v s="$s" 'BEGIN { print (n < 0.95 * r * s) ? 1 : 0 }')
    pass=$(awk -v p="$drop_pct" -v m="$max_drop" -v sh="$short" 'BEGIN { print (p < m && !sh) ? 1 : 0 }')
    # Who dropped: replies that overflowed perfdhcp's socket buffer had been sent by the server.
    probe_note="at $r/s: $drops of $sent packets dropped ($drop_pct%)"
    ((rcvbuf > 0)) && probe_note+=", $rcvbuf replies lost in perfdhcp's own socket buffer (answered by the server, not read in time)"
    ((srv_rcvbuf > 0)) && probe_note+=", $srv_rcvbuf requests lost in the server's socket buffer"
    ((short)) && probe_note+=", perfdhcp sent only ${do_sent:-0} of $((r * s)) DISCOVERs"
    ((pcpu_pct >= 90)) && probe_note+=", perfdhcp at $pcpu_pct% of its core"
    if [[ $cur == bootstorm ]]; then
        # The dataplane's view: frames the kernel put on its veth that the worker never received
        # (the af_packet ring overflowed: not in bootstorm's own counters), and its drop reasons.
        st1=$(bs_appliance_status_settled 10)
        k1=$(veth_rx)
        local dprx lost
        dprx=$(($(bs_status_get "$st1" dataplane.stats.counters.rx_packets) - $(bs_status_get "$st0" dataplane.stats.counters.rx_packets)))
        lost=$((k1 - k0 - dprx))
        probe_note+=", dataplane: received $dprx of $((k1 - k0)) frames that reached its veth"
        ((lost > 0)) && probe_note+=" ($lost lost in the af_packet ring, before the worker)"
        probe_note+=", drops $(python3 -c '
import json, sys
a, b = (json.loads(x or "{}").get("dataplane", {}).get("stats", {}).get("drops", {}) for x in sys.argv[1:3])
print(" ".join(f"{k}={v - a.get(k, 0)}" for k, v in b.items() if v != a.get(k, 0)) or "none")' "$st0" "$st1")"
    fi
    say "$cur: rate $r for ${s}s: ${done_rate}/s done, drops $drop_pct%, perfdhcp CPU $pcpu_pct%, server CPU $scpu_pct%, rest $rest_pct%, socket overflows client $rcvbuf server $srv_rcvbuf$([[ $short == 1 ]] && echo ", perfdhcp sent only ${do_sent:-0} DISCOVERs") -> $([[ $pass == 1 ]] && echo pass || echo fail)"
    [[ $pass == 1 ]] || say "  $probe_note"
}

# search: the highest rate that passes short probes (doubling, then bisection to 5%); sets best.
# Records why the search stopped in limit_note.
search() {
    local r=$start_rate lo=0 hi=0 n=0 mid
    limit_note='' fail_note=''
    while ((r <= max_rate)); do
        probe "$r" "$probe_s" "$cur.probe.$((n++)).$r"
        if ((pass)); then lo=$r; r=$((r * 2)); else hi=$r; fail_note=$probe_note; break; fi
    done
    ((hi == 0)) && limit_note="passed up to BS_BENCH_MAX_RATE=$max_rate"
    if ((lo == 0)); then # even the first rate failed: halve
        r=$((start_rate / 2))
        while ((r >= 25)); do
            probe "$r" "$probe_s" "$cur.probe.$((n++)).$r"
            if ((pass)); then lo=$r; break; fi
            hi=$r; fail_note=$probe_note; r=$((r / 2))
        done
    fi
    while ((hi > 0 && lo > 0 && (hi - lo) * 20 > lo)); do
        mid=$(((lo + hi) / 2 / 50 * 50))
        ((mid > lo && mid < hi)) || break
        probe "$mid" "$probe_s" "$cur.probe.$((n++)).$mid"
        if ((pass)); then lo=$mid; else hi=$mid; fail_note=$probe_note; fi
    done
    best=$lo
    ((hi == 0)) || limit_note="the bound: probe $fail_note"
}

fmt4() { echo "$1 / $2 / $3 / $4"; }

# --- the run ------------------------------------------------------------------------------
idle_before=$(awk '/^cpu /{ print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
sleep 2
idle_before=$(awk -v prev="$idle_before" '/^cpu /{ split(prev, p, " "); i = $5 + $6 - p[1]; t = $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 - p[2]; printf "%.0f", t ? i * 100 / t : 0 }' /proc/stat)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "CPU idle before the run: $idle_before% (load average $load_before); results in $outdir"

declare -A AV AVT RATE RES NOTE
for cur in $servers; do
    say "== $cur"
    start_server "$cur"
    run_perfdhcp "$cur.avalanche" "$(server_ip "$cur")" --scenario avalanche -R "$clients"
    AV[$cur]="| $cur | ${provisioned:-0} / $clients | ${took_s:-n/a} | ${sent_total:-?} (${resent:-?} resent) | $(fmt4 "${do_min:-}" "${do_avg:-}" "${do_max:-}" "${do_std:-}") | $(fmt4 "${ra_min:-}" "${ra_avg:-}" "${ra_max:-}" "${ra_std:-}") |"
    AVT[$cur]=${took_s:-}
    say "$cur: avalanche: ${provisioned:-0}/$clients provisioned in ${took_s:-?} s"
    search
    say "$cur: search: $best/s${limit_note:+ ($limit_note)}"
    stop_server "$cur"
    # The final run, on a fresh server; stepped down 10% at a time if it fails (at most
    # BS_BENCH_FINAL_TRIES runs).
    final=$best
    for ((attempt = 1; attempt <= final_tries; attempt++)); do
        start_server "$cur"
        b0=$(bs_appliance_status 2>/dev/null || true)
        [[ $cur == bootstorm ]] && th0=$(thread_ticks "$bs_dp" "$bs_cp") tw0=$(date +%s.%N)
        probe "$final" "$rate_seconds" "$cur.final.$final"
        [[ $cur == bootstorm ]] && th1=$(thread_ticks "$bs_dp" "$bs_cp") tw1=$(date +%s.%N)
        if [[ $cur == bootstorm ]]; then
            b1=$(bs_appliance_status_settled 10)
            jr=$(($(bs_status_get "$b1" dataplane.stats.counters.journal_records) - $(bs_status_get "$b0" dataplane.stats.counters.journal_records)))
            jf=$(($(bs_status_get "$b1" dataplane.stats.counters.journal_flushes) - $(bs_status_get "$b0" dataplane.stats.counters.journal_flushes)))
            held=$(($(bs_status_get "$b1" dataplane.stats.counters.dhcp_acks_held) - $(bs_status_get "$b0" dataplane.stats.counters.dhcp_acks_held)))
            acks=$(($(bs_status_get "$b1" dataplane.stats.counters.dhcp_acks) - $(bs_status_get "$b0" dataplane.stats.counters.dhcp_acks)))
            bs_drops=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1] or "{}").get("dataplane",{}).get("stats",{}).get("drops",{}); print(" ".join(f"{k}={v}" for k,v in d.items()) or "none")' "$b1")
            threads_note=$(join <(echo "$th0") <(echo "$th1") | awk -v hz="$hz" -v w="$(awk -v a="$tw0" -v b="$tw1" 'BEGIN { print b - a }')" '
                { split($1, n, ":"); sub(/-[0-9]+$/, "", n[2]); c[n[2]] += ($3 - $2) / hz / w * 100 }
                END { for (k in c) if (c[k] >= 0.5) printf "%s%s %.0f%%", (o++ ? ", " : ""), k, c[k] }')
            journal_note="during the final run: CPU by thread (% of one core): $threads_note; $acks ACKs sent, $held of them held until their lease record was on disk, $jr journal records in $jf flushes; dataplane drops: $bs_drops"
        fi
        stop_server "$cur"
        ((pass)) && break
        ((attempt < final_tries)) || break
        final=$((final * 9 / 10 / 50 * 50))
        ((final >= 25)) || break
    done
    RATE[$cur]=$done_rate
    RES[$cur]="| $cur | $final | $done_rate | $((${do_sent:-0} + ${ra_sent:-0})) / $((${do_recv:-0} + ${ra_recv:-0})) / $((${do_drops:-0} + ${ra_drops:-0})) ($drop_pct%) | $(fmt4 "${do_min:-}" "${do_avg:-}" "${do_max:-}" "${do_std:-}") | $(fmt4 "${ra_min:-}" "${ra_avg:-}" "${ra_max:-}" "${ra_std:-}") | $pcpu_pct% / $scpu_pct% / $rest_pct% | $rcvbuf |"
    NOTE[$cur]="${limit_note}$([[ $pass == 1 ]] || echo "; the final run FAILED the $max_drop% bound: $probe_note")"
done

if [[ $dnsmasq_ping == 1 && " $servers " == *" dnsmasq "* ]]; then
    cur=dnsmasq
    say "== dnsmasq with its default ping check: avalanche"
    start_dnsmasq ping
    run_perfdhcp "dnsmasq-ping.avalanche" "$peer_ip" --scenario avalanche -R "$clients"
    stop_peer
    AV[dnsmasq-ping]="| dnsmasq, default ping check | ${provisioned:-0} / $clients | ${took_s:-n/a} | ${sent_total:-?} (${resent:-?} resent) | $(fmt4 "${do_min:-}" "${do_avg:-}" "${do_max:-}" "${do_std:-}") | $(fmt4 "${ra_min:-}" "${ra_avg:-}" "${ra_max:-}" "${ra_std:-}") |"
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the report ---------------------------------------------------------------------------
journal=no
if [[ -f $BS_REPO/dataplane/dhcp/journal.cpp ]] && grep -q journal "$BS_REPO/dataplane/service.cpp"; then journal=yes; fi
rev=$(git -C "$BS_REPO" rev-parse --short HEAD 2>/dev/null || echo "?")
git -C "$BS_REPO" diff --quiet HEAD -- dataplane control 2>/dev/null || rev="$rev + uncommitted changes in dataplane/ or control/"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
{
    echo "## DHCP: perfdhcp ($(date +%Y-%m-%d))"
    echo
    echo '```sh'
    echo "sudo BS_LAB_PREFIX=$BS_LAB_PREFIX BS_BUILD_DIR=$BS_BUILD_DIR$( ((nice_val == 0)) || echo " BS_BENCH_NICE=$nice_val")$([[ ${BS_BENCH_SPLIT:-0} != 1 ]] || echo " BS_BENCH_SPLIT=1") bench/dhcp-perfdhcp.sh $rate_seconds"
    echo '```'
    echo
    echo "Machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), kernel $(uname -r)," \
        "lease storage of all three on $(stat -f -c %T "$BS_STATE_DIR") ($(df --output=source "$BS_STATE_DIR" | tail -1) for bootstorm's state dir, $(df --output=source "$work" | tail -1) for the others');" \
        "CPU idle before the run $idle_before%, load average $load_before before, $load_after after (other users' work shares this machine)."
    echo "Versions: bootstorm $rev (durable lease journal: $journal; $BS_BUILD_DIR/dataplane/bootstorm-dataplane built $(date -u -r "$BS_BUILD_DIR/dataplane/bootstorm-dataplane" '+%Y-%m-%d %H:%M UTC')), $(perfdhcp -v 2>&1 | head -1 | sed 's/VERSION: /perfdhcp /'), Kea $("$kea" -v 2>&1 | head -1) (kea-dhcp4-server $(cat "$BS_CACHE_DIR/debs/kea-dhcp4-server/version")), $(dnsmasq --version | head -1 | awk '{print $1, $3}')."
    echo "CPUs: perfdhcp (-g $pthreads) on CPU $pcpu; Kea and dnsmasq on CPU $scpu; bootstorm's worker on the second of lcores \"$lcores\"" \
        "$(if [[ ${BS_BENCH_SPLIT:-0} == 1 ]]; then echo "and its control process on CPU $scpu, its service thread (journal, events) on the first lcore."; else echo "with every other thread of the appliance (service thread: journal, events; control process) moved to CPU $scpu too: each server gets one core, perfdhcp the other."; fi)" \
        "$( ((nice_val == 0)) || echo "All of them run at nice $nice_val, ahead of other users' work.")" \
        "CPU columns: % of one core during the run; \"rest\" is busy time that was neither perfdhcp's nor the server's (the kernel's network path, other users' processes)."
    echo "Servers: bootstorm as the lab config with rate_limit_per_mac = 0 (lease journal in state_dir); Kea memfile, persist true, lfc-interval default, log WARN;" \
        "dnsmasq --no-ping --quiet-dhcp (lease file in a work dir). All serve 10.77.0.0/$BS_WIDE_LEN, pool $BS_WIDE_FIRST-$BS_WIDE_LAST; perfdhcp is a relay at $client_ip."
    echo
    echo "Avalanche: perfdhcp --scenario avalanche -R $clients (every client DORA, resent with back-off until answered)."
    echo
    echo "| server | provisioned | time (s) | requests sent | OFFER delay min / avg / max / stddev (ms) | ACK delay min / avg / max / stddev (ms) |"
    echo "|---|---|---|---|---|---|"
    for s in $servers dnsmasq-ping; do [[ -n ${AV[$s]:-} ]] && echo "${AV[$s]}"; done
    echo
    echo "Rate: the highest perfdhcp -r with under $max_drop% of packets dropped, found with ${probe_s}s probes (doubling from $start_rate, then bisection), then a ${rate_seconds}s run at it, 10% lower again after a failing one, at most $final_tries (-R $clients, -W 0.5 s; each on a fresh server)." \
        "\"done/s\" is ACKs received per second of the run."
    echo
    echo "| server | rate (-r) | done/s | packets sent / received / dropped | OFFER delay min / avg / max / stddev (ms) | ACK delay min / avg / max / stddev (ms) | CPU: perfdhcp / server / rest | replies lost in perfdhcp's socket |"
    echo "|---|---|---|---|---|---|---|---|"
    for s in $servers; do echo "${RES[$s]}"; done
    echo
    if [[ -n ${RATE[bootstorm]:-} ]]; then
        for s in kea dnsmasq; do
            [[ -n ${RATE[$s]:-} ]] || continue
            echo "- bootstorm / $s, sustained rate: $(ratio "${RATE[bootstorm]}" "${RATE[$s]}"); avalanche time $s / bootstorm: $(ratio "${AVT[$s]:-0}" "${AVT[bootstorm]:-0}")"
        done
    fi
    for s in $servers; do [[ -n ${NOTE[$s]:-} ]] && echo "- $s: ${NOTE[$s]}"; done
    [[ -n ${journal_note:-} ]] && echo "- bootstorm $journal_note"
    echo
    echo "Raw perfdhcp output and server logs: $outdir/ (lab/bench/ on the machine that ran it)"
} | tee "$results"
